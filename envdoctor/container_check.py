"""``envdoctor check --container IMAGE``: start an image with every GPU requested.

The image runs through the Docker engine (``DOCKER_HOST``, as the docker CLI) the way
``docker run --gpus all IMAGE`` runs it. Inside runs ``envdoctor snapshot`` when the image
has envdoctor (its entry point, as in ``Dockerfile.cuda``, or on ``PATH``), else a small
shell probe (``ls /dev/nvidia*``, ``nvidia-smi -L``). The answer is Facts: the container's
own snapshot when envdoctor ran in it, else this host's facts; either way with
``containers.gpu_request`` saying what the engine did with the request, which rule ED0608
reads.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TextIO

from envdoctor.errors import EnvdoctorError, FactsFileError

if TYPE_CHECKING:
    from collections.abc import Callable

    from envdoctor.facts import Facts, GpuRequest

RUN_TIMEOUT = 120.0
"""Seconds the container may run (start, snapshot, exit) before it is stopped."""

SNAPSHOT = "envdoctor snapshot"
SHELL = "shell"

# One container start: the engine's answer to the GPU request is the thing being tested,
# so envdoctor is looked for inside the same run instead of in a second container.
_PROBE = (
    'if command -v envdoctor >/dev/null 2>&1; then exec envdoctor snapshot; fi; '
    'echo "@@devices"; ls -1d /dev/nvidia* /dev/dxg 2>/dev/null; '
    'echo "@@nvidia-smi"; nvidia-smi -L 2>&1; echo "@@exit $?"'
)
_SMI_GPU = re.compile(r"^GPU \d+: .+")
_LABEL = "org.envdoctor.check-container"


@dataclass(frozen=True)
class ContainerRun:
    """What happened to one container."""

    started: bool
    error: str | None = None
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    probe: str = SHELL


def runs_envdoctor(entrypoint: list[str] | None) -> bool:
    """Whether an image's entry point is envdoctor (``["envdoctor"]``, ``python -m envdoctor``)."""
    if not entrypoint:
        return False
    return PurePosixPath(entrypoint[0]).name == "envdoctor" or entrypoint[-2:] == [
        "-m", "envdoctor"]


def run_with_gpus(image: str, *, timeout: float = RUN_TIMEOUT, base_url: str | None = None,
                  progress: TextIO | None = None) -> ContainerRun:
    """Start ``image`` with every GPU requested, wait for it, and collect its output.

    An engine that refuses the start is an answer (``started=False`` and its message),
    not an error. Errors are what stops the check itself: no engine, an image that is
    neither here nor pullable, a container that does not finish.
    """
    import docker  # noqa: PLC0415 - heavy; only this command needs it

    from envdoctor.docker_build import connect  # noqa: PLC0415

    api = connect(base_url)
    try:
        config = _image_config(api, image, progress)
        if runs_envdoctor(config.get("Entrypoint")):
            command, entrypoint, probe = ["snapshot"], None, SNAPSHOT
        else:
            command, entrypoint, probe = [_PROBE], ["/bin/sh", "-c"], SHELL
        host_config = api.create_host_config(
            device_requests=[docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])],
            # The check needs no network, and an engine without a bridge can still run it.
            network_mode="none")
        container = api.create_container(image, command=command, entrypoint=entrypoint,
                                         host_config=host_config, labels={_LABEL: "1"})
        try:
            return _start_and_wait(api, container["Id"], probe, timeout)
        finally:
            # Already gone, or the engine went away: nothing is left to clean then.
            with contextlib.suppress(docker.errors.DockerException):
                api.remove_container(container["Id"], force=True)
    except docker.errors.InvalidVersion:
        # The SDK refuses device requests below API 1.40 before asking the engine.
        raise EnvdoctorError(f"Docker engine API {api.api_version} predates GPU requests "
                             "(--gpus came with Docker 19.03, API 1.40)",
                             hint="upgrade Docker, or start GPU containers with "
                                  "--runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=all") from None
    except docker.errors.APIError as exc:
        raise EnvdoctorError(f"the Docker engine refused to run {image}: "
                             f"{exc.explanation or exc}",
                             hint=f"check that 'docker run --rm {image}' works") from None
    finally:
        api.close()


def _image_config(api: Any, image: str, progress: TextIO | None) -> dict[str, Any]:  # noqa: ANN401
    """The image's config (entry point, environment), pulling the image if it is not here."""
    import docker  # noqa: PLC0415

    try:
        return dict(api.inspect_image(image).get("Config") or {})
    except docker.errors.ImageNotFound:
        pass
    if progress is not None:
        progress.write(f"pulling {image}…\n")
        progress.flush()
    try:
        api.pull(image)
        return dict(api.inspect_image(image).get("Config") or {})
    except docker.errors.APIError as exc:
        raise EnvdoctorError(f"image {image} is not here and cannot be pulled: "
                             f"{exc.explanation or exc}",
                             hint="build it first (docker build -t IMAGE -f Dockerfile.cuda .) "
                                  "or check the name") from None


