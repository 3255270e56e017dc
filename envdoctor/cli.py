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
from typing import TYPE_CHECKING, Annotated, Any

import typer

from envdoctor import __version__
from envdoctor.errors import EnvdoctorError, UsageError
from envdoctor.host import DEFAULT_TIMEOUT
from envdoctor.render import OutputFormat

if TYPE_CHECKING:
    from envdoctor.config import Config
    from envdoctor.facts import Facts
    from envdoctor.knowledge import KnowledgeBase
    from envdoctor.planner import Target

_APP_SETTINGS: dict[str, Any] = {
    "name": "envdoctor",
    "help": "Diagnose GPU environments for machine learning, and provision ones that work.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
app = typer.Typer(**_APP_SETTINGS)


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
    collect_env: Annotated[str | None, typer.Option(
        "--collect-env", help="Diagnose a pasted 'python -m torch.utils.collect_env' report "
        "(vLLM's too) from FILE, or '-' for standard input.", metavar="FILE",
        show_default=False)] = None,
    container: Annotated[str | None, typer.Option(
        "--container", help="Start IMAGE with every GPU requested (as docker run --gpus all) "
        "and report what the container got.", metavar="IMAGE", show_default=False)] = None,
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
    select: Annotated[list[str] | None, typer.Option(
        "--select", help="Run only these rules: codes, names or prefixes (ED03), repeatable "
        "or comma-separated.", show_default=False)] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", help="Do not report these rules (they are counted as ignored).",
        show_default=False)] = None,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", help="Exit 1 on findings of this severity or worse: error (default) or "
        "warning.", show_default=False)] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Settings file (default: envdoctor.toml, .envdoctor.toml or "
        "[tool.envdoctor] in pyproject.toml, searched upwards).", show_default=False)] = None,
    no_config: Annotated[bool, typer.Option(
        "--no-config", help="Ignore settings files.")] = False,
) -> None:
    """Examine this machine (or a root, or a snapshot) and report what is wrong."""
    from envdoctor.doctor import Doctor  # noqa: PLC0415 - keep --help fast
    from envdoctor.render import render  # noqa: PLC0415

    if as_json and as_markdown:
        raise UsageError("--json and --markdown cannot be used together",
                         hint="pick one output format")
    fmt = OutputFormat.JSON if as_json else OutputFormat.MARKDOWN if as_markdown else \
        OutputFormat.TEXT
    if deep and (root is not None or facts_file is not None or collect_env is not None):
        raise UsageError("--deep runs frameworks on this machine; it cannot be combined with "
                         "--root, --facts or --collect-env", hint="drop --deep")
    if collect_env is not None and (root is not None or facts_file is not None):
        raise UsageError("--collect-env cannot be combined with --root or --facts",
                         hint="give one source of facts")
    if container is not None and (root is not None or facts_file is not None
                                  or collect_env is not None or deep):
        raise UsageError("--container cannot be combined with --root, --facts, --collect-env "
                         "or --deep", hint="give one source of facts")
    settings = _settings(config, no_config, select, ignore, fail_on)
    if collect_env is not None:
        facts = read_facts_input(collect_env, expect="report")
    elif container is not None:
        facts = _container_facts(container, python=python, timeout=timeout)
    else:
        facts = _facts(root=root, facts_file=facts_file, python=python, timeout=timeout,
                       deep=deep)
    report = Doctor(config=settings).check(facts)
    use_color = fmt is OutputFormat.TEXT and output is None and _color(color)
    do_redact = redact if redact is not None else fmt is OutputFormat.MARKDOWN
    _emit(render(report, fmt, color=use_color, redact=do_redact), output)
    raise typer.Exit(report.exit_code(settings.fail_on))


@app.command("rules")
def rules_command(
    as_json: Annotated[bool, typer.Option("--json", help="As a JSON array.")] = False,
) -> None:
    """List every rule: code, severity, category and name."""
    from envdoctor.render.catalog import render_rules  # noqa: PLC0415
    from envdoctor.rules import all_rules  # noqa: PLC0415

    _emit(render_rules(all_rules(), as_json=as_json), None)


