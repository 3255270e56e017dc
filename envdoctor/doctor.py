"""The core object behind ``envdoctor check``: facts in, report out.

The CLI builds a host, collects facts (or loads them), and asks :class:`Doctor` for a
report; everything that decides what is wrong lives behind this one call.
"""

from __future__ import annotations

from envdoctor.facts import Facts, ProbeStatus
from envdoctor.report import Finding, Report, Severity, sort_findings


class Doctor:
    """Evaluate facts and produce a report."""

    def check(self, facts: Facts) -> Report:
        """Return the findings for ``facts``, errors first."""
        return Report(facts=facts, findings=sort_findings(probe_findings(facts)))


def probe_findings(facts: Facts) -> list[Finding]:
    """Findings about the tool's own probes: failed probes and sources it could not use."""
    findings = []
    for record in facts.probes:
        if record.status is ProbeStatus.FAILED:
            findings.append(Finding(
                code="ED0001", name="probe-failed", category="tool", severity=Severity.WARNING,
                title=f"The {record.name} probe failed; its facts are unknown",
                message=f"{record.name}: {record.detail or 'no detail'}",
                fix_note=("Run 'envdoctor check -v' and report it if it looks like an envdoctor "
                          "bug."),
                evidence=[f"probes.{record.name}.status=failed"],
            ))
        elif record.problems:
            findings.append(Finding(
                code="ED0002", name="probe-source-unusable", category="tool",
                severity=Severity.WARNING,
                title=f"The {record.name} probe could not use some of its sources",
                message="; ".join(record.problems),
                fix_note=("Facts from these sources are unknown, and rules that need them stay "
                          "quiet. Check the permissions of the files named, or raise the "
                          "command timeout with --timeout."),
                evidence=[f"probes.{record.name}.problems"],
            ))
    return findings
