"""ED02xx: the NVIDIA driver and GPUs."""

from __future__ import annotations

from collections.abc import Iterator

from envdoctor._util import version_tuple
from envdoctor.report import Severity
from envdoctor.rules._helpers import driver, gpu_ccs, has_nvidia, install_driver_command
from envdoctor.rules.base import Category, Context, Issue, rule

_NO_COMMUNICATION = ("couldn't communicate with the NVIDIA driver", "Driver Not Loaded",
                     "driver not loaded", "Failed to initialize NVML: Unknown Error",
                     "No devices were found")
_LOST = ("GPU is lost", "Unable to determine the device handle", "GPU has fallen off")


@rule(code="ED0201", name="nvidia-gpu-without-driver",
      title="An NVIDIA GPU is installed but no NVIDIA driver drives it",
      severity=Severity.ERROR, category=Category.NO_GPU_DRIVER)
def nvidia_gpu_without_driver(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    NVIDIA GPUs on the PCI bus with no kernel driver bound to them, while no NVIDIA
    kernel module is loaded.

    ## Why it matters
    Without the driver, CUDA finds no device: every framework falls back to the CPU or
    fails with "no CUDA-capable device is detected".

    ## How to fix
    Install the NVIDIA driver for your distribution (the fix names a current production
    branch) and reboot.

    ## Example
    `GeForce RTX 4090 at 0000:01:00.0 has no driver bound, and no nvidia module is loaded.`

    ## References
    - https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/
    - https://ubuntu.com/server/docs/nvidia-drivers-installation
    """
    f = ctx.facts
    if f.nvidia.gpus or f.nvidia.kernel_module_version or f.nvidia.wsl_driver_dir:
        return
    unbound = [p for p in f.nvidia.pci_gpus if p.driver is None]
    if not unbound:
        return
    names = ", ".join(f"{p.name or p.device_id} at {p.address}" for p in unbound)
    yield Issue(f"{names}: no driver is bound and no nvidia kernel module is loaded.",
                fix=[install_driver_command(ctx), "sudo reboot"],
                evidence=[f"nvidia.pci_gpus[{p.address}].driver=None" for p in unbound])


@rule(code="ED0202", name="nouveau-drives-the-nvidia-gpu",
      title="The open-source nouveau driver drives the NVIDIA GPU; CUDA needs NVIDIA's",
      severity=Severity.ERROR, category=Category.NO_GPU_DRIVER)
def nouveau_drives_the_nvidia_gpu(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    An NVIDIA GPU bound to `nouveau`, or `nouveau` loaded beside NVIDIA GPUs.

    ## Why it matters
    nouveau is a display driver without CUDA. While it holds the GPU the NVIDIA module
    cannot bind to it, so CUDA sees no device even after the NVIDIA driver is installed.

    ## How to fix
    Blacklist nouveau, rebuild the initramfs, install the NVIDIA driver and reboot. The
    NVIDIA driver packages usually install the blacklist themselves.

    ## Example
    `GeForce RTX 4060 Max-Q / Mobile at 0000:01:00.0 is driven by nouveau.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#disabling-nouveau
    """
    f = ctx.facts
    on_nouveau = [p for p in f.nvidia.pci_gpus if p.driver == "nouveau"]
    if not on_nouveau and not (f.nvidia.nouveau_loaded and has_nvidia(f)
                               and not f.nvidia.gpus):
        return
    where = ", ".join(f"{p.name or p.device_id} at {p.address}" for p in on_nouveau) or \
        "the NVIDIA GPUs"
    fix = ['printf "blacklist nouveau\\noptions nouveau modeset=0\\n" | '
           "sudo tee /etc/modprobe.d/blacklist-nouveau.conf"]
    fix.append("sudo update-initramfs -u" if f.os.distro_id in ("ubuntu", "debian", "pop")
               else "sudo dracut --force")
    if not f.nvidia.kernel_module_version:
        fix.append(install_driver_command(ctx))
    fix.append("sudo reboot")
    yield Issue(f"{where} {'is' if len(on_nouveau) == 1 else 'are'} driven by nouveau, which "
                "has no CUDA.", fix=fix,
                evidence=[f"nvidia.pci_gpus[{p.address}].driver=nouveau" for p in on_nouveau]
                or ["nvidia.nouveau_loaded=true"])


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
    Reboot. Where that is impossible, stop every GPU process and reload the modules.

    ## Example
    `Kernel module 580.173.02, user-space 580.178.`

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
    yield Issue(f"The loaded kernel module is {kernel or 'unknown'}, the user-space driver is "
                f"{user or 'unknown'}" + (": nvidia-smi says 'Driver/library version mismatch'"
                                          if mismatch_text else "") + ".",
                fix=["sudo reboot"],
                fix_note="Without a reboot: stop every process using the GPU, then "
                         "'sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia && "
                         "sudo modprobe nvidia'.",
                evidence=["nvidia.kernel_module_version", "nvidia.userspace_version"])


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
    `CUDA_VISIBLE_DEVICES='' hides both GPUs.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-c-programming-guide/#env-vars
    """
    nv = ctx.facts.nvidia
    value = ctx.facts.env.variables.get("CUDA_VISIBLE_DEVICES")
    if nv.gpus and nv.visible_devices == [] and value is not None:
        yield Issue(f"CUDA_VISIBLE_DEVICES={value!r} hides all {len(nv.gpus)} GPU(s)."
                    + (f" {nv.visible_note}." if nv.visible_note else ""),
                    fix=["unset CUDA_VISIBLE_DEVICES"],
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
    List only GPUs that exist (`nvidia-smi -L`).

    ## Example
    `CUDA_VISIBLE_DEVICES='0,5,1': 5 is not a GPU index (0-1); CUDA ignores it and every
    entry after it.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-c-programming-guide/#env-vars
    """
    nv = ctx.facts.nvidia
    note = nv.visible_note or ""
    if nv.gpus and nv.visible_devices and ("ignores it" in note or "stops the list" in note):
        visible = ",".join(nv.visible_devices)
        yield Issue(note + ".", fix=[f"export CUDA_VISIBLE_DEVICES={visible}"],
                    evidence=["env.CUDA_VISIBLE_DEVICES", "nvidia.visible_note"])


@rule(code="ED0206", name="mig-enabled-without-instances",
      title="MIG is enabled on a GPU with no MIG instances: CUDA sees nothing on it",
      severity=Severity.WARNING, category=Category.CONFIG)
def mig_enabled_without_instances(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    GPUs in MIG mode without any GPU instance, and MIG mode changes waiting for a reset.

    ## Why it matters
    With MIG enabled, CUDA can only use MIG instances; a MIG-enabled GPU without any
    offers nothing. A pending mode change does nothing until the GPU is reset.

    ## How to fix
    Create instances (`nvidia-smi mig -cgi <profiles> -C`) or disable MIG
    (`nvidia-smi -mig 0`), then reset the GPU.

    ## Example
    `GPU 0 (NVIDIA A100-SXM4-80GB) has MIG enabled and no MIG instances.`

    ## References
    - https://docs.nvidia.com/datacenter/tesla/mig-user-guide/
    """
    for g in ctx.facts.nvidia.gpus:
        if g.mig_mode == "Enabled" and not g.mig_devices:
            yield Issue(f"GPU {g.index} ({g.name}) has MIG enabled and no MIG instances.",
                        fix=[f"sudo nvidia-smi mig -i {g.index} -cgi 1g.10gb -C",
                             f"sudo nvidia-smi -i {g.index} -mig 0"],
                        fix_note="Either create instances (pick profiles with "
                                 "'nvidia-smi mig -lgip') or disable MIG; not both.",
                        evidence=[f"nvidia.gpus[{g.index}].mig_mode=Enabled"])
        elif g.mig_pending and g.mig_pending != g.mig_mode:
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
    If this host should use it, remove the GPU's id from the vfio-pci configuration
    (`/etc/modprobe.d/vfio.conf`, the kernel command line) and reboot.

    ## Example
    `A10 at 0000:65:00.0 is bound to vfio-pci.`

    ## References
    - https://docs.kernel.org/driver-api/vfio.html
    """
    gpus = [*ctx.facts.nvidia.pci_gpus, *ctx.facts.rocm.pci_gpus]
    for p in gpus:
        if p.driver == "vfio-pci":
            yield Issue(f"{p.name or p.device_id} at {p.address} is bound to vfio-pci: "
                        "reserved for a virtual machine, unusable here.",
                        fix_note="Intended on a passthrough host. Otherwise remove "
                                 f"{p.vendor} id from the vfio-pci ids and reboot.",
                        evidence=[f"pci_gpus[{p.address}].driver=vfio-pci"])


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
    Add the user to the group that owns the files and log in again, or fix the
    driver's device-file mode (`NVreg_DeviceFileMode`) so everyone may open them.

    ## Example
    `/dev/nvidia0 is crw-rw---- root:video and bob is not in video.`

    ## References
    - https://download.nvidia.com/XFree86/Linux-x86_64/latest/README/faq.html
    """
    f = ctx.facts
    denied = [n for n in f.nvidia.device_nodes if n.accessible is False]
    if not denied:
        return
    groups = sorted({n.group for n in denied if n.group and n.group != "root"})
    user = f.user.name or "$USER"
    fix = [f"sudo usermod -aG {','.join(groups)} {user}"] if groups else []
    yield Issue(f"{user} cannot open " + ", ".join(f"{n.path} ({n.mode} group {n.group})"
                                                   for n in denied) + ".",
                fix=fix, fix_note="Log out and in again for the group to take effect."
                if groups else "The files are root-only: set NVreg_DeviceFileMode=0666 in "
                "/etc/modprobe.d and reload the driver.",
                evidence=[f"nvidia.device_nodes[{n.path}].accessible=false" for n in denied])


@rule(code="ED0211", name="nvidia-driver-not-answering",
      title="The NVIDIA driver is installed but does not answer", severity=Severity.ERROR,
      category=Category.NO_GPU_DRIVER)
def nvidia_driver_not_answering(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    nvidia-smi's and NVML's errors when no GPU is listed: "couldn't communicate with the
    NVIDIA driver", "Driver Not Loaded", "No devices were found", NVML "Unknown Error".

    ## Why it matters
    Most often the kernel was upgraded and the driver's module was not rebuilt for it
    (DKMS), so the module cannot load. In a container, "Unknown Error" after a
    `systemctl daemon-reload` on the host means the container lost its device access.

    ## How to fix
    Rebuild and load the module (`sudo dkms autoinstall`, or reinstall the driver
    package) and reboot; in a container, restart the container.

    ## Example
    `nvidia-smi: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.`

    ## References
    - https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/
    - https://github.com/NVIDIA/nvidia-container-toolkit/issues/48
    """
    f = ctx.facts
    nv = f.nvidia
    errors = [e for e in (nv.smi_error, nv.nvml_error) if e]
    text = " ".join(errors)
    if nv.gpus or not errors or "version mismatch" in text or any(t in text for t in _LOST):
        return
    if not any(t in text for t in _NO_COMMUNICATION):
        return
    if f.platform.in_container:
        fix = ["docker restart <container>"]
        note = ("Inside a container: if the host ran 'systemctl daemon-reload', the container "
                "lost its GPU access; restart it (newer toolkits: run with CDI).")
    else:
        fix = ["sudo dkms autoinstall", "sudo reboot"]
        note = "If the module still fails to load, reinstall the driver package."
    yield Issue(f"{errors[0]}", fix=fix, fix_note=note,
                evidence=["nvidia.smi_error" if nv.smi_error else "nvidia.nvml_error"])


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
    Move to a supported production branch.

    ## Example
    `Driver 470.223.02 (branch 470) reached end of life in 2024-09.`

    ## References
    - https://docs.nvidia.com/datacenter/tesla/drivers/supported-drivers-and-cuda-toolkit-versions.html
    """
    f = ctx.facts
    version = driver(f)
    if not version or not f.collected_at or f.nvidia.wsl_driver_dir:
        return
    row = ctx.kb.driver_branch(version)
    eol = (row or {}).get("end_of_life")
    if eol and f.collected_at[:7] > eol:
        evidence = [f"nvidia.userspace_version={version}"]
        message = f"Driver {version} (branch {row['branch']}) reached end of life in {eol}."
        best = ctx.kb.recommended_branch([cc for _, cc in gpu_ccs(f)])
        if version_tuple(best)[:1] <= version_tuple(version)[:1]:
            # The GPU itself is out of support: no newer branch drives it.
            yield Issue(message, fix_note=f"No newer driver branch supports these GPUs "
                        f"({', '.join(sorted({n for n, _ in gpu_ccs(f)}))}); {row['branch']} "
                        "is their last. Plan to replace them.", evidence=evidence)
        else:
            yield Issue(message, fix=[install_driver_command(ctx)], evidence=evidence)


@rule(code="ED0214", name="gpu-lost",
      title="A GPU has fallen off the bus or stopped answering", severity=Severity.ERROR,
      category=Category.HARDWARE)
def gpu_lost(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    nvidia-smi and NVML errors that say a GPU is lost ("GPU is lost", "Unable to
    determine the device handle …: Unknown Error").

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
        if error and any(t in error for t in _LOST):
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
    Each NVIDIA GPU's compute capability against the driver: NVIDIA adds a GPU
    generation in the driver released with the first CUDA that builds for it (Hopper
    and Ada with CUDA 11.8 and R520, Blackwell with CUDA 12.8 and R570).

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
    version = f.nvidia.kernel_module_version or f.nvidia.userspace_version
    if not version or f.nvidia.wsl_driver_dir:
        return
    worst: tuple[str, str, str, str] | None = None
    for name, cc in gpu_ccs(f):
        need = ctx.kb.min_driver_for_cc(cc)
        if need and version_tuple(version) < version_tuple(need[1]) and (
                worst is None or version_tuple(need[1]) > version_tuple(worst[3])):
            worst = (name, cc, *need)
    if worst is None:
        return
    name, cc, cuda, minimum = worst
    yield Issue(f"{name} (compute capability {cc}) needs driver >= {minimum} (the first with "
                f"CUDA {cuda}); this one is {version}.",
                fix=[install_driver_command(ctx, minimum), "sudo reboot"],
                evidence=[f"nvidia.kernel_module_version={version}"])
