"""Talk to the Docker engine to build an image (``envdoctor dockerfile --build``).

The engine is found the way the docker CLI finds it: ``DOCKER_HOST`` (with
``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH``), else the local socket. Builds go through
the SDK's low-level API so the engine's log reaches the user line by line as it comes.
Every failure (no engine, a failing step, a build that hangs) becomes an
:class:`~envdoctor.errors.EnvdoctorError` that says what happened and what to do.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TextIO

from envdoctor.docker_engine import summarize_error
from envdoctor.errors import EnvdoctorError, UsageError

DEFAULT_SOCKET = "unix:///var/run/docker.sock"

IDLE_TIMEOUT = 900.0
"""Seconds a build may print nothing (one long ``RUN`` step) before it is given up."""
BUILD_TIMEOUT = 3 * 3600.0
"""Seconds a whole build may take."""

# Pull progress the engine repeats many times a second; the other statuses are news.
_PROGRESS = ("Downloading", "Extracting", "Waiting", "Verifying Checksum")


def connect(base_url: str | None = None, timeout: float = 60.0) -> Any:  # noqa: ANN401
    """A low-level client (``docker.APIClient``) for the engine, checked to answer.

    ``base_url`` overrides ``DOCKER_HOST``. Raises :class:`EnvdoctorError` when the SDK is
    missing, the settings are invalid, or the engine does not answer.
    """
    try:
        import docker  # noqa: PLC0415 - pulls in requests; only commands that build or run
    except ImportError as exc:
        raise EnvdoctorError(f"the docker SDK cannot be imported: {exc}",
                             hint="pip install 'docker>=6.1'") from None
    try:
        settings = docker.utils.kwargs_from_env()
    except docker.errors.DockerException as exc:
        raise EnvdoctorError(f"the Docker settings in the environment are invalid: {exc}",
                             hint="check DOCKER_HOST, DOCKER_TLS_VERIFY and "
                                  "DOCKER_CERT_PATH") from None
    if base_url:
        settings["base_url"] = base_url
    address = settings.get("base_url") or DEFAULT_SOCKET
    try:
        # version="auto" asks the engine for its API version: that request is the check
        # that it answers at all.
        return docker.APIClient(version="auto", timeout=timeout, **settings)
    except docker.errors.DockerException as exc:
        reason = summarize_error(exc)
        if "permission denied" in reason:
            hint = ("add yourself to the docker group (sudo usermod -aG docker $USER) and "
                    "log in again, or use rootless Docker")
        else:
            hint = ("start Docker (sudo systemctl start docker), or point DOCKER_HOST at a "
                    "running engine")
        raise EnvdoctorError(f"cannot reach the Docker engine at {address}: {reason}",
                             hint=hint) from None


def build_image(context: Path, *, tag: str | None, dockerfile: str = "Dockerfile",
                out: TextIO, base_url: str | None = None,
                build_args: dict[str, str] | None = None,
                idle_timeout: float = IDLE_TIMEOUT, timeout: float = BUILD_TIMEOUT) -> str:
    """Build ``context`` (with ``dockerfile`` inside it), streaming the log to ``out``.

    Returns the image id (``sha256:…``). The engine is ``base_url`` or ``DOCKER_HOST``'s.
    """
    if not context.is_dir():
        raise UsageError(f"build context {context} is not a folder",
                         hint="give the folder that holds the Dockerfile")
    if not (context / dockerfile).is_file():
        raise UsageError(f"{context / dockerfile} does not exist",
                         hint="write one with 'envdoctor dockerfile --output DIR'")
    api = connect(base_url)
    deadline = time.monotonic() + timeout
    image_id: str | None = None
    try:
        # forcerm: a failed step's container is removed too, not left behind.
        chunks = api.build(path=str(context), dockerfile=dockerfile, tag=tag, decode=True,
                           rm=True, forcerm=True, buildargs=build_args or None,
                           timeout=idle_timeout)
        for chunk in chunks:
            image_id = _show(chunk, out) or image_id
            if time.monotonic() > deadline:
                raise EnvdoctorError(f"the build of {context} took over {timeout:.0f} s and "
                                     "was stopped", hint="build it with 'docker build' to "
                                     "watch it, or make the slow step faster")
    except EnvdoctorError:
        raise
    except Exception as exc:
        raise _build_error(exc, context, idle_timeout) from None
    finally:
        api.close()
    if image_id is None:
        # Engines before API 1.30 do not send the id as an "aux" message: ask for the tag.
        if tag is None:
            raise EnvdoctorError("the engine finished the build without naming the image",
                                 hint="give the build a tag")
        image_id = str(connect(base_url).inspect_image(tag)["Id"])
    return image_id


def _show(chunk: dict[str, Any], out: TextIO) -> str | None:
    """Write one message of the build stream; return the image id if it names it."""
    if "errorDetail" in chunk or "error" in chunk:
        detail = chunk.get("errorDetail") or {}
        message = str(detail.get("message") or chunk.get("error") or "unknown error").strip()
        raise EnvdoctorError(f"the image build failed: {message}",
                             hint="the build log above shows the step that failed")
    text = chunk.get("stream")
    if isinstance(text, str):
        out.write(text)
        out.flush()
    elif isinstance(chunk.get("status"), str) and chunk["status"] not in _PROGRESS:
        status = chunk["status"]
        out.write(f"{chunk['id']}: {status}\n" if chunk.get("id") else f"{status}\n")
        out.flush()
    aux = chunk.get("aux")
    if isinstance(aux, dict) and isinstance(aux.get("ID"), str):
        return str(aux["ID"])
    return None


def _build_error(exc: Exception, context: Path, idle_timeout: float) -> EnvdoctorError:
    """What a failure of the engine connection during a build means to the user."""
    text = str(exc)
    explanation = getattr(exc, "explanation", None)
    if explanation:
        # The engine refused the request itself (a Dockerfile it cannot parse, a base
        # image that cannot be pulled, a bad build argument).
        return EnvdoctorError(f"the Docker engine refused to build {context}: {explanation}",
                              hint="fix the Dockerfile or the named image, then build again")
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return EnvdoctorError(f"the build printed nothing for {idle_timeout:.0f} s and was "
                              "stopped", hint="a step is stuck (a prompt waiting for input, "
                              "a download that stalls); run it with 'docker build' to see")
    return EnvdoctorError(f"the connection to the Docker engine broke during the build: "
                          f"{summarize_error(exc)}",
                          hint="check that the engine is still running (docker info)")
