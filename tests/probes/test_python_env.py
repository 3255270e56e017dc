"""Choosing the Python environment and scanning its distributions."""

from __future__ import annotations

import time
from pathlib import Path

from envdoctor.host import Host
from envdoctor.probes import python_env
from tests.probes.helpers import context, make_host, recording

INTERP = {"executable": "/usr/bin/python3", "prefix": "/usr", "version": "3.11.2",
          "sys_path": ["/usr/lib/python3.11", "/usr/lib/python3/dist-packages"]}


def dist(site: str, name: str, installer: str | None = "pip") -> dict[str, str]:
    files = {f"{site}/{name}.dist-info/METADATA": "Metadata-Version: 2.1\n"}
    if installer:
        files[f"{site}/{name}.dist-info/INSTALLER"] = f"{installer}\n"
    return files


def test_canonical_names() -> None:
    assert python_env.canonical_name("Foo_Bar.baz") == "foo-bar-baz"
    assert python_env.canonical_name("nvidia_cudnn_cu12") == "nvidia-cudnn-cu12"


def test_running_interpreter_is_examined_by_default(tmp_path: Path) -> None:
    host = make_host(tmp_path, dist("/usr/lib/python3/dist-packages", "numpy-1.24.2", "debian"),
                     host={"interpreter": INTERP})
    facts = python_env.probe(context(host))
    assert facts.selected_by == "running interpreter"
    assert [(d.name, d.version, d.installer) for d in facts.distributions] == [
        ("numpy", "1.24.2", "debian")]


def test_active_venv_wins_over_the_running_interpreter(tmp_path: Path) -> None:
    venv = "/home/u/.venv"
    files = {f"{venv}/pyvenv.cfg": recording("this-machine/venv_pyvenv.cfg")}
    files |= dist(f"{venv}/lib/python3.11/site-packages", "torch-2.5.1+cu124")
    host = make_host(tmp_path, files, host={"interpreter": INTERP, "env": {"VIRTUAL_ENV": venv}})
    facts = python_env.probe(context(host))
    assert (facts.selected_by, facts.environment, facts.version) == ("VIRTUAL_ENV", "venv",
                                                                      "3.11.7")
    assert facts.distributions[0].version == "2.5.1+cu124"


def test_tool_environment_defers_to_python_on_path(tmp_path: Path) -> None:
    pipx = dict(INTERP, prefix="/home/u/.local/pipx/venvs/envdoctor", base_prefix="/usr")
    files = {"/usr/bin/python3": "", "/usr/lib/python3.11/os.py": ""}
    files |= dist("/usr/lib/python3/dist-packages", "numpy-1.24.2")
    host = make_host(tmp_path, files, host={"interpreter": pipx, "env": {"PATH": "/usr/bin"}})
    facts = python_env.probe(context(host))
    assert facts.selected_by == "python3 on PATH"
    assert facts.prefix == "/usr"
    assert facts.distributions[0].name == "numpy"


def test_conda_environment_names_and_packages(tmp_path: Path) -> None:
    env = "/opt/conda/envs/train"
    files = {f"{env}/conda-meta/libblas-3.9.0-20_linux64_mkl.json": "{}",
             f"{env}/conda-meta/python-3.10.14-hd12c33a_0_cpython.json": "{}",
             f"{env}/lib/python3.10/site-packages/.keep": ""}
    host = make_host(tmp_path, files, host={"interpreter": INTERP, "env": {"CONDA_PREFIX": env}})
    facts = python_env.probe(context(host))
    assert (facts.environment, facts.environment_name, facts.version) == ("conda", "train",
                                                                          "3.10")
    assert [(p.name, p.build) for p in facts.conda_packages] == [
        ("libblas", "20_linux64_mkl"), ("python", "hd12c33a_0_cpython")]


def test_first_copy_on_the_path_wins_and_later_ones_are_shadowed(tmp_path: Path) -> None:
    interp = dict(INTERP, sys_path=["/usr/local/lib/python3.11/dist-packages",
                                    "/usr/lib/python3/dist-packages"])
    files = dist("/usr/local/lib/python3.11/dist-packages", "numpy-2.1.0")
    files |= dist("/usr/lib/python3/dist-packages", "numpy-1.24.2", "debian")
    facts = python_env.probe(context(make_host(tmp_path, files, host={"interpreter": interp})))
    assert [d.version for d in facts.distributions] == ["2.1.0"]
    assert [d.version for d in facts.shadowed] == ["1.24.2"]


def test_egg_info_without_version_reads_pkg_info(tmp_path: Path) -> None:
    site = "/usr/lib/python3/dist-packages"
    files = {f"{site}/mypkg.egg-info/PKG-INFO": "Metadata-Version: 1.0\nName: My_Pkg\n"
             "Version: 0.3\n\nbody"}
    facts = python_env.probe(context(make_host(tmp_path, files, host={"interpreter": INTERP})))
    assert [(d.name, d.version) for d in facts.distributions] == [("my-pkg", "0.3")]


def test_root_prefers_a_venv_then_conda_then_system(tmp_path: Path) -> None:
    files = {"/opt/venv/pyvenv.cfg": "version = 3.12.3\n",
             "/opt/venv/lib/python3.12/site-packages/.keep": "",
             "/opt/conda/conda-meta/python-3.11.0-h_0.json": "{}",
             "/usr/lib/python3.10/os.py": ""}
    for path, content in files.items():
        dest = tmp_path / path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(content)
    facts = python_env.probe(context(Host.from_root(tmp_path)))
    assert (facts.prefix, facts.version) == ("/opt/venv", "3.12.3")
    assert facts.other_environments == ["/opt/conda", "/usr"]


def test_scanning_2000_distributions_stays_cheap(tmp_path: Path) -> None:
    # A behavioural guard, not a benchmark: 2 000 dist-info directories must be scanned
    # with one small read each (a scan that opened METADATA would be ~10x slower).
    site = "/venv/lib/python3.11/site-packages"
    root = tmp_path / "root" / site.lstrip("/")
    for i in range(2000):
        d = root / f"pkg_{i}-1.0.{i}.dist-info"
        d.mkdir(parents=True)
        (d / "INSTALLER").write_text("uv\n")
        (d / "METADATA").write_bytes(b"x" * 4096)
    host = make_host(tmp_path, {}, host={"interpreter": dict(INTERP, sys_path=[site])})
    ctx = context(host)
    start = time.perf_counter()
    dists, _ = python_env.scan_distributions(ctx, [site])
    elapsed = time.perf_counter() - start
    assert len(dists) == 2000
    assert dists[0].installer == "uv"
    assert elapsed < 2.0  # generous: the point is the order of magnitude on a slow CI box
