"""``envdoctor dockerfile``: a frozen plan for an image that works on the target, and its text.

The plan is made from the same planner as ``envdoctor plan``: it picks each framework's
build for the target (its driver, its GPUs' architectures, its Python) and then the base
image that goes with those builds:

- wheels that bring their own CUDA (torch ``cuXYZ``, ``tensorflow[and-cuda]``,
  ``jax[cudaNN]``) or ROCm (torch ``rocmX.Y``) run on a slim Python image;
- packages that need CUDA from the system (CuPy, ONNX Runtime GPU) get an ``nvidia/cuda``
  runtime image whose CUDA the target's driver supports natively (the image's
  ``NVIDIA_REQUIRE_CUDA`` makes the container toolkit refuse a newer one);
- packages that compile CUDA code at install time (flash-attn, DeepSpeed ops, apex, …) are
  built in an ``nvidia/cuda`` devel stage for the target's GPU architectures, and only the
  result is copied into a small runtime stage.

The plan is rendered by ``templates/Dockerfile.j2``; rendering is deterministic (same
plan, same text). Nothing here talks to Docker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envdoctor._util import major_minor, version_tuple
from envdoctor.errors import UsageError

if TYPE_CHECKING:
    from envdoctor.knowledge import KnowledgeBase
    from envdoctor.planner import Choice, Plan, Target

DEFAULT_PYTHON = "3.12"
"""Python of the image when neither --python nor the target says."""

# Requirements that compile CUDA code when pip installs them (no prebuilt wheel for most
# torch/CUDA/Python combinations): they need nvcc, so a devel stage. Why each is here:
# flash-attn and causal-conv1d/mamba-ssm build from source without a matching wheel;
# apex, pytorch3d and detectron2 have no PyPI wheels with CUDA kernels; DeepSpeed and
# xformers compile their CUDA ops when installed from source.
COMPILES_CUDA = ("flash-attn", "flash_attn", "apex", "pytorch3d", "detectron2",
                 "causal-conv1d", "mamba-ssm", "deepspeed", "xformers", "mmcv",
                 "torch-scatter", "torch-sparse", "gsplat", "nvdiffrast", "tiny-cuda-nn")
# Frameworks whose GPU wheels bring the CUDA libraries they load.
_BRINGS_CUDA = {"torch", "tensorflow", "jax"}
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Install:
    """One ``pip install`` step."""

    label: str
    """What it installs, for the comment above it (``torch 2.5.1 (cu124)``)."""
    args: tuple[str, ...]
    """Arguments after ``pip install``."""


@dataclass(frozen=True)
class DockerPlan:
    """Everything the template needs; frozen so that rendering is a pure function."""

    target: str
    """The target in one line (GPUs, driver, Python)."""
    python: str
    base: str
    """The final stage's image."""
    flavor: str
    """``slim``, ``cuda-runtime`` or ``cuda-devel`` (a devel build stage + runtime stage)."""
    builder: str | None = None
    """The build stage's image (``cuda-devel`` only)."""
    os_python: bool = False
    """Python comes from the OS packages (nvidia/cuda Ubuntu images), not the image."""
    gpu: str | None = None
    """``nvidia``, ``amd`` or ``None`` (CPU)."""
    cuda: str | None = None
    """CUDA of the system libraries (image) when there are any."""
    installs: tuple[Install, ...] = ()
    requirements: str | None = None
    """File name of the copied requirements file."""
    wheelhouse: bool = False
    """Install offline from a copied ``wheelhouse/`` folder."""
    no_build_isolation: bool = False
    """Packages that compile against torch need it at build time."""
    env: tuple[tuple[str, str], ...] = ()
    """Extra environment of the final image (name, value, in order)."""
    arch_list: str | None = None
    """``TORCH_CUDA_ARCH_LIST`` for the build stage: the target's GPUs only."""
    comments: tuple[str, ...] = ()
    """Why each choice was made, printed at the top of the file."""
    build_command: str = "docker build -t IMAGE ."
    run_command: str = "docker run --rm -it IMAGE"
    notes: tuple[str, ...] = field(default=())
    """Advice for the person (printed to standard error), not part of the file."""


@dataclass(frozen=True)
class DockerRequest:
    """What the image should contain."""

    frameworks: tuple[str, ...] = ()
    """Requests as ``envdoctor plan`` takes them (``torch==2.5``)."""
    requirements: Path | None = None
    python: str | None = None
    cpu: bool = False
    rocm: bool = False
    devel: bool = False
    """Force a devel build stage (something in the requirements compiles CUDA code)."""
    wheelhouse: Path | None = None
    tag: str = "IMAGE"


