"""Memory, cgroup limits (v1 and v2) and /dev/shm."""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.probes import resources
from tests.probes.helpers import context, make_host, recording


def test_meminfo_01_real_recording() -> None:
    values = resources.parse_meminfo(recording("meminfo/aws-t3.medium_al2_5.10_meminfo"))
    assert values["MemTotal"] % 1024 == 0
    assert values["MemTotal"] > values["MemAvailable"] > 0


def test_meminfo_02_garbage_lines_are_skipped() -> None:
    assert resources.parse_meminfo("MemTotal: lots kB\nbroken\nSwapTotal: 0 kB\n") == {
        "SwapTotal": 0}


@pytest.mark.parametrize(("text", "size"), [
    ("65536k", 64 << 20), ("8g", 8 << 30), ("1024", 1024), ("50%", 500), ("x", None),
])
def test_tmpfs_size_option(text: str, size: int | None) -> None:
    assert resources.parse_size(text, mem_total=1000) == size


def test_cgroup_v2_limits_at_the_namespace_root(tmp_path: Path) -> None:
    host = make_host(tmp_path, {
        "/proc/self/cgroup": recording("cgroup/docker-v2-cgroupns-private_proc-1-cgroup"),
        "/sys/fs/cgroup/cpu.max": recording("cgroup/podman-v2-systemd_cpu.max"),
        "/sys/fs/cgroup/memory.max": recording("cgroup/podman-v2-systemd_memory.max"),
    })
    facts = resources.probe(context(host))
    assert (facts.cgroup_version, facts.cpu_limit, facts.memory_limit) == (2, 0.42, 44040192)


def test_cgroup_v2_unlimited(tmp_path: Path) -> None:
    host = make_host(tmp_path, {
        "/proc/self/cgroup": "0::/\n",
        "/sys/fs/cgroup/cpu.max": "max 100000\n",
        "/sys/fs/cgroup/memory.max": "max\n",
    })
    facts = resources.probe(context(host))
    assert (facts.cgroup_version, facts.cpu_limit, facts.memory_limit) == (2, None, None)


def test_cgroup_v2_limit_on_an_ancestor_counts(tmp_path: Path) -> None:
    host = make_host(tmp_path, {
        "/proc/self/cgroup": "0::/user.slice/job.scope\n",
        "/sys/fs/cgroup/cgroup.controllers": "cpu memory\n",
        "/sys/fs/cgroup/user.slice/cpu.max": "200000 100000\n",
        "/sys/fs/cgroup/user.slice/job.scope/cpu.max": "max 100000\n",
    })
    assert resources.probe(context(host)).cpu_limit == 2.0


def test_cgroup_v1_in_a_docker_container(tmp_path: Path) -> None:
    host = make_host(tmp_path, {
        "/proc/self/cgroup": recording("cgroup/docker-v1_proc-self-cgroup_debian10"),
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us":
            recording("cgroup/docker-v1-centos7_cpu.cfs_quota_us"),
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us":
            recording("cgroup/docker-v1-centos7_cpu.cfs_period_us"),
        "/sys/fs/cgroup/memory/memory.limit_in_bytes":
            recording("cgroup/docker-v1-limited-200MiB_memory.limit_in_bytes"),
    })
    facts = resources.probe(context(host))
    assert (facts.cgroup_version, facts.cpu_limit, facts.memory_limit) == (1, 0.2, 209715200)


def test_cgroup_v1_unlimited_values(tmp_path: Path) -> None:
    host = make_host(tmp_path, {
        "/proc/self/cgroup": "4:memory:/\n3:cpu,cpuacct:/\n",
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
    })
    facts = resources.probe(context(host))
    assert (facts.cgroup_version, facts.cpu_limit, facts.memory_limit) == (1, None, None)


def test_hybrid_host_reads_v1_limits(tmp_path: Path) -> None:
    # A hybrid host lists a 0:: line too, but v2 is mounted at /sys/fs/cgroup/unified.
    host = make_host(tmp_path, {
        "/proc/self/cgroup": recording("cgroup/docker-v1_proc-1-cgroup_ctrsploit"),
        "/sys/fs/cgroup/memory/memory.limit_in_bytes": "209715200\n",
    })
    assert resources.probe(context(host)).cgroup_version == 1


def test_shm_size_from_mountinfo(tmp_path: Path) -> None:
    host = make_host(tmp_path, {
        "/proc/self/mountinfo": recording("cgroup/docker-24.0.2-v2_mountinfo_newrelic"),
        "/proc/meminfo": "MemTotal: 1000 kB\n",
    })
    facts = resources.probe(context(host))
    assert (facts.shm_size, facts.shm_source) == (64 << 20, "mountinfo size=")


def test_shm_without_size_is_half_of_memory(tmp_path: Path) -> None:
    host = make_host(tmp_path, {
        "/proc/self/mountinfo": recording("cgroup/podman-rhcos-toolbox-v1_mountinfo_sosreport"),
        "/proc/meminfo": "MemTotal: 1000 kB\n",
    })
    facts = resources.probe(context(host))
    assert (facts.shm_size, facts.shm_source) == (512000, "tmpfs default (half of memory)")
