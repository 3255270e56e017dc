"""ED00xx (the tool itself) and ED01xx (host, CPU, BLAS, Python): fires, near misses, unknowns.

Each case starts from the recorded machine closest to it and changes only what the case
is about. Values that come from the knowledge base (newest known releases, the build
the planner picks) are the tables' values as of their current as-of dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from envdoctor.doctor import Doctor
from envdoctor.report import Severity
from envdoctor.rules.base import Category, Context, Issue, Rule
from tests.rules.builders import DELETE, build, fires, host_data, quiet, run

AZURE_MKL = "azure-epyc-ubuntu2004-conda-mkl"  # conda env 'det', numpy 1.20.3 + MKL, EPYC
XEON = "xeon-x7550-ubi8-docker-limits"  # container, 0.2 CPU quota, 64 CPUs, no AVX
TOOLBOX = "toolbox-podman-fedora42-cgroup2"  # container, 0.42 CPU quota, 8 CPUs, Py 3.13
EPYC = "epyc7451-ubuntu2204-baremetal"  # Ubuntu 22.04, 96 CPUs, pip numpy 1.21.6 OpenBLAS
WSL_VENV = "i7-1165g7-wsl2-ubuntu2004-venv"  # WSL 2, venv, numpy 2.0.2, no GPU driver
PROBE_TROUBLE = "aws-al2023-cpuinfo-denied-lscpu-hangs"  # cpuinfo EACCES, lscpu hangs
RTX4090 = "rtx4090-ubuntu2204-torch-cu124"  # torch 2.5.1 cu124, driver 535.86.05
TWO_TOOLKITS = "two-toolkits-path-vs-default"  # torch 2.15.0, driver 590, CUDA 13.3 + 11.0
V100S = "v100s-x8-datacentre-torch113"  # 8x V100S, driver 460.73.01, torch 1.13.1, Py 3.10
GRAVITON = "aws-graviton2-al2-cut-short"  # aarch64, Python 3.7.16
ARM64 = "arm64-cortexx3-debian12"  # aarch64 Debian 12, Python 3.11.2
MI300X = "mi300x-rocm7"  # ROCm 7.14.0
GCP_GARBAGE = "gcp-debian11-garbage-cpuinfo"  # binary /proc/cpuinfo, /proc/meminfo EACCES
CONTAINER_NO_GPU = "container-without-gpu"  # the host's RTX 4090 on the bus, nothing inside

TF_CPU_215 = {"name": "tensorflow", "distribution": "tensorflow-cpu", "version": "2.15.1",
              "build": "cpu", "location": "/usr/local/lib/python3.11/site-packages"}


def _with_framework(host: str, fw: dict[str, Any]) -> list[dict[str, Any]]:
    """The host's frameworks plus ``fw``."""
    return [*host_data(host)["frameworks"], fw]


# --------------------------------------------------------------------------- ED0001


def test_ED0001_fires_on_a_crashed_probe_with_its_detail() -> None:
    facts = build(PROBE_TROUBLE, {
        "probes.nvidia.status": "failed",
        "probes.nvidia.detail": "probe crashed: ValueError: invalid literal for int() "
                                "with base 16: 'zz'"})
    finding = fires("ED0001", facts)
    assert finding.message == ("nvidia: probe crashed: ValueError: invalid literal for int() "
                               "with base 16: 'zz'")
    assert finding.severity is Severity.WARNING
    assert finding.category == "tool"
    assert finding.evidence == ["probes.nvidia.status=failed"]
    assert "envdoctor snapshot -o facts.json" in (finding.fix_note or "")
    assert "-v" not in (finding.fix_note or "")  # -v adds nothing for a probe's crash


def test_ED0001_fires_once_per_failed_probe_and_without_detail() -> None:
    facts = build(PROBE_TROUBLE, {"probes.nvidia.status": "failed", "probes.nvidia.detail": None,
                                  "probes.rocm.status": "failed",
                                  "probes.rocm.detail": "probe crashed: OSError: [Errno 5]"})
    assert [f.message for f in run("ED0001", facts)] == [
        "nvidia: no detail", "rocm: probe crashed: OSError: [Errno 5]"]


