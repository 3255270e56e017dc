"""Facts for rule tests: a recorded host's facts with a few values changed.

Rule tests start from what a real machine looked like (``tests/hosts/<name>/facts.json``,
collected by the probes from recorded files) and change only what the case is about, so
a rule is tested against realistic surroundings rather than a near-empty Facts.

``build("rtx4090-ubuntu2204-torch-cu124", {"nvidia.userspace_version": "470.82.01"})``

Paths are dotted; a list of objects is indexed by a number or by the value of its
``name``/``library``/``path``/``framework`` field (``frameworks.torch.arch_list``). A value
of :data:`DELETE` removes a list item.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from envdoctor._serde import from_jsonable
from envdoctor.doctor import Doctor
from envdoctor.facts import Facts
from envdoctor.report import Finding
from envdoctor.rules import find_rule
from tests.conftest import HOSTS

DELETE = object()
"""Marks a list item (or key) to remove."""

_KEYS = ("name", "library", "path", "framework", "soname", "index")


@cache
def _host_json(name: str) -> str:
    return (HOSTS / name / "facts.json").read_text(encoding="utf-8")


def host_data(name: str) -> dict[str, Any]:
    """A fresh copy of a recorded host's facts as JSON values."""
    data: dict[str, Any] = json.loads(_host_json(name))
    return data


def _step(container: Any, key: str) -> Any:
    if isinstance(container, list):
        if key.lstrip("-").isdigit():
            return container[int(key)]
        for item in container:
            if isinstance(item, dict) and any(item.get(k) == key for k in _KEYS):
                return item
        raise KeyError(f"no item {key!r} in list")
    return container[key]


def apply(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply dotted-path changes to JSON data (in place) and return it."""
    for path, value in changes.items():
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = _step(target, key)
        if isinstance(target, list):
            item = _step(target, last)
            if value is DELETE:
                target.remove(item)
            else:
                target[target.index(item)] = copy.deepcopy(value)
        elif value is DELETE:
            target.pop(last, None)
        else:
            target[last] = copy.deepcopy(value)
    return data


def build(base: str | dict[str, Any] | None = None, changes: dict[str, Any] | None = None,
          ) -> Facts:
    """Facts from a recorded host (or a dict, or empty facts) with ``changes`` applied."""
    if base is None:
        data: dict[str, Any] = {}
    elif isinstance(base, str):
        data = host_data(base)
    else:
        data = copy.deepcopy(base)
    return from_jsonable(Facts, apply(data, changes or {}))


def run(code: str, facts: Facts) -> list[Finding]:
    """The findings rule ``code`` yields for ``facts`` (fails the test if the rule crashes)."""
    rule = find_rule(code)
    assert rule is not None, f"no rule {code}"
    findings = Doctor(rules=[rule]).check(facts).findings
    crashed = [f for f in findings if f.code == "ED0003"]
    assert not crashed, crashed[0].message
    return findings


def fires(code: str, facts: Facts) -> Finding:
    """The single finding rule ``code`` yields (fails if it yields none)."""
    findings = run(code, facts)
    assert findings, f"{code} did not fire"
    assert all(f.code == code for f in findings)
    return findings[0]


def quiet(code: str, facts: Facts) -> None:
    """Assert rule ``code`` yields nothing."""
    findings = run(code, facts)
    assert not findings, f"{code} fired: {findings[0].message}"
