"""The planner gives the install an expert would, from the knowledge base's real rows."""

from __future__ import annotations

from functools import cache

import pytest

from conftest import HOSTS
from envdoctor._serde import from_jsonable
from envdoctor._util import version_tuple
from envdoctor.compat import arch_support
from envdoctor.errors import UsageError
from envdoctor.facts import Facts
from envdoctor.knowledge import KnowledgeBase
from envdoctor.planner import Plan, Planner, Request, Target

KB = KnowledgeBase()


@cache
def host_target(name: str) -> Target:
    facts = from_jsonable(Facts, __import__("json").loads(
        (HOSTS / name / "facts.json").read_text(encoding="utf-8")))
    return Target.from_facts(facts)


def plan(request: str, target: Target, **kwargs: bool) -> Plan:
    return Planner(KB).plan(Request.parse(request), target, **kwargs)


def described(gpu: str, driver: str | None = None, python: str | None = None) -> Target:
    return Target.describe_args(KB, [gpu], driver, python)


def test_535_driver_gets_the_cuda_build_it_runs_natively() -> None:
    # torch 2.5 comes as cu118, cu121 and cu124; driver 535 is CUDA 12.2: cu121 is native.
    result = plan("torch==2.5", described("A100", "535.104.05"))
    assert result.choice is not None
    assert (result.choice.version, result.choice.variant) == ("2.5.1", "cu121")
    assert result.choice.pip == ("pip install torch==2.5.1 --index-url "
                                 "https://download.pytorch.org/whl/cu121")
    assert result.choice.uv.startswith("uv pip install torch==2.5.1 --index-url")
    assert any("cu124: runs only through minor-version compatibility" in r
               for r in result.rejected)


def test_535_workstation_gets_the_closest_cuda_12_build_of_the_newest_torch() -> None:
    target = host_target("rtx4090-ubuntu2204-torch-cu124")
    assert (target.driver, target.python) == ("535.86.05", "3.11")
    result = plan("torch", target)
    newest = KB.newest_release("torch")
    assert result.choice is not None
    assert result.choice.version == newest
    # CUDA 13 builds need an R580 driver; of the CUDA 12 builds the oldest is the closest
    # to what the driver supports natively.
    assert result.choice.variant == "cu126"
    assert "minor-version compatibility" in result.choice.reasons[0]
    assert any("cu130: CUDA 13.0 needs driver >= 580.65.06" in r for r in result.rejected)


def test_blackwell_card_on_a_535_driver_needs_a_driver_upgrade() -> None:
    result = plan("torch", described("RTX 5090", "535.86.05"))
    assert result.choice is None and result.upgrade is not None
    # The 535 driver does not know the GPU at all: no torch build can help.
    assert "RTX 5090 (compute capability 12.0) needs driver >= 570.26" in result.rejected[0]
    assert result.upgrade.branch == KB.recommended_branch(["12.0"])
    assert version_tuple(result.upgrade.minimum) >= (570, 26)
    after = result.upgrade.enables
    assert after is not None and after.cuda is not None
    variant = KB.torch_release(after.version)["variants"][after.variant]
    assert arch_support("12.0", variant["arch"]) is not None


def test_volta_is_not_offered_builds_that_dropped_it() -> None:
    result = plan("torch", described("V100", "590.44.01"))
    assert result.choice is not None and result.choice.variant == "cu126"
    assert any("cu130" in r and "no code for V100 (CC 7.0)" in r for r in result.rejected)


def test_volta_driver_upgrade_stops_at_the_last_branch_that_drives_it() -> None:
    result = plan("torch", described("V100", "418.87.01"))
    assert result.upgrade is not None
    assert result.upgrade.branch == "580"  # R580 is the last branch for Maxwell to Volta


def test_driver_too_old_for_every_cuda_12_build_falls_back_to_cuda_11() -> None:
    result = plan("torch", described("T4", "470.82.01", "3.10"))
    assert result.choice is not None and result.choice.variant == "cu118"
    assert result.notes and "Driver 520.61.05 or newer runs this build natively" in \
        result.notes[0]


def test_amd_data_centre_gpu_gets_a_build_known_to_cover_it() -> None:
    result = plan("torch", host_target("mi300x-rocm7"))
    assert result.choice is not None and result.choice.rocm is not None
    row = KB.torch_release(result.choice.version)["variants"][result.choice.variant]
    assert "gfx942" in row["gfx"]
    assert result.choice.index_url == KB.torch_index_url(result.choice.variant)