def _start_and_wait(api: Any, container: str, probe: str, timeout: float) -> ContainerRun:  # noqa: ANN401
    import docker  # noqa: PLC0415

    try:
        api.start(container)
    except docker.errors.APIError as exc:
        return ContainerRun(started=False, error=str(exc.explanation or exc), probe=probe)
    try:
        status = api.wait(container, timeout=timeout)
    except Exception as exc:  # requests' ReadTimeout/ConnectionError: the run is stuck
        with contextlib.suppress(docker.errors.DockerException):
            api.kill(container)
        raise EnvdoctorError(f"the container did not finish in {timeout:.0f} s "
                             f"({type(exc).__name__})",
                             hint="run it by hand to see where it stops: docker run --rm "
                                  "--gpus all IMAGE") from None
    out = api.logs(container, stdout=True, stderr=False).decode("utf-8", errors="replace")
    err = api.logs(container, stdout=False, stderr=True).decode("utf-8", errors="replace")
    return ContainerRun(started=True, exit_code=int(status.get("StatusCode", -1)), stdout=out,
                        stderr=err, probe=probe)


def check_container(image: str, run: ContainerRun,
                    host_facts: Callable[[], Facts]) -> Facts:
    """The Facts ``check --container`` evaluates, from what the container did.

    ``host_facts`` probes this machine; it is called only when the container's own
    snapshot is not there to use.
    """
    from envdoctor.facts import GpuRequest  # noqa: PLC0415
    from envdoctor.rules.containers import gpu_error_kind  # noqa: PLC0415

    if not run.started:
        if gpu_error_kind(run.error or "") is None:
            # Not a GPU failure: the image itself cannot run (no shell, a bad entry point).
            raise EnvdoctorError(f"{image} did not start: {run.error}",
                                 hint=f"check that 'docker run --rm {image}' works; an image "
                                      "without envdoctor needs /bin/sh for the probe")
        request = GpuRequest(image=image, started=False, error=run.error, probe=run.probe)
        return _with_request(host_facts(), request)
    if run.stdout.lstrip().startswith("{"):
        facts = _container_snapshot(image, run)
        if facts is not None:
            nodes = sorted(n.path for n in facts.nvidia.device_nodes)
            gpus = [f"GPU {g.index}: {g.name}" for g in facts.nvidia.gpus]
            request = GpuRequest(image=image, started=True, exit_code=run.exit_code,
                                 probe=SNAPSHOT, devices_seen=nodes, gpus_seen=gpus)
            return _with_request(facts, request)
    return _with_request(host_facts(), _from_shell(image, run))


def _container_snapshot(image: str, run: ContainerRun) -> Facts | None:
    from envdoctor.snapshot import facts_from_bytes  # noqa: PLC0415

    try:
        return facts_from_bytes(run.stdout.encode(), f"{image} (inside the container)",
                                "rebuild the image with a current envdoctor")
    except FactsFileError:
        return None  # a newer schema or garbage: fall back to what the host can say


def _from_shell(image: str, run: ContainerRun) -> GpuRequest:
    """The request's result from the shell probe's output (or why it says nothing)."""
    from envdoctor.facts import GpuRequest  # noqa: PLC0415

    sections: dict[str, list[str]] = {}
    current = None
    for line in run.stdout.splitlines():
        if line.startswith("@@"):
            current = line[2:].split()[0] if line[2:].split() else ""
            sections.setdefault(current, [])
        elif current is not None and line.strip():
            sections[current].append(line.strip())
    if "devices" not in sections:
        last = (run.stderr or run.stdout).strip().splitlines()
        why = (f"{run.probe} inside the container exited with {run.exit_code}"
               + (f": {last[-1][:200]}" if last else ""))
        return GpuRequest(image=image, started=True, exit_code=run.exit_code, probe=run.probe,
                          unknown={"devices_seen": why, "gpus_seen": why})
    gpus = [line for line in sections.get("nvidia-smi", []) if _SMI_GPU.match(line)]
    return GpuRequest(image=image, started=True, exit_code=run.exit_code, probe=SHELL,
                      devices_seen=sorted(sections["devices"]), gpus_seen=gpus)


def _with_request(facts: Facts, request: GpuRequest) -> Facts:
    return replace(facts, containers=replace(facts.containers, gpu_request=request))
