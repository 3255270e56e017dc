"""Read the report ``python -m torch.utils.collect_env`` prints (and vLLM's copy) into Facts.

Every vintage from 2018 on is read: ``Yes``/``No`` and ``True``/``False`` booleans, the
``N/A``/``None``/``No CUDA``/``Could not collect`` vocabulary, GPU and cuDNN lists on the
following lines, the ``CPU:`` block (``lscpu`` flat, nested or localized, Windows ``wmic``
``Key=Value`` lines or PowerShell ``Key: Value`` groups, the macOS brand string), the
``[pip3]``/``[pip]``/``[conda]`` package lines, ROCm/HIP fields, and vLLM's variant in its
flat and sectioned (``=====`` banners, padded labels) layouts with its build flags, GPU
topology and environment variables. ``tests/reports/FORMAT.md`` documents the format's
history; the real reports it was checked against are in ``tests/reports/collect_env``.

The text may be pasted the way people paste it: inside Markdown fences (also one glued to
the first field), quoted with ``>``, indented, wrapped in single backticks, behind a log
prefix on every line, hard-wrapped by e-mail, with two fields joined on one line, or
among issue prose, shell prompts, warnings and log lines.

The report says less than a probe sees, and some of what it says is easy to misread: the
"CUDA runtime version" is the ``nvcc`` on ``PATH`` (a toolkit), not torch's runtime; the
"Nvidia driver version" on macOS is the CUDA kext's version, not the driver's; the pip
and conda lists are filtered to names collect_env cares about. Facts follow what the
report states and nothing more: everything else stays unknown, with the reason in the
section's ``unknown`` map, and ``Facts.probes`` says which report lines filled each
section.

Parsing is linear in the size of the text and bounded by sizes, not by a timeout: inputs
over :data:`MAX_SIZE` are refused before they are read, text without any collect_env
label is refused after one scan, at most :data:`_MAX_LINES` lines and :data:`_MAX_LINE`
characters of each are read, lists keep a bounded number of entries, and every pattern
runs on one bounded line (labels are found by string search, not by a regex alternation).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from envdoctor._util import major_minor, version_tuple
from envdoctor.errors import EnvdoctorError
from envdoctor.facts import (
    AmdGpu,
    BlasFacts,
    CondaPackage,
    CpuFacts,
    CudaFacts,
    CudaToolkit,
    DeepCheck,
    Distribution,
    EnvFacts,
    Facts,
    FrameworkFacts,
    LibraryCopy,
    NvidiaFacts,
    NvidiaGpu,
    Origin,
    OriginKind,
    OsFacts,
    PlatformFacts,
    ProbeRecord,
    ProbeStatus,
    PythonFacts,
    RocmFacts,
)

__all__ = ["MAX_SIZE", "ReportError", "parse_collect_env"]

MAX_SIZE = 8 * 1024 * 1024
"""The largest text read (characters, or bytes when bytes are given); a real report is a
few kilobytes, an issue thread around one a few hundred."""

_MAX_LINE = 16384
"""Characters of a line that are looked at (the longest real line, lscpu's flags, is ~2 KB)."""
_LABEL_SCAN = 400
"""How far into a line a label is looked for behind a prefix (a log prefix, a prompt)."""

_MAX_LINES = 100_000
"""Lines read; a report is a few hundred, an issue thread around it a few thousand."""
_MAX_ITEMS = 5000
"""Package lines kept per list; a real report has tens, vLLM's up to a few hundred."""
_MAX_GPUS = 256
"""GPU lines kept (nvidia-smi lists at most a few dozen)."""
_MAX_BLOCK = 500
"""Lines kept of the CPU block and of the environment variables (lscpu prints about 40)."""
_MAX_VALUE = 1024
"""Longest environment value stored: longer ones are withheld, not checked (the secret
check costs time in proportion to the square of a value's length)."""

NOT_IN_REPORT = "not in a collect_env report"
"""The detail of a probe record for a section a collect_env report never describes."""


class ReportError(EnvdoctorError):
    """A text that cannot be read as a ``collect_env`` report (empty, binary, too big, other)."""


class _Pattern:
    """A regular expression compiled on first use.

    After that its methods are the compiled pattern's own (instance attributes), so the
    per-line loops pay no wrapper call; importing the module compiles nothing.
    """

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - the compiled pattern's method
        compiled = re.compile(*self._args)
        for attr in ("match", "fullmatch", "search", "findall", "finditer", "sub"):
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)


def lazy_re(pattern: str, flags: int = 0) -> Any:  # noqa: ANN401 - a _Pattern
    """A pattern compiled on first use (see :class:`_Pattern`)."""
    return _Pattern(pattern, flags)


# --------------------------------------------------------------------------- the labels

# (label as printed, key, whether it is specific to collect_env). The key names the fact
# in the scan; "specific" labels are what tells a collect_env report from other text.
_LABELS: tuple[tuple[str, str, bool], ...] = (
    ("PyTorch version", "torch_version", True),
    ("Is debug build", "debug_build", True),
    ("CUDA used to build PyTorch", "cuda_build", True),
    ("ROCM used to build PyTorch", "rocm_build", True),
    ("XPU used to build PyTorch", "xpu_build", True),
    ("OS", "os", False),
    ("GCC version", "gcc", False),
    ("Clang version", "clang", False),
    ("CMake version", "cmake", False),
    ("Libc version", "libc", True),
    ("Python version", "python_version", False),
    ("Python platform", "python_platform", True),
    ("Is CUDA available", "cuda_available", True),
    ("CUDA runtime version", "cuda_runtime", True),
    ("CUDA_MODULE_LOADING set to", "cuda_module_loading", True),
    ("GPU models and configuration", "gpus", True),
    ("Nvidia driver version", "driver", True),
    ("cuDNN version", "cudnn", True),
    ("Is XPU available", "xpu_available", True),
    ("HIP runtime version", "hip_runtime", True),
    ("MIOpen runtime version", "miopen", True),
    ("Is XNNPACK available", "xnnpack", True),
    ("Caching allocator config", "allocator", True),
    ("CPU", "cpu", False),
    ("Versions of relevant libraries", "libraries", True),
    ("ROCM Version", "vllm_rocm", True),
    ("Neuron SDK Version", "neuron", True),
    ("vLLM Version", "vllm_version", True),
    ("vLLM Build Flags", "vllm_flags", True),
    ("GPU Topology", "topology", True),
)
_KEY_OF = {label.lower(): key for label, key, _ in _LABELS}
_KEY_OF["version of relevant libraries"] = "libraries"  # a hand-edited paste (FORMAT.md)
_DISPLAY = {key: label for label, key, _ in _LABELS}
_SPECIFIC = frozenset(key for _, key, specific in _LABELS if specific)
_SECTION_TITLES = frozenset({
    "system info", "pytorch info", "python environment", "cuda / gpu info",
    "intel xpu / gpu info", "cpu info", "versions of relevant libraries", "vllm info",
    "environment variables",
})
# Labels after which a multi-line value (GPU list, cuDNN list, CPU block) has ended.
_ENDS_CPU_BLOCK = frozenset({"libraries", "vllm_rocm", "neuron", "vllm_version", "vllm_flags",
                             "topology", "torch_version"})
_VLLM_KEYS = frozenset({"vllm_rocm", "neuron", "vllm_version", "vllm_flags", "topology"})

# Labels as they end before their colon (lower case), for finding where a label starts.
_LABEL_ENDS = tuple(sorted({label.lower() for label, _, _ in _LABELS if label != "CPU"}
                           | {"version of relevant libraries"}, key=len, reverse=True))
_COLONS_LOOKED_AT = 8
"""Colons per line that may end a label (a timestamp prefix has three)."""
_MARKER = lazy_re(r"Collecting.environment information", re.IGNORECASE)
# Words every collect_env report has at least one of: text without any is rejected at once.
_QUICK_WORDS = ("pytorch version", "cuda used to build", "vllm version", "vllm build flags",
                "gpu topology", "relevant libraries", "is cuda available", "gpu models and",
                "nvidia driver version", "cudnn version", "is debug build", "python platform")
