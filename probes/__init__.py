"""Probes: gather facts about a host and nothing else.

:func:`collect` runs every probe in order against a :class:`~envdoctor.host.Host` and
returns one :class:`~envdoctor.facts.Facts`. A probe that fails or crashes is logged in
``Facts.probes`` with its reason; the others still run.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from envdoctor import __version__
from envdoctor.facts import (
    BlasFacts,
    ContainerRuntimeFacts,
    CpuFacts,
    CudaFacts,
    EnvFacts,
    Facts,
    NvidiaFacts,
    Origin,
    OriginKind,
    OsFacts,
    PlatformFacts,
    ProbeRecord,
    PythonFacts,
    ResourcesFacts,
    RocmFacts,
    UserFacts,
)
from envdoctor.host import Host
from envdoctor.probes import (
    blas,
    containers,
    cpu,
    cuda,
    deep,
    envvars,
    frameworks,
    nvidia,
    osinfo,
    platform,
    python_env,
    resources,
    rocm,
    user,
)
from envdoctor.probes.base import run_probe

__all__ = ["collect"]


def collect(host: Host) -> Facts:
    """Run every probe against ``host`` and assemble the facts."""
    records: list[ProbeRecord] = []
    cache: dict[str, Any] = {}

    def run(name: str, fn: Any, default: Any, *args: object) -> Any:  # noqa: ANN401
        return run_probe(host, name, fn, default, records, cache, *args)

    os_facts = run("os", osinfo.probe, OsFacts)
    cpu_facts = run("cpu", cpu.probe, CpuFacts)
    platform_facts = run("platform", platform.probe, PlatformFacts, cpu_facts.hypervisor_flag)
    resources_facts = run("resources", resources.probe, ResourcesFacts)
    user_facts = run("user", user.probe, UserFacts)
    env_facts = run("env", envvars.probe, EnvFacts)
    python_facts = run("python", python_env.probe, PythonFacts)
    blas_facts = run("blas", blas.probe, BlasFacts, python_facts.distributions,
                     python_facts.conda_packages)
    nvidia_facts = run("nvidia", nvidia.probe, NvidiaFacts, platform_facts.wsl)
    conda_prefix = python_facts.prefix if python_facts.environment == "conda" else None
    cuda_facts = run("cuda", cuda.probe, CudaFacts, python_facts.distributions,
                     python_facts.conda_packages, conda_prefix)
    rocm_facts = run("rocm", rocm.probe, RocmFacts)
    framework_facts = run("frameworks", frameworks.probe, list, python_facts.distributions,
                          python_facts.site_packages)
    if any(f.build == "cuda" for f in framework_facts):
        # The ELF and ld.so.cache readers load only when there is a CUDA framework to follow.
        from envdoctor.probes import linkage  # noqa: PLC0415

        loader = run("loader", linkage.probe, list, framework_facts,
                     cuda_facts.ld_library_path)
        cuda_facts = replace(cuda_facts, loader=loader)
    if host.deep:
        framework_facts = run("deep", deep.run, lambda: framework_facts, framework_facts,
                              python_facts.executable)
    container_facts = run("containers", containers.probe, ContainerRuntimeFacts,
                          platform_facts.in_container)
    return Facts(
        envdoctor_version=__version__,
        collected_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        origin=_origin(host),
        os=os_facts,
        platform=platform_facts,
        cpu=cpu_facts,
        resources=resources_facts,
        user=user_facts,
        python=python_facts,
        blas=blas_facts,
        env=env_facts,
        nvidia=nvidia_facts,
        cuda=cuda_facts,
        rocm=rocm_facts,
        frameworks=framework_facts,
        containers=container_facts,
        probes=records,
    )


def _origin(host: Host) -> Origin:
    if host.kind == "root":
        return Origin(kind=OriginKind.ROOT, root=str(host.root),
                      note="file-system tree: nothing was run, running-kernel facts are unknown")
    if host.kind == "recorded":
        return Origin(kind=OriginKind.RECORDED, root=str(host.root))
    return Origin(kind=OriginKind.LIVE)
