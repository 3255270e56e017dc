"""The planner: which framework builds work on a target, and how to install them.

Given a target (this machine's facts, or ``--gpu H100 --driver 550.54``) and a request
(``torch``, ``torch==2.5``, ``tensorflow``, ``jax``), it picks the newest release and build
variant whose CUDA the driver can run and whose compiled architectures cover every GPU,
and writes the install commands (pip, uv, conda). When no build fits the current driver
but one would fit a newer driver, it says which driver to install. Rules use it to write
their fixes; templates use its choices for Dockerfiles and cloud setups.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from envdoctor._util import lazy_re, major_minor, version_tuple
from envdoctor.compat import arch_range, arch_support, gfx_override
from envdoctor.errors import UsageError

if TYPE_CHECKING:
    from envdoctor.facts import Facts
    from envdoctor.knowledge import KnowledgeBase

FRAMEWORKS = ("torch", "tensorflow", "jax", "cupy", "onnxruntime")
"""Frameworks the planner can plan for."""
_ALIASES = {"pytorch": "torch", "tf": "tensorflow", "onnxruntime-gpu": "onnxruntime",
            "ort": "onnxruntime", "jaxlib": "jax"}
_SPEC = lazy_re(r"^\s*(==|>=|<=|~=|!=|>|<)?\s*(\d+(?:\.\d+)*)(\.\*)?\s*$")
_REJECTED_VERSION = lazy_re(r"^[A-Za-z][\w-]* (\d+(?:\.\d+)+)")
_VERSION = lazy_re(r"^\d+(\.\d+){0,3}$")
_REQUEST = lazy_re(r"^\s*([A-Za-z][A-Za-z0-9_.-]*)\s*(.*)$")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class GpuTarget:
    """One GPU of the target."""

    name: str
    vendor: str
    compute_capability: str | None = None
    gfx: str | None = None


@dataclass(frozen=True)
class Target:
    """The machine a plan is for."""

    gpus: tuple[GpuTarget, ...] = ()
    driver: str | None = None
    """NVIDIA driver version, when there is one."""
    python: str | None = None
    """Python major.minor."""
    arch: str = "x86_64"
    distro_id: str | None = None
    distro_version: str | None = None
    wsl: bool = False
    in_container: bool = False
    rocm: str | None = None
    system: str = "Linux"

    @property
    def driver_os(self) -> str:
        """Which driver table applies: under WSL the driver is the Windows host's."""
        return "windows" if self.wsl or self.system == "Windows" else "linux"

    @property
    def nvidia(self) -> list[GpuTarget]:
        """The NVIDIA GPUs."""
        return [g for g in self.gpus if g.vendor == "nvidia"]

    @property
    def amd(self) -> list[GpuTarget]:
        """The AMD GPUs."""
        return [g for g in self.gpus if g.vendor == "amd"]

    def describe(self) -> str:
        """One line: GPUs, driver, Python."""
        gpus = gpu_list(self.gpus) or "no GPU"
        parts = [gpus]
        if self.driver:
            parts.append(f"driver {self.driver}")
        if self.python:
            parts.append(f"Python {self.python}")
        return "; ".join(parts)

    @classmethod
    def from_facts(cls, facts: Facts) -> Target:
        """The target a machine's facts describe."""
        gpus: list[GpuTarget] = []
        for g in facts.nvidia.gpus:
            gpus.append(GpuTarget(g.name or "NVIDIA GPU", "nvidia", g.compute_capability))
        if not gpus:
            gpus += [GpuTarget(p.name or f"10de:{p.device_id}", "nvidia", p.compute_capability)
                     for p in facts.nvidia.pci_gpus]
        for a in facts.rocm.gpus:
            gpus.append(GpuTarget(a.name or "AMD GPU", "amd", gfx=a.gfx))
        if not facts.rocm.gpus:
            gpus += [GpuTarget(p.name or f"1002:{p.device_id}", "amd", gfx=p.gfx)
                     for p in facts.rocm.pci_gpus]
        nv = facts.nvidia
        driver = nv.userspace_version or nv.kernel_module_version
        return cls(gpus=tuple(gpus), driver=driver, python=major_minor(facts.python.version),
                   arch=facts.os.arch or "x86_64", distro_id=facts.os.distro_id,
                   distro_version=facts.os.distro_version, wsl=facts.platform.wsl == 2,
                   in_container=bool(facts.platform.in_container),
                   rocm=facts.rocm.rocm_version, system=facts.os.system or "Linux")

    @classmethod
    def describe_args(cls, kb: KnowledgeBase, gpu: list[str], driver: str | None,
                      python: str | None, arch: str = "x86_64") -> Target:
        """A target from the command line; raises :class:`UsageError` on bad values."""
        gpus = []
        for name in gpu:
            row = kb.gpu(name)
            if row is None:
                known = ", ".join(kb.gpu_names()[:12])
                raise UsageError(f"unknown GPU {name!r}",
                                 hint=f"use a model name such as {known}, …")
            gpus.append(GpuTarget(row["name"], row["vendor"], row.get("compute_capability"),
                                  row.get("gfx")))
        if driver is not None and not _VERSION.match(driver):
            raise UsageError(f"malformed driver version {driver!r}",
                             hint="give it as nvidia-smi prints it, e.g. 550.54.14 or 550")
        if python is not None and not (_VERSION.match(python) and major_minor(python)):
            raise UsageError(f"malformed Python version {python!r}", hint="e.g. --python 3.11")
        return cls(gpus=tuple(gpus), driver=driver, python=major_minor(python), arch=arch)


