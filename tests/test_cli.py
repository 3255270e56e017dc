"""The command line: exit codes, error messages, output destinations."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO
from envdoctor import __version__
from envdoctor.cli import main

REPORT_SCHEMA = json.loads((REPO / "envdoctor/schema/report.schema.json").read_text())


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"], capsys) == (0, f"envdoctor {__version__}\n", "")


def test_bare_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([], capsys)
    assert code == 0
    assert "check" in out
    assert "snapshot" in out


def test_live_check_json_validates_against_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--json"], capsys)
    assert code in (0, 1)
    data = json.loads(out)
    jsonschema.validate(data, REPORT_SCHEMA)
    assert data["facts"]["origin"]["kind"] == "live"
    assert data["summary"]["errors"] == sum(f["severity"] == "error" for f in data["findings"])


def test_live_check_text_starts_with_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--color", "never"], capsys)
    assert code in (0, 1)
    lines = out.splitlines()
    assert lines[0].startswith(f"envdoctor {__version__}")
    assert any(line.strip().startswith("System") for line in lines[:8])
    assert "\033[" not in out


def test_colour_only_when_asked_or_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["check", "--color", "always"], capsys)
    assert "\033[1m" in out
    _, out, _ = run(["check"], capsys)  # captured output is not a terminal
    assert "\033[" not in out


def test_output_file_gets_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.json"
    code, out, _ = run(["check", "--json", "-o", str(target)], capsys)
    assert code in (0, 1)
    assert out == ""
    jsonschema.validate(json.loads(target.read_text()), REPORT_SCHEMA)


def test_markdown_is_redacted_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["check", "--markdown"], capsys)
    assert out.startswith("## envdoctor report")
    assert "identifying details redacted" in out
    _, out, _ = run(["check", "--markdown", "--no-redact"], capsys)
    assert "identifying details redacted" not in out


@pytest.mark.parametrize(("args", "error", "hint"), [
    (["check", "--facts", "/nonexistent/snap.json"], "facts file /nonexistent/snap.json does "
     "not exist", "envdoctor snapshot -o FILE"),
    (["check", "--root", "/nonexistent/image"], "--root /nonexistent/image does not exist",
     "mounted or unpacked"),
    (["check", "--json", "--markdown"], "cannot be used together", "pick one"),
    (["check", "--root", "/", "--facts", "x.json"], "cannot be used together", "--facts"),
    (["check", "--bogus"], "No such option: --bogus", "envdoctor check --help"),
    (["check", "--timeout", "-1"], "-1", "envdoctor check --help"),
    (["frobnicate"], "No such command", "envdoctor --help"),
])
def test_user_errors_exit_2_with_error_and_hint(args: list[str], error: str, hint: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: ") and error in lines[0], err
    assert lines[1].startswith("hint: ") and hint in lines[1], err
    assert "Traceback" not in err


def test_corrupt_facts_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "snap.json"
    bad.write_text('{"schema_version": 1, "cpu": ')
    code, _, err = run(["check", "--facts", str(bad)], capsys)
    assert code == 2
    assert err.startswith(f"error: facts file {bad} is not valid JSON")
    assert "hint: re-create it with 'envdoctor snapshot -o snap.json'" in err


def test_newer_schema_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    newer = tmp_path / "new.json"
    newer.write_text(json.dumps({"schema_version": 99}))
    code, _, err = run(["check", "--facts", str(newer)], capsys)
    assert code == 2
    assert "written with facts schema 99" in err
    assert "hint: upgrade envdoctor" in err


def test_unwritable_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", "-o", "/nonexistent/dir/report.txt"], capsys)
    assert code == 2
    assert err.startswith("error: cannot write /nonexistent/dir/report.txt")


def test_internal_errors_are_reported_not_raised(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import envdoctor.doctor

    def explode(self: object, facts: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(envdoctor.doctor.Doctor, "check", explode)
    code, _, err = run(["check"], capsys)
    assert code == 2
    assert err.startswith("error: internal error: RuntimeError: boom")
    assert "Traceback" not in err
    code, _, err = run(["-v", "check"], capsys)
    assert "Traceback" in err


def test_snapshot_to_stdout_is_facts_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["snapshot"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["schema_version"] == 1
    assert "findings" not in data
