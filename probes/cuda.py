"""CUDA toolkits, and the copies of cuDNN, NCCL, cuBLAS, cuSPARSELt and TensorRT around them.

Every toolkit on the machine is listed, not only the default: ``/usr/local/cuda*``,
``CUDA_HOME``/``CUDA_PATH``, the ``nvcc`` on ``PATH`` (followed through wrapper scripts),
the active conda environment, pip's ``nvidia-cuda-nvcc`` wheels and the distribution's
package. Versions come from files (``version.json``, ``version.txt``, the runtime header,
dist-info names); ``nvcc --version`` is run only when nothing else tells.
"""

from __future__ import annotations

import json
import re

from envdoctor._util import lazy_re
from envdoctor.facts import (
    CondaPackage,
    CudaFacts,
    CudaToolkit,
    Distribution,
    LibraryCopy,
)
from envdoctor.probes.base import ProbeContext
from envdoctor.probes.nvidia import LIB_DIRS

_CUDART_DEFINE = lazy_re(r"#define\s+CUDART_VERSION\s+(\d+)")
_NVCC_RELEASE = lazy_re(r"release (\d+\.\d+), V(\d+\.\d+\.\d+)")
_VERSION_TXT = lazy_re(r"CUDA Version (\d+\.\d+(?:\.\d+)?)")
_WRAPPED_NVCC = lazy_re(r"(/[^\s\"']+)/bin/nvcc\b")
_DIST_INFO = lazy_re(r"^nvidia_cuda_(?:nvcc|runtime)(?:_cu\d+)?-(\d+\.\d+\.\d+)")
_HEADER_DEFINE = lazy_re(r"#define\s+(\w+)\s+(\d+)")

# library → (header, major/minor/patch macros, file-name prefixes, pip distributions,
# conda packages)
LIBRARIES: dict[str, tuple[str | None, tuple[str, str, str], tuple[str, ...], tuple[str, ...],
                           tuple[str, ...]]] = {
    "cudnn": ("cudnn_version.h", ("CUDNN_MAJOR", "CUDNN_MINOR", "CUDNN_PATCHLEVEL"),
              ("libcudnn.so",), ("nvidia-cudnn-cu11", "nvidia-cudnn-cu12", "nvidia-cudnn-cu13"),
              ("cudnn",)),
    "nccl": ("nccl.h", ("NCCL_MAJOR", "NCCL_MINOR", "NCCL_PATCH"), ("libnccl.so",),
             ("nvidia-nccl-cu11", "nvidia-nccl-cu12", "nvidia-nccl-cu13"), ("nccl",)),
    "cublas": (None, ("", "", ""), ("libcublas.so",),
               ("nvidia-cublas-cu11", "nvidia-cublas-cu12", "nvidia-cublas"), ("libcublas",)),
    "cusparselt": (None, ("", "", ""), ("libcusparseLt.so",),
                   ("nvidia-cusparselt-cu12", "nvidia-cusparselt-cu13"), ("cusparselt",)),
    "tensorrt": ("NvInferVersion.h", ("NV_TENSORRT_MAJOR", "NV_TENSORRT_MINOR",
                                      "NV_TENSORRT_PATCH"),
                 ("libnvinfer.so",), ("tensorrt-cu12-libs", "tensorrt-cu11-libs",
                                      "tensorrt-libs", "tensorrt-cu13-libs"), ("tensorrt",)),
    "cudart": (None, ("", "", ""), ("libcudart.so",),
               ("nvidia-cuda-runtime-cu11", "nvidia-cuda-runtime-cu12", "nvidia-cuda-runtime"),
               ("cuda-cudart", "cudatoolkit")),
}
# Where pip's nvidia-* wheels put their libraries, under site-packages.
_PIP_DIRS = {"cudnn": "nvidia/cudnn/lib", "nccl": "nvidia/nccl/lib", "cublas": "nvidia/cublas/lib",
             "cusparselt": "nvidia/cusparselt/lib", "tensorrt": "tensorrt_libs",
             "cudart": "nvidia/cuda_runtime/lib"}
_HEADER_DIRS = ("/usr/include", "/usr/include/x86_64-linux-gnu",
                "/usr/include/aarch64-linux-gnu", "/usr/local/cuda/include")


