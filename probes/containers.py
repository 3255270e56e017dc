"""Container engines, the NVIDIA Container Toolkit and CDI, and GPUs inside a container.

On the host: the Docker engine, its runtimes, the NVIDIA Container Toolkit, CDI specs
and podman. Inside a container: the GPU devices and driver libraries passed in.

The Docker engine is asked through the ``docker`` SDK, imported only when there is a
socket to talk to; its configuration file and the CDI specs are plain files read even
when the engine is unreachable or under ``--root``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from envdoctor._util import lazy_re
from envdoctor.facts import ContainerRuntimeFacts
from envdoctor.probes.base import ProbeContext
from envdoctor.probes.nvidia import LIB_DIRS

CDI_DIRS = ("/etc/cdi", "/var/run/cdi", "/run/cdi")
_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
_CTK_VERSION = lazy_re(r"version\s+v?(\d+\.\d+\.\d+)", re.IGNORECASE)
_DRIVER_LIBS = ("libcuda.so", "libnvidia-ml.so", "libnvidia-ptxjitcompiler.so")


def probe(ctx: ProbeContext, in_container: bool | None) -> ContainerRuntimeFacts:
    """Describe container engines and, inside a container, what GPUs it was given."""
    host = ctx.host
    unknown: dict[str, str] = {}
    docker: dict[str, Any] = {}
    socket = host.env.get("DOCKER_HOST") or next(
        (f"unix://{s}" for s in _SOCKETS if host.exists(s)), None)
    if socket and host.can_run:
        docker = _ask_docker(ctx, socket)
    elif socket and not host.can_run:
        unknown["docker_reachable"] = "the engine is not asked under --root"
    runtimes, default_runtime = _daemon_json(ctx)
    ctk = host.which("nvidia-ctk")
    ctk_version = None
    if ctk and host.can_run:
        result = ctx.run([ctk, "--version"])
        m = _CTK_VERSION.search(result.stdout) if result.ok else None
        ctk_version = m.group(1) if m else None
    specs, devices = _cdi(ctx)
    gpu_nodes: list[str] = []
    driver_libs: list[str] = []
    if in_container:
        gpu_nodes = sorted(f"/dev/{n}" for n in ctx.listdir("/dev")
                           if re.match(r"^nvidia\d+$|^kfd$", n))
        gpu_nodes += sorted(f"/dev/dri/{n}" for n in ctx.listdir("/dev/dri")
                            if n.startswith("renderD"))
        for directory in LIB_DIRS:
            driver_libs += [f"{directory}/{n}" for n in ctx.listdir(directory)
                            if n.startswith(_DRIVER_LIBS)]
    return ContainerRuntimeFacts(
        docker_reachable=docker.get("reachable"),
        docker_version=docker.get("version"),
        docker_error=docker.get("error"),
        docker_runtimes=docker.get("runtimes", []),
        docker_default_runtime=docker.get("default_runtime"),
        docker_cdi_spec_dirs=docker.get("cdi_spec_dirs", []),
        daemon_json_runtimes=runtimes,
        daemon_json_default_runtime=default_runtime,
        nvidia_ctk_version=ctk_version,
        nvidia_container_runtime=host.which("nvidia-container-runtime"),
        nvidia_container_cli=host.which("nvidia-container-cli"),
        cdi_specs=specs,
        cdi_devices=devices,
        podman=host.which("podman"),
        gpu_devices_in_container=gpu_nodes,
        driver_libraries_in_container=sorted(driver_libs),
        unknown=unknown,
    )


def _ask_docker(ctx: ProbeContext, base_url: str) -> dict[str, Any]:
    """Ask the engine (through the host's Docker adapter) for its version and runtimes."""
    ctx.sources.append(f"docker engine at {base_url}")
    assert ctx.host.docker is not None  # noqa: S101 - set by Host
    report = ctx.host.docker.query(base_url, ctx.host.timeout)
    if not report.reachable:
        return {"reachable": report.reachable, "error": report.error}
    return parse_docker_info(report.info) | {"reachable": True,
                                             "version": report.version}


def parse_docker_info(info: dict[str, Any]) -> dict[str, Any]:
    """Runtimes, default runtime and CDI spec directories from ``docker info`` JSON."""
    runtimes = info.get("Runtimes") or {}
    return {
        "runtimes": sorted(runtimes) if isinstance(runtimes, dict) else [],
        "default_runtime": info.get("DefaultRuntime"),
        "cdi_spec_dirs": list(info.get("CDISpecDirs") or []),
        "version": info.get("ServerVersion"),
    }


def _daemon_json(ctx: ProbeContext) -> tuple[list[str], str | None]:
    text = ctx.read("/etc/docker/daemon.json")
    if not text:
        return [], None
    try:
        data = json.loads(text)
    except ValueError as exc:
        ctx.problems.append(f"/etc/docker/daemon.json is not valid JSON ({exc})")
        return [], None
    if not isinstance(data, dict):
        return [], None
    runtimes = data.get("runtimes") or {}
    return sorted(runtimes) if isinstance(runtimes, dict) else [], data.get("default-runtime")


def _cdi(ctx: ProbeContext) -> tuple[list[str], list[str]]:
    specs: list[str] = []
    devices: list[str] = []
    seen_dirs: set[str] = set()
    for directory in CDI_DIRS:
        real = ctx.host.realpath(directory) if ctx.host.exists(directory) else directory
        if real in seen_dirs:
            continue
        seen_dirs.add(real)
        for name in ctx.listdir(directory):
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            path = f"{directory}/{name}"
            text = ctx.read(path, limit=4 << 20)
            if text is None:
                continue
            specs.append(path)
            devices += parse_cdi_spec(text)
    return specs, sorted(set(devices))


def parse_cdi_spec(text: str) -> list[str]:
    """Fully qualified device names a CDI spec declares (``nvidia.com/gpu=0``).

    Specs are JSON or YAML. Without a YAML parser in the dependencies, the YAML form is
    read for the two things needed: the top-level ``kind`` and the ``name`` of each entry
    of the top-level ``devices`` list (the layout ``nvidia-ctk cdi generate`` writes).
    """
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return []
        kind = data.get("kind") if isinstance(data, dict) else None
        names = [d.get("name") for d in (data.get("devices") or []) if isinstance(d, dict)]
        return [f"{kind}={n}" for n in names if kind and n]
    kind = None
    names: list[str] = []
    in_devices = False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith((" ", "-")):
            key, _, value = line.partition(":")
            in_devices = key.strip() == "devices"
            if key.strip() == "kind":
                kind = value.strip().strip("\"'")
            continue
        # A device's own keys sit two columns in ("- name: x" or "  name: x"); deeper
        # "name" keys belong to nested structures (mounts, hooks).
        m = re.match(r"^(?:- |  )name:\s*[\"']?([^\"'\s]+)", line)
        if in_devices and m:
            names.append(m.group(1))
    return [f"{kind}={n}" for n in names if kind]
