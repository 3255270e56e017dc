"""Read glibc's ``/etc/ld.so.cache`` (binary) and ``ldconfig -p`` (text): soname → paths.

The loader consults the cache after ``LD_LIBRARY_PATH`` and ``DT_RUNPATH``; probes read
it here to tell which file a soname maps to, on the running machine or in an image.

Formats, as glibc's ``dl-cache.h`` lays them out and ``ldconfig -c`` writes them:

* new (ldconfig's default since glibc 2.32): ``glibc-ld.so.cache1.1``, ``nlibs``,
  ``len_strings``, a flags byte (2 little-endian, 3 big-endian, 0 not recorded), an
  extension offset, then ``nlibs`` 24-byte entries (flags, key, value, osversion,
  hwcap) and the strings. Offsets count from the header's first byte.
* old: ``ld.so-1.7.0``, ``nlibs``, 12-byte entries (flags, key, value); offsets count
  from the end of the entries.
* compat: an old table followed, at the next 8-byte boundary, by a new one. Like ld.so
  we read the new table whenever it is there: glibc 2.36's ``ldconfig -c compat`` writes
  an old table with a duplicated or stray entry, which ld.so never looks at.

What :func:`parse_ld_so_cache` keeps, and why:

* **Architecture**: each entry's flags name the ABI (``0x0303`` x86-64 libc6, ``0x0003``
  32-bit x86, ``0x0a03`` AArch64…). Given ``machine``, only entries the loader for that
  machine accepts are kept (ld.so's ``_dl_cache_check_flags``): a Fedora cache lists both
  ``/lib64/libnvidia-ml.so.1`` and the 32-bit ``/lib/libnvidia-ml.so.1``, and a 64-bit
  process never sees the latter. Without ``machine``, or for a machine not in the table,
  every entry is kept in cache order (ldconfig sorts higher flags first, so 64-bit
  entries come before 32-bit ones of the same name).
* **Hardware-capability entries** (``hwcap`` non-zero: ``glibc-hwcaps/x86-64-v3/``
  subdirectories, and legacy ones such as ``haswell/`` or ``tls/``) are left out. The
  loader picks one only if the CPU running the program supports it, which an image on
  disk cannot tell; the generic entry is what every CPU falls back to.
  :func:`cache_entries` returns everything, with the subdirectory named, to explain them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from envdoctor._util import lazy_re

OLD_MAGIC = b"ld.so-1.7.0"
NEW_MAGIC = b"glibc-ld.so.cache1.1"

_OLD_HEADER = 16  # magic (11) + padding (1) + nlibs (4)
_OLD_ENTRY = 12
_NEW_HEADER = 48
_NEW_ENTRY = 24
_EXTENSION_MAGIC = 0xEAA42174
_EXTENSION_GLIBC_HWCAPS = 1
_HWCAP_EXTENSION = 1 << 62
"""An entry's ``hwcap`` with this bit set names a ``glibc-hwcaps`` subdirectory (by index)."""
_MAX_ENTRIES = 1 << 20
"""More libraries than this in one cache is garbage (real caches hold a few thousand)."""

_FLAG_REQUIRED_MASK = 0xFF00

# (machine, ELF class) → flags ld.so accepts from the cache for such a process
# (glibc's sysdeps/unix/sysv/linux/*/dl-cache.h: x86-64, AArch64 and RISC-V accept only
# their own id; the generic check also accepts 1, a plain ELF library).
ACCEPTED_FLAGS: dict[tuple[str, int], frozenset[int]] = {
    ("x86_64", 64): frozenset({0x0303}),
    ("x86_64", 32): frozenset({0x0803}),  # x32
    ("i386", 32): frozenset({0x0001, 0x0003}),
    ("aarch64", 64): frozenset({0x0A03}),
    ("ppc64", 64): frozenset({0x0001, 0x0503}),
    ("ppc64le", 64): frozenset({0x0001, 0x0503}),
    ("s390x", 64): frozenset({0x0001, 0x0403}),
    ("riscv64", 64): frozenset({0x1003}),  # the lp64d ABI every distribution ships
    ("loongarch64", 64): frozenset({0x1203}),
}

# What `ldconfig -p` prints inside the parentheses, back to flags (glibc's print_entry).
_TYPE_WORDS = {"libc4": 0x0000, "ELF": 0x0001, "libc5": 0x0002, "libc6": 0x0003}
_ABI_WORDS = {
    "x86-64": 0x0300, "x32": 0x0800, "AArch64": 0x0A00, "IA-64": 0x0200, "hard-float": 0x0900,
    "N32": 0x0600, "nan2008": 0x0C00,
}
# Words that several ABIs share: the machine decides which one is meant ("64bit" is
# sparc64, s390x, ppc64 and mips64 alike; "soft-float" is ARM, RISC-V or LoongArch).
_SHARED_WORDS: dict[str, dict[str, int]] = {
    "64bit": {"ppc64": 0x0500, "ppc64le": 0x0500, "s390x": 0x0400, "mips64": 0x0700},
    "soft-float": {"arm": 0x0B00, "riscv64": 0x0F00, "loongarch64": 0x1100},
    "double-float": {"riscv64": 0x1000, "loongarch64": 0x1200},
}
_UNKNOWN_ABI = 0xFF00
"""Stands for an ABI word we cannot place: no machine's loader accepts it."""

