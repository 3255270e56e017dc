"""ED02xx: the NVIDIA driver and GPUs, tested against recorded machines.

Each case starts from the recorded host closest to it and changes only what the case is
about. nvidia-smi's error lines are read from the recordings under
``tests/recordings/nvidia-smi-errors`` (the first line, as the probe keeps it), and
CUDA_VISIBLE_DEVICES / CUDA_DEVICE_ORDER are applied by the probe's own function, so the
notes the rules read are the ones a real run writes.
"""

from __future__ import annotations

from typing import Any

from conftest import TESTS
from envdoctor.probes.nvidia import visible_devices
from envdoctor.report import Severity
from tests.rules.builders import build, fires, quiet, run

RTX4090 = "rtx4090-ubuntu2204-torch-cu124"  # healthy, driver 535.86.05, Ubuntu 22.04
A100_MIG = "a100-mig-dgx-535"  # MIG enabled with four instances
A10_VFIO = "a10-vfio-passthrough"  # A10 bound to vfio-pci, no driver
NOUVEAU = "rtx4060-laptop-nouveau"  # RTX 4060 laptop on nouveau, Ubuntu 24.04
TRUENAS = "truenas-driver-split-580"  # module 580.173.02, user space 580.178
V100X8 = "v100s-x8-datacentre-torch113"  # 8x V100S, driver 460.73.01, user lee
A5000X2 = "two-toolkits-path-vs-default"  # 2x RTX A5000, driver 590.44.01
WSL = "wsl2-rtx2080-linux-driver-inside"  # WSL 2 with a Linux libnvidia-ml inside
CONTAINER = "container-without-gpu"  # Docker container on an RTX 4090 host
RX6700 = "rx6700xt-hsa-override"  # AMD RX 6700 XT on amdgpu

ERRORS = TESTS / "recordings" / "nvidia-smi-errors"


def smi(recording: str) -> str:
    """nvidia-smi's error as the probe keeps it: the first non-empty line of its output."""
    text = (ERRORS / f"{recording}.txt").read_text(encoding="utf-8")
    return next(line.strip() for line in text.splitlines() if line.strip())


COULDNT = smi("couldnt-communicate_ubuntu20.04-unattended-upgrade_shine-cluster-50")
NO_DEVICES = smi("no-devices-were-found_rtx5090-rebar-off_open-gpu-kernel-modules-862")
NVML_UNKNOWN = smi("nvml-unknown-error_in-container-after-daemon-reload_nvidia-docker-1671")
GPU_LOST = smi("gpu-is-lost_owod-issue81")
HANDLE_UNKNOWN = smi("gpu-handle-unknown-error_tesla-p4-synology_issue22")
MISMATCH = smi("version-mismatch_one-line_ubuntu20.04-460_shine-cluster-30")

# The driver answers nothing: no GPU list, no CUDA version, no MIG/visibility facts.
NO_ANSWER: dict[str, Any] = {"nvidia.gpus": [], "nvidia.visible_devices": None,
                             "nvidia.cuda_driver_version": None}
# The RTX 4090 machine after a kernel upgrade without a rebuilt module: nothing bound.
MODULE_GONE: dict[str, Any] = {
    **NO_ANSWER, "nvidia.kernel_module_loaded": False, "nvidia.kernel_module_version": None,
    "nvidia.pci_gpus.0.driver": None, "nvidia.device_nodes": []}
# An RTX 5090 (GB202, PCI id 10de:2b85) in place of the machine's RTX 4090.
RTX5090 = {"nvidia.pci_gpus.0.device_id": "2b85", "nvidia.pci_gpus.0.name": "GeForce RTX 5090",
           "nvidia.pci_gpus.0.chip": "GB202", "nvidia.pci_gpus.0.architecture": "blackwell",
           "nvidia.pci_gpus.0.compute_capability": "12.0"}


def with_env(host: str, env: dict[str, str], changes: dict[str, Any] | None = None) -> Any:
    """A host with environment variables set, and the probe's view of them applied."""
    changes = dict(changes or {})
    facts = build(host, changes)
    variables = {**facts.env.variables, **env}
    visible, note = visible_devices(facts.nvidia.gpus, variables)
    return build(host, {**changes, "env.variables": variables,
                        "nvidia.visible_devices": visible, "nvidia.visible_note": note})


# --------------------------------------------------------------------------- ED0201


def test_ED0201_fires_gpu_on_the_bus_with_no_driver_installed() -> None:
    facts = build(RTX4090, {**MODULE_GONE, "nvidia.userspace_version": None,
                            "nvidia.smi_error": "nvidia-smi not found"})
    finding = fires("ED0201", facts)
    assert finding.message == ("GeForce RTX 4090 at 0000:84:00.0: no driver is bound and no "
                               "nvidia kernel module is loaded.")
    assert finding.fix == ["sudo apt-get install -y nvidia-driver-595", "sudo reboot"]
    assert finding.evidence == ["nvidia.pci_gpus[0000:84:00.0].driver=None"]
    assert finding.severity is Severity.ERROR


