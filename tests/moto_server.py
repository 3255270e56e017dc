"""Test plugin: a real moto server (``moto[server]``) for the AWS tests, one per session.

``moto_server`` starts it on 127.0.0.1 at a free port, with instance-type and AMI
validation on, and with the GPU images envdoctor searches for registered as Amazon's
(``MOTO_AMIS_PATH``: moto ships no Deep Learning AMIs and serves no SSM parameters for
them, so the search by name is what finds them). ``aws_env`` points boto3 at it with
fake credentials and an empty AWS configuration, resets the server's state, and refuses
any request that would leave 127.0.0.1. For what moto cannot do (quotas, spot capacity,
a console with a self-check in it), ``aws_env.fail`` / ``aws_env.respond`` make one AWS
operation answer with a given HTTP response at botocore's send boundary: the answer
still goes through botocore's real parser and error handling.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

START_TIMEOUT = 60.0
REGION = "us-east-1"
FAKE_KEY_ID = "AKIAIOSFODNN7ENVDOCTOR"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/envdoctorFAKEsecret42"  # noqa: S105 - fake, on purpose
"""The fake secret access key: it must never show up in any output or rendered file."""
ACCOUNT_OWNER = "898082745236"
"""The owner id of Amazon's Deep Learning AMIs (any id works: moto treats these as amazon)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def image_id(name: str) -> str:
    """A stable AMI id for an image name."""
    return "ami-0" + hashlib.sha256(name.encode()).hexdigest()[:16]


def gpu_images() -> list[dict[str, Any]]:
    """Amazon's GPU images as moto's AMI list wants them: for every image of envdoctor's
    knowledge base an older and a newer release, and a still newer one that is not
    available yet (the search must take the newest *available*), plus a plain Ubuntu
    image for ``--ami``."""
    from envdoctor.knowledge import KnowledgeBase

    out = []
    for row in KnowledgeBase().table("cloud")["images"]:
        if row["provider"] != "aws" or not row.get("name_pattern"):
            continue
        stem = row["name_pattern"].removesuffix(" *")
        for release, state in (("20260105", "available"), ("20260901", "available"),
                               ("20261120", "pending")):
            name = f"{stem} {release}"
            out.append(_ami(name, row.get("arch", "x86_64"), state,
                            f"{release[:4]}-{release[4:6]}-{release[6:]}T09:30:00.000Z",
                            "/dev/sda1" if "Ubuntu" in name else "/dev/xvda"))
    out.append(_ami("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20260810",
                    "x86_64", "available", "2026-08-10T00:00:00.000Z", "/dev/sda1",
                    owner="099720109477"))
    return out


def _ami(name: str, arch: str, state: str, created: str, root: str,
         owner: str = ACCOUNT_OWNER) -> dict[str, Any]:
    return {"ami_id": image_id(name), "name": name, "state": state, "public": True,
            "owner_id": owner, "image_location": f"amazon/{name}", "root_device_type": "ebs",
            "root_device_name": root, "description": name, "image_type": "machine",
            "architecture": arch, "virtualization_type": "hvm", "hypervisor": "xen",
            "sriov": "simple", "creation_date": created}


@dataclass
class MotoServer:
    """The running server."""

    url: str
    images: list[dict[str, Any]]
    process: subprocess.Popen[bytes]
    log: Path

    def reset(self) -> None:
        """Forget every resource (a fresh account for the next test)."""
        # The URL is the server's own http://127.0.0.1:PORT.
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()

    def newest(self, pattern_stem: str, arch: str = "x86_64") -> str:
        """The id the search should find for an image name stem."""
        rows = [i for i in self.images if i["name"].startswith(pattern_stem + " ")
                and i["state"] == "available" and i["architecture"] == arch]
        return max(rows, key=lambda i: i["creation_date"])["ami_id"]


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """Start ``python -m moto.server`` for the session; stop it afterwards."""
    try:
        import moto.server  # noqa: F401 - only to know it can start
    except ImportError as exc:
        pytest.skip(f"moto[server] cannot be imported ({exc}); it is in the test extra: "
                    "pip install -e '.[test]'")
    folder = tmp_path_factory.mktemp("moto")
    images = gpu_images()
    (folder / "amis.json").write_text(json.dumps(images), encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION="true",
               MOTO_ENABLE_AMI_VALIDATION="true", MOTO_AMIS_PATH=str(folder / "amis.json"))
    log = folder / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    server = MotoServer(url=url, images=images, process=process, log=log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"moto_server exited with {process.returncode}: "
                        f"{log.read_text(errors='replace')[-2000:]}")
        try:
            server.reset()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto_server did not answer on {url} within {START_TIMEOUT:g} s")
            time.sleep(0.1)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Fault:
    """An answer botocore gets instead of the server's, for one operation."""

    operation: str
    status: int
    body: bytes
    headers: dict[str, str]
    times: int | None
    """How many requests it answers (None: all of them)."""
    match: str | None
    """Answer only requests whose body contains this."""
    seen: int = 0


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.body


