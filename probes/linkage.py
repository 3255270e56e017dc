"""Which copy of each CUDA library a framework would really load.

A machine often holds several copies of cuDNN or the CUDA runtime: pip's ``nvidia-*``
wheels, a system install under ``/usr/local/cuda``, conda's. What matters is the one the
dynamic loader maps. This follows it from the framework's own library (its DT_RPATH or
DT_RUNPATH, ``LD_LIBRARY_PATH``, the ld.so cache, the default directories), then one
hop further for cuDNN, whose front library ``dlopen``s its sub-libraries: that second
search puts ``LD_LIBRARY_PATH`` before cuDNN's ``$ORIGIN`` RUNPATH, which is how a system
cuDNN on ``LD_LIBRARY_PATH`` ends up mixed into pip's.
"""

from __future__ import annotations

from envdoctor._util import lazy_re
from envdoctor.facts import FrameworkFacts, LoadedLibrary
from envdoctor.probes import _ldcache, _loader
from envdoctor.probes._elf import read_dynamic
from envdoctor.probes.base import ProbeContext

# The library of each framework whose search path decides where its CUDA libraries come
# from (same RPATH/RUNPATH as the big libraries, and small enough to read in tests).
FRAMEWORK_BINARIES: dict[str, tuple[str, ...]] = {
    "torch": ("torch/lib/libtorch_global_deps.so", "torch/lib/libtorch_cuda.so"),
    "tensorflow": ("tensorflow/libtensorflow_framework.so.2",),
    "paddle": ("paddle/base/libpaddle.so", "paddle/fluid/libpaddle.so"),
}
_CUDA_LIB = lazy_re(r"^lib(cudart|cublas|cublasLt|cudnn|nccl|cusparseLt|cufft|curand|"
                       r"cusolver|cusparse|nvrtc)\.so\.\d+$")
# cuDNN 8 and 9 split into sub-libraries that the front library dlopens by soname.
CUDNN_SUBLIBS = {
    "8": ("libcudnn_ops_infer.so.8", "libcudnn_cnn_infer.so.8", "libcudnn_adv_infer.so.8"),
    "9": ("libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9",
          "libcudnn_engines_precompiled.so.9"),
}


def probe(ctx: ProbeContext, frameworks: list[FrameworkFacts],
          ld_library_path: list[str]) -> list[LoadedLibrary]:
    """For each CUDA-built framework with a readable library, where its CUDA libraries load from."""
    wanted = [f for f in frameworks if f.build == "cuda" and f.location
              and f.name in FRAMEWORK_BINARIES]
    if not wanted:
        return []
    cache = _cache(ctx)
    loaded: list[LoadedLibrary] = []
    for fw in wanted:
        binary = next((f"{fw.location}/{b}" for b in FRAMEWORK_BINARIES[fw.name]
                       if ctx.host.is_file(f"{fw.location}/{b}")), None)
        if binary is None:
            continue
        dynamic = read_dynamic(ctx.host, binary)
        ctx.sources.append(binary)
        for soname in _sonames(fw, dynamic.needed if dynamic else []):
            found = _resolve(ctx, fw.name, binary, soname, ld_library_path, cache)
            loaded.append(found)
            if not (soname.startswith("libcudnn.so.") and found.resolved):
                continue
            # cuDNN's front library dlopens its sub-libraries, which it expects beside
            # itself (its RUNPATH is $ORIGIN); LD_LIBRARY_PATH is searched before that.
            front_dir = found.resolved.rsplit("/", 1)[0]
            for sub in CUDNN_SUBLIBS.get(soname.rsplit(".", 1)[-1], ()):
                loaded.append(_resolve(ctx, fw.name, found.resolved, sub, ld_library_path,
                                       cache, beside=f"{front_dir}/{sub}"))
    return loaded


def _sonames(fw: FrameworkFacts, needed: list[str]) -> list[str]:
    """The CUDA libraries to follow: what the library NEEDs, plus pinned cuDNN and NCCL.

    torch 2.x loads cuDNN and NCCL through libtorch_cuda.so, which has the same RPATH as
    the small library read here.
    """
    names = [n for n in needed if _CUDA_LIB.match(n)]
    cudnn_major = (fw.cudnn_version or "").split(".")[0]
    if cudnn_major.isdigit():
        names.append(f"libcudnn.so.{cudnn_major}")
    if fw.nccl_version:
        names.append("libnccl.so.2")
    return list(dict.fromkeys(names))


def _resolve(ctx: ProbeContext, framework: str, binary: str, soname: str,  # noqa: PLR0917
             ld_library_path: list[str], cache: dict[str, list[str]],
             beside: str | None = None) -> LoadedLibrary:
    """Resolve ``soname`` for ``binary``; ``beside`` names the copy a dlopen caller expects."""
    steps = _loader.search_order(ctx.host, binary, soname, ld_library_path, cache)
    used = next((s for s in steps if s.used), None)
    if used is None and beside is not None and ctx.host.is_file(beside):
        # The front library could not be read as ELF (a recorded tree holds only its name);
        # cuDNN's front libraries carry RUNPATH $ORIGIN, so the copy beside it is the one.
        return LoadedLibrary(framework=framework, soname=soname, resolved=beside,
                             via="RUNPATH ($ORIGIN of the front library)")
    # The copy the framework meant: the first one its own RPATH/RUNPATH would give.
    own = next((s.path for s in steps if s.via in (_loader.VIA_RPATH, _loader.VIA_RUNPATH)
                and s.used), None)
    if beside is not None and ctx.host.is_file(beside):
        own = beside
    expected = own if own and used and _same(own) != _same(used.path) else None
    return LoadedLibrary(framework=framework, soname=soname,
                         resolved=used.path if used else None, via=used.via if used else None,
                         expected=expected)


def _same(path: str) -> str:
    """Normalise ``..`` so two spellings of one file compare equal."""
    import posixpath  # noqa: PLC0415 - tiny, only with a CUDA framework

    return posixpath.normpath(path)


def _cache(ctx: ProbeContext) -> dict[str, list[str]]:
    try:
        data = ctx.host.read_bytes("/etc/ld.so.cache")
    except OSError:
        return {}
    ctx.sources.append("/etc/ld.so.cache")
    return _ldcache.parse_ld_so_cache(data)
