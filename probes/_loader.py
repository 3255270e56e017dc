"""Which file the dynamic loader would map for a soname, worked out without running it.

Probes ask "which copy of ``libcudnn.so.9`` would torch's ``libtorch_cuda.so`` get?" on
the running machine or on an image's file tree. This follows glibc's ``ld.so`` (man 8
ld.so, and ``_dl_map_object`` in ``elf/dl-load.c``) for a soname needed by ``binary``:

1. ``DT_RPATH`` of the binary, only when it has no ``DT_RUNPATH``;
2. ``LD_LIBRARY_PATH``;
3. ``DT_RUNPATH`` of the binary;
4. ``/etc/ld.so.cache``: the loader takes the first entry for the soname (the caller
   filters the cache to the right architecture, see :mod:`envdoctor.probes._ldcache`);
   if that file is gone (a stale cache) it goes on to the default path, not to the next
   entry;
5. the default path: on a Debian-style multiarch tree ``/lib/<triplet>``,
   ``/usr/lib/<triplet>``, ``/lib``, ``/usr/lib`` (what Debian's ld.so prints under
   ``--help``); elsewhere ``/lib64``, ``/usr/lib64`` (64-bit), then ``/lib``, ``/usr/lib``.

A file found in a directory counts when it is a regular file (links followed inside the
root) and, when its ELF header can be read, of the binary's class and machine: ld.so
skips a 32-bit ``libfoo.so`` in a directory of the path and keeps searching, as it does
for a foreign machine's.

``$ORIGIN`` is the binary's directory as given (ld.so does not resolve links in it);
``$LIB`` and ``$PLATFORM`` get the values that tree's loader would use. Left out, and
said where it matters: the RPATHs of the objects that loaded the binary (ld.so also
searches those when the binary has no RUNPATH), ``glibc-hwcaps`` subdirectories (chosen
by the CPU that runs the program), ``-z nodeflib``, and secure-execution mode.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from envdoctor._util import lazy_re
from envdoctor.host import Host
from envdoctor.probes._elf import read_dynamic, read_ident

VIA_RPATH = "RPATH"
VIA_LD_LIBRARY_PATH = "LD_LIBRARY_PATH"
VIA_RUNPATH = "RUNPATH"
VIA_CACHE = "ld.so.cache"
VIA_DEFAULT = "default path"

# Debian multiarch triplets, the directory names under /usr/lib for each ELF machine.
_TRIPLETS: dict[tuple[str, int], str] = {
    ("x86_64", 64): "x86_64-linux-gnu",
    ("x86_64", 32): "x86_64-linux-gnux32",
    ("i386", 32): "i386-linux-gnu",
    ("aarch64", 64): "aarch64-linux-gnu",
    ("arm", 32): "arm-linux-gnueabihf",
    ("ppc64le", 64): "powerpc64le-linux-gnu",
    ("ppc64", 64): "powerpc64-linux-gnu",
    ("s390x", 64): "s390x-linux-gnu",
    ("riscv64", 64): "riscv64-linux-gnu",
    ("loongarch64", 64): "loongarch64-linux-gnu",
}
# AT_PLATFORM as the kernel reports it, where it differs from the ELF machine name.
_PLATFORMS = {"i386": "i686", "arm": "v7l"}
# A token counts only when followed by "/" or the end (glibc's is_dst); braces always count.
_TOKEN = lazy_re(r"\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?=/|$))")


@dataclass(frozen=True, slots=True)
class Resolution:
    """The file the loader would map, and which step of its search found it."""

    path: str | None
    """Path on the examined machine as the loader builds it (``$ORIGIN`` expanded, ``..``
    kept); ``None`` when no step finds the soname."""
    via: str | None
    """``RPATH``, ``LD_LIBRARY_PATH``, ``RUNPATH``, ``ld.so.cache`` or ``default path``."""


@dataclass(frozen=True, slots=True)
class SearchStep:
    """One place the loader looks, in order, with what it finds there."""

    directory: str
    """The directory searched (for a cache entry, the entry's directory)."""
    via: str
    """Which source put the directory on the path (see :class:`Resolution`)."""
    path: str
    """The file the loader tries there."""
    exists: bool
    """A regular file is there."""
    skipped: str | None = None
    """Why the loader passes it over (wrong ELF class, a stale cache entry…), if it does."""

    @property
    def used(self) -> bool:
        """Whether the loader would map this file (the first such step wins)."""
        return self.exists and self.skipped is None


def resolve(host: Host, binary: str, soname: str, ld_library_path: list[str],
            cache: dict[str, list[str]]) -> Resolution:
    """Which file ``binary``'s loader maps for ``soname`` (see the module docstring)."""
    for step in _steps(host, binary, soname, ld_library_path, cache):
        if step.used:
            return Resolution(step.path, step.via)
    return Resolution(None, None)


def search_order(host: Host, binary: str, soname: str, ld_library_path: list[str],
                 cache: dict[str, list[str]]) -> list[SearchStep]:
    """Every place the loader would look for ``soname``, in order, for explaining shadowing.

    The step whose :attr:`SearchStep.used` is true first is :func:`resolve`'s answer;
    later steps that also hold the soname are the copies it shadows.
    """
    return list(_steps(host, binary, soname, ld_library_path, cache))


def _steps(host: Host, binary: str, soname: str, ld_library_path: list[str],
           cache: dict[str, list[str]]) -> Iterator[SearchStep]:
    if "/" in soname:
        # A NEEDED entry with a slash is a path: the loader opens it and searches nothing.
        return
    info = read_dynamic(host, binary)
    machine = info.machine if info is not None else None
    elf_class = info.elf_class if info is not None else 64
    origin = (posixpath.dirname(binary) or "/") if binary.startswith("/") else None
    tokens = _token_values(host, origin, machine, elf_class)
    check = _Checker(host, machine, elf_class if info is not None else None)

    runpath = info.runpath if info is not None else []
    if info is not None and info.rpath and not runpath:
        yield from _dirs(check, info.rpath, VIA_RPATH, soname, tokens)
    # $ORIGIN in LD_LIBRARY_PATH is the executable's directory (python's), not known here.
    yield from _dirs(check, ld_library_path, VIA_LD_LIBRARY_PATH, soname,
                     {**tokens, "ORIGIN": None})
    yield from _dirs(check, runpath, VIA_RUNPATH, soname, tokens)

    consulted = False  # ld.so looks the soname up once and tries that one file
    for cached in cache.get(soname, []):
        exists, wrong = check(cached)
        if consulted:
            skipped: str | None = "ld.so takes only the first cache entry for a soname"
        elif wrong:
            # An entry for another ABI, which ld.so's flag check filters out when the
            # caller has not filtered the cache itself.
            skipped = wrong
        else:
            consulted = True
            skipped = None if exists else (
                "stale cache entry: the file is gone, ld.so goes on to the default path")
        yield SearchStep(posixpath.dirname(cached) or "/", VIA_CACHE, cached, exists, skipped)

    yield from _dirs(check, _default_dirs(host, machine, elf_class), VIA_DEFAULT, soname, tokens)


def _dirs(check: _Checker, directories: list[str], via: str, soname: str,
          tokens: dict[str, str | None]) -> Iterator[SearchStep]:
    for raw in directories:
        directory, problem = _expand(raw, tokens)
        if problem is not None:
            yield SearchStep(raw, via, f"{raw.rstrip('/')}/{soname}", False, problem)
            continue
        path = f"{directory.rstrip('/')}/{soname}"
        exists, wrong = check(path)
        yield SearchStep(directory, via, path, exists, wrong)


def _expand(raw: str, tokens: dict[str, str | None]) -> tuple[str, str | None]:
    """Expand ``$ORIGIN``-style tokens; return the directory and why it cannot be used."""
    if not raw:
        return raw, "empty entry: the process's working directory, not known here"
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        value = tokens.get(name)
        if value is None:
            missing.append(name)
            return match.group(0)
        return value

    directory = _TOKEN.sub(substitute, raw)
    if missing:
        return directory, f"${missing[0]} cannot be expanded here"
    if not directory.startswith("/"):
        return directory, "relative to the process's working directory, not known here"
    return directory, None


def _token_values(host: Host, origin: str | None, machine: str | None,
                  elf_class: int) -> dict[str, str | None]:
    triplet = _TRIPLETS.get((machine or "", elf_class))
    if triplet is not None and host.is_dir(f"/usr/lib/{triplet}"):
        lib = f"lib/{triplet}"  # Debian's ld.so expands $LIB to the multiarch directory
    else:
        lib = "lib64" if elf_class == 64 else "lib"
    platform = _PLATFORMS.get(machine or "", machine)
    return {"ORIGIN": origin, "LIB": lib, "PLATFORM": platform}


def _default_dirs(host: Host, machine: str | None, elf_class: int) -> list[str]:
    triplet = _TRIPLETS.get((machine or "", elf_class))
    if triplet is not None and (host.is_dir(f"/usr/lib/{triplet}")
                                or host.is_dir(f"/lib/{triplet}")):
        return [f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib", "/usr/lib"]
    if elf_class == 64:
        # Upstream glibc searches only /lib64 and /usr/lib64 for 64-bit objects; /lib and
        # /usr/lib follow for distributions (Arch) whose 64-bit libraries live there.
        return ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    return ["/lib", "/usr/lib"]


class _Checker:
    """Tells whether a candidate file is there and, if so, whether ld.so would skip it."""

    def __init__(self, host: Host, machine: str | None, elf_class: int | None) -> None:
        self.host = host
        self.machine = machine
        self.elf_class = elf_class

    def __call__(self, path: str) -> tuple[bool, str | None]:
        try:
            if not self.host.is_file(path):
                return False, None
        except (OSError, ValueError):
            # A NUL byte in an LD_LIBRARY_PATH read from a file: no such file can exist.
            return False, None
        if self.elf_class is None:
            return True, None
        ident = read_ident(self.host, path)
        if ident is None:
            # Not ELF or unreadable: ld.so stops with an error there rather than skip it.
            return True, None
        elf_class, machine = ident
        if elf_class != self.elf_class:
            return True, f"wrong ELF class: ELFCLASS{elf_class}"
        if self.machine is not None and machine != self.machine:
            return True, f"built for {machine or 'another machine'}, not {self.machine}"
        return True, None
