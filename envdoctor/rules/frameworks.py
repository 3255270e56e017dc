"""ED04xx: frameworks and how they were built."""

from __future__ import annotations

import re
from collections.abc import Iterator

from envdoctor._util import major_minor, version_tuple
from envdoctor.facts import Facts, FrameworkFacts
from envdoctor.report import Severity
from envdoctor.rules._helpers import (
    framework,
    has_amd,
    has_nvidia,
    nvidia_works,
    plan_fix,
    plan_for,
)
from envdoctor.rules.base import Category, Context, Issue, rule

_GPU_FRAMEWORKS = ("torch", "tensorflow", "jax", "paddle", "cupy", "onnxruntime")
_TORCH_COMPANIONS = ("torchvision", "torchaudio")
# Local tags of the wheels on download.pytorch.org/whl/<tag> (PyPI's default build has
# none). Any other tag (``git1234abc``, NGC's ``nv24.03``) is a source or vendor build.
_TORCH_INDEX_TAG = re.compile(r"cu\d{2,3}|rocm\d+(?:\.\d+)*|cpu|xpu")
_JAX_PLUGIN = re.compile(r"jax-(cuda|rocm)(\d+)-(plugin|pjrt)")
_LEGACY_KERAS = ("1", "true", "True")  # what TensorFlow's KerasLazyLoader accepts
_BUILD_NAMES = {"cpu": "CPU", "cuda": "CUDA", "rocm": "ROCm", "xpu": "XPU", "mps": "MPS"}


# --------------------------------------------------------------------------- helpers


def _build_name(build: str | None) -> str:
    return _BUILD_NAMES.get(build or "", build or "unknown")


def _label(fw: FrameworkFacts) -> str:
    """``torch 2.5.1+cpu``: the distribution and its full version."""
    return f"{fw.distribution} {fw.version}" + (f"+{fw.local_tag}" if fw.local_tag else "")


def _torch_source(ctx: Context, torch: FrameworkFacts) -> str | None:
    """Where pip finds builds like the installed torch.

    ``""`` for PyPI, `` --index-url https://download.pytorch.org/whl/<tag>`` for a tagged
    wheel, ``None`` for a source or vendor build that no index carries.
    """
    tag = torch.local_tag
    if not tag:
        return ""
    if _TORCH_INDEX_TAG.fullmatch(tag):
        return f" --index-url {ctx.kb.torch_index_url(tag)}"
    return None


def _torch_switch(ctx: Context, fw: FrameworkFacts) -> tuple[list[str], str | None]:
    """Replace the installed torch build (and its companions) with the one that fits."""
    plan = plan_for(ctx, "torch", f"=={major_minor(fw.version or '')}" if fw.version else "")
    if plan is None:
        return [], (f"The version table does not know the builds of torch {fw.version}; "
                    "uninstall this one and pick a build at "
                    "https://pytorch.org/get-started/locally/.")
    if plan.choice is None:
        fix, note = plan_fix(plan)
        if plan.upgrade is not None and note:
            note += " (uninstall the installed build first: pip uninstall -y torch)"
        return fix, note
    choice = plan.choice
    companions = [c for c in _TORCH_COMPANIONS if framework(ctx.facts, c)]
    row = ctx.kb.torch_release(choice.version) or {}
    install = choice.pip
    if companions:
        # pip leaves an installed torch==2.5.1 in place when asked for torch==2.5.1 from
        # another index (local tags do not count), so the old build goes first; the
        # companions pinned to torch's pair follow it onto the new index.
        pins = " ".join(f"'{c}=={row[c]}.*'" if row.get(c) else c for c in companions)
        install = install.replace(f"torch=={choice.version}",
                                  f"torch=={choice.version} {pins}", 1)
    note = "; ".join(choice.reasons)
    if choice.conda:
        note += f". With conda instead: {choice.conda}"
    if plan.notes:
        note += ". " + " ".join(plan.notes)
    return [f"pip uninstall -y {' '.join(['torch', *companions])}", install], note


def _jax_install(ctx: Context, jax: FrameworkFacts) -> tuple[list[str], str | None]:
    """The jax[cudaNN] install of the installed JAX version that fits the driver."""
    version = jax.version or ""
    # The planner knows the releases where JAX's requirements changed; the newest one not
    # after the installed version says which CUDA plugins exist and what they need.
    plan = plan_for(ctx, "jax", f"<={version}") if version else None
    if plan is not None and plan.choice is not None and plan.choice.variant.startswith("cuda"):
        return ([f'pip install "jax[{plan.choice.variant}]=={version}"'],
                "; ".join(plan.choice.reasons))
    driver = ctx.facts.nvidia.userspace_version or ctx.facts.nvidia.kernel_module_version
    upgrade = plan.upgrade if plan is not None else None
    if upgrade is not None and driver and version_tuple(driver) < version_tuple(
            upgrade.minimum):
        fix, _ = plan_fix(plan)
        variant = upgrade.enables.variant if upgrade.enables is not None else "cuda12"
        return fix, (f"JAX's CUDA plugins need driver >= {upgrade.minimum}; after the "
                     f'upgrade: pip install "jax[{variant}]=={version}"')
    return [], (f"JAX {version} has no CUDA plugin wheel this machine can use; "
                'pip install -U "jax[cuda12]" moves to a release that has one.')


def _plan_install(ctx: Context, name: str, spec: str) -> tuple[list[str], str | None]:
    """The planner's install command for ``name`` on this machine (no driver upgrades)."""
    plan = plan_for(ctx, name, spec)
    if plan is None or plan.choice is None:
        return [], ("; ".join(plan.rejected[:3]) or None) if plan is not None else None
    return [plan.choice.pip], "; ".join(plan.choice.reasons)