def test_ED0201_fires_volta_gets_the_last_branch_that_drives_it() -> None:
    facts = build(V100X8, {"nvidia.gpus": [], "nvidia.visible_devices": None,
                           "nvidia.kernel_module_loaded": False,
                           "nvidia.kernel_module_version": None, "nvidia.userspace_version": None,
                           "nvidia.smi_error": "nvidia-smi not found",
                           **{f"nvidia.pci_gpus.{i}.driver": None for i in range(8)}})
    finding = fires("ED0201", facts)
    assert finding.message.startswith("Tesla V100S PCIe 32GB at 0000:00:0d.0, Tesla V100S "
                                      "PCIe 32GB at 0000:00:0e.0, ")
    assert len(finding.evidence) == 8
    # R590 and newer ignore Volta: 580 is the branch to install, not the newest.
    assert finding.fix == ["sudo apt-get install -y nvidia-driver-580", "sudo reboot"]


def test_ED0201_fires_user_space_installed_but_module_missing() -> None:
    # nvidia-smi was not run (so no error text), but the library files name the driver.
    facts = build(RTX4090, {**MODULE_GONE, "nvidia.smi_error": None, "nvidia.nvml_error": None,
                            "nvidia.userspace_source": "/usr/lib/x86_64-linux-gnu"})
    finding = fires("ED0201", facts)
    assert finding.message == ("GeForce RTX 4090 at 0000:84:00.0: no driver is bound and no "
                               "nvidia kernel module is loaded, though the user-space driver "
                               "535.86.05 is installed.")
    assert finding.fix == ["sudo dkms autoinstall", "sudo reboot"]
    assert "nvidia.userspace_version=535.86.05" in finding.evidence


def test_ED0201_fires_in_a_container_with_the_fix_on_the_host() -> None:
    facts = build(CONTAINER, {"nvidia.pci_gpus.0.driver": None})
    finding = fires("ED0201", facts)
    assert finding.fix == ["install NVIDIA driver 595 or newer on the host (a container "
                           "uses the host's driver)"]
    assert "sudo reboot" not in finding.fix
    assert "reboot the host" in (finding.fix_note or "")


def test_ED0201_quiet_gpu_bound_to_the_nvidia_driver() -> None:
    quiet("ED0201", build(RTX4090))


def test_ED0201_quiet_module_loaded_but_gpu_unbound() -> None:
    # The 535 module is loaded but does not take an RTX 5090: ED0215's case, not "no driver".
    facts = build(RTX4090, {**NO_ANSWER, **RTX5090, "nvidia.pci_gpus.0.driver": None,
                            "nvidia.smi_error": NO_DEVICES})
    quiet("ED0201", facts)


def test_ED0201_quiet_driver_installed_but_unreachable() -> None:
    # nvidia-smi is there and says it cannot reach the module: ED0211 gives the rebuild fix.
    facts = build(RTX4090, {**MODULE_GONE, "nvidia.smi_error": COULDNT})
    quiet("ED0201", facts)
    fires("ED0211", facts)


def test_ED0201_quiet_gpu_held_by_vfio() -> None:
    quiet("ED0201", build(A10_VFIO))


def test_ED0201_quiet_nouveau_loaded_leaves_it_to_ED0202() -> None:
    facts = build(NOUVEAU, {"nvidia.pci_gpus.0.driver": None})
    quiet("ED0201", facts)
    fires("ED0202", facts)


def test_ED0201_quiet_unknown_facts() -> None:
    quiet("ED0201", build(None, {}))
    quiet("ED0201", build(RTX4090, {**MODULE_GONE, "nvidia.pci_gpus": []}))


# --------------------------------------------------------------------------- ED0202


NOUVEAU_FIX_UBUNTU = [
    'printf "blacklist nouveau\\noptions nouveau modeset=0\\n" | '
    "sudo tee /etc/modprobe.d/blacklist-nouveau.conf",
    "sudo update-initramfs -u",
    "sudo apt-get install -y nvidia-driver-595",
    "sudo reboot"]


def test_ED0202_fires_laptop_gpu_driven_by_nouveau() -> None:
    finding = fires("ED0202", build(NOUVEAU))
    assert finding.message == ("GeForce RTX 4060 Max-Q / Mobile at 0000:01:00.0 is driven by "
                               "nouveau, which has no CUDA.")
    assert finding.fix == NOUVEAU_FIX_UBUNTU
    assert finding.evidence == ["nvidia.pci_gpus[0000:01:00.0].driver=nouveau"]
    assert finding.fix_note is None


def test_ED0202_fires_fedora_rebuilds_initramfs_with_dracut() -> None:
    facts = build(NOUVEAU, {"os.distro_id": "fedora", "os.distro_like": []})
    assert fires("ED0202", facts).fix[1] == "sudo dracut --force"


def test_ED0202_fires_arch_rebuilds_initramfs_with_mkinitcpio() -> None:
    facts = build(NOUVEAU, {"os.distro_id": "arch", "os.distro_like": []})
    assert fires("ED0202", facts).fix[1] == "sudo mkinitcpio -P"


def test_ED0202_fires_mint_uses_update_initramfs_through_id_like() -> None:
    facts = build(NOUVEAU, {"os.distro_id": "linuxmint", "os.distro_like": ["ubuntu", "debian"]})
    assert fires("ED0202", facts).fix[1] == "sudo update-initramfs -u"