def probe(
    ctx: ProbeContext,
    distributions: list[Distribution],
    conda_packages: list[CondaPackage],
    conda_prefix: str | None,
) -> CudaFacts:
    """Describe every CUDA toolkit and CUDA library copy."""
    host = ctx.host
    env = host.env
    cuda_home = env.get("CUDA_HOME") or env.get("CUDA_PATH") or env.get("CUDA_ROOT")
    nvcc = host.which("nvcc")
    nvcc_root = _toolkit_of_nvcc(ctx, nvcc) if nvcc else None
    default = host.realpath("/usr/local/cuda") if host.exists("/usr/local/cuda") else None

    candidates: list[tuple[str, str]] = []
    for name in ctx.listdir("/usr/local"):
        if name == "cuda" or name.startswith("cuda-"):
            candidates.append((host.realpath(f"/usr/local/{name}"), "system"))
    for path in ("/opt/cuda", "/usr/lib/nvidia-cuda-toolkit"):
        if host.is_dir(path):
            origin = "distribution package" if "nvidia-cuda-toolkit" in path else "system"
            candidates.append((path, origin))
    if cuda_home:
        candidates.append((host.realpath(cuda_home) if host.exists(cuda_home) else cuda_home,
                           "CUDA_HOME"))
    if nvcc_root:
        candidates.append((nvcc_root, "system"))
    if conda_prefix and (host.exists(f"{conda_prefix}/bin/nvcc") or any(
            p.name in ("cuda-nvcc", "cudatoolkit", "cuda-toolkit") for p in conda_packages)):
        candidates.append((conda_prefix, "conda"))
    for dist in distributions:
        if dist.name.startswith("nvidia-cuda-nvcc") and dist.location:
            candidates.append((f"{dist.location}/nvidia/cuda_nvcc", "pip"))

    toolkits: dict[str, CudaToolkit] = {}
    for path, origin in candidates:
        if path in toolkits or not host.is_dir(path):
            continue
        kit = _toolkit(ctx, path, origin, conda_packages, distributions)
        if kit is None:
            continue
        toolkits[path] = CudaToolkit(
            path=path, version=kit[0], version_source=kit[1], origin=kit[2],
            has_nvcc=host.exists(f"{path}/bin/nvcc"),
            default=path == default,
            on_path=path == nvcc_root,
            cuda_home=bool(cuda_home) and path == (host.realpath(cuda_home)
                                                   if host.exists(cuda_home) else cuda_home),
        )
    ordered = sorted(toolkits.values(), key=lambda t: (not t.default, not t.on_path, t.path))
    unknown = {}
    if nvcc and nvcc_root is None:
        unknown["nvcc_path"] = f"{nvcc} does not belong to a toolkit envdoctor recognises"
    libraries = _libraries(ctx, ordered, distributions, conda_packages)
    ld_path = [d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d]
    return CudaFacts(
        toolkits=ordered,
        nvcc_path=nvcc,
        cuda_home=cuda_home,
        libraries=libraries,
        loader=[],
        ld_library_path=ld_path,
        unknown=unknown,
    )


def _toolkit_of_nvcc(ctx: ProbeContext, nvcc: str) -> str | None:
    """The toolkit directory an ``nvcc`` belongs to, following wrapper scripts."""
    real = ctx.host.realpath(nvcc)
    if real.endswith("/bin/nvcc"):
        root = real[: -len("/bin/nvcc")] or "/"
        if _looks_like_toolkit(ctx, root):
            return root
    # A wrapper (environment modules, a shim in /usr/local/bin) that execs the real one.
    head = ctx.host.read_bytes(nvcc, limit=4096) if ctx.host.is_file(nvcc) else b""
    if head.startswith(b"#!"):
        m = _WRAPPED_NVCC.search(head.decode("utf-8", errors="replace"))
        if m and ctx.host.is_dir(m.group(1)):
            return ctx.host.realpath(m.group(1))
    return None


def _looks_like_toolkit(ctx: ProbeContext, root: str) -> bool:
    return any(ctx.host.exists(f"{root}/{p}") for p in (
        "version.json", "version.txt", "include/cuda_runtime_api.h", "lib64", "nvvm"))


def _toolkit(
    ctx: ProbeContext, path: str, origin: str, conda: list[CondaPackage],
    distributions: list[Distribution],
) -> tuple[str | None, str | None, str] | None:
    """Version, how it was found, and origin of the toolkit at ``path`` (None: not one)."""
    host = ctx.host
    text = ctx.read(f"{path}/version.json", limit=1 << 20)
    if text:
        try:
            version = json.loads(text)["cuda"]["version"]
            return str(version), "version.json", origin
        except (ValueError, KeyError, TypeError):
            ctx.problems.append(f"{path}/version.json: not the JSON the CUDA installer writes")
    text = ctx.read(f"{path}/version.txt", limit=4096)
    if text:
        m = _VERSION_TXT.search(text)
        if m:
            return m.group(1), "version.txt", origin
    if origin == "conda":
        pkg = next((p for p in conda if p.name in ("cuda-nvcc", "cuda-toolkit", "cudatoolkit")),
                   None)
        if pkg:
            return pkg.version, f"conda package {pkg.name}", origin
    if origin == "pip":
        dist = next((d for d in distributions if d.name.startswith("nvidia-cuda-nvcc")), None)
        if dist:
            return dist.version, f"pip {dist.name}", origin
    for include in (f"{path}/include", f"{path}/targets/x86_64-linux/include",
                    f"{path}/targets/sbsa-linux/include", "/usr/include"
                    if origin == "distribution package" else ""):
        if not include:
            continue
        header = ctx.read(f"{include}/cuda_runtime_api.h", limit=32768)
        if header:
            m = _CUDART_DEFINE.search(header)
            if m:
                n = int(m.group(1))
                return f"{n // 1000}.{n % 1000 // 10}", "cuda_runtime_api.h", origin
    for name in ctx.listdir(f"{path}/dist-info"):
        m = _DIST_INFO.match(name)
        if m:
            return m.group(1), "dist-info", origin
    if not host.exists(f"{path}/bin/nvcc"):
        return None
    if not host.can_run:
        return None, None, origin
    result = ctx.run([f"{path}/bin/nvcc", "--version"])
    m = _NVCC_RELEASE.search(result.stdout) if result.ok else None
    if m:
        return m.group(2), "nvcc --version", origin
    return None, None, origin


