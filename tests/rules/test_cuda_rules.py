"""ED03xx: the CUDA toolkit, cuDNN, NCCL and the other CUDA libraries.

Each case starts from a recorded host (``tests/hosts/<name>``) and changes only what the
case is about. Two of them are healthy and must stay quiet for every rule here:
``rtx4090-ubuntu2204-torch-cu124`` (driver 535 = CUDA 12.2 running torch 2.5.1+cu124
through minor-version compatibility; the sm_86 SASS covers the sm_89 GPU) and
``v100s-x8-datacentre-torch113`` (driver 460 running torch 1.13.1+cu117 the same way).
"""

from __future__ import annotations

from typing import Any

import pytest

from envdoctor.report import Severity
from tests.rules.builders import DELETE, build, fires, host_data, quiet, run

RTX4090 = "rtx4090-ubuntu2204-torch-cu124"  # RTX 4090 (8.9), driver 535.86.05, torch cu124
V100 = "v100s-x8-datacentre-torch113"  # 8x V100S (7.0), driver 460.73.01, torch 1.13.1+cu117
SHADOWED = "system-cudnn-shadows-pip"  # system cuDNN 9.6 on LD_LIBRARY_PATH, pip cuDNN 9.1
TOOLKITS = "two-toolkits-path-vs-default"  # nvcc 11.0 on PATH/CUDA_HOME, /usr/local/cuda 13.3
# (its cuda.toolkits.0 is /usr/local/cuda-13.3, cuda.toolkits.1 is /usr/local/cuda-11.0)
NO_GPU = "container-without-gpu"  # torch cu124 in a container started without --gpus
WSL = "wsl2-rtx2080-linux-driver-inside"  # RTX 2080 (7.5) under WSL 2, Windows driver 516.59

CODES = [f"ED03{i:02d}" for i in range(1, 11)]

# torch 2.7 cu128 wheels dropped Maxwell to Volta: this is their arch list.
CU128_ARCH = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120", "compute_120"]


def _toolkit(path: str, version: str, *, default: bool = False, on_path: bool = False,
             cuda_home: bool = False, has_nvcc: bool = True) -> dict[str, Any]:
    """A toolkit as the cuda probe records one from its version.json."""
    return {"path": path, "version": version, "version_source": "version.json",
            "origin": "system", "has_nvcc": has_nvcc, "default": default,
            "on_path": on_path, "cuda_home": cuda_home}


CUDA_12_4 = _toolkit("/usr/local/cuda-12.4", "12.4.1", default=True, on_path=True)
CUDA_13_2 = _toolkit("/usr/local/cuda-13.2", "13.2.0", default=True, on_path=True)


def _tensorflow(version: str, cuda: str, requires: dict[str, str]) -> dict[str, Any]:
    """A TensorFlow CUDA build as the frameworks probe reads it from build_info.py."""
    return {"name": "tensorflow", "distribution": "tensorflow", "version": version,
            "build": "cuda", "local_tag": None, "cuda_version": cuda, "rocm_version": None,
            "cudnn_version": "8", "nccl_version": None,
            "arch_list": ["sm_50", "sm_60", "sm_70", "sm_80", "compute_90"],
            "requires": requires,
            "location": "/home/erin/venv/lib/python3.11/site-packages",
            "sources": ["/home/erin/venv/lib/python3.11/site-packages/tensorflow/python/"
                        "platform/build_info.py"],
            "details": {}, "deep": None}


def _cudnn(version: str, origin: str, path: str) -> dict[str, Any]:
    return {"library": "cudnn", "version": version, "path": path, "origin": origin,
            "sonames": ["libcudnn.so.8"]}


SYSTEM_CUDNN_8_6 = _cudnn("8.6.0", "system", "/usr/include/cudnn_version.h")


def _driver_branch(command: str) -> int:
    """The branch in ``sudo apt-get install -y nvidia-driver-NNN``."""
    prefix = "sudo apt-get install -y nvidia-driver-"
    assert command.startswith(prefix), command
    return int(command[len(prefix):])


# --------------------------------------------------------------------------- healthy hosts


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("host", [RTX4090, V100])
def test_no_cuda_rule_fires_on_the_healthy_hosts(code: str, host: str) -> None:
    quiet(code, build(host))


@pytest.mark.parametrize("code", CODES)
def test_no_cuda_rule_fires_without_any_gpu_or_driver(code: str) -> None:
    quiet(code, build(NO_GPU))


# --------------------------------------------------------------------------- ED0301


