"""ED04xx: frameworks and how they were built.

Framework facts are the ones the frameworks probe writes for the recorded wheels
(``tests/recordings/wheel-files/``): the companion, TensorFlow, JAX, CuPy, ONNX Runtime,
xformers and vLLM entries below are its output, trimmed of the fields no rule reads.
"""

from __future__ import annotations

import copy
from typing import Any

from envdoctor.report import Severity
from tests.rules.builders import build, fires, host_data, quiet, run

RTX4090 = "rtx4090-ubuntu2204-torch-cu124"  # torch 2.5.1 (CUDA 12.4) on driver 535, Py 3.11
V100 = "v100s-x8-datacentre-torch113"  # torch 1.13.1 (CUDA 11.7) on driver 460, Py 3.10
CONTAINER = "container-without-gpu"  # RTX 4090 on the bus, no driver passed in
MI300X = "mi300x-rocm7"  # ROCm 7.14, Py 3.12, no framework
RX6700 = "rx6700xt-hsa-override"  # ROCm 6.1.2, Py 3.10
TWO_TOOLKITS = "two-toolkits-path-vs-default"  # torch 2.15.0 (CUDA 13.2), driver 590, Py 3.12
NO_GPU = "epyc7451-ubuntu2204-baremetal"

SITE = "/home/erin/venv/lib/python3.11/site-packages"
PYTORCH = "https://download.pytorch.org/whl"

# torch 2.5.1 from https://download.pytorch.org/whl/cpu: version.py says cuda = None, no
# CUDAConfig.h arch list, no nvidia-* requirement.
TORCH_CPU = {
    "frameworks.torch.build": "cpu", "frameworks.torch.local_tag": "cpu",
    "frameworks.torch.cuda_version": None, "frameworks.torch.cudnn_version": None,
    "frameworks.torch.nccl_version": None, "frameworks.torch.arch_list": [],
    "frameworks.torch.requires": {},
    "frameworks.torch.sources": [f"{SITE}/torch/version.py"],
}
# torch 2.5.1+rocm6.2: version.py has hip = '6.2.41133-dd7f95766'.
TORCH_ROCM = {
    "frameworks.torch.build": "rocm", "frameworks.torch.local_tag": "rocm6.2",
    "frameworks.torch.cuda_version": None, "frameworks.torch.rocm_version": "6.2",
    "frameworks.torch.cudnn_version": None, "frameworks.torch.nccl_version": None,
    "frameworks.torch.arch_list": ["gfx900", "gfx906", "gfx908", "gfx90a", "gfx942",
                                   "gfx1030", "gfx1100"],
    "frameworks.torch.requires": {"pytorch-triton-rocm": "==3.1.0"},
    "frameworks.torch.details": {"git_version": "a8d6afb511a69687bbb2b7e88a3cf67917e1697e",
                                 "debug": "False", "hip": "6.2.41133-dd7f95766"},
}

TORCHVISION = {"name": "torchvision", "distribution": "torchvision", "version": "0.20.1",
               "build": "cuda", "cuda_version": "12.4", "location": SITE,
               "sources": [f"{SITE}/torchvision/version.py"],
               "details": {"requires_torch": "==2.5.1"}}
TORCHAUDIO = {"name": "torchaudio", "distribution": "torchaudio", "version": "2.5.1",
              "build": "cuda", "cuda_version": "12.4", "location": SITE,
              "sources": [f"{SITE}/torchaudio/version.py"],
              "details": {"requires_torch": "==2.5.1"}}

TF_2_15 = {"name": "tensorflow", "distribution": "tensorflow", "version": "2.15.1",
           "build": "cuda", "cuda_version": "12.2", "cudnn_version": "8",
           "arch_list": ["sm_50", "sm_60", "sm_70", "sm_75", "compute_80"],
           "requires": {"nvidia-cublas-cu12": "==12.2.5.6",
                        "nvidia-cuda-runtime-cu12": "==12.2.140",
                        "nvidia-cudnn-cu12": "==8.9.4.25", "nvidia-nccl-cu12": "==2.16.5"},
           "location": SITE, "details": {"and_cuda": "not installed"}}
TF_2_17 = {**TF_2_15, "version": "2.17.1", "cuda_version": "12.3",
           "arch_list": ["sm_60", "sm_70", "sm_80", "sm_89", "compute_90"],
           "requires": {"nvidia-cublas-cu12": "==12.3.4.1",
                        "nvidia-cuda-runtime-cu12": "==12.3.101",
                        "nvidia-cudnn-cu12": "==8.9.7.29", "nvidia-nccl-cu12": "==2.19.3"}}
TF_2_13 = {"name": "tensorflow", "distribution": "tensorflow", "version": "2.13.1",
           "build": "cuda", "cuda_version": "11.8", "cudnn_version": "8",
           "arch_list": ["sm_35", "sm_50", "sm_60", "sm_70", "sm_75", "compute_80"],
           "location": SITE}
KERAS_3 = {"name": "keras", "distribution": "keras", "version": "3.15.1", "location": SITE,
           "details": {"keras_major": "3"}}

JAX = {"name": "jax", "distribution": "jax", "version": "0.4.35", "build": "cuda",
       "cuda_version": "12", "location": SITE,
       "details": {"jaxlib": "0.4.35", "jax-cuda12-pjrt": "0.4.35",
                   "jax-cuda12-plugin": "0.4.35"}}
JAXLIB = {"name": "jaxlib", "distribution": "jaxlib", "version": "0.4.35", "location": SITE}


def jax_part(name: str, version: str) -> dict[str, Any]:
    """A jax-cuda12-plugin / jax-rocm60-pjrt entry as the probe writes it."""
    kind = "cuda" if "-cuda" in name else "rocm"
    major = name.split("-")[1].removeprefix(kind)
    return {"name": name, "distribution": name, "version": version, "build": kind,
            "cuda_version": major if kind == "cuda" else None,
            "rocm_version": major if kind == "rocm" else None, "location": SITE}


def jax_set(version: str, plugin: str, pjrt: str, *, kind: str = "cuda12") -> list[dict]:
    """jax + jaxlib of ``version`` with the plugin and PJRT runtime of ``kind``."""
    parts = [jax_part(f"jax-{kind}-pjrt", pjrt), jax_part(f"jax-{kind}-plugin", plugin)]
    details = {"jaxlib": version, f"jax-{kind}-pjrt": pjrt, f"jax-{kind}-plugin": plugin}
    build_kind = "cuda" if kind.startswith("cuda") else "rocm"
    jax = {**JAX, "version": version, "build": build_kind, "details": details,
           "cuda_version": kind[4:] if build_kind == "cuda" else None,
           "rocm_version": kind[4:] if build_kind == "rocm" else None}
    return [jax, *parts, {**JAXLIB, "version": version}]


