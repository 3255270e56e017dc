"""The probe interface: what a probe gets (a context over the host) and what it returns.

A probe is a function ``probe(ctx, ...) -> SectionFacts``. It reads files and runs
programs only through ``ctx`` (which records every source for the probe log), never
prints, and never raises on a missing or broken source: it leaves the fact ``None`` and
says why in the section's ``unknown`` map. If a probe does raise, :func:`run_probe`
catches it and records the probe as failed; the other probes still run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from envdoctor.facts import ProbeRecord, ProbeStatus
from envdoctor.host import CommandResult, Host, ReadError

T = TypeVar("T")


class ProbeContext:
    """One probe's view of the host: reads and runs through it are logged as sources.

    ``problems`` lists sources that exist but could not be used (permission denied,
    garbage, a timeout); a probe sets ``status`` and ``detail`` to override what is worked
    out from its facts and problems; ``cache`` is shared by the probes of one collection,
    so a file two probes need is read once.
    """

    # A plain class: a dataclass costs about half a millisecond to create at import, and
    # `envdoctor check` pays every import on every run.
    __slots__ = ("cache", "detail", "host", "name", "problems", "sources", "status")

    def __init__(self, host: Host, name: str, cache: dict[str, Any] | None = None) -> None:
        self.host = host
        self.name = name
        self.sources: list[str] = []
        self.problems: list[str] = []
        self.status: ProbeStatus | None = None
        self.detail: str | None = None
        self.cache: dict[str, Any] = cache if cache is not None else {}

    def read(self, path: str, limit: int | None = None, *, missing_ok: bool = True,
             quiet: bool = False) -> str | None:
        """Read a text file under the root; ``None`` when it cannot be read.

        A missing file is normal (``missing_ok``); any other failure is recorded as a
        problem, which makes the probe ``partial`` and names the file and the reason.
        ``quiet`` reads for a fallback whose failure is another probe's to report.
        """
        key = f"read:{path}:{limit}"
        if key in self.cache:
            cached = self.cache[key]
            if not isinstance(cached, ReadError):
                self._source(path)
                return cached
            exc = cached
        else:
            try:
                text = self.host.read_text(path) if limit is None else self.host.read_text(
                    path, limit)
            except ReadError as err:
                self.cache[key] = err
                exc = err
            else:
                self.cache[key] = text
                self._source(path)
                return text
        if not quiet and (exc.reason != "not found" or not missing_ok):
            self._source(path)
            self.problems.append(f"{path}: {exc.reason}")
        return None

    def listdir(self, path: str) -> list[str]:
        """Names in a directory (sorted, empty when missing), listed once per collection."""
        key = f"listdir:{path}"
        names = self.cache.get(key)
        if names is None:
            names = self.host.listdir(path)
            self.cache[key] = names
        return names

    def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult:
        """Run a program through the host's runner, recording it as a source."""
        result = self.host.run(argv, timeout)
        self._source("$ " + " ".join(argv))
        if result.timed_out or (result.error and self.host.live):
            self.problems.append(result.describe())
        return result

    def _source(self, source: str) -> None:
        if source not in self.sources:
            self.sources.append(source)


def run_probe(  # noqa: PLR0917 - probe arguments follow the fixed ones
    host: Host,
    name: str,
    probe: Callable[..., T],
    default: Callable[[], T],
    records: list[ProbeRecord],
    cache: dict[str, Any],
    *args: object,
) -> T:
    """Run one probe, log it in ``records``, and return its facts (``default()`` if it crashed)."""
    ctx = ProbeContext(host, name, cache=cache)
    start = time.perf_counter()
    try:
        facts = probe(ctx, *args)
    except Exception as exc:
        elapsed = (time.perf_counter() - start) * 1000
        records.append(ProbeRecord(
            name=name, status=ProbeStatus.FAILED, sources=ctx.sources,
            detail=f"probe crashed: {type(exc).__name__}: {exc}", problems=ctx.problems,
            elapsed_ms=round(elapsed, 3),
        ))
        return default()
    elapsed = (time.perf_counter() - start) * 1000
    status = ctx.status
    detail = ctx.detail
    if status is None:
        unknown = getattr(facts, "unknown", None)
        status = ProbeStatus.PARTIAL if ctx.problems or unknown else ProbeStatus.OK
    if detail is None and status is not ProbeStatus.OK:
        parts = list(ctx.problems)
        unknown = getattr(facts, "unknown", None) or {}
        parts += [f"{k}: {v}" for k, v in unknown.items()]
        detail = "; ".join(parts) or None
    records.append(ProbeRecord(
        name=name, status=status, sources=ctx.sources, detail=detail, problems=ctx.problems,
        elapsed_ms=round(elapsed, 3),
    ))
    return facts