def test_ED0301_fires_cu124_torch_on_a_cuda_11_8_driver_with_the_cu118_build() -> None:
    # 520.61.05 is CUDA 11.8's driver: below the CUDA 12 minor-version floor 525.60.13.
    finding = fires("ED0301", build(RTX4090, {"nvidia.userspace_version": "520.61.05"}))
    assert finding.severity is Severity.ERROR
    assert finding.message == ("torch 2.5.1 brings CUDA 12.4, which needs driver >= 525.60.13; "
                               "this one is 520.61.05.")
    # pip keeps an installed torch 2.5.1 when asked for torch==2.5.1 from another index.
    assert finding.fix == [
        "pip uninstall -y torch",
        "pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cu118"]
    assert finding.fix_note is not None
    upgrade = finding.fix_note.split("Or upgrade the driver: ", 1)[1]
    assert _driver_branch(upgrade) >= 550  # CUDA 12.4's own driver, PTX JIT included
    assert "nvidia.userspace_version=520.61.05" in finding.evidence


def test_ED0301_fires_with_a_driver_upgrade_when_no_build_of_the_release_fits() -> None:
    # Every torch 1.13 build is CUDA 11.6 or 11.7: both need >= 450.80.02.
    finding = fires("ED0301", build(V100, {"nvidia.userspace_version": "450.80.01"}))
    assert finding.message == ("torch 1.13.1 brings CUDA 11.7, which needs driver >= 450.80.02; "
                               "this one is 450.80.01.")
    # Volta's last driver branch is R580: never offer a newer one for a V100.
    assert finding.fix == ["sudo apt-get install -y nvidia-driver-580", "sudo reboot"]
    assert finding.fix_note is not None and "pip install torch==1.13.1" in finding.fix_note


def test_ED0301_fires_with_the_windows_minimum_under_wsl_and_no_reboot() -> None:
    torch = host_data(RTX4090)["frameworks"][0]
    finding = fires("ED0301", build(WSL, {"frameworks": [torch]}))
    assert finding.message == ("torch 2.5.1 brings CUDA 12.4, which needs driver >= 528.33 "
                               "(Windows); this one is 516.59.")
    assert finding.fix[-1] == ("pip install torch==2.5.1 --index-url "
                               "https://download.pytorch.org/whl/cu118")
    assert finding.fix_note is not None
    assert "Or upgrade the driver: update the NVIDIA driver on the Windows host" \
        in finding.fix_note
    assert not any("reboot" in c for c in finding.fix)


def test_ED0301_fires_for_a_gpu_covered_only_through_ptx_on_a_compat_driver() -> None:
    # A source build with TORCH_CUDA_ARCH_LIST="7.5+PTX": the RTX 4090 needs the JIT, and
    # driver 535 cannot JIT-compile CUDA 12.4's PTX.
    finding = fires("ED0301", build(RTX4090, {
        "frameworks.torch.arch_list": ["sm_75", "compute_75"]}))
    assert finding.severity is Severity.ERROR
    assert finding.message == (
        "torch 2.5.1 covers NVIDIA GeForce RTX 4090 (sm_89) only through PTX, which the driver "
        "must JIT-compile; CUDA 12.4 PTX needs driver >= 550.54.14, this one is 535.86.05 "
        "(minor-version compatibility does not cover PTX).")
    assert _driver_branch(finding.fix[0]) >= 550
    assert finding.fix[1:] == ["sudo reboot"]
    assert finding.fix_note == "Or install a build with native code (SASS) for sm_89."


def test_ED0301_quiet_cu124_torch_on_a_535_driver_through_minor_version_compat() -> None:
    quiet("ED0301", build(RTX4090))


def test_ED0301_quiet_driver_exactly_at_the_cuda_12_floor() -> None:
    quiet("ED0301", build(RTX4090, {"nvidia.userspace_version": "525.60.13"}))


def test_ED0301_quiet_cu117_torch_on_a_cuda_11_2_driver() -> None:
    quiet("ED0301", build(V100))


def test_ED0301_quiet_cuda_11_floor_exactly() -> None:
    quiet("ED0301", build(V100, {"nvidia.userspace_version": "450.80.02"}))


def test_ED0301_quiet_ptx_only_gpu_with_the_driver_of_the_builds_cuda() -> None:
    quiet("ED0301", build(RTX4090, {"frameworks.torch.arch_list": ["sm_75", "compute_75"],
                                    "nvidia.userspace_version": "550.54.14"}))


def test_ED0301_quiet_ptx_only_gpu_when_the_arch_list_is_unknown() -> None:
    quiet("ED0301", build(RTX4090, {"frameworks.torch.arch_list": []}))


def test_ED0301_quiet_unknown_driver() -> None:
    quiet("ED0301", build(RTX4090, {"nvidia.userspace_version": None,
                                    "nvidia.kernel_module_version": None}))


def test_ED0301_quiet_unknown_framework_cuda() -> None:
    quiet("ED0301", build(RTX4090, {"nvidia.userspace_version": "470.223.02",
                                    "frameworks.torch.cuda_version": None}))


