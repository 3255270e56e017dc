"""Output of ``envdoctor rules``, ``explain`` and ``knowledge``: the catalogue, not a machine."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envdoctor.knowledge import KnowledgeBase
    from envdoctor.rules.base import Rule


def rule_to_dict(rule: Rule, *, with_doc: bool = False) -> dict[str, Any]:
    """A rule's metadata (and documentation sections) as JSON-ready values."""
    out: dict[str, Any] = {"code": rule.code, "name": rule.name, "title": rule.title,
                           "severity": rule.severity.value, "category": rule.category.value,
                           "since": rule.since, "status": rule.status}
    if with_doc:
        out["doc"] = rule.sections()
    return out


def render_rules(rules: list[Rule], *, as_json: bool) -> str:
    """The rule list: a table for people, an array for programs."""
    if as_json:
        return json.dumps([rule_to_dict(r) for r in rules], indent=2) + "\n"
    from envdoctor.rules.base import AREAS  # noqa: PLC0415

    lines: list[str] = []
    area = None
    for r in rules:
        if r.code[:4] != area:
            area = r.code[:4]
            if lines:
                lines.append("")
            lines.append(f"{area}xx  {AREAS.get(area, '')}")
        lines.append(f"  {r.code}  {r.severity.value:<7}  {r.category.value:<26} {r.name}")
    lines.append("")
    lines.append(f"{len(rules)} rules. 'envdoctor explain CODE' prints one in full.")
    return "\n".join(lines) + "\n"


def render_explain(rule: Rule, *, as_json: bool) -> str:
    """One rule's documentation."""
    if as_json:
        return json.dumps(rule_to_dict(rule, with_doc=True), indent=2) + "\n"
    lines = [f"{rule.code} {rule.name}", rule.title, "",
             f"Severity: {rule.severity.value}   Category: {rule.category.value}   "
             f"Since: {rule.since}", ""]
    for heading, body in rule.sections().items():
        lines.append(heading)
        lines.extend(f"  {line}" if line else "" for line in body.splitlines())
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def knowledge_summary(kb: KnowledgeBase) -> dict[str, Any]:
    """What the knowledge base covers: ranges, counts and as-of dates per table."""
    from envdoctor._util import version_tuple  # noqa: PLC0415

    def span(values: list[str]) -> str:
        ordered = sorted(values, key=version_tuple)
        return f"{ordered[0]} … {ordered[-1]}" if ordered else "none"

    t = kb.table
    cuda_rows = t("cuda_driver")["toolkits"]
    branches = [r["branch"] for r in t("cuda_driver")["driver_branches"]]
    tables: dict[str, Any] = {
        "cuda_driver": {"covers": f"CUDA {span([r['cuda'] for r in cuda_rows])}; driver "
                        f"branches {span(branches)}"},
        "cuda_arch": {"covers": "SM targets of CUDA "
                      + span([r["cuda"] for r in t("cuda_arch")["toolkits"]])},
        "gpus": {"covers": f"{len(t('gpus')['nvidia'])} NVIDIA and {len(t('gpus')['amd'])} "
                 "AMD GPU models"},
        "pci_ids": {"covers": f"{len(t('pci_ids')['devices'])} PCI device ids"},
    }
    for name, key in (("torch", "latest"), ("tensorflow", "tensorflow"), ("jax", "jax"),
                      ("onnxruntime", "onnxruntime"), ("paddle", "paddle"),
                      ("cudnn", "cudnn"), ("rocm", "rocm")):
        rows = t(name)["releases"]
        tables[name] = {"covers": f"{name} {span([r[key] for r in rows if r.get(key)])}"}
    packages = [p["package"] for p in t("cupy")["packages"]]
    tables["cupy"] = {"covers": ", ".join(packages[:3]) + f" and {len(packages) - 3} older "
                      "or ROCm wheels"}
    images = t("images")
    tables["images"] = {"covers": f"nvidia/cuda {span([r['cuda'] for r in images['cuda']])}; "
                        "python " + span([r["python"] for r in images["python"]]) + " slim"}
    tables["retired"] = {"covers": ", ".join(r["name"] for r in t("retired")["frameworks"])}
    for name, info in tables.items():
        data = t(name)
        rows = _rows(data) if name != "pci_ids" else list(data["devices"].values())
        info["rows"] = len(rows)
        info["as_of"] = data.get("as_of")
        labelled = any("status" in r for r in rows)  # pci_ids rows come from one file
        info["gaps"] = sum(1 for r in rows if r.get("status") == "gap") if labelled else None
        info["verified"] = sum(1 for r in rows if r.get("status") == "verified") \
            if labelled else None
    return {"newest": {"driver_branch": kb.newest_driver_branch(), "cuda": kb.newest_cuda(),
                       "torch": kb.newest_release("torch"), "rocm": kb.newest_rocm()},
            "tables": tables}


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for value in data.values():
        if isinstance(value, list):
            rows.extend(v for v in value if isinstance(v, dict))
    return rows


def render_knowledge(summary: dict[str, Any], *, as_json: bool) -> str:
    """The knowledge summary for people or programs."""
    if as_json:
        return json.dumps(summary, indent=2) + "\n"
    newest = summary["newest"]
    lines = ["Newest versions the knowledge base knows (anything newer is reported as such, "
             "not guessed):",
             f"  driver branch {newest['driver_branch']} · CUDA {newest['cuda']} · torch "
             f"{newest['torch']} · ROCm {newest['rocm']}", "",
             f"  {'table':<12} {'as of':<11} {'rows':>5} {'verified':>8} {'gaps':>5}  covers"]
    for name, info in summary["tables"].items():
        verified = "-" if info["verified"] is None else info["verified"]
        gaps = "-" if info["gaps"] is None else info["gaps"]
        lines.append(f"  {name:<12} {info['as_of'] or '?':<11} {info['rows']:>5} "
                     f"{verified:>8} {gaps:>5}  {info['covers']}")
    lines.append("")
    lines.append("Sources and how to update: docs/knowledge-base.md")
    return "\n".join(lines) + "\n"
