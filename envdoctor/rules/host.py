"""ED01xx: host, CPU, BLAS and Python."""

from __future__ import annotations

import math
from collections.abc import Iterator

from envdoctor._util import version_tuple
from envdoctor.report import Severity
from envdoctor.rules._helpers import framework, has_amd, has_nvidia, python_mm
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
    Install numpy from PyPI (its wheels bundle OpenBLAS), or point the system BLAS at
    an optimised one (Debian/Ubuntu: install `libopenblas0-pthread`, which takes over
    the `libblas.so.3` alternative; conda: `conda install "libblas=*=*openblas"`).

    ## Example
    `numpy 1.24.2 uses the reference BLAS (libblas.so.3 -> …/blas/libblas.so.3).`

    ## References
    - https://numpy.org/doc/stable/building/blas_lapack.html
    - https://wiki.debian.org/DebianScience/LinearAlgebraLibraries
    """
    b = ctx.facts.blas
    if b.numpy_version and b.blas == "reference":
        debian_alternative = ctx.facts.os.distro_id in ("debian", "ubuntu") and bool(
            b.source) and str(b.source).startswith("/etc/alternatives")
        fix = (["sudo apt-get install -y libopenblas0-pthread"] if debian_alternative
               else ["pip install --force-reinstall numpy"])
        yield Issue(f"numpy {b.numpy_version} uses the reference BLAS"
                    + (f" ({b.blas_detail})" if b.blas_detail else "") + ".", fix=fix,
                    evidence=["blas.blas=reference", f"blas.source={b.source}"])


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
    Switch numpy to OpenBLAS: a PyPI wheel (`pip install numpy`), or in conda
    `conda install "libblas=*=*openblas"`. Measure your own workload: newer MKL
    releases narrowed the gap for some operations.

    ## Example
    `numpy 1.20.3 uses MKL on an AMD EPYC 7451 24-Core Processor.`

    ## References
    - https://github.com/flame/blis (AMD's BLIS, the AOCL BLAS)
    - https://conda-forge.org/docs/maintainer/knowledge_base/#switching-blas-implementation
    """
    f = ctx.facts
    if f.blas.numpy_version and f.blas.blas == "mkl" and f.cpu.vendor == "amd":
        conda = f.python.environment == "conda"
        yield Issue(f"numpy {f.blas.numpy_version} uses MKL on an {f.cpu.model or 'AMD CPU'}.",
                    fix=['conda install "libblas=*=*openblas"'] if conda
                    else ["pip install --force-reinstall numpy"],
                    evidence=["blas.blas=mkl", f"cpu.vendor={f.cpu.vendor}"])


def _cpu_budget(ctx: Context) -> tuple[int | None, str]:
    r, c = ctx.facts.resources, ctx.facts.cpu
    if r.cpu_limit:
        return max(1, math.ceil(r.cpu_limit)), f"the cgroup CPU quota ({r.cpu_limit:g} CPUs)"
    if c.usable:
        return c.usable, f"the {c.usable} CPUs this process may use"
    return None, ""


@rule(code="ED0103", name="thread-settings-oversubscribe-cpus",
      title="Thread settings ask for more threads than CPUs are available",
      severity=Severity.WARNING, category=Category.THREADS)