def test_ED0301_quiet_cpu_build() -> None:
    quiet("ED0301", build(RTX4090, {"nvidia.userspace_version": "470.223.02",
                                    "frameworks.torch.build": "cpu",
                                    "frameworks.torch.cuda_version": None}))


# --------------------------------------------------------------------------- ED0302


def test_ED0302_fires_cu128_torch_on_volta_once_for_eight_gpus() -> None:
    finding = fires("ED0302", build(V100, {
        "frameworks.torch.version": "2.7.0", "frameworks.torch.cuda_version": "12.8",
        "frameworks.torch.arch_list": CU128_ARCH}))
    assert finding.severity is Severity.ERROR
    assert finding.message == ("torch 2.7.0 is compiled for sm_75–sm_120 + PTX compute_120; "
                               "8× Tesla V100S-PCIE-32GB are sm_70.")
    # A CUDA 11 build still has sm_70 and runs on driver 460 (minor-version compatibility).
    assert len(finding.fix) == 1
    assert finding.fix[0].startswith("pip install torch==")
    assert "https://download.pytorch.org/whl/cu11" in finding.fix[0]
    assert finding.evidence == ["frameworks.torch.arch_list",
                                "gpu Tesla V100S-PCIE-32GB.compute_capability=7.0"]


def test_ED0302_fires_and_uninstalls_first_when_the_fix_is_the_same_version() -> None:
    finding = fires("ED0302", build(V100, {
        "frameworks.torch.version": "2.7.1", "frameworks.torch.local_tag": "cu128",
        "frameworks.torch.cuda_version": "12.8", "frameworks.torch.arch_list": CU128_ARCH}))
    assert finding.message.startswith("torch 2.7.1+cu128 is compiled for")
    assert finding.fix == [
        "pip uninstall -y torch",
        "pip install torch==2.7.1 --index-url https://download.pytorch.org/whl/cu118"]


def test_ED0302_quiet_sm_86_sass_covers_the_sm_89_gpu() -> None:
    quiet("ED0302", build(RTX4090))


def test_ED0302_quiet_gpu_covered_through_ptx() -> None:
    # Covered, through the JIT: whether the driver can do it is ED0301's question.
    quiet("ED0302", build(RTX4090, {"frameworks.torch.arch_list": ["sm_75", "compute_75"]}))


def test_ED0302_quiet_unknown_arch_list() -> None:
    quiet("ED0302", build(V100, {"frameworks.torch.arch_list": []}))


def test_ED0302_quiet_unknown_compute_capability() -> None:
    changes: dict[str, Any] = {f"nvidia.gpus.{i}.compute_capability": None for i in range(8)}
    changes |= {f"nvidia.pci_gpus.{i}.compute_capability": None for i in range(8)}
    changes["frameworks.torch.arch_list"] = CU128_ARCH
    quiet("ED0302", build(V100, changes))


# --------------------------------------------------------------------------- ED0303


def test_ED0303_fires_nvcc_11_0_for_ampere_and_points_at_the_installed_toolkit() -> None:
    finding = fires("ED0303", build(TOOLKITS))
    assert finding.severity is Severity.WARNING
    assert finding.message == ("nvcc 11.0.207 at /usr/local/cuda-11.0 cannot compile for sm_86 "
                               "(2× NVIDIA RTX A5000); CUDA 11.1 is the first toolkit that can.")
    assert finding.fix == ["export CUDA_HOME=/usr/local/cuda-13.3 "
                           "PATH=/usr/local/cuda-13.3/bin:$PATH"]
    assert finding.fix_note == "CUDA 13.3.1 at /usr/local/cuda-13.3 is installed and can."


def test_ED0303_fires_first_toolkit_note_when_none_installed_can() -> None:
    finding = fires("ED0303", build(TOOLKITS, {"cuda.toolkits.0": DELETE}))
    assert finding.fix == []
    assert finding.fix_note == "Install CUDA 11.1 or newer and put its bin first on PATH."


def test_ED0303_fires_cuda_13_toolkit_that_dropped_volta() -> None:
    finding = fires("ED0303", build(V100, {"cuda.toolkits": [CUDA_13_2]}))
    assert finding.message == ("nvcc 13.2.0 at /usr/local/cuda-13.2 cannot compile for sm_70 "
                               "(8× Tesla V100S-PCIE-32GB); this toolkit dropped it, CUDA 12.9 "
                               "is the last that can.")
    assert finding.fix == []
    assert finding.fix_note == ("Install CUDA 12.9 or older for this GPU and put its bin first "
                                "on PATH.")
    assert len(run("ED0303", build(V100, {"cuda.toolkits": [CUDA_13_2]}))) == 1


