"""ED05xx (AMD GPUs and ROCm) and ED06xx (containers, WSL): what a user sees, and near misses.

Facts start from recorded machines (``tests/hosts``) with only the case's values changed.
"""

from __future__ import annotations

from typing import Any

from envdoctor.report import Severity
from tests.rules.builders import build, fires, quiet, run

RX = "rx6700xt-hsa-override"  # gfx1031 + HSA_OVERRIDE_GFX_VERSION=10.3.0, ROCm 6.1.2
MI300X = "mi300x-rocm7"  # gfx942 from KFD, ROCm 7.14, user in render/video
DOCKER = "docker-host-no-nvidia-runtime"  # 2x RTX A5000, Docker 17.06 with runc only
NO_GPU_CONTAINER = "container-without-gpu"  # CUDA image, torch cu124, started without --gpus
WSL = "wsl2-rtx2080-linux-driver-inside"  # /usr/lib/libnvidia-ml.so* beside /usr/lib/wsl/lib
WSL_PLAIN = "i7-1165g7-wsl2-ubuntu2004-venv"
UBI8 = "xeon-x7550-ubi8-docker-limits"  # docker container, 64 MiB /dev/shm, no torch
PODMAN = "toolbox-podman-fedora42-cgroup2"
RTX4090 = "rtx4090-ubuntu2204-torch-cu124"

NO_OVERRIDE = {"rocm.hsa_override_gfx_version": None}


def torch_rocm(version: str, tag: str, rocm: str, arch: list[str] | None = None,
               ) -> list[dict[str, Any]]:
    """A torch ROCm wheel as the frameworks probe describes one."""
    return [{"name": "torch", "distribution": "torch", "version": version, "build": "rocm",
             "local_tag": tag, "rocm_version": rocm, "arch_list": arch or []}]


# --------------------------------------------------------------------------- ED0501


def test_ED0501_fires_unsupported_gfx_and_offers_the_family_override() -> None:
    finding = fires("ED0501", build(RX, NO_OVERRIDE))
    assert finding.severity is Severity.ERROR
    assert "is gfx1031; ROCm 6.1.2 supports gfx908, gfx90a, gfx942, gfx1030, gfx1100." \
        in finding.message
    assert finding.fix == ["export HSA_OVERRIDE_GFX_VERSION=10.3.0"]
    assert "Risky workaround" in (finding.fix_note or "")
    assert "gfx1030" in (finding.fix_note or "")


def test_ED0501_fires_as_warning_when_the_override_runs_the_card_as_its_sibling() -> None:
    # The recorded machine: the labelled workaround is in place.
    finding = fires("ED0501", build(RX))
    assert finding.severity is Severity.WARNING
    assert finding.message.endswith("HSA_OVERRIDE_GFX_VERSION=10.3.0 runs it as gfx1030.")
    assert "gfx1031" in finding.message
    assert finding.fix == []
    assert "AMD does not support" in (finding.fix_note or "")
    assert "rocm.hsa_override_gfx_version=10.3.0" in finding.evidence


def test_ED0501_fires_error_when_the_override_is_another_family() -> None:
    finding = fires("ED0501", build(RX, {"rocm.hsa_override_gfx_version": "11.0.0"}))
    assert finding.severity is Severity.ERROR
    assert "HSA_OVERRIDE_GFX_VERSION=11.0.0 runs it as gfx1100, another GPU family" \
        in finding.message
    assert finding.fix == ["export HSA_OVERRIDE_GFX_VERSION=10.3.0"]


def test_ED0501_fires_error_when_the_override_target_is_not_in_the_torch_build() -> None:
    # A source build of torch for RDNA3 only: running the card as gfx1030 does not help.
    facts = build(RX, {"frameworks": torch_rocm("2.5.1", "rocm6.1", "6.1",
                                                ["gfx1100", "gfx1101"])})
    finding = fires("ED0501", facts)
    assert finding.severity is Severity.ERROR
    assert "torch 2.5.1 is built for gfx1100, gfx1101" in finding.message
    assert "runs it as gfx1030, which is not supported either" in finding.message
    assert finding.fix == []  # the sibling is not in the build either
    assert "Install a torch ROCm build that includes gfx1031" in (finding.fix_note or "")


