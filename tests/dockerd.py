"""Test plugin: a private Docker engine for the session, and the images tests build on.

``docker_engine`` starts ``dockerd`` under a short temporary folder (its own data root,
exec root, socket and config, no bridge, no iptables) and stops it at the end of the
session; ``busybox_image`` imports a static busybox as a tiny base image;
``python_image`` imports a minimal Debian bookworm with python3 made by debootstrap (its
root file system is cached in ``~/.cache/envdoctor-tests``, so only the first run pays
for the download). No registry is needed: every image is made here.

Where something is missing (not root, no dockerd, no debootstrap, no mirror) the tests
that need it are skipped with the reason; ``ENVDOCTOR_REQUIRE_DOCKER=1`` turns those
skips into failures, for CI machines that must run them.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "envdoctor-tests"
DEBIAN_MIRROR = os.environ.get("ENVDOCTOR_TEST_DEBIAN_MIRROR", "http://deb.debian.org/debian")
DEBIAN_SUITE = "bookworm"
DEBIAN_PACKAGES = ("python3", "python3-venv", "python3-pip", "passwd", "ca-certificates")
PYTHON_IN_IMAGE = "3.11"
"""The python3 of Debian bookworm: the wheels installed in the image are for it."""

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
DEBOOTSTRAP_TIMEOUT = 900.0

TIMINGS: dict[str, float] = {}
"""What the session's setup cost (seconds), shown at the end of the run."""


def unavailable(reason: str) -> NoReturn:
    """Skip (or, with ENVDOCTOR_REQUIRE_DOCKER=1, fail) because a tool or service is missing."""
    if os.environ.get("ENVDOCTOR_REQUIRE_DOCKER") == "1":
        pytest.fail(f"{reason} (ENVDOCTOR_REQUIRE_DOCKER=1)", pytrace=False)
    pytest.skip(reason)


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below ``root``, deepest first (from /proc/self/mountinfo)."""
    prefix = str(root.resolve())
    found = []
    with contextlib.suppress(OSError), Path("/proc/self/mountinfo").open(encoding="utf-8") as f:
        for line in f:
            # Field 5 is the mount point, with spaces and the like as octal escapes.
            point = line.split()[4].encode().decode("unicode_escape")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_all(root: Path) -> list[str]:
    """Unmount everything below ``root``; return what is still mounted."""
    for point in mounts_under(root):
        subprocess.run(["umount", "--lazy", point], capture_output=True, check=False)
    return mounts_under(root)


def remove_tree(root: Path) -> None:
    """Delete a folder a daemon or debootstrap used, never through a mount left in it.

    A bind mount of /proc or /dev left below it would make a plain rmtree delete the
    host's files; such a folder is left in place instead, with a warning.
    """
    left = unmount_all(root)
    if left:
        sys.stderr.write(f"warning: {root} left in place: still mounted: {', '.join(left)}\n")
        return
    shutil.rmtree(root, ignore_errors=True)


def _tail(path: Path, lines: int = 6) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


class Engine:
    """A dockerd this session started."""

    def __init__(self, root: Path, storage_driver: str) -> None:
        self.root = root
        self.storage_driver = storage_driver
        self.socket = root / "docker.sock"
        self.url = f"unix://{self.socket}"
        self.log = root / "dockerd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, dockerd: str) -> str | None:
        """Start it and wait until it answers; return why it did not (or None)."""
        # An empty config file: the host's /etc/docker/daemon.json must not apply (its
        # own data root, hosts or runtimes would clash with these flags).
        config = self.root / "daemon.json"
        config.write_text("{}\n", encoding="utf-8")
        command = [
            dockerd, "--bridge=none", "--iptables=false", "--ip6tables=false",
            f"--storage-driver={self.storage_driver}",
            "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "docker.pid"), "--config-file", str(config),
            # Its own namespaces, in case it shares a system containerd with another engine.
            "--containerd-namespace", "envdoctor-test",
            "--containerd-plugins-namespace", "envdoctor-test-plugins",
            "-H", self.url,
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"dockerd exited with {self.process.returncode}: {_tail(self.log)}"
            if self.socket.exists() and self._answers():
                return None
            time.sleep(0.1)
        return f"dockerd did not answer within {START_TIMEOUT:.0f} s: {_tail(self.log)}"

    def _answers(self) -> bool:
        import docker

        try:
            client = docker.APIClient(base_url=self.url, version="auto", timeout=5)
        except docker.errors.DockerException:
            return False
        try:
            return bool(client.ping())
        except docker.errors.DockerException:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """Stop dockerd (and the containerd it started), then remove its folder."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                # Its own process group only: the containerd and shims it started.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT)
        remove_tree(self.root)


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[str]:
    """The ``unix://`` address of a Docker engine started for this test session."""
    if sys.platform != "linux":
        unavailable(f"the Docker tests start dockerd, which runs on Linux (this is {sys.platform})")
    if os.geteuid() != 0:
        unavailable(f"the Docker tests start their own dockerd, which needs root (running as "
                    f"uid {os.geteuid()})")
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        unavailable("dockerd is not installed (scripts/test installs docker.io with apt-get "
                    "when it runs as root on Debian or Ubuntu)")
    failures = []
    # overlay2 is fast; vfs works where overlay cannot (a folder on overlayfs, in a container).
    for driver in ("overlay2", "vfs"):
        # A short path: unix socket paths are limited to about 100 bytes.
        engine = Engine(Path(tempfile.mkdtemp(prefix="edk-", dir="/tmp")), driver)
        started = time.monotonic()
        problem = engine.start(dockerd)
        if problem is None:
            TIMINGS[f"dockerd start ({driver})"] = time.monotonic() - started
            try:
                yield engine.url
            finally:
                engine.stop()
            return
        failures.append(f"{driver}: {problem}")
        engine.stop()
    unavailable("dockerd could not be started: " + "; ".join(failures))