def _switch(ctx: Context, fw: FrameworkFacts, want: str) -> tuple[list[str], str | None]:
    """Commands that replace ``fw`` with its ``want`` (``cuda`` or ``rocm``) build."""
    f = ctx.facts
    if fw.name == "torch":
        return _torch_switch(ctx, fw)
    if fw.name == "jax":
        other = "rocm" if want == "cuda" else "cuda"
        plugins = sorted(k for k in fw.details if k.startswith(f"jax-{other}"))
        remove = [f"pip uninstall -y {' '.join(plugins)}"] if plugins else []
        if want == "cuda":
            fix, note = _jax_install(ctx, fw)
            return ([*remove, *fix] if fix else []), note
        rocm = version_tuple(f.rocm.rocm_version)
        if rocm[:1] and rocm[0] >= 7:
            return ([*remove, 'pip install -U "jax[rocm7-local]"'],
                    f"JAX's ROCm 7 plugin uses the ROCm installed here ({f.rocm.rocm_version}).")
        return [], (f"Run `{remove[0]}`, then install JAX's ROCm plugin for this "
                    "ROCm from AMD's JAX install guide (https://rocm.docs.amd.com, "
                    "'Install JAX')." if remove else
                    "Install JAX's ROCm plugin for this ROCm from AMD's JAX install guide "
                    "(https://rocm.docs.amd.com, 'Install JAX').")
    others = sorted({x.distribution for x in f.frameworks if x.name == fw.name})
    remove = [f"pip uninstall -y {' '.join(others)}"]
    if want == "rocm":
        return _rocm_install(ctx, fw, remove)
    if fw.name == "cupy":
        fix, note = _plan_install(ctx, "cupy", "")
    elif fw.name in ("tensorflow", "onnxruntime"):
        fix, note = _plan_install(ctx, fw.name, f"=={major_minor(fw.version or '')}")
    else:
        fix, note = [], ("Install paddlepaddle-gpu for a CUDA this driver supports, from "
                         "https://www.paddlepaddle.org.cn/install/quick (uninstall "
                         f"{fw.distribution} first).")
    return ([*remove, *fix] if fix else []), note


def _rocm_install(ctx: Context, fw: FrameworkFacts, remove: list[str],
                  ) -> tuple[list[str], str | None]:
    """The ROCm build of a framework other than torch and JAX, as far as one is published."""
    rocm = version_tuple(ctx.facts.rocm.rocm_version)
    if fw.name == "cupy":
        # cupy-rocm-7-0 is CuPy's wheel for ROCm 7.0: the package name carries the ROCm.
        wheels = {p["package"]: p["package"].removeprefix("cupy-rocm-").replace("-", ".")
                  for p in ctx.kb.table("cupy")["packages"]
                  if p["package"].startswith("cupy-rocm-")}
        for name, built in wheels.items():
            if rocm[:1] and version_tuple(built)[:1] == rocm[:1]:
                return [*remove, f"pip install {name}"], f"CuPy's wheel for ROCm {built}"
        return [], (f"CuPy publishes ROCm wheels for ROCm {', '.join(sorted(wheels.values()))} "
                    "only; for this ROCm, build CuPy from source "
                    "(https://docs.cupy.dev/en/stable/install.html).")
    where = {
        "tensorflow": "tensorflow-rocm, from AMD's TensorFlow install guide "
                      "(https://rocm.docs.amd.com, 'Install TensorFlow')",
        "onnxruntime": "ONNX Runtime with the MIGraphX execution provider, from AMD's guide "
                       "(https://onnxruntime.ai/docs/execution-providers/"
                       "MIGraphX-ExecutionProvider.html)",
        "paddle": "Paddle's ROCm (DCU) build (https://www.paddlepaddle.org.cn/install/quick)",
    }[fw.name]
    return [], f"Run `{remove[0]}`, then install {where}."


def _gpu_names(f: Facts, vendor: str) -> str:
    """The distinct names of one vendor's GPUs, as the driver (else the PCI bus) gives them."""
    if vendor == "nvidia":
        names = [g.name for g in f.nvidia.gpus] or [p.name for p in f.nvidia.pci_gpus]
    else:
        names = [g.name for g in f.rocm.gpus] or [p.name for p in f.rocm.pci_gpus]
    unique = list(dict.fromkeys(n for n in names if n))
    return ", ".join(unique) or ("NVIDIA GPU" if vendor == "nvidia" else "AMD GPU")


# --------------------------------------------------------------------------- rules


@rule(code="ED0401", name="cpu-only-build-on-gpu-machine",
      title="A framework is a CPU-only build on a machine with an NVIDIA GPU",
      severity=Severity.ERROR, category=Category.CPU_ONLY_BUILD)
