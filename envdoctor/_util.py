"""Small helpers shared by several rooms (formatting sizes, exhaustiveness checks)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NoReturn


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


class LazyPattern:
    """A regular expression compiled the first time it is used.

    ``envdoctor check`` starts a fresh interpreter each time, where compiling the few dozen
    patterns of rarely taken paths (a ROCm file, an nvidia-smi error) would cost several
    milliseconds before any of them is needed.
    """

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[Any] | None = None

    def compiled(self) -> re.Pattern[Any]:
        """The compiled pattern."""
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return self._compiled

    def match(self, string: Any, *args: Any) -> re.Match[Any] | None:  # noqa: ANN401
        """As :meth:`re.Pattern.match`."""
        return self.compiled().match(string, *args)

    def fullmatch(self, string: Any, *args: Any) -> re.Match[Any] | None:  # noqa: ANN401
        """As :meth:`re.Pattern.fullmatch`."""
        return self.compiled().fullmatch(string, *args)

    def search(self, string: Any, *args: Any) -> re.Match[Any] | None:  # noqa: ANN401
        """As :meth:`re.Pattern.search`."""
        return self.compiled().search(string, *args)

    def findall(self, string: Any, *args: Any) -> list[Any]:  # noqa: ANN401
        """As :meth:`re.Pattern.findall`."""
        return self.compiled().findall(string, *args)

    def finditer(self, string: Any, *args: Any) -> Iterator[re.Match[Any]]:  # noqa: ANN401
        """As :meth:`re.Pattern.finditer`."""
        return self.compiled().finditer(string, *args)

    def sub(self, repl: Any, string: Any, count: int = 0) -> Any:  # noqa: ANN401
        """As :meth:`re.Pattern.sub`."""
        return self.compiled().sub(repl, string, count)


def lazy_re(pattern: str | bytes, flags: int = 0) -> LazyPattern:
    """A pattern compiled on first use (see :class:`LazyPattern`)."""
    return LazyPattern(pattern, flags)


_VERSION_PART = re.compile(r"\d+")


def version_tuple(version: str | None) -> tuple[int, ...]:
    """The leading numeric components of a version: ``"550.54.14"`` → ``(550, 54, 14)``.

    Local tags and suffixes are ignored (``"2.5.1+cu124"`` → ``(2, 5, 1)``); an empty or
    missing version is ``()``, which sorts before every real one.
    """
    if not version:
        return ()
    parts = []
    for piece in version.split("+", 1)[0].split("."):
        m = _VERSION_PART.match(piece)
        if not m:
            break
        parts.append(int(m.group()))
        if m.end() != len(piece):
            break
    return tuple(parts)


def major_minor(version: str | None) -> str | None:
    """``"12.4.1"`` → ``"12.4"``; ``None`` when there is no minor part."""
    parts = version_tuple(version)
    return f"{parts[0]}.{parts[1]}" if len(parts) >= 2 else None
