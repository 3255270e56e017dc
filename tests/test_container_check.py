"""``envdoctor check --container IMAGE`` against the session's real Docker engine.

That engine has no NVIDIA Container Toolkit (and the machine no GPU), so a GPU request
fails there the real way: 'could not select device driver "" with capabilities:
[[gpu]]'. A container that starts with GPUs cannot exist here; for the paths after a
start, the real output of a container started without them is fed to the same code.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO
from dockerd import api_client, run_container
from envdoctor.cli import main
from envdoctor.container_check import _PROBE, SHELL, SNAPSHOT, ContainerRun, check_container
from envdoctor.doctor import Doctor
from envdoctor.errors import EnvdoctorError
from envdoctor.facts import Facts
from envdoctor.report import Report
from envdoctor.rules.containers import gpu_error_kind
from tests.rules.builders import build

NO_DEVICE_DRIVER = 'could not select device driver "" with capabilities: [[gpu]]'
REPORT_SCHEMA = json.loads((REPO / "envdoctor/schema/report.schema.json").read_text())
LABEL = "org.envdoctor.check-container"


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def containers_left(url: str) -> list[str]:
    api = api_client(url)
    try:
        return [c["Id"] for c in api.containers(all=True, filters={"label": LABEL})]
    finally:
        api.close()


def host_facts() -> Facts:
    return build("epyc7451-ubuntu2204-baremetal")


@pytest.mark.docker
def test_check_container_shows_the_engine_refusing_the_gpus(
        docker_host: str, busybox_image: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(["check", "--container", busybox_image, "--color", "never"], capsys)
    assert code == 1, err
    assert "ERROR   ED0608 A container started with every GPU requested did not get them" in out
    assert (f"Docker could not start {busybox_image} with --gpus all: {NO_DEVICE_DRIVER}"
            in out)
    assert err == ""
    assert containers_left(docker_host) == []


@pytest.mark.docker
def test_check_container_json_records_the_request(
        docker_host: str, busybox_image: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["check", "--container", busybox_image, "--json"], capsys)
    assert code == 1
    report = json.loads(out)
    jsonschema.validate(report, REPORT_SCHEMA)
    assert report["facts"]["containers"]["gpu_request"] == {
        "image": busybox_image, "requested": "all", "started": False,
        "error": NO_DEVICE_DRIVER, "exit_code": None, "probe": SHELL, "devices_seen": [],
        "gpus_seen": [], "unknown": {}}
    # The container never ran, so the facts are this host's.
    assert report["facts"]["origin"]["kind"] == "live"
    assert [f["code"] for f in report["findings"] if f["severity"] == "error"] == ["ED0608"]


@pytest.mark.docker
def test_check_container_of_an_image_that_is_not_there(
        docker_host: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The engine reaches no registry: the pull fails, and says why.
    code, _, err = cli(["check", "--container", "envdoctor-test/absent:1"], capsys)
    assert code == 2
    assert err.startswith("pulling envdoctor-test/absent:1…\n"
                          "error: image envdoctor-test/absent:1 is not here and cannot be "
                          "pulled: ")
    assert "hint: build it first" in err


def test_check_container_without_an_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    code, out, err = cli(["check", "--container", "envdoctor-cuda"], capsys)
    assert (code, out) == (2, "")
    assert err == (f"error: cannot reach the Docker engine at unix://{tmp_path}/docker.sock: "
                   "the Docker engine is not running (connection refused)\n"
                   "hint: start Docker (sudo systemctl start docker), or point DOCKER_HOST at "
                   "a running engine\n")


@pytest.mark.parametrize("other", [["--root", "/"], ["--facts", "x.json"], ["--deep"],
                                   ["--collect-env", "-"]])
def test_check_container_is_one_source_of_facts(other: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["check", "--container", "img", *other], capsys)
    assert code == 2
    assert err.startswith("error: --container cannot be combined with --root, --facts, "
                          "--collect-env or --deep\n")


@pytest.mark.docker
def test_shell_probe_output_of_a_real_container_without_gpus(docker_engine: str,
                                                             busybox_image: str) -> None:
    # The probe check --container runs in an image without envdoctor, started here
    # without the GPU request this engine cannot grant.
    code, out, err = run_container(docker_engine, busybox_image, [_PROBE],
                                   entrypoint=["/bin/sh", "-c"])
    run = ContainerRun(started=True, exit_code=code, stdout=out, stderr=err, probe=SHELL)
    facts = check_container(busybox_image, run, host_facts)
    request = facts.containers.gpu_request
    assert request is not None
    assert (request.started, request.probe, request.devices_seen, request.gpus_seen) == (
        True, SHELL, [], [])
    assert request.exit_code == 0 and request.unknown == {}
    report = _report(facts)
    assert [f.code for f in report.findings if f.code == "ED0608"] == ["ED0608"]
    assert report.findings[0].message.startswith(
        f"{busybox_image} started with --gpus all, but no GPU device is inside")


@pytest.mark.docker
def test_an_image_that_cannot_start_is_an_error_not_a_finding(docker_engine: str,
                                                              tmp_path: Path) -> None:
    # An image with no shell: the engine's real refusal, which is not about GPUs.
    import docker

    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    api = api_client(docker_engine)
    api.import_image_from_data(data.getvalue(), repository="envdoctor-test/no-shell",
                               tag="latest")
    container = api.create_container("envdoctor-test/no-shell:latest", command=[_PROBE],
                                     entrypoint=["/bin/sh", "-c"])
    try:
        with pytest.raises(docker.errors.APIError) as refused:
            api.start(container)
        error = str(refused.value.explanation)
    finally:
        api.remove_container(container, force=True)
        api.close()
    assert "/bin/sh" in error and gpu_error_kind(error) is None
    run = ContainerRun(started=False, error=error, probe=SHELL)
    with pytest.raises(EnvdoctorError) as raised:
        check_container("envdoctor-test/no-shell:latest", run, host_facts)
    assert raised.value.message == f"envdoctor-test/no-shell:latest did not start: {error}"


def test_snapshot_that_fails_inside_leaves_the_devices_unknown() -> None:
    run = ContainerRun(started=True, exit_code=2, stdout="",
                       stderr="error: facts schema 9 is newer than this envdoctor\n",
                       probe=SNAPSHOT)
    request = check_container("img", run, host_facts).containers.gpu_request
    assert request is not None
    assert request.unknown["devices_seen"] == (
        "envdoctor snapshot inside the container exited with 2: error: facts schema 9 is "
        "newer than this envdoctor")
    assert not [f for f in _report(check_container("img", run, host_facts)).findings
                if f.code == "ED0608"]


def _report(facts: Facts) -> Report:
    return Doctor().check(facts)
