"""Pasted reports whose thread established the cause get a finding of that category;
reports of healthy environments get no error.

The expectations come from the corpus's JSON (``cause``, quoted from the thread), never
from envdoctor's output. A report whose text cannot show its cause is listed below with
the reason, rather than skipped silently.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from envdoctor.doctor import Doctor
from envdoctor.importers.collect_env import parse_collect_env
from envdoctor.report import Report, Severity

CORPUS = Path(__file__).resolve().parent.parent / "reports" / "collect_env"
# Causes the report text itself cannot show (the evidence is elsewhere in the thread).
NOT_IN_THE_TEXT = {
    "pytorch-10657-arch-amd-apu-cpu-build":
        "the AMD APU is named only in the poster's prose; the report shows no GPU at all",
}


def _meta(slug: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((CORPUS / f"{slug}.json").read_text(encoding="utf-8"))
    return data


def _with_cause() -> list[str]:
    return sorted(p.stem for p in CORPUS.glob("*.json")
                  if (json.loads(p.read_text(encoding="utf-8")).get("cause") or {})
                  .get("category"))


@cache
def report(slug: str) -> Report:
    text = (CORPUS / f"{slug}.txt").read_text(encoding="utf-8")
    return Doctor().check(parse_collect_env(text, path=f"{slug}.txt"))


CAUSED = _with_cause()
HEALTHY = [s for s in CAUSED if _meta(s)["cause"]["category"] == "healthy"]  # type: ignore[index]
BROKEN = [s for s in CAUSED if s not in HEALTHY]


def test_the_corpus_has_established_causes() -> None:
    assert len(HEALTHY) >= 5 and len(BROKEN) >= 5


@pytest.mark.parametrize("slug", BROKEN)
def test_the_established_cause_is_found(slug: str) -> None:
    category = _meta(slug)["cause"]["category"]  # type: ignore[index]
    found = {f.category for f in report(slug).findings if f.severity is not Severity.INFO}
    if slug in NOT_IN_THE_TEXT:
        assert category not in found, "now diagnosed: remove it from NOT_IN_THE_TEXT"
        return
    assert category in found, [f"{f.code} {f.category}: {f.message}"
                               for f in report(slug).findings]


@pytest.mark.parametrize("slug", HEALTHY)
def test_healthy_reports_have_no_error(slug: str) -> None:
    errors = [f"{f.code}: {f.message}" for f in report(slug).findings
              if f.severity is Severity.ERROR]
    assert errors == []


def test_report_origin_is_said() -> None:
    facts = report(BROKEN[0]).facts
    assert facts.origin.kind.value == "report"
