"""The cloud commands that need no cloud never import boto3 (it costs ~0.3 s)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from envdoctor.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "s3transfer"))
print("\\nLOADED " + json.dumps({"code": code, "loaded": loaded}))
"""


@pytest.mark.parametrize("args", [
    ["cloud", "--help"],
    ["cloud", "launch", "--help"],
    ["cloud", "gpus", "--provider", "aws"],
    ["cloud", "plan", "aws", "--gpu", "A10G", "-f", "torch"],
    ["--help"],
], ids=lambda a: " ".join(a[:2]))
def test_no_boto3_without_a_cloud_call(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                            text=True, check=False, timeout=60)
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("LOADED "))
    data = json.loads(line.removeprefix("LOADED "))
    assert data["code"] == 0, result.stdout + result.stderr
    assert data["loaded"] == []


def test_importtime_shows_no_boto3_for_cloud_help() -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "envdoctor", "cloud",
                             "--help"], capture_output=True, text=True, check=False,
                            timeout=60)
    assert result.returncode == 0
    assert "launch" in result.stdout and "down" in result.stdout
    imported = [ln.rsplit("|", 1)[-1].strip() for ln in result.stderr.splitlines()
                if ln.startswith("import time:")]
    assert "envdoctor.cloud.cli" in imported
    assert not [m for m in imported if m.split(".")[0] in ("boto3", "botocore")]


def test_a_cloud_call_does_load_boto3() -> None:
    """The probe above would pass if it could not see boto3 at all: it can."""
    result = subprocess.run([sys.executable, "-c", PROBE, "cloud", "ls", "--region",
                             "us-nowhere-1"], capture_output=True, text=True, check=False,
                            timeout=60, env={"PATH": "/usr/bin:/bin",
                                             "AWS_EC2_METADATA_DISABLED": "true"})
    data = json.loads(next(ln for ln in result.stdout.splitlines()
                           if ln.startswith("LOADED ")).removeprefix("LOADED "))
    assert data["code"] == 2 and "boto3" in data["loaded"]
    assert "error: unknown AWS region 'us-nowhere-1'" in result.stderr
