"""Reading PyTorch's and vLLM's collect_env reports into Facts.

Every report pair in ``tests/reports/collect_env`` is read and checked against its JSON's
``expected`` values through ``MAPPING``, the one table from ``expected`` keys to Facts
(``UNMAPPED`` lists, with the reason, the keys that have no place in Facts). The fuzz tests
import the corpus helpers from here. Then the quirks of each vintage (FORMAT.md), garbage
input, and the rules engine over every report.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from envdoctor._serde import to_jsonable
from envdoctor._util import major_minor
from envdoctor.errors import EnvdoctorError
from envdoctor.facts import Facts, FrameworkFacts, OriginKind, ProbeStatus
from envdoctor.importers.collect_env import (
    MAX_SIZE,
    NOT_IN_REPORT,
    ReportError,
    parse_collect_env,
)

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "collect_env"


def slugs() -> list[str]:
    """Every report pair in the folder (a .txt with its .json)."""
    return sorted(p.stem for p in REPORTS.glob("*.json") if p.with_suffix(".txt").exists())


@cache
def text(slug: str) -> str:
    return (REPORTS / f"{slug}.txt").read_text(encoding="utf-8")


@cache
def meta(slug: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPORTS / f"{slug}.json").read_text(encoding="utf-8"))
    return data


# --------------------------------------------------------------------------- reading Facts


def imported_torch(f: Facts) -> FrameworkFacts | None:
    """The torch collect_env imported (its 'PyTorch version' line), if any."""
    return next((fw for fw in f.frameworks if fw.name == "torch"
                 and any(s.endswith("PyTorch version") for s in fw.sources)), None)


def framework(f: Facts, name: str) -> FrameworkFacts | None:
    return next((fw for fw in f.frameworks if fw.name == name), None)


def _full_version(fw: FrameworkFacts | None) -> str | None:
    if fw is None or fw.version is None:
        return None
    return fw.version + (f"+{fw.local_tag}" if fw.local_tag else "")


def _os(f: Facts) -> tuple[str, ...] | None:
    pretty = f.os.pretty_name
    if pretty is None:
        return None
    forms = [pretty]
    if f.os.arch:
        forms += [f"{pretty} ({f.os.arch})"]
        if f.os.arch == "x86_64":
            forms += [f"{pretty} (AMD64)"]
    if f.os.system == "Windows" and f.os.kernel:
        forms += [f"{pretty} ({f.os.kernel} 64-bit)", f"{pretty} ({f.os.kernel} 32-bit)"]
    return tuple(forms)


def _libc(f: Facts) -> str | None:
    return f"{f.os.libc}-{f.os.libc_version}" if f.os.libc and f.os.libc_version else None


def _platform(f: Facts) -> tuple[str | None, str | None]:
    return f.os.system, f.os.kernel


def _platform_matches(got: tuple[str | None, str | None], expected: str) -> bool:
    system, kernel = got
    if expected.startswith("Linux-"):
        return system == "Linux" and kernel is not None and expected.startswith(
            f"Linux-{kernel}-")
    if expected.startswith("Windows-"):
        return system == "Windows"
    if expected.startswith(("macOS-", "Darwin-")):
        return system == "Darwin"
    return False


def _cuda_available(f: Facts) -> bool | None:
    torch = imported_torch(f)
    if torch is None or torch.deep is None:
        return None
    return torch.deep.device is not None


def _nvcc(f: Facts) -> str | None:
    return next((k.version for k in f.cuda.toolkits if k.version_source == "nvcc --version"),
                None)


def _driver(f: Facts) -> str | None:
    if f.os.system == "Darwin":
        # On macOS the line is the CUDA kext's version, kept only in the reason (see the
        # importer); the driver rules must not read it as a driver version.
        m = re.search(r"\((\d[\d.]*)\)", f.nvidia.unknown.get("userspace_version", ""))
        return m.group(1) if m else None
    return f.nvidia.userspace_version


def cudnn_paths(f: Facts) -> list[str]:
    paths = []
    for c in f.cuda.libraries:
        if c.library != "cudnn" or c.origin not in ("system", "toolkit"):
            continue
        sep = "\\" if "\\" in (c.path or "") else "/"
        paths += [f"{c.path}{sep}{name}" if c.path else name for name in c.sonames]
    return sorted(paths)


def _cudnn(f: Facts) -> list[str] | None:
    return cudnn_paths(f) or None


def _cudnn_matches(got: list[str] | None, expected: str | list[str]) -> bool:
    want = [expected] if isinstance(expected, str) else expected
    return got == sorted(want)


def gpu_names(f: Facts) -> list[tuple[str, str | None]]:
    return [(g.name or "", None) for g in sorted(f.nvidia.gpus, key=lambda g: g.index)] + [
        (g.name or "", g.gfx) for g in f.rocm.gpus]


def _gpus(f: Facts) -> list[tuple[str, str | None]] | None:
    return gpu_names(f) or None


def gpu_matches(got: list[tuple[str, str | None]] | None, expected: list[str]) -> bool:
    if got is None or len(got) != len(expected):
        return False
    for (name, gfx), want in zip(got, expected, strict=True):
        if want != name and not (gfx and want.startswith(f"{name} (") and gfx in want):
            return False
    return True


def _detail(key: str) -> Callable[[Facts], str | None]:
    def get(f: Facts) -> str | None:
        torch = imported_torch(f)
        return torch.details.get(key) if torch else None
    return get


def _debug(f: Facts) -> bool | None:
    value = _detail("debug")(f)
    return None if value is None else value == "True"


def _cuda_build(f: Facts) -> str | None:
    torch = imported_torch(f)
    return torch.cuda_version if torch and torch.build == "cuda" else None


def _rocm_build(f: Facts) -> str | None:
    torch = imported_torch(f)
    return torch.details.get("hip") if torch and torch.build == "rocm" else None


def pip_packages(f: Facts) -> dict[str, str] | None:
    if "could not collect" in f.python.unknown.get("distributions", "").lower():
        return None
    return {d.name: d.version for d in f.python.distributions} or None


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip_matches(got: dict[str, str] | None, expected: dict[str, str]) -> bool:
    return got is not None and all(got.get(_canonical(n)) == v for n, v in expected.items())


def conda_packages(f: Facts) -> dict[str, str] | None:
    if "could not collect" in f.python.unknown.get("conda_packages", "").lower():
        return None
    # conda's rows for packages pip installed (<pip>, pypi_0 pypi) are distributions.
    found = {d.name: d.version for d in f.python.distributions}
    found.update({p.name: p.version for p in f.python.conda_packages})
    return found or None


def _conda_matches(got: dict[str, str] | None, expected: dict[str, str]) -> bool:
    return got is not None and all(
        got.get(n) == v or got.get(_canonical(n)) == v for n, v in expected.items())


@dataclass(frozen=True)
class Mapping:
    """Where an ``expected`` key lives in Facts, and how to compare."""

    path: str
    extract: Callable[[Facts], Any]
    matches: Callable[[Any, Any], bool] | None = None
    kind: str = "scalar"  # "scalar", or "list" for values that run over several lines

    def check(self, f: Facts, expected: Any) -> bool:
        got = self.extract(f)
        if expected is None:
            return got is None
        if self.matches is not None:
            return self.matches(got, expected)
        return bool(got == expected)


MAPPING: dict[str, Mapping] = {
    "torch_version": Mapping("frameworks[torch].version + '+' + local_tag",
                             lambda f: _full_version(imported_torch(f))),
    "debug_build": Mapping("frameworks[torch].details['debug']", _debug),
    "cuda_build": Mapping("frameworks[torch].cuda_version (build 'cuda')", _cuda_build),
    "rocm_build": Mapping("frameworks[torch].details['hip'] (build 'rocm')", _rocm_build),
    "os": Mapping("os.pretty_name (+ ' (' os.arch ')')", _os, lambda got, exp: exp in got),
    "libc": Mapping("os.libc + '-' + os.libc_version", _libc),
    "python_version": Mapping("python.version (major.minor)",
                              lambda f: major_minor(f.python.version)),
    "python_platform": Mapping("os.kernel (Linux) / os.system", _platform, _platform_matches),
    "cuda_available": Mapping("frameworks[torch].deep.device is not None", _cuda_available),
    "cuda_runtime": Mapping("cuda.toolkits[nvcc --version].version", _nvcc),
    "driver_version": Mapping("nvidia.userspace_version (macOS: the kext, in unknown)",
                              _driver),
    "cudnn_version": Mapping("cuda.libraries[cudnn].path + sonames", _cudnn, _cudnn_matches,
                             kind="list"),
    "hip_runtime": Mapping("frameworks[torch].details['hip_runtime'] (and rocm.hip_version)",
                           _detail("hip_runtime")),
    "miopen_runtime": Mapping("frameworks[torch].details['miopen']", _detail("miopen")),
    "gpus": Mapping("nvidia.gpus[].name / rocm.gpus[].name + gfx", _gpus, gpu_matches,
                    kind="list"),
    "pip_packages": Mapping("python.distributions", pip_packages, _pip_matches, kind="list"),
    "conda_packages": Mapping("python.conda_packages (+ distributions for pip rows)",
                              conda_packages, _conda_matches, kind="list"),
    "cpu_model": Mapping("cpu.model", lambda f: f.cpu.model),
    "vllm_version": Mapping("frameworks[vllm].version",
                            lambda f: _full_version(framework(f, "vllm"))),
}
"""Every ``expected`` key that has a place in Facts."""

UNMAPPED: dict[str, str] = {
    "gcc": "Facts has no field for compiler versions (GCC, Clang, CMake are not kept)",
}
"""``expected`` keys with no place in Facts, and why."""

LABELS: dict[str, str] = {
    "torch_version": "PyTorch version", "debug_build": "Is debug build",
    "cuda_build": "CUDA used to build PyTorch", "rocm_build": "ROCM used to build PyTorch",
    "os": "OS", "gcc": "GCC version", "libc": "Libc version",
    "python_version": "Python version", "python_platform": "Python platform",
    "cuda_available": "Is CUDA available", "cuda_runtime": "CUDA runtime version",
    "driver_version": "Nvidia driver version", "cudnn_version": "cuDNN version",
    "hip_runtime": "HIP runtime version", "miopen_runtime": "MIOpen runtime version",
    "gpus": "GPU models and configuration", "pip_packages": "Versions of relevant libraries",
    "conda_packages": "Versions of relevant libraries", "cpu_model": "CPU",
    "vllm_version": "vLLM Version",
}
"""The report label each ``expected`` key is read from."""


def label_line(lines: list[str], key: str) -> int | None:
    """Index of the first line that carries ``key``'s label (None when absent)."""
    label = LABELS[key]
    pattern = re.compile(r"(?:^|[\s>`*])" + re.escape(label).replace(r"\ ", r"\s+")
                         + (r"\s*[:：]" if label != "PyTorch version" else r"\s*[:：]?"),
                         re.IGNORECASE)
    if key == "os":
        pattern = re.compile(r"(?:^|[\s>`*])OS\s*[:：]", re.IGNORECASE)
    for i, line in enumerate(lines):
        if pattern.search(line):
            return i
    return None


