"""The loader search: which copy of a library ld.so would map, worked out statically.

The classic case: torch's ``libtorch_cuda.so`` finds the pip ``nvidia-cudnn`` wheel's
``libcudnn.so.9`` through its RUNPATH, unless ``LD_LIBRARY_PATH`` names a system CUDA
directory holding another ``libcudnn.so.9``, which then wins. The trees below are built
from real files: shared objects linked by the real ``ld``, a real library copied under
cuDNN's name, the real torch wheel's ``_C`` module, caches written by the real
``ldconfig``. Where this machine's own ``ld.so`` can run ``--list``, it is the oracle.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from envdoctor.host import Host
from envdoctor.probes._ldcache import parse_ld_so_cache
from envdoctor.probes._loader import Resolution, SearchStep, resolve, search_order
from tests.probes.test_elf import (
    TORCH_C,
    TORCH_WHEEL,
    build_32bit,
    build_shared,
    matching,
    toolchain,
)

LIVE = Host.live_host()
SITE = "/opt/venv/lib/python3.11/site-packages"
TORCH_LIB = f"{SITE}/torch/lib"
WHEEL_CUDNN = f"{SITE}/nvidia/cudnn/lib"
CUDNN = "libcudnn.so.9"
# What torch's CUDA wheels put in libtorch_cuda.so's RUNPATH (shortened).
TORCH_RUNPATH = "$ORIGIN/../../nvidia/cudnn/lib:$ORIGIN/../../nvidia/cublas/lib:$ORIGIN"


def triplet_dir() -> str:
    found = matching("/usr/lib/*-linux-gnu/libz.so.1")
    if not found:
        pytest.skip("no Debian-style multiarch libz.so.1 here to copy")
    return str(found[0].parent)


def real_library() -> Path:
    """A real shared library of this machine, to copy under cuDNN's name."""
    return matching(f"{triplet_dir()}/libz.so.1")[0].resolve()


def copy_to(dest: Path, source: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, dest)
    return dest


def put(root: Path, path: str, source: Path) -> Path:
    """Copy ``source`` to ``path`` inside the image tree ``root``."""
    return copy_to(root / path.lstrip("/"), source)


def ldconfig_cache(root: Path, conf: str) -> dict[str, list[str]]:
    """Run the real ldconfig for ``root`` and parse the cache it writes."""
    exe = next((c for c in (shutil.which("ldconfig"), "/sbin/ldconfig", "/usr/sbin/ldconfig")
                if c and Path(c).exists()), None)
    if exe is None:
        pytest.skip("ldconfig (glibc) is not installed")
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc/ld.so.conf").write_text(conf)
    subprocess.run([exe, "-r", str(root)], check=True, capture_output=True)
    return parse_ld_so_cache((root / "etc/ld.so.cache").read_bytes(), "x86_64")


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """An image tree: torch with a RUNPATH, the cuDNN wheel, a system cuDNN, a cache.

    ``/usr/local/cuda`` is an absolute link to ``/usr/local/cuda-12.4``, as on NVIDIA's
    images: it must be followed inside the root, not to this machine's CUDA.
    """
    if platform.machine() != "x86_64":
        pytest.skip("the image tree is an x86-64 one")
    root = tmp_path / "root"
    libdir = triplet_dir()
    put(root, f"{libdir}/libz.so.1", real_library())
    build_dir = tmp_path / "build"
    cudnn = build_shared(build_dir / CUDNN, soname=CUDNN)
    torch_cuda = build_shared(build_dir / "libtorch_cuda.so", soname="libtorch_cuda.so",
                              needed=(cudnn,), runpath=TORCH_RUNPATH)
    put(root, f"{TORCH_LIB}/libtorch_cuda.so", torch_cuda)
    put(root, f"{WHEEL_CUDNN}/{CUDNN}", cudnn)
    put(root, f"/usr/local/cuda-12.4/lib64/{CUDNN}", cudnn)
    (root / "usr/local/cuda").symlink_to("/usr/local/cuda-12.4")
    return root


def cache_for(root: Path) -> dict[str, list[str]]:
    return ldconfig_cache(root, "/usr/local/cuda/lib64\n")


BINARY = f"{TORCH_LIB}/libtorch_cuda.so"
WHEEL_PATH = f"{TORCH_LIB}/../../nvidia/cudnn/lib/{CUDNN}"
SYSTEM_PATH = f"/usr/local/cuda/lib64/{CUDNN}"


# ----------------------------------------------------------------- the cuDNN case, --root


def test_runpath_copy_wins_without_ld_library_path(image: Path) -> None:
    host = Host.from_root(image)
    assert resolve(host, BINARY, CUDNN, [], cache_for(image)) == Resolution(WHEEL_PATH,
                                                                            "RUNPATH")


