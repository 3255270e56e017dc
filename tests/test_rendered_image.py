"""A Dockerfile from ``envdoctor dockerfile`` builds, and the image runs envdoctor.

End to end on the session's real engine, offline: ``dockerfile --cpu --wheelhouse``
renders the build context, its ``FROM python:3.11-slim-bookworm`` (not pullable here)
becomes the debootstrapped Debian python image, and :func:`build_image` builds it.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dockerd import run_container
from envdoctor import __version__
from envdoctor.docker_build import build_image

pytest.importorskip("envdoctor.dockerplan",
                    reason="the 'dockerfile' command (envdoctor.dockerplan) is not there yet")


@pytest.mark.docker
@pytest.mark.slow
def test_rendered_cpu_dockerfile_builds_offline_and_runs_envdoctor(
        docker_engine: str, python_image: str, envdoctor_wheelhouse: Path,
        tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("envdoctor\n", encoding="utf-8")
    out_dir = tmp_path / "image"
    rendered = subprocess.run(
        [sys.executable, "-m", "envdoctor", "dockerfile", "--cpu", "--python", "3.11",
         "--requirements", str(requirements), "--wheelhouse", str(envdoctor_wheelhouse),
         "--output", str(out_dir)],
        capture_output=True, text=True, timeout=120, check=False)
    assert rendered.returncode == 0, rendered.stderr
    assert {p.name for p in out_dir.iterdir()} == {"Dockerfile", ".dockerignore",
                                                   "requirements.txt", "wheelhouse"}
    assert sorted(p.name for p in (out_dir / "wheelhouse").iterdir()) == sorted(
        p.name for p in envdoctor_wheelhouse.iterdir())

    dockerfile = out_dir / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    # Every stage starts from the Python image (a build stage and the runtime stage).
    froms = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert froms and set(froms) == {"python:3.11-slim-bookworm"}
    dockerfile.write_text(text.replace("FROM python:3.11-slim-bookworm", f"FROM {python_image}"),
                          encoding="utf-8")

    log = io.StringIO()
    image = build_image(out_dir, tag="envdoctor-test/rendered:latest", out=log,
                        base_url=docker_engine)
    # pip's own line: installed (from the wheelhouse: this engine reaches no index).
    assert re.search(rf"Successfully installed .*envdoctor-{re.escape(__version__)}",
                     log.getvalue())

    code, stdout, stderr = run_container(docker_engine, image, ["envdoctor", "check", "--json"])
    assert code in (0, 1), stderr
    facts = json.loads(stdout)["facts"]
    assert facts["envdoctor_version"] == __version__
    assert facts["platform"]["container_runtime"] == "docker"
    assert facts["python"]["prefix"] == "/opt/venv"
    assert facts["user"]["uid"] != 0
