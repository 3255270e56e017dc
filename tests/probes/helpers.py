"""Build small hosts in a temporary directory for probe tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envdoctor.host import Host
from envdoctor.probes.base import ProbeContext

RECORDINGS = Path(__file__).resolve().parent.parent / "recordings"


def recording(rel: str) -> str:
    return (RECORDINGS / rel).read_text(encoding="utf-8")


def make_host(tmp_path: Path, files: dict[str, str | bytes], host: dict[str, Any] | None = None,
              commands: dict[str, str] | None = None) -> Host:
    """A recorded host whose root holds ``files`` (path → content)."""
    for path, content in files.items():
        dest = tmp_path / "root" / path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            dest.write_bytes(content)
        else:
            dest.write_text(content)
    (tmp_path / "root").mkdir(exist_ok=True)
    (tmp_path / "host.json").write_text(json.dumps(host or {}))
    if commands:
        (tmp_path / "commands").mkdir()
        for slug, out in commands.items():
            (tmp_path / "commands" / slug).write_text(out)
    return Host.recorded(tmp_path)


def context(host: Host, name: str = "test") -> ProbeContext:
    return ProbeContext(host, name)