def test_ED0202_fires_without_reinstalling_a_loaded_nvidia_driver() -> None:
    # The NVIDIA module loaded after nouveau had taken the GPU: blacklist, don't reinstall.
    facts = build(NOUVEAU, {"nvidia.kernel_module_loaded": True,
                            "nvidia.kernel_module_version": "550.120",
                            "nvidia.userspace_version": "550.120"})
    finding = fires("ED0202", facts)
    assert finding.fix == [NOUVEAU_FIX_UBUNTU[0], NOUVEAU_FIX_UBUNTU[1], "sudo reboot"]


def test_ED0202_fires_nouveau_loaded_and_gpu_unbound() -> None:
    finding = fires("ED0202", build(NOUVEAU, {"nvidia.pci_gpus.0.driver": None}))
    assert finding.message.startswith("nouveau is loaded and no driver drives GeForce RTX 4060 "
                                      "Max-Q / Mobile at 0000:01:00.0")
    assert finding.evidence[0] == "nvidia.nouveau_loaded=true"
    assert finding.fix == NOUVEAU_FIX_UBUNTU


def test_ED0202_fires_in_a_container_says_to_do_it_on_the_host() -> None:
    facts = build(CONTAINER, {"nvidia.pci_gpus.0.driver": "nouveau"})
    finding = fires("ED0202", facts)
    assert "run these on the host" in (finding.fix_note or "")


def test_ED0202_quiet_nouveau_loaded_beside_gpu_bound_to_nvidia() -> None:
    # TrueNAS: the GPU is bound to nvidia but nvidia-smi fails (version mismatch), so the
    # driver lists no GPU. nouveau being loaded does not hold the GPU.
    quiet("ED0202", build(TRUENAS, {"nvidia.nouveau_loaded": True}))


def test_ED0202_quiet_nouveau_loaded_beside_vfio_gpu() -> None:
    quiet("ED0202", build(A10_VFIO, {"nvidia.nouveau_loaded": True}))


def test_ED0202_quiet_gpu_on_nvidia() -> None:
    quiet("ED0202", build(RTX4090))


def test_ED0202_quiet_unknown_facts() -> None:
    quiet("ED0202", build(None, {}))
    quiet("ED0202", build(NOUVEAU, {"nvidia.pci_gpus": [], "nvidia.nouveau_loaded": None}))


# --------------------------------------------------------------------------- ED0203


def test_ED0203_fires_truenas_upgrade_without_reboot() -> None:
    finding = fires("ED0203", build(TRUENAS))
    assert finding.message == ("The loaded kernel module is 580.173.02, the user-space driver "
                               "is 580.178: nvidia-smi says 'Driver/library version mismatch'.")
    assert finding.fix == ["sudo reboot"]
    assert "sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia" in (finding.fix_note or "")
    assert finding.evidence == ["nvidia.kernel_module_version=580.173.02",
                                "nvidia.userspace_version=580.178"]


def test_ED0203_fires_versions_differ_before_anything_failed() -> None:
    facts = build(RTX4090, {"nvidia.userspace_version": "550.54.14"})
    finding = fires("ED0203", facts)
    assert finding.message == ("The loaded kernel module is 535.86.05, the user-space driver "
                               "is 550.54.14.")


def test_ED0203_fires_on_the_error_alone_when_the_module_version_is_unknown() -> None:
    # The one-line form older drivers print (shine-cluster, branch 460).
    facts = build(V100X8, {**NO_ANSWER, "nvidia.kernel_module_version": None,
                           "nvidia.smi_error": MISMATCH})
    finding = fires("ED0203", facts)
    assert finding.message == ("The loaded kernel module is unknown, the user-space driver is "
                               "460.73.01: nvidia-smi says 'Driver/library version mismatch'.")


def test_ED0203_fires_in_a_container_without_a_reboot_command() -> None:
    finding = fires("ED0203", build(TRUENAS, {"platform.in_container": True,
                                              "platform.container_runtime": "docker"}))
    assert finding.fix == []
    assert "reboot the host" in (finding.fix_note or "")
    assert "remove them" in (finding.fix_note or "")


def test_ED0203_quiet_module_and_user_space_agree() -> None:
    quiet("ED0203", build(RTX4090))


def test_ED0203_quiet_wsl_has_no_linux_module() -> None:
    quiet("ED0203", build(WSL, {"nvidia.kernel_module_version": "535.86.05"}))


def test_ED0203_quiet_unknown_facts() -> None:
    quiet("ED0203", build(None, {}))
    quiet("ED0203", build(RTX4090, {"nvidia.kernel_module_version": None}))


# --------------------------------------------------------------------------- ED0204


def test_ED0204_fires_empty_value_hides_both_gpus() -> None:
    finding = fires("ED0204", with_env(A5000X2, {"CUDA_VISIBLE_DEVICES": ""}))
    assert finding.message == ("CUDA_VISIBLE_DEVICES='' hides all 2 GPUs: an empty value "
                               "leaves CUDA no device.")
    assert finding.fix == ["unset CUDA_VISIBLE_DEVICES"]
    assert finding.severity is Severity.ERROR


def test_ED0204_fires_minus_one_hides_the_gpu() -> None:
    finding = fires("ED0204", with_env(RTX4090, {"CUDA_VISIBLE_DEVICES": "-1"}))
    assert finding.message == ("CUDA_VISIBLE_DEVICES='-1' hides the GPU: -1 is not a GPU index "
                               "(0-0); CUDA ignores it and every entry after it.")
    assert finding.fix == ["unset CUDA_VISIBLE_DEVICES"]


