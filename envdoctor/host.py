"""The host: the only way probes reach the machine they describe.

Every file a probe reads goes through :meth:`Host.read_text` and friends, under a root
path (``/`` for the running machine, an image for ``--root``, a recorded tree in tests).
Every program a probe runs goes through :meth:`Host.run`, one runner with a timeout that
records what happened. NVML and AMD SMI sit behind one adapter each (``host.nvml``,
``host.amdsmi``). With ``--root``, live sources (programs, NVML, the Docker engine) are
off: the running machine's driver does not describe an image.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from envdoctor.errors import HostError

if TYPE_CHECKING:
    from envdoctor.amdsmi import AmdSmiAdapter
    from envdoctor.docker_engine import DockerAdapter
    from envdoctor.nvml import NvmlAdapter

DEFAULT_TIMEOUT = 5.0
"""Seconds a probe's program may run before it is stopped (``--timeout`` changes it)."""

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
"""``PATH`` assumed for a root whose environment is not known (an image on disk)."""

MAX_READ_BYTES = 8 * 1024 * 1024
"""Files larger than this are truncated when read: probes never need more, and a
garbage multi-gigabyte file must not eat memory."""


class ReadError(OSError):
    """A file under the root could not be read; ``reason`` is a short phrase for reports."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What happened when a program was run."""

    argv: tuple[str, ...]
    """The argument list, program first."""
    returncode: int | None = None
    """Exit status; ``None`` when it did not exit on its own (timed out, not found)."""
    stdout: str = ""
    """Standard output, decoded as UTF-8 with replacement."""
    stderr: str = ""
    """Standard error, decoded as UTF-8 with replacement."""
    timed_out: bool = False
    """It ran past its timeout and was killed."""
    not_found: bool = False
    """The program is not installed (not on ``PATH``)."""
    error: str | None = None
    """Why it could not be started, other than not found (permission denied, live sources off)."""
    elapsed_ms: float = 0.0
    """Wall time, in milliseconds."""

    @property
    def ok(self) -> bool:
        """Whether it ran and exited with status 0."""
        return self.returncode == 0 and not self.timed_out and not self.not_found

    def describe(self) -> str:
        """A short phrase saying how it went, for probe records."""
        name = self.argv[0] if self.argv else "?"
        if self.not_found:
            return f"{name} not found"
        if self.error:
            return f"{name}: {self.error}"
        if self.timed_out:
            return f"{name} timed out after {self.elapsed_ms / 1000:.1f} s"
        if self.returncode != 0:
            first = next((ln for ln in self.stderr.splitlines() if ln.strip()), "")
            if not first:
                first = next((ln for ln in self.stdout.splitlines() if ln.strip()), "")
            return f"{name} exited with status {self.returncode}" + (f": {first}" if first else "")
        return f"{name} ok"


