"""Settings files and the options that select, ignore and waive rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.config import ConfigError, load_config
from envdoctor.report import Severity
from envdoctor.rules import all_rules

KNOWN = {r.code: r.name for r in all_rules()}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_config(search_from=tmp_path, known=KNOWN)
    assert config.select == () and config.ignore == () and config.fail_on is Severity.ERROR


def test_pyproject_tool_table_is_found_from_a_subfolder(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", """
[project]
name = "x"

[tool.envdoctor]
ignore = ["ED0105", "mkl-on-amd-cpu"]
fail-on = "warning"
severity = { ED0104 = "error" }

[[tool.envdoctor.waive]]
code = "ED0213"
reason = "535 is what the cluster image ships until January"
until = 2027-01-31
""")
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    config = load_config(search_from=tmp_path / "src" / "pkg", known=KNOWN)
    assert [e for e, _ in config.ignore] == ["ED0105", "mkl-on-amd-cpu"]
    assert config.fail_on is Severity.WARNING
    assert config.severity == {"ED0104": Severity.ERROR}
    reason = config.ignore_reason("ED0102", "mkl-on-amd-cpu", "2026-01-01")
    assert reason is not None and reason.startswith("ignored in ")
    assert reason.endswith("pyproject.toml")
    waiver = config.waivers[0]
    assert (waiver.code, waiver.until) == ("ED0213", "2027-01-31")


def test_a_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "envdoctor.toml", 'select = ["ED02"]\n')
    _write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')
    config = load_config(search_from=tmp_path / "sub", known=KNOWN)
    assert config.select == ("ED02",)


@pytest.mark.parametrize(("text", "message"), [
    ('ignore = ["ED9999"]', "'ED9999' is not a rule code, name or prefix"),
    ('ignroe = ["ED0105"]', "unknown setting(s) ignroe"),
    ('fail-on = "info"', "fail-on must be 'error' or 'warning'"),
    ('severity = { ED0104 = "fatal" }', "'fatal' is not a severity"),
    ('[[waive]]\ncode = "ED0213"\n', "the waiver for ED0213 gives no reason"),
    ('[[waive]]\ncode = "ED0213"\nreason = "x"\nuntil = "soon"\n', "is not a date"),
    ('ignore = [', "is not valid TOML"),
])
def test_bad_settings_are_errors_naming_the_file(tmp_path: Path, text: str, message: str,
                                                 ) -> None:
    path = _write(tmp_path / "envdoctor.toml", text + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path=path, known=KNOWN)
    assert message in info.value.message
    assert str(path) in info.value.message
    assert info.value.hint


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(path=tmp_path / "nope.toml", known=KNOWN)
