"""The summary rows both human formats open with: one labelled line per part of the machine."""

from __future__ import annotations

from envdoctor._util import human_bytes
from envdoctor.facts import DeepCheck, Facts, OriginKind, ProbeStatus

# The ISA extensions worth naming in a one-line summary, in the order they arrived.
_ISA_HEADLINE = (("avx2", "AVX2"), ("avx512f", "AVX-512"), ("amx_tile", "AMX"),
                 ("neon", "NEON"), ("sve", "SVE"), ("sve2", "SVE2"))


def origin_line(facts: Facts) -> str:
    """Where the facts came from, for the report's first line."""
    origin = facts.origin
    match origin.kind:
        case OriginKind.LIVE:
            where = "this machine"
        case OriginKind.ROOT:
            where = f"file-system tree {origin.root}"
        case OriginKind.RECORDED:
            where = f"recorded host {origin.root}"
        case OriginKind.SNAPSHOT:
            where = f"snapshot {origin.path}"
        case OriginKind.REPORT:
            where = f"report {origin.path} (parsed, not probed)"
    return where


def platform_text(facts: Facts) -> str | None:
    """Container, WSL, cloud or virtual machine in a few words; None when not known."""
    p = facts.platform
    parts = []
    if p.container_runtime:
        parts.append(f"{p.container_runtime} container")
    if p.wsl:
        parts.append(f"WSL{p.wsl}" + (f" ({p.wsl_distro})" if p.wsl_distro else ""))
    if p.cloud:
        parts.append(f"{p.cloud.provider.upper()} {p.cloud.instance_type or 'instance'}")
    elif p.virtualization and p.virtualization not in ("none",):
        parts.append(f"virtual machine ({p.virtualization})")
    if parts or p.virtualization == "none":
        return " · ".join(parts) or "bare metal"
    return None


def summary_rows(facts: Facts) -> list[tuple[str, str]]:
    """Label and text for each line of the summary."""
    rows: list[tuple[str, str]] = []
    o = facts.os
    system = " · ".join(filter(None, [
        o.pretty_name or o.distro_name or o.system,
        f"kernel {o.kernel}" if o.kernel else None,
        o.arch,
        f"{o.libc} {o.libc_version}" if o.libc and o.libc_version else o.libc,
    ]))
    rows.append(("System", system or "unknown"))

    platform = platform_text(facts)
    if platform:
        rows.append(("Platform", platform))

    c = facts.cpu
    if c.model or c.threads:
        topo = []
        if c.sockets:
            topo.append(f"{c.sockets} socket{'s' if c.sockets != 1 else ''}")
        if c.cores:
            topo.append(f"{c.cores} core{'s' if c.cores != 1 else ''}")
        if c.threads:
            topo.append(f"{c.threads} thread{'s' if c.threads != 1 else ''}")
        isa = [label for flag, label in _ISA_HEADLINE if flag in c.isa]
        cpu_line = " · ".join(filter(None, [c.model or c.vendor, ", ".join(topo),
                                            ", ".join(isa)]))
        rows.append(("CPU", cpu_line))

    r = facts.resources
    if r.memory_total:
        mem = [f"{human_bytes(r.memory_total)}"
               + (f" ({human_bytes(r.memory_available)} available)" if r.memory_available else "")]
        limits = []
        if r.cpu_limit:
            limits.append(f"{r.cpu_limit:g} CPUs")
        if r.memory_limit:
            limits.append(human_bytes(r.memory_limit))
        if limits:
            mem.append("cgroup limit " + ", ".join(limits))
        if r.shm_size:
            mem.append(f"/dev/shm {human_bytes(r.shm_size)}")
        rows.append(("Memory", " · ".join(mem)))

    py = facts.python
    if py.prefix or py.version:
        env = py.environment or "environment"
        where = f"{env} {py.prefix}" if py.prefix else env
        if py.environment_name and py.environment == "conda":
            where = f"conda env {py.environment_name} ({py.prefix})"
        rows.append(("Python", " · ".join(filter(None, [
            f"{py.version or '?'} {py.implementation or ''}".strip(),
            f"{where} ({py.selected_by})" if py.selected_by else where,
            f"{len(py.distributions)} package{'s' if len(py.distributions) != 1 else ''}",
        ]))))
    elif (rec := facts.probe("python")) and rec.status is not ProbeStatus.OK:
        rows.append(("Python", rec.detail or "unknown"))

    rows += _gpu_rows(facts)

    b = facts.blas
    if b.numpy_version:
        blas = b.blas or "unknown BLAS"
        if b.blas_version:
            blas += f" {b.blas_version}"
        rows.append(("numpy", f"{b.numpy_version} · BLAS: {blas}"))
    elif facts.python.prefix:
        rows.append(("numpy", "not installed"))
    rows += _framework_rows(facts)
    return rows