@dataclass(frozen=True)
class Request:
    """What to install: a framework and an optional version specifier."""

    framework: str
    spec: str = ""

    @classmethod
    def parse(cls, text: str) -> Request:
        """``torch``, ``torch==2.5``, ``tensorflow>=2.15``; raises :class:`UsageError`."""
        m = _REQUEST.match(text)
        if not m:
            raise UsageError(f"cannot read the request {text!r}",
                             hint="write it as pip does: torch, torch==2.5.1, 'jax>=0.4'")
        name = _ALIASES.get(m.group(1).lower(), m.group(1).lower())
        if name not in FRAMEWORKS:
            raise UsageError(f"unknown framework {m.group(1)!r}",
                             hint=f"the planner knows {', '.join(FRAMEWORKS)}")
        spec = m.group(2).strip()
        for part in filter(None, (p.strip() for p in spec.split(","))):
            if not _SPEC.match(part):
                raise UsageError(f"malformed version specifier {part!r} in {text!r}",
                                 hint="use ==2.5, ==2.5.1, >=2.4, <2.7")
        return cls(name, spec)

    def matches(self, version: str) -> bool:
        """Whether a release version satisfies the specifier (``==2.5`` matches 2.5.x)."""
        have = version_tuple(version)
        for part in filter(None, (p.strip() for p in self.spec.split(","))):
            m = _SPEC.match(part)
            assert m is not None  # noqa: S101 - validated in parse()
            op, want = m.group(1) or "==", version_tuple(m.group(2))
            cut = have[: len(want)]
            ok = {"==": cut == want, "!=": cut != want, ">=": have >= want, "<=": cut <= want,
                  ">": cut > want, "<": have < want,
                  "~=": have >= want and have[: len(want) - 1] == want[:-1]}[op]
            if not ok:
                return False
        return True

    def __str__(self) -> str:
        return f"{self.framework}{self.spec}"


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Choice:
    """A build that works on the target, and how to install it."""

    framework: str
    version: str
    variant: str
    """``cu124``, ``rocm6.2``, ``cpu``, ``cuda12``, ``cupy-cuda12x``, …"""
    cuda: str | None = None
    rocm: str | None = None
    index_url: str | None = None
    pip: str = ""
    uv: str = ""
    conda: str | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class DriverUpgrade:
    """The driver to install when no build fits the current one."""

    minimum: str
    """Oldest driver that runs the build."""
    branch: str
    """Driver branch to install (``570``)."""
    command: str
    """The command (or action) that installs it on this target."""
    enables: Choice | None = None
    """The build it makes possible."""


