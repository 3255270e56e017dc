"""ED03xx: the CUDA toolkit, cuDNN, NCCL and the other CUDA libraries."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from envdoctor._util import major_minor, version_tuple
from envdoctor.compat import arch_name, arch_range, arch_support
from envdoctor.facts import (
    CudaToolkit,
    Facts,
    FrameworkFacts,
    LoadedLibrary,
    OriginKind,
    ProbeStatus,
)
from envdoctor.report import Severity
from envdoctor.rules._helpers import (
    driver,
    driver_commands,
    gpu_ccs,
    plan_fix,
    plan_for,
)
from envdoctor.rules.base import Category, Context, Issue, rule


def cuda_of(fw: FrameworkFacts) -> str | None:
    """The CUDA major.minor a framework build targets (``12.x`` and ``12`` read as 12.0)."""
    cuda = fw.cuda_version
    if not cuda:
        return None
    cuda = cuda.replace(".x", ".0")
    return major_minor(cuda) or (f"{cuda}.0" if cuda.isdigit() else None)


def _label(fw: FrameworkFacts) -> str:
    return f"{fw.distribution} {fw.version}" + (f"+{fw.local_tag}" if fw.local_tag else "")


def _driver_os(facts: Facts) -> str:
    # Under WSL 2 (and in Windows reports) the driver version is the Windows driver's.
    windows = facts.nvidia.wsl_driver_dir or facts.os.system == "Windows"
    return "windows" if windows else "linux"


def _unique_gpus(facts: Facts) -> list[tuple[str, str, int]]:
    """(name, compute capability, how many) of the NVIDIA GPUs, in order of first sight."""
    counts: dict[tuple[str, str], int] = {}
    for name, cc in gpu_ccs(facts):
        counts[(name, cc)] = counts.get((name, cc), 0) + 1
    return [(name, cc, n) for (name, cc), n in counts.items()]


def _gpu_text(name: str, count: int) -> str:
    return f"{count}× {name}" if count > 1 else name


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
    Install the build for an older CUDA that this driver runs (the fix names it, after
    uninstalling the installed build where pip would otherwise keep it), or upgrade the
    driver, never past the last branch that drives the GPUs here (R580 for Maxwell to
    Volta). For a GPU covered only through PTX, upgrade the driver to the one of the
    build's CUDA, or install a build with native code for the GPU.

    ## Example
    `torch 2.5.1 brings CUDA 12.4, which needs driver >= 525.60.13; this one is 470.223.02.`

    ## References
    - https://docs.nvidia.com/deploy/cuda-compatibility/
    - https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/ (Table 3)
    """
    f, kb = ctx.facts, ctx.kb
    version = driver(f)
    if not version:
        yield from _newer_than_driver_cuda(ctx)
        return
    os = _driver_os(f)
    for fw in f.frameworks:
        cuda = cuda_of(fw)
        if fw.build != "cuda" or not cuda or _sees_gpu(fw):
            continue
        need = kb.driver_need(cuda, os)
        if need is None or need.minimum is None:
            continue
        evidence = [f"nvidia.userspace_version={version}",
                    f"frameworks.{fw.name}.cuda_version={fw.cuda_version}"]
        if version_tuple(version) < version_tuple(need.minimum):
            plan = plan_for(ctx, fw.name, f"=={major_minor(fw.version)}"
                         if major_minor(fw.version) else "")
            fix, note = plan_fix(plan, fw)
            upgrade = driver_commands(ctx, need.full, need.minimum)
            if not fix:
                fix = upgrade
            elif upgrade and (plan is None or plan.choice is not None):
                note = (note + ". " if note else "") + f"Or upgrade the driver: {upgrade[0]}"
            yield Issue(f"{_label(fw)} brings CUDA {cuda}, which needs driver >= "
                        f"{need.minimum}{' (Windows)' if os == 'windows' else ''}; this one is "
                        f"{version}.", fix=fix, fix_note=note, evidence=evidence)
            continue
        if need.full and version_tuple(version) < version_tuple(need.full) and fw.arch_list:
            ptx_only = [(name, cc, n) for name, cc, n in _unique_gpus(f)
                        if arch_support(cc, fw.arch_list) == "ptx"]
            if ptx_only:
                gpus = ", ".join(f"{_gpu_text(name, n)} ({arch_name(cc)})"
                                 for name, cc, n in ptx_only)
                yield Issue(f"{_label(fw)} covers {gpus} only through PTX, which the driver "
                            f"must JIT-compile; CUDA {cuda} PTX needs driver >= {need.full}, "
                            f"this one is {version} (minor-version compatibility does not "
                            "cover PTX).", fix=driver_commands(ctx, need.full),
                            fix_note=f"Or install a build with native code (SASS) for "
                                     f"{', '.join(arch_name(cc) for _, cc, _ in ptx_only)}.",
                            evidence=[*evidence, f"frameworks.{fw.name}.arch_list"])


