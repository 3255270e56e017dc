"""ED03xx: the CUDA toolkit, cuDNN, NCCL and the other CUDA libraries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from envdoctor._util import major_minor, version_tuple
from envdoctor.compat import arch_name, arch_range, arch_support
from envdoctor.facts import Facts, FrameworkFacts
from envdoctor.report import Severity
from envdoctor.rules._helpers import driver, gpu_ccs, install_driver_command
from envdoctor.rules.base import Category, Context, Issue, rule

_PLANNABLE = ("torch", "tensorflow", "jax", "cupy", "onnxruntime")


def cuda_of(fw: FrameworkFacts) -> str | None:
    """The CUDA major.minor a framework build targets (``12.x`` and ``12`` read as 12.0)."""
    cuda = fw.cuda_version
    if not cuda:
        return None
    cuda = cuda.replace(".x", ".0")
    return major_minor(cuda) or (f"{cuda}.0" if cuda.isdigit() else None)


def _driver_os(facts: Facts) -> str:
    # Under WSL 2 (and in Windows reports) the driver version is the Windows driver's.
    windows = facts.nvidia.wsl_driver_dir or facts.os.system == "Windows"
    return "windows" if windows else "linux"


def _plan(ctx: Context, framework: str, spec: str = "") -> Any:  # noqa: ANN401 - a Plan
    """The planner's answer for this machine, or ``None`` when it cannot plan."""
    if framework not in _PLANNABLE:
        return None
    from envdoctor.errors import EnvdoctorError  # noqa: PLC0415
    from envdoctor.planner import Request, Target  # noqa: PLC0415

    try:
        return ctx.planner.plan(Request(framework, spec), Target.from_facts(ctx.facts))
    except EnvdoctorError:
        return None


def _plan_fix(plan: Any) -> tuple[list[str], str | None]:  # noqa: ANN401 - a Plan
    """Commands from a plan: the build that fits, else the driver upgrade that enables one."""
    if plan is None:
        return [], None
    if plan.choice is not None:
        note = "; ".join(plan.choice.reasons)
        if plan.choice.conda:
            note += f". With conda instead: {plan.choice.conda}"
        return [plan.choice.pip], note
    if plan.upgrade is not None:
        enables = plan.upgrade.enables
        note = (f"No build of {plan.request} runs on this driver. After upgrading to "
                f"{plan.upgrade.minimum} or newer: {enables.pip}" if enables else None)
        return [plan.upgrade.command, "sudo reboot"], note
    return [], "; ".join(plan.rejected[:3]) or None


@rule(code="ED0301", name="driver-too-old-for-framework-cuda",
      title="The NVIDIA driver is too old for the CUDA a framework brings",
      severity=Severity.ERROR, category=Category.DRIVER_TOO_OLD)
