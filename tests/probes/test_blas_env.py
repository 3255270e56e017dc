"""numpy's BLAS from its own files, the environment allowlist, and secret handling."""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.facts import CondaPackage, Distribution
from envdoctor.probes import blas, envvars
from envdoctor.redact import looks_secret, name_is_secret
from tests.probes.helpers import RECORDINGS, context, make_host


@pytest.mark.parametrize(("wheel", "family", "version"), [
    ("numpy-1.21.6", "openblas", None),
    ("numpy-1.24.4", "openblas", None),
    ("numpy-1.26.4", "openblas", "0.3.23.dev"),
    ("numpy-2.0.2", "scipy-openblas", "0.3.27"),
    ("numpy-2.2.6", "scipy-openblas", "0.3.29"),
    ("numpy-2.2.6-macosx-14-arm64", "accelerate", None),
    ("numpy-2.5.5", "scipy-openblas", "0.3.34.237.2"),
])
def test_numpy_config_of_real_wheels(wheel: str, family: str, version: str | None) -> None:
    text = (RECORDINGS / "wheel-files" / wheel / "numpy/__config__.py").read_text()
    found, _ = blas.parse_numpy_config(text)
    assert blas.classify(found["name"]) == family
    assert found.get("version") == version


def numpy_host(tmp_path: Path, config: str | None, extra: dict[str, str] | None = None) -> tuple:
    site = "/env/lib/python3.11/site-packages"
    files = {f"{site}/numpy-1.26.4.dist-info/METADATA": ""}
    if config is not None:
        files[f"{site}/numpy/__config__.py"] = config
    files |= extra or {}
    host = make_host(tmp_path, files)
    return host, [Distribution("numpy", "1.26.4", "pip", site)]


def test_generic_blas_is_resolved_through_conda(tmp_path: Path) -> None:
    config = '"Build Dependencies": {\n "blas": {\n "name": "blas",\n "version": "3.9.0"}}'
    host, dists = numpy_host(tmp_path, config)
    facts = blas.probe(context(host), dists, [CondaPackage("libblas", "3.9.0", "20_linux64_mkl")])
    assert (facts.blas, facts.source) == ("mkl", "conda-meta")


def test_generic_blas_is_resolved_through_debian_alternatives(tmp_path: Path) -> None:
    config = '"Build Dependencies": {\n "blas": {\n "name": "blas"}}'
    host, dists = numpy_host(tmp_path, config)
    link = tmp_path / "root/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    link.parent.mkdir(parents=True)
    link.symlink_to("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3")
    facts = blas.probe(context(host), dists, [])
    assert facts.blas == "reference"
    link.unlink()
    link.symlink_to("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3")
    assert blas.probe(context(host), dists, []).blas == "openblas"


def test_missing_config_falls_back_to_bundled_libraries(tmp_path: Path) -> None:
    host, dists = numpy_host(tmp_path, None, {
        "/env/lib/python3.11/site-packages/numpy.libs/libscipy_openblas64_-ff651d7f.so": ""})
    facts = blas.probe(context(host), dists, [])
    assert (facts.blas, facts.bundled) == ("scipy-openblas",
                                           ["libscipy_openblas64_-ff651d7f.so"])


def test_nothing_tells_the_blas(tmp_path: Path) -> None:
    host, dists = numpy_host(tmp_path, None)
    facts = blas.probe(context(host), dists, [])
    assert facts.blas is None
    assert "missing" in facts.unknown["blas"]


def test_thread_settings_come_from_the_environment(tmp_path: Path) -> None:
    host = make_host(tmp_path, {}, host={"env": {"OMP_NUM_THREADS": "8", "HOME": "/h"}})
    assert blas.probe(context(host), [], []).thread_settings == {"OMP_NUM_THREADS": "8"}


def test_env_allowlist_and_withheld_secrets(tmp_path: Path) -> None:
    env = {"CUDA_VISIBLE_DEVICES": "0,1", "NCCL_DEBUG": "INFO", "HOME": "/home/u",
           "HF_TOKEN": "hf_abcdefghijklmnopqrstuvwxyz1234", "AWS_SECRET_ACCESS_KEY": "x" * 40,
           "TF_CLI_CONFIG_FILE": "/root/.terraformrc",
           "PIP_INDEX_URL": "https://user:pa55word@pypi.example/simple",
           "NCCL_IB_AUTH_TOKEN": "abc"}
    facts = envvars.probe(context(make_host(tmp_path, {}, host={"env": env})))
    assert facts.variables == {"CUDA_VISIBLE_DEVICES": "0,1", "NCCL_DEBUG": "INFO"}
    assert facts.withheld == ["PIP_INDEX_URL"]


@pytest.mark.parametrize(("value", "secret"), [
    ("hf_abcdefghijklmnopqrstuvwxyz1234", True),
    ("AKIAIOSFODNN7EXAMPLE", True),
    ("ghp_0123456789abcdefghijklmnopqrstuvwxyz", True),
    ("https://user:pw@example.com/simple", True),
    ("sk-proj-abcdefghijklmnopqrstuvwx", True),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", True),
    ("Zm9vYmFyMTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u", True),
    ("/usr/local/cuda-12.4/bin:/usr/bin", False),
    ("0,1,2,3", False),
    ("GPU-5a1b2c3d-1234-5678-9abc-def012345678", False),
    ("expandable_segments:True", False),
    ("8.0;8.6;9.0+PTX", False),
])
def test_secret_values(value: str, secret: bool) -> None:
    assert looks_secret(value) is secret


def test_secret_names() -> None:
    assert name_is_secret("HF_TOKEN")
    assert name_is_secret("WANDB_API_KEY")
    assert not name_is_secret("CUDA_HOME")
