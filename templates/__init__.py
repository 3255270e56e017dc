"""Jinja templates (Dockerfiles, cloud-init user data, cloud templates), shipped as data.

Installed as ``envdoctor.templates``; loaded by file path so that editable and wheel
installs find them the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def render(name: str, **values: Any) -> str:  # noqa: ANN401 - template values
    """Render template ``name`` with ``values`` (and ``version``), strictly and repeatably."""
    import jinja2  # noqa: PLC0415 - only the commands that write files pay for Jinja

    from envdoctor import __version__  # noqa: PLC0415

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent)),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
        lstrip_blocks=True, autoescape=False)  # noqa: S701 - Dockerfiles and YAML, not HTML
    return env.get_template(name).render(version=__version__, **values)