def parse_nvcc_version(text: str) -> str | None:
    """The full toolkit version ``nvcc --version`` prints (``release 11.7, V11.7.64``)."""
    m = _NVCC_RELEASE.search(text)
    return m.group(2) if m else None


# --------------------------------------------------------------------------- libraries


def _libraries(
    ctx: ProbeContext, toolkits: list[CudaToolkit], distributions: list[Distribution],
    conda: list[CondaPackage],
) -> list[LibraryCopy]:
    host = ctx.host
    copies: list[LibraryCopy] = []
    lib_dirs = list(LIB_DIRS)
    for kit in toolkits:
        if kit.origin in ("system", "CUDA_HOME"):
            lib_dirs += [f"{kit.path}/lib64", f"{kit.path}/targets/x86_64-linux/lib"]
    lib_dirs += [d for d in host.env.get("LD_LIBRARY_PATH", "").split(":") if d]
    seen_dirs: set[tuple[str, str]] = set()
    for library, (header, macros, prefixes, pip_names, conda_names) in LIBRARIES.items():
        header_version = _header_version(ctx, header, macros) if header else None
        for directory in lib_dirs:
            real = host.realpath(directory) if host.exists(directory) else directory
            if (library, real) in seen_dirs:
                continue
            seen_dirs.add((library, real))
            names = [n for n in ctx.listdir(directory) if n.startswith(prefixes)]
            if not names:
                continue
            version = _file_version(names) or (header_version[0] if header_version else None)
            origin = "toolkit" if any(directory.startswith(k.path) for k in toolkits) else "system"
            copies.append(LibraryCopy(library=library, version=version, path=directory,
                                      origin=origin, sonames=_sonames(names)))
        if header_version and not any(c.library == library and c.origin == "system"
                                      for c in copies):
            copies.append(LibraryCopy(library=library, version=header_version[0],
                                      path=header_version[1], origin="system"))
        for dist in distributions:
            if dist.name in pip_names and dist.location:
                path = f"{dist.location}/{_PIP_DIRS[library]}"
                names = [n for n in ctx.listdir(path) if n.startswith(prefixes)]
                copies.append(LibraryCopy(library=library, version=dist.version, path=path,
                                          origin=f"pip:{dist.name}", sonames=_sonames(names)))
        for pkg in conda:
            if pkg.name in conda_names:
                copies.append(LibraryCopy(library=library, version=pkg.version,
                                          origin=f"conda:{pkg.name}"))
    return copies


def _header_version(
    ctx: ProbeContext, header: str, macros: tuple[str, str, str],
) -> tuple[str, str] | None:
    names = [header]
    if header == "cudnn_version.h":
        # cuDNN 7 kept its version in cudnn.h; Debian's packages add a _v8/_v9 suffix.
        names += ["cudnn_version_v9.h", "cudnn_version_v8.h", "cudnn.h"]
    for directory in _HEADER_DIRS:
        for name in names:
            text = ctx.read(f"{directory}/{name}", limit=65536)
            if not text:
                continue
            values = dict(_HEADER_DEFINE.findall(text))
            if macros[0] in values:
                parts = [values.get(m) for m in macros]
                return ".".join(p for p in parts if p is not None), f"{directory}/{name}"
    return None


def parse_header_version(text: str, macros: tuple[str, str, str]) -> str | None:
    """``CUDNN_MAJOR 9`` / ``CUDNN_MINOR 6`` / ``CUDNN_PATCHLEVEL 0`` → ``9.6.0``."""
    values = dict(_HEADER_DEFINE.findall(text))
    if macros[0] not in values:
        return None
    return ".".join(v for v in (values.get(m) for m in macros) if v is not None)


_SO_VERSION = lazy_re(r"\.so\.(\d+(?:\.\d+)+)$")


def _file_version(names: list[str]) -> str | None:
    """The longest version in the file names (``libcudnn.so.8.9.7`` → ``8.9.7``)."""
    best = None
    for name in names:
        m = _SO_VERSION.search(name)
        if m and (best is None or len(m.group(1)) > len(best)):
            best = m.group(1)
    return best


def _sonames(names: list[str]) -> list[str]:
    """The ``lib*.so.N`` names among the files (what binaries ask the loader for)."""
    return sorted({n for n in names if re.search(r"\.so\.\d+$", n)})