def _gpu_rows(facts: Facts) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    nv = facts.nvidia
    if nv.gpus:
        names: dict[str, int] = {}
        for g in nv.gpus:
            label = (g.name or "unknown GPU") + (f" (CC {g.compute_capability})"
                                                 if g.compute_capability else "")
            names[label] = names.get(label, 0) + 1
        rows.append(("GPU", ", ".join(f"{n}× {label}" if n > 1 else label
                                      for label, n in names.items())))
    elif nv.pci_gpus:
        rows.append(("GPU", ", ".join(sorted({(g.name or f"10de:{g.device_id}")
                                              + f" (driver: {g.driver or 'none'})"
                                              for g in nv.pci_gpus}))))
    if nv.userspace_version or nv.kernel_module_version or nv.smi_error or nv.nvml_error:
        parts = []
        if nv.userspace_version:
            parts.append(f"NVIDIA {nv.userspace_version}")
        if nv.kernel_module_version and nv.kernel_module_version != nv.userspace_version:
            parts.append(f"kernel module {nv.kernel_module_version}")
        if nv.cuda_driver_version:
            parts.append(f"supports CUDA ≤ {nv.cuda_driver_version}")
        if not nv.gpus and (nv.smi_error or nv.nvml_error):
            parts.append(nv.smi_error or nv.nvml_error or "")
        if not (nv.userspace_version or nv.kernel_module_version):
            parts.insert(0, "no NVIDIA driver")
        rows.append(("Driver", " · ".join(parts)))
    amd = facts.rocm
    if amd.gpus:
        rows.append(("GPU", ", ".join(f"{g.name or 'AMD GPU'} ({g.gfx or '?'})"
                                      for g in amd.gpus)))
    elif amd.pci_gpus:
        rows.append(("GPU", ", ".join(f"{g.name or '1002:' + g.device_id} (driver: "
                                      f"{g.driver or 'none'})" for g in amd.pci_gpus)))
    if amd.rocm_path:
        rows.append(("ROCm", f"{amd.rocm_version or 'unknown version'} ({amd.rocm_path})"))
    if facts.cuda.toolkits:
        kits = []
        for kit in facts.cuda.toolkits:
            marks = [m for m, on in (("default", kit.default), ("nvcc on PATH", kit.on_path),
                                     ("CUDA_HOME", kit.cuda_home)) if on]
            kits.append(f"{kit.version or '?'} {kit.path}"
                        + (f" ({', '.join(marks)})" if marks else ""))
        rows.append(("CUDA", "; ".join(kits)))
    if not (nv.gpus or nv.pci_gpus or amd.gpus or amd.pci_gpus):
        rows.append(("GPU", "none found"))
    return rows


def _framework_rows(facts: Facts) -> list[tuple[str, str]]:
    rows = []
    for fw in facts.frameworks:
        build = fw.build or "unknown build"
        if fw.build == "cuda" and fw.cuda_version:
            build = f"CUDA {fw.cuda_version}"
        elif fw.build == "rocm" and fw.rocm_version:
            build = f"ROCm {fw.rocm_version}"
        text = f"{fw.version or '?'} · {build}"
        if fw.deep is not None:
            text += " · " + _deep_text(fw.deep)
        rows.append((fw.name, text))
    return rows


def _deep_text(deep: DeepCheck) -> str:
    """What importing the framework showed (``check --deep``, or a report's own line)."""
    if not deep.imported:
        return f"import failed: {deep.error}"
    if deep.gpu_op:
        return "GPU works"
    if deep.device and deep.gpu_op is None:
        return f"sees {deep.device}"  # a report says CUDA is available; nothing was run
    if deep.device:
        return f"sees {deep.device}, but a GPU operation failed: {deep.error or 'no detail'}"
    return f"no GPU: {deep.error or 'CPU only'}"
