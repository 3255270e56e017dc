"""Compatibility arithmetic shared by rules and the planner: GPU architectures vs builds.

NVIDIA's binary-compatibility rules (CUDA C Programming Guide, "Binary Compatibility" and
"Application Compatibility"): code compiled for ``sm_XY`` (SASS) runs on GPUs of compute
capability ``X.Z`` with ``Z >= Y`` and the same major ``X``; an architecture-specific
target (``sm_90a``, ``sm_100a``) runs only on exactly that capability; PTX for
``compute_XY`` is compiled by the driver at load time for any capability ``>= X.Y``.
"""

from __future__ import annotations

from envdoctor._util import lazy_re

_ARCH = lazy_re(r"^(sm|compute)_(\d+)(\d)([af]?)$")


def parse_cc(cc: str | None) -> tuple[int, int] | None:
    """``"8.9"`` → ``(8, 9)``; ``"12.0"`` → ``(12, 0)``; garbage → ``None``."""
    if not cc:
        return None
    major, _, minor = cc.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        return None
    return int(major), int(minor)


def arch_support(cc: str | None, arch_list: list[str]) -> str | None:
    """How a build runs on a GPU: ``"sass"`` (native code), ``"ptx"`` (JIT), or ``None``.

    ``arch_list`` holds ``sm_XY`` and ``compute_XY`` entries (``sm_90a`` allowed).
    """
    want = parse_cc(cc)
    if want is None:
        return None
    ptx = False
    for entry in arch_list:
        m = _ARCH.match(entry)
        if not m:
            continue
        kind, major, minor, suffix = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        if kind == "sm":
            if suffix == "a" and (major, minor) == want:
                return "sass"
            if suffix == "f" and major == want[0] and minor <= want[1]:
                return "sass"
            if not suffix and major == want[0] and minor <= want[1]:
                return "sass"
        elif (major, minor) <= want:
            ptx = True
    return "ptx" if ptx else None


def arch_name(cc: str) -> str:
    """``"8.9"`` → ``"sm_89"``."""
    major, _, minor = cc.partition(".")
    return f"sm_{major}{minor}"


def arch_range(arch_list: list[str]) -> str:
    """A short description of an arch list: ``"sm_50–sm_90"`` (plus ``+ PTX compute_90``)."""
    sms = [a for a in arch_list if a.startswith("sm_")]
    ptx = [a for a in arch_list if a.startswith("compute_")]
    text = f"{sms[0]}–{sms[-1]}" if len(sms) > 1 else (sms[0] if sms else "no SASS")
    if ptx:
        text += f" + PTX {', '.join(ptx)}"
    return text


# HSA_OVERRIDE_GFX_VERSION lets ROCm treat a consumer card as the supported member of its
# family (ROCm reads major.minor.stepping). It is a community workaround, not supported by
# AMD: kernels built for the sibling usually run, sometimes crash or compute garbage.
_GFX_FAMILIES = {"gfx103": ("gfx1030", "10.3.0"), "gfx110": ("gfx1100", "11.0.0"),
                 "gfx120": ("gfx1200", "12.0.0")}


def gfx_override(gfx: str | None) -> tuple[str, str] | None:
    """(sibling target, HSA_OVERRIDE_GFX_VERSION value) for a consumer AMD target."""
    if not gfx or len(gfx) != 7:
        return None
    sibling = _GFX_FAMILIES.get(gfx[:6])
    return sibling if sibling and sibling[0] != gfx else None
