"""Fuzzing the collect_env importer: any text gives Facts or a ReportError, nothing else.

Random text, random mutations of the real reports (lines deleted, duplicated, swapped,
garbage inserted, the text cut anywhere), and truncated real reports, which must keep
every fact whose lines they keep. About 200 examples, a few seconds.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envdoctor.facts import Facts
from envdoctor.importers.collect_env import ReportError, parse_collect_env
from tests.importers.test_collect_env import (
    LABELS,
    MAPPING,
    conda_packages,
    cudnn_paths,
    gpu_names,
    label_line,
    meta,
    pip_packages,
    slugs,
    text,
)

SLUGS = slugs()
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])

# Pieces real reports are made of, for random text that looks like a report.
PIECES = [
    "Collecting environment information...", "PyTorch version: 2.5.1+cu124",
    "PyTorch version: N/A", "Is debug build: False", "Is debug build: Yes",
    "CUDA used to build PyTorch: 12.4", "CUDA used to build PyTorch: Could not collect",
    "ROCM used to build PyTorch: 6.2.41133-dd7f95766", "OS: Ubuntu 22.04.4 LTS (x86_64)",
    "OS: macOS 14.5 (arm64)", "OS: Microsoft Windows 11 Pro (10.0.26100 64-bit)",
    "Libc version: glibc-2.35", "Python version: 3.11.9 (main, [GCC 11.2.0] (64-bit runtime)",
    "Python platform: Linux-6.8.0-40-generic-x86_64-with-glibc2.35",
    "Is CUDA available: True", "Is CUDA available: No", "CUDA runtime version: 12.4.131",
    "GPU models and configuration: ", "GPU models and configuration: No CUDA",
    "GPU 0: NVIDIA GeForce RTX 4090", "GPU 1：Tesla T4", "AMD Radeon RX 7900 XTX (gfx1100)",
    "Nvidia driver version: 550.54.15", "cuDNN version: Probably one of the following:",
    "/usr/lib/x86_64-linux-gnu/libcudnn.so.9.1.0", "C:\\cuda\\bin\\cudnn64_8.dll",
    "HIP runtime version: 6.2.41133", "MIOpen runtime version: 3.2.0", "CPU:",
    "Architecture:        x86_64", "Model name:          AMD EPYC 7R32",
    "Flags: fpu avx avx2", "Name=Intel(R) Core(TM) i9", "Manufacturer: GenuineIntel",
    "----------------------", "Versions of relevant libraries:", "[pip3] numpy==1.26.4",
    "[pip] torch (0.4.1)", "[pip3] Could not collect", "[conda] pytorch 2.1.0 py3.10_cuda12.1_0",
    "[conda] torch 1.5.0 pypi_0 pypi", "[conda] Could not collect", "[uv] torch==2.11.0",
    "vLLM Version: 0.6.3", "vLLM Build Flags:", "CUDA Archs: Not Set; ROCm: Disabled",
    "GPU Topology:", "GPU0\t X \tNV12", "Legend:", "NCCL_DEBUG=INFO", "HF_TOKEN=hf_xxxx",
    "==============================", "        System Info", "     Environment Variables",
    "```", "```text", "> ", "    ", "`", "**", "", "",
    "UserWarning: CUDA initialization: The NVIDIA driver on your system is too old "
    "(found version 11040).", "The current PyTorch install supports CUDA capabilities sm_50",
    "INFO 04-15 11:02:25 pynccl.py:58] Loading nccl", "(", "[", "：", "\x1b[4m", "\t",
]


def parse(t: str) -> Facts | None:
    """Facts, or None for a ReportError that carries a message and a hint; never else."""
    try:
        facts = parse_collect_env(t)
    except ReportError as exc:
        assert exc.message and exc.hint
        return None
    assert isinstance(facts, Facts)
    assert facts.origin.note
    return facts


@settings(FUZZ, max_examples=50)
@given(st.text(max_size=2000))
def test_random_text(t: str) -> None:
    parse(t)


@settings(FUZZ, max_examples=40)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=40)), max_size=60),
       st.sampled_from(["\n", "\r\n", "\r", "\n\n"]))
def test_random_report_shaped_text(pieces: list[str], newline: str) -> None:
    parse(newline.join(pieces))


OPS = st.lists(st.tuples(
    st.sampled_from(["delete", "duplicate", "swap", "insert", "cut", "prefix"]),
    st.integers(min_value=0, max_value=10_000),
    st.one_of(st.sampled_from(PIECES), st.text(max_size=60))), max_size=8)


@settings(FUZZ, max_examples=60)
@given(st.sampled_from(SLUGS), OPS)
def test_mutated_real_reports(slug: str, ops: list[tuple[str, int, str]]) -> None:
    lines = text(slug).split("\n")
    for op, where, garbage in ops:
        if not lines:
            break
        i = where % len(lines)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = (where // 7) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, garbage)
        elif op == "prefix":
            lines[i] = garbage + lines[i]
        else:
            cut = "\n".join(lines)
            lines = cut[: where % (len(cut) + 1)].split("\n")
    parse("\n".join(lines))


# --------------------------------------------------------------------------- truncation

SPECIFIC = [k for k, label in LABELS.items()
            if label not in ("OS", "GCC version", "Python version", "CPU")]


def _line_of(lines: list[str], pattern: str, start: int = 0) -> int | None:
    compiled = re.compile(pattern)
    return next((i for i in range(start, len(lines)) if compiled.search(lines[i])), None)


def _kept_gpus(lines: list[str], cut: int, expected: list[str]) -> int:
    """How many of the expected GPUs have their line among the kept ones."""
    label = label_line(lines, "gpus")
    if label is None or label >= cut:
        return 0
    inline = lines[label].split(":", 1)[-1].strip(" `*")
    if inline and not inline.startswith("GPU"):
        return 1
    count = 1 if inline else 0
    for line in lines[label + 1: cut]:
        if not re.search(r"GPU\s*\d+\s*[:：]", line):
            break
        count += 1
    return min(count, len(expected))


def _check_kept(facts: Facts, slug: str, lines: list[str], cut: int) -> None:
    expected = meta(slug)["expected"]
    for key, value in expected.items():
        mapping = MAPPING.get(key)
        if mapping is None or value is None:
            continue
        if mapping.kind == "scalar":
            # The CPU model is on a line of its own under 'CPU:'.
            at = (_line_of(lines, re.escape(value)) if key == "cpu_model"
                  else label_line(lines, key))
            if at is not None and at < cut:
                assert mapping.check(facts, value), (slug, cut, key, value,
                                                     mapping.extract(facts))
        elif key == "gpus":
            n = _kept_gpus(lines, cut, value)
            got = gpu_names(facts)
            assert len(got) >= n, (slug, cut, got, value)
            assert mapping.check(facts, value) or n == 0 or (got[:n] and all(
                want == name or want.startswith(f"{name} (")
                for (name, _), want in zip(got[:n], value[:n], strict=True))), (slug, cut)
        elif key == "cudnn_version":
            paths = cudnn_paths(facts)
            for path in [value] if isinstance(value, str) else value:
                at = _line_of(lines, re.escape(path))
                if at is not None and at < cut:
                    assert path in paths, (slug, cut, path, paths)
        elif key == "pip_packages":
            got = pip_packages(facts) or {}
            for name, version in value.items():
                at = _line_of(lines, r"\[(?:pip3?|uv)\]\s*" + re.escape(name) + r"\s*(?:==|\()")
                if at is not None and at < cut:
                    canonical = re.sub(r"[-_.]+", "-", name).lower()
                    assert got.get(canonical) == version, (slug, cut, name, got)
        elif key == "conda_packages":
            got = conda_packages(facts) or {}
            for name, version in value.items():
                at = _line_of(lines, r"\[conda\]\s*" + re.escape(name) + r"\s")
                if at is not None and at < cut:
                    canonical = re.sub(r"[-_.]+", "-", name).lower()
                    assert version in (got.get(name), got.get(canonical)), (slug, cut, name)


@settings(FUZZ, max_examples=60)
@given(st.sampled_from(SLUGS), st.floats(min_value=0.0, max_value=1.0))
def test_a_truncated_report_keeps_every_fact_of_its_kept_lines(slug: str, where: float) -> None:
    lines = text(slug).split("\n")
    cut = round(where * len(lines))
    facts = parse("\n".join(lines[:cut]))
    if facts is None:
        kept = sum(1 for key in SPECIFIC if (at := label_line(lines, key)) is not None
                   and at < cut)
        assert kept <= 2, f"{slug} cut at line {cut} keeps {kept} report labels"
        return
    _check_kept(facts, slug, lines, cut)
    if cut < len(lines) and meta(slug).get("text_complete"):
        note = facts.origin.note or ""
        kept_labels = [key for key in SPECIFIC if (at := label_line(lines, key)) is not None
                       and at < cut]
        # The package section's label is "Version of …" in some 2020 pastes.
        if kept_labels and not re.search(r"Versions? of relevant libraries",
                                         "\n".join(lines[:cut])):
            assert "incomplete" in note, (slug, cut, note)


def test_the_whole_report_is_a_truncation_that_keeps_everything() -> None:
    for slug in SLUGS:
        lines = text(slug).split("\n")
        facts = parse("\n".join(lines))
        assert facts is not None
        _check_kept(facts, slug, lines, len(lines))
