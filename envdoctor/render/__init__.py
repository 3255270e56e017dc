"""Renderers: turn one :class:`~envdoctor.report.Report` into text, JSON or Markdown.

Renderers compute nothing: ordering and grouping happen before them. The CLI decides
where the output goes.
"""

from __future__ import annotations

from enum import Enum

from envdoctor._util import assert_never
from envdoctor.report import Report


class OutputFormat(str, Enum):
    """Output formats of ``check``."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def render(report: Report, fmt: OutputFormat, *, color: bool = False, redact: bool = False) -> str:
    """Render ``report`` in ``fmt``; ``redact`` hides user, host and home paths."""
    match fmt:
        case OutputFormat.TEXT:
            from envdoctor.render.text import render_text  # noqa: PLC0415 - load what is used

            return render_text(report, color=color)
        case OutputFormat.JSON:
            from envdoctor.render.jsonfmt import render_json  # noqa: PLC0415

            return render_json(report, redact=redact)
        case OutputFormat.MARKDOWN:
            from envdoctor.render.markdown import render_markdown  # noqa: PLC0415

            return render_markdown(report, redact=redact)
        case _:
            assert_never(fmt)
