"""The Python environment to examine, and every distribution installed in it.

Which environment? The one the user works in, which is not always the one envdoctor runs
in (``pipx install envdoctor`` runs it from an isolated venv). In order: ``--python``,
``VIRTUAL_ENV``, ``CONDA_PREFIX``, the running interpreter unless it is an isolated tool
environment, else ``python3`` on ``PATH``. Under ``--root`` the root's usual places are
searched. No interpreter is started: versions and packages come from directory names and
small files, which keeps scanning 2 000 distributions in the low milliseconds.
"""

from __future__ import annotations

import os

from envdoctor._util import lazy_re
from envdoctor.facts import CondaPackage, Distribution, PythonFacts
from envdoctor.probes.base import ProbeContext

_PY_DIR = lazy_re(r"^python(\d+)\.(\d+)t?$")
_NORMALISE = lazy_re(r"[-_.]+")
# Interpreters installed by tool managers run envdoctor, not the user's work.
_TOOL_ENV_MARKERS = ("/pipx/venvs/", "/uv/tools/", "/pipx/shared/")
# Where images put their Python, most specific first (used under --root).
_ROOT_VENVS = ("/opt/venv", "/venv", "/app/.venv", "/.venv", "/workspace/.venv", "/opt/app/.venv")
_ROOT_CONDAS = ("/opt/conda", "/opt/miniconda3", "/opt/miniforge3", "/root/miniconda3",
                "/usr/local/miniconda3")


def canonical_name(name: str) -> str:
    """PEP 503 normalised project name: ``Foo_Bar.baz`` → ``foo-bar-baz``."""
    return _NORMALISE.sub("-", name).lower()


class _Env:
    """The environment chosen for examination, while it is being worked out."""

    # A plain class: a dataclass costs about half a millisecond to create at import, and
    # `envdoctor check` pays every import on every run.
    __slots__ = ("executable", "implementation", "kind", "name", "others", "prefix",
                 "selected_by", "site_dirs", "version")

    def __init__(self, prefix: str | None, kind: str | None, selected_by: str,  # noqa: PLR0917
                 version: str | None = None, implementation: str | None = None,
                 executable: str | None = None, name: str | None = None,
                 site_dirs: list[str] | None = None) -> None:
        self.prefix = prefix
        self.kind = kind
        self.selected_by = selected_by
        self.version = version
        self.implementation = implementation
        self.executable = executable
        self.name = name
        self.site_dirs: list[str] = site_dirs if site_dirs is not None else []
        self.others: list[str] = []


def probe(ctx: ProbeContext) -> PythonFacts:
    """Choose the environment to examine and list what is installed in it."""
    env = _choose(ctx)
    unknown: dict[str, str] = {}
    if env.prefix is None:
        ctx.detail = "no Python environment found"
        return PythonFacts(selected_by=env.selected_by, other_environments=env.others,
                           unknown={"prefix": "no Python environment found"})
    dists, shadowed = scan_distributions(ctx, env.site_dirs)
    conda = scan_conda_meta(ctx, env.prefix)
    if env.version is None:
        python_pkg = next((p for p in conda if p.name == "python"), None)
        env.version = python_pkg.version if python_pkg else None
    if env.version is None:
        unknown["version"] = "no interpreter or lib/pythonX.Y directory tells the version"
    if not env.site_dirs:
        unknown["site_packages"] = f"no site-packages directory under {env.prefix}"
    return PythonFacts(
        version=env.version,
        implementation=env.implementation,
        executable=env.executable,
        prefix=env.prefix,
        environment=env.kind,
        environment_name=env.name,
        selected_by=env.selected_by,
        site_packages=env.site_dirs,
        distributions=dists,
        shadowed=shadowed,
        conda_packages=conda,
        other_environments=env.others,
        unknown=unknown,
    )


# --------------------------------------------------------------------------- choosing


