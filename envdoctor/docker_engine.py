"""The Docker engine adapter: the one place the containers probe talks to Docker.

Live, it uses the ``docker`` SDK (imported only when there is a socket to talk to, as it
pulls in requests and urllib3). A recorded host replays ``docker info`` / ``docker
version`` JSON captured on a real machine; ``--root`` asks nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol


class DockerReport:
    """What the engine answered, or why it could not be asked."""

    # A plain class: a dataclass costs about half a millisecond to create at import, and
    # `envdoctor check` pays every import on every run.
    __slots__ = ("error", "info", "reachable", "version")

    def __init__(self, reachable: bool | None = None, version: str | None = None,
                 info: dict[str, Any] | None = None, error: str | None = None) -> None:
        self.reachable = reachable
        self.version = version
        self.info: dict[str, Any] = info if info is not None else {}
        self.error = error


class DockerAdapter(Protocol):
    """Asks the Docker engine for ``info`` and ``version``."""

    def query(self, base_url: str, timeout: float) -> DockerReport:
        """Return the engine's answer; never raise."""
        ...


class NoDocker:
    """The engine is not asked (``--root``)."""

    def query(self, base_url: str, timeout: float) -> DockerReport:
        """Say why nothing was asked."""
        return DockerReport(error="the Docker engine is not asked under --root")


class RecordedDocker:
    """``docker.json`` of a recorded host: ``{"info": …, "version": …}`` or ``{"error": …}``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def query(self, base_url: str, timeout: float) -> DockerReport:
        """Replay the recording (no recording: nothing listened on the socket)."""
        if not self.path.exists():
            return DockerReport(reachable=False,
                                error="the Docker engine is not running (connection refused)")
        data = json.loads(self.path.read_text())
        if "error" in data:
            return DockerReport(reachable=False, error=data["error"])
        info = data.get("info", {})
        return DockerReport(reachable=True, info=info,
                            version=(data.get("version") or {}).get("Version")
                            or info.get("ServerVersion"))


class LiveDocker:
    """The running machine's engine, through the docker SDK."""

    def query(self, base_url: str, timeout: float) -> DockerReport:
        """Ask ``/info`` and ``/version``; turn every failure into a reason."""
        try:
            import docker  # noqa: PLC0415 - heavy; only when a socket exists
        except Exception as exc:
            return DockerReport(error=f"the docker SDK cannot be imported: {exc}")
        try:
            client = docker.DockerClient(base_url=base_url, timeout=max(timeout, 1.0))
            info = client.info()
            version = client.version()
        except Exception as exc:
            return DockerReport(reachable=False, error=summarize_error(exc))
        return DockerReport(reachable=True, info=info, version=version.get("Version"))


def summarize_error(exc: BaseException) -> str:
    """A one-line reason the engine could not be asked."""
    text = str(exc)
    if "Permission denied" in text or "PermissionError" in text:
        return ("permission denied on the Docker socket: the user is not in the docker group "
                "(or rootless Docker uses another socket)")
    if "Connection refused" in text or "FileNotFoundError" in text or "No such file" in text:
        return "the Docker engine is not running (connection refused)"
    if "timed out" in text.lower():
        return "the Docker engine did not answer in time"
    return text.splitlines()[0][:300] if text else type(exc).__name__