# =========================================================================== the corpus

SLUGS = slugs()


@cache
def parsed(slug: str) -> Facts:
    return parse_collect_env(text(slug), path=f"tests/reports/collect_env/{slug}.txt")


def test_the_corpus_is_there_and_every_text_has_its_json() -> None:
    texts = {p.stem for p in REPORTS.glob("*.txt")}
    jsons = {p.stem for p in REPORTS.glob("*.json")}
    assert texts == jsons, f"unpaired: {sorted(texts ^ jsons)}"
    assert len(SLUGS) >= 55


@pytest.mark.parametrize("slug", SLUGS)
def test_every_report_parses_into_report_facts(slug: str) -> None:
    f = parsed(slug)
    assert f.origin.kind is OriginKind.REPORT
    assert f.origin.path == f"tests/reports/collect_env/{slug}.txt"
    assert f.origin.note and f.origin.note.startswith("collect_env report (")
    names = [r.name for r in f.probes]
    assert len(names) == len(set(names))
    overall = f.probe("collect_env")
    assert overall is not None and overall.sources == [f.origin.path]
    assert (overall.status is ProbeStatus.PARTIAL) == ("incomplete" in f.origin.note)
    for name in ("resources", "user", "containers", "loader"):
        record = f.probe(name)
        assert record is not None and record.status is ProbeStatus.SKIPPED
        assert record.detail == NOT_IN_REPORT
    for record in f.probes:
        assert record.status in (ProbeStatus.OK, ProbeStatus.PARTIAL, ProbeStatus.SKIPPED)
        if record.status is not ProbeStatus.SKIPPED:
            assert record.sources, f"{record.name} filled from no report line"
            assert all(s.startswith(f.origin.path or "") for s in record.sources)