def driver_too_old_for_framework_cuda(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    For each CUDA build of a framework (torch, TensorFlow, JAX, CuPy, ONNX Runtime,
    Paddle), the driver that build's CUDA runtime needs against the installed driver,
    counting CUDA's minor-version compatibility: a CUDA 12.x runtime runs on any CUDA 12
    driver (>= 525.60.13), a CUDA 11.x one on >= 450.80.02, a CUDA 13.x one on >= 580.

    ## Why it matters
    A runtime newer than the driver fails at the first CUDA call: "The NVIDIA driver on
    your system is too old", "CUDA driver version is insufficient for CUDA runtime
    version", `torch.cuda.is_available()` is False. Under minor-version compatibility,
    PTX newer than the driver cannot be JIT-compiled: a GPU that only the build's PTX
    covers fails with "the provided PTX was compiled with an unsupported toolchain".

    ## How to fix
    Install the build for an older CUDA that this driver runs (the fix names it), or
    upgrade the driver.

    ## Example
    `torch 2.5.1 brings CUDA 12.4, which needs driver >= 525.60.13; this one is 470.223.02.`

    ## References
    - https://docs.nvidia.com/deploy/cuda-compatibility/
    - https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/ (Table 3)
    """
    f, kb = ctx.facts, ctx.kb
    version = driver(f)
    if not version:
        return
    os = _driver_os(f)
    for fw in f.frameworks:
        cuda = cuda_of(fw)
        if fw.build != "cuda" or not cuda:
            continue
        need = kb.driver_need(cuda, os)
        if need is None or need.minimum is None:
            continue
        evidence = [f"nvidia.userspace_version={version}",
                    f"frameworks.{fw.name}.cuda_version={fw.cuda_version}"]
        label = f"{fw.distribution} {fw.version}" + (f"+{fw.local_tag}" if fw.local_tag else "")
        if version_tuple(version) < version_tuple(need.minimum):
            fix, note = _plan_fix(_plan(ctx, fw.name, f"=={major_minor(fw.version or '')}"
                                        if fw.version else ""))
            if need.full and not any("driver" in c for c in fix):
                alt = install_driver_command(ctx, need.full)
                note = (note + ". " if note else "") + f"Or upgrade the driver: {alt}"
            yield Issue(f"{label} brings CUDA {cuda}, which needs driver >= {need.minimum}"
                        f"{' (Windows)' if os == 'windows' else ''}; this one is {version}.",
                        fix=fix, fix_note=note, evidence=evidence)
            continue
        if need.full and version_tuple(version) < version_tuple(need.full):
            ptx_only = [name for name, cc in gpu_ccs(f)
                        if fw.arch_list and arch_support(cc, fw.arch_list) == "ptx"]
            if ptx_only:
                yield Issue(f"{label} covers {', '.join(ptx_only)} only through PTX, which "
                            f"the driver must JIT-compile; CUDA {cuda} PTX needs driver >= "
                            f"{need.full}, this one is {version} (minor-version "
                            "compatibility does not cover PTX).", severity=Severity.WARNING,
                            fix=[install_driver_command(ctx, need.full)],
                            evidence=evidence)


@rule(code="ED0302", name="gpu-arch-missing-from-framework-build",
      title="A framework build has no code for this GPU's architecture",
      severity=Severity.ERROR, category=Category.GPU_ARCH_UNSUPPORTED)
def gpu_arch_missing_from_framework_build(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Each NVIDIA GPU's compute capability against the architectures a framework build
    was compiled for (torch's `CUDAConfig.h`, TensorFlow's build info, xformers'
    `cpp_lib.json`): native code for the same major version at or below the GPU's minor,
    or PTX at or below the GPU's capability.

    ## Why it matters
    New GPUs on old builds ("sm_120 is not compatible with the current PyTorch
    installation" on an RTX 50 series), and old GPUs on new builds that dropped them
    (Kepler, Maxwell), fail with "no kernel image is available for execution on the
    device".

    ## How to fix
    Install a build compiled for the GPU (the fix names the newest that works, with the
    driver it needs), or for old GPUs an older release.

    ## Example
    `torch 2.5.1+cu124 is compiled for sm_50–sm_90; the GeForce RTX 5090 is sm_120.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-c-programming-guide/#binary-compatibility
    - https://developer.nvidia.com/cuda-gpus
    """
    f = ctx.facts
    for fw in f.frameworks:
        if fw.build != "cuda" or not fw.arch_list:
            continue
        missing = [(name, cc) for name, cc in gpu_ccs(f) if arch_support(cc, fw.arch_list) is None]
        if not missing:
            continue
        gpus = ", ".join(f"{name} is {arch_name(cc)}" for name, cc in missing)
        fix, note = _plan_fix(_plan(ctx, fw.name))
        label = f"{fw.distribution} {fw.version}" + (f"+{fw.local_tag}" if fw.local_tag else "")
        yield Issue(f"{label} is compiled for {arch_range(fw.arch_list)}; {gpus}.", fix=fix,
                    fix_note=note, evidence=[f"frameworks.{fw.name}.arch_list"] + [
                        f"gpu {name}.compute_capability={cc}" for name, cc in missing])


def _default_toolkit(f: Facts) -> Any:  # noqa: ANN401 - a CudaToolkit
    kits = f.cuda.toolkits
    return next((k for k in kits if k.on_path), None) or next((k for k in kits if k.default),
                                                               None)


@rule(code="ED0303", name="gpu-arch-missing-from-toolkit",
      title="The CUDA toolkit cannot compile for this GPU", severity=Severity.WARNING,
      category=Category.GPU_ARCH_UNSUPPORTED)
def gpu_arch_missing_from_toolkit(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The compute capabilities the toolkit on `PATH` (else `/usr/local/cuda`) can target
    against the GPUs present.

    ## Why it matters
    Building CUDA code or framework extensions for a GPU the toolkit does not know
    fails ("nvcc fatal: Unsupported gpu architecture 'compute_120'"); a toolkit that
    dropped an old GPU cannot build for it either.

    ## How to fix
    Install a toolkit that knows the GPU (the fix names the first one), and put it first
    on `PATH`.

    ## Example
    `nvcc 12.4 at /usr/local/cuda-12.4 cannot compile for sm_120 (GeForce RTX 5090).`

    ## References
    - https://docs.nvidia.com/cuda/cuda-compiler-driver-nvcc/#gpu-feature-list
    """
    f, kb = ctx.facts, ctx.kb
    kit = _default_toolkit(f)
    if kit is None or not kit.version or not kit.has_nvcc:
        return
    sms = kb.cuda_sms(kit.version)
    if not sms:
        return
    for name, cc in gpu_ccs(f):
        sm = cc.replace(".", "")
        if sm in sms:
            continue
        first = next((r["cuda"] for r in sorted(kb.table("cuda_arch")["toolkits"],
                                                key=lambda r: version_tuple(r["cuda"]))
                      if sm in r["sm"]), None)
        newer = first and version_tuple(first) > version_tuple(kit.version)
        yield Issue(f"nvcc {kit.version} at {kit.path} cannot compile for sm_{sm} ({name})"
                    + (f"; CUDA {first} is the first toolkit that can." if newer else
                       "; this toolkit dropped it, an older one is needed."),
                    fix_note=(f"Install CUDA {first} or newer and put its bin first on PATH."
                              if newer else "Install an older toolkit for this GPU."),
                    evidence=[f"cuda.toolkits[{kit.path}].version={kit.version}",
                              f"gpu {name}.compute_capability={cc}"])


@rule(code="ED0304", name="nvcc-differs-from-framework-cuda",
      title="nvcc's CUDA major differs from the CUDA a framework was built with",
      severity=Severity.WARNING, category=Category.TOOLKIT_MISMATCH)
def nvcc_differs_from_framework_cuda(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The version of the toolkit whose `nvcc` is on `PATH` (or `CUDA_HOME`) against the
    CUDA of each installed torch CUDA build.

    ## Why it matters
    Building a PyTorch C++/CUDA extension (flash-attn, apex, custom ops, `pip install`
    of packages without wheels) uses that nvcc: with a different major version torch
    refuses ("The detected CUDA version (11.0) mismatches the version that was used to
    compile PyTorch (12.4)"), and mixing minors can produce broken binaries.

    ## How to fix
    Put a toolkit of the same CUDA version first (`CUDA_HOME` and `PATH`), or install
    one (conda's `cuda-nvcc`, NVIDIA's `cuda-toolkit-X-Y`).

    ## Example
    `nvcc on PATH is CUDA 11.0; torch 2.15.0 was built with CUDA 13.2.`

    ## References
    - https://pytorch.org/docs/stable/cpp_extension.html
    """
    f = ctx.facts
    kit = next((k for k in f.cuda.toolkits if k.cuda_home), None) or _default_toolkit(f)
    if kit is None or not kit.version or not kit.has_nvcc:
        return
    for fw in f.frameworks:
        cuda = cuda_of(fw)
        if fw.name != "torch" or fw.build != "cuda" or not cuda:
            continue
        if version_tuple(kit.version)[:1] == version_tuple(cuda)[:1]:
            continue
        same = next((k for k in f.cuda.toolkits
                     if k.version and version_tuple(k.version)[:2] == version_tuple(cuda)[:2]),
                    None)
        fix = ([f"export CUDA_HOME={same.path} PATH={same.path}/bin:$PATH"] if same else
               [f"conda install -c nvidia cuda-nvcc={cuda}"])
        yield Issue(f"nvcc at {kit.path} is CUDA {kit.version}; {fw.distribution} {fw.version} "
                    f"was built with CUDA {cuda}: building CUDA extensions will fail.", fix=fix,
                    evidence=[f"cuda.toolkits[{kit.path}].version={kit.version}",
                              f"frameworks.torch.cuda_version={fw.cuda_version}"])


@rule(code="ED0305", name="cuda-toolkits-disagree",
      title="PATH, CUDA_HOME and /usr/local/cuda point at different CUDA toolkits",
      severity=Severity.WARNING, category=Category.TOOLKIT_MISMATCH)
def cuda_toolkits_disagree(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Which toolkit `nvcc` on `PATH`, `CUDA_HOME`/`CUDA_PATH` and the `/usr/local/cuda`
    link each point at, when several toolkits are installed.

    ## Why it matters
    Build systems pick different ones: CMake looks at `CUDA_HOME`/`PATH`, setup.py
    extensions at `CUDA_HOME`, others at `/usr/local/cuda`. Headers of one CUDA and
    libraries of another end in link errors or runtime crashes.

    ## How to fix
    Choose one toolkit and point all three at it.

    ## Example
    `/usr/local/cuda is 13.3.1, nvcc on PATH and CUDA_HOME are 11.0.207.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#environment-setup
    """
    kits = ctx.facts.cuda.toolkits
    roles = {"/usr/local/cuda": next((k for k in kits if k.default), None),
             "nvcc on PATH": next((k for k in kits if k.on_path), None),
             "CUDA_HOME": next((k for k in kits if k.cuda_home), None)}
    present = {role: k for role, k in roles.items() if k is not None}
    versions = {k.version for k in present.values()}
    if len(present) < 2 or len(versions) < 2:
        return
    default = roles["/usr/local/cuda"] or next(iter(present.values()))
    parts = [f"{role} is {k.version} ({k.path})" for role, k in present.items()]
    yield Issue("; ".join(parts) + ".",
                fix=[f"export CUDA_HOME={default.path} PATH={default.path}/bin:$PATH"],
                fix_note="Or point /usr/local/cuda at the toolkit you want, and use it for all "
                         "three.",
                evidence=[f"cuda.toolkits[{k.path}]" for k in present.values()])


@rule(code="ED0306", name="cuda-library-shadowed",
      title="The loader picks another copy of a CUDA library than the framework's own",
      severity=Severity.ERROR, category=Category.LIBRARY_SHADOWING)
def cuda_library_shadowed(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    For each CUDA framework, where the dynamic loader finds each CUDA library it needs
    (cuDNN and its sub-libraries, cuBLAS, the CUDA runtime, NCCL) given its RPATH or
    RUNPATH, `LD_LIBRARY_PATH` and the ld.so cache, against the copy the framework
    ships or pins.

    ## Why it matters
    `LD_LIBRARY_PATH` is searched before RUNPATH: a system cuDNN there replaces pip's
    for libraries loaded through RUNPATH, such as the sub-libraries cuDNN 8 and 9
    `dlopen`. Mixed cuDNN versions fail with "cuDNN version incompatibility", "Could not
    load library libcudnn_cnn_infer.so.8" or wrong results.

    ## How to fix
    Remove the directory from `LD_LIBRARY_PATH` (often set by a CUDA install guide in
    `~/.bashrc`), or make both copies the same version.

    ## Example
    `torch loads libcudnn_graph.so.9 from /usr/lib/x86_64-linux-gnu (LD_LIBRARY_PATH),
    not from its pip cuDNN in …/nvidia/cudnn/lib.`

    ## References
    - https://man7.org/linux/man-pages/man8/ld.so.8.html
    - https://github.com/pytorch/pytorch/issues/104591
    """
    f = ctx.facts
    shadowed = [x for x in f.cuda.loader if x.expected and x.resolved]
    by_dir: dict[str, list[Any]] = {}
    for x in shadowed:
        by_dir.setdefault(x.resolved.rsplit("/", 1)[0], []).append(x)  # type: ignore[union-attr]
    for directory, items in by_dir.items():
        names = ", ".join(x.soname for x in items)
        expected_dir = items[0].expected.rsplit("/", 1)[0]  # type: ignore[union-attr]
        via = items[0].via
        fix = []
        if via == "LD_LIBRARY_PATH":
            kept = [d for d in f.cuda.ld_library_path if d.rstrip("/") != directory.rstrip("/")]
            fix = [f"export LD_LIBRARY_PATH={':'.join(kept)}" if kept else "unset LD_LIBRARY_PATH"]
        yield Issue(f"{items[0].framework} loads {names} from {directory} (via {via}), not from "
                    f"the copy it expects in {expected_dir}.", fix=fix,
                    fix_note="Check ~/.bashrc and /etc/profile.d for the export that adds it."
                    if via == "LD_LIBRARY_PATH" else None,
                    evidence=[f"cuda.loader[{x.soname}].via={x.via}" for x in items])


@rule(code="ED0307", name="cudnn-older-than-framework-needs",
      title="The cuDNN a framework will use is older than the one it was built with",
      severity=Severity.ERROR, category=Category.CUDNN_MISMATCH)
def cudnn_older_than_framework_needs(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The cuDNN version a framework pins or was built with (torch's
    `nvidia-cudnn-cu12==…` pin, TensorFlow's build info) against the copy that will be
    loaded: the pip wheel installed beside it, or the system copy the loader picks.

    ## Why it matters
    An older cuDNN than the build expects fails at the first convolution or at import:
    "Loaded runtime CuDNN library: 8.6.0 but source was compiled with: 8.9.4",
    "cuDNN version incompatibility: PyTorch was compiled against (9, 1, 0) but found
    runtime version (8, 9, 7)".

    ## How to fix
    Install the pinned cuDNN wheel (`pip install nvidia-cudnn-cu12==…`), or remove the
    older system copy from the loader's path.

    ## Example
    `torch 2.5.1 pins nvidia-cudnn-cu12==9.1.0.70; installed is 8.9.2.26.`

    ## References
    - https://docs.nvidia.com/deeplearning/cudnn/latest/reference/support-matrix.html
    """
    f = ctx.facts
    pip_cudnn = {c.origin.split(":", 1)[1]: c.version for c in f.cuda.libraries
                 if c.library == "cudnn" and c.origin and c.origin.startswith("pip:")}
    for fw in f.frameworks:
        if fw.build != "cuda":
            continue
        for dist, spec in fw.requires.items():
            if not dist.startswith("nvidia-cudnn") or not spec.startswith("=="):
                continue
            want = spec[2:]
            have = pip_cudnn.get(dist)
            if have and version_tuple(have) < version_tuple(want):
                yield Issue(f"{fw.distribution} {fw.version} pins {dist}=={want}; installed is "
                            f"{have}.", fix=[f"pip install {dist}=={want}"],
                            evidence=[f"frameworks.{fw.name}.requires.{dist}={spec}",
                                      f"cuda.libraries[pip:{dist}].version={have}"])
        if fw.name == "tensorflow" and fw.cudnn_version:
            loaded = [c for c in f.cuda.libraries if c.library == "cudnn" and c.version]
            major = version_tuple(fw.cudnn_version)[:1]
            if loaded and all(version_tuple(c.version)[:1] < major for c in loaded):
                newest = max(loaded, key=lambda c: version_tuple(c.version))
                cuda_major = (cuda_of(fw) or "12").split(".")[0]
                yield Issue(f"tensorflow {fw.version} was built with cuDNN {fw.cudnn_version}; "
                            f"the newest cuDNN here is {newest.version} ({newest.origin}).",
                            fix=[f'pip install "tensorflow[and-cuda]=={fw.version}"'],
                            fix_note=f"tensorflow[and-cuda] brings the matching "
                                     f"nvidia-cudnn-cu{cuda_major}.",
                            evidence=[f"frameworks.tensorflow.cudnn_version={fw.cudnn_version}"])


@rule(code="ED0308", name="framework-cuda-library-not-found",
      title="A CUDA library a framework needs is not found by the loader",
      severity=Severity.ERROR, category=Category.LIBRARY_MISSING)
def framework_cuda_library_not_found(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The CUDA libraries each CUDA framework needs (its library's NEEDED entries and the
    cuDNN it pins), resolved through the loader's search path.

    ## Why it matters
    Import fails: "ImportError: libcudnn.so.9: cannot open shared object file", "Could
    not load dynamic library 'libcudart.so.12'" — typically after `pip install torch
    --no-deps`, a partial uninstall, or copying site-packages between machines.

    ## How to fix
    Install the missing pip wheel the framework pins (the fix names it).

    ## Example
    `torch needs libcudnn.so.9, which no directory on the loader's path holds.`

    ## References
    - https://man7.org/linux/man-pages/man8/ld.so.8.html
    """
    f = ctx.facts
    missing = [x for x in f.cuda.loader if x.resolved is None]
    for x in missing:
        fw = next((fw for fw in f.frameworks if fw.name == x.framework), None)
        pin = _pin_for(fw, x.soname) if fw else None
        yield Issue(f"{x.framework} needs {x.soname}, which no directory on the loader's path "
                    "holds.", fix=[f"pip install {pin}"] if pin else [],
                    evidence=[f"cuda.loader[{x.soname}].resolved=None"])


_PIN_FOR = {"libcudnn": "nvidia-cudnn", "libcublas": "nvidia-cublas",
            "libcudart": "nvidia-cuda-runtime", "libnccl": "nvidia-nccl",
            "libcusparseLt": "nvidia-cusparselt", "libcufft": "nvidia-cufft",
            "libcurand": "nvidia-curand", "libcusolver": "nvidia-cusolver",
            "libcusparse": "nvidia-cusparse", "libnvrtc": "nvidia-cuda-nvrtc"}


def _pin_for(fw: FrameworkFacts, soname: str) -> str | None:
    stem = soname.split(".so", 1)[0].split("_", maxsplit=1)[0]
    prefix = _PIN_FOR.get(stem)
    if prefix is None:
        return None
    for dist, spec in fw.requires.items():
        if dist.startswith(prefix + "-") or dist == prefix:
            return f"{dist}{spec}"
    return None


@rule(code="ED0309", name="toolkit-newer-than-driver",
      title="The CUDA toolkit is newer than the driver can run", severity=Severity.WARNING,
      category=Category.DRIVER_TOO_OLD)
def toolkit_newer_than_driver(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The toolkit on `PATH` (else `/usr/local/cuda`) against the driver, counting
    minor-version compatibility.

    ## Why it matters
    Programs built with it fail on this machine: "CUDA driver version is insufficient
    for CUDA runtime version".

    ## How to fix
    Upgrade the driver, or build with a toolkit the driver supports.

    ## Example
    `CUDA 13.0 at /usr/local/cuda-13.0 needs driver >= 580.65.06; this one is 550.54.14.`

    ## References
    - https://docs.nvidia.com/deploy/cuda-compatibility/
    """
    f, kb = ctx.facts, ctx.kb
    kit = _default_toolkit(f)
    version = driver(f)
    if kit is None or not kit.version or not version:
        return
    need = kb.driver_need(kit.version, _driver_os(f))
    if need is None or need.minimum is None:
        return
    if version_tuple(version) < version_tuple(need.minimum):
        yield Issue(f"CUDA {kit.version} at {kit.path} needs driver >= {need.minimum}; this one "
                    f"is {version}.",
                    fix=[install_driver_command(ctx, need.full or need.minimum)],
                    evidence=[f"cuda.toolkits[{kit.path}].version={kit.version}",
                              f"nvidia.userspace_version={version}"])


@rule(code="ED0310", name="cuda-home-is-not-a-toolkit",
      title="CUDA_HOME names a directory that holds no CUDA toolkit",
      severity=Severity.WARNING, category=Category.CONFIG)
def cuda_home_is_not_a_toolkit(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    `CUDA_HOME` (or `CUDA_PATH`) against the toolkits found.

    ## Why it matters
    Extension builds and CMake trust it: a stale value (a removed toolkit, a typo) makes
    them fail to find nvcc or the headers, or silently use another toolkit.

    ## How to fix
    Point it at an installed toolkit, or unset it.

    ## Example
    `CUDA_HOME=/usr/local/cuda-11.8, which holds no toolkit.`

    ## References
    - https://pytorch.org/docs/stable/cpp_extension.html
    """
    f = ctx.facts
    home = f.cuda.cuda_home
    if not home or any(k.cuda_home for k in f.cuda.toolkits):
        return
    default = next((k for k in f.cuda.toolkits if k.default), None)
    yield Issue(f"CUDA_HOME={home}, which holds no CUDA toolkit.",
                fix=[f"export CUDA_HOME={default.path}"] if default else ["unset CUDA_HOME"],
                evidence=[f"cuda.cuda_home={home}"])
