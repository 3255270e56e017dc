"""Findings and the report: what ``check`` found, ready for a renderer.

A :class:`Finding` states one problem with the observed values, the facts that
triggered it and the exact fix. A :class:`Report` holds the facts and the findings,
ordered (errors first) before any renderer sees them; renderers compute nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from envdoctor.facts import Facts

REPORT_SCHEMA_VERSION = 1
"""Version of the ``check --json`` document (the facts inside carry their own)."""


class Severity(str, Enum):
    """How bad a finding is; ``error`` makes ``check`` exit 1."""

    ERROR = "error"
    """Something that will not work (a framework cannot use the GPU)."""
    WARNING = "warning"
    """Something that works badly or will break soon."""
    INFO = "info"
    """Worth knowing; nothing to fix."""

    @property
    def rank(self) -> int:
        """0 for errors, 1 for warnings, 2 for info: the report's sort order."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found on the machine."""

    code: str
    """Stable rule code (``ED0302``)."""
    name: str
    """Rule name describing the problem (``cuda-runtime-newer-than-driver``)."""
    category: str
    """Group from the fixed vocabulary (``driver-too-old``, ``blas``, ``tool``, …)."""
    severity: Severity
    """How bad it is."""
    title: str
    """One line saying what is wrong."""
    message: str
    """The problem with the observed values."""
    fix: list[str] = field(default_factory=list)
    """Exact commands that fix it on this machine, in order; empty when there is none."""
    fix_note: str | None = None
    """What to do when the fix is not a command, or what to know before running it."""
    evidence: list[str] = field(default_factory=list)
    """The facts that triggered it, as ``path=value`` (``python.version=3.13.1``)."""


@dataclass(frozen=True, slots=True)
class IgnoredFinding:
    """A finding the user waived, kept so the report can count it."""

    finding: Finding
    """The finding."""
    reason: str
    """Why it is ignored (``--ignore ED0105``, or the reason given in the config file)."""


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of a check: the facts and what is wrong with them."""

    facts: Facts
    """What the machine is."""
    findings: list[Finding] = field(default_factory=list)
    """What is wrong, errors first."""
    ignored: list[IgnoredFinding] = field(default_factory=list)
    """Findings waived by configuration or ``--ignore``."""

    def count(self, severity: Severity) -> int:
        """Number of findings of that severity (ignored ones excluded)."""
        return sum(1 for f in self.findings if f.severity is severity)

    def exit_code(self, fail_on: Severity = Severity.ERROR) -> int:
        """0 when nothing at or above ``fail_on`` was found, else 1."""
        return 1 if any(f.severity.rank <= fail_on.rank for f in self.findings) else 0


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Order findings for display: severity, then code."""
    return sorted(findings, key=lambda f: (f.severity.rank, f.code))
