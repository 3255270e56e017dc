"""OS and platform probes: distribution, kernel, architecture, container, WSL, VM, cloud."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envdoctor.probes import osinfo, platform
from tests.probes.helpers import RECORDINGS, context, make_host, recording


@pytest.mark.parametrize(("rel", "distro_id", "version", "like"), [
    ("os-release/ubuntu-22.04_os-release", "ubuntu", "22.04", ["debian"]),
    ("os-release/rhel-9.6_os-release", "rhel", "9.6", ["fedora"]),
    ("os-release/amazonlinux-2023_os-release", "amzn", "2023", ["fedora"]),
    ("os-release/alpine-3.23_os-release", "alpine", "3.23.2", []),
    ("os-release/arch_os-release", "arch", None, []),
])
def test_os_release_through_distro(tmp_path: Path, rel: str, distro_id: str,
                                   version: str | None, like: list[str]) -> None:
    host = make_host(tmp_path, {"/etc/os-release": recording(rel)})
    facts = osinfo.probe(context(host))
    assert (facts.distro_id, facts.distro_version, facts.distro_like) == (distro_id, version, like)


def test_os_release_link_resolves_inside_an_image(tmp_path: Path) -> None:
    (tmp_path / "root/usr/lib").mkdir(parents=True)
    (tmp_path / "root/usr/lib/os-release").write_text(recording("os-release/debian-12_os-release"))
    (tmp_path / "root/etc").mkdir()
    (tmp_path / "root/etc/os-release").symlink_to("/usr/lib/os-release")  # absolute, in-image
    from envdoctor.host import Host

    facts = osinfo.probe(context(Host.from_root(tmp_path / "root")))
    assert facts.distro_codename == "bookworm"


@pytest.mark.parametrize(("rel", "kernel"), [
    ("proc-version/ubuntu-24.04_6.8.0-50-generic", "6.8.0-50-generic"),
    ("proc-version/wsl2_5.4.72-microsoft-standard-WSL2", "5.4.72-microsoft-standard-WSL2"),
])
def test_kernel_release_from_proc_version(tmp_path: Path, rel: str, kernel: str) -> None:
    facts = osinfo.probe(context(make_host(tmp_path, {"/proc/version": recording(rel)})))
    assert facts.kernel == kernel


def test_architecture_from_cpuinfo_when_nothing_else_says(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/proc/cpuinfo": recording(
        "proc-cpuinfo/archspec-pr9_aws-graviton2_head-8.txt")})
    assert osinfo.probe(context(host)).arch == "aarch64"


def test_glibc_version_from_a_versioned_library_name(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/lib/x86_64-linux-gnu/libc-2.31.so": b""})
    facts = osinfo.probe(context(host))
    assert (facts.libc, facts.libc_version) == ("glibc", "2.31")


def test_unbooted_tree_says_why_the_kernel_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "lib/modules/6.8.0-45-generic").mkdir(parents=True)
    from envdoctor.host import Host

    facts = osinfo.probe(context(Host.from_root(tmp_path)))
    assert facts.kernel is None
    assert "not a booted machine" in facts.unknown["kernel"]
    assert facts.kernels_installed == ["6.8.0-45-generic"]


@pytest.mark.parametrize(("rel", "wsl"), [
    ("proc-version/wsl1_4.4.0-18985-Microsoft", 1),
    ("proc-version/wsl1-2016_3.4.0-Microsoft", 1),
    ("proc-version/wsl2-early_4.19.67-microsoft-standard", 2),
    ("proc-version/wsl2_5.4.72-microsoft-standard-WSL2", 2),
    ("proc-version/azure-aks-ubuntu-18.04_5.4.0-1072-azure", None),
    ("proc-version/ubuntu-22.04_5.15.0-130-generic", None),
])
def test_wsl_version_from_the_kernel_string(tmp_path: Path, rel: str, wsl: int | None) -> None:
    host = make_host(tmp_path, {"/proc/version": recording(rel)})
    assert platform.probe(context(host)).wsl == wsl


def dmi_files(rel: str) -> dict[str, str]:
    table = json.loads((RECORDINGS / rel).read_text())
    return {f"/sys/class/dmi/id/{k}": f"{v}\n" for k, v in table.items()}


@pytest.mark.parametrize(("rel", "virt", "cloud"), [
    ("dmi/aws-nitro_c5.json", "amazon", "aws"),
    ("dmi/azure_vm.json", "microsoft", "azure"),
    ("dmi/gcp_gce.json", "google", "gcp"),
    ("dmi/vmware_debian7.json", "vmware", None),
    ("dmi/hyperv-onprem_virt-what.json", "microsoft", None),
    ("dmi/kvm-bochs_virt-what.json", "bochs", None),
    ("dmi/baremetal-asus-m50vn_padded.json", "none", None),
])
def test_hypervisor_and_cloud_from_dmi(tmp_path: Path, rel: str, virt: str,
                                       cloud: str | None) -> None:
    facts = platform.probe(context(make_host(tmp_path, dmi_files(rel))))
    assert facts.virtualization == virt
    assert (facts.cloud.provider if facts.cloud else None) == cloud


def test_ec2_instance_type_from_product_name(tmp_path: Path) -> None:
    files = dmi_files("dmi/aws-nitro_c5.json") | {"/sys/class/dmi/id/product_name": "g5.xlarge\n"}
    facts = platform.probe(context(make_host(tmp_path, files)))
    assert facts.cloud is not None
    assert facts.cloud.instance_type == "g5.xlarge"


@pytest.mark.parametrize(("files", "env", "runtime"), [
    ({"/.dockerenv": ""}, {}, "docker"),
    ({"/run/.containerenv": recording(
        "container-markers/podman-toolbox_run_.containerenv_excerpt")}, {}, "podman"),
    ({"/proc/1/cgroup": recording(
        "cgroup/k8s-v1-containerd-1.4.4_proc-self-cgroup_neuvector")}, {}, "kubernetes"),
    ({}, {"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, "kubernetes"),
    ({"/proc/1/cgroup": recording("cgroup/host-v1_proc-self-cgroup_neuvector")}, {}, None),
])
def test_container_runtime(tmp_path: Path, files: dict[str, str], env: dict[str, str],
                           runtime: str | None) -> None:
    facts = platform.probe(context(make_host(tmp_path, files, host={"env": env})))
    assert facts.container_runtime == runtime
    assert facts.in_container is (runtime is not None)