_BANNER = lazy_re(r"={10,}")
_PACKAGE_LINE = lazy_re(r"\[(pip3?|conda|uv)\]\s?(.*)")
_PIP_FREEZE = lazy_re(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*(\S+)")
_PIP_LEGACY = lazy_re(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s+\((\d[^)\s]*)\)")
_PIP_EDITABLE = lazy_re(r"#[^()]*\(([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s()]+)\)")
_GPU_ITEM = lazy_re(r"GPU\s*(\d+)\s*[:：]\s*(.*)")
_PCI_NAME = lazy_re(r"Device ([0-9a-fA-F]{4})")
_UUID = lazy_re(r" ?\(UUID: [^)]*\)")
_GFX = lazy_re(r"gfx[0-9a-z]+")
_ENV_LINE = lazy_re(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)")
_WMIC_LINE = lazy_re(r"([A-Za-z][A-Za-z0-9]*)=(.*)")
_VERSION = lazy_re(r"\d+(?:\.\d+)*[0-9A-Za-z.+_!-]*")
_PY_VERSION = lazy_re(r"(\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?\+?)")
_ARCH = lazy_re(r"x86_64|amd64|aarch64|arm64|ppc64le|ppc64|s390x|i[3-6]86|armv[0-9a-z]+|"
                r"riscv64", re.IGNORECASE)
_WINDOWS_PS = lazy_re(r"(\d+\.\d+\.\d+)\s+(\d+)-bit")
_LOG_LINE = lazy_re(r"(?:INFO|WARNING|DEBUG|ERROR)\s+\d\d-\d\d\s+\d\d:\d\d:\d\d\s")
_LOG_PREFIX = lazy_re(r"[\[(]?\d{2,4}[-/.]\d\d[-/.]\d\d[ T]\d\d:\d\d(?::\d\d)?|\S+\s*\|\s")
_TOOLKIT_DIR = lazy_re(r"/cuda(?:-\d+(?:\.\d+)*)?/|\\CUDA\\v\d", re.IGNORECASE)
_FOUND_DRIVER_API = lazy_re(r"\(found version (\d{4,6})\)")
_CAPABILITIES = lazy_re(r"supports CUDA capabilities((?:\s+(?:sm|compute)_\d+[a-z]?)+)")
_CANONICAL = lazy_re(r"[-_.]+")
_WINDOWS_VERSION = lazy_re(r"Windows (?:Server )?(\d+(?:\.\d+)?)")
_DISTRO_VERSION = lazy_re(r"(\d+(?:\.\d+)*)(?:\s+SP(\d+))?")
_CODENAME = lazy_re(r"\(([a-z]+)\)")
_WINDOWS_DRIVE = lazy_re(r"[A-Za-z]:[\\/]")

_ARCHES = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "arm64", "aarch64": "aarch64"}
_X86_VENDORS = {"GenuineIntel": "intel", "AuthenticAMD": "amd", "HygonGenuine": "hygon"}
_WMIC_ARCH = {"0": "i686", "5": "arm", "9": "x86_64", "12": "aarch64"}
# Known distributions: the start of the OS line → (os-release ID, ID_LIKE).
_DISTROS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ubuntu", "ubuntu", ("debian",)),
    ("debian", "debian", ()),
    ("linux mint", "linuxmint", ("ubuntu", "debian")),
    ("pop!_os", "pop", ("ubuntu", "debian")),
    ("centos", "centos", ("rhel", "fedora")),
    ("red hat enterprise linux", "rhel", ("fedora",)),
    ("rocky linux", "rocky", ("rhel", "centos", "fedora")),
    ("almalinux", "almalinux", ("rhel", "centos", "fedora")),
    ("oracle linux", "ol", ("fedora",)),
    ("amazon linux", "amzn", ("centos", "rhel", "fedora")),
    ("fedora", "fedora", ()),
    ("suse linux enterprise", "sles", ("suse",)),
    ("opensuse leap", "opensuse-leap", ("suse", "opensuse")),
    ("opensuse tumbleweed", "opensuse-tumbleweed", ("opensuse", "suse")),
    ("arch linux", "arch", ()),
    ("manjaro", "manjaro", ("arch",)),
    ("gentoo", "gentoo", ()),
    ("alpine", "alpine", ()),
)
# lscpu's labels in a Chinese locale (FORMAT.md: vllm-4313) → the English ones.
_LSCPU_ZH = {
    "架构": "Architecture", "CPU 运行模式": "CPU op-mode(s)", "字节序": "Byte Order",
    "CPU": "CPU(s)", "在线 CPU 列表": "On-line CPU(s) list", "厂商 ID": "Vendor ID",
    "型号名称": "Model name", "CPU 系列": "CPU family", "型号": "Model",
    "每个核的线程数": "Thread(s) per core", "每个座的核数": "Core(s) per socket",
    "座": "Socket(s)", "步进": "Stepping", "标记": "Flags", "超管理器厂商": "Hypervisor vendor",
    "虚拟化类型": "Virtualization type", "虚拟化": "Virtualization",
}
_PIP_FILTER = ("collect_env lists only the packages whose names match its filter (torch, "
               "numpy, triton, nvidia, ...), so other installed packages are not known")


# --------------------------------------------------------------------------- entry point


def parse_collect_env(text: str, *, path: str | None = None) -> Facts:
    """Read a pasted ``collect_env`` report (PyTorch's or vLLM's) into Facts.

    ``path`` is where the text came from, kept in ``Facts.origin``. Raises
    :class:`ReportError`, with a message and a hint, for empty, binary or oversized input
    and for text that holds no collect_env report; never another exception for any text.
    """
    text = _check_input(text)
    lowered = text.lower()
    if not any(word in lowered for word in _QUICK_WORDS):
        raise _not_a_report(text)
    lines, raw_blank, closed = _clean_lines(text)
    scan = _Scan()
    scan.lines_cut = len(lines) > _MAX_LINES
    scan.run(lines, raw_blank, closed)
    if not scan.is_report():
        raise _not_a_report(text)
    return _Builder(scan, path).facts()


