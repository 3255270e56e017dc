"""ED02xx: the NVIDIA driver and GPUs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from envdoctor._util import lazy_re, version_tuple
from envdoctor.report import Severity
from envdoctor.rules._helpers import driver, gpu_ccs, install_driver_command
from envdoctor.rules.base import Category, Context, Issue, rule

if TYPE_CHECKING:
    from envdoctor.facts import Facts, NvidiaGpu

_NO_COMMUNICATION = ("couldn't communicate with the NVIDIA driver", "Driver Not Loaded",
                     "driver not loaded", "Failed to initialize NVML: Unknown Error",
                     "No devices were found")
_LOST = ("GPU is lost", "Unable to determine the device handle", "GPU has fallen off")
# What envdoctor's NVML adapter records when one GPU's handle cannot be had ("GPU 0: …").
_NVML_GPU_LOST = lazy_re(r"^GPU \d+: (Unknown Error|GPU is lost|GPU requires reset)")
_PCI_VENDOR = {"nvidia": "10de", "amd": "1002"}
_NOTE_SPLIT = lazy_re(r"; (?=CUDA_[A-Z_]+[ =:])")


def _no_communication(error: str) -> bool:
    """An nvidia-smi/NVML error that says the driver does not answer at all."""
    return error.strip() == "Unknown Error" or any(t in error for t in _NO_COMMUNICATION)


def _communication_error(f: Facts) -> str | None:
    """The first nvidia-smi/NVML error saying the driver does not answer (ED0211's case)."""
    nv = f.nvidia
    errors = [e for e in (nv.smi_error, nv.nvml_error) if e]
    text = " ".join(errors)
    if nv.gpus or "version mismatch" in text or any(t in text for t in _LOST):
        return None
    return next((e for e in errors if _no_communication(e)), None)


def _nouveau_holds_gpus(f: Facts) -> bool:
    """Whether nouveau drives an NVIDIA GPU, or is loaded while no driver drives any."""
    nv = f.nvidia
    if any(p.driver == "nouveau" for p in nv.pci_gpus):
        return True
    return bool(nv.nouveau_loaded and nv.pci_gpus and not nv.gpus
                and all(p.driver is None for p in nv.pci_gpus))


def _initramfs_command(f: Facts) -> str:
    """The command that rebuilds the initramfs on this distribution."""
    family = {(f.os.distro_id or "").lower(), *(d.lower() for d in f.os.distro_like)}
    if family & {"ubuntu", "debian", "pop", "linuxmint"}:
        return "sudo update-initramfs -u"
    if family & {"arch", "manjaro", "endeavouros"}:
        return "sudo mkinitcpio -P"
    return "sudo dracut --force"


def _bus(address: str | None) -> tuple[int, str] | None:
    """A PCI address as (domain, bus:device.function), for sysfs and NVML spellings alike."""
    if not address or address.count(":") != 2:
        return None
    domain, rest = address.lower().split(":", 1)
    try:
        return int(domain, 16), rest
    except ValueError:
        return None


def _undriven_ccs(f: Facts) -> list[tuple[str, str]]:
    """(name, compute capability) of the NVIDIA GPUs the driver does not report.

    A GPU the driver lists is driven, whatever the tables say about its first driver.
    """
    nv = f.nvidia
    if not nv.gpus:
        return gpu_ccs(f)
    driven = {_bus(g.pci_bus_id) for g in nv.gpus}
    if None in driven:  # a reported GPU without a bus id: cannot tell which are missing
        return []
    return [(p.name or p.device_id, p.compute_capability) for p in nv.pci_gpus
            if p.compute_capability and _bus(p.address) not in driven]


def _driver_older_than_gpu(ctx: Context) -> tuple[str, str, str, str, str] | None:
    """The GPU the loaded driver is too old for, if any (the one needing the newest driver).

    As (GPU name, compute capability, first CUDA, minimum driver, this driver).
    """
    f = ctx.facts
    version = f.nvidia.kernel_module_version or f.nvidia.userspace_version
    if not version or f.nvidia.wsl_driver_dir:
        return None
    worst: tuple[str, str, str, str, str] | None = None
    for name, cc in _undriven_ccs(f):
        need = ctx.kb.min_driver_for_cc(cc)
        if need and version_tuple(version) < version_tuple(need[1]) and (
                worst is None or version_tuple(need[1]) > version_tuple(worst[3])):
            worst = (name, cc, *need, version)
    return worst


def _cvd_reasons(note: str | None) -> list[str]:
    """The parts of ``nvidia.visible_note`` about CUDA_VISIBLE_DEVICES.

    Each without the ``CUDA_VISIBLE_DEVICES='…': `` prefix the probe puts on it.
    """
    reasons = []
    # The probe joins its notes with "; ", which also occurs inside one ("(0-1); CUDA …").
    for part in _NOTE_SPLIT.compiled().split(note or ""):
        if part.startswith("CUDA_VISIBLE_DEVICES="):
            reasons.append(part.split(": ", 1)[-1])
    return reasons


def _existing_entries(raw: str, gpus: list[NvidiaGpu]) -> list[str]:
    """The entries of a CUDA_VISIBLE_DEVICES value that name a GPU, in their order."""
    uuids = [g.uuid for g in gpus if g.uuid]
    kept: list[str] = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry or entry in kept:
            continue
        if entry.lstrip("-").isdigit():
            ok = 0 <= int(entry) < len(gpus)
        elif entry.startswith("MIG-"):
            ok = True
        else:
            prefix = entry if entry.startswith("GPU-") else f"GPU-{entry}"
            ok = not uuids or sum(u.startswith(prefix) for u in uuids) == 1
        if ok:
            kept.append(entry)
    return kept


@rule(code="ED0201", name="nvidia-gpu-without-driver",
      title="An NVIDIA GPU is installed but no NVIDIA driver drives it",
      severity=Severity.ERROR, category=Category.NO_GPU_DRIVER)
def nvidia_gpu_without_driver(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    NVIDIA GPUs on the PCI bus with no kernel driver bound to them, while no NVIDIA
    kernel module is loaded. It leaves to ED0211 a driver that is installed but whose
    nvidia-smi says it cannot reach the module, and to ED0202 a machine where nouveau
    is loaded.

    ## Why it matters
    Without the driver, CUDA finds no device: every framework falls back to the CPU or
    fails with "no CUDA-capable device is detected".

    ## How to fix
    Install the NVIDIA driver for your distribution (the fix names the newest production
    branch that drives these GPUs) and reboot. When the user-space driver is already
    installed and only its module is missing, rebuild the module (`sudo dkms
    autoinstall`) and reboot instead. In a container, this is the host's job.

    ## Example
    `GeForce RTX 4090 at 0000:01:00.0: no driver is bound and no nvidia kernel module is
    loaded.`

    ## References
    - https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/
    - https://ubuntu.com/server/docs/nvidia-drivers-installation
    """
    f = ctx.facts
    nv = f.nvidia
    if nv.gpus or nv.kernel_module_version or nv.kernel_module_loaded or nv.wsl_driver_dir:
        return
    unbound = [p for p in nv.pci_gpus if p.driver is None]
    if not unbound or _communication_error(f) or _nouveau_holds_gpus(f):
        return  # ED0211 / ED0202 say what is wrong, with the fix for that case
    names = ", ".join(f"{p.name or p.device_id} at {p.address}" for p in unbound)
    evidence = [f"nvidia.pci_gpus[{p.address}].driver=None" for p in unbound]
    message = f"{names}: no driver is bound and no nvidia kernel module is loaded"
    if f.platform.in_container:
        yield Issue(message + ".", fix=[install_driver_command(ctx)],
                    fix_note="A container uses the host's kernel driver: install it on the "
                             "host and reboot the host.", evidence=evidence)
    elif nv.userspace_version:
        yield Issue(f"{message}, though the user-space driver {nv.userspace_version} is "
                    "installed.", fix=["sudo dkms autoinstall", "sudo reboot"],
                    fix_note="If the module still does not load, reinstall the driver "
                             "package; with Secure Boot on, the module must be signed "
                             "('mokutil --sb-state').",
                    evidence=[*evidence, "nvidia.userspace_version"])
    else:
        yield Issue(message + ".", fix=[install_driver_command(ctx), "sudo reboot"],
                    evidence=evidence)


@rule(code="ED0202", name="nouveau-drives-the-nvidia-gpu",
      title="The open-source nouveau driver drives the NVIDIA GPU; CUDA needs NVIDIA's",
      severity=Severity.ERROR, category=Category.NO_GPU_DRIVER)
def nouveau_drives_the_nvidia_gpu(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    An NVIDIA GPU bound to `nouveau`, or `nouveau` loaded while no driver drives any of
    the NVIDIA GPUs. nouveau loaded beside GPUs that the NVIDIA driver (or vfio-pci)
    holds is harmless and not reported.

    ## Why it matters
    nouveau is a display driver without CUDA. While it holds the GPU the NVIDIA module
    cannot bind to it, so CUDA sees no device even after the NVIDIA driver is installed.

    ## How to fix
    Blacklist nouveau, rebuild the initramfs (`update-initramfs`, `mkinitcpio` or
    `dracut`, by distribution), install the NVIDIA driver if it is missing, and reboot.
    The NVIDIA driver packages usually install the blacklist themselves. In a container
    the GPU and its driver are the host's: do this on the host.

    ## Example
    `GeForce RTX 4060 Max-Q / Mobile at 0000:01:00.0 is driven by nouveau, which has no
    CUDA.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#disabling-nouveau
    """
    f = ctx.facts
    if not _nouveau_holds_gpus(f):
        return
    on_nouveau = [p for p in f.nvidia.pci_gpus if p.driver == "nouveau"]
    if on_nouveau:
        where = ", ".join(f"{p.name or p.device_id} at {p.address}" for p in on_nouveau)
        message = (f"{where} {'is' if len(on_nouveau) == 1 else 'are'} driven by nouveau, "
                   "which has no CUDA.")
        evidence = [f"nvidia.pci_gpus[{p.address}].driver=nouveau" for p in on_nouveau]
    else:
        where = ", ".join(f"{p.name or p.device_id} at {p.address}" for p in f.nvidia.pci_gpus)
        message = (f"nouveau is loaded and no driver drives {where}; nouveau has no CUDA and "
                   "can take the GPU before NVIDIA's driver.")
        evidence = ["nvidia.nouveau_loaded=true",
                    *(f"nvidia.pci_gpus[{p.address}].driver=None" for p in f.nvidia.pci_gpus)]
    fix = ['printf "blacklist nouveau\\noptions nouveau modeset=0\\n" | '
           "sudo tee /etc/modprobe.d/blacklist-nouveau.conf", _initramfs_command(f)]
    if not (f.nvidia.kernel_module_version or f.nvidia.kernel_module_loaded):
        fix.append(install_driver_command(ctx))
    fix.append("sudo reboot")
    note = ("A container uses the host's kernel drivers: run these on the host."
            if f.platform.in_container else None)
    yield Issue(message, fix=fix, fix_note=note, evidence=evidence)


@rule(code="ED0203", name="driver-kernel-module-and-user-space-differ",
      title="The NVIDIA kernel module and user-space driver are different versions",
      severity=Severity.ERROR, category=Category.DRIVER_USERSPACE_MISMATCH)
def driver_kernel_module_and_user_space_differ(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The loaded kernel module's version (`/proc/driver/nvidia/version`,
    `/sys/module/nvidia/version`) against the user-space driver's (NVML,
    `libnvidia-ml.so.*`), and nvidia-smi's "Driver/library version mismatch".

    ## Why it matters
    After a driver upgrade the old module stays loaded until a reboot; NVML and CUDA
    refuse to talk to it ("Failed to initialize NVML: Driver/library version mismatch",
    CUDA error 803/804) until then.

    ## How to fix
    Reboot. Where that is impossible, stop every GPU process (and
    `nvidia-persistenced`) and reload the modules. In a container the module is the
    host's: reboot the host, or, if the image installs its own NVIDIA driver libraries,
    remove them so that the runtime's copies of the host's are used.

    ## Example
    `The loaded kernel module is 580.173.02, the user-space driver is 580.178: nvidia-smi
    says 'Driver/library version mismatch'.`

    ## References
    - https://forums.developer.nvidia.com/t/failed-to-initialize-nvml-driver-library-version-mismatch/190421
    """
    nv = ctx.facts.nvidia
    kernel, user = nv.kernel_module_version, nv.userspace_version
    mismatch_text = any("version mismatch" in (e or "") for e in (nv.smi_error, nv.nvml_error))
    if nv.wsl_driver_dir:
        return
    if not (mismatch_text or (kernel and user and kernel != user)):
        return
    message = (f"The loaded kernel module is {kernel or 'unknown'}, the user-space driver is "
               f"{user or 'unknown'}" + (": nvidia-smi says 'Driver/library version mismatch'"
                                         if mismatch_text else "") + ".")
    evidence = ["nvidia.kernel_module_version", "nvidia.userspace_version"]
    if ctx.facts.platform.in_container:
        yield Issue(message, fix_note="The kernel module is the host's. If the host's driver "
                    "was upgraded, reboot the host; if this image installs its own NVIDIA "
                    "driver libraries (libnvidia-ml, libcuda), remove them so the container "
                    "runtime's copies of the host's are used.", evidence=evidence)
        return
    yield Issue(message, fix=["sudo reboot"],
                fix_note="Without a reboot: stop every process using the GPU and "
                         "nvidia-persistenced, then 'sudo rmmod nvidia_uvm nvidia_drm "
                         "nvidia_modeset nvidia && sudo modprobe nvidia' (nvidia_drm cannot "
                         "be removed while a desktop runs on the GPU).",
                evidence=evidence)


@rule(code="ED0204", name="cuda-visible-devices-hides-every-gpu",
      title="CUDA_VISIBLE_DEVICES hides every GPU", severity=Severity.ERROR,
      category=Category.CONFIG)
def cuda_visible_devices_hides_every_gpu(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    `CUDA_VISIBLE_DEVICES` applied to the GPUs the driver reports, as the CUDA runtime
    applies it.

    ## Why it matters
    An empty value, `-1`, or an invalid first entry leaves CUDA with no device: the
    framework says "CUDA is not available" though `nvidia-smi` lists the GPUs.

    ## How to fix
    Unset it, or list the GPUs by index or UUID (`nvidia-smi -L` prints them).

    ## Example
    `CUDA_VISIBLE_DEVICES='-1' hides all 2 GPUs: -1 is not a GPU index (0-1); CUDA ignores
    it and every entry after it.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-c-programming-guide/#env-vars
    """
    nv = ctx.facts.nvidia
    value = ctx.facts.env.variables.get("CUDA_VISIBLE_DEVICES")
    if not nv.gpus or nv.visible_devices != [] or value is None:
        return
    hides = "the GPU" if len(nv.gpus) == 1 else f"all {len(nv.gpus)} GPUs"
    if not value.strip():
        why = "an empty value leaves CUDA no device"
    else:
        why = next(iter(_cvd_reasons(nv.visible_note)), "")
    yield Issue(f"CUDA_VISIBLE_DEVICES={value!r} hides {hides}" + (f": {why}" if why else "")
                + ".", fix=["unset CUDA_VISIBLE_DEVICES"],
                evidence=[f"env.CUDA_VISIBLE_DEVICES={value!r}", "nvidia.visible_devices=[]"])


@rule(code="ED0205", name="cuda-visible-devices-entry-ignored",
      title="CUDA_VISIBLE_DEVICES has an entry CUDA stops at", severity=Severity.WARNING,
      category=Category.CONFIG)
def cuda_visible_devices_entry_ignored(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Entries of `CUDA_VISIBLE_DEVICES` that name no GPU (an index past the last GPU, an
    unknown UUID, an empty entry).

    ## Why it matters
    CUDA stops reading the list at the first such entry: the GPUs after it are silently
    invisible.

    ## How to fix
    List only GPUs that exist (`nvidia-smi -L`): the fix keeps every entry that names a
    GPU, in its order, and drops the others.

    ## Example
    `CUDA_VISIBLE_DEVICES='0,5,1': 5 is not a GPU index (0-1); CUDA ignores it and every
    entry after it.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-c-programming-guide/#env-vars
    """
    nv = ctx.facts.nvidia
    value = ctx.facts.env.variables.get("CUDA_VISIBLE_DEVICES")
    if not nv.gpus or not nv.visible_devices or value is None:
        return
    stop = next((r for r in _cvd_reasons(nv.visible_note)
                 if "ignores it" in r or "stops the list" in r), None)
    if stop is None:
        return
    # Keep what the user listed that exists (in CUDA's numbering, as written): re-exporting
    # only what CUDA sees now would change nothing.
    kept = ",".join(_existing_entries(value, nv.gpus))
    yield Issue(f"CUDA_VISIBLE_DEVICES={value!r}: {stop}.",
                fix=[f"export CUDA_VISIBLE_DEVICES={kept}"],
                evidence=[f"env.CUDA_VISIBLE_DEVICES={value!r}", "nvidia.visible_note"])


@rule(code="ED0206", name="mig-enabled-without-instances",
      title="MIG is enabled on a GPU with no MIG instances: CUDA sees nothing on it",
      severity=Severity.WARNING, category=Category.CONFIG)
def mig_enabled_without_instances(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    GPUs in MIG mode without any GPU instance, and MIG mode changes waiting for a reset.

    ## Why it matters
    With MIG enabled, CUDA can only use MIG instances; a MIG-enabled GPU without any
    offers nothing. MIG instances do not survive a reboot or a GPU reset, so a MIG GPU
    that nothing reconfigures at boot comes back like this. A pending mode change does
    nothing until the GPU is reset.

    ## How to fix
    List the GPU's instance profiles (`nvidia-smi mig -i <gpu> -lgip`) and create
    instances (`nvidia-smi mig -i <gpu> -cgi <profiles> -C`), and have them recreated
    at boot (nvidia-mig-parted, or the GPU Operator's MIG manager); or disable MIG
    (`nvidia-smi -i <gpu> -mig 0`) to use the whole GPU. A pending change needs a GPU
    reset (`nvidia-smi -i <gpu> -r`) with no process on the GPU.

    ## Example
    `GPU 0 (NVIDIA A100-SXM4-80GB) has MIG enabled and no MIG instances: CUDA sees nothing
    on it.`

    ## References
    - https://docs.nvidia.com/datacenter/tesla/mig-user-guide/
    """
    for g in ctx.facts.nvidia.gpus:
        if g.mig_mode == "Enabled" and not g.mig_devices:
            evidence = [f"nvidia.gpus[{g.index}].mig_mode=Enabled",
                        f"nvidia.gpus[{g.index}].mig_devices=[]"]
            if g.mig_pending == "Disabled":
                yield Issue(f"GPU {g.index} ({g.name}) has MIG enabled and no MIG instances; "
                            "MIG is switched off only at the next GPU reset.",
                            fix=[f"sudo nvidia-smi -i {g.index} -r"],
                            fix_note="Stop every process on the GPU first.",
                            evidence=[*evidence, f"nvidia.gpus[{g.index}].mig_pending=Disabled"])
                continue
            # The profiles a GPU offers depend on its model and memory (1g.5gb on an A100
            # 40GB, 1g.10gb on 80GB boards): list them rather than guess one.
            yield Issue(f"GPU {g.index} ({g.name}) has MIG enabled and no MIG instances: CUDA "
                        "sees nothing on it.",
                        fix=[f"sudo nvidia-smi mig -i {g.index} -lgip",
                             f"sudo nvidia-smi mig -i {g.index} -cgi <profile>[,<profile>…] -C"],
                        fix_note="MIG instances do not survive a reboot: recreate them at boot "
                                 "(nvidia-mig-parted). To use the whole GPU instead, disable "
                                 f"MIG: 'sudo nvidia-smi -i {g.index} -mig 0'.",
                        evidence=evidence)
        elif g.mig_pending and g.mig_mode and g.mig_pending != g.mig_mode:
            yield Issue(f"GPU {g.index} ({g.name}): MIG mode changes to {g.mig_pending} only "
                        "after a GPU reset.", fix=[f"sudo nvidia-smi -i {g.index} -r"],
                        severity=Severity.INFO,
                        evidence=[f"nvidia.gpus[{g.index}].mig_pending={g.mig_pending}"])


@rule(code="ED0207", name="gpu-compute-mode-prohibited",
      title="A GPU is in Prohibited compute mode: no process may use it",
      severity=Severity.ERROR, category=Category.CONFIG)
def gpu_compute_mode_prohibited(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Each GPU's compute mode.

    ## Why it matters
    In Prohibited mode no CUDA context can be created on the GPU; frameworks report it
    as busy or unavailable ("all CUDA-capable devices are busy or unavailable").

    ## How to fix
    Set it back to Default (needs root).

    ## Example
    `GPU 1 (Tesla T4) is in Prohibited compute mode.`

    ## References
    - https://docs.nvidia.com/deploy/nvidia-smi/ (-c, --compute-mode)
    """
    for g in ctx.facts.nvidia.gpus:
        if g.compute_mode == "Prohibited":
            yield Issue(f"GPU {g.index} ({g.name}) is in Prohibited compute mode.",
                        fix=[f"sudo nvidia-smi -i {g.index} -c DEFAULT"],
                        evidence=[f"nvidia.gpus[{g.index}].compute_mode=Prohibited"])


@rule(code="ED0208", name="gpu-retired-pages-pending",
      title="A GPU has memory pages waiting to be retired", severity=Severity.WARNING,
      category=Category.HARDWARE)
def gpu_retired_pages_pending(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Pending page retirement (Pascal/Volta) or row remapping (Ampere and newer) reported
    by each GPU.

    ## Why it matters
    The GPU found memory errors; the bad memory is taken out of service only at the next
    reset, and until then jobs can hit the same errors. Repeated retirement means the
    board should be replaced.

    ## How to fix
    Drain the GPU and reset it (or reboot), then watch the counts.

    ## Example
    `GPU 3 (NVIDIA A100-SXM4-40GB) has pending page retirements.`

    ## References
    - https://docs.nvidia.com/deploy/dynamic-page-retirement/
    - https://docs.nvidia.com/deploy/a100-gpu-mem-error-mgmt/
    """
    for g in ctx.facts.nvidia.gpus:
        if g.retired_pages_pending:
            yield Issue(f"GPU {g.index} ({g.name}) has memory pages or rows waiting to be "
                        "retired at the next reset.", fix=[f"sudo nvidia-smi -i {g.index} -r"],
                        fix_note="Stop the jobs on it first; if it keeps happening, have the "
                                 "board checked.",
                        evidence=[f"nvidia.gpus[{g.index}].retired_pages_pending=true"])


@rule(code="ED0209", name="gpu-bound-to-vfio",
      title="A GPU is bound to vfio-pci: it is reserved for a virtual machine",
      severity=Severity.INFO, category=Category.NO_GPU_DRIVER)
def gpu_bound_to_vfio(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    GPUs bound to `vfio-pci` (NVIDIA and AMD).

    ## Why it matters
    A GPU set aside for passthrough cannot be used on this host; that is intended on a
    hypervisor, and a surprise elsewhere.

    ## How to fix
    If this host should use it, remove the GPU's vendor:device id (`10de:2236`) from the
    vfio-pci configuration (an `options vfio-pci ids=` line in `/etc/modprobe.d`, or
    `vfio-pci.ids=` on the kernel command line), rebuild the initramfs and reboot.

    ## Example
    `A10 at 0000:65:00.0 is bound to vfio-pci: reserved for a virtual machine, unusable
    here.`

    ## References
    - https://docs.kernel.org/driver-api/vfio.html
    """
    f = ctx.facts
    gpus = [*(("nvidia", p) for p in f.nvidia.pci_gpus), *(("rocm", p) for p in f.rocm.pci_gpus)]
    for section, p in gpus:
        if p.driver == "vfio-pci":
            pci_id = f"{_PCI_VENDOR.get(p.vendor, p.vendor)}:{p.device_id}"
            yield Issue(f"{p.name or p.device_id} at {p.address} is bound to vfio-pci: "
                        "reserved for a virtual machine, unusable here.",
                        fix_note="Intended on a passthrough host. To use it here instead, "
                                 f"remove {pci_id} from the vfio-pci ids ('options vfio-pci "
                                 "ids=' in /etc/modprobe.d, or vfio-pci.ids= on the kernel "
                                 f"command line), then '{_initramfs_command(f)}' and reboot.",
                        evidence=[f"{section}.pci_gpus[{p.address}].driver=vfio-pci"])


@rule(code="ED0210", name="nvidia-device-files-not-accessible",
      title="The user cannot open the NVIDIA device files", severity=Severity.ERROR,
      category=Category.PERMISSIONS)
def nvidia_device_files_not_accessible(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Read-write access of the examined user to `/dev/nvidia*` (mode, owner, groups).

    ## Why it matters
    CUDA opens these files; without access it reports no device ("CUDA driver
    initialization failed") although root sees the GPUs.

    ## How to fix
    Where the owning group may read and write the files, add the user to that group and
    log in again. Otherwise set the driver's device-file mode (`NVreg_DeviceFileMode`,
    0666 is the driver's default) so everyone may open them, and reload the driver.

    ## Example
    `bob cannot open /dev/nvidia0 (crw-rw---- group video), /dev/nvidiactl (crw-rw----
    group video).`

    ## References
    - https://download.nvidia.com/XFree86/Linux-x86_64/latest/README/faq.html
    """
    f = ctx.facts
    denied = [n for n in f.nvidia.device_nodes if n.accessible is False]
    if not denied:
        return
    # Joining the group helps only where the group itself may read and write.
    groups = sorted({n.group for n in denied if n.group and n.group != "root"
                     and (n.mode or "")[4:6] == "rw"})
    user = f.user.name or "$USER"
    message = f"{user} cannot open " + ", ".join(f"{n.path} ({n.mode} group {n.group})"
                                                 for n in denied) + "."
    evidence = [f"nvidia.device_nodes[{n.path}].accessible=false" for n in denied]
    if groups:
        yield Issue(message, fix=[f"sudo usermod -aG {','.join(groups)} {user}"],
                    fix_note="Log out and in again for the group to take effect.",
                    evidence=evidence)
        return
    yield Issue(message, fix=["echo 'options nvidia NVreg_DeviceFileMode=0666' | "
                              "sudo tee /etc/modprobe.d/nvidia-device-mode.conf",
                              _initramfs_command(f), "sudo reboot"],
                fix_note="No group may open the files: give them the driver's default mode "
                         "(0666) back.", evidence=evidence)


@rule(code="ED0211", name="nvidia-driver-not-answering",
      title="The NVIDIA driver is installed but does not answer", severity=Severity.ERROR,
      category=Category.NO_GPU_DRIVER)
def nvidia_driver_not_answering(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    nvidia-smi's and NVML's errors when no GPU is listed: "couldn't communicate with the
    NVIDIA driver", "Driver Not Loaded", "No devices were found", NVML "Unknown Error".
    Under WSL 2 with a Linux driver library installed inside the distribution, ED0604
    says why instead; a GPU newer than the driver is ED0215's.

    ## Why it matters
    Most often the kernel was upgraded and the driver's module was not rebuilt for it
    (DKMS), so the module cannot load. "No devices were found" means the module loaded
    but could not bring up any GPU (the kernel log says why: Resizable BAR / Above 4G
    decoding off, a fault). In a container, "Unknown Error" after a
    `systemctl daemon-reload` on the host means the container lost its device access.

    ## How to fix
    Rebuild and load the module (`sudo dkms autoinstall`, or reinstall the driver
    package) and reboot. For "No devices were found", read the kernel log
    (`dmesg | grep NVRM`). In a container, restart the container, or fix the host's
    driver; under WSL 2, update the Windows driver.

    ## Example
    `nvidia-smi: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.`

    ## References
    - https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/
    - https://github.com/NVIDIA/nvidia-container-toolkit/issues/48
    """
    f = ctx.facts
    nv = f.nvidia
    error = _communication_error(f)
    if error is None:
        return
    evidence = ["nvidia.smi_error" if error == nv.smi_error else "nvidia.nvml_error"]
    unknown = error.strip().endswith("Unknown Error")
    if nv.wsl_driver_dir or f.platform.wsl == 2:
        if nv.shadowing_libraries:
            return  # ED0604: a Linux driver library inside WSL hides the Windows driver's
        fix = [install_driver_command(ctx)]
        note = ("WSL 2 uses the Windows driver; after updating it, run 'wsl --shutdown' in "
                "Windows and reopen the distribution.")
    elif f.platform.in_container:
        if unknown:
            fix = ["docker restart <container>"]
            note = ("If the host ran 'systemctl daemon-reload', the container lost its GPU "
                    "access; restart it (newer toolkits: run it with CDI devices).")
        else:
            fix = []
            note = ("A container uses the host's driver: run nvidia-smi on the host; if it "
                    "fails there too, rebuild the module there ('sudo dkms autoinstall') and "
                    "reboot the host.")
    elif "No devices were found" in error:
        if _driver_older_than_gpu(ctx):
            return  # ED0215: the driver does not know this GPU
        fix = ["sudo dmesg | grep -i nvrm"]
        note = ("The nvidia module is loaded but brought up no GPU; the kernel log says why "
                "(RmInitAdapter failed: Resizable BAR / Above 4G decoding off in the firmware, "
                "a GPU fault).")
    elif unknown:
        fix = ["sudo dmesg | grep -i -e nvrm -e xid", "sudo reboot"]
        note = "If it returns after a reboot, look at the kernel log's NVRM lines."
    else:
        fix = ["sudo dkms autoinstall", "sudo reboot"]
        note = ("If the module still fails to load, reinstall the driver package; with "
                "Secure Boot on, the module must be signed ('mokutil --sb-state').")
    yield Issue(error, fix=fix, fix_note=note, evidence=evidence)


@rule(code="ED0212", name="mixed-gpus-numbered-fastest-first",
      title="Mixed GPUs: CUDA numbers them differently from nvidia-smi",
      severity=Severity.INFO, category=Category.CONFIG)
def mixed_gpus_numbered_fastest_first(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Different GPU models in one machine without `CUDA_DEVICE_ORDER=PCI_BUS_ID`.

    ## Why it matters
    CUDA's default order is "fastest first", nvidia-smi's is PCI bus order: `cuda:0` may
    be a different GPU than nvidia-smi's GPU 0, and `CUDA_VISIBLE_DEVICES=0` may select
    the other card.

    ## How to fix
    Set `CUDA_DEVICE_ORDER=PCI_BUS_ID` so both agree.

    ## Example
    `CUDA numbers Tesla T4 and NVIDIA H100 fastest first.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-c-programming-guide/#env-vars
    """
    note = ctx.facts.nvidia.visible_note or ""
    if "fastest first" in note:
        names = sorted({g.name or "?" for g in ctx.facts.nvidia.gpus})
        yield Issue(f"CUDA numbers {' and '.join(names)} fastest first, not in nvidia-smi's "
                    "order.", fix=["export CUDA_DEVICE_ORDER=PCI_BUS_ID"],
                    evidence=["nvidia.visible_note"])


@rule(code="ED0213", name="driver-branch-past-end-of-life",
      title="The NVIDIA driver branch is past its end of life", severity=Severity.WARNING,
      category=Category.DRIVER_TOO_OLD)
def driver_branch_past_end_of_life(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The driver's branch against its end-of-life month in the knowledge base, as of the
    date the facts were collected.

    ## Why it matters
    An end-of-life branch gets no security or bug fixes, and new CUDA releases and
    framework builds will not run on it.

    ## How to fix
    Move to a supported production branch (the newest one that still drives these
    GPUs). Where no newer branch drives them, the GPUs themselves are out of support.

    ## Example
    `Driver 535.86.05 (branch 535) reached end of life in 2026-06.`

    ## References
    - https://docs.nvidia.com/datacenter/tesla/drivers/supported-drivers-and-cuda-toolkit-versions.html
    """
    f = ctx.facts
    version = driver(f)
    if not version or not f.collected_at or f.nvidia.wsl_driver_dir:
        return
    row = ctx.kb.driver_branch(version)
    eol = (row or {}).get("end_of_life")
    if not (eol and f.collected_at[:7] > eol):
        return
    source = "userspace_version" if f.nvidia.userspace_version else "kernel_module_version"
    evidence = [f"nvidia.{source}={version}", f"collected_at={f.collected_at}"]
    message = f"Driver {version} (branch {row['branch']}) reached end of life in {eol}."
    ccs = gpu_ccs(f)
    best = ctx.kb.recommended_branch([cc for _, cc in ccs])
    if version_tuple(best)[:1] > version_tuple(version)[:1]:
        yield Issue(message, fix=[install_driver_command(ctx)], evidence=evidence)
        return
    capped = sorted({n for n, cc in ccs if ctx.kb.last_branch_for_cc(cc)})
    if capped:
        # The GPUs themselves are out of support: no newer branch drives them.
        yield Issue(message, fix_note=f"No newer driver branch supports these GPUs "
                    f"({', '.join(capped)}); {row['branch']} is their last. Plan to replace "
                    "them.", evidence=evidence)
    else:
        yield Issue(message, fix_note="This envdoctor knows no newer production branch; "
                    "install the current one from NVIDIA "
                    "(https://www.nvidia.com/Download/index.aspx).", evidence=evidence)


@rule(code="ED0214", name="gpu-lost",
      title="A GPU has fallen off the bus or stopped answering", severity=Severity.ERROR,
      category=Category.HARDWARE)
def gpu_lost(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    nvidia-smi and NVML errors that say a GPU is lost ("GPU is lost", "Unable to
    determine the device handle …: Unknown Error"), and NVML failing to open one GPU with
    "Unknown Error", "GPU is lost" or "GPU requires reset".

    ## Why it matters
    The driver lost contact with the GPU (an Xid 79 "fallen off the bus", power or
    thermal trouble, a PCIe fault). Nothing can use it until it is reset, usually by a
    reboot.

    ## How to fix
    Reboot; check `dmesg` / `journalctl -k` for Xid errors; if it recurs, check power,
    cooling and the PCIe slot, or have the board replaced.

    ## Example
    `Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error`

    ## References
    - https://docs.nvidia.com/deploy/xid-errors/
    """
    nv = ctx.facts.nvidia
    for error in (nv.smi_error, nv.nvml_error):
        if error and (any(t in error for t in _LOST) or _NVML_GPU_LOST.match(error)):
            yield Issue(error, fix=["sudo dmesg | grep -i xid", "sudo reboot"],
                        evidence=["nvidia.smi_error" if error == nv.smi_error
                                  else "nvidia.nvml_error"])
            return


@rule(code="ED0215", name="driver-older-than-gpu",
      title="The NVIDIA driver is older than this GPU: it cannot drive it",
      severity=Severity.ERROR, category=Category.DRIVER_TOO_OLD)
def driver_older_than_gpu(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The compute capability of each NVIDIA GPU the driver does not report against the
    driver: NVIDIA adds a GPU generation in the driver released with the first CUDA that
    builds for it (Hopper and Ada with CUDA 11.8 and R520, Blackwell with CUDA 12.8 and
    R570). A GPU the driver lists is driven, whatever its version.

    ## Why it matters
    An older driver does not recognise the GPU: the kernel log says "The NVIDIA GPU …
    installed in this system is not supported by the NVIDIA 535.xx driver release",
    nvidia-smi says "No devices were found", and every framework sees no GPU. Typical
    after dropping an RTX 50 card into a machine set up for an older one.

    ## How to fix
    Install a driver at least as new as the one named (the fix picks the current
    production branch), then reboot.

    ## Example
    `GeForce RTX 5090 (compute capability 12.0) needs driver >= 570.26 (the first with
    CUDA 12.8); this one is 535.86.05.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/ (Table 3)
    - https://docs.nvidia.com/cuda/cuda-c-programming-guide/#compute-capabilities
    """
    f = ctx.facts
    worst = _driver_older_than_gpu(ctx)
    if worst is None:
        return
    name, cc, cuda, minimum, version = worst
    source = ("nvidia.kernel_module_version" if f.nvidia.kernel_module_version
              else "nvidia.userspace_version")
    message = (f"{name} (compute capability {cc}) needs driver >= {minimum} (the first with "
               f"CUDA {cuda}); this one is {version}.")
    if f.platform.in_container:
        yield Issue(message, fix=[install_driver_command(ctx, minimum)],
                    fix_note="A container uses the host's driver: upgrade it on the host and "
                             "reboot the host.", evidence=[f"{source}={version}"])
        return
    yield Issue(message, fix=[install_driver_command(ctx, minimum), "sudo reboot"],
                evidence=[f"{source}={version}"])
