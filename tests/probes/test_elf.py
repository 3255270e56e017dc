"""The ELF dynamic-section reader, on real files only.

Real files here are: this machine's own libraries (checked against ``readelf -d``), two
files from the real torch wheel, and shared objects linked in the test by the real GNU
assembler and linker (``as`` + ``ld``, what ``gcc -shared`` drives), including
big-endian ones when the Debian cross binutils are installed. No ELF bytes are written
by hand; garbage inputs are real files cut short or with bytes flipped.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envdoctor.host import Host
from envdoctor.probes import _elf
from envdoctor.probes._elf import ElfDynamic, read_dynamic, read_ident

TORCH_WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
TORCH_C = "torch/_C.cpython-311-x86_64-linux-gnu.so"
TORCH_GLOBAL_DEPS = "torch/lib/libtorch_global_deps.so"
TORCH_PYTHON = "torch/lib/libtorch_python.so"

LIVE = Host.live_host()

# Libraries that a Debian/Ubuntu x86-64 or aarch64 machine (or this image) usually has;
# those present are compared with readelf.
SYSTEM_CANDIDATES = [
    "/usr/lib/*-linux-gnu/libz.so.1",
    "/usr/lib/*-linux-gnu/libc.so.6",
    "/usr/lib/*-linux-gnu/libstdc++.so.6",
    "/usr/lib/*-linux-gnu/libssl.so.3",
    "/usr/lib/*-linux-gnu/libLLVM-15.so.1",
    "/usr/local/cuda*/lib/libcudart.so.*",
    "/usr/local/cuda*/lib64/libcudart.so.*",
    "/root/.pyenv/versions/*/lib/python3.*/lib-dynload/_ctypes.cpython-*.so",
    "/root/.pyenv/versions/*/lib/python3.*/lib-dynload/_ssl.cpython-*.so",
    "/usr/libexec/valgrind/vgpreload_memcheck-x86-linux.so",
    "/usr/lib/perf-core/perf-read-vdsox32",
]


def matching(pattern: str) -> list[Path]:
    """Files on this machine matching an absolute glob pattern, sorted."""
    return sorted(Path("/").glob(pattern.lstrip("/")))


def system_files() -> list[str]:
    found: list[str] = []
    for pattern in SYSTEM_CANDIDATES:
        matches = matching(pattern)
        if matches and str(matches[0].resolve()) not in found:
            found.append(str(matches[0].resolve()))
    return found


# ----------------------------------------------------------------- real toolchain


def toolchain(prefix: str = "") -> tuple[str, str] | None:
    """GNU ``as`` and ``ld`` (``prefix`` names a cross toolchain), or ``None``."""
    assembler, linker = shutil.which(prefix + "as"), shutil.which(prefix + "ld")
    return (assembler, linker) if assembler and linker else None


def build_shared(out: Path, *, soname: str | None = None, needed: tuple[Path, ...] = (),
                 runpath: str | None = None, rpath: str | None = None, prefix: str = "",
                 as_args: tuple[str, ...] = (), ld_args: tuple[str, ...] = ()) -> Path:
    """Link a real shared object with the real assembler and linker.

    ``needed`` are shared objects to link against: each becomes a ``DT_NEEDED`` entry
    naming its SONAME. ``runpath`` uses ``--enable-new-dtags`` (DT_RUNPATH), ``rpath``
    ``--disable-new-dtags`` (DT_RPATH), as gcc's ``-Wl,-rpath`` does either way.
    """
    tools = toolchain(prefix)
    if tools is None:
        pytest.skip(f"GNU binutils ({prefix}as, {prefix}ld) are not installed")
    assembler, linker = tools
    out.parent.mkdir(parents=True, exist_ok=True)
    source = out.parent / f".{out.name}.s"
    source.write_text(".text\n.globl envdoctor_test\nenvdoctor_test:\n")
    obj = out.parent / f".{out.name}.o"
    subprocess.run([assembler, *as_args, "-o", str(obj), str(source)], check=True,
                   capture_output=True)
    argv = [linker, *ld_args, "-shared", "-o", str(out)]
    if soname:
        argv += ["-soname", soname]
    if runpath is not None:
        argv += ["--enable-new-dtags", "-rpath", runpath]
    if rpath is not None:
        argv += ["--disable-new-dtags", "-rpath", rpath]
    argv += [str(obj), "--no-as-needed", *map(str, needed)]
    result = subprocess.run(argv, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"{linker} cannot link this target here: {result.stderr.strip()[:200]}")
    obj.unlink()
    source.unlink()
    return out


def build_32bit(out: Path, soname: str | None = None, needed: tuple[Path, ...] = (),
                runpath: str | None = None) -> Path:
    """A real i386 shared object (the native binutils' elf_i386 emulation)."""
    if platform.machine() != "x86_64":
        pytest.skip("32-bit x86 objects are built with the x86-64 binutils")
    return build_shared(out, soname=soname, needed=needed, runpath=runpath, as_args=("--32",),
                        ld_args=("-m", "elf_i386"))


# ----------------------------------------------------------------- readelf oracle

_READELF_LINE = re.compile(r"\((NEEDED|SONAME|RUNPATH|RPATH)\)\s+[^\[]*\[(.*)\]\s*$")
_READELF_MACHINES = {
    "Advanced Micro Devices X86-64": "x86_64",
    "Intel 80386": "i386",
    "AArch64": "aarch64",
    "IBM S/390": "s390x",
    "PowerPC": "ppc",
}


def readelf(path: str | Path) -> ElfDynamic:
    """What binutils' readelf says about a file, in the reader's shape."""
    exe = shutil.which("readelf")
    if exe is None:
        pytest.skip("readelf (binutils) is not installed")
    out = subprocess.run([exe, "-h", "-d", "-W", str(path)], check=False, capture_output=True,
                         text=True, env={**os.environ, "LC_ALL": "C"}).stdout
    values: dict[str, list[str]] = {"NEEDED": [], "SONAME": [], "RUNPATH": [], "RPATH": []}
    for line in out.splitlines():
        match = _READELF_LINE.search(line)
        if match:
            values[match.group(1)].append(match.group(2))
    machine_line = re.search(r"Machine:\s+(.*)", out)
    class_line = re.search(r"Class:\s+ELF(32|64)", out)
    assert class_line is not None, out
    return ElfDynamic(
        soname=values["SONAME"][0] if values["SONAME"] else None,
        needed=values["NEEDED"],
        rpath=[d for v in values["RPATH"] for d in v.split(":")],
        runpath=[d for v in values["RUNPATH"] for d in v.split(":")],
        machine=_READELF_MACHINES.get(machine_line.group(1).strip()) if machine_line else None,
        elf_class=int(class_line.group(1)),
    )


# ----------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def torch_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real files from the real torch wheel, extracted into a temporary directory."""
    if not TORCH_WHEEL.exists():
        pytest.skip(f"{TORCH_WHEEL} is not on this machine")
    dest = tmp_path_factory.mktemp("torch-wheel")
    with zipfile.ZipFile(TORCH_WHEEL) as wheel:
        for member in (TORCH_C, TORCH_GLOBAL_DEPS, TORCH_PYTHON):
            wheel.extract(member, dest)
    return {name: dest / name for name in (TORCH_C, TORCH_GLOBAL_DEPS, TORCH_PYTHON)}


class PreadCounter:
    """Wraps os.pread to count calls and bytes returned."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.bytes = 0
        self.largest = 0
        real = os.pread

        def counting(fd: int, size: int, offset: int) -> bytes:
            data = real(fd, size, offset)
            self.calls += 1
            self.bytes += len(data)
            self.largest = max(self.largest, size)
            return data

        monkeypatch.setattr(_elf.os, "pread", counting)


# ----------------------------------------------------------------- real torch wheel


def test_torch_extension_module(torch_files: dict[str, Path]) -> None:
    info = read_dynamic(LIVE, str(torch_files[TORCH_C]))
    assert info == ElfDynamic(
        soname=None,
        needed=["libtorch_python.so", "libc.so.6"],
        rpath=[],
        runpath=["$ORIGIN", "$ORIGIN/lib"],
        machine="x86_64",
        elf_class=64,
    )


def test_torch_global_deps(torch_files: dict[str, Path]) -> None:
    info = read_dynamic(LIVE, str(torch_files[TORCH_GLOBAL_DEPS]))
    assert info is not None
    assert info.soname == "libtorch_global_deps.so"
    assert info.needed == ["libpthread.so.0", "libm.so.6", "libdl.so.2", "libgomp.so.1",
                           "libc.so.6"]
    assert info.runpath == ["$ORIGIN"]
    assert info.rpath == []


@pytest.mark.parametrize("member", [TORCH_C, TORCH_GLOBAL_DEPS, TORCH_PYTHON])
def test_torch_files_agree_with_readelf(torch_files: dict[str, Path], member: str) -> None:
    assert read_dynamic(LIVE, str(torch_files[member])) == readelf(torch_files[member])


def test_under_a_root(torch_files: dict[str, Path], tmp_path: Path) -> None:
    """Paths are the image's: a link to an absolute path stays inside the root."""
    lib = tmp_path / "opt/venv/site-packages/torch/lib"
    lib.mkdir(parents=True)
    shutil.copy(torch_files[TORCH_GLOBAL_DEPS], lib / "libtorch_global_deps.so")
    (tmp_path / "opt/torch").symlink_to("/opt/venv/site-packages/torch")
    host = Host.from_root(tmp_path)
    info = read_dynamic(host, "/opt/torch/lib/libtorch_global_deps.so")
    assert info is not None and info.soname == "libtorch_global_deps.so"
    assert read_ident(host, "/opt/torch/lib/libtorch_global_deps.so") == (64, "x86_64")
    # The running machine's file of the same name is not looked at.
    assert read_dynamic(host, str(torch_files[TORCH_GLOBAL_DEPS])) is None


# ----------------------------------------------------------------- this machine's libraries


@pytest.mark.parametrize("path", system_files() or ["<none>"])
def test_system_libraries_agree_with_readelf(path: str) -> None:
    if path == "<none>":
        pytest.skip("none of the usual system libraries is on this machine")
    assert read_dynamic(LIVE, path) == readelf(path)


def test_some_system_library_has_a_runpath() -> None:
    """The machine-wide check above covered RUNPATH, not only NEEDED and SONAME."""
    files = system_files()
    if not files:
        pytest.skip("none of the usual system libraries is on this machine")
    with_runpath = [f for f in files if readelf(f).runpath]
    if not with_runpath:
        pytest.skip("no library here has a RUNPATH")
    for path in with_runpath:
        info = read_dynamic(LIVE, path)
        assert info is not None and info.runpath == readelf(path).runpath


# ----------------------------------------------------------------- linked in the test


def test_runpath_and_tokens_as_written(tmp_path: Path) -> None:
    dep = build_shared(tmp_path / "libdep.so", soname="libdep.so.2")
    lib = build_shared(tmp_path / "libuser.so", soname="libuser.so.1", needed=(dep,),
                       runpath="${ORIGIN}/../lib:$ORIGIN/x:$LIB/y:$PLATFORM")
    info = read_dynamic(LIVE, str(lib))
    assert info is not None
    assert info.soname == "libuser.so.1"
    assert info.needed == ["libdep.so.2"]
    assert info.runpath == ["${ORIGIN}/../lib", "$ORIGIN/x", "$LIB/y", "$PLATFORM"]
    assert info.rpath == []
    assert info == readelf(lib)


def test_rpath_is_told_apart_from_runpath(tmp_path: Path) -> None:
    dep = build_shared(tmp_path / "libdep.so", soname="libdep.so.2")
    lib = build_shared(tmp_path / "libold.so", needed=(dep,), rpath="/opt/old/lib:$ORIGIN")
    info = read_dynamic(LIVE, str(lib))
    assert info is not None
    assert info.rpath == ["/opt/old/lib", "$ORIGIN"]
    assert info.runpath == []
    assert info.soname is None
    assert info == readelf(lib)


def test_empty_runpath_is_present(tmp_path: Path) -> None:
    """An empty DT_RUNPATH still switches DT_RPATH off, so it must not read as absent."""
    lib = build_shared(tmp_path / "libempty.so", runpath="")
    info = read_dynamic(LIVE, str(lib))
    assert info is not None and info.runpath == [""]
    assert info == readelf(lib)


def test_many_needed_entries(tmp_path: Path) -> None:
    deps = tuple(build_shared(tmp_path / f"libd{i}.so", soname=f"libd{i}.so.{i}")
                 for i in range(40))
    lib = build_shared(tmp_path / "libmany.so", soname="libmany.so", needed=deps,
                       runpath="/a:/b")
    info = read_dynamic(LIVE, str(lib))
    assert info is not None
    assert info.needed == [f"libd{i}.so.{i}" for i in range(40)]
    assert info == readelf(lib)


def test_long_runpath(tmp_path: Path) -> None:
    """torch's CUDA wheels carry RUNPATHs of a kilobyte and more (one entry per nvidia-*)."""
    dirs = [f"$ORIGIN/../../nvidia/{name}/lib" for name in (
        "cublas", "cuda_cupti", "cuda_nvrtc", "cuda_runtime", "cudnn", "cufft", "curand",
        "cusolver", "cusparse", "cusparselt", "nccl", "nvshmem", "nvtx", "nvjitlink", "cufile")]
    runpath = ":".join(dirs * 3 + ["$ORIGIN"])
    assert len(runpath) > 1000
    lib = build_shared(tmp_path / "libtorch_cuda.so", soname="libtorch_cuda.so", runpath=runpath)
    info = read_dynamic(LIVE, str(lib))
    assert info is not None and info.runpath == runpath.split(":")
    assert info == readelf(lib)


def test_32bit_object(tmp_path: Path) -> None:
    dep = build_32bit(tmp_path / "libdep32.so", soname="libdep32.so.1")
    lib = build_32bit(tmp_path / "lib32.so", soname="lib32.so.1", needed=(dep,),
                      runpath="$ORIGIN/../lib32")
    info = read_dynamic(LIVE, str(lib))
    assert info == ElfDynamic("lib32.so.1", ["libdep32.so.1"], [], ["$ORIGIN/../lib32"],
                              "i386", 32)
    assert info == readelf(lib)
    assert read_ident(LIVE, str(lib)) == (32, "i386")


def test_x32_object(tmp_path: Path) -> None:
    if platform.machine() != "x86_64":
        pytest.skip("x32 objects are built with the x86-64 binutils")
    lib = build_shared(tmp_path / "libx32.so", soname="libx32.so.1", runpath="/x32",
                       as_args=("--x32",), ld_args=("-m", "elf32_x86_64"))
    info = read_dynamic(LIVE, str(lib))
    assert info is not None
    assert (info.machine, info.elf_class, info.soname, info.runpath) == (
        "x86_64", 32, "libx32.so.1", ["/x32"])


@pytest.mark.parametrize(("prefix", "machine", "elf_class"), [
    ("s390x-linux-gnu-", "s390x", 64),      # big-endian, 64-bit
    ("powerpc-linux-gnu-", "ppc", 32),      # big-endian, 32-bit
    ("aarch64-linux-gnu-", "aarch64", 64),  # little-endian, another machine
])
def test_cross_built_objects(tmp_path: Path, prefix: str, machine: str,
                             elf_class: int) -> None:
    """Byte order and machines this host does not run, linked by Debian's cross binutils."""
    if toolchain(prefix) is None:
        pytest.skip(f"{prefix}as/ld not installed (apt-get install binutils-{prefix[:-1]})")
    dep = build_shared(tmp_path / "libdep.so", soname="libdep.so.2", prefix=prefix)
    lib = build_shared(tmp_path / "libbe.so", soname="libbe.so.1", needed=(dep,),
                       runpath="$ORIGIN/../lib:/opt/x", prefix=prefix)
    old = build_shared(tmp_path / "librp.so", needed=(dep,), rpath="/old/rpath", prefix=prefix)
    info = read_dynamic(LIVE, str(lib))
    assert info == ElfDynamic("libbe.so.1", ["libdep.so.2"], [], ["$ORIGIN/../lib", "/opt/x"],
                              machine, elf_class)
    assert info == readelf(lib)
    old_info = read_dynamic(LIVE, str(old))
    assert old_info is not None and old_info.rpath == ["/old/rpath"]
    assert old_info == readelf(old)


# ----------------------------------------------------------------- not ELF, broken, odd


def test_not_elf_gives_none(tmp_path: Path) -> None:
    (tmp_path / "script.sh").write_text("#!/bin/sh\necho hi\n")
    (tmp_path / "empty.so").write_bytes(b"")
    (tmp_path / "dir.so").mkdir()
    os.mkfifo(tmp_path / "fifo.so")
    host = Host.from_root(tmp_path)
    for name in ("/script.sh", "/empty.so", "/dir.so", "/fifo.so", "/missing.so"):
        assert read_dynamic(host, name) is None, name
        assert read_ident(host, name) is None, name
    assert read_dynamic(LIVE, "/dev/null") is None
    assert read_dynamic(LIVE, "/no/such\0path") is None


def test_recorded_unreadable_gives_none(tmp_path: Path) -> None:
    lib = build_shared(tmp_path / "lib.so", soname="lib.so.1")
    host = Host.from_root(tmp_path)
    assert read_dynamic(host, "/lib.so") is not None
    host.unreadable = {"/lib.so": "permission denied"}
    assert read_dynamic(host, "/lib.so") is None
    assert lib.exists()


def test_object_file_and_static_executable_have_no_dynamic_section(tmp_path: Path) -> None:
    tools = toolchain()
    if tools is None:
        pytest.skip("GNU binutils are not installed")
    assembler, linker = tools
    source = tmp_path / "start.s"
    source.write_text(".text\n.globl _start\n_start:\n")
    subprocess.run([assembler, "-o", str(tmp_path / "start.o"), str(source)], check=True)
    subprocess.run([linker, "-static", "-o", str(tmp_path / "static"), str(tmp_path / "start.o")],
                   check=True)
    for name in ("start.o", "static"):
        info = read_dynamic(LIVE, str(tmp_path / name))
        assert info is not None, name
        assert (info.soname, info.needed, info.rpath, info.runpath) == (None, [], [], [])
        assert info.machine == readelf(tmp_path / name).machine


def _truncation_points(size: int) -> list[int]:
    points = list(range(0, min(size, 256))) + list(range(256, size, 61))
    return [*points, size - 1]


def test_truncated_real_files_never_raise(torch_files: dict[str, Path], tmp_path: Path) -> None:
    """A real file cut anywhere reads as None, or (cut past what is read) as the whole file."""
    source = torch_files[TORCH_GLOBAL_DEPS].read_bytes()
    whole = read_dynamic(LIVE, str(torch_files[TORCH_GLOBAL_DEPS]))
    cut = tmp_path / "cut.so"
    outcomes = set()
    for point in _truncation_points(len(source)):
        cut.write_bytes(source[:point])
        result = read_dynamic(LIVE, str(cut))
        assert result is None or result == whole, point
        outcomes.add(result is None)
    assert outcomes == {True, False}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 8263), st.integers(0, 255)), min_size=1,
                      max_size=8))