ORT_CPU = {"name": "onnxruntime", "distribution": "onnxruntime", "version": "1.32.0",
           "build": "cpu", "cuda_version": "13.0", "location": SITE,
           "sources": [f"{SITE}/onnxruntime/capi/build_and_package_info.py"],
           "details": {"shares_package_dir": "onnxruntime",
                       "package_dir_belongs_to": "onnxruntime-gpu"}}
ORT_GPU = {"name": "onnxruntime", "distribution": "onnxruntime-gpu", "version": "1.31.1",
           "build": "cuda", "cuda_version": "13.0", "location": SITE,
           "sources": [f"{SITE}/onnxruntime/capi/build_and_package_info.py"],
           "details": {"shares_package_dir": "onnxruntime"}}

CUPY_11 = {"name": "cupy", "distribution": "cupy-cuda11x", "version": "13.6.0",
           "build": "cuda", "cuda_version": "12.x", "nccl_version": "2.25.1",
           "location": SITE, "sources": [f"{SITE}/cupy/.data/_wheel.json"],
           "details": {"packaging": "pip", "cutensor": "2.4.1"}}
CUPY_12 = {**CUPY_11, "distribution": "cupy-cuda12x", "version": "14.2.0"}
CUPY_ROCM = {"name": "cupy", "distribution": "cupy-rocm-7-0", "version": "14.2.0",
             "build": "rocm", "rocm_version": "7.0", "location": SITE}

XFORMERS = {"name": "xformers", "distribution": "xformers", "version": "0.0.28.post3",
            "build": "cuda", "cuda_version": "12.1",
            "arch_list": ["sm_60", "compute_60", "sm_70", "sm_75", "sm_80", "compute_80",
                          "sm_90a"],
            "requires": {"torch": "==2.5.1"}, "location": SITE,
            "sources": [f"{SITE}/xformers/cpp_lib.json"],
            "details": {"requires_torch": "==2.5.1", "built_with_torch": "2.5.1+cu121"}}
VLLM = {"name": "vllm", "distribution": "vllm", "version": "0.33.0",
        "requires": {"torch": "==2.14.0", "nvidia-cutlass-dsl": "==4.8.0"},
        "location": "/usr/local/lib/python3.12/dist-packages",
        "details": {"requires_torch": "==2.14.0"}}
BITSANDBYTES = {"name": "bitsandbytes", "distribution": "bitsandbytes", "version": "0.50.2",
                "requires": {"torch": "<3,>=2.4"}, "location": SITE,
                "details": {"requires_torch": "<3,>=2.4"}}


def with_frameworks(host: str, *extra: dict[str, Any], only: bool = False) -> dict[str, Any]:
    """The host's facts with ``extra`` framework entries added (or, ``only``, instead)."""
    data = host_data(host)
    data["frameworks"] = ([] if only else data["frameworks"]) + copy.deepcopy(list(extra))
    return data


def torch_of(host: str) -> dict[str, Any]:
    """The recorded torch entry of a host."""
    return next(f for f in host_data(host)["frameworks"] if f["name"] == "torch")


# --------------------------------------------------------------------------- ED0401


def test_ED0401_fires_torch_cpu_wheel_on_rtx4090() -> None:
    finding = fires("ED0401", build(RTX4090, TORCH_CPU))
    assert finding.message == ("torch 2.5.1+cpu is a CPU-only build; this machine has an "
                               "NVIDIA GPU (NVIDIA GeForce RTX 4090).")
    assert finding.severity is Severity.ERROR
    # pip keeps 2.5.1+cpu when asked for torch==2.5.1 elsewhere: the CPU build goes first.
    assert finding.fix[0] == "pip uninstall -y torch"
    assert finding.fix[1].startswith(f"pip install torch==2.5.1 --index-url {PYTORCH}/cu12")
    assert len(finding.fix) == 2


def test_ED0401_fires_and_moves_torchvision_with_torch() -> None:
    cpu_vision = {**TORCHVISION, "build": "cpu", "local_tag": "cpu", "cuda_version": None}
    finding = fires("ED0401", build(with_frameworks(RTX4090, cpu_vision), TORCH_CPU))
    assert finding.fix[0] == "pip uninstall -y torch torchvision"
    assert finding.fix[1].startswith(
        f"pip install torch==2.5.1 'torchvision==0.20.*' --index-url {PYTORCH}/cu12")


def test_ED0401_fires_as_warning_when_the_driver_is_not_there() -> None:
    finding = fires("ED0401", build(CONTAINER, TORCH_CPU))
    assert finding.severity is Severity.WARNING
    assert finding.message.endswith("has an NVIDIA GPU (GeForce RTX 4090).")
    assert finding.evidence[-1].startswith("nvidia.pci_gpus")
    assert finding.fix[0] == "pip uninstall -y torch"


def test_ED0401_fires_for_tensorflow_cpu_and_uninstalls_it_first() -> None:
    tf_cpu = {**TF_2_15, "distribution": "tensorflow-cpu", "build": "cpu",
              "cuda_version": None, "cudnn_version": None, "arch_list": [], "requires": {},
              "details": {}}
    finding = fires("ED0401", build(with_frameworks(RTX4090, tf_cpu)))
    assert finding.message.startswith("tensorflow-cpu 2.15.1 is a CPU-only build")
    assert finding.fix == ["pip uninstall -y tensorflow-cpu",
                           'pip install "tensorflow[and-cuda]==2.15.*"']


def test_ED0401_fires_for_jax_without_its_cuda_plugin() -> None:
    jax_cpu = {**JAX, "build": "cpu", "cuda_version": None, "details": {"jaxlib": "0.4.35"}}
    finding = fires("ED0401", build(with_frameworks(RTX4090, jax_cpu, JAXLIB)))
    assert finding.message.startswith("jax 0.4.35 is a CPU-only build")
    # The extra of the installed version: no jax upgrade, jaxlib and the plugin in step.
    assert finding.fix == ['pip install "jax[cuda12]==0.4.35"']


