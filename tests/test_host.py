"""The host object: reads under a root, the command runner, recorded hosts."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from envdoctor.errors import HostError
from envdoctor.host import (
    CommandResult,
    DisabledRunner,
    Host,
    ReadError,
    RecordedRunner,
    SubprocessRunner,
    command_slug,
)


def make_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "usr/local/cuda-12.4/bin").mkdir(parents=True)
    (root / "usr/local/cuda-12.4/version.json").write_text('{"cuda": {"version": "12.4.1"}}')
    # An image's links are absolute *inside the image*.
    (root / "usr/local/cuda").symlink_to("/usr/local/cuda-12.4")
    (root / "etc").mkdir()
    (root / "etc/os-release").symlink_to("../usr/lib/os-release")
    (root / "usr/lib").mkdir(parents=True)
    (root / "usr/lib/os-release").write_text("ID=ubuntu\n")
    (root / "etc/escape").symlink_to("../../../../../../etc/hostname")
    return root


def test_absolute_links_resolve_inside_the_root(tmp_path: Path) -> None:
    host = Host.from_root(make_root(tmp_path))
    assert host.read_text("/usr/local/cuda/version.json").startswith('{"cuda"')
    assert host.realpath("/usr/local/cuda") == "/usr/local/cuda-12.4"
    assert host.readlink("/usr/local/cuda") == "/usr/local/cuda-12.4"
    assert host.read_text("/etc/os-release") == "ID=ubuntu\n"


def test_dotdot_links_cannot_leave_the_root(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    host = Host.from_root(root)
    resolved = host.path("/etc/escape")
    assert str(resolved).startswith(str(root.resolve()))
    with pytest.raises(ReadError) as err:
        host.read_text("/etc/escape")
    assert err.value.reason == "not found"


def test_read_errors_carry_a_short_reason(tmp_path: Path) -> None:
    host = Host.from_root(make_root(tmp_path))
    with pytest.raises(ReadError, match="not found"):
        host.read_text("/proc/cpuinfo")
    with pytest.raises(ReadError, match="is a directory"):
        host.read_text("/usr/local/cuda")
    assert host.read_text_or_none("/nope") is None


def test_reads_are_capped(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    (root / "big").write_bytes(b"x" * 100_000)
    assert len(Host.from_root(root).read_bytes("/big", limit=1000)) == 1000


def test_recorded_faults_look_like_real_ones(tmp_path: Path) -> None:
    folder = tmp_path / "host"
    (folder / "root/proc").mkdir(parents=True)
    (folder / "root/proc/cpuinfo").write_text("processor : 0\n")
    (folder / "host.json").write_text('{"unreadable": {"/proc/cpuinfo": "permission denied"}}')
    host = Host.recorded(folder)
    with pytest.raises(ReadError, match="permission denied"):
        host.read_text("/proc/cpuinfo")


def test_root_must_exist_and_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(HostError, match="does not exist"):
        Host.from_root(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(HostError, match="not a directory"):
        Host.from_root(tmp_path / "file")


def test_live_sources_are_off_under_root(tmp_path: Path) -> None:
    host = Host.from_root(make_root(tmp_path))
    assert not host.can_run
    result = host.run(["nvidia-smi"])
    assert not result.ok
    assert "--root" in (result.error or "")


# --------------------------------------------------------------------------- runner


def test_runner_captures_output_and_status() -> None:
    runner = SubprocessRunner()
    result = runner.run([sys.executable, "-c", "import sys; print('out'); "
                         "print('err', file=sys.stderr); sys.exit(3)"], timeout=10)
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.ok
    assert result.describe().endswith("exited with status 3: err")


def test_runner_reports_a_missing_program_without_starting_anything() -> None:
    result = SubprocessRunner(path="/nonexistent").run(["nvidia-smi", "-L"], timeout=1)
    assert result.not_found
    assert result.describe() == "nvidia-smi not found"


def test_runner_kills_a_hung_program_and_its_children(tmp_path: Path) -> None:
    # A stand-in for a hung nvidia-smi: a shell that starts a child and both sleep.
    script = tmp_path / "nvidia-smi"
    pidfile = tmp_path / "child.pid"
    script.write_text(f"#!/bin/sh\nsleep 30 &\necho $! > {pidfile}\nwait\n")
    script.chmod(0o755)
    start = time.monotonic()
    result = SubprocessRunner(path=str(tmp_path)).run(["nvidia-smi"], timeout=0.5)
    elapsed = time.monotonic() - start
    assert result.timed_out
    assert elapsed < 5, "the runner waited for the hung program"
    assert result.describe().startswith("nvidia-smi timed out after")
    child = int(pidfile.read_text())
    time.sleep(0.2)
    assert not _alive(child), "the hung program's child is still running"


def _alive(pid: int) -> bool:
    """Running (a killed child reparented to a PID 1 that does not reap stays a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def test_runner_survives_binary_garbage(tmp_path: Path) -> None:
    script = tmp_path / "garbage"
    script.write_text("#!/bin/sh\nprintf '\\377\\376\\000abc'\n")
    script.chmod(0o755)
    result = SubprocessRunner(path=str(tmp_path)).run(["garbage"], timeout=5)
    assert result.ok
    assert result.stdout.endswith("abc")


def test_runner_reports_a_program_it_cannot_execute(tmp_path: Path) -> None:
    script = tmp_path / "broken"
    script.write_text("#!/nonexistent/interpreter\n")
    script.chmod(0o755)
    result = SubprocessRunner(path=str(tmp_path)).run(["broken"], timeout=5)
    assert not result.ok
    assert result.error


def test_command_slug_is_a_safe_file_name() -> None:
    assert command_slug(["nvidia-smi", "-q", "-x"]) == "nvidia-smi_-q_-x"
    assert command_slug(["/usr/bin/nvidia-smi", "--query-gpu=name,uuid", "--format=csv"]) == (
        "nvidia-smi_--query-gpu=name+uuid_--format=csv")


def test_recorded_runner_serves_output_status_and_timeouts(tmp_path: Path) -> None:
    (tmp_path / "nvidia-smi_-q_-x.txt").write_text("<xml/>")
    (tmp_path / "nvcc_--version.txt").write_text("")
    (tmp_path / "nvcc_--version.stderr").write_text("nvcc fatal")
    (tmp_path / "nvcc_--version.rc").write_text("1\n")
    (tmp_path / "rocm-smi_--json.timeout").write_text("")
    runner = RecordedRunner(tmp_path)
    assert runner.run(["nvidia-smi", "-q", "-x"], 5) == CommandResult(
        ("nvidia-smi", "-q", "-x"), returncode=0, stdout="<xml/>")
    bad = runner.run(["nvcc", "--version"], 5)
    assert (bad.returncode, bad.stderr) == (1, "nvcc fatal")
    assert runner.run(["rocm-smi", "--json"], 2).timed_out
    assert runner.run(["amd-smi"], 2).not_found
    assert runner.calls[0] == ("nvidia-smi", "-q", "-x")


def test_disabled_runner_never_runs() -> None:
    assert DisabledRunner("off").run(["true"], 1).error == "off"
