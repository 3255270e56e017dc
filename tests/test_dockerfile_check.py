"""``envdoctor dockerfile --check``: an existing Dockerfile judged against a target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO
from envdoctor.cli import main

GOLDEN = REPO / "tests" / "dockerfiles"


def check(path: Path, target: list[str], capsys: pytest.CaptureFixture[str],
          ) -> tuple[int, dict[str, object]]:
    code = main(["dockerfile", "--check", str(path), "--json", *target])
    return code, json.loads(capsys.readouterr().out)


def codes(report: dict[str, object]) -> set[str]:
    return {f["code"] for f in report["findings"]}  # type: ignore[index,union-attr]


def test_a_plan_checks_clean_on_its_own_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(GOLDEN / "torch25-a10g-535.Dockerfile",
                         ["--gpu", "A10G", "--driver", "535.183.01"], capsys)
    assert code == 0 and not codes(report) - {"ED0213"}  # 535 is past end of life
    torch = report["facts"]["frameworks"][0]  # type: ignore[index]
    assert (torch["version"], torch["cuda_version"]) == ("2.5.1", "12.1")


def test_the_same_image_on_a_blackwell_card(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(GOLDEN / "torch25-a10g-535.Dockerfile",
                         ["--gpu", "RTX 5090", "--driver", "570.124.06"], capsys)
    assert code == 1
    assert "ED0302" in codes(report)  # cu121 has no sm_120 code


def test_a_cuda_image_on_a_driver_too_old(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "ARG CUDA=12.4.1\n"
        "FROM nvidia/cuda:${CUDA}-cudnn-runtime-ubuntu22.04\n"
        "RUN python3 -m pip install --no-cache-dir \\\n"
        "    torch==2.5.1 --index-url https://download.pytorch.org/whl/cu124\n")
    code, report = check(dockerfile, ["--gpu", "T4", "--driver", "470.82.01"], capsys)
    assert code == 1
    assert {"ED0301", "ED0309"} <= codes(report)
    assert report["facts"]["origin"]["kind"] == "report"  # type: ignore[index]


def test_a_new_card_on_an_old_driver(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(GOLDEN / "torch-rtx5090-570.Dockerfile",
                         ["--gpu", "RTX 5090", "--driver", "535.86.05"], capsys)
    assert code == 1
    assert "ED0215" in codes(report)  # R535 does not drive a Blackwell card at all


@pytest.mark.parametrize(("content", "error"), [
    (None, "cannot read"),
    ("echo hello\n", "has no FROM line"),
])
def test_not_a_dockerfile(tmp_path: Path, content: str | None, error: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "Dockerfile"
    if content is not None:
        path.write_text(content)
    code = main(["dockerfile", "--check", str(path), "--gpu", "T4"])
    err = capsys.readouterr().err
    assert code == 2 and error in err.splitlines()[0] and "hint: " in err
