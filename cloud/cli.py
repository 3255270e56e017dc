"""``envdoctor cloud``: the GPU catalogue, plans with a pre-flight check, and the box's life.

A Typer sub-application registered by ``envdoctor.cli`` only when ``cloud`` is the
command. Provider SDKs (boto3, the Azure SDK) are imported inside the commands that call
a cloud, so ``envdoctor cloud --help``, ``cloud gpus`` and ``cloud plan`` never load them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envdoctor.errors import UsageError

if TYPE_CHECKING:
    from envdoctor.cloud import aws as aws_types
    from envdoctor.cloud.plan import BoxPlan, Needs, SelfCheck

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


# --------------------------------------------------------------------------- the box's life
# boto3 is imported (through envdoctor.cloud.aws) inside these commands only.

ProfileOption = Annotated[str | None, typer.Option(
    "--profile", help="AWS profile (default: AWS_PROFILE, else the default profile).",
    show_default=False)]
KeyDirOption = Annotated[Path | None, typer.Option(
    "--key-dir", help="Folder of the private keys envdoctor made (default: ~/.ssh).",
    show_default=False)]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@app.command()
def launch(
    provider: ProviderArg,
    gpu: GpuOption = None,
    gpu_memory: MemoryOption = None,
    count: CountOption = 1,
    framework: FrameworkOption = None,
    region: RegionOption = None,
    spot: SpotOption = False,
    max_hours: HoursOption = 4.0,
    instance_type: TypeOption = None,
    profile: ProfileOption = None,
    ami: Annotated[str | None, typer.Option(
        "--ami", help="Use this image instead of the planned one (envdoctor then cannot "
        "check its driver).", show_default=False)] = None,
    ssh_cidr: Annotated[str | None, typer.Option(
        "--ssh-cidr", help="Open SSH to this network only (default: this machine's public "
        "address, /32).", show_default=False)] = None,
    key_name: Annotated[str | None, typer.Option(
        "--key-name", help="An existing EC2 key pair for SSH.", show_default=False)] = None,
    create_key: Annotated[bool, typer.Option(
        "--create-key", help="Create a key pair; its private key goes to "
        "KEY_DIR/envdoctor-ID.pem (mode 0600).")] = False,
    key_dir: KeyDirOption = None,
    subnet: Annotated[str | None, typer.Option(
        "--subnet", help="Subnet to start in (default: the default VPC).",
        show_default=False)] = None,
    resource_group: Annotated[str | None, typer.Option(
        "--resource-group", help="Azure: the resource group to deploy into (created, "
        "tagged, when missing).", show_default=False)] = None,
    ssh_key: Annotated[Path | None, typer.Option(
        "--ssh-key", help="Azure: the SSH public key for azureuser (default: "
        "~/.ssh/id_ed25519.pub, else ~/.ssh/id_rsa.pub).", show_default=False)] = None,
    disk_gib: Annotated[int, typer.Option(
        "--disk-gib", min=8, max=16384, help="Root volume size (gp3, encrypted).")] = 200,
    yes: YesOption = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Launch even when the pre-flight check blocks the plan.")] = False,
) -> None:
    """Plan, check and start a GPU box that checks itself on first boot and stops itself."""
    from envdoctor.cloud.plan import plan_box  # noqa: PLC0415
    from envdoctor.knowledge import KnowledgeBase  # noqa: PLC0415

    needs = _needs(provider, gpu, gpu_memory, count, framework, region, spot, max_hours,
                   instance_type)
    box = plan_box(KnowledgeBase(), needs, image_given=bool(ami))
    if box.blocked and not force and not ami:
        _refuse_blocked(box)
    if needs.provider == "azure":
        from envdoctor.cloud import azure  # noqa: PLC0415

        resource_id = azure.launch(box, resource_group=resource_group, location=region,
                                   ssh_public_key=str(ssh_key) if ssh_key else None,
                                   ssh_cidr=ssh_cidr, yes=yes, force=force)
        if resource_id:
            typer.echo(f"launched {resource_id}")
        return
    if key_name and create_key:
        raise UsageError("--key-name and --create-key cannot be used together",
                         hint="use an existing key pair (--key-name) or a new one "
                         "(--create-key)")
    if not key_name and not create_key:
        raise UsageError("the box needs a key pair for SSH",
                         hint="pass --create-key (a new key, saved under ~/.ssh with mode "
                         "0600) or --key-name NAME (an existing EC2 key pair)")
    from envdoctor.cloud import aws  # noqa: PLC0415

    session = aws.connect(region, profile)
    cidr = aws.caller_cidr(ssh_cidr)
    prepared = aws.prepare(session, box, aws.LaunchOptions(
        ssh_cidr=cidr, key_name=key_name, create_key=create_key, key_dir=key_dir, ami=ami,
        subnet=subnet, disk_gib=disk_gib))
    box = prepared.box
    typer.echo(render_plan(box) + "\n" + prepared.summary())
    if box.blocked and not force:
        _refuse_blocked(box, shown=True)
    if not yes:
        typer.confirm(f"Launch {box.instance.type} in {session.region} for {box.hourly}?",
                      abort=True)
    result = aws.launch(session, prepared, typer.echo)
    b = result.box
    address = b.public_ip or b.public_dns or "no public address yet"
    typer.echo(f"\n{b.id} is {b.state} ({address}); it stops itself at {box.expires_at}.")
    if result.spot_fallback:
        typer.echo(f"on-demand, because spot was refused: {result.spot_fallback}")
    region_flag = f" --region {session.region}"
    key_flag = f" --key-dir {key_dir}" if key_dir else ""
    typer.echo("Next:\n"
               f"  envdoctor cloud status {b.id}{region_flag}   (state and the first-boot "
               "self-check)\n"
               f"  envdoctor cloud ssh {b.id}{region_flag}{key_flag}\n"
               f"  envdoctor cloud down {b.id}{region_flag}{key_flag}")


def _refuse_blocked(box: BoxPlan, *, shown: bool = False) -> None:
    if not shown:
        typer.echo(render_plan(box))
    typer.echo("Not launched: the pre-flight check blocks this plan (--force launches it "
               "anyway).", err=True)
    raise typer.Exit(1)


def _aws_only(provider: str, command: str) -> None:
    if provider.lower() != "aws":
        raise UsageError(f"cloud {command} covers AWS only so far",
                         hint="for Azure: az resource list --tag managed-by=envdoctor -o table")


@app.command("ls")
def list_(
    provider: Annotated[str, typer.Option("--provider", help="aws.")] = "aws",
    region: RegionOption = None,
    profile: ProfileOption = None,
    as_json: JsonOption = False,
) -> None:
    """The boxes envdoctor launched (tagged managed-by=envdoctor) and still exist."""
    _aws_only(provider, "ls")
    from envdoctor.cloud import aws  # noqa: PLC0415

    session = aws.connect(region, profile)
    boxes = aws.list_boxes(session)
    if as_json:
        typer.echo(json.dumps([_box_dict(b) for b in boxes], indent=2))
        return
    if not boxes:
        typer.echo(f"No envdoctor boxes in {session.region}.")
        return
    lines = [f"{'instance':<20} {'state':<13} {'type':<16} {'public IP':<16} "
             f"{'expires at':<21} owner"]
    for b in boxes:
        expiry = (b.expires_at or "?") + (" OVERDUE" if b.overdue else "")
        lines.append(f"{b.id:<20} {b.state:<13} {b.type:<16} {b.public_ip or '-':<16} "
                     f"{expiry:<21} {b.tags.get('owner', '?')}")
    typer.echo("\n".join(lines))
    if any(b.overdue for b in boxes):
        typer.echo("OVERDUE: still running after its expiry (the first-boot shutdown did not "
                   "run); 'envdoctor cloud down ID' ends it.", err=True)


@app.command()
def status(
    instance_id: Annotated[str, typer.Argument(help="Instance id (i-…).", show_default=False)],
    region: RegionOption = None,
    profile: ProfileOption = None,
    as_json: JsonOption = False,
) -> None:
    """A box's state, address and the result of its first-boot self-check."""
    from envdoctor.cloud import aws  # noqa: PLC0415

    session = aws.connect(region, profile)
    box = aws.get_box(session, instance_id)
    check, had_output = aws.console_self_check(session, box.id)
    if as_json:
        typer.echo(json.dumps({**_box_dict(box), "self_check": {
            "finished": check.finished, "exit_code": check.exit_code, "note": check.note,
            "report": check.report}}, indent=2))
        return
    typer.echo(render_status(box, check, had_output))


