"""``envdoctor diff A B``: what differs between two machines that matters, and why one fails.

Both sides are Facts (a snapshot, a parsed report, or this machine). The differences are
taken over the facts that decide whether GPU work runs, most relevant first (GPUs, driver,
frameworks and their builds, CUDA toolkits and libraries, ROCm, Python, environment
variables, OS and CPU, packages). Findings present on one side only are tied to the
differences their evidence names: "works on A, fails on B because the driver is 470".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envdoctor.report import Finding, Report, Severity

if TYPE_CHECKING:
    from envdoctor.facts import Facts

# Environment variables worth comparing even when no rule reads them.
_ENV_ORDER = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "CUDA_HOME",
              "CUDA_PATH", "PATH", "HSA_OVERRIDE_GFX_VERSION", "HIP_VISIBLE_DEVICES",
              "ROCR_VISIBLE_DEVICES", "OMP_NUM_THREADS")


@dataclass(frozen=True)
class Difference:
    """One fact that differs."""

    path: str
    """Where it lives in the facts (``nvidia.userspace_version``, ``frameworks.torch``)."""
    label: str
    """What a person calls it (``NVIDIA driver``)."""
    a: str | None
    b: str | None
    rank: int
    """Relevance: lower is more likely to matter."""


@dataclass(frozen=True)
class OneSided:
    """A finding on one side only, with the differences its evidence points at."""

    finding: Finding
    because: list[Difference] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    """The answer of ``diff``."""

    a_label: str
    b_label: str
    differences: list[Difference]
    only_a: list[OneSided]
    only_b: list[OneSided]
    unknown: list[str] = field(default_factory=list)
    """What one side could not tell (so no difference can be claimed)."""

    @property
    def same(self) -> bool:
        """Nothing that matters differs and both sides find the same problems."""
        return not (self.differences or self.only_a or self.only_b)


def compare(a: Facts, b: Facts, report_a: Report, report_b: Report, *, a_label: str = "A",
            b_label: str = "B") -> Comparison:
    """Compare two machines' facts and findings."""
    diffs: list[Difference] = []
    unknown: list[str] = []
    # A probe that found nothing leaves None ("none"); a parsed report that lacks the line
    # leaves None too, but there it means "not known" and no difference can be claimed.
    a_tells, b_tells = _tells(a), _tells(b)
    for path, label, rank, raw_a, raw_b in _pairs(a, b):
        va = raw_a if raw_a is not None or not a_tells or path in _MEASURED else "none"
        vb = raw_b if raw_b is not None or not b_tells or path in _MEASURED else "none"
        if va == vb or (path in _SAME_IF_KEYS_MATCH and _gpu_key(va) == _gpu_key(vb)):
            continue
        if path.startswith("env."):
            va, vb = ("(unset)" if v == "none" else v for v in (va, vb))
        if va is None or vb is None:
            # One side cannot tell (a report without that line): say so, don't claim it.
            unknown.append(f"{label}: {'A' if va is None else 'B'} does not say")
            diffs.append(Difference(path, label, va, vb, rank + 50))
            continue
        diffs.append(Difference(path, label, va, vb, rank))
    diffs.sort(key=lambda d: d.rank)
    only_a = _one_sided(report_a, report_b, diffs)
    only_b = _one_sided(report_b, report_a, diffs)
    return Comparison(a_label, b_label, diffs, only_a, only_b, unknown)


# Facts where None means "could not be measured" even on a probed machine.
_MEASURED = {"resources.cpu_limit", "resources.shm_size", "cpu.model", "blas.blas",
             "platform", "os"}
# GPU lists name the same card differently (nvidia-smi vs the PCI table): compare the
# compute capabilities / gfx targets and counts, show the names.
_SAME_IF_KEYS_MATCH = {"nvidia.gpus", "rocm.gpus"}