def _check_input(text: object) -> str:
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_SIZE:
            raise _too_big(len(text))
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise ReportError(f"a collect_env report is text, not {type(text).__name__}",
                          hint="pass the report's text (read the file as UTF-8)")
    if len(text) > MAX_SIZE:
        raise _too_big(len(text))
    if not text.strip():
        raise ReportError("the report is empty",
                          hint="paste the whole output of 'python -m torch.utils.collect_env'")
    sample = text[:65536]
    controls = sum(1 for c in sample if c < " " and c not in "\t\n\r\x0c\x1b")
    if "\x00" in text or sample.count("\ufffd") > max(8, len(sample) // 100) or (
            controls > max(8, len(sample) // 100)):
        raise ReportError("the input is binary data, not a collect_env report",
                          hint="give the text file that collect_env printed, not an archive, "
                               "an image or a binary")
    return text


def _too_big(size: int) -> ReportError:
    return ReportError(
        f"the input is {size / 1048576:.1f} MiB; a collect_env report is a few kilobytes "
        f"and at most {MAX_SIZE // 1048576} MiB is read",
        hint="cut the text down to the report itself (from 'Collecting environment "
             "information...' to the package lists)")


def _not_a_report(text: str) -> ReportError:
    stripped = text.lstrip()
    if stripped[:1] in "{[":
        import json  # noqa: PLC0415 - only to word the error for JSON input

        try:
            json.loads(stripped)
        except (ValueError, RecursionError):
            pass
        else:
            return ReportError(
                "this is a JSON document, not a collect_env report",
                hint="an envdoctor snapshot is read with 'envdoctor check --facts FILE'; for "
                     "a collect_env report give the text 'python -m torch.utils.collect_env' "
                     "prints")
    return ReportError(
        "no collect_env report found in the text (no 'PyTorch version:', 'CUDA used to "
        "build PyTorch:', 'Versions of relevant libraries:' or similar lines)",
        hint="give the output of 'python -m torch.utils.collect_env' (or vLLM's "
             "'python -m vllm.collect_env'); other tools' output, such as nvidia-smi or "
             "pip list, is not read")


# --------------------------------------------------------------------------- cleaning lines


def _strip_wrappers(line: str) -> tuple[str, bool]:
    """Remove quote markers, indentation, fences and backticks around one line.

    Returns the line and whether a closing fence or backtick ended it (the paste ends there).
    """
    s = line.strip()
    for _ in range(8):  # "> > text" (nested quotes)
        if not s.startswith(">"):
            break
        s = s[1:].lstrip()
    if s.startswith(("```", "~~~")):
        rest = s.lstrip("`~").strip()
        # A fence glued to the first field keeps the field; otherwise the rest is the
        # fence's language tag (```text, ```Windows PowerShell).
        s = rest if _label_start(rest) == 0 else ""
    elif s.startswith("`"):
        s = s.lstrip("`").lstrip()
    if s.startswith("**"):  # Markdown bold around report lines (FORMAT.md: pytorch-32369)
        s = s[2:].lstrip()
    closed = False
    if s.endswith("**"):
        s = s[:-2].rstrip()
    if s.endswith("`"):
        s = s.rstrip("`").rstrip()
        closed = True
    lower = s[:12].lower()
    if lower.startswith(("<details", "</details", "<summary", "</summary")):
        s = ""
    return s, closed


def _clean_lines(text: str) -> tuple[list[str], list[bool], set[int]]:
    """The text as report lines: wrappers and a shared line prefix removed, joins split.

    Also returns, per line, whether the raw line was blank, and the lines a closing fence
    or backtick ended.
    """
    separator = "\n" if "\n" in text or "\r" not in text else "\r"  # old Mac line ends
    raw_lines = text.split(separator, _MAX_LINES)
    if len(raw_lines) > _MAX_LINES:
        raw_lines[-1] = ""  # the unread rest; the origin note says so

    stage: list[str] = []
    raw_blank: list[bool] = []
    closed: set[int] = set()
    for whole in raw_lines:
        raw = whole[:_MAX_LINE]
        blank = not raw.strip()
        cleaned, was_closed = ("", False) if blank else _strip_wrappers(raw)
        # Two fields joined on one line after padding ("Collecting environment
        # information...<spaces>PyTorch version: ...", FORMAT.md): split them.
        if cleaned and len(cleaned) > 40:
            joined = _split_joined(cleaned)
            if joined is not None:
                stage.append(joined[0])
                raw_blank.append(False)
                cleaned = joined[1]
        if was_closed:
            closed.add(len(stage))
        stage.append(cleaned)
        raw_blank.append(blank)
    return _strip_shared_prefix(stage), raw_blank, closed


def _split_joined(line: str) -> tuple[str, str] | None:
    at = _label_start(line, 1)
    if at is None:
        return None
    head = line[:at]
    if not head.endswith("  "):
        return None
    first = head.strip()
    if _MARKER.match(first) or _field_key(first) is not None:
        return first, line[at:]
    return None


def _strip_shared_prefix(lines: list[str]) -> list[str]:
    """Remove a prefix that most label lines share (a log prefix, ``app_1 | ``, ...).

    Prefixes are compared with digits folded, so per-line timestamps count as one prefix.
    """
    shapes: Counter[str] = Counter()
    prefixes: dict[str, int] = {}
    hits = 0
    for line in lines:
        if not line:
            continue
        at = _label_start(line)
        if at is None:
            continue
        hits += 1
        prefix = line[:at]
        shape = _fold_digits(prefix)
        shapes[shape] += 1
        prefixes.setdefault(shape, len(prefix))
    out = lines
    if shapes:
        shape, count = shapes.most_common(1)[0]
        if shape and count >= 2 and count * 2 >= hits:
            size = prefixes[shape]
            out = [
                _strip_wrappers(line[size:])[0] if _fold_digits(line[:size]) == shape else line
                for line in lines
            ]
    # A prefix on single lines only (a logger line that starts the report): keep the field.
    result = []
    for line in out:
        at = _label_start(line, 1) if line and _label_start(line) != 0 else None
        result.append(line[at:] if at is not None and _LOG_PREFIX.match(line) else line)
    return result


def _label_start(line: str, start: int = 0) -> int | None:
    """Where the first report label (or package line, or start marker) begins in a line.

    Looks at the first :data:`_LABEL_SCAN` characters only and at most
    :data:`_COLONS_LOOKED_AT` colons, so the work per line is bounded whatever the line.
    """
    window = line[:_LABEL_SCAN].lower()
    found: int | None = None
    for needle in ("[pip", "[conda]", "[uv]", "collecting", "pytorch version "):
        k = window.find(needle, start)
        if k == -1 or (found is not None and k >= found):
            continue
        if needle == "collecting" and not window.startswith("environment information", k + 11):
            continue
        if needle == "pytorch version " and not window[k + 16: k + 17].isdigit():
            continue
        if needle == "[pip" and not window.startswith(("[pip]", "[pip3]"), k):
            continue
        found = k
    for colon in (":", "："):
        pos = window.find(colon, start)
        seen = 0
        while pos != -1 and seen < _COLONS_LOOKED_AT:
            seen += 1
            head = window[:pos].rstrip()
            if head.endswith(_LABEL_ENDS):
                label = next(lb for lb in _LABEL_ENDS if head.endswith(lb))
                k = len(head) - len(label)
                if k >= start and (k == 0 or not head[k - 1].isalnum()):
                    found = k if found is None else min(found, k)
                    break
            pos = window.find(colon, pos + 1)
    return found


def _fold_digits(text: str) -> str:
    return "".join("0" if c.isdigit() else c for c in text)


def _split_field(line: str) -> tuple[str, str] | None:
    """``Label: value`` (also ``Label<pad>: value`` and full-width colons) → (label, value)."""
    colon = line.find(":")
    wide = line.find("：")
    if wide != -1 and (colon == -1 or wide < colon):
        colon = wide
    if colon <= 0:
        return None
    return line[:colon], line[colon + 1:]


def _field_key(line: str) -> str | None:
    """The key of the field a line starts with, or ``None``."""
    parts = _split_field(line)
    if parts is not None:
        label = " ".join(parts[0].split()).lower()
        key = _KEY_OF.get(label)
        if key is not None:
            return key
    if line[:16].lower() == "pytorch version " and ":" not in line[:40]:
        return "torch_version"  # "PyTorch version 1.5.0", colon lost (FORMAT.md)
    return None


# --------------------------------------------------------------------------- scanning


class _Scan:
    """What one pass over the lines found: fields, lists, blocks, and where it ended."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.order: list[str] = []
        self.gpu_items: list[str] = []
        self.cudnn_items: list[str] = []
        self.cpu_lines: list[str] = []
        self.pip: list[tuple[str, str]] = []
        self.pip_label: str | None = None
        self.pip_status: str | None = None
        self.pip_problems: list[str] = []
        self.conda: list[tuple[str, str, str, str]] = []
        self.conda_status: str | None = None
        self.conda_seen = False
        self.env: list[tuple[str, str]] = []
        self.dropped = 0
        self.lines_cut = False
        self.env_section = False
        self.sectioned = False
        self.marker = False
        self.vllm_log = False
        self.warnings: list[str] = []
        self.last_line = -1
        self.last_context = ""
        self.ended_inside: str | None = None
        self.first_key: str | None = None

    # ------------------------------------------------------------------ the pass

    def run(self, lines: list[str], raw_blank: list[bool], closed: set[int]) -> None:
        """Read every line once."""
        mode = ""  # "", "gpus", "cudnn", "cpu", "flags", "topology", "env", "cont"
        collect = True  # False while skipping a repeated field's list
        cont_key = ""
        cpu_gap = False
        previous_banner = False
        title_just_read = False
        cont_lines = 0
        n = len(lines)
        i = 0
        while i < n:
            line = lines[i]
            if not line:
                if mode in ("gpus", "cudnn", "cont", "flags", "wrap"):
                    mode = ""
                elif mode == "cpu":
                    cpu_gap = True
                i += 1
                continue
            is_banner = _BANNER.fullmatch(line) is not None
            if is_banner:
                if title_just_read:
                    title_just_read = False  # the rule under a section title
                    self._mark(i, "banner")
                    i += 1
                    continue
                if mode in ("cpu", "gpus", "cudnn", "cont", "flags", "topology", "wrap"):
                    mode = ""
                if previous_banner or (i + 2 < n and _BANNER.fullmatch(lines[i + 2] or "")):
                    self._mark(i, "banner")
                previous_banner = True
                i += 1
                continue
            title = line.lower()
            if previous_banner and title in _SECTION_TITLES:
                self.sectioned = True
                self._mark(i, "section")
                mode = {"cpu info": "cpu", "environment variables": "env"}.get(title, "")
                if title == "environment variables":
                    self.env_section = True
                if title == "versions of relevant libraries":
                    self._see("libraries", i)
                cpu_gap = False
                previous_banner = False
                title_just_read = True
                i += 1
                continue
            previous_banner = False
            title_just_read = False
            package = _PACKAGE_LINE.fullmatch(line)
            if package is not None:
                mode = ""
                self._package(package.group(1), package.group(2).strip(), i)
                i += 1
                continue
            key = _field_key(line)
            if mode == "cpu":
                if key in _ENDS_CPU_BLOCK or (cpu_gap and not self._cpu_continues(line)):
                    mode = ""
                else:
                    cpu_gap = False
                    if len(self.cpu_lines) < _MAX_BLOCK:
                        self.cpu_lines.append(line[:4096])
                    self._mark(i, "cpu")
                    i += 1
                    continue
            if mode == "flags" and key is None:
                if collect and not self.fields.get("vllm_flags"):
                    self.fields["vllm_flags"] = line
                self._mark(i, "field:vllm_flags")
                mode = ""
                i += 1
                continue
            if mode in ("topology", "env") and key is None:
                env = _ENV_LINE.fullmatch(line)
                if env is not None and (mode == "env" or env.group(1).isupper()):
                    if len(self.env) < _MAX_BLOCK:
                        self.env.append((env.group(1), env.group(2).strip()))
                    self._mark(i, "env")
                else:
                    self._mark(i, mode)
                i += 1
                continue
            if mode == "wrap":
                mode = ""
                if (key is None and " " not in line and len(line) <= 80
                        and not _looks_like_path(line) and self.cudnn_items):
                    # "...\\bin\\cudn" + "n64_7.dll"
                    self.cudnn_items[-1] = (self.cudnn_items[-1] + line)[:1000]
                    self._mark(i, "field:cudnn")
                    i += 1
                    continue
            if key is not None:
                mode, collect, cont_key = self._field(key, line, i)
                cont_lines = 0
                cpu_gap = False
                i += 1
                continue
            if mode == "gpus":
                item = _GPU_ITEM.fullmatch(line)
                if item is not None:
                    if collect and len(self.gpu_items) < _MAX_GPUS:
                        self.gpu_items.append(line)
                    self._mark(i, "gpus")
                    i += 1
                    continue
                mode = ""
            elif mode == "cudnn":
                if _looks_like_path(line):
                    if collect and len(self.cudnn_items) < _MAX_ITEMS:
                        self.cudnn_items.append(line[:1000])
                    self._mark(i, "cudnn")
                    i += 1
                    continue
                mode = ""
            elif mode == "cont":
                # A value hard-wrapped by e-mail: at most two more lines.
                cont_lines += 1
                if collect and cont_key in self.fields:
                    self.fields[cont_key] += " " + line[:1000]
                self._mark(i, f"field:{cont_key}")
                if cont_lines >= 2 or not _unbalanced(self.fields.get(cont_key, "")):
                    mode = ""
                i += 1
                continue
            i = self._noise(lines, i)
        self._finish(raw_blank, closed)

    def _cpu_continues(self, line: str) -> bool:
        """After a blank line in the CPU block: another wmic socket group, or a separator."""
        return bool(line.startswith("---") or (
            _WMIC_LINE.fullmatch(line) and any("=" in c for c in self.cpu_lines[:3])))

    def _field(self, key: str, line: str, i: int) -> tuple[str, bool, str]:
        """Record one field line; returns the mode for the lines after it."""
        parts = _split_field(line)
        value = parts[1].strip() if parts is not None and _field_key_label(parts[0]) else (
            line[16:].strip() if key == "torch_version" else "")
        value = value.strip("`").strip()
        first = key not in self.fields
        self._see(key, i)
        if first:
            self.fields[key] = value
        if key == "gpus":
            if first and value:
                self.gpu_items.append(value[:300])
            return "gpus", first, ""
        if key == "cudnn":
            if value.lower().startswith("probably one of the following"):
                return "cudnn", first, ""
            if first and _null(value) is not None:
                self.cudnn_items.append(value[:1000])
                return "wrap", True, ""  # a path hard-wrapped mid-name may continue
            return "", True, ""
        if key == "cpu" and not value:
            return "cpu", first, ""
        if key == "vllm_flags" and not value:
            return "flags", first, ""
        if key == "topology":
            return "topology", first, ""
        if key == "libraries":
            return "", True, ""
        if first and _unbalanced(value):
            return "cont", True, key
        return "", True, ""

    def _see(self, key: str, i: int) -> None:
        if key not in self.order:
            self.order.append(key)
        if self.first_key is None:
            self.first_key = key
        self._mark(i, f"field:{key}")

    def _mark(self, i: int, context: str) -> None:
        self.last_line = i
        self.last_context = context

    def _package(self, manager: str, rest: str, i: int) -> None:
        self._see("libraries", i)
        lowered = rest.lower()
        if manager == "conda":
            self.conda_seen = True
            self._mark(i, "conda")
            if lowered in ("could not collect", "no relevant packages"):
                self.conda_status = self.conda_status or lowered
                return
            cols = rest.split()
            if len(self.conda) >= _MAX_ITEMS:
                self.dropped += 1
            elif len(cols) >= 2 and cols[1][:1].isdigit():
                build = cols[2] if len(cols) > 2 else ""
                channel = cols[3] if len(cols) > 3 else ""
                self.conda.append((cols[0], cols[1], build, channel))
            return
        if manager != "uv":
            self.pip_label = self.pip_label or manager
        self._mark(i, "pip")
        if lowered in ("could not collect", "no relevant packages"):
            self.pip_status = self.pip_status or lowered
            return
        if len(self.pip) >= _MAX_ITEMS:
            self.dropped += 1
            return
        for pattern in (_PIP_FREEZE, _PIP_LEGACY, _PIP_EDITABLE):
            m = pattern.match(rest[:1000])
            if m is not None:
                self.pip.append((m.group(1), m.group(2)))
                return
        if rest and len(self.pip_problems) < 20:
            self.pip_problems.append(f"package line without a version: {rest[:120]}")

    def _noise(self, lines: list[str], i: int) -> int:
        """A line that is not part of the report: note what it tells, return the next index."""
        line = lines[i]
        if _MARKER.search(line, 0, _LABEL_SCAN):
            self.marker = True
            self._mark(i, "marker")
        elif _LOG_LINE.match(line):
            self.vllm_log = True
        elif "Warning:" in line:
            _, _, message = line.partition("Warning:")
            message = message.strip()
            j = i + 1
            # torch's CUDA warnings continue on the lines after "UserWarning:".
            while (j < len(lines) and j < i + 6 and lines[j]
                   and not lines[j].startswith(("warnings.warn", "return ", "warn(", "[",
                                                "==="))
                   and _field_key(lines[j]) is None and not _MARKER.search(lines[j])):
                message = f"{message} {lines[j]}".strip()
                j += 1
            if len(self.warnings) < 50:
                self.warnings.append(message[:2000])
            return j
        return i + 1

    def _finish(self, raw_blank: list[bool], closed: set[int]) -> None:
        if self.last_line < 0:
            return
        after = raw_blank[self.last_line + 1:]
        trailing = self.last_line in closed or not all(after)
        if not trailing:
            context = self.last_context
            if context == "conda" and self.conda_status and not self.conda:
                pass  # "[conda] Could not collect": a whole list of one line
            elif context in ("gpus", "cudnn", "cpu", "pip", "conda", "topology", "env"):
                self.ended_inside = context
            elif context in ("field:gpus", "field:cudnn") and (
                    self.fields.get(context[6:], "") == ""
                    or self.fields.get(context[6:], "").lower().startswith("probably")):
                self.ended_inside = context[6:]
            elif context == "field:cpu":
                self.ended_inside = "cpu"

    # ------------------------------------------------------------------ verdict

    def is_report(self) -> bool:
        """Whether the text holds a collect_env report (and not some other tool's output)."""
        specific = [k for k in self.order if k in _SPECIFIC and k != "libraries"]
        score = len(specific) + (1 if self.pip or self.conda or self.pip_status
                                 or self.conda_status else 0) + (1 if self.marker else 0)
        score += 1 if self.sectioned else 0
        return bool(specific) and score >= 2


def _field_key_label(label: str) -> bool:
    return " ".join(label.split()).lower() in _KEY_OF


def _unbalanced(value: str) -> bool:
    return value.count("[") > value.count("]") or value.count("(") > value.count(")")


def _looks_like_path(line: str) -> bool:
    """A cuDNN list entry: an absolute POSIX or Windows path, or a bare library name."""
    return line.startswith("/") or _WINDOWS_DRIVE.match(line) is not None or (
        line.lower().startswith(("libcudnn", "cudnn")) and " " not in line)


def _null(value: str | None) -> str | None:
    """The value, or ``None`` for collect_env's words for "unknown" (N/A, None, ...)."""
    if value is None:
        return None
    v = value.strip()
    if v.lower() in ("", "n/a", "none", "could not collect", "no cuda", "no xpu", "-"):
        return None
    return v


def _version(value: str | None) -> str | None:
    """The leading version token of a value (``2.5.1+cu124``), or ``None``."""
    v = _null(value)
    if v is None:
        return None
    m = _VERSION.match(v.split()[0]) if v.split() else None
    return m.group(0).rstrip(".,;") if m else None


def _bool(value: str | None) -> bool | None:
    v = (value or "").strip().lower()
    return True if v in ("true", "yes") else False if v in ("false", "no") else None


def _canonical(name: str) -> str:
    return _CANONICAL.sub("-", name).lower()


# --------------------------------------------------------------------------- building Facts


class _NoFiles:
    """Stands in for a probe context when the frameworks probe reads a report's packages.

    A report has no files: every read is missing, every directory empty.
    """

    __slots__ = ("host", "problems", "sources")

    def __init__(self) -> None:
        self.host = self
        self.problems: list[str] = []
        self.sources: list[str] = []

    def read(self, path: str, limit: int | None = None, **_: object) -> None:
        """No file can be read."""
        return

    def listdir(self, path: str) -> list[str]:
        """No directory has entries."""
        return []

    def exists(self, path: str) -> bool:
        """No path exists."""
        return False


class _Builder:
    """Turns a scan into Facts, one section at a time, keeping a probe record for each."""

    def __init__(self, scan: _Scan, path: str | None) -> None:
        self.scan = scan
        self.f = scan.fields
        self.path = path
        self.records: dict[str, ProbeRecord] = {}
        self.used: dict[str, list[str]] = {}
        self.system: str | None = None
        self.variant = "vLLM" if (scan.sectioned or scan.vllm_log or scan.env_section
                                  or any(k in _VLLM_KEYS for k in scan.order)) else "PyTorch"

    # ------------------------------------------------------------------ helpers

    def _use(self, section: str, *keys: str) -> None:
        labels = self.used.setdefault(section, [])
        for key in keys:
            label = {"pip": "[pip] lines", "conda": "[conda] lines", "env": "environment "
                     "variables", "warnings": "warnings printed with the report"}.get(
                key, _DISPLAY.get(key, key))
            if label not in labels:
                labels.append(label)

    def _record(self, name: str, unknown: dict[str, str], notes: list[str] | None = None,
                *, problems: list[str] | None = None, empty: bool = False,
                empty_detail: str | None = None, detail: str | None = None) -> None:
        """Log one section as a probe record, with the report lines that filled it.

        ``notes`` (a cut-off list, ...) make it partial and go into its detail;
        ``problems`` are report lines that could not be used.
        """
        where = self.path or "collect_env report"
        sources = [f"{where}: {label}" for label in self.used.get(name, [])]
        problems = problems or []
        if not empty and not sources and not problems:
            empty = True
            empty_detail = "the report has no line for this section" + (
                " (it is incomplete)" if _incomplete(self.scan, self.variant) else "")
        if empty:
            self.records[name] = ProbeRecord(name=name, status=ProbeStatus.SKIPPED,
                                             detail=empty_detail or NOT_IN_REPORT)
            return
        notes = notes or []
        status = ProbeStatus.PARTIAL if unknown or problems or notes else ProbeStatus.OK
        detail = "; ".join([*problems, *notes, *(f"{k}: {v}" for k, v in unknown.items())]
                           ) or detail
        self.records[name] = ProbeRecord(name=name, status=status, sources=sources,
                                         detail=detail, problems=problems)

    # ------------------------------------------------------------------ the whole

    def facts(self) -> Facts:
        from envdoctor import __version__  # noqa: PLC0415 - the package itself, always loaded

        os_facts = self._os()
        platform = self._platform(os_facts)
        cpu = self._cpu(os_facts)
        env = self._env()
        python = self._python()
        nvidia, rocm_gpus = self._gpus()
        frameworks = self._frameworks(python, nvidia, rocm_gpus)
        blas = self._blas(python, env)
        cuda = self._cuda(python, env)
        rocm = self._rocm(rocm_gpus, env)
        if platform is None:
            platform = PlatformFacts()
        order = ("os", "cpu", "platform", "resources", "user", "env", "python", "blas",
                 "nvidia", "cuda", "rocm", "frameworks", "deep", "loader", "containers")
        for name in order:
            if name not in self.records and name != "deep":
                self.records[name] = ProbeRecord(name=name, status=ProbeStatus.SKIPPED,
                                                 detail=NOT_IN_REPORT)
        missing = _incomplete(self.scan, self.variant)
        overall = ProbeRecord(
            name="collect_env", status=ProbeStatus.PARTIAL if missing else ProbeStatus.OK,
            sources=[self.path or "collect_env report"],
            detail=f"incomplete: {missing}" if missing else None)
        return Facts(
            envdoctor_version=__version__,
            collected_at=None,
            origin=Origin(kind=OriginKind.REPORT, path=self.path, note=self._note()),
            os=os_facts,
            platform=platform,
            cpu=cpu,
            python=python,
            blas=blas,
            env=env,
            nvidia=nvidia,
            cuda=cuda,
            rocm=rocm,
            frameworks=frameworks,
            probes=[overall, *(self.records[n] for n in order if n in self.records)],
        )

    # ------------------------------------------------------------------ origin note

    def _note(self) -> str:
        s = self.scan
        if self.variant == "vLLM":
            what = "vLLM's collect_env" + (", sectioned layout" if s.sectioned else "")
        else:
            what = "PyTorch's torch.utils.collect_env"
        note = f"collect_env report ({what})"
        if s.lines_cut:
            note += f"; only the first {_MAX_LINES} lines of the text were read"
        missing = _incomplete(s, self.variant)
        if missing:
            note += f"; incomplete: {missing}"
        return note

    # ------------------------------------------------------------------ operating system

    def _os(self) -> OsFacts:
        f = self.f
        unknown: dict[str, str] = {}
        raw = _null(f.get("os"))
        platform = _null(f.get("python_platform")) or ""
        pretty = arch = kernel = None
        if raw:
            self._use("os", "os")
            pretty = raw
            head, suffix = _last_parenthesis(raw[:1000])
            if suffix is not None and _ARCH.fullmatch(suffix):
                pretty, arch = head or None, _ARCHES.get(suffix.lower(), suffix)
            elif suffix is not None and (ps := _WINDOWS_PS.fullmatch(suffix)) is not None:
                pretty, kernel = head or None, ps.group(1)
        lower = (pretty or "").lower()
        python = f.get("python_version") or ""
        if lower.startswith(("microsoft windows", "windows")) or platform.startswith(
                "Windows") or "[MSC v." in python or any(
                _WINDOWS_DRIVE.match(p) for p in self.scan.cudnn_items):
            # An MSC-built Python and a C:\ cuDNN path only exist on Windows.
            system = "Windows"
        elif lower.startswith(("mac osx", "macos", "mac os x", "os x")) or platform.startswith(
                ("macOS", "Darwin")):
            system = "Darwin"
        elif platform.startswith("Linux") or lower.startswith("linux") or _distro(lower) or (
                (f.get("libc") or "").startswith("glibc")):
            system = "Linux"
        else:
            system = None
            unknown["system"] = ("the OS line does not name Linux, Windows or macOS" if raw
                                 else _why_missing(f, "os", "OS"))
        self.system = system
        distro = _distro(lower) if system == "Linux" else None
        distro_version = codename = None
        if distro is not None:
            distro_version, codename = _distro_version(distro[0], pretty or "")
        elif system == "Linux" and pretty and lower not in ("linux",):
            unknown["distro_id"] = f"the OS line '{pretty}' names no distribution envdoctor knows"
        elif system == "Linux":
            unknown["distro_id"] = "the report does not name the distribution"
        if platform:
            self._use("os", "python_platform")
        if system == "Linux" and platform.startswith("Linux-"):
            kernel, machine = _linux_platform(platform)
            arch = arch or machine
        libc = libc_version = None
        raw_libc = _null(f.get("libc"))
        if raw_libc and "-" in raw_libc:
            self._use("os", "libc")
            libc, _, libc_version = raw_libc.partition("-")
            libc, libc_version = libc or None, libc_version or None
        elif system == "Linux" and "-with-glibc" in platform:
            libc, libc_version = "glibc", platform.rsplit("-with-glibc", 1)[1].split("-")[0]
        if system == "Linux" and libc_version is None:
            unknown["libc_version"] = ("the report has no 'Libc version' line (added in 2021)"
                                       if "libc" not in f else
                                       f"'Libc version: {f['libc']}' names no C library")
        if arch is None and system == "Windows":
            arch = self._windows_arch()
        if arch is None and self.scan.cpu_lines:
            arch = _ARCHES.get(_lscpu_fields(self.scan.cpu_lines).get("Architecture", "")
                               .lower())
        if arch is None:
            unknown["arch"] = "the report does not name the machine architecture"
        if kernel is None and system == "Linux":
            unknown["kernel"] = "the report has no Linux 'Python platform' line to read it from"
        version = None
        if system == "Darwin" and pretty:
            version_match = _VERSION.search(pretty)
            version = version_match.group(0) if version_match else None
        elif system == "Windows" and pretty:
            version_match = _WINDOWS_VERSION.search(pretty)
            version = version_match.group(1) if version_match else None
        if raw is None:
            unknown["pretty_name"] = _why_missing(f, "os", "OS")
        if distro is not None and pretty:
            distro_name: str | None = _distro_name(pretty)
        elif pretty and system in ("Darwin", "Windows"):
            distro_name = "macOS" if system == "Darwin" else "Windows"
        else:
            distro_name = None
        facts = OsFacts(
            system=system,
            distro_id=distro[0] if distro else None,
            distro_name=distro_name,
            distro_version=distro_version or version,
            distro_codename=codename,
            distro_like=list(distro[1]) if distro else [],
            pretty_name=pretty,
            kernel=kernel,
            arch=arch,
            libc=libc,
            libc_version=libc_version,
            unknown=unknown,
        )
        self._record("os", unknown)
        return facts

    def _windows_arch(self) -> str | None:
        python = self.f.get("python_version", "")
        if "(AMD64)" in python:
            return "x86_64"
        if "(ARM64)" in python:
            return "aarch64"
        for line in self.scan.cpu_lines:
            key, sep, value = line.partition("=")
            if not sep:
                key, sep, value = line.partition(":")
            if sep and key.strip() == "Architecture":
                return _WMIC_ARCH.get(value.strip())
        return None

    def _platform(self, os_facts: OsFacts) -> PlatformFacts | None:
        kernel = (os_facts.kernel or "").lower()
        if "microsoft" not in kernel:
            return None
        wsl = 2 if ("microsoft-standard" in kernel or "wsl2" in kernel) else 1
        self._use("platform", "python_platform")
        unknown = {"in_container": "a collect_env report does not say"}
        self._record("platform", unknown)
        return PlatformFacts(wsl=wsl, unknown=unknown)

    # ------------------------------------------------------------------ CPU

    def _cpu(self, os_facts: OsFacts) -> CpuFacts:
        s = self.scan
        lines = s.cpu_lines
        if not lines:
            if "cpu" in self.f:
                detail = "the report's CPU block is empty"
            elif "libraries" in s.order:
                detail = "this collect_env version prints no CPU block (added in 2022)"
            else:
                detail = "the report ends before a CPU block (printed from 2022 on)"
            self._record("cpu", {}, empty=True, empty_detail=detail)
            return CpuFacts(unknown={"model": detail})
        self._use("cpu", "cpu")
        if any(_WMIC_LINE.fullmatch(line) for line in lines[:4]):
            facts = _cpu_windows(lines, "=", "wmic cpu get")
        elif any(line.startswith(("Name:", "Manufacturer:")) for line in lines[:4]):
            facts = _cpu_windows(lines, ":", "Win32_Processor (PowerShell)")
        elif len(lines) == 1 and ":" not in lines[0]:
            facts = _cpu_brand(lines[0], os_facts.system)
        else:
            from envdoctor.probes.cpu import parse_lscpu  # noqa: PLC0415 - the probe's own reader

            facts = parse_lscpu("\n".join(_lscpu_lines(lines)))
            unknown = dict(facts.unknown)
            if not facts.isa:
                unknown["isa"] = "the report's lscpu output has no Flags line"
            facts = _replace(facts, usable=None, unknown=unknown)
        notes = (["the text ends inside the CPU block, which may be incomplete"]
                 if s.ended_inside == "cpu" else [])
        self._record("cpu", facts.unknown, notes)
        return facts

    # ------------------------------------------------------------------ environment

    def _env(self) -> EnvFacts:
        if not self.scan.env and not self.scan.env_section:
            self._record("env", {}, empty=True, empty_detail=(
                "PyTorch's collect_env prints no environment variables" if self.variant ==
                "PyTorch" else "the report has no environment variables section"))
            return EnvFacts()
        from envdoctor.probes.envvars import is_allowed  # noqa: PLC0415
        from envdoctor.redact import looks_secret  # noqa: PLC0415

        variables: dict[str, str] = {}
        withheld: list[str] = []
        for name, value in self.scan.env:
            if not is_allowed(name) or name in variables or name in withheld:
                continue
            if len(value) > _MAX_VALUE or looks_secret(value):
                withheld.append(name)
            else:
                variables[name] = value
        self._use("env", "env")
        notes = (["the text ends inside the environment variables, which may be incomplete"]
                 if self.scan.ended_inside == "env" else [])
        self._record("env", {}, notes)
        return EnvFacts(variables=dict(sorted(variables.items())), withheld=sorted(withheld))

    # ------------------------------------------------------------------ Python

    def _python(self) -> PythonFacts:
        s, f = self.scan, self.f
        unknown: dict[str, str] = {}
        raw = _null(f.get("python_version"))
        version = implementation = None
        if raw:
            self._use("python", "python_version")
            m = _PY_VERSION.match(raw)
            version = m.group(1).rstrip("+") if m else None
            if "PyPy" in raw:
                implementation = "PyPy"
            elif "[" in raw or "(main," in raw or "(default," in raw or "|" in raw:
                implementation = "CPython"
        if version is None:
            unknown["version"] = _why_missing(f, "python_version", "Python version")
        dists: dict[str, Distribution] = {}
        for name, ver in s.pip:
            canonical = _canonical(name)
            dists.setdefault(canonical, Distribution(name=canonical, version=ver))
        conda: dict[str, CondaPackage] = {}
        for name, ver, build, channel in s.conda:
            if _pip_installed(build, channel):
                dists.setdefault(_canonical(name), Distribution(name=_canonical(name),
                                                                version=ver))
            else:
                conda.setdefault(name, CondaPackage(name=name, version=ver, build=build))
        torch = _version(f.get("torch_version"))
        if torch and "torch" not in dists:
            dists["torch"] = Distribution(name="torch", version=torch)
        vllm = _version(f.get("vllm_version"))
        if vllm and "vllm" not in dists:
            dists["vllm"] = Distribution(name="vllm", version=vllm)
        if s.pip or s.pip_status:
            self._use("python", "pip")
        if s.conda or s.conda_status:
            self._use("python", "conda")
        if s.pip_status == "could not collect":
            unknown["distributions"] = "collect_env could not run pip ([pip] Could not collect)"
            if s.pip:
                unknown["distributions"] += ("; the packages come from its [uv] lines: "
                                             + _PIP_FILTER)
        elif not s.pip and not s.pip_status:
            unknown["distributions"] = ("the report has no [pip] lines" if s.conda_seen else
                                        "the report has no package lists")
        else:
            unknown["distributions"] = _PIP_FILTER
        if s.ended_inside == "pip":
            unknown["distributions"] += "; the text ends inside the [pip] list"
        if s.conda_status == "could not collect":
            unknown["conda_packages"] = ("collect_env could not run conda ([conda] Could not "
                                         "collect)")
        elif not s.conda_seen:
            unknown["conda_packages"] = "the report has no [conda] lines"
        elif s.ended_inside == "conda":
            unknown["conda_packages"] = ("the text ends inside the [conda] list, which may be "
                                         "incomplete")
        unknown["prefix"] = "the report does not name the interpreter or its environment"
        problems = list(s.pip_problems[:20])
        if s.dropped:
            problems.append(f"{s.dropped} package lines beyond the first {_MAX_ITEMS} per list "
                            "were not read")
        self._record("python", unknown, problems=problems)
        return PythonFacts(
            version=version,
            implementation=implementation,
            distributions=sorted(dists.values(), key=lambda d: d.name),
            conda_packages=sorted(conda.values(), key=lambda p: p.name),
            unknown=unknown,
        )

    def _blas(self, python: PythonFacts, env: EnvFacts) -> BlasFacts:
        numpy = next((d.version for d in python.distributions if d.name == "numpy"), None)
        numpy = numpy or next((p.version for p in python.conda_packages if p.name == "numpy"),
                              None)
        threads = {k: v for k, v in env.variables.items() if k in _THREAD_VARIABLES}
        unknown: dict[str, str] = {}
        s = self.scan
        if numpy is not None:
            self._use("blas", "pip" if any(n == "numpy" for n, _ in s.pip) else "conda")
            unknown["blas"] = "a collect_env report does not say which BLAS numpy uses"
        elif (s.pip or s.pip_status == "no relevant packages") and s.ended_inside != "pip":
            # collect_env's pip filter always matches numpy: a whole list without it means
            # numpy is not installed there.
            self._use("blas", "pip")
            self._record("blas", {}, detail="numpy is not in the report's [pip] list")
            return BlasFacts(thread_settings=threads)
        else:
            unknown["numpy_version"] = (
                "the [pip] list ends before numpy could appear" if s.pip else
                "collect_env could not run pip" if s.pip_status == "could not collect" else
                "the report has no [pip] list to tell")
        self._record("blas", unknown)
        return BlasFacts(numpy_version=numpy, thread_settings=threads, unknown=unknown)

    # ------------------------------------------------------------------ GPUs and driver

    def _gpus(self) -> tuple[NvidiaFacts, list[AmdGpu]]:
        from envdoctor.knowledge import KnowledgeBase, pci_device  # noqa: PLC0415

        f, s = self.f, self.scan
        kb = KnowledgeBase()
        rocm_build = _version(f.get("rocm_build")) is not None or "+rocm" in (
            f.get("torch_version") or "")
        rows: dict[str, dict[str, Any] | None] = {}
        nvidia: list[NvidiaGpu] = []
        amd: list[AmdGpu] = []
        for raw_item in s.gpu_items:
            item = raw_item[:300].strip()
            if "(UUID:" in item:
                item = _UUID.sub("", item).strip()
            if _null(item) is None:
                continue
            m = _GPU_ITEM.fullmatch(item)
            name = (m.group(2).strip() if m else item).replace("NoGCNArchNameOnOldPyTorch", "")
            gfx = None
            head, suffix = _last_parenthesis(name)
            gfx_match = _GFX.match(suffix) if suffix else None
            if gfx_match is not None:  # "AMD Radeon RX 5700 XT (gfx1010:xnack-)"
                name, gfx = head, gfx_match.group(0)
            if name not in rows:
                rows[name] = _kb_gpu(kb, name)
            row = rows[name]
            vendor = row.get("vendor") if row else None
            if m is None and (gfx or vendor == "amd" or (vendor is None and (
                    rocm_build or name.lower().startswith(("amd", "radeon", "instinct"))))):
                # ROCm names a GPU it has no marketing name for by its PCI id ("Device 66a1").
                pci = _PCI_NAME.fullmatch(name)
                device_id = pci.group(1).lower() if pci else None
                if device_id and not gfx and row is None:
                    row = pci_device("1002", device_id)
                amd.append(AmdGpu(name=name, gfx=gfx or (row or {}).get("gfx"),
                                  device_id=device_id, source="torch"))
                continue
            nvidia.append(NvidiaGpu(
                index=int(m.group(1)) if m else len(nvidia), name=name,
                compute_capability=(row or {}).get("compute_capability"),
                architecture=(row or {}).get("architecture"),
                source="nvidia-smi" if m else "torch"))
        unknown: dict[str, str] = {}
        if amd:
            self._use("rocm", "gpus")
        if nvidia or ("gpus" in f and not amd):
            self._use("nvidia", "gpus")
        if "driver" in f:
            self._use("nvidia", "driver")
        if not (nvidia or amd) and "gpus" in f:
            unknown["gpus"] = _why_null("GPU models and configuration", f.get("gpus"))
        driver_raw = f.get("driver")
        driver = _version(driver_raw)
        source = None
        if driver and self.system == "Darwin":
            unknown["userspace_version"] = (
                f"on macOS collect_env prints the CUDA kext's version ({driver}), not the "
                "NVIDIA driver's")
            driver = None
        elif driver:
            source = "nvidia-smi, in a collect_env report"
        else:
            unknown["userspace_version"] = _why_null("Nvidia driver version", driver_raw) if (
                "driver" in f) else _why_missing(f, "driver", "Nvidia driver version")
        cuda_api = None
        for warning in s.warnings:
            found = _FOUND_DRIVER_API.search(warning)
            if found is not None and "driver" in warning.lower():
                code = int(found.group(1))
                cuda_api = f"{code // 1000}.{code % 1000 // 10}"
                self._use("nvidia", "warnings")
                break
        if cuda_api is None:
            unknown["cuda_driver_version"] = "a collect_env report does not show it"
        unknown["kernel_module_version"] = "a collect_env report shows the user-space driver only"
        nvidia_facts = NvidiaFacts(
            userspace_version=driver, userspace_source=source, cuda_driver_version=cuda_api,
            gpus=sorted(nvidia, key=lambda g: g.index), unknown=unknown)
        notes = ["the text ends inside the GPU list, which may be incomplete"] if (
            s.ended_inside == "gpus") else []
        self._record("nvidia", unknown, notes)
        return nvidia_facts, amd

    def _rocm(self, amd: list[AmdGpu], env: EnvFacts) -> RocmFacts:
        f = self.f
        hip_runtime = _version(f.get("hip_runtime"))
        hipcc = _version(f.get("vllm_rocm"))
        hip = hipcc or hip_runtime
        for key in ("hip_runtime", "vllm_rocm", "rocm_build"):
            if key in f:
                self._use("rocm", key)
        if amd:
            self._use("rocm", "gpus")
        unknown: dict[str, str] = {}
        if not (amd or hip or _version(f.get("rocm_build"))):
            self._record("rocm", {}, empty=True, empty_detail=(
                "the report shows no ROCm build, HIP runtime or AMD GPU"))
            return RocmFacts(hsa_override_gfx_version=env.variables.get(
                "HSA_OVERRIDE_GFX_VERSION"))
        unknown["rocm_version"] = ("a collect_env report names the HIP version, not the "
                                   "installed ROCm release")
        if hip is None:
            unknown["hip_version"] = _why_null("HIP runtime version", f.get("hip_runtime"))
        self._record("rocm", unknown)
        return RocmFacts(gpus=amd, hip_version=hip, unknown=unknown,
                         hsa_override_gfx_version=env.variables.get("HSA_OVERRIDE_GFX_VERSION"))

    # ------------------------------------------------------------------ CUDA

    def _cuda(self, python: PythonFacts, env: EnvFacts) -> CudaFacts:
        from envdoctor.probes.cuda import LIBRARIES  # noqa: PLC0415 - the probe's own tables

        f, s = self.f, self.scan
        unknown: dict[str, str] = {}
        toolkits = []
        nvcc = _version(f.get("cuda_runtime"))
        for key in ("cuda_runtime", "cudnn"):
            if key in f:
                self._use("cuda", key)
        if nvcc:
            toolkits.append(CudaToolkit(path="$PATH", version=nvcc,
                                        version_source="nvcc --version", has_nvcc=True,
                                        on_path=True))
            unknown["nvcc_path"] = ("the report gives the version of the nvcc on PATH, not "
                                    "its directory (toolkit path '$PATH')")
        elif "cuda_runtime" in f:
            reason = _why_null("CUDA runtime version", f.get("cuda_runtime"))
            unknown["toolkits"] = f"{reason} (the line is the version of the nvcc on PATH)"
        else:
            unknown["toolkits"] = _why_missing(f, "cuda_runtime", "CUDA runtime version")
        libraries = _cudnn_copies(s.cudnn_items)
        if not libraries and "cudnn" in f:
            unknown["libraries"] = _why_null("cuDNN version", f.get("cudnn"))
        notes = (["the text ends inside the cuDNN list, which may be incomplete"]
                 if s.ended_inside == "cudnn" else [])
        for library, (_, _, _, pip_names, conda_names) in LIBRARIES.items():
            for dist in python.distributions:
                if dist.name in pip_names:
                    libraries.append(LibraryCopy(library=library, version=dist.version,
                                                 origin=f"pip:{dist.name}"))
                    self._use("cuda", "pip")
            for pkg in python.conda_packages:
                if pkg.name in conda_names:
                    libraries.append(LibraryCopy(library=library, version=pkg.version,
                                                 origin=f"conda:{pkg.name}"))
                    self._use("cuda", "conda")
        variables = env.variables
        cuda_home = variables.get("CUDA_HOME") or variables.get("CUDA_PATH") or variables.get(
            "CUDA_ROOT")
        if cuda_home:
            self._use("cuda", "env")
        ld_path = [d for d in variables.get("LD_LIBRARY_PATH", "").split(":") if d]
        self._record("cuda", unknown, notes)
        return CudaFacts(toolkits=toolkits, cuda_home=cuda_home, libraries=libraries,
                         ld_library_path=ld_path, unknown=unknown)

    # ------------------------------------------------------------------ frameworks

    def _frameworks(self, python: PythonFacts, nvidia: NvidiaFacts,
                    amd: list[AmdGpu]) -> list[FrameworkFacts]:
        problems: list[str] = []
        notes: list[str] = []
        found: list[FrameworkFacts] = []
        if python.distributions:
            try:
                from envdoctor.probes import frameworks as probe  # noqa: PLC0415

                stub: Any = _NoFiles()
                found = probe.probe(stub, python.distributions, [])
                problems += stub.problems
            except Exception as exc:  # a probe change must not break reading reports
                problems.append(f"the frameworks probe could not read the package list: "
                                f"{type(exc).__name__}: {exc}")
                found = []
        if found:
            self._use("frameworks", "pip" if self.scan.pip else "conda")
        torch = self._torch(next((fw for fw in found if fw.name == "torch"), None), nvidia, amd)
        vllm = self._vllm(next((fw for fw in found if fw.name == "vllm"), None))
        out = [fw for fw in found if fw.name not in ("torch", "vllm")]
        out += [fw for fw in (torch, vllm) if fw is not None]
        if "torch_version" in self.f and _version(self.f["torch_version"]) is None:
            notes.append(f"collect_env could not import torch ('PyTorch version: "
                         f"{self.f['torch_version']}')")
        if not out and not problems and not notes:
            self._record("frameworks", {}, empty=True, empty_detail=(
                "the report names no framework"))
            return []
        self._record("frameworks", {}, notes, problems=problems)
        return sorted(out, key=lambda fw: (fw.name, fw.distribution))

    def _torch(self, fw: FrameworkFacts | None, nvidia: NvidiaFacts,
               amd: list[AmdGpu]) -> FrameworkFacts | None:
        from envdoctor.probes._build_info import parse_local_tag  # noqa: PLC0415

        f = self.f
        version = _version(f.get("torch_version"))
        if version is None:
            if fw is not None and "torch_version" in f:
                details = dict(fw.details)
                details["collect_env"] = "torch could not be imported"
                return _replace(fw, details=details)
            return fw
        self._use("frameworks", "torch_version")
        tag = parse_local_tag(version)
        cuda = _version(f.get("cuda_build"))
        hip = _version(f.get("rocm_build"))
        xpu = _version(f.get("xpu_build"))
        details: dict[str, str] = dict(fw.details) if fw is not None else {}
        build = tag.build
        cuda_version = tag.cuda_version
        rocm_version = tag.rocm_version
        if hip:
            self._use("frameworks", "rocm_build")
            build = "rocm"
            details["hip"] = hip
            rocm_version = rocm_version or (major_minor(hip) if version_tuple(hip)[:1] != (0,)
                                            else None)
        elif cuda:
            self._use("frameworks", "cuda_build")
            build, cuda_version = "cuda", cuda
        elif xpu:
            self._use("frameworks", "xpu_build")
            build = "xpu"
        elif "cuda_build" in f and (f.get("cuda_build") or "").strip().lower() in (
                "none", "could not collect") and _null(f.get("rocm_build")) is None:
            # torch.version.cuda (and .hip) is None: a build without CUDA or ROCm.
            self._use("frameworks", "cuda_build")
            build = "mps" if self.system == "Darwin" and version_tuple(tag.public) >= (1, 12) \
                else "cpu"
        debug = _bool(f.get("debug_build"))
        if debug is not None:
            self._use("frameworks", "debug_build")
            details["debug"] = str(debug)
        for key, name in (("cuda_module_loading", "cuda_module_loading"),
                          ("xnnpack", "xnnpack"), ("hip_runtime", "hip_runtime"),
                          ("miopen", "miopen"), ("allocator", "caching_allocator_config"),
                          ("xpu_available", "xpu_available")):
            value = _null(f.get(key))
            if value is not None:
                self._use("frameworks", key)
                details[name] = value
        arch_list: list[str] = list(fw.arch_list) if fw is not None else []
        error = None
        for warning in self.scan.warnings:
            caps = _CAPABILITIES.search(warning)
            if caps is not None and not arch_list:
                arch_list = sorted(set(caps.group(1).split()),
                                   key=lambda a: (a.startswith("compute"), version_tuple(
                                       a.split("_")[1])))
            if error is None and any(w in warning for w in (
                    "CUDA initialization", "CUDA capability", "cuda capability",
                    "NVIDIA driver", "HIP initialization")):
                error = warning.split(". ")[0].strip().rstrip(".") + "."
        if error:
            self._use("frameworks", "warnings")
        deep = None
        available = _bool(f.get("cuda_available"))
        if available is not None:
            self._use("frameworks", "cuda_available")
            device = None
            if available:
                names = [g.name for g in nvidia.gpus if g.name] or [g.name for g in amd
                                                                    if g.name]
                device = names[0] if names and len(set(names)) == 1 else "cuda"
                if build == "rocm" and amd and amd[0].name:
                    device = amd[0].name
            deep = DeepCheck(imported=True, device=device, gpu_op=None, error=error)
            self.records["deep"] = ProbeRecord(
                name="deep", status=ProbeStatus.PARTIAL,
                sources=[f"{self.path or 'collect_env report'}: Is CUDA available"],
                detail="collect_env imported torch and asked torch.cuda.is_available(); no GPU "
                       "operation was run")
        return FrameworkFacts(
            name="torch",
            distribution=fw.distribution if fw is not None else "torch",
            version=tag.public,
            build=build,
            local_tag=tag.local,
            cuda_version=cuda_version,
            rocm_version=rocm_version,
            cudnn_version=fw.cudnn_version if fw is not None else None,
            arch_list=arch_list,
            sources=[f"{self.path or 'collect_env report'}: PyTorch version"],
            details=details,
            deep=deep,
        )

    def _vllm(self, fw: FrameworkFacts | None) -> FrameworkFacts | None:
        f = self.f
        details = dict(fw.details) if fw is not None else {}
        for key, name in (("vllm_flags", "build_flags"), ("neuron", "neuron_sdk"),
                          ("vllm_rocm", "rocm_hipcc")):
            value = _null(f.get(key))
            if value is not None:
                details[name] = value
        if fw is None or not details:
            return fw
        self._use("frameworks", "vllm_version")
        return _replace(fw, details=details)


_THREAD_VARIABLES = frozenset({
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "MKL_THREADING_LAYER",
    "MKL_DEBUG_CPU_TYPE", "MKL_ENABLE_INSTRUCTIONS",
})


# --------------------------------------------------------------------------- small readers


def _replace(obj: Any, **changes: object) -> Any:  # noqa: ANN401 - any frozen dataclass
    from dataclasses import replace  # noqa: PLC0415

    return replace(obj, **changes)


def _distro(lower: str) -> tuple[str, tuple[str, ...]] | None:
    for prefix, distro_id, like in _DISTROS:
        if lower.startswith(prefix):
            return distro_id, like
    return None


def _distro_name(pretty: str) -> str:
    """The name part of an OS line.

    ``Ubuntu 22.04.5 LTS`` → ``Ubuntu``; ``CentOS Linux release 7.9.2009 (Core)`` →
    ``CentOS Linux``.
    """
    words = []
    for word in pretty.replace(" release ", " ").split():
        if word[:1].isdigit() or word.startswith("("):
            break
        words.append(word)
    return " ".join(words) or pretty


def _distro_version(distro_id: str, pretty: str) -> tuple[str | None, str | None]:
    """os-release's VERSION_ID and codename as the distribution writes them, from the OS line."""
    m = _DISTRO_VERSION.search(pretty)
    codename_match = _CODENAME.search(pretty)
    codename = codename_match.group(1) if codename_match and distro_id == "debian" else None
    if m is None:
        return None, codename
    number = m.group(1)
    if distro_id == "ubuntu":
        return ".".join(number.split(".")[:2]), codename  # 22.04.5 LTS → VERSION_ID 22.04
    if distro_id in ("centos", "debian", "amzn"):
        return number.split(".")[0], codename  # CentOS 7.9.2009 → 7
    if distro_id == "sles" and m.group(2):
        return f"{number}.{m.group(2)}", codename  # 12 SP1 → 12.1
    return number, codename


def _linux_platform(platform: str) -> tuple[str | None, str | None]:
    """``Linux-<release>-<machine>[-<processor>]-with-<libc>`` → (kernel release, machine)."""
    body = platform[len("Linux-"):].split("-with-", 1)[0]
    for machine in ("x86_64", "aarch64", "ppc64le", "s390x", "armv7l", "i686", "riscv64"):
        cut = body.rfind(f"-{machine}")
        if cut > 0:
            return body[:cut], machine
    return None, None


def _last_parenthesis(value: str) -> tuple[str, str | None]:
    """``Ubuntu 22.04 LTS (x86_64)`` → (``Ubuntu 22.04 LTS``, ``x86_64``); no suffix → None."""
    v = value.rstrip()
    if not v.endswith(")"):
        return v, None
    start = v.rfind("(")
    if start == -1:
        return v, None
    return v[:start].rstrip(), v[start + 1:-1].strip()


def _split_path(item: str) -> tuple[str, str]:
    cut = max(item.rfind("/"), item.rfind("\\"))
    return (item[:cut], item[cut + 1:]) if cut >= 0 else ("", item)


def _cudnn_copies(items: list[str]) -> list[LibraryCopy]:
    """The cuDNN files a report lists, as one copy per directory and major version.

    The version is the longest one in the file names (``libcudnn.so.8.9.7``), as the cuda
    probe reads a directory; files without one (``libcudnn.so``) join their directory's
    copy when it holds one major version only.
    """
    by_dir: dict[str, list[tuple[str, str | None]]] = {}
    for item in items:
        directory, name = _split_path(item.strip())
        by_dir.setdefault(directory, []).append((name, _cudnn_version(name)))
    copies = []
    for directory, files in by_dir.items():
        majors = sorted({v.split(".")[0] for _, v in files if v})
        groups: dict[str | None, list[tuple[str, str | None]]] = {}
        for name, version in files:
            major = version.split(".")[0] if version else (majors[0] if len(majors) == 1
                                                           else None)
            groups.setdefault(major, []).append((name, version))
        for group in groups.values():
            versions = [v for _, v in group if v]
            copies.append(LibraryCopy(
                library="cudnn", version=max(versions, key=len) if versions else None,
                path=directory or None,
                origin="toolkit" if _TOOLKIT_DIR.search(directory + "/") else "system",
                sonames=sorted({name for name, _ in group})))
    return copies


def _cudnn_version(name: str) -> str | None:
    """The version in a cuDNN file name, or ``None``.

    ``libcudnn.so.8.9.7`` → ``8.9.7``; ``cudnn64_8.dll`` → ``8``; ``libcudnn.9.dylib`` → ``9``.
    """
    lower = name.lower()
    if lower.endswith(".dll"):
        tail = lower[:-4].rpartition("_")[2]
        return tail if tail.isdigit() else None
    if lower.endswith(".dylib"):
        tail = _version_tail(lower[: -len(".dylib")])
    else:
        cut = lower.rfind(".so.")
        tail = lower[cut + 4:] if cut != -1 else ""
    return tail if tail and all(p.isdigit() for p in tail.split(".")) else None


def _version_tail(text: str) -> str:
    """The trailing ``8.9.7`` of ``libcudnn.8.9.7`` (digits and dots after the last name dot)."""
    end = len(text)
    start = end
    while start > 0 and (text[start - 1].isdigit() or text[start - 1] == "."):
        start -= 1
    return text[start:end].strip(".")


def _kb_gpu(kb: Any, name: str) -> dict[str, Any] | None:  # noqa: ANN401 - a KnowledgeBase
    if not name or len(name) > 200:
        return None
    try:
        row = kb.gpu(name)
    except (KeyError, TypeError, ValueError):
        return None
    return row if isinstance(row, dict) else None


def _pip_installed(build: str, channel: str) -> bool:
    """A ``conda list`` row for a package pip installed (``<pip>``, ``pypi_0 pypi``, develop)."""
    return build in ("<pip>", "<develop>", "dev_0") or build.startswith("pypi_") or (
        channel in ("pypi", "<develop>", "<pip>"))


def _why_null(label: str, raw: str | None) -> str:
    v = (raw or "").strip()
    if v.lower() == "no cuda":
        return (f"'{label}: No CUDA': collect_env found no NVIDIA tools (nvidia-smi, nvcc) "
                "and torch found no CUDA device")
    if v.lower() == "could not collect":
        return f"'{label}: Could not collect': the tool collect_env runs for it failed"
    if v.lower() in ("n/a", "none"):
        return f"'{label}: {v}'"
    return f"the report's '{label}' line gives no value"


def _why_missing(fields: dict[str, str], key: str, label: str) -> str:
    if key in fields:
        return _why_null(label, fields.get(key))
    return f"the report has no '{label}' line"


def _lscpu_lines(lines: list[str]) -> list[str]:
    """The CPU block's lines with localized lscpu labels and full-width colons made English."""
    out = []
    for line in lines:
        label, sep, value = line.replace("：", ":", 1).partition(":")
        english = _LSCPU_ZH.get(label.strip()) if sep else None
        out.append(f"{english}:{value}" if english is not None else line.replace("：", ":", 1))
    return out


def _lscpu_fields(lines: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in _lscpu_lines(lines):
        label, sep, value = line.partition(":")
        if sep:
            fields.setdefault(label.strip(), value.strip())
    return fields


def _cpu_windows(lines: list[str], sep: str, source: str) -> CpuFacts:
    """The Windows CPU block: ``wmic``'s ``Key=Value`` lines or PowerShell's ``Key: Value``.

    One group per socket (PowerShell separates them with a dashed line).
    """
    groups: list[dict[str, str]] = [{}]
    for line in lines:
        if line.startswith("---"):
            if groups[-1]:
                groups.append({})
            continue
        key, found, value = line.partition(sep)
        if not found:
            continue
        key = key.strip()
        if key in groups[-1]:
            groups.append({})
        groups[-1][key] = value.strip()
    groups = [g for g in groups if g]
    first = groups[0] if groups else {}
    vendor_id = first.get("Manufacturer") or None
    model = " ".join(first.get("Name", "").split()) or None
    unknown = {"isa": "the report's Windows CPU block lists no instruction-set flags",
               "threads": "the report's Windows CPU block does not count cores or threads"}
    if model is None:
        unknown["model"] = "the report's Windows CPU block has no Name"
    return CpuFacts(vendor=_X86_VENDORS.get(vendor_id or "", (vendor_id or "").lower() or None),
                    vendor_id=vendor_id, model=model,
                    sockets=len([g for g in groups if "Name" in g]) or None, source=source,
                    unknown=unknown)


def _cpu_brand(line: str, system: str | None) -> CpuFacts:
    """The macOS brand string (``Apple M2 Max``), or an error a failed command printed."""
    lower = line.lower()
    if system not in ("Darwin", None) or any(w in lower for w in (
            "not found", "error", "no such", "command", "permission")):
        return CpuFacts(unknown={"model": f"the CPU block holds no CPU description: {line[:200]}"})
    vendor = "apple" if lower.startswith("apple") else "intel" if "intel" in lower else (
        "amd" if "amd" in lower else None)
    return CpuFacts(vendor=vendor, model=" ".join(line.split()),
                    source="sysctl machdep.cpu.brand_string",
                    unknown={"isa": "macOS's brand string lists no instruction-set flags",
                             "threads": "macOS's brand string does not count cores or threads"})


# --------------------------------------------------------------------------- completeness

_PARTS = {
    "torch": ("the PyTorch build fields", ("torch_version", "debug_build", "cuda_build",
                                           "rocm_build", "xpu_build")),
    "system": ("the OS and compiler fields", ("os", "gcc", "clang", "cmake", "libc")),
    "python": ("the Python and CUDA/GPU fields", (
        "python_version", "python_platform", "cuda_available", "cuda_runtime",
        "cuda_module_loading", "gpus", "driver", "cudnn", "xpu_available", "hip_runtime",
        "miopen", "xnnpack", "allocator")),
    "cpu": ("the CPU block", ("cpu",)),
    "libraries": ("the [pip]/[conda] package lists", ("libraries",)),
    "vllm": ("the vLLM fields (version, build flags, GPU topology)", (
        "vllm_rocm", "neuron", "vllm_version", "vllm_flags", "topology")),
    "env": ("the environment variables", ()),
}
_LISTS = {"gpus": "GPU list", "cudnn": "cuDNN list", "cpu": "CPU block",
          "pip": "[pip] list", "conda": "[conda] list", "topology": "GPU topology",
          "env": "environment variables"}
# The CPU block appears with CUDA_MODULE_LOADING/XNNPACK (late 2022); older reports lack it.
_NEWER = frozenset({"cuda_module_loading", "xnnpack", "xpu_available", "allocator", "cpu"})


def _incomplete(scan: _Scan, variant: str) -> str | None:
    """Say which part of the report is missing, or ``None`` when it reads as complete."""
    if scan.sectioned:
        layout = ["system", "torch", "python", "cpu", "libraries", "vllm", "env"]
    else:
        layout = ["torch", "system", "python", "cpu", "libraries"]
        if variant == "vLLM":
            layout.append("vllm")
    part_of = {key: part for part, (_, keys) in _PARTS.items() for key in keys}
    seen = [part_of[k] for k in scan.order if k in part_of]
    if scan.pip or scan.conda_seen:
        seen.append("libraries")
    if scan.env or scan.env_section:
        seen.append("env")
    if not seen:
        return None
    indices = [layout.index(p) for p in seen if p in layout]
    if not indices:
        return None
    first, last = min(indices), max(indices)
    said: list[str] = []
    if first > 0:
        label = _DISPLAY.get(scan.first_key or "", scan.first_key or "")
        said.append(f"the beginning is missing (the text starts at '{label}')")
    # Reports older than late 2022 have no CPU block: name it as possibly missing only.
    newer = any(k in _NEWER for k in scan.order) or scan.sectioned
    missing = [p if p != "cpu" or newer else "cpu?" for p in layout[last + 1:]]
    libraries_open = layout[last] == "libraries" and not scan.conda_seen
    if layout[last] == "vllm" and "topology" not in scan.order:
        missing.insert(0, "vllm-rest")
    inside = scan.ended_inside
    if inside is not None:
        what = _LISTS.get(inside, inside)
        said.append(f"the text ends inside the {what}, which may be incomplete")
    if libraries_open:
        said.append("the [conda] list is missing" if scan.pip or scan.pip_status else
                    "the [pip]/[conda] package lists are missing")
    if missing:
        names = []
        for p in missing:
            if p == "cpu?":
                names.append("the CPU block (printed by versions from 2022 on)")
            elif p == "vllm-rest":
                names.append("the rest of the vLLM fields")
            else:
                names.append(_PARTS[p][0])
        last_label = _DISPLAY.get(_last_key(scan), _last_key(scan))
        said.append(f"cut off after '{last_label}'; missing: {', '.join(names)}")
    return "; ".join(said) or None


def _last_key(scan: _Scan) -> str:
    context = scan.last_context
    if context.startswith("field:"):
        return context[6:]
    return {"gpus": "gpus", "cudnn": "cudnn", "cpu": "cpu", "pip": "[pip] lines",
            "conda": "[conda] lines", "topology": "topology", "env": "environment variables",
            "banner": "a section banner", "section": "a section title",
            "marker": "Collecting environment information"}.get(context, context)


