"""Build facts read from framework files as text, checked against the real wheel members.

Every expected value below is what the recorded file says when read by a person (see
``tests/recordings/wheel-files/<folder>`` and the ``.source`` beside it); the numbered
edge cases at the end use literal strings.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envdoctor.probes import _build_info as bi
from envdoctor.probes._build_info import BuildInfo, LocalTag
from envdoctor.probes._classic import CLASSIC_FRAMEWORKS
from tests.probes.helpers import RECORDINGS

WHEELS = RECORDINGS / "wheel-files"


def member(folder: str, path: str) -> str:
    return (WHEELS / folder / path).read_text(encoding="utf-8")


def dist_info(folder: str, name: str) -> str:
    """A file of the folder's one ``*.dist-info`` (or sdist ``PKG-INFO``)."""
    found = sorted((WHEELS / folder).glob(f"*.dist-info/{name}"))
    if not found:
        found = sorted((WHEELS / folder).glob(f"*/{name}"))
    assert len(found) == 1, (folder, name, found)
    return found[0].read_text(encoding="utf-8")


def recorded(prefix: str) -> set[str]:
    return {p.name for p in WHEELS.iterdir() if p.is_dir() and p.name.startswith(prefix)}


# --- torch/version.py ---------------------------------------------------------------------

TORCH = {
    # folder: (__version__, build, cuda, local tag)
    "torch-1.13.1": ("1.13.1+cu117", "cuda", "11.7", "cu117"),
    "torch-2.0.1": ("2.0.1+cu117", "cuda", "11.7", "cu117"),
    "torch-2.1.2": ("2.1.2+cu121", "cuda", "12.1", "cu121"),
    "torch-2.3.1": ("2.3.1+cu121", "cuda", "12.1", "cu121"),
    "torch-2.4.1": ("2.4.1+cu121", "cuda", "12.1", "cu121"),
    "torch-2.5.1": ("2.5.1+cu124", "cuda", "12.4", "cu124"),
    "torch-2.5.1-macosx-arm64": ("2.5.1", "mps", None, None),
    "torch-2.6.0": ("2.6.0+cu124", "cuda", "12.4", "cu124"),
    "torch-2.7.1": ("2.7.1+cu126", "cuda", "12.6", "cu126"),
    "torch-2.8.0": ("2.8.0+cu128", "cuda", "12.8", "cu128"),
    "torch-2.9.1": ("2.9.1+cu128", "cuda", "12.8", "cu128"),
    "torch-2.9.1-aarch64": ("2.9.1+cpu", "cpu", None, "cpu"),
    "torch-2.13.0+cpu": ("2.13.0+cpu", "cpu", None, "cpu"),
    "torch-2.15.0": ("2.15.0+cu132", "cuda", "13.2", "cu132"),
    "torch-2.15.0-aarch64": ("2.15.0+cu132", "cuda", "13.2", "cu132"),
}


def test_every_torch_recording_is_covered() -> None:
    assert recorded("torch-") == set(TORCH)


@pytest.mark.parametrize("folder", sorted(TORCH))
def test_torch_version_py(folder: str) -> None:
    version, build, cuda, local = TORCH[folder]
    tags = bi.parse_wheel_tags(dist_info(folder, "WHEEL"))
    info = bi.parse_torch_version_py(member(folder, "torch/version.py"), platform_tag=tags[0])
    assert (info.version, info.build, info.cuda_version) == (version, build, cuda)
    assert info.details.get("local_tag") == local
    assert info.details["debug"] == "False"
    assert len(info.details["git_version"]) == 40
    assert info.rocm_version is None
    assert "hip" not in info.details  # hip = None in every recorded wheel


def test_torch_version_py_without_the_platform_says_cpu_for_macos() -> None:
    # version.py of the macOS wheel reads like a Linux CPU one: cuda None and no local tag.
    text = member("torch-2.5.1-macosx-arm64", "torch/version.py")
    assert bi.parse_torch_version_py(text).build == "cpu"
    assert bi.parse_torch_version_py(text, platform_tag="darwin").build == "mps"
    assert bi.parse_wheel_tags(dist_info("torch-2.5.1-macosx-arm64", "WHEEL")) == [
        "cp311-cp311-macosx_11_0_arm64"]


def test_torch_version_py_vintages() -> None:
    # 1.13: plain assignments; 2.3: annotated; 2.6: xpu (outside __all__); 2.13: rocm too.
    assert "cuda = '11.7'" in member("torch-1.13.1", "torch/version.py")
    assert "cuda: Optional[str] = '12.1'" in member("torch-2.3.1", "torch/version.py")
    v26 = member("torch-2.6.0", "torch/version.py")
    assert "xpu: Optional[str] = None" in v26 and "'xpu'" not in v26
    assert "rocm: Optional[str] = None" in member("torch-2.13.0+cpu", "torch/version.py")
    git = bi.parse_torch_version_py(member("torch-2.5.1", "torch/version.py")).details
    assert git["git_version"] == "a8d6afb511a69687bbb2b7e88a3cf67917e1697e"