def test_ED0204_fires_unknown_uuid_first() -> None:
    finding = fires("ED0204", with_env(V100X8, {"CUDA_VISIBLE_DEVICES": "GPU-ffffffff,0"}))
    assert finding.message == ("CUDA_VISIBLE_DEVICES='GPU-ffffffff,0' hides all 8 GPUs: "
                               "'GPU-ffffffff' matches no GPU; CUDA ignores it and every entry "
                               "after it.")


def test_ED0204_quiet_valid_index() -> None:
    quiet("ED0204", with_env(A5000X2, {"CUDA_VISIBLE_DEVICES": "1"}))


def test_ED0204_quiet_mig_device_selected() -> None:
    quiet("ED0204", build(A100_MIG))


def test_ED0204_quiet_later_entry_bad_is_ED0205s() -> None:
    quiet("ED0204", with_env(A5000X2, {"CUDA_VISIBLE_DEVICES": "0,5"}))


def test_ED0204_quiet_unknown_facts() -> None:
    quiet("ED0204", build(None, {"env": {"variables": {"CUDA_VISIBLE_DEVICES": ""}}}))
    # The driver answers nothing: which GPUs the value hides cannot be told.
    quiet("ED0204", build(RTX4090, {**NO_ANSWER, "env.variables": {"CUDA_VISIBLE_DEVICES": ""},
                                    "nvidia.smi_error": COULDNT}))


# --------------------------------------------------------------------------- ED0205


def test_ED0205_fires_index_past_the_last_gpu() -> None:
    finding = fires("ED0205", with_env(A5000X2, {"CUDA_VISIBLE_DEVICES": "0,5,1"}))
    assert finding.message == ("CUDA_VISIBLE_DEVICES='0,5,1': 5 is not a GPU index (0-1); "
                               "CUDA ignores it and every entry after it.")
    # Drops the bad entry and keeps the GPU after it (CUDA sees only GPU 0 now).
    assert finding.fix == ["export CUDA_VISIBLE_DEVICES=0,1"]
    assert finding.severity is Severity.WARNING


def test_ED0205_fires_empty_entry() -> None:
    finding = fires("ED0205", with_env(A5000X2, {"CUDA_VISIBLE_DEVICES": "1,,0"}))
    assert finding.message == ("CUDA_VISIBLE_DEVICES='1,,0': an empty entry stops the list.")
    assert finding.fix == ["export CUDA_VISIBLE_DEVICES=1,0"]


def test_ED0205_fires_unknown_uuid_keeps_the_real_ones() -> None:
    value = "GPU-76098dc1,GPU-ffffffff,3"  # the first is GPU 0's UUID prefix
    finding = fires("ED0205", with_env(V100X8, {"CUDA_VISIBLE_DEVICES": value}))
    assert finding.message == (f"CUDA_VISIBLE_DEVICES={value!r}: 'GPU-ffffffff' matches no "
                               "GPU; CUDA ignores it and every entry after it.")
    assert finding.fix == ["export CUDA_VISIBLE_DEVICES=GPU-76098dc1,3"]


def test_ED0205_fires_on_mixed_gpus_without_the_ordering_note() -> None:
    facts = with_env(A5000X2, {"CUDA_VISIBLE_DEVICES": "1,2,0"},
                     {"nvidia.gpus.1.name": "NVIDIA RTX A4000",
                      "nvidia.gpus.1.memory_total_mib": 16376})
    assert "fastest first" in (facts.nvidia.visible_note or "")
    finding = fires("ED0205", facts)
    assert finding.message == ("CUDA_VISIBLE_DEVICES='1,2,0': 2 is not a GPU index (0-1); "
                               "CUDA ignores it and every entry after it.")
    # Indices stay as written: they are CUDA's numbers, not nvidia-smi's.
    assert finding.fix == ["export CUDA_VISIBLE_DEVICES=1,0"]


def test_ED0205_quiet_every_entry_exists() -> None:
    quiet("ED0205", with_env(A5000X2, {"CUDA_VISIBLE_DEVICES": "1,0"}))


def test_ED0205_quiet_first_entry_bad_is_ED0204s() -> None:
    facts = with_env(A5000X2, {"CUDA_VISIBLE_DEVICES": "5,0"})
    quiet("ED0205", facts)
    fires("ED0204", facts)


def test_ED0205_quiet_unknown_facts() -> None:
    quiet("ED0205", build(None, {}))
    quiet("ED0205", build(A5000X2, {"nvidia.visible_note": None,
                                    "env.variables.CUDA_VISIBLE_DEVICES": "0,5"}))


# --------------------------------------------------------------------------- ED0206


def test_ED0206_fires_mig_enabled_without_instances() -> None:
    facts = build(A100_MIG, {"nvidia.gpus.0.mig_devices": [],
                             "env.variables": {}, "nvidia.visible_devices": ["0"]})
    finding = fires("ED0206", facts)
    assert finding.message == ("GPU 0 (NVIDIA A100-SXM4-80GB) has MIG enabled and no MIG "
                               "instances: CUDA sees nothing on it.")
    assert finding.fix == ["sudo nvidia-smi mig -i 0 -lgip",
                           "sudo nvidia-smi mig -i 0 -cgi <profile>[,<profile>…] -C"]
    assert "sudo nvidia-smi -i 0 -mig 0" in (finding.fix_note or "")
    assert finding.severity is Severity.WARNING