def _gpu_key(text: str | None) -> list[str] | None:
    """``2× NVIDIA A10 (8.6), T4 (7.5)`` → ``['2×8.6', '1×7.5']`` (sorted)."""
    if text is None:
        return None
    import re  # noqa: PLC0415

    keys = []
    for item in text.split(", ") if text != "none" else []:
        m = re.match(r"^(?:(\d+)× )?.*\(([^,)]+)", item)
        if m:
            keys.append(f"{m.group(1) or 1}×{m.group(2)}")
    return sorted(keys)


def _tells(f: Facts) -> bool:
    from envdoctor.facts import OriginKind  # noqa: PLC0415

    kind = f.origin.kind
    if kind is OriginKind.SNAPSHOT and f.origin.note and "report" in f.origin.note:
        return False
    return kind is not OriginKind.REPORT


def _one_sided(mine: Report, other: Report, diffs: list[Difference]) -> list[OneSided]:
    theirs = {f.code for f in other.findings}
    out = []
    for f in mine.findings:
        if f.code in theirs:
            continue
        out.append(OneSided(f, _because(f, diffs)))
    out.sort(key=lambda o: (o.finding.severity.rank, o.finding.code))
    return out


def _because(finding: Finding, diffs: list[Difference]) -> list[Difference]:
    """The differences a finding's evidence names (``nvidia.userspace_version=470…``)."""
    paths = [e.split("=", 1)[0].split("[", 1)[0].strip() for e in finding.evidence]
    text = " ".join([finding.message, *finding.evidence])
    found = []
    for d in diffs:
        if any(p and (p.startswith(d.path) or d.path.startswith(p)) for p in paths):
            found.append(d)
        elif d.path.startswith("env.") and _names(d.label, text):
            found.append(d)  # "… via LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES='…'"
        elif d.path.startswith("cuda.libraries.") and f"lib{d.label}" in text:
            found.append(d)  # "loads libcudnn_ops.so.9 from …"
    if not found and diffs:
        # Evidence that names no compared fact: fall back to the differences in the same
        # area as the rule (ED02xx driver, ED03xx CUDA, ED04xx frameworks, …).
        area = {"ED02": ("nvidia.",), "ED03": ("cuda.", "nvidia.", "frameworks."),
                "ED04": ("frameworks.",), "ED05": ("rocm.",),
                "ED06": ("containers.", "platform.", "resources.")}.get(finding.code[:4], ())
        found = [d for d in diffs if d.path.startswith(area)][:3]
    return found


def _names(variable: str, text: str) -> bool:
    """Whether ``text`` names the variable (PATH is not named by LD_LIBRARY_PATH)."""
    import re  # noqa: PLC0415

    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(variable)}(?![A-Za-z0-9_])", text) \
        is not None


# --------------------------------------------------------------------------- fact pairs