def test_amd_consumer_card_gets_its_family_build_with_a_labelled_override() -> None:
    result = plan("torch", described("RX 6700 XT"))
    assert result.choice is not None and result.choice.rocm is not None
    assert "gfx1030" in result.choice.reasons[0]
    assert any("HSA_OVERRIDE_GFX_VERSION=10.3.0" in n and "Unsupported workaround" in n
               for n in result.notes)


def test_gpu_less_machine_gets_the_cpu_wheel() -> None:
    result = plan("torch", host_target("arm64-cortexx3-debian12"))
    assert result.choice is not None and result.choice.variant == "cpu"
    assert result.choice.index_url == "https://download.pytorch.org/whl/cpu"


def test_python_version_rules_out_releases() -> None:
    result = plan("torch", described("A100", "550.54.14", "3.8"))
    assert result.choice is not None
    assert "3.8" in KB.torch_release(result.choice.version)["python"]
    assert any("not 3.8" in r for r in result.rejected)


def test_tensorflow_on_an_old_driver_gets_the_release_whose_cuda_it_runs() -> None:
    result = plan("tensorflow", described("T4", "470.82.01"))
    assert result.choice is not None
    row = KB.release("tensorflow", result.choice.version)
    assert row is not None and version_tuple(row["cuda"])[0] == 11
    assert result.choice.pip == f'pip install "tensorflow[and-cuda]=={result.choice.version}.*"'


def test_jax_on_an_old_driver_says_which_driver_to_install() -> None:
    result = plan("jax", described("T4", "470.82.01"))
    assert result.choice is None and result.upgrade is not None
    assert result.upgrade.minimum == "525.60.13"
    assert result.upgrade.enables is not None and "jax[cuda" in result.upgrade.enables.pip


def test_cpu_flag_plans_a_cpu_build_on_a_gpu_machine() -> None:
    result = plan("torch", described("H100", "550.54.14"), cpu=True)
    assert result.choice is not None and result.choice.variant == "cpu"


@pytest.mark.parametrize(("spec", "version", "matches"), [
    ("==2.5", "2.5.1", True), ("==2.5", "2.6.0", False), (">=2.4,<2.6", "2.5.1", True),
    (">=2.4,<2.6", "2.6.0", False), ("~=2.4", "2.9.1", True), ("!=2.5", "2.5.1", False),
])
def test_version_specifiers_behave_like_pip(spec: str, version: str, matches: bool) -> None:
    assert Request.parse(f"torch{spec}").matches(version) is matches


@pytest.mark.parametrize(("text", "message"), [
    ("tensorflo", "unknown framework 'tensorflo'"),
    ("torch=2.5", "malformed version specifier '=2.5'"),
    ("torch==abc", "malformed version specifier '==abc'"),
])
def test_bad_requests_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Request.parse(text)


def test_unknown_gpu_and_malformed_versions_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown GPU 'H1000'"):
        Target.describe_args(KB, ["H1000"], None, None)
    with pytest.raises(UsageError, match="malformed driver version '5x'"):
        Target.describe_args(KB, ["H100"], "5x", None)
    with pytest.raises(UsageError, match="malformed Python version 'three'"):
        Target.describe_args(KB, ["H100"], None, "three")


def test_a_release_the_tables_do_not_have_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"no torch release matches torch==9\.9"):
        plan("torch==9.9", described("H100"))


@pytest.mark.parametrize(("driver", "package"), [
    ("580.65.06", "'cupy-cuda13x==14.*'"), ("535.104.05", "'cupy-cuda12x==14.*'"),
    # The whole-major wheel (not the old cupy-cuda117), from the last series with CUDA 11.
    ("470.82.01", "'cupy-cuda11x==13.*'"),
])
def test_cupy_wheel_follows_the_driver(driver: str, package: str) -> None:
    result = plan("cupy", described("T4", driver, "3.11"))
    assert result.choice is not None and result.choice.pip == f"pip install {package}"


def test_jax_on_a_new_enough_driver_needs_no_upgrade() -> None:
    result = plan("jax", described("H100", "550.54.14"))
    assert result.choice is not None and result.upgrade is None


def test_windows_cuda_build_always_comes_from_the_index() -> None:
    from dataclasses import replace

    linux = described("RTX 4090", "560.94")
    windows = replace(linux, system="Windows")
    on_linux, on_windows = plan("torch", linux), plan("torch", windows)
    assert on_linux.choice is not None and on_windows.choice is not None
    # On Linux the default PyPI wheel may be the CUDA build; on Windows it is the CPU one.
    assert on_windows.choice.index_url is not None
    assert "--index-url https://download.pytorch.org/whl/cu" in on_windows.choice.pip
