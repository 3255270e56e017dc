"""The NVIDIA driver and GPUs: PCI, kernel module, user-space driver, NVML/nvidia-smi.

Order of sources, cheapest and most robust first: the PCI bus (works with no driver),
the kernel module's own files, the user-space library's file name, then NVML (live
only) with ``nvidia-smi -q -x`` as a fallback. Nothing is run on a machine with no sign of
an NVIDIA GPU or driver, so a CPU box pays only a directory listing.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Mapping
from dataclasses import replace

from envdoctor._util import lazy_re
from envdoctor.facts import DeviceNode, MigDevice, NvidiaFacts, NvidiaGpu, PciGpu, ProbeStatus
from envdoctor.probes import pci
from envdoctor.probes.base import ProbeContext

# "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.86.05  Fri Jul 14 …" (proprietary)
# "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release Build …"
_NVRM = lazy_re(r"NVRM version:\s+NVIDIA UNIX\s+(?P<open>Open )?.*?Kernel Module.*?"
                   r"\s(?P<version>\d+\.\d+(?:\.\d+)?)\s")
# The driver's user-space libraries carry the driver version in their file names.
_LIB_VERSION = lazy_re(r"^lib(?:nvidia-ml|cuda)\.so\.(\d+\.\d+(?:\.\d+)?)$")
LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib", "/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu/nvidia/current")
WSL_LIB = "/usr/lib/wsl/lib"
_MODPROBE_DIRS = ("/etc/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d")
_NVML_LIBRARY = lazy_re(r"NVML library version:\s*(\d+\.\d+(?:\.\d+)?)")
_NODE = lazy_re(r"^nvidia(\d+|ctl|-uvm|-uvm-tools|-modeset)$")


def probe(ctx: ProbeContext, wsl: int | None = None) -> NvidiaFacts:
    """Describe the NVIDIA driver and GPUs."""
    host = ctx.host
    unknown: dict[str, str] = {}
    pci_gpus = [g for g in pci.scan(ctx) if g.vendor == "nvidia"]
    module_loaded = host.exists("/sys/module/nvidia") if host.live else None
    module_version = (ctx.read("/sys/module/nvidia/version") or "").strip() or None
    proc_version = ctx.read("/proc/driver/nvidia/version")
    flavor = None
    if proc_version:
        m = _NVRM.search(proc_version)
        if m:
            module_version = module_version or m.group("version")
            flavor = "open" if m.group("open") else "proprietary"
    if module_version and module_loaded is None:
        module_loaded = True
    wsl_dir = WSL_LIB if wsl == 2 and host.is_dir(WSL_LIB) else None
    nodes = _device_nodes(ctx)
    lib_version, lib_path = _userspace_from_files(ctx)

    evidence = bool(pci_gpus or module_version or nodes or wsl_dir or lib_version)
    if not evidence:
        ctx.status = ProbeStatus.ABSENT
        ctx.detail = "no NVIDIA GPU on the PCI bus and no NVIDIA driver"
        return NvidiaFacts(visible_devices=None)

    gpus: list[NvidiaGpu] = []
    userspace, userspace_source = lib_version, lib_path
    cuda_driver = None
    nvml_error = smi_error = None
    if host.can_run:
        assert host.nvml is not None  # noqa: S101 - set by Host
        report = host.nvml.query(host.timeout)
        ctx.sources.append("NVML")
        nvml_error = report.error
        if report.gpus or report.driver_version:
            gpus = report.gpus
            userspace, userspace_source = report.driver_version or userspace, "NVML"
            cuda_driver = report.cuda_driver_version
        if not gpus:
            smi = _nvidia_smi(ctx, wsl_dir)
            if smi.error:
                smi_error = smi.error
                if smi.driver_version and not userspace:
                    userspace, userspace_source = smi.driver_version, "NVML library version"
            else:
                gpus = smi.gpus
                if smi.driver_version:
                    userspace = userspace or smi.driver_version
                    userspace_source = userspace_source or "nvidia-smi"
                cuda_driver = cuda_driver or smi.cuda_version
    else:
        unknown["gpus"] = "NVML and nvidia-smi are not run under --root"
    gpus = [_complete(g, pci_gpus) for g in gpus]

    nouveau_loaded = host.exists("/sys/module/nouveau") if host.live else None
    blacklisted = _nouveau_blacklisted(ctx) if (pci_gpus or module_version) else None
    visible, note = visible_devices(gpus, host.env)
    shadowing = _shadowing(ctx, wsl_dir, module_version)
    if userspace is None:
        unknown["userspace_version"] = "no NVML, no versioned libnvidia-ml/libcuda, no nvidia-smi"
    if module_version is None and not wsl_dir:
        unknown["kernel_module_version"] = (
            "no /sys/module/nvidia/version or /proc/driver/nvidia/version: the nvidia "
            "module is not loaded" if host.live else "not a booted machine")
    return NvidiaFacts(
        pci_gpus=pci_gpus,
        kernel_module_loaded=module_loaded,
        kernel_module_version=module_version,
        kernel_module_flavor=flavor,
        userspace_version=userspace,
        userspace_source=userspace_source,
        cuda_driver_version=cuda_driver,
        nvml_error=nvml_error if host.can_run else None,
        smi_error=smi_error,
        gpus=gpus,
        device_nodes=nodes,
        nouveau_loaded=nouveau_loaded,
        nouveau_blacklisted=blacklisted,
        visible_devices=visible,
        visible_note=note,
        wsl_driver_dir=wsl_dir,
        shadowing_libraries=shadowing,
        unknown=unknown,
    )


# --------------------------------------------------------------------------- driver files


def _userspace_from_files(ctx: ProbeContext) -> tuple[str | None, str | None]:
    """The user-space driver version from a ``libnvidia-ml.so.<v>``/``libcuda.so.<v>`` name."""
    for directory in LIB_DIRS:
        for name in ctx.listdir(directory):
            m = _LIB_VERSION.match(name)
            if m:
                return m.group(1), f"{directory}/{name}"
    return None, None


def _device_nodes(ctx: ProbeContext) -> list[DeviceNode]:
    names = sorted(n for n in ctx.host.listdir("/dev") if _NODE.match(n))
    names += [n for n in ctx.host.stats if n.startswith("/dev/nvidia")
              and n.rsplit("/", 1)[-1] not in names]
    nodes = []
    for name in sorted({n.rsplit("/", 1)[-1] for n in names}):
        nodes.append(device_node(ctx, f"/dev/{name}"))
    return nodes


def device_node(ctx: ProbeContext, path: str) -> DeviceNode:
    """Mode, group and accessibility of a device file for the examined user."""
    st = ctx.host.stat(path)
    if st is None:
        return DeviceNode(path=path)
    ident = ctx.host.identity
    group = st.group or _group_name(ctx, st.gid)
    if ident.uid is None:
        accessible = None
    elif ident.uid == 0:
        accessible = True
    elif st.uid == ident.uid:
        accessible = bool(st.mode & stat.S_IRUSR and st.mode & stat.S_IWUSR)
    elif st.gid in ident.group_ids or (group is not None and group in ident.group_names):
        accessible = bool(st.mode & stat.S_IRGRP and st.mode & stat.S_IWGRP)
    else:
        accessible = bool(st.mode & stat.S_IROTH and st.mode & stat.S_IWOTH)
    return DeviceNode(path=path, mode=stat.filemode(st.mode), group=group, accessible=accessible)


def _group_name(ctx: ProbeContext, gid: int) -> str | None:
    groups = ctx.cache.get("group-names")
    if groups is None:
        groups = {}
        for line in (ctx.host.read_text_or_none("/etc/group") or "").splitlines():
            fields = line.split(":")
            if len(fields) >= 3 and fields[2].isdigit():
                groups[int(fields[2])] = fields[0]
        ctx.cache["group-names"] = groups
    return groups.get(gid)


def _nouveau_blacklisted(ctx: ProbeContext) -> bool:
    cmdline = ctx.read("/proc/cmdline") or ""
    if "modprobe.blacklist=nouveau" in cmdline or "nouveau.blacklist=1" in cmdline:
        return True
    for directory in _MODPROBE_DIRS:
        for name in ctx.host.listdir(directory):
            if not name.endswith(".conf"):
                continue
            text = ctx.host.read_text_or_none(f"{directory}/{name}", limit=65536) or ""
            for line in text.splitlines():
                words = line.split("#", 1)[0].split()
                if words[:2] == ["blacklist", "nouveau"]:
                    ctx.sources.append(f"{directory}/{name}")
                    return True
    return False


def _shadowing(ctx: ProbeContext, wsl_dir: str | None, module_version: str | None) -> list[str]:
    """Driver libraries installed where they hide the ones the driver provides."""
    found = []
    if wsl_dir:
        # Under WSL 2 the Windows driver provides libcuda/libnvidia-ml in /usr/lib/wsl/lib;
        # a Linux driver package installed inside the distribution puts real copies in the
        # library directories, which the loader then finds first (or instead).
        for directory in LIB_DIRS:
            for name in ctx.listdir(directory):
                if not name.startswith(("libcuda.so", "libnvidia-ml.so")):
                    continue
                path = f"{directory}/{name}"
                target = ctx.host.readlink(path)
                if target is None or not ctx.host.realpath(path).startswith(wsl_dir):
                    found.append(path)
    elif module_version:
        for directory in ctx.host.env.get("LD_LIBRARY_PATH", "").split(":"):
            if not directory:
                continue
            for name in ctx.host.listdir(directory):
                m = _LIB_VERSION.match(name)
                if m and m.group(1) != module_version and name.startswith("libcuda"):
                    found.append(f"{directory}/{name}")
    return sorted(set(found))


# --------------------------------------------------------------------------- nvidia-smi


class SmiResult:
    """What ``nvidia-smi -q -x`` told, or why it could not."""

    def __init__(self) -> None:
        self.driver_version: str | None = None
        self.cuda_version: str | None = None
        self.gpus: list[NvidiaGpu] = []
        self.error: str | None = None


def _nvidia_smi(ctx: ProbeContext, wsl_dir: str | None) -> SmiResult:
    argv = ["nvidia-smi", "-q", "-x"]
    result = ctx.run(argv)
    if result.not_found and wsl_dir:
        result = ctx.run([f"{wsl_dir}/nvidia-smi", "-q", "-x"])
    smi = SmiResult()
    if result.not_found:
        smi.error = "nvidia-smi not found"
        return smi
    if result.timed_out:
        smi.error = result.describe()
        return smi
    if result.returncode != 0 or not result.stdout.lstrip().startswith("<"):
        text = (result.stdout + "\n" + result.stderr).strip()
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        smi.error = first or result.describe()
        # Newer drivers add the user-space side of a version mismatch on a second line.
        lib = _NVML_LIBRARY.search(text)
        smi.driver_version = lib.group(1) if lib else None
        return smi
    try:
        parsed = parse_nvidia_smi_xml(result.stdout)
    except ValueError as exc:
        ctx.problems.append(f"nvidia-smi -q -x: {exc}")
        smi.error = str(exc)
        return smi
    smi.driver_version, smi.cuda_version, smi.gpus = parsed
    return smi


def parse_nvidia_smi_xml(text: str) -> tuple[str | None, str | None, list[NvidiaGpu]]:
    """Parse ``nvidia-smi -q -x`` into driver version, CUDA version and GPUs.

    Raises ValueError when the text is not the XML nvidia-smi writes.
    """
    import xml.etree.ElementTree as ET  # noqa: PLC0415 - only when nvidia-smi answered

    # NOTE: the document starts with a DOCTYPE naming nvsmi_device_v*.dtd; ElementTree
    # ignores it and never fetches it, so parsing needs no network.
    try:
        # The text comes from the local nvidia-smi; expat (≥ 2.4.1) refuses entity
        # expansion bombs and ElementTree never resolves external entities.
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        raise ValueError(f"not valid XML ({exc})") from None
    if root.tag != "nvidia_smi_log":
        raise ValueError(f"not nvidia-smi output (root element <{root.tag}>)")
    gpus = [_xml_gpu(i, g) for i, g in enumerate(root.findall("gpu"))]
    return _value(root.findtext("driver_version")), _value(root.findtext("cuda_version")), gpus


def _value(text: str | None) -> str | None:
    """nvidia-smi's text with its "not available" spellings turned into ``None``."""
    if text is None:
        return None
    value = text.strip()
    if not value or value in ("N/A", "[N/A]", "Not Supported", "[Not Supported]", "None",
                              "Unknown Error", "[Unknown Error]"):
        return None
    return value