class Runner(Protocol):
    """Runs a program; the one way out to other processes."""

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Run ``argv`` and return what happened; never raise."""
        ...


class SubprocessRunner:
    """Runs real programs, each in its own session so a timeout kills the whole tree."""

    def __init__(self, path: str | None = None) -> None:
        self._path = path if path is not None else os.environ.get("PATH", os.defpath)

    def which(self, name: str) -> str | None:
        """Return the program's path on ``PATH``, or ``None``."""
        if "/" in name:
            return name if os.access(name, os.X_OK) else None
        for directory in self._path.split(os.pathsep):
            candidate = os.path.join(directory or ".", name)
            if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
                return candidate
        return None

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Run ``argv`` with a timeout, capturing output; never raise."""
        args = tuple(argv)
        start = time.perf_counter()
        exe = self.which(args[0])
        if exe is None:
            return CommandResult(args, not_found=True)
        env = dict(os.environ, LC_ALL="C", LANG="C")
        try:
            proc = subprocess.Popen(
                [exe, *args[1:]],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            return CommandResult(args, error=exc.strerror or str(exc), elapsed_ms=_ms(start))
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            # A process stuck in the kernel (a hung driver) may not die: do not wait long.
            try:
                out, err = proc.communicate(timeout=1.0)
            except subprocess.TimeoutExpired:
                out, err = b"", b""
            return CommandResult(
                args, stdout=_decode(out), stderr=_decode(err), timed_out=True,
                elapsed_ms=_ms(start),
            )
        return CommandResult(
            args, returncode=proc.returncode, stdout=_decode(out), stderr=_decode(err),
            elapsed_ms=_ms(start),
        )


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()


def _decode(data: bytes | None) -> str:
    return data.decode("utf-8", errors="replace") if data else ""


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


class DisabledRunner:
    """Stands in for the runner when live sources are off (``--root``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Return a result saying the program was not run."""
        return CommandResult(tuple(argv), error=self.reason)


def command_slug(argv: Sequence[str]) -> str:
    """File-name stem under which a recorded host stores a command's output.

    ``["nvidia-smi", "-q", "-x"]`` → ``nvidia-smi_-q_-x``. Characters outside
    ``[A-Za-z0-9._=-]`` become ``+`` so every argument list maps to a safe name.
    """
    name = Path(argv[0]).name
    parts = [name, *argv[1:]]
    return re.sub(r"[^A-Za-z0-9._=-]", "+", "_".join(parts))


class RecordedRunner:
    """Serves command outputs recorded on a real machine.

    For a command with slug ``S`` (see :func:`command_slug`) the folder holds ``S.txt``
    (standard output) and optionally ``S.stderr``, ``S.rc`` (exit status, default 0) and
    ``S.timeout`` (the command hung when recorded: it is reported as timed out without
    waiting). A command with no recording is reported as not found.
    """

    def __init__(self, commands_dir: Path) -> None:
        self.commands_dir = commands_dir
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Return the recorded result of ``argv``."""
        args = tuple(argv)
        self.calls.append(args)
        slug = command_slug(args)
        if (self.commands_dir / f"{slug}.timeout").exists():
            return CommandResult(args, timed_out=True, elapsed_ms=timeout * 1000)
        out = self.commands_dir / f"{slug}.txt"
        if not out.exists():
            return CommandResult(args, not_found=True)
        err = self.commands_dir / f"{slug}.stderr"
        rc = self.commands_dir / f"{slug}.rc"
        return CommandResult(
            args,
            returncode=int(rc.read_text().strip()) if rc.exists() else 0,
            stdout=out.read_text(encoding="utf-8", errors="replace"),
            stderr=err.read_text(encoding="utf-8", errors="replace") if err.exists() else "",
        )


@dataclass(frozen=True, slots=True)
class Interpreter:
    """The Python interpreter envdoctor runs in (or the one recorded for a test host)."""

    executable: str
    prefix: str
    base_prefix: str
    version: str
    implementation: str
    sys_path: tuple[str, ...]

    @classmethod
    def current(cls) -> Interpreter:
        """Describe the running interpreter."""
        v = sys.version_info
        return cls(
            executable=sys.executable,
            prefix=sys.prefix,
            base_prefix=sys.base_prefix,
            version=f"{v.major}.{v.minor}.{v.micro}",
            implementation=sys.implementation.name.replace("cpython", "CPython").replace(
                "pypy", "PyPy"
            ),
            sys_path=tuple(sys.path),
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """The user envdoctor runs as."""

    uid: int | None = None
    gid: int | None = None
    name: str | None = None
    home: str | None = None
    group_ids: tuple[int, ...] = ()
    group_names: tuple[str, ...] = ()
    """Group names when known without /etc/group (a recorded host's ``id -Gn``)."""

    @classmethod
    def current(cls) -> Identity:
        """Describe the running user (no file reads: ids come from system calls)."""
        if not hasattr(os, "getuid"):
            return cls()
        return cls(
            uid=os.getuid(),
            gid=os.getgid(),
            name=os.environ.get("USER") or os.environ.get("LOGNAME"),
            home=os.environ.get("HOME"),
            group_ids=tuple(sorted(set(os.getgroups()) | {os.getgid()})),
        )


@dataclass(frozen=True, slots=True)
class FileStat:
    """The parts of ``stat`` that permission checks need."""

    mode: int
    uid: int
    gid: int
    group: str | None = None
    """Owning group's name, when a recording gives it instead of a number."""


@dataclass
class Host:
    """A machine to examine: a root path, a runner, adapters, and who is asking.

    Build one with :meth:`live`, :meth:`from_root` or :meth:`recorded`.
    """

    root: Path
    runner: Runner
    env: Mapping[str, str]
    identity: Identity
    interpreter: Interpreter | None
    live: bool
    """Whether live sources (programs, NVML, the Docker engine) describe this host."""
    timeout: float = DEFAULT_TIMEOUT
    kind: str = "live"
    """``live``, ``root`` or ``recorded``."""
    unreadable: Mapping[str, str] = field(default_factory=dict)
    """Recorded faults: path → reason a read fails with (``permission denied``)."""
    stats: Mapping[str, FileStat] = field(default_factory=dict)
    """Recorded ``stat`` results for paths a tree cannot carry (device nodes, owners)."""
    python_hint: str | None = None
    """An interpreter or environment prefix named with ``--python``."""
    nvml: NvmlAdapter | None = None
    """The NVML adapter (live, recorded, or none under ``--root``)."""
    amdsmi: AmdSmiAdapter | None = None
    """The AMD SMI adapter (live, recorded, or none under ``--root``)."""
    docker: DockerAdapter | None = None
    """The Docker engine adapter (live, recorded, or none under ``--root``)."""
    deep: bool = False
    """``check --deep``: import frameworks in child processes and run a tiny GPU operation."""
    _slash: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self._slash = str(self.root) == "/"
        # The adapters are small classes; their modules import nothing heavy until asked.
        from envdoctor import amdsmi, docker_engine, nvml  # noqa: PLC0415

        if self.docker is None:
            self.docker = (docker_engine.LiveDocker() if self.kind == "live"
                           else docker_engine.NoDocker())
        if self.nvml is None:
            self.nvml = nvml.LiveNvml() if self.kind == "live" else nvml.NoNvml(
                "NVML is not asked under --root: the running machine's driver is not the image's")
        if self.amdsmi is None:
            self.amdsmi = amdsmi.LiveAmdSmi() if self.kind == "live" else amdsmi.NoAmdSmi(
                "AMD SMI is not asked under --root")

    # ----------------------------------------------------------------- construction

    @classmethod
    def live_host(cls, timeout: float = DEFAULT_TIMEOUT, python: str | None = None) -> Host:
        """The running machine."""
        env = dict(os.environ)
        return cls(
            root=Path("/"),
            runner=SubprocessRunner(env.get("PATH")),
            env=env,
            identity=Identity.current(),
            interpreter=Interpreter.current(),
            live=True,
            timeout=timeout,
            kind="live",
            python_hint=python,
        )

    @classmethod
    def from_root(cls, root: str | os.PathLike[str], python: str | None = None) -> Host:
        """A file-system tree (an unbooted image, a mounted disk); live sources are off."""
        path = Path(root)
        if not path.exists():
            raise HostError(
                f"--root {root} does not exist",
                hint="give the directory where the image's file system is mounted or unpacked",
            )
        if not path.is_dir():
            raise HostError(f"--root {root} is not a directory",
                            hint="unpack the image first, e.g. 'docker export C | tar -x -C DIR'")
        reason = ("live sources are off under --root: the running machine does not describe "
                  "the image")
        return cls(
            root=path.resolve(),
            runner=DisabledRunner(reason),
            env={},
            identity=Identity(),
            interpreter=None,
            live=False,
            kind="root",
            python_hint=python,
        )

    @classmethod
    def recorded(cls, folder: str | os.PathLike[str]) -> Host:
        """A recorded test host: ``root/``, ``commands/`` and ``host.json``.

        ``host.json`` holds what a tree cannot: ``env`` (environment variables),
        ``identity`` (uid, gid, name, home, group_ids), ``interpreter`` (executable,
        prefix, base_prefix, version, implementation, sys_path), ``stats`` (path → mode
        as an octal string, uid, gid), ``unreadable`` (path → reason) and ``live``
        (false for a recorded image rather than a recorded running machine).
        """
        base = Path(folder)
        meta_file = base / "host.json"
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        interp = meta.get("interpreter")
        ident = meta.get("identity", {})
        stats = {
            path: FileStat(int(s["mode"], 8), s.get("uid", 0), s.get("gid", -1), s.get("group"))
            for path, s in meta.get("stats", {}).items()
        }
        live = meta.get("live", True)
        from envdoctor import amdsmi, docker_engine, nvml  # noqa: PLC0415

        return cls(
            root=(base / "root").resolve(),
            runner=RecordedRunner(base / "commands") if live else DisabledRunner(
                "live sources are off under --root"),
            env=meta.get("env", {}),
            identity=Identity(
                uid=ident.get("uid"), gid=ident.get("gid"), name=ident.get("name"),
                home=ident.get("home"), group_ids=tuple(ident.get("group_ids", ())),
                group_names=tuple(ident.get("group_names", ())),
            ),
            interpreter=Interpreter(
                executable=interp["executable"], prefix=interp["prefix"],
                base_prefix=interp.get("base_prefix", interp["prefix"]),
                version=interp["version"], implementation=interp.get("implementation", "CPython"),
                sys_path=tuple(interp.get("sys_path", ())),
            ) if interp else None,
            live=live,
            kind="recorded",
            unreadable=meta.get("unreadable", {}),
            stats=stats,
            python_hint=meta.get("python_hint"),
            nvml=nvml.RecordedNvml(base / "nvml.json") if live else nvml.NoNvml(
                "NVML is not asked under --root"),
            amdsmi=amdsmi.RecordedAmdSmi(base / "commands") if live else amdsmi.NoAmdSmi(
                "AMD SMI is not asked under --root"),
            docker=docker_engine.RecordedDocker(base / "docker.json") if live
            else docker_engine.NoDocker(),
        )

    # ----------------------------------------------------------------- files

    def path(self, path: str) -> Path:
        """Map an absolute path on the examined machine to a path here.

        Under a root other than ``/``, symbolic links are resolved inside the root, as
        a ``chroot`` would: an image's ``/usr/local/cuda -> /usr/local/cuda-12.4`` must
        not lead to the running machine's CUDA.
        """
        if self._slash:
            return Path(path)
        return self._resolve_in_root(path)

    def _resolve_in_root(self, path: str, max_links: int = 40) -> Path:
        parts = [p for p in path.split("/") if p and p != "."]
        resolved: list[str] = []
        links = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = self.root.joinpath(*resolved, part)
            try:
                target = os.readlink(candidate)
            except OSError:
                resolved.append(part)
                continue
            links += 1
            if links > max_links:
                resolved.append(part)
                break
            target_parts = [p for p in target.split("/") if p and p != "."]
            if target.startswith("/"):
                resolved = []
            parts = target_parts + parts
        return self.root.joinpath(*resolved)

    def _check_fault(self, path: str) -> None:
        if self.unreadable:
            reason = self.unreadable.get(path)
            if reason is not None:
                raise ReadError(path, reason)

    def read_bytes(self, path: str, limit: int = MAX_READ_BYTES) -> bytes:
        """Read up to ``limit`` bytes of a file; raise :class:`ReadError` with a reason."""
        self._check_fault(path)
        try:
            fd = os.open(self.path(path), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise ReadError(path, "not found") from None
        except PermissionError:
            raise ReadError(path, "permission denied") from None
        except OSError as exc:
            raise ReadError(path, exc.strerror or str(exc)) from None
        try:
            chunks = []
            remaining = limit
            while remaining > 0:
                chunk = os.read(fd, min(remaining, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
            return b"".join(chunks)
        except IsADirectoryError:
            raise ReadError(path, "is a directory") from None
        except OSError as exc:
            raise ReadError(path, exc.strerror or str(exc)) from None
        finally:
            os.close(fd)

    def read_text(self, path: str, limit: int = MAX_READ_BYTES) -> str:
        """Read a text file (UTF-8, undecodable bytes replaced); raise :class:`ReadError`."""
        return self.read_bytes(path, limit).decode("utf-8", errors="replace")

    def read_text_or_none(self, path: str, limit: int = MAX_READ_BYTES) -> str | None:
        """Read a text file, or return ``None`` when it cannot be read for any reason."""
        try:
            return self.read_text(path, limit)
        except ReadError:
            return None

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists on the examined machine (a recorded stat counts)."""
        return path in self.stats or self.path(path).exists()

    def is_dir(self, path: str) -> bool:
        """Whether ``path`` is a directory."""
        return self.path(path).is_dir()

    def is_file(self, path: str) -> bool:
        """Whether ``path`` is a regular file (following links inside the root)."""
        return self.path(path).is_file()

    def listdir(self, path: str) -> list[str]:
        """Names in a directory, sorted; empty when it is missing or unreadable."""
        if self.unreadable and path in self.unreadable:
            return []
        try:
            return sorted(os.listdir(self.path(path)))
        except OSError:
            return []

    def readlink(self, path: str) -> str | None:
        """The target of a symbolic link as stored, or ``None`` when it is not a link."""
        try:
            return os.readlink(self.path_parent_resolved(path))
        except OSError:
            return None

    def path_parent_resolved(self, path: str) -> Path:
        """Map ``path`` resolving links in its parent only (to look at the link itself)."""
        parent, _, name = path.rstrip("/").rpartition("/")
        return self.path(parent or "/") / name

    def realpath(self, path: str) -> str:
        """The path with every link resolved, as seen on the examined machine."""
        resolved = self.path(path)
        if self._slash:
            return os.path.realpath(resolved)
        rel = resolved.relative_to(self.root)
        return "/" + rel.as_posix() if str(rel) != "." else "/"

    def stat(self, path: str) -> FileStat | None:
        """Mode and owner of ``path`` (a recorded stat wins), or ``None`` when missing."""
        recorded = self.stats.get(path)
        if recorded is not None:
            return recorded
        try:
            st = os.stat(self.path(path))
        except OSError:
            return None
        return FileStat(st.st_mode, st.st_uid, st.st_gid)

    # ----------------------------------------------------------------- programs

    @property
    def can_run(self) -> bool:
        """Whether programs may be run (false under ``--root``)."""
        return self.live

    def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult:
        """Run a program through the host's runner, with the host's timeout by default."""
        return self.runner.run(argv, self.timeout if timeout is None else timeout)

    def which(self, name: str) -> str | None:
        """Find a program on the examined machine's ``PATH`` (inside the root)."""
        for directory in self.env.get("PATH", DEFAULT_PATH).split(":"):
            if not directory:
                continue
            candidate = f"{directory.rstrip('/')}/{name}"
            local = self.path(candidate)
            if local.is_file() and (not self._slash or os.access(local, os.X_OK)):
                return candidate
        return None