def _choose(ctx: ProbeContext) -> _Env:
    host = ctx.host
    interp = host.interpreter
    if host.python_hint:
        env = _from_prefix(ctx, _prefix_of(ctx, host.python_hint), "--python")
        if env.prefix is None:
            env.selected_by = f"--python {host.python_hint} (not a Python environment)"
        return env
    interp_prefix = interp.prefix.rstrip("/") if interp else None
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = (host.env.get(var) or "").rstrip("/")
        if value and value != interp_prefix and host.is_dir(value):
            return _from_prefix(ctx, value, var)
    if interp is not None:
        isolated = any(m in interp.prefix + "/" for m in _TOOL_ENV_MARKERS)
        if not isolated:
            return _from_interpreter(ctx)
        exe = host.which("python3")
        if exe:
            env = _from_prefix(ctx, _prefix_of(ctx, exe), "python3 on PATH")
            env.executable = exe
            return env
        return _from_interpreter(ctx)
    return _from_root(ctx)


def _prefix_of(ctx: ProbeContext, path: str) -> str:
    """The environment prefix of an interpreter path (``/x/bin/python3`` → ``/x``) or a prefix."""
    if ctx.host.is_dir(path):
        return path.rstrip("/") or "/"
    real = ctx.host.realpath(path)
    bin_dir = real.rsplit("/", 1)[0]
    if bin_dir.endswith(("/bin", "/Scripts")):
        # A venv's bin/python links to the base interpreter: the venv is where the link is.
        link_dir = path.rsplit("/", 1)[0]
        if ctx.host.exists(link_dir.rsplit("/", 1)[0] + "/pyvenv.cfg"):
            return link_dir.rsplit("/", 1)[0]
        return bin_dir.rsplit("/", 1)[0] or "/"
    return bin_dir


def _from_interpreter(ctx: ProbeContext) -> _Env:
    interp = ctx.host.interpreter
    assert interp is not None  # noqa: S101 - guarded by the caller
    prefix = interp.prefix.rstrip("/") or "/"
    site_dirs = []
    extra = set(filter(None, ctx.host.env.get("PYTHONPATH", "").split(":")))
    for entry in interp.sys_path:
        if not entry or entry.endswith(".zip"):
            continue
        base = entry.rstrip("/").rsplit("/", 1)[-1]
        wanted = base in ("site-packages", "dist-packages") or entry in extra
        if wanted and ctx.host.is_dir(entry):
            site_dirs.append(entry)
    kind, name = _kind_of(ctx, prefix, venv=interp.prefix != interp.base_prefix)
    return _Env(prefix=prefix, kind=kind, name=name, selected_by="running interpreter",
                version=interp.version, implementation=interp.implementation,
                executable=interp.executable, site_dirs=site_dirs)


def _kind_of(ctx: ProbeContext, prefix: str, venv: bool | None = None) -> tuple[str, str | None]:
    if venv or ctx.host.exists(f"{prefix}/pyvenv.cfg"):
        return "venv", prefix.rsplit("/", 1)[-1]
    if ctx.host.is_dir(f"{prefix}/conda-meta"):
        parent = prefix.rsplit("/", 1)[0]
        name = prefix.rsplit("/", 1)[-1] if parent.endswith("/envs") else "base"
        return "conda", name
    return "system", None


