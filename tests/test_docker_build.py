"""Building images through the Docker engine (``envdoctor.docker_build``), on a real engine.

The engine is the one the session starts (tests/dockerd.py); the base image is a static
busybox imported there, so nothing is pulled.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from dockerd import api_client, run_container
from envdoctor.docker_build import build_image
from envdoctor.errors import EnvdoctorError, UsageError


def context(tmp_path: Path, dockerfile: str) -> Path:
    folder = tmp_path / "context"
    folder.mkdir()
    (folder / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    return folder


@pytest.mark.docker
def test_build_streams_the_log_and_returns_the_image_id(docker_engine: str, busybox_image: str,
                                                       tmp_path: Path) -> None:
    folder = context(tmp_path, f"FROM {busybox_image}\nCOPY greeting /greeting\n"
                               "RUN echo built from a Dockerfile >> /greeting\n")
    (folder / "greeting").write_text("hello\n", encoding="utf-8")
    out = io.StringIO()
    image = build_image(folder, tag="envdoctor-test/built:ok", out=out, base_url=docker_engine)
    log = out.getvalue()
    assert image.startswith("sha256:")
    assert "Step 1/3 : FROM envdoctor-test/busybox" in log
    assert "Step 3/3 : RUN echo built from a Dockerfile >> /greeting" in log
    api = api_client(docker_engine)
    try:
        assert api.inspect_image("envdoctor-test/built:ok")["Id"] == image
    finally:
        api.close()
    code, stdout, _ = run_container(docker_engine, image, ["cat", "/greeting"])
    assert (code, stdout) == (0, "hello\nbuilt from a Dockerfile\n")


@pytest.mark.docker
def test_build_finds_the_engine_through_docker_host(docker_host: str, busybox_image: str,
                                                   tmp_path: Path) -> None:
    folder = context(tmp_path, f"FROM {busybox_image}\nRUN true\n")
    assert build_image(folder, tag=None, out=io.StringIO()).startswith("sha256:")


@pytest.mark.docker
def test_failing_run_step_gives_the_engine_message_and_leaves_no_container(
        docker_engine: str, busybox_image: str, tmp_path: Path) -> None:
    folder = context(tmp_path, f"FROM {busybox_image}\nRUN echo about to fail && exit 3\n")
    api = api_client(docker_engine)
    before = {c["Id"] for c in api.containers(all=True)}
    out = io.StringIO()
    with pytest.raises(EnvdoctorError) as info:
        build_image(folder, tag="envdoctor-test/built:bad", out=out, base_url=docker_engine)
    assert info.value.message == ("the image build failed: The command '/bin/sh -c echo about "
                                  "to fail && exit 3' returned a non-zero code: 3")
    assert info.value.hint == "the build log above shows the step that failed"
    assert "about to fail\n" in out.getvalue()  # the step's own output came first
    assert {c["Id"] for c in api.containers(all=True)} == before
    api.close()


@pytest.mark.docker
def test_unparsable_dockerfile_is_refused_by_the_engine(docker_engine: str,
                                                        tmp_path: Path) -> None:
    folder = context(tmp_path, "FROMM busybox\n")
    with pytest.raises(EnvdoctorError) as info:
        build_image(folder, tag=None, out=io.StringIO(), base_url=docker_engine)
    assert "unknown instruction: FROMM" in info.value.message
    assert info.value.message.startswith(f"the Docker engine refused to build {folder}")


@pytest.mark.docker
def test_step_that_prints_nothing_for_too_long_is_stopped(docker_engine: str,
                                                         busybox_image: str,
                                                         tmp_path: Path) -> None:
    folder = context(tmp_path, f"FROM {busybox_image}\nRUN sleep 60\n")
    started = time.monotonic()
    with pytest.raises(EnvdoctorError) as info:
        build_image(folder, tag=None, out=io.StringIO(), base_url=docker_engine,
                    idle_timeout=2)
    assert time.monotonic() - started < 30
    assert info.value.message == "the build printed nothing for 2 s and was stopped"
    assert "stuck" in (info.value.hint or "")


def test_engine_that_is_not_there_is_named(tmp_path: Path) -> None:
    folder = context(tmp_path, "FROM scratch\n")
    socket = f"unix://{tmp_path}/no-engine.sock"
    with pytest.raises(EnvdoctorError) as info:
        build_image(folder, tag=None, out=io.StringIO(), base_url=socket)
    assert info.value.message == (f"cannot reach the Docker engine at {socket}: the Docker "
                                  "engine is not running (connection refused)")
    assert "DOCKER_HOST" in (info.value.hint or "")


def test_docker_host_names_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = context(tmp_path, "FROM scratch\n")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/elsewhere.sock")
    with pytest.raises(EnvdoctorError, match=r"engine at unix://.*/elsewhere\.sock"):
        build_image(folder, tag=None, out=io.StringIO())


def test_missing_context_or_dockerfile_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a folder"):
        build_image(tmp_path / "nowhere", tag=None, out=io.StringIO())
    with pytest.raises(UsageError, match=r"Dockerfile\.gpu does not exist"):
        build_image(tmp_path, tag=None, dockerfile="Dockerfile.gpu", out=io.StringIO())
