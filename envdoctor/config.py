"""User settings for ``check``: which rules run, which findings are waived, what fails.

Read the way linters read theirs: ``--config FILE``, else the first of ``envdoctor.toml``,
``.envdoctor.toml`` or a ``pyproject.toml`` with a ``[tool.envdoctor]`` table found from
the working directory upwards. Command-line options then apply on top: ``--select``
replaces the file's ``select``, ``--ignore`` adds to its ``ignore``, ``--fail-on``
replaces ``fail-on``.

.. code-block:: toml

    [tool.envdoctor]
    select = ["ED02", "ED03"]          # codes or prefixes; default: every rule
    ignore = ["ED0105"]                # codes, names or prefixes
    fail-on = "warning"                # error (default) or warning
    severity = { ED0104 = "error" }    # per-rule severity

    [[tool.envdoctor.waive]]
    code = "ED0212"
    reason = "driver upgrade booked for the December maintenance window"
    until = "2026-12-31"               # optional: the finding returns after this day

Unknown keys, unknown codes and waivers without a reason are errors (exit 2): a typo in a
waiver must not silently waive nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from envdoctor.errors import EnvdoctorError
from envdoctor.report import Severity

CONFIG_NAMES = ("envdoctor.toml", ".envdoctor.toml")
KEYS = {"select", "ignore", "fail-on", "severity", "waive"}
WAIVER_KEYS = {"code", "reason", "until"}


class ConfigError(EnvdoctorError):
    """The configuration file or options are invalid."""


class Waiver:
    """A finding the team decided to live with, and why."""

    __slots__ = ("code", "reason", "until")

    def __init__(self, code: str, reason: str, until: str | None = None) -> None:
        self.code = code
        self.reason = reason
        self.until = until
        """Last day (ISO ``YYYY-MM-DD``) the waiver holds, or ``None`` for no end."""

    def active(self, today: str) -> bool:
        """Whether the waiver still applies on ``today`` (ISO date; they sort as strings)."""
        return self.until is None or today <= self.until


class Config:
    """Resolved settings (file and command line merged).

    Plain slotted classes rather than dataclasses: this is on the path of every ``check``,
    and building dataclasses costs milliseconds at import.
    """

    __slots__ = ("fail_on", "ignore", "select", "severity", "source", "waivers")

    def __init__(self, *, select: tuple[str, ...] = (),
                 ignore: tuple[tuple[str, str], ...] = (), fail_on: Severity = Severity.ERROR,
                 severity: dict[str, Severity] | None = None, waivers: tuple[Waiver, ...] = (),
                 source: str | None = None) -> None:
        self.select = select
        """Codes or prefixes to run; empty means every rule."""
        self.ignore = ignore
        """(code, name or prefix; where it was asked for): counted, not shown."""
        self.fail_on = fail_on
        """The least severity that makes ``check`` exit 1."""
        self.severity = severity or {}
        """Per-code severity overrides."""
        self.waivers = waivers
        self.source = source
        """The file the settings came from (for messages), or ``None``."""

    def selects(self, code: str) -> bool:
        """Whether the rule ``code`` runs at all."""
        return not self.select or any(code.startswith(s) for s in self.select)

    def ignore_reason(self, code: str, name: str, today: str) -> str | None:
        """Why findings of this rule are ignored, or ``None`` when they are reported."""
        for entry, origin in self.ignore:
            if code.startswith(entry) or name == entry:
                return origin
        for waiver in self.waivers:
            if waiver.code == code and waiver.active(today):
                until = f" (until {waiver.until})" if waiver.until else ""
                return f"{waiver.reason}{until}"
        return None

    def expired_waiver(self, code: str, today: str) -> Waiver | None:
        """A waiver for this rule whose ``until`` has passed (its finding is back)."""
        return next((w for w in self.waivers if w.code == code and not w.active(today)),
                    None)

    def with_options(self, *, select: list[str] | None = None, ignore: list[str] | None = None,
                     fail_on: str | None = None, known: dict[str, str] | None = None) -> Config:
        """These settings with command-line options on top."""
        new_select = tuple(check_selectors(select, known, "--select")) if select \
            else self.select
        extra = tuple((e, f"--ignore {e}") for e in check_selectors(ignore or [], known,
                                                                    "--ignore"))
        return Config(select=new_select, ignore=self.ignore + extra,
                      fail_on=parse_fail_on(fail_on, "--fail-on") if fail_on else self.fail_on,
                      severity=self.severity, waivers=self.waivers, source=self.source)


def load_config(*, path: Path | None = None, search_from: Path | None = None,
                known: dict[str, str] | None = None) -> Config:
    """Read the settings file (``path``, or the one found upwards from ``search_from``).

    ``known`` maps every rule code to its name, to reject unknown codes. No file found
    gives the defaults.
    """
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist",
                              hint="pass an envdoctor.toml or pyproject.toml path")
        table = _read_table(path, required=True)
        return _parse(table or {}, str(path), known)
    found = find_config(search_from or Path.cwd())
    if found is None:
        return Config()
    file, table = found
    return _parse(table, str(file), known)


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest settings file at or above ``start`` and its envdoctor table."""
    try:
        here = start.resolve()
    except OSError:
        return None
    for folder in (here, *here.parents):
        for name in (*CONFIG_NAMES, "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file():
                table = _read_table(candidate, required=name != "pyproject.toml")
                if table is not None:
                    return candidate, table
    return None


def _read_table(path: Path, *, required: bool) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}",
                          hint="check the file's permissions") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text: {exc}",
                          hint="fix the file, or pass --no-config to run without it") from None
    if not required and "envdoctor" not in text:
        return None  # most pyproject.toml files: no need to parse them
    try:
        import tomllib  # noqa: PLC0415 - only when there is a file to read
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]  # noqa: PLC0415
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}",
                          hint="fix the syntax, or pass --no-config to run without it") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("envdoctor") if isinstance(tool, dict) else None
        if table is None and not required:
            return None
        return table if isinstance(table, dict) else {}
    envdoctor = data.get("tool", {}).get("envdoctor") if isinstance(data.get("tool"), dict) \
        else None
    # envdoctor.toml may hold the keys at top level or under [tool.envdoctor].
    return envdoctor if isinstance(envdoctor, dict) else data


