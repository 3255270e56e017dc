"""A Markdown report to paste into a bug report: summary, findings, facts folded away."""

from __future__ import annotations

import json

from envdoctor import __version__
from envdoctor._serde import to_jsonable
from envdoctor.render.redaction import Redactor
from envdoctor.render.summary import origin_line, summary_rows
from envdoctor.report import Report, Severity

_ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report, *, redact: bool = True) -> str:
    """Render the report as GitHub-flavoured Markdown (redacted unless told otherwise)."""
    facts = report.facts
    redactor = Redactor(facts) if redact else None

    def r(text: str) -> str:
        return redactor.text(text) if redactor else text

    lines = [f"## envdoctor report ({r(origin_line(facts))})", ""]
    lines.append(f"envdoctor {__version__}"
                 + (f", collected {facts.collected_at}" if facts.collected_at else "")
                 + (" · identifying details redacted" if redact else ""))
    lines += ["", "| | |", "|---|---|"]
    lines += [f"| **{label}** | {_cell(r(text))} |" for label, text in summary_rows(facts)]
    lines.append("")
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    lines.append(f"### Findings: {errors} error(s), {warnings} warning(s), "
                 f"{report.count(Severity.INFO)} note(s)"
                 + (f", {len(report.ignored)} ignored" if report.ignored else ""))
    lines.append("")
    if not report.findings:
        lines.append("No problems found.")
    for f in report.findings:
        lines.append(f"- {_ICONS[f.severity]} **{f.code}** `{f.name}`: {r(f.title)}  ")
        lines.append(f"  {r(f.message)}")
        if f.evidence:
            lines.append(f"  Evidence: {', '.join(f'`{r(e)}`' for e in f.evidence)}")
        for command in f.fix:
            lines.append(f"  Fix: `{r(command)}`")
        if f.fix_note:
            lines.append(f"  {r(f.fix_note)}")
    lines += ["", "### Facts", ""]
    data = to_jsonable(facts)
    if redactor:
        data = redactor.value(data)
    for key, value in data.items():
        if not isinstance(value, dict | list) or not value:
            continue
        body = json.dumps(value, indent=2, ensure_ascii=False)
        lines += [f"<details><summary>{key}</summary>", "", "```json", body, "```", "",
                  "</details>", ""]
    return "\n".join(lines).rstrip() + "\n"
