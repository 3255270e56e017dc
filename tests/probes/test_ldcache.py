"""ld.so.cache and ``ldconfig -p`` parsing, on caches written by the real ldconfig.

Sources: this machine's ``/etc/ld.so.cache`` checked against ``ldconfig -p`` reading the
same bytes; caches that the real ``ldconfig -r ROOT`` writes for a temporary root holding
real libraries, in each of its formats (``-c new``, ``-c compat``, ``-c old``); and the
``ldconfig -p`` recordings from real machines in tests/recordings/ldconfig-p/.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envdoctor.host import Host
from envdoctor.probes._elf import read_ident
from envdoctor.probes._ldcache import (
    NEW_MAGIC,
    OLD_MAGIC,
    cache_entries,
    parse_ld_so_cache,
    parse_ldconfig_p,
)
from tests.probes.helpers import recording
from tests.probes.test_elf import build_32bit, build_shared, matching

LIVE = Host.live_host()


def ldconfig() -> str:
    for candidate in (shutil.which("ldconfig"), "/sbin/ldconfig", "/usr/sbin/ldconfig"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("ldconfig (glibc) is not installed")


def ldconfig_p(cache: Path) -> str:
    """``ldconfig -p`` on the given cache file (the real tool reading the same bytes)."""
    result = subprocess.run([ldconfig(), "-p", "-C", str(cache)], check=False,
                            capture_output=True)
    assert result.returncode == 0, result.stderr
    # glibc 2.36 prints a compat cache's hwcaps names from the wrong offset (bytes that
    # are not text), so decode leniently.
    return result.stdout.decode("utf-8", errors="replace")


def this_machine() -> tuple[str, int]:
    ident = read_ident(LIVE, str(Path(sys.executable).resolve()))
    if ident is None or ident[1] is None:
        pytest.skip("the running interpreter's ELF machine is not known")
    return ident[1], ident[0]


@pytest.fixture
def libdir() -> str:
    """This machine's multiarch library directory (``/usr/lib/x86_64-linux-gnu``)."""
    found = matching("/usr/lib/*-linux-gnu/libz.so.1")
    if not found:
        pytest.skip("no Debian-style multiarch libz.so.1 here to put in a test root")
    return str(found[0].parent)