def test_ld_library_path_shadows_the_wheel(image: Path) -> None:
    host = Host.from_root(image)
    cache = cache_for(image)
    result = resolve(host, BINARY, CUDNN, ["/usr/local/cuda/lib64"], cache)
    assert result == Resolution(SYSTEM_PATH, "LD_LIBRARY_PATH")
    steps = search_order(host, BINARY, CUDNN, ["/usr/local/cuda/lib64"], cache)
    hits = [(s.via, s.path) for s in steps if s.exists]
    # The used copy first, then the wheel's copy it shadows, then the cache's.
    assert hits[0] == ("LD_LIBRARY_PATH", SYSTEM_PATH)
    assert ("RUNPATH", WHEEL_PATH) in hits
    assert next(s for s in steps if s.used).path == SYSTEM_PATH


def test_search_order_follows_ld_so(image: Path) -> None:
    host = Host.from_root(image)
    steps = search_order(host, BINARY, CUDNN, ["/x", "/y"], cache_for(image))
    vias = [s.via for s in steps]
    order = ["LD_LIBRARY_PATH", "RUNPATH", "ld.so.cache", "default path"]
    assert sorted(set(vias), key=vias.index) == order
    assert vias == sorted(vias, key=order.index)
    assert [s.directory for s in steps if s.via == "LD_LIBRARY_PATH"] == ["/x", "/y"]
    assert [s.directory for s in steps if s.via == "RUNPATH"] == [
        f"{TORCH_LIB}/../../nvidia/cudnn/lib", f"{TORCH_LIB}/../../nvidia/cublas/lib",
        TORCH_LIB]
    libdir = triplet_dir()
    assert [s.directory for s in steps if s.via == "default path"] == [
        f"/lib/{Path(libdir).name}", libdir, "/lib", "/usr/lib"]


def test_cache_is_used_after_runpath(image: Path) -> None:
    shutil.rmtree(image / SITE.lstrip("/") / "nvidia")
    host = Host.from_root(image)
    cache = cache_for(image)
    assert cache[CUDNN][0].startswith("/usr/local/cuda")
    assert resolve(host, BINARY, CUDNN, [], cache) == Resolution(cache[CUDNN][0], "ld.so.cache")


def test_stale_cache_entry_falls_through_to_the_default_path(image: Path) -> None:
    shutil.rmtree(image / SITE.lstrip("/") / "nvidia")
    cache = cache_for(image)
    (image / f"usr/local/cuda-12.4/lib64/{CUDNN}").unlink()
    libdir = triplet_dir()
    put(image, f"{libdir}/{CUDNN}", image / TORCH_LIB.lstrip("/") / "libtorch_cuda.so")
    host = Host.from_root(image)
    # The tree has no /lib/<triplet> (nor the /lib -> usr/lib link): /usr/lib/<triplet>.
    assert resolve(host, BINARY, CUDNN, [], cache) == Resolution(f"{libdir}/{CUDNN}",
                                                                 "default path")
    stale = next(s for s in search_order(host, BINARY, CUDNN, [], cache)
                 if s.via == "ld.so.cache")
    assert not stale.exists and stale.skipped and "stale" in stale.skipped


def test_links_are_followed_inside_the_root(image: Path) -> None:
    """This machine may have its own /usr/local/cuda: the image's is the one that counts."""
    (image / f"usr/local/cuda-12.4/lib64/{CUDNN}").unlink()
    host = Host.from_root(image)
    result = resolve(host, BINARY, CUDNN, ["/usr/local/cuda/lib64"], {})
    assert result == Resolution(WHEEL_PATH, "RUNPATH")


def test_wrong_class_copy_is_skipped(image: Path, tmp_path: Path) -> None:
    put(image, f"/usr/local/cuda-12.4/lib64/{CUDNN}",
        build_32bit(tmp_path / "build32" / CUDNN, soname=CUDNN))
    host = Host.from_root(image)
    steps = search_order(host, BINARY, CUDNN, ["/usr/local/cuda/lib64"], {})
    assert steps[0].exists and steps[0].skipped == "wrong ELF class: ELFCLASS32"
    assert resolve(host, BINARY, CUDNN, ["/usr/local/cuda/lib64"], {}) == Resolution(
        WHEEL_PATH, "RUNPATH")


def test_rpath_beats_ld_library_path(image: Path, tmp_path: Path) -> None:
    cudnn = image / WHEEL_CUDNN.lstrip("/") / CUDNN
    old = build_shared(tmp_path / "old" / "libold.so", needed=(cudnn,),
                       rpath="$ORIGIN/../../nvidia/cudnn/lib")
    put(image, f"{TORCH_LIB}/libold.so", old)
    host = Host.from_root(image)
    result = resolve(host, f"{TORCH_LIB}/libold.so", CUDNN, ["/usr/local/cuda/lib64"], {})
    assert result == Resolution(WHEEL_PATH, "RPATH")