def test_ED0501_fires_names_the_first_newer_rocm_that_supports_the_gpu() -> None:
    # RX 9070 XT (RDNA4) on ROCm 6.1: supported from 6.4; its sibling gfx1200 is no help.
    facts = build(RX, {**NO_OVERRIDE, "rocm.gpus.0.gfx": "gfx1201",
                       "rocm.gpus.0.name": "Radeon RX 9070 XT"})
    finding = fires("ED0501", facts)
    assert finding.message.startswith("Radeon RX 9070 XT is gfx1201; ROCm 6.1.2 supports")
    assert finding.fix == []
    assert "ROCm 6.4 supports gfx1201." in (finding.fix_note or "")


def test_ED0501_fires_for_a_torch_build_without_the_gpu_on_a_supported_rocm() -> None:
    # ROCm 7.14's GPU list is not known; the torch build's list is, and lacks gfx942.
    facts = build(MI300X, {"frameworks": torch_rocm("2.5.1", "rocm6.2", "6.2", ["gfx90a"])})
    finding = fires("ED0501", facts)
    assert finding.message == "Instinct MI300X is gfx942; torch 2.5.1 is built for gfx90a."
    assert finding.severity is Severity.ERROR
    assert "Install a torch ROCm build that includes gfx942" in (finding.fix_note or "")


def test_ED0501_fires_without_a_newer_release_or_sibling() -> None:
    # Radeon VII / MI50 (gfx906) left ROCm's list before 6.0.
    facts = build(RX, {**NO_OVERRIDE, "rocm.gpus.0.gfx": "gfx906",
                       "rocm.gpus.0.name": "Radeon VII"})
    finding = fires("ED0501", facts)
    assert finding.fix == []
    assert "No newer ROCm release envdoctor knows supports gfx906" in (finding.fix_note or "")


def test_ED0501_quiet_supported_sibling_itself() -> None:
    quiet("ED0501", build(RX, {**NO_OVERRIDE, "rocm.gpus.0.gfx": "gfx1030"}))


def test_ED0501_quiet_healthy_mi300x() -> None:
    quiet("ED0501", build(MI300X))


def test_ED0501_quiet_when_the_release_gpu_list_is_partial() -> None:
    # rocm.json's 7.2 row is a gap row listing only part of the GPUs (no gfx1100).
    quiet("ED0501", build(RX, {**NO_OVERRIDE, "rocm.rocm_version": "7.2.1",
                               "rocm.gpus.0.gfx": "gfx1100"}))


def test_ED0501_quiet_torch_built_for_the_family_generic_target() -> None:
    facts = build(RX, {**NO_OVERRIDE, "rocm.rocm_version": None,
                       "frameworks": torch_rocm("2.9.1", "rocm6.4", "6.4",
                                                ["gfx10-3-generic", "gfx11-generic"])})
    quiet("ED0501", facts)


def test_ED0501_quiet_unknown_rocm_version_and_gfx() -> None:
    quiet("ED0501", build(RX, {**NO_OVERRIDE, "rocm.rocm_version": None}))
    quiet("ED0501", build(RX, {**NO_OVERRIDE, "rocm.gpus.0.gfx": None}))
    quiet("ED0501", build(None, {}))


# --------------------------------------------------------------------------- ED0502


def test_ED0502_fires_user_not_in_render_group() -> None:
    finding = fires("ED0502", build(RX))
    assert finding.message == "ivo cannot open /dev/kfd (crw-rw---- group render)."
    assert finding.fix == ["sudo usermod -aG render,video ivo"]
    assert "Log out and in again" in (finding.fix_note or "")
    assert finding.evidence == ["rocm.device_nodes[/dev/kfd].accessible=false"]


def test_ED0502_fires_only_missing_group_is_added() -> None:
    finding = fires("ED0502", build(RX, {"user.groups": ["ivo", "video"]}))
    assert finding.fix == ["sudo usermod -aG render ivo"]


def test_ED0502_fires_user_already_in_groups_needs_a_new_session() -> None:
    finding = fires("ED0502", build(RX, {"user.groups": ["ivo", "render", "video"]}))
    assert finding.fix == []
    assert "ivo is in render, video, but this session started before" in finding.message
    assert "Log out and in again" in (finding.fix_note or "")


