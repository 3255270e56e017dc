"""ED05xx: AMD GPUs and ROCm."""

from __future__ import annotations

import re
from collections.abc import Iterator

from envdoctor._util import version_tuple
from envdoctor.compat import gfx_override
from envdoctor.facts import AmdGpu, Facts, FrameworkFacts
from envdoctor.report import Severity
from envdoctor.rules._helpers import framework
from envdoctor.rules.base import Category, Context, Issue, rule

_GFX = re.compile(r"^gfx(\d+)([0-9a-f])([0-9a-f])$")
_GENERIC = re.compile(r"^gfx(\d+)(?:-([0-9a-f]))?-generic$")
_OVERRIDE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def _family(gfx: str | None) -> tuple[int, int] | None:
    """(major, minor) of an LLVM target: ``gfx1031`` → (10, 3), ``gfx90a`` → (9, 0)."""
    m = _GFX.match(gfx or "")
    return (int(m.group(1)), int(m.group(2), 16)) if m else None


def _override_target(value: str | None) -> str | None:
    """The target ``HSA_OVERRIDE_GFX_VERSION`` names: ``10.3.0`` → ``gfx1030``, ``9.0.10`` →
    ``gfx90a``; ``None`` when it is not major.minor.stepping.
    """
    m = _OVERRIDE.match((value or "").strip())
    if not m:
        return None
    major, minor, stepping = (int(g) for g in m.groups())
    if minor > 15 or stepping > 15:
        return None
    return f"gfx{major}{minor:x}{stepping:x}"


def _covers(targets: list[str], gfx: str) -> bool:
    """Whether a build for ``targets`` has code for ``gfx`` (exactly, or a generic target
    of its family: ``gfx10-3-generic`` covers gfx1030-gfx1036).
    """
    if gfx in targets:
        return True
    family = _family(gfx)
    for target in targets:
        m = _GENERIC.match(target)
        if m and family and int(m.group(1)) == family[0] and (
                m.group(2) is None or int(m.group(2), 16) == family[1]):
            return True
    return False


class _Support:
    """The gfx targets this machine's ROCm and torch ROCm build are known to support."""

    def __init__(self, ctx: Context) -> None:
        f, kb = ctx.facts, ctx.kb
        self.rocm_version = f.rocm.rocm_version
        release = kb.rocm_release(f.rocm.rocm_version) if f.rocm.rocm_version else None
        # A row with status "gap" lists only part of the release's GPUs (or none): a target
        # missing from it says nothing.
        self.rocm: list[str] = []
        if release and release.get("status") != "gap":
            self.rocm = list(release.get("gfx") or [])
        torch = framework(f, "torch")
        self.torch: FrameworkFacts | None = None
        if torch and torch.build == "rocm" and torch.arch_list:
            self.torch = torch

    @property
    def known(self) -> bool:
        return bool(self.rocm or self.torch)

    def problems(self, gfx: str) -> list[str]:
        """Why ``gfx`` is not supported here (empty when it is, or when nothing is known)."""
        found = []
        if self.rocm and gfx not in self.rocm:
            found.append(f"ROCm {self.rocm_version} supports {', '.join(self.rocm)}")
        if self.torch and not _covers(self.torch.arch_list, gfx):
            found.append(f"torch {self.torch.version} is built for "
                         f"{', '.join(self.torch.arch_list)}")
        return found


def _newer_rocm_supporting(ctx: Context, gfx: str, current: str | None) -> str | None:
    """The oldest ROCm release newer than ``current`` that the knowledge base lists as
    supporting ``gfx``.
    """
    have = version_tuple(current)[:2]
    rows = [r for r in ctx.kb.table("rocm")["releases"]
            if r.get("status") != "gap" and gfx in (r.get("gfx") or [])
            and version_tuple(r["rocm"])[:2] > have]
    return min((r["rocm"] for r in rows), key=version_tuple, default=None)