@dataclass(frozen=True)
class Plan:
    """The planner's answer for one request on one target."""

    request: Request
    target: Target
    choice: Choice | None = None
    upgrade: DriverUpgrade | None = None
    rejected: tuple[str, ...] = ()
    """Why other builds were passed over, one line each (newest first)."""
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether a build works on the target as it is."""
        return self.choice is not None


# --------------------------------------------------------------------------- planning


@dataclass
class _Search:
    rejected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Planner:
    """Plans installs from the knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def plan(self, request: Request, target: Target, *, cpu: bool = False) -> Plan:
        """Choose a build of ``request`` for ``target`` (``cpu`` forces a CPU build)."""
        match request.framework:
            case "torch":
                return self._torch(request, target, cpu)
            case "tensorflow":
                return self._tensorflow(request, target, cpu)
            case "jax":
                return self._jax(request, target, cpu)
            case "cupy":
                return self._cupy(request, target)
            case _:
                return self._onnxruntime(request, target, cpu)

    # -------------------------------------------------------------- torch

    def _torch(self, request: Request, target: Target, cpu: bool) -> Plan:
        s = _Search()
        releases = [r for r in self.kb.released("torch")
                    if request.matches(r["latest"])]
        if not releases:
            raise UsageError(f"no torch release matches {request}",
                             hint=f"known releases: {self._torch_versions()}")
        releases.sort(key=lambda r: version_tuple(r["latest"]), reverse=True)
        releases = [r for r in releases if self._python_ok(r, target, s, "torch", r["latest"])]
        nvidia, amd = target.nvidia, target.amd
        floor = self._gpu_driver_floor(target)
        if nvidia and not cpu and floor is not None:
            name, cc, cuda, minimum = floor
            s.rejected.append(f"every CUDA build: {name} (compute capability {cc}) needs driver "
                              f">= {minimum} (the first with CUDA {cuda}); this one is "
                              f"{target.driver}")
            upgrade = self._torch_driver_upgrade(releases, target, floor=minimum)
            return Plan(request, target, None, upgrade, tuple(s.rejected), tuple(s.notes))
        for release in releases:
            variants = release.get("variants", {})
            if cpu or not (nvidia or amd):
                if "cpu" in variants or not variants:
                    return self._plan(request, target, s, self._torch_choice(
                        release, "cpu", variants.get("cpu", {}),
                        ["no GPU to use" if not cpu else "a CPU build was asked for"],
                        system=target.system))
                continue
            if amd and not nvidia:
                choice = self._torch_rocm(release, variants, amd, s, trust_unknown=False)
                if choice:
                    return self._plan(request, target, s, choice)
                continue
            choice = self._torch_cuda(release, variants, target, s)
            if choice:
                return self._plan(request, target, s, choice)
        if amd and not nvidia and not cpu:
            # No build is known to cover the GPU: fall back to one whose target list the
            # knowledge base lacks, and say so.
            for release in releases:
                choice = self._torch_rocm(release, release.get("variants", {}), amd, s,
                                          trust_unknown=True)
                if choice:
                    return self._plan(request, target, s, choice)
        if nvidia and not cpu:
            upgrade = self._torch_driver_upgrade(releases, target)
            return Plan(request, target, None, upgrade, tuple(s.rejected), tuple(s.notes))
        return Plan(request, target, None, None, tuple(s.rejected), tuple(s.notes))

    def _torch_cuda(self, release: dict[str, Any], variants: dict[str, Any], target: Target,
                    s: _Search) -> Choice | None:
        """The variant of ``release`` to install.

        One the driver fully supports, newest first; else the one closest to the driver
        that runs through minor-version compatibility (which does not cover JIT-compiling
        newer PTX).
        """
        cuda_variants = sorted(((k, v) for k, v in variants.items() if v.get("cuda")),
                               key=lambda kv: version_tuple(kv[1]["cuda"]), reverse=True)
        full: list[tuple[str, dict[str, Any]]] = []
        compat: list[tuple[str, dict[str, Any]]] = []
        for name, variant in cuda_variants:
            label = f"torch {release['latest']}+{name}"
            missing = self._arch_missing(target, variant.get("arch") or [])
            if missing:
                s.rejected.append(f"{label}: compiled for {arch_range(variant['arch'])}, "
                                  f"no code for {missing}")
                continue
            need = self.kb.driver_need(variant["cuda"], target.driver_os)
            if target.driver and need and need.minimum and version_tuple(
                    target.driver) < version_tuple(need.minimum):
                s.rejected.append(f"{label}: CUDA {variant['cuda']} needs driver >= "
                                  f"{need.minimum}, this one is {target.driver}")
                continue
            if target.driver and need and need.full and version_tuple(
                    target.driver) < version_tuple(need.full):
                compat.append((name, variant))
            else:
                full.append((name, variant))
        if full:
            name, variant = full[0]
            for other, _ in compat:
                s.rejected.append(f"torch {release['latest']}+{other}: runs only through "
                                  f"minor-version compatibility; {name} is native to this driver")
            reasons = [f"the driver ({target.driver}) supports CUDA {variant['cuda']} natively"
                       if target.driver else f"CUDA {variant['cuda']}, the newest build "
                       "(the driver is not known: it needs "
                       f"{self._need_text(variant['cuda'])})"]
        elif compat:
            name, variant = compat[-1]
            need = self.kb.driver_need(variant["cuda"], target.driver_os)
            reasons = [f"CUDA {variant['cuda']} runs on driver {target.driver} through CUDA "
                       f"minor-version compatibility (CUDA {variant['cuda'].split('.')[0]}.x "
                       f"needs >= {need.compat if need else '?'}); the closest build to the "
                       f"driver's own CUDA {self.kb.max_cuda_for_driver(target.driver or '')}"]
            s.notes.append(f"Driver {need.full if need else '?'} or newer runs this build "
                           "natively (and JIT-compiles its PTX for GPUs it has no code for).")
        else:
            return None
        if variant.get("arch"):
            reasons.append(f"compiled for {arch_range(variant['arch'])}, which covers "
                           + gpu_list(target.nvidia))
        return self._torch_choice(release, name, variant, reasons, system=target.system)

    def _need_text(self, cuda: str) -> str:
        need = self.kb.driver_need(cuda)
        return f">= {need.full or need.minimum}" if need else "an unknown driver"

    def _gpu_driver_floor(self, target: Target) -> tuple[str, str, str, str] | None:
        """(GPU, compute capability, first CUDA, driver) when the driver is older than a GPU."""
        if not target.driver:
            return None
        worst = None
        for g in target.nvidia:
            need = self.kb.min_driver_for_cc(g.compute_capability) if g.compute_capability \
                else None
            if need and version_tuple(target.driver) < version_tuple(need[1]) and (
                    worst is None or version_tuple(need[1]) > version_tuple(worst[3])):
                worst = (g.name, g.compute_capability or "?", need[0], need[1])
        return worst

    def _torch_rocm(self, release: dict[str, Any], variants: dict[str, Any],
                    amd: list[GpuTarget], s: _Search, *, trust_unknown: bool) -> Choice | None:
        """The newest ROCm variant built for every AMD GPU.

        For consumer cards, also one built for the family member that
        ``HSA_OVERRIDE_GFX_VERSION`` passes them off as (with a labelled note).
        """
        rocm_variants = sorted(((k, v) for k, v in variants.items() if v.get("rocm")),
                               key=lambda kv: version_tuple(kv[1]["rocm"]), reverse=True)
        label = f"torch {release['latest']}"
        overridden: tuple[str, dict[str, Any], list[tuple[str, str]]] | None = None
        for name, variant in rocm_variants:
            gfx = variant.get("gfx")
            if gfx is None:
                if trust_unknown:
                    return self._torch_choice(release, name, variant, [
                        f"ROCm {variant['rocm']} build; its GPU target list is not in the "
                        "knowledge base, so whether it covers "
                        f"{', '.join(g.gfx or '?' for g in amd)} is not known"])
                s.rejected.append(f"{label}+{name}: its GPU target list is not in the knowledge "
                                  "base")
                continue
            missing = [g for g in amd if g.gfx not in gfx]
            if not missing:
                return self._torch_choice(release, name, variant, [
                    f"ROCm {variant['rocm']} build for {', '.join(g.gfx or '?' for g in amd)}"])
            siblings = [gfx_override(g.gfx) for g in missing]
            if overridden is None and all(sib and sib[0] in gfx for sib in siblings):
                overridden = (name, variant, [sib for sib in siblings if sib])
            s.rejected.append(f"{label}+{name}: built for {', '.join(gfx)}, not "
                              f"{', '.join(str(g.gfx) for g in missing)}")
        if overridden is None:
            return None
        name, variant, siblings = overridden
        sibling, value = siblings[0]
        s.notes.append(f"Unsupported workaround: export HSA_OVERRIDE_GFX_VERSION={value} makes "
                       f"ROCm run the {sibling} code on this card; it usually works for the "
                       "same family, but AMD does not support it and some kernels fail.")
        return self._torch_choice(release, name, variant, [
            f"ROCm {variant['rocm']} build for {sibling}, the supported member of this GPU's "
            "family (needs HSA_OVERRIDE_GFX_VERSION; see the note)"])

    def _torch_choice(self, release: dict[str, Any], variant: str, row: dict[str, Any],
                      reasons: list[str], *, system: str = "Linux") -> Choice:
        version = release["latest"]
        # PyPI's plain torch wheel is the table's default build on Linux only; on Windows
        # and macOS it is the CPU build, and CUDA builds come from the index.
        default = (release.get("pypi_default") == variant if system == "Linux"
                   else variant == "cpu")
        index = None if default else self.kb.torch_index_url(variant)
        flag = f" --index-url {index}" if index else ""
        pip = f"pip install torch=={version}{flag}"
        uv = f"uv pip install torch=={version}{flag}"
        conda = None
        if row.get("cuda") and version_tuple(version) < (2, 6):
            # PyTorch's own conda channel stopped after 2.5; conda-forge carries later ones.
            conda = (f"conda install pytorch=={version} pytorch-cuda={row['cuda']} "
                     "-c pytorch -c nvidia")
        elif row.get("cuda") and version_tuple(row["cuda"]) >= (12,):
            # conda-forge builds against its CUDA 12+ packages; for CUDA 11 pip is the way.
            conda = (f"conda install -c conda-forge pytorch=={version} "
                     f"cuda-version={row['cuda']} 'pytorch=*=cuda*'")
        if default:
            reasons = [*reasons, f"the default PyPI wheel of torch {version} is this build"]
        return Choice("torch", version, variant, cuda=row.get("cuda"), rocm=row.get("rocm"),
                      index_url=index, pip=pip, uv=uv, conda=conda, reasons=tuple(reasons))

    def _torch_driver_upgrade(self, releases: list[dict[str, Any]], target: Target,
                              floor: str | None = None) -> DriverUpgrade | None:
        """The driver upgrade that makes the newest covering build work natively.

        Never past the last branch that drives every GPU (R580 for Volta and older).
        """
        caps = [self.kb.last_branch_for_cc(g.compute_capability) for g in target.nvidia
                if g.compute_capability]
        cap = min((c for c in caps if c), key=version_tuple, default=None)
        for release in releases:
            variants = release.get("variants", {})
            cuda_variants = sorted((v for v in variants.values() if v.get("cuda")),
                                   key=lambda v: version_tuple(v["cuda"]))
            for variant in cuda_variants:
                if self._arch_missing(target, variant.get("arch") or []):
                    continue
                need = self.kb.driver_need(variant["cuda"])
                if need is None or need.full is None:
                    continue
                minimum = need.full if floor is None or version_tuple(need.full) > \
                    version_tuple(floor) else floor
                if cap and version_tuple(minimum)[:1] > version_tuple(cap)[:1]:
                    continue  # no driver both runs this build and drives the GPUs
                upgrade = self._upgrade(minimum, target, None)
                # What to install once the new branch is in: plan again as if it were.
                after = self._torch(Request("torch", f"=={release['latest']}"),
                                    replace(target, driver=self._branch_driver(upgrade.branch)),
                                    cpu=False)
                return replace(upgrade, enables=after.choice)
        return None

    def _branch_driver(self, branch: str) -> str:
        """A driver version standing for a whole branch (its first release's, if known)."""
        row = self.kb.driver_branch(branch)
        need = self.kb.driver_need(row["max_cuda"]) if row and row.get("max_cuda") else None
        if need and need.full and version_tuple(need.full)[:1] == version_tuple(branch)[:1]:
            return need.full
        return f"{branch}.0"

    # -------------------------------------------------------------- others

    def _tensorflow(self, request: Request, target: Target, cpu: bool) -> Plan:
        s = _Search()
        rows = [r for r in self.kb.table("tensorflow")["releases"]
                if request.matches(r["tensorflow"])]
        if not rows:
            raise UsageError(f"no TensorFlow release matches {request}",
                             hint="known: " + ", ".join(r["tensorflow"] for r in
                                                       self.kb.table("tensorflow")["releases"]))
        rows.sort(key=lambda r: version_tuple(r["tensorflow"]), reverse=True)
        for row in rows:
            version = row["tensorflow"]
            if not self._python_ok(row, target, s, "tensorflow", version):
                continue
            gpu = bool(target.nvidia) and not cpu
            if gpu and target.system == "Windows" and not row.get("windows_native_gpu"):
                s.rejected.append(f"tensorflow {version}: no GPU support on native Windows "
                                  "(2.10 was the last); use WSL2")
                continue
            if gpu and target.driver and row.get("cuda") and self.kb.driver_supports(
                    target.driver, row["cuda"], target.driver_os) is False:
                need = self.kb.driver_need(row["cuda"], target.driver_os)
                s.rejected.append(f"tensorflow {version}: CUDA {row['cuda']} needs driver >= "
                                  f"{need.minimum if need else '?'}")
                continue
            extra = "[and-cuda]" if gpu and row.get("and_cuda") else ""
            spec = f"tensorflow{extra}=={version}.*"
            if extra:
                reasons = [f"CUDA {row['cuda']} and cuDNN {row.get('cudnn')} come from pip "
                           "(tensorflow[and-cuda])"]
            else:
                reasons = ["CPU build" if not gpu else "GPU build using a system CUDA install"]
            return self._plan(request, target, s, Choice(
                "tensorflow", version, "and-cuda" if extra else "cpu", cuda=row.get("cuda"),
                pip=f'pip install "{spec}"', uv=f'uv pip install "{spec}"',
                reasons=tuple(reasons)))
        upgrade = None
        if target.nvidia and rows and rows[0].get("cuda"):
            need = self.kb.driver_need(rows[0]["cuda"])
            if need and need.full:
                upgrade = self._upgrade(need.full, target, None)
        return Plan(request, target, None, upgrade, tuple(s.rejected), tuple(s.notes))

    def _jax(self, request: Request, target: Target, cpu: bool) -> Plan:
        s = _Search()
        rows = [r for r in self.kb.table("jax")["releases"] if request.matches(r["jax"])]
        if not rows:
            raise UsageError(f"no JAX release matches {request}", hint="try plain 'jax'")
        rows.sort(key=lambda r: version_tuple(r["jax"]), reverse=True)
        for row in rows:
            version = row["jax"]
            if not self._python_ok(row, target, s, "jax", version):
                continue
            if not target.nvidia or cpu:
                return self._plan(request, target, s, Choice(
                    "jax", version, "cpu", pip=f'pip install "jax=={version}"',
                    uv=f'uv pip install "jax=={version}"', reasons=("CPU build",)))
            for plugin in sorted(row.get("cuda_plugins", []), reverse=True):
                major = plugin.removeprefix("cuda")
                min_driver = row.get("min_driver_linux")
                if target.driver and min_driver and version_tuple(target.driver) < version_tuple(
                        min_driver):
                    s.rejected.append(f"jax {version}[{plugin}]: needs driver >= {min_driver}")
                    continue
                if target.driver and self.kb.driver_supports(target.driver, f"{major}.0",
                                                            target.driver_os) is False:
                    s.rejected.append(f"jax {version}[{plugin}]: needs a CUDA {major} driver")
                    continue
                return self._plan(request, target, s, Choice(
                    "jax", version, plugin, cuda=major,
                    pip=f'pip install "jax[{plugin}]=={version}"',
                    uv=f'uv pip install "jax[{plugin}]=={version}"',
                    reasons=(f"JAX's CUDA {major} wheels bring their own CUDA and cuDNN",)))
        upgrade = None
        minimum = rows[0].get("min_driver_linux")
        if target.nvidia and not cpu and target.driver and minimum and version_tuple(
                target.driver) < version_tuple(minimum):
            upgrade = self._upgrade(minimum, target, None)
            after = self._jax(request, replace(target, driver=self._branch_driver(
                upgrade.branch)), cpu)
            upgrade = replace(upgrade, enables=after.choice)
        return Plan(request, target, None, upgrade, tuple(s.rejected), tuple(s.notes))

    def _cupy(self, request: Request, target: Target) -> Plan:
        """The CuPy wheel for the newest CUDA major the driver runs.

        ``cupy-cudaNNx`` wheels cover a whole CUDA major and are what CuPy publishes now;
        the per-toolkit ``cupy-cuda117``-style wheels are only for CUDA 10 and older.
        """
        s = _Search()
        rows = [p for p in self.kb.table("cupy")["packages"] if p.get("cuda")]
        # "11.2-11.8" and "12.x" → the major; a per-toolkit wheel of a major that has an
        # NNx wheel is never the one to pick.
        majors_with_x = {p["cuda"].split(".")[0] for p in rows if p["package"].endswith("x")}
        rows = [p for p in rows if p["package"].endswith("x")
                or p["cuda"].split(".")[0] not in majors_with_x]
        rows.sort(key=lambda p: version_tuple(p["cuda"].split("-")[-1].replace(".x", ".99")),
                  reverse=True)
        if target.amd and not target.nvidia:
            rocm = next((p for p in self.kb.table("cupy")["packages"]
                         if p["package"].startswith("cupy-rocm")), None)
            if rocm:
                name = rocm["package"]
                return self._plan(request, target, s, Choice(
                    "cupy", request.spec.lstrip("=") or "latest", name,
                    pip=f"pip install {name}{request.spec}",
                    uv=f"uv pip install {name}{request.spec}",
                    reasons=("CuPy's ROCm wheel",)))
        for pkg in rows:
            name, minimum = pkg["package"], pkg.get("min_driver_linux")
            if target.driver and minimum and version_tuple(target.driver) < version_tuple(
                    minimum):
                s.rejected.append(f"{name}: needs driver >= {minimum}, this one is "
                                  f"{target.driver}")
                continue
            spec = request.spec or self._cupy_series(pkg, target)
            version = spec.lstrip("=").removesuffix(".*") if spec else "latest"
            quoted = f"'{name}{spec}'" if "*" in spec or "<" in spec or ">" in spec else \
                f"{name}{spec}"
            return self._plan(request, target, s, Choice(
                "cupy", version, name, cuda=pkg["cuda"],
                pip=f"pip install {quoted}", uv=f"uv pip install {quoted}",
                reasons=(f"CuPy's wheel for CUDA {pkg['cuda']}"
                         + (f", which driver {target.driver} runs" if target.driver else ""),)))
        return Plan(request, target, None, None, tuple(s.rejected), tuple(s.notes))

    def _cupy_series(self, pkg: dict[str, Any], target: Target) -> str:
        """``==14.*``: the newest CuPy series that ships this wheel for the target's Python."""
        major = pkg["cuda"].split(".")[0]
        rows = sorted(self.kb.table("cupy")["releases"], key=lambda r: version_tuple(r["cupy"]),
                      reverse=True)
        for row in rows:
            if not any(c.split(".")[0] == major for c in row.get("cuda", [])):
                continue
            if target.python and row.get("python") and target.python not in row["python"]:
                continue
            return f"=={row['cupy']}.*"
        return ""

    def _onnxruntime(self, request: Request, target: Target, cpu: bool) -> Plan:
        s = _Search()
        rows = [r for r in self.kb.table("onnxruntime")["releases"]
                if request.matches(r["onnxruntime"])]
        rows.sort(key=lambda r: version_tuple(r["onnxruntime"]), reverse=True)
        for row in rows:
            version = row["onnxruntime"]
            if target.nvidia and not cpu:
                cuda = row.get("cuda") or ""
                if target.driver and cuda and self.kb.driver_supports(
                        target.driver, cuda.replace(".x", ".0")) is False:
                    s.rejected.append(f"onnxruntime-gpu {version}: CUDA {cuda} needs a newer "
                                      "driver")
                    continue
                return self._plan(request, target, s, Choice(
                    "onnxruntime", version, "onnxruntime-gpu", cuda=cuda,
                    pip=f"pip install onnxruntime-gpu=={version}.*",
                    uv=f"uv pip install onnxruntime-gpu=={version}.*",
                    reasons=(f"CUDA {cuda}, cuDNN {row.get('cudnn')}",)))
            return self._plan(request, target, s, Choice(
                "onnxruntime", version, "onnxruntime", pip=f"pip install onnxruntime=={version}.*",
                uv=f"uv pip install onnxruntime=={version}.*", reasons=("CPU build",)))
        return Plan(request, target, None, None, tuple(s.rejected), tuple(s.notes))

    # -------------------------------------------------------------- helpers

    def _plan(self, request: Request, target: Target, s: _Search, choice: Choice) -> Plan:
        # Releases older than the one chosen were never in the running: what ruled them
        # out (an old release's Python range) is noise next to the answer.
        chosen = version_tuple(choice.version)
        relevant = tuple(r for r in s.rejected
                         if not ((m := _REJECTED_VERSION.match(r)) and chosen
                                 and version_tuple(m.group(1)) < chosen))
        return Plan(request, target, choice, None, relevant, tuple(s.notes))

    def _python_ok(self, row: dict[str, Any], target: Target, s: _Search, name: str,
                   version: str) -> bool:
        pythons = row.get("python") or []
        if target.python and pythons and target.python not in pythons:
            s.rejected.append(f"{name} {version}: supports Python {', '.join(pythons)}, "
                              f"not {target.python}")
            return False
        return True

    def _arch_missing(self, target: Target, arch: list[str]) -> str | None:
        if not arch:
            return None
        missing = [g for g in target.nvidia
                   if g.compute_capability and arch_support(g.compute_capability, arch) is None]
        return gpu_list(missing, prefix="CC ") or None

    def _torch_versions(self) -> str:
        return ", ".join(r["latest"] for r in self.kb.released("torch"))

    def _upgrade(self, minimum: str, target: Target, choice: Choice | None) -> DriverUpgrade:
        """Move to the current production branch (or the GPUs' last), never below ``minimum``."""
        branch = self.kb.recommended_branch([g.compute_capability for g in target.nvidia
                                             if g.compute_capability])
        if version_tuple(minimum)[:1] > version_tuple(branch)[:1]:
            branch = str(version_tuple(minimum)[0])
        return DriverUpgrade(minimum, branch, driver_install_command(branch, target), choice)


