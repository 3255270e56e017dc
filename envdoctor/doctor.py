"""The core object behind ``envdoctor check``: facts in, report out.

The CLI builds a host, collects facts (or loads them), and asks :class:`Doctor` for a
report. The doctor runs every selected rule over the facts and the knowledge base, turns
what each yields into findings with the rule's code, category and severity, applies the
user's settings (ignores, waivers, severity overrides) and orders the result. A rule that
raises becomes an ED0003 finding about itself; the others still run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from envdoctor.report import Finding, IgnoredFinding, Report, sort_findings

if TYPE_CHECKING:
    from envdoctor.config import Config
    from envdoctor.facts import Facts
    from envdoctor.knowledge import KnowledgeBase
    from envdoctor.rules.base import Rule


class Doctor:
    """Evaluate facts and produce a report."""

    def __init__(self, *, config: Config | None = None, kb: KnowledgeBase | None = None,
                 rules: Iterable[Rule] | None = None, today: str | None = None) -> None:
        from envdoctor.config import Config  # noqa: PLC0415
        from envdoctor.knowledge import KnowledgeBase  # noqa: PLC0415
        from envdoctor.rules import all_rules  # noqa: PLC0415

        self.config = config or Config()
        self.kb = kb or KnowledgeBase()
        self.rules = list(rules) if rules is not None else all_rules()
        # ISO date (waivers end on local days); strings avoid importing datetime.
        self.today = today or time.strftime("%Y-%m-%d")

    def check(self, facts: Facts) -> Report:
        """Return the findings for ``facts``, errors first, waived ones set apart."""
        from envdoctor.rules.base import Context  # noqa: PLC0415

        ctx = Context(facts, self.kb)
        findings: list[Finding] = []
        ignored: list[IgnoredFinding] = []
        seen: set[tuple[str, str]] = set()
        for rule in self.rules:
            if not self.config.selects(rule.code):
                continue
            for finding in self._run(rule, ctx):
                if (finding.code, finding.message) in seen:
                    continue
                seen.add((finding.code, finding.message))
                reason = self.config.ignore_reason(finding.code, finding.name, self.today)
                if reason is not None:
                    ignored.append(IgnoredFinding(finding, reason))
                else:
                    findings.append(finding)
        return Report(facts=facts, findings=sort_findings(findings),
                      ignored=sorted(ignored, key=lambda i: i.finding.code))

    def _run(self, rule: Rule, ctx: object) -> list[Finding]:
        from envdoctor.rules import RULE_CRASHED  # noqa: PLC0415

        try:
            issues = list(rule.check(ctx))  # type: ignore[arg-type]
        except Exception as exc:
            crash = RULE_CRASHED
            return [Finding(
                code=crash.code, name=crash.name, category=crash.category.value,
                severity=crash.severity, title=crash.title,
                message=f"{rule.code} ({rule.name}) crashed: {type(exc).__name__}: {exc}",
                fix_note="The rest of the report stands. Please report this with "
                         "'envdoctor snapshot -o facts.json' attached.",
                evidence=[f"rule={rule.code}"])]
        out = []
        override = self.config.severity.get(rule.code)
        expired = self.config.expired_waiver(rule.code, self.today)
        for issue in issues:
            note = issue.fix_note
            if expired is not None:
                note = (f"{note} " if note else "") + (
                    f"(The waiver '{expired.reason}' ended on {expired.until}.)")
            out.append(Finding(
                code=rule.code, name=rule.name, category=rule.category.value,
                severity=override or issue.severity or rule.severity, title=rule.title,
                message=issue.message, fix=list(issue.fix), fix_note=note,
                evidence=[with_value(ctx, e) for e in issue.evidence]))
        return out


def with_value(ctx: object, evidence: str) -> str:
    """``nvidia.userspace_version`` → ``nvidia.userspace_version=535.86.05``.

    Rules may name a fact without its value; the report always shows ``path=value`` so a
    reader sees what was observed. Entries that already carry a value, or name something
    that is not a plain fact path, are kept as written.
    """
    if "=" in evidence or "[" in evidence or " " in evidence:
        return evidence
    value: object = getattr(ctx, "facts", None)
    for part in evidence.split("."):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list):
            value = next((v for v in value if getattr(v, "name", None) == part), _MISSING)
        else:
            found = getattr(value, part, _MISSING)
            if found is _MISSING and isinstance(getattr(value, "variables", None), dict):
                found = value.variables.get(part, _MISSING)  # env.CUDA_VISIBLE_DEVICES
            value = found
        if value is _MISSING:
            return evidence
    if value is None or isinstance(value, str | int | float | bool):
        shown = "null" if value is None else str(value).lower() if isinstance(value, bool) \
            else str(value)
        return f"{evidence}={shown}"
    if isinstance(value, list) and len(value) <= 4 and all(
            isinstance(v, str | int | float) for v in value):
        return f"{evidence}=[{', '.join(map(str, value))}]"
    return evidence


_MISSING = object()
