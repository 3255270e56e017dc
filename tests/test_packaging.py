"""Packaging: a wheel and an editable install both give an `envdoctor` that works, and
nothing but the `envdoctor` package lands in site-packages."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def _venv(path: Path) -> Path:
    # A fresh environment, as a user's: dependencies come from the index (pip's cache).
    venv.EnvBuilder(with_pip=True).create(path)
    python = path / "bin" / "python"
    # ensurepip's setuptools predates PEP 639 license strings.
    _run(str(python), "-m", "pip", "install", "-q", "setuptools>=77")
    return python


def _run(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(args, capture_output=True, text=True, cwd=cwd, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         str(REPO), "-w", str(out))
    (whl,) = out.glob("envdoctor-*.whl")
    return whl


def test_wheel_holds_only_the_envdoctor_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"envdoctor", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    for needed in ("envdoctor/probes/cpu.py", "envdoctor/cloud/__init__.py",
                   "envdoctor/templates/__init__.py", "envdoctor/schema/facts.schema.json",
                   "envdoctor/py.typed"):
        assert needed in names, needed


ROOMS = {"envdoctor": "envdoctor", "probes": "envdoctor/probes", "cloud": "envdoctor/cloud",
         "templates": "envdoctor/templates"}


def test_wheel_has_every_module_and_data_file(wheel: Path) -> None:
    # A subpackage or data folder missing from pyproject's lists is silently left out.
    names = set(zipfile.ZipFile(wheel).namelist())
    for room, installed in ROOMS.items():
        for path in (REPO / room).rglob("*"):
            if path.suffix in (".py", ".json", ".j2", ".typed") and "__pycache__" not in \
                    path.parts:
                wanted = f"{installed}/{path.relative_to(REPO / room).as_posix()}"
                assert wanted in names, f"{wanted} is not in the wheel"


def test_wheel_install_runs_check(wheel: Path, tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv")
    _run(str(python), "-m", "pip", "install", "-q", str(wheel))
    site = _run(str(python), "-c", "import envdoctor, sys; print(envdoctor.__file__)",
                cwd=tmp_path)
    assert str(tmp_path) in site
    _run(str(python), "-c", "import importlib.util as u, sys; "
         "sys.exit(any(u.find_spec(m) for m in ('probes', 'cloud', 'templates')))",
         cwd=tmp_path)
    out = _run(str(tmp_path / "venv/bin/envdoctor"), "check", "--json")
    assert '"report_schema_version": 1' in out
    # The rules and the knowledge base's data files came along.
    assert "ED0301" in _run(str(tmp_path / "venv/bin/envdoctor"), "rules")
    plan = _run(str(tmp_path / "venv/bin/envdoctor"), "plan", "torch==2.5", "--gpu", "A100",
                "--driver", "535.104.05")
    assert "download.pytorch.org/whl/cu121" in plan
    _run(str(python), "-m", "envdoctor", "--version", cwd=tmp_path)  # not the source tree


def test_editable_install_maps_the_top_level_rooms(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv")
    _run(str(python), "-m", "pip", "install", "-q", "--no-build-isolation", "-e", str(REPO))
    where = _run(str(python), "-c", "import envdoctor.probes.cpu as m, envdoctor.cloud as c; "
                 "print(m.__file__); print(c.__file__)", cwd=tmp_path).split()
    assert where == [str(REPO / "probes/cpu.py"), str(REPO / "cloud/__init__.py")]
    _run(str(tmp_path / "venv/bin/envdoctor"), "snapshot", "-o", str(tmp_path / "s.json"))