def test_ED0502_fires_inside_a_container_with_the_run_flags() -> None:
    facts = build(RX, {"platform.in_container": True, "platform.container_runtime": "podman"})
    finding = fires("ED0502", facts)
    assert finding.fix == ["podman run --device=/dev/kfd --device=/dev/dri --group-add video "
                           "--group-add $(getent group render | cut -d: -f3) <image> …"]
    assert "keep-groups" in (finding.fix_note or "")


def test_ED0502_quiet_user_in_render_group() -> None:
    quiet("ED0502", build(MI300X))


def test_ED0502_quiet_access_unknown() -> None:
    quiet("ED0502", build(RX, {"rocm.device_nodes.0.accessible": None}))
    quiet("ED0502", build(RX, {"rocm.device_nodes": []}))


# --------------------------------------------------------------------------- ED0503


def test_ED0503_fires_error_override_of_another_family_on_a_supported_card() -> None:
    facts = build(RX, {"rocm.gpus.0.gfx": "gfx1100", "rocm.gpus.0.name": "Radeon RX 7900 XTX"})
    finding = fires("ED0503", facts)
    assert finding.severity is Severity.ERROR
    assert finding.message == ("Radeon RX 7900 XTX is gfx1100, which ROCm 6.1.2 supports; "
                               "HSA_OVERRIDE_GFX_VERSION=10.3.0 makes ROCm run gfx1030 code on "
                               "it, another GPU family.")
    assert finding.fix == ["unset HSA_OVERRIDE_GFX_VERSION"]


def test_ED0503_fires_warning_override_left_set_after_the_card_became_supported() -> None:
    # RX 7800 XT run as gfx1100 before ROCm 6.4 listed gfx1101; still set on 6.4.1.
    facts = build(RX, {"rocm.gpus.0.gfx": "gfx1101", "rocm.gpus.0.name": "Radeon RX 7800 XT",
                       "rocm.rocm_version": "6.4.1",
                       "rocm.hsa_override_gfx_version": "11.0.0"})
    finding = fires("ED0503", facts)
    assert finding.severity is Severity.WARNING
    assert finding.message == ("Radeon RX 7800 XT is gfx1101, which ROCm 6.4.1 supports; "
                               "HSA_OVERRIDE_GFX_VERSION=11.0.0 makes ROCm run gfx1100 code on "
                               "it.")
    assert finding.fix == ["unset HSA_OVERRIDE_GFX_VERSION"]


def test_ED0503_fires_value_that_is_not_a_version() -> None:
    finding = fires("ED0503", build(RX, {"rocm.hsa_override_gfx_version": "gfx1030"}))
    assert finding.severity is Severity.WARNING
    assert "HSA_OVERRIDE_GFX_VERSION=gfx1030 is not a major.minor.stepping version" \
        in finding.message
    assert finding.fix == ["unset HSA_OVERRIDE_GFX_VERSION"]
    assert "10.3.0" in (finding.fix_note or "")


def test_ED0503_fires_info_when_support_is_not_known() -> None:
    # ROCm 7.14's GPU list is not in the knowledge base: ED0501 cannot judge, ED0503 says it.
    finding = fires("ED0503", build(RX, {"rocm.rocm_version": "7.14.0"}))
    assert finding.severity is Severity.INFO
    assert finding.message == ("HSA_OVERRIDE_GFX_VERSION=10.3.0 is set: ROCm runs Navi 22 "
                               "[Radeon RX 6700/6700 XT / 6800M] (gfx1031) as gfx1030.")
    assert "AMD does not support" in (finding.fix_note or "")
    quiet("ED0501", build(RX, {"rocm.rocm_version": "7.14.0"}))


def test_ED0503_fires_warning_other_family_when_support_is_not_known() -> None:
    facts = build(RX, {"rocm.rocm_version": "7.14.0",
                       "rocm.hsa_override_gfx_version": "11.0.0"})
    finding = fires("ED0503", facts)
    assert finding.severity is Severity.WARNING
    assert "makes ROCm run gfx1100 code on" in finding.message
    assert "another GPU family" in finding.message
    assert finding.fix == ["export HSA_OVERRIDE_GFX_VERSION=10.3.0"]


