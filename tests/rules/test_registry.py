"""The rule catalogue: codes, names, documentation, and a test for every rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from envdoctor.report import Severity
from envdoctor.rules import all_rules, find_rule
from envdoctor.rules.base import AREAS, CATEGORY_MEANINGS, CODE, SECTIONS, Category, Rule

RULES = all_rules()
TESTS = Path(__file__).resolve().parent
# The vocabulary: every one of these must be used by at least one rule.
REQUIRED_CATEGORIES = {
    "driver-too-old", "gpu-arch-unsupported", "cpu-only-build", "no-gpu-driver",
    "driver-userspace-mismatch", "cudnn-mismatch", "library-shadowing", "toolkit-mismatch",
    "companion-mismatch", "numpy-abi", "python-unsupported", "rocm-gfx-unsupported",
    "permissions", "cpu-isa", "blas", "threads", "container-gpu", "wsl", "retired-framework",
    "config", "tool"}


def test_codes_are_unique_and_well_formed() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes)), "duplicate rule code"
    for code in codes:
        assert CODE.match(code), code
        assert code[:4] in AREAS, code


def test_names_are_unique_and_describe_the_problem() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names)), "duplicate rule name"
    for name in names:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name), name
        # Names say what is wrong, not what to do (ruff's convention).
        assert not name.startswith(("use-", "avoid-", "prefer-", "check-")), name


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_is_documented_in_every_section(rule: Rule) -> None:
    sections = rule.sections()
    assert list(sections) == list(SECTIONS), f"{rule.code}: sections {list(sections)}"
    for heading, body in sections.items():
        assert body.strip(), f"{rule.code}: empty section {heading!r}"
    assert isinstance(rule.category, Category)
    assert isinstance(rule.severity, Severity)
    assert rule.title and not rule.title.endswith(".")


def test_categories_cover_the_vocabulary() -> None:
    used = {r.category.value for r in RULES}
    assert used >= REQUIRED_CATEGORIES, REQUIRED_CATEGORIES - used
    assert set(CATEGORY_MEANINGS) == set(Category), "every category is documented"


def test_at_least_45_rules_and_every_area_has_some() -> None:
    assert len(RULES) >= 45
    assert {r.code[:4] for r in RULES} == set(AREAS)


def _test_names() -> set[str]:
    names: set[str] = set()
    for path in TESTS.glob("test_*.py"):
        names.update(re.findall(r"^def (test_ED\d{4}_\w+)", path.read_text(encoding="utf-8"),
                                re.MULTILINE))
    return names


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_has_a_fires_and_a_quiet_test(rule: Rule) -> None:
    names = _test_names()
    assert any(n.startswith(f"test_{rule.code}_fires") for n in names), \
        f"{rule.code} has no test_{rule.code}_fires_* test under tests/rules/"
    assert any(n.startswith(f"test_{rule.code}_quiet") for n in names), \
        f"{rule.code} has no test_{rule.code}_quiet_* test under tests/rules/"


def test_find_rule_by_code_or_name() -> None:
    assert find_rule("ed0302") is find_rule("gpu-arch-missing-from-framework-build")
    assert find_rule("ED9999") is None


def test_the_rule_reference_is_generated_from_the_rules() -> None:
    import runpy

    gen = runpy.run_path(str(TESTS.parent.parent / "scripts" / "gen_rule_docs.py"))
    docs = TESTS.parent.parent / "docs" / "rules.md"
    assert docs.read_text(encoding="utf-8") == gen["render"](), \
        "docs/rules.md is stale: run python scripts/gen_rule_docs.py"
