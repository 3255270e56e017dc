"""Small questions many rules ask of the facts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envdoctor._util import major_minor, version_tuple
from envdoctor.facts import Facts, FrameworkFacts

if TYPE_CHECKING:
    from envdoctor.rules.base import Context


def framework(facts: Facts, name: str) -> FrameworkFacts | None:
    """The installed framework called ``name`` (the first one, by distribution name)."""
    return next((f for f in facts.frameworks if f.name == name), None)


def driver(facts: Facts) -> str | None:
    """The NVIDIA driver programs will use: user space first, else the kernel module."""
    return facts.nvidia.userspace_version or facts.nvidia.kernel_module_version


def has_nvidia(facts: Facts) -> bool:
    """An NVIDIA GPU is present (on the bus or reported by the driver)."""
    return bool(facts.nvidia.gpus or facts.nvidia.pci_gpus)


def nvidia_works(facts: Facts) -> bool:
    """The driver reports GPUs: a CUDA program would find them."""
    return bool(facts.nvidia.gpus)


def has_amd(facts: Facts) -> bool:
    """An AMD GPU is present."""
    return bool(facts.rocm.gpus or facts.rocm.pci_gpus)


def gpu_ccs(facts: Facts) -> list[tuple[str, str]]:
    """(name, compute capability) of each NVIDIA GPU that has one."""
    found = [(g.name or "GPU", g.compute_capability) for g in facts.nvidia.gpus
             if g.compute_capability]
    if not found:
        found = [(p.name or p.device_id, p.compute_capability) for p in facts.nvidia.pci_gpus
                 if p.compute_capability]
    return [(n, cc) for n, cc in found if cc]


def python_mm(facts: Facts) -> str | None:
    """The examined Python's major.minor."""
    return major_minor(facts.python.version)


def version_at_least(version: str | None, minimum: tuple[int, ...]) -> bool:
    """Whether ``version`` is at least ``minimum`` (False when unknown)."""
    return bool(version) and version_tuple(version) >= minimum


def install_driver_command(ctx: Context, at_least: str | None = None) -> str:
    """The command that installs the driver to move to on this machine's OS.

    That is the newest production branch that still drives every GPU here, or
    ``at_least`` (a branch or a driver version) when that is newer.
    """
    from envdoctor.planner import Target, driver_install_command  # noqa: PLC0415 - fixes only

    branch = ctx.kb.recommended_branch([cc for _, cc in gpu_ccs(ctx.facts)])
    if at_least and version_tuple(at_least)[:1] > version_tuple(branch)[:1]:
        branch = str(version_tuple(at_least)[0])
    return driver_install_command(branch, Target.from_facts(ctx.facts))
