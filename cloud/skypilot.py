"""A checked box plan as a SkyPilot task YAML (``cloud plan … --export skypilot``).

The task asks for the plan's instance type (and its GPUs under SkyPilot's accelerator
name), spot or on-demand, a 256 GB disk and, on Azure, the plan's image; its ``setup``
runs the installs of the first-boot user data and its ``run`` is ``envdoctor check``.

Schema: SkyPilot's ``docs/source/reference/yaml-spec.rst`` (skypilot-org/skypilot):
``resources.infra`` (``cloud[/region]``), ``accelerators`` (a one-entry mapping is
allowed), ``instance_type``, ``use_spot``, ``disk_size``, ``image_id``, ``labels`` and
``autostop`` (``idle_minutes`` + ``down``, added by skypilot-org/skypilot#5577). Both
``infra`` and ``resources.autostop`` need SkyPilot 0.10 or newer; with an older one, spell
``infra`` as ``cloud:``/``region:``, drop ``autostop`` and launch with
``sky launch --down -i 30 sky.yaml``.

``image_id``: SkyPilot takes a marketplace URN on Azure (``publisher:offer:sku:version``,
``latest`` included: ``sky/clouds/azure.py`` resolves it), but on AWS only an AMI id (per
region) or its own ``skypilot:`` tags: not the SSM parameter the plan's image is known by.
The AWS task therefore leaves the image to SkyPilot's default GPU image, whose driver the
pre-flight check did not judge; the task's ``envdoctor check`` judges the real one.

The document is built as a dict and written by a small emitter (strings double-quoted,
scripts as literal blocks), so the output does not depend on whether PyYAML is installed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envdoctor.cloud.plan import BoxPlan, Instance

DISK_GB = 256
AUTOSTOP_IDLE_MINUTES = 30
"""Idle minutes (no job, no SSH session) before SkyPilot tears the cluster down."""

# The plan's GPU (name, memory GiB) → SkyPilot's accelerator name, where it is sure; other
# GPUs are left to SkyPilot, which reads them from the instance type in its catalogue.
_ACCELERATORS: dict[tuple[str, float | None], str] = {
    ("K80", None): "K80", ("M60", None): "M60", ("T4", None): "T4", ("T4G", None): "T4g",
    ("A10", None): "A10", ("A10G", None): "A10G", ("L4", None): "L4", ("L40S", None): "L40S",
    ("V100", 16.0): "V100", ("V100", 32.0): "V100-32GB", ("A100 40GB", None): "A100",
    ("A100 80GB", None): "A100-80GB", ("H100", 80.0): "H100", ("H200", None): "H200",
    ("B200", None): "B200",
}


def accelerator(instance: Instance) -> str | None:
    """SkyPilot's name for the instance's GPU, when known for certain."""
    return (_ACCELERATORS.get((instance.gpu, instance.gpu_memory_gib))
            or _ACCELERATORS.get((instance.gpu, None)))


def build_task(box: BoxPlan) -> dict[str, Any]:
    """The SkyPilot task as plain data."""
    from envdoctor import __version__  # noqa: PLC0415

    i = box.instance
    resources: dict[str, Any] = {
        "infra": f"{i.provider}/{box.needs.region}" if box.needs.region else i.provider,
        "instance_type": i.type,
    }
    name = accelerator(i)
    if name:
        resources["accelerators"] = {name: i.gpu_count}
    resources["use_spot"] = box.needs.spot
    resources["disk_size"] = DISK_GB
    if i.provider == "azure" and box.image.urn:
        resources["image_id"] = box.image.urn
    resources["autostop"] = {"idle_minutes": AUTOSTOP_IDLE_MINUTES, "down": True}
    # SkyPilot, not envdoctor, creates and removes these nodes: they must not carry
    # managed-by=envdoctor, or `envdoctor cloud down --all` would terminate them.
    resources["labels"] = {k: v for k, v in box.tags.items() if k != "managed-by"} | {
        "created-with": "envdoctor-plan"}
    minutes = max(1, round(box.needs.max_hours * 60))
    setup = [
        "set -e",
        "# The wall-clock guard of the plan (--max-hours): stop the machine at its expiry.",
        f'sudo shutdown -h +{minutes} "envdoctor: this box\'s time is up '
        f'({box.expires_at})" || true',
        f"pip install --quiet 'envdoctor=={__version__}'",
        *(f"pip install --quiet {c.pip.removeprefix('pip install ')}" for c in box.choices),
    ]
    slug = re.sub(r"[^a-z0-9]+", "-", i.type.lower()).strip("-")
    return {"name": f"envdoctor-{slug}", "resources": resources,
            "setup": "\n".join(setup) + "\n", "run": "envdoctor check"}


def render_task(box: BoxPlan) -> str:
    """The SkyPilot task YAML, with the comments that explain the cost guard."""
    from envdoctor import __version__  # noqa: PLC0415

    i = box.instance
    image = (f"# Image: {box.image.urn} (the plan's)." if i.provider == "azure"
             else f"# Image: SkyPilot's default GPU image. The plan's image is the SSM parameter\n"
                  f"#   {box.image.ssm_parameter or box.image.name}; SkyPilot takes an AMI "
                  f"id, so to use it set\n"
                  f"#   image_id: {{REGION: $(aws ssm get-parameter --name PARAMETER "
                  f"--query Parameter.Value)}}.")
    header = [
        f"# SkyPilot task written by envdoctor {__version__} for {i.provider} {i.type} "
        f"({i.gpu_count}x {i.gpu}).",
        "# Launch: sky launch -c envdoctor sky.yaml    (needs SkyPilot 0.10 or newer)",
        f"# Cost guard: resources.autostop tears the cluster down after "
        f"{AUTOSTOP_IDLE_MINUTES} idle minutes;",
        f"#   older SkyPilot: drop `autostop` and run sky launch --down "
        f"-i {AUTOSTOP_IDLE_MINUTES} sky.yaml.",
        f"#   setup also schedules `shutdown -h` at the plan's expiry ({box.expires_at});"
        " on Azure",
        "#   that stops the VM without deallocating it, so autodown or `sky down` ends the "
        "bill.",
        image,
    ]
    return "\n".join(header) + "\n" + "\n".join(dump_yaml(build_task(box))) + "\n"


# --------------------------------------------------------------------------- YAML

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_YAML11_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}
"""Plain words YAML 1.1 (PyYAML) reads as null or booleans: such keys are quoted."""


def dump_yaml(value: Any, indent: int = 0) -> list[str]:  # noqa: ANN401
    """YAML lines for mappings and lists of strings, integers, booleans and None."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            plain = _PLAIN_KEY.match(str(key)) and str(key).lower() not in _YAML11_WORDS
            label = key if plain else quote(str(key))
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{label}:")
                lines += dump_yaml(item, indent + 2)
            else:
                lines += _scalar_lines(f"{pad}{label}:", item, indent)
        return lines
    if isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                sub = dump_yaml(item, indent + 2)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines += sub[1:]
            else:
                lines += _scalar_lines(f"{pad}-", item, indent)
        return lines
    return _scalar_lines("", value, indent)


def _scalar_lines(prefix: str, value: Any, indent: int) -> list[str]:  # noqa: ANN401
    """``prefix value``, or a literal block for a multi-line script."""
    if (isinstance(value, str) and "\n" in value.rstrip("\n") and not value.endswith("\n\n")
            and all(" " <= c <= "~" or c == "\n" for c in value)
            and not any(line[:1] == " " for line in value.split("\n"))):
        keep = value.endswith("\n")
        inner = " " * (indent + 2)
        body = value[:-1] if keep else value
        return [f"{prefix} |{'' if keep else '-'}"] + [f"{inner}{line}" if line else ""
                                                    for line in body.split("\n")]
    return [f"{prefix} {_scalar(value)}" if prefix else _scalar(value)]


def _scalar(value: Any) -> str:  # noqa: ANN401
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return quote(str(value))


def quote(text: str) -> str:
    """A YAML double-quoted scalar: printable ASCII as is, everything else escaped."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\"\\":
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'
