"""The rule catalogue: every rule envdoctor ships, by area.

Importing this package registers the rules (each module's ``@rule`` decorators append to
:data:`envdoctor.rules.base.REGISTRY`). Codes are ``ED`` + four digits; the hundreds name
the area (see :data:`~envdoctor.rules.base.AREAS`). A code, once shipped, keeps its
meaning forever: a rule that is dropped leaves its code unused.
"""

from __future__ import annotations

from collections.abc import Iterator

from envdoctor.report import Severity
from envdoctor.rules import containers, cuda, frameworks, host, nvidia, rocm, tool
from envdoctor.rules.base import REGISTRY, Category, Context, Issue, Rule, rule

__all__ = ["RULE_CRASHED", "all_rules", "find_rule"]

_MODULES = (tool, host, nvidia, cuda, frameworks, rocm, containers)  # registration order


@rule(code="ED0003", name="rule-crashed", title="A rule crashed; what it checks is unknown",
      severity=Severity.WARNING, category=Category.TOOL)
def rule_crashed(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Nothing by itself: the engine reports this when another rule raises an exception
    while it reads the facts. The run goes on with every other rule.

    ## Why it matters
    The crashed rule's problem may be present and unreported. Facts this unusual are
    also worth a look: a crash usually means a value envdoctor did not expect.

    ## How to fix
    Report it with the snapshot (`envdoctor snapshot -o facts.json`; it holds no
    secrets) and the message, which names the rule and the exception. Meanwhile the
    rest of the report stands; `--ignore` the crashed rule's code to silence it.

    ## Example
    `ED0301 (driver-older-than-framework-cuda) crashed: KeyError: 'cuda'`

    ## References
    - `envdoctor explain CODE` for the rule that crashed.
    """
    return iter(())  # the engine emits ED0003 itself, around every other rule


RULE_CRASHED = REGISTRY[-1]


def all_rules() -> list[Rule]:
    """Every registered rule, ordered by code."""
    return sorted(REGISTRY, key=lambda r: r.code)


def find_rule(code_or_name: str) -> Rule | None:
    """A rule by code (``ED0301``, case-insensitive) or name (``cuda-runtime-newer…``)."""
    wanted = code_or_name.strip()
    for r in REGISTRY:
        if r.code == wanted.upper() or r.name == wanted.lower():
            return r
    return None