def plan_dockerfile(kb: KnowledgeBase, target: Target, request: DockerRequest,
                    *, cdi_only: bool = False) -> DockerPlan:
    """Choose builds and images for ``request`` on ``target``; raise UsageError if none fit."""
    from envdoctor.planner import Planner, Request  # noqa: PLC0415

    if request.cpu and request.rocm:
        raise UsageError("--cpu and --rocm cannot be used together", hint="pick one")
    python = _python(kb, request.python or target.python or DEFAULT_PYTHON)
    target = replace(target, python=python)
    if request.rocm and not target.amd:
        raise UsageError("--rocm needs an AMD GPU target",
                         hint="describe one, e.g. --gpu MI300X, or run on the AMD machine")
    if request.cpu:
        target = replace(target, gpus=())
    elif request.rocm:
        target = replace(target, gpus=tuple(target.amd))
    reqs = _read_requirements(request.requirements)
    compiles = sorted({n for n in reqs if n in COMPILES_CUDA})
    if not request.frameworks and not reqs:
        raise UsageError("nothing to install", hint="name frameworks (--framework torch==2.5) "
                         "or a requirements file (--requirements requirements.txt)")
    planner = Planner(kb)
    plans: list[Plan] = []
    for text in request.frameworks:
        result = planner.plan(Request.parse(text), target, cpu=request.cpu)
        if result.choice is None:
            raise UsageError(_why_nothing_fits(result), hint=_nothing_fits_hint(result))
        plans.append(result)
    choices = [p.choice for p in plans if p.choice is not None]
    gpu = "amd" if target.amd and not target.nvidia and not request.cpu else (
        "nvidia" if target.nvidia and not request.cpu else None)
    needs_system_cuda = [c for c in choices if c.cuda and c.framework not in _BRINGS_CUDA]
    devel = bool(request.devel or compiles) and gpu == "nvidia"
    comments = [f"Target: {target.describe()}."]
    for p in plans:
        c = p.choice
        assert c is not None  # noqa: S101 - checked above
        comments.append(f"{c.framework} {c.version} ({c.variant}): " + "; ".join(c.reasons))
        comments += [f"  passed over: {r}" for r in p.rejected[:3]]
        comments += [f"  note: {n}" for n in p.notes]
    wheel_cuda = [c for c in choices if c.cuda and c.framework in _BRINGS_CUDA]
    if len({c.framework for c in wheel_cuda}) > 1:
        comments.append("Warning: " + " and ".join(c.framework for c in wheel_cuda) + " each pin "
                        "their own nvidia-* CUDA/cuDNN wheels; one install may replace the "
                        "other's (the final 'pip check' fails the build if so). Separate "
                        "images are safer.")
    if compiles:
        comments.append(f"{', '.join(compiles)} compile CUDA code when installed: built in a "
                        "devel stage with nvcc, copied into a small runtime stage.")
    torch = next((c for c in choices if c.framework == "torch"), None)
    flavor, base, builder, cuda, os_python, python = _images(
        kb, target, python, python_given=request.python is not None, gpu=gpu, devel=devel,
        system_cuda=needs_system_cuda, torch=torch, comments=comments)
    installs = tuple(_install(c, request.wheelhouse is not None) for c in choices)
    env: list[tuple[str, str]] = []
    for p in plans:
        for note in p.notes:
            m = re.search(r"HSA_OVERRIDE_GFX_VERSION=([0-9.]+)", note)
            if m:
                env.append(("HSA_OVERRIDE_GFX_VERSION", m.group(1)))
    arch_list = _arch_list(target) if devel else None
    if builder is None and request.wheelhouse is not None:
        # A build stage of the same image installs from the wheelhouse; only the venv is
        # copied on, so the wheels' COPY layer is not part of the image.
        builder = base
        comments.append("Two stages: the wheelhouse is used in the first and left behind.")
    run = _run_command(request.tag, gpu, torch is not None, cdi_only)
    notes = [f"Build: docker build -t {request.tag} .", f"Run:   {run}"]
    if gpu == "nvidia" and target.driver is None:
        notes.append("The target's driver is not known: the image needs the driver named in "
                     "the comments at the top of the Dockerfile.")
    return DockerPlan(
        target=target.describe(), python=python, base=base, flavor=flavor, builder=builder,
        os_python=os_python, gpu=gpu, cuda=cuda, installs=installs,
        requirements="requirements.txt" if request.requirements else None,
        wheelhouse=request.wheelhouse is not None, no_build_isolation=bool(compiles),
        env=tuple(env), arch_list=arch_list, comments=tuple(comments),
        build_command=f"docker build -t {request.tag} .", run_command=run,
        notes=tuple(notes))


