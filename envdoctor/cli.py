"""The command line: a thin Typer layer over the core objects.

Each command parses its options, builds a host or loads facts, calls the core, renders,
and maps the outcome to an exit code: 0 nothing wrong, 1 problems found, 2 the tool could
not run. Only :func:`main` catches errors; it prints ``error:`` and ``hint:`` lines.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envdoctor import __version__
from envdoctor.errors import EnvdoctorError, UsageError
from envdoctor.host import DEFAULT_TIMEOUT
from envdoctor.render import OutputFormat

if TYPE_CHECKING:
    from envdoctor.facts import Facts

app = typer.Typer(
    name="envdoctor",
    help="Diagnose GPU environments for machine learning, and provision ones that work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class ColorMode(str, Enum):
    """When to colour human output."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"envdoctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose",
                                          help="Show tracebacks for internal errors.")] = False,
) -> None:
    """envdoctor: what is wrong with this GPU machine, and how to fix it."""


RootOption = Annotated[Path | None, typer.Option(
    "--root", help="Examine a file-system tree (an image, a mounted disk) instead of this "
    "machine. Nothing is run.", show_default=False)]
PythonOption = Annotated[str | None, typer.Option(
    "--python", help="The Python environment to examine: an interpreter or an environment "
    "prefix (default: the active venv/conda env).", show_default=False)]
TimeoutOption = Annotated[float, typer.Option(
    "--timeout", min=0.1, help="Seconds a probe's program (nvidia-smi, …) may run.")]
OutputOption = Annotated[Path | None, typer.Option(
    "-o", "--output", help="Write the report to FILE instead of standard output.",
    show_default=False)]


@app.command()
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Facts and findings as JSON.")] = False,
    as_markdown: Annotated[bool, typer.Option(
        "--markdown", help="A Markdown report to paste into a bug report (redacted).")] = False,
    root: RootOption = None,
    facts_file: Annotated[Path | None, typer.Option(
        "--facts", help="Evaluate a saved snapshot instead of probing.",
        show_default=False)] = None,
    python: PythonOption = None,
    output: OutputOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    redact: Annotated[bool | None, typer.Option(
        "--redact/--no-redact", help="Hide user, host, home paths and tokens (default: on for "
        "--markdown, off otherwise).", show_default=False)] = None,
    color: Annotated[ColorMode, typer.Option("--color", help="Colour text output.")]
    = ColorMode.AUTO,
    deep: Annotated[bool, typer.Option(
        "--deep", help="Also import each framework in a child process and run a tiny GPU "
        "operation (slow: seconds per framework).")] = False,
) -> None:
    """Examine this machine (or a root, or a snapshot) and report what is wrong."""
    from envdoctor.doctor import Doctor  # noqa: PLC0415 - keep --help fast
    from envdoctor.render import render  # noqa: PLC0415

    if as_json and as_markdown:
        raise UsageError("--json and --markdown cannot be used together",
                         hint="pick one output format")
    fmt = OutputFormat.JSON if as_json else OutputFormat.MARKDOWN if as_markdown else \
        OutputFormat.TEXT
    if deep and (root is not None or facts_file is not None):
        raise UsageError("--deep runs frameworks on this machine; it cannot be combined with "
                         "--root or --facts", hint="drop --deep")
    facts = _facts(root=root, facts_file=facts_file, python=python, timeout=timeout, deep=deep)
    report = Doctor().check(facts)
    use_color = fmt is OutputFormat.TEXT and output is None and _color(color)
    do_redact = redact if redact is not None else fmt is OutputFormat.MARKDOWN
    _emit(render(report, fmt, color=use_color, redact=do_redact), output)
    raise typer.Exit(report.exit_code())


@app.command()
def snapshot(
    output: OutputOption = None,
    root: RootOption = None,
    python: PythonOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Write this machine's facts as JSON, to evaluate, diff or plan for elsewhere."""
    from envdoctor.snapshot import facts_to_json  # noqa: PLC0415

    facts = _facts(root=root, facts_file=None, python=python, timeout=timeout)
    _emit(facts_to_json(facts), output)
    if output is not None:
        typer.echo(f"wrote {output}", err=True)


# --------------------------------------------------------------------------- helpers


def _facts(*, root: Path | None, facts_file: Path | None, python: str | None,
           timeout: float, deep: bool = False) -> Facts:
    if root is not None and facts_file is not None:
        raise UsageError("--root and --facts cannot be used together",
                         hint="--facts evaluates a saved snapshot; --root probes a tree")
    if facts_file is not None:
        from envdoctor.snapshot import load_facts  # noqa: PLC0415

        return load_facts(facts_file)
    from envdoctor.host import Host  # noqa: PLC0415
    from envdoctor.probes import collect  # noqa: PLC0415

    host = Host.from_root(root, python=python) if root is not None else Host.live_host(
        timeout=timeout, python=python)
    host.deep = deep
    return collect(host)


def _color(mode: ColorMode) -> bool:
    if mode is ColorMode.ALWAYS:
        return True
    if mode is ColorMode.NEVER or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}",
                         hint="choose a path in a directory you can write to") from None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (errors become ``error:``/``hint:`` and 2)."""
    args = sys.argv[1:] if argv is None else argv
    verbose = any(a in ("-v", "--verbose") for a in args)
    try:
        result = app(args=args, prog_name="envdoctor", standalone_mode=False)
    except EnvdoctorError as exc:
        _fail(exc.message, exc.hint)
        if verbose:
            import traceback  # noqa: PLC0415 - only on errors, with -v

            traceback.print_exc()
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        # `envdoctor check | head`: the reader went away; that is not our error.
        sys.stderr.close()
        return 0
    except Exception as exc:
        code = getattr(exc, "exit_code", None)
        if type(exc).__name__ in ("Exit",) and isinstance(code, int):
            return code
        if type(exc).__name__ == "Abort":
            typer.echo("aborted", err=True)
            return 1
        if type(exc).__name__ == "NoArgsIsHelpError" and hasattr(exc, "format_message"):
            typer.echo(exc.format_message())  # bare `envdoctor`: the help is the answer
            return 0
        if hasattr(exc, "format_message") and code == 2:  # a command-line usage error
            command = _command_of(args)
            _fail(exc.format_message(), f"run 'envdoctor {command}--help' for the options")
            return 2
        _fail(f"internal error: {type(exc).__name__}: {exc}",
              "this is a bug in envdoctor; rerun with -v and report the traceback")
        if verbose:
            import traceback  # noqa: PLC0415 - only on errors, with -v

            traceback.print_exc()
        return 2
    return result if isinstance(result, int) else 0


def _command_of(args: list[str]) -> str:
    for a in args:
        if not a.startswith("-"):
            return f"{a} " if a in _command_names() else ""
    return ""


def _command_names() -> set[str]:
    return {c.name or c.callback.__name__ for c in app.registered_commands if c.callback}


def _fail(message: str, hint: str | None) -> None:
    typer.echo(f"error: {message}", err=True)
    if hint:
        typer.echo(f"hint: {hint}", err=True)
