"""Shareable reports: nothing planted that identifies a person, a machine or a credential
survives --markdown (redacted by default) or --json --redact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envdoctor.cli import main
from envdoctor.snapshot import facts_to_json
from tests.rules.builders import build

HOST = "rtx4090-ubuntu2204-torch-cu124"  # user erin, home /home/erin, one RTX 4090
UUID = "GPU-71d1acc2-662d-2166-bf9f-65272d2fc437"  # this host's real GPU UUID
PLANTED = {
    "user": "erin",
    "home": "/home/erin",
    "hostname": "dl-box-17.research.example.org",
    "short hostname": "dl-box-17",
    "gpu uuid": "71d1acc2-662d-2166-bf9f-65272d2fc437",
    "gpu serial": "1324021073291",
    "instance id": "i-0a1b2c3d4e5f67890",
    "github token": "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "hf token": "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345",
    "password in a URL": "s3cr3tpass",
    "opaque key": "Zx9" + "Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8Vb7",
    "other user's home": "/home/alice",
}


@pytest.fixture
def planted(tmp_path: Path) -> str:
    facts = build(HOST, {
        "os.hostname": PLANTED["hostname"],
        "nvidia.gpus.0.serial": PLANTED["gpu serial"],
        "platform.cloud": {"provider": "aws", "instance_type": "g5.xlarge",
                           "evidence": [f"instance id {PLANTED['instance id']}"]},
        "env.variables": {
            "PATH": "/home/erin/venv/bin:/usr/bin",
            "CUDA_VISIBLE_DEVICES": UUID,
            "PIP_INDEX_URL": f"https://bot:{PLANTED['password in a URL']}@pypi.example.org/simple",
            "WANDB_NOTES": f"run by {PLANTED['hostname']} with {PLANTED['github token']}",
            "HF_HUB_CACHE": PLANTED["hf token"],
            "MY_SETTING": PLANTED["opaque key"],
            "LD_LIBRARY_PATH": "/home/alice/cuda/lib64",
        },
    })
    path = tmp_path / "planted.json"
    path.write_text(facts_to_json(facts), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    for name, value in PLANTED.items():
        assert value in text, f"the test did not plant the {name}"
    return str(path)


def _leaks(out: str) -> list[str]:
    return [name for name, value in PLANTED.items() if value in out]


def test_markdown_is_redacted_by_default(planted: str, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    main(["check", "--facts", planted, "--markdown"])
    out = capsys.readouterr().out
    assert _leaks(out) == []
    assert "GPU-<uuid>" in out and "<host>" in out  # redacted, not dropped


def test_json_with_redact_leaks_nothing(planted: str, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    main(["check", "--facts", planted, "--json", "--redact"])
    out = capsys.readouterr().out
    assert _leaks(out) == []
    data = json.loads(out)
    assert data["facts"]["nvidia"]["gpus"][0]["serial"] == "<serial>"


def test_no_redact_keeps_everything(planted: str, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    main(["check", "--facts", planted, "--markdown", "--no-redact"])
    out = capsys.readouterr().out
    assert "dl-box-17.research.example.org" in out and PLANTED["gpu serial"] in out