@pytest.mark.parametrize("slug", SLUGS)
def test_expected_values_map_onto_facts(slug: str) -> None:
    f = parsed(slug)
    expected = meta(slug)["expected"]
    unknown_keys = set(expected) - set(MAPPING) - set(UNMAPPED)
    assert not unknown_keys, (
        f"new expected keys {sorted(unknown_keys)}: add them to MAPPING or, with the reason, "
        "to UNMAPPED")
    wrong = {key: (value, MAPPING[key].extract(f)) for key, value in expected.items()
             if key in MAPPING and not MAPPING[key].check(f, value)}
    assert not wrong, f"expected vs Facts ({', '.join(MAPPING[k].path for k in wrong)}): {wrong}"


def test_unmapped_keys_say_why() -> None:
    assert set(UNMAPPED).isdisjoint(MAPPING)
    assert all(len(reason) > 20 for reason in UNMAPPED.values())


def _says_report_complete(slug: str) -> bool:
    # A pair may say that the report itself is whole and only the text after it was cut
    # (pytorch-64056: an nvidia-smi table follows the report in the same fence).
    note = (meta(slug).get("truncation") or {}).get("note", "")
    return "report itself is complete" in note


@pytest.mark.parametrize("slug", [s for s in SLUGS if meta(s).get("text_complete") is False])
def test_a_cut_off_report_says_so_in_its_origin_note(slug: str) -> None:
    note = parsed(slug).origin.note or ""
    if _says_report_complete(slug):
        assert "incomplete" not in note
        return
    assert "incomplete" in note, note
    truncation = meta(slug).get("truncation") or {}
    listed = {"gpus": "GPU list", "cudnn_version": "cuDNN list", "pip_packages": "[pip] list",
              "conda_packages": "[conda] list"}
    last_list = truncation.get("last_list_may_be_incomplete")
    if last_list:
        assert listed[last_list] in note, note


def test_a_whole_report_reads_as_complete() -> None:
    for slug in ("pytorch-10657-arch-amd-apu-cpu-build", "pytorch-164943-macos-13-mps",
                 "pytorch-43058-v100-driver-418", "yolov3-1144-torch15cu101-torchvision06",
                 "pytorch-49924-macos-11-arm64-backticks"):
        assert "incomplete" not in (parsed(slug).origin.note or ""), slug


