"""ED01xx: host, CPU, BLAS and Python."""

from __future__ import annotations

import math
from collections.abc import Iterator

from envdoctor._util import version_tuple
from envdoctor.facts import Facts, FrameworkFacts, ProbeStatus
from envdoctor.report import Severity
from envdoctor.rules._helpers import framework, has_amd, has_nvidia, plan_for, python_mm
from envdoctor.rules.base import Category, Context, Issue, rule

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "BLIS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


@rule(code="ED0101", name="numpy-uses-reference-blas",
      title="numpy uses the reference (netlib) BLAS, which is many times slower",
      severity=Severity.WARNING, category=Category.BLAS)
def numpy_uses_reference_blas(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The BLAS numpy is linked to, from numpy's build configuration, conda's `libblas`
    variant or Debian's `libblas.so.3` alternative.

    ## Why it matters
    The reference BLAS is the unoptimised Fortran of netlib: matrix products run one
    core at a time without SIMD kernels, often 10 to 100 times slower than OpenBLAS or
    MKL. On a CPU-only machine that is the difference a GPU would make.

    ## How to fix
    The fix follows where numpy came from:

    - Debian/Ubuntu numpy (`python3-numpy`, linked to the `libblas.so.3` alternative):
      install `libopenblas0-pthread` and point the alternative at it
      (`sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu
      /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3`).
    - conda numpy: switch the BLAS variant (conda-forge: `conda install
      "libblas=*=*openblas"`; Anaconda's channel: `conda install "blas=*=openblas"`).
    - numpy built from source by pip: reinstall the same version from its PyPI wheel,
      which bundles OpenBLAS (`pip install --force-reinstall --no-deps
      --only-binary=numpy 'numpy==1.24.2'`); pinning the version keeps pip from
      moving to a numpy other packages were not built for.

    ## Example
    `numpy 1.21.5 uses the reference BLAS (libblas.so.3 -> …/blas/libblas.so.3).`

    ## References
    - https://numpy.org/doc/stable/building/blas_lapack.html
    - https://wiki.debian.org/DebianScience/LinearAlgebraLibraries
    """
    b = ctx.facts.blas
    if b.numpy_version and b.blas == "reference":
        yield Issue(f"numpy {b.numpy_version} uses the reference BLAS"
                    + (f" ({b.blas_detail})" if b.blas_detail else "") + ".",
                    fix=_openblas_fix(ctx.facts),
                    evidence=["blas.blas=reference", f"blas.source={b.source}"])


def _openblas_fix(f: Facts) -> list[str]:
    """The commands that move numpy to OpenBLAS, for the way this numpy was installed."""
    b = f.blas
    if b.source == "conda-meta":  # a conda numpy, its BLAS picked by a variant package
        env = _conda_env(f)
        if any(p.name == "libblas" for p in f.python.conda_packages):  # conda-forge
            return [f'conda install{env} "libblas=*=*openblas"']
        return [f'conda install{env} "blas=*=openblas"']  # Anaconda's blas 1.0 variants
    link = str(b.source or "")
    debian = "debian" in (f.os.distro_id, *f.os.distro_like) or "ubuntu" in (
        f.os.distro_id, *f.os.distro_like)
    if debian and link.startswith("/etc/alternatives/libblas.so.3"):
        # Debian's OpenBLAS registers the alternative at a higher priority than netlib's,
        # but an alternative set by hand (or to MKL) stays: set it explicitly.
        name = link.rsplit("/", 1)[-1]
        triplet = name.partition("-")[2]
        fix = ["sudo apt-get install -y libopenblas0-pthread"]
        if triplet:
            fix.append(f"sudo update-alternatives --set {name} "
                       f"/usr/lib/{triplet}/openblas-pthread/libblas.so.3")
        return fix
    # Same version, so nothing built against this numpy breaks; the wheel, not a rebuild.
    return ["pip install --force-reinstall --no-deps --only-binary=numpy "
            f"'numpy=={b.numpy_version}'"]


@rule(code="ED0102", name="mkl-on-amd-cpu",
      title="numpy uses Intel MKL on an AMD CPU, where it takes slower code paths",
      severity=Severity.WARNING, category=Category.BLAS)
def mkl_on_amd_cpu(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    numpy's BLAS is MKL while the CPU vendor is AMD.

    ## Why it matters
    MKL picks its kernels by CPU vendor: on AMD processors it has long used generic
    code paths. The `MKL_DEBUG_CPU_TYPE=5` workaround stopped working with MKL 2020.1,
    so on AMD an OpenBLAS or BLIS build is usually faster.

    ## How to fix
    Switch numpy to OpenBLAS the way it was installed: in conda, change the BLAS
    variant (conda-forge: `conda install "libblas=*=*openblas"`; Anaconda's channel:
    `conda install "blas=*=openblas"`); on Debian/Ubuntu, point the `libblas.so.3`
    alternative at OpenBLAS; else reinstall the same numpy version from its PyPI wheel,
    which bundles OpenBLAS. Measure your own workload: newer MKL releases narrowed the
    gap for some operations.

    ## Example
    `numpy 1.20.3 uses MKL on an AMD EPYC 7451 24-Core Processor.`

    ## References
    - https://github.com/flame/blis (AMD's BLIS, the AOCL BLAS)
    - https://conda-forge.org/docs/maintainer/knowledge_base/#switching-blas-implementation
    """
    f = ctx.facts
    if f.blas.numpy_version and f.blas.blas == "mkl" and f.cpu.vendor == "amd":
        yield Issue(f"numpy {f.blas.numpy_version} uses MKL on an {f.cpu.model or 'AMD CPU'}.",
                    fix=_openblas_fix(f),
                    evidence=["blas.blas=mkl", f"cpu.vendor={f.cpu.vendor}",
                              f"blas.source={f.blas.source}"])


def _cpu_budget(ctx: Context) -> tuple[int | None, str, str]:
    """The most compute threads that fit: (count, what sets it, the fact it comes from)."""
    r, c = ctx.facts.resources, ctx.facts.cpu
    quota = max(1, math.ceil(r.cpu_limit)) if r.cpu_limit else None
    if quota is not None and not (c.usable and c.usable < quota):
        return quota, f"the cgroup quota allows {r.cpu_limit:g} CPUs", "resources.cpu_limit"
    if c.usable:
        return c.usable, f"this process may run on {c.usable} CPUs", "cpu.usable"
    if c.threads:
        # Affinity unknown (a recorded root): the machine's CPUs are an upper bound.
        return c.threads, f"this machine has {c.threads} CPUs", "cpu.threads"
    return None, "", ""


@rule(code="ED0103", name="thread-settings-oversubscribe-cpus",
      title="Thread settings ask for more threads than CPUs are available",
      severity=Severity.WARNING, category=Category.THREADS)
def thread_settings_oversubscribe_cpus(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    `OMP_NUM_THREADS`, `MKL_NUM_THREADS`, `OPENBLAS_NUM_THREADS` and friends against the
    CPUs the process may actually use: the cgroup quota in a container (rounded up),
    else its affinity, else (when affinity is unknown) the machine's logical CPUs.

    ## Why it matters
    More compute threads than CPUs makes BLAS and PyTorch's intra-op pool fight for
    cores: throughput drops, sometimes by several times, and a container with a quota
    gets throttled.

    ## How to fix
    Set the variables to the CPUs available (the fix names the number). Do not just
    unset them in a container: OpenMP, OpenBLAS and MKL size their pools from the
    visible CPUs, not from the cgroup quota.

    ## Example
    `OMP_NUM_THREADS=96, but the cgroup quota allows 2 CPUs.`

    ## References
    - https://pytorch.org/docs/stable/notes/cpu_threading_torchscript_inference.html
    """
    budget, what, source = _cpu_budget(ctx)
    if budget is None:
        return
    env = ctx.facts.env.variables
    for var in THREAD_VARS:
        value = env.get(var, "").strip()
        if value.isdigit() and int(value) > budget:
            yield Issue(f"{var}={value}, but {what}.",
                        fix=[f"export {var}={budget}"],
                        evidence=[f"env.{var}={value}", source])


@rule(code="ED0104", name="threads-default-to-all-visible-cpus",
      title="In a CPU-limited container, libraries will start a thread per visible CPU",
      severity=Severity.INFO, category=Category.THREADS)
def threads_default_to_all_visible_cpus(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A cgroup CPU quota smaller than the CPUs the process can see, with no thread-count
    variable set.

    ## Why it matters
    OpenBLAS, MKL and PyTorch size their thread pools from the visible CPUs, not the
    quota: 64 threads sharing a 2-CPU quota get throttled.

    ## How to fix
    Set `OMP_NUM_THREADS` (and `MKL_NUM_THREADS`) to the quota, e.g. in the container's
    environment.

    ## Example
    `The cgroup quota allows 0.2 CPUs, but 64 CPUs are visible.`

    ## References
    - https://docs.docker.com/config/containers/resource_constraints/#cpu
    """
    r, c = ctx.facts.resources, ctx.facts.cpu
    visible = c.usable or c.threads
    if not (r.cpu_limit and visible and r.cpu_limit + 1 <= visible):
        return
    if any(v in ctx.facts.env.variables for v in THREAD_VARS):
        return
    budget = max(1, math.ceil(r.cpu_limit))
    yield Issue(f"The cgroup quota allows {r.cpu_limit:g} CPUs, but {visible} CPUs are "
                "visible and no thread-count variable is set.",
                fix=[f"export OMP_NUM_THREADS={budget} MKL_NUM_THREADS={budget}"],
                evidence=[f"resources.cpu_limit={r.cpu_limit:g}",
                          f"cpu.usable={visible}" if c.usable else f"cpu.threads={visible}"])


@rule(code="ED0105", name="tensorflow-on-cpu-without-avx",
      title="TensorFlow's wheels need AVX, which this CPU lacks",
      severity=Severity.ERROR, category=Category.CPU_ISA)
def tensorflow_on_cpu_without_avx(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    TensorFlow installed on an x86-64 CPU whose flags have no AVX.

    ## Why it matters
    TensorFlow's PyPI wheels are compiled with AVX since 1.6: importing them on such a
    CPU dies with "Illegal instruction (core dumped)", with no Python traceback.

    ## How to fix
    Run on a CPU with AVX (anything since Sandy Bridge / Bulldozer), or build
    TensorFlow from source without AVX, or use a framework whose wheels only need
    SSE4 (PyTorch's x86-64 wheels dispatch at run time).

    ## Example
    `tensorflow 2.15.1 on Intel(R) Xeon(R) CPU X7550: no AVX.`

    ## References
    - https://www.tensorflow.org/install/pip#hardware_requirements
    """
    f = ctx.facts
    tf = framework(f, "tensorflow")
    if tf is None or f.os.arch not in ("x86_64", None) or not f.cpu.source:
        return
    if not f.cpu.isa or "isa" in f.cpu.unknown:
        return  # the flags were not read (a report without them): no AVX is not shown
    if tf.version and version_tuple(tf.version) < (1, 6):
        return  # built without AVX
    if f.cpu.vendor in ("intel", "amd", "hygon") and "avx" not in f.cpu.isa:
        yield Issue(f"{tf.distribution} {tf.version or '(version unknown)'} is installed on "
                    f"{f.cpu.model or 'a CPU'}, which has no AVX: importing it will die with "
                    "'Illegal instruction'.",
                    fix_note="Use a machine with AVX, build TensorFlow from source, or use "
                             "PyTorch's wheels, which dispatch by CPU at run time.",
                    evidence=["cpu.isa (no avx)", f"frameworks.tensorflow={tf.version}"])


@rule(code="ED0106", name="python-not-supported-by-framework",
      title="A framework release does not support this Python version",
      severity=Severity.ERROR, category=Category.PYTHON_UNSUPPORTED)
def python_not_supported_by_framework(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The examined Python's version against the versions each installed torch,
    TensorFlow or JAX release publishes wheels for.

    ## Why it matters
    A release built for other Pythons came from an unofficial source or a forced
    install: C extensions fail to import or crash.

    ## How to fix
    Install a release that supports this Python: the fix names the newest build the
    planner finds for this Python that also runs on this machine's GPUs and driver
    (`envdoctor plan torch` shows why). Or create an environment with a supported
    Python.

    ## Example
    `torch 1.13.1 supports Python 3.7–3.10; this environment runs 3.12.`

    ## References
    - https://github.com/pytorch/pytorch/blob/main/RELEASE.md#release-compatibility-matrix
    - https://www.tensorflow.org/install/pip#software_requirements
    """
    f, kb = ctx.facts, ctx.kb
    py = python_mm(f)
    if not py:
        return
    for fw in f.frameworks:
        if fw.name == "torch" and fw.version:
            row = kb.torch_release(fw.version)
        elif fw.name in ("tensorflow", "jax") and fw.version:
            row = kb.release(fw.name, fw.version)
        else:
            continue
        pythons = (row or {}).get("python") or []
        if pythons and py not in pythons:
            # Free-threaded builds (3.13t) are listed apart; the range names the plain ones.
            plain = sorted((p for p in pythons if p[-1:].isdigit()), key=version_tuple) \
                or pythons
            fix, note = _release_for_python(ctx, fw, py)
            yield Issue(f"{fw.distribution} {fw.version} supports Python "
                        f"{plain[0]}–{plain[-1]}; this environment runs {py}.",
                        fix=fix, fix_note=note,
                        evidence=[f"python.version={f.python.version}",
                                  f"frameworks.{fw.name}={fw.version}"])


def _release_for_python(ctx: Context, fw: FrameworkFacts, py: str,
                        ) -> tuple[list[str], str | None]:
    """The install of a build for Python ``py`` that runs here, from the planner."""
    plan = plan_for(ctx, fw.name)
    if plan is None or plan.choice is None:
        return [], (f"No {fw.name} build in the knowledge base supports Python {py} on this "
                    f"machine; create an environment with a Python {fw.name} supports.")
    fix = [plan.choice.pip]
    if fw.distribution != fw.name:  # tensorflow-cpu, tf-nightly: same package directory
        fix.insert(0, f"pip uninstall -y {fw.distribution}")
    return fix, "; ".join(plan.choice.reasons) or None


@rule(code="ED0107", name="numpy2-beside-numpy1-build",
      title="numpy 2 is installed beside a framework built for numpy 1",
      severity=Severity.ERROR, category=Category.NUMPY_ABI)
def numpy2_beside_numpy1_build(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    numpy's major version against the numpy ABI the installed torch or TensorFlow
    release was built for.

    ## Why it matters
    Extensions compiled against numpy 1 cannot run with numpy 2: "A module that was
    compiled using NumPy 1.x cannot be run in NumPy 2.x", or crashes in tensor/array
    conversion.

    ## How to fix
    Pin numpy below 2 (`pip install 'numpy<2'`; `conda install "numpy<2"` for a conda
    numpy), or upgrade the framework to a release built for numpy 2 (torch 2.3+,
    TensorFlow 2.18+).

    ## Example
    `numpy 2.0.2 beside torch 2.1.2, which was built for numpy 1.`

    ## References
    - https://numpy.org/devdocs/numpy_2_0_migration_guide.html
    - https://github.com/pytorch/pytorch/issues/107302
    """
    f, kb = ctx.facts, ctx.kb
    numpy = f.blas.numpy_version
    if not numpy or not numpy.split(".")[0].isdigit() or int(numpy.split(".")[0]) < 2:
        return
    for fw in f.frameworks:
        if fw.name == "torch" and fw.version:
            row = kb.torch_release(fw.version)
        elif fw.name == "tensorflow" and fw.version:
            row = kb.release("tensorflow", fw.version)
        else:
            continue
        if row is not None and row.get("numpy2") is False:
            yield Issue(f"numpy {numpy} is installed beside {fw.distribution} {fw.version}, "
                        "which was built for numpy 1.",
                        fix=[f'conda install{_conda_env(f)} "numpy<2"'] if _conda_numpy(f)
                        else ["pip install 'numpy<2'"],
                        evidence=[f"blas.numpy_version={numpy}",
                                  f"frameworks.{fw.name}={fw.version}"])


def _conda_env(f: Facts) -> str:
    """`` -n NAME`` for the examined conda environment (it may not be the active one)."""
    py = f.python
    return f" -n {py.environment_name}" if py.environment == "conda" and py.environment_name \
        else ""


def _conda_numpy(f: Facts) -> bool:
    """Whether the numpy in use was installed by conda."""
    dist = next((d for d in f.python.distributions if d.name == "numpy"), None)
    if dist is not None and dist.installer:
        return dist.installer == "conda"
    return any(p.name == "numpy" for p in f.python.conda_packages)


@rule(code="ED0108", name="no-gpu-on-this-machine",
      title="No GPU: what this machine can do, and where to get a GPU",
      severity=Severity.INFO, category=Category.NO_GPU)
def no_gpu_on_this_machine(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A live or recorded Linux machine with no NVIDIA or AMD GPU on its PCI bus (and no
    GPU passed through by WSL 2). It stays quiet where the GPU probes failed or did not
    run, and on macOS, whose GPU is Apple's.

    ## Why it matters
    Training large models needs a GPU, but much of inference and classical ML runs
    well on CPUs, especially with an optimised BLAS and oneDNN-enabled frameworks.

    ## How to fix
    For CPU work, make sure numpy uses OpenBLAS or MKL and use CPU builds of the
    frameworks (smaller downloads, no CUDA libraries). For GPU work, rent a GPU
    instance: `envdoctor cloud gpus` lists AWS and Azure ones with prices, and `envdoctor
    cloud plan` picks, checks and sets one up.

    ## Example
    `No NVIDIA or AMD GPU found on this machine. numpy uses scipy-openblas.`

    ## References
    - https://pytorch.org/get-started/locally/ (CPU builds)
    - `envdoctor cloud gpus`, `envdoctor cloud plan`
    """
    f = ctx.facts
    if f.origin.kind.value not in ("live", "recorded") or has_nvidia(f) or has_amd(f):
        return
    if f.nvidia.wsl_driver_dir or f.os.system == "Darwin":
        return
    # Only when both GPU probes looked: a failed or skipped one leaves the bus unknown.
    looked = {r.name for r in f.probes if r.name in ("nvidia", "rocm")
              and r.status not in (ProbeStatus.FAILED, ProbeStatus.SKIPPED)}
    if looked != {"nvidia", "rocm"}:
        return
    blas = f"numpy uses {f.blas.blas}." if f.blas.blas else ""
    yield Issue(f"No NVIDIA or AMD GPU found on this machine. {blas}".strip(),
                fix=["envdoctor cloud gpus"],
                fix_note="CPU inference: CPU wheels of torch (--index-url "
                         "https://download.pytorch.org/whl/cpu), ONNX Runtime, and an optimised "
                         "BLAS. GPU work: rent a GPU instance; 'envdoctor cloud plan aws --gpu "
                         "L4 -f torch' picks and checks one.",
                evidence=["nvidia.pci_gpus=[]", "rocm.pci_gpus=[]"])