def test_ED0503_fires_info_without_an_amd_gpu() -> None:
    facts = build(RTX4090, {"rocm.hsa_override_gfx_version": "10.3.0"})
    finding = fires("ED0503", facts)
    assert finding.severity is Severity.INFO
    assert finding.message == ("HSA_OVERRIDE_GFX_VERSION=10.3.0 is set, but no AMD GPU was "
                               "found.")


def test_ED0503_quiet_when_ED0501_already_reports_the_workaround() -> None:
    # The recorded gfx1031 run as gfx1030: one finding (ED0501's warning), not two.
    quiet("ED0503", build(RX))
    assert fires("ED0501", build(RX)).severity is Severity.WARNING


def test_ED0503_quiet_override_equal_to_the_card_target() -> None:
    quiet("ED0503", build(RX, {"rocm.gpus.0.gfx": "gfx1030"}))


def test_ED0503_quiet_variable_unset() -> None:
    quiet("ED0503", build(RX, NO_OVERRIDE))
    quiet("ED0503", build(None, {}))


# --------------------------------------------------------------------------- ED0504


def test_ED0504_fires_pins_the_same_torch_for_the_installed_rocm() -> None:
    facts = build(RX, {"frameworks": torch_rocm("2.5.1", "rocm6.2", "6.2")})
    finding = fires("ED0504", facts)
    assert finding.message == ("torch 2.5.1+rocm6.2 is built for ROCm 6.2; the installed ROCm "
                               "is 6.1.2.")
    assert finding.fix == ["pip install torch==2.5.1+rocm6.1 "
                           "--index-url https://download.pytorch.org/whl/rocm6.1"]
    assert "torchvision" in (finding.fix_note or "")


def test_ED0504_fires_falls_back_to_an_older_torch_with_a_wheel_for_it() -> None:
    # torch 2.7 has rocm6.2.4 and rocm6.3 wheels only; 2.6 is the newest with rocm6.1.
    facts = build(RX, {"frameworks": torch_rocm("2.7.1", "rocm6.3", "6.3")})
    finding = fires("ED0504", facts)
    assert finding.fix == ["pip install torch==2.6.0+rocm6.1 "
                           "--index-url https://download.pytorch.org/whl/rocm6.1"]


def test_ED0504_fires_without_a_wheel_says_upgrade_rocm() -> None:
    facts = build(RX, {"rocm.rocm_version": "5.0.2",
                       "frameworks": torch_rocm("2.5.1", None, "6.2")})  # type: ignore[arg-type]
    finding = fires("ED0504", facts)
    assert finding.message == "torch 2.5.1 is built for ROCm 6.2; the installed ROCm is 5.0.2."
    assert finding.fix == []
    assert finding.fix_note == "Or upgrade ROCm to 6.2 or newer."


def test_ED0504_quiet_same_minor_release() -> None:
    # torch.version.hip of a rocm6.1 wheel is a full HIP version.
    quiet("ED0504", build(RX, {"frameworks": torch_rocm("2.5.1", "rocm6.1", "6.1.40091")}))


def test_ED0504_quiet_unknown_system_rocm_or_not_a_rocm_build() -> None:
    quiet("ED0504", build(RX, {"rocm.rocm_version": None,
                               "frameworks": torch_rocm("2.5.1", "rocm6.2", "6.2")}))
    quiet("ED0504", build(RTX4090, {"rocm.rocm_version": "6.1.2"}))


# --------------------------------------------------------------------------- ED0505

UNBOUND = {"rocm.pci_gpus.0.driver": None, "rocm.gpus": [], "rocm.device_nodes": []}


def test_ED0505_fires_gpu_without_driver() -> None:
    finding = fires("ED0505", build(RX, UNBOUND))
    assert finding.message == ("Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT at "
                               "0000:07:00.0: no driver is bound.")
    assert finding.fix == ["sudo apt-get install -y amdgpu-dkms", "sudo reboot"]
    assert "AMD's ROCm repository" in (finding.fix_note or "")


def test_ED0505_fires_loads_amdgpu_when_it_is_not_loaded() -> None:
    finding = fires("ED0505", build(RX, {**UNBOUND, "rocm.amdgpu_loaded": False}))
    assert finding.fix == ["sudo modprobe amdgpu"]
    assert "dmesg" in (finding.fix_note or "")