@pytest.mark.parametrize("slug", SLUGS)
def test_facts_follow_the_published_schema(slug: str) -> None:
    import jsonschema

    schema = json.loads((REPORTS.parents[2] / "envdoctor/schema/facts.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(to_jsonable(parsed(slug)), schema)


# =========================================================================== vintages


def _report(*lines: str) -> str:
    return "\n".join(lines) + "\n"


HEAD_2018 = (
    "PyTorch version: 0.4.1.post2", "Is debug build: No",
    "CUDA used to build PyTorch: 9.0.176", "", "OS: Ubuntu 16.04.5 LTS",
)


def test_yes_no_and_true_false_booleans() -> None:
    old = parse_collect_env(_report(*HEAD_2018, "Is CUDA available: Yes",
                                    "GPU models and configuration: GPU 0: GeForce GTX 1080 Ti"))
    new = parse_collect_env(_report("PyTorch version: 1.7.0+cu101", "Is debug build: True",
                                    "CUDA used to build PyTorch: 10.1",
                                    "Is CUDA available: False"))
    old_torch, new_torch = imported_torch(old), imported_torch(new)
    assert old_torch and old_torch.details["debug"] == "False"
    assert old_torch.deep and old_torch.deep.device == "GeForce GTX 1080 Ti"
    assert new_torch and new_torch.details["debug"] == "True"
    assert new_torch.deep and new_torch.deep.imported and new_torch.deep.device is None
    assert new_torch.deep.gpu_op is None  # collect_env runs no GPU operation


def test_could_not_collect_none_and_no_cuda() -> None:
    # 'Could not collect' next to a visible GPU: torch.version.cuda is None (a CPU wheel).
    f = parsed("pytorch-44303-rtx2080ti-cpu-build-indented")
    torch = imported_torch(f)
    assert torch and torch.build == "cpu" and torch.cuda_version is None
    assert f.nvidia.gpus[0].compute_capability == "7.5"
    # 'No CUDA': no NVIDIA tools at all; the reason says so and nothing is guessed.
    f = parsed("pytorch-10657-arch-amd-apu-cpu-build")
    assert f.nvidia.gpus == [] and f.nvidia.userspace_version is None
    assert "No CUDA" in f.nvidia.unknown["userspace_version"]
    assert "No CUDA" in f.nvidia.unknown["gpus"]
    assert f.cuda.toolkits == [] and "No CUDA" in f.cuda.unknown["toolkits"]
    # 'N/A': torch could not be imported, while the system fields were still collected.
    f = parsed("pytorch-pr42887-macosx-1015-torch-na-py27")
    assert imported_torch(f) is None
    assert framework(f, "torch") is not None  # from [pip3], another interpreter's pip
    assert "could not import torch" in (f.probe("frameworks").detail or "")


def test_multi_line_gpu_lists_and_full_width_colons() -> None:
    f = parsed("pytorch-37212-p100-driver-410-fenced")
    assert [g.index for g in f.nvidia.gpus] == [0, 1, 2, 3]
    assert {g.name for g in f.nvidia.gpus} == {"Tesla P100-PCIE-16GB"}
    assert {g.compute_capability for g in f.nvidia.gpus} == {"6.0"}
    f = parsed("vllm-29864-sectioned-4x-rtx5090")  # sectioned, list on the next lines
    assert len(f.nvidia.gpus) == 4 and f.nvidia.gpus[3].compute_capability == "12.0"
    assert f.nvidia.gpus[0].architecture == "blackwell"
    assert f.nvidia.gpus[0].source == "nvidia-smi"


def test_probably_one_of_the_following() -> None:
    f = parsed("maskrcnn-75-torch041-plus-nightly-conflict")
    [copy] = [c for c in f.cuda.libraries if c.library == "cudnn"]
    assert copy.version == "7.3.1" and copy.path == "/usr/local/cuda-9.2/lib64"
    assert copy.origin == "toolkit" and "libcudnn_static.a" in copy.sonames
    f = parsed("vllm-4077-8x-l20-pynccl-info")  # cuDNN 8 and 9 side by side
    versions = sorted(c.version or "" for c in f.cuda.libraries if c.library == "cudnn")
    assert versions == ["8.9.7", "9.0.0"]
    f = parsed("pytorch-31876-win7-geforce210-cc12")  # a path hard-wrapped mid-name
    [copy] = [c for c in f.cuda.libraries if c.library == "cudnn"]
    assert copy.sonames == ["cudnn64_7.dll"] and copy.version == "7"


def test_nvcc_is_a_toolkit_not_torchs_runtime() -> None:
    f = parsed("vllm-4313-rtx3090-chinese-lscpu")
    [kit] = f.cuda.toolkits
    assert (kit.version, kit.version_source, kit.has_nvcc, kit.on_path) == (
        "11.8.89", "nvcc --version", True, True)
    torch = imported_torch(f)
    assert torch and torch.cuda_version == "12.1"  # 'CUDA used to build PyTorch'
    assert "nvcc_path" in f.cuda.unknown


def test_windows_wmic_cpu_block() -> None:
    f = parsed("textgen-645-win10-rtx4090-cpu-wheel")
    assert (f.os.system, f.os.pretty_name, f.os.arch) == (
        "Windows", "Microsoft Windows 10 Pro", "x86_64")
    assert (f.cpu.vendor, f.cpu.vendor_id, f.cpu.model, f.cpu.sockets) == (
        "amd", "AuthenticAMD", "AMD Ryzen 9 7950X 16-Core Processor", 1)
    assert f.cpu.source == "wmic cpu get" and "isa" in f.cpu.unknown
    torch = imported_torch(f)
    assert torch and torch.build == "cpu" and torch.local_tag == "cpu"


def test_windows_powershell_os_and_cpu() -> None:
    f = parsed("pytorch-pr137846-win11-powershell-cpu-sample")
    assert (f.os.system, f.os.pretty_name, f.os.kernel, f.os.distro_version) == (
        "Windows", "Microsoft Windows 11 Enterprise", "10.0.22631", "11")
    assert f.cpu.model == "12th Gen Intel(R) Core(TM) i7-1270P" and f.cpu.vendor == "intel"
    two_sockets = parse_collect_env(_report(
        "PyTorch version: 2.8.0+cpu", "Is debug build: False",
        "CUDA used to build PyTorch: None", "OS: Microsoft Windows Server 2022 (10.0.20348 64-bit)",
        "", "CPU:", "----------------------", "Name: Intel(R) Xeon(R) Gold 6230",
        "Manufacturer: GenuineIntel", "----------------------",
        "Name: Intel(R) Xeon(R) Gold 6230", "Manufacturer: GenuineIntel", "",
        "Versions of relevant libraries:", "[pip3] torch==2.8.0+cpu", "[conda] Could not collect"))
    assert two_sockets.cpu.sockets == 2 and two_sockets.os.system == "Windows"


def test_macos() -> None:
    f = parsed("pytorch-164943-macos-13-mps")
    assert (f.os.system, f.os.pretty_name, f.os.arch, f.os.libc) == (
        "Darwin", "macOS 13.7.4", "arm64", None)
    assert (f.cpu.vendor, f.cpu.model) == ("apple", "Apple M2 Max")
    torch = imported_torch(f)
    assert torch and torch.build == "mps"  # torch >= 1.12 without CUDA on macOS
    old = imported_torch(parsed("pytorch-11495-macosx-1013-debug-source-build"))
    assert old and old.build == "cpu" and old.details["debug"] == "True"
    # The 'driver' on macOS is the CUDA kext's version: never read as a driver.
    f = parsed("pytorch-pr16999-macosx-cuda-gtx1060")
    assert f.nvidia.userspace_version is None
    assert "1.1.0" in f.nvidia.unknown["userspace_version"]
    assert f.nvidia.gpus[0].name == "GeForce GTX 1060 with Max-Q Design"
    assert f.nvidia.gpus[0].source == "torch"  # no 'GPU 0:' prefix on macOS


def test_rocm_and_hip() -> None:
    f = parsed("vllm-9713-rocm-gfx906-warning-prefix")
    torch = imported_torch(f)
    assert torch and (torch.build, torch.rocm_version, torch.cuda_version) == (
        "rocm", "6.2", None)
    assert torch.details["hip"] == "6.2.41133-dd7f95766"
    assert (torch.details["hip_runtime"], torch.details["miopen"]) == ("6.2.41133", "3.2.0")
    assert f.rocm.hip_version == "6.2.41133" and "rocm_version" in f.rocm.unknown
    [gpu] = f.rocm.gpus
    assert (gpu.name, gpu.gfx, gpu.source) == ("AMD Radeon Graphics", "gfx906", "torch")
    assert f.nvidia.gpus == [] and torch.deep and torch.deep.device == "AMD Radeon Graphics"
    # ROCm names a GPU without a marketing name by its PCI id.
    [gpu] = parsed("pytorch-pr44106-rocm37-device-66a1-sample").rocm.gpus
    assert (gpu.name, gpu.device_id, gpu.gfx) == ("Device 66a1", "66a1", "gfx906")


def test_vllm_sectioned_layout_with_env_vars() -> None:
    f = parse_collect_env(_report(
        "Collecting environment information...",
        "==============================", "        System Info",
        "==============================",
        "OS                           : Ubuntu 22.04.5 LTS (x86_64)",
        "Libc version                 : glibc-2.35", "",
        "==============================", "       PyTorch Info",
        "==============================",
        "PyTorch version              : 2.7.0+cu126",
        "Is debug build               : False",
        "CUDA used to build PyTorch   : 12.6",
        "ROCM used to build PyTorch   : N/A", "",
        "==============================", "      Python Environment",
        "==============================",
        "Python version               : 3.12.3 (main, Feb  4 2025, 14:48:35) [GCC 13.3.0] "
        "(64-bit runtime)",
        "Python platform              : Linux-6.8.0-59-generic-x86_64-with-glibc2.39", "    ",
        "==============================", "       CUDA / GPU Info",
        "==============================",
        "Is CUDA available            : True",
        "GPU models and configuration : ", "GPU 0: NVIDIA H100 80GB HBM3",
        "GPU 1: NVIDIA H100 80GB HBM3", "",
        "Nvidia driver version        : 570.133.20", "",
        "==============================", "          CPU Info",
        "==============================",
        "Architecture:                         x86_64",
        "Model name:                           Intel(R) Xeon(R) Platinum 8480+",
        "Flags:                                fpu sse4_2 avx avx2 fma avx512f amx_tile", "",
        "==============================", "Versions of relevant libraries",
        "==============================",
        "[pip3] nvidia-cudnn-cu12==9.5.1.17", "[pip3] torch==2.7.0+cu126",
        "[conda] Could not collect", "",
        "==============================", "         vLLM Info",
        "==============================",
        "ROCM Version                 : Could not collect",
        "vLLM Version                 : 0.9.1", "vLLM Build Flags:",
        "  CUDA Archs: Not Set; ROCm: Disabled", "GPU Topology:",
        "  \tGPU0\tGPU1\tCPU Affinity", "GPU0\t X \tNV18\t0-55", "", "Legend:", "",
        "  X    = Self", "",
        "==============================", "     Environment Variables",
        "==============================",
        "NCCL_CUMEM_ENABLE=0", "CUDA_VISIBLE_DEVICES=0,1",
        "VLLM_API_KEY_HINT=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz", "VLLM_WORKER_MULTIPROC_METHOD=spawn",
        "TORCHINDUCTOR_COMPILE_THREADS=1", "", "```"))
    assert f.origin.note == "collect_env report (vLLM's collect_env, sectioned layout)"
    assert (f.os.distro_id, f.os.kernel, f.python.version) == (
        "ubuntu", "6.8.0-59-generic", "3.12.3")
    assert [g.compute_capability for g in f.nvidia.gpus] == ["9.0", "9.0"]
    assert f.cpu.isa == ["amx_tile", "avx", "avx2", "avx512f", "fma", "sse4_2"]
    vllm = framework(f, "vllm")
    assert vllm and vllm.version == "0.9.1"
    assert vllm.details["build_flags"] == "CUDA Archs: Not Set; ROCm: Disabled"
    # The env probe's allowlist applies (TORCHINDUCTOR_* is not on it).
    assert f.env.variables == {"CUDA_VISIBLE_DEVICES": "0,1", "NCCL_CUMEM_ENABLE": "0",
                               "VLLM_WORKER_MULTIPROC_METHOD": "spawn"}
    assert f.env.withheld == []  # the token-shaped value's name says it is a key: dropped
    assert "ghp_" not in json.dumps(to_jsonable(f)) and "hf_abc" not in json.dumps(
        to_jsonable(f))
    [pip_cudnn] = [c for c in f.cuda.libraries if c.origin == "pip:nvidia-cudnn-cu12"]
    assert (pip_cudnn.library, pip_cudnn.version) == ("cudnn", "9.5.1.17")
    assert f.probe("env") is not None and f.probe("env").status is ProbeStatus.OK


def test_vllm_flat_layout_env_vars_after_the_topology() -> None:
    f = parse_collect_env(_report(
        "PyTorch version: 2.4.0+cu121", "Is debug build: False",
        "CUDA used to build PyTorch: 12.1", "", "Versions of relevant libraries:",
        "[pip3] torch==2.4.0", "[conda] Could not collect", "ROCM Version: Could not collect",
        "Neuron SDK Version: N/A", "vLLM Version: 0.6.3.post1", "vLLM Build Flags:",
        "CUDA Archs: Not Set; ROCm: Disabled; Neuron: Disabled", "GPU Topology:",
        "\x1b[4mGPU0\tCPU Affinity\x1b[0m", "GPU0\t X \t0-31", "", "Legend:", "",
        "  X    = Self", "", "NCCL_DEBUG=INFO", "OMP_NUM_THREADS=8",
        "MY_SERVICE_PASSWORD=hunter2", "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True",
        "CUDA_MODULE_LOADING=LAZY", "", "Some prose the poster wrote."))
    assert "vLLM's collect_env" in (f.origin.note or "")
    assert f.env.variables["NCCL_DEBUG"] == "INFO"
    assert f.blas.thread_settings == {"OMP_NUM_THREADS": "8"}
    assert "MY_SERVICE_PASSWORD" not in f.env.variables and "hunter2" not in str(f)
    vllm = framework(f, "vllm")
    assert vllm and vllm.version == "0.6.3.post1" and "neuron_sdk" not in vllm.details
    assert vllm.details["build_flags"] == "CUDA Archs: Not Set; ROCm: Disabled; Neuron: Disabled"


def test_secret_looking_values_are_withheld() -> None:
    f = parse_collect_env(_report(
        "PyTorch version: 2.4.0+cu121", "CUDA used to build PyTorch: 12.1",
        "vLLM Version: 0.6.3", "GPU Topology:", "GPU0\t X ", "",
        "VLLM_CONFIG_URL=https://user:s3cr3tpass@example.com/x",
        "NCCL_SOCKET_IFNAME=eth0"))
    assert f.env.withheld == ["VLLM_CONFIG_URL"]
    assert f.env.variables == {"NCCL_SOCKET_IFNAME": "eth0"}
    assert "s3cr3t" not in json.dumps(to_jsonable(f))


def test_vllm_tail_fragment_says_its_beginning_is_missing() -> None:
    f = parsed("vllm-19607-sectioned-tail-fragment")
    assert "the beginning is missing" in (f.origin.note or "")
    vllm = framework(f, "vllm")
    assert vllm and vllm.version == "0.8.5.post1"
    assert vllm.details["build_flags"] == "CUDA Archs: Not Set; ROCm: Disabled; Neuron: Disabled"


def test_cpu_blocks_lscpu_flat_nested_and_localized() -> None:
    f = parsed("vllm-4094-a10g-amazon-linux2-old-lscpu")  # old flat layout
    assert (f.cpu.model, f.cpu.vendor, f.cpu.threads, f.cpu.cores, f.cpu.sockets) == (
        "AMD EPYC 7R32", "amd", 32, 16, 1)
    assert (f.os.distro_id, f.os.distro_version) == ("amzn", "2")
    f = parsed("vllm-4313-rtx3090-chinese-lscpu")  # zh_CN labels, full-width colons
    assert (f.cpu.model, f.cpu.vendor_id, f.cpu.threads, f.cpu.cores) == (
        "13th Gen Intel(R) Core(TM) i7-13700", "GenuineIntel", 24, 16)
    f = parsed("vllm-16905-h100-conda-forge")
    assert (f.cpu.model, f.cpu.source) == ("AMD EPYC 9354 32-Core Processor", "lscpu")
    assert "the text ends inside the CPU block" in (f.probe("cpu").detail or "")
    assert f.probe("cpu").problems == []  # a cut-off paste is not an unusable source


def test_pastes_fenced_quoted_prefixed_and_broken() -> None:
    glued = imported_torch(parsed("pytorch-96982-macos-arm64-fence-glued"))
    assert glued and glued.version == "2.0.0"
    quoted = parsed("pytorch-40682-windows-server-quoted")
    assert len(quoted.nvidia.gpus) == 2 and quoted.os.system == "Windows"
    prefixed = parsed("maskrcnn-pr693-log-prefixed-conda-urls")
    assert imported_torch(prefixed) is not None and len(prefixed.nvidia.gpus) == 8
    [blas] = [p for p in prefixed.python.conda_packages if p.name == "blas"]
    assert blas.build == "mkl"  # the fourth (channel URL) column is not the build
    joined = parsed("pytorch-145670-rocm-gfx1010-rx5700xt-joined-line")
    torch = imported_torch(joined)
    assert torch and torch.version == "2.7.0.dev20250123" and torch.local_tag == "rocm6.3"
    wrapped = parsed("pytorch-121067-macos-145-x86-email-wrapped")
    assert wrapped.python.version == "3.10.13" and wrapped.python.implementation == "CPython"
    bold = imported_torch(parsed("pytorch-32369-conda-env1-bold-markers"))
    assert bold and bold.cuda_version == "10.0.130"


BASE = [
    "Collecting environment information...", "PyTorch version: 2.5.1+cu124",
    "Is debug build: False", "CUDA used to build PyTorch: 12.4",
    "ROCM used to build PyTorch: N/A", "", "OS: Ubuntu 22.04.4 LTS (x86_64)",
    "Libc version: glibc-2.35", "",
    "Python version: 3.11.9 (main, Apr 19 2024, 16:48:06) [GCC 11.2.0] (64-bit runtime)",
    "Python platform: Linux-5.15.0-105-generic-x86_64-with-glibc2.35",
    "Is CUDA available: True", "CUDA runtime version: 12.4.131",
    "GPU models and configuration: ", "GPU 0: NVIDIA A100-SXM4-80GB",
    "GPU 1: NVIDIA A100-SXM4-80GB", "", "Nvidia driver version: 550.54.15",
    "cuDNN version: Could not collect", "", "Versions of relevant libraries:",
    "[pip3] numpy==1.26.4", "[pip3] torch==2.5.1+cu124", "[pip3] triton==3.1.0",
    "[conda] Could not collect",
]


def _summary(f: Facts) -> tuple[object, ...]:
    torch = imported_torch(f)
    return (torch and (torch.version, torch.local_tag, torch.build, torch.cuda_version,
                       torch.deep and torch.deep.device), f.os.pretty_name, f.os.arch,
            f.os.kernel, f.os.libc_version, f.python.version,
            [(g.index, g.name, g.compute_capability) for g in f.nvidia.gpus],
            f.nvidia.userspace_version, [k.version for k in f.cuda.toolkits],
            [(d.name, d.version) for d in f.python.distributions], f.blas.numpy_version)


@pytest.mark.parametrize("wrap", [
    pytest.param(lambda ls: ls, id="bare"),
    pytest.param(lambda ls: ["```text", *ls, "```"], id="fenced"),
    pytest.param(lambda ls: ["```" + ls[0], *ls[1:], "```"], id="fence-glued"),
    pytest.param(lambda ls: [f"> {x}" if x else ">" for x in ls], id="quoted"),
    pytest.param(lambda ls: [f"    {x}" for x in ls], id="indented"),
    pytest.param(lambda ls: [f"2024-05-0{i % 9 + 1} 10:0{i % 10}:12,{i:03d} worker INFO: {x}"
                             for i, x in enumerate(ls)], id="log-prefix"),
    pytest.param(lambda ls: [f"app_1  | {x}" for x in ls], id="compose-prefix"),
    pytest.param(lambda ls: ["### Your current environment", "", "<details>",
                             "<summary>collect_env output</summary>", "", "```", *ls, "```",
                             "</details>", "", "### 🐛 Describe the bug",
                             "It crashes: RuntimeError: CUDA error: no kernel image"],
                 id="issue-text"),
    pytest.param(lambda ls: ["`" + ls[0], *ls[:-1][1:], ls[-1] + "`"], id="backticks"),
    pytest.param(lambda ls: [x + "\r" for x in ls], id="crlf"),
])
def test_the_same_report_in_every_wrapper_gives_the_same_facts(
        wrap: Callable[[list[str]], list[str]]) -> None:
    plain = parse_collect_env(_report(*BASE))
    wrapped = parse_collect_env("\n".join(wrap(list(BASE))) + "\n")
    assert _summary(wrapped) == _summary(plain)
    assert "incomplete" not in (wrapped.origin.note or "")


def test_base_report_facts() -> None:
    f = parse_collect_env(_report(*BASE))
    assert _summary(f) == (
        ("2.5.1", "cu124", "cuda", "12.4", "NVIDIA A100-SXM4-80GB"),
        "Ubuntu 22.04.4 LTS", "x86_64", "5.15.0-105-generic", "2.35", "3.11.9",
        [(0, "NVIDIA A100-SXM4-80GB", "8.0"), (1, "NVIDIA A100-SXM4-80GB", "8.0")],
        "550.54.15", ["12.4.131"],
        [("numpy", "1.26.4"), ("torch", "2.5.1+cu124"), ("triton", "3.1.0")], "1.26.4")
    assert (f.os.distro_id, f.os.distro_version, f.os.distro_like) == (
        "ubuntu", "22.04", ["debian"])
    triton = framework(f, "triton")
    assert triton and triton.version == "3.1.0"  # as the frameworks probe reads it


def test_cuda_warnings_printed_inside_the_report() -> None:
    f = parsed("pytorch-150733-rtx5090d-sm120-cu126")
    torch = imported_torch(f)
    assert torch and torch.arch_list == ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86",
                                         "sm_90"]
    assert torch.deep and "sm_120 is not compatible" in (torch.deep.error or "")
    # "driver ... too old (found version 11040)": the driver's CUDA API version.
    assert parsed("pytorch-112553-gke-driver-470-cu121").nvidia.cuda_driver_version == "11.4"
    assert parsed("lhotse-793-driver-9010-torch112-cu102").nvidia.cuda_driver_version == "9.1"
    torch = imported_torch(parsed("pytorch-74733-centos-no-driver-warning"))
    assert torch and torch.deep and "Found no NVIDIA driver" in (torch.deep.error or "")


def test_wsl2_and_kernel_from_python_platform() -> None:
    f = parsed("vllm-pr9293-wsl2-rtx4070-laptop")
    assert f.platform.wsl == 2 and f.os.kernel == "5.15.153.1-microsoft-standard-WSL2"
    assert f.nvidia.userspace_version == "551.88"  # the Windows driver, through WSL
    f = parsed("pytorch-145670-rocm-gfx1010-rx5700xt-joined-line")
    assert f.os.kernel == "6.7.7-gentoo-dist"  # platform() adds the CPU name on Gentoo


def test_conda_rows_for_pip_packages_are_distributions() -> None:
    f = parsed("maskrcnn-75-torch041-plus-nightly-conflict")  # '<pip>' build column
    assert {d.name: d.version for d in f.python.distributions} == {
        "torch": "0.4.1.post2", "torch-nightly": "1.0.0.dev20181029"}
    assert f.python.conda_packages == []
    f = parsed("pytorch-49924-macos-11-arm64-backticks")  # 'pypi_0 pypi'
    assert [p.name for p in f.python.conda_packages] == ["numpy"]
    f = parsed("pytorch-pr16999-macosx-cuda-gtx1060")  # 'dev_0 <develop>'
    assert "torch" not in [p.name for p in f.python.conda_packages]
    f = parsed("detectron2-3351-torch19-torchvision07-mismatch")
    [cudart] = [c for c in f.cuda.libraries if c.library == "cudart"]
    assert (cudart.version, cudart.origin) == ("10.1.243", "conda:cudatoolkit")


def test_uv_package_lines() -> None:
    f = parsed("pytorch-pr181862-macos-m2pro-uv-packages")
    assert "could not collect" in f.python.unknown["distributions"].lower()
    assert {d.name for d in f.python.distributions} >= {"torch", "numpy", "torchvision"}
    assert f.blas.numpy_version == "2.4.4"


def test_no_relevant_packages_means_no_numpy() -> None:
    f = parse_collect_env(_report(*BASE[:-5], "[pip3] No relevant packages",
                                  "[conda] No relevant packages"))
    assert f.blas.numpy_version is None and f.blas.unknown == {}
    assert f.probe("blas") is not None and f.probe("blas").status is ProbeStatus.OK
    assert [d.name for d in f.python.distributions] == ["torch"]  # from 'PyTorch version'
    assert "incomplete" not in (f.origin.note or "")


def test_unknown_facts_say_why() -> None:
    f = parsed("yolov3-1144-torch15cu101-torchvision06")  # 2020: no Libc/platform/CPU
    assert f.os.libc_version is None and "Libc version" in f.os.unknown["libc_version"]
    assert f.os.kernel is None and "kernel" in f.os.unknown
    assert f.cpu.model is None and f.probe("cpu").status is ProbeStatus.SKIPPED
    assert "no CPU block" in (f.probe("cpu").detail or "")
    assert f.blas.blas is None and "BLAS" in f.blas.unknown["blas"]
    assert "filter" in f.python.unknown["distributions"]
    assert f.python.executable is None and "prefix" in f.python.unknown


# =========================================================================== garbage

NVIDIA_SMI = """\
Tue Apr 30 22:15:46 2024
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |
|-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
|=========================================+========================+======================|
|   0  NVIDIA A100-SXM4-80GB          On  |   00000000:07:00.0 Off |                    0 |
+-----------------------------------------+------------------------+----------------------+
"""
PIP_LIST = """\
Package                  Version
------------------------ ------------
numpy                    1.26.4
torch                    2.5.1+cu124
torchvision              0.20.1+cu124
"""
DETECTRON2 = """\
----------------------  ----------------------------------------------------------------
sys.platform            linux
Python                  3.8.10 (default, Nov 14 2022, 12:59:47) [GCC 9.4.0]
numpy                   1.24.4
detectron2              0.6 @/home/user/detectron2/detectron2
PyTorch                 1.9.0+cu102 @/usr/local/lib/python3.8/dist-packages/torch
PyTorch debug build     False
GPU available           Yes
"""
CONDA_INFO = """\
     active environment : base
            shell level : 1
       user config file : /home/user/.condarc
          conda version : 23.7.4
         python version : 3.11.5.final.0
               platform : linux-64
"""


@pytest.mark.parametrize("garbage, words", [
    pytest.param("", "empty", id="empty"),
    pytest.param(" \n\t\r\n  \n", "empty", id="whitespace"),
    pytest.param(bytes(range(256)).decode("utf-8", errors="replace") * 40, "binary",
                 id="binary-replaced"),
    pytest.param("PyTorch version: 2.1.0\x00\x00\x00ELF", "binary", id="nul-bytes"),
    pytest.param(NVIDIA_SMI, "no collect_env report", id="nvidia-smi"),
    pytest.param(PIP_LIST, "no collect_env report", id="pip-list"),
    pytest.param(DETECTRON2, "no collect_env report", id="detectron2-collect-env"),
    pytest.param(CONDA_INFO, "no collect_env report", id="conda-info"),
    pytest.param(json.dumps({"Torch env info": {"torch_version": "2.1.2+rocm5.6",
                                                "cuda_runtime_version": None}}),
                 "JSON document", id="json"),
    pytest.param("OS: Ubuntu 22.04\nPython version: 3.10\n", "no collect_env report",
                 id="generic-labels-only"),
])
def test_garbage_gives_a_report_error_with_a_hint(garbage: str, words: str) -> None:
    with pytest.raises(ReportError) as info:
        parse_collect_env(garbage)
    assert words in info.value.message
    assert info.value.hint
    assert isinstance(info.value, EnvdoctorError)


def test_oversized_input_is_refused_before_it_is_read() -> None:
    huge = "a" * (50 * 1024 * 1024)
    start = time.perf_counter()
    with pytest.raises(ReportError) as info:
        parse_collect_env(huge)
    assert time.perf_counter() - start < 1.0
    assert "MiB" in info.value.message and info.value.hint
    with pytest.raises(ReportError):
        parse_collect_env(b"x" * (MAX_SIZE + 1))  # type: ignore[arg-type]
    with pytest.raises(ReportError):
        parse_collect_env(12345)  # type: ignore[arg-type]


HEAD = "PyTorch version: 2.1.0\nIs debug build: False\n"


@pytest.mark.parametrize("make", [
    pytest.param(lambda n: "a" * n, id="one-char"),
    pytest.param(lambda n: "PyTorch version: " * (n // 17), id="labels-on-one-line"),
    pytest.param(lambda n: HEAD + "Python version: 3.1 " + "(" * (n - 40), id="open-parens"),
    pytest.param(lambda n: HEAD + "Python version: 3 (\n" + "((((\n" * (n // 6),
                 id="wrapped-value-forever"),
    pytest.param(lambda n: HEAD + ("[pip3] " + "a" * 60 + "==" * 3 + "\n") * (n // 80),
                 id="package-lines"),
    pytest.param(lambda n: HEAD + "GPU models and configuration:\n" + "GPU 0: x\n" * (n // 10),
                 id="gpu-lines"),
    pytest.param(lambda n: HEAD + "\n" * n, id="newlines"),
    pytest.param(lambda n: HEAD + "x\r" * (n // 2), id="carriage-returns"),
    pytest.param(lambda n: HEAD + "UserWarning: CUDA\n" * (n // 18), id="warnings"),
    pytest.param(lambda n: "vLLM Version: 1\nGPU Topology:\n" + "A_B=1\n" * (n // 6),
                 id="env-lines"),
    pytest.param(lambda n: HEAD + "CPU:\n" + "Flags: avx avx2\n" * (n // 16), id="cpu-block"),
    pytest.param(lambda n: HEAD + "OS: " + " " * (n - 60) + "x(", id="os-spaces"),
    pytest.param(lambda n: HEAD + "GPU models and configuration:\n"
                 + ("GPU 0: " + " " * 290 + "(gfx\n") * (n // 300), id="gpu-spaces"),
    pytest.param(lambda n: (HEAD + "GPU models and configuration:\n" + "".join(
        f"GPU {i}: NVIDIA Card {i}\n" for i in range(n // 20)))[:n], id="many-gpu-names"),
    pytest.param(lambda n: HEAD + "cuDNN version: Probably one of the following:\n"
                 + ("/a/" + "1." * 490 + "x.dylib\n") * (n // 990), id="cudnn-names"),
    pytest.param(lambda n: ("vLLM Version: 1\nGPU Topology:\n" + "".join(
        f"NCCL_X{i}=" + "a" * 1000 + "\n" for i in range(n // 1000)))[:n], id="env-values"),
    pytest.param(lambda n: HEAD + ("[pip3] # Editable (a==" + "b" * 200 + "(a==b" * 100
                                   + "\n") * (n // 730), id="editable-lines"),
    pytest.param(lambda n: HEAD + (":" * 399 + "\n") * (n // 400), id="colons"),
    pytest.param(lambda n: HEAD + ("Is debug build:" * 26 + "\n") * (n // 391),
                 id="labels-and-colons"),
])
def test_pathological_input_just_below_the_limit_stays_linear(
        make: Callable[[int], str]) -> None:
    # The limits are by size, not by time: at most MAX_SIZE characters, _MAX_LINES lines,
    # _MAX_ITEMS entries per list, two continuation lines per value. A regression to
    # quadratic work shows up as a test that takes minutes, and the bound below is ten
    # times what these take on a slow machine.
    text = make(MAX_SIZE - 1024)[:MAX_SIZE]
    start = time.perf_counter()
    try:
        f = parse_collect_env(text)
    except ReportError as exc:
        assert exc.hint
    else:
        assert f.origin.note
    assert time.perf_counter() - start < 10.0


def test_a_list_longer_than_any_real_one_is_cut_and_says_so() -> None:
    text = _report(*BASE[:-1], *(f"[pip3] pkg{i}==1.0" for i in range(60000)),
                   "[conda] Could not collect")
    f = parse_collect_env(text)
    assert 4000 < len(f.python.distributions) <= 5005
    record = f.probe("python")
    assert record is not None and any("were not read" in p for p in record.problems)
    assert imported_torch(f) is not None and len(f.nvidia.gpus) == 2


# =========================================================================== rules


@cache
def _doctor() -> Any:
    from envdoctor.doctor import Doctor

    return Doctor(today="2026-01-01")


@pytest.mark.parametrize("slug", SLUGS)
def test_no_rule_crashes_on_report_facts(slug: str) -> None:
    report = _doctor().check(parsed(slug))
    crashed = [f.message for f in report.findings if f.code == "ED0003"]
    assert not crashed, crashed


def test_the_importer_is_cheap_to_import() -> None:
    import subprocess
    import sys

    code = ("import sys; import envdoctor.importers.collect_env; "
            "print(','.join(m for m in ('envdoctor.probes', 'envdoctor.knowledge', 'json', "
            "'envdoctor.host') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""