def _number(text: str | None) -> float | None:
    value = _value(text)
    if value is None:
        return None
    m = re.match(r"^([\d.]+)", value)
    return float(m.group(1)) if m else None


def _yes(text: str | None) -> bool | None:
    value = _value(text)
    if value is None:
        return None
    return value in ("Enabled", "Yes")


def _xml_gpu(index: int, g) -> NvidiaGpu:  # noqa: ANN001 - an ElementTree element
    mig_devices = []
    for m in g.findall("mig_devices/mig_device"):
        memory = _number(m.findtext("fb_memory_usage/total"))
        sms = _number(m.findtext("device_attributes/shared/multiprocessor_count"))
        gi = _number(m.findtext("gpu_instance_id"))
        ci = _number(m.findtext("compute_instance_id"))
        mig_devices.append(MigDevice(
            gpu_instance=int(gi) if gi is not None else None,
            compute_instance=int(ci) if ci is not None else None,
            memory_mib=int(memory) if memory is not None else None,
            multiprocessor_count=int(sms) if sms is not None else None,
        ))
    device_id = _value(g.findtext("pci/pci_device_id"))
    memory = _number(g.findtext("fb_memory_usage/total"))
    power = _number(g.findtext("gpu_power_readings/power_draw")) or _number(
        g.findtext("power_readings/power_draw"))
    limit = (_number(g.findtext("gpu_power_readings/current_power_limit"))
             or _number(g.findtext("power_readings/enforced_power_limit"))
             or _number(g.findtext("power_readings/power_limit")))
    sm = _number(g.findtext("clocks/sm_clock"))
    sm_max = _number(g.findtext("max_clocks/sm_clock"))
    temp = _number(g.findtext("temperature/gpu_temp"))
    pending = _yes(g.findtext("retired_pages/pending_retirement"))
    remap = _yes(g.findtext("remapped_rows/remapped_row_pending"))
    current_mig = _value(g.findtext("mig_mode/current_mig"))
    pending_mig = _value(g.findtext("mig_mode/pending_mig"))
    return NvidiaGpu(
        index=index,
        name=_value(g.findtext("product_name")),
        uuid=_value(g.findtext("uuid")),
        serial=_value(g.findtext("serial")),
        pci_bus_id=_value(g.findtext("pci/pci_bus_id")) or g.get("id"),
        # pci_device_id is "268410DE": device id, then vendor id.
        pci_device_id=device_id[:4].lower() if device_id and len(device_id) >= 8 else None,
        memory_total_mib=int(memory) if memory is not None else None,
        mig_mode=current_mig,
        mig_pending=pending_mig if pending_mig != current_mig else None,
        mig_devices=mig_devices,
        persistence_mode=_yes(g.findtext("persistence_mode")),
        compute_mode=_value(g.findtext("compute_mode")),
        driver_model=_value(g.findtext("driver_model/current_dm")),
        ecc_mode=_yes(g.findtext("ecc_mode/current_ecc")),
        retired_pages_pending=True if (pending or remap) else (
            False if pending is False or remap is False else None),
        power_draw_w=power,
        power_limit_w=limit,
        sm_clock_mhz=int(sm) if sm is not None else None,
        sm_clock_max_mhz=int(sm_max) if sm_max is not None else None,
        temperature_c=int(temp) if temp is not None else None,
        source="nvidia-smi",
    )