def _from_prefix(ctx: ProbeContext, prefix: str, selected_by: str) -> _Env:
    """Describe an environment from its prefix alone, without running its interpreter."""
    prefix = prefix.rstrip("/") or "/"
    if not ctx.host.is_dir(prefix):
        return _Env(prefix=None, kind=None, selected_by=selected_by)
    kind, name = _kind_of(ctx, prefix)
    version = None
    implementation = None
    cfg = ctx.read(f"{prefix}/pyvenv.cfg") if kind == "venv" else None
    include_system = False
    base_home = None
    if cfg:
        for line in cfg.splitlines():
            key, _, value = line.partition("=")
            key, value = key.strip().lower(), value.strip()
            if key in ("version", "version_info") and value:
                version = version or value
            elif key == "include-system-site-packages":
                include_system = value.lower() == "true"
            elif key == "home":
                base_home = value
            elif key == "implementation":
                implementation = value
    lib_dirs = _lib_python_dirs(ctx, prefix)
    site_dirs: list[str] = []
    if prefix in ("/usr", "/usr/local"):
        site_dirs = _system_site_dirs(ctx, prefix, lib_dirs)
    else:
        for lib in lib_dirs:
            candidate = f"{prefix}/lib/{lib}/site-packages"
            if ctx.host.is_dir(candidate):
                site_dirs.append(candidate)
                break
    if lib_dirs and version is None:
        m = _PY_DIR.match(lib_dirs[0])
        version = f"{m.group(1)}.{m.group(2)}" if m else None
    if include_system and base_home:
        base_prefix = base_home.rstrip("/").rsplit("/", 1)[0] or "/"
        base_libs = _lib_python_dirs(ctx, base_prefix)
        if base_prefix in ("/usr", "/usr/local"):
            site_dirs += _system_site_dirs(ctx, base_prefix, base_libs)
        elif base_libs:
            candidate = f"{base_prefix}/lib/{base_libs[0]}/site-packages"
            if ctx.host.is_dir(candidate):
                site_dirs.append(candidate)
    executable = None
    for exe_name in ("python3", "python"):
        candidate = f"{prefix}/bin/{exe_name}"
        if ctx.host.exists(candidate):
            executable = candidate
            break
    return _Env(prefix=prefix, kind=kind, name=name, selected_by=selected_by, version=version,
                implementation=implementation or "CPython", executable=executable,
                site_dirs=list(dict.fromkeys(site_dirs)))


def _lib_python_dirs(ctx: ProbeContext, prefix: str) -> list[str]:
    """``pythonX.Y`` directories under ``prefix/lib``, newest first."""
    found = []
    for name in ctx.host.listdir(f"{prefix}/lib"):
        m = _PY_DIR.match(name)
        if m:
            found.append((int(m.group(1)), int(m.group(2)), name))
    return [name for *_, name in sorted(found, reverse=True)]


def _system_site_dirs(ctx: ProbeContext, prefix: str, lib_dirs: list[str]) -> list[str]:
    """The directories a system interpreter in ``prefix`` puts on ``sys.path``.

    ``/usr/local`` is a python.org build (Docker's ``python`` images): its own site-packages
    only. ``/usr`` is the distribution's Python: Debian adds ``dist-packages`` directories,
    Red Hat ``lib64`` ones.
    """
    if not lib_dirs:
        return []
    lib = lib_dirs[0]
    if prefix == "/usr/local":
        candidates: tuple[str, ...] = (f"/usr/local/lib/{lib}/site-packages",)
    else:
        candidates = (
            f"/usr/local/lib/{lib}/dist-packages",
            f"/usr/local/lib/{lib}/site-packages",
            f"/usr/local/lib64/{lib}/site-packages",
            "/usr/lib/python3/dist-packages",
            f"/usr/lib/{lib}/dist-packages",
            f"/usr/lib64/{lib}/site-packages",
            f"/usr/lib/{lib}/site-packages",
        )
    return [c for c in candidates if ctx.host.is_dir(c)]


def _from_root(ctx: ProbeContext) -> _Env:
    """Find the environment of an unbooted root: conda, then a venv, then the system Python."""
    candidates: list[tuple[str, str]] = []
    for conda in _ROOT_CONDAS:
        if ctx.host.is_dir(f"{conda}/conda-meta"):
            candidates.append((conda, f"root: {conda}"))
            candidates += [(f"{conda}/envs/{e}", f"root: {conda}/envs/{e}")
                           for e in ctx.host.listdir(f"{conda}/envs")]
    for venv in _ROOT_VENVS:
        if ctx.host.exists(f"{venv}/pyvenv.cfg"):
            candidates.append((venv, f"root: {venv}"))
    for system in ("/usr/local", "/usr"):
        if _lib_python_dirs(ctx, system):
            candidates.append((system, f"root: {system}/bin/python3"))
            break
    if not candidates:
        return _Env(prefix=None, kind=None, selected_by="root: no Python found")
    # A venv or conda env built for the work beats the system interpreter it sits on.
    venvs = [c for c in candidates if c[0] in _ROOT_VENVS]
    chosen = venvs[0] if venvs else candidates[0]
    env = _from_prefix(ctx, chosen[0], chosen[1])
    env.others = [c[0] for c in candidates if c is not chosen]
    return env