def _pairs(a: Facts, b: Facts) -> Iterator[tuple[str, str, int, str | None, str | None]]:
    """(path, label, rank, value on A, value on B) for every compared fact."""
    yield "nvidia.gpus", "NVIDIA GPUs", 0, _gpus(a), _gpus(b)
    yield "rocm.gpus", "AMD GPUs", 0, _amd(a), _amd(b)
    yield ("nvidia.userspace_version", "NVIDIA driver", 1, a.nvidia.userspace_version,
           b.nvidia.userspace_version)
    yield ("nvidia.kernel_module_version", "NVIDIA kernel module", 2,
           a.nvidia.kernel_module_version, b.nvidia.kernel_module_version)
    yield ("nvidia.cuda_driver_version", "CUDA the driver supports", 3,
           a.nvidia.cuda_driver_version, b.nvidia.cuda_driver_version)
    names = sorted({f.name for f in a.frameworks} | {f.name for f in b.frameworks},
                   key=lambda n: (n not in ("torch", "tensorflow", "jax"), n))
    for name in names:
        yield f"frameworks.{name}", name, 4, _framework(a, name), _framework(b, name)
    yield "cuda.toolkits", "CUDA toolkits", 6, _toolkits(a), _toolkits(b)
    yield "cuda.nvcc_path", "nvcc on PATH", 6, a.cuda.nvcc_path, b.cuda.nvcc_path
    yield "cuda.cuda_home", "CUDA_HOME", 6, a.cuda.cuda_home, b.cuda.cuda_home
    libs = sorted({x.library for x in a.cuda.libraries} | {x.library for x in b.cuda.libraries})
    for lib in libs:
        yield f"cuda.libraries.{lib}", lib, 7, _library(a, lib), _library(b, lib)
    yield "rocm.rocm_version", "ROCm", 5, a.rocm.rocm_version, b.rocm.rocm_version
    yield ("rocm.hsa_override_gfx_version", "HSA_OVERRIDE_GFX_VERSION", 5,
           a.rocm.hsa_override_gfx_version, b.rocm.hsa_override_gfx_version)
    yield "python.version", "Python", 8, a.python.version, b.python.version
    for name in _env_names(a, b):
        yield (f"env.{name}", name, 9, a.env.variables.get(name),
               b.env.variables.get(name))
    yield "platform", "Platform", 10, _platform(a), _platform(b)
    yield ("containers.gpu_devices_in_container", "GPU devices in the container", 10,
           _passed_in(a), _passed_in(b))
    yield "os", "OS", 11, _os(a), _os(b)
    yield "cpu.model", "CPU", 12, a.cpu.model, b.cpu.model
    yield "blas.blas", "numpy's BLAS", 12, a.blas.blas, b.blas.blas
    yield "blas.numpy_version", "numpy", 12, a.blas.numpy_version, b.blas.numpy_version
    yield "resources.cpu_limit", "CPU limit", 13, _num(a.resources.cpu_limit), \
        _num(b.resources.cpu_limit)
    yield "resources.shm_size", "/dev/shm", 13, _size(a.resources.shm_size), \
        _size(b.resources.shm_size)
    yield from _packages(a, b)


def _gpus(f: Facts) -> str | None:
    if f.nvidia.gpus:
        return _counted(f"{g.name} ({g.compute_capability or '?'})" for g in f.nvidia.gpus)
    if f.nvidia.pci_gpus:
        return _counted(f"{p.name or p.device_id} ({p.compute_capability or '?'}, driver "
                        f"{p.driver or 'none'})" for p in f.nvidia.pci_gpus)
    return "none" if f.probe("nvidia") or f.probe("pci") else None


def _amd(f: Facts) -> str | None:
    if f.rocm.gpus:
        return _counted(f"{g.name} ({g.gfx or '?'})" for g in f.rocm.gpus)
    if f.rocm.pci_gpus:
        return _counted(f"{p.name or p.device_id} ({p.gfx or '?'})" for p in f.rocm.pci_gpus)
    return "none" if f.probe("rocm") or f.probe("pci") else None


def _counted(items: Iterator[str]) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return ", ".join((f"{n}× " if n > 1 else "") + item for item, n in counts.items())


def _framework(f: Facts, name: str) -> str | None:
    fw = next((x for x in f.frameworks if x.name == name), None)
    if fw is None:
        return "not installed"
    build = fw.build or "?"
    if fw.cuda_version:
        build = f"CUDA {fw.cuda_version}"
    elif fw.rocm_version:
        build = f"ROCm {fw.rocm_version}"
    extra = f", cuDNN {fw.cudnn_version}" if fw.cudnn_version else ""
    return f"{fw.version or '?'} ({build}{extra})"


def _toolkits(f: Facts) -> str | None:
    if not f.cuda.toolkits:
        return "none"
    return ", ".join(f"{k.version or '?'} at {k.path}" + (" (default)" if k.default else "")
                     for k in f.cuda.toolkits)


def _library(f: Facts, lib: str) -> str | None:
    copies = [x for x in f.cuda.libraries if x.library == lib]
    if not copies:
        return "none"
    return ", ".join(f"{x.version or '?'} ({x.origin or x.path})" for x in copies)


def _env_names(a: Facts, b: Facts) -> list[str]:
    names = set(a.env.variables) | set(b.env.variables)
    names -= {"HOME", "USER", "LOGNAME", "PWD", "SHLVL", "HOSTNAME", "TERM", "SHELL"}
    return sorted(names, key=lambda n: (n not in _ENV_ORDER,
                                        _ENV_ORDER.index(n) if n in _ENV_ORDER else 0, n))