def _sees_gpu(fw: FrameworkFacts) -> bool:
    """The framework itself found the GPU, so its CUDA runs on this driver.

    From ``check --deep``, or a report's "Is CUDA available: Yes". It outweighs the tables
    (a forward-compatibility package, a driver version the tables do not know).
    """
    return bool(fw.deep and fw.deep.imported and fw.deep.device)


def _newer_than_driver_cuda(ctx: Context) -> Iterator[Issue]:
    """Without a driver version, the CUDA the driver reports still rules out a newer major.

    A report's "driver too old (found version 11040)" gives CUDA 11.4; minor-version
    compatibility never crosses a major, so a CUDA 12 build cannot run.
    """
    f = ctx.facts
    supported = f.nvidia.cuda_driver_version
    if not supported:
        return
    for fw in f.frameworks:
        cuda = cuda_of(fw)
        if fw.build != "cuda" or not cuda or _sees_gpu(fw):
            continue
        if version_tuple(cuda)[:1] > version_tuple(supported)[:1]:
            need = ctx.kb.driver_need(cuda)
            minimum = need.minimum if need else None
            yield Issue(f"{_label(fw)} brings CUDA {cuda}; the driver supports CUDA {supported}"
                        + (f" (CUDA {cuda} needs driver >= {minimum})" if minimum else "")
                        + ".", fix=driver_commands(ctx, need.full if need else None, minimum),
                        fix_note="Or install a build for CUDA " + supported.split(".")[0]
                        + f": 'envdoctor plan {fw.name}' on the machine lists them.",
                        evidence=[f"nvidia.cuda_driver_version={supported}",
                                  f"frameworks.{fw.name}.cuda_version={fw.cuda_version}"])


@rule(code="ED0302", name="gpu-arch-missing-from-framework-build",
      title="A framework build has no code for this GPU's architecture",
      severity=Severity.ERROR, category=Category.GPU_ARCH_UNSUPPORTED)