def test_ED0401_fires_for_jax_with_a_driver_upgrade_when_the_plugins_need_one() -> None:
    jax_cpu = {**JAX, "build": "cpu", "cuda_version": None, "details": {"jaxlib": "0.4.35"}}
    finding = fires("ED0401", build(with_frameworks(V100, jax_cpu, JAXLIB)))
    assert finding.fix[-1] == "sudo reboot"
    assert "nvidia-driver-" in finding.fix[0]
    assert "525.60.13" in (finding.fix_note or "")
    assert 'pip install "jax[cuda12]==0.4.35"' in (finding.fix_note or "")


def test_ED0401_fires_for_paddle_with_a_note() -> None:
    paddle = {"name": "paddle", "distribution": "paddlepaddle", "version": "3.3.1",
              "build": "cpu", "location": SITE,
              "sources": [f"{SITE}/paddle/version/__init__.py"]}
    finding = fires("ED0401", build(with_frameworks(RTX4090, paddle)))
    assert finding.message.startswith("paddlepaddle 3.3.1 is a CPU-only build")
    assert finding.fix == []
    assert "paddlepaddle-gpu" in (finding.fix_note or "")


def test_ED0401_fires_without_a_command_for_a_torch_the_tables_do_not_know() -> None:
    finding = fires("ED0401", build(TWO_TOOLKITS, TORCH_CPU))
    assert finding.message.startswith("torch 2.15.0+cpu is a CPU-only build")
    assert finding.fix == []
    assert "https://pytorch.org/get-started/locally/" in (finding.fix_note or "")


def test_ED0401_quiet_cuda_build() -> None:
    quiet("ED0401", build(RTX4090))


def test_ED0401_quiet_cpu_build_without_nvidia_gpu() -> None:
    quiet("ED0401", build(with_frameworks(NO_GPU, torch_of(RTX4090)), TORCH_CPU))


def test_ED0401_quiet_tensorflow_on_native_windows_left_to_ED0408() -> None:
    tf = {**TF_2_15, "version": "2.16.1", "build": "cpu", "cuda_version": None,
          "cudnn_version": None, "arch_list": []}
    quiet("ED0401", build(with_frameworks(RTX4090, tf), {"os.system": "Windows"}))


def test_ED0401_quiet_unknown_build() -> None:
    quiet("ED0401", build(RTX4090, {"frameworks.torch.build": None}))


# --------------------------------------------------------------------------- ED0402


def test_ED0402_fires_rocm_torch_on_nvidia() -> None:
    finding = fires("ED0402", build(RTX4090, TORCH_ROCM))
    assert finding.message == ("torch 2.5.1+rocm6.2 is a ROCm build; this machine's GPUs are "
                               "NVIDIA (NVIDIA GeForce RTX 4090).")
    assert finding.fix[0] == "pip uninstall -y torch"
    assert finding.fix[1].startswith(f"pip install torch==2.5.1 --index-url {PYTORCH}/cu12")


def test_ED0402_fires_pypi_torch_on_amd_and_moves_torchvision_too() -> None:
    torch = {**torch_of(RTX4090), "location": "/usr/local/lib/python3.12/dist-packages"}
    finding = fires("ED0402", build(with_frameworks(MI300X, torch, TORCHVISION)))
    assert finding.message == ("torch 2.5.1 is a CUDA build; this machine's GPUs are AMD "
                               "(Instinct MI300X).")
    assert finding.fix[0] == "pip uninstall -y torch torchvision"
    assert finding.fix[1].startswith(
        f"pip install torch==2.5.1 'torchvision==0.20.*' --index-url {PYTORCH}/rocm6.")
    assert finding.evidence[-1].startswith("rocm.gpus")


def test_ED0402_fires_cupy_cuda_wheel_on_amd() -> None:
    finding = fires("ED0402", build(with_frameworks(MI300X, CUPY_12)))
    assert finding.message.startswith("cupy-cuda12x 14.2.0 is a CUDA build")
    assert finding.fix == ["pip uninstall -y cupy-cuda12x", "pip install cupy-rocm-7-0"]


def test_ED0402_fires_cupy_cuda_wheel_on_rocm6_without_a_wheel_to_offer() -> None:
    finding = fires("ED0402", build(with_frameworks(RX6700, {**CUPY_12, "version": "13.6.0"})))
    assert finding.fix == []
    assert "build CuPy from source" in (finding.fix_note or "")


def test_ED0402_fires_jax_cuda_plugin_on_amd() -> None:
    finding = fires("ED0402", build(with_frameworks(MI300X, *jax_set("0.4.35", "0.4.35",
                                                                     "0.4.35"))))
    assert finding.message.startswith("jax 0.4.35 is a CUDA build")
    assert finding.fix == ["pip uninstall -y jax-cuda12-pjrt jax-cuda12-plugin",
                           'pip install -U "jax[rocm7-local]"']


def test_ED0402_fires_jax_cuda_plugin_on_rocm6_with_a_note() -> None:
    finding = fires("ED0402", build(with_frameworks(RX6700, *jax_set("0.4.35", "0.4.35",
                                                                     "0.4.35"))))
    assert finding.fix == []
    assert finding.fix_note == (
        "Run `pip uninstall -y jax-cuda12-pjrt jax-cuda12-plugin`, then install JAX's ROCm "
        "plugin for this ROCm from AMD's JAX install guide (https://rocm.docs.amd.com, "
        "'Install JAX').")


def test_ED0402_fires_tensorflow_rocm_on_nvidia() -> None:
    tf_rocm = {"name": "tensorflow", "distribution": "tensorflow-rocm",
               "version": "2.14.0.600", "build": "rocm", "rocm_version": "6.0",
               "location": SITE}
    finding = fires("ED0402", build(with_frameworks(RTX4090, tf_rocm)))
    assert finding.message.startswith("tensorflow-rocm 2.14.0.600 is a ROCm build")
    assert finding.fix == ["pip uninstall -y tensorflow-rocm",
                           'pip install "tensorflow[and-cuda]==2.14.*"']


def test_ED0402_fires_onnxruntime_gpu_on_amd_with_a_note() -> None:
    ort = {**ORT_GPU, "details": {"shares_package_dir": "onnxruntime"}}
    finding = fires("ED0402", build(with_frameworks(MI300X, ort)))
    assert finding.fix == []
    assert "pip uninstall -y onnxruntime-gpu" in (finding.fix_note or "")
    assert "MIGraphX" in (finding.fix_note or "")


