"""What ``envdoctor check`` finds on every recorded host: the codes a GPU expert expects.

Each host's README says what the machine is; the expectation below is what someone who
knows GPU stacks would flag on it, and nothing else. Facts are dated 2026-11-23 so that
driver end-of-life findings do not change with the day the tests run.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import pytest

from conftest import HOSTS, host_dirs
from envdoctor.doctor import Doctor
from envdoctor.host import Host
from envdoctor.probes import collect
from envdoctor.report import Report, Severity

AS_OF = "2026-11-23T12:00:00Z"

EXPECTED: dict[str, set[str]] = {
    # A10 reserved for a VM: worth knowing, nothing broken.
    "a10-vfio-passthrough": {"ED0209"},
    # R535 reached end of life in June 2026; MIG is set up correctly.
    "a100-mig-dgx-535": {"ED0213"},
    # No GPU at all: told its options.
    "arm64-cortexx3-debian12": {"ED0108"},
    "aws-al2023-cpuinfo-denied-lscpu-hangs": {"ED0002", "ED0108"},
    "aws-graviton2-al2-cut-short": {"ED0108"},
    # numpy with MKL on an AMD EPYC.
    "azure-epyc-ubuntu2004-conda-mkl": {"ED0102", "ED0108"},
    # A CUDA build of torch in a container started without --gpus, with Docker's 64 MiB shm.
    "container-without-gpu": {"ED0602", "ED0603"},
    # Docker without the NVIDIA Container Toolkit on a GPU host.
    "docker-host-no-nvidia-runtime": {"ED0601"},
    "epyc7451-ubuntu2204-baremetal": {"ED0108"},
    "gcp-debian11-garbage-cpuinfo": {"ED0002", "ED0108"},
    "i7-1165g7-wsl2-ubuntu2004-venv": {"ED0108"},
    "mi300x-rocm7": set(),
    "rtx4060-laptop-nouveau": {"ED0202"},
    # Healthy apart from the driver branch's end of life.
    "rtx4090-ubuntu2204-torch-cu124": {"ED0213"},
    # gfx1031 is no ROCm target; the override passes it off as gfx1030 (a warning that
    # names the unsupported workaround), and the user cannot open /dev/kfd.
    "rx6700xt-hsa-override": {"ED0501", "ED0502"},
    # System cuDNN 9.6 on LD_LIBRARY_PATH replaces pip's 9.1 sub-libraries.
    "system-cudnn-shadows-pip": {"ED0306"},
    "toolbox-podman-fedora42-cgroup2": {"ED0104", "ED0108"},
    "truenas-driver-split-580": {"ED0203"},
    # nvcc 11.0 first on PATH and in CUDA_HOME, /usr/local/cuda 13.3, torch newer than the
    # knowledge base.
    "two-toolkits-path-vs-default": {"ED0004", "ED0303", "ED0304", "ED0305"},
    # Driver 460 is long past end of life; torch 1.13 cu117 runs on it.
    "v100s-x8-datacentre-torch113": {"ED0213"},
    "wsl2-rtx2080-linux-driver-inside": {"ED0604"},
    "xeon-x7550-ubi8-docker-limits": {"ED0104", "ED0108"},
}
# Machines where a GPU expert finds nothing that stops work.
HEALTHY = {"a100-mig-dgx-535", "arm64-cortexx3-debian12", "epyc7451-ubuntu2204-baremetal",
           "mi300x-rocm7", "rtx4090-ubuntu2204-torch-cu124", "v100s-x8-datacentre-torch113",
           "i7-1165g7-wsl2-ubuntu2004-venv"}


@cache
def report(name: str) -> Report:
    facts = collect(Host.recorded(HOSTS / name))
    return Doctor().check(dataclasses.replace(facts, collected_at=AS_OF))


def test_every_host_has_an_expectation() -> None:
    assert {h.name for h in host_dirs()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_findings_are_what_an_expert_expects(name: str) -> None:
    found = report(name)
    codes = {f.code for f in found.findings}
    assert codes == EXPECTED[name], [f"{f.code}: {f.message}" for f in found.findings]
    assert not found.ignored


@pytest.mark.parametrize("name", sorted(HEALTHY))
def test_healthy_hosts_have_no_errors(name: str) -> None:
    assert report(name).count(Severity.ERROR) == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_finding_is_complete(name: str) -> None:
    for f in report(name).findings:
        assert f.category and f.title and f.message and f.evidence, f
        assert f.fix or f.fix_note or f.severity is Severity.INFO, f"{f.code} says no fix"