def test_rpath_is_ignored_when_runpath_is_present(image: Path) -> None:
    host = Host.from_root(image)
    steps = search_order(host, BINARY, CUDNN, [], {})
    assert "RPATH" not in {s.via for s in steps}


# ----------------------------------------------------------------- the real torch wheel


@pytest.fixture
def wheel_image(tmp_path: Path) -> Path:
    """torch's real ``_C`` module (RUNPATH ``$ORIGIN:$ORIGIN/lib``) in an image tree."""
    if not TORCH_WHEEL.exists():
        pytest.skip(f"{TORCH_WHEEL} is not on this machine")
    root = tmp_path / "root"
    with zipfile.ZipFile(TORCH_WHEEL) as wheel:
        wheel.extract(TORCH_C, root / SITE.lstrip("/"))
    library = real_library()
    put(root, f"{SITE}/torch/lib/{CUDNN}", library)
    put(root, f"/usr/local/cuda/lib64/{CUDNN}", library)
    (root / triplet_dir().lstrip("/")).mkdir(parents=True, exist_ok=True)
    return root


def test_wheel_module_finds_its_lib_directory(wheel_image: Path) -> None:
    host = Host.from_root(wheel_image)
    module = f"{SITE}/{TORCH_C}"
    assert resolve(host, module, CUDNN, [], {}) == Resolution(
        f"{SITE}/torch/lib/{CUDNN}", "RUNPATH")
    assert resolve(host, module, CUDNN, ["/usr/local/cuda/lib64"], {}) == Resolution(
        f"/usr/local/cuda/lib64/{CUDNN}", "LD_LIBRARY_PATH")
    runpath = [s.directory for s in search_order(host, module, CUDNN, [], {})
               if s.via == "RUNPATH"]
    assert runpath == [f"{SITE}/torch", f"{SITE}/torch/lib"]


def test_nothing_found(wheel_image: Path) -> None:
    host = Host.from_root(wheel_image)
    assert resolve(host, f"{SITE}/{TORCH_C}", "libnccl.so.2", [], {}) == Resolution(None, None)


# ----------------------------------------------------------------- tokens and odd entries


def test_lib_and_platform_tokens(image: Path, tmp_path: Path) -> None:
    lib = build_shared(tmp_path / "tok" / "libtok.so", runpath="/opt/$LIB/x:/opt/${PLATFORM}")
    put(image, "/opt/libtok.so", lib)
    host = Host.from_root(image)
    dirs = [s.directory for s in search_order(host, "/opt/libtok.so", CUDNN, [], {})
            if s.via == "RUNPATH"]
    assert dirs == [f"/opt/lib/{Path(triplet_dir()).name}/x", "/opt/x86_64"]


def test_lib_token_without_multiarch(tmp_path: Path) -> None:
    if platform.machine() != "x86_64":
        pytest.skip("x86-64 tree")
    root = tmp_path / "root"
    put(root, "/opt/libtok.so", build_shared(tmp_path / "b" / "libtok.so", runpath="/opt/$LIB"))
    host = Host.from_root(root)
    steps = search_order(host, "/opt/libtok.so", CUDNN, [], {})
    assert [s.directory for s in steps if s.via == "RUNPATH"] == ["/opt/lib64"]
    assert [s.directory for s in steps if s.via == "default path"] == [
        "/lib64", "/usr/lib64", "/lib", "/usr/lib"]


def test_unusable_ld_library_path_entries(image: Path) -> None:
    host = Host.from_root(image)
    steps = search_order(host, BINARY, CUDNN, ["", "relative/lib", "$ORIGIN/lib"], {})
    skipped = [s.skipped for s in steps if s.via == "LD_LIBRARY_PATH"]
    assert all(skipped)
    assert "working directory" in str(skipped[0])
    assert "working directory" in str(skipped[1])
    assert "$ORIGIN" in str(skipped[2])
    assert resolve(host, BINARY, CUDNN, ["", "relative/lib"], {}).via == "RUNPATH"


def test_soname_with_a_slash_is_not_searched(image: Path) -> None:
    host = Host.from_root(image)
    assert search_order(host, BINARY, "/usr/lib/libx.so", ["/a"], {}) == []
    assert resolve(host, BINARY, "/usr/lib/libx.so", ["/a"], {}) == Resolution(None, None)


def test_missing_binary_still_searches_the_rest(image: Path) -> None:
    host = Host.from_root(image)
    cache = cache_for(image)
    result = resolve(host, "/nowhere/libx.so", CUDNN, [], cache)
    assert result == Resolution(cache[CUDNN][0], "ld.so.cache")
    assert all(isinstance(s, SearchStep) for s in search_order(host, "/nowhere/libx.so", CUDNN,
                                                                [], cache))