def test_ED0001_quiet_partial_and_skipped_probes() -> None:
    # The cpu probe is partial (its sources failed): that is ED0002's, not a failure.
    facts = build(PROBE_TROUBLE, {"probes.blas.status": "skipped"})
    assert facts.probe("cpu").status.value == "partial"
    quiet("ED0001", facts)


def test_ED0001_quiet_without_probe_records() -> None:
    quiet("ED0001", build(None))


# --------------------------------------------------------------------------- ED0002


def test_ED0002_fires_on_unreadable_cpuinfo_and_hung_lscpu() -> None:
    finding = fires("ED0002", build(PROBE_TROUBLE))
    assert finding.message == "cpu: /proc/cpuinfo: permission denied; lscpu timed out after 5.0 s"
    assert finding.severity is Severity.WARNING
    assert finding.evidence == [
        "probes.cpu.problems=[/proc/cpuinfo: permission denied, lscpu timed out after 5.0 s]"]
    assert "--timeout" in (finding.fix_note or "")


def test_ED0002_fires_for_each_probe_with_problems() -> None:
    messages = [f.message for f in run("ED0002", build(GCP_GARBAGE))]
    assert messages == ["cpu: /proc/cpuinfo holds binary data, not a CPU description",
                        "resources: /proc/meminfo: permission denied"]


def test_ED0002_quiet_when_the_probe_with_problems_failed_outright() -> None:
    # A failed probe is ED0001's; its problems are not reported a second time.
    quiet("ED0002", build(PROBE_TROUBLE, {"probes.cpu.status": "failed"}))


def test_ED0002_quiet_for_partial_probes_without_problems() -> None:
    # The os and python probes are partial only because some facts are absent.
    facts = build(PROBE_TROUBLE, {"probes.cpu.problems": []})
    assert facts.probe("os").status.value == "partial"
    quiet("ED0002", facts)


def test_ED0002_quiet_without_probe_records() -> None:
    quiet("ED0002", build(None))


# --------------------------------------------------------------------------- ED0003


def _made_up(check: Any) -> Rule:
    return Rule(code="ED0699", name="made-up-thing-broken", title="t",
                severity=Severity.ERROR, category=Category.CONFIG, check=check)


def test_ED0003_fires_when_a_rule_raises() -> None:
    def boom(ctx: Context) -> Iterator[Issue]:
        _ = ctx.facts.frameworks[5]  # a rule that assumed more frameworks than there are
        yield Issue("never")

    findings = Doctor(rules=[_made_up(boom)]).check(build(RTX4090)).findings
    assert len(findings) == 1
    crash = findings[0]
    assert crash.code == "ED0003"
    assert crash.name == "rule-crashed"
    assert crash.message == "ED0699 (made-up-thing-broken) crashed: IndexError: list index " \
                            "out of range"
    assert crash.severity is Severity.WARNING  # not the crashed rule's ERROR
    assert crash.category == "tool"
    assert crash.evidence == ["rule=ED0699"]
    assert "envdoctor snapshot -o facts.json" in (crash.fix_note or "")


def test_ED0003_fires_and_drops_what_the_rule_yielded_before_raising() -> None:
    def half(ctx: Context) -> Iterator[Issue]:
        yield Issue("first of two")
        raise KeyError("cuda")

    findings = Doctor(rules=[_made_up(half)]).check(build(RTX4090)).findings
    assert [(f.code, f.message) for f in findings] == [
        ("ED0003", "ED0699 (made-up-thing-broken) crashed: KeyError: 'cuda'")]


def test_ED0003_quiet_when_the_rule_runs_fine() -> None:
    def fine(ctx: Context) -> Iterator[Issue]:
        yield Issue(f"{len(ctx.facts.frameworks)} framework(s)")

    findings = Doctor(rules=[_made_up(fine)]).check(build(RTX4090)).findings
    assert [(f.code, f.message) for f in findings] == [("ED0699", "1 framework(s)")]


