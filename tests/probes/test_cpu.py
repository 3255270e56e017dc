"""CPU probe: /proc/cpuinfo and lscpu parsing, edge cases and fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.probes import cpu
from tests.probes.helpers import context, make_host, recording


@pytest.mark.parametrize(("rel", "vendor", "model", "sockets", "cores", "threads", "isa"), [
    ("proc-cpuinfo/utillinux_amd_epyc-7451_2s_96threads.txt", "amd",
     "AMD EPYC 7451 24-Core Processor", 2, 48, 96, ["avx", "avx2", "f16c", "fma", "sse4_2"]),
    ("proc-cpuinfo/utillinux_intel_core-i7-1165g7_8threads.txt", "intel",
     "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", 1, 4, 8,
     ["avx", "avx2", "avx512_vnni", "avx512bw", "avx512cd", "avx512dq", "avx512f",
      "avx512ifma", "avx512vbmi", "avx512vl", "f16c", "fma", "sse4_2"]),
    ("proc-cpuinfo/utillinux_intel_xeon-x7550_64cpus.txt", "intel",
     "Intel(R) Xeon(R) CPU X7550 @ 2.00GHz", 4, 32, 64, ["sse4_2"]),
    ("proc-cpuinfo/utillinux_arm64_cortex-a510-a710-a715-x3_8cores.txt", "arm",
     "Cortex-A510 + Cortex-A715 + Cortex-A710 + Cortex-X3", None, 8, 8,
     ["bf16", "dotprod", "fp16", "i8mm", "neon"]),
    ("proc-cpuinfo/archspec-pr9_aws-graviton2_head-8.txt", "arm", "Neoverse-N1", None, 1, 1,
     ["dotprod", "fp16", "neon"]),
])
def test_cpuinfo_01_real_recordings(rel: str, vendor: str, model: str, sockets: int | None,
                                    cores: int, threads: int, isa: list[str]) -> None:
    facts = cpu.parse_cpuinfo(recording(rel))
    assert (facts.vendor, facts.model, facts.sockets, facts.cores, facts.threads) == (
        vendor, model, sockets, cores, threads)
    assert facts.isa == isa


def test_cpuinfo_02_empty_and_garbage_have_no_processors() -> None:
    assert cpu.parse_cpuinfo("").threads is None
    assert cpu.parse_cpuinfo("\x00\x01 nonsense\nno colons here\n").threads is None


def test_cpuinfo_03_crlf_and_blank_block_separators() -> None:
    text = recording("proc-cpuinfo/utillinux_intel_core-i7-1165g7_8threads.txt")
    assert cpu.parse_cpuinfo(text.replace("\n", "\r\n")).threads == 8


def test_cpuinfo_04_hypervisor_flag() -> None:
    text = recording("proc-cpuinfo/utillinux_intel_core-i7-1165g7_8threads.txt")
    assert cpu.parse_cpuinfo(text).hypervisor_flag is False
    assert cpu.parse_cpuinfo(text.replace("flags\t\t: ", "flags\t\t: hypervisor ")
                             ).hypervisor_flag is True


@pytest.mark.parametrize(("rel", "model", "threads", "cores", "isa_has"), [
    ("lscpu/utillinux_amd_epyc-7451.txt", "AMD EPYC 7451 24-Core Processor", 96, 48, "avx2"),
    ("lscpu/archspec-issue83_aws-graviton3_rocky9.txt", "Neoverse-V1", 64, 64, "sve"),
    ("lscpu/utillinux_intel_xeon-x7550_64cpus.txt", "Intel(R) Xeon(R) CPU X7550 @ 2.00GHz",
     64, 32, "sse4_2"),
])
def test_lscpu_01_real_recordings(rel: str, model: str, threads: int, cores: int,
                                  isa_has: str) -> None:
    facts = cpu.parse_lscpu(recording(rel))
    assert (facts.model, facts.threads, facts.cores) == (model, threads, cores)
    assert isa_has in facts.isa
    assert facts.source == "lscpu"


def test_lscpu_02_wrapped_flags_continue_on_the_next_line() -> None:
    # The newer tree layout wraps "Flags:"; i8mm and bf16 are only on the second line.
    facts = cpu.parse_lscpu(recording("lscpu/archspec-issue83_aws-graviton3_rocky9.txt"))
    assert {"i8mm", "bf16"} <= set(facts.isa)


@pytest.mark.parametrize(("text", "count"), [
    ("0-3", 4), ("0-3,8-11", 8), ("5", 1), ("0-1\n", 2), ("", None), ("a-b", None),
])
def test_cpu_list_counting(text: str, count: int | None) -> None:
    assert cpu.count_cpu_list(text) == count


def test_probe_unreadable_cpuinfo_falls_back_to_lscpu(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/proc/cpuinfo": "x"},
                     host={"unreadable": {"/proc/cpuinfo": "permission denied"}},
                     commands={"lscpu.txt": recording("lscpu/utillinux_amd_epyc-7451.txt")})
    ctx = context(host, "cpu")
    facts = cpu.probe(ctx)
    assert facts.threads == 96
    assert facts.source == "lscpu"
    assert ctx.problems == ["/proc/cpuinfo: permission denied"]


def test_probe_without_cpuinfo_or_lscpu_says_why(tmp_path: Path) -> None:
    host = make_host(tmp_path, {}, commands={"lscpu.timeout": ""})
    ctx = context(host, "cpu")
    facts = cpu.probe(ctx)
    assert facts.model is None
    assert "neither /proc/cpuinfo nor lscpu" in facts.unknown["model"]
    assert any("timed out" in p for p in ctx.problems)


def test_probe_under_root_runs_nothing(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    from envdoctor.host import Host

    ctx = context(Host.from_root(tmp_path), "cpu")
    facts = cpu.probe(ctx)
    assert "file-system tree" in facts.unknown["model"]
    assert not [s for s in ctx.sources if s.startswith("$")]
