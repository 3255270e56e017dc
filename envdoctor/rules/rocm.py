"""ED05xx: AMD GPUs and ROCm."""

from __future__ import annotations

from collections.abc import Iterator

from envdoctor._util import version_tuple
from envdoctor.report import Severity
from envdoctor.rules._helpers import framework
from envdoctor.rules.base import Category, Context, Issue, rule

# HSA_OVERRIDE_GFX_VERSION values users set to run a consumer card as its supported
# sibling (ROCm reads major.minor.stepping): the RDNA2 family as gfx1030, RDNA3 as gfx1100.
_OVERRIDES = {"gfx103": "10.3.0", "gfx110": "11.0.0", "gfx120": "12.0.0"}


@rule(code="ED0501", name="amd-gpu-target-not-supported-by-rocm",
      title="The AMD GPU's gfx target is not one this ROCm supports",
      severity=Severity.ERROR, category=Category.ROCM_GFX_UNSUPPORTED)
def amd_gpu_target_not_supported_by_rocm(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Each AMD GPU's LLVM target (from the KFD topology or rocm-smi) against the targets
    the installed ROCm release supports, and against a ROCm torch build's target list.

    ## Why it matters
    ROCm's libraries ship code objects only for supported targets: on others, rocBLAS
    and MIOpen fail ("hipErrorNoBinaryForGpu: Unable to find code object for all current
    devices", "Tensile: no matching kernel") although the GPU is listed.

    ## How to fix
    Use a supported GPU or a ROCm release that supports it. As a risky workaround for
    cards of a supported family, `HSA_OVERRIDE_GFX_VERSION` makes ROCm treat the card as
    its supported sibling (e.g. 10.3.0 for RDNA2, 11.0.0 for RDNA3); unsupported by AMD,
    it can crash or give wrong results.

    ## Example
    `Radeon RX 6700 XT is gfx1031; ROCm 6.1 supports gfx908, gfx90a, gfx942, gfx1030, gfx1100.`

    ## References
    - https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/system-requirements.html
    - https://github.com/ROCm/ROCm/issues/1698
    """
    f, kb = ctx.facts, ctx.kb
    release = kb.rocm_release(f.rocm.rocm_version) if f.rocm.rocm_version else None
    supported = (release or {}).get("gfx") or []
    torch = framework(f, "torch")
    torch_gfx = []
    if torch and torch.build == "rocm" and torch.arch_list:
        torch_gfx = torch.arch_list
    override = f.rocm.hsa_override_gfx_version
    for gpu in f.rocm.gpus:
        if not gpu.gfx:
            continue
        problems = []
        if supported and gpu.gfx not in supported:
            problems.append(f"ROCm {f.rocm.rocm_version} supports {', '.join(supported)}")
        if torch_gfx and gpu.gfx not in torch_gfx:
            problems.append(f"torch {torch.version} is built for {', '.join(torch_gfx)}")
        if not problems:
            continue
        sibling = _OVERRIDES.get(gpu.gfx[:6])
        note = None
        fix: list[str] = []
        if override:
            note = (f"HSA_OVERRIDE_GFX_VERSION={override} is set: ROCm treats the card as "
                    "another target. Unsupported by AMD; watch for crashes and wrong results.")
        elif sibling:
            fix = [f"export HSA_OVERRIDE_GFX_VERSION={sibling}"]
            note = ("Risky workaround: makes ROCm treat the card as its supported sibling. "
                    "Unsupported by AMD; it can crash or give wrong results.")
        yield Issue(f"{gpu.name or 'AMD GPU'} is {gpu.gfx}; {'; '.join(problems)}.", fix=fix,
                    fix_note=note, severity=Severity.WARNING if override else None,
                    evidence=[f"rocm.gpus[{gpu.pci_address or gpu.node}].gfx={gpu.gfx}",
                              f"rocm.rocm_version={f.rocm.rocm_version}"])


@rule(code="ED0502", name="rocm-device-files-not-accessible",
      title="The user cannot open /dev/kfd or the GPU render nodes",
      severity=Severity.ERROR, category=Category.PERMISSIONS)
def rocm_device_files_not_accessible(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Read-write access of the examined user to `/dev/kfd` and `/dev/dri/renderD*`.

    ## Why it matters
    ROCm opens both: without access, `rocminfo` says "Unable to open /dev/kfd read-write:
    Permission denied" and frameworks see no GPU.

    ## How to fix
    Add the user to the `render` and `video` groups and log in again; in a container,
    pass the devices and the groups (`--device=/dev/kfd --device=/dev/dri
    --group-add video --group-add render`).

    ## Example
    `ivo cannot open /dev/kfd (crw-rw---- group render).`

    ## References
    - https://rocm.docs.amd.com/projects/install-on-linux/en/latest/install/prerequisites.html
    """
    f = ctx.facts
    denied = [n for n in f.rocm.device_nodes if n.accessible is False]
    if not denied:
        return
    groups = sorted({n.group for n in denied if n.group and n.group != "root"} | {"video"})
    user = f.user.name or "$USER"
    yield Issue(f"{user} cannot open " + ", ".join(f"{n.path} ({n.mode} group {n.group})"
                                                   for n in denied) + ".",
                fix=[f"sudo usermod -aG {','.join(groups)} {user}"],
                fix_note="Log out and in again. In a container: --device=/dev/kfd "
                         "--device=/dev/dri --group-add video --group-add render.",
                evidence=[f"rocm.device_nodes[{n.path}].accessible=false" for n in denied])


@rule(code="ED0503", name="hsa-override-gfx-version-set",
      title="HSA_OVERRIDE_GFX_VERSION makes ROCm treat the GPU as another target",
      severity=Severity.INFO, category=Category.ROCM_GFX_UNSUPPORTED)
def hsa_override_gfx_version_set(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    `HSA_OVERRIDE_GFX_VERSION` in the environment.

    ## Why it matters
    It lets ROCm run code built for one target on another: a common way to use consumer
    cards outside ROCm's list, and unsupported by AMD. Left set on a supported card, or
    pointing at the wrong family, it causes crashes and wrong results.

    ## How to fix
    Keep it only where needed, matching the card's family; unset it on supported GPUs.

    ## Example
    `HSA_OVERRIDE_GFX_VERSION=10.3.0 on a gfx1031 card.`

    ## References
    - https://github.com/ROCm/ROCm/issues/1756
    """
    f = ctx.facts
    override = f.rocm.hsa_override_gfx_version
    if not override:
        return
    targets = ", ".join(g.gfx for g in f.rocm.gpus if g.gfx) or "no AMD GPU found"
    yield Issue(f"HSA_OVERRIDE_GFX_VERSION={override} is set ({targets}).",
                fix_note="Unsupported by AMD; keep it only for a card outside ROCm's list, "
                         "set to its family's supported target.",
                evidence=[f"rocm.hsa_override_gfx_version={override}"])


@rule(code="ED0504", name="torch-rocm-newer-than-system-rocm",
      title="torch's ROCm build is newer than the installed ROCm",
      severity=Severity.WARNING, category=Category.TOOLKIT_MISMATCH)
def torch_rocm_newer_than_system_rocm(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The ROCm version a torch ROCm wheel was built for against the system ROCm.

    ## Why it matters
    The wheel brings most ROCm user-space libraries, but the kernel driver and any
    system libraries it loads must be recent enough: a newer ROCm build on an older
    stack fails to find GPUs or crashes in HIP initialisation.

    ## How to fix
    Install the torch ROCm wheel for the installed ROCm, or upgrade ROCm.

    ## Example
    `torch 2.5.1+rocm6.2 on ROCm 5.7.1.`

    ## References
    - https://rocm.docs.amd.com/projects/install-on-linux/en/latest/install/3rd-party/pytorch-install.html
    """
    f = ctx.facts
    torch = framework(f, "torch")
    system = f.rocm.rocm_version
    if torch is None or torch.build != "rocm" or not torch.rocm_version or not system:
        return
    if version_tuple(torch.rocm_version)[:2] > version_tuple(system)[:2]:
        major_minor = ".".join(map(str, version_tuple(system)[:2]))
        yield Issue(f"torch {torch.version}+{torch.local_tag} is built for ROCm "
                    f"{torch.rocm_version}; the installed ROCm is {system}.",
                    fix=[f"pip install torch --index-url "
                         f"https://download.pytorch.org/whl/rocm{major_minor}"],
                    evidence=[f"frameworks.torch.rocm_version={torch.rocm_version}",
                              f"rocm.rocm_version={system}"])


@rule(code="ED0505", name="amd-gpu-without-compute-driver",
      title="An AMD GPU is installed but the amdgpu driver does not expose it to ROCm",
      severity=Severity.ERROR, category=Category.NO_GPU_DRIVER)
def amd_gpu_without_compute_driver(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    AMD GPUs on the PCI bus with no driver bound, or bound to amdgpu without a KFD
    compute node.

    ## Why it matters
    ROCm talks to GPUs through amdgpu's KFD interface; without it no framework sees the
    GPU.

    ## How to fix
    Install or load the amdgpu driver (ROCm's `amdgpu-dkms` on supported distributions)
    and reboot.

    ## Example
    `Radeon VII at 0000:0d:00.0 has no driver bound.`

    ## References
    - https://rocm.docs.amd.com/projects/install-on-linux/en/latest/
    """
    f = ctx.facts
    if f.rocm.gpus and any(g.source == "kfd" for g in f.rocm.gpus):
        return
    if f.origin.kind.value not in ("live", "recorded"):
        return
    unbound = [p for p in f.rocm.pci_gpus if p.driver is None]
    if unbound:
        yield Issue(", ".join(f"{p.name or p.device_id} at {p.address}" for p in unbound)
                    + ": no driver is bound.",
                    fix=["sudo apt-get install -y amdgpu-dkms", "sudo reboot"]
                    if f.os.distro_id in ("ubuntu", "debian") else ["sudo reboot"],
                    fix_note="amdgpu-dkms comes from AMD's ROCm repository.",
                    evidence=[f"rocm.pci_gpus[{p.address}].driver=None" for p in unbound])