def test_ED0303_fires_for_a_gpu_newer_than_every_known_toolkit() -> None:
    # A future architecture the tables do not know yet: not "dropped".
    finding = fires("ED0303", build(TOOLKITS, {
        "cuda.toolkits.0": DELETE,
        "nvidia.gpus.0.compute_capability": "15.0", "nvidia.gpus.1.compute_capability": "15.0"}))
    assert finding.message.endswith("cannot compile for sm_150 (2× NVIDIA RTX A5000); no CUDA "
                                    "release envdoctor knows can, a newer toolkit is needed.")


def test_ED0303_quiet_cuda_11_1_first_to_know_sm_86() -> None:
    quiet("ED0303", build(TOOLKITS, {"cuda.toolkits.1.version": "11.1.105"}))


def test_ED0303_quiet_when_path_has_the_toolkit_that_can() -> None:
    quiet("ED0303", build(TOOLKITS, {"cuda.toolkits.0.on_path": True,
                                     "cuda.toolkits.1.on_path": False}))


def test_ED0303_quiet_toolkit_newer_than_the_tables() -> None:
    quiet("ED0303", build(TOOLKITS, {"cuda.toolkits.1.version": "13.9.0"}))


def test_ED0303_quiet_unknown_toolkit_version_or_no_nvcc() -> None:
    quiet("ED0303", build(TOOLKITS, {"cuda.toolkits.1.version": None}))
    quiet("ED0303", build(TOOLKITS, {"cuda.toolkits.1.has_nvcc": False,
                                     "cuda.toolkits.1.on_path": False,
                                     "cuda.toolkits.0.has_nvcc": False}))


# --------------------------------------------------------------------------- ED0304


def test_ED0304_fires_cuda_home_11_0_against_torch_13_2_using_the_same_major() -> None:
    finding = fires("ED0304", build(TOOLKITS))
    assert finding.severity is Severity.WARNING
    assert finding.message == ("nvcc at /usr/local/cuda-11.0 is CUDA 11.0.207; torch 2.15.0 was "
                               "built with CUDA 13.2: building CUDA extensions will fail.")
    assert finding.fix == ["export CUDA_HOME=/usr/local/cuda-13.3 "
                           "PATH=/usr/local/cuda-13.3/bin:$PATH"]
    assert finding.fix_note == ("CUDA 13.3.1 differs from 13.2 only in the minor version, which "
                                "torch accepts with a warning.")


def test_ED0304_fires_prefers_the_exact_cuda_version() -> None:
    kits = [*host_data(TOOLKITS)["cuda"]["toolkits"], _toolkit("/usr/local/cuda-13.2", "13.2.2")]
    finding = fires("ED0304", build(TOOLKITS, {"cuda.toolkits": kits}))
    assert finding.fix == ["export CUDA_HOME=/usr/local/cuda-13.2 "
                           "PATH=/usr/local/cuda-13.2/bin:$PATH"]
    assert finding.fix_note is None


def test_ED0304_fires_installs_the_toolkit_from_nvidias_apt_repository() -> None:
    finding = fires("ED0304", build(TOOLKITS, {"cuda.toolkits.0": DELETE}))
    assert finding.fix == ["sudo apt-get install -y cuda-toolkit-13-2",
                           "export CUDA_HOME=/usr/local/cuda-13.2 "
                           "PATH=/usr/local/cuda-13.2/bin:$PATH"]
    assert finding.fix_note == ("cuda-toolkit-13-2 comes from NVIDIA's CUDA repository "
                                "(https://developer.nvidia.com/cuda-downloads).")


def test_ED0304_fires_installs_the_toolkit_with_conda_in_a_conda_environment() -> None:
    finding = fires("ED0304", build(TOOLKITS, {"cuda.toolkits.0": DELETE,
                                               "python.environment": "conda"}))
    assert finding.fix == ["conda install -c conda-forge cuda-toolkit cuda-version=13.2",
                           'export CUDA_HOME="$CONDA_PREFIX"']


def test_ED0304_quiet_same_major_different_minor() -> None:
    # torch only warns about a minor mismatch.
    quiet("ED0304", build(TOOLKITS, {"cuda.toolkits.0.cuda_home": True,
                                     "cuda.toolkits.1.cuda_home": False,
                                     "cuda.cuda_home": "/usr/local/cuda-13.3"}))


def test_ED0304_quiet_cuda_home_holds_no_toolkit() -> None:
    # torch would use CUDA_HOME, not the nvcc on PATH: ED0310 reports it.
    quiet("ED0304", build(TOOLKITS, {"cuda.toolkits.1.cuda_home": False,
                                     "cuda.cuda_home": "/usr/local/cuda-11.8"}))


def test_ED0304_quiet_unknown_torch_cuda_or_no_nvcc() -> None:
    quiet("ED0304", build(TOOLKITS, {"frameworks.torch.cuda_version": None}))
    quiet("ED0304", build(TOOLKITS, {"cuda.toolkits.1.has_nvcc": False}))


# --------------------------------------------------------------------------- ED0305


