"""Installed ML frameworks and how each was built, read from their own files.

No framework is imported: torch's ``version.py`` and ``CUDAConfig.h``, TensorFlow's
``build_info.py``, CuPy's ``_wheel.json``, ONNX Runtime's build info, Paddle's version
module, the wheels' METADATA pins and local version tags say which CUDA, cuDNN, ROCm and
GPU architectures a build targets. The parsers are pure functions in ``_build_info``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from envdoctor._util import lazy_re
from envdoctor.facts import Distribution, FrameworkFacts
from envdoctor.probes._classic import CLASSIC_FRAMEWORKS, ClassicFramework
from envdoctor.probes.base import ProbeContext

if TYPE_CHECKING:
    from envdoctor.probes import _build_info as bi
else:
    bi = None  # the parsers, loaded by probe() when a candidate distribution is installed

# Distribution names that can be a framework read here: a cheap first filter, so that a
# machine with none of them never loads the parsers.
_CANDIDATE = lazy_re(
    r"^(torch|torchvision|torchaudio|tensorflow.*|tf-nightly.*|keras|tf-keras|jax|jaxlib|"
    r"jax-(cuda|rocm)\d+-(plugin|pjrt)|cupy.*|onnxruntime.*|paddlepaddle(-gpu)?|tensorrt.*|"
    r"triton|pytorch-triton-rocm|xformers|flash-attn|bitsandbytes|vllm|deepspeed|theano.*|"
    r"cntk.*|caffe2?|chainer|lasagne|mxnet.*)$")

# ONNX Runtime's builds share one package directory; which variant a distribution is.
_ORT_BUILDS = {"onnxruntime": "cpu", "onnxruntime-gpu": "cuda", "onnxruntime-rocm": "rocm",
               "onnxruntime-openvino": "openvino", "onnxruntime-directml": "directml",
               "onnxruntime-training": "cuda", "onnxruntime-qnn": "qnn"}
_TF_DISTS = ("tensorflow", "tensorflow-gpu", "tensorflow-cpu", "tensorflow-intel",
             "tensorflow-macos", "tensorflow-rocm", "tf-nightly", "tf-nightly-gpu",
             "tensorflow-aarch64")
_CUPY = lazy_re(r"^cupy(?:-cuda(\d+)x?|-rocm-(\d+)-(\d+))?$")
_JAX_PLUGIN = lazy_re(r"^jax-(cuda|rocm)(\d+)-(plugin|pjrt)$")
_TRT = lazy_re(r"^tensorrt(?:-cu(\d+))?(?:-libs|-bindings)?$")


class _Spec:
    """How to read one framework: its name, and a reader for its distribution."""

    # A plain class: a dataclass costs about half a millisecond to create at import, and
    # `envdoctor check` pays every import on every run.
    __slots__ = ("name", "read")

    def __init__(self, name: str, read: Callable[[ProbeContext, Distribution,
                                                  dict[str, Distribution]], FrameworkFacts],
                 ) -> None:
        self.name = name
        self.read = read


def probe(ctx: ProbeContext, distributions: list[Distribution],
          site_packages: list[str]) -> list[FrameworkFacts]:
    """Describe every installed framework and GPU library we know how to read."""
    global bi  # noqa: PLW0603 - the parsers module, loaded on first need
    by_name = {d.name: d for d in distributions}
    found: list[FrameworkFacts] = []
    candidates = [d for d in distributions if _CANDIDATE.match(d.name)]
    if candidates and bi is None:
        from envdoctor.probes import _build_info  # noqa: PLC0415

        bi = _build_info
    for dist in candidates:
        spec = _spec_for(dist.name)
        if spec is None:
            continue
        try:
            found.append(spec.read(ctx, dist, by_name))
        except (ValueError, KeyError, IndexError) as exc:
            ctx.problems.append(f"{dist.name} {dist.version}: {exc}")
    found += _classic_without_dist_info(ctx, site_packages, by_name)
    return sorted(found, key=lambda f: (f.name, f.distribution))


def _spec_for(name: str) -> _Spec | None:
    if name == "torch":
        return _Spec("torch", _torch)
    if name in ("torchvision", "torchaudio"):
        return _Spec(name, _torch_companion)
    if name in _TF_DISTS:
        return _Spec("tensorflow", _tensorflow)
    if name in ("keras", "tf-keras"):
        return _Spec(name, _keras)
    if name in ("jax", "jaxlib") or _JAX_PLUGIN.match(name):
        return _Spec("jax", _jax) if name == "jax" else _Spec(name, _jax_part)
    if _CUPY.match(name):
        return _Spec("cupy", _cupy)
    if name in _ORT_BUILDS:
        return _Spec("onnxruntime", _onnxruntime)
    if name in ("paddlepaddle", "paddlepaddle-gpu"):
        return _Spec("paddle", _paddle)
    if name == "tensorrt" or re.fullmatch(r"tensorrt-cu\d+", name):
        return _Spec("tensorrt", _simple_cuda_from_name)
    if name in ("triton", "pytorch-triton-rocm", "xformers", "flash-attn", "bitsandbytes",
                "vllm", "deepspeed"):
        return _Spec(name, _gpu_library)
    if any(_classic_match(name, c) for c in CLASSIC_FRAMEWORKS):
        return _Spec("classic", _classic)
    return None


# --------------------------------------------------------------------------- helpers


def _metadata(ctx: ProbeContext, dist: Distribution, file: str = "METADATA") -> str | None:
    """A file of the distribution's dist-info (its directory name is not normalised)."""
    if dist.location is None:
        return None
    stem_names = {dist.name.replace("-", "_"), dist.name, dist.name.replace("-", ".")}
    for entry in ctx.listdir(dist.location):
        if not entry.endswith(".dist-info"):
            continue
        stem = entry[: -len(".dist-info")]
        name, _, version = stem.partition("-")
        if version == dist.version and name.lower() in stem_names:
            return ctx.read(f"{dist.location}/{entry}/{file}", limit=1 << 20)
    return None


