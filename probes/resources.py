"""Memory, cgroup CPU and memory limits (v1 and v2), and the size of /dev/shm."""

from __future__ import annotations

import os

from envdoctor._util import lazy_re
from envdoctor.facts import ResourcesFacts
from envdoctor.probes.base import ProbeContext

# cgroup v1 reports "no limit" as the largest page-aligned 64-bit value (9223372036854771712
# on 4 KiB pages); anything this large is unlimited.
_V1_UNLIMITED = 1 << 62
_SIZE = lazy_re(r"^(\d+)([kmgtKMGT%]?)$")
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def probe(ctx: ProbeContext) -> ResourcesFacts:
    """Describe memory, cgroup limits and /dev/shm."""
    unknown: dict[str, str] = {}
    mem = parse_meminfo(ctx.read("/proc/meminfo") or "")
    if "MemTotal" not in mem:
        unknown["memory_total"] = ("no /proc/meminfo: not a booted machine" if not ctx.host.live
                                   else "/proc/meminfo unreadable or without MemTotal")
    version, path, cpu_limit, mem_limit = (None, None, None, None)
    if ctx.host.live:
        version, path, cpu_limit, mem_limit = _cgroup(ctx)
    mountinfo = ctx.read("/proc/self/mountinfo") or "" if ctx.host.live else ""
    shm_size, shm_source = _shm(ctx, mountinfo, mem.get("MemTotal"))
    if shm_size is None:
        unknown["shm_size"] = shm_source or "no /dev/shm mount found"
        shm_source = None
    return ResourcesFacts(
        memory_total=mem.get("MemTotal"),
        memory_available=mem.get("MemAvailable"),
        swap_total=mem.get("SwapTotal"),
        cgroup_version=version,
        cgroup_path=path,
        cpu_limit=cpu_limit,
        memory_limit=mem_limit,
        shm_size=shm_size,
        shm_source=shm_source,
        unknown=unknown,
    )


def parse_meminfo(text: str) -> dict[str, int]:
    """Parse /proc/meminfo into bytes per key (``MemTotal: 16318152 kB`` → 16709787648)."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        if not sep:
            continue
        parts = rest.split()
        if not parts or not parts[0].isdigit():
            continue
        scale = 1024 if len(parts) > 1 and parts[1].lower() == "kb" else 1
        values[key.strip()] = int(parts[0]) * scale
    return values


def _cgroup(ctx: ProbeContext) -> tuple[int | None, str | None, float | None, int | None]:
    """Work out the cgroup version, this process's path, and its CPU and memory limits.

    A limit can be set on any ancestor of the process's cgroup, so the path is walked up
    to the mount root and the smallest limit wins. Inside a container with its own cgroup
    namespace the path is ``/`` and the files sit at the mount root.
    """
    cgroup_text = ctx.read("/proc/self/cgroup")
    if cgroup_text is None:
        return None, None, None, None
    v1_paths: dict[str, str] = {}
    v2_path = None
    for line in cgroup_text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            v2_path = path
            continue
        for controller in controllers.split(","):
            v1_paths[controller] = path
    # A unified (v2-only) host lists a single "0::" line; a hybrid host also lists v1
    # controllers and mounts v2 at /sys/fs/cgroup/unified, which holds no limits.
    unified = v2_path is not None and (
        not v1_paths or ctx.host.exists("/sys/fs/cgroup/cgroup.controllers"))
    if unified:
        cpu = _walk_min(ctx, "/sys/fs/cgroup", v2_path or "/", "cpu.max", _parse_cpu_max)
        mem = _walk_min(ctx, "/sys/fs/cgroup", v2_path or "/", "memory.max", _parse_v2_bytes)
        return 2, v2_path, cpu, (int(mem) if mem is not None else None)
    if v1_paths:
        cpu_path = v1_paths.get("cpu", "/")
        mem_path = v1_paths.get("memory", "/")
        cpu_dir = next((d for d in ("/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu")
                        if ctx.host.is_dir(d)), None)
        cpu = None
        if cpu_dir:
            cpu = _walk_min(ctx, cpu_dir, cpu_path, "cpu.cfs_quota_us",
                            lambda text, d: _parse_v1_quota(ctx, d, text))
        mem = _walk_min(ctx, "/sys/fs/cgroup/memory", mem_path, "memory.limit_in_bytes",
                        _parse_v1_bytes)
        return 1, mem_path, cpu, (int(mem) if mem is not None else None)
    return None, v2_path, None, None


def _walk_min(ctx: ProbeContext, mount: str, path: str, name: str, parse) -> float | None:  # noqa: ANN001
    """Smallest limit on ``path`` and its ancestors (falling back to the mount root)."""
    best: float | None = None
    parts = [p for p in path.split("/") if p]
    seen_any = False
    for depth in range(len(parts), -1, -1):
        directory = "/".join([mount, *parts[:depth]])
        text = ctx.read(f"{directory}/{name}")
        if text is None:
            continue
        seen_any = True
        value = parse(text.strip(), directory)
        if value is not None and (best is None or value < best):
            best = value
    if not seen_any:
        return None
    return best


def _parse_cpu_max(text: str, _directory: str) -> float | None:
    quota, _, period = text.partition(" ")
    if quota == "max" or not quota.isdigit():
        return None
    period_us = int(period) if period.isdigit() and int(period) > 0 else 100_000
    return round(int(quota) / period_us, 3)


def _parse_v2_bytes(text: str, _directory: str) -> float | None:
    return float(text) if text.isdigit() else None


def _parse_v1_bytes(text: str, _directory: str) -> float | None:
    if not text.isdigit() or int(text) >= _V1_UNLIMITED:
        return None
    return float(text)


def _parse_v1_quota(ctx: ProbeContext, directory: str, text: str) -> float | None:
    if not text.lstrip("-").isdigit() or int(text) <= 0:
        return None
    period = (ctx.read(f"{directory}/cpu.cfs_period_us") or "100000").strip()
    period_us = int(period) if period.isdigit() and int(period) > 0 else 100_000
    return round(int(text) / period_us, 3)


def _shm(ctx: ProbeContext, mountinfo: str, mem_total: int | None) -> tuple[int | None, str | None]:
    """Size of /dev/shm: the tmpfs ``size=`` option, else statvfs, else tmpfs's default."""
    options = None
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[4] == "/dev/shm" and " - " in line:
            options = line.rsplit(" - ", 1)[1].split()[-1]  # later mounts hide earlier ones
    if options is not None:
        for opt in options.split(","):
            if opt.startswith("size="):
                size = parse_size(opt[5:], mem_total)
                if size is not None:
                    return size, "mountinfo size="
    if ctx.host.kind == "live" and hasattr(os, "statvfs"):
        try:
            st = os.statvfs("/dev/shm")
        except OSError:
            pass
        else:
            return st.f_blocks * st.f_frsize, "statvfs"
    if options is not None and mem_total:
        # tmpfs without size= gets half of physical memory (Documentation/filesystems/tmpfs.rst).
        return mem_total // 2, "tmpfs default (half of memory)"
    if not ctx.host.live:
        return None, "not a booted machine: /dev/shm is sized when it is mounted"
    return None, None


def parse_size(text: str, mem_total: int | None = None) -> int | None:
    """Parse a tmpfs size option (``65536k``, ``8g``, ``50%``) into bytes."""
    m = _SIZE.match(text)
    if not m:
        return None
    number, unit = int(m.group(1)), m.group(2).lower()
    if unit == "%":
        return mem_total * number // 100 if mem_total else None
    return number * _UNITS[unit]
