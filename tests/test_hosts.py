"""Every recorded host: probing it gives the expected facts, and every output mode works.

The expected facts (``facts.json``) are golden files; ``ENVDOCTOR_UPDATE_GOLDEN=1``
rewrites them from the current code for review.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO, compare_golden, host_dirs, stable
from envdoctor._serde import to_jsonable
from envdoctor.cli import main
from envdoctor.host import Host
from envdoctor.probes import collect

HOSTS = host_dirs()
IDS = [h.name for h in HOSTS]
REPORT_SCHEMA = json.loads((REPO / "envdoctor/schema/report.schema.json").read_text())
FACTS_SCHEMA = json.loads((REPO / "envdoctor/schema/facts.schema.json").read_text())


def probe(host_dir: Path) -> dict:
    data = to_jsonable(collect(Host.recorded(host_dir)))
    jsonschema.validate(data, FACTS_SCHEMA)
    return stable(data, str((host_dir / "root").resolve()))


def test_there_are_enough_recorded_hosts() -> None:
    assert len(HOSTS) >= 8


def test_hosts_are_built_from_their_manifests() -> None:
    # Every file in a host's tree is a copy of a recording named in its manifest.
    result = subprocess.run([sys.executable, str(REPO / "scripts/build_test_hosts.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("host_dir", HOSTS, ids=IDS)
def test_facts_match_the_recording(host_dir: Path) -> None:
    facts = probe(host_dir)
    compare_golden(host_dir / "facts.json", facts)


@pytest.mark.parametrize("host_dir", HOSTS, ids=IDS)
def test_secrets_never_reach_the_facts(host_dir: Path) -> None:
    text = json.dumps(probe(host_dir))
    meta = json.loads((host_dir / "host.json").read_text())
    for name, value in meta.get("env", {}).items():
        if "TOKEN" in name or "@" in value:
            assert value not in text, f"{name}'s value leaked into the facts"


@pytest.mark.parametrize("host_dir", HOSTS, ids=IDS)
@pytest.mark.parametrize("flag", ["--json", "--markdown", None])
def test_check_on_the_root_tree(host_dir: Path, flag: str | None,
                                capsys: pytest.CaptureFixture[str]) -> None:
    # --root treats the tree as an unbooted image: nothing is run, nothing crashes.
    args = ["check", "--root", str(host_dir / "root")] + ([flag] if flag else [])
    code = main(args)
    out = capsys.readouterr().out
    assert code in (0, 1)
    if flag == "--json":
        data = json.loads(out)
        jsonschema.validate(data, REPORT_SCHEMA)
        assert data["facts"]["origin"]["kind"] == "root"
    elif flag == "--markdown":
        assert out.startswith("## envdoctor report")
    else:
        assert "file-system tree" in out


@pytest.mark.parametrize("host_dir", HOSTS, ids=IDS)
def test_snapshot_round_trips_through_check_facts(host_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "snap.json"
    assert main(["snapshot", "--root", str(host_dir / "root"), "-o", str(snap)]) == 0
    capsys.readouterr()
    jsonschema.validate(json.loads(snap.read_text()), FACTS_SCHEMA)
    code = main(["check", "--facts", str(snap), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    note = f"snapshot of a root probe of {(host_dir / 'root').resolve()}"
    assert data["facts"]["origin"] == {"kind": "snapshot", "root": None, "path": str(snap),
                                       "note": note}
    original = json.loads(snap.read_text())
    assert data["facts"]["cpu"] == original["cpu"]
    assert data["facts"]["python"] == original["python"]
