"""``envdoctor cloud``: the GPU catalogue, plans with a pre-flight check, and the box's life.

A Typer sub-application registered by ``envdoctor.cli`` only when ``cloud`` is the
command. Provider SDKs (boto3, the Azure SDK) are imported inside the commands that call
a cloud, so ``envdoctor cloud --help``, ``cloud gpus`` and ``cloud plan`` never load them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envdoctor.errors import UsageError

if TYPE_CHECKING:
    from envdoctor.cloud.plan import BoxPlan, Needs

app = typer.Typer(
    name="cloud", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
    help="Pick, check, launch, list and remove AWS or Azure GPU boxes (each stops itself).")

ProviderArg = Annotated[str, typer.Argument(help="aws or azure.", show_default=False)]
GpuOption = Annotated[str | None, typer.Option(
    "--gpu", help="GPU model (A10G, L4, A100, H100, MI300X…).", show_default=False)]
MemoryOption = Annotated[float | None, typer.Option(
    "--gpu-memory", "--min-gpu-memory", help="Least memory per GPU, GiB.",
    show_default=False)]
CountOption = Annotated[int, typer.Option("--count", min=1, help="Least number of GPUs.")]
JsonOption = Annotated[bool, typer.Option("--json", help="As JSON.")]


@app.command()
def gpus(
    provider: Annotated[str | None, typer.Option(
        "--provider", help="aws or azure (default: both).", show_default=False)] = None,
    gpu: GpuOption = None,
    gpu_memory: MemoryOption = None,
    count: CountOption = 1,
    as_json: JsonOption = False,
) -> None:
    """The GPU instance types envdoctor knows, cheapest first, with prices and dates."""
    from envdoctor.cloud.plan import PROVIDERS, Needs, matching  # noqa: PLC0415
    from envdoctor.knowledge import KnowledgeBase  # noqa: PLC0415

    kb = KnowledgeBase()
    found = []
    for name in [provider] if provider else list(PROVIDERS):
        found += matching(kb, Needs(provider=name, gpu=gpu, gpu_memory=gpu_memory,
                                    count=count))
    found.sort(key=lambda i: (i.price_usd_hour is None, i.price_usd_hour or 0, i.type))
    if as_json:
        typer.echo(json.dumps([i.__dict__ for i in found], indent=2))
        return
    if not found:
        raise UsageError("no instance type matches", hint="loosen --gpu/--gpu-memory/--count")
    header = (f"{'provider':<8} {'instance type':<30} {'GPUs':<16} {'GPU mem':>8} {'vCPU':>5} "
              f"{'RAM':>6} {'arch':<7} {'$/hour':>8}  price as of")
    lines = [header]
    for i in found:
        price = f"{i.price_usd_hour:.3f}" if i.price_usd_hour is not None else "?"
        lines.append(f"{i.provider:<8} {i.type:<30} {f'{i.gpu_count}× {i.gpu}':<16} "
                     f"{i.gpu_memory_gib:>6g}Gi {i.vcpus or '?':>5} "
                     f"{(f'{i.memory_gib:g}Gi' if i.memory_gib else '?'):>6} {i.arch:<7} "
                     f"{price:>8}  {i.price_as_of or ''} {i.price_region or ''}".rstrip())
    typer.echo("\n".join(lines))


def _needs(provider: str, gpu: str | None, gpu_memory: float | None, count: int,
           framework: list[str] | None, region: str | None, spot: bool, max_hours: float,
           instance_type: str | None) -> Needs:
    from envdoctor.cloud.plan import Needs  # noqa: PLC0415

    owner = os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"
    return Needs(provider=provider.lower(), gpu=gpu, gpu_memory=gpu_memory, count=count,
                 frameworks=tuple(framework or ()), region=region, spot=spot,
                 max_hours=max_hours, instance_type=instance_type,
                 owner=owner)


FrameworkOption = Annotated[list[str] | None, typer.Option(
    "--framework", "-f", help="What the box runs (torch, torch==2.5, tensorflow, jax); "
    "repeatable.", show_default=False)]
RegionOption = Annotated[str | None, typer.Option(
    "--region", help="Region (default: the provider's configured one).", show_default=False)]
SpotOption = Annotated[bool, typer.Option("--spot", help="Ask for spot capacity, falling back "
                                          "to on-demand.")]
HoursOption = Annotated[float, typer.Option(
    "--max-hours", help="The box stops itself after this many hours (cost guard).")]
TypeOption = Annotated[str | None, typer.Option(
    "--instance-type", help="Use this instance type (still checked).", show_default=False)]


@app.command()
def plan(
    provider: ProviderArg,
    gpu: GpuOption = None,
    gpu_memory: MemoryOption = None,
    count: CountOption = 1,
    framework: FrameworkOption = None,
    region: RegionOption = None,
    spot: SpotOption = False,
    max_hours: HoursOption = 4.0,
    instance_type: TypeOption = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the rendered setup into this folder (user data; for "
        "Azure the ARM template, parameters and the az command).", show_default=False)] = None,
    export: Annotated[str | None, typer.Option(
        "--export", help="Also write the plan for another tool: skypilot.",
        show_default=False)] = None,
    as_json: JsonOption = False,
) -> None:
    """Choose the instance and image, check the whole chain, and render the setup."""
    from envdoctor.cloud.plan import plan_box  # noqa: PLC0415
    from envdoctor.knowledge import KnowledgeBase  # noqa: PLC0415

    if export not in (None, "skypilot"):
        raise UsageError(f"unknown export format {export!r}", hint="--export skypilot")
    needs = _needs(provider, gpu, gpu_memory, count, framework, region, spot, max_hours,
                   instance_type)
    box = plan_box(KnowledgeBase(), needs)
    if output is not None:
        write_setup(box, output, export=export)
    typer.echo(json.dumps(plan_to_dict(box), indent=2) if as_json else render_plan(box))
    raise typer.Exit(1 if box.blocked else 0)


def write_setup(box: BoxPlan, folder: Path, *, export: str | None = None) -> list[Path]:
    """Write the rendered files of a plan into ``folder``."""
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "user-data.yaml"
        path.write_text(box.user_data, encoding="utf-8")
        written.append(path)
        if box.needs.provider == "azure":
            from envdoctor.cloud import azure  # noqa: PLC0415

            written += azure.write_deployment(box, folder)
        if export == "skypilot":
            from envdoctor.cloud import skypilot  # noqa: PLC0415

            path = folder / "sky.yaml"
            path.write_text(skypilot.render_task(box), encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise UsageError(f"cannot write into {folder}: {exc.strerror}",
                         hint="choose a folder you can write to") from None
    return written


def render_plan(box: BoxPlan) -> str:
    """The plan for a person: choice, reasons, pre-flight findings, price, guard."""
    i, image = box.instance, box.image
    lines = [f"{i.provider} {i.type}: {i.gpu_count}× {i.gpu} ({i.gpu_memory_gib:g} GiB each)"
             + (f", {i.vcpus} vCPU" if i.vcpus else "")
             + (f", {i.memory_gib:g} GiB RAM" if i.memory_gib else ""),
             f"image: {image.name}" + (f" · NVIDIA driver {image.driver}" if image.driver
                                       else "")
             + (f" · {image.ssm_parameter or image.urn}" if image.ssm_parameter or image.urn
                else ""),
             f"price: {box.hourly}",
             f"cost guard: the box stops itself at {box.expires_at} "
             f"(--max-hours {box.needs.max_hours:g})", ""]
    if box.choices:
        lines.append("Installs on first boot:")
        lines += [f"  {c.pip}" for c in box.choices]
        lines.append("")
    lines.append("Why:")
    lines += [f"  - {r}" for r in box.reasons]
    if box.rejected:
        lines.append("Passed over:")
        lines += [f"  - {r}" for r in box.rejected]
    lines.append("")
    if box.findings:
        lines.append("Pre-flight check (what `envdoctor check` would say on the box):")
        for f in box.findings:
            lines.append(f"  {f.severity.value.upper():<8}{f.code} {f.message}")
            lines += [f"          fix: {c}" for c in f.fix[:2]]
    else:
        lines.append("Pre-flight check: no problems.")
    if box.blocked:
        lines.append("")
        lines.append("Blocked: launching this would start a box that cannot run the work.")
    return "\n".join(lines) + "\n"


def plan_to_dict(box: BoxPlan) -> dict[str, object]:
    """The plan as JSON values."""
    from envdoctor._serde import to_jsonable  # noqa: PLC0415

    return {
        "provider": box.instance.provider, "instance": box.instance.__dict__,
        "image": box.image.__dict__, "installs": [c.pip for c in box.choices],
        "findings": [to_jsonable(f) for f in box.findings], "blocked": box.blocked,
        "expires_at": box.expires_at, "tags": box.tags, "price": box.hourly,
        "reasons": list(box.reasons), "rejected": list(box.rejected),
    }