@pytest.fixture
def docker_host(docker_engine: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The session's engine, set as DOCKER_HOST for code that finds it like the CLI does."""
    monkeypatch.setenv("DOCKER_HOST", docker_engine)
    return docker_engine


def api_client(url: str) -> Any:
    """A low-level client for the session's engine."""
    import docker

    return docker.APIClient(base_url=url, version="auto", timeout=300)


def run_container(url: str, image: str, command: list[str] | None = None, *,
                  entrypoint: list[str] | None = None, timeout: float = 120,
                  ) -> tuple[int, str, str]:
    """Run a container to the end (no GPU, no network): (exit status, stdout, stderr)."""
    api = api_client(url)
    try:
        container = api.create_container(image, command=command, entrypoint=entrypoint,
                                         host_config=api.create_host_config(
                                             network_mode="none"))
        try:
            api.start(container)
            status = api.wait(container, timeout=timeout)
            out = api.logs(container, stdout=True, stderr=False).decode(errors="replace")
            err = api.logs(container, stdout=False, stderr=True).decode(errors="replace")
        finally:
            api.remove_container(container, force=True)
    finally:
        api.close()
    return int(status["StatusCode"]), out, err


def is_static(path: Path) -> bool:
    """Whether an ELF executable has no program interpreter (PT_INTERP): a static one."""
    with path.open("rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF":
            return False
        wide, order = head[4] == 2, "<" if head[5] == 1 else ">"
        if wide:
            phoff, = struct.unpack_from(order + "Q", head, 32)
            phentsize, phnum = struct.unpack_from(order + "HH", head, 54)
        else:
            phoff, = struct.unpack_from(order + "I", head, 28)
            phentsize, phnum = struct.unpack_from(order + "HH", head, 42)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return all(struct.unpack_from(order + "I", table, i * phentsize)[0] != 3  # PT_INTERP
               for i in range(phnum))


@pytest.fixture(scope="session")
def busybox_image(docker_engine: str) -> str:
    """A tiny image: a static busybox and its applets in /bin."""
    found = shutil.which("busybox") or "/bin/busybox"
    busybox = Path(found)
    if not busybox.is_file():
        unavailable("busybox is not installed (apt-get install busybox-static)")
    if not is_static(busybox):
        unavailable(f"{busybox} is linked dynamically; a base image needs a static one "
                    "(apt-get install busybox-static)")
    applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True,
                             check=True, timeout=10).stdout.split()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name in ("bin", "etc", "tmp", "root", "dev", "proc", "sys"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
            tar.addfile(info)
        tar.add(str(busybox), arcname="bin/busybox")
        for applet in applets:
            if applet != "busybox":
                link = tarfile.TarInfo(f"bin/{applet}")
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(link)
        for name, text in (("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                          "nobody:x:65534:65534:nobody:/:/bin/false\n"),
                           ("etc/group", "root:x:0:\nnogroup:x:65534:\n")):
            raw = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(raw), 0o644
            tar.addfile(info, io.BytesIO(raw))
    repository = "envdoctor-test/busybox"
    api = api_client(docker_engine)
    try:
        api.import_image_from_data(data.getvalue(), repository=repository, tag="latest",
                                   changes=["ENV PATH=/bin", 'CMD ["/bin/sh"]'])
    finally:
        api.close()
    return f"{repository}:latest"


def _rootfs_key() -> str:
    spec = {"suite": DEBIAN_SUITE, "variant": "minbase", "include": sorted(DEBIAN_PACKAGES),
            "arch": os.uname().machine, "trim": 1}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def debootstrap_rootfs(target: Path) -> Path:
    """The cached root file system tarball (gzip), made with debootstrap when missing."""
    key = _rootfs_key()
    cached = CACHE / f"debian-{DEBIAN_SUITE}-python-{key}.tar.gz"
    if cached.is_file():
        TIMINGS["python image root fs (cached)"] = 0.0
        return cached
    debootstrap = shutil.which("debootstrap") or next(
        (p for p in ("/usr/sbin/debootstrap", "/sbin/debootstrap") if Path(p).exists()), None)
    if debootstrap is None:
        unavailable("debootstrap is not installed (apt-get install debootstrap); it makes the "
                    "python base image")
    started = time.monotonic()
    root = target / "root"
    log = target / "debootstrap.log"
    command = [debootstrap, "--variant=minbase", f"--include={','.join(DEBIAN_PACKAGES)}"]
    keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
    if keyring.is_file():  # on Ubuntu, the Debian keys are not debootstrap's default
        command.append(f"--keyring={keyring}")
    command += [DEBIAN_SUITE, str(root), DEBIAN_MIRROR]
    try:
        with log.open("wb") as out:
            result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, timeout=DEBOOTSTRAP_TIMEOUT,
                                    check=False)
        problem = None if result.returncode == 0 else \
            f"debootstrap exited with {result.returncode}"
    except subprocess.TimeoutExpired:
        problem = f"debootstrap took over {DEBOOTSTRAP_TIMEOUT:.0f} s"
    left = unmount_all(root)
    if problem is not None or left:
        inner = _tail(root / "debootstrap" / "debootstrap.log", 3)
        unavailable(f"{problem or 'debootstrap left mounts'} making Debian {DEBIAN_SUITE} from "
                    f"{DEBIAN_MIRROR} (is the mirror reachable?): {_tail(log, 3)} {inner}")
    # What an image needs no copy of: downloaded packages, documentation, translations.
    for junk in ("var/cache/apt/archives", "usr/share/doc", "usr/share/man",
                 "usr/share/locale", "var/lib/apt/lists"):
        shutil.rmtree(root / junk, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    part = cached.with_suffix(".part")
    # tar keeps owners, modes and device files as they are; gzip -1 is fast and a third.
    tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-cf", "-", "."],
                           stdout=subprocess.PIPE)
    assert tar.stdout is not None
    with part.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1,
                                                mtime=0) as gz:
        shutil.copyfileobj(tar.stdout, gz, 1 << 20)
    if tar.wait() != 0:
        part.unlink()
        pytest.fail(f"tar of the debootstrapped tree failed ({tar.returncode})")
    part.replace(cached)
    TIMINGS["python image root fs (debootstrap)"] = time.monotonic() - started
    return cached


@pytest.fixture(scope="session")
def python_image(docker_engine: str) -> str:
    """A minimal Debian bookworm image with python3, venv and pip (no network needed)."""
    work = Path(tempfile.mkdtemp(prefix="edb-", dir="/tmp"))
    try:
        rootfs = debootstrap_rootfs(work)
    finally:
        remove_tree(work)
    started = time.monotonic()
    repository, tag = "envdoctor-test/python", _rootfs_key()
    api = api_client(docker_engine)
    try:
        api.import_image_from_file(str(rootfs), repository=repository, tag=tag,
                                   changes=["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                            "/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8",
                                            'CMD ["python3"]'])
    finally:
        api.close()
    TIMINGS["python image import"] = time.monotonic() - started
    return f"{repository}:{tag}"


@pytest.fixture(scope="session")
def envdoctor_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of envdoctor (from this checkout) and its dependencies for the python image.

    The envdoctor wheel is built from the repository; its dependencies are downloaded for
    the image's Python (not this one's) with pip's own index and cache.
    """
    house = tmp_path_factory.mktemp("wheelhouse")
    started = time.monotonic()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    steps = [
        [*pip, "wheel", "--quiet", "--no-deps", "-w", str(house), str(REPO)],
        # Then everything it needs, as binary wheels for the image's python3.
        [*pip, "download", "--quiet", "--only-binary=:all:", "--python-version",
         PYTHON_IN_IMAGE, "--implementation", "cp", "--platform",
         f"manylinux2014_{os.uname().machine}", "-d", str(house)],
    ]
    for i, step in enumerate(steps):
        if i == 1:
            step.append(str(next(house.glob("envdoctor-*.whl"))))
        try:
            result = subprocess.run(step, capture_output=True, text=True, timeout=600,
                                    check=False)
        except subprocess.TimeoutExpired:
            unavailable(f"'{' '.join(step[3:5])}' took over 600 s (is the package index "
                        "reachable?)")
        if result.returncode != 0:
            lines = [ln for ln in result.stderr.splitlines() if "is ignored" not in ln]
            unavailable(f"'{' '.join(step[3:5])}' failed (is the package index reachable?): "
                        + " | ".join(lines[-3:]))
    TIMINGS["wheelhouse"] = time.monotonic() - started
    return house


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say what the Docker setup cost, when a test used it."""
    if TIMINGS:
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in TIMINGS.items())
        terminalreporter.write_line(f"docker test setup: {parts}")
