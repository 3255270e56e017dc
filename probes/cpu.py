"""The processor: vendor, model, topology and the instruction sets ML libraries care about.

Read from ``/proc/cpuinfo`` (one file, no process). Where that file cannot be read
(a locked-down host), ``lscpu`` is asked instead, through the runner and its timeout.
``py-cpuinfo`` is used only where there is no ``/proc`` at all (macOS, Windows), because
it spawns programs and takes about a second.
"""

from __future__ import annotations

import os

from envdoctor.facts import CpuFacts
from envdoctor.probes.base import ProbeContext

# x86 /proc/cpuinfo flag → the name we report. Only extensions that change which kernels
# BLAS, oneDNN, XLA or TensorFlow can use are kept.
_X86_ISA = {
    "sse4_2": "sse4_2", "avx": "avx", "avx2": "avx2", "fma": "fma", "f16c": "f16c",
    "avx512f": "avx512f", "avx512dq": "avx512dq", "avx512cd": "avx512cd",
    "avx512bw": "avx512bw", "avx512vl": "avx512vl", "avx512ifma": "avx512ifma",
    "avx512vbmi": "avx512vbmi", "avx512_vnni": "avx512_vnni", "avx512_bf16": "avx512_bf16",
    "avx512_fp16": "avx512_fp16", "avx_vnni": "avx_vnni", "amx_tile": "amx_tile",
    "amx_bf16": "amx_bf16", "amx_int8": "amx_int8", "amx_fp16": "amx_fp16",
}
# ARM "Features" → name (asimd is Advanced SIMD, i.e. NEON).
_ARM_ISA = {
    "asimd": "neon", "asimddp": "dotprod", "sve": "sve", "sve2": "sve2", "bf16": "bf16",
    "i8mm": "i8mm", "sme": "sme", "sme2": "sme2", "fphp": "fp16",
}
_X86_VENDORS = {
    "GenuineIntel": "intel", "AuthenticAMD": "amd", "HygonGenuine": "hygon",
    "CentaurHauls": "centaur", "  Shanghai  ": "zhaoxin",
}
# ARM "CPU implementer" → vendor, and (implementer, part) → core name, after util-linux's
# sys-utils/lscpu-arm.c (the table lscpu uses to print "Model name" on ARM).
_ARM_IMPLEMENTERS = {
    "0x41": "arm", "0x42": "broadcom", "0x43": "cavium", "0x46": "fujitsu",
    "0x48": "hisilicon", "0x4e": "nvidia", "0x51": "qualcomm", "0x61": "apple",
    "0xc0": "ampere",
}
_ARM_PARTS = {
    ("0x41", "0xd03"): "Cortex-A53", ("0x41", "0xd07"): "Cortex-A57",
    ("0x41", "0xd08"): "Cortex-A72", ("0x41", "0xd0b"): "Cortex-A76",
    ("0x41", "0xd0c"): "Neoverse-N1", ("0x41", "0xd40"): "Neoverse-V1",
    ("0x41", "0xd46"): "Cortex-A510", ("0x41", "0xd47"): "Cortex-A710",
    ("0x41", "0xd49"): "Neoverse-N2", ("0x41", "0xd4d"): "Cortex-A715",
    ("0x41", "0xd4e"): "Cortex-X3", ("0x41", "0xd4f"): "Neoverse-V2",
    ("0x41", "0xd80"): "Cortex-A520", ("0x41", "0xd81"): "Cortex-A720",
    ("0x41", "0xd82"): "Cortex-X4", ("0x41", "0xd84"): "Neoverse-V3",
    ("0x41", "0xd8e"): "Neoverse-N3", ("0x48", "0xd01"): "TaiShan-v110",
    ("0x46", "0x001"): "A64FX", ("0xc0", "0xac3"): "Ampere-1", ("0xc0", "0xac4"): "Ampere-1a",
    ("0x4e", "0x004"): "Carmel",
}


def probe(ctx: ProbeContext) -> CpuFacts:
    """Describe the processor from /proc/cpuinfo (or py-cpuinfo where there is none)."""
    text = ctx.read("/proc/cpuinfo")
    usable = _usable_cpus(ctx)
    if text is not None and _is_garbage(text):
        ctx.problems.append("/proc/cpuinfo holds binary data, not a CPU description")
    elif text is not None:
        facts = parse_cpuinfo(text, usable=usable)
        if facts.threads:
            return facts
        ctx.problems.append("/proc/cpuinfo has no processor entries")
    if ctx.host.kind == "live" and not os.path.exists("/proc"):
        return _from_py_cpuinfo(ctx, usable)
    if not ctx.host.can_run:
        return CpuFacts(usable=usable, unknown={
            "model": "no /proc/cpuinfo: this is a file-system tree, not a booted machine"})
    result = ctx.run(["lscpu"])
    if result.ok:
        facts = parse_lscpu(result.stdout, usable=usable)
        if facts.threads or facts.model:
            return facts
        ctx.problems.append("lscpu printed nothing usable")
    elif result.not_found:
        ctx.problems.append("lscpu not found")
    elif not result.timed_out:
        ctx.problems.append(result.describe())
    return CpuFacts(usable=usable, unknown={
        "model": "neither /proc/cpuinfo nor lscpu could describe the CPU"})


def _is_garbage(text: str) -> bool:
    """Whether the text is binary junk (NUL bytes or undecodable bytes), not cpuinfo."""
    return "\x00" in text or text.count("\ufffd") > 8


