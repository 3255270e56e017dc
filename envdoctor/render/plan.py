"""Output of ``envdoctor plan``: the chosen build, how to install it, and why."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envdoctor.planner import Plan


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready values."""
    return {
        "request": str(plan.request),
        "target": asdict(plan.target),
        "ok": plan.ok,
        "choice": asdict(plan.choice) if plan.choice else None,
        "driver_upgrade": asdict(plan.upgrade) if plan.upgrade else None,
        "rejected": list(plan.rejected),
        "notes": list(plan.notes),
    }


def render_plan(plan: Plan, *, as_json: bool) -> str:
    """The plan for people (text) or programs (JSON)."""
    if as_json:
        return json.dumps(plan_to_dict(plan), indent=2) + "\n"
    lines = [f"Plan for {plan.request} on {plan.target.describe()}", ""]
    choice = plan.choice
    if choice is not None:
        build = choice.variant
        if choice.cuda:
            build += f" (CUDA {choice.cuda})"
        elif choice.rocm:
            build += f" (ROCm {choice.rocm})"
        lines.append(f"Install {choice.framework} {choice.version} · {build}")
        lines.append(f"  pip    {choice.pip}")
        lines.append(f"  uv     {choice.uv}")
        if choice.conda:
            lines.append(f"  conda  {choice.conda}")
        lines.append("")
        lines.append("Why:")
        lines.extend(f"  - {r}" for r in choice.reasons)
    elif plan.upgrade is not None:
        up = plan.upgrade
        lines.append(f"No {plan.request.framework} build runs on driver {plan.target.driver}. "
                     f"Install driver branch {up.branch} (at least {up.minimum} is needed):")
        lines.append(f"  {up.command}")
        if up.enables is not None:
            e = up.enables
            lines.append("")
            lines.append(f"Then install {e.framework} {e.version} · {e.variant}"
                         + (f" (CUDA {e.cuda})" if e.cuda else "") + ":")
            lines.append(f"  pip    {e.pip}")
            lines.append(f"  uv     {e.uv}")
    else:
        lines.append(f"No known {plan.request.framework} build fits this target.")
    for note in plan.notes:
        lines.append("")
        lines.append(f"Note: {note}")
    if plan.rejected:
        lines.append("")
        lines.append("Passed over:")
        shown = plan.rejected[:8]
        lines.extend(f"  - {r}" for r in shown)
        if len(plan.rejected) > len(shown):
            lines.append(f"  … and {len(plan.rejected) - len(shown)} more (--json lists all)")
    return "\n".join(lines) + "\n"
