"""How an installed ML framework was built, read from its own files as text.

Every function here is a pure parser: it takes the text of one file (or a list of file
names) and returns plain data. None of them opens a file, imports a framework or raises on
garbage; a text that is not what it should be gives an empty :class:`BuildInfo`, ``None``
or an empty collection. The probes read the files through their context and hand the text
over, so these parsers can be tested on the real wheel members recorded in
``tests/recordings/wheel-files/`` (see "GPU stack recordings" in
``tests/recordings/README.md``), which is where each format described below was checked.

Python files (``torch/version.py``, TensorFlow's ``build_info.py``, ...) are read with
:func:`ast.parse` and :func:`ast.literal_eval`, which evaluate literals only and never run
the code; a file that does not parse is read line by line instead.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from envdoctor._util import lazy_re

Build = Literal["cuda", "rocm", "cpu", "mps", "xpu", "directml", "openvino"]
"""What a build targets. The vocabulary of ``FrameworkFacts.build``: ``xpu`` is Intel's
GPU backend (torch ``+xpu`` wheels, Paddle XPU), ``directml``/``openvino`` name
onnxruntime's other packages."""


@dataclass(frozen=True)
class BuildInfo:
    """The build facts one file states; a field the file does not state is left empty."""

    version: str | None = None
    """The version as the file writes it, local tag included (``2.5.1+cu124``);
    :func:`parse_local_tag` splits it."""
    build: Build | None = None
    """``cuda``, ``rocm``, ``cpu``, ``mps``, ``xpu``, ``directml``, ``openvino``; ``None``
    when the file does not say."""
    cuda_version: str | None = None
    """CUDA the build targets (``12.4``; ``12.x`` where the file names only the major)."""
    rocm_version: str | None = None
    """ROCm the build targets (``6.2``)."""
    cudnn_version: str | None = None
    """cuDNN the build targets or bundles (``8.6.0``; TensorFlow names only the major)."""
    nccl_version: str | None = None
    """NCCL the build bundles or was compiled against (``2.16.5``)."""
    arch_list: list[str] = field(default_factory=list)
    """GPU targets compiled in, normalised and sorted by number: ``sm_80`` (machine code),
    ``compute_90`` (PTX, JIT-compiled by the driver for newer GPUs), ``gfx942`` (AMD)."""
    details: dict[str, str] = field(default_factory=dict)
    """Other facts the file states, as text (``git_version``, ``with_mkl``, ``torch``)."""


class LocalTag(NamedTuple):
    """A version split at ``+`` and what its local tag says about the build."""

    public: str
    """The public version (``2.5.1``)."""
    local: str | None
    """The local tag, lower-cased (``cu124``), or ``None``."""
    build: Build | None = None
    cuda_version: str | None = None
    rocm_version: str | None = None
    cudnn_version: str | None = None


@dataclass(frozen=True)
class Requirements:
    """``Requires-Dist`` entries of a METADATA file: distribution → specifier.

    Names are normalised as PEP 503 does (``tensorrt_cu13`` → ``tensorrt-cu13``), extras
    in brackets dropped (``cuda-toolkit[cublas,...]`` → ``cuda-toolkit``) and a specifier
    written in the old parenthesised form (``(==12.2.5.6)``) unwrapped; an unpinned entry
    has ``""``. Environment markers are dropped: torch's Linux-only nvidia pins also
    appear in the METADATA of its macOS and aarch64 wheels, so a pin is what the
    distribution asks for on Linux x86_64, not proof of a CUDA build.
    """

    required: dict[str, str] = field(default_factory=dict)
    """Requirements that apply without any extra (markers ignored)."""
    extras: dict[str, dict[str, str]] = field(default_factory=dict)
    """Requirements only pulled in by an extra: extra name → {distribution: specifier}
    (``tensorflow[and-cuda]``'s nvidia pins are under ``"and-cuda"``)."""


# ---------------------------------------------------------------------------------------
# Reading Python files without running them
# ---------------------------------------------------------------------------------------

_PARSE_ERRORS = (SyntaxError, ValueError, TypeError, RecursionError, MemoryError,
                 OverflowError)
# `name = value` or `name: annotation = value` at the start of a line (the fallback reader).
_ASSIGNMENT = lazy_re(r"([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)\s*(.+?)\s*")