def gpu_arch_missing_from_framework_build(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Each NVIDIA GPU's compute capability against the architectures a framework build
    was compiled for (torch's `CUDAConfig.h`, TensorFlow's build info, xformers'
    `cpp_lib.json`): native code for the same major version at or below the GPU's minor,
    or PTX at or below the GPU's capability. When the build's list is not known (a
    pasted report), against what the build's CUDA can target at all: a GPU older than
    every architecture of that CUDA release has no code in any build of it.

    ## Why it matters
    New GPUs on old builds ("sm_120 is not compatible with the current PyTorch
    installation" on an RTX 50 series), and old GPUs on new builds that dropped them
    (Kepler, Maxwell), fail with "no kernel image is available for execution on the
    device".

    ## How to fix
    Install a build compiled for the GPU (the fix names the newest that works, with the
    driver it needs, after uninstalling the installed build where pip would otherwise
    keep it), or for old GPUs an older release.

    ## Example
    `torch 2.5.1+cu124 is compiled for sm_50–sm_90; the GeForce RTX 5090 is sm_120.`

    ## References
    - https://docs.nvidia.com/cuda/cuda-c-programming-guide/#binary-compatibility
    - https://developer.nvidia.com/cuda-gpus
    """
    f = ctx.facts
    for fw in f.frameworks:
        if fw.build != "cuda":
            continue
        if not fw.arch_list:
            yield from _older_than_its_cuda(ctx, fw)
            continue
        missing = [(name, cc, n) for name, cc, n in _unique_gpus(f)
                   if arch_support(cc, fw.arch_list) is None]
        if not missing:
            continue
        gpus = ", ".join(f"{_gpu_text(name, n)} {'are' if n > 1 else 'is'} {arch_name(cc)}"
                         for name, cc, n in missing)
        fix, note = plan_fix(plan_for(ctx, fw.name), fw)
        yield Issue(f"{_label(fw)} is compiled for {arch_range(fw.arch_list)}; {gpus}.",
                    fix=fix, fix_note=note, evidence=[f"frameworks.{fw.name}.arch_list"] + [
                        f"gpu {name}.compute_capability={cc}" for name, cc, _ in missing])


def _older_than_its_cuda(ctx: Context, fw: FrameworkFacts) -> Iterator[Issue]:
    """GPUs older than every architecture the build's CUDA release can compile for."""
    cuda = cuda_of(fw)
    sms = ctx.kb.cuda_sms(cuda) if cuda else None
    if not cuda or not sms:
        return
    oldest = min(int("".join(ch for ch in sm if ch.isdigit())) for sm in sms)
    too_old = [(name, cc, n) for name, cc, n in _unique_gpus(ctx.facts)
               if version_tuple(cc) < (oldest // 10, oldest % 10)]
    if not too_old:
        return
    gpus = ", ".join(f"{_gpu_text(name, n)} {'are' if n > 1 else 'is'} {arch_name(cc)}"
                     for name, cc, n in too_old)
    yield Issue(f"{_label(fw)} is built with CUDA {cuda}, which compiles for sm_{oldest} and "
                f"newer; {gpus}: no build of it has code for that GPU.",
                fix_note="This GPU is older than anything current framework builds support; "
                         "only an old release built for it, or a build from source with an old "
                         "CUDA, can use it. Otherwise run on the CPU or use a newer GPU.",
                evidence=[f"frameworks.{fw.name}.cuda_version={fw.cuda_version}"] + [
                    f"gpu {name}.compute_capability={cc}" for name, cc, _ in too_old])


def _default_toolkit(f: Facts) -> CudaToolkit | None:
    kits = f.cuda.toolkits
    return next((k for k in kits if k.on_path), None) or next((k for k in kits if k.default),
                                                               None)


def _torch_cuda(f: Facts) -> str | None:
    """The CUDA of the installed torch CUDA build, which extension builds must match."""
    return next((cuda_of(fw) for fw in f.frameworks
                 if fw.name == "torch" and fw.build == "cuda" and cuda_of(fw)), None)


def _toolkit_for(f: Facts, cuda: str, exclude: CudaToolkit | None = None,
                 ) -> CudaToolkit | None:
    """An installed toolkit with nvcc for CUDA ``cuda``: same major.minor, else same major."""
    kits = [k for k in f.cuda.toolkits if k.has_nvcc and k.version and k is not exclude]
    want = version_tuple(cuda)
    for n in (2, 1):
        found = next((k for k in kits if version_tuple(k.version)[:n] == want[:n]), None)
        if found is not None:
            return found
    return None


def _use_toolkit(kit: CudaToolkit) -> str:
    return f"export CUDA_HOME={kit.path} PATH={kit.path}/bin:$PATH"


_APT = {"ubuntu", "debian"}
_DNF = {"rhel", "fedora", "centos", "rocky", "almalinux", "amzn", "ol"}
_ZYPPER = {"sles", "suse", "opensuse", "opensuse-leap", "opensuse-tumbleweed"}


def _install_toolkit(f: Facts, cuda: str) -> list[str]:
    """Commands that install the CUDA ``cuda`` toolkit here and point CUDA_HOME/PATH at it."""
    mm = major_minor(cuda)
    if not mm:
        return []
    if f.python.environment == "conda" and version_tuple(mm)[0] >= 12:
        return [f"conda install -c conda-forge cuda-toolkit cuda-version={mm}",
                'export CUDA_HOME="$CONDA_PREFIX"']
    family = {(f.os.distro_id or "").lower(), *(d.lower() for d in f.os.distro_like)}
    package = f"cuda-toolkit-{mm.replace('.', '-')}"
    if family & _APT:
        install = f"sudo apt-get install -y {package}"
    elif family & _DNF:
        install = f"sudo dnf install -y {package}"
    elif family & _ZYPPER:
        install = f"sudo zypper install -y {package}"
    else:
        return []
    return [install, f"export CUDA_HOME=/usr/local/cuda-{mm} PATH=/usr/local/cuda-{mm}/bin:$PATH"]


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
    Use a toolkit that knows the GPU: when one is installed, the fix points `CUDA_HOME`
    and `PATH` at it; otherwise install the first one that knows a new GPU (the note
    names it), or for an old GPU the last one that still knows it.

    ## Example
    `nvcc 12.4 at /usr/local/cuda-12.4 cannot compile for sm_120 (GeForce RTX 5090); CUDA
    12.8 is the first toolkit that can.`

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
    rows = sorted(kb.table("cuda_arch")["toolkits"], key=lambda r: version_tuple(r["cuda"]))
    newest_sm = max(int(sm) for r in rows for sm in r["sm"])
    have = version_tuple(major_minor(kit.version))
    missing: dict[str, tuple[str, list[tuple[str, int]]]] = {}
    for name, cc, n in _unique_gpus(f):
        sm = cc.replace(".", "")
        if sm not in sms:
            missing.setdefault(sm, (cc, []))[1].append((name, n))
    torch = _torch_cuda(f)
    for sm, (cc, gpus) in missing.items():
        known = [r["cuda"] for r in rows if sm in r["sm"]]
        if not known and sm.isdigit() and int(sm) > newest_sm:
            why = "; no CUDA release envdoctor knows can, a newer toolkit is needed."
            note = "Install the toolkit that first supports this GPU and put its bin first on PATH."
        elif not known:
            why = f"; no toolkit since CUDA {rows[0]['cuda']} can."
            note = "Install an older toolkit for this GPU."
        elif version_tuple(known[0]) > have:
            why = f"; CUDA {known[0]} is the first toolkit that can."
            note = f"Install CUDA {known[0]} or newer and put its bin first on PATH."
        else:
            why = f"; this toolkit dropped it, CUDA {known[-1]} is the last that can."
            note = f"Install CUDA {known[-1]} or older for this GPU and put its bin first on PATH."
        able = [k for k in f.cuda.toolkits if k is not kit and k.has_nvcc and k.version
                and sm in (kb.cuda_sms(k.version) or [])]
        if torch:
            # The one that also suits torch's extension builds, when there is a choice.
            able.sort(key=lambda k: (version_tuple(k.version)[:2] != version_tuple(torch)[:2],
                                     version_tuple(k.version)[:1] != version_tuple(torch)[:1]))
        fix = []
        if able:
            fix = [_use_toolkit(able[0])]
            note = f"CUDA {able[0].version} at {able[0].path} is installed and can."
        yield Issue(f"nvcc {kit.version} at {kit.path} cannot compile for sm_{sm} "
                    f"({', '.join(_gpu_text(name, n) for name, n in gpus)}){why}", fix=fix,
                    fix_note=note,
                    evidence=[f"cuda.toolkits[{kit.path}].version={kit.version}",
                              *(f"gpu {name}.compute_capability={cc}" for name, _ in gpus)])


@rule(code="ED0304", name="nvcc-differs-from-framework-cuda",
      title="nvcc's CUDA major differs from the CUDA a framework was built with",
      severity=Severity.WARNING, category=Category.TOOLKIT_MISMATCH)
def nvcc_differs_from_framework_cuda(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The version of the toolkit PyTorch's extension builder would use (`CUDA_HOME`, else
    the `nvcc` on `PATH`, else `/usr/local/cuda`) against the CUDA of each installed
    torch CUDA build.

    ## Why it matters
    Building a PyTorch C++/CUDA extension (flash-attn, apex, custom ops, `pip install`
    of packages without wheels) uses that nvcc: with a different major version torch
    refuses ("The detected CUDA version (11.0) mismatches the version that was used to
    compile PyTorch (12.4)"); a different minor only draws a warning.

    ## How to fix
    Point `CUDA_HOME` and `PATH` at an installed toolkit of the same CUDA version (else
    of the same major), or install one (conda-forge's `cuda-toolkit`, NVIDIA's
    `cuda-toolkit-X-Y`).

    ## Example
    `nvcc at /usr/local/cuda-11.0 is CUDA 11.0.207; torch 2.15.0 was built with CUDA 13.2:
    building CUDA extensions will fail.`

    ## References
    - https://pytorch.org/docs/stable/cpp_extension.html
    """
    f = ctx.facts
    if f.cuda.cuda_home and not any(k.cuda_home for k in f.cuda.toolkits):
        return  # torch would use CUDA_HOME, which holds no toolkit: ED0310 says so
    kit = next((k for k in f.cuda.toolkits if k.cuda_home), None) or _default_toolkit(f)
    if kit is None or not kit.version or not kit.has_nvcc:
        return
    for fw in f.frameworks:
        cuda = cuda_of(fw)
        if fw.name != "torch" or fw.build != "cuda" or not cuda:
            continue
        if version_tuple(kit.version)[:1] == version_tuple(cuda)[:1]:
            continue
        same = _toolkit_for(f, cuda, exclude=kit)
        if same is not None:
            fix = [_use_toolkit(same)]
            note = (None if version_tuple(same.version)[:2] == version_tuple(cuda)[:2] else
                    f"CUDA {same.version} differs from {cuda} only in the minor version, "
                    "which torch accepts with a warning.")
        else:
            fix = _install_toolkit(f, cuda)
            if fix and fix[0].startswith("sudo"):
                note = (f"{fix[0].rsplit(' ', 1)[-1]} comes from NVIDIA's CUDA repository "
                        "(https://developer.nvidia.com/cuda-downloads).")
            else:
                note = None if fix else (f"Install the CUDA {cuda} toolkit and point CUDA_HOME "
                                         "and PATH at it.")
        yield Issue(f"nvcc at {kit.path} is CUDA {kit.version}; {fw.distribution} {fw.version} "
                    f"was built with CUDA {cuda}: building CUDA extensions will fail.", fix=fix,
                    fix_note=note,
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
    Choose one toolkit and point all three at it. The fix picks the one that matches
    the installed torch's CUDA (the same version, else the same major) when there is
    one, else the one `/usr/local/cuda` points at.

    ## Example
    `/usr/local/cuda is 13.3.1 (/usr/local/cuda-13.3); nvcc on PATH is 11.0.207
    (/usr/local/cuda-11.0); CUDA_HOME is 11.0.207 (/usr/local/cuda-11.0).`

    ## References
    - https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#environment-setup
    """
    f = ctx.facts
    kits = f.cuda.toolkits
    roles = {"/usr/local/cuda": next((k for k in kits if k.default), None),
             "nvcc on PATH": next((k for k in kits if k.on_path), None),
             "CUDA_HOME": next((k for k in kits if k.cuda_home), None)}
    present = {role: k for role, k in roles.items() if k is not None}
    versions = {k.version for k in present.values()}
    if len(present) < 2 or len(versions) < 2:
        return
    torch = _torch_cuda(f)
    chosen = (_toolkit_for(f, torch) if torch else None) or roles["/usr/local/cuda"] \
        or next(iter(present.values()))
    parts = [f"{role} is {k.version} ({k.path})" for role, k in present.items()]
    note = "Or point /usr/local/cuda at the toolkit you want, and use it for all three."
    if roles["/usr/local/cuda"] is not None and chosen is not roles["/usr/local/cuda"]:
        note = (f"/usr/local/cuda still points at {roles['/usr/local/cuda'].version}: point "
                f"it at {chosen.path} too (sudo update-alternatives --config cuda where the "
                "CUDA packages manage it).")
    yield Issue("; ".join(parts) + ".", fix=[_use_toolkit(chosen)], fix_note=note,
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
    `torch loads libcudnn_graph.so.9 from /usr/lib/x86_64-linux-gnu (via LD_LIBRARY_PATH),
    not from the copy it expects in …/nvidia/cudnn/lib.`

    ## References
    - https://man7.org/linux/man-pages/man8/ld.so.8.html
    - https://github.com/pytorch/pytorch/issues/104591
    """
    f = ctx.facts
    groups: dict[tuple[str, str], list[LoadedLibrary]] = {}
    for x in f.cuda.loader:
        if x.expected and x.resolved:
            directory = posixpath.dirname(x.resolved) or "/"
            groups.setdefault((x.framework, directory), []).append(x)
    for (framework, directory), items in groups.items():
        names = ", ".join(x.soname for x in items)
        expected_dir = posixpath.dirname(items[0].expected or "")
        via = items[0].via
        fix: list[str] = []
        note = None
        if via == "LD_LIBRARY_PATH":
            here = posixpath.normpath(directory)
            kept = [d for d in f.cuda.ld_library_path if posixpath.normpath(d) != here]
            note = "Check ~/.bashrc and /etc/profile.d for the export that adds it."
            if len(kept) < len(f.cuda.ld_library_path):
                fix = [f"export LD_LIBRARY_PATH={':'.join(kept)}" if kept
                       else "unset LD_LIBRARY_PATH"]
            else:
                note = (f"Remove the entry of LD_LIBRARY_PATH that leads to {directory}. "
                        + note)
        yield Issue(f"{framework} loads {names} from {directory} (via {via}), not from "
                    f"the copy it expects in {expected_dir}.", fix=fix, fix_note=note,
                    evidence=[f"cuda.loader[{x.soname}].via={x.via}" for x in items])


def _built_cudnn(kb: Any, fw: FrameworkFacts) -> str | None:  # noqa: ANN401 - KnowledgeBase
    """The cuDNN a TensorFlow build was compiled with, to the minor when it can be told.

    TensorFlow's build info names only the major (``8``); the release table adds the
    minor of the same major.
    """
    built = fw.cudnn_version
    if not built or len(version_tuple(built)) >= 2:
        return built
    row = kb.release("tensorflow", fw.version) if fw.version else None
    table = row.get("cudnn") if row else None
    if table and version_tuple(table)[:1] == version_tuple(built)[:1]:
        return str(table)
    return built


@rule(code="ED0307", name="cudnn-older-than-framework-needs",
      title="The cuDNN a framework will use is older than the one it was built with",
      severity=Severity.ERROR, category=Category.CUDNN_MISMATCH)
def cudnn_older_than_framework_needs(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The cuDNN version a framework pins (torch's `nvidia-cudnn-cu12==…` pin,
    `tensorflow[and-cuda]`'s) against the pip wheel installed beside it; for TensorFlow
    also the cuDNN it was built with (its build info, to the minor from the release
    table) against every cuDNN copy found.

    ## Why it matters
    An older cuDNN than the build expects fails at the first convolution or at import:
    "Loaded runtime CuDNN library: 8.6.0 but source was compiled with: 8.9.4",
    "cuDNN version incompatibility: PyTorch was compiled against (9, 1, 0) but found
    runtime version (8, 9, 7)". TensorFlow needs the same major and at least the minor.

    ## How to fix
    Install the pinned cuDNN wheel (`pip install nvidia-cudnn-cu12==…`); for TensorFlow
    2.14 and newer `pip install "tensorflow[and-cuda]==…"`, which brings the matching
    one; for older TensorFlow, a cuDNN of the version it was built with.

    ## Example
    `torch 2.5.1 pins nvidia-cudnn-cu12==9.1.0.70; installed is 8.9.2.26.`

    ## References
    - https://docs.nvidia.com/deeplearning/cudnn/latest/reference/support-matrix.html
    - https://www.tensorflow.org/install/pip
    """
    f, kb = ctx.facts, ctx.kb
    pip_cudnn = {c.origin.split(":", 1)[1]: c.version for c in f.cuda.libraries
                 if c.library == "cudnn" and c.origin and c.origin.startswith("pip:")}
    for fw in f.frameworks:
        if fw.build != "cuda":
            continue
        pinned_older = False
        for dist, spec in fw.requires.items():
            if not dist.startswith("nvidia-cudnn") or not spec.startswith("=="):
                continue
            want = spec[2:]
            have = pip_cudnn.get(dist)
            if have and version_tuple(have) < version_tuple(want):
                pinned_older = True
                yield Issue(f"{fw.distribution} {fw.version} pins {dist}=={want}; installed is "
                            f"{have}.", fix=[f"pip install {dist}=={want}"],
                            evidence=[f"frameworks.{fw.name}.requires.{dist}={spec}",
                                      f"cuda.libraries[pip:{dist}].version={have}"])
        built = _built_cudnn(kb, fw) if fw.name == "tensorflow" and not pinned_older else None
        if not built:
            continue
        want_t = version_tuple(built)
        copies = [c for c in f.cuda.libraries if c.library == "cudnn" and c.version]
        if not want_t or any(version_tuple(c.version)[:1] == want_t[:1]
                             and version_tuple(c.version)[:2] >= want_t[:2] for c in copies):
            continue
        older = [c for c in copies if version_tuple(c.version)[:2] < want_t[:2]]
        if not older:
            continue  # only newer majors: TensorFlow does not find its soname (ED0308)
        newest = max(older, key=lambda c: version_tuple(c.version))
        cuda_major = (cuda_of(fw) or "12").split(".")[0]
        row = kb.release("tensorflow", fw.version) if fw.version else None
        if row and row.get("and_cuda"):
            fix = [f'pip install "tensorflow[and-cuda]=={fw.version}"']
            note = f"tensorflow[and-cuda] brings the matching nvidia-cudnn-cu{cuda_major}."
        else:
            fix = []
            note = (f"tensorflow {fw.version} has no [and-cuda] extra: install cuDNN {built} "
                    f"for CUDA {cuda_of(fw) or cuda_major} and put it on the loader's path.")
        yield Issue(f"tensorflow {fw.version} was built with cuDNN {built} and needs "
                    f"{'.'.join(map(str, want_t[:2]))} or a newer {want_t[0]}.x; the closest "
                    f"cuDNN here is {newest.version} ({newest.origin}).", fix=fix,
                    fix_note=note,
                    evidence=[f"frameworks.tensorflow.cudnn_version={fw.cudnn_version}",
                              *(f"cuda.libraries[{c.origin}].version={c.version}"
                                for c in copies)])


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
    Install the missing pip wheel the framework pins (the fix names it: the
    `nvidia-*` wheel, or the `cuda-toolkit[…]` extra that CUDA 13 builds pin).

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


# Library stem → (pip distribution prefix, extra of NVIDIA's cuda-toolkit metapackage).
_PIN_FOR = {"libcudnn": ("nvidia-cudnn", None), "libcublas": ("nvidia-cublas", "cublas"),
            "libcublasLt": ("nvidia-cublas", "cublas"),
            "libcudart": ("nvidia-cuda-runtime", "cudart"), "libnccl": ("nvidia-nccl", None),
            "libcusparseLt": ("nvidia-cusparselt", None), "libcufft": ("nvidia-cufft", "cufft"),
            "libcurand": ("nvidia-curand", "curand"),
            "libcusolver": ("nvidia-cusolver", "cusolver"),
            "libcusparse": ("nvidia-cusparse", "cusparse"),
            "libnvrtc": ("nvidia-cuda-nvrtc", "nvrtc"),
            "libnvJitLink": ("nvidia-nvjitlink", "nvjitlink")}


def _pin_for(fw: FrameworkFacts, soname: str) -> str | None:
    """The requirement to install for a missing library, as the framework pins it."""
    stem = soname.split(".so", 1)[0].split("_", maxsplit=1)[0]
    prefix, extra = _PIN_FOR.get(stem, (None, None))
    if prefix is None:
        return None
    for dist, spec in fw.requires.items():
        if dist.startswith(prefix + "-") or dist == prefix:
            return f"{dist}{spec}"
    toolkit = fw.requires.get("cuda-toolkit")
    if extra and toolkit is not None:
        # CUDA 13 builds of torch pin cuda-toolkit[cublas,cudart,…]==13.x.y instead.
        return f'"cuda-toolkit[{extra}]{toolkit}"'
    return None


@rule(code="ED0309", name="toolkit-newer-than-driver",
      title="The CUDA toolkit is newer than the driver can run", severity=Severity.WARNING,
      category=Category.DRIVER_TOO_OLD)
def toolkit_newer_than_driver(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The toolkit on `PATH` (else `/usr/local/cuda`) against the driver, counting
    minor-version compatibility: below its floor nothing the toolkit builds runs; above
    it but below the toolkit's own driver, what it builds runs only from native code
    (SASS) for the GPU, because the driver cannot JIT-compile the toolkit's newer PTX.

    ## Why it matters
    Programs built with it fail on this machine: "CUDA driver version is insufficient
    for CUDA runtime version", or, under minor-version compatibility, "the provided PTX
    was compiled with an unsupported toolchain" for code built without SASS for the GPU
    (nvcc's default target, `+PTX` builds).

    ## How to fix
    Upgrade the driver (never past the last branch that drives the GPUs here), build
    with a toolkit the driver supports, or, under minor-version compatibility, build
    SASS for the GPU (`nvcc -arch=sm_89`).

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
    os = _driver_os(f)
    need = kb.driver_need(kit.version, os)
    if need is None or need.full is None:
        # A patch level the table does not list (11.0.207): what its major.minor needs.
        need = kb.driver_need(major_minor(kit.version) or kit.version, os)
    if need is None or need.minimum is None:
        return
    evidence = [f"cuda.toolkits[{kit.path}].version={kit.version}",
                f"nvidia.userspace_version={version}"]
    if version_tuple(version) < version_tuple(need.minimum):
        fix = driver_commands(ctx, need.full, need.minimum)
        yield Issue(f"CUDA {kit.version} at {kit.path} needs driver >= {need.minimum}; this one "
                    f"is {version}.", fix=fix,
                    fix_note=None if fix else "No driver that runs it drives every GPU here: "
                                              "build with an older toolkit.",
                    evidence=evidence)
        return
    # Its PTX has the ISA of its major.minor, which the driver of that minor's first
    # release JIT-compiles (12.4.1's PTX runs on 12.4.0's driver).
    first = kb.driver_need(major_minor(kit.version) or kit.version, os)
    ptx_driver = first.full if first else None
    if not (ptx_driver and version_tuple(version) < version_tuple(ptx_driver) and kit.has_nvcc):
        return
    archs = list(dict.fromkeys(arch_name(cc) for _, cc in gpu_ccs(f)))
    if not archs:
        return
    yield Issue(f"CUDA {kit.version} at {kit.path} runs on driver {version} only through "
                f"minor-version compatibility: its PTX needs driver >= {ptx_driver}, so what "
                f"it builds runs here only from native code (SASS) for {', '.join(archs)}.",
                fix=driver_commands(ctx, ptx_driver),
                fix_note="Or build SASS for the GPU: nvcc " + (
                    f"-arch={archs[0]}" if len(archs) == 1 else
                    " ".join(f"-gencode arch=compute_{a[3:]},code={a}" for a in archs)) + ".",
                evidence=evidence)


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
    Point it at an installed toolkit (the one that matches torch's CUDA when there is
    one, else the one on `PATH` or at `/usr/local/cuda`), or unset it.

    ## Example
    `CUDA_HOME=/usr/local/cuda-11.8, which holds no CUDA toolkit.`

    ## References
    - https://pytorch.org/docs/stable/cpp_extension.html
    """
    f = ctx.facts
    home = f.cuda.cuda_home
    if not home or any(k.cuda_home for k in f.cuda.toolkits):
        return
    record = f.probe("cuda")
    if record is not None and record.status in (ProbeStatus.FAILED, ProbeStatus.SKIPPED):
        return  # the toolkits were not looked for
    if f.origin.kind is OriginKind.REPORT:
        return  # a report names variables but cannot show what the folder holds
    variables = f.env.variables
    name = next((v for v in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT") if variables.get(v) == home),
                "CUDA_HOME")
    torch = _torch_cuda(f)
    kits = [k for k in f.cuda.toolkits if k.has_nvcc and k.version]
    target = (_toolkit_for(f, torch) if torch else None) or _default_toolkit(f) or next(
        iter(kits), None)
    yield Issue(f"{name}={home}, which holds no CUDA toolkit.",
                fix=[f"export {name}={target.path}"] if target else [f"unset {name}"],
                evidence=[f"cuda.cuda_home={home}"])