# ----------------------------------------------------------------- the real ld.so as oracle


def dynamic_loader() -> str:
    for candidate in ("/lib64/ld-linux-x86-64.so.2", shutil.which("ld.so")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("no x86-64 dynamic loader to run here")


def ld_so_list(binary: Path, ld_library_path: list[str]) -> dict[str, str | None]:
    """What ld.so maps for ``binary``'s needs: soname → path (``None``: not found).

    This is what ``ldd`` does: the real loader in trace mode, which lists and stops.
    """
    env = {"LD_TRACE_LOADED_OBJECTS": "1"}
    if ld_library_path:
        env["LD_LIBRARY_PATH"] = ":".join(ld_library_path)
    out = subprocess.run([dynamic_loader(), str(binary)], check=False, capture_output=True,
                         text=True, env=env).stdout
    found: dict[str, str | None] = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+) => (?:(not found)|(\S+) \(0x)", line)
        if match:
            found[match.group(1)] = None if match.group(2) else match.group(3)
    return found


@pytest.fixture
def live_tree(tmp_path: Path) -> Path:
    """The same layout on this machine's own file system, for ld.so to load."""
    if platform.machine() != "x86_64" or toolchain() is None:
        pytest.skip("needs x86-64 and GNU binutils")
    base = tmp_path.resolve()
    cudnn = build_shared(base / "build" / CUDNN, soname=CUDNN)
    copy_to(base / "site-packages/torch/lib/libtorch_cuda.so",
            build_shared(base / "build/libtorch_cuda.so", soname="libtorch_cuda.so",
                         needed=(cudnn,), runpath=TORCH_RUNPATH))
    copy_to(base / "site-packages/nvidia/cudnn/lib" / CUDNN, cudnn)
    copy_to(base / "cuda/lib64" / CUDNN, cudnn)
    return base


@pytest.mark.parametrize("use_ld_library_path", [False, True])
def test_agrees_with_ld_so(live_tree: Path, use_ld_library_path: bool) -> None:
    binary = live_tree / "site-packages/torch/lib/libtorch_cuda.so"
    llp = [str(live_tree / "cuda/lib64")] if use_ld_library_path else []
    expected = ld_so_list(binary, llp)[CUDNN]
    result = resolve(LIVE, str(binary), CUDNN, llp, {})
    assert result.path == expected
    assert result.via == ("LD_LIBRARY_PATH" if use_ld_library_path else "RUNPATH")


def test_agrees_with_ld_so_on_rpath_and_wrong_class(live_tree: Path) -> None:
    cudnn = live_tree / "site-packages/nvidia/cudnn/lib" / CUDNN
    old = build_shared(live_tree / "site-packages/torch/lib/libold.so", needed=(cudnn,),
                       rpath="$ORIGIN/../../nvidia/cudnn/lib")
    llp = [str(live_tree / "cuda/lib64")]
    assert resolve(LIVE, str(old), CUDNN, llp, {}).path == ld_so_list(old, llp)[CUDNN]
    # A 32-bit copy first on LD_LIBRARY_PATH: ld.so passes over it, and so do we.
    copy_to(live_tree / "cuda32" / CUDNN, build_32bit(live_tree / "build32" / CUDNN,
                                                      soname=CUDNN))
    binary = live_tree / "site-packages/torch/lib/libtorch_cuda.so"
    llp = [str(live_tree / "cuda32")]
    result = resolve(LIVE, str(binary), CUDNN, llp, {})
    assert result.path == ld_so_list(binary, llp)[CUDNN]
    assert result.via == "RUNPATH"


def test_agrees_with_ld_so_on_the_cache(live_tree: Path) -> None:
    if not Path("/etc/ld.so.cache").is_file():
        pytest.skip("this machine has no ld.so.cache")
    libz = live_tree / "build" / "libz.so.1"
    shutil.copy(real_library(), libz)
    user = build_shared(live_tree / "plain" / "libuser.so", needed=(libz,))
    cache = parse_ld_so_cache(Path("/etc/ld.so.cache").read_bytes(), "x86_64")
    if "libz.so.1" not in cache:
        pytest.skip("libz.so.1 is not in this machine's cache")
    result = resolve(LIVE, str(user), "libz.so.1", [], cache)
    assert result.via == "ld.so.cache"
    assert result.path == ld_so_list(user, [])["libz.so.1"]
    missing = build_shared(live_tree / "plain" / "libneeds.so",
                           needed=(live_tree / "build" / CUDNN,))
    assert ld_so_list(missing, [])[CUDNN] is None
    assert resolve(LIVE, str(missing), CUDNN, [], cache) == Resolution(None, None)