# --------------------------------------------------------------------------- choices


def _python(kb: KnowledgeBase, wanted: str) -> str:
    mm = major_minor(wanted)
    known = [r["python"] for r in kb.table("images")["python"]]
    if not mm or mm not in known:
        raise UsageError(f"no Python {wanted} image", hint=f"use one of {', '.join(known)}")
    return mm


def _read_requirements(path: Path | None) -> list[str]:
    """Distribution names in a requirements file (lower case, ``_`` as ``-``)."""
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}",
                         hint="give a pip requirements file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a text file", hint="give a pip requirements file") \
            from None
    names = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = _REQUIREMENT_NAME.match(line)
        if m:
            names.append(m.group(1).lower().replace("_", "-"))
    return names


def _images(kb: KnowledgeBase, target: Target, python: str, *, python_given: bool,
            gpu: str | None, devel: bool, system_cuda: list[Choice], torch: Choice | None,
            comments: list[str]) -> tuple[str, str, str | None, str | None, bool, str]:
    """(flavor, final image, build image, CUDA of the image, Python from the OS, Python)."""
    slim = next(r["tag"] for r in kb.table("images")["python"] if r["python"] == python)
    if gpu != "nvidia" or not (devel or system_cuda):
        why = {None: "no GPU: a slim Python image",
               "amd": "the ROCm wheels bring their ROCm libraries: a slim Python image",
               "nvidia": "the wheels bring their CUDA libraries: a slim Python image, no "
                         "CUDA image needed"}[gpu]
        comments.append(f"Base: python:{slim} ({why}).")
        return "slim", f"python:{slim}", None, None, False, python
    # A CUDA image: its CUDA must be one the driver runs natively, or the container
    # toolkit refuses to start it (the image sets NVIDIA_REQUIRE_CUDA).
    wanted = torch.cuda if devel and torch and torch.cuda else (
        system_cuda[0].cuda if system_cuda else None)
    os_name, release, python = _ubuntu_and_release(kb, python, python_given,
                                                   wanted or kb.newest_cuda(), target.driver)
    cudnn = next(r["cudnn_tag"] for r in kb.table("images")["cuda"] if r["cuda"] == release)
    if devel:
        builder = f"nvidia/cuda:{release}-devel-{os_name}"
        base = f"nvidia/cuda:{release}-base-{os_name}"
        comments.append(f"Build stage: {builder} (nvcc {major_minor(release)}, the same CUDA "
                        f"major as torch's {torch.cuda if torch else '?'}); runtime stage: "
                        f"{base} (the wheels bring the CUDA libraries; only the driver "
                        "interface is needed).")
        return "cuda-devel", base, builder, release, True, python
    flavor = f"{cudnn}-runtime"
    base = f"nvidia/cuda:{release}-{flavor}-{os_name}"
    names = ", ".join(c.framework for c in system_cuda)
    comments.append(f"Base: {base} ({names} load CUDA {major_minor(release)} and cuDNN from "
                    "the system; the driver runs this CUDA natively).")
    return "cuda-runtime", base, None, release, True, python


def _ubuntu_and_release(kb: KnowledgeBase, python: str, python_given: bool, cuda: str,
                        driver: str | None) -> tuple[str, str, str]:
    """(Ubuntu version, image CUDA release, Python) for a CUDA image.

    CUDA images take the OS's Python, so the Python decides the Ubuntu version. When the
    user did not ask for a Python, another Ubuntu (and its Python) may serve when the
    preferred one has no image the driver runs (Ubuntu 24.04 images start at CUDA 12.6).
    """
    preferred = _ubuntu_for(kb, python) if python_given else None
    rows = kb.table("images")["ubuntu_python"]
    default_os = _os_of(rows, python)
    candidates = [preferred] if preferred else sorted(
        (r["os"] for r in rows),
        key=lambda o: (o != default_os, [-int(x) for x in o.removeprefix("ubuntu").split(".")]))
    error: UsageError | None = None
    for os_name in candidates:
        try:
            release = _cuda_image(kb, cuda, driver, os_name)
        except UsageError as exc:
            error = exc
            continue
        return os_name, release, next(r["python"] for r in rows if r["os"] == os_name)
    assert error is not None  # noqa: S101 - at least one candidate was tried
    raise error