def test_ED0402_quiet_with_gpus_of_both_vendors() -> None:
    data = host_data(RTX4090)
    data["rocm"]["pci_gpus"] = host_data(RX6700)["rocm"]["pci_gpus"]
    quiet("ED0402", build(data, TORCH_ROCM))


def test_ED0402_quiet_cuda_build_on_nvidia() -> None:
    quiet("ED0402", build(RTX4090))


def test_ED0402_quiet_without_any_gpu() -> None:
    quiet("ED0402", build(with_frameworks(NO_GPU, torch_of(RTX4090)), TORCH_ROCM))


def test_ED0402_quiet_unknown_build() -> None:
    torch = {**torch_of(RTX4090), "build": None}
    quiet("ED0402", build(with_frameworks(MI300X, torch)))


# --------------------------------------------------------------------------- ED0403


def test_ED0403_fires_torchvision_pinned_to_another_torch() -> None:
    old = {**TORCHVISION, "version": "0.15.2", "details": {"requires_torch": "==2.0.1"}}
    finding = fires("ED0403", build(with_frameworks(RTX4090, old)))
    assert finding.message == "torchvision 0.15.2 requires torch==2.0.1; torch is 2.5.1."
    # Naming torch's own version keeps it; pip picks the torchvision that pins it.
    assert finding.fix == ["pip install 'torch==2.5.1' 'torchvision==0.20.*'"]


def test_ED0403_fires_torchvision_of_another_cuda_major() -> None:
    cu118 = {**TORCHVISION, "local_tag": "cu118", "cuda_version": "11.8"}
    finding = fires("ED0403", build(with_frameworks(RTX4090, cu118)))
    assert finding.message == ("torchvision 0.20.1+cu118 is built for CUDA 11.8; torch 2.5.1 "
                               "is built for CUDA 12.4.")
    # Same version, other variant: pip would keep it, so it goes first.
    assert finding.fix == ["pip uninstall -y torchvision",
                           "pip install 'torch==2.5.1' 'torchvision==0.20.*'"]


def test_ED0403_quiet_torchvision_of_another_cuda_minor() -> None:
    # torchvision/extension.py compares CUDA majors only.
    cu121 = {**TORCHVISION, "local_tag": "cu121", "cuda_version": "12.1"}
    quiet("ED0403", build(with_frameworks(RTX4090, cu121)))


def test_ED0403_fires_torchaudio_of_another_cuda_minor() -> None:
    # torchaudio's _check_cuda_version compares major.minor.
    cu121 = {**TORCHAUDIO, "local_tag": "cu121", "cuda_version": "12.1"}
    finding = fires("ED0403", build(with_frameworks(RTX4090, cu121)))
    assert finding.message == ("torchaudio 2.5.1+cu121 is built for CUDA 12.1; torch 2.5.1 "
                               "is built for CUDA 12.4.")
    assert finding.fix == ["pip uninstall -y torchaudio",
                           "pip install 'torch==2.5.1' 'torchaudio==2.5.*'"]


def test_ED0403_fires_cpu_torchvision_beside_cuda_torch() -> None:
    cpu = {**TORCHVISION, "local_tag": "cpu", "build": "cpu", "cuda_version": None}
    finding = fires("ED0403", build(with_frameworks(RTX4090, cpu)))
    assert finding.message == ("torchvision 0.20.1+cpu is a CPU build; torch 2.5.1 is a CUDA "
                               "build.")
    assert finding.fix[0] == "pip uninstall -y torchvision"


def test_ED0403_fires_with_the_index_torch_came_from() -> None:
    cu118 = {"frameworks.torch.version": "2.4.1", "frameworks.torch.local_tag": "cu118",
             "frameworks.torch.cuda_version": "11.8"}
    finding = fires("ED0403", build(with_frameworks(RTX4090, TORCHVISION), cu118))
    assert finding.message == "torchvision 0.20.1 requires torch==2.5.1; torch is 2.4.1+cu118."
    assert finding.fix == ["pip uninstall -y torchvision",
                           "pip install 'torch==2.4.1+cu118' 'torchvision==0.19.*' "
                           f"--index-url {PYTORCH}/cu118"]


def test_ED0403_fires_without_a_command_for_a_vendor_torch() -> None:
    ngc = {"frameworks.torch.version": "2.5.0a0",
           "frameworks.torch.local_tag": "872d972e41.nv24.08"}
    finding = fires("ED0403", build(with_frameworks(RTX4090, TORCHVISION), ngc))
    assert finding.message == ("torchvision 0.20.1 requires torch==2.5.1; torch is "
                               "2.5.0a0+872d972e41.nv24.08.")
    assert finding.fix == []
    assert "source or vendor build" in (finding.fix_note or "")


def test_ED0403_fires_for_a_torch_newer_than_the_tables() -> None:
    vision = {**TORCHVISION, "version": "0.29.0", "cuda_version": "13.2",
              "location": "/usr/local/lib/python3.12/dist-packages",
              "details": {"requires_torch": "==2.14.0"}}
    finding = fires("ED0403", build(with_frameworks(TWO_TOOLKITS, vision)))
    assert finding.message == "torchvision 0.29.0 requires torch==2.14.0; torch is 2.15.0."
    assert finding.fix == ["pip install 'torch==2.15.0' torchvision"]


def test_ED0403_quiet_matching_companions() -> None:
    quiet("ED0403", build(with_frameworks(RTX4090, TORCHAUDIO, TORCHVISION)))


def test_ED0403_quiet_vendor_prerelease_with_its_own_torchvision() -> None:
    ngc = {"frameworks.torch.version": "2.5.0a0",
           "frameworks.torch.local_tag": "872d972e41.nv24.08"}
    vision = {**TORCHVISION, "version": "0.20.0a0", "local_tag": None, "details": {}}
    quiet("ED0403", build(with_frameworks(RTX4090, vision), ngc))


def test_ED0403_quiet_conda_torchvision_whose_version_file_names_no_cuda() -> None:
    # conda's torchvision writes __version__ = '0.20.1' with no tag: the probe can only
    # call it CPU, which does not make it one.
    conda = {**TORCHVISION, "build": "cpu", "local_tag": None, "cuda_version": None}
    quiet("ED0403", build(with_frameworks(RTX4090, conda)))