def test_ED0505_fires_with_the_distribution_package_manager() -> None:
    rhel = fires("ED0505", build(RX, {**UNBOUND, "os.distro_id": "rhel", "os.distro_like":
                                      ["fedora"]}))
    assert rhel.fix == ["sudo dnf install -y amdgpu-dkms", "sudo reboot"]
    arch = fires("ED0505", build(RX, {**UNBOUND, "os.distro_id": "arch", "os.distro_like": []}))
    assert arch.fix == []
    assert "dmesg" in (arch.fix_note or "")


def test_ED0505_fires_amdgpu_bound_without_kfd() -> None:
    facts = build(RX, {"rocm.device_nodes": []})  # rocm-smi sees the card, no /dev/kfd
    finding = fires("ED0505", facts)
    assert "0000:07:00.0: amdgpu drives it, but the kernel exposes no compute interface" \
        in finding.message
    assert "CONFIG_HSA_AMD" in (finding.fix_note or "")
    assert finding.fix == ["sudo apt-get install -y amdgpu-dkms", "sudo reboot"]


def test_ED0505_quiet_gpu_in_kfd_topology() -> None:
    quiet("ED0505", build(MI300X))


def test_ED0505_quiet_kfd_device_present_without_recorded_topology() -> None:
    quiet("ED0505", build(RX))


def test_ED0505_quiet_snapshot_or_container() -> None:
    quiet("ED0505", build(RX, {**UNBOUND, "origin.kind": "snapshot"}))
    quiet("ED0505", build(RX, {"rocm.device_nodes": [], "platform.in_container": True}))
    quiet("ED0505", build(RX, {"rocm.device_nodes": [], "platform.in_container": None}))


def test_ED0505_quiet_gpu_reserved_for_vfio() -> None:
    quiet("ED0505", build(RX, {**UNBOUND, "rocm.pci_gpus.0.driver": "vfio-pci"}))


# --------------------------------------------------------------------------- ED0601


def test_ED0601_fires_docker_without_toolkit_with_nvidias_repository_steps() -> None:
    finding = fires("ED0601", build(DOCKER))
    assert finding.message == ("Docker 17.06.1-ce runs with the runtimes runc; the NVIDIA "
                               "Container Toolkit is not installed (no nvidia-ctk, no "
                               "nvidia-container-runtime) and no CDI spec names the GPUs.")
    keyring = "/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg"
    assert finding.fix == [
        f"curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey | sudo gpg --dearmor "
        f"-o {keyring}",
        "curl -s -L https://nvidia.github.io/libnvidia-container/stable/deb/"
        "nvidia-container-toolkit.list | sed 's#deb https://#deb [signed-by="
        f"{keyring}] https://#g' | sudo tee /etc/apt/sources.list.d/nvidia-container-toolkit.list",
        "sudo apt-get update",
        "sudo apt-get install -y nvidia-container-toolkit",
        "sudo nvidia-ctk runtime configure --runtime=docker",
        "sudo systemctl restart docker",
    ]
    assert "predates --gpus (19.03)" in (finding.fix_note or "")


def test_ED0601_fires_on_rhel_with_the_rpm_repository() -> None:
    facts = build(DOCKER, {"os.distro_id": "rhel", "os.distro_version": "9.4",
                           "os.distro_like": ["fedora"], "containers.docker_version": "26.1.3"})
    finding = fires("ED0601", facts)
    assert finding.fix[:2] == [
        "curl -s -L https://nvidia.github.io/libnvidia-container/stable/rpm/"
        "nvidia-container-toolkit.repo | sudo tee /etc/yum.repos.d/nvidia-container-toolkit.repo",
        "sudo dnf install -y nvidia-container-toolkit"]
    assert finding.fix_note is None  # Docker 26 has --gpus


def test_ED0601_fires_when_the_engine_refuses_the_user() -> None:
    error = ("permission denied while trying to connect to the Docker daemon socket at "
             "unix:///var/run/docker.sock")
    facts = build(DOCKER, {"containers.docker_reachable": False, "containers.docker_error": error,
                           "containers.docker_version": None, "containers.docker_runtimes": []})
    finding = fires("ED0601", facts)
    assert finding.message.startswith(f"Docker is installed ({error}); the NVIDIA Container "
                                      "Toolkit is not installed")