def _literal(node: ast.expr) -> object:
    """``ast.literal_eval``, plus the ``collections.OrderedDict([...])`` call TF writes."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else None)
        if name in ("OrderedDict", "dict"):
            pairs = ast.literal_eval(node.args[0])
            return dict(pairs)  # a TypeError (not pairs) is caught by the caller
    return ast.literal_eval(node)


def _parse(source: str, mode: Literal["exec", "eval"]) -> ast.AST:
    # A stray "\d" in a string makes the compiler warn; the caller must not print.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, mode=mode)


def _module_values(text: str) -> dict[str, object]:
    """Top-level ``name = literal`` assignments of a Python file (later ones win)."""
    values: dict[str, object] = {}
    try:
        tree = _parse(text, "exec")
    except _PARSE_ERRORS:
        return _values_by_line(text)
    if not isinstance(tree, ast.Module):
        return values
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            value_node: ast.expr = node.value
        elif (isinstance(node, ast.AnnAssign) and node.value is not None
              and isinstance(node.target, ast.Name)):
            # torch ≥ 2.3 writes `cuda: Optional[str] = '12.1'`; jaxlib `_git_hash: str = ...`.
            names = [node.target.id]
            value_node = node.value
        else:
            continue
        try:
            value = _literal(value_node)
        except _PARSE_ERRORS:
            continue
        for name in names:
            values[name] = value
    return values


def _values_by_line(text: str) -> dict[str, object]:
    """The fallback for a file that does not parse (truncated, mangled): one line at a time."""
    values: dict[str, object] = {}
    for line in text.splitlines():
        match = _ASSIGNMENT.fullmatch(line.rstrip("\r"))
        if not match:
            continue
        try:
            tree = _parse(match[2], "eval")
            if isinstance(tree, ast.Expression):
                values[match[1]] = _literal(tree.body)
        except _PARSE_ERRORS:
            continue
    return values


def _json_object(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError, MemoryError):
        return {}
    return data if isinstance(data, dict) else {}


def _str(value: object) -> str | None:
    """A non-empty string value, stripped; numbers as text; anything else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return str(value)
    return None