def test_corrupted_real_file_never_raises(torch_files: dict[str, Path], tmp_path: Path,
                                          flips: list[tuple[int, int]]) -> None:
    data = bytearray(torch_files[TORCH_GLOBAL_DEPS].read_bytes())
    for offset, value in flips:
        data[offset % len(data)] = value
    target = tmp_path / "corrupt.so"
    target.write_bytes(bytes(data))
    result = read_dynamic(LIVE, str(target))
    assert result is None or isinstance(result, ElfDynamic)


# ----------------------------------------------------------------- reads few bytes


def test_large_real_file_reads_a_few_kilobytes(torch_files: dict[str, Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = torch_files[TORCH_PYTHON]  # 30 MB, a real library from the torch wheel
    expected = readelf(path)
    counter = PreadCounter(monkeypatch)
    assert read_dynamic(LIVE, str(path)) == expected
    size = path.stat().st_size
    assert size > 10_000_000
    assert counter.bytes < 64 * 1024
    assert counter.largest <= 64 * 1024
    assert counter.calls < 40


def test_gigabyte_file_reads_a_few_kilobytes(torch_files: dict[str, Path], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A real library grown past 1 GiB (a sparse tail, as big as libtorch_cuda.so)."""
    big = tmp_path / "libtorch_cuda.so"
    shutil.copy(torch_files[TORCH_GLOBAL_DEPS], big)
    with big.open("r+b") as handle:
        handle.truncate(1 << 30 | 4096)
    counter = PreadCounter(monkeypatch)
    info = read_dynamic(LIVE, str(big))
    assert info is not None and info.soname == "libtorch_global_deps.so"
    assert counter.bytes < 16 * 1024


def test_biggest_library_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    candidates = [p for pattern in ("/usr/lib/*-linux-gnu/*.so*", "/usr/local/cuda*/lib*/*.so*")
                  for p in matching(pattern) if p.is_file() and not p.is_symlink()]
    if not candidates:
        pytest.skip("no shared library found on this machine")
    biggest = max(candidates, key=lambda p: p.stat().st_size)
    expected = readelf(biggest)
    counter = PreadCounter(monkeypatch)
    assert read_dynamic(LIVE, str(biggest)) == expected
    assert counter.bytes < 64 * 1024, (biggest, biggest.stat().st_size)