def test_ED0601_fires_unknown_distribution_points_to_the_guide() -> None:
    facts = build(DOCKER, {"os.distro_id": "arch", "os.distro_like": [],
                           "containers.docker_version": "27.3.1"})
    finding = fires("ED0601", facts)
    assert finding.fix == []
    assert "install-guide.html" in (finding.fix_note or "")


def test_ED0601_quiet_nvidia_runtime_registered() -> None:
    quiet("ED0601", build(DOCKER, {"containers.daemon_json_runtimes": ["nvidia"]}))
    quiet("ED0601", build(DOCKER, {"containers.docker_runtimes": ["nvidia", "runc"]}))


def test_ED0601_quiet_toolkit_installed_or_cdi_spec() -> None:
    quiet("ED0601", build(DOCKER, {"containers.nvidia_ctk_version": "1.17.3"}))
    quiet("ED0601", build(DOCKER, {"containers.nvidia_container_runtime":
                                   "/usr/bin/nvidia-container-runtime"}))
    quiet("ED0601", build(DOCKER, {"containers.cdi_devices": ["nvidia.com/gpu=0",
                                                              "nvidia.com/gpu=all"]}))


def test_ED0601_quiet_without_docker_or_gpu_or_inside_a_container() -> None:
    quiet("ED0601", build(RTX4090))  # GPU, no Docker
    quiet("ED0601", build(DOCKER, {"nvidia.gpus": [], "nvidia.pci_gpus": []}))
    quiet("ED0601", build(DOCKER, {"platform.in_container": True}))
    quiet("ED0601", build(None, {}))


# --------------------------------------------------------------------------- ED0602


def test_ED0602_fires_cuda_container_started_without_gpus() -> None:
    finding = fires("ED0602", build(NO_GPU_CONTAINER))
    assert finding.severity is Severity.ERROR
    assert finding.message == ("torch 2.5.1 is a CUDA build; NVIDIA_VISIBLE_DEVICES=all; the "
                               "host's GeForce RTX 4090 is on the bus; but no GPU device or "
                               "driver library was passed into this container.")
    assert finding.fix == ["docker run --gpus all <image> …"]
    assert "nvidia.com/gpu=all" in (finding.fix_note or "")


def test_ED0602_fires_warning_when_only_the_image_asks_for_gpus() -> None:
    finding = fires("ED0602", build(NO_GPU_CONTAINER, {"nvidia.pci_gpus": []}))
    assert finding.severity is Severity.WARNING
    assert "the host may have none" in finding.message


def test_ED0602_fires_with_the_runtime_own_way_of_passing_gpus() -> None:
    podman = fires("ED0602", build(NO_GPU_CONTAINER, {"platform.container_runtime": "podman"}))
    assert podman.fix == ["podman run --device nvidia.com/gpu=all <image> …"]
    k8s = fires("ED0602", build(NO_GPU_CONTAINER, {"platform.container_runtime": "kubernetes"}))
    assert k8s.fix == []
    assert "resources.limits nvidia.com/gpu: 1" in (k8s.fix_note or "")


def test_ED0602_quiet_gpus_passed_in() -> None:
    quiet("ED0602", build(NO_GPU_CONTAINER, {"containers.gpu_devices_in_container":
                                             ["/dev/nvidia0"]}))
    quiet("ED0602", build(NO_GPU_CONTAINER, {"containers.driver_libraries_in_container":
                                             ["/usr/lib/x86_64-linux-gnu/libcuda.so.1"]}))


def test_ED0602_quiet_no_gpu_wanted_on_a_gpu_less_host() -> None:
    # NVIDIA_VISIBLE_DEVICES=void says "no GPU" on purpose; PyPI's CUDA torch alone says nothing.
    quiet("ED0602", build(NO_GPU_CONTAINER, {"nvidia.pci_gpus": [],
                                             "env.variables.NVIDIA_VISIBLE_DEVICES": "void"}))
    facts = build(NO_GPU_CONTAINER, {"nvidia.pci_gpus": []})
    variables = dict(facts.env.variables)
    del variables["NVIDIA_VISIBLE_DEVICES"]
    quiet("ED0602", build(NO_GPU_CONTAINER, {"nvidia.pci_gpus": [],
                                             "env.variables": variables}))