def thread_settings_oversubscribe_cpus(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    `OMP_NUM_THREADS`, `MKL_NUM_THREADS`, `OPENBLAS_NUM_THREADS` and friends against the
    CPUs the process may actually use: the cgroup quota in a container, else its
    affinity.

    ## Why it matters
    More compute threads than CPUs makes BLAS and PyTorch's intra-op pool fight for
    cores: throughput drops, sometimes by several times, and a container with a quota
    gets throttled.

    ## How to fix
    Set the variables to the CPUs available (or unset them and let the libraries ask
    the cgroup, which recent OpenMP runtimes do).

    ## Example
    `OMP_NUM_THREADS=96, but the cgroup quota allows 2 CPUs.`

    ## References
    - https://pytorch.org/docs/stable/notes/cpu_threading_torchscript_inference.html
    """
    budget, what = _cpu_budget(ctx)
    if budget is None:
        return
    env = ctx.facts.env.variables
    for var in THREAD_VARS:
        value = env.get(var, "")
        if value.isdigit() and int(value) > budget:
            yield Issue(f"{var}={value}, but {what} allow {budget}.",
                        fix=[f"export {var}={budget}"],
                        evidence=[f"env.{var}={value}", "resources.cpu_limit"
                                  if ctx.facts.resources.cpu_limit else "cpu.usable"])


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
                evidence=[f"resources.cpu_limit={r.cpu_limit:g}", f"cpu.usable={visible}"])


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
    if f.cpu.vendor in ("intel", "amd", "hygon") and "avx" not in f.cpu.isa:
        yield Issue(f"tensorflow {tf.version} is installed on {f.cpu.model or 'a CPU'}, which "
                    "has no AVX: importing it will die with 'Illegal instruction'.",
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
    Install a release that supports this Python (the fix names one), or create an
    environment with a supported Python.

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
            newest = _release_for_python(kb, fw.name, py)
            yield Issue(f"{fw.distribution} {fw.version} supports Python "
                        f"{pythons[0]}–{pythons[-1]}; this environment runs {py}.",
                        fix=[f"pip install '{fw.distribution}=={newest}.*'"] if newest else [],
                        fix_note=None if newest else f"No {fw.name} release in the knowledge "
                        f"base supports Python {py}; use a supported Python.",
                        evidence=[f"python.version={f.python.version}",
                                  f"frameworks.{fw.name}={fw.version}"])


def _release_for_python(kb, name: str, py: str) -> str | None:  # noqa: ANN001
    key = "latest" if name == "torch" else name
    rows = sorted(kb.released(name), key=lambda r: version_tuple(r[key]), reverse=True)
    return next((str(r[key]) for r in rows if py in (r.get("python") or [])), None)


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
    Pin numpy below 2 (`pip install 'numpy<2'`), or upgrade the framework to a release
    built for numpy 2 (torch 2.3+, TensorFlow 2.18+).

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
                        "which was built for numpy 1.", fix=["pip install 'numpy<2'"],
                        evidence=[f"blas.numpy_version={numpy}",
                                  f"frameworks.{fw.name}={fw.version}"])


@rule(code="ED0108", name="no-gpu-on-this-machine",
      title="No GPU: what this machine can do, and where to get a GPU",
      severity=Severity.INFO, category=Category.NO_GPU)
def no_gpu_on_this_machine(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A live or recorded machine with no NVIDIA or AMD GPU on its PCI bus.

    ## Why it matters
    Training large models needs a GPU, but much of inference and classical ML runs
    well on CPUs, especially with an optimised BLAS and oneDNN-enabled frameworks.

    ## How to fix
    For CPU work, make sure numpy uses OpenBLAS or MKL and use CPU builds (smaller).
    For GPU work, `envdoctor cloud gpus` lists AWS and Azure GPU instances.

    ## Example
    `No GPU found. numpy uses scipy-openblas.`

    ## References
    - https://pytorch.org/get-started/locally/ (CPU builds)
    - `envdoctor cloud gpus`
    """
    f = ctx.facts
    if f.origin.kind.value not in ("live", "recorded") or has_nvidia(f) or has_amd(f):
        return
    if f.nvidia.wsl_driver_dir:
        return
    blas = f"numpy uses {f.blas.blas}." if f.blas.blas else ""
    yield Issue(f"No GPU found on this machine. {blas}".strip(),
                fix=["envdoctor cloud gpus"],
                fix_note="CPU inference: CPU wheels of torch (--index-url "
                         "https://download.pytorch.org/whl/cpu), ONNX Runtime, and an optimised "
                         "BLAS. GPU work: rent a GPU instance.",
                evidence=["nvidia.pci_gpus=[]", "rocm.pci_gpus=[]"])