def _requires(ctx: ProbeContext, dist: Distribution) -> bi.Requirements:
    text = _metadata(ctx, dist)
    return bi.parse_requires_dist(text) if text else bi.Requirements()


def _pin(requires: dict[str, str], *prefixes: str) -> str | None:
    """The version an ``==`` pin names for the first distribution matching a prefix."""
    for name, spec in requires.items():
        if name.startswith(prefixes) and spec.startswith("=="):
            return spec[2:].split(",")[0].strip()
    return None


def _base(name: str, dist: Distribution, tag: bi.LocalTag, **extra: object) -> FrameworkFacts:
    fields: dict[str, object] = {
        "name": name, "distribution": dist.name, "version": tag.public, "local_tag": tag.local,
        "build": tag.build, "cuda_version": tag.cuda_version, "rocm_version": tag.rocm_version,
        "cudnn_version": tag.cudnn_version,
        "location": dist.location,
    }
    fields.update({k: v for k, v in extra.items() if v is not None})
    return FrameworkFacts(**fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- readers


def _torch(ctx: ProbeContext, dist: Distribution, _: dict[str, Distribution]) -> FrameworkFacts:
    pkg = f"{dist.location}/torch"
    tag = bi.parse_local_tag(dist.version)
    sources = []
    wheel = _metadata(ctx, dist, "WHEEL") or ""
    platform_tag = next(iter(bi.parse_wheel_tags(wheel)), None)
    info = bi.BuildInfo()
    text = ctx.read(f"{pkg}/version.py")
    if text:
        info = bi.parse_torch_version_py(text, platform_tag=platform_tag)
        sources.append(f"{pkg}/version.py")
    arch: list[str] = []
    header = ctx.read(f"{pkg}/include/ATen/cuda/CUDAConfig.h", limit=65536)
    if header:
        arch = bi.parse_cuda_config_h(header).arch_list
        sources.append(f"{pkg}/include/ATen/cuda/CUDAConfig.h")
    requires = _requires(ctx, dist).required
    return _base(
        "torch", dist, tag,
        build=info.build or tag.build,
        cuda_version=info.cuda_version or tag.cuda_version,
        rocm_version=info.rocm_version or tag.rocm_version,
        cudnn_version=_pin(requires, "nvidia-cudnn"),
        nccl_version=_pin(requires, "nvidia-nccl"),
        arch_list=arch,
        requires=requires,
        sources=sources,
        details={k: v for k, v in info.details.items() if k in ("git_version", "debug")},
    )


def _torch_companion(ctx: ProbeContext, dist: Distribution,
                     _: dict[str, Distribution]) -> FrameworkFacts:
    pkg = f"{dist.location}/{dist.name}"
    tag = bi.parse_local_tag(dist.version)
    requires = _requires(ctx, dist)
    torch_pin = bi.parse_requires_dist(_metadata(ctx, dist) or "", gpu_only=False).required.get(
        "torch")
    info = bi.BuildInfo()
    text = ctx.read(f"{pkg}/version.py")
    if text:
        info = bi.parse_torch_version_py(text)
    # torchvision's version.py computes its CUDA version at import time, so the file only
    # tells a build when it names one; otherwise only the local tag (+cu124) can.
    named = info.build if info.cuda_version or info.rocm_version else None
    return _base(dist.name, dist, tag, build=tag.build or named,
                 cuda_version=tag.cuda_version or info.cuda_version,
                 requires=requires.required,
                 sources=[f"{pkg}/version.py"] if text else [],
                 details={"requires_torch": torch_pin} if torch_pin else {})


def _tensorflow(ctx: ProbeContext, dist: Distribution,
                installed: dict[str, Distribution]) -> FrameworkFacts:
    path = f"{dist.location}/tensorflow/python/platform/build_info.py"
    text = ctx.read(path)
    info = bi.parse_tf_build_info(text) if text else bi.BuildInfo()
    tag = bi.parse_local_tag(dist.version)
    requires = _requires(ctx, dist)
    and_cuda = requires.extras.get("and-cuda", {})
    details = {}
    if and_cuda:
        missing = [n for n in and_cuda if n not in installed]
        details["and_cuda"] = "installed" if not missing else (
            "not installed" if len(missing) == len(and_cuda) else "partly installed")
    build = info.build or ("cpu" if dist.name in ("tensorflow-cpu",) else None)
    return _base("tensorflow", dist, tag, build=build, cuda_version=info.cuda_version,
                 rocm_version=info.rocm_version, cudnn_version=info.cudnn_version,
                 arch_list=info.arch_list, requires=and_cuda or requires.required,
                 sources=[path] if text else [], details=details)


def _keras(ctx: ProbeContext, dist: Distribution, _: dict[str, Distribution]) -> FrameworkFacts:
    major = bi.keras_major(dist.version)
    return _base(dist.name, dist, bi.parse_local_tag(dist.version),
                 details={"keras_major": str(major)} if major is not None else {})


def _jax(ctx: ProbeContext, dist: Distribution,
         installed: dict[str, Distribution]) -> FrameworkFacts:
    jaxlib = installed.get("jaxlib")
    details = {"jaxlib": jaxlib.version} if jaxlib else {}
    plugins = [d for d in installed.values() if _JAX_PLUGIN.match(d.name)]
    build, cuda, rocm = "cpu", None, None
    for plugin in plugins:
        m = _JAX_PLUGIN.match(plugin.name)
        assert m is not None  # noqa: S101 - filtered above
        details[plugin.name] = plugin.version
        if m.group(1) == "cuda":
            build, cuda = "cuda", m.group(2)
        else:
            build, rocm = "rocm", m.group(2)
    if jaxlib and not plugins:
        tag = bi.parse_local_tag(jaxlib.version)  # jaxlib 0.4.x: +cuda12.cudnn89
        if tag.build:
            build, cuda = tag.build, tag.cuda_version
    return _base("jax", dist, bi.parse_local_tag(dist.version), build=build, cuda_version=cuda,
                 rocm_version=rocm, details=details)


def _jax_part(ctx: ProbeContext, dist: Distribution,
              _: dict[str, Distribution]) -> FrameworkFacts:
    tag = bi.parse_local_tag(dist.version)
    m = _JAX_PLUGIN.match(dist.name)
    if m:
        kind = "cuda" if m.group(1) == "cuda" else "rocm"
        return _base(dist.name, dist, tag, build=kind,
                     cuda_version=m.group(2) if kind == "cuda" else None,
                     rocm_version=m.group(2) if kind == "rocm" else None)
    return _base(dist.name, dist, tag)


def _cupy(ctx: ProbeContext, dist: Distribution, _: dict[str, Distribution]) -> FrameworkFacts:
    m = _CUPY.match(dist.name)
    assert m is not None  # noqa: S101 - matched by _spec_for
    path = f"{dist.location}/cupy/.data/_wheel.json"
    text = ctx.read(path)
    info = bi.parse_cupy_wheel_json(text) if text else bi.BuildInfo()
    cuda = info.cuda_version or (f"{m.group(1)}.x" if m.group(1) else None)
    rocm = info.rocm_version or (f"{m.group(2)}.{m.group(3)}" if m.group(2) else None)
    build = "cuda" if cuda else "rocm" if rocm else None
    return _base("cupy", dist, bi.parse_local_tag(dist.version), build=build,
                 cuda_version=cuda, rocm_version=rocm, cudnn_version=info.cudnn_version,
                 nccl_version=info.nccl_version, sources=[path] if text else [],
                 details=info.details)


def _onnxruntime(ctx: ProbeContext, dist: Distribution,
                 _: dict[str, Distribution]) -> FrameworkFacts:
    path = f"{dist.location}/onnxruntime/capi/build_and_package_info.py"
    text = ctx.read(path)
    info = bi.parse_ort_build_info(text) if text else bi.BuildInfo()
    details = {"shares_package_dir": "onnxruntime"}
    if info.details.get("package_name") and info.details["package_name"] != dist.name:
        # Two ONNX Runtime builds installed: the package directory is the last one's.
        details["package_dir_belongs_to"] = info.details["package_name"]
    return _base("onnxruntime", dist, bi.parse_local_tag(dist.version),
                 build=_ORT_BUILDS.get(dist.name) or info.build, cuda_version=info.cuda_version,
                 cudnn_version=info.cudnn_version, sources=[path] if text else [],
                 details=details)


def _paddle(ctx: ProbeContext, dist: Distribution, _: dict[str, Distribution]) -> FrameworkFacts:
    path = f"{dist.location}/paddle/version/__init__.py"
    text = ctx.read(path)
    info = bi.parse_paddle_version(text) if text else bi.BuildInfo()
    build = info.build or ("cuda" if dist.name == "paddlepaddle-gpu" else "cpu")
    return _base("paddle", dist, bi.parse_local_tag(dist.version), build=build,
                 cuda_version=info.cuda_version, cudnn_version=info.cudnn_version,
                 nccl_version=info.nccl_version, arch_list=info.arch_list,
                 sources=[path] if text else [])


def _simple_cuda_from_name(ctx: ProbeContext, dist: Distribution,
                           _: dict[str, Distribution]) -> FrameworkFacts:
    m = _TRT.match(dist.name)
    cuda = f"{m.group(1)}.x" if m and m.group(1) else None
    return _base("tensorrt", dist, bi.parse_local_tag(dist.version),
                 build="cuda", cuda_version=cuda)


def _gpu_library(ctx: ProbeContext, dist: Distribution,
                 _: dict[str, Distribution]) -> FrameworkFacts:
    tag = bi.parse_local_tag(dist.version)
    requires = bi.parse_requires_dist(_metadata(ctx, dist) or "", gpu_only=False).required
    details = {}
    if "torch" in requires:
        details["requires_torch"] = requires["torch"] or "any"
    info = bi.BuildInfo()
    sources = []
    if dist.name == "xformers":
        path = f"{dist.location}/xformers/cpp_lib.json"
        text = ctx.read(path)
        if text:
            info = bi.parse_xformers_cpp_lib(text)
            sources.append(path)
            if info.details.get("torch"):
                details["built_with_torch"] = info.details["torch"]
    elif dist.name == "bitsandbytes":
        names = ctx.listdir(f"{dist.location}/bitsandbytes")
        variants = bi.bitsandbytes_cuda_variants(names)
        if variants:
            details["cuda_variants"] = ",".join(variants)
            info = bi.BuildInfo(build="cuda")
    return _base(dist.name, dist, tag, build=info.build or tag.build,
                 cuda_version=info.cuda_version or tag.cuda_version, arch_list=info.arch_list,
                 requires={k: v for k, v in requires.items() if bi.is_gpu_distribution(k)
                           or k == "torch"},
                 sources=sources, details=details)


def _classic_match(name: str, framework: ClassicFramework) -> bool:
    return any(name == d or (d.endswith("*") and name.startswith(d[:-1]))
               for d in framework.distributions)


def _classic(ctx: ProbeContext, dist: Distribution, _: dict[str, Distribution]) -> FrameworkFacts:
    framework = next(c for c in CLASSIC_FRAMEWORKS if _classic_match(dist.name, c))
    info = bi.classic_build(dist.name)
    return _base(framework.name.lower(), dist, bi.parse_local_tag(dist.version),
                 build=info.build, cuda_version=info.cuda_version,
                 details={"retired": "true", "successor": framework.successor})


def _classic_without_dist_info(
    ctx: ProbeContext, sites: list[str], installed: dict[str, Distribution],
) -> list[FrameworkFacts]:
    """Pycaffe and other classics installed by hand: a package directory, no dist-info."""
    found = []
    for framework in CLASSIC_FRAMEWORKS:
        if any(_classic_match(n, framework) for n in installed):
            continue
        for site in sites:
            if any(ctx.host.exists(f"{site}/{marker}") for marker in framework.markers):
                if framework.name == "Caffe2" and "torch" in installed:
                    continue  # torch wheels shipped their own caffe2 package until 2022
                found.append(FrameworkFacts(
                    name=framework.name.lower(), distribution="(no dist-info)", location=site,
                    sources=[f"{site}/{framework.markers[0]}"],
                    details={"retired": "true", "successor": framework.successor}))
                break
    return found