def render_status(box: aws_types.Box, check: SelfCheck, had_output: bool) -> str:
    """A box and its self-check for a person."""
    from envdoctor.cloud.plan import sorted_findings  # noqa: PLC0415

    lines = [f"{box.id} · {box.type} · {box.state} ({box.lifecycle}) · {box.region}"]
    if not box.managed:
        lines.append("  not launched by envdoctor (no managed-by=envdoctor tag)")
    if box.public_ip or box.public_dns:
        lines.append(f"  address   {box.public_ip or ''} {box.public_dns or ''}".rstrip())
    if box.launched:
        lines.append(f"  launched  {box.launched.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}")
    if box.expires_at:
        lines.append(f"  expires   {box.expires_at}" + ("  OVERDUE: still running after its "
                                                        "expiry" if box.overdue else ""))
    if box.tags.get("owner"):
        lines.append(f"  owner     {box.tags['owner']}")
    if box.state_reason and box.state != "running":
        lines.append(f"  reason    {box.state_reason}")
    if not check.finished:
        note = check.note if had_output else "no console output yet (it appears a few " \
            "minutes after boot)"
        lines.append(f"Self-check: {note}")
    elif check.report is None:
        lines.append(f"Self-check: finished with exit {check.exit_code}, but {check.note}")
    else:
        findings = sorted_findings(check.report)
        verdict = {0: "no errors", 1: "errors found"}.get(check.exit_code or 0,
                                                          "envdoctor could not run")
        lines.append(f"Self-check: exit {check.exit_code} ({verdict}), "
                     f"{len(findings)} finding{'s' if len(findings) != 1 else ''}")
        lines += [f"  {f}" for f in findings]
    return "\n".join(lines)