@dataclass
class AwsEnv:
    """The test's AWS: the moto server, the fake credentials and the injected answers."""

    server: MotoServer
    region: str = REGION
    faults: list[Fault] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    """Every operation botocore sent (or was answered for), in order."""
    sleeps: list[float] = field(default_factory=list)
    key_id: str = FAKE_KEY_ID
    secret: str = FAKE_SECRET

    @property
    def url(self) -> str:
        """The server's URL."""
        return self.server.url

    def client(self, service: str = "ec2", region: str | None = None) -> Any:
        """A plain boto3 client on the server, to arrange and to inspect."""
        import boto3

        return boto3.client(service, region_name=region or self.region, endpoint_url=self.url)

    def fail(self, operation: str, code: str, message: str, *, status: int = 400,
             times: int | None = None, match: str | None = None) -> Fault:
        """Make ``operation`` answer with an EC2 error (the XML real EC2 sends)."""
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                "<RequestID>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestID></Response>")
        return self.respond(operation, status, body, times=times, match=match)

    def respond(self, operation: str, status: int, body: str, *, times: int | None = None,
                match: str | None = None, content_type: str = "text/xml") -> Fault:
        """Make ``operation`` answer with this HTTP status and body."""
        fault = Fault(operation, status, body.encode(), {"Content-Type": content_type},
                      times, match)
        self.faults.append(fault)
        return fault

    def before_send(self, request: Any, event_name: str = "", **_: object) -> object:
        """Refuse to leave 127.0.0.1; answer for an operation that has a fault."""
        from botocore.awsrequest import AWSResponse

        host = urlsplit(request.url).hostname
        if host != "127.0.0.1":
            raise RuntimeError(f"a test tried to reach {request.url}: only the moto server "
                               "on 127.0.0.1 may be called")
        operation = event_name.rsplit(".", 1)[-1]
        self.sent.append(operation)
        body = request.body if isinstance(request.body, bytes) else (
            str(request.body or "").encode())
        for fault in self.faults:
            if fault.operation != operation or (fault.match and fault.match.encode()
                                                not in body):
                continue
            if fault.times is not None and fault.seen >= fault.times:
                continue
            fault.seen += 1
            return AWSResponse(request.url, fault.status, fault.headers, _Raw(fault.body))
        return None


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> Iterator[AwsEnv]:
    """boto3 pointed at the moto server (fresh state), fake keys, no real AWS possible."""
    from envdoctor.cloud import aws

    assert urlsplit(moto_server.url).hostname == "127.0.0.1"
    moto_server.reset()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    config = home / ".aws" / "config"
    credentials = home / ".aws" / "credentials"
    config.write_text("")
    credentials.write_text("")
    # HOME too: a test that forgets --key-dir writes into its own ~/.ssh, not the user's.
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USER", "ci-tester")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    env = AwsEnv(server=moto_server)
    original: Callable[[str | None], Any] = aws.new_session

    def guarded_session(profile: str | None) -> Any:
        session = original(profile)
        session.events.register("before-send", env.before_send)
        return session

    monkeypatch.setattr(aws, "new_session", guarded_session)
    monkeypatch.setattr(aws, "_sleep", env.sleeps.append)
    yield env
    with contextlib.suppress(OSError):
        moto_server.reset()