def _platform(f: Facts) -> str | None:
    from envdoctor.render.summary import platform_text  # noqa: PLC0415

    text = platform_text(f)
    if text is None and f.platform.in_container is False:
        return "not in a container"
    return text


def _passed_in(f: Facts) -> str | None:
    if not f.platform.in_container:
        return "n/a (not in a container)" if f.platform.in_container is False else None
    nodes = f.containers.gpu_devices_in_container
    return ", ".join(nodes) if nodes else "none"


def _os(f: Facts) -> str | None:
    o = f.os
    text = " ".join(filter(None, [o.pretty_name or o.distro_name or o.system, o.arch]))
    return text or None


def _num(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def _size(value: int | None) -> str | None:
    from envdoctor._util import human_bytes  # noqa: PLC0415

    return None if value is None else human_bytes(value)


# Packages that matter to a GPU stack beyond the frameworks compared above.
_PACKAGE_PREFIXES = ("nvidia-", "triton", "xformers", "flash-attn", "flash_attn", "bitsandbytes",
                     "deepspeed", "accelerate", "transformers", "vllm", "numpy", "scipy",
                     "protobuf", "tensorrt", "cuda-", "jax-", "jaxlib", "keras", "tf-keras")


def _packages(a: Facts, b: Facts) -> Iterator[tuple[str, str, int, str | None, str | None]]:
    va = {d.name.lower(): d.version for d in a.python.distributions}
    vb = {d.name.lower(): d.version for d in b.python.distributions}
    frameworks = {f.distribution.lower() for f in (*a.frameworks, *b.frameworks)}
    for name in sorted(set(va) | set(vb)):
        if name in frameworks or not name.startswith(_PACKAGE_PREFIXES):
            continue
        yield (f"python.packages.{name}", name, 14, va.get(name, "not installed"),
               vb.get(name, "not installed"))


# --------------------------------------------------------------------------- rendering


def render_text(c: Comparison) -> str:
    """The comparison for a person."""
    lines = [f"A: {c.a_label}", f"B: {c.b_label}", ""]
    if c.same:
        lines.append("No difference that matters, and the same findings on both.")
        return "\n".join(lines) + "\n"
    if c.only_b or c.only_a:
        for side, items, other in (("B", c.only_b, "A"), ("A", c.only_a, "B")):
            if not items:
                continue
            bad = any(o.finding.severity is Severity.ERROR for o in items)
            lines.append(f"Only on {side}" + (f" (works on {other}, fails on {side}):" if bad
                                              else ":"))
            for o in items:
                f = o.finding
                lines.append(f"  {f.severity.value.upper():<8}{f.code} {f.title}")
                lines.append(f"          {f.message}")
                if o.because:
                    lines.append("          because: " + "; ".join(
                        f"{d.label} {d.a or '?'} → {d.b or '?'}" for d in o.because))
            lines.append("")
    if c.differences:
        lines.append("What differs (most relevant first):")
        width = min(28, max(len(d.label) for d in c.differences))
        for d in c.differences:
            lines.append(f"  {d.label:<{width}}  {d.a or '(not known)'}  →  "
                         f"{d.b or '(not known)'}")
    return "\n".join(lines).rstrip() + "\n"


def to_jsonable(c: Comparison) -> dict[str, object]:
    """The comparison as JSON values."""
    from envdoctor._serde import to_jsonable as finding_json  # noqa: PLC0415

    def diff(d: Difference) -> dict[str, object]:
        return {"path": d.path, "label": d.label, "a": d.a, "b": d.b}

    return {
        "a": c.a_label, "b": c.b_label, "same": c.same,
        "differences": [diff(d) for d in c.differences],
        "only_a": [{"finding": finding_json(o.finding), "because": [diff(d) for d in o.because]}
                   for o in c.only_a],
        "only_b": [{"finding": finding_json(o.finding), "because": [diff(d) for d in o.because]}
                   for o in c.only_b],
        "unknown": c.unknown,
    }