def _parse(table: dict[str, Any], source: str, known: dict[str, str] | None) -> Config:
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {', '.join(sorted(unknown))}",
                          hint=f"known settings: {', '.join(sorted(KEYS))}")
    select = tuple(check_selectors(_strings(table, "select", source), known, source))
    ignore = tuple(check_selectors(_strings(table, "ignore", source), known, source))
    fail_on = parse_fail_on(table.get("fail-on", "error"), source)
    severity: dict[str, Severity] = {}
    raw_severity = table.get("severity", {})
    if not isinstance(raw_severity, dict):
        raise ConfigError(f"{source}: 'severity' must be a table of CODE = \"level\"",
                          hint='for example: severity = { ED0104 = "error" }')
    for code, level in raw_severity.items():
        (resolved,) = check_selectors([code], known, source, exact=True)
        severity[resolved] = parse_severity(level, f"{source}: severity.{code}")
    waivers = tuple(_waiver(w, source, known) for w in _list(table, "waive", source))
    short = _short(source)
    return Config(select=select, ignore=tuple((e, f"ignored in {short}") for e in ignore),
                  fail_on=fail_on, severity=severity, waivers=waivers, source=short)


def _waiver(raw: Any, source: str, known: dict[str, str] | None) -> Waiver:  # noqa: ANN401
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: each [[waive]] entry must be a table",
                          hint='code = "ED0212", reason = "…"')
    extra = set(raw) - WAIVER_KEYS
    if extra:
        raise ConfigError(f"{source}: unknown waiver key(s) {', '.join(sorted(extra))}",
                          hint="a waiver has code, reason and optionally until")
    code, reason = raw.get("code"), raw.get("reason")
    if not isinstance(code, str) or not code:
        raise ConfigError(f"{source}: a waiver has no code", hint='add code = "ED0212"')
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigError(f"{source}: the waiver for {code} gives no reason",
                          hint="say why the team accepts it: reason = \"…\"")
    (resolved,) = check_selectors([code], known, source, exact=True)
    until = raw.get("until")
    if until is not None:
        import datetime as dt  # noqa: PLC0415 - only for waivers with an end date

        if isinstance(until, str):
            try:
                until = dt.date.fromisoformat(until)
            except ValueError:
                raise ConfigError(f"{source}: waiver {code}: until = {until!r} is not a date",
                                  hint='use YYYY-MM-DD, e.g. until = "2026-12-31"') from None
        if not isinstance(until, dt.date) or isinstance(until, dt.datetime):
            raise ConfigError(f"{source}: waiver {code}: until must be a date",
                              hint="use YYYY-MM-DD, e.g. until = 2026-12-31")
        until = until.isoformat()
    return Waiver(code=resolved, reason=reason.strip(), until=until)


def check_selectors(values: list[str], known: dict[str, str] | None, source: str,
                    *, exact: bool = False) -> list[str]:
    """Normalise codes/prefixes/names and reject ones that match no rule."""
    out = []
    for raw in values:
        value = raw.strip()
        upper = value.upper()
        if known is None:
            out.append(upper if upper.startswith("ED") else value.lower())
            continue
        if upper in known:
            out.append(upper)
        elif value.lower() in known.values():
            name = value.lower()
            out.append(next(c for c, n in known.items() if n == name) if exact else name)
        elif not exact and upper.startswith("ED") and any(c.startswith(upper) for c in known):
            out.append(upper)
        else:
            what = "rule code" if exact else "rule code, name or prefix"
            raise ConfigError(f"{source}: {value!r} is not a {what}",
                              hint="'envdoctor rules' lists every code and name")
    return out


def parse_fail_on(value: Any, source: str) -> Severity:  # noqa: ANN401
    """``error`` or ``warning``."""
    if value in ("error", "warning"):
        return Severity(value)
    raise ConfigError(f"{source}: fail-on must be 'error' or 'warning', not {value!r}",
                      hint="fail-on = \"warning\" fails on warnings and errors")


def parse_severity(value: Any, where: str) -> Severity:  # noqa: ANN401
    """A severity name."""
    try:
        return Severity(value)
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a severity",
                          hint="use error, warning or info") from None


def _strings(table: dict[str, Any], key: str, source: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: {key} must be a list of strings",
                          hint=f'{key} = ["ED0105"]')
    return value


def _list(table: dict[str, Any], key: str, source: str) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{source}: {key} must be an array of tables",
                          hint=f"write it as [[tool.envdoctor.{key}]] sections")
    return value


def _short(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
