"""Choosing a cloud GPU box, checking it before paying for it, and its first-boot setup.

``plan_box`` turns what the work needs (GPU model or memory, count, frameworks, region,
budget guard) into a frozen :class:`BoxPlan`: the cheapest instance type in the knowledge
base that fits, the GPU image for it (whose NVIDIA driver the table records), the
framework builds the planner chooses for that GPU and driver, and the **pre-flight
check**: the same rules as ``envdoctor check`` run on a synthetic machine (the instance's
GPUs, the image's driver, the planned builds). A plan with an error finding is blocked
before anything is created. The first-boot setup (cloud-init user data) and the tags are
rendered here too; nothing in this module talks to a cloud.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from envdoctor._util import version_tuple
from envdoctor.errors import UsageError

if TYPE_CHECKING:
    from envdoctor.facts import Facts, FrameworkFacts
    from envdoctor.knowledge import KnowledgeBase
    from envdoctor.planner import Choice, Target
    from envdoctor.report import Finding

PROVIDERS = ("aws", "azure")
# OS → (Python version, interpreter, packages the first boot installs for it). Ubuntu
# splits venv and pip out of python3; Amazon Linux 2023's python3 is 3.9, too old for
# current frameworks, so its python3.11 is installed.
_OS_PYTHON: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ubuntu22.04": ("3.10", "python3", ("python3-venv", "python3-pip")),
    "ubuntu24.04": ("3.12", "python3", ("python3-venv", "python3-pip")),
    "amazonlinux2023": ("3.11", "python3.11", ("python3.11", "python3.11-pip")),
}
MANAGED_BY = "envdoctor"
"""Value of the ``managed-by`` tag on everything envdoctor creates (and the only thing
``cloud ls`` and ``cloud down`` will look at or touch)."""
DEFAULT_MAX_HOURS = 4.0
MARKER = "ENVDOCTOR-CHECK"
"""First-boot self-check lines on the serial console: ``ENVDOCTOR-CHECK-BEGIN``, the base64
of ``envdoctor check --json``, ``ENVDOCTOR-CHECK-END exit=N``."""


@dataclass(frozen=True)
class Needs:
    """What the work needs, from the command line."""

    provider: str
    gpu: str | None = None
    """GPU model (``A10G``, ``H100``); any GPU when None."""
    gpu_memory: float | None = None
    """Least memory per GPU, GiB."""
    count: int = 1
    """Least number of GPUs."""
    frameworks: tuple[str, ...] = ()
    region: str | None = None
    spot: bool = False
    max_hours: float = DEFAULT_MAX_HOURS
    instance_type: str | None = None
    """An explicit instance type (skips the choice, keeps the checks)."""
    owner: str = "unknown"


@dataclass(frozen=True)
class Instance:
    """An instance type from the knowledge base."""

    provider: str
    type: str
    gpu: str
    gpu_count: int
    gpu_memory_gib: float
    vcpus: int | None
    memory_gib: float | None
    arch: str
    price_usd_hour: float | None
    price_region: str | None
    price_as_of: str | None
    compute_capability: str | None
    gfx: str | None
    notes: str = ""

    @property
    def retired(self) -> bool:
        """The provider retired the size (kept so that old plans still read)."""
        return self.notes.startswith("Retired")

    @property
    def graphics_only(self) -> bool:
        """A GPU slice, or a size that needs NVIDIA's GRID (graphics) driver.

        Not for CUDA work unless asked for by name.
        """
        return "GRID driver" in self.notes or self.notes.startswith("Partial GPU")

    @property
    def vendor(self) -> str:
        """``nvidia`` or ``amd``."""
        return "amd" if self.gfx else "nvidia"


@dataclass(frozen=True)
class Image:
    """A GPU image from the knowledge base."""

    provider: str
    name: str
    os: str
    arch: str
    driver: str | None
    cuda: str | None
    ssm_parameter: str | None = None
    name_pattern: str | None = None
    urn: str | None = None
    release: str | None = None

    @property
    def python(self) -> str:
        """The Python the first-boot setup uses (the OS's; Amazon Linux's is too old)."""
        return _OS_PYTHON.get(self.os, ("3.10", "python3", ()))[0]

    @property
    def user(self) -> str:
        """The login the image creates for the SSH key."""
        if self.provider == "azure":
            return "azureuser"
        return "ec2-user" if self.os.startswith("amazonlinux") else "ubuntu"


@dataclass(frozen=True)
class BoxPlan:
    """Everything ``cloud launch`` needs, decided and checked before anything exists."""

    needs: Needs
    instance: Instance
    image: Image
    choices: tuple[Choice, ...]
    findings: tuple[Finding, ...]
    user_data: str
    expires_at: str
    """ISO 8601 UTC time at which the box stops itself (also its ``expires-at`` tag)."""
    tags: dict[str, str] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        """The pre-flight check found an error: launching would waste money."""
        return any(f.severity.value == "error" for f in self.findings)

    @property
    def hourly(self) -> str:
        """The price line for the confirmation prompt."""
        i = self.instance
        if i.price_usd_hour is None:
            return "price not known to envdoctor (check the provider's pricing page)"
        spot = " on-demand (spot is usually cheaper)" if self.needs.spot else ""
        return (f"${i.price_usd_hour:.3f}/hour{spot} ({i.price_region}, as of "
                f"{i.price_as_of}); at most ${i.price_usd_hour * self.needs.max_hours:.2f} "
                f"before the {self.needs.max_hours:g}-hour guard stops it")


# --------------------------------------------------------------------------- catalogue


def instances(kb: KnowledgeBase, provider: str | None = None) -> list[Instance]:
    """Every instance type the knowledge base knows (of one provider)."""
    out = []
    for row in kb.table("cloud")["instances"]:
        if provider and row["provider"] != provider:
            continue
        gpu = kb.gpu(row["gpu"]) or {}
        out.append(Instance(
            provider=row["provider"], type=row["type"], gpu=gpu.get("name", row["gpu"]),
            gpu_count=int(row["gpu_count"]), gpu_memory_gib=float(row["gpu_memory_gib"]),
            vcpus=row.get("vcpus"), memory_gib=row.get("memory_gib"), arch=row["arch"],
            price_usd_hour=row.get("price_usd_hour"), price_region=row.get("price_region"),
            price_as_of=row.get("price_as_of"),
            compute_capability=gpu.get("compute_capability"), gfx=gpu.get("gfx"),
            notes=row.get("notes", "")))
    return out


def matching(kb: KnowledgeBase, needs: Needs) -> list[Instance]:
    """Instance types that fit the needs, cheapest first (unknown prices last)."""
    if needs.provider not in PROVIDERS:
        raise UsageError(f"unknown provider {needs.provider!r}",
                         hint=f"use one of {', '.join(PROVIDERS)}")
    pool = instances(kb, needs.provider)
    if needs.instance_type:
        found = [i for i in pool if i.type.lower() == needs.instance_type.lower()]
        if not found:
            raise UsageError(f"unknown {needs.provider} GPU instance type "
                             f"{needs.instance_type!r}",
                             hint=f"'envdoctor cloud gpus --provider {needs.provider}' lists "
                             "the known ones")
        return found
    wanted = None
    if needs.gpu:
        row = kb.gpu(needs.gpu)
        if row is None:
            raise UsageError(f"unknown GPU {needs.gpu!r}",
                             hint="'envdoctor cloud gpus' lists the GPUs of each instance type")
        wanted = row["name"]
    fits = [i for i in pool
            if not i.retired and not i.graphics_only
            and (wanted is None or i.gpu == wanted)
            and i.gpu_count >= needs.count
            and (needs.gpu_memory is None or i.gpu_memory_gib >= needs.gpu_memory)]
    return sorted(fits, key=lambda i: (i.price_usd_hour is None, i.price_usd_hour or 0,
                                       i.gpu_count, i.type))


def image_for(kb: KnowledgeBase, instance: Instance) -> Image:
    """The GPU image for the instance: the provider's driver image for its CPU arch.

    Prefers an image whose driver version the knowledge base records (the pre-flight
    check can then judge the framework builds against it), then Ubuntu 22.04 (the widest
    framework support), 24.04, Amazon Linux 2023. Images that need marketplace terms
    accepted first (NVIDIA's VMI) are not chosen.
    """
    rows = [r for r in kb.table("cloud")["images"]
            if r["provider"] == instance.provider and r.get("arch", "x86_64") == instance.arch]
    if instance.vendor == "amd":
        rows = [r for r in rows if "rocm" in (r.get("name", "") + r.get("urn", "")).lower()]
    else:
        rows = [r for r in rows if "rocm" not in (r.get("name", "") + r.get("urn", "")).lower()]
    rows = [r for r in rows if not (r.get("urn") or "").startswith("nvidia:")]
    order = {"ubuntu22.04": 0, "ubuntu24.04": 1, "amazonlinux2023": 2}
    # Azure: the Ubuntu HPC images are the ones Microsoft maintains for N-series VMs.
    rows.sort(key=lambda r: (r.get("driver") is None, order.get(r.get("os") or "", 9),
                             "HPC" not in r["name"], r["name"]))
    if not rows:
        raise UsageError(f"no {instance.provider} GPU image for {instance.arch} "
                         f"{instance.vendor} instances in the knowledge base",
                         hint="pass an image explicitly (--ami / --image)")
    r = rows[0]
    return Image(provider=r["provider"], name=r["name"], os=r.get("os") or "",
                 arch=r.get("arch", "x86_64"), driver=r.get("driver"), cuda=r.get("cuda"),
                 ssm_parameter=r.get("ssm_parameter"), name_pattern=r.get("name_pattern"),
                 urn=r.get("urn"), release=r.get("release"))


# --------------------------------------------------------------------------- plan


def plan_box(kb: KnowledgeBase, needs: Needs, *, now: dt.datetime | None = None,
             envdoctor_spec: str | None = None, image_given: bool = False) -> BoxPlan:
    """Choose, check and prepare a box; raise UsageError when nothing fits at all.

    ``image_given``: the user names the image (``--ami``), so an instance type without a
    known image is still planned; the image is checked once it is resolved.
    """
    if needs.max_hours <= 0 or needs.max_hours > 24 * 7:
        raise UsageError(f"--max-hours {needs.max_hours:g} is out of range",
                         hint="give 0.5 to 168 hours; the box stops itself after that")
    candidates = matching(kb, needs)
    if not candidates:
        raise UsageError(_nothing_fits(needs),
                         hint=f"'envdoctor cloud gpus --provider {needs.provider}' lists "
                         "what there is")
    rejected: list[str] = []
    chosen: BoxPlan | None = None
    for instance in candidates:
        try:
            image = image_for(kb, instance)
        except UsageError:
            if not image_given:
                raise
            image = Image(provider=instance.provider, name="the image given with --ami",
                          os="ubuntu22.04", arch=instance.arch, driver=None, cuda=None)
        plan = check_box(kb, needs, instance, image, now=now, envdoctor_spec=envdoctor_spec)
        if plan.blocked and not needs.instance_type and instance is not candidates[-1]:
            first = next(f for f in plan.findings if f.severity.value == "error")
            rejected.append(f"{instance.type}: {first.code} {first.message}")
            continue
        chosen = plan
        break
    assert chosen is not None  # noqa: S101 - the last candidate is always kept
    return BoxPlan(**{**chosen.__dict__, "rejected": tuple(rejected)})


def check_box(kb: KnowledgeBase, needs: Needs, instance: Instance, image: Image, *,
              now: dt.datetime | None, envdoctor_spec: str | None) -> BoxPlan:
    """Plan the builds for one instance and image, and run the pre-flight check on them."""
    from envdoctor.doctor import Doctor  # noqa: PLC0415
    from envdoctor.planner import Planner, Request  # noqa: PLC0415

    target = synthetic_target(instance, image, image.python)
    planner = Planner(kb)
    choices: list[Choice] = []
    reasons = [f"{instance.type}: {instance.gpu_count}× {instance.gpu} "
               f"({instance.gpu_memory_gib:g} GiB each)"
               + (f", ${instance.price_usd_hour:.3f}/hour" if instance.price_usd_hour
                  else "")]
    reasons.append(f"image: {image.name}" + (f" (NVIDIA driver {image.driver})"
                                             if image.driver else ""))
    unplanned: list[FrameworkFacts] = []
    for text in needs.frameworks:
        request = Request.parse(text)
        result = planner.plan(request, target)
        if result.choice is not None:
            choices.append(result.choice)
            reasons.append(f"{result.choice.framework} {result.choice.version} "
                           f"({result.choice.variant}): " + "; ".join(result.choice.reasons))
        else:
            # No build fits: check the one pip would install by default, so that the
            # rules say why (driver too old for its CUDA, no code for this GPU).
            default = default_build(kb, request)
            if default is not None:
                unplanned.append(default)
    facts = synthetic_facts(instance, image, choices, image.python, kb, extra=unplanned)
    # The pre-flight check: what `envdoctor check` would say on the booted box. Rules
    # that need a live machine stay quiet on these facts (they are marked as a report).
    findings = tuple(f for f in Doctor(kb=kb).check(facts).findings
                     if f.code not in _NOT_FOR_PREFLIGHT)
    start = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    expires = start + dt.timedelta(hours=needs.max_hours)
    expires_at = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    tags = {"managed-by": MANAGED_BY, "owner": needs.owner, "expires-at": expires_at,
            "envdoctor-plan": ",".join(needs.frameworks) or "none"}
    user_data = render_user_data(choices, needs, expires_at, envdoctor_spec, os_name=image.os)
    return BoxPlan(needs=needs, instance=instance, image=image, choices=tuple(choices),
                   findings=findings, user_data=user_data, expires_at=expires_at, tags=tags,
                   reasons=tuple(reasons))


# Findings about this (planning) machine or a live system, not about the box.
_NOT_FOR_PREFLIGHT = {"ED0001", "ED0002", "ED0004", "ED0108", "ED0213"}


def synthetic_target(instance: Instance, image: Image, python: str) -> Target:
    """The planner's target for a box that does not exist yet."""
    from envdoctor.planner import GpuTarget, Target  # noqa: PLC0415

    gpu = GpuTarget(instance.gpu, instance.vendor, instance.compute_capability, instance.gfx)
    return Target(gpus=(gpu,) * instance.gpu_count, driver=image.driver, python=python,
                  arch=instance.arch, distro_id="ubuntu",
                  distro_version=image.os.removeprefix("ubuntu") or None)


def default_build(kb: KnowledgeBase, request: Any) -> FrameworkFacts | None:  # noqa: ANN401
    """The build plain ``pip install`` gives for a request (Linux x86_64), as facts."""
    from envdoctor.facts import FrameworkFacts  # noqa: PLC0415

    if request.framework == "torch":
        rows = sorted((r for r in kb.released("torch") if request.matches(r["latest"])),
                      key=lambda r: version_tuple(r["latest"]), reverse=True)
        if not rows or not rows[0].get("pypi_default"):
            return None
        row = rows[0]
        variant = row["variants"].get(row["pypi_default"], {})
        return FrameworkFacts(name="torch", distribution="torch", version=row["latest"],
                              build="cuda", local_tag=row["pypi_default"],
                              cuda_version=variant.get("cuda"),
                              arch_list=list(variant.get("arch") or []), sources=["plan"])
    if request.framework == "tensorflow":
        rows = sorted((r for r in kb.released("tensorflow")
                       if request.matches(r["tensorflow"])),
                      key=lambda r: version_tuple(r["tensorflow"]), reverse=True)
        if rows and rows[0].get("cuda"):
            return FrameworkFacts(name="tensorflow", distribution="tensorflow",
                                  version=rows[0]["tensorflow"], build="cuda",
                                  cuda_version=rows[0]["cuda"], sources=["plan"])
    return None


def synthetic_facts(instance: Instance, image: Image, choices: list[Choice], python: str,
                    kb: KnowledgeBase, *, extra: list[FrameworkFacts] | None = None) -> Facts:
    """The facts the booted box would have: its GPUs, the image's driver, the builds."""
    from envdoctor.facts import (  # noqa: PLC0415
        Facts,
        FrameworkFacts,
        NvidiaFacts,
        NvidiaGpu,
        Origin,
        OriginKind,
        OsFacts,
        PythonFacts,
    )

    nvidia = NvidiaFacts()
    if instance.vendor == "nvidia":
        gpus = [NvidiaGpu(index=i, name=instance.gpu,
                          compute_capability=instance.compute_capability)
                for i in range(instance.gpu_count)]
        nvidia = NvidiaFacts(gpus=gpus, userspace_version=image.driver,
                             kernel_module_version=image.driver,
                             cuda_driver_version=kb.max_cuda_for_driver(image.driver)
                             if image.driver else None)
    frameworks = []
    for c in choices:
        row = kb.torch_release(c.version) if c.framework == "torch" else None
        arch = ((row or {}).get("variants", {}).get(c.variant) or {}).get("arch") or []
        frameworks.append(FrameworkFacts(
            name=c.framework, distribution=c.framework, version=c.version,
            build="cuda" if c.cuda else "rocm" if c.rocm else "cpu",
            local_tag=c.variant if c.framework == "torch" else None,
            cuda_version=c.cuda, rocm_version=c.rocm, arch_list=list(arch),
            sources=["plan"]))
    frameworks += extra or []
    return Facts(
        origin=Origin(kind=OriginKind.REPORT, note=f"pre-flight: {instance.provider} "
                      f"{instance.type} with {image.name}"),
        os=OsFacts(system="Linux", distro_id="ubuntu", arch=instance.arch),
        python=PythonFacts(version=f"{python}.0"),
        nvidia=nvidia, frameworks=frameworks)


def _nothing_fits(needs: Needs) -> str:
    parts = [needs.gpu or "any GPU", f"{needs.count}+ GPUs"]
    if needs.gpu_memory:
        parts.append(f"{needs.gpu_memory:g}+ GiB each")
    return f"no {needs.provider} instance type has " + ", ".join(parts)


# --------------------------------------------------------------------------- first boot


def render_user_data(choices: list[Choice] | tuple[Choice, ...], needs: Needs,
                     expires_at: str, envdoctor_spec: str | None = None, *,
                     os_name: str = "ubuntu22.04") -> str:
    """The cloud-init user data: install, self-check to the console, stop at expiry."""
    from envdoctor import __version__  # noqa: PLC0415
    from envdoctor.templates import render  # noqa: PLC0415

    spec = envdoctor_spec or f"envdoctor=={__version__}"
    installs = [c.pip.removeprefix("pip install ") for c in choices]
    minutes = max(1, round(needs.max_hours * 60))
    _, interpreter, packages = _OS_PYTHON.get(os_name, _OS_PYTHON["ubuntu22.04"])
    return render("cloud-init.yaml.j2", spec=spec, installs=installs, minutes=minutes,
                   expires_at=expires_at, marker=MARKER, packages=list(packages),
                   interpreter=interpreter)


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class SelfCheck:
    """The first-boot self-check result read back from the console output."""

    finished: bool
    exit_code: int | None = None
    report: dict[str, Any] | None = None
    note: str | None = None


_BLOCK = re.compile(rf"{MARKER}-BEGIN\s*\n(?P<body>.*?)\n[^\n]*?{MARKER}-END exit=(?P<code>\d+)",
                    re.DOTALL)


def read_self_check(console: str) -> SelfCheck:
    """Find the self-check block in a console log (lines may carry a kernel prefix)."""
    import base64  # noqa: PLC0415
    import json  # noqa: PLC0415

    m = _BLOCK.search(console)
    if not m:
        started = f"{MARKER}-START" in console
        return SelfCheck(False, note="the self-check is still running" if started
                         else "no self-check output yet (booting, or the console log lags)")
    lines = [re.sub(r"^.*?\]\s*", "", ln).strip() if "]" in ln[:40] else ln.strip()
             for ln in m.group("body").splitlines()]
    try:
        report = json.loads(base64.b64decode("".join(lines)))
    except (ValueError, TypeError):
        return SelfCheck(True, int(m.group("code")), None, "the self-check output is garbled")
    return SelfCheck(True, int(m.group("code")), report)


def sorted_findings(report: dict[str, Any]) -> list[str]:
    """``ERROR ED0301 …`` lines of a self-check report, errors first."""
    order = {"error": 0, "warning": 1, "info": 2}
    items = sorted(report.get("findings", []),
                   key=lambda f: (order.get(f.get("severity"), 3), f.get("code", "")))
    return [f"{f.get('severity', '?').upper()} {f.get('code')} {f.get('message')}"
            for f in items]