def test_ED0305_fires_path_and_cuda_home_11_0_against_usr_local_cuda_13_3() -> None:
    finding = fires("ED0305", build(TOOLKITS))
    assert finding.severity is Severity.WARNING
    assert finding.message == ("/usr/local/cuda is 13.3.1 (/usr/local/cuda-13.3); nvcc on PATH "
                               "is 11.0.207 (/usr/local/cuda-11.0); CUDA_HOME is 11.0.207 "
                               "(/usr/local/cuda-11.0).")
    assert finding.fix == ["export CUDA_HOME=/usr/local/cuda-13.3 "
                           "PATH=/usr/local/cuda-13.3/bin:$PATH"]
    assert finding.fix_note == ("Or point /usr/local/cuda at the toolkit you want, and use it for "
                                "all three.")


def test_ED0305_fires_picks_torchs_cuda_over_usr_local_cuda() -> None:
    # /usr/local/cuda is 11.0, PATH and CUDA_HOME the 13.3 that suits torch 13.2.
    finding = fires("ED0305", build(TOOLKITS, {
        "cuda.toolkits.0.default": False,
        "cuda.toolkits.0.on_path": True,
        "cuda.toolkits.0.cuda_home": True,
        "cuda.toolkits.1.default": True,
        "cuda.toolkits.1.on_path": False,
        "cuda.toolkits.1.cuda_home": False,
        "cuda.cuda_home": "/usr/local/cuda-13.3"}))
    assert finding.fix == ["export CUDA_HOME=/usr/local/cuda-13.3 "
                           "PATH=/usr/local/cuda-13.3/bin:$PATH"]
    assert finding.fix_note is not None
    assert finding.fix_note.startswith("/usr/local/cuda still points at 11.0.207: point it at "
                                       "/usr/local/cuda-13.3 too")


def test_ED0305_quiet_two_toolkits_but_all_three_agree() -> None:
    quiet("ED0305", build(TOOLKITS, {"cuda.toolkits.0.on_path": True,
                                     "cuda.toolkits.0.cuda_home": True,
                                     "cuda.toolkits.1.on_path": False,
                                     "cuda.toolkits.1.cuda_home": False,
                                     "cuda.cuda_home": "/usr/local/cuda-13.3"}))


def test_ED0305_quiet_only_one_of_them_set() -> None:
    quiet("ED0305", build(TOOLKITS, {"cuda.toolkits.1.on_path": False,
                                     "cuda.toolkits.1.cuda_home": False,
                                     "cuda.cuda_home": None}))


def test_ED0305_quiet_no_toolkits() -> None:
    quiet("ED0305", build(TOOLKITS, {"cuda.toolkits": []}))


# --------------------------------------------------------------------------- ED0306


def test_ED0306_fires_system_cudnn_on_ld_library_path_replaces_pips_sublibraries() -> None:
    findings = run("ED0306", build(SHADOWED))
    assert len(findings) == 1
    finding = findings[0]
    assert finding.severity is Severity.ERROR
    assert finding.message == (
        "torch loads libcudnn_graph.so.9, libcudnn_ops.so.9, libcudnn_cnn.so.9, "
        "libcudnn_engines_precompiled.so.9 from /lib/x86_64-linux-gnu (via LD_LIBRARY_PATH), "
        "not from the copy it expects in "
        "/opt/venv/lib/python3.11/site-packages/torch/lib/../../nvidia/cudnn/lib.")
    assert finding.fix == ["unset LD_LIBRARY_PATH"]
    assert finding.fix_note == "Check ~/.bashrc and /etc/profile.d for the export that adds it."


def test_ED0306_fires_keeps_the_other_ld_library_path_entries() -> None:
    finding = fires("ED0306", build(SHADOWED, {
        "cuda.ld_library_path": ["/usr/local/cuda/lib64", "/lib/x86_64-linux-gnu/"]}))
    assert finding.fix == ["export LD_LIBRARY_PATH=/usr/local/cuda/lib64"]


def test_ED0306_fires_without_a_no_op_fix_when_no_entry_matches() -> None:
    # "/$LIB" expands to /lib/x86_64-linux-gnu in ld.so; removing nothing is no fix.
    finding = fires("ED0306", build(SHADOWED, {"cuda.ld_library_path": ["/$LIB"]}))
    assert finding.fix == []
    assert finding.fix_note is not None
    assert finding.fix_note.startswith("Remove the entry of LD_LIBRARY_PATH that leads to "
                                       "/lib/x86_64-linux-gnu.")


def test_ED0306_quiet_ld_library_path_set_but_pips_copy_still_loads() -> None:
    quiet("ED0306", build(RTX4090, {"cuda.ld_library_path": ["/usr/local/cuda/lib64"]}))


def test_ED0306_quiet_unknown_loader() -> None:
    quiet("ED0306", build(SHADOWED, {"cuda.loader": []}))


