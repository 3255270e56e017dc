"""ED04xx: frameworks and how they were built."""

from __future__ import annotations

from collections.abc import Iterator

from envdoctor._util import major_minor, version_tuple
from envdoctor.report import Severity
from envdoctor.rules._helpers import framework, has_amd, has_nvidia, nvidia_works
from envdoctor.rules.base import Category, Context, Issue, rule
from envdoctor.rules.cuda import _plan, _plan_fix

_GPU_FRAMEWORKS = ("torch", "tensorflow", "jax", "paddle", "cupy", "onnxruntime")


@rule(code="ED0401", name="cpu-only-build-on-gpu-machine",
      title="A framework is a CPU-only build on a machine with an NVIDIA GPU",
      severity=Severity.ERROR, category=Category.CPU_ONLY_BUILD)
def cpu_only_build_on_gpu_machine(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The build of torch, TensorFlow, JAX and Paddle (from their own version files and
    local version tags) on a machine with NVIDIA GPUs.

    ## Why it matters
    A CPU build never uses the GPU: `torch.cuda.is_available()` is False and training
    runs tens of times slower. It happens easily: `pip install torch` on Windows or
    macOS wheels, a `+cpu` index, conda's CPU variant, `tensorflow-cpu`.

    ## How to fix
    Reinstall the CUDA build that fits the driver and GPU (the fix names it).

    ## Example
    `torch 2.13.0+cpu is a CPU-only build; this machine has an NVIDIA GeForce RTX 4090.`

    ## References
    - https://pytorch.org/get-started/locally/
    """
    f = ctx.facts
    if not has_nvidia(f):
        return
    gpu = (f.nvidia.gpus[0].name if f.nvidia.gpus else f.nvidia.pci_gpus[0].name) or "NVIDIA GPU"
    for fw in f.frameworks:
        if fw.name not in ("torch", "tensorflow", "jax", "paddle") or fw.build != "cpu":
            continue
        plan = _plan(ctx, fw.name, f"=={major_minor(fw.version or '')}" if fw.version else "")
        fix, note = _plan_fix(plan)
        fix = [c + " --force-reinstall" if c.startswith("pip install torch") else c for c in fix]
        yield Issue(f"{fw.distribution} {fw.version}" + (f"+{fw.local_tag}" if fw.local_tag else "")
                    + f" is a CPU-only build; this machine has an {gpu}.", fix=fix,
                    fix_note=note, severity=None if nvidia_works(f) else Severity.WARNING,
                    evidence=[f"frameworks.{fw.name}.build=cpu", "nvidia.gpus"])


@rule(code="ED0402", name="build-for-the-other-gpu-vendor",
      title="A framework is built for the other GPU vendor (ROCm on NVIDIA, CUDA on AMD)",
      severity=Severity.ERROR, category=Category.CPU_ONLY_BUILD)
def build_for_the_other_gpu_vendor(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A ROCm build of a framework on a machine with only NVIDIA GPUs, and a CUDA build on
    a machine with only AMD GPUs.

    ## Why it matters
    The build cannot use the GPU that is there and falls back to the CPU (or fails to
    import its GPU libraries).

    ## How to fix
    Install the build for the GPU present: CUDA wheels for NVIDIA, ROCm wheels for AMD.

    ## Example
    `torch 2.5.1+rocm6.2 is a ROCm build; this machine's GPUs are NVIDIA.`

    ## References
    - https://pytorch.org/get-started/locally/
    """
    f = ctx.facts
    nvidia, amd = has_nvidia(f), has_amd(f)
    for fw in f.frameworks:
        if fw.name not in _GPU_FRAMEWORKS:
            continue
        if fw.build == "rocm" and nvidia and not amd:
            fix, note = _plan_fix(_plan(ctx, fw.name, f"=={major_minor(fw.version or '')}"))
            yield Issue(f"{fw.distribution} {fw.version} is a ROCm build; this machine's GPUs "
                        "are NVIDIA.", fix=fix, fix_note=note,
                        evidence=[f"frameworks.{fw.name}.build=rocm", "nvidia.pci_gpus"])
        elif fw.build == "cuda" and amd and not nvidia:
            fix, note = _plan_fix(_plan(ctx, fw.name, f"=={major_minor(fw.version or '')}"))
            yield Issue(f"{fw.distribution} {fw.version} is a CUDA build; this machine's GPUs "
                        "are AMD.", fix=fix, fix_note=note,
                        evidence=[f"frameworks.{fw.name}.build=cuda", "rocm.pci_gpus"])


@rule(code="ED0403", name="torch-companion-does-not-match-torch",
      title="torchvision or torchaudio does not match the installed torch",
      severity=Severity.ERROR, category=Category.COMPANION_MISMATCH)
def torch_companion_does_not_match_torch(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The torch version torchvision and torchaudio pin (their METADATA) and their CUDA
    variant (local tag) against the installed torch.

    ## Why it matters
    Their C++ operators are compiled against one torch: a different torch fails with
    "operator torchvision::nms does not exist", undefined symbols, or "Detected that
    PyTorch and torchvision were compiled with different CUDA major versions".

    ## How to fix
    Install the companion release paired with the installed torch, from the same index.

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
    row = kb.torch_release(torch.version)
    for name in ("torchvision", "torchaudio"):
        comp = framework(f, name)
        if comp is None or not comp.version:
            continue
        pinned = comp.details.get("requires_torch", "")
        wrong_pin = pinned.startswith("==") and version_tuple(pinned[2:]) != version_tuple(
            torch.version)
        paired = (row or {}).get(name)
        wrong_pair = bool(paired) and major_minor(comp.version) != paired
        wrong_cuda = (torch.cuda_version and comp.cuda_version
                      and major_minor(torch.cuda_version) != major_minor(comp.cuda_version))
        if not (wrong_pin or wrong_pair or wrong_cuda):
            continue
        reason = (f"requires torch{pinned}" if wrong_pin else
                  f"is built for CUDA {comp.cuda_version} while torch is for CUDA "
                  f"{torch.cuda_version}" if wrong_cuda else
                  f"pairs with another torch (torch {major_minor(torch.version)} pairs with "
                  f"{name} {paired})")
        fix = []
        if paired:
            index = f" --index-url {kb.torch_index_url(torch.local_tag)}" if torch.local_tag else ""
            fix = [f"pip install '{name}=={paired}.*'{index}"]
        yield Issue(f"{name} {comp.version} {reason}; torch is {torch.version}"
                    + (f"+{torch.local_tag}" if torch.local_tag else "") + ".", fix=fix,
                    evidence=[f"frameworks.{name}.version={comp.version}",
                              f"frameworks.torch.version={torch.version}"])


@rule(code="ED0404", name="keras-version-does-not-fit-tensorflow",
      title="Keras 3 is installed where TensorFlow's code expects Keras 2 (or tf-keras)",
      severity=Severity.WARNING, category=Category.COMPANION_MISMATCH)
def keras_version_does_not_fit_tensorflow(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The Keras major version beside TensorFlow: TensorFlow up to 2.15 bundles Keras 2 as
    `tf.keras`; from 2.16 `tf.keras` is Keras 3, and Keras 2 code needs the `tf-keras`
    package with `TF_USE_LEGACY_KERAS=1`.

    ## Why it matters
    Keras 3 on TensorFlow <= 2.15 breaks `import tensorflow` or `tf.keras`; code written
    for Keras 2 on TensorFlow >= 2.16 fails on removed APIs unless tf-keras is used.

    ## How to fix
    On TensorFlow <= 2.15 install the matching Keras 2 (`pip install 'keras<3'`). On
    TensorFlow >= 2.16 with Keras 2 code, install `tf-keras` and set
    `TF_USE_LEGACY_KERAS=1`.

    ## Example
    `keras 3.15.1 beside tensorflow 2.15.1, which expects Keras 2.15.`

    ## References
    - https://keras.io/getting_started/#tensorflow--keras-2-backwards-compatibility
    """
    f = ctx.facts
    tf, keras = framework(f, "tensorflow"), framework(f, "keras")
    if tf is None or keras is None or not tf.version:
        return
    major = keras.details.get("keras_major")
    if major == "3" and version_tuple(tf.version) < (2, 16):
        yield Issue(f"keras {keras.version} is Keras 3; tensorflow {tf.version} expects Keras "
                    f"{major_minor(tf.version)} (Keras 2).",
                    fix=[f"pip install 'keras=={major_minor(tf.version)}.*'"],
                    evidence=["frameworks.keras.details.keras_major=3",
                              f"frameworks.tensorflow={tf.version}"])
    legacy = f.env.variables.get("TF_USE_LEGACY_KERAS") == "1"
    if legacy and version_tuple(tf.version) >= (2, 16) and framework(f, "tf-keras") is None:
        yield Issue("TF_USE_LEGACY_KERAS=1 asks for Keras 2, but tf-keras is not installed.",
                    fix=[f"pip install 'tf-keras=={major_minor(tf.version)}.*'"],
                    evidence=["env.TF_USE_LEGACY_KERAS=1"])


@rule(code="ED0405", name="jax-plugin-version-differs-from-jaxlib",
      title="JAX's CUDA or ROCm plugin does not match jaxlib", severity=Severity.ERROR,
      category=Category.COMPANION_MISMATCH)
def jax_plugin_version_differs_from_jaxlib(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The versions of `jax-cuda12-plugin`/`jax-cuda12-pjrt` (and ROCm ones) against
    `jaxlib`.

    ## Why it matters
    The plugin is loaded by jaxlib through a versioned C API: a different version is
    skipped ("JAX plugin jax_cuda12_plugin version X is installed, but it is not
    compatible with the installed jaxlib version Y") and JAX runs on the CPU.

    ## How to fix
    Reinstall them together: `pip install -U "jax[cuda12]"`.

    ## Example
    `jax-cuda12-plugin 0.4.30 beside jaxlib 0.4.35.`

    ## References
    - https://docs.jax.dev/en/latest/installation.html
    """
    f = ctx.facts
    jax = framework(f, "jax")
    jaxlib = jax.details.get("jaxlib") if jax else None
    if not jaxlib:
        return
    for fw in f.frameworks:
        if fw.name.startswith(("jax-cuda", "jax-rocm")) and fw.version and version_tuple(
                fw.version) != version_tuple(jaxlib):
            kind = "cuda" if "cuda" in fw.name else "rocm"
            major = fw.cuda_version or fw.rocm_version or "12"
            yield Issue(f"{fw.distribution} {fw.version} beside jaxlib {jaxlib}: JAX will skip "
                        "the plugin and run on the CPU.",
                        fix=[f'pip install -U "jax[{kind}{major}]"'],
                        evidence=[f"frameworks.{fw.name}={fw.version}", f"jaxlib={jaxlib}"])


@rule(code="ED0406", name="onnxruntime-installed-twice",
      title="Several ONNX Runtime packages are installed into one directory",
      severity=Severity.ERROR, category=Category.COMPANION_MISMATCH)
def onnxruntime_installed_twice(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    More than one of `onnxruntime`, `onnxruntime-gpu`, `onnxruntime-rocm`,
    `onnxruntime-openvino`, `onnxruntime-directml`.

    ## Why it matters
    They all install the same `onnxruntime` package directory; whichever was installed
    last wins, so `CUDAExecutionProvider` may be missing although `onnxruntime-gpu` is
    listed, and uninstalling one breaks the other.

    ## How to fix
    Uninstall all of them and install only the one you want.

    ## Example
    `onnxruntime 1.32.0 and onnxruntime-gpu 1.31.1 share onnxruntime/.`

    ## References
    - https://onnxruntime.ai/docs/install/
    """
    builds = [fw for fw in ctx.facts.frameworks if fw.name == "onnxruntime"]
    if len(builds) < 2:
        return
    names = [fw.distribution for fw in builds]
    keep = "onnxruntime-gpu" if "onnxruntime-gpu" in names and has_nvidia(ctx.facts) else names[0]
    yield Issue(" and ".join(f"{fw.distribution} {fw.version}" for fw in builds)
                + " share the onnxruntime package directory; the last one installed wins.",
                fix=[f"pip uninstall -y {' '.join(names)}", f"pip install {keep}"],
                evidence=[f"frameworks.onnxruntime[{n}]" for n in names])


@rule(code="ED0407", name="cupy-installed-twice",
      title="Several CuPy packages are installed", severity=Severity.ERROR,
      category=Category.COMPANION_MISMATCH)
def cupy_installed_twice(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    More than one CuPy distribution (`cupy`, `cupy-cuda11x`, `cupy-cuda12x`, …).

    ## Why it matters
    They overwrite each other's `cupy` package; CuPy itself refuses to import ("CuPy
    may not function correctly because multiple CuPy packages are installed").

    ## How to fix
    Uninstall all and install the one for this machine's CUDA.

    ## Example
    `cupy-cuda11x 13.6.0 and cupy-cuda12x 14.2.0 are both installed.`

    ## References
    - https://docs.cupy.dev/en/stable/install.html
    """
    builds = [fw for fw in ctx.facts.frameworks if fw.name == "cupy"]
    if len(builds) < 2:
        return
    names = [fw.distribution for fw in builds]
    fix, _ = _plan_fix(_plan(ctx, "cupy"))
    yield Issue(" and ".join(f"{fw.distribution} {fw.version}" for fw in builds)
                + " are both installed.", fix=[f"pip uninstall -y {' '.join(names)}", *fix],
                evidence=[f"frameworks.cupy[{n}]" for n in names])


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
    Run it in WSL2 (with the Windows NVIDIA driver), or stay on TensorFlow 2.10 with
    CUDA 11.2 and cuDNN 8.1 for native GPU use.

    ## Example
    `tensorflow 2.15.0 on Windows-10 with an NVIDIA GeForce RTX 3060.`

    ## References
    - https://www.tensorflow.org/install/pip#windows-native
    """
    f = ctx.facts
    tf = framework(f, "tensorflow")
    if tf is None or not tf.version or f.os.system != "Windows" or not has_nvidia(f):
        return
    if version_tuple(tf.version) >= (2, 11):
        yield Issue(f"tensorflow {tf.version} on native Windows has no GPU support (2.10 was "
                    "the last).", fix=["wsl --install"],
                    fix_note="Then install tensorflow[and-cuda] inside WSL2; or pin "
                             "'tensorflow<2.11' for native GPU use.",
                    evidence=[f"os.system={f.os.system}", f"frameworks.tensorflow={tf.version}"])


@rule(code="ED0409", name="tensorflow-cuda-libraries-missing",
      title="TensorFlow is a CUDA build but the CUDA libraries it loads are not installed",
      severity=Severity.WARNING, category=Category.CPU_ONLY_BUILD)
def tensorflow_cuda_libraries_missing(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    TensorFlow >= 2.14 on Linux with an NVIDIA GPU, where neither the
    `tensorflow[and-cuda]` wheels nor a system cuDNN of the major it was built with are
    installed.

    ## Why it matters
    TensorFlow loads CUDA and cuDNN at run time; when they are missing it logs "Cannot
    dlopen some GPU libraries" and silently runs on the CPU.

    ## How to fix
    Install `tensorflow[and-cuda]` of the same version.

    ## Example
    `tensorflow 2.15.1 (CUDA 12.2, cuDNN 8) finds no cuDNN 8.`

    ## References
    - https://www.tensorflow.org/install/pip#linux
    """
    f = ctx.facts
    tf = framework(f, "tensorflow")
    if tf is None or tf.build != "cuda" or not nvidia_works(f) or f.os.system == "Windows":
        return
    if tf.details.get("and_cuda") == "installed":
        return
    major = version_tuple(tf.cudnn_version)[:1]
    if any(c.library == "cudnn" and c.version and version_tuple(c.version)[:1] == major
           for c in f.cuda.libraries):
        return
    yield Issue(f"tensorflow {tf.version} (CUDA {tf.cuda_version}, cuDNN {tf.cudnn_version}) "
                f"finds no cuDNN {tf.cudnn_version}: it will run on the CPU.",
                fix=[f'pip install "tensorflow[and-cuda]=={tf.version}"'],
                evidence=[f"frameworks.tensorflow.details.and_cuda="
                          f"{tf.details.get('and_cuda', 'absent')}", "cuda.libraries"])


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
    Plan a move to the successor the project named (shown in the message).

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
        successor = fw.details.get("successor") or row.get("successor") or "a maintained framework"
        yield Issue(f"{fw.name} {fw.version or ''} is retired".replace("  ", " ")
                    + f"; its users moved to {successor}.",
                    fix_note="Plan the move; keep it pinned in an isolated environment until "
                             "then.", evidence=[f"frameworks.{fw.name}"])


@rule(code="ED0411", name="library-built-for-another-torch",
      title="A torch extension library was built for another torch",
      severity=Severity.WARNING, category=Category.COMPANION_MISMATCH)
def library_built_for_another_torch(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    xformers' recorded build torch (`cpp_lib.json`) and the torch pins of xformers,
    vLLM, flash-attn and bitsandbytes against the installed torch.

    ## Why it matters
    Their compiled kernels are tied to torch's C++ ABI: with another torch they fail to
    load ("xFormers can't load C++/CUDA extensions", undefined symbols) and fall back to
    slow paths or crash.

    ## How to fix
    Install the release built for the installed torch, or the torch it pins.

    ## Example
    `xformers 0.0.28.post3 was built for torch 2.5.1; torch is 2.4.1.`

    ## References
    - https://github.com/facebookresearch/xformers#installing-xformers
    """
    f = ctx.facts
    torch = framework(f, "torch")
    if torch is None or not torch.version:
        return
    for fw in f.frameworks:
        if fw.name not in ("xformers", "vllm", "flash-attn", "bitsandbytes", "deepspeed"):
            continue
        built = fw.details.get("built_with_torch", "")
        pin = fw.details.get("requires_torch", "")
        want = built or (pin[2:] if pin.startswith("==") else "")
        if want and version_tuple(want)[:3] != version_tuple(torch.version)[:3]:
            yield Issue(f"{fw.distribution} {fw.version} was built for torch "
                        f"{want.split('+')[0]}; torch is {torch.version}.",
                        fix=[f"pip install 'torch=={want.split('+')[0]}'"],
                        fix_note=f"Or install the {fw.distribution} release built for torch "
                                 f"{torch.version}.",
                        evidence=[f"frameworks.{fw.name}.details", "frameworks.torch.version"])


@rule(code="ED0412", name="framework-fails-on-its-gpu",
      title="A framework failed to import or to run on its GPU (check --deep)",
      severity=Severity.ERROR, category=Category.FRAMEWORK_BROKEN)
def framework_fails_on_its_gpu(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The result of `check --deep`: each framework imported in a child process, and
    `ones(2) * 2` summed on its GPU.

    ## Why it matters
    It is the end-to-end proof: a failure here is what the user's code will meet,
    whatever the other checks say.

    ## How to fix
    Read the error: the other findings usually name the cause (driver, build,
    libraries). A GPU build that finds no device on a machine with a working GPU points
    at `CUDA_VISIBLE_DEVICES`, permissions or a container without GPUs.

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
            yield Issue(f"{fw.name}: the GPU operation on {deep.device} gave a wrong answer or "
                        f"failed: {deep.error or 'no detail'}",
                        evidence=[f"frameworks.{fw.name}.deep.gpu_op=false"])
        elif fw.build in ("cuda", "rocm") and deep.device is None and (
                nvidia_works(f) or f.rocm.gpus):
            yield Issue(f"{fw.name} is a {fw.build.upper()} build but found no GPU"
                        + (f": {deep.error}" if deep.error else "."),
                        severity=Severity.ERROR,
                        evidence=[f"frameworks.{fw.name}.deep.device=None"])
