"""ROCm probe (KFD topology, ROCm version) and the containers probe (CDI, daemon.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envdoctor.facts import ProbeStatus
from envdoctor.probes import containers, rocm
from tests.probes.helpers import RECORDINGS, context, make_host, recording


@pytest.mark.parametrize(("value", "gfx"), [
    (90402, "gfx942"), (90010, "gfx90a"), (90008, "gfx908"), (90006, "gfx906"),
    (100300, "gfx1030"), (100301, "gfx1031"), (110000, "gfx1100"), (120001, "gfx1201"),
    (0, None),
])
def test_gfx_target_version_names(value: int, gfx: str | None) -> None:
    assert rocm.gfx_name(value) == gfx


@pytest.mark.parametrize(("rel", "gfx", "cus", "address"), [
    ("sysfs-kfd/mi300x_node2-gfx942_properties", "gfx942", 304, "0000:47:00.0"),
    ("sysfs-kfd/mi210-xgmi_node2-gfx90a_properties", "gfx90a", 104, None),
    ("sysfs-kfd/rx7900xtx_gfx1100_properties", "gfx1100", 96, None),
])
def test_kfd_gpu_nodes(tmp_path: Path, rel: str, gfx: str, cus: int,
                       address: str | None) -> None:
    host = make_host(tmp_path, {
        f"{rocm.KFD_NODES}/0/properties": recording("sysfs-kfd/mi210-xgmi_node0-cpu_properties"),
        f"{rocm.KFD_NODES}/1/properties": recording(rel),
    })
    facts = rocm.probe(context(host))
    (gpu,) = facts.gpus  # the CPU node is not a GPU
    assert (gpu.gfx, gpu.compute_units) == (gfx, cus)
    if address:
        assert gpu.pci_address == address


def test_old_kfd_without_gfx_target_version_uses_the_node_name(tmp_path: Path) -> None:
    host = make_host(tmp_path, {
        f"{rocm.KFD_NODES}/1/properties": recording(
            "sysfs-kfd/vega10_node1-no-gfx-target-version_properties"),
        f"{rocm.KFD_NODES}/1/name": "gfx900\n",
    })
    assert rocm.probe(context(host)).gpus[0].gfx == "gfx900"


def test_rocm_version_files(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/opt/rocm/core/.info/version": recording(
        "opt-rocm/therock-7.14.0_opt-rocm-core_.info_version"), "/opt/rocm-6.2.4/.keep": ""})
    facts = rocm.probe(context(host))
    assert (facts.rocm_path, facts.rocm_version) == ("/opt/rocm", "7.14.0")
    assert facts.rocm_installations == ["/opt/rocm-6.2.4"]


def test_no_amd_is_absent(tmp_path: Path) -> None:
    ctx = context(make_host(tmp_path, {}, host={"env": {"HSA_OVERRIDE_GFX_VERSION": "10.3.0"}}))
    facts = rocm.probe(ctx)
    assert ctx.status is ProbeStatus.ABSENT
    assert facts.hsa_override_gfx_version == "10.3.0"


@pytest.mark.parametrize(("rel", "count", "name", "gfx", "device"), [
    ("telegraf_mi100_x4_rocm6.0.2.json", 4, "Arcturus GL-XL [Instinct MI100]", None, "738c"),
    ("telegraf_rx6700xt_gfx1031_rocm6.1.2.json", 1, "Navi 22 [Radeon RX 6700/6700 XT / 6800M]",
     "gfx1031", "73df"),
    # rocm-smi 4.3 printed the vendor id where the name belongs: no name, not "0x1002".
    ("telegraf_rx6700xt_rocm4.3.0.json", 1, None, None, None),
    # rocm_smi_lib printed gfx90a's stepping in decimal ("gfx9010").
    ("mi250x-hpe-oam_showproductname_gfx9010-quirk_rocm_smi_lib-159.json", 1,
     "AMD INSTINCT MI200 (MCM) OAM LC MBA HPE C2", "gfx90a", "7408"),
])
def test_rocm_smi_cards(rel: str, count: int, name: str | None, gfx: str | None,
                        device: str | None) -> None:
    cards = rocm.parse_rocm_smi_cards(recording(f"rocm-smi-json/{rel}"))
    assert len(cards) == count
    assert (cards[0].get("name"), cards[0].get("gfx"), cards[0].get("device_id")) == (
        name, gfx, device)


def test_rocm_smi_garbage() -> None:
    assert rocm.parse_rocm_smi_cards("not json") == []
    assert rocm.parse_rocm_smi_cards("[1, 2]") == []


def test_cdi_spec_devices_from_a_real_spec() -> None:
    devices = containers.parse_cdi_spec(recording(
        "nvidia-container/cdi-nvidia.yaml_1gpu-linux_ramalama-test_abridged.yaml"))
    assert "nvidia.com/gpu=0" in devices
    assert "nvidia.com/gpu=all" in devices


def test_cdi_spec_json_form() -> None:
    spec = {"cdiVersion": "0.6.0", "kind": "nvidia.com/gpu",
            "devices": [{"name": "0"}, {"name": "all"}]}
    assert containers.parse_cdi_spec(json.dumps(spec)) == ["nvidia.com/gpu=0",
                                                          "nvidia.com/gpu=all"]
    assert containers.parse_cdi_spec("{broken") == []


@pytest.mark.parametrize(("rel", "runtimes", "default"), [
    ("nvidia-container/daemon.json_default-runtime-nvidia_for-linux-1531", ["nvidia"], "nvidia"),
    ("nvidia-container/daemon.json_nvidia-ctk-runtime-configure_issue378", ["nvidia"], None),
])
def test_daemon_json_runtimes(tmp_path: Path, rel: str, runtimes: list[str],
                              default: str | None) -> None:
    host = make_host(tmp_path, {"/etc/docker/daemon.json": recording(rel)})
    facts = containers.probe(context(host), in_container=False)
    assert (facts.daemon_json_runtimes, facts.daemon_json_default_runtime) == (runtimes, default)


def test_docker_info_parsing() -> None:
    for name, has_nvidia in (("docker-info-json_no-nvidia-runtime_docker-cli-golden.json", False),
                             ("docker-info-json_with-cdi-devices_docker-cli-golden.json", None)):
        info = json.loads((RECORDINGS / "nvidia-container" / name).read_text())
        parsed = containers.parse_docker_info(info)
        assert "runc" in parsed["runtimes"] or parsed["runtimes"] == []
        if has_nvidia is False:
            assert "nvidia" not in parsed["runtimes"]


def test_unreachable_docker_is_a_fact(tmp_path: Path) -> None:
    # A socket path that exists but nothing listens on: the SDK's error becomes a reason.
    sock = tmp_path / "root/var/run/docker.sock"
    sock.parent.mkdir(parents=True)
    sock.write_text("")
    host = make_host(tmp_path, {}, host={"env": {"DOCKER_HOST": f"unix://{sock}"}})
    facts = containers.probe(context(host), in_container=False)
    assert facts.docker_reachable is False
    assert facts.docker_error


def test_inside_a_container_lists_what_was_passed_in(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14": b"",
                                "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1": b""},
                     host={"stats": {"/dev/nvidia0": {"mode": "020666"}}})
    (tmp_path / "root/dev").mkdir()
    (tmp_path / "root/dev/nvidia0").write_text("")
    facts = containers.probe(context(host), in_container=True)
    assert facts.gpu_devices_in_container == ["/dev/nvidia0"]
    assert len(facts.driver_libraries_in_container) == 2
