"""The rules, explain, plan and knowledge commands, and check's rule selection options."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import HOSTS, REPO
from envdoctor.cli import main
from envdoctor.rules import all_rules

REPORT_SCHEMA = json.loads((REPO / "envdoctor/schema/report.schema.json").read_text())
RTX4090 = str(HOSTS / "rtx4090-ubuntu2204-torch-cu124" / "facts.json")
MKL_ON_AMD = str(HOSTS / "azure-epyc-ubuntu2004-conda-mkl" / "facts.json")  # ED0102: a warning
TRUENAS = str(HOSTS / "truenas-driver-split-580" / "facts.json")  # ED0203: an error


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules"], capsys)
    assert code == 0
    for r in all_rules():
        assert f"{r.code}  {r.severity.value}" in out and r.name in out
    assert out.rstrip().endswith("'envdoctor explain CODE' prints one in full.")


def test_rules_json_carries_category(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and len(data) == len(all_rules())
    first = next(r for r in data if r["code"] == "ED0301")
    assert first["category"] == "driver-too-old" and first["severity"] == "error"


def test_explain_prints_every_section(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", "ed0302"], capsys)
    assert code == 0
    assert out.startswith("ED0302 gpu-arch-missing-from-framework-build\n")
    for heading in ("What it checks", "Why it matters", "How to fix", "Example", "References"):
        assert f"\n{heading}\n" in out


def test_explain_json_and_lookup_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", "nouveau-drives-the-nvidia-gpu", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["code"] == "ED0202"
    assert "blacklist" in data["doc"]["How to fix"]


@pytest.mark.parametrize(("args", "error", "hint"), [
    (["explain", "ED9999"], "no rule 'ED9999'", "envdoctor rules"),
    (["plan", "torch", "--gpu", "H1000"], "unknown GPU 'H1000'", "H100"),
    (["plan", "torch", "--gpu", "H100", "--driver", "abc"], "malformed driver version",
     "550.54.14"),
    (["plan", "torch==2.x", "--gpu", "H100"], "malformed version specifier", "==2.5"),
    (["plan", "keras", "--gpu", "H100"], "unknown framework 'keras'", "torch"),
    (["plan", "torch", "--gpu", "H100", "--facts", RTX4090], "cannot be combined",
     "one or the other"),
    (["check", "--facts", RTX4090, "--ignore", "ED9"], "'ED9' is not a rule code",
     "envdoctor rules"),
    (["check", "--facts", RTX4090, "--fail-on", "info"], "fail-on must be 'error' or "
     "'warning'", "fail-on"),
    (["check", "--facts", RTX4090, "--config", "/nonexistent/envdoctor.toml"],
     "does not exist", "envdoctor.toml"),
])
def test_bad_input_exits_2_with_error_and_hint(args: list[str], error: str, hint: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(args, capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: ") and error in lines[0], err
    assert lines[1].startswith("hint: ") and hint in lines[1], err


def test_plan_for_a_described_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["plan", "torch==2.5", "--gpu", "A100", "--driver", "535.104.05"],
                       capsys)
    assert code == 0
    assert "pip    pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cu121" \
        in out
    assert "Why:" in out


def test_plan_that_needs_a_driver_upgrade_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["plan", "torch", "--gpu", "RTX 5090", "--driver", "535.86.05",
                        "--json"], capsys)
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert data["driver_upgrade"]["enables"]["framework"] == "torch"


def test_plan_for_a_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["plan", "torch", "--facts", RTX4090], capsys)
    assert code == 0
    assert out.startswith("Plan for torch on NVIDIA GeForce RTX 4090 (8.9); driver 535.86.05")


def test_knowledge_shows_coverage_and_dates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["knowledge", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert set(data["tables"]) >= {"cuda_driver", "torch", "gpus", "rocm", "retired"}
    assert all(t["as_of"] for t in data["tables"].values())
    code, out, _ = run(["knowledge"], capsys)
    assert "Newest versions the knowledge base knows" in out


def test_fail_on_warning_turns_warnings_into_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", "--facts", MKL_ON_AMD], capsys)[0] == 0
    assert run(["check", "--facts", MKL_ON_AMD, "--fail-on", "warning"], capsys)[0] == 1


def test_ignored_findings_are_counted_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--facts", TRUENAS, "--json", "--ignore",
                        "driver-kernel-module-and-user-space-differ"], capsys)
    data = json.loads(out)
    jsonschema.validate(data, REPORT_SCHEMA)
    assert code == 0
    assert data["summary"]["ignored"] == 1
    assert data["ignored"][0]["finding"]["code"] == "ED0203"
    assert data["ignored"][0]["reason"] == "--ignore driver-kernel-module-and-user-space-differ"
    assert all(f["category"] for f in data["findings"])


def test_select_limits_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--facts", TRUENAS, "--json", "--select", "ED01,ED06"],
                       capsys)
    assert code == 0
    assert not json.loads(out)["findings"]


def test_waiver_in_pyproject_is_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.envdoctor]\n[[tool.envdoctor.waive]]\ncode = "ED0203"\n'
        'reason = "reboot booked for Friday"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["check", "--facts", TRUENAS], capsys)
    assert code == 0
    assert "(1 ignored)" in out
    code, _, _ = run(["check", "--facts", TRUENAS, "--no-config"], capsys)
    assert code == 1


REPORTS = REPO / "tests" / "reports" / "collect_env"


def test_check_collect_env_diagnoses_a_pasted_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--collect-env",
                        str(REPORTS / "pytorch-150733-rtx5090d-sm120-cu126.txt")], capsys)
    assert code == 1
    assert "(parsed, not probed)" in out.splitlines()[0]
    assert "ED0302" in out


def test_check_collect_env_from_standard_input(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import io

    text = (REPORTS / "pytorch-37212-p100-driver-410-fenced.txt").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text)))
    code, out, _ = run(["check", "--collect-env", "-", "--json"], capsys)
    data = json.loads(out)
    jsonschema.validate(data, REPORT_SCHEMA)
    assert code == 1
    assert data["facts"]["origin"]["kind"] == "report"
    assert "driver-too-old" in {f["category"] for f in data["findings"]}


@pytest.mark.parametrize(("content", "error"), [
    (b"", "empty"),
    (b"\x00\x01\x02\xff" * 1000, "binary"),
    (b"Package    Version\n---------- -------\nnumpy      1.26.4\n", "collect_env"),
])
def test_check_collect_env_garbage_exits_2(tmp_path: Path, content: bytes, error: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "report.txt"
    bad.write_bytes(content)
    code, out, err = run(["check", "--collect-env", str(bad)], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and error in err.splitlines()[0].lower()
    assert "\nhint: " in err and "Traceback" not in err


def test_check_collect_env_too_large_exits_2(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"PyTorch version: 2.5.1\n" + b"x" * (50 * 1024 * 1024))
    code, _, err = run(["check", "--collect-env", str(big)], capsys)
    assert code == 2 and "MiB" in err.splitlines()[0]


def test_diff_a_report_against_a_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["diff", str(HOSTS / "rtx4090-ubuntu2204-torch-cu124" / "facts.json"),
                        str(REPORTS / "pytorch-150733-rtx5090d-sm120-cu126.txt")], capsys)
    assert code == 1
    assert "Only on B (works on A, fails on B):" in out
    assert "ED0302" in out and "NVIDIA GPUs" in out
