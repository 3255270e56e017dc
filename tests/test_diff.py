"""``envdoctor diff``: what differs between two machines, and why one of them fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import HOSTS
from envdoctor.cli import main
from envdoctor.snapshot import facts_to_json
from tests.rules.builders import build

RTX4090 = "rtx4090-ubuntu2204-torch-cu124"


def snapshot(tmp_path: Path, name: str, host: str, changes: dict[str, object]) -> str:
    path = tmp_path / name
    path.write_text(facts_to_json(build(host, changes)), encoding="utf-8")
    return str(path)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_driver_downgrade_is_named_as_the_cause(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    a = snapshot(tmp_path, "a.json", RTX4090, {})
    b = snapshot(tmp_path, "b.json", RTX4090, {"nvidia.userspace_version": "470.82.01",
                                                "nvidia.kernel_module_version": "470.82.01",
                                                "nvidia.cuda_driver_version": "11.4"})
    code, out, _ = run(["diff", a, b], capsys)
    assert code == 1
    assert "Only on B (works on A, fails on B):" in out
    assert "ED0301" in out
    assert "because: NVIDIA driver 535.86.05 → 470.82.01" in out
    # The most relevant difference comes first.
    differs = out.split("What differs (most relevant first):\n", 1)[1].splitlines()
    assert differs[0].split()[:2] == ["NVIDIA", "driver"]


def test_recorded_hosts_container_started_without_gpus(capsys: pytest.CaptureFixture[str],
                                                       ) -> None:
    code, out, _ = run(["diff", "--json", str(HOSTS / RTX4090 / "facts.json"),
                        str(HOSTS / "container-without-gpu" / "facts.json")], capsys)
    data = json.loads(out)
    assert code == 1 and data["same"] is False
    only_b = {o["finding"]["code"]: o for o in data["only_b"]}
    assert "ED0602" in only_b
    because = {d["label"] for d in only_b["ED0602"]["because"]}
    assert because & {"NVIDIA_VISIBLE_DEVICES", "GPU devices in the container"}
    labels = [d["label"] for d in data["differences"]]
    assert "NVIDIA driver" in labels and "Platform" in labels


def test_recorded_hosts_cudnn_shadowing(capsys: pytest.CaptureFixture[str]) -> None:
    # Same GPUs and driver; the failing one has a system cuDNN on LD_LIBRARY_PATH.
    code, out, _ = run(["diff", "--json", str(HOSTS / "two-toolkits-path-vs-default" /
                                              "facts.json"),
                        str(HOSTS / "system-cudnn-shadows-pip" / "facts.json")], capsys)
    data = json.loads(out)
    assert code == 1
    shadow = next(o for o in data["only_b"] if o["finding"]["code"] == "ED0306")
    because = {d["label"] for d in shadow["because"]}
    assert because == {"LD_LIBRARY_PATH", "cudnn"}  # not PATH, which LD_LIBRARY_PATH contains
    # Identical GPUs named the same way are not a difference.
    assert "NVIDIA GPUs" not in [d["label"] for d in data["differences"]]


def test_identical_sides(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(HOSTS / RTX4090 / "facts.json")
    code, out, _ = run(["diff", path, path], capsys)
    assert code == 0
    assert "No difference that matters" in out


def test_live_against_a_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["diff", "live", str(HOSTS / RTX4090 / "facts.json")], capsys)
    assert code in (0, 1)
    assert out.startswith("A: this machine\nB: snapshot ")


@pytest.mark.parametrize(("args", "error"), [
    (["diff", "nope.json", "live"], "nope.json does not exist"),
    (["diff", "-", "-"], "only one side can be read from standard input"),
])
def test_bad_sides_exit_2(args: list[str], error: str, capsys: pytest.CaptureFixture[str],
                          ) -> None:
    code, out, err = run(args, capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {error}") and "\nhint: " in err