# --------------------------------------------------------------------------- scanning


def scan_distributions(
    ctx: ProbeContext, site_dirs: list[str],
) -> tuple[list[Distribution], list[Distribution]]:
    """List installed distributions; the first copy on the path wins, later ones are shadowed.

    Name and version come from the ``.dist-info`` directory name (``torch-2.5.1+cu124``),
    which pip, uv and conda all write normalised; only the small ``INSTALLER`` file is read.
    """
    found: dict[str, Distribution] = {}
    shadowed: list[Distribution] = []
    for site in site_dirs:
        ctx.sources.append(site)
        try:
            entries = os.scandir(ctx.host.path(site))
        except OSError as exc:
            ctx.problems.append(f"{site}: {exc.strerror or exc}")
            continue
        with entries:
            for entry in entries:
                dist = _distribution(ctx, site, entry.name)
                if dist is None:
                    continue
                if dist.name in found:
                    shadowed.append(dist)
                else:
                    found[dist.name] = dist
    return sorted(found.values(), key=lambda d: d.name), sorted(shadowed, key=lambda d: d.name)


def _distribution(ctx: ProbeContext, site: str, dirname: str) -> Distribution | None:
    if dirname.endswith(".dist-info"):
        stem = dirname[:-10]
        meta_name = "METADATA"
    elif dirname.endswith(".egg-info"):
        stem = dirname[:-9]
        meta_name = "PKG-INFO"
    else:
        return None
    name, sep, rest = stem.partition("-")
    version = rest.split("-", 1)[0] if sep else ""
    base = f"{site}/{dirname}"
    if not version or not name:
        # An egg-info without a version in its name (``setup.py develop``), or a
        # non-standard name: read the metadata headers instead.
        name, version = _read_name_version(ctx, f"{base}/{meta_name}", base)
        if not name:
            return None
    installer = None
    if meta_name == "METADATA":
        raw = _read_small(ctx.host.path(f"{base}/INSTALLER"))
        installer = raw.strip() or None if raw is not None else None
    return Distribution(name=canonical_name(name), version=version, installer=installer,
                        location=site)


def _read_small(path: object) -> str | None:
    # os.open/os.read instead of open(): this runs once per distribution (2 000 times).
    try:
        fd = os.open(path, os.O_RDONLY)  # type: ignore[arg-type]
    except OSError:
        return None
    try:
        return os.read(fd, 256).decode("utf-8", errors="replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def _read_name_version(ctx: ProbeContext, meta_path: str, base: str) -> tuple[str, str]:
    text = ctx.host.read_text_or_none(meta_path, limit=4096)
    if text is None and ctx.host.is_file(base):  # a bare PKG-INFO file named *.egg-info
        text = ctx.host.read_text_or_none(base, limit=4096)
    name = version = ""
    for line in (text or "").splitlines():
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
        elif not line.strip():
            break
    return name, version


def scan_conda_meta(ctx: ProbeContext, prefix: str) -> list[CondaPackage]:
    """Packages in ``prefix/conda-meta``; name, version and build come from the file names."""
    names = ctx.host.listdir(f"{prefix}/conda-meta")
    if not names:
        return []
    ctx.sources.append(f"{prefix}/conda-meta")
    packages = []
    for file_name in names:
        if not file_name.endswith(".json"):
            continue
        parts = file_name[:-5].rsplit("-", 2)
        if len(parts) == 3:
            packages.append(CondaPackage(name=parts[0], version=parts[1], build=parts[2]))
    return sorted(packages, key=lambda p: p.name)
