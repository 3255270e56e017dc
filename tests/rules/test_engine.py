"""The engine: rules in, findings out, settings applied, crashes contained."""

from __future__ import annotations

from collections.abc import Iterator

from envdoctor.config import Config, Waiver
from envdoctor.doctor import Doctor
from envdoctor.report import Severity
from envdoctor.rules import find_rule
from envdoctor.rules.base import Category, Context, Issue, Rule
from tests.rules.builders import build

SPLIT = {"nvidia.userspace_version": "550.54.14"}  # module 535.86.05: ED0203 fires
HOST = "rtx4090-ubuntu2204-torch-cu124"


def _rule(code: str, check: object) -> Rule:
    return Rule(code=code, name=f"made-up-{code.lower()}", title="t", severity=Severity.ERROR,
                category=Category.CONFIG, check=check)  # type: ignore[arg-type]


def test_a_crashing_rule_becomes_a_finding_and_the_others_still_run() -> None:
    def boom(ctx: Context) -> Iterator[Issue]:
        raise KeyError("cuda")
        yield  # pragma: no cover

    split = find_rule("ED0203")
    assert split is not None
    report = Doctor(rules=[_rule("ED0699", boom), split]).check(build(HOST, SPLIT))
    codes = [f.code for f in report.findings]
    assert codes == ["ED0203", "ED0003"]
    crash = report.findings[1]
    assert crash.message == "ED0699 (made-up-ed0699) crashed: KeyError: 'cuda'"
    assert crash.category == "tool" and crash.severity is Severity.WARNING


def test_findings_carry_the_rules_metadata_and_observed_values() -> None:
    finding = Doctor().check(build(HOST, SPLIT)).findings[0]
    assert (finding.code, finding.name, finding.category, finding.severity) == (
        "ED0203", "driver-kernel-module-and-user-space-differ", "driver-userspace-mismatch",
        Severity.ERROR)
    # The rule names the facts; the engine adds what was observed.
    assert finding.evidence == ["nvidia.kernel_module_version=535.86.05",
                                "nvidia.userspace_version=550.54.14"]
    assert finding.fix == ["sudo reboot"]


def test_ignored_findings_are_counted_with_their_reason() -> None:
    report = Doctor(config=Config().with_options(ignore=["ED0203"])).check(build(HOST, SPLIT))
    assert "ED0203" not in [f.code for f in report.findings]
    assert [(i.finding.code, i.reason) for i in report.ignored] == [("ED0203",
                                                                      "--ignore ED0203")]
    assert report.exit_code() == 0


def test_select_by_prefix_runs_only_that_area() -> None:
    report = Doctor(config=Config().with_options(select=["ED01"])).check(build(HOST, SPLIT))
    assert all(f.code.startswith("ED01") for f in report.findings)
    assert not report.ignored


def test_severity_override_and_fail_on_warning() -> None:
    facts = build(HOST, SPLIT)
    config = Config(severity={"ED0203": Severity.WARNING})
    report = Doctor(config=config).check(facts)
    split = next(f for f in report.findings if f.code == "ED0203")
    assert split.severity is Severity.WARNING
    assert report.exit_code(Severity.ERROR) == 0
    assert report.exit_code(Severity.WARNING) == 1


def test_a_waiver_holds_until_its_date_then_the_finding_returns() -> None:
    facts = build(HOST, SPLIT)
    config = Config(waivers=(Waiver("ED0203", "reboot booked", "2026-12-01"),))
    before = Doctor(config=config, today="2026-12-01").check(facts)
    assert [i.reason for i in before.ignored] == ["reboot booked (until 2026-12-01)"]
    after = Doctor(config=config, today="2026-12-02").check(facts)
    back = next(f for f in after.findings if f.code == "ED0203")
    assert "The waiver 'reboot booked' ended on 2026-12-01." in (back.fix_note or "")


def test_the_same_finding_twice_is_reported_once() -> None:
    def twice(ctx: Context) -> Iterator[Issue]:
        yield Issue("same")
        yield Issue("same")

    report = Doctor(rules=[_rule("ED0698", twice)]).check(build())
    assert len(report.findings) == 1
