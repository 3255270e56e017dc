"""Human output for a terminal: the summary first, then findings by severity."""

from __future__ import annotations

from envdoctor import __version__
from envdoctor.facts import ProbeStatus
from envdoctor.render.summary import origin_line, summary_rows
from envdoctor.report import Finding, Report, Severity

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def render_text(report: Report, *, color: bool = False) -> str:
    """Render the report for a person reading a terminal."""
    facts = report.facts
    lines = [_paint(f"envdoctor {__version__}", "1", color) + f" · {origin_line(facts)}"]
    if facts.origin.note:
        lines.append(f"  note: {facts.origin.note}")
    lines.append("")
    for label, text in summary_rows(facts):
        lines.append(f"  {label:<9} {text}")
    lines.append("")
    lines.append(_counts_line(report, color))
    for finding in report.findings:
        lines.append("")
        lines.extend(_finding(finding, color))
    not_ok = [r for r in facts.probes if r.status in (ProbeStatus.FAILED, ProbeStatus.PARTIAL)
              and r.problems]
    if not_ok:
        lines.append("")
        lines.append("Probes that could not see everything:")
        lines.extend(f"  {r.name}: {'; '.join(r.problems)}" for r in not_ok)
    return "\n".join(lines) + "\n"


def _counts_line(report: Report, color: bool) -> str:
    errors = report.count(Severity.ERROR)
    warnings = report.count(Severity.WARNING)
    infos = report.count(Severity.INFO)
    if not (errors or warnings or infos):
        text = "No problems found."
    else:
        parts = []
        if errors:
            parts.append(_paint(f"{errors} error{'s' if errors != 1 else ''}",
                                _COLORS[Severity.ERROR], color))
        if warnings:
            parts.append(_paint(f"{warnings} warning{'s' if warnings != 1 else ''}",
                                _COLORS[Severity.WARNING], color))
        if infos:
            parts.append(f"{infos} note{'s' if infos != 1 else ''}")
        text = ", ".join(parts) + "."
    if report.ignored:
        text += f" ({len(report.ignored)} ignored)"
    return text


def _finding(f: Finding, color: bool) -> list[str]:
    head = f"{f.severity.value.upper():<7} {f.code} {f.title}"
    lines = [_paint(head, _COLORS[f.severity], color)]
    lines.extend(f"        {line}" for line in f.message.splitlines())
    if f.evidence:
        lines.append("        evidence: " + ", ".join(f.evidence))
    for command in f.fix:
        lines.append("        fix: " + _paint(f"$ {command}", "1", color))
    if f.fix_note:
        lines.append(f"        {f.fix_note}")
    lines.append(f"        (envdoctor explain {f.code})")
    return lines