def _os_of(rows: list[dict[str, Any]], python: str) -> str | None:
    return next((r["os"] for r in rows if r["python"] == python), None)


def _ubuntu_for(kb: KnowledgeBase, python: str) -> str:
    rows = kb.table("images")["ubuntu_python"]
    found = next((r["os"] for r in rows if r["python"] == python), None)
    if found is None:
        choices = ", ".join(f"{r['python']} ({r['os']})" for r in rows)
        raise UsageError(f"no CUDA image ships Python {python}",
                         hint=f"CUDA images take the OS's Python: use --python with one of "
                         f"{choices}")
    return str(found)


def _cuda_image(kb: KnowledgeBase, cuda: str, driver: str | None, os_name: str) -> str:
    """The newest image release for ``os_name`` that ``driver`` runs natively.

    Of ``cuda``'s major and at most ``cuda`` (``12.x``: any 12).
    """
    want = version_tuple(cuda)
    if len(want) < 2:  # "12.x": a whole major
        want = (want[0], 99) if want else (99, 99)
    native = version_tuple(kb.max_cuda_for_driver(driver) or "") if driver else ()
    rows = [r for r in kb.table("images")["cuda"] if os_name in r["os"]]
    fits = [r["cuda"] for r in rows
            if version_tuple(r["cuda"])[:1] == want[:1]
            and version_tuple(r["cuda"])[:2] <= want[:2]
            and (not native or version_tuple(r["cuda"])[:2] <= native[:2])]
    if not fits:
        major = cuda.split(".", maxsplit=1)[0]
        raise UsageError(f"no nvidia/cuda {major}.x image for {os_name} that driver "
                         f"{driver or '?'} runs",
                         hint="upgrade the target's driver ('envdoctor plan' names the "
                         "branch), or choose wheels that bring their own CUDA")
    return max(fits, key=version_tuple)


def _install(choice: Choice, offline: bool) -> Install:
    args = choice.pip.split()[2:]  # after "pip install"
    if offline:
        args = [a for a in args if a != "--index-url" and not a.startswith("http")]
        args = ["--no-index", "--find-links", "/tmp/wheelhouse", *args]
    label = f"{choice.framework} {choice.version} ({choice.variant})"
    return Install(label, tuple(args))


def _arch_list(target: Target) -> str | None:
    """``TORCH_CUDA_ARCH_LIST`` for the target's GPUs (``8.6;8.9``), or None if unknown."""
    ccs = sorted({g.compute_capability for g in target.nvidia if g.compute_capability},
                 key=version_tuple)
    return ";".join(ccs) or None


def _run_command(tag: str, gpu: str | None, torch: bool, cdi_only: bool) -> str:
    parts = ["docker run --rm -it"]
    if gpu == "nvidia":
        parts.append("--device nvidia.com/gpu=all" if cdi_only else "--gpus all")
    elif gpu == "amd":
        parts.append("--device /dev/kfd --device /dev/dri --group-add video "
                     "--security-opt seccomp=unconfined")
    if torch:
        # DataLoader workers pass tensors through /dev/shm; Docker's default is 64 MiB.
        parts.append("--shm-size=8g")
    parts.append(tag)
    return " ".join(parts)


def _why_nothing_fits(plan: Plan) -> str:
    # The reason that rules out every build beats one that rules out an old release.
    ranked = sorted(plan.rejected, key=lambda r: (not r.startswith("every"),
                                                 "driver" not in r))
    first = ranked[0] if ranked else "no release in the knowledge base fits"
    return f"no {plan.request} build runs on {plan.target.describe()}: {first}"


def _nothing_fits_hint(plan: Plan) -> str:
    if plan.upgrade is not None:
        return (f"install NVIDIA driver branch {plan.upgrade.branch} (at least "
                f"{plan.upgrade.minimum}) on the target, or build with --cpu")
    return f"'envdoctor plan {plan.request}' lists what was passed over and why"


# --------------------------------------------------------------------------- rendering


def render_dockerfile(plan: DockerPlan, *, command: str) -> str:
    """The Dockerfile text for ``plan`` (``command`` is echoed in its header)."""
    from envdoctor.templates import render  # noqa: PLC0415

    return render("Dockerfile.j2", plan=plan, command=command)


def render_dockerignore() -> str:
    """A .dockerignore that keeps caches, VCS data and secrets out of the build context."""
    from envdoctor.templates import render  # noqa: PLC0415

    return render("dockerignore.j2")