def _complete(gpu: NvidiaGpu, pci_gpus: list[PciGpu]) -> NvidiaGpu:
    """Fill compute capability and architecture from the PCI id table when not reported."""
    if gpu.compute_capability and gpu.architecture:
        return gpu
    device_id = gpu.pci_device_id
    if device_id is None and gpu.pci_bus_id:
        short = gpu.pci_bus_id.lower()[-12:]
        match = next((p for p in pci_gpus if p.address.endswith(short)), None)
        device_id = match.device_id if match else None
    if device_id is None:
        return gpu
    from envdoctor import knowledge  # noqa: PLC0415

    entry = knowledge.pci_device("10de", device_id)
    if entry is None:
        return gpu
    return replace(gpu, pci_device_id=device_id,
                   compute_capability=gpu.compute_capability or entry.get("compute_capability"),
                   architecture=gpu.architecture or entry.get("arch"))


# --------------------------------------------------------------------------- CUDA_VISIBLE_DEVICES


def visible_devices(
    gpus: list[NvidiaGpu], env: Mapping[str, str],
) -> tuple[list[str] | None, str | None]:
    """Apply ``CUDA_VISIBLE_DEVICES`` and ``CUDA_DEVICE_ORDER`` the way the CUDA runtime does.

    Entries are indices or (prefixes of) ``GPU-``/``MIG-`` UUIDs; the runtime stops at the
    first entry it cannot match, and an empty value hides every GPU (CUDA C Programming
    Guide, "CUDA Environment Variables").
    """
    get = env.get
    if not gpus:
        return None, None
    order = get("CUDA_DEVICE_ORDER", "FASTEST_FIRST")
    ordered = list(gpus)
    notes = []
    if order != "PCI_BUS_ID" and len({g.name for g in gpus}) > 1:
        # FASTEST_FIRST ranks by an undocumented speed heuristic; newer, bigger GPUs first
        # is what it does in practice. Mixed GPUs then number differently than nvidia-smi.
        ordered.sort(key=lambda g: (-_cc(g), -(g.memory_total_mib or 0), g.index))
        notes.append("CUDA_DEVICE_ORDER is not PCI_BUS_ID: CUDA numbers these mixed GPUs "
                     "fastest first, not in nvidia-smi's order")
    raw = get("CUDA_VISIBLE_DEVICES")
    if raw is None:
        return [str(g.index) for g in ordered], "; ".join(notes) or None
    visible: list[str] = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            if raw.strip():
                notes.append(f"CUDA_VISIBLE_DEVICES={raw!r}: an empty entry stops the list")
            break
        if entry.isdigit() or (entry.startswith("-") and entry[1:].isdigit()):
            n = int(entry)
            if not 0 <= n < len(ordered):
                notes.append(f"CUDA_VISIBLE_DEVICES={raw!r}: {entry} is not a GPU index "
                             f"(0-{len(ordered) - 1}); CUDA ignores it and every entry after it")
                break
            visible.append(str(ordered[n].index))
            continue
        if entry.startswith("MIG-"):
            visible.append(entry)
            continue
        match = [g for g in ordered if g.uuid and g.uuid.startswith(
            entry if entry.startswith("GPU-") else f"GPU-{entry}")]
        if len(match) != 1:
            notes.append(f"CUDA_VISIBLE_DEVICES={raw!r}: {entry!r} matches no GPU; CUDA "
                         "ignores it and every entry after it")
            break
        visible.append(str(match[0].index))
    if not raw.strip():
        notes.append("CUDA_VISIBLE_DEVICES is set but empty: no GPU is visible")
    return visible, "; ".join(notes) or None


def _cc(gpu: NvidiaGpu) -> float:
    try:
        return float(gpu.compute_capability or 0)
    except ValueError:
        return 0.0