def test_ED0206_fires_disable_pending_needs_a_reset() -> None:
    facts = build(A100_MIG, {"nvidia.gpus.0.mig_devices": [],
                             "nvidia.gpus.0.mig_pending": "Disabled"})
    finding = fires("ED0206", facts)
    assert finding.message == ("GPU 0 (NVIDIA A100-SXM4-80GB) has MIG enabled and no MIG "
                               "instances; MIG is switched off only at the next GPU reset.")
    assert finding.fix == ["sudo nvidia-smi -i 0 -r"]
    assert finding.severity is Severity.WARNING


def test_ED0206_fires_info_when_enabling_waits_for_a_reset() -> None:
    facts = build(A100_MIG, {"nvidia.gpus.0.mig_mode": "Disabled",
                             "nvidia.gpus.0.mig_pending": "Enabled",
                             "nvidia.gpus.0.mig_devices": []})
    finding = fires("ED0206", facts)
    assert finding.message == ("GPU 0 (NVIDIA A100-SXM4-80GB): MIG mode changes to Enabled "
                               "only after a GPU reset.")
    assert finding.fix == ["sudo nvidia-smi -i 0 -r"]
    assert finding.severity is Severity.INFO


def test_ED0206_quiet_instances_created() -> None:
    quiet("ED0206", build(A100_MIG))


def test_ED0206_quiet_pending_mode_equals_current() -> None:
    quiet("ED0206", build(A100_MIG, {"nvidia.gpus.0.mig_pending": "Enabled"}))


def test_ED0206_quiet_unknown_facts() -> None:
    quiet("ED0206", build(RTX4090))  # mig_mode None: no MIG on a GeForce
    quiet("ED0206", build(A100_MIG, {**NO_ANSWER, "nvidia.smi_error": COULDNT}))


# --------------------------------------------------------------------------- ED0207


def test_ED0207_fires_one_gpu_prohibited() -> None:
    finding = fires("ED0207", build(V100X8, {"nvidia.gpus.3.compute_mode": "Prohibited"}))
    assert finding.message == "GPU 3 (Tesla V100S-PCIE-32GB) is in Prohibited compute mode."
    assert finding.fix == ["sudo nvidia-smi -i 3 -c DEFAULT"]
    assert len(run("ED0207", build(V100X8, {"nvidia.gpus.3.compute_mode": "Prohibited"}))) == 1


def test_ED0207_quiet_exclusive_process() -> None:
    quiet("ED0207", build(V100X8, {"nvidia.gpus.3.compute_mode": "Exclusive_Process"}))


def test_ED0207_quiet_unknown_facts() -> None:
    quiet("ED0207", build(V100X8, {"nvidia.gpus.3.compute_mode": None}))


# --------------------------------------------------------------------------- ED0208


def test_ED0208_fires_pending_retirement() -> None:
    finding = fires("ED0208", build(V100X8, {"nvidia.gpus.5.retired_pages_pending": True}))
    assert finding.message == ("GPU 5 (Tesla V100S-PCIE-32GB) has memory pages or rows waiting "
                               "to be retired at the next reset.")
    assert finding.fix == ["sudo nvidia-smi -i 5 -r"]
    assert finding.severity is Severity.WARNING


def test_ED0208_quiet_nothing_pending() -> None:
    quiet("ED0208", build(V100X8))


def test_ED0208_quiet_unknown_facts() -> None:
    quiet("ED0208", build(A100_MIG))  # retired_pages_pending not reported


# --------------------------------------------------------------------------- ED0209


def test_ED0209_fires_a10_reserved_for_passthrough() -> None:
    finding = fires("ED0209", build(A10_VFIO))
    assert finding.message == ("A10 at 0000:65:00.0 is bound to vfio-pci: reserved for a "
                               "virtual machine, unusable here.")
    assert finding.severity is Severity.INFO
    assert finding.fix == []
    assert "remove 10de:2236 from the vfio-pci ids" in (finding.fix_note or "")
    assert "'sudo update-initramfs -u'" in (finding.fix_note or "")
    assert finding.evidence == ["nvidia.pci_gpus[0000:65:00.0].driver=vfio-pci"]


def test_ED0209_fires_amd_gpu_names_its_pci_id() -> None:
    finding = fires("ED0209", build(RX6700, {"rocm.pci_gpus.0.driver": "vfio-pci"}))
    assert "remove 1002:73df from the vfio-pci ids" in (finding.fix_note or "")
    assert finding.evidence == ["rocm.pci_gpus[0000:07:00.0].driver=vfio-pci"]


def test_ED0209_quiet_gpu_on_its_driver() -> None:
    quiet("ED0209", build(RTX4090))
    quiet("ED0209", build(RX6700))


def test_ED0209_quiet_unknown_facts() -> None:
    quiet("ED0209", build(A10_VFIO, {"nvidia.pci_gpus.0.driver": None}))
    quiet("ED0209", build(None, {}))


# --------------------------------------------------------------------------- ED0210


def _nodes(mode: str, group: str, accessible: bool | None) -> dict[str, Any]:
    return {f"nvidia.device_nodes./dev/{n}.{k}": v for n in ("nvidia0", "nvidiactl")
            for k, v in (("mode", mode), ("group", group), ("accessible", accessible))}