def _as_text(value: object) -> str:
    """How a value appears in ``details``: lists joined with commas, the rest ``str()``."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _rocm_from_hip(hip: str | None) -> str | None:
    # HIP is versioned with the ROCm release that ships it: HIP 6.2.41133 is in ROCm 6.2.
    match = re.match(r"(\d+)\.(\d+)", hip or "")
    return f"{match[1]}.{match[2]}" if match else None


def _version_tuple(version: str) -> tuple[int, ...]:
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", version)
    return tuple(int(p) for p in match[1].split(".")) if match else ()


# ---------------------------------------------------------------------------------------
# Local version tags
# ---------------------------------------------------------------------------------------


def _compact_cuda(digits: str) -> str | None:
    """``124`` → ``12.4``, ``92`` → ``9.2``, ``100`` → ``10.0``, ``12`` → ``12``.

    The compact form drops the dot; CUDA majors from 10 on take two digits, so a
    two-digit tag starting with 1 is a bare major (jaxlib's ``cuda12``).
    """
    if not digits.isdigit():
        return None
    if len(digits) == 2:
        return digits if digits[0] == "1" else f"{digits[0]}.{digits[1]}"
    if len(digits) in (3, 4):
        return f"{int(digits[:2])}.{int(digits[2:])}"
    return None


def parse_local_tag(version: str) -> LocalTag:
    """Split ``2.5.1+cu124`` into ``("2.5.1", "cu124")`` and say what the tag implies.

    Tags understood (PEP 440 local versions, lower-cased):
    ``cu124`` → CUDA 12.4 (``cu118`` → 11.8, ``cu92`` → 9.2, ``cu130`` → 13.0; torch,
    torchvision, torchaudio from download.pytorch.org); ``rocm6.2`` → ROCm 6.2 (also
    ``rocm5.4.2``); ``cpu`` (and torch's ``cpu.cxx11.abi``); ``xpu``; jaxlib's old
    ``cuda12.cudnn89`` → CUDA 12, cuDNN 8.9 and ``cuda111`` → CUDA 11.1. Any other tag (a
    source build's ``git1234abc``, NGC's ``nv24.03``) is returned with no build.
    """
    text = version.strip() if isinstance(version, str) else ""
    public, sep, local = text.partition("+")
    if not sep or not local.strip():
        return LocalTag(public.strip(), None)
    public, local = public.strip(), local.strip().lower()
    if match := re.fullmatch(r"cu(\d{2,4})(?:[._-].*)?", local):
        return LocalTag(public, local, "cuda", _compact_cuda(match[1]))
    if match := re.match(r"rocm(\d+(?:\.\d+)*)", local):
        return LocalTag(public, local, "rocm", rocm_version=match[1])
    if match := re.match(r"cuda(\d{2,3})(?:\b|[._-])", local + "."):
        cudnn = re.search(r"cudnn(\d)(\d+)", local)
        return LocalTag(public, local, "cuda", _compact_cuda(match[1]),
                        cudnn_version=f"{cudnn[1]}.{cudnn[2]}" if cudnn else None)
    if re.fullmatch(r"cpu(?:[._-].*)?", local):
        return LocalTag(public, local, "cpu")
    if re.fullmatch(r"xpu(?:[._-].*)?", local):
        return LocalTag(public, local, "xpu")
    return LocalTag(public, local)


# ---------------------------------------------------------------------------------------
# GPU architecture lists
# ---------------------------------------------------------------------------------------

# TORCH_CUDA_ARCH_LIST may name architectures; torch/utils/cpp_extension.py
# (_get_cuda_arch_flags, `named_arches`) expands them like this. Combined names first.
_NAMED_ARCHES = (
    ("Kepler+Tesla", "3.7"), ("Kepler", "3.5+PTX"), ("Maxwell+Tegra", "5.3"),
    ("Maxwell", "5.0;5.2+PTX"), ("Pascal", "6.0;6.1+PTX"), ("Volta+Tegra", "7.2"),
    ("Volta", "7.0+PTX"), ("Turing", "7.5+PTX"), ("Ampere+Tegra", "8.7"),
    ("Ampere", "8.0;8.6+PTX"), ("Ada", "8.9+PTX"), ("Hopper", "9.0+PTX"),
)
# nvcc's -gencode: `arch=compute_80,code=sm_80`, or several codes: `code=[sm_80,compute_80]`.
_GENCODE = lazy_re(r"arch\s*=\s*compute_\w+?\s*,\s*code\s*=\s*(?:\[([^\]]*)\]|\"?([\w]+))")
_ARCH_FLAG = lazy_re(r"(?:-arch|--gpu-architecture)(?:\s*=\s*|\s+)((?:sm|compute)_\w+)")
_DOTTED = lazy_re(r"(\d+)\.(\d+)([a-z]?)(\+ptx)?", re.IGNORECASE)
_NVIDIA = lazy_re(r"(sm|compute)_?(\d+[a-z]?)", re.IGNORECASE)
_CMAKE = lazy_re(r"(\d{2,3}[a-z]?)(?:-(real|virtual))?", re.IGNORECASE)
_GFX = lazy_re(r"(gfx[0-9a-z]+(?:-[0-9a-z]+)*)(?::.*)?", re.IGNORECASE)


def _arch_tokens(token: str) -> list[str]:
    """One entry of an arch list, normalised (``8.0+PTX`` → ``sm_80``, ``compute_80``)."""
    if match := _DOTTED.fullmatch(token):
        number = f"{match[1]}{match[2]}{match[3].lower()}"
        return [f"sm_{number}"] + ([f"compute_{number}"] if match[4] else [])
    if match := _NVIDIA.fullmatch(token):
        return [f"{match[1].lower()}_{match[2].lower()}"]
    if match := _GFX.fullmatch(token):
        # PYTORCH_ROCM_ARCH entries may carry target features (gfx90a:xnack-); keep the base.
        return [match[1].lower()]
    if match := _CMAKE.fullmatch(token):
        # A bare number is how Paddle's compiled_cuda_archs lists machine code ([86]);
        # CMake's `-virtual` suffix asks for PTX only.
        kind = "compute" if (match[2] or "").lower() == "virtual" else "sm"
        return [f"{kind}_{match[1].lower()}"]
    return []


def _arch_key(arch: str) -> tuple[int, int, object, int, str]:
    if arch.startswith("gfx"):
        # gfx IDs are <major><minor hex digit><stepping hex digit>: gfx90a = 9.0.10,
        # gfx942 = 9.4.2, gfx1100 = 11.0.0 (LLVM AMDGPU processor table).
        body = arch[3:]
        if re.fullmatch(r"\d+[0-9a-f]{2}", body):
            return (1, int(body[:-2]), int(body[-2], 16), int(body[-1], 16), "")
        return (1, 1 << 30, 0, 0, body)
    kind, _, number = arch.partition("_")
    match = re.match(r"(\d+)(.*)", number)
    if not match:
        return (2, 0, number, 0, arch)
    return (0, int(match[1]), match[2], 0 if kind == "sm" else 1, "")


def sort_arches(arches: list[str]) -> list[str]:
    """Deduplicate normalised arch names and sort them by number.

    ``sm_90`` comes before ``compute_90`` before ``sm_90a``; ``gfx90a`` before ``gfx942``
    before ``gfx1100``.
    """
    return sorted(set(arches), key=_arch_key)


def parse_arch_list(text: str) -> list[str]:
    """Normalise any textual GPU arch list, sorted by number and deduplicated.

    Accepts nvcc ``-gencode`` strings (``-gencode;arch=compute_80,code=sm_80;...``, the
    form of torch's ``NVCC_FLAGS_EXTRA``), ``TORCH_CUDA_ARCH_LIST`` (``6.0+PTX 8.0 9.0a``,
    also the named ``Ampere``), TensorFlow's ``sm_50``/``compute_80`` lists,
    ``PYTORCH_ROCM_ARCH``/``gfx`` lists and bare numbers (``86`` → ``sm_86``).
    """
    if not isinstance(text, str):
        return []
    found: list[str] = []
    if "arch=" in text.replace(" ", ""):
        for match in _GENCODE.finditer(text):
            for code in (match[1] or match[2] or "").split(","):
                found += _arch_tokens(code.strip().strip('"'))
        for match in _ARCH_FLAG.finditer(text):
            found += _arch_tokens(match[1])
        return sort_arches(found)
    for name, expansion in _NAMED_ARCHES:
        text = text.replace(name, expansion)
    for token in re.split(r"[\s;,\[\]'\"]+", text):
        if token:
            found += _arch_tokens(token)
    return sort_arches(found)


# ---------------------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------------------


def parse_torch_version_py(text: str, *, platform_tag: str | None = None) -> BuildInfo:
    """``torch/version.py``: version, ``cuda``, ``hip``, ``rocm``, ``xpu``, git hash, debug.

    Every vintage recorded writes plain assignments generated by torch's
    ``tools/generate_torch_version.py``: 1.13-2.1 ``cuda = '11.7'``; 2.3+ annotated,
    ``cuda: Optional[str] = '12.1'`` (and ``None`` in CPU, macOS and aarch64-CPU wheels);
    ``xpu`` appears in 2.6 (outside ``__all__`` until 2.8) and ``rocm`` in 2.13. ``hip`` is
    the HIP version (``6.2.41133-dd7f95766``), kept in ``details``; ``rocm_version`` comes
    from ``rocm``, the ``+rocm6.2`` local tag, or else HIP's major.minor.

    version.py does not tell a macOS wheel from a Linux CPU one (both say ``cuda = None``),
    so pass the wheel's platform tag (``macosx_11_0_arm64``, from its WHEEL file) or the
    examined host's ``sys.platform`` (``darwin``) as ``platform_tag``: a torch ≥ 1.12
    without CUDA/ROCm/XPU on macOS is then ``mps`` (the MPS backend arrived in 1.12).
    """
    values = _module_values(text) if isinstance(text, str) else {}
    version = _str(values.get("__version__"))
    if version is None and not any(k in values for k in ("cuda", "hip", "git_version")):
        return BuildInfo()
    cuda, hip = _str(values.get("cuda")), _str(values.get("hip"))
    rocm, xpu = _str(values.get("rocm")), _str(values.get("xpu"))
    tag = parse_local_tag(version or "")
    details: dict[str, str] = {}
    if tag.local:
        details["local_tag"] = tag.local
    git_version = _str(values.get("git_version"))
    if git_version:
        details["git_version"] = git_version
    if isinstance(values.get("debug"), bool):
        details["debug"] = str(values["debug"])
    for key, value in (("hip", hip), ("rocm", rocm), ("xpu", xpu)):
        if value:
            details[key] = value
    build: Build | None
    if hip or rocm or tag.build == "rocm":
        build = "rocm"
    elif cuda or tag.build == "cuda":
        build = "cuda"
    elif xpu or tag.build == "xpu":
        build = "xpu"
    elif platform_tag and ("macosx" in platform_tag.lower() or platform_tag == "darwin"):
        build = "mps" if _version_tuple(tag.public) >= (1, 12) else "cpu"
    else:
        build = "cpu"
    return BuildInfo(
        version=version, build=build, cuda_version=cuda or tag.cuda_version,
        rocm_version=rocm or tag.rocm_version or _rocm_from_hip(hip), details=details,
    )


_DEFINE = lazy_re(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(\(\))?[ \t]+(.*?)[ \t]*$", re.MULTILINE)


def parse_cuda_config_h(text: str) -> BuildInfo:
    """``torch/include/ATen/cuda/CUDAConfig.h``: the CUDA arch list and the ATen switches.

    The arch list is ``NVCC_FLAGS_EXTRA``, the CMake list of ``-gencode`` flags the
    kernels were compiled with (present in every Linux x86_64 CUDA wheel recorded,
    1.13.1-2.15.0, and absent from CPU, macOS and aarch64-CPU wheels). The recorded
    headers hold no version macros; the switches ``AT_CUDNN_ENABLED()``,
    ``AT_ROCM_ENABLED()``, ``AT_MAGMA_ENABLED()``, ``AT_CUSPARSELT_ENABLED()`` go to
    ``details`` (so do the ``AT_*`` switches of ``ATen/Config.h``, which this also reads).
    Version macros of other headers are understood too: ``CUDA_VERSION`` (cuda.h,
    1000 × major + 10 × minor), ``CUDNN_MAJOR``/``MINOR``/``PATCHLEVEL``
    (cudnn_version.h) and ``NCCL_MAJOR``/``MINOR``/``PATCH`` (nccl.h).
    """
    if not isinstance(text, str):
        return BuildInfo()
    macros = {m[1]: m[3].strip() for m in _DEFINE.finditer(text)}
    details = {name: value for name, value in macros.items()
               if name.startswith(("AT_", "CAFFE2_")) and re.fullmatch(r"\w+", value)}
    flags = macros.get("NVCC_FLAGS_EXTRA", "").strip().strip('"')
    arches = parse_arch_list(flags)

    def number(name: str) -> int | None:
        value = macros.get(name, "")
        return int(value) if value.isdigit() else None

    cuda_version = None
    if (code := number("CUDA_VERSION")) is not None:
        cuda_version = f"{code // 1000}.{code % 1000 // 10}"
    cudnn = [number(f"CUDNN_{p}") for p in ("MAJOR", "MINOR", "PATCHLEVEL")]
    nccl = [number(f"NCCL_{p}") for p in ("MAJOR", "MINOR", "PATCH")]
    build: Build | None = None
    if details.get("AT_ROCM_ENABLED") == "1":
        build = "rocm"
    elif arches or "AT_CUDNN_ENABLED" in details or cuda_version:
        build = "cuda"
    return BuildInfo(
        build=build, cuda_version=cuda_version,
        cudnn_version=".".join(map(str, cudnn)) if None not in cudnn else None,
        nccl_version=".".join(map(str, nccl)) if None not in nccl else None,
        arch_list=arches, details=details,
    )


def parse_wheel_tags(text: str) -> list[str]:
    """The ``Tag:`` lines of a wheel's ``WHEEL`` file (``cp311-cp311-macosx_11_0_arm64``)."""
    if not isinstance(text, str):
        return []
    return [line.split(":", 1)[1].strip() for line in text.splitlines()
            if line.lower().startswith("tag:") and line.split(":", 1)[1].strip()]


# ---------------------------------------------------------------------------------------
# Package metadata
# ---------------------------------------------------------------------------------------

_GPU_PREFIXES = ("nvidia-", "tensorrt", "cupy", "onnxruntime", "pytorch-triton",
                 "jax-cuda", "jax-rocm", "cuda-")
_GPU_NAMES = frozenset({"triton", "jaxlib"})
_REQUIREMENT = lazy_re(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)")
_EXTRA_MARKER = lazy_re(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: lower case, runs of ``-``, ``_`` and ``.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_gpu_distribution(name: str) -> bool:
    """Whether a distribution is a GPU library whose pin matters to the build.

    nvidia-*, cuda-* (``cuda-toolkit``, ``cuda-bindings`` that torch 2.15 requires instead of
    nvidia-*-cu13 wheels), triton and pytorch-triton-rocm, tensorrt*, jax CUDA/ROCm
    plugins, jaxlib, cupy*, onnxruntime*.
    """
    name = canonical_name(name)
    return name in _GPU_NAMES or name.startswith(_GPU_PREFIXES)


def parse_requires_dist(metadata_text: str, *, gpu_only: bool = True) -> Requirements:
    """The ``Requires-Dist:`` headers of a METADATA/PKG-INFO file.

    Only the header block is read (it ends at the first empty line, as in any RFC 822
    message; the description follows). A requirement whose marker names an extra
    (``; extra == 'and-cuda'``, also ``sys_platform == "linux" and extra == "with-cuda"``)
    goes under that extra; other markers are dropped. When a distribution is listed twice
    in one group (under different markers), the first specifier is kept. ``gpu_only``
    keeps the distributions :func:`is_gpu_distribution` accepts.
    """
    required: dict[str, str] = {}
    extras: dict[str, dict[str, str]] = {}
    if not isinstance(metadata_text, str):
        return Requirements()
    for line in metadata_text.splitlines():
        if not line.strip():
            break
        header, sep, value = line.partition(":")
        if not sep or header.strip().lower() != "requires-dist":
            continue
        requirement, _, marker = value.partition(";")
        match = _REQUIREMENT.fullmatch(requirement)
        if not match:
            continue
        name = canonical_name(match[1])
        if gpu_only and not is_gpu_distribution(name):
            continue
        spec = re.sub(r"\s+", "", match[3])
        if spec.startswith("(") and spec.endswith(")"):
            spec = spec[1:-1]
        extra = _EXTRA_MARKER.search(marker)
        group = extras.setdefault(canonical_name(extra[1]), {}) if extra else required
        group.setdefault(name, spec)
    return Requirements(required, extras)


# ---------------------------------------------------------------------------------------
# TensorFlow
# ---------------------------------------------------------------------------------------

# Before `build_info` became a dict (TF ≤ 2.2), build_info.py held module-level names, e.g.
# `cuda_version_number = '10.0'`, `cudnn_version_number = '7'` (Windows: also the DLL names).
_TF_LEGACY = {"cuda_version_number": "cuda_version", "cudnn_version_number": "cudnn_version"}
_TF_LEGACY_NAMES = frozenset({
    *_TF_LEGACY, "is_cuda_build", "is_rocm_build", "msvcp_dll_name", "msvcp_dll_names",
    "nvcuda_dll_name", "cudart_dll_name", "cudnn_dll_name",
})


def parse_tf_build_info(text: str) -> BuildInfo:
    """TensorFlow's ``tensorflow/python/platform/build_info.py``, every recorded vintage.

    It is what ``tf.sysconfig.get_build_info()`` returns. 2.10.1-2.21.0 all write
    ``build_info = collections.OrderedDict([('cpu_compiler', ...),
    ('cuda_compute_capabilities', ['sm_35', ..., 'compute_80']), ('cuda_version', '11.2'),
    ('cudnn_version', '8'), ('is_cuda_build', True), ('is_rocm_build', False),
    ('is_tensorrt_build', True)])``; a plain dict and the older module-level
    ``cuda_version_number``/``cudnn_version_number`` are read too. The cuDNN version is
    the major only (``8``); 2.21.0's CUDA has three parts (``12.5.1``). Keys not turned
    into fields (``cpu_compiler``, ``is_tensorrt_build``, ...) go to ``details``.
    """
    values = _module_values(text) if isinstance(text, str) else {}
    info = values.get("build_info")
    data: dict[str, object]
    if isinstance(info, dict):
        data = {str(k): v for k, v in info.items()}
    else:
        data = {_TF_LEGACY.get(k, k): v for k, v in values.items() if k in _TF_LEGACY_NAMES}
        if not data.keys() & {"cuda_version", "cudnn_version", "is_cuda_build", "is_rocm_build"}:
            data = {}
    if not data:
        return BuildInfo()
    cuda = _str(data.get("cuda_version"))
    rocm = _str(data.get("rocm_version"))
    caps = data.get("cuda_compute_capabilities")
    arches = parse_arch_list(_as_text(caps)) if isinstance(caps, list | tuple) else []
    for key, value in data.items():
        if "amdgpu_targets" in key and isinstance(value, list | tuple | str):
            arches = sort_arches(arches + parse_arch_list(_as_text(value)))
    build: Build | None = None
    if data.get("is_rocm_build") is True:
        build = "rocm"
    elif data.get("is_cuda_build") is True or (cuda and data.get("is_cuda_build") is None):
        build = "cuda"
    elif data.get("is_cuda_build") is False:
        build = "cpu"
    used = {"cuda_version", "cudnn_version", "rocm_version", "cuda_compute_capabilities"}
    details = {k: _as_text(v) for k, v in data.items() if k not in used and v is not None}
    return BuildInfo(
        build=build, cuda_version=cuda, rocm_version=rocm,
        cudnn_version=_str(data.get("cudnn_version")), arch_list=arches, details=details,
    )


def keras_major(version: str) -> int | None:
    """The major version of Keras (``3.15.1`` → 3); ``None`` for what is not a version.

    Keras 3 (``keras`` ≥ 3.0) is multi-backend; TensorFlow ≥ 2.16 depends on it, while
    the Keras 2 API lives on as ``tf-keras`` (its own 2.x numbering, 2.21.0 recorded).
    """
    numbers = _version_tuple(version) if isinstance(version, str) else ()
    return numbers[0] if numbers else None


# ---------------------------------------------------------------------------------------
# CuPy, onnxruntime, Paddle, xformers, JAX, bitsandbytes
# ---------------------------------------------------------------------------------------


def parse_cupy_wheel_json(text: str) -> BuildInfo:
    """CuPy's ``cupy/.data/_wheel.json``: the CUDA of the wheel and its preload libraries.

    CuPy's wheel build writes it and ``cupy/_environment.py`` (``get_preload_config``)
    reads it. It holds the CUDA the wheel targets, as a major only since the per-major wheels
    (``"12.x"``, kept as written), and the libraries it may preload: NCCL, cuTENSOR and, in
    13.x wheels, cuDNN (``{"version": "8.8.1", "min_pypi_version": ..., "filenames": [...]}``).
    """
    data = _json_object(text) if isinstance(text, str) else {}
    cuda, rocm = _str(data.get("cuda")), _str(data.get("rocm"))
    if not (cuda or rocm):
        return BuildInfo()
    libraries: dict[str, str] = {}
    details: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            version = _str(value.get("version"))
            if version:
                libraries[key] = version
            minimum = _str(value.get("min_pypi_version"))
            if minimum:
                details[f"{key}_min_pypi_version"] = minimum
        elif key not in ("cuda", "rocm") and _str(value):
            details[key] = _as_text(value)
    details |= {k: v for k, v in libraries.items() if k not in ("nccl", "cudnn")}
    return BuildInfo(
        build="rocm" if rocm and not cuda else "cuda", cuda_version=cuda, rocm_version=rocm,
        cudnn_version=libraries.get("cudnn"), nccl_version=libraries.get("nccl"),
        details=details,
    )


_ORT_BUILDS: tuple[tuple[str, Build], ...] = (
    ("gpu", "cuda"), ("cuda", "cuda"), ("rocm", "rocm"), ("migraphx", "rocm"),
    ("directml", "directml"), ("openvino", "openvino"),
)


def parse_ort_build_info(text: str) -> BuildInfo:
    """The ``onnxruntime/capi/build_and_package_info.py``: package name, version, CUDA.

    ``cuda_version`` is only in the GPU package (1.31.1: ``'13.0'``; the CPU 1.32.0 has no
    such line). The build follows the CUDA line or the package name (``onnxruntime`` → cpu,
    ``onnxruntime-gpu`` → cuda, ``-rocm``/``-migraphx`` → rocm, ``-directml``,
    ``-openvino``); any other name (``onnxruntime-qnn``) leaves it ``None``.
    """
    values = _module_values(text) if isinstance(text, str) else {}
    package = _str(values.get("package_name"))
    version = _str(values.get("__version__"))
    if not (package or version):
        return BuildInfo()
    cuda, cudnn = _str(values.get("cuda_version")), _str(values.get("cudnn_version"))
    rocm = _str(values.get("rocm_version"))
    build: Build | None = "cuda" if cuda else "rocm" if rocm else None
    name = canonical_name(package or "")
    if build is None and name == "onnxruntime":
        build = "cpu"
    if build is None:
        build = next((b for marker, b in _ORT_BUILDS if marker in name.split("-")[1:]), None)
    details = {k: _as_text(v) for k, v in values.items()
               if k not in ("__version__", "cuda_version", "cudnn_version", "rocm_version")
               and isinstance(v, str | bool | int)}
    return BuildInfo(version=version, build=build, cuda_version=cuda, rocm_version=rocm,
                     cudnn_version=cudnn, details=details)


def nccl_version_from_code(code: int) -> str | None:
    """``NCCL_VERSION_CODE`` → ``2.8.4``; ``None`` for 0 or less.

    nccl.h's ``NCCL_VERSION(X,Y,Z)`` is ``X*1000+Y*100+Z`` up to 2.8 and
    ``X*10000+Y*100+Z`` from 2.9 on.
    """
    if code <= 0:
        return None
    if code < 10000:
        return f"{code // 1000}.{code % 1000 // 100}.{code % 100}"
    return f"{code // 10000}.{code % 10000 // 100}.{code % 100}"


def _paddle_value(value: object) -> str | None:
    # Paddle's setup.py writes the strings 'False'/'None'/'0' for what a build lacks.
    text = _str(value)
    return None if text in (None, "False", "None", "0", "OFF") else text


def parse_paddle_version(text: str) -> BuildInfo:
    """``paddle/version/__init__.py``, generated by Paddle's setup.py.

    ``full_version``, ``cuda_version``/``cudnn_version`` (``'11.8'``/``'8.6.0'`` in the GPU
    wheel, the *string* ``'False'`` in a CPU one), from 3.x also ``nccl_version`` (the
    ``NCCL_VERSION_CODE``, ``'0'`` without NCCL), ``hip_version``, ``xpu_xre_version``
    (2.6: ``xpu_version``), ``tensorrt_version`` and ``compiled_cuda_archs`` (``[86]``).
    ``rocm_version`` is ``hip_version``'s major.minor (the full one stays in ``details``).
    ``with_mkl``, ``commit``, ``is_tagged`` (2.6: ``istaged``) and the rest go to
    ``details``, as written.
    """
    values = _module_values(text) if isinstance(text, str) else {}
    version = _str(values.get("full_version"))
    if version is None and "cuda_version" not in values:
        return BuildInfo()
    cuda, cudnn = _paddle_value(values.get("cuda_version")), _paddle_value(
        values.get("cudnn_version"))
    hip = _paddle_value(values.get("hip_version"))
    xpu = _paddle_value(values.get("xpu_xre_version")) or _paddle_value(values.get("xpu_version"))
    nccl_raw = _paddle_value(values.get("nccl_version"))
    nccl = nccl_version_from_code(int(nccl_raw)) if nccl_raw and nccl_raw.isdigit() else nccl_raw
    archs = values.get("compiled_cuda_archs")
    arches = parse_arch_list(_as_text(archs)) if isinstance(archs, list | tuple) else []
    build: Build | None = ("cuda" if cuda else "rocm" if hip else "xpu" if xpu else "cpu")
    skip = {"full_version", "major", "minor", "patch", "cuda_version", "cudnn_version",
            "compiled_cuda_archs", "__all__", "CUDA_FUNC_DOC"}
    details = {k: _as_text(v) for k, v in values.items()
               if k not in skip and isinstance(v, str | bool | int)}
    return BuildInfo(version=version, build=build, cuda_version=cuda,
                     rocm_version=_rocm_from_hip(hip), cudnn_version=cudnn,
                     nccl_version=nccl, arch_list=arches, details=details)


def _xformers_version(value: object) -> str | None:
    # xformers' setup.py (get_cuda_version) stores nvcc's release as major*100 + minor.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 100:
        return f"{value // 100}.{value % 100}"
    return _str(value)


def parse_xformers_cpp_lib(text: str) -> BuildInfo:
    """``xformers/cpp_lib.json``, written by xformers' setup.py beside its C++ extension.

    ``{"version": {"cuda": 1201, "hip": null, "torch": "2.5.1+cu121", ...}, "env":
    {"TORCH_CUDA_ARCH_LIST": "6.0+PTX 7.0 7.5 8.0+PTX 9.0a", ...}}``: the torch it was
    built against (in ``details["torch"]``; it may differ from the torch installed, 0.0.28.post3
    pins torch==2.5.1 but was built with 2.5.1+cu121 while PyPI's 2.5.1 is cu124), the CUDA
    or HIP of the build and the arch list. ``version`` is left empty: xformers' own version
    is in ``xformers/version.py``.
    """
    data = _json_object(text) if isinstance(text, str) else {}
    versions, env = data.get("version"), data.get("env")
    if not isinstance(versions, dict):
        return BuildInfo()
    env = env if isinstance(env, dict) else {}
    cuda, hip = _xformers_version(versions.get("cuda")), _xformers_version(versions.get("hip"))
    arch_text = _str(env.get("PYTORCH_ROCM_ARCH" if hip and not cuda else "TORCH_CUDA_ARCH_LIST"))
    details = {k: _as_text(v) for k, v in versions.items()
               if k not in ("cuda", "hip") and v is not None}
    details |= {k: _as_text(v) for k, v in env.items()
                if k not in ("TORCH_CUDA_ARCH_LIST", "PYTORCH_ROCM_ARCH") and v is not None}
    return BuildInfo(
        build="cuda" if cuda else "rocm" if hip else "cpu", cuda_version=cuda,
        rocm_version=hip, arch_list=parse_arch_list(arch_text or ""), details=details,
    )


def parse_jaxlib_version(text: str) -> BuildInfo:
    """``jaxlib/version.py``: the version the build stamped and the git hash.

    The same file ships as ``jax/version.py`` and in the CUDA plugins. ``__version__``
    is computed at import; the wheel build stamps ``_release_version: str =
    '0.12.0.1'`` and ``_git_hash``. A file left unstamped (the recorded jax-cuda12-pjrt
    0.12.0.1 has ``_release_version: str | None = None``) gives ``_version`` with
    ``details["stamped"] = "False"``. The recorded files hold no CUDA fields: since jaxlib
    0.4.x the PyPI jaxlib is CPU-only and CUDA comes from the ``jax-cuda*-plugin`` wheels,
    so ``build`` is left empty unless a local tag (old ``+cuda12.cudnn89`` wheels) or a
    ``cuda*`` assignment says otherwise.
    """
    values = _module_values(text) if isinstance(text, str) else {}
    release, base = _str(values.get("_release_version")), _str(values.get("_version"))
    version = release or _str(values.get("__version__")) or base
    if version is None:
        return BuildInfo()
    tag = parse_local_tag(version)
    details: dict[str, str] = {}
    if "_release_version" in values:
        details["stamped"] = str(release is not None)
    for key, name in (("_git_hash", "git_hash"), ("_minimum_jaxlib_version",
                                                    "minimum_jaxlib_version")):
        if value := _str(values.get(key)):
            details[name] = value
    cuda_fields = {k: v for k, v in values.items()
                   if "cuda" in k.lower() and isinstance(v, str) and v.strip()}
    details |= cuda_fields
    cuda = tag.cuda_version or next(
        (v for k, v in cuda_fields.items() if k.lower().lstrip("_").startswith("cuda_version")),
        None)
    build: Build | None = "cuda" if cuda else tag.build
    return BuildInfo(version=version, build=build, cuda_version=cuda,
                     rocm_version=tag.rocm_version, cudnn_version=tag.cudnn_version,
                     details=details)


_BNB_LIBRARY = lazy_re(r"libbitsandbytes_(cuda|rocm)(\d+)\w*\.(?:so|dll|dylib)\b")


def _bnb_split(kind: str, digits: str) -> tuple[int, int] | None:
    # bitsandbytes/cextension.py `_split_cuda_version`: a CUDA major has two digits
    # ('118' -> 11.8, '132' -> 13.2), a ROCm major one ('72' -> 7.2, '714' -> 7.14).
    # Pre-CUDA-10 names (cuda92) have a one-digit major too.
    if kind == "rocm" or len(digits) == 2:
        return (int(digits[0]), int(digits[1:])) if len(digits) >= 2 else None
    return (int(digits[:2]), int(digits[2:])) if len(digits) >= 3 else None


def _bnb_variants(file_names: list[str], kind: str) -> list[str]:
    found: set[tuple[int, int]] = set()
    for name in file_names if isinstance(file_names, list | tuple) else []:
        if not isinstance(name, str):
            continue
        for match in _BNB_LIBRARY.finditer(name):
            if match[1] == kind and (split := _bnb_split(kind, match[2])):
                found.add(split)
    return [f"{major}.{minor}" for major, minor in sorted(found)]


def bitsandbytes_cuda_variants(file_names: list[str]) -> list[str]:
    """CUDA versions bitsandbytes ships a library for, sorted: ``..._cuda121.so`` → ``12.1``.

    Paths and zip-listing lines are fine as names. At import bitsandbytes picks the one
    matching torch's CUDA (or ``BNB_CUDA_VERSION``).
    Old ``_nocublaslt`` variants count as the same version.
    """
    return _bnb_variants(file_names, "cuda")


def bitsandbytes_rocm_variants(file_names: list[str]) -> list[str]:
    """ROCm versions of ``libbitsandbytes_rocm<NN>.so`` (``rocm64`` → 6.4, ``rocm714`` → 7.14)."""
    return _bnb_variants(file_names, "rocm")


# ---------------------------------------------------------------------------------------
# Frameworks of the early years
# ---------------------------------------------------------------------------------------




def classic_build(distribution: str) -> BuildInfo:
    """What a classic framework's distribution name says about its build.

    ``mxnet-cu112`` → cuda 11.2, ``mxnet-cu102mkl`` → cuda 10.2 with
    ``details["mkl"] = "True"``, ``mxnet``/``mxnet-mkl``/``mxnet-native`` → cpu,
    ``cntk-gpu`` → cuda, ``cntk`` → cpu; anything else an empty :class:`BuildInfo`.
    """
    name = canonical_name(distribution) if isinstance(distribution, str) else ""
    if match := re.fullmatch(r"mxnet(?:-cu(\d{2,3}))?(mkl)?(?:-(mkl|native))?", name):
        details = {"mkl": "True"} if match[2] or match[3] == "mkl" else {}
        if match[1]:
            return BuildInfo(build="cuda", cuda_version=_compact_cuda(match[1]),
                             details=details)
        return BuildInfo(build="cpu", details=details)
    if name == "cntk-gpu":
        return BuildInfo(build="cuda")
    if name == "cntk":
        return BuildInfo(build="cpu")
    return BuildInfo()