def test_ED0003_quiet_for_a_rule_with_nothing_to_say_on_empty_facts() -> None:
    def nothing(ctx: Context) -> Iterator[Issue]:
        yield from ()

    assert Doctor(rules=[_made_up(nothing)]).check(build(None)).findings == []
    quiet("ED0003", build(None))  # the registered rule itself never yields


# --------------------------------------------------------------------------- ED0004


def test_ED0004_fires_for_torch_newer_than_the_tables() -> None:
    finding = fires("ED0004", build(TWO_TOOLKITS))
    assert finding.message == ("torch 2.15.0 (newest known 2.14.0) is newer than envdoctor's "
                               "knowledge base: checks that need its rows are skipped.")
    assert finding.fix == ["pip install -U envdoctor"]
    assert finding.severity is Severity.INFO
    assert finding.evidence == ["torch 2.15.0"]


def test_ED0004_fires_for_a_driver_branch_newer_than_the_tables() -> None:
    facts = build(RTX4090, {"nvidia.userspace_version": "620.12",
                            "nvidia.kernel_module_version": "620.12"})
    finding = fires("ED0004", facts)
    assert finding.message.startswith("NVIDIA driver 620.12 (newest known branch 610) is newer")


def test_ED0004_fires_for_the_kernel_module_when_user_space_is_unknown() -> None:
    facts = build(RTX4090, {"nvidia.userspace_version": None,
                            "nvidia.kernel_module_version": "620.12"})
    assert fires("ED0004", facts).message.startswith("NVIDIA driver 620.12 ")


def test_ED0004_fires_for_a_cuda_toolkit_newer_than_the_tables() -> None:
    facts = build(TWO_TOOLKITS, {"cuda.toolkits.0.version": "13.5.0",
                                 "frameworks.torch.version": "2.14.0"})
    finding = fires("ED0004", facts)
    assert finding.message == ("CUDA 13.5.0 at /usr/local/cuda-13.3 (newest known 13.4.1) is "
                               "newer than envdoctor's knowledge base: checks that need its "
                               "rows are skipped.")


def test_ED0004_fires_for_rocm_newer_than_the_tables() -> None:
    finding = fires("ED0004", build(MI300X, {"rocm.rocm_version": "7.15.0"}))
    assert finding.message.startswith("ROCm 7.15.0 (newest known 7.14) is newer")


def test_ED0004_quiet_at_exactly_the_newest_known_versions() -> None:
    quiet("ED0004", build(TWO_TOOLKITS, {"frameworks.torch.version": "2.14.1",
                                         "nvidia.userspace_version": "610.43",
                                         "nvidia.kernel_module_version": "610.43",
                                         "cuda.toolkits.0.version": "13.4.9"}))
    quiet("ED0004", build(MI300X, {"rocm.rocm_version": "7.14.9"}))


def test_ED0004_quiet_for_unknown_versions() -> None:
    quiet("ED0004", build(TWO_TOOLKITS, {"frameworks.torch.version": None,
                                         "cuda.toolkits.0.version": None}))
    quiet("ED0004", build(None))


# --------------------------------------------------------------------------- ED0101