def test_ED0602_quiet_not_a_container_or_unknown() -> None:
    quiet("ED0602", build(NO_GPU_CONTAINER, {"platform.in_container": False}))
    quiet("ED0602", build(NO_GPU_CONTAINER, {"platform.in_container": None}))
    quiet("ED0602", build(None, {}))


# --------------------------------------------------------------------------- ED0603


def test_ED0603_fires_docker_default_shm_with_torch() -> None:
    finding = fires("ED0603", build(NO_GPU_CONTAINER))
    assert finding.message == ("/dev/shm is 64.0 MiB in this docker container; DataLoader "
                               "workers need far more.")
    assert finding.fix == ["docker run --shm-size=8g <image> …"]
    assert "--ipc=host" in (finding.fix_note or "")


def test_ED0603_fires_kubernetes_and_podman_fixes() -> None:
    k8s = fires("ED0603", build(NO_GPU_CONTAINER, {"platform.container_runtime": "kubernetes"}))
    assert k8s.fix == []
    assert "emptyDir with medium: Memory" in (k8s.fix_note or "")
    podman = fires("ED0603", build(NO_GPU_CONTAINER, {"platform.container_runtime": "podman"}))
    assert podman.fix == ["podman run --shm-size=8g <image> …"]


def test_ED0603_quiet_at_one_gib() -> None:
    quiet("ED0603", build(NO_GPU_CONTAINER, {"resources.shm_size": 1 << 30}))


def test_ED0603_quiet_without_torch_or_outside_containers() -> None:
    quiet("ED0603", build(UBI8))  # 64 MiB, but nothing uses DataLoader
    quiet("ED0603", build(NO_GPU_CONTAINER, {"platform.in_container": False}))
    quiet("ED0603", build(PODMAN))  # tmpfs default: half the memory


def test_ED0603_quiet_shm_unknown() -> None:
    quiet("ED0603", build(NO_GPU_CONTAINER, {"resources.shm_size": None}))


# --------------------------------------------------------------------------- ED0604


def test_ED0604_fires_linux_driver_library_in_wsl() -> None:
    finding = fires("ED0604", build(WSL))
    assert finding.message == ("/usr/lib/libnvidia-ml.so, /usr/lib/libnvidia-ml.so.1 hide the "
                               "Windows driver's libraries in /usr/lib/wsl/lib.")
    # Removes only the package(s) owning those files: not libnvidia-container*.
    assert finding.fix == [
        "sudo apt-get remove --purge $(dpkg -S /usr/lib/libnvidia-ml.so "
        "/usr/lib/libnvidia-ml.so.1 | cut -d: -f1 | sort -u)",
        "sudo ldconfig"]
    assert "cuda-toolkit-X-Y" in (finding.fix_note or "")


def test_ED0604_fires_one_library_on_an_rpm_distribution() -> None:
    facts = build(WSL, {"os.distro_id": "fedora", "os.distro_like": [],
                        "nvidia.shadowing_libraries": ["/usr/lib64/libcuda.so.1"]})
    finding = fires("ED0604", facts)
    assert finding.message.startswith("/usr/lib64/libcuda.so.1 hides the Windows driver's")
    assert finding.fix == []
    assert "rpm -qf /usr/lib64/libcuda.so.1" in (finding.fix_note or "")


def test_ED0604_quiet_wsl_without_linux_copies() -> None:
    quiet("ED0604", build(WSL, {"nvidia.shadowing_libraries": []}))


def test_ED0604_quiet_outside_wsl() -> None:
    quiet("ED0604", build(WSL, {"nvidia.wsl_driver_dir": None}))
    quiet("ED0604", build(None, {}))


# --------------------------------------------------------------------------- ED0605

DENIED = ("permission denied while trying to connect to the Docker daemon socket at "
          "unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info\": "
          "dial unix /var/run/docker.sock: connect: permission denied")


def test_ED0605_fires_user_not_in_docker_group() -> None:
    facts = build(DOCKER, {"containers.docker_reachable": False,
                           "containers.docker_error": DENIED, "user.groups": ["kai"]})
    finding = fires("ED0605", facts)
    assert finding.message == DENIED
    assert finding.fix == ["sudo usermod -aG docker kai"]
    assert "root-equivalent" in (finding.fix_note or "")