def test_ED0210_fires_user_not_in_the_group_that_may_open_them() -> None:
    finding = fires("ED0210", build(V100X8, _nodes("crw-rw----", "video", False)))
    assert finding.message == ("lee cannot open /dev/nvidia0 (crw-rw---- group video), "
                               "/dev/nvidiactl (crw-rw---- group video).")
    assert finding.fix == ["sudo usermod -aG video lee"]
    assert finding.evidence == ["nvidia.device_nodes[/dev/nvidia0].accessible=false",
                                "nvidia.device_nodes[/dev/nvidiactl].accessible=false"]


def test_ED0210_fires_root_only_files_reset_the_driver_mode() -> None:
    finding = fires("ED0210", build(V100X8, _nodes("crw-------", "root", False)))
    assert finding.fix == ["echo 'options nvidia NVreg_DeviceFileMode=0666' | "
                           "sudo tee /etc/modprobe.d/nvidia-device-mode.conf",
                           "sudo update-initramfs -u", "sudo reboot"]


def test_ED0210_fires_group_may_only_read_so_joining_it_does_not_help() -> None:
    finding = fires("ED0210", build(V100X8, _nodes("crw-r-----", "video", False)))
    assert not any("usermod" in c for c in finding.fix)
    assert "NVreg_DeviceFileMode=0666" in finding.fix[0]


def test_ED0210_quiet_files_open_to_everyone() -> None:
    quiet("ED0210", build(V100X8))


def test_ED0210_quiet_user_already_in_the_group() -> None:
    quiet("ED0210", build(RTX4090, {**_nodes("crw-rw----", "video", True)}))


def test_ED0210_quiet_unknown_facts() -> None:
    quiet("ED0210", build(V100X8, _nodes("crw-rw----", "video", None)))
    quiet("ED0210", build(None, {}))


# --------------------------------------------------------------------------- ED0211


def test_ED0211_fires_module_not_loaded_after_kernel_upgrade() -> None:
    facts = build(RTX4090, {**MODULE_GONE, "nvidia.smi_error": COULDNT})
    finding = fires("ED0211", facts)
    assert finding.message == ("NVIDIA-SMI has failed because it couldn't communicate with the "
                               "NVIDIA driver. Make sure that the latest NVIDIA driver is "
                               "installed and running.")
    assert finding.fix == ["sudo dkms autoinstall", "sudo reboot"]
    assert finding.evidence == [f"nvidia.smi_error={COULDNT}"]


def test_ED0211_fires_nvml_driver_not_loaded_without_nvidia_smi() -> None:
    facts = build(RTX4090, {**MODULE_GONE, "nvidia.smi_error": "nvidia-smi not found",
                            "nvidia.nvml_error": "Driver Not Loaded"})
    finding = fires("ED0211", facts)
    assert finding.message == "Driver Not Loaded"
    assert finding.evidence == ["nvidia.nvml_error=Driver Not Loaded"]


def test_ED0211_fires_no_devices_found_points_at_the_kernel_log() -> None:
    # The 535 module is loaded and knows the RTX 4090, yet brought up no GPU (ReBAR off).
    facts = build(RTX4090, {**NO_ANSWER, "nvidia.smi_error": NO_DEVICES})
    finding = fires("ED0211", facts)
    assert finding.message == "No devices were found"
    assert finding.fix == ["sudo dmesg | grep -i nvrm"]
    assert "Resizable BAR" in (finding.fix_note or "")


def test_ED0211_fires_container_after_host_daemon_reload() -> None:
    facts = build(CONTAINER, {"nvidia.smi_error": NVML_UNKNOWN,
                              "containers.gpu_devices_in_container": ["/dev/nvidia0"]})
    finding = fires("ED0211", facts)
    assert finding.message == "Failed to initialize NVML: Unknown Error"
    assert finding.fix == ["docker restart <container>"]
    assert "daemon-reload" in (finding.fix_note or "")


def test_ED0211_fires_container_whose_host_driver_is_down() -> None:
    finding = fires("ED0211", build(CONTAINER, {"nvidia.smi_error": COULDNT}))
    assert finding.fix == []
    assert "on the host" in (finding.fix_note or "")


def test_ED0211_fires_bare_metal_unknown_error_reads_the_log() -> None:
    facts = build(RTX4090, {**NO_ANSWER, "nvidia.smi_error": NVML_UNKNOWN})
    finding = fires("ED0211", facts)
    assert finding.fix == ["sudo dmesg | grep -i -e nvrm -e xid", "sudo reboot"]


def test_ED0211_fires_wsl_points_at_the_windows_driver() -> None:
    facts = build(WSL, {**NO_ANSWER, "nvidia.shadowing_libraries": [],
                        "nvidia.smi_error": smi(
                            "couldnt-communicate_wsl2-after-apt-nvidia-cuda-toolkit_wsl-11888")})
    finding = fires("ED0211", facts)
    assert finding.fix == ["update the NVIDIA driver on the Windows host to 595 or newer "
                           "(https://www.nvidia.com/Download/index.aspx); WSL uses the "
                           "Windows driver"]
    assert "wsl --shutdown" in (finding.fix_note or "")