@app.command()
def explain(
    code: Annotated[str, typer.Argument(help="A rule code (ED0301) or name.",
                                        show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """Print a rule's documentation: what it checks, why, how to fix it."""
    from envdoctor.render.catalog import render_explain  # noqa: PLC0415
    from envdoctor.rules import find_rule  # noqa: PLC0415

    found = find_rule(code)
    if found is None:
        raise UsageError(f"no rule {code!r}", hint="'envdoctor rules' lists every code and name")
    _emit(render_explain(found, as_json=as_json), None)


@app.command()
def plan(
    request: Annotated[str, typer.Argument(
        help="What to install: torch, torch==2.5, tensorflow, jax, cupy, onnxruntime.",
        show_default=False)],
    gpu: Annotated[list[str] | None, typer.Option(
        "--gpu", help="Plan for this GPU model instead of this machine's (repeatable): "
        "H100, A100, RTX 4090, MI300X…", show_default=False)] = None,
    driver: Annotated[str | None, typer.Option(
        "--driver", help="NVIDIA driver version of the target (550.54.14).",
        show_default=False)] = None,
    target_python: Annotated[str | None, typer.Option(
        "--target-python", help="Python version of the target (3.11).",
        show_default=False)] = None,
    facts_file: Annotated[Path | None, typer.Option(
        "--facts", help="Plan for the machine a snapshot describes.",
        show_default=False)] = None,
    root: RootOption = None,
    python: PythonOption = None,
    cpu: Annotated[bool, typer.Option("--cpu", help="Plan a CPU-only build.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Which build of a framework works here (or on a described target), and how to install it."""
    from envdoctor.knowledge import KnowledgeBase  # noqa: PLC0415
    from envdoctor.planner import Planner, Request, Target  # noqa: PLC0415
    from envdoctor.render.plan import render_plan  # noqa: PLC0415

    kb = KnowledgeBase()
    wanted = Request.parse(request)
    described = bool(gpu) or driver is not None or target_python is not None
    if described and (facts_file is not None or root is not None):
        raise UsageError("--gpu/--driver/--target-python describe a target; they cannot be "
                         "combined with --facts or --root", hint="use one or the other")
    if described:
        target = Target.describe_args(kb, gpu or [], driver, target_python)
    else:
        target = Target.from_facts(_facts(root=root, facts_file=facts_file, python=python,
                                          timeout=timeout))
    result = Planner(kb).plan(wanted, target, cpu=cpu)
    _emit(render_plan(result, as_json=as_json), None)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def dockerfile(
    framework: Annotated[list[str] | None, typer.Option(
        "--framework", "-f", help="A framework to install, as 'envdoctor plan' takes it "
        "(torch, torch==2.5, tensorflow, jax, cupy, onnxruntime); repeatable.",
        show_default=False)] = None,
    requirements: Annotated[Path | None, typer.Option(
        "--requirements", "-r", help="A pip requirements file to install as well.",
        show_default=False)] = None,
    image_python: Annotated[str | None, typer.Option(
        "--python", help="Python version of the image (default: the target's, else 3.12).",
        show_default=False)] = None,
    gpu: Annotated[list[str] | None, typer.Option(
        "--gpu", help="Build for this GPU model instead of this machine's (repeatable).",
        show_default=False)] = None,
    driver: Annotated[str | None, typer.Option(
        "--driver", help="NVIDIA driver version of the target machine.",
        show_default=False)] = None,
    facts_file: Annotated[Path | None, typer.Option(
        "--facts", help="Build for the machine a snapshot describes.",
        show_default=False)] = None,
    cpu: Annotated[bool, typer.Option("--cpu", help="A CPU-only image.")] = False,
    rocm: Annotated[bool, typer.Option("--rocm", help="An image for AMD GPUs (ROCm).")] = False,
    devel: Annotated[bool, typer.Option(
        "--devel", help="Add a CUDA devel build stage (nvcc), for requirements that compile "
        "CUDA code; chosen automatically for the ones envdoctor knows.")] = False,
    wheelhouse: Annotated[Path | None, typer.Option(
        "--wheelhouse", help="Install offline from this folder of wheels (copied into the "
        "build context; needs --output).", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write Dockerfile, .dockerignore and the requirements into "
        "this folder (created); without it the Dockerfile goes to standard output.",
        show_default=False)] = None,
    tag: Annotated[str, typer.Option("--tag", "-t", help="Image name for the build and run "
                                     "lines (and --build).")] = "envdoctor-app",
    build: Annotated[bool, typer.Option(
        "--build", help="Build the image with the Docker engine (DOCKER_HOST), streaming "
        "its log.")] = False,
    check_file: Annotated[Path | None, typer.Option(
        "--check", help="Instead of writing one: say whether this existing Dockerfile works "
        "on the target.", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --check: findings as "
                                          "JSON.")] = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """A Dockerfile whose CUDA and framework builds match the target's driver and GPUs."""
    from envdoctor.knowledge import KnowledgeBase  # noqa: PLC0415
    from envdoctor.planner import Target  # noqa: PLC0415

    kb = KnowledgeBase()
    described = bool(gpu) or driver is not None
    if described and facts_file is not None:
        raise UsageError("--gpu/--driver describe a target; they cannot be combined with "
                         "--facts", hint="use one or the other")
    host = None
    if described:
        target = Target.describe_args(kb, gpu or [], driver, None)
    else:
        host = _facts(root=None, facts_file=facts_file, python=None, timeout=timeout)
        target = Target.from_facts(host)
    if check_file is not None:
        _check_dockerfile(kb, check_file, target, host, as_json)
        return
    _write_dockerfile(kb, target, host, framework or [], requirements, image_python, cpu,
                      rocm, devel, wheelhouse, output, tag, build)


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="A snapshot JSON, a collect_env report, or 'live' "
                                     "(this machine); '-' reads standard input.",
                                     show_default=False)],
    b: Annotated[str, typer.Argument(help="The other side, in the same forms.",
                                     show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    no_config: Annotated[bool, typer.Option(
        "--no-config", help="Ignore settings files.")] = False,
) -> None:
    """What differs between two machines that matters, and which problems only one has."""
    import json  # noqa: PLC0415

    from envdoctor.diff import compare, render_text, to_jsonable  # noqa: PLC0415
    from envdoctor.doctor import Doctor  # noqa: PLC0415

    if a == "-" and b == "-":
        raise UsageError("only one side can be read from standard input", hint="save one to a "
                         "file, e.g. 'envdoctor snapshot -o a.json'")
    doctor = Doctor(config=_settings(None, no_config, None, None, None))
    facts_a = read_facts_input(a, timeout=timeout)
    facts_b = read_facts_input(b, timeout=timeout)
    result = compare(facts_a, facts_b, doctor.check(facts_a), doctor.check(facts_b),
                     a_label=_side_label(a, facts_a), b_label=_side_label(b, facts_b))
    _emit(json.dumps(to_jsonable(result), indent=2) + "\n" if as_json else render_text(result),
          None)
    raise typer.Exit(0 if result.same else 1)


@app.command()
def knowledge(
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """What the compatibility tables cover, and how current they are."""
    from envdoctor.knowledge import KnowledgeBase  # noqa: PLC0415
    from envdoctor.render.catalog import knowledge_summary, render_knowledge  # noqa: PLC0415

    _emit(render_knowledge(knowledge_summary(KnowledgeBase()), as_json=as_json), None)


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


def _write_dockerfile(kb: KnowledgeBase, target: Target, host: Facts | None,
                      frameworks: list[str], requirements: Path | None, python: str | None,
                      cpu: bool, rocm: bool, devel: bool, wheelhouse: Path | None,
                      output: Path | None, tag: str, build: bool) -> None:
    import shlex  # noqa: PLC0415
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from envdoctor.dockerplan import (  # noqa: PLC0415
        DockerRequest,
        plan_dockerfile,
        render_dockerfile,
        render_dockerignore,
    )

    if wheelhouse is not None and output is None and not build:
        raise UsageError("--wheelhouse copies the wheels into the build context",
                         hint="add --output DIR")
    if wheelhouse is not None and not wheelhouse.is_dir():
        raise UsageError(f"wheelhouse {wheelhouse} is not a folder",
                         hint="make one with 'pip wheel -r requirements.txt -w wheelhouse'")
    if requirements is not None and not requirements.is_file():
        raise UsageError(f"requirements file {requirements} does not exist",
                         hint="give a pip requirements file")
    request = DockerRequest(frameworks=tuple(frameworks), requirements=requirements,
                            python=python, cpu=cpu, rocm=rocm, devel=devel,
                            wheelhouse=wheelhouse, tag=tag)
    plan = plan_dockerfile(kb, target, request, cdi_only=_cdi_only(host))
    text = render_dockerfile(plan, command="envdoctor " + shlex.join(_INVOCATION))
    context = output or (Path(tempfile.mkdtemp(prefix="envdoctor-build-")) if build else None)
    if context is None:
        _emit(text, None)
        for note in plan.notes:
            typer.echo(note, err=True)
        return
    try:
        context.mkdir(parents=True, exist_ok=True)
        (context / "Dockerfile").write_text(text, encoding="utf-8")
        (context / ".dockerignore").write_text(render_dockerignore(), encoding="utf-8")
        if requirements is not None:
            shutil.copyfile(requirements, context / "requirements.txt")
        if wheelhouse is not None:
            shutil.copytree(wheelhouse, context / "wheelhouse", dirs_exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write into {context}: {exc.strerror}",
                         hint="choose a folder you can write to") from None
    typer.echo(f"wrote {context / 'Dockerfile'}" + (" (with requirements.txt)" if requirements
                                                    else ""))
    for note in plan.notes:
        typer.echo(f"Build: docker build -t {tag} {context}" if note.startswith("Build:")
                   else note)
    if build:
        from envdoctor.docker_build import build_image  # noqa: PLC0415

        image = build_image(context, tag=tag, out=sys.stdout)
        typer.echo(f"built {tag} ({image})")


def _cdi_only(host: Facts | None) -> bool:
    """The engine can give GPUs through CDI specs but has no nvidia runtime."""
    if host is None:
        return False
    c = host.containers
    runtimes = set(c.docker_runtimes) | set(c.daemon_json_runtimes)
    return bool(c.cdi_devices) and "nvidia" not in runtimes


def _check_dockerfile(kb: KnowledgeBase, path: Path, target: Target, host: Facts | None,
                      as_json: bool) -> None:
    from envdoctor.dockercheck import facts_for_dockerfile, read_dockerfile  # noqa: PLC0415
    from envdoctor.doctor import Doctor  # noqa: PLC0415
    from envdoctor.render import render  # noqa: PLC0415

    reading = read_dockerfile(path)
    base = host if host is not None else _described_facts(target)
    facts = facts_for_dockerfile(kb, base, reading, str(path))
    report = Doctor(config=_settings(None, False, None, None, None)).check(facts)
    _emit(render(report, OutputFormat.JSON if as_json else OutputFormat.TEXT), None)
    raise typer.Exit(report.exit_code())


def _described_facts(target: Target) -> Facts:
    """Facts of a machine known only by its GPUs and driver (``--gpu``/``--driver``)."""
    from envdoctor.facts import (  # noqa: PLC0415
        Facts,
        NvidiaFacts,
        Origin,
        OriginKind,
        PciGpu,
        RocmFacts,
    )

    # The GPUs are on the bus with the driver bound; whether the driver can drive them
    # (a card newer than the driver) is for the rules to say, so they are not "listed".
    nvidia = [PciGpu(address=f"described-{i}", vendor="nvidia", device_id="", name=g.name,
                     compute_capability=g.compute_capability, driver="nvidia")
              for i, g in enumerate(target.nvidia)]
    amd = [PciGpu(address=f"described-amd-{i}", vendor="amd", device_id="", name=g.name,
                  gfx=g.gfx, driver="amdgpu") for i, g in enumerate(target.amd)]
    return Facts(origin=Origin(kind=OriginKind.REPORT, note="a described target"),
                 nvidia=NvidiaFacts(pci_gpus=nvidia, userspace_version=target.driver,
                                    kernel_module_version=target.driver),
                 rocm=RocmFacts(pci_gpus=amd))


_INVOCATION: list[str] = []
"""The arguments of this run, echoed in generated files so that they can be made again."""


def _container_facts(image: str, *, python: str | None, timeout: float) -> Facts:
    """``check --container``: run the image with every GPU requested (see container_check)."""
    from envdoctor.container_check import check_container, run_with_gpus  # noqa: PLC0415

    run = run_with_gpus(image, progress=sys.stderr)
    return check_container(image, run, lambda: _facts(root=None, facts_file=None,
                                                      python=python, timeout=timeout))


MAX_INPUT_BYTES = 8 * 1024 * 1024
"""Pasted reports are kilobytes and snapshots well under a megabyte or two; refuse more."""


def read_facts_input(spec: str, *, expect: str | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> Facts:
    """Facts from ``live``, ``-`` (standard input) or a file: a snapshot or a report.

    ``expect="report"`` (``check --collect-env``) takes the text as a collect_env report
    even when it is not JSON-looking; otherwise JSON is a snapshot and text a report.
    """
    if spec == "live" and expect is None:
        return _facts(root=None, facts_file=None, python=None, timeout=timeout)
    if spec == "-":
        raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        name = "<stdin>"
    else:
        path = Path(spec)
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist"
            raise UsageError(f"{spec} {what}",
                             hint="give a snapshot JSON ('envdoctor snapshot -o FILE'), a "
                             "collect_env report, 'live' or '-'")
        try:
            with path.open("rb") as f:
                raw = f.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise UsageError(f"cannot read {spec}: {exc.strerror}",
                             hint="check the file's permissions") from None
        name = spec
    if len(raw) > MAX_INPUT_BYTES:
        raise UsageError(f"{name} is over {MAX_INPUT_BYTES >> 20} MiB: not a report or a "
                         "snapshot", hint="give the report text or the snapshot file itself")
    if expect != "report" and raw.lstrip()[:1] == b"{":
        from envdoctor.snapshot import facts_from_bytes  # noqa: PLC0415

        return facts_from_bytes(raw, name, "make one with 'envdoctor snapshot -o FILE'")
    from envdoctor.importers.collect_env import parse_collect_env  # noqa: PLC0415

    return parse_collect_env(raw.decode("utf-8", errors="replace"), path=name)


def _side_label(spec: str, facts: Facts) -> str:
    from envdoctor.render.summary import origin_line  # noqa: PLC0415

    return origin_line(facts) if spec != "-" else f"standard input: {origin_line(facts)}"


def _settings(path: Path | None, no_config: bool, select: list[str] | None,
              ignore: list[str] | None, fail_on: str | None) -> Config:
    from envdoctor.config import Config, load_config  # noqa: PLC0415
    from envdoctor.rules import all_rules  # noqa: PLC0415

    known = {r.code: r.name for r in all_rules()}
    if no_config and path is not None:
        raise UsageError("--config and --no-config cannot be used together",
                         hint="drop one of them")
    base = Config() if no_config else load_config(path=path, known=known)
    return base.with_options(select=_split(select), ignore=_split(ignore), fail_on=fail_on,
                             known=known)


def _split(values: list[str] | None) -> list[str]:
    """``--ignore A,B --ignore C`` → ``[A, B, C]``."""
    return [v for value in values or [] for v in value.split(",") if v.strip()]


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
    _INVOCATION[:] = args
    verbose = any(a in ("-v", "--verbose") for a in args)
    try:
        result = _app_for(args)(args=args, prog_name="envdoctor", standalone_mode=False)
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


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command being run, when that is clear from ``args``.

    Typer turns every registered command into a Click command on each run (about a
    millisecond each); ``check`` is meant to take a tenth of a second, so it should not
    pay for ``plan`` and the rest. Help and unknown commands get the full app.
    """
    wanted = next((a for a in args if not a.startswith("-")), None)
    if wanted == "cloud":
        light = typer.Typer(**_APP_SETTINGS)
        light.registered_callback = app.registered_callback
        light.add_typer(_cloud_app(), name="cloud")
        return light
    if wanted is None and any(a in ("--version",) for a in args):
        return app  # nothing to list: do not load the cloud commands
    for info in app.registered_commands:
        if info.callback is not None and wanted == (info.name or info.callback.__name__):
            light = typer.Typer(**_APP_SETTINGS)
            light.registered_callback = app.registered_callback
            light.registered_commands.append(info)
            return light
    if not any(g.name == "cloud" for g in app.registered_groups):
        app.add_typer(_cloud_app(), name="cloud")  # the full help lists it
    return app


def _cloud_app() -> typer.Typer:
    from envdoctor.cloud.cli import app as cloud_app  # noqa: PLC0415 - only for `cloud`

    return cloud_app


def _command_of(args: list[str]) -> str:
    for a in args:
        if not a.startswith("-"):
            return f"{a} " if a in _command_names() else ""
    return ""


def _command_names() -> set[str]:
    return {c.name or c.callback.__name__ for c in app.registered_commands if c.callback} | {
        "cloud"}


def _fail(message: str, hint: str | None) -> None:
    typer.echo(f"error: {message}", err=True)
    if hint:
        typer.echo(f"hint: {hint}", err=True)
