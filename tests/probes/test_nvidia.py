"""NVIDIA probe: nvidia-smi XML, the kernel module file, visible devices, device nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.facts import NvidiaGpu, ProbeStatus
from envdoctor.host import Host
from envdoctor.nvml import LiveNvml
from envdoctor.probes import nvidia
from tests.probes.helpers import RECORDINGS, context, make_host, recording

XML = sorted((RECORDINGS / "nvidia-smi-q-x").glob("*.xml"))


@pytest.mark.parametrize(("name", "driver", "cuda", "gpus", "first", "cc", "mig"), [
    ("netdata_a100-sxm4-40gb_mig_510.47.03.xml", "510.47.03", "11.6", 1,
     "NVIDIA A100-SXM4-40GB", "8.0", 2),
    ("telegraf_a100-sxm4-80gb_mig_535.54.03.xml", "535.54.03", "12.2", 1,
     "NVIDIA A100-SXM4-80GB", "8.0", 4),
    ("netdata_rtx-4090_535.86.05.xml", "535.86.05", "12.2", 1, "NVIDIA GeForce RTX 4090",
     "8.9", 0),
    ("telegraf_rtx-a5000_x2_590.44.01.xml", "590.44.01", "13.1", 2, "NVIDIA RTX A5000", "8.6",
     0),
    ("telegraf_rtx-pro-6000-blackwell-maxq_590.44.01.xml", "590.44.01", "13.1", 1,
     "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition", "12.0", 0),
    ("telegraf_tesla-t4_515.105.01.xml", "515.105.01", "11.7", 1, "Tesla T4", "7.5", 0),
    ("netdata_tesla-p100-pcie-16gb_510.47.03.xml", "510.47.03", "11.6", 1,
     "Tesla P100-PCIE-16GB", "6.0", 0),
    ("telegraf_gtx-1660-ti_graphics-device_418.43.xml", "418.43", "10.1", 1, "Graphics Device",
     "7.5", 0),
])
def test_smi_01_real_xml(name: str, driver: str, cuda: str, gpus: int, first: str,
                         cc: str, mig: int) -> None:
    version, cuda_version, parsed = nvidia.parse_nvidia_smi_xml(
        recording(f"nvidia-smi-q-x/{name}"))
    assert (version, cuda_version, len(parsed)) == (driver, cuda, gpus)
    gpu = nvidia._complete(parsed[0], [])  # compute capability from the PCI id table
    assert (gpu.name, gpu.compute_capability) == (first, cc)
    assert len(gpu.mig_devices) == mig
    assert gpu.mig_mode == ("Enabled" if mig else None)


def test_smi_02_every_recording_parses() -> None:
    for path in XML:
        _, _, gpus = nvidia.parse_nvidia_smi_xml(path.read_text())
        assert gpus and all(g.source == "nvidia-smi" for g in gpus), path.name


def test_smi_03_not_available_spellings_are_unknown() -> None:
    _, _, (gpu,) = nvidia.parse_nvidia_smi_xml(recording(
        "nvidia-smi-q-x/netdata_rtx-4090_535.86.05.xml"))
    assert gpu.serial is None  # "N/A" in the XML
    assert gpu.driver_model is None
    assert gpu.ecc_mode is False
    assert (gpu.power_draw_w, gpu.power_limit_w, gpu.memory_total_mib) == (26.84, 450.0, 24564)


def test_smi_04_a10g_without_a_pci_device_id_keeps_the_name() -> None:
    # The A10G recording reports pci_device_id 000000DE: no usable id, the name still stands.
    _, _, (gpu,) = nvidia.parse_nvidia_smi_xml(recording(
        "nvidia-smi-q-x/telegraf_a10g_515.105.01.xml"))
    assert gpu.name == "NVIDIA A10G"
    assert gpu.pci_device_id == "0000"


@pytest.mark.parametrize("text", ["", "garbage", "<html></html>", "<?xml version='1.0'?><x/>",
                                  "<nvidia_smi_log><gpu>"])
def test_smi_05_garbage_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        nvidia.parse_nvidia_smi_xml(text)


@pytest.mark.parametrize(("rel", "version", "flavor"), [
    ("proc-driver-nvidia-version/open-525.60.11_arch_nixgl-issue121.txt", "525.60.11", "open"),
    ("proc-driver-nvidia-version/open-565.57.01_ubuntu24.04_nixgl-issue186.txt", "565.57.01",
     "open"),
    ("proc-driver-nvidia-version/proprietary-384.98_ubuntu16.04_pytorch-issue3989.txt", "384.98",
     "proprietary"),
])
def test_kernel_module_flavor_and_version(tmp_path: Path, rel: str, version: str,
                                          flavor: str) -> None:
    host = make_host(tmp_path, {"/proc/driver/nvidia/version": recording(rel)})
    facts = nvidia.probe(context(host))
    assert (facts.kernel_module_version, facts.kernel_module_flavor) == (version, flavor)


def test_nothing_nvidia_is_absent_and_runs_nothing(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/etc/os-release": "ID=debian\n"})
    ctx = context(host)
    nvidia.probe(ctx)
    assert ctx.status is ProbeStatus.ABSENT
    assert host.runner.calls == []  # type: ignore[attr-defined]


def test_nvidia_smi_failure_text_becomes_the_error(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/proc/driver/nvidia/version": recording(
        "proc-driver-nvidia-version/open-565.57.01_ubuntu24.04_nixgl-issue186.txt")},
        commands={"nvidia-smi_-q_-x.txt": "Failed to initialize NVML: Driver/library version "
                  "mismatch\nNVML library version: 570.86\n", "nvidia-smi_-q_-x.rc": "18\n"})
    facts = nvidia.probe(context(host))
    assert facts.smi_error == "Failed to initialize NVML: Driver/library version mismatch"
    assert facts.gpus == []


def test_hung_nvidia_smi_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/sys/module/nvidia/version": "550.54.14\n"},
                     commands={"nvidia-smi_-q_-x.timeout": ""})
    ctx = context(host)
    facts = nvidia.probe(ctx)
    assert facts.smi_error is not None and "timed out" in facts.smi_error
    assert any("timed out" in p for p in ctx.problems)


def gpus(*names: str) -> list[NvidiaGpu]:
    ccs = {"NVIDIA A100": "8.0", "Tesla T4": "7.5", "NVIDIA H100": "9.0"}
    return [NvidiaGpu(index=i, name=n, uuid=f"GPU-{i}aaaaaaa-0000-0000-0000-000000000000",
                      compute_capability=ccs[n]) for i, n in enumerate(names)]


@pytest.mark.parametrize(("value", "order", "visible", "note"), [
    (None, None, ["0", "1"], None),
    ("1", None, ["1"], None),
    ("", None, [], "set but empty"),
    ("0,5,1", None, ["0"], "5 is not a GPU index"),
    ("-1", None, [], "-1 is not a GPU index"),
    ("GPU-1aaa", None, ["1"], None),
    ("GPU-9", None, [], "matches no GPU"),
    ("MIG-0a1b2c3d-0000-0000-0000-000000000000", None,
     ["MIG-0a1b2c3d-0000-0000-0000-000000000000"], None),
])
def test_visible_devices_like_the_cuda_runtime(value: str | None, order: str | None,
                                               visible: list[str], note: str | None) -> None:
    env = {} if value is None else {"CUDA_VISIBLE_DEVICES": value}
    got, got_note = nvidia.visible_devices(gpus("NVIDIA A100", "NVIDIA A100"), env)
    assert got == visible
    assert (note is None and got_note is None) or (note and got_note and note in got_note)


def test_mixed_gpus_are_numbered_fastest_first_unless_pci_order() -> None:
    mixed = gpus("Tesla T4", "NVIDIA H100")
    got, note = nvidia.visible_devices(mixed, {"CUDA_VISIBLE_DEVICES": "0"})
    assert got == ["1"] and note and "fastest first" in note
    got, note = nvidia.visible_devices(mixed, {"CUDA_VISIBLE_DEVICES": "0",
                                               "CUDA_DEVICE_ORDER": "PCI_BUS_ID"})
    assert (got, note) == (["0"], None)


@pytest.mark.parametrize(("mode", "uid", "gid", "groups", "accessible"), [
    ("0666", 0, 0, [1000], True),
    ("0660", 0, 44, [1000], False),
    ("0660", 0, 44, [1000, 44], True),
    ("0600", 1000, 1000, [1000], True),
    ("0600", 0, 0, [1000], False),
])
def test_device_node_access_for_the_user(tmp_path: Path, mode: str, uid: int, gid: int,
                                         groups: list[int], accessible: bool) -> None:
    host = make_host(tmp_path, {"/etc/group": recording("this-machine/debian12_etc-group")},
                     host={"identity": {"uid": 1000, "gid": 1000, "group_ids": groups},
                           "stats": {"/dev/nvidia0": {"mode": "020" + mode[1:], "uid": uid,
                                                      "gid": gid}}})
    node = nvidia.device_node(context(host), "/dev/nvidia0")
    assert node.accessible is accessible
    assert node.mode is not None and node.mode.startswith("c")
    if gid == 44:
        assert node.group == "video"


def test_nouveau_blacklist_in_modprobe_d(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/sys/module/nvidia/version": "550.54.14\n",
                                "/etc/modprobe.d/blacklist-nvidia-nouveau.conf":
                                    recording("modprobe/nouveau-blacklist.conf_six-modules")})
    assert nvidia.probe(context(host)).nouveau_blacklisted is True


def test_live_nvml_without_a_driver_says_so() -> None:
    # This machine has no NVIDIA driver: pynvml's real error is reported, nothing raises.
    if Path("/dev/nvidiactl").exists():
        pytest.skip("this machine has an NVIDIA driver; the no-driver path cannot be shown")
    report = LiveNvml().query(timeout=10)
    assert report.gpus == []
    assert report.error and ("NVML Shared Library Not Found" in report.error
                             or "pynvml" in report.error)


def test_root_mode_names_gpus_from_the_pci_bus(tmp_path: Path) -> None:
    uevent = "DRIVER=nvidia\nPCI_CLASS=30000\nPCI_ID=10DE:2684\nPCI_SUBSYS_ID=1043:889D\n"
    (tmp_path / "sys/bus/pci/devices/0000:01:00.0").mkdir(parents=True)
    (tmp_path / "sys/bus/pci/devices/0000:01:00.0/uevent").write_text(uevent)
    facts = nvidia.probe(context(Host.from_root(tmp_path)))
    (gpu,) = facts.pci_gpus
    assert (gpu.name, gpu.compute_capability, gpu.driver) == ("GeForce RTX 4090", "8.9",
                                                              "nvidia")
    assert "not run under --root" in facts.unknown["gpus"]