# --------------------------------------------------------------------------- ED0307


def test_ED0307_fires_pip_cudnn_older_than_torchs_pin() -> None:
    finding = fires("ED0307", build(RTX4090, {
        "cuda.libraries.cudnn.version": "8.9.2.26"}))
    assert finding.severity is Severity.ERROR
    assert finding.message == "torch 2.5.1 pins nvidia-cudnn-cu12==9.1.0.70; installed is 8.9.2.26."
    assert finding.fix == ["pip install nvidia-cudnn-cu12==9.1.0.70"]


def test_ED0307_fires_tensorflow_2_15_on_an_older_system_cudnn() -> None:
    tf = _tensorflow("2.15.0", "12.2", {"nvidia-cudnn-cu12": "==8.9.4.25"})
    finding = fires("ED0307", build(RTX4090, {"frameworks": [tf],
                                              "cuda.libraries": [SYSTEM_CUDNN_8_6]}))
    # Built with cuDNN 8.9 (build info says "8"; the release table gives the minor).
    assert finding.message == ("tensorflow 2.15.0 was built with cuDNN 8.9 and needs 8.9 or a "
                               "newer 8.x; the closest cuDNN here is 8.6.0 (system).")
    assert finding.fix == ['pip install "tensorflow[and-cuda]==2.15.0"']
    assert finding.fix_note == "tensorflow[and-cuda] brings the matching nvidia-cudnn-cu12."


def test_ED0307_fires_tensorflow_2_12_without_an_and_cuda_extra() -> None:
    tf = _tensorflow("2.12.0", "11.8", {})
    old = _cudnn("8.4.1", "system", "/usr/include/cudnn_version.h")
    finding = fires("ED0307", build(RTX4090, {"frameworks": [tf], "cuda.libraries": [old]}))
    assert finding.message.startswith("tensorflow 2.12.0 was built with cuDNN 8.6 ")
    assert finding.fix == []  # tensorflow[and-cuda] starts with 2.14
    assert finding.fix_note == ("tensorflow 2.12.0 has no [and-cuda] extra: install cuDNN 8.6 "
                                "for CUDA 11.8 and put it on the loader's path.")


def test_ED0307_fires_once_for_tensorflows_and_cuda_pin() -> None:
    # The pin and the build both ask for 8.9: one finding, the pin's.
    tf = _tensorflow("2.15.0", "12.2", {"nvidia-cudnn-cu12": "==8.9.4.25"})
    pip = _cudnn("8.6.0.163", "pip:nvidia-cudnn-cu12",
                 "/home/erin/venv/lib/python3.11/site-packages/nvidia/cudnn/lib")
    findings = run("ED0307", build(RTX4090, {"frameworks": [tf], "cuda.libraries": [pip]}))
    assert [f.message for f in findings] == [
        "tensorflow 2.15.0 pins nvidia-cudnn-cu12==8.9.4.25; installed is 8.6.0.163."]
    assert findings[0].fix == ["pip install nvidia-cudnn-cu12==8.9.4.25"]


def test_ED0307_quiet_pip_cudnn_newer_than_the_pin() -> None:
    quiet("ED0307", build(RTX4090, {"cuda.libraries.cudnn.version": "9.3.0.75"}))


def test_ED0307_quiet_tensorflow_with_the_minor_it_was_built_with() -> None:
    tf = _tensorflow("2.15.0", "12.2", {"nvidia-cudnn-cu12": "==8.9.4.25"})
    cudnn = _cudnn("8.9.7", "system", "/usr/include/cudnn_version.h")
    quiet("ED0307", build(RTX4090, {"frameworks": [tf], "cuda.libraries": [cudnn]}))


def test_ED0307_quiet_tensorflow_with_only_a_newer_major() -> None:
    # Not older: TensorFlow not finding libcudnn.so.8 is ED0308's question.
    tf = _tensorflow("2.15.0", "12.2", {"nvidia-cudnn-cu12": "==8.9.4.25"})
    quiet("ED0307", build(SHADOWED, {"frameworks": [tf],
                                     "cuda.libraries": [host_data(SHADOWED)["cuda"]
                                                        ["libraries"][0]]}))


def test_ED0307_quiet_unknown_versions() -> None:
    quiet("ED0307", build(RTX4090, {"cuda.libraries.cudnn.version": None}))
    tf = _tensorflow("2.15.0", "12.2", {}) | {"cudnn_version": None}
    quiet("ED0307", build(RTX4090, {"frameworks": [tf], "cuda.libraries": [SYSTEM_CUDNN_8_6]}))


# --------------------------------------------------------------------------- ED0308


def _missing(index: int) -> dict[str, Any]:
    return {f"cuda.loader.{index}.resolved": None, f"cuda.loader.{index}.via": None}


