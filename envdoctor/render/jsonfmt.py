"""The ``--json`` document: facts, findings and counts; the documented machine contract.

Its shape is published as ``envdoctor/schema/report.schema.json``.
"""

from __future__ import annotations

import json

from envdoctor import __version__
from envdoctor._serde import to_jsonable
from envdoctor.report import REPORT_SCHEMA_VERSION, Report, Severity


def report_to_jsonable(report: Report, *, redact: bool = False) -> dict[str, object]:
    """The report as plain JSON values."""
    facts = to_jsonable(report.facts)
    if redact:
        from envdoctor.render.redaction import redact_jsonable  # noqa: PLC0415

        facts = redact_jsonable(facts, report.facts)
    return {
        "report_schema_version": REPORT_SCHEMA_VERSION,
        "envdoctor_version": __version__,
        "summary": {
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
            "info": report.count(Severity.INFO),
            "ignored": len(report.ignored),
        },
        "findings": [to_jsonable(f) for f in report.findings],
        "ignored": [to_jsonable(i) for i in report.ignored],
        "facts": facts,
    }


def render_json(report: Report, *, redact: bool = False) -> str:
    """Render the report as an indented JSON document."""
    return json.dumps(report_to_jsonable(report, redact=redact), indent=2,
                      ensure_ascii=False) + "\n"
