"""What each recorded GPU host must show a GPU expert (beyond its golden facts file)."""

from __future__ import annotations

from functools import cache

from conftest import HOSTS
from envdoctor.facts import Facts
from envdoctor.host import Host
from envdoctor.probes import collect


@cache
def facts(host_id: str) -> Facts:
    return collect(Host.recorded(HOSTS / host_id))


def test_healthy_workstation_rtx4090() -> None:
    f = facts("rtx4090-ubuntu2204-torch-cu124")
    (gpu,) = f.nvidia.gpus
    assert (gpu.name, gpu.compute_capability, gpu.architecture) == (
        "NVIDIA GeForce RTX 4090", "8.9", "ada")
    assert (f.nvidia.userspace_version, f.nvidia.cuda_driver_version) == ("535.86.05", "12.2")
    torch = next(fw for fw in f.frameworks if fw.name == "torch")
    assert (torch.cuda_version, torch.cudnn_version) == ("12.4", "9.1.0.70")
    # No sm_89 binary in this wheel: an sm_86 cubin runs on any 8.x GPU with x >= 6.
    assert "sm_86" in torch.arch_list and "sm_89" not in torch.arch_list
    cudnn = next(x for x in f.cuda.loader if x.soname == "libcudnn.so.9")
    assert (cudnn.via, cudnn.expected) == ("RPATH", None)
    assert all(n.accessible for n in f.nvidia.device_nodes)


def test_healthy_datacentre_eight_v100s() -> None:
    f = facts("v100s-x8-datacentre-torch113")
    assert [g.name for g in f.nvidia.gpus] == ["Tesla V100S-PCIE-32GB"] * 8
    assert {p.driver for p in f.nvidia.pci_gpus} == {"nvidia"}
    assert f.nvidia.visible_devices == [str(i) for i in range(8)]
    assert all(x.resolved for x in f.cuda.loader)


def test_mig_instances_and_a_mig_device_selected() -> None:
    f = facts("a100-mig-dgx-535")
    (gpu,) = f.nvidia.gpus
    assert gpu.mig_mode == "Enabled"
    assert len(gpu.mig_devices) == 4
    assert f.nvidia.visible_devices == ["MIG-5c89852c-d268-c3f3-1b07-005d5ae1dc3f"]


def test_gpu_without_a_driver_is_still_named() -> None:
    f = facts("a10-vfio-passthrough")
    (pci,) = f.nvidia.pci_gpus
    assert (pci.name, pci.compute_capability, pci.driver) == ("A10", "8.6", "vfio-pci")
    assert f.nvidia.gpus == []
    assert f.nvidia.kernel_module_version is None


def test_nouveau_bound_and_loaded() -> None:
    f = facts("rtx4060-laptop-nouveau")
    assert f.nvidia.pci_gpus[0].driver == "nouveau"
    assert f.nvidia.nouveau_loaded is True
    assert f.nvidia.nouveau_blacklisted is False
    assert f.nvidia.smi_error == "nvidia-smi not found"


def test_kernel_module_and_userspace_split() -> None:
    f = facts("truenas-driver-split-580")
    assert (f.nvidia.kernel_module_version, f.nvidia.userspace_version) == ("580.173.02",
                                                                           "580.178")
    assert f.nvidia.smi_error == "Failed to initialize NVML: Driver/library version mismatch"


def test_toolkits_disagree_on_path_default_and_cuda_home() -> None:
    f = facts("two-toolkits-path-vs-default")
    kits = {k.version: k for k in f.cuda.toolkits}
    assert kits["13.3.1"].default and not kits["13.3.1"].on_path
    assert kits["11.0.207"].on_path and kits["11.0.207"].cuda_home


def test_system_cudnn_shadows_the_sublibraries_of_pips() -> None:
    f = facts("system-cudnn-shadows-pip")
    front = next(x for x in f.cuda.loader if x.soname == "libcudnn.so.9")
    assert front.via == "RPATH" and "nvidia/cudnn/lib" in (front.resolved or "")
    shadowed = [x for x in f.cuda.loader if x.soname.startswith("libcudnn_") and x.expected]
    assert shadowed, "no sub-library reported as shadowed"
    for x in shadowed:
        assert x.via == "LD_LIBRARY_PATH"
        assert x.resolved and x.resolved.startswith("/lib/x86_64-linux-gnu/")
        assert "nvidia/cudnn/lib" in x.expected
    system = [c for c in f.cuda.libraries if c.library == "cudnn" and c.origin == "system"]
    assert system and system[0].version == "9.6.0"


def test_mi300x_from_the_kfd_topology() -> None:
    f = facts("mi300x-rocm7")
    (gpu,) = f.rocm.gpus
    assert (gpu.gfx, gpu.compute_units, gpu.name) == ("gfx942", 304, "Instinct MI300X")
    assert f.rocm.rocm_version == "7.14.0"
    assert all(n.accessible for n in f.rocm.device_nodes)


def test_consumer_radeon_with_an_override() -> None:
    f = facts("rx6700xt-hsa-override")
    (gpu,) = f.rocm.gpus
    assert gpu.gfx == "gfx1031"
    assert f.rocm.hsa_override_gfx_version == "10.3.0"
    kfd = next(n for n in f.rocm.device_nodes if n.path == "/dev/kfd")
    assert (kfd.group, kfd.accessible) == ("render", False)


def test_wsl2_driver_and_a_linux_copy_inside() -> None:
    f = facts("wsl2-rtx2080-linux-driver-inside")
    assert f.platform.wsl == 2
    assert f.nvidia.wsl_driver_dir == "/usr/lib/wsl/lib"
    assert "/usr/lib/libnvidia-ml.so.1" in f.nvidia.shadowing_libraries
    assert f.nvidia.gpus[0].driver_model == "WDDM"


def test_docker_without_the_nvidia_runtime() -> None:
    f = facts("docker-host-no-nvidia-runtime")
    assert f.containers.docker_reachable is True
    assert "nvidia" not in f.containers.docker_runtimes
    assert f.containers.cdi_devices == []
    assert len(f.nvidia.gpus) == 2


def test_container_started_without_gpus() -> None:
    f = facts("container-without-gpu")
    assert f.platform.container_runtime == "docker"
    assert f.nvidia.pci_gpus and not f.nvidia.gpus
    assert f.containers.gpu_devices_in_container == []
    assert f.containers.driver_libraries_in_container == []
    assert f.env.variables["NVIDIA_VISIBLE_DEVICES"] == "all"