def _gpu_ref(gpu: AmdGpu) -> str:
    return str(gpu.pci_address or gpu.node)


@rule(code="ED0501", name="amd-gpu-target-not-supported-by-rocm",
      title="The AMD GPU's gfx target is not one this ROCm supports",
      severity=Severity.ERROR, category=Category.ROCM_GFX_UNSUPPORTED)
def amd_gpu_target_not_supported_by_rocm(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Each AMD GPU's LLVM target (from the KFD topology or rocm-smi) against the targets
    the installed ROCm release officially supports (where the knowledge base has the
    release's full list), and against a ROCm torch build's target list. When
    `HSA_OVERRIDE_GFX_VERSION` is set, whether it runs the GPU as a supported target of
    its own family.

    ## Why it matters
    ROCm's libraries ship code objects only for supported targets: on others, rocBLAS
    and MIOpen fail ("hipErrorNoBinaryForGpu: Unable to find code object for all current
    devices", "Tensile: no matching kernel") although the GPU is listed.

    ## How to fix
    Use a supported GPU or a ROCm release that supports it. As a risky workaround for
    cards of a supported family, `HSA_OVERRIDE_GFX_VERSION` makes ROCm treat the card as
    its supported sibling (e.g. 10.3.0 for RDNA2, 11.0.0 for RDNA3); unsupported by AMD,
    it can crash or give wrong results. With that override in place the finding is a
    warning that labels the workaround; an override of another family, or one naming an
    unsupported target, does not help and leaves it an error.

    ## Example
    `Radeon RX 6700 XT is gfx1031; ROCm 6.1.2 supports gfx908, gfx90a, gfx942, gfx1030,
    gfx1100.`

    ## References
    - https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/system-requirements.html
    - https://github.com/ROCm/ROCm/issues/1698
    """
    f = ctx.facts
    support = _Support(ctx)
    if not support.known:
        return
    override = f.rocm.hsa_override_gfx_version
    runs_as = _override_target(override)
    for gpu in f.rocm.gpus:
        if not gpu.gfx:
            continue
        problems = support.problems(gpu.gfx)
        if not problems:
            continue
        message = f"{gpu.name or 'AMD GPU'} is {gpu.gfx}; {'; '.join(problems)}."
        evidence = [f"rocm.gpus[{_gpu_ref(gpu)}].gfx={gpu.gfx}",
                    f"rocm.rocm_version={f.rocm.rocm_version}"]
        if support.torch:
            evidence.append(f"frameworks.torch.arch_list={','.join(support.torch.arch_list)}")
        if runs_as:
            evidence.append(f"rocm.hsa_override_gfx_version={override}")
            same_family = _family(runs_as) == _family(gpu.gfx)
            if same_family and not support.problems(runs_as):
                yield Issue(
                    f"{message} HSA_OVERRIDE_GFX_VERSION={override} runs it as {runs_as}.",
                    fix_note="A workaround AMD does not support: code built for another "
                             "member of the family usually runs, but some kernels can crash "
                             "or give wrong results. Only a supported GPU is a real fix.",
                    severity=Severity.WARNING, evidence=evidence)
                continue
            why = ("another GPU family: expect crashes" if not same_family
                   else "which is not supported either")
            message += f" HSA_OVERRIDE_GFX_VERSION={override} runs it as {runs_as}, {why}."
        sibling = gfx_override(gpu.gfx)
        fix: list[str] = []
        notes = []
        if sibling and not support.problems(sibling[0]):
            fix = [f"export HSA_OVERRIDE_GFX_VERSION={sibling[1]}"]
            notes.append(f"Risky workaround: makes ROCm treat the card as {sibling[0]}, the "
                         "supported member of its family. Unsupported by AMD; it can crash "
                         "or give wrong results.")
        newer = _newer_rocm_supporting(ctx, gpu.gfx, support.rocm_version)
        if newer and support.rocm and gpu.gfx not in support.rocm:
            notes.append(f"ROCm {newer} supports {gpu.gfx}.")
        if not fix and support.torch and not _covers(support.torch.arch_list, gpu.gfx):
            notes.append(f"Install a torch ROCm build that includes {gpu.gfx} "
                         "(`envdoctor plan torch` picks one).")
        if not notes:
            notes.append(f"No newer ROCm release envdoctor knows supports {gpu.gfx}: only a "
                         "supported GPU is a real fix.")
        yield Issue(message, fix=fix, fix_note=" ".join(notes) or None, evidence=evidence)


@rule(code="ED0502", name="rocm-device-files-not-accessible",
      title="The user cannot open /dev/kfd or the GPU render nodes",
      severity=Severity.ERROR, category=Category.PERMISSIONS)
def rocm_device_files_not_accessible(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Read-write access of the examined user to `/dev/kfd` and `/dev/dri/renderD*`; for
    the fix, whether the user is already in the nodes' groups (then only the session is
    older than the membership) and whether this is a container.

    ## Why it matters
    ROCm opens both: without access, `rocminfo` says "Unable to open /dev/kfd read-write:
    Permission denied" and frameworks see no GPU.

    ## How to fix
    Add the user to the `render` and `video` groups and log in again (a user already in
    them only needs to log in again); in a container, pass the devices and the groups
    (`--device=/dev/kfd --device=/dev/dri --group-add video --group-add <host render gid>`).

    ## Example
    `ivo cannot open /dev/kfd (crw-rw---- group render).`

    ## References
    - https://rocm.docs.amd.com/projects/install-on-linux/en/latest/install/prerequisites.html
    """
    f = ctx.facts
    denied = [n for n in f.rocm.device_nodes if n.accessible is False]
    if not denied:
        return
    user = f.user.name or "$USER"
    message = f"{user} cannot open " + ", ".join(
        f"{n.path} ({n.mode or '?'} group {n.group or '?'})" for n in denied) + "."
    evidence = [f"rocm.device_nodes[{n.path}].accessible=false" for n in denied]
    # The host's render group id: an image may have no render group, or another id for it.
    flags = ("--device=/dev/kfd --device=/dev/dri --group-add video "
             "--group-add $(getent group render | cut -d: -f3)")
    if f.platform.in_container:
        runtime = f.platform.container_runtime
        engine = runtime if runtime in ("docker", "podman") else "docker"
        yield Issue(message + " Inside a container the devices and groups are given at start.",
                    fix=[f"{engine} run {flags} <image> …"],
                    fix_note="Run it on the host: getent gives the host's render group id, "
                             "which the image may not know by name. Rootless podman: "
                             "--group-add keep-groups. Kubernetes: the AMD GPU device plugin "
                             "(resources.limits amd.com/gpu).",
                    evidence=evidence)
        return
    groups = sorted({n.group for n in denied if n.group and n.group != "root"} | {"video"})
    missing = [g for g in groups if g not in f.user.groups]
    if missing:
        yield Issue(message, fix=[f"sudo usermod -aG {','.join(missing)} {user}"],
                    fix_note="Log out and in again: group changes apply to new sessions.",
                    evidence=evidence)
    else:
        yield Issue(message + f" {user} is in {', '.join(groups)}, but this session started "
                              "before being added.",
                    fix_note="Log out and in again (or reboot) so the session gets the groups.",
                    evidence=[*evidence, f"user.groups={','.join(f.user.groups)}"])


@rule(code="ED0503", name="hsa-override-gfx-version-set",
      title="HSA_OVERRIDE_GFX_VERSION makes ROCm treat the GPU as another target",
      severity=Severity.WARNING, category=Category.ROCM_GFX_UNSUPPORTED)
def hsa_override_gfx_version_set(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    `HSA_OVERRIDE_GFX_VERSION` in the environment, against the AMD GPUs: a value that is
    not major.minor.stepping, an override on a GPU that ROCm (or the torch build) already
    supports, and one that runs a GPU as another family. A supported GPU's family run as
    that family's supported member is ED0501's to report; where envdoctor cannot tell
    what is supported, the override is reported for information.

    ## Why it matters
    It lets ROCm run code built for one target on another: a common way to use consumer
    cards outside ROCm's list, and unsupported by AMD. Left set on a supported card, or
    pointing at the wrong family, it makes ROCm load code for a different instruction
    set: crashes, hangs and wrong results.

    ## How to fix
    Keep it only where needed, matching the card's family; unset it on supported GPUs
    (and remove it from the shell profile or service environment that sets it).

    ## Example
    `Radeon RX 7900 XTX is gfx1100, which ROCm 6.1.2 supports; HSA_OVERRIDE_GFX_VERSION=10.3.0
    makes ROCm run gfx1030 code on it, another GPU family.`

    ## References
    - https://github.com/ROCm/ROCm/issues/1756
    """
    f = ctx.facts
    override = f.rocm.hsa_override_gfx_version
    if not override:
        return
    evidence = [f"rocm.hsa_override_gfx_version={override}"]
    runs_as = _override_target(override)
    if runs_as is None:
        yield Issue(f"HSA_OVERRIDE_GFX_VERSION={override} is not a major.minor.stepping "
                    "version (such as 10.3.0): it does not name a GPU target.",
                    fix=["unset HSA_OVERRIDE_GFX_VERSION"],
                    fix_note="Where a workaround is needed, set it to the family's supported "
                             "target (10.3.0 for RDNA2, 11.0.0 for RDNA3).",
                    evidence=evidence)
        return
    gpus = {g.gfx: g for g in reversed(f.rocm.gpus) if g.gfx}
    if not gpus:
        yield Issue(f"HSA_OVERRIDE_GFX_VERSION={override} is set, but no AMD GPU was found.",
                    fix_note="It has no effect without an AMD GPU.", severity=Severity.INFO,
                    evidence=evidence)
        return
    support = _Support(ctx)
    for gfx, gpu in sorted(gpus.items()):
        if gfx == runs_as or (support.known and support.problems(gfx)):
            continue  # no effect, or ED0501 reports this GPU with the override
        name = gpu.name or "AMD GPU"
        other_family = _family(runs_as) != _family(gfx)
        where = [*evidence, f"rocm.gpus[{_gpu_ref(gpu)}].gfx={gfx}"]
        unset = ["unset HSA_OVERRIDE_GFX_VERSION"]
        unset_note = "Also remove it where it is set (shell profile, service environment)."
        if support.known:
            by = (f"ROCm {support.rocm_version}" if support.rocm
                  else f"torch {support.torch.version if support.torch else ''}")
            yield Issue(f"{name} is {gfx}, which {by} supports; HSA_OVERRIDE_GFX_VERSION="
                        f"{override} makes ROCm run {runs_as} code on it"
                        + (", another GPU family." if other_family else "."),
                        fix=unset, fix_note=unset_note,
                        severity=Severity.ERROR if other_family else Severity.WARNING,
                        evidence=where)
        elif other_family:
            sibling = gfx_override(gfx)
            yield Issue(f"HSA_OVERRIDE_GFX_VERSION={override} makes ROCm run {runs_as} code on "
                        f"{name} ({gfx}), another GPU family: expect crashes and wrong "
                        "results.",
                        fix=[f"export HSA_OVERRIDE_GFX_VERSION={sibling[1]}"] if sibling
                        else unset,
                        fix_note=(f"{sibling[1]} runs it as {sibling[0]}, its family's "
                                  "supported member (a workaround AMD does not support)."
                                  if sibling else unset_note),
                        evidence=where)
        else:
            yield Issue(f"HSA_OVERRIDE_GFX_VERSION={override} is set: ROCm runs {name} ({gfx}) "
                        f"as {runs_as}.",
                        fix_note="A workaround AMD does not support: fine while the card is "
                                 "outside ROCm's list, risky (crashes, wrong results) and "
                                 "needless once it is supported.",
                        severity=Severity.INFO, evidence=where)


def _wheel_for(ctx: Context, torch: FrameworkFacts, system: str) -> tuple[str, str] | None:
    """(torch version, variant) of the newest torch ROCm wheel for the system ROCm or older:
    the installed release first, else the newest older release that has one.
    """
    kb = ctx.kb
    have = version_tuple(system)[:2]
    installed = version_tuple(torch.version)[:2]
    rows = sorted((r for r in kb.released("torch")
                   if version_tuple(r["torch"])[:2] <= installed),
                  key=lambda r: version_tuple(r["torch"]), reverse=True)
    for row in rows:
        variants = [(name, v["rocm"]) for name, v in row.get("variants", {}).items()
                    if v.get("rocm") and version_tuple(v["rocm"])[:2] <= have]
        if not variants:
            continue
        variant = max(variants, key=lambda nv: version_tuple(nv[1]))[0]
        same = version_tuple(row["torch"])[:2] == installed
        return (torch.version if same and torch.version else row["latest"]), variant
    return None


@rule(code="ED0504", name="torch-rocm-newer-than-system-rocm",
      title="torch's ROCm build is newer than the installed ROCm",
      severity=Severity.WARNING, category=Category.TOOLKIT_MISMATCH)
def torch_rocm_newer_than_system_rocm(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The ROCm version a torch ROCm wheel was built for against the system ROCm (major and
    minor).

    ## Why it matters
    The wheel brings most ROCm user-space libraries, but the kernel driver and any
    system libraries it loads must be recent enough: a newer ROCm build on an older
    stack fails to find GPUs or crashes in HIP initialisation.

    ## How to fix
    Install the torch ROCm wheel for the installed ROCm (the fix pins the same torch
    version where it was built for it, else the newest older torch that was), or upgrade
    ROCm.

    ## Example
    `torch 2.5.1+rocm6.2 is built for ROCm 6.2; the installed ROCm is 6.1.2.`

    ## References
    - https://rocm.docs.amd.com/projects/install-on-linux/en/latest/install/3rd-party/pytorch-install.html
    - https://pytorch.org/get-started/previous-versions/
    """
    f = ctx.facts
    torch = framework(f, "torch")
    system = f.rocm.rocm_version
    if torch is None or torch.build != "rocm" or not torch.rocm_version or not system:
        return
    if version_tuple(torch.rocm_version)[:2] <= version_tuple(system)[:2]:
        return
    label = f"torch {torch.version}" + (f"+{torch.local_tag}" if torch.local_tag else "")
    wheel = _wheel_for(ctx, torch, system)
    fix = []
    note = f"Or upgrade ROCm to {torch.rocm_version} or newer."
    if wheel:
        version, variant = wheel
        fix = [f"pip install torch=={version}+{variant} "
               f"--index-url {ctx.kb.torch_index_url(variant)}"]
        note = ("Reinstall torchvision and torchaudio from the same index. " + note)
    yield Issue(f"{label} is built for ROCm {torch.rocm_version}; the installed ROCm is "
                f"{system}.", fix=fix, fix_note=note,
                evidence=[f"frameworks.torch.rocm_version={torch.rocm_version}",
                          f"rocm.rocm_version={system}"])


def _dkms_install(f: Facts) -> list[str]:
    """Commands installing AMD's amdgpu-dkms on distributions AMD's repository serves."""
    family = {(f.os.distro_id or "").lower(), *(d.lower() for d in f.os.distro_like)}
    if family & {"ubuntu", "debian"}:
        install = "sudo apt-get install -y amdgpu-dkms"
    elif family & {"rhel", "centos", "rocky", "almalinux", "ol"}:
        install = "sudo dnf install -y amdgpu-dkms"
    elif family & {"sles", "suse", "opensuse-leap"}:
        install = "sudo zypper install -y amdgpu-dkms"
    else:
        return []
    return [install, "sudo reboot"]


@rule(code="ED0505", name="amd-gpu-without-compute-driver",
      title="An AMD GPU is installed but the amdgpu driver does not expose it to ROCm",
      severity=Severity.ERROR, category=Category.NO_GPU_DRIVER)
def amd_gpu_without_compute_driver(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    On a machine examined live (or a recorded one), AMD GPUs on the PCI bus with no
    driver bound, or bound to amdgpu while there is neither a KFD topology node for any
    GPU nor `/dev/kfd` (outside containers, which may be started without `/dev/kfd`).

    ## Why it matters
    ROCm talks to GPUs through amdgpu's KFD interface; without it no framework sees the
    GPU.

    ## How to fix
    Load the amdgpu driver (`sudo modprobe amdgpu`; `dmesg` says why it does not bind:
    missing firmware, a kernel too old for the GPU, `nomodeset`, a blacklist), or install
    AMD's `amdgpu-dkms` (from AMD's ROCm repository, on the distributions it supports)
    and reboot. Without KFD, use a kernel built with `CONFIG_HSA_AMD` (amdgpu-dkms
    provides it).

    ## Example
    `Radeon VII at 0000:0d:00.0: no driver is bound.`

    ## References
    - https://rocm.docs.amd.com/projects/install-on-linux/en/latest/
    - https://docs.kernel.org/gpu/amdgpu/index.html
    """
    f = ctx.facts
    if any(g.source == "kfd" for g in f.rocm.gpus):
        return
    if f.origin.kind.value not in ("live", "recorded"):
        return
    dkms_note = "amdgpu-dkms comes from AMD's ROCm repository (amdgpu-install)."
    unbound = [p for p in f.rocm.pci_gpus if p.driver is None]
    if unbound:
        names = ", ".join(f"{p.name or p.device_id} at {p.address}" for p in unbound)
        evidence = [f"rocm.pci_gpus[{p.address}].driver=None" for p in unbound]
        if f.rocm.amdgpu_loaded is False:
            yield Issue(f"{names}: no driver is bound, and the amdgpu module is not loaded.",
                        fix=["sudo modprobe amdgpu"],
                        fix_note="If it fails or the GPU stays unbound, `sudo dmesg | grep -i "
                                 "amdgpu` says why (missing firmware, nomodeset, a blacklist). "
                                 + dkms_note,
                        evidence=[*evidence, "rocm.amdgpu_loaded=false"])
        else:
            yield Issue(f"{names}: no driver is bound.", fix=_dkms_install(f),
                        fix_note="`sudo dmesg | grep -i amdgpu` says why amdgpu does not take "
                                 "it (a kernel too old for the GPU, missing firmware). "
                                 + dkms_note,
                        evidence=evidence)
        return
    if f.platform.in_container is not False:
        return
    if any(n.path == "/dev/kfd" for n in f.rocm.device_nodes):
        return
    bound = [p for p in f.rocm.pci_gpus if p.driver == "amdgpu"]
    if bound:
        names = ", ".join(f"{p.name or p.device_id} at {p.address}" for p in bound)
        yield Issue(f"{names}: amdgpu drives it, but the kernel exposes no compute interface "
                    "(no /dev/kfd, no KFD topology).", fix=_dkms_install(f),
                    fix_note="The kernel was built without CONFIG_HSA_AMD: use one built with "
                             "it (distribution kernels are) or AMD's amdgpu-dkms. "
                             + dkms_note,
                    evidence=[*(f"rocm.pci_gpus[{p.address}].driver=amdgpu" for p in bound),
                              "rocm.device_nodes: no /dev/kfd"])