def test_ED0403_quiet_macos_mps_torch_with_its_torchvision() -> None:
    site = "/Users/erin/venv/lib/python3.12/site-packages"
    facts = build(None, {
        "os": {"system": "Darwin", "arch": "arm64"},
        "frameworks": [
            {"name": "torch", "distribution": "torch", "version": "2.5.1", "build": "mps",
             "location": site,
             "details": {"git_version": "a8d6afb511a69687bbb2b7e88a3cf67917e1697e"}},
            {**TORCHVISION, "build": "cpu", "cuda_version": None, "location": site},
        ]})
    quiet("ED0403", facts)


def test_ED0403_quiet_unknown_versions() -> None:
    unknown = {**TORCHVISION, "version": None, "cuda_version": None, "details": {}}
    quiet("ED0403", build(with_frameworks(RTX4090, unknown)))
    quiet("ED0403", build(with_frameworks(NO_GPU, TORCHVISION)))  # no torch


# --------------------------------------------------------------------------- ED0404

TF_2_14 = {**TF_2_15, "version": "2.14.1", "cuda_version": "11.8",
           "requires": {"nvidia-cudnn-cu11": "==8.7.0.84"}}
TF_2_16 = {**TF_2_15, "version": "2.16.1", "cuda_version": "12.3",
           "requires": {"nvidia-cudnn-cu12": "==8.9.7.29"}}


def test_ED0404_fires_keras3_beside_tensorflow_214() -> None:
    finding = fires("ED0404", build(with_frameworks(RTX4090, KERAS_3, TF_2_14)))
    assert finding.message == ("keras 3.15.1 is Keras 3; tensorflow 2.14.1 loads tf.keras "
                               "from Keras 2.14.")
    assert finding.severity is Severity.WARNING
    assert finding.fix == ["pip install 'keras==2.14.*'"]


def test_ED0404_quiet_keras3_beside_tensorflow_215() -> None:
    # TF 2.15's tf.keras follows the installed Keras; keras.io tells 2.15 users to
    # reinstall Keras 3 after TensorFlow.
    quiet("ED0404", build(with_frameworks(RTX4090, KERAS_3, TF_2_15)))


def test_ED0404_quiet_keras2_beside_tensorflow_214() -> None:
    keras2 = {**KERAS_3, "version": "2.14.0", "details": {"keras_major": "2"}}
    quiet("ED0404", build(with_frameworks(RTX4090, keras2, TF_2_14)))


def test_ED0404_fires_legacy_keras_asked_for_without_tf_keras() -> None:
    facts = build(with_frameworks(RTX4090, KERAS_3, TF_2_16),
                  {"env.variables.TF_USE_LEGACY_KERAS": "1"})
    finding = fires("ED0404", facts)
    assert finding.message == ("TF_USE_LEGACY_KERAS=1 asks tensorflow 2.16.1 for Keras 2, but "
                               "tf-keras is not installed: tf.keras cannot be imported.")
    assert finding.fix == ["pip install 'tf-keras==2.16.*'"]


def test_ED0404_fires_legacy_keras_spelled_true() -> None:
    # TensorFlow's KerasLazyLoader accepts "1", "true" and "True".
    facts = build(with_frameworks(RTX4090, KERAS_3, TF_2_15),
                  {"env.variables.TF_USE_LEGACY_KERAS": "True"})
    assert fires("ED0404", facts).fix == ["pip install 'tf-keras==2.15.*'"]


def test_ED0404_quiet_legacy_keras_with_tf_keras_installed() -> None:
    tf_keras = {"name": "tf-keras", "distribution": "tf-keras", "version": "2.16.0",
                "location": SITE, "details": {"keras_major": "2"}}
    facts = build(with_frameworks(RTX4090, KERAS_3, TF_2_16, tf_keras),
                  {"env.variables.TF_USE_LEGACY_KERAS": "1"})
    quiet("ED0404", facts)


def test_ED0404_quiet_legacy_keras_switched_off() -> None:
    facts = build(with_frameworks(RTX4090, KERAS_3, TF_2_16),
                  {"env.variables.TF_USE_LEGACY_KERAS": "0"})
    quiet("ED0404", facts)


def test_ED0404_quiet_unknown_keras_major_or_tensorflow_version() -> None:
    keras = {**KERAS_3, "details": {}}
    quiet("ED0404", build(with_frameworks(RTX4090, keras, TF_2_14)))
    quiet("ED0404", build(with_frameworks(RTX4090, KERAS_3, {**TF_2_14, "version": None})))


# --------------------------------------------------------------------------- ED0405


def test_ED0405_fires_cuda_plugin_of_another_release() -> None:
    facts = build(with_frameworks(RTX4090, *jax_set("0.4.35", "0.4.30", "0.4.30")))
    finding = fires("ED0405", facts)
    assert finding.message == ("jax-cuda12-pjrt 0.4.30 and jax-cuda12-plugin 0.4.30 beside "
                               "jaxlib 0.4.35: jaxlib skips the plugin and JAX runs on the "
                               "CPU.")
    assert finding.severity is Severity.ERROR
    assert finding.fix == ['pip install "jax[cuda12]==0.4.35"']
    assert len(run("ED0405", facts)) == 1


def test_ED0405_fires_pjrt_runtime_of_another_release_as_warning() -> None:
    facts = build(with_frameworks(RTX4090, *jax_set("0.4.35", "0.4.35", "0.4.34")))
    finding = fires("ED0405", facts)
    assert finding.message.startswith("jax-cuda12-pjrt 0.4.34 beside jaxlib 0.4.35: the GPU "
                                      "runtime comes from another JAX release")
    assert finding.severity is Severity.WARNING
    assert finding.fix == ['pip install "jax[cuda12]==0.4.35"']


def test_ED0405_quiet_nightly_of_the_same_release() -> None:
    # jaxlib compares the numeric part only: 0.4.36.dev20241120 is 0.4.36.
    facts = build(with_frameworks(RTX4090, *jax_set("0.4.36.dev20241119",
                                                    "0.4.36.dev20241120",
                                                    "0.4.36.dev20241120")))
    quiet("ED0405", facts)


def test_ED0405_quiet_matching_set() -> None:
    quiet("ED0405", build(with_frameworks(RTX4090, *jax_set("0.4.35", "0.4.35", "0.4.35"))))


def test_ED0405_fires_rocm_plugin_before_jaxlib_0_8() -> None:
    facts = build(with_frameworks(MI300X, *jax_set("0.4.35", "0.4.31", "0.4.31",
                                                   kind="rocm60")))
    finding = fires("ED0405", facts)
    assert finding.message.startswith("jax-rocm60-pjrt 0.4.31 and jax-rocm60-plugin 0.4.31 "
                                      "beside jaxlib 0.4.35")
    assert finding.fix == ['pip install "jax-rocm60-plugin==0.4.35.*" '
                           '"jax-rocm60-pjrt==0.4.35.*"']