@pytest.mark.parametrize(("folder", "path", "version", "cuda"), [
    ("torchvision-0.20.1", "torchvision/version.py", "0.20.1+cu124", "12.4"),
    ("torchvision-0.23.0", "torchvision/version.py", "0.23.0+cu128", "12.8"),
    ("torchaudio-2.5.1", "torchaudio/version.py", "2.5.1+cu124", "12.4"),
    ("torchaudio-2.8.0", "torchaudio/version.py", "2.8.0+cu128", "12.8"),
])
def test_torchvision_and_torchaudio_version_py(folder: str, path: str, version: str,
                                               cuda: str) -> None:
    # torchvision's `cuda = _check_cuda_version()` is code, not a literal: the tag tells.
    info = bi.parse_torch_version_py(member(folder, path))
    assert (info.version, info.build, info.cuda_version) == (version, "cuda", cuda)


# --- torch/include/ATen/cuda/CUDAConfig.h ---------------------------------------------------

SM_37_86 = ["sm_37", "sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86"]
SM_50_90 = ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]
SM_70_120 = ["sm_70", "sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]
CUDA_CONFIG = {
    "torch-1.13.1": SM_37_86,
    "torch-2.0.1": SM_37_86,
    "torch-2.1.2": SM_50_90,
    "torch-2.3.1": SM_50_90,
    "torch-2.4.1": SM_50_90,
    "torch-2.5.1": SM_50_90,
    "torch-2.6.0": SM_50_90,
    "torch-2.7.1": SM_50_90,
    "torch-2.8.0": SM_70_120,
    "torch-2.9.1": SM_70_120,
    "torch-2.15.0": ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"],
    "torch-2.15.0-aarch64": ["sm_80", "sm_90", "sm_100", "sm_110", "sm_120"],
}


def test_cuda_config_h_is_in_exactly_the_cuda_wheels() -> None:
    with_header = {f for f in TORCH if (WHEELS / f / "torch/include/ATen/cuda/CUDAConfig.h")
                   .exists()}
    assert with_header == set(CUDA_CONFIG)
    assert with_header == {f for f, (_, build, _, _) in TORCH.items() if build == "cuda"}


@pytest.mark.parametrize("folder", sorted(CUDA_CONFIG))
def test_cuda_config_h_arch_list(folder: str) -> None:
    info = bi.parse_cuda_config_h(member(folder, "torch/include/ATen/cuda/CUDAConfig.h"))
    assert info.arch_list == CUDA_CONFIG[folder]
    assert info.build == "cuda"
    assert info.details["AT_CUDNN_ENABLED"] == "1"
    assert info.details["AT_ROCM_ENABLED"] == "0"
    # The recorded headers hold switches only, no CUDA/cuDNN version macros.
    assert (info.cuda_version, info.cudnn_version, info.nccl_version) == (None, None, None)


def test_cuda_config_h_torch_2_5_1_from_pypi() -> None:
    info = bi.parse_cuda_config_h(member("torch-2.5.1", "torch/include/ATen/cuda/CUDAConfig.h"))
    assert info.arch_list[0] == "sm_50"
    assert "sm_90" in info.arch_list
    assert not any(a.startswith("compute_") for a in info.arch_list)  # no PTX in the wheel


def test_cuda_config_h_switches_that_differ() -> None:
    def details(folder: str) -> dict[str, str]:
        return bi.parse_cuda_config_h(
            member(folder, "torch/include/ATen/cuda/CUDAConfig.h")).details
    assert "AT_CUSPARSELT_ENABLED" not in details("torch-2.0.1")
    assert details("torch-2.1.2")["AT_CUSPARSELT_ENABLED"] == "0"
    assert details("torch-2.3.1")["AT_CUSPARSELT_ENABLED"] == "1"
    assert details("torch-2.15.0")["AT_MAGMA_ENABLED"] == "1"
    assert details("torch-2.15.0-aarch64")["AT_MAGMA_ENABLED"] == "0"
    assert "HAVE_HIP" not in details("torch-2.5.1")  # defined only under #if ROCm && MAGMA


def test_aten_config_h_is_read_too() -> None:
    linux = bi.parse_cuda_config_h(member("torch-2.5.1", "torch/include/ATen/Config.h"))
    mac = bi.parse_cuda_config_h(member("torch-2.5.1-macosx-arm64",
                                        "torch/include/ATen/Config.h"))
    assert linux.build is None and linux.arch_list == []
    assert (linux.details["AT_MKL_ENABLED"], mac.details["AT_MKL_ENABLED"]) == ("1", "0")
    assert mac.details["AT_POCKETFFT_ENABLED"] == "1"


# --- METADATA Requires-Dist -----------------------------------------------------------------


def requires(folder: str, name: str = "METADATA", **kwargs: bool) -> bi.Requirements:
    return bi.parse_requires_dist(dist_info(folder, name), **kwargs)


@pytest.mark.parametrize(("folder", "cudnn", "nccl", "triton"), [
    ("torch-1.13.1", ("nvidia-cudnn-cu11", "==8.5.0.96"), None, None),
    ("torch-2.0.1", ("nvidia-cudnn-cu11", "==8.5.0.96"), ("nvidia-nccl-cu11", "==2.14.3"),
     "==2.0.0"),
    ("torch-2.1.2", ("nvidia-cudnn-cu12", "==8.9.2.26"), ("nvidia-nccl-cu12", "==2.18.1"),
     "==2.1.0"),
    ("torch-2.3.1", ("nvidia-cudnn-cu12", "==8.9.2.26"), ("nvidia-nccl-cu12", "==2.20.5"),
     "==2.3.1"),
    ("torch-2.4.1", ("nvidia-cudnn-cu12", "==9.1.0.70"), ("nvidia-nccl-cu12", "==2.20.5"),
     "==3.0.0"),
    ("torch-2.5.1", ("nvidia-cudnn-cu12", "==9.1.0.70"), ("nvidia-nccl-cu12", "==2.21.5"),
     "==3.1.0"),
    ("torch-2.6.0", ("nvidia-cudnn-cu12", "==9.1.0.70"), ("nvidia-nccl-cu12", "==2.21.5"),
     "==3.2.0"),
    ("torch-2.7.1", ("nvidia-cudnn-cu12", "==9.5.1.17"), ("nvidia-nccl-cu12", "==2.26.2"),
     "==3.3.1"),
    ("torch-2.8.0", ("nvidia-cudnn-cu12", "==9.10.2.21"), ("nvidia-nccl-cu12", "==2.27.3"),
     "==3.4.0"),
    ("torch-2.9.1", ("nvidia-cudnn-cu12", "==9.10.2.21"), ("nvidia-nccl-cu12", "==2.27.5"),
     "==3.5.1"),
    ("torch-2.15.0", ("nvidia-cudnn-cu13", "==9.26.0.51"), ("nvidia-nccl-cu13", "==2.30.7"),
     "~=3.9.0"),
    ("torch-2.15.0-aarch64", ("nvidia-cudnn-cu13", "==9.26.0.51"),
     ("nvidia-nccl-cu13", "==2.30.7"), "~=3.9.0"),
])
def test_torch_metadata_pins(folder: str, cudnn: tuple[str, str],
                             nccl: tuple[str, str] | None, triton: str | None) -> None:
    found = requires(folder)
    assert found.required[cudnn[0]] == cudnn[1]
    if nccl:
        assert found.required[nccl[0]] == nccl[1]
    assert found.required.get("triton") == triton
    assert "filelock" not in found.required  # not a GPU library
    assert found.extras == {}  # torch's extras (optree, opt-einsum, pyyaml) are not GPU


def test_torch_2_15_requires_cuda_toolkit_instead_of_nvidia_runtime_wheels() -> None:
    found = requires("torch-2.15.0").required
    assert found["cuda-toolkit"] == "==13.2.2"  # extras [cublas,cudart,...] dropped
    assert found["cuda-bindings"] == "<14,>=13.0.3"
    assert not any(n.startswith("nvidia-cuda-runtime") for n in found)


def test_markers_are_dropped_so_cpu_and_macos_wheels_list_nvidia_pins_too() -> None:
    # Their METADATA carries the Linux x86_64 pins under a marker; the pins prove nothing.
    assert requires("torch-2.9.1-aarch64").required["nvidia-cudnn-cu12"] == "==9.10.2.21"
    assert requires("torch-2.5.1-macosx-arm64").required["nvidia-cudnn-cu12"] == "==9.1.0.70"
    assert requires("torch-2.13.0+cpu") == bi.Requirements()


@pytest.mark.parametrize(("folder", "cudnn", "nccl"), [
    ("tensorflow-2.10.1", None, None),
    ("tensorflow-2.13.1", None, None),
    ("tensorflow-2.15.1", "==8.9.4.25", "==2.16.5"),
    ("tensorflow-2.17.1", "==8.9.7.29", "==2.19.3"),
    ("tensorflow-2.21.0", "<10.0,>=9.3.0.75", "<3.0,>=2.27.7"),
])
def test_tensorflow_and_cuda_pins_are_kept_apart(folder: str, cudnn: str | None,
                                                 nccl: str | None) -> None:
    found = requires(folder)
    assert found.required == {}
    if cudnn is None:
        assert found.extras == {}  # tensorflow[and-cuda] arrived in 2.14
        return
    assert set(found.extras) == {"and-cuda"}
    and_cuda = found.extras["and-cuda"]
    assert (and_cuda["nvidia-cudnn-cu12"], and_cuda["nvidia-nccl-cu12"]) == (cudnn, nccl)
    assert len(and_cuda) == 12


def test_tensorflow_requires_everything_when_asked() -> None:
    found = requires("tensorflow-2.15.1", gpu_only=False)
    assert found.required["keras"] == "<2.16,>=2.15.0"  # old "(<2.16,>=2.15.0)" form unwrapped
    assert found.required["tensorflow-cpu-aws"] == "==2.15.1"  # marker dropped
    tf221 = requires("tensorflow-2.21.0", gpu_only=False)
    assert tf221.extras["gcs-filesystem"] == {"tensorflow-io-gcs-filesystem": ">=0.23.1"}


def test_jax_and_plugin_requirements() -> None:
    jax = requires("jax-0.12.0.1")
    assert jax.required == {"jaxlib": "<=0.12.0.1,>=0.11.2"}
    assert jax.extras["cuda12"] == {"jaxlib": "<=0.12.0.1,>=0.12.0.1",
                                    "jax-cuda12-plugin": "<=0.12.0.1,>=0.12.0.1"}
    assert jax.extras["rocm7-local"]["jax-rocm7-plugin"] == "==0.12.0.1.*"
    assert "k8s" not in jax.extras  # kubernetes is no GPU library
    plugin = requires("jax-cuda12-plugin-0.12.0.1")
    assert plugin.required == {"jax-cuda12-pjrt": "==0.12.0.1"}
    # `sys_platform == "linux" and extra == "with-cuda"`: filed under the extra.
    assert plugin.extras["with-cuda"]["nvidia-cudnn-cu12"] == "<10.0,>=9.10.2.21"
    assert len(plugin.extras["with-cuda"]) == 12
    assert requires("jaxlib-0.12.0.1") == bi.Requirements()
    assert requires("jaxlib-0.4.38") == bi.Requirements()


def test_other_gpu_library_requirements() -> None:
    ort = requires("onnxruntime-gpu-1.31.1")
    assert ort.required == {}
    assert ort.extras["cuda"]["nvidia-cuda-runtime"] == "~=13.0"
    assert ort.extras["cudnn"] == {"nvidia-cudnn-cu13": "~=9.0"}
    assert requires("onnxruntime-1.32.0") == bi.Requirements()
    cupy = requires("cupy-cuda12x-14.2.0")
    assert cupy.required == {"cuda-pathfinder": "==1.*,>=1.3.4"}
    assert cupy.extras == {"ctk": {"cuda-toolkit": "==12.*"}}
    assert requires("cupy-cuda11x-13.6.0") == bi.Requirements()
    assert requires("nvidia-cudnn-cu12-9.1.0.70").required == {"nvidia-cublas-cu12": ""}
    assert requires("tensorrt-11.4.0.106", "PKG-INFO").required == {
        "tensorrt-cu13": "==11.4.0.106"}
    assert requires("deepspeed-0.19.8", "PKG-INFO").extras["sd"] == {"triton": ">=2.1.0"}
    vllm = requires("vllm-0.33.0")
    assert vllm.required["nvidia-cutlass-dsl"] == "==4.8.0"
    assert "torch" not in vllm.required
    assert requires("vllm-0.33.0", gpu_only=False).required["torch"] == "==2.14.0"
    paddle = requires("paddlepaddle-gpu-2.6.2", gpu_only=False).required
    assert paddle["numpy"] == ">=1.13"
    assert paddle["protobuf"] == ">=3.20.2"  # the first of two, under different markers


# --- TensorFlow build_info.py -----------------------------------------------------------------

TF = {
    "tensorflow-2.10.1": ("11.2", "8", ["sm_35", "sm_50", "sm_60", "sm_70", "sm_75",
                                         "compute_80"], "True", "/dt9/usr/bin/gcc"),
    "tensorflow-2.13.1": ("11.8", "8", ["sm_35", "sm_50", "sm_60", "sm_70", "sm_75",
                                         "compute_80"], "True", "/usr/lib/llvm-16/bin/clang"),
    "tensorflow-2.15.1": ("12.2", "8", ["sm_50", "sm_60", "sm_70", "sm_75", "compute_80"],
                          "True", "/usr/lib/llvm-17/bin/clang"),
    "tensorflow-2.17.1": ("12.3", "8", ["sm_60", "sm_70", "sm_80", "sm_89", "compute_90"],
                          "True", "/usr/lib/llvm-17/bin/clang"),
    "tensorflow-2.21.0": ("12.5.1", "9", ["sm_60", "sm_70", "sm_80", "sm_89", "compute_90"],
                          "False", "clang"),
}


def test_every_tensorflow_recording_is_covered() -> None:
    assert recorded("tensorflow-") == set(TF)


@pytest.mark.parametrize("folder", sorted(TF))
def test_tf_build_info(folder: str) -> None:
    cuda, cudnn, arches, tensorrt, compiler = TF[folder]
    info = bi.parse_tf_build_info(member(folder, "tensorflow/python/platform/build_info.py"))
    assert (info.build, info.cuda_version, info.cudnn_version) == ("cuda", cuda, cudnn)
    assert info.arch_list == arches
    assert info.details["is_tensorrt_build"] == tensorrt
    assert info.details["cpu_compiler"] == compiler
    assert info.details["is_rocm_build"] == "False"
    assert info.version is None  # build_info.py does not hold TF's version


# --- CuPy, onnxruntime, Paddle, xformers, JAX, bitsandbytes, Keras ----------------------------

CUPY = {
    "cupy-cuda11x-13.6.0": ("11.x", "2.16.5", "8.8.1", "2.1.0"),
    "cupy-cuda12x-14.2.0": ("12.x", "2.25.1", None, "2.4.1"),
    "cupy-cuda13x-14.2.0": ("13.x", "2.27.7", None, "2.4.1"),
}


def test_every_cupy_recording_is_covered() -> None:
    assert recorded("cupy-") == set(CUPY)


@pytest.mark.parametrize("folder", sorted(CUPY))
def test_cupy_wheel_json(folder: str) -> None:
    cuda, nccl, cudnn, cutensor = CUPY[folder]
    info = bi.parse_cupy_wheel_json(member(folder, "cupy/.data/_wheel.json"))
    assert (info.build, info.cuda_version) == ("cuda", cuda)
    assert (info.nccl_version, info.cudnn_version) == (nccl, cudnn)
    assert info.details["cutensor"] == cutensor
    assert info.details["packaging"] == "pip"


@pytest.mark.parametrize(("folder", "version", "package", "build", "cuda"), [
    ("onnxruntime-1.32.0", "1.32.0", "onnxruntime", "cpu", None),
    ("onnxruntime-gpu-1.31.1", "1.31.1", "onnxruntime-gpu", "cuda", "13.0"),
])
def test_ort_build_info(folder: str, version: str, package: str, build: str,
                        cuda: str | None) -> None:
    info = bi.parse_ort_build_info(member(folder, "onnxruntime/capi/build_and_package_info.py"))
    assert (info.version, info.build, info.cuda_version) == (version, build, cuda)
    assert info.details["package_name"] == package
    assert info.cudnn_version is None


def test_every_onnxruntime_and_paddle_recording_is_covered() -> None:
    assert recorded("onnxruntime") == {"onnxruntime-1.32.0", "onnxruntime-gpu-1.31.1"}
    assert recorded("paddlepaddle") == {"paddlepaddle-3.3.1", "paddlepaddle-gpu-2.6.2"}


def test_paddle_gpu_2_6_2() -> None:
    info = bi.parse_paddle_version(member("paddlepaddle-gpu-2.6.2", "paddle/version/__init__.py"))
    assert (info.version, info.build) == ("2.6.2", "cuda")
    assert (info.cuda_version, info.cudnn_version) == ("11.8", "8.6.0")
    assert info.nccl_version is None and info.arch_list == []  # 2.6 records neither
    assert info.details["with_mkl"] == "ON"
    assert info.details["istaged"] == "True"
    assert info.details["commit"] == "8ce0de584c570589117e403322f3d1a0de6554e5"


def test_paddle_cpu_3_3_1() -> None:
    info = bi.parse_paddle_version(member("paddlepaddle-3.3.1", "paddle/version/__init__.py"))
    assert (info.version, info.build) == ("3.3.1", "cpu")
    # The file says cuda_version = 'False', nccl_version = '0', compiled_cuda_archs = [].
    assert (info.cuda_version, info.cudnn_version, info.nccl_version) == (None, None, None)
    assert (info.rocm_version, info.arch_list) == (None, [])
    assert info.details["is_tagged"] == "True"
    assert info.details["tensorrt_version"] == "None"  # a string in the file
    assert info.details["with_pip_cuda_libraries"] == "ON"


def test_paddle_cuda_env_py_is_empty() -> None:
    assert member("paddlepaddle-gpu-2.6.2", "paddle/cuda_env.py") == ""


XFORMERS = {
    "xformers-0.0.28.post3": ("12.1", "2.5.1+cu121", ["sm_60", "compute_60", "sm_70", "sm_75",
                                                      "sm_80", "compute_80", "sm_90a"]),
    "xformers-0.0.35": ("12.8", "2.10.0+cu128", ["sm_75", "sm_80", "compute_80", "sm_90a"]),
}


def test_every_xformers_recording_is_covered() -> None:
    assert recorded("xformers-") == set(XFORMERS)


@pytest.mark.parametrize("folder", sorted(XFORMERS))
def test_xformers_cpp_lib(folder: str) -> None:
    cuda, torch, arches = XFORMERS[folder]
    info = bi.parse_xformers_cpp_lib(member(folder, "xformers/cpp_lib.json"))
    assert (info.build, info.cuda_version, info.rocm_version) == ("cuda", cuda, None)
    assert info.details["torch"] == torch
    assert info.arch_list == arches
    assert info.version is None
    assert info.details["XFORMERS_BUILD_TYPE"] == "Release"


def test_xformers_built_against_another_torch_cuda_than_the_one_it_pins() -> None:
    # 0.0.28.post3 pins torch==2.5.1, whose PyPI wheel is cu124; xformers was built on cu121.
    assert requires("xformers-0.0.28.post3", gpu_only=False).required["torch"] == "==2.5.1"
    xformers = bi.parse_xformers_cpp_lib(member("xformers-0.0.28.post3", "xformers/cpp_lib.json"))
    torch = bi.parse_torch_version_py(member("torch-2.5.1", "torch/version.py"))
    assert bi.parse_local_tag(xformers.details["torch"]).cuda_version == "12.1"
    assert torch.cuda_version == "12.4"


JAX = {
    # folder, version.py path: (version, stamped, git hash prefix)
    ("jaxlib-0.4.38", "jaxlib/version.py"): ("0.4.38", "True", "c4e3f5a3"),
    ("jaxlib-0.12.0.1", "jaxlib/version.py"): ("0.12.0.1", "True", "dc4af684"),
    ("jax-0.12.0.1", "jax/version.py"): ("0.12.0.1", "True", "dc4af684"),
    ("jax-cuda12-plugin-0.12.0.1", "jax_cuda12_plugin/version.py"): ("0.12.0.1", "True",
                                                                      "dc4af684"),
    ("jax-cuda12-pjrt-0.12.0.1", "jax_plugins/xla_cuda12/version.py"): ("0.12.0.1", "False",
                                                                        None),
}


def test_every_jax_recording_is_covered() -> None:
    assert recorded("jax") == {folder for folder, _ in JAX}


@pytest.mark.parametrize(("folder", "path"), sorted(JAX))
def test_jaxlib_version_py(folder: str, path: str) -> None:
    version, stamped, git = JAX[folder, path]
    info = bi.parse_jaxlib_version(member(folder, path))
    assert info.version == version
    assert info.details["stamped"] == stamped
    assert (info.details.get("git_hash") or "")[:8] == (git or "")
    # No CUDA field in any of them, the plugin's included: the build is not stated.
    assert (info.build, info.cuda_version, info.cudnn_version) == (None, None, None)


def test_bitsandbytes_library_listing() -> None:
    assert recorded("bitsandbytes-") == {"bitsandbytes-0.50.2"}
    lines = member("bitsandbytes-0.50.2", "central-directory-excerpt.txt").splitlines()
    assert bi.bitsandbytes_cuda_variants(lines) == [
        "11.8", "12.1", "12.4", "12.6", "12.8", "13.0", "13.2"]
    # rocm714 is ROCm 7.14 (one-digit major), not 71.4 or 7.1.4.
    assert bi.bitsandbytes_rocm_variants(lines) == ["6.4", "7.0", "7.1", "7.2", "7.14", "7.15"]


@pytest.mark.parametrize(("folder", "major"), [("keras-3.15.1", 3), ("tf-keras-2.21.0", 2)])
def test_keras_major_from_metadata(folder: str, major: int) -> None:
    version = next(line.split(":", 1)[1].strip() for line in
                   dist_info(folder, "METADATA").splitlines() if line.startswith("Version:"))
    assert bi.keras_major(version) == major


# --- local tags, arch lists, classic frameworks -------------------------------------------------


@pytest.mark.parametrize(("version", "expected"), [
    ("2.5.1+cu124", LocalTag("2.5.1", "cu124", "cuda", "12.4")),
    ("2.0.1+cu118", LocalTag("2.0.1", "cu118", "cuda", "11.8")),
    ("2.9.0+cu130", LocalTag("2.9.0", "cu130", "cuda", "13.0")),
    ("1.7.1+cu92", LocalTag("1.7.1", "cu92", "cuda", "9.2")),
    ("1.4.0+cu100", LocalTag("1.4.0", "cu100", "cuda", "10.0")),
    ("2.5.1+rocm6.2", LocalTag("2.5.1", "rocm6.2", "rocm", rocm_version="6.2")),
    ("2.0.1+rocm5.4.2", LocalTag("2.0.1", "rocm5.4.2", "rocm", rocm_version="5.4.2")),
    ("2.13.0+cpu", LocalTag("2.13.0", "cpu", "cpu")),
    ("2.1.0+cpu.cxx11.abi", LocalTag("2.1.0", "cpu.cxx11.abi", "cpu")),
    ("2.6.0+xpu", LocalTag("2.6.0", "xpu", "xpu")),
    ("0.4.7+cuda12.cudnn88", LocalTag("0.4.7", "cuda12.cudnn88", "cuda", "12",
                                      cudnn_version="8.8")),
    ("0.1.69+cuda111", LocalTag("0.1.69", "cuda111", "cuda", "11.1")),
    ("2.6.0.dev20241112+cu124", LocalTag("2.6.0.dev20241112", "cu124", "cuda", "12.4")),
    ("2.3.0a0+40ec155e58.nv24.03", LocalTag("2.3.0a0", "40ec155e58.nv24.03")),
    ("2.5.1", LocalTag("2.5.1", None)),
])
def test_parse_local_tag(version: str, expected: LocalTag) -> None:
    assert bi.parse_local_tag(version) == expected
    assert bi.parse_local_tag(version)[:2] == (expected.public, expected.local)


@pytest.mark.parametrize(("text", "expected"), [
    ("-gencode;arch=compute_80,code=sm_80;-gencode;arch=compute_90,code=compute_90",
     ["sm_80", "compute_90"]),
    ("-gencode;arch=compute_90,code=compute_90;-gencode;arch=compute_80,code=sm_80;"
     "-gencode;arch=compute_80,code=sm_80", ["sm_80", "compute_90"]),
    ("-gencode=arch=compute_80,code=[sm_80,compute_80] -arch=sm_75",
     ["sm_75", "sm_80", "compute_80"]),
    ("6.0+PTX 7.0;8.0 9.0a", ["sm_60", "compute_60", "sm_70", "sm_80", "sm_90a"]),
    ("Ampere", ["sm_80", "sm_86", "compute_86"]),
    ("10.0 12.0+PTX 8.9", ["sm_89", "sm_100", "sm_120", "compute_120"]),
    ("gfx942;gfx90a:sramecc+:xnack-;gfx1100;gfx906", ["gfx906", "gfx90a", "gfx942", "gfx1100"]),
    ("[86, 80]", ["sm_80", "sm_86"]),
])
def test_parse_arch_list(text: str, expected: list[str]) -> None:
    assert bi.parse_arch_list(text) == expected


def test_classic_frameworks_table() -> None:
    by_name = {f.name: f for f in CLASSIC_FRAMEWORKS}
    assert set(by_name) == {"Theano", "CNTK", "Caffe", "Caffe2", "Chainer", "Lasagne", "MXNet"}
    assert by_name["Caffe"].distributions == ()  # pycaffe has no dist-info
    assert by_name["Caffe"].modules == ("caffe",)
    assert "PyTorch" in by_name["Caffe2"].successor
    assert "PyTorch" in by_name["Chainer"].successor
    assert "PyTensor" in by_name["Theano"].successor
    for framework in CLASSIC_FRAMEWORKS:
        assert framework.sources and all("http" in s for s in framework.sources)
        assert framework.modules and framework.markers


@pytest.mark.parametrize(("distribution", "build", "cuda", "mkl"), [
    ("mxnet-cu112", "cuda", "11.2", False),
    ("mxnet-cu102mkl", "cuda", "10.2", True),
    ("mxnet_cu92", "cuda", "9.2", False),
    ("mxnet", "cpu", None, False),
    ("mxnet-mkl", "cpu", None, True),
    ("mxnet-native", "cpu", None, False),
    ("cntk-gpu", "cuda", None, False),
    ("cntk", "cpu", None, False),
    ("theano", None, None, False),
])
def test_classic_build(distribution: str, build: str | None, cuda: str | None,
                       mkl: bool) -> None:
    info = bi.classic_build(distribution)
    assert (info.build, info.cuda_version, "mkl" in info.details) == (build, cuda, mkl)


# --- numbered edge cases on literal strings ---------------------------------------------------

TEXT_PARSERS = [
    bi.parse_torch_version_py, bi.parse_cuda_config_h, bi.parse_tf_build_info,
    bi.parse_cupy_wheel_json, bi.parse_ort_build_info, bi.parse_paddle_version,
    bi.parse_xformers_cpp_lib, bi.parse_jaxlib_version,
]


@pytest.mark.parametrize("parse", TEXT_PARSERS, ids=lambda f: f.__name__)
def test_e01_empty_text_gives_empty_build_info(parse) -> None:
    assert parse("") == BuildInfo()


@pytest.mark.parametrize("parse", TEXT_PARSERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("garbage", [
    "\x00\x01\x02 not python {{{ ]]]",
    "ÿØÿà\x00\x10JFIF",
    "x = " + "[" * 5000,
    "build_info = collections.OrderedDict([1, 2, 3])",
    "[1, 2, 3]",
    '{"cuda": {"nested": "12.x"}}',
])
def test_e02_garbage_never_raises(parse, garbage: str) -> None:
    assert isinstance(parse(garbage), BuildInfo)


def test_e03_windows_line_endings() -> None:
    version_py = member("torch-2.5.1", "torch/version.py").replace("\n", "\r\n")
    info = bi.parse_torch_version_py(version_py)
    assert (info.version, info.cuda_version) == ("2.5.1+cu124", "12.4")
    header = member("torch-2.5.1", "torch/include/ATen/cuda/CUDAConfig.h").replace("\n", "\r\n")
    assert bi.parse_cuda_config_h(header).arch_list == SM_50_90
    metadata = dist_info("tensorflow-2.15.1", "METADATA").replace("\n", "\r\n")
    assert bi.parse_requires_dist(metadata).extras["and-cuda"]["nvidia-cudnn-cu12"] == (
        "==8.9.4.25")
    build_info = member("tensorflow-2.15.1", "tensorflow/python/platform/build_info.py")
    assert bi.parse_tf_build_info(build_info.replace("\n", "\r\n")).cuda_version == "12.2"


def test_e04_annotated_none_cuda() -> None:
    info = bi.parse_torch_version_py("cuda: Optional[str] = None\n")
    assert (info.version, info.build, info.cuda_version) == (None, "cpu", None)
    info = bi.parse_torch_version_py("__version__ = '2.5.0'\ncuda: Optional[str] = None\n")
    assert (info.version, info.build) == ("2.5.0", "cpu")


def test_e05_truncated_file_is_read_line_by_line() -> None:
    text = "__version__ = '2.4.0+cu121'\ncuda: Optional[str] = '12.1'\ndef broken(:\n"
    info = bi.parse_torch_version_py(text)
    assert (info.version, info.build, info.cuda_version) == ("2.4.0+cu121", "cuda", "12.1")


def test_e06_code_is_never_run() -> None:
    text = "__version__ = __import__('os').getcwd()\ncuda = '12.1'\n"
    info = bi.parse_torch_version_py(text)
    assert (info.version, info.cuda_version) == (None, "12.1")


def test_e07_rocm_torch_version_py() -> None:
    text = ("__version__ = '2.5.1+rocm6.2'\ndebug = False\ncuda: Optional[str] = None\n"
            "git_version = 'abc'\nhip: Optional[str] = '6.2.41133-dd7f95766'\n")
    info = bi.parse_torch_version_py(text)
    assert (info.build, info.rocm_version, info.cuda_version) == ("rocm", "6.2", None)
    assert info.details["hip"] == "6.2.41133-dd7f95766"
    no_tag = bi.parse_torch_version_py("__version__ = '2.5.0a0'\nhip = '6.3.42131-fa1d09cbd'\n")
    assert (no_tag.build, no_tag.rocm_version) == ("rocm", "6.3")


def test_e08_xpu_torch_and_old_macos() -> None:
    xpu = bi.parse_torch_version_py("__version__ = '2.7.0+xpu'\nxpu = '20250001'\ncuda = None\n")
    assert (xpu.build, xpu.details["xpu"]) == ("xpu", "20250001")
    old = bi.parse_torch_version_py("__version__ = '1.11.0'\ncuda = None\n",
                                    platform_tag="macosx_11_0_arm64")
    assert old.build == "cpu"  # MPS arrived in 1.12


def test_e09_header_version_macros() -> None:
    text = ("#define CUDNN_MAJOR 9\r\n#define CUDNN_MINOR 1\r\n#define CUDNN_PATCHLEVEL 0\r\n"
            "#define CUDA_VERSION 12040\n#define NCCL_MAJOR 2\n#define NCCL_MINOR 21\n"
            "#define NCCL_PATCH 5\n")
    info = bi.parse_cuda_config_h(text)
    assert (info.cudnn_version, info.cuda_version, info.nccl_version) == (
        "9.1.0", "12.4", "2.21.5")
    rocm = bi.parse_cuda_config_h('#define AT_ROCM_ENABLED() 1\n#define NVCC_FLAGS_EXTRA ""\n')
    assert (rocm.build, rocm.arch_list) == ("rocm", [])


def test_e10_tf_older_and_cpu_vintages() -> None:
    # Module-level names of TF <= 2.2 (quoted from a user's copy of build_info.py).
    legacy = bi.parse_tf_build_info("cuda_version_number = '10.0'\ncudnn_version_number = '7'\n"
                                    "msvcp_dll_name = 'msvcp140.dll'\n")
    assert (legacy.build, legacy.cuda_version, legacy.cudnn_version) == ("cuda", "10.0", "7")
    cpu = bi.parse_tf_build_info("build_info = {'is_cuda_build': False, 'is_rocm_build': False}")
    assert (cpu.build, cpu.arch_list) == ("cpu", [])
    rocm = bi.parse_tf_build_info("import collections\nbuild_info = collections.OrderedDict("
                                  "[('is_cuda_build', False), ('is_rocm_build', True)])")
    assert rocm.build == "rocm"
    assert bi.parse_tf_build_info("import collections\nx = 1\n") == BuildInfo()


def test_e11_metadata_headers_end_at_the_first_blank_line() -> None:
    text = ("Metadata-Version: 2.1\nName: x\nRequires-Dist: triton (==2.1.0)\n\n"
            "Requires-Dist: nvidia-cudnn-cu12==1.0 (in the description)\n")
    assert bi.parse_requires_dist(text) == bi.Requirements({"triton": "==2.1.0"}, {})
    assert bi.parse_requires_dist("") == bi.Requirements()
    assert bi.parse_requires_dist("Requires-Dist: ;;;\nRequires-Dist:\n") == bi.Requirements()
    mixed = bi.parse_requires_dist("requires-dist: TensorRT_CU13 >= 10 ; extra == 'GPU_Extra'")
    assert mixed == bi.Requirements({}, {"gpu-extra": {"tensorrt-cu13": ">=10"}})


def test_e12_json_that_is_not_an_object() -> None:
    for parse in (bi.parse_cupy_wheel_json, bi.parse_xformers_cpp_lib):
        assert parse("[]") == BuildInfo()
        assert parse('"12.x"') == BuildInfo()
        assert parse("{not json") == BuildInfo()
    assert bi.parse_cupy_wheel_json('{"cuda": 12}').cuda_version == "12"
    hip = bi.parse_xformers_cpp_lib('{"version": {"cuda": null, "hip": "6.1.40091"}, '
                                    '"env": {"PYTORCH_ROCM_ARCH": "gfx90a;gfx942"}}')
    assert (hip.build, hip.rocm_version, hip.arch_list) == ("rocm", "6.1.40091",
                                                            ["gfx90a", "gfx942"])


def test_e13_local_tag_edges() -> None:
    assert bi.parse_local_tag("") == LocalTag("", None)
    assert bi.parse_local_tag("2.5.1+") == LocalTag("2.5.1", None)
    assert bi.parse_local_tag("garbage") == LocalTag("garbage", None)
    assert bi.parse_local_tag(" 1.0+CU101 ") == LocalTag("1.0", "cu101", "cuda", "10.1")
    assert bi.parse_local_tag("1.0+cu1") == LocalTag("1.0", "cu1")
    assert bi.parse_local_tag(None) == LocalTag("", None)  # type: ignore[arg-type]


def test_e14_arch_list_and_library_name_edges() -> None:
    assert bi.parse_arch_list("") == []
    assert bi.parse_arch_list("-gencode;arch=;code=") == []
    assert bi.parse_arch_list("hello world; +PTX") == []
    assert bi.sort_arches(["compute_90", "sm_90a", "sm_90", "sm_90"]) == [
        "sm_90", "compute_90", "sm_90a"]
    names = ["libbitsandbytes_cuda92.so", "x/libbitsandbytes_cuda121_nocublaslt.so",
             "libbitsandbytes_cuda121.dll", "libbitsandbytes_cpu.so", "README", "", 7]
    assert bi.bitsandbytes_cuda_variants(names) == ["9.2", "12.1"]  # type: ignore[arg-type]
    assert bi.bitsandbytes_cuda_variants([]) == []
    assert bi.bitsandbytes_rocm_variants(["libbitsandbytes_rocm7.so"]) == []


def test_e15_paddle_values_written_as_strings() -> None:
    text = ("full_version = '3.0.0'\ncuda_version = '12.6'\ncudnn_version = '9.5.1'\n"
            "nccl_version = '21602'\ncompiled_cuda_archs = [80, 90]\nhip_version = None\n")
    info = bi.parse_paddle_version(text)
    assert (info.cuda_version, info.nccl_version, info.arch_list) == (
        "12.6", "2.16.2", ["sm_80", "sm_90"])
    assert bi.parse_paddle_version("full_version = '2.5.0'\nnccl_version = '2804'\n"
                                   ).nccl_version == "2.8.4"
    assert bi.nccl_version_from_code(0) is None


def test_e16_ort_other_packages() -> None:
    def build(name: str) -> str | None:
        return bi.parse_ort_build_info(f"package_name = '{name}'\n__version__ = '1.20.0'\n").build
    assert build("onnxruntime-directml") == "directml"
    assert build("onnxruntime-openvino") == "openvino"
    assert build("onnxruntime-rocm") == "rocm"
    assert build("onnxruntime-qnn") is None


def test_e17_keras_major_edges() -> None:
    assert bi.keras_major("3.0.0rc1") == 3
    assert bi.keras_major("") is None
    assert bi.keras_major("keras") is None


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_e18_no_parser_raises_on_any_text(text: str) -> None:
    for parse in TEXT_PARSERS:
        assert isinstance(parse(text), BuildInfo)
    bi.parse_requires_dist(text)
    bi.parse_local_tag(text)
    bi.parse_arch_list(text)
    bi.parse_wheel_tags(text)
    bi.bitsandbytes_cuda_variants(text.splitlines())
    bi.keras_major(text)
    bi.classic_build(text)