def cpu_only_build_on_gpu_machine(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The build of torch, TensorFlow, JAX and Paddle (from their own version files and
    local version tags) on a machine with NVIDIA GPUs. A GPU the driver does not report
    (none loaded, or a container without GPUs) makes it a warning. TensorFlow >= 2.11 on
    native Windows is left to ED0408.

    ## Why it matters
    A CPU build never uses the GPU: `torch.cuda.is_available()` is False and training
    runs tens of times slower. It happens easily: `pip install torch` on Windows, a
    `+cpu` index, conda's CPU variant, `tensorflow-cpu`, `pip install jax` without the
    `[cuda12]` extra.

    ## How to fix
    Uninstall the CPU build, then install the CUDA build that fits the driver and GPU
    (the fix names it): pip keeps an installed `torch 2.5.1+cpu` when asked for
    `torch==2.5.1` from a CUDA index, because local tags do not count. torchvision and
    torchaudio are replaced with torch. For JAX, installing the `jax[cuda12]` extra of
    the same version is enough.

    ## Example
    `torch 2.5.1+cpu is a CPU-only build; this machine has an NVIDIA GPU (NVIDIA GeForce
    RTX 4090).`

    ## References
    - https://pytorch.org/get-started/locally/
    - https://docs.jax.dev/en/latest/installation.html
    """
    f = ctx.facts
    if not has_nvidia(f):
        return
    seen = set()
    for fw in f.frameworks:
        if fw.name not in ("torch", "tensorflow", "jax", "paddle") or fw.build != "cpu" or (
                fw.name in seen):
            continue
        seen.add(fw.name)
        if fw.name == "tensorflow" and f.os.system == "Windows" and version_tuple(
                fw.version) >= (2, 11):
            continue  # no CUDA build exists there: ED0408 says what to do instead
        if fw.name == "jax" and f.os.system == "Windows":
            fix, note = [], ("JAX has no CUDA build for native Windows; install it in WSL2 "
                             'with pip install -U "jax[cuda12]".')
        else:
            fix, note = _switch(ctx, fw, "cuda")
        yield Issue(f"{_label(fw)} is a CPU-only build; this machine has an NVIDIA GPU "
                    f"({_gpu_names(f, 'nvidia')}).", fix=fix, fix_note=note,
                    severity=None if nvidia_works(f) else Severity.WARNING,
                    evidence=[f"frameworks.{fw.name}.build=cpu",
                              "nvidia.gpus" if f.nvidia.gpus else "nvidia.pci_gpus"])


@rule(code="ED0402", name="build-for-the-other-gpu-vendor",
      title="A framework is built for the other GPU vendor (ROCm on NVIDIA, CUDA on AMD)",
      severity=Severity.ERROR, category=Category.CPU_ONLY_BUILD)
def build_for_the_other_gpu_vendor(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A ROCm build of torch, TensorFlow, JAX, Paddle, CuPy or ONNX Runtime on a machine
    with only NVIDIA GPUs, and a CUDA build on a machine with only AMD GPUs (the PyPI
    torch wheel is a CUDA build).

    ## Why it matters
    The build cannot use the GPU that is there and falls back to the CPU (or fails to
    import its GPU libraries).

    ## How to fix
    Uninstall the build, then install the one for the GPU present: CUDA wheels for
    NVIDIA, ROCm wheels for AMD (torch from its ROCm index, `jax[rocm7-local]`,
    `cupy-rocm-7-0`). Where the ROCm build is not on pip's indexes (TensorFlow, ONNX
    Runtime, JAX for ROCm 6) the note points to AMD's instructions.

    ## Example
    `torch 2.5.1+rocm6.2 is a ROCm build; this machine's GPUs are NVIDIA (NVIDIA GeForce
    RTX 4090).`

    ## References
    - https://pytorch.org/get-started/locally/
    - https://rocm.docs.amd.com/projects/install-on-linux/en/latest/install/3rd-party/pytorch-install.html
    """
    f = ctx.facts
    nvidia, amd = has_nvidia(f), has_amd(f)
    if nvidia == amd:
        return  # no GPU, or GPUs of both vendors: either build has one to use
    want, vendor = ("cuda", "nvidia") if nvidia else ("rocm", "amd")
    wrong = "rocm" if nvidia else "cuda"
    seen = set()
    for fw in f.frameworks:
        if fw.name not in _GPU_FRAMEWORKS or fw.build != wrong or fw.name in seen:
            continue
        seen.add(fw.name)
        fix, note = _switch(ctx, fw, want)
        gpus = ("nvidia.gpus" if f.nvidia.gpus else "nvidia.pci_gpus") if nvidia else (
            "rocm.gpus" if f.rocm.gpus else "rocm.pci_gpus")
        yield Issue(f"{_label(fw)} is a {'ROCm' if wrong == 'rocm' else 'CUDA'} build; this "
                    f"machine's GPUs are {vendor.upper() if nvidia else 'AMD'} "
                    f"({_gpu_names(f, vendor)}).", fix=fix, fix_note=note,
                    evidence=[f"frameworks.{fw.name}.build={wrong}", gpus])


@rule(code="ED0403", name="torch-companion-does-not-match-torch",
      title="torchvision or torchaudio does not match the installed torch",
      severity=Severity.ERROR, category=Category.COMPANION_MISMATCH)
def torch_companion_does_not_match_torch(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The torch version torchvision and torchaudio pin (their METADATA) and their release
    pair (the version table; not for pre-release torch such as nightlies or NGC's
    `2.5.0a0`) against the installed torch, and their build: a CPU companion beside a
    CUDA torch (or the reverse), and the CUDA they were built for (torchvision refuses a
    torch of another CUDA major, torchaudio one of another CUDA major.minor).

    ## Why it matters
    Their C++ operators are compiled against one torch: a different torch fails with
    "operator torchvision::nms does not exist", undefined symbols, or "Detected that
    PyTorch and torchvision were compiled with different CUDA major versions". A CPU
    torchvision has no CUDA kernels: "Could not run 'torchvision::nms' with arguments
    from the 'CUDA' backend".

    ## How to fix
    Install the companion release paired with the installed torch, from the index torch
    came from, naming torch's own version in the same command so that pip keeps it. A
    companion of another build or CUDA is uninstalled first (pip would keep it: local
    tags do not count). For a source or vendor build of torch (NGC), build the companion
    against it.

    ## Example
    `torchvision 0.15.2 requires torch==2.0.1; torch is 2.5.1.`

    ## References
    - https://github.com/pytorch/vision#installation (version table)
    - https://pytorch.org/audio/main/installation.html#compatibility-matrix
    """
    f, kb = ctx.facts, ctx.kb
    torch = framework(f, "torch")
    if torch is None or not torch.version:
        return
    pairs = kb.torch_companions(torch.version) or {}
    for name in _TORCH_COMPANIONS:
        comp = framework(f, name)
        if comp is None or not comp.version:
            continue
        pinned = comp.details.get("requires_torch", "")
        wrong_pin = pinned.startswith("==") and version_tuple(pinned[2:]) != version_tuple(
            torch.version)
        # Pre-releases (nightlies, NGC's 2.5.0a0) pair with pre-releases the table lacks.
        released = re.fullmatch(r"\d+(?:\.\d+)*", torch.version) is not None
        paired = pairs.get(name) if released else None
        wrong_pair = bool(paired) and major_minor(comp.version) != paired
        # torchvision/extension.py compares CUDA majors, torchaudio's _check_cuda_version
        # major.minor: what each raises "compiled with different CUDA versions" for.
        digits = 1 if name == "torchvision" else 2
        wrong_cuda = bool(torch.cuda_version and comp.cuda_version) and version_tuple(
            torch.cuda_version)[:digits] != version_tuple(comp.cuda_version)[:digits]
        # A +cpu torchvision beside a CUDA torch has no CUDA kernels ("Could not run
        # 'torchvision::nms' with arguments from the 'CUDA' backend"); the reverse fails to
        # load its library. A companion's version file names no CUDA even in CUDA builds
        # (conda's, source builds), so only a +cpu tag proves a CPU one; torch's macOS
        # wheel is an MPS build beside CPU companions.
        comp_build = comp.build if comp.build != "cpu" or (comp.local_tag or "").startswith(
            "cpu") else None
        builds = {b if b != "mps" else "cpu" for b in (comp_build, torch.build)}
        wrong_build = None not in builds and len(builds) == 2
        wrong_variant = wrong_cuda or wrong_build
        if not (wrong_pin or wrong_pair or wrong_variant):
            continue
        full = torch.version + (f"+{torch.local_tag}" if torch.local_tag else "")
        own = f"torch {full}"
        if wrong_pin:
            message = f"{_label(comp)} requires torch{pinned}; torch is {full}."
        elif wrong_pair:
            message = (f"{_label(comp)} is not the release for {own} (torch "
                       f"{major_minor(torch.version)} pairs with {name} {paired}).")
        elif wrong_build:
            message = (f"{_label(comp)} is a {_build_name(comp.build)} build; {own} is a "
                       f"{_build_name(torch.build)} build.")
        else:
            message = (f"{_label(comp)} is built for CUDA {comp.cuda_version}; {own} is built "
                       f"for CUDA {torch.cuda_version}.")
        fix: list[str] = []
        note = None
        source = _torch_source(ctx, torch)
        if source is None:
            note = (f"{own} is a source or vendor build that "
                    f"no index carries: build {name} from source against it (or use the "
                    "vendor's matching release).")
        elif released:
            # Naming torch's own version keeps it; pip then picks the companion that pins
            # it (the paired release when the table knows it).
            keep = f"torch=={full}"
            companion = f"'{name}=={paired}.*'" if paired else name
            fix = [*([f"pip uninstall -y {name}"] if wrong_variant else []),
                   f"pip install '{keep}' {companion}{source}"]
        else:
            note = (f"torch {torch.version} is a pre-release: install the {name} "
                    "pre-release of the same date, from the same nightly index.")
        yield Issue(message, fix=fix, fix_note=note,
                    evidence=[f"frameworks.{name}.version={comp.version}",
                              f"frameworks.torch.version={torch.version}"]
                    + ([f"frameworks.{name}.build={comp.build}",
                        f"frameworks.torch.build={torch.build}"] if wrong_build else
                       [f"frameworks.{name}.cuda_version={comp.cuda_version}",
                        f"frameworks.torch.cuda_version={torch.cuda_version}"]
                       if wrong_cuda else []))


@rule(code="ED0404", name="keras-version-does-not-fit-tensorflow",
      title="Keras 3 is installed where TensorFlow's code expects Keras 2 (or tf-keras)",
      severity=Severity.WARNING, category=Category.COMPANION_MISMATCH)
def keras_version_does_not_fit_tensorflow(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The Keras major version beside TensorFlow: TensorFlow 2.6-2.14 loads `tf.keras` from
    the Keras 2 package of its own version; from 2.15 `tf.keras` follows the installed
    Keras (2.15 installs Keras 2 but works with Keras 3; 2.16 installs Keras 3), and
    `TF_USE_LEGACY_KERAS=1` routes it to the `tf-keras` package instead.

    ## Why it matters
    Keras 3 beside TensorFlow 2.6-2.14 breaks `tf.keras` (it imports
    `keras.api._v2.keras`, which Keras 3 does not have). `TF_USE_LEGACY_KERAS=1` without
    `tf-keras` installed leaves `tf.keras` unusable ("Keras cannot be imported").

    ## How to fix
    On TensorFlow 2.6-2.14 install the Keras 2 of the same version
    (`pip install 'keras==2.14.*'`). With `TF_USE_LEGACY_KERAS=1`, install `tf-keras` of
    TensorFlow's version.

    ## Example
    `keras 3.15.1 is Keras 3; tensorflow 2.14.1 loads tf.keras from Keras 2.14.`

    ## References
    - https://keras.io/getting_started/#tensorflow--keras-2-backwards-compatibility
    - https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/util/lazy_loader.py
    """
    f = ctx.facts
    tf, keras = framework(f, "tensorflow"), framework(f, "keras")
    if tf is None or not tf.version:
        return
    tf_version = version_tuple(tf.version)
    if keras is not None and keras.details.get("keras_major") == "3" and (
            (2, 6) <= tf_version < (2, 15)):
        yield Issue(f"keras {keras.version} is Keras 3; tensorflow {tf.version} loads tf.keras "
                    f"from Keras {major_minor(tf.version)}.",
                    fix=[f"pip install 'keras=={major_minor(tf.version)}.*'"],
                    evidence=["frameworks.keras.details.keras_major=3",
                              f"frameworks.tensorflow.version={tf.version}"])
    legacy = f.env.variables.get("TF_USE_LEGACY_KERAS")
    if legacy in _LEGACY_KERAS and tf_version >= (2, 15) and framework(f, "tf-keras") is None:
        yield Issue(f"TF_USE_LEGACY_KERAS={legacy} asks tensorflow {tf.version} for Keras 2, "
                    "but tf-keras is not installed: tf.keras cannot be imported.",
                    fix=[f"pip install 'tf-keras=={major_minor(tf.version)}.*'"],
                    evidence=[f"env.TF_USE_LEGACY_KERAS={legacy}",
                              f"frameworks.tensorflow.version={tf.version}"])


@rule(code="ED0405", name="jax-plugin-version-differs-from-jaxlib",
      title="JAX's CUDA or ROCm plugin does not match jaxlib", severity=Severity.ERROR,
      category=Category.COMPANION_MISMATCH)
def jax_plugin_version_differs_from_jaxlib(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The versions of `jax-cuda12-plugin`/`jax-cuda13-plugin` and their `-pjrt` runtimes
    against `jaxlib`, compared as JAX does (the numeric part: `0.4.31.dev20240601` is
    0.4.31). ROCm plugins (`jax-rocm60-plugin`, `jax-rocm7-plugin`) are compared up to
    jaxlib 0.7: from 0.8 jaxlib no longer checks them (AMD releases them on its own
    schedule, and pip's pins keep them in step).

    ## Why it matters
    jaxlib checks the plugin's version when it loads it: a different one is skipped ("JAX
    plugin jax_cuda12_plugin version X is installed, but it is not compatible with the
    installed jaxlib version Y, so it will not be used") and JAX runs on the CPU. The
    `-pjrt` runtime is pinned by the plugin to its own version; one from another release
    may fail to initialise the GPU backend (a warning).

    ## How to fix
    Reinstall them together with the extra of the installed JAX version
    (`pip install "jax[cuda12]==0.4.35"`), which pins jaxlib, the plugin and its runtime
    to that release; for ROCm, install the plugin and runtime of jaxlib's version.

    ## Example
    `jax-cuda12-plugin 0.4.30 beside jaxlib 0.4.35: jaxlib skips the plugin and JAX runs on
    the CPU.`

    ## References
    - https://docs.jax.dev/en/latest/installation.html
    - https://github.com/jax-ml/jax/pull/32115 (ROCm plugins: relaxed version check)
    """
    f = ctx.facts
    jax = framework(f, "jax")
    jaxlib = jax.details.get("jaxlib") if jax else None
    want = version_tuple(jaxlib)
    if jax is None or not jaxlib or not want:
        return
    off: dict[tuple[str, str], dict[str, FrameworkFacts]] = {}
    for fw in f.frameworks:
        m = _JAX_PLUGIN.fullmatch(fw.name)
        have = version_tuple(fw.version)
        if not m or not have or have == want:
            continue
        kind, major, part = m.groups()
        if kind == "rocm" and want >= (0, 8):
            continue  # jax-ml/jax#32115: jaxlib no longer checks ROCm plugin versions
        off.setdefault((kind, major), {})[part] = fw
    for (kind, major), parts in off.items():
        if kind == "cuda":
            fix = ([f'pip install "jax[cuda{major}]=={jax.version}"'] if jax.version else
                   [f'pip install -U "jax[cuda{major}]"'])
        else:
            fix = [f'pip install "jax-rocm{major}-plugin=={jaxlib}.*" '
                   f'"jax-rocm{major}-pjrt=={jaxlib}.*"']
        named = " and ".join(f"{fw.distribution} {fw.version}" for fw in parts.values())
        if "plugin" in parts:
            message = (f"{named} beside jaxlib {jaxlib}: jaxlib skips the plugin and JAX runs "
                       "on the CPU.")
        else:
            message = (f"{named} beside jaxlib {jaxlib}: the GPU runtime comes from another "
                       "JAX release and may fail to initialise.")
        yield Issue(message, fix=fix, severity=None if "plugin" in parts else Severity.WARNING,
                    evidence=[*(f"frameworks.{fw.name}.version={fw.version}"
                                for fw in parts.values()),
                              f"frameworks.jax.details.jaxlib={jaxlib}"])


@rule(code="ED0406", name="onnxruntime-installed-twice",
      title="Several ONNX Runtime packages are installed into one directory",
      severity=Severity.ERROR, category=Category.COMPANION_MISMATCH)
def onnxruntime_installed_twice(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    More than one of `onnxruntime`, `onnxruntime-gpu`, `onnxruntime-rocm`,
    `onnxruntime-openvino`, `onnxruntime-directml` (and the other ONNX Runtime builds).

    ## Why it matters
    They all install the same `onnxruntime` package directory; whichever was installed
    last wins, so `CUDAExecutionProvider` may be missing although `onnxruntime-gpu` is
    listed, and uninstalling one breaks the other.

    ## How to fix
    Uninstall all of them and reinstall only one, at the version it had: the build for
    this machine's GPU (`onnxruntime-gpu` with an NVIDIA GPU, the ROCm or MIGraphX one
    with an AMD GPU, DirectML on Windows), else the one other than plain `onnxruntime`,
    which is usually pulled in as another package's dependency.

    ## Example
    `onnxruntime 1.32.0 and onnxruntime-gpu 1.31.1 share the onnxruntime package
    directory; its files are onnxruntime-gpu's.`

    ## References
    - https://onnxruntime.ai/docs/install/
    """
    f = ctx.facts
    builds = [fw for fw in f.frameworks if fw.name == "onnxruntime"]
    if len(builds) < 2:
        return
    names = [fw.distribution for fw in builds]
    fits = [fw for fw in builds if
            (fw.build == "cuda" and has_nvidia(f)) or (fw.build == "rocm" and has_amd(f))
            or (fw.build == "directml" and f.os.system == "Windows")]
    special = [fw for fw in builds if fw.distribution != "onnxruntime"
               and fw.build not in ("cuda", "rocm", "directml")]
    plain = [fw for fw in builds if fw.distribution == "onnxruntime"]
    keep = (fits or special or plain or builds)[0]
    owner = next((fw.details["package_dir_belongs_to"] for fw in builds
                  if fw.details.get("package_dir_belongs_to")), None)
    yield Issue(" and ".join(f"{fw.distribution} {fw.version}" for fw in builds)
                + " share the onnxruntime package directory"
                + (f"; its files are {owner}'s." if owner else
                   "; the last one installed wins."),
                fix=[f"pip uninstall -y {' '.join(names)}",
                     f"pip install {keep.distribution}"
                     + (f"=={keep.version}" if keep.version else "")],
                fix_note="A package that depends on plain onnxruntime will pull it back in; "
                         "install that package with --no-deps or pin it.",
                evidence=[f"frameworks.onnxruntime[{n}]" for n in names])


@rule(code="ED0407", name="cupy-installed-twice",
      title="Several CuPy packages are installed", severity=Severity.ERROR,
      category=Category.COMPANION_MISMATCH)
def cupy_installed_twice(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    More than one CuPy distribution (`cupy`, `cupy-cuda11x`, `cupy-cuda12x`,
    `cupy-rocm-7-0`, …).

    ## Why it matters
    They overwrite each other's `cupy` package; CuPy itself warns at import ("CuPy may
    not function correctly because multiple CuPy packages are installed") and may load
    libraries for the wrong CUDA.

    ## How to fix
    Uninstall all and install the one for this machine's driver (the ROCm one on an
    AMD-only machine), at the installed version when that package was one of them.

    ## Example
    `cupy-cuda11x 13.6.0 and cupy-cuda12x 14.2.0 are installed side by side; they overwrite
    each other's cupy package.`

    ## References
    - https://docs.cupy.dev/en/stable/install.html
    """
    f = ctx.facts
    builds = [fw for fw in f.frameworks if fw.name == "cupy"]
    if len(builds) < 2:
        return
    names = [fw.distribution for fw in builds]
    if has_amd(f) and not has_nvidia(f):
        keep = next((fw for fw in builds if fw.build == "rocm"), None)
        install = [f"pip install {keep.distribution}=={keep.version}"] if keep else []
        note = None if keep else ("Install the CuPy ROCm wheel for this ROCm "
                                  "(https://docs.cupy.dev/en/stable/install.html).")
    else:
        install, note = _cupy_to_keep(ctx, builds)
    yield Issue(" and ".join(f"{fw.distribution} {fw.version}" for fw in builds)
                + " are installed side by side; they overwrite each other's cupy package.",
                fix=[f"pip uninstall -y {' '.join(names)}", *install], fix_note=note,
                evidence=[f"frameworks.cupy[{n}]" for n in names])


def _cupy_to_keep(ctx: Context, builds: list[FrameworkFacts]) -> tuple[list[str], str | None]:
    """Reinstall the installed CuPy wheel for the newest CUDA major the driver runs."""
    # The wheels share one cupy/ directory (and its _wheel.json), so which CUDA each is for
    # comes from the package table, not from the installed files.
    cuda = {p["package"]: version_tuple(p["cuda"])[:1] for p in ctx.kb.table("cupy")["packages"]
            if p.get("cuda")}
    driver = ctx.facts.nvidia.userspace_version or ctx.facts.nvidia.kernel_module_version
    runs = version_tuple(ctx.kb.max_cuda_for_driver(driver) if driver else None)[:1]
    fitting = [fw for fw in builds if cuda.get(fw.distribution)
               and (not runs or cuda[fw.distribution] <= runs)]
    if fitting:
        keep = max(fitting, key=lambda fw: cuda[fw.distribution])
        return ([f"pip install {keep.distribution}" + (f"=={keep.version}" if keep.version
                                                       else "")],
                f"the wheel for CUDA {cuda[keep.distribution][0]}, which this driver runs"
                if runs else None)
    return _plan_install(ctx, "cupy", "")


@rule(code="ED0408", name="tensorflow-gpu-on-native-windows",
      title="TensorFlow >= 2.11 has no GPU support on native Windows",
      severity=Severity.ERROR, category=Category.WSL)
def tensorflow_gpu_on_native_windows(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    TensorFlow 2.11 or newer on native Windows with an NVIDIA GPU.

    ## Why it matters
    TensorFlow stopped shipping GPU support for native Windows after 2.10: it runs on
    the CPU only.

    ## How to fix
    Run it in WSL2 (with the Windows NVIDIA driver) and install `tensorflow[and-cuda]`
    there, or stay on TensorFlow 2.10 with CUDA 11.2 and cuDNN 8.1 for native GPU use.

    ## Example
    `tensorflow 2.16.1 on native Windows has no GPU support (2.10 was the last): it runs
    on the CPU, not on the NVIDIA GeForce RTX 4090.`

    ## References
    - https://www.tensorflow.org/install/pip#windows-native
    - https://www.tensorflow.org/install/pip#windows-wsl2
    """
    f = ctx.facts
    tf = framework(f, "tensorflow")
    if tf is None or not tf.version or f.os.system != "Windows" or not has_nvidia(f):
        return
    if version_tuple(tf.version) >= (2, 11):
        yield Issue(f"tensorflow {tf.version} on native Windows has no GPU support (2.10 was "
                    f"the last): it runs on the CPU, not on the {_gpu_names(f, 'nvidia')}.",
                    fix=["wsl --install"],
                    fix_note=f'Then, inside WSL2: pip install "tensorflow[and-cuda]=='
                             f'{major_minor(tf.version)}.*". For native GPU use instead: '
                             "pip install 'tensorflow<2.11' (Python 3.7-3.10) with CUDA 11.2 "
                             "and cuDNN 8.1.",
                    evidence=[f"os.system={f.os.system}",
                              f"frameworks.tensorflow.version={tf.version}"])


@rule(code="ED0409", name="tensorflow-cuda-libraries-missing",
      title="TensorFlow is a CUDA build but the CUDA libraries it loads are not installed",
      severity=Severity.WARNING, category=Category.CPU_ONLY_BUILD)
def tensorflow_cuda_libraries_missing(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A CUDA build of TensorFlow on Linux with a working NVIDIA GPU, where neither the
    `tensorflow[and-cuda]` wheels (TensorFlow >= 2.14) nor any cuDNN of the major it was
    built with are installed.

    ## Why it matters
    TensorFlow loads CUDA and cuDNN at run time; when they are missing it logs "Cannot
    dlopen some GPU libraries" and silently runs on the CPU.

    ## How to fix
    From TensorFlow 2.14, install `tensorflow[and-cuda]` of the same version. Older
    releases have no such extra: install the CUDA and cuDNN they were built for (the
    note names them) where the loader finds them.

    ## Example
    `tensorflow 2.15.1 (CUDA 12.2, cuDNN 8) finds no cuDNN 8: it will run on the CPU.`

    ## References
    - https://www.tensorflow.org/install/pip#linux
    - https://www.tensorflow.org/install/source#gpu (tested build configurations)
    """
    f = ctx.facts
    tf = framework(f, "tensorflow")
    if tf is None or tf.build != "cuda" or not nvidia_works(f) or f.os.system == "Windows":
        return
    if tf.details.get("and_cuda") == "installed" or not tf.cudnn_version:
        return
    major = version_tuple(tf.cudnn_version)[:1]
    if any(c.library == "cudnn" and version_tuple(c.version)[:1] == major
           for c in f.cuda.libraries):
        return
    clash = _cudnn_pin_clash(f, tf)
    if version_tuple(tf.version) >= (2, 14) and clash:
        fix, note = [], (f"{clash}; tensorflow[and-cuda]=={tf.version} would replace it with "
                         f"cuDNN {tf.cudnn_version} and break it. Install TensorFlow in its "
                         "own virtual environment (python -m venv, then pip install "
                         f'"tensorflow[and-cuda]=={tf.version}"), or move to a TensorFlow '
                         "built for that cuDNN.")
    elif version_tuple(tf.version) >= (2, 14):
        fix, note = [f'pip install "tensorflow[and-cuda]=={tf.version}"'], None
    else:
        fix, note = [], (f"TensorFlow {tf.version} has no [and-cuda] extra: install CUDA "
                         f"{tf.cuda_version} and cuDNN {tf.cudnn_version} (the system "
                         "packages, or conda's cudatoolkit and cudnn) where the loader "
                         "finds them.")
    yield Issue(f"tensorflow {tf.version} (CUDA {tf.cuda_version}, cuDNN {tf.cudnn_version}) "
                f"finds no cuDNN {tf.cudnn_version}: it will run on the CPU.",
                fix=fix, fix_note=note,
                evidence=[f"frameworks.tensorflow.details.and_cuda="
                          f"{tf.details.get('and_cuda', 'absent')}", "cuda.libraries"])


def _cudnn_pin_clash(f: Facts, tf: FrameworkFacts) -> str | None:
    """Another framework's pin of the cuDNN wheel tensorflow[and-cuda] would replace."""
    ours = {name: spec for name, spec in tf.requires.items() if name.startswith("nvidia-cudnn")}
    for fw in f.frameworks:
        if fw is tf:
            continue
        for name, spec in fw.requires.items():
            theirs, mine = _spec_floor(spec)[:1], _spec_floor(ours.get(name, ""))[:1]
            if theirs and mine and theirs != mine:
                return f"{_label(fw)} pins {name}{spec}"
    return None


def _spec_floor(spec: str) -> tuple[int, ...]:
    """The lowest version a specifier allows (``<10.0,>=9.3.0.75`` → 9.3.0.75), if any."""
    for clause in spec.split(","):
        if clause.startswith(("==", ">=", "~=")):
            return version_tuple(clause.lstrip("=~>"))
    return ()


@rule(code="ED0410", name="retired-framework-installed",
      title="A retired framework is installed", severity=Severity.WARNING,
      category=Category.RETIRED_FRAMEWORK)
def retired_framework_installed(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Theano, CNTK, Caffe, Caffe2, Chainer, Lasagne and MXNet, by distribution or by the
    package directory a manual install leaves.

    ## Why it matters
    They receive no fixes: no support for current CUDA, GPUs, Pythons or numpy 2, and
    known bugs stay. New work should move to their successors.

    ## How to fix
    Plan a move to the successor the project named (shown in the message); keep the
    framework pinned in an isolated environment until then.

    ## Example
    `Theano 1.0.5 is retired; its successor is PyTensor.`

    ## References
    - docs/knowledge-base.md (retired table, with sources)
    """
    f = ctx.facts
    for fw in f.frameworks:
        if fw.details.get("retired") != "true":
            continue
        row = ctx.kb.retired(fw.name) or {}
        name = row.get("name") or fw.name
        successor = row.get("successor")
        if successor:
            after = f"its successor is {successor}."
        elif row:
            after = "the project named no successor."
        else:
            after = f"its users moved to {fw.details.get('successor') or 'maintained frameworks'}."
        yield Issue(f"{name}{f' {fw.version}' if fw.version else ''} is retired; {after}",
                    fix_note="Plan the move; keep it pinned in an isolated environment until "
                             "then.",
                    evidence=[f"frameworks.{fw.name}.distribution={fw.distribution}"])


@rule(code="ED0411", name="library-built-for-another-torch",
      title="A torch extension library was built for another torch",
      severity=Severity.WARNING, category=Category.COMPANION_MISMATCH)
def library_built_for_another_torch(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    xformers' recorded build torch (`cpp_lib.json`) and the exact torch pins (`==2.5.1`,
    `==2.5.*`) of xformers, vLLM, flash-attn, bitsandbytes and DeepSpeed against the
    installed torch. Ranges (`torch>=2.4`) are not checked.

    ## Why it matters
    Their compiled kernels are tied to torch's C++ ABI: with another torch they fail to
    load ("xFormers can't load C++/CUDA extensions", undefined symbols) and fall back to
    slow paths or crash.

    ## How to fix
    Install the torch the library was built for, from the index the installed torch came
    from (its CUDA variant), or install the library's release built for the installed
    torch.

    ## Example
    `xformers 0.0.28.post3 was built for torch 2.5.1; torch is 2.4.1.`

    ## References
    - https://github.com/facebookresearch/xformers#installing-xformers
    - https://docs.vllm.ai/en/latest/getting_started/installation/
    """
    f = ctx.facts
    torch = framework(f, "torch")
    if torch is None or not torch.version:
        return
    have = version_tuple(torch.version)
    for fw in f.frameworks:
        if fw.name not in ("xformers", "vllm", "flash-attn", "bitsandbytes", "deepspeed"):
            continue
        built = fw.details.get("built_with_torch", "").split("+")[0]
        pin = fw.details.get("requires_torch", "")
        exact = pin[2:] if pin.startswith("==") and "," not in pin else ""
        want = built or exact.removesuffix(".*")
        need = version_tuple(want)[:3]
        if not need or have[:len(need)] == need:
            continue
        source = _torch_source(ctx, torch)
        target = want if len(need) >= 3 else f"{want}.*"
        fix = ([f"pip install 'torch=={target}'{source}"] if source is not None else [])
        yield Issue(f"{fw.distribution} {fw.version} "
                    + (f"was built for torch {want}" if built else f"requires torch=={exact}")
                    + f"; torch is {torch.version}"
                    + (f"+{torch.local_tag}" if torch.local_tag else "") + ".",
                    fix=fix,
                    fix_note=f"Or install the {fw.distribution} release built for torch "
                             f"{torch.version}.",
                    evidence=[f"frameworks.{fw.name}.details."
                              + (f"built_with_torch={built}" if built else
                                 f"requires_torch={pin}"),
                              f"frameworks.torch.version={torch.version}"])


@rule(code="ED0412", name="framework-fails-on-its-gpu",
      title="A framework failed to import or to run on its GPU (check --deep)",
      severity=Severity.ERROR, category=Category.FRAMEWORK_BROKEN)
def framework_fails_on_its_gpu(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The result of `check --deep`: each framework imported in a child process, and
    `ones(2) * 2` summed on its GPU. A GPU build that finds no GPU counts when the
    machine has a working GPU of that build's vendor.

    ## Why it matters
    It is the end-to-end proof: a failure here is what the user's code will meet,
    whatever the other checks say.

    ## How to fix
    Read the error: the other findings usually name the cause (driver, build,
    libraries). A GPU build that finds no device on a machine with a working GPU points
    at `CUDA_VISIBLE_DEVICES`/`HIP_VISIBLE_DEVICES`, permissions or a container without
    GPUs.

    ## Example
    `torch: import failed: ImportError: libcudnn.so.9: cannot open shared object file`

    ## References
    - `envdoctor check --deep`
    """
    f = ctx.facts
    for fw in f.frameworks:
        deep = fw.deep
        if deep is None:
            continue
        if not deep.imported:
            yield Issue(f"{fw.name}: import failed: {deep.error or 'no detail'}",
                        evidence=[f"frameworks.{fw.name}.deep.imported=false"])
        elif deep.gpu_op is False:
            yield Issue(f"{fw.name}: the GPU operation on {deep.device or 'the GPU'} gave a "
                        f"wrong answer or failed: {deep.error or 'no detail'}",
                        evidence=[f"frameworks.{fw.name}.deep.gpu_op=false"])
        elif deep.device is None and (
                (fw.build == "cuda" and nvidia_works(f))
                or (fw.build == "rocm" and bool(f.rocm.gpus))):
            yield Issue(f"{fw.name} is a {_BUILD_NAMES[fw.build]} build but found no GPU"
                        + (f": {deep.error}" if deep.error else "."),
                        evidence=[f"frameworks.{fw.name}.deep.device=None",
                                  "nvidia.gpus" if fw.build == "cuda" else "rocm.gpus"])


# Distributions that install the `torch` package directory.
_TORCH_DISTRIBUTIONS = ("torch", "torch-nightly")


@rule(code="ED0413", name="torch-installed-twice",
      title="torch is installed twice: one copy shadows the other",
      severity=Severity.ERROR, category=Category.LIBRARY_SHADOWING)
def torch_installed_twice(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    More than one distribution that installs the `torch` package (`torch` and the old
    `torch-nightly`), or conda's `pytorch` package beside a pip-installed `torch` in the
    same environment.

    ## Why it matters
    They write the same `torch/` directory: whichever was installed last wins, the other
    distribution's metadata still claims it, and uninstalling one leaves the other broken.
    Extensions built against one copy fail against the other with undefined symbols
    (`undefined symbol: _ZN2at4cuda20getCurrentCUDAStreamEl`), and conda may replace
    pip's CUDA build with its own on the next install.

    ## How to fix
    Remove every copy, then install the one you want once: with pip (the command names
    the build that fits this machine), or only through conda.

    ## Example
    `torch 0.4.1.post2 and torch-nightly 1.0.0.dev20181029 both install the torch
    package.`

    ## References
    - https://pip.pypa.io/en/stable/topics/dependency-resolution/ (pip does not know two
      distributions share a directory)
    - https://pytorch.org/get-started/locally/
    """
    f = ctx.facts
    copies = [d for d in f.python.distributions if d.name.lower() in _TORCH_DISTRIBUTIONS]
    conda = next((c for c in f.python.conda_packages if c.name == "pytorch"), None)
    # conda's own torch dist-info says INSTALLER=conda; pip's (or uv's) over it means pip
    # replaced the files conda-meta still lists.
    pip_torch = next((d for d in copies if d.name.lower() == "torch"
                      and (d.installer or "").lower() in ("pip", "uv")), None)
    if len({d.name.lower() for d in copies}) >= 2:
        names = " and ".join(f"{d.name} {d.version}" for d in copies)
        fix = [f"pip uninstall -y {' '.join(sorted({d.name for d in copies}))}"]
        fix_cmds, note = plan_fix(plan_for(ctx, "torch"))
        fix += [c for c in fix_cmds if c.startswith(("pip install", "uv pip install"))][:1]
        yield Issue(f"{names} both install the torch package; the one installed last is what "
                    "'import torch' loads.", fix=fix,
                    fix_note=note if len(fix) > 1 else "Then install the torch you want, once.",
                    evidence=[f"python.distributions[{d.name}]={d.version}" for d in copies])
    elif conda is not None and pip_torch is not None:
        yield Issue(f"conda's pytorch {conda.version} and pip's torch {pip_torch.version} are "
                    "both installed in this environment; they share the torch package.",
                    fix=["pip uninstall -y torch"],
                    fix_note="That keeps conda's build; to keep pip's instead, "
                             "'conda remove --force pytorch'.",
                    evidence=[f"python.conda_packages[pytorch]={conda.version}",
                              f"python.distributions[torch]={pip_torch.version}"])