def test_ED0605_fires_group_added_but_session_is_older() -> None:
    facts = build(DOCKER, {"containers.docker_reachable": False,
                           "containers.docker_error": DENIED})  # kai is in docker already
    finding = fires("ED0605", facts)
    assert finding.fix == []
    assert "kai is in the docker group" in finding.message
    assert "Log out and in again" in (finding.fix_note or "")


def test_ED0605_quiet_engine_not_running() -> None:
    quiet("ED0605", build(DOCKER, {"containers.docker_reachable": False,
                                   "containers.docker_error":
                                   "the Docker engine is not running (connection refused)"}))


def test_ED0605_quiet_engine_answers_or_no_docker() -> None:
    quiet("ED0605", build(DOCKER))
    quiet("ED0605", build(None, {}))


# --------------------------------------------------------------------------- ED0606


def test_ED0606_fires_wsl1() -> None:
    facts = build(WSL_PLAIN, {"platform.wsl": 1, "os.kernel": "4.4.0-19041-Microsoft"})
    finding = fires("ED0606", facts)
    assert finding.message == ("Kernel 4.4.0-19041-Microsoft: this distribution runs under "
                               "WSL 1, which has no GPU.")
    assert finding.fix == ["wsl --set-version Ubuntu-20.04 2  # in Windows"]


def test_ED0606_fires_wsl1_distribution_name_unknown() -> None:
    finding = fires("ED0606", build(WSL_PLAIN, {"platform.wsl": 1, "platform.wsl_distro": None}))
    assert finding.fix == ["wsl --set-version <distribution> 2  # in Windows"]


def test_ED0606_quiet_wsl2() -> None:
    quiet("ED0606", build(WSL_PLAIN))


def test_ED0606_quiet_not_wsl_or_unknown() -> None:
    quiet("ED0606", build(RTX4090))
    quiet("ED0606", build(None, {}))


# --------------------------------------------------------------------------- ED0607

TOOLKIT = {"containers.nvidia_ctk_version": "1.17.3",
           "containers.nvidia_container_runtime": "/usr/bin/nvidia-container-runtime",
           "containers.docker_runtimes": ["nvidia", "runc"], "containers.docker_version": "26.1.3"}


def test_ED0607_fires_toolkit_installed_but_no_gpu_spec() -> None:
    finding = fires("ED0607", build(DOCKER, TOOLKIT))
    assert finding.severity is Severity.INFO
    assert finding.message == ("Docker reads CDI specs from /etc/cdi, /var/run/cdi; none "
                               "declares nvidia.com/gpu.")
    assert finding.fix == ["sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml"]


def test_ED0607_fires_writes_the_spec_where_docker_reads() -> None:
    facts = build(DOCKER, {**TOOLKIT, "containers.docker_cdi_spec_dirs": ["/var/run/cdi"]})
    assert fires("ED0607", facts).fix == [
        "sudo nvidia-ctk cdi generate --output=/var/run/cdi/nvidia.yaml"]


def test_ED0607_quiet_when_ED0601_says_the_toolkit_is_missing() -> None:
    # The recorded host: ED0601 tells the user to install the toolkit; nvidia-ctk, which
    # would generate the spec, is not there yet, so ED0607 adds nothing.
    facts = build(DOCKER)
    fires("ED0601", facts)
    quiet("ED0607", facts)


def test_ED0607_quiet_gpu_spec_present() -> None:
    quiet("ED0607", build(DOCKER, {**TOOLKIT, "containers.cdi_devices":
                                   ["nvidia.com/gpu=0", "nvidia.com/gpu=1",
                                    "nvidia.com/gpu=all"]}))


def test_ED0607_quiet_cdi_off_or_driver_not_answering() -> None:
    quiet("ED0607", build(DOCKER, {**TOOLKIT, "containers.docker_cdi_spec_dirs": []}))
    quiet("ED0607", build(DOCKER, {**TOOLKIT, "nvidia.gpus": []}))
    quiet("ED0607", build(None, {}))


def test_findings_of_these_rules_on_the_recorded_docker_host_do_not_repeat() -> None:
    codes = [f.code for code in ("ED0601", "ED0607") for f in run(code, build(DOCKER))]
    assert codes == ["ED0601"]