def test_ED0308_fires_missing_cudnn_with_torchs_pin() -> None:
    facts = build(RTX4090, _missing(1))  # libcudnn.so.9
    finding = fires("ED0308", facts)
    assert finding.severity is Severity.ERROR
    assert finding.message == ("torch needs libcudnn.so.9, which no directory on the loader's "
                               "path holds.")
    assert finding.fix == ["pip install nvidia-cudnn-cu12==9.1.0.70"]
    assert finding.evidence == ["cuda.loader[libcudnn.so.9].resolved=None"]


def test_ED0308_fires_missing_cuda_runtime_with_torchs_pin() -> None:
    finding = fires("ED0308", build(RTX4090, _missing(0)))  # libcudart.so.12
    assert finding.fix == ["pip install nvidia-cuda-runtime-cu12==12.4.127"]


def test_ED0308_fires_missing_cublaslt_from_the_cublas_wheel() -> None:
    loader = [{"framework": "torch", "soname": "libcublasLt.so.12", "resolved": None,
               "via": None, "expected": None}]
    finding = fires("ED0308", build(RTX4090, {"cuda.loader": loader}))
    assert finding.fix == ["pip install nvidia-cublas-cu12==12.4.5.8"]


def test_ED0308_fires_cuda_13_torch_gets_the_cuda_toolkit_extra() -> None:
    # torch 2.15 pins cuda-toolkit[cublas,cudart,…]==13.2.2, not nvidia-cublas.
    loader = [{"framework": "torch", "soname": "libcublas.so.13", "resolved": None,
               "via": None, "expected": None}]
    finding = fires("ED0308", build(TOOLKITS, {"cuda.loader": loader}))
    assert finding.fix == ['pip install "cuda-toolkit[cublas]==13.2.2"']


def test_ED0308_fires_without_a_fix_when_nothing_pins_it() -> None:
    loader = [{"framework": "torch", "soname": "libcusparseLt.so.0", "resolved": None,
               "via": None, "expected": None}]
    finding = fires("ED0308", build(RTX4090, {"cuda.loader": loader}))
    assert finding.fix == []


def test_ED0308_quiet_library_found_elsewhere() -> None:
    # Found on LD_LIBRARY_PATH instead of pip's: shadowed (ED0306), not missing.
    quiet("ED0308", build(SHADOWED))


def test_ED0308_quiet_unknown_loader() -> None:
    quiet("ED0308", build(TOOLKITS))


# --------------------------------------------------------------------------- ED0309


def test_ED0309_fires_cuda_13_toolkit_on_driver_460_with_volta_capped_at_r580() -> None:
    finding = fires("ED0309", build(V100, {"cuda.toolkits": [CUDA_13_2]}))
    assert finding.severity is Severity.WARNING
    assert finding.message == ("CUDA 13.2.0 at /usr/local/cuda-13.2 needs driver >= 580.65.06; "
                               "this one is 460.73.01.")
    # CUDA 13.2's own driver is R595, which no longer drives Volta.
    assert finding.fix == ["sudo apt-get install -y nvidia-driver-580", "sudo reboot"]


def test_ED0309_fires_without_a_driver_fix_when_no_driver_runs_it_and_the_gpus() -> None:
    # A Kepler K80 beside the V100s: R470 is its last branch, too old for CUDA 12.
    finding = fires("ED0309", build(V100, {"cuda.toolkits": [CUDA_12_4],
                                           "nvidia.gpus.0.name": "Tesla K80",
                                           "nvidia.gpus.0.compute_capability": "3.7",
                                           "nvidia.userspace_version": "470.223.02"}))
    assert finding.message == ("CUDA 12.4.1 at /usr/local/cuda-12.4 needs driver >= 525.60.13; "
                               "this one is 470.223.02.")
    assert finding.fix == []
    assert finding.fix_note == ("No driver that runs it drives every GPU here: build with an "
                                "older toolkit.")


def test_ED0309_fires_newer_minor_than_the_driver_warns_about_ptx() -> None:
    finding = fires("ED0309", build(RTX4090, {"cuda.toolkits": [CUDA_12_4]}))
    assert finding.severity is Severity.WARNING
    assert finding.message == (
        "CUDA 12.4.1 at /usr/local/cuda-12.4 runs on driver 535.86.05 only through "
        "minor-version compatibility: its PTX needs driver >= 550.54.14, so what it builds "
        "runs here only from native code (SASS) for sm_89.")
    assert _driver_branch(finding.fix[0]) >= 550
    assert finding.fix[1:] == ["sudo reboot"]
    assert finding.fix_note == "Or build SASS for the GPU: nvcc -arch=sm_89."


