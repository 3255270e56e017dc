"""Read and write Facts as JSON files (``envdoctor snapshot``, ``check --facts FILE``)."""

from __future__ import annotations

import json
from pathlib import Path

from envdoctor._serde import DecodeError, from_jsonable, to_jsonable
from envdoctor.errors import FactsFileError
from envdoctor.facts import SCHEMA_VERSION, Facts, Origin, OriginKind

MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
"""A snapshot is a few hundred kilobytes; refuse anything absurdly larger before parsing."""


def facts_to_json(facts: Facts, indent: int | None = 2) -> str:
    """Serialise facts as a JSON document."""
    return json.dumps(to_jsonable(facts), indent=indent, ensure_ascii=False) + "\n"


def load_facts(path: str | Path) -> Facts:
    """Read a snapshot, with errors that name the file, the problem and the fix.

    Accepts a plain Facts document or a ``check --json`` report (whose ``facts`` key
    holds one), so a report saved from CI can be evaluated again.
    """
    p = Path(path)
    hint = f"re-create it with 'envdoctor snapshot -o {p.name}'"
    try:
        size = p.stat().st_size
        if size > MAX_SNAPSHOT_BYTES:
            raise FactsFileError(f"facts file {p} is {size // (1 << 20)} MiB, too large to be a "
                                 "snapshot", hint=hint)
        raw = p.read_bytes()
    except FileNotFoundError:
        raise FactsFileError(f"facts file {p} does not exist",
                             hint="create one with 'envdoctor snapshot -o FILE'") from None
    except IsADirectoryError:
        raise FactsFileError(f"facts file {p} is a directory",
                             hint="to examine a file-system tree use --root DIR") from None
    except OSError as exc:
        raise FactsFileError(f"facts file {p} cannot be read: {exc.strerror}", hint=hint) from None
    return facts_from_bytes(raw, str(p), hint)


def facts_from_bytes(raw: bytes, name: str, hint: str) -> Facts:
    """Parse snapshot bytes; ``name`` and ``hint`` go into error messages."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FactsFileError(f"facts file {name} is not UTF-8 text", hint=hint) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactsFileError(
            f"facts file {name} is not valid JSON (line {exc.lineno}, column {exc.colno})",
            hint=hint,
        ) from None
    if isinstance(data, dict) and isinstance(data.get("facts"), dict) and "findings" in data:
        data = data["facts"]
    if not isinstance(data, dict) or "schema_version" not in data:
        raise FactsFileError(f"{name} is JSON but not an envdoctor snapshot "
                             "(no schema_version)", hint=hint)
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise FactsFileError(f"{name}: schema_version must be an integer, got {version!r}",
                             hint=hint)
    if version > SCHEMA_VERSION:
        raise FactsFileError(
            f"{name} was written with facts schema {version}; this envdoctor reads up to "
            f"{SCHEMA_VERSION}",
            hint="upgrade envdoctor ('pip install -U envdoctor') to read it",
        )
    try:
        facts = from_jsonable(Facts, data)
    except DecodeError as exc:
        raise FactsFileError(f"{name} is not a valid snapshot: {exc}", hint=hint) from None
    return _as_snapshot(facts, name)


def _as_snapshot(facts: Facts, name: str) -> Facts:
    from dataclasses import replace  # noqa: PLC0415 - rarely used path

    original = facts.origin.kind.value
    note = f"snapshot of a {original} probe" + (f" of {facts.origin.root}" if facts.origin.root
                                                 else "")
    return replace(facts, origin=Origin(kind=OriginKind.SNAPSHOT, path=name, note=note))