def test_ED0211_quiet_wsl_with_linux_driver_inside_is_ED0604s() -> None:
    facts = build(WSL, {**NO_ANSWER, "nvidia.smi_error": smi(
        "couldnt-communicate_wsl2-after-apt-nvidia-cuda-toolkit_wsl-11888")})
    quiet("ED0211", facts)


def test_ED0211_quiet_no_devices_found_on_a_gpu_newer_than_the_driver() -> None:
    facts = build(RTX4090, {**NO_ANSWER, **RTX5090, "nvidia.pci_gpus.0.driver": None,
                            "nvidia.smi_error": NO_DEVICES})
    quiet("ED0211", facts)
    fires("ED0215", facts)


def test_ED0211_quiet_version_mismatch_is_ED0203s() -> None:
    quiet("ED0211", build(TRUENAS))


def test_ED0211_quiet_lost_gpu_is_ED0214s() -> None:
    quiet("ED0211", build(V100X8, {**NO_ANSWER, "nvidia.smi_error": GPU_LOST}))


def test_ED0211_quiet_driver_answers() -> None:
    # NVML's library is missing (pynvml not installed) but nvidia-smi listed the GPU.
    quiet("ED0211", build(RTX4090))


def test_ED0211_quiet_unknown_facts() -> None:
    quiet("ED0211", build(A10_VFIO))  # nvidia-smi not installed: nothing answered or failed
    quiet("ED0211", build(None, {}))


# --------------------------------------------------------------------------- ED0212


A4000 = {"nvidia.gpus.1.name": "NVIDIA RTX A4000", "nvidia.gpus.1.memory_total_mib": 16376}


def test_ED0212_fires_mixed_models_in_fastest_first_order() -> None:
    finding = fires("ED0212", with_env(A5000X2, {}, A4000))
    assert finding.message == ("CUDA numbers NVIDIA RTX A4000 and NVIDIA RTX A5000 fastest "
                               "first, not in nvidia-smi's order.")
    assert finding.fix == ["export CUDA_DEVICE_ORDER=PCI_BUS_ID"]
    assert finding.severity is Severity.INFO


