"""Operating system: distribution, kernel, architecture, C library, host name."""

from __future__ import annotations

import os

from envdoctor._util import lazy_re
from envdoctor.facts import OsFacts
from envdoctor.probes.base import ProbeContext

# The dynamic loader's name tells the architecture and C library of a root without
# running anything (glibc: ld-linux-*.so.*, musl: ld-musl-<arch>.so.1).
_LOADERS: tuple[tuple[str, str, str], ...] = (
    ("/lib64/ld-linux-x86-64.so.2", "x86_64", "glibc"),
    ("/lib/ld-linux-aarch64.so.1", "aarch64", "glibc"),
    ("/lib64/ld64.so.2", "ppc64le", "glibc"),
    ("/lib/ld-musl-x86_64.so.1", "x86_64", "musl"),
    ("/lib/ld-musl-aarch64.so.1", "aarch64", "musl"),
)
_LIBC_DIRS = ("/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib")
_GLIBC_BANNER = lazy_re(rb"GNU C Library[^\n]*?version (\d+\.\d+)")
_GLIBC_SONAME = lazy_re(r"^libc-(\d+\.\d+)\.so$")


def probe(ctx: ProbeContext) -> OsFacts:
    """Describe the operating system of the host."""
    unknown: dict[str, str] = {}
    system = _system(ctx)
    release = _os_release(ctx)

    kernel = (ctx.read("/proc/sys/kernel/osrelease") or "").strip() or None
    if kernel is None:
        # "Linux version 5.15.0-130-generic (buildd@...) ..." names the release third.
        words = (ctx.read("/proc/version") or "").split()
        kernel = words[2] if len(words) > 2 and words[1] == "version" else None
    if kernel is None and ctx.host.kind == "live" and hasattr(os, "uname"):
        kernel = os.uname().release
    if kernel is None:
        unknown["kernel"] = ("no running kernel: this is a file-system tree, not a booted machine"
                             if not ctx.host.live else
                             "neither /proc/sys/kernel/osrelease nor /proc/version could be read")
    kernels = sorted(set(ctx.host.listdir("/lib/modules"))
                     | set(ctx.host.listdir("/usr/lib/modules")))

    arch, libc, libc_version = _arch_and_libc(ctx)
    if arch is None:
        unknown["arch"] = "no /proc/sys/kernel/arch and no known dynamic loader in the root"
    if libc_version is None and system == "Linux":
        unknown["libc_version"] = "no C library version found (not glibc, or libc.so.6 unreadable)"

    hostname = (ctx.read("/proc/sys/kernel/hostname") or ctx.read("/etc/hostname") or "").strip()
    if not release and system == "Linux":
        unknown["distro_id"] = "no /etc/os-release or /usr/lib/os-release"
    return OsFacts(
        system=system,
        distro_id=release.get("ID") or None,
        distro_name=release.get("NAME") or None,
        distro_version=release.get("VERSION_ID") or None,
        distro_codename=release.get("VERSION_CODENAME") or release.get("UBUNTU_CODENAME") or None,
        distro_like=release.get("ID_LIKE", "").split(),
        pretty_name=release.get("PRETTY_NAME") or None,
        kernel=kernel,
        kernels_installed=kernels,
        arch=arch,
        libc=libc,
        libc_version=libc_version,
        hostname=hostname or None,
        unknown=unknown,
    )


def _system(ctx: ProbeContext) -> str | None:
    if ctx.host.kind == "live" and hasattr(os, "uname"):
        return os.uname().sysname
    if ctx.host.kind == "live":
        return "Windows"
    return "Linux" if ctx.host.is_dir("/etc") else None


def _os_release(ctx: ProbeContext) -> dict[str, str]:
    """Read os-release through ``distro`` pointed at the root.

    distro is given the file's location resolved inside the root (an image's
    ``/etc/os-release`` may be an absolute link into its own ``/usr/lib``).
    """
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        if ctx.host.is_file(path):
            break
    else:
        return {}
    if ctx.read(path) is None:  # logs the source; reports permission problems
        return {}
    import distro  # noqa: PLC0415 - only needed here; keeps `import envdoctor` light

    kwargs: dict[str, object] = {"include_lsb": False, "include_uname": False,
                                 "os_release_file": str(ctx.host.path(path))}
    if str(ctx.host.root) != "/":
        kwargs["root_dir"] = str(ctx.host.root)
    try:
        info = distro.LinuxDistribution(include_oslevel=False, **kwargs)  # type: ignore[arg-type]
        data = info.os_release_info()
    except Exception as exc:
        ctx.problems.append(f"{path}: distro could not parse it ({exc})")
        return {}
    return {k.upper(): v for k, v in data.items() if isinstance(v, str)}


def _arch_from_cpuinfo(text: str) -> str | None:
    """The architecture a CPU description implies (ARMv8 → aarch64, long mode → x86_64)."""
    for line in text.splitlines()[:64]:
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "CPU architecture" and value.strip() in ("8", "9", "AArch64"):
            return "aarch64"
        if key == "flags":
            return "x86_64" if " lm " in f" {value} " else "i686"
    return None


def _arch_and_libc(ctx: ProbeContext) -> tuple[str | None, str | None, str | None]:
    arch = (ctx.read("/proc/sys/kernel/arch") or "").strip() or None
    if arch is None and ctx.host.kind == "live" and hasattr(os, "uname"):
        arch = os.uname().machine
    libc = None
    version = None
    if ctx.host.kind == "live" and hasattr(os, "confstr"):
        try:
            banner = os.confstr("CS_GNU_LIBC_VERSION") or ""
        except (ValueError, OSError):
            banner = ""
        if banner.startswith("glibc "):
            return arch, "glibc", banner.split()[1]
    if arch is None:
        arch = _arch_from_cpuinfo(ctx.read("/proc/cpuinfo", quiet=True) or "")
    for loader, loader_arch, family in _LOADERS:
        if ctx.host.exists(loader):
            arch = arch or loader_arch
            libc = family
            break
    if libc == "musl":
        return arch, libc, None
    for directory in _LIBC_DIRS:
        for name in ctx.host.listdir(directory):
            m = _GLIBC_SONAME.match(name)
            if m:
                return arch, "glibc", m.group(1)
        if ctx.host.is_file(f"{directory}/libc.so.6"):
            try:
                data = ctx.host.read_bytes(f"{directory}/libc.so.6", limit=4 * 1024 * 1024)
            except OSError:
                continue
            ctx.sources.append(f"{directory}/libc.so.6")
            m2 = _GLIBC_BANNER.search(data)
            if m2:
                return arch, "glibc", m2.group(1).decode()
    return arch, libc, version