def test_ED0405_quiet_rocm_plugin_from_jaxlib_0_8() -> None:
    # jax-ml/jax#32115: jaxlib stopped checking ROCm plugin versions.
    facts = build(with_frameworks(MI300X, *jax_set("0.8.0", "0.7.1", "0.7.1", kind="rocm7")))
    quiet("ED0405", facts)


def test_ED0405_quiet_unknown_jaxlib() -> None:
    jax, *rest = jax_set("0.4.35", "0.4.30", "0.4.30")
    jax["details"] = {k: v for k, v in jax["details"].items() if k != "jaxlib"}
    quiet("ED0405", build(with_frameworks(RTX4090, jax, *rest)))


# --------------------------------------------------------------------------- ED0406


def test_ED0406_fires_cpu_and_gpu_packages_on_nvidia() -> None:
    finding = fires("ED0406", build(with_frameworks(RTX4090, ORT_CPU, ORT_GPU)))
    assert finding.message == ("onnxruntime 1.32.0 and onnxruntime-gpu 1.31.1 share the "
                               "onnxruntime package directory; its files are "
                               "onnxruntime-gpu's.")
    assert finding.fix == ["pip uninstall -y onnxruntime onnxruntime-gpu",
                           "pip install onnxruntime-gpu==1.31.1"]


def test_ED0406_fires_and_keeps_the_cpu_package_without_nvidia_gpu() -> None:
    finding = fires("ED0406", build(with_frameworks(NO_GPU, ORT_CPU, ORT_GPU)))
    assert finding.fix == ["pip uninstall -y onnxruntime onnxruntime-gpu",
                           "pip install onnxruntime==1.32.0"]


def test_ED0406_fires_and_keeps_directml_on_windows() -> None:
    dml = {"name": "onnxruntime", "distribution": "onnxruntime-directml", "version": "1.20.1",
           "build": "directml", "location": SITE, "details": {"shares_package_dir": "onnxruntime"}}
    cpu = {**ORT_CPU, "cuda_version": None, "details": {"shares_package_dir": "onnxruntime"}}
    finding = fires("ED0406", build(with_frameworks(RTX4090, cpu, dml), {"os.system": "Windows"}))
    assert finding.message.endswith("share the onnxruntime package directory; the last one "
                                    "installed wins.")
    assert finding.fix[-1] == "pip install onnxruntime-directml==1.20.1"


def test_ED0406_quiet_one_package() -> None:
    quiet("ED0406", build(with_frameworks(RTX4090, {**ORT_GPU, "details": {}})))


def test_ED0406_quiet_without_onnxruntime() -> None:
    quiet("ED0406", build(RTX4090))


# --------------------------------------------------------------------------- ED0407


def test_ED0407_fires_and_keeps_the_cuda12_wheel_on_driver_535() -> None:
    finding = fires("ED0407", build(with_frameworks(RTX4090, CUPY_11, CUPY_12)))
    assert finding.message == ("cupy-cuda11x 13.6.0 and cupy-cuda12x 14.2.0 are installed "
                               "side by side; they overwrite each other's cupy package.")
    assert finding.fix == ["pip uninstall -y cupy-cuda11x cupy-cuda12x",
                           "pip install cupy-cuda12x==14.2.0"]


def test_ED0407_fires_and_keeps_the_cuda11_wheel_on_driver_460() -> None:
    # Driver 460 runs CUDA 11.x, not 12: the cupy-cuda11x (CuPy 13) wheel stays.
    finding = fires("ED0407", build(with_frameworks(V100, CUPY_11, CUPY_12)))
    assert finding.fix == ["pip uninstall -y cupy-cuda11x cupy-cuda12x",
                           "pip install cupy-cuda11x==13.6.0"]


def test_ED0407_fires_and_keeps_the_rocm_wheel_on_amd() -> None:
    finding = fires("ED0407", build(with_frameworks(MI300X, CUPY_12, CUPY_ROCM)))
    assert finding.fix == ["pip uninstall -y cupy-cuda12x cupy-rocm-7-0",
                           "pip install cupy-rocm-7-0==14.2.0"]


def test_ED0407_quiet_one_wheel() -> None:
    quiet("ED0407", build(with_frameworks(RTX4090, CUPY_12)))


def test_ED0407_quiet_without_cupy() -> None:
    quiet("ED0407", build(RTX4090))


# --------------------------------------------------------------------------- ED0408

WINDOWS = {"os": {"system": "Windows", "arch": "AMD64", "pretty_name": "Windows 11"}}
TF_WINDOWS = {"name": "tensorflow", "distribution": "tensorflow", "version": "2.16.1",
              "build": "cpu", "location": "C:\\Users\\erin\\venv\\Lib\\site-packages",
              "requires": {"nvidia-cudnn-cu12": "==8.9.7.29"},
              "details": {"and_cuda": "not installed"}}


def test_ED0408_fires_tensorflow_216_on_native_windows() -> None:
    intel = {**TF_WINDOWS, "distribution": "tensorflow-intel", "requires": {}, "details": {}}
    facts = build(with_frameworks(RTX4090, TF_WINDOWS, intel), WINDOWS)
    finding = fires("ED0408", facts)
    assert finding.message == ("tensorflow 2.16.1 on native Windows has no GPU support (2.10 "
                               "was the last): it runs on the CPU, not on the NVIDIA GeForce "
                               "RTX 4090.")
    assert finding.fix == ["wsl --install"]
    assert 'pip install "tensorflow[and-cuda]==2.16.*"' in (finding.fix_note or "")
    assert len(run("ED0408", facts)) == 1


def test_ED0408_quiet_tensorflow_210_on_native_windows() -> None:
    tf = {**TF_WINDOWS, "version": "2.10.1", "build": "cuda", "cuda_version": "64_112",
          "requires": {}, "details": {}}
    quiet("ED0408", build(with_frameworks(RTX4090, tf), WINDOWS))


def test_ED0408_quiet_on_linux() -> None:
    quiet("ED0408", build(with_frameworks(RTX4090, TF_2_16)))


