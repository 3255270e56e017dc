"""Shared test fixtures: recorded hosts and golden-file comparison.

Set ``ENVDOCTOR_UPDATE_GOLDEN=1`` to rewrite golden files (expected facts, rendered
output) from the current code; review the diff before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI replays the same fuzz examples every run (a red CI must mean a regression); a
# developer's run explores new ones. HYPOTHESIS_PROFILE=ci is set by .ci/run.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TESTS = Path(__file__).resolve().parent
HOSTS = TESTS / "hosts"
REPO = TESTS.parent
UPDATE_GOLDEN = os.environ.get("ENVDOCTOR_UPDATE_GOLDEN") == "1"

# A private Docker engine and test images; a moto server for the AWS tests (per session).
pytest_plugins = ["dockerd", "moto_server"]

# Values that change from run to run and are not part of what a host is.
VOLATILE_KEYS = {"collected_at", "elapsed_ms", "envdoctor_version"}


def host_dirs() -> list[Path]:
    """Every recorded host folder (one with a root/ tree)."""
    return sorted(p for p in HOSTS.iterdir() if (p / "root").is_dir()) if HOSTS.is_dir() else []


def stable(data: Any, root: str | None = None) -> Any:
    """Drop volatile keys and make absolute paths to the test tree relative, for comparison."""
    if isinstance(data, dict):
        return {k: stable(v, root) for k, v in data.items() if k not in VOLATILE_KEYS}
    if isinstance(data, list):
        return [stable(v, root) for v in data]
    if isinstance(data, str) and root and root in data:
        return data.replace(root, "<root>")
    return data


def compare_golden(path: Path, actual: Any) -> None:
    """Assert ``actual`` equals the JSON golden file at ``path`` (or rewrite it)."""
    text = json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if UPDATE_GOLDEN or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not UPDATE_GOLDEN:
            pytest.fail(f"{path} did not exist; it was written: review and commit it")
        return
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, f"{path} differs (ENVDOCTOR_UPDATE_GOLDEN=1 rewrites it)"


def compare_golden_text(path: Path, actual: str) -> None:
    """Assert ``actual`` equals the text golden file at ``path`` (or rewrite it)."""
    if UPDATE_GOLDEN or not path.exists():
        path.write_text(actual, encoding="utf-8")
        if not UPDATE_GOLDEN:
            pytest.fail(f"{path} did not exist; it was written: review and commit it")
        return
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path} differs (ENVDOCTOR_UPDATE_GOLDEN=1 rewrites it)")
