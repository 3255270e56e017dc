"""Small helpers shared by several rooms (formatting sizes, exhaustiveness checks)."""

from __future__ import annotations

from typing import NoReturn


def assert_never(value: NoReturn) -> NoReturn:
    """Fail loudly when a ``match`` over an enum misses a member (typing.assert_never is 3.11+)."""
    raise AssertionError(f"unhandled value: {value!r}")


def human_bytes(n: int | float | None) -> str:
    """``25276502016`` → ``23.5 GiB``; ``None`` → ``unknown``."""
    if n is None:
        return "unknown"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit in ("B", "KiB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - loop always returns