def make_root(tmp_path: Path, libdir: str) -> Path:
    """A root with the real libz in its libdir and a second copy in /opt/x, listed first."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    real = matching(f"{libdir}/libz.so.1")[0].resolve()
    for directory in (libdir, "/opt/x"):
        dest = root / directory.lstrip("/")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(real, dest / real.name)
    (root / "etc/ld.so.conf").write_text(f"/opt/x\n{libdir}\n")
    return root


def run_ldconfig(root: Path, fmt: str = "new") -> Path:
    # -C would be taken inside the root too (ldconfig prefixes it with -r), so the cache
    # lands at the default ROOT/etc/ld.so.cache.
    result = subprocess.run([ldconfig(), "-r", str(root), "-c", fmt], check=False,
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"this ldconfig cannot write the {fmt} format: {result.stderr.strip()}")
    return root / "etc/ld.so.cache"


# ----------------------------------------------------------------- this machine


def test_live_cache_matches_ldconfig_p(tmp_path: Path) -> None:
    if not Path("/etc/ld.so.cache").is_file():
        pytest.skip("this machine has no /etc/ld.so.cache")
    copy = tmp_path / "ld.so.cache"
    shutil.copy("/etc/ld.so.cache", copy)  # one snapshot for both readers
    data = copy.read_bytes()
    text = ldconfig_p(copy)
    machine, elf_class = this_machine()
    ours = parse_ld_so_cache(data, machine, elf_class)
    assert ours
    assert ours == parse_ldconfig_p(text, machine, elf_class)
    assert parse_ld_so_cache(data) == parse_ldconfig_p(text)
    header = text.splitlines()[0]
    assert header.startswith(f"{len(cache_entries(data))} libs found in cache")
    assert any(name.startswith("libc.so.") for name in ours)


# ----------------------------------------------------------------- caches ldconfig writes


@pytest.mark.parametrize(("fmt", "magic"), [("new", NEW_MAGIC), ("compat", OLD_MAGIC),
                                            ("old", OLD_MAGIC)])
def test_ldconfig_formats(tmp_path: Path, libdir: str, fmt: str, magic: bytes) -> None:
    root = make_root(tmp_path, libdir)
    cache = run_ldconfig(root, fmt)
    data = cache.read_bytes()
    assert data.startswith(magic)
    parsed = parse_ld_so_cache(data, *this_machine())
    # Cache order follows ld.so.conf: /opt/x first, as the loader would pick it.
    assert parsed["libz.so.1"] == ["/opt/x/libz.so.1", f"{libdir}/libz.so.1"]
    assert parsed == parse_ldconfig_p(ldconfig_p(cache), *this_machine())
    if fmt == "compat":
        # The new table after the old one is what counts, as for ld.so.
        assert parsed == parse_ld_so_cache(run_ldconfig(root, "new").read_bytes(),
                                           *this_machine())


def test_cache_as_older_glibc_wrote_it(tmp_path: Path, libdir: str) -> None:
    """glibc < 2.33 left the byte-order byte 0: the order is then worked out from sizes."""
    data = bytearray(run_ldconfig(make_root(tmp_path, libdir)).read_bytes())
    assert data[28] in (2, 3)
    data[28] = 0
    assert parse_ld_so_cache(bytes(data))["libz.so.1"][0] == "/opt/x/libz.so.1"


@pytest.mark.parametrize("fmt", ["new", "compat"])
def test_glibc_hwcaps_entries_are_left_out(tmp_path: Path, libdir: str, fmt: str) -> None:
    if platform.machine() != "x86_64":
        pytest.skip("the glibc-hwcaps subdirectory used here is x86-64's")
    root = make_root(tmp_path, libdir)
    real = next((root / libdir.lstrip("/")).glob("libz.so.1.*"))
    hwcaps = root / libdir.lstrip("/") / "glibc-hwcaps/x86-64-v3"
    hwcaps.mkdir(parents=True)
    shutil.copy(real, hwcaps / real.name)
    cache = run_ldconfig(root, fmt)
    data = cache.read_bytes()
    entries = [e for e in cache_entries(data) if e.soname == "libz.so.1"]
    special = [e for e in entries if e.hwcaps_subdir is not None]
    if not special:
        pytest.skip("this ldconfig predates glibc-hwcaps (glibc < 2.33)")
    assert special[0].hwcaps_subdir == "x86-64-v3"
    assert "/glibc-hwcaps/x86-64-v3/" in special[0].path
    parsed = parse_ld_so_cache(data, "x86_64")
    assert parsed["libz.so.1"] == ["/opt/x/libz.so.1", f"{libdir}/libz.so.1"]
    text = ldconfig_p(cache)
    assert "hwcap:" in text
    assert parse_ldconfig_p(text, "x86_64") == parsed


def test_32bit_entries_follow_the_architecture(tmp_path: Path, libdir: str) -> None:
    root = make_root(tmp_path, libdir)
    build_shared(root / libdir.lstrip("/") / "libdual.so.1", soname="libdual.so.1")
    build_32bit(root / "usr/lib32/libdual.so.1", soname="libdual.so.1")
    (root / "etc/ld.so.conf").write_text(f"/opt/x\n{libdir}\n/usr/lib32\n")
    cache = run_ldconfig(root)
    data = cache.read_bytes()
    flags = {e.path: e.flags for e in cache_entries(data) if e.soname == "libdual.so.1"}
    # ldconfig marks the 64-bit one x86-64 libc6; the 32-bit one, which links no libc,
    # only "ELF" (1), which a 32-bit loader accepts and a 64-bit one does not.
    assert flags == {f"{libdir}/libdual.so.1": 0x0303, "/usr/lib32/libdual.so.1": 0x0001}
    text = ldconfig_p(cache)
    for parse in (lambda m, c: parse_ld_so_cache(data, m, c),
                  lambda m, c: parse_ldconfig_p(text, m, c)):
        assert parse("x86_64", 64)["libdual.so.1"] == [f"{libdir}/libdual.so.1"]
        assert parse("i386", 32)["libdual.so.1"] == ["/usr/lib32/libdual.so.1"]
        assert parse(None, 64)["libdual.so.1"] == [f"{libdir}/libdual.so.1",
                                                  "/usr/lib32/libdual.so.1"]
        assert "libz.so.1" not in parse("i386", 32)


# ----------------------------------------------------------------- recordings


def test_fedora_recording_keeps_64bit_entries() -> None:
    text = recording("ldconfig-p/fedora29-driver415_ldconfig-p_excerpt")
    assert parse_ldconfig_p(text, "x86_64")["libnvidia-ml.so.1"] == ["/lib64/libnvidia-ml.so.1"]
    assert parse_ldconfig_p(text, "i386", 32)["libnvidia-ml.so.1"] == ["/lib/libnvidia-ml.so.1"]
    everything = parse_ldconfig_p(text)
    assert everything["libnvidia-ml.so.1"] == ["/lib64/libnvidia-ml.so.1",
                                               "/lib/libnvidia-ml.so.1"]
    # "OS ABI: Linux 2.3.99" in the parentheses does not hide an entry.
    assert everything["libnvidia-tls.so.415.22"] == ["/lib64/libnvidia-tls.so.415.22",
                                                     "/lib/libnvidia-tls.so.415.22"]
    assert "libnvidia-ml.so" in everything


def test_wsl_recording_keeps_cache_order() -> None:
    text = recording("ldconfig-p/wsl2_ldconfig-p_grep-libnvidia-ml_duplicate-linux-copy")
    assert parse_ldconfig_p(text, "x86_64")["libnvidia-ml.so.1"] == [
        "/usr/lib/wsl/lib/libnvidia-ml.so.1", "/usr/lib/libnvidia-ml.so.1"]


@pytest.mark.parametrize(("name", "soname", "path"), [
    ("docker-cuda7.5-cudnn4_ldconfig-p_grep-cudnn", "libcudnn.so.4",
     "/usr/lib/x86_64-linux-gnu/libcudnn.so.4"),
    ("wsl2_ldconfig-p_grep-libcuda", "libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1"),
    ("wsl2-cuda12.1_ldconfig-p_excerpt", "libnvrtc.so.12",
     "/usr/local/cuda-12.1/targets/x86_64-linux/lib/libnvrtc.so.12"),
])
def test_recordings(name: str, soname: str, path: str) -> None:
    parsed = parse_ldconfig_p(recording(f"ldconfig-p/{name}"), "x86_64")
    assert parsed[soname] == [path]


# ----------------------------------------------------------------- garbage


@pytest.mark.parametrize("data", [b"", b"garbage", NEW_MAGIC, OLD_MAGIC, NEW_MAGIC + b"\xff" * 64,
                                  OLD_MAGIC + b"\xff" * 64, b"\x00" * 4096])
def test_garbage_cache_is_empty(data: bytes) -> None:
    assert parse_ld_so_cache(data) == {}
    assert cache_entries(data) == []


def test_garbage_text_is_empty() -> None:
    assert parse_ldconfig_p("") == {}
    assert parse_ldconfig_p("ldconfig: command not found\n(x) => y\n") == {}
    assert parse_ldconfig_p("\tlibfoo.so (weird) => /x/libfoo.so\n") == {}


@pytest.mark.parametrize("fmt", ["new", "compat"])
def test_truncated_real_cache(tmp_path: Path, libdir: str, fmt: str) -> None:
    data = run_ldconfig(make_root(tmp_path, libdir), fmt).read_bytes()
    whole = parse_ld_so_cache(data)
    outcomes = set()
    for point in range(len(data)):
        result = parse_ld_so_cache(data[:point])
        assert result in ({}, whole), point
        outcomes.add(bool(result))
    assert outcomes == {True, False}  # the extension section at the end is optional


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1,
                      max_size=8))
def test_corrupted_real_cache_never_raises(tmp_path: Path, libdir: str,
                                           flips: list[tuple[int, int]]) -> None:
    cache = tmp_path / "root/etc/ld.so.cache"
    if not cache.exists():
        run_ldconfig(make_root(tmp_path, libdir), "compat")
    data = bytearray(cache.read_bytes())
    for offset, value in flips:
        data[offset % len(data)] = value
    result = parse_ld_so_cache(bytes(data), "x86_64")
    assert isinstance(result, dict)
    assert all(isinstance(v, list) and v for v in result.values())