def parse_cpuinfo(text: str, usable: int | None = None) -> CpuFacts:
    """Parse the text of /proc/cpuinfo (x86 or ARM) into CPU facts."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            if not line.strip() and current:
                blocks.append(current)
                current = {}
            continue
        key = key.strip()
        if key == "processor" and "processor" in current:
            blocks.append(current)
            current = {}
        current[key] = value.strip()
    if current:
        blocks.append(current)
    cpus = [b for b in blocks if "processor" in b and b["processor"].isdigit()]
    unknown: dict[str, str] = {}
    if not cpus:
        return CpuFacts(usable=usable, source="/proc/cpuinfo",
                        unknown={"model": "/proc/cpuinfo has no processor entries"})
    first = cpus[0]
    if "vendor_id" in first or "flags" in first:
        vendor_id = first.get("vendor_id")
        vendor = _X86_VENDORS.get(vendor_id or "", (vendor_id or "").strip().lower() or None)
        model = " ".join(first.get("model name", "").split()) or None
        flags = set(first.get("flags", "").split())
        isa = sorted({name for flag, name in _X86_ISA.items() if flag in flags})
        hypervisor = "hypervisor" in flags
        sockets, cores = _x86_topology(cpus)
    else:
        vendor_id = first.get("CPU implementer")
        vendor = _ARM_IMPLEMENTERS.get(vendor_id or "")
        parts = [
            _ARM_PARTS.get((b.get("CPU implementer", ""), b.get("CPU part", "")))
            or b.get("CPU part") for b in cpus
        ]
        names = [p for p in dict.fromkeys(parts) if p]
        model = " + ".join(names) or first.get("model name") or first.get("Hardware")
        features = set(first.get("Features", "").split())
        isa = sorted({name for flag, name in _ARM_ISA.items() if flag in features})
        hypervisor = None
        sockets, cores = None, len(cpus)
        unknown["sockets"] = "/proc/cpuinfo on ARM does not list packages"
    if not model:
        unknown["model"] = "no model name in /proc/cpuinfo"
    return CpuFacts(
        vendor=vendor,
        vendor_id=vendor_id,
        model=model or None,
        sockets=sockets,
        cores=cores,
        threads=len(cpus),
        usable=usable,
        isa=isa,
        hypervisor_flag=hypervisor,
        source="/proc/cpuinfo",
        unknown=unknown,
    )


def parse_lscpu(text: str, usable: int | None = None) -> CpuFacts:
    """Parse ``lscpu`` output (flat or the newer indented tree layout) into CPU facts."""
    fields: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith(" " * 20):
            last = key.strip()
            fields.setdefault(last, value.strip())
        elif last and line.strip():
            # A wrapped continuation line (the newer layout wraps the Flags list).
            fields[last] += " " + line.strip()
    vendor_id = fields.get("Vendor ID")
    flags = set(fields.get("Flags", "").split())
    isa = sorted({name for flag, name in {**_X86_ISA, **_ARM_ISA}.items() if flag in flags})
    threads = _int(fields.get("CPU(s)"))
    per_socket = _int(fields.get("Core(s) per socket"))
    sockets = _int(fields.get("Socket(s)"))
    unknown = {}
    model = " ".join(fields.get("Model name", "").split()) or None
    if not model:
        unknown["model"] = "lscpu printed no model name"
    return CpuFacts(
        vendor=_X86_VENDORS.get(vendor_id or "", (vendor_id or "").lower() or None),
        vendor_id=vendor_id,
        model=model,
        sockets=sockets,
        cores=per_socket * sockets if per_socket and sockets else None,
        threads=threads,
        usable=usable,
        isa=isa,
        hypervisor_flag=("hypervisor" in flags) if "Flags" in fields and vendor_id in
        _X86_VENDORS else None,
        source="lscpu",
        unknown=unknown,
    )


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def _x86_topology(cpus: list[dict[str, str]]) -> tuple[int | None, int | None]:
    packages = {b.get("physical id") for b in cpus if "physical id" in b}
    core_ids = {(b.get("physical id"), b.get("core id")) for b in cpus if "core id" in b}
    sockets = len(packages) or None
    cores = len(core_ids) or None
    return sockets, cores


def _usable_cpus(ctx: ProbeContext) -> int | None:
    status = ctx.read("/proc/self/status")
    if status:
        for line in status.splitlines():
            if line.startswith("Cpus_allowed_list:"):
                return count_cpu_list(line.split(":", 1)[1])
    if ctx.host.kind == "live" and hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return None


def count_cpu_list(text: str) -> int | None:
    """Count CPUs in a kernel CPU list such as ``0-3,8-11`` (None when it is garbage)."""
    total = 0
    for part in text.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            total += (int(hi) - int(lo) + 1) if hi else 1
        except ValueError:
            return None
    return total or None


def _from_py_cpuinfo(ctx: ProbeContext, usable: int | None) -> CpuFacts:
    import cpuinfo  # noqa: PLC0415 - slow (spawns programs); only without /proc/cpuinfo

    ctx.sources.append("py-cpuinfo")
    info = cpuinfo.get_cpu_info()
    flags = set(info.get("flags", []))
    isa = sorted({name for flag, name in {**_X86_ISA, **_ARM_ISA}.items() if flag in flags})
    vendor_id = info.get("vendor_id_raw")
    return CpuFacts(
        vendor=_X86_VENDORS.get(vendor_id or "", (vendor_id or "").lower() or None),
        vendor_id=vendor_id,
        model=info.get("brand_raw"),
        threads=info.get("count"),
        usable=usable,
        isa=isa,
        source="py-cpuinfo",
        unknown={"cores": "py-cpuinfo does not report physical cores",
                 "sockets": "py-cpuinfo does not report packages"},
    )