_LDCONFIG_LINE = lazy_re(r"^\s*(?:>\s*)?(\S+)\s+\(([^()]*)\)\s+=>\s+(\S.*?)\s*$")


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One entry of ld.so.cache, as stored."""

    soname: str
    path: str
    flags: int
    """ABI flags (``0x0303`` for x86-64 libc6)."""
    hwcap: int = 0
    """0 for the generic entry; otherwise the entry is for CPUs with some capability."""
    hwcaps_subdir: str | None = None
    """``x86-64-v3`` for an entry from a ``glibc-hwcaps/x86-64-v3/`` directory."""
    osversion: int = 0
    """The minimum kernel recorded by old ldconfig (``OS ABI: Linux 2.3.99``); 0 if none."""


def accepts(flags: int, machine: str | None, elf_class: int = 64) -> bool:
    """Whether the loader of a ``machine``/``elf_class`` process uses a cache entry.

    Unknown machines (and ``None``) accept every entry: no guess beats keeping them.
    """
    if machine is None:
        return True
    accepted = ACCEPTED_FLAGS.get((machine, elf_class))
    return accepted is None or flags in accepted


def parse_ld_so_cache(data: bytes, machine: str | None = None,
                      elf_class: int = 64) -> dict[str, list[str]]:
    """Map each soname to its paths in cache order, as the loader would consider them.

    Only generic entries (no hwcap) are kept, and with ``machine`` (an ELF machine name
    as :mod:`envdoctor.probes._elf` gives it, e.g. ``x86_64``) only those that loader
    accepts. Garbage or an empty file gives ``{}``.
    """
    result: dict[str, list[str]] = {}
    for soname, path, flags, hwcap, _subdir, _osversion in _entries(data):
        if hwcap or not accepts(flags, machine, elf_class):
            continue
        paths = result.setdefault(soname, [])
        if path not in paths:
            paths.append(path)
    return result


def cache_entries(data: bytes) -> list[CacheEntry]:
    """Every entry of a cache, hwcaps ones included, in stored order; ``[]`` on garbage."""
    return [CacheEntry(*raw) for raw in _entries(data)]


# (soname, path, flags, hwcap, hwcaps subdirectory, osversion): plain tuples, because
# `check` parses the whole cache and building thousands of dataclasses costs milliseconds.
_Raw = tuple[str, str, int, int, "str | None", int]


def _entries(data: bytes) -> list[_Raw]:
    try:
        if data.startswith(NEW_MAGIC):
            return _new_entries(data, 0)
        if data.startswith(OLD_MAGIC):
            return _old_or_compat_entries(data)
    except (struct.error, ValueError, IndexError, OverflowError):
        return []
    return []


def _endian_for(data: bytes, start: int, flags_byte: int) -> str | None:
    """Byte order of a new-format table: recorded since glibc 2.33, else guessed."""
    if flags_byte == 2:
        return "<"
    if flags_byte == 3:
        return ">"
    # Not recorded: take the order in which the table fits in the file.
    for endian in ("<", ">"):
        nlibs, len_strings = struct.unpack_from(endian + "II", data, start + 20)
        if start + _NEW_HEADER + nlibs * _NEW_ENTRY + len_strings <= len(data):
            return endian
    return None


def _new_entries(data: bytes, start: int) -> list[_Raw]:
    if len(data) < start + _NEW_HEADER:
        return []
    endian = _endian_for(data, start, data[start + 28])
    if endian is None:
        return []
    nlibs, _len_strings = struct.unpack_from(endian + "II", data, start + 20)
    (extension_offset,) = struct.unpack_from(endian + "I", data, start + 32)
    table_end = start + _NEW_HEADER + nlibs * _NEW_ENTRY
    if nlibs > _MAX_ENTRIES or table_end > len(data):
        return []
    subdirs = _hwcaps_subdirs(data, start, extension_offset, endian)
    strings = _Strings(data, start)
    entries: list[_Raw] = []
    for flags, key, value, osversion, hwcap in struct.iter_unpack(
            endian + "iIIIQ", data[start + _NEW_HEADER:table_end]):
        soname = strings.get(key)
        path = strings.get(value)
        if soname is None or path is None:
            return []
        subdir = None
        if hwcap & _HWCAP_EXTENSION:
            index = hwcap & 0xFFFFFFFF
            subdir = subdirs[index] if index < len(subdirs) else ""
        entries.append((soname, path, flags, hwcap, subdir, osversion))
    return entries


def _hwcaps_subdirs(data: bytes, start: int, offset: int, endian: str) -> list[str]:
    """Names of the ``glibc-hwcaps`` subdirectories from the cache's extension section.

    ld.so reads the extension offset from the new header's first byte; glibc 2.36's
    ``ldconfig -c compat`` writes it from the file's first byte instead, so both are tried.
    """
    if not offset:
        return []
    for base in dict.fromkeys((start, 0)):
        if base + offset + 8 > len(data):
            continue
        magic, count = struct.unpack_from(endian + "II", data, base + offset)
        if magic != _EXTENSION_MAGIC or count > 64:
            continue
        for i in range(count):
            tag, _flags, sec_offset, sec_size = struct.unpack_from(
                endian + "IIII", data, base + offset + 8 + i * 16)
            if tag != _EXTENSION_GLIBC_HWCAPS or sec_size > 4096:
                continue
            names = []
            for j in range(sec_size // 4):
                (string_offset,) = struct.unpack_from(endian + "I", data,
                                                      base + sec_offset + 4 * j)
                names.append(_string(data, start + string_offset) or "")
            return names
    return []


def _old_or_compat_entries(data: bytes) -> list[_Raw]:
    if len(data) < _OLD_HEADER:
        return []
    # The old format has no byte-order mark: take the order whose count fits the file.
    for endian in ("<", ">"):
        (nlibs,) = struct.unpack_from(endian + "I", data, 12)
        end = _OLD_HEADER + nlibs * _OLD_ENTRY
        if nlibs <= _MAX_ENTRIES and end <= len(data):
            break
    else:
        return []
    new_start = (end + 7) & ~7
    if data[new_start:new_start + len(NEW_MAGIC)] == NEW_MAGIC:
        return _new_entries(data, new_start)
    strings = _Strings(data, end)
    entries: list[_Raw] = []
    for flags, key, value in struct.iter_unpack(endian + "iII", data[_OLD_HEADER:end]):
        soname = strings.get(key)
        path = strings.get(value)
        if soname is None or path is None:
            return []
        entries.append((soname, path, flags, 0, None, 0))
    return entries


class _Strings:
    """NUL-terminated strings at offsets from ``base``, each decoded once (sonames repeat)."""

    def __init__(self, data: bytes, base: int) -> None:
        self.data = data
        self.base = base
        self.seen: dict[int, str | None] = {}

    def get(self, offset: int) -> str | None:
        if offset not in self.seen:
            self.seen[offset] = _string(self.data, self.base + offset)
        return self.seen[offset]


def _string(data: bytes, at: int) -> str | None:
    if at < 0 or at >= len(data):
        return None
    end = data.find(b"\0", at)
    if end < 0:
        return None
    return data[at:end].decode("utf-8", errors="replace")


def parse_ldconfig_p(text: str, machine: str | None = None,
                     elf_class: int = 64) -> dict[str, list[str]]:
    """Map sonames to paths from ``ldconfig -p`` output, with the same rules as the cache.

    Lines look like ``<tab>libz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1``;
    pasted copies may lose the indent or carry an e-mail ``> `` quote, and both are
    accepted. The header (``N libs found in cache``), the ``Cache generated by`` trailer
    and anything else are skipped; entries with a ``hwcap:`` note are left out as in
    :func:`parse_ld_so_cache`.
    """
    result: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = _LDCONFIG_LINE.match(line)
        if match is None:
            continue
        soname, description, path = match.groups()
        words = [w.strip() for w in description.split(",")]
        if any(w.startswith("hwcap:") for w in words):
            continue
        flags = _flags_from_words(words, machine)
        if flags is None or not accepts(flags, machine, elf_class):
            continue
        paths = result.setdefault(soname, [])
        if path not in paths:
            paths.append(path)
    return result


def _flags_from_words(words: list[str], machine: str | None) -> int | None:
    if not words or words[0] not in _TYPE_WORDS:
        return None
    flags = _TYPE_WORDS[words[0]]
    for word in words[1:]:
        if word in _ABI_WORDS:
            flags |= _ABI_WORDS[word]
        elif word in _SHARED_WORDS:
            flags |= _SHARED_WORDS[word].get(machine or "", _UNKNOWN_ABI)
        elif word.isdigit():
            flags |= int(word) & _FLAG_REQUIRED_MASK  # print_entry's fallback for new ABIs
        elif not word.startswith("OS ABI:"):
            flags |= _UNKNOWN_ABI
    return flags