@app.command()
def ssh(
    instance_id: Annotated[str, typer.Argument(help="Instance id (i-…).", show_default=False)],
    region: RegionOption = None,
    profile: ProfileOption = None,
    key_dir: KeyDirOption = None,
) -> None:
    """Print the ssh command for a box (run it, or use it in $(…))."""
    from envdoctor.cloud import aws  # noqa: PLC0415

    session = aws.connect(region, profile)
    box = aws.get_box(session, instance_id)
    command, notes = aws.ssh_command(session, box, key_dir)
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(command)


@app.command()
def down(
    instance_ids: Annotated[list[str] | None, typer.Argument(
        help="Instance ids (i-…).", show_default=False)] = None,
    everything: Annotated[bool, typer.Option(
        "--all", help="Every envdoctor box in the region, and the security groups and key "
        "pairs envdoctor left behind.")] = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
    key_dir: KeyDirOption = None,
    yes: YesOption = False,
) -> None:
    """Terminate envdoctor's boxes, then delete their security groups and key pairs."""
    if bool(instance_ids) == everything:
        raise UsageError("name the boxes to remove, or pass --all (not both)",
                         hint="'envdoctor cloud ls' lists them")
    from envdoctor.cloud import aws  # noqa: PLC0415

    session = aws.connect(region, profile)
    boxes = aws.select_for_down(session, instance_ids or [], everything)
    live = [b for b in boxes if b.state != "terminated"]
    if not live:
        typer.echo(f"No envdoctor boxes to terminate in {session.region}.")
    elif not yes:
        typer.echo("\n".join(f"  {b.id} {b.type} {b.state} (owner {b.tags.get('owner', '?')})"
                             for b in live))
        typer.confirm(f"Terminate {len(live)} instance{'s' if len(live) != 1 else ''} in "
                      f"{session.region}?", abort=True)
    report = aws.tear_down(session, boxes, sweep=everything, key_dir=key_dir, echo=typer.echo)
    for item in report.deleted:
        typer.echo(f"deleted {item}")
    for item in report.kept:
        typer.echo(f"kept {item}")
    if report.still_stopping:
        typer.echo(f"still shutting down: {', '.join(report.still_stopping)}; 'envdoctor "
                   "cloud down --all' later removes their security groups and key pairs.")
    if report.terminated:
        typer.echo(f"terminated {', '.join(report.terminated)}")


def _box_dict(box: aws_types.Box) -> dict[str, object]:
    return {"id": box.id, "state": box.state, "type": box.type, "region": box.region,
            "public_ip": box.public_ip, "public_dns": box.public_dns,
            "lifecycle": box.lifecycle, "expires_at": box.expires_at,
            "overdue": box.overdue, "owner": box.tags.get("owner"), "managed": box.managed,
            "tags": box.tags,
            "launched": box.launched.isoformat() if box.launched else None}
