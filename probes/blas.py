"""numpy and the BLAS/LAPACK behind it, found without importing numpy.

numpy records its build in ``numpy/__config__.py``: a ``CONFIG`` dict written by Meson
(numpy ≥ 1.26) or ``*_info`` dicts written by numpy.distutils (older releases). Wheels
bundle their OpenBLAS in ``numpy.libs/``. A generic ``blas`` in the build config means
"whatever libblas.so the system provides": conda's ``libblas`` build string or Debian's
alternatives link then tells which one it is.
"""

from __future__ import annotations

import re

from envdoctor._util import lazy_re
from envdoctor.facts import BlasFacts, CondaPackage, Distribution
from envdoctor.probes.base import ProbeContext

THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "MKL_THREADING_LAYER",
    "MKL_DEBUG_CPU_TYPE", "MKL_ENABLE_INSTRUCTIONS",
)
_MESON_BLOCK = lazy_re(r'"(blas|lapack)":\s*\{([^{}]*)\}', re.DOTALL)
# Values are plain or raw strings: "version": "0.3.27", "lib directory": r"/usr/local/lib".
_MESON_PAIR = lazy_re(r'"([^"]+)":\s*r?"((?:[^"\\]|\\.)*)"')
_GENERIC = ("blas", "cblas", "lapack")
_DISTUTILS_INFO = lazy_re(r"^(\w+_info)\s*=\s*(\{.*\})\s*$", re.MULTILINE)
# Debian's update-alternatives link for the system libblas (multiarch names vary).
_ALTERNATIVES = (
    "/etc/alternatives/libblas.so.3-x86_64-linux-gnu",
    "/etc/alternatives/libblas.so.3-aarch64-linux-gnu",
    "/etc/alternatives/libblas.so.3",
)


def classify(name: str) -> str | None:
    """Map a BLAS library or package name to our vocabulary (``None`` when generic)."""
    lower = name.lower()
    if "scipy-openblas" in lower or "scipy_openblas" in lower:
        return "scipy-openblas"
    for marker, family in (("mkl", "mkl"), ("openblas", "openblas"), ("accelerate", "accelerate"),
                           ("veclib", "accelerate"), ("blis", "blis"), ("atlas", "atlas"),
                           ("flexiblas", "flexiblas"), ("armpl", "armpl"), ("nvpl", "nvpl"),
                           ("netlib", "reference"), ("refblas", "reference")):
        if marker in lower:
            return family
    return None


def probe(
    ctx: ProbeContext,
    distributions: list[Distribution],
    conda_packages: list[CondaPackage],
) -> BlasFacts:
    """Describe numpy's BLAS and LAPACK and the thread settings in effect."""
    threads = {k: ctx.host.env[k] for k in THREAD_VARIABLES if k in ctx.host.env}
    numpy = next((d for d in distributions if d.name == "numpy"), None)
    if numpy is None or numpy.location is None:
        ctx.detail = "numpy is not installed in the examined environment"
        return BlasFacts(thread_settings=threads)
    pkg_dir = f"{numpy.location}/numpy"
    bundled = sorted(
        name for libs in (f"{numpy.location}/numpy.libs", f"{pkg_dir}/.dylibs")
        for name in ctx.host.listdir(libs)
    )
    config = ctx.read(f"{pkg_dir}/__config__.py")
    blas, lapack = parse_numpy_config(config) if config else ({}, {})
    name = blas.get("name", "")
    family = classify(name)
    source = f"{pkg_dir}/__config__.py" if family else None
    detail = blas.get("openblas configuration") or blas.get("openblas config") or None
    if detail == "unknown":
        detail = None
    if family is None:
        # Built against a generic libblas (conda, Debian): ask which one the system provides.
        family, source, detail = _system_blas(ctx, conda_packages)
    if family is None:
        family = next((classify(n) for n in bundled if classify(n)), None)
        source = f"{numpy.location}/numpy.libs" if family else None
    if family is None and name.lower() in _GENERIC:
        family, source = "reference", f"{pkg_dir}/__config__.py"
    unknown: dict[str, str] = {}
    if family is None:
        unknown["blas"] = ("numpy/__config__.py is missing and nothing else names the BLAS"
                           if config is None else "numpy's build configuration names no BLAS")
    lapack_family = classify(lapack.get("name", "")) or family
    return BlasFacts(
        numpy_version=numpy.version,
        numpy_location=pkg_dir,
        blas=family,
        blas_version=(blas.get("version") or None) if classify(name) else None,
        blas_detail=detail,
        lapack=lapack_family or family,
        bundled=bundled,
        source=source,
        thread_settings=threads,
        unknown=unknown,
    )


def parse_numpy_config(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Return the BLAS and LAPACK entries of numpy's ``__config__.py`` (Meson or distutils).

    The result maps keys such as ``name``, ``version`` and ``openblas configuration`` to
    strings; for distutils builds ``name`` is the first library numpy was linked against.
    """
    blocks = {}
    build_deps = text.find('"Build Dependencies"')
    if build_deps != -1:
        for m in _MESON_BLOCK.finditer(text, build_deps):
            if m.group(1) not in blocks:
                # Meson writes "unknown" for what it could not tell: same as absent.
                blocks[m.group(1)] = {k: v for k, v in _MESON_PAIR.findall(m.group(2))
                                      if v != "unknown"}
        return blocks.get("blas", {}), blocks.get("lapack", {})
    infos = {name: body for name, body in _DISTUTILS_INFO.findall(text) if body != "{}"}
    return _distutils_pick(infos, "blas"), _distutils_pick(infos, "lapack")


def _distutils_pick(infos: dict[str, str], kind: str) -> dict[str, str]:
    """Choose what numpy.distutils linked: MKL, BLIS, OpenBLAS, Accelerate, ATLAS, reference."""
    order = (
        ("mkl", "mkl"), ("blis", "blis"), ("openblas", "openblas"), ("accelerate", "accelerate"),
        ("atlas", "atlas"),
    )
    for marker, family in order:
        for name in infos:
            if marker in name and (kind in name or marker in ("openblas", "blis", "accelerate")):
                return {"name": family, "info": name}
    plain = infos.get(f"{kind}_info")
    if plain:
        libs = re.search(r"'libraries':\s*\[([^\]]*)\]", plain)
        lib = libs.group(1).split(",")[0].strip(" '\"") if libs else kind
        return {"name": lib, "info": f"{kind}_info"}
    return {}


def _system_blas(
    ctx: ProbeContext, conda_packages: list[CondaPackage],
) -> tuple[str | None, str | None, str | None]:
    """The BLAS behind a generic ``libblas``: conda's variant, or Debian's alternatives link."""
    for pkg in conda_packages:
        if pkg.name in ("libblas", "blas"):
            family = classify(pkg.build.rsplit("_", 1)[-1]) or classify(pkg.build)
            if family:
                return family, "conda-meta", f"conda {pkg.name} {pkg.version} build {pkg.build}"
    if any(p.name == "mkl" for p in conda_packages):
        return "mkl", "conda-meta", "conda mkl package"
    for link in _ALTERNATIVES:
        target = ctx.host.readlink(link)
        if target:
            ctx.sources.append(link)
            # Debian's netlib libblas lives in .../blas/libblas.so.3; OpenBLAS, BLIS and
            # ATLAS in directories named after themselves.
            family = classify(target) or ("reference" if "/blas/" in target else None)
            return family, link, f"libblas.so.3 -> {target}"
    return None, None, None