def test_ED0212_quiet_pci_bus_order_set() -> None:
    quiet("ED0212", with_env(A5000X2, {"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}, A4000))


def test_ED0212_quiet_identical_gpus() -> None:
    quiet("ED0212", with_env(A5000X2, {}))


def test_ED0212_quiet_unknown_facts() -> None:
    quiet("ED0212", build(A5000X2, {**NO_ANSWER, "nvidia.visible_note": None}))


# --------------------------------------------------------------------------- ED0213


def test_ED0213_fires_535_after_june_2026() -> None:
    facts = build(RTX4090, {"collected_at": "2026-09-20T08:00:00Z"})
    finding = fires("ED0213", facts)
    assert finding.message == "Driver 535.86.05 (branch 535) reached end of life in 2026-06."
    assert finding.fix == ["sudo apt-get install -y nvidia-driver-595"]
    assert finding.severity is Severity.WARNING
    assert "nvidia.userspace_version=535.86.05" in finding.evidence


def test_ED0213_fires_volta_moves_to_580_not_the_newest_branch() -> None:
    facts = build(V100X8, {"collected_at": "2026-09-20T08:00:00Z"})
    finding = fires("ED0213", facts)
    assert finding.message == "Driver 460.73.01 (branch 460) reached end of life in 2022-01."
    assert finding.fix == ["sudo apt-get install -y nvidia-driver-580"]


def test_ED0213_fires_last_branch_for_the_gpus_says_replace_them() -> None:
    facts = build(V100X8, {"collected_at": "2028-09-01T00:00:00Z",
                           "nvidia.userspace_version": "580.65.06",
                           "nvidia.kernel_module_version": "580.65.06"})
    finding = fires("ED0213", facts)
    assert finding.message == "Driver 580.65.06 (branch 580) reached end of life in 2028-08."
    assert finding.fix == []
    assert finding.fix_note == ("No newer driver branch supports these GPUs (Tesla "
                                "V100S-PCIE-32GB); 580 is their last. Plan to replace them.")


def test_ED0213_fires_in_a_container_for_the_hosts_driver() -> None:
    facts = build(CONTAINER, {"collected_at": "2026-09-20T08:00:00Z",
                              "nvidia.kernel_module_version": "535.86.05"})
    finding = fires("ED0213", facts)
    assert finding.fix == ["install NVIDIA driver 595 or newer on the host (a container "
                           "uses the host's driver)"]
    assert "nvidia.kernel_module_version=535.86.05" in finding.evidence


def test_ED0213_quiet_during_the_end_of_life_month() -> None:
    quiet("ED0213", build(RTX4090, {"collected_at": "2026-06-30T23:59:00Z"}))


def test_ED0213_quiet_supported_branch() -> None:
    quiet("ED0213", build(A5000X2, {"collected_at": "2026-11-23T12:00:00Z"}))  # 590: 2026-12


def test_ED0213_quiet_branch_without_known_end_of_life() -> None:
    quiet("ED0213", build(RTX4090, {"collected_at": "2030-01-01T00:00:00Z",
                                    "nvidia.userspace_version": "610.57.04",
                                    "nvidia.kernel_module_version": "610.57.04"}))


def test_ED0213_quiet_wsl_windows_driver() -> None:
    quiet("ED0213", build(WSL, {"collected_at": "2026-09-20T08:00:00Z"}))


def test_ED0213_quiet_unknown_facts() -> None:
    quiet("ED0213", build(RTX4090))  # collected_at unknown
    quiet("ED0213", build(A10_VFIO, {"collected_at": "2026-09-20T08:00:00Z"}))  # no driver


# --------------------------------------------------------------------------- ED0214


def test_ED0214_fires_gpu_is_lost() -> None:
    finding = fires("ED0214", build(V100X8, {**NO_ANSWER, "nvidia.smi_error": GPU_LOST}))
    assert finding.message == ("Unable to determine the device handle for GPU 0000:02:00.0: "
                               "GPU is lost. Reboot the system to recover this GPU")
    assert finding.fix == ["sudo dmesg | grep -i xid", "sudo reboot"]
    assert finding.severity is Severity.ERROR


def test_ED0214_fires_device_handle_unknown_error() -> None:
    finding = fires("ED0214", build(V100X8, {**NO_ANSWER, "nvidia.smi_error": HANDLE_UNKNOWN}))
    assert finding.message == ("Unable to determine the device handle for GPU0000:07:00.0: "
                               "Unknown Error")
    assert finding.evidence == [f"nvidia.smi_error={HANDLE_UNKNOWN}"]


def test_ED0214_fires_nvml_cannot_open_one_gpu() -> None:
    # What the NVML adapter records when nvmlDeviceGetHandleByIndex(1) fails.
    finding = fires("ED0214", build(V100X8, {"nvidia.nvml_error": "GPU 1: Unknown Error"}))
    assert finding.message == "GPU 1: Unknown Error"
    assert finding.evidence == ["nvidia.nvml_error=GPU 1: Unknown Error"]


def test_ED0214_quiet_nvml_unknown_error_at_start_is_ED0211s() -> None:
    quiet("ED0214", build(RTX4090, {**NO_ANSWER, "nvidia.smi_error": NVML_UNKNOWN}))


def test_ED0214_quiet_nvml_permission_error_on_one_gpu() -> None:
    quiet("ED0214", build(V100X8, {"nvidia.nvml_error": "GPU 1: Insufficient Permissions"}))


def test_ED0214_quiet_unknown_facts() -> None:
    quiet("ED0214", build(V100X8))
    quiet("ED0214", build(None, {}))


# --------------------------------------------------------------------------- ED0215


def test_ED0215_fires_rtx5090_on_driver_535() -> None:
    facts = build(RTX4090, {**NO_ANSWER, **RTX5090, "nvidia.pci_gpus.0.driver": None,
                            "nvidia.smi_error": NO_DEVICES})
    finding = fires("ED0215", facts)
    assert finding.message == ("GeForce RTX 5090 (compute capability 12.0) needs driver >= "
                               "570.26 (the first with CUDA 12.8); this one is 535.86.05.")
    assert finding.fix == ["sudo apt-get install -y nvidia-driver-595", "sudo reboot"]
    assert finding.evidence == ["nvidia.kernel_module_version=535.86.05"]
    assert finding.severity is Severity.ERROR


def test_ED0215_fires_new_gpu_beside_one_the_driver_lists() -> None:
    # The RTX 4090 still works; an RTX 5090 added at 01:00.0 is ignored by the 535 driver.
    data = build(RTX4090)
    added = {"address": "0000:01:00.0", "vendor": "nvidia", "device_id": "2b85",
             "name": "GeForce RTX 5090", "chip": "GB202", "architecture": "blackwell",
             "compute_capability": "12.0", "driver": None}
    first = {k: getattr(data.nvidia.pci_gpus[0], k) for k in
             ("address", "vendor", "device_id", "name", "chip", "architecture",
              "compute_capability", "driver", "subsystem")}
    finding = fires("ED0215", build(RTX4090, {"nvidia.pci_gpus": [added, first]}))
    assert finding.message.startswith("GeForce RTX 5090 (compute capability 12.0)")


def test_ED0215_fires_in_a_container_for_the_hosts_driver() -> None:
    facts = build(CONTAINER, {**RTX5090, "nvidia.kernel_module_version": "535.86.05"})
    finding = fires("ED0215", facts)
    assert finding.fix == ["install NVIDIA driver 595 or newer on the host (a container "
                           "uses the host's driver)"]


def test_ED0215_quiet_driver_lists_the_gpu() -> None:
    # 520.56.06 is the driver the RTX 4090 launched with on Linux; it is older than CUDA
    # 11.8's 520.61.05 but drives the card, as the driver's own GPU list shows.
    quiet("ED0215", build(RTX4090, {"nvidia.userspace_version": "520.56.06",
                                    "nvidia.kernel_module_version": "520.56.06"}))


def test_ED0215_quiet_driver_new_enough_for_the_gpu() -> None:
    facts = build(RTX4090, {**NO_ANSWER, **RTX5090, "nvidia.pci_gpus.0.driver": None,
                            "nvidia.smi_error": NO_DEVICES,
                            "nvidia.kernel_module_version": "570.86.16",
                            "nvidia.userspace_version": "570.86.16"})
    quiet("ED0215", facts)


def test_ED0215_quiet_unknown_facts() -> None:
    quiet("ED0215", build(A10_VFIO))  # no driver version
    quiet("ED0215", build(RTX4090, {**NO_ANSWER, "nvidia.pci_gpus.0.compute_capability": None}))
    quiet("ED0215", build(None, {}))