def gpu_list(gpus: list[GpuTarget] | tuple[GpuTarget, ...], prefix: str = "") -> str:
    """``8× Tesla V100S-PCIE-32GB (7.0)``: each model once, with its count."""
    counts: dict[tuple[str, str], int] = {}
    for g in gpus:
        key = (g.name, g.compute_capability or g.gfx or "?")
        counts[key] = counts.get(key, 0) + 1
    return ", ".join((f"{n}× " if n > 1 else "") + f"{name} ({prefix}{target})"
                     for (name, target), n in counts.items())


def driver_install_command(branch: str, target: Target) -> str:
    """How to install NVIDIA driver branch ``branch`` on the target's OS."""
    if target.wsl:
        return (f"update the NVIDIA driver on the Windows host to {branch} or newer "
                "(https://www.nvidia.com/Download/index.aspx); WSL uses the Windows driver")
    if target.in_container:
        return (f"install NVIDIA driver {branch} or newer on the host (a container uses the "
                "host's driver)")
    distro = (target.distro_id or "").lower()
    if distro in ("ubuntu", "pop", "linuxmint"):
        return f"sudo apt-get install -y nvidia-driver-{branch}"
    if distro == "debian":
        return ("sudo apt-get install -y cuda-drivers-" + branch
                + "  # from NVIDIA's CUDA apt repository")
    if distro in ("rhel", "rocky", "almalinux", "centos", "fedora", "amzn", "ol"):
        return f"sudo dnf module install -y nvidia-driver:{branch}-dkms"
    if distro in ("sles", "opensuse-leap", "opensuse-tumbleweed"):
        return f"sudo zypper install -y nvidia-driver-G06-kmp-default  # branch {branch}"
    return f"install NVIDIA driver {branch} or newer for your distribution"
