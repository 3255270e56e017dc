"""A minimal reader of an ELF file's dynamic section: SONAME, NEEDED, RPATH and RUNPATH.

Probes use it to answer "which copy of a library would the dynamic loader pick?" without
running anything, on the running machine or on an unbooted image's file tree. It runs
inside ``envdoctor check``, so it reads only what it needs with ``os.pread`` from one
open file: the ELF header (and, in the same read, usually the program headers), the
``PT_DYNAMIC`` entries, then each wanted string from the dynamic string table, whose
address (``DT_STRTAB``) is mapped to a file offset through the ``PT_LOAD`` segments. A
1 GB ``libtorch_cuda.so`` costs a few kilobytes of reads, never the whole file.

32- and 64-bit files, little- and big-endian, are read. Anything that is not a readable,
consistent ELF file gives ``None``; a valid ELF file without a dynamic section (a static
executable, an object file) gives an :class:`ElfDynamic` with empty lists. ``$ORIGIN``,
``${ORIGIN}``, ``$LIB`` and ``$PLATFORM`` stay as written: expanding them is the
resolver's job (:mod:`envdoctor.probes._loader`).
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass

from envdoctor.host import Host

_MAGIC = b"\x7fELF"
_ELFCLASS32 = 1
_ELFCLASS64 = 2
_ELFDATA2LSB = 1
_ELFDATA2MSB = 2

_PT_LOAD = 1
_PT_DYNAMIC = 2
_PN_XNUM = 0xFFFF

_DT_NULL = 0
_DT_NEEDED = 1
_DT_STRTAB = 5
_DT_STRSZ = 10
_DT_SONAME = 14
_DT_RPATH = 15
_DT_RUNPATH = 29

_HEAD_READ = 4096
"""First read: the ELF header, and in practice the program headers that follow it."""
_MAX_PHDR_BYTES = 64 * 1024
"""Real files have a dozen program headers; more than this much is garbage."""
_MAX_DYNAMIC_BYTES = 256 * 1024
"""A dynamic section is a few hundred bytes; a larger ``p_filesz`` is read only this far."""
_STRING_WINDOW = 64 * 1024
"""Wanted strings lying within this span of each other are fetched in one read."""
_STRING_CHUNK = 512
"""First read for one string; it grows (doubling) up to :data:`_MAX_STRING`."""
_MAX_STRING = 64 * 1024
"""A NEEDED or RUNPATH string longer than this is taken as garbage."""

# e_machine → the name uname -m would print, refined by class and byte order below.
_MACHINES = {
    3: "i386",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390",
    40: "arm",
    50: "ia64",
    62: "x86_64",
    183: "aarch64",
    243: "riscv",
    258: "loongarch",
}


@dataclass(frozen=True, slots=True)
class ElfDynamic:
    """What the dynamic loader reads from a shared object before searching for its needs."""

    soname: str | None
    """``DT_SONAME``, or ``None`` when the object has none (executables, most plugins)."""
    needed: list[str]
    """``DT_NEEDED`` entries, in file order (the order the loader loads them)."""
    rpath: list[str]
    """``DT_RPATH`` split on ``:``, tokens such as ``$ORIGIN`` kept as written."""
    runpath: list[str]
    """``DT_RUNPATH`` split on ``:``; non-empty means the tag is present (which turns
    ``DT_RPATH`` off), even when its string is empty (``[""]``)."""
    machine: str | None
    """``x86_64``, ``aarch64``, ``i386``, ``ppc64le``…; ``None`` for a machine not named here."""
    elf_class: int
    """32 or 64 (an x32 object is ``x86_64`` with class 32)."""


def read_dynamic(host: Host, path: str) -> ElfDynamic | None:
    """Read the dynamic section of ``path`` on ``host``; ``None`` if it is no readable ELF."""
    fd = _open(host, path)
    if fd is None:
        return None
    try:
        return _parse(fd)
    except (OSError, struct.error, ValueError, OverflowError):
        # Short reads, offsets past the end, absurd sizes: all mean a broken file.
        return None
    finally:
        os.close(fd)


def read_ident(host: Host, path: str) -> tuple[int, str | None] | None:
    """ELF class (32 or 64) and machine of ``path`` from its header; ``None`` if not ELF.

    The loader skips a candidate of the wrong class or machine and goes on searching
    (``wrong ELF class: ELFCLASS32``), so the resolver checks this on each hit.
    """
    fd = _open(host, path)
    if fd is None:
        return None
    try:
        head = os.pread(fd, 20, 0)
    except OSError:
        return None
    finally:
        os.close(fd)
    ident = _ident(head)
    if ident is None:
        return None
    elf_class, endian = ident
    (e_machine,) = struct.unpack_from(endian + "H", head, 18)
    return elf_class, _machine_name(e_machine, elf_class, endian)


def _open(host: Host, path: str) -> int | None:
    if host.unreadable and path in host.unreadable:
        return None
    # O_NONBLOCK: opening a FIFO planted in an image must not hang `check`.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(host.path(path), flags)
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
    except OSError:
        os.close(fd)
        return None
    return fd


def _ident(head: bytes) -> tuple[int, str] | None:
    """Class (32/64) and struct byte-order prefix from ``e_ident``, or ``None``."""
    if len(head) < 20 or head[:4] != _MAGIC:
        return None
    if head[4] not in (_ELFCLASS32, _ELFCLASS64) or head[5] not in (_ELFDATA2LSB, _ELFDATA2MSB):
        return None
    return (64 if head[4] == _ELFCLASS64 else 32), ("<" if head[5] == _ELFDATA2LSB else ">")


def _machine_name(e_machine: int, elf_class: int, endian: str) -> str | None:
    name = _MACHINES.get(e_machine)
    if name == "ppc64" and endian == "<":
        return "ppc64le"
    if name == "s390" and elf_class == 64:
        return "s390x"
    if name in ("riscv", "loongarch"):
        return f"{name}{elf_class}"
    if name == "mips" and elf_class == 64:
        return "mips64"
    return name


def _parse(fd: int) -> ElfDynamic | None:
    head = os.pread(fd, _HEAD_READ, 0)
    ident = _ident(head)
    if ident is None:
        return None
    elf_class, e = ident
    if elf_class == 64:
        header_fmt, phdr_fmt, dyn_fmt = "HHIQQQIHHHHHH", "IIQQQQQQ", "qQ"
    else:
        header_fmt, phdr_fmt, dyn_fmt = "HHIIIIIHHHHHH", "IIIIIIII", "iI"
    (_type, e_machine, _version, _entry, phoff, _shoff, _flags, _ehsize, phentsize, phnum,
     _shentsize, _shnum, _shstrndx) = struct.unpack_from(e + header_fmt, head, 16)
    machine = _machine_name(e_machine, elf_class, e)
    empty = ElfDynamic(None, [], [], [], machine, elf_class)
    if phnum == 0:
        return empty  # an object file: no segments, nothing for the loader
    phdr_size = struct.calcsize(e + phdr_fmt)
    # PN_XNUM (count kept in section 0) only appears past 65534 headers: not a library.
    if phnum == _PN_XNUM or phentsize < phdr_size or phnum * phentsize > _MAX_PHDR_BYTES:
        return None
    table_size = phnum * phentsize
    if phoff + table_size <= len(head):
        table = head[phoff:phoff + table_size]
    else:
        table = os.pread(fd, table_size, phoff)
    if len(table) < table_size:
        return None

    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    dynamic: tuple[int, int] | None = None  # (offset, filesz)
    for i in range(phnum):
        fields = struct.unpack_from(e + phdr_fmt, table, i * phentsize)
        if elf_class == 64:
            p_type, _pflags, p_offset, p_vaddr, _paddr, p_filesz, _memsz, _align = fields
        else:
            p_type, p_offset, p_vaddr, _paddr, p_filesz, _memsz, _pflags, _align = fields
        if p_type == _PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == _PT_DYNAMIC and dynamic is None:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return empty  # a static executable

    dyn_size = min(dynamic[1], _MAX_DYNAMIC_BYTES)
    dyn_bytes = os.pread(fd, dyn_size, dynamic[0])
    if len(dyn_bytes) < dyn_size:
        return None  # cut short: the entries that would name its needs are missing
    entry_size = struct.calcsize(e + dyn_fmt)
    needed: list[int] = []
    soname: int | None = None
    rpath: list[int] = []
    runpath: list[int] = []
    strtab: int | None = None
    strsz: int | None = None
    for tag, value in struct.iter_unpack(e + dyn_fmt, dyn_bytes[:len(dyn_bytes) // entry_size
                                                             * entry_size]):
        if tag == _DT_NULL:
            break
        if tag == _DT_NEEDED:
            needed.append(value)
        elif tag == _DT_SONAME:
            soname = value
        elif tag == _DT_RPATH:
            rpath.append(value)
        elif tag == _DT_RUNPATH:
            runpath.append(value)
        elif tag == _DT_STRTAB:
            strtab = value
        elif tag == _DT_STRSZ:
            strsz = value
    wanted = sorted({*needed, *rpath, *runpath, *([soname] if soname is not None else [])})
    if not wanted:
        return empty
    if strtab is None:
        return None
    base = _file_offset(strtab, loads)
    if base is None:
        return None
    strings = _read_strings(fd, base, wanted, strsz)
    if strings is None:
        return None
    return ElfDynamic(
        soname=strings[soname] if soname is not None else None,
        needed=[strings[o] for o in needed],
        rpath=[d for o in rpath for d in strings[o].split(":")],
        runpath=[d for o in runpath for d in strings[o].split(":")],
        machine=machine,
        elf_class=elf_class,
    )


def _file_offset(vaddr: int, loads: list[tuple[int, int, int]]) -> int | None:
    """Map a virtual address to a file offset through the ``PT_LOAD`` segment holding it."""
    for p_vaddr, p_offset, p_filesz in loads:
        if p_vaddr <= vaddr < p_vaddr + p_filesz:
            return p_offset + (vaddr - p_vaddr)
    return None


def _read_strings(fd: int, base: int, offsets: list[int], strsz: int | None,
                  ) -> dict[int, str] | None:
    """Read NUL-terminated strings at ``base + offset``; ``None`` if one is unterminated."""
    if strsz is not None and offsets[-1] >= strsz:
        return None
    raw: dict[int, bytes] = {}
    low, high = offsets[0], offsets[-1]
    # Wanted strings usually sit together near the start of .dynstr: fetch them at once.
    if high - low <= _STRING_WINDOW:
        size = high - low + _STRING_CHUNK
        if strsz is not None:
            size = min(size, strsz - low)
        window = os.pread(fd, size, base + low)
        for off in offsets:
            end = window.find(b"\0", off - low)
            if end >= 0:
                raw[off] = window[off - low:end]
    for off in offsets:
        if off not in raw:
            one = _read_string(fd, base + off, None if strsz is None else strsz - off)
            if one is None:
                return None
            raw[off] = one
    return {off: value.decode("utf-8", errors="replace") for off, value in raw.items()}


def _read_string(fd: int, at: int, room: int | None) -> bytes | None:
    size = _STRING_CHUNK
    limit = _MAX_STRING if room is None else min(room, _MAX_STRING)
    while True:
        size = min(size, limit)
        chunk = os.pread(fd, size, at)
        end = chunk.find(b"\0")
        if end >= 0:
            return chunk[:end]
        if size >= limit or len(chunk) < size:
            return None
        size *= 2
