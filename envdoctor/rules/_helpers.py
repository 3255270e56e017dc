"""Small questions many rules ask of the facts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


PLANNABLE = ("torch", "tensorflow", "jax", "cupy", "onnxruntime")
"""Frameworks the planner can plan for."""


def reboots(facts: Facts) -> bool:
    """Whether installing a driver here is followed by rebooting this system.

    Not under WSL (the Windows host's driver) nor in a container (the host's driver).
    """
    return not (facts.platform.wsl or facts.platform.in_container
                or facts.nvidia.wsl_driver_dir or facts.os.system == "Windows")


def driver_commands(ctx: Context, *wanted: str | None) -> list[str]:
    """Commands that install a driver at least the first of ``wanted`` that every GPU keeps.

    ``wanted`` runs from the best (the full requirement) to the least acceptable (the
    minor-version-compatibility floor). A requirement above the last branch that drives
    one of the GPUs here (R470 for Kepler, R580 for Maxwell to Volta) is skipped: that
    driver would drop the GPU. Empty when no driver both runs it and drives the GPUs.
    """
    caps = [b for b in (ctx.kb.last_branch_for_cc(cc) for _, cc in gpu_ccs(ctx.facts)) if b]
    cap = min(caps, key=version_tuple) if caps else None
    for version in wanted:
        if not version:
            continue
        if cap is not None and version_tuple(version)[:1] > version_tuple(cap)[:1]:
            continue
        command = install_driver_command(ctx, version)
        return [command, "sudo reboot"] if reboots(ctx.facts) else [command]
    return []


def plan_for(ctx: Context, framework: str, spec: str = "") -> Any:  # noqa: ANN401 - a Plan
    """The planner's answer for this machine, or ``None`` when it cannot plan."""
    if framework not in PLANNABLE:
        return None
    from envdoctor.errors import EnvdoctorError  # noqa: PLC0415
    from envdoctor.planner import Request, Target  # noqa: PLC0415

    try:
        return ctx.planner.plan(Request(framework, spec), Target.from_facts(ctx.facts))
    except EnvdoctorError:
        return None


def _replaces(choice: Any, fw: FrameworkFacts | None) -> list[str]:  # noqa: ANN401 - a Choice
    """The uninstall that must come before installing ``choice`` in place of ``fw``.

    pip leaves an installed ``torch==2.5.1`` alone when asked for ``torch==2.5.1`` from
    another CUDA index (the local tag does not count), and CuPy's wheels for different
    CUDA majors are different distributions that overwrite each other.
    """
    if fw is None or choice.framework != fw.name:
        return []
    target = choice.variant if choice.framework == "cupy" else fw.distribution
    if target != fw.distribution or (
            choice.framework == "torch"
            and version_tuple(choice.version) == version_tuple(fw.version)):
        return [f"pip uninstall -y {fw.distribution}"]
    return []


def plan_fix(plan: Any, fw: FrameworkFacts | None = None,  # noqa: ANN401 - a Plan
              ) -> tuple[list[str], str | None]:
    """Commands from a plan: the build that fits, else the driver upgrade that enables one.

    With ``fw`` (the installed build the plan replaces), an uninstall comes first where
    the install alone would leave the old build in place.
    """
    if plan is None:
        return [], None
    if plan.choice is not None:
        note = "; ".join(plan.choice.reasons)
        if plan.choice.conda:
            note += f". With conda instead: {plan.choice.conda}"
        return [*_replaces(plan.choice, fw), plan.choice.pip], note
    if plan.upgrade is not None:
        enables = plan.upgrade.enables
        note = (f"No build of {plan.request} runs on this driver. After upgrading to "
                f"{plan.upgrade.minimum} or newer: {enables.pip}" if enables else None)
        reboot = not (plan.target.wsl or plan.target.in_container
                      or plan.target.system == "Windows")
        return [plan.upgrade.command, *(["sudo reboot"] if reboot else [])], note
    return [], "; ".join(plan.rejected[:3]) or None