def test_ED0408_quiet_without_nvidia_gpu_or_version() -> None:
    quiet("ED0408", build(with_frameworks(NO_GPU, TF_WINDOWS), WINDOWS))
    quiet("ED0408", build(with_frameworks(RTX4090, {**TF_WINDOWS, "version": None}), WINDOWS))


# --------------------------------------------------------------------------- ED0409


def test_ED0409_fires_tensorflow_without_cuda_libraries() -> None:
    tf = {**TF_2_17, "location": "/usr/local/lib/python3.12/dist-packages"}
    finding = fires("ED0409", build(with_frameworks(TWO_TOOLKITS, tf)))
    assert finding.message == ("tensorflow 2.17.1 (CUDA 12.3, cuDNN 8) finds no cuDNN 8: it "
                               "will run on the CPU.")
    assert finding.severity is Severity.WARNING
    assert finding.fix == ['pip install "tensorflow[and-cuda]==2.17.1"']


def test_ED0409_fires_without_a_command_when_and_cuda_would_break_torch() -> None:
    # torch 2.5.1 pins nvidia-cudnn-cu12==9.1.0.70, tensorflow[and-cuda] 2.15 ==8.9.4.25.
    finding = fires("ED0409", build(with_frameworks(RTX4090, TF_2_15)))
    assert finding.message.startswith("tensorflow 2.15.1 (CUDA 12.2, cuDNN 8) finds no cuDNN 8")
    assert finding.fix == []
    assert "torch 2.5.1 pins nvidia-cudnn-cu12==9.1.0.70" in (finding.fix_note or "")
    assert "virtual environment" in (finding.fix_note or "")


def test_ED0409_fires_for_tensorflow_before_the_and_cuda_extra() -> None:
    finding = fires("ED0409", build(with_frameworks(RTX4090, TF_2_13)))
    assert finding.fix == []
    assert "install CUDA 11.8 and cuDNN 8" in (finding.fix_note or "")


def test_ED0409_fires_with_a_command_when_the_other_pin_is_the_same_cudnn_major() -> None:
    # tensorflow[and-cuda] 2.21 asks nvidia-cudnn-cu12<10.0,>=9.3.0.75: torch's cuDNN 9
    # pin is no clash, whatever the range's upper bound says.
    tf = {**TF_2_15, "version": "2.21.0", "cuda_version": "12.5.1", "cudnn_version": "9",
          "requires": {"nvidia-cudnn-cu12": "<10.0,>=9.3.0.75"}}
    data = with_frameworks(RTX4090, tf)
    data["cuda"]["libraries"] = [c for c in data["cuda"]["libraries"] if c["library"] != "cudnn"]
    finding = fires("ED0409", build(data))
    assert finding.fix == ['pip install "tensorflow[and-cuda]==2.21.0"']


def test_ED0409_quiet_with_and_cuda_installed() -> None:
    tf = {**TF_2_17, "details": {"and_cuda": "installed"}}
    quiet("ED0409", build(with_frameworks(TWO_TOOLKITS, tf)))


def test_ED0409_quiet_with_a_system_cudnn_of_the_same_major() -> None:
    data = with_frameworks(TWO_TOOLKITS, TF_2_17)
    data["cuda"]["libraries"] = [{"library": "cudnn", "version": "8.9.7",
                                  "path": "/usr/lib/x86_64-linux-gnu", "origin": "system",
                                  "sonames": ["libcudnn.so.8"]}]
    quiet("ED0409", build(data))


def test_ED0409_quiet_without_a_working_driver_or_known_cudnn() -> None:
    quiet("ED0409", build(with_frameworks(CONTAINER, {**TF_2_17, "requires": {}})))
    quiet("ED0409", build(with_frameworks(TWO_TOOLKITS, {**TF_2_17, "cudnn_version": None})))


# --------------------------------------------------------------------------- ED0410

THEANO = {"name": "theano", "distribution": "theano", "version": "1.0.5", "location": SITE,
          "details": {"retired": "true",
                      "successor": "PyTensor (PyMC's fork of Theano, by way of Theano-PyMC "
                                   "and Aesara)"}}


def test_ED0410_fires_theano() -> None:
    finding = fires("ED0410", build(with_frameworks(RTX4090, THEANO)))
    assert finding.message == "Theano 1.0.5 is retired; its successor is PyTensor."
    assert finding.severity is Severity.WARNING
    assert finding.fix == []


def test_ED0410_fires_mxnet_without_a_successor() -> None:
    mxnet = {"name": "mxnet", "distribution": "mxnet-cu112", "version": "1.9.1",
             "build": "cuda", "cuda_version": "11.2", "location": SITE,
             "details": {"retired": "true",
                         "successor": "none: Apache retired it to the Attic in 2023 "
                                      "(repository archived 2023-11-17)"}}
    finding = fires("ED0410", build(with_frameworks(RTX4090, mxnet)))
    assert finding.message == "MXNet 1.9.1 is retired; the project named no successor."


def test_ED0410_fires_pycaffe_without_dist_info() -> None:
    caffe = {"name": "caffe", "distribution": "(no dist-info)",
             "location": "/usr/lib/python3/dist-packages",
             "sources": ["/usr/lib/python3/dist-packages/caffe/pycaffe.py"],
             "details": {"retired": "true", "successor": "Caffe2, which merged into PyTorch"}}
    finding = fires("ED0410", build(with_frameworks(RTX4090, caffe)))
    assert finding.message == ("Caffe is retired; its successor is Caffe2, which merged into "
                               "PyTorch.")


def test_ED0410_quiet_maintained_frameworks() -> None:
    # CuPy, Chainer's GPU backend, lives on.
    quiet("ED0410", build(with_frameworks(RTX4090, CUPY_12)))


# --------------------------------------------------------------------------- ED0411


def test_ED0411_fires_xformers_built_for_a_newer_torch() -> None:
    older = {"frameworks.torch.version": "2.4.1", "frameworks.torch.local_tag": "cu118",
             "frameworks.torch.cuda_version": "11.8"}
    finding = fires("ED0411", build(with_frameworks(RTX4090, XFORMERS), older))
    assert finding.message == ("xformers 0.0.28.post3 was built for torch 2.5.1; torch is "
                               "2.4.1+cu118.")
    assert finding.severity is Severity.WARNING
    # The torch it was built for, in the CUDA variant already installed.
    assert finding.fix == [f"pip install 'torch==2.5.1' --index-url {PYTORCH}/cu118"]
    assert "xformers release built for torch 2.4.1" in (finding.fix_note or "")


