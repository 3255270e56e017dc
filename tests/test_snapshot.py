"""Snapshots: Facts to JSON and back, and clear errors for files that are not snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envdoctor.errors import FactsFileError
from envdoctor.facts import (
    SCHEMA_VERSION,
    CpuFacts,
    Distribution,
    Facts,
    OriginKind,
    ProbeRecord,
    ProbeStatus,
    PythonFacts,
)
from envdoctor.snapshot import facts_to_json, load_facts

FACTS = Facts(
    envdoctor_version="0.1.0",
    cpu=CpuFacts(vendor="amd", model="AMD EPYC 7451", threads=96, isa=["avx2"],
                 unknown={"sockets": "why"}),
    python=PythonFacts(version="3.11.7", distributions=[Distribution("numpy", "2.0.2", "pip")]),
    probes=[ProbeRecord("cpu", ProbeStatus.OK, ["/proc/cpuinfo"], elapsed_ms=0.2)],
)


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "snap.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_round_trip_keeps_every_fact(tmp_path: Path) -> None:
    loaded = load_facts(write(tmp_path, facts_to_json(FACTS)))
    assert loaded.cpu == FACTS.cpu
    assert loaded.python == FACTS.python
    assert loaded.probes == FACTS.probes
    assert loaded.origin.kind is OriginKind.SNAPSHOT


def test_a_check_json_report_is_accepted_too(tmp_path: Path) -> None:
    report = {"findings": [], "facts": json.loads(facts_to_json(FACTS))}
    assert load_facts(write(tmp_path, json.dumps(report))).cpu.threads == 96


def test_fields_added_later_are_ignored_and_missing_ones_default(tmp_path: Path) -> None:
    data = json.loads(facts_to_json(FACTS))
    data["cpu"]["from_the_future"] = 1
    del data["blas"]
    loaded = load_facts(write(tmp_path, json.dumps(data)))
    assert loaded.cpu.threads == 96
    assert loaded.blas.numpy_version is None


@pytest.mark.parametrize(("content", "message"), [
    ("{bad", "not valid JSON (line 1, column 2)"),
    (b"\xff\xfe\x00binary", "not UTF-8 text"),
    ("", "not valid JSON"),
    ("[1, 2]", "not an envdoctor snapshot"),
    ('{"hello": "world"}', "not an envdoctor snapshot"),
    ('{"schema_version": "1"}', "schema_version must be an integer"),
    (json.dumps({"schema_version": SCHEMA_VERSION + 1}), "this envdoctor reads up to"),
    (json.dumps({"schema_version": 1, "cpu": {"threads": "many"}}),
     "$.cpu.threads: expected an integer, got the string 'many'"),
    (json.dumps({"schema_version": 1, "probes": [{"name": "x", "status": "exploded"}]}),
     "$.probes[0].status: 'exploded' is not one of"),
    (json.dumps({"schema_version": 1, "probes": [{"status": "ok"}]}),
     "missing required field 'name'"),
])
def test_bad_files_give_a_message_naming_the_problem(tmp_path: Path, content: str | bytes,
                                                     message: str) -> None:
    with pytest.raises(FactsFileError) as err:
        load_facts(write(tmp_path, content))
    assert message in err.value.message
    assert err.value.hint


def test_a_newer_schema_says_to_upgrade(tmp_path: Path) -> None:
    with pytest.raises(FactsFileError) as err:
        load_facts(write(tmp_path, json.dumps({"schema_version": SCHEMA_VERSION + 1})))
    assert "pip install -U envdoctor" in (err.value.hint or "")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FactsFileError, match="does not exist"):
        load_facts(tmp_path / "missing.json")
    with pytest.raises(FactsFileError, match="is a directory"):
        load_facts(tmp_path)