def test_ED0101_fires_for_debian_numpy_on_the_netlib_alternative() -> None:
    facts = build(EPYC, {
        "blas.numpy_version": "1.21.5",  # Ubuntu 22.04's python3-numpy
        "blas.numpy_location": "/usr/lib/python3/dist-packages/numpy",
        "blas.blas": "reference",
        "blas.source": "/etc/alternatives/libblas.so.3-x86_64-linux-gnu",
        "blas.blas_detail": "libblas.so.3 -> /usr/lib/x86_64-linux-gnu/blas/libblas.so.3"})
    finding = fires("ED0101", facts)
    assert finding.message == ("numpy 1.21.5 uses the reference BLAS (libblas.so.3 -> "
                               "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3).")
    assert finding.fix == [
        "sudo apt-get install -y libopenblas0-pthread",
        "sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu "
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"]
    assert finding.severity is Severity.WARNING


def test_ED0101_fires_for_a_source_built_numpy_with_a_pinned_wheel_reinstall() -> None:
    # numpy's build config names a generic "blas" and nothing else tells which one.
    finding = fires("ED0101", build(EPYC, {"blas.blas": "reference"}))
    assert finding.message == "numpy 1.21.6 uses the reference BLAS."
    # Same version (nothing built against it breaks), from the wheel that bundles OpenBLAS.
    assert finding.fix == [
        "pip install --force-reinstall --no-deps --only-binary=numpy 'numpy==1.21.6'"]


def test_ED0101_fires_for_conda_forge_netlib_with_a_variant_switch() -> None:
    facts = build(AZURE_MKL, {
        "python.conda_packages.blas": {"name": "libblas", "version": "3.9.0",
                                       "build": "20_linux64_netlib"},
        "blas.blas": "reference",
        "blas.blas_detail": "conda libblas 3.9.0 build 20_linux64_netlib"})
    finding = fires("ED0101", facts)
    assert finding.message == ("numpy 1.20.3 uses the reference BLAS (conda libblas 3.9.0 "
                               "build 20_linux64_netlib).")
    assert finding.fix == ['conda install -n det "libblas=*=*openblas"']


def test_ED0101_quiet_for_numpy_with_openblas() -> None:
    quiet("ED0101", build(EPYC))


def test_ED0101_quiet_when_the_blas_is_unknown() -> None:
    quiet("ED0101", build(EPYC, {"blas.blas": None, "blas.source": None}))
    quiet("ED0101", build(None))


# --------------------------------------------------------------------------- ED0102


def test_ED0102_fires_for_anaconda_mkl_on_epyc() -> None:
    finding = fires("ED0102", build(AZURE_MKL))
    assert finding.message == "numpy 1.20.3 uses MKL on an AMD EPYC 7451 24-Core Processor."
    # Anaconda's channel switches through the blas 1.0 metapackage (no libblas there),
    # in the environment that was examined.
    assert finding.fix == ['conda install -n det "blas=*=openblas"']
    assert finding.severity is Severity.WARNING
    assert "cpu.vendor=amd" in finding.evidence


def test_ED0102_fires_for_conda_forge_mkl_with_the_libblas_switch() -> None:
    facts = build(AZURE_MKL, {
        "python.conda_packages.blas": {"name": "libblas", "version": "3.9.0",
                                       "build": "20_linux64_mkl"},
        "blas.blas_detail": "conda libblas 3.9.0 build 20_linux64_mkl"})
    assert fires("ED0102", facts).fix == ['conda install -n det "libblas=*=*openblas"']


def test_ED0102_fires_for_debian_numpy_on_the_mkl_alternative() -> None:
    facts = build(EPYC, {
        "blas.numpy_version": "1.21.5",
        "blas.numpy_location": "/usr/lib/python3/dist-packages/numpy",
        "blas.blas": "mkl",
        "blas.source": "/etc/alternatives/libblas.so.3-x86_64-linux-gnu",
        "blas.blas_detail": "libblas.so.3 -> /usr/lib/x86_64-linux-gnu/libmkl_rt.so"})
    finding = fires("ED0102", facts)
    # Not pip: this numpy belongs to apt, and MKL's alternative may have been set by hand.
    assert finding.fix == [
        "sudo apt-get install -y libopenblas0-pthread",
        "sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu "
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"]


def test_ED0102_fires_for_a_pip_numpy_built_against_mkl() -> None:
    finding = fires("ED0102", build(EPYC, {"blas.blas": "mkl"}))
    assert finding.fix == [
        "pip install --force-reinstall --no-deps --only-binary=numpy 'numpy==1.21.6'"]


def test_ED0102_quiet_for_mkl_on_an_intel_cpu() -> None:
    quiet("ED0102", build(AZURE_MKL, {
        "cpu.vendor": "intel", "cpu.vendor_id": "GenuineIntel",
        "cpu.model": "Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz"}))


def test_ED0102_quiet_for_openblas_on_an_amd_cpu() -> None:
    quiet("ED0102", build(EPYC))


def test_ED0102_quiet_when_the_cpu_vendor_is_unknown() -> None:
    quiet("ED0102", build(AZURE_MKL, {"cpu": host_data(PROBE_TROUBLE)["cpu"]}))
    quiet("ED0102", build(None))


# --------------------------------------------------------------------------- ED0103


def test_ED0103_fires_when_omp_threads_exceed_the_cgroup_quota() -> None:
    finding = fires("ED0103", build(XEON, {"env.variables.OMP_NUM_THREADS": "8"}))
    assert finding.message == "OMP_NUM_THREADS=8, but the cgroup quota allows 0.2 CPUs."
    assert finding.fix == ["export OMP_NUM_THREADS=1"]
    assert finding.evidence == ["env.OMP_NUM_THREADS=8", "resources.cpu_limit=0.2"]
    assert finding.severity is Severity.WARNING


def test_ED0103_fires_for_each_variable_over_the_budget() -> None:
    facts = build(TOOLBOX, {"env.variables": {"OMP_NUM_THREADS": "4",
                                              "OPENBLAS_NUM_THREADS": "2",
                                              "MKL_NUM_THREADS": "1"}})
    assert [f.fix for f in run("ED0103", facts)] == [["export OMP_NUM_THREADS=1"],
                                                     ["export OPENBLAS_NUM_THREADS=1"]]


def test_ED0103_fires_against_the_cpuset_when_it_is_smaller_than_the_quota() -> None:
    facts = build(XEON, {"resources.cpu_limit": 8.0, "cpu.usable": 2,
                         "env.variables.OMP_NUM_THREADS": "4"})
    finding = fires("ED0103", facts)
    assert finding.message == "OMP_NUM_THREADS=4, but this process may run on 2 CPUs."
    assert finding.fix == ["export OMP_NUM_THREADS=2"]
    assert finding.evidence == ["env.OMP_NUM_THREADS=4", "cpu.usable=2"]


def test_ED0103_fires_against_the_machines_cpus_when_affinity_is_unknown() -> None:
    facts = build(EPYC, {"env.variables.OMP_NUM_THREADS": "192"})
    finding = fires("ED0103", facts)
    assert finding.message == "OMP_NUM_THREADS=192, but this machine has 96 CPUs."
    assert finding.fix == ["export OMP_NUM_THREADS=96"]
    assert finding.evidence == ["env.OMP_NUM_THREADS=192", "cpu.threads=96"]


def test_ED0103_quiet_at_exactly_the_budget() -> None:
    quiet("ED0103", build(EPYC))  # OMP_NUM_THREADS=96 on 96 CPUs
    quiet("ED0103", build(XEON, {"env.variables.OMP_NUM_THREADS": "1"}))  # ceil(0.2) = 1
    quiet("ED0103", build(XEON, {"resources.cpu_limit": 2.5,
                                 "env.variables.OMP_NUM_THREADS": "3"}))


def test_ED0103_quiet_for_values_that_are_not_a_count() -> None:
    # OpenMP's nested form and an empty value are not thread counts to compare.
    quiet("ED0103", build(XEON, {"env.variables": {"OMP_NUM_THREADS": "4,2",
                                                   "MKL_NUM_THREADS": ""}}))


def test_ED0103_quiet_when_the_cpus_are_unknown() -> None:
    quiet("ED0103", build(PROBE_TROUBLE, {"env.variables.OMP_NUM_THREADS": "64"}))
    quiet("ED0103", build(None, {"env": {"variables": {"OMP_NUM_THREADS": "64"}}}))


# --------------------------------------------------------------------------- ED0104


def test_ED0104_fires_in_a_container_with_a_fractional_quota() -> None:
    finding = fires("ED0104", build(XEON))
    assert finding.message == ("The cgroup quota allows 0.2 CPUs, but 64 CPUs are visible and "
                               "no thread-count variable is set.")
    assert finding.fix == ["export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1"]
    assert finding.severity is Severity.INFO
    # The visible count came from the CPU count, not from an affinity the probe never read.
    assert finding.evidence == ["resources.cpu_limit=0.2", "cpu.threads=64"]


def test_ED0104_fires_with_the_quota_rounded_up() -> None:
    finding = fires("ED0104", build(TOOLBOX, {"resources.cpu_limit": 2.5}))
    assert finding.fix == ["export OMP_NUM_THREADS=3 MKL_NUM_THREADS=3"]


def test_ED0104_fires_against_the_affinity_when_known() -> None:
    finding = fires("ED0104", build(XEON, {"cpu.usable": 16}))
    assert "16 CPUs are visible" in finding.message
    assert finding.evidence == ["resources.cpu_limit=0.2", "cpu.usable=16"]


def test_ED0104_quiet_when_the_quota_is_within_one_cpu_of_the_visible_ones() -> None:
    quiet("ED0104", build(TOOLBOX, {"resources.cpu_limit": 7.5}))  # 8 CPUs visible
    fires("ED0104", build(TOOLBOX, {"resources.cpu_limit": 7.0}))


def test_ED0104_quiet_when_a_thread_count_is_set() -> None:
    quiet("ED0104", build(XEON, {"env.variables.OMP_NUM_THREADS": "1"}))


def test_ED0104_quiet_without_a_quota_or_cpu_count() -> None:
    quiet("ED0104", build(EPYC, {"env.variables": {}}))  # bare metal: no quota
    quiet("ED0104", build(XEON, {"cpu": host_data(PROBE_TROUBLE)["cpu"]}))
    quiet("ED0104", build(None))


# --------------------------------------------------------------------------- ED0105


def test_ED0105_fires_for_tensorflow_on_a_cpu_without_avx() -> None:
    finding = fires("ED0105", build(XEON, {"frameworks": [TF_CPU_215]}))
    assert finding.message == ("tensorflow-cpu 2.15.1 is installed on Intel(R) Xeon(R) CPU "
                               "X7550 @ 2.00GHz, which has no AVX: importing it will die with "
                               "'Illegal instruction'.")
    assert finding.severity is Severity.ERROR
    assert finding.fix == []
    assert "build TensorFlow from source" in (finding.fix_note or "")


def test_ED0105_quiet_on_a_cpu_with_avx() -> None:
    quiet("ED0105", build(TOOLBOX, {"frameworks": [TF_CPU_215]}))


def test_ED0105_quiet_for_tensorflow_before_avx_builds() -> None:
    quiet("ED0105", build(XEON, {"frameworks": [dict(TF_CPU_215, version="1.5.1")]}))


def test_ED0105_quiet_on_arm() -> None:
    quiet("ED0105", build(ARM64, {"frameworks": [
        dict(TF_CPU_215, distribution="tensorflow",
             location="/usr/local/lib/python3.11/dist-packages")]}))


def test_ED0105_quiet_without_tensorflow_or_cpu_facts() -> None:
    quiet("ED0105", build(XEON))
    quiet("ED0105", build(PROBE_TROUBLE, {"frameworks": [TF_CPU_215]}))  # cpuinfo unreadable
    quiet("ED0105", build(None, {"frameworks": [TF_CPU_215]}))


# --------------------------------------------------------------------------- ED0106


def test_ED0106_fires_with_a_build_that_runs_on_this_driver_and_gpu() -> None:
    # torch 1.13.1 forced into Python 3.12 on 8 V100S with driver 460: the newest torch
    # (CUDA 13 wheels, no sm_70, driver >= 580) would not run; a CUDA 11.8 build does.
    finding = fires("ED0106", build(V100S, {"python.version": "3.12.3"}))
    assert finding.message == "torch 1.13.1 supports Python 3.7–3.10; this environment runs 3.12."
    assert finding.severity is Severity.ERROR
    assert len(finding.fix) == 1
    assert finding.fix[0].startswith("pip install torch==2.")
    assert finding.fix[0].endswith("--index-url https://download.pytorch.org/whl/cu118")
    assert finding.evidence == ["python.version=3.12.3", "frameworks.torch=1.13.1"]


def test_ED0106_fires_on_a_newer_python_with_the_plain_range() -> None:
    finding = fires("ED0106", build(RTX4090, {"python.version": "3.14.0"}))
    assert finding.message == "torch 2.5.1 supports Python 3.9–3.13; this environment runs 3.14."
    # Driver 535 (CUDA 12.2) runs CUDA 12.x builds through minor-version compatibility only.
    assert "--index-url https://download.pytorch.org/whl/cu12" in finding.fix[0]


def test_ED0106_fires_and_replaces_a_renamed_tensorflow_distribution() -> None:
    finding = fires("ED0106", build(TOOLBOX, {"frameworks": [TF_CPU_215]}))  # Python 3.13
    assert finding.message == ("tensorflow-cpu 2.15.1 supports Python 3.9–3.11; this "
                               "environment runs 3.13.")
    assert finding.fix[0] == "pip uninstall -y tensorflow-cpu"
    assert finding.fix[1].startswith('pip install "tensorflow==2.')


def test_ED0106_fires_with_a_note_when_no_release_supports_this_python() -> None:
    jax = {"name": "jax", "distribution": "jax", "version": "0.4.25", "build": "cpu",
           "location": "/usr/local/lib/python3.7/site-packages"}
    finding = fires("ED0106", build(GRAVITON, {"frameworks": [jax]}))  # Python 3.7
    assert finding.message == "jax 0.4.25 supports Python 3.9–3.12; this environment runs 3.7."
    assert finding.fix == []
    assert "supports Python 3.7" in (finding.fix_note or "")


def test_ED0106_quiet_at_the_newest_supported_python() -> None:
    quiet("ED0106", build(RTX4090, {"python.version": "3.13.1"}))
    quiet("ED0106", build(XEON, {"frameworks": [TF_CPU_215]}))  # 2.15 on 3.11


def test_ED0106_quiet_for_unknown_python_or_release() -> None:
    quiet("ED0106", build(V100S, {"python.version": None}))
    quiet("ED0106", build(V100S, {"python.version": "3", "frameworks.torch.version": "1.13.1"}))
    quiet("ED0106", build(V100S, {"python.version": "3.12.3",
                                  "frameworks.torch.version": None}))
    quiet("ED0106", build(V100S, {"python.version": "3.12.3",
                                  "frameworks.torch.version": "0.4.1"}))  # not in the tables
    quiet("ED0106", build(None))


# --------------------------------------------------------------------------- ED0107

TORCH_212_CPU = {"name": "torch", "distribution": "torch", "version": "2.1.2", "build": "cpu",
                 "local_tag": "cpu",
                 "location": "/home/bob/.venvs/ml/lib/python3.11/site-packages"}


def test_ED0107_fires_for_numpy2_beside_torch_built_for_numpy1() -> None:
    finding = fires("ED0107", build(WSL_VENV, {"frameworks": [TORCH_212_CPU]}))
    assert finding.message == ("numpy 2.0.2 is installed beside torch 2.1.2, which was built "
                               "for numpy 1.")
    assert finding.fix == ["pip install 'numpy<2'"]
    assert finding.severity is Severity.ERROR


def test_ED0107_fires_for_tensorflow_before_2_18() -> None:
    tf = dict(TF_CPU_215, version="2.17.1",
              location="/home/bob/.venvs/ml/lib/python3.11/site-packages")
    finding = fires("ED0107", build(WSL_VENV, {"frameworks": [tf]}))
    assert finding.message == ("numpy 2.0.2 is installed beside tensorflow-cpu 2.17.1, which "
                               "was built for numpy 1.")


def test_ED0107_fires_with_conda_for_a_conda_numpy() -> None:
    site = "/opt/conda/envs/ml/lib/python3.11/site-packages"
    facts = build(None, {
        "python": {"version": "3.11.9", "environment": "conda", "environment_name": "ml",
                   "prefix": "/opt/conda/envs/ml",
                   "distributions": [{"name": "numpy", "version": "2.0.2",
                                      "installer": "conda", "location": site},
                                     {"name": "torch", "version": "2.2.2",
                                      "installer": "pip", "location": site}],
                   "conda_packages": [{"name": "numpy", "version": "2.0.2",
                                       "build": "py311h71ddf71_1"}]},
        "blas": {"numpy_version": "2.0.2"},
        "frameworks": [dict(TORCH_212_CPU, version="2.2.2", location=site)]})
    assert fires("ED0107", facts).fix == ['conda install -n ml "numpy<2"']


def test_ED0107_quiet_for_torch_built_for_numpy2() -> None:
    quiet("ED0107", build(WSL_VENV, {"frameworks": [dict(TORCH_212_CPU, version="2.3.1")]}))


def test_ED0107_quiet_for_numpy1_beside_an_old_torch() -> None:
    quiet("ED0107", build(WSL_VENV, {"frameworks": [TORCH_212_CPU],
                                     "blas.numpy_version": "1.26.4"}))


def test_ED0107_quiet_for_unknown_numpy_or_release() -> None:
    quiet("ED0107", build(WSL_VENV, {"frameworks": [TORCH_212_CPU],
                                     "blas.numpy_version": None}))
    quiet("ED0107", build(WSL_VENV, {"frameworks": [dict(TORCH_212_CPU, version=None)]}))
    quiet("ED0107", build(None))


# --------------------------------------------------------------------------- ED0108


def test_ED0108_fires_on_a_cpu_only_machine() -> None:
    finding = fires("ED0108", build(EPYC))
    assert finding.message == "No NVIDIA or AMD GPU found on this machine. numpy uses openblas."
    assert finding.severity is Severity.INFO
    # The fix is a command that exists: the cloud catalogue.
    assert finding.fix == ["envdoctor cloud gpus"]
    assert "https://download.pytorch.org/whl/cpu" in (finding.fix_note or "")


def test_ED0108_fires_without_numpy() -> None:
    assert fires("ED0108", build(ARM64)).message == "No NVIDIA or AMD GPU found on this machine."


def test_ED0108_quiet_with_a_gpu_on_the_bus_but_no_driver() -> None:
    quiet("ED0108", build(CONTAINER_NO_GPU))


def test_ED0108_quiet_under_wsl2_with_the_windows_driver() -> None:
    quiet("ED0108", build(WSL_VENV, {"nvidia.wsl_driver_dir": "/usr/lib/wsl/lib"}))


def test_ED0108_quiet_when_the_gpu_probes_failed() -> None:
    quiet("ED0108", build(EPYC, {"probes.nvidia.status": "failed",
                                 "probes.nvidia.detail": "probe crashed: OSError: [Errno 5]"}))


def test_ED0108_quiet_when_the_gpu_probes_did_not_run() -> None:
    quiet("ED0108", build(EPYC, {"probes.rocm.status": "skipped"}))
    quiet("ED0108", build(EPYC, {"probes.nvidia": DELETE}))
    quiet("ED0108", build(None))


def test_ED0108_quiet_on_macos() -> None:
    quiet("ED0108", build(EPYC, {"os.system": "Darwin"}))


def test_ED0108_quiet_for_reports_that_cannot_tell() -> None:
    quiet("ED0108", build(EPYC, {"origin.kind": "report"}))
    quiet("ED0108", build(EPYC, {"origin.kind": "snapshot"}))


# --------------------------------------------------------------------------- all of them

MINE = ["ED0001", "ED0002", "ED0003", "ED0004", "ED0101", "ED0102", "ED0103", "ED0104",
        "ED0105", "ED0106", "ED0107", "ED0108"]


@pytest.mark.parametrize("code", MINE)
def test_rules_stay_quiet_on_empty_facts(code: str) -> None:
    quiet(code, build(None))