def test_ED0411_quiet_xformers_built_with_another_cuda_variant_of_the_same_torch() -> None:
    # PyPI's xformers 0.0.28.post3 was built with torch 2.5.1+cu121; PyPI torch is cu124.
    quiet("ED0411", build(with_frameworks(RTX4090, XFORMERS)))


def test_ED0411_fires_vllm_pinned_to_the_previous_torch() -> None:
    finding = fires("ED0411", build(with_frameworks(TWO_TOOLKITS, VLLM)))
    assert finding.message == "vllm 0.33.0 requires torch==2.14.0; torch is 2.15.0."
    assert finding.fix == ["pip install 'torch==2.14.0'"]


def test_ED0411_quiet_wildcard_pin_that_matches() -> None:
    vllm = {**VLLM, "details": {"requires_torch": "==2.5.*"}}
    quiet("ED0411", build(with_frameworks(RTX4090, vllm)))


def test_ED0411_quiet_version_range() -> None:
    quiet("ED0411", build(with_frameworks(RTX4090, BITSANDBYTES)))


def test_ED0411_quiet_without_torch() -> None:
    quiet("ED0411", build(with_frameworks(NO_GPU, XFORMERS)))


# --------------------------------------------------------------------------- ED0412


def test_ED0412_fires_import_failure() -> None:
    deep = {"imported": False, "error": "ImportError: libcudnn.so.9: cannot open shared "
                                        "object file: No such file or directory"}
    finding = fires("ED0412", build(RTX4090, {"frameworks.torch.deep": deep}))
    assert finding.message == ("torch: import failed: ImportError: libcudnn.so.9: cannot open "
                               "shared object file: No such file or directory")
    assert finding.severity is Severity.ERROR


def test_ED0412_fires_failed_gpu_operation() -> None:
    deep = {"imported": True, "device": "NVIDIA GeForce RTX 4090", "gpu_op": False,
            "error": "RuntimeError: CUDA error: no kernel image is available for execution "
                     "on the device"}
    finding = fires("ED0412", build(RTX4090, {"frameworks.torch.deep": deep}))
    assert finding.message == ("torch: the GPU operation on NVIDIA GeForce RTX 4090 gave a "
                               "wrong answer or failed: RuntimeError: CUDA error: no kernel "
                               "image is available for execution on the device")


def test_ED0412_fires_cuda_build_that_finds_no_gpu() -> None:
    deep = {"imported": True, "device": None, "gpu_op": None}
    finding = fires("ED0412", build(RTX4090, {"frameworks.torch.deep": deep}))
    assert finding.message == "torch is a CUDA build but found no GPU."


def test_ED0412_fires_rocm_build_that_finds_no_gpu() -> None:
    torch = {**torch_of(RTX4090), "build": "rocm", "local_tag": "rocm6.2",
             "cuda_version": None, "rocm_version": "6.2",
             "deep": {"imported": True, "device": None, "gpu_op": None,
                      "error": "HIP error: no ROCm-capable device is detected"}}
    finding = fires("ED0412", build(with_frameworks(MI300X, torch)))
    assert finding.message == ("torch is a ROCm build but found no GPU: HIP error: no "
                               "ROCm-capable device is detected")


def test_ED0412_quiet_working_gpu() -> None:
    deep = {"imported": True, "device": "NVIDIA GeForce RTX 4090", "gpu_op": True}
    quiet("ED0412", build(RTX4090, {"frameworks.torch.deep": deep}))


def test_ED0412_quiet_no_gpu_where_the_driver_reports_none() -> None:
    # The container has no GPU passed in: the container rules say why.
    deep = {"imported": True, "device": None, "gpu_op": None}
    quiet("ED0412", build(CONTAINER, {"frameworks.torch.deep": deep}))


def test_ED0412_quiet_cuda_build_on_amd_left_to_ED0402() -> None:
    torch = {**torch_of(RTX4090), "deep": {"imported": True, "device": None, "gpu_op": None}}
    quiet("ED0412", build(with_frameworks(MI300X, torch)))


def test_ED0412_quiet_without_deep_check() -> None:
    quiet("ED0412", build(RTX4090))


# --------------------------------------------------------------------------- ED0413


def _with_distributions(host: str, extra: list[dict[str, object]],
                        conda: list[dict[str, str]] | None = None) -> object:
    data = host_data(host)
    data["python"]["distributions"] = [*data["python"]["distributions"], *extra]
    if conda is not None:
        data["python"]["conda_packages"] = conda
    return build(data)


def test_ED0413_fires_torch_and_torch_nightly() -> None:
    # maskrcnn-benchmark#75: torch 0.4.1 and torch-nightly 1.0 in one environment.
    facts = _with_distributions("rtx4090-ubuntu2204-torch-cu124", [
        {"name": "torch-nightly", "version": "1.0.0.dev20181029", "installer": "pip"}])
    finding = fires("ED0413", facts)
    assert finding.message.startswith("torch 2.5.1 and torch-nightly 1.0.0.dev20181029 both "
                                      "install the torch package")
    assert finding.fix[0] == "pip uninstall -y torch torch-nightly"
    assert finding.category == "library-shadowing"


def test_ED0413_fires_pip_torch_over_conda_pytorch() -> None:
    data = host_data("rtx4090-ubuntu2204-torch-cu124")
    data["python"]["distributions"] = [
        dict(d, installer="pip") if d["name"] == "torch" else d
        for d in data["python"]["distributions"]]
    data["python"]["conda_packages"] = [
        {"name": "pytorch", "version": "2.1.0", "build": "py3.11_cuda12.1_cudnn8.9.2_0"}]
    finding = fires("ED0413", build(data))
    assert "conda's pytorch 2.1.0 and pip's torch 2.5.1" in finding.message
    assert finding.fix == ["pip uninstall -y torch"]


def test_ED0413_quiet_conda_pytorch_alone() -> None:
    data = host_data("rtx4090-ubuntu2204-torch-cu124")
    data["python"]["distributions"] = [
        dict(d, installer="conda") if d["name"] == "torch" else d
        for d in data["python"]["distributions"]]
    data["python"]["conda_packages"] = [
        {"name": "pytorch", "version": "2.5.1", "build": "py3.11_cuda12.4_cudnn9.1.0_0"}]
    quiet("ED0413", build(data))


def test_ED0413_quiet_one_torch() -> None:
    quiet("ED0413", build("rtx4090-ubuntu2204-torch-cu124"))