def test_ED0309_fires_ptx_note_names_every_gpu_architecture() -> None:
    # An A100 beside V100s, CUDA 11.8 on driver 460 (CUDA 11.2).
    kit = _toolkit("/usr/local/cuda-11.8", "11.8.0", default=True, on_path=True)
    finding = fires("ED0309", build(V100, {"cuda.toolkits": [kit],
                                           "nvidia.gpus.0.name": "NVIDIA A100-PCIE-40GB",
                                           "nvidia.gpus.0.compute_capability": "8.0"}))
    assert finding.message.endswith("native code (SASS) for sm_80, sm_70.")
    assert finding.fix[0] == "sudo apt-get install -y nvidia-driver-580"  # Volta's last
    assert finding.fix_note == ("Or build SASS for the GPU: nvcc -gencode arch=compute_80,"
                                "code=sm_80 -gencode arch=compute_70,code=sm_70.")


def test_ED0309_quiet_driver_of_the_toolkits_minor() -> None:
    # 12.4.1's Table 3 driver is 550.54.15, but its PTX ISA is 12.4's: 550.54.14 JITs it.
    quiet("ED0309", build(RTX4090, {"cuda.toolkits": [CUDA_12_4],
                                    "nvidia.userspace_version": "550.54.14"}))


def test_ED0309_quiet_toolkit_older_than_the_driver() -> None:
    kit = _toolkit("/usr/local/cuda-12.2", "12.2.2", default=True, on_path=True)
    quiet("ED0309", build(RTX4090, {"cuda.toolkits": [kit]}))


def test_ED0309_quiet_unlisted_patch_level_uses_its_minor() -> None:
    # version.txt says 11.0.207 (no such Table 3 row); CUDA 11.0.2 runs on 450.51.05.
    quiet("ED0309", build(TOOLKITS, {"nvidia.userspace_version": "450.51.06"}))


def test_ED0309_quiet_uses_path_not_usr_local_cuda() -> None:
    # /usr/local/cuda is 13.3 (PTX for 610+) on driver 590, but PATH's nvcc is 11.0.
    quiet("ED0309", build(TOOLKITS))


def test_ED0309_quiet_runtime_only_toolkit_in_the_compat_range() -> None:
    kit = _toolkit("/usr/local/cuda-12.4", "12.4.1", default=True, has_nvcc=False)
    quiet("ED0309", build(RTX4090, {"cuda.toolkits": [kit]}))


def test_ED0309_quiet_unknown_driver_or_version() -> None:
    quiet("ED0309", build(NO_GPU, {"cuda.toolkits": [CUDA_13_2]}))
    quiet("ED0309", build(V100, {"cuda.toolkits": [CUDA_13_2 | {"version": None}]}))


# --------------------------------------------------------------------------- ED0310


def test_ED0310_fires_stale_cuda_home_points_at_the_toolkit_for_torch() -> None:
    finding = fires("ED0310", build(TOOLKITS, {
        "cuda.toolkits.1.cuda_home": False,
        "cuda.cuda_home": "/usr/local/cuda-11.8",
        "env.variables.CUDA_HOME": "/usr/local/cuda-11.8"}))
    assert finding.severity is Severity.WARNING
    assert finding.message == "CUDA_HOME=/usr/local/cuda-11.8, which holds no CUDA toolkit."
    assert finding.fix == ["export CUDA_HOME=/usr/local/cuda-13.3"]  # torch is CUDA 13.2


def test_ED0310_fires_names_cuda_path_when_that_is_the_variable_set() -> None:
    finding = fires("ED0310", build(TOOLKITS, {
        "cuda.toolkits.1.cuda_home": False,
        "cuda.cuda_home": "/opt/cuda-12.1",
        "env.variables.CUDA_HOME": DELETE,
        "env.variables.CUDA_PATH": "/opt/cuda-12.1"}))
    assert finding.message == "CUDA_PATH=/opt/cuda-12.1, which holds no CUDA toolkit."
    assert finding.fix == ["export CUDA_PATH=/usr/local/cuda-13.3"]


def test_ED0310_fires_unset_when_no_toolkit_is_installed() -> None:
    finding = fires("ED0310", build(RTX4090, {"cuda.cuda_home": "/usr/local/cuda",
                                              "env.variables.CUDA_HOME": "/usr/local/cuda"}))
    assert finding.fix == ["unset CUDA_HOME"]


def test_ED0310_quiet_cuda_home_names_an_installed_toolkit() -> None:
    quiet("ED0310", build(TOOLKITS))


def test_ED0310_quiet_cuda_home_unset() -> None:
    quiet("ED0310", build(RTX4090))


def test_ED0310_quiet_when_the_cuda_probe_failed() -> None:
    data = host_data(RTX4090)
    probes = [p | {"status": "failed", "detail": "timed out"} if p["name"] == "cuda" else p
              for p in data["probes"]]
    quiet("ED0310", build(RTX4090, {"cuda.cuda_home": "/usr/local/cuda-12.4",
                                    "probes": probes}))
