"""CUDA probe: every toolkit and which one is default / on PATH, and CUDA library copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.facts import CondaPackage, Distribution
from envdoctor.probes import cuda
from tests.probes.helpers import RECORDINGS, context, make_host, recording


def probe(host, dists=(), conda=(), prefix=None):
    return cuda.probe(context(host), list(dists), list(conda), prefix)


def test_two_toolkits_with_path_and_default_disagreeing(tmp_path: Path) -> None:
    host = make_host(tmp_path, {
        "/usr/local/cuda-13.3/version.json": recording(
            "cuda-version-json/cuda-13.3.1_b300_version.json"),
        "/usr/local/cuda-13.3/bin/nvcc": "",
        "/usr/local/cuda-11.0/version.txt": recording(
            "cuda-version-json/cuda-11.0.207_version.txt"),
        "/usr/local/cuda-11.0/bin/nvcc": "",
    }, host={"env": {"PATH": "/usr/local/cuda-11.0/bin:/usr/bin"}})
    (tmp_path / "root/usr/local/cuda").symlink_to("cuda-13.3")
    for nvcc in tmp_path.glob("root/usr/local/cuda-*/bin/nvcc"):
        nvcc.chmod(0o755)
    facts = probe(host)
    kits = {k.path: k for k in facts.toolkits}
    assert kits["/usr/local/cuda-13.3"].version == "13.3.1"
    assert kits["/usr/local/cuda-13.3"].default and not kits["/usr/local/cuda-13.3"].on_path
    assert kits["/usr/local/cuda-11.0"].version.startswith("11.0")
    assert kits["/usr/local/cuda-11.0"].on_path and not kits["/usr/local/cuda-11.0"].default
    assert facts.nvcc_path == "/usr/local/cuda-11.0/bin/nvcc"


def test_version_from_the_runtime_header_and_wrapper_nvcc(tmp_path: Path) -> None:
    # The development machine's layout: no version.json, nvcc on PATH is a shell wrapper.
    host = make_host(tmp_path, {
        "/usr/local/cuda-13.0/include/cuda_runtime_api.h": "#define CUDART_VERSION  13000\n",
        "/usr/local/cuda-13.0/bin/nvcc": "",
        "/usr/local/bin/nvcc": "#!/bin/sh\nexec /usr/local/cuda-13.0/bin/nvcc \"$@\"\n",
    }, host={"env": {"PATH": "/usr/local/bin"}})
    (tmp_path / "root/usr/local/bin/nvcc").chmod(0o755)
    (kit,) = probe(host).toolkits
    assert (kit.path, kit.version, kit.version_source, kit.on_path) == (
        "/usr/local/cuda-13.0", "13.0", "cuda_runtime_api.h", True)


def test_cuda_home_pointing_at_a_third_toolkit(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"/opt/cuda-12.1/version.json":
                                '{"cuda": {"name": "CUDA SDK", "version": "12.1.1"}}'},
                     host={"env": {"CUDA_HOME": "/opt/cuda-12.1"}})
    (kit,) = probe(host).toolkits
    assert (kit.version, kit.cuda_home, kit.origin) == ("12.1.1", True, "CUDA_HOME")


def test_pip_and_conda_toolkits(tmp_path: Path) -> None:
    site = "/venv/lib/python3.11/site-packages"
    host = make_host(tmp_path, {f"{site}/nvidia/cuda_nvcc/bin/nvcc": "",
                                "/opt/conda/envs/x/bin/nvcc": ""})
    facts = probe(host, [Distribution("nvidia-cuda-nvcc-cu12", "12.4.131", "pip", site)],
                  [CondaPackage("cuda-nvcc", "12.1.105", "0")], "/opt/conda/envs/x")
    origins = {k.origin: k.version for k in facts.toolkits}
    assert origins == {"pip": "12.4.131", "conda": "12.1.105"}


@pytest.mark.parametrize(("rel", "version"), [
    ("cudnn_version.h/cudnn-8.2.1_excerpt.h", "8.2.1"),
    ("cudnn_version.h/cudnn-8.9.1_excerpt.h", "8.9.1"),
    ("cudnn_version.h/cudnn-9.6.0_excerpt.h", "9.6.0"),
])
def test_cudnn_version_from_real_headers(tmp_path: Path, rel: str, version: str) -> None:
    host = make_host(tmp_path, {"/usr/include/cudnn_version.h": recording(rel)})
    copies = [c for c in probe(host).libraries if c.library == "cudnn"]
    assert [(c.version, c.origin) for c in copies] == [(version, "system")]


def test_system_and_pip_cudnn_side_by_side(tmp_path: Path) -> None:
    site = "/venv/lib/python3.11/site-packages"
    record = (RECORDINGS / "wheel-files/nvidia-cudnn-cu12-9.1.0.70").rglob("RECORD")
    names = [line.split(",")[0].rsplit("/", 1)[-1] for line in next(record).read_text()
             .splitlines() if "/lib/libcudnn" in line]
    files = {f"{site}/nvidia/cudnn/lib/{n}": b"" for n in names}
    files["/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.7"] = b""
    files["/usr/lib/x86_64-linux-gnu/libcudnn.so.8"] = b""
    host = make_host(tmp_path, files)
    copies = {c.origin: c for c in probe(host, [Distribution(
        "nvidia-cudnn-cu12", "9.1.0.70", "pip", site)]).libraries if c.library == "cudnn"}
    assert copies["system"].version == "8.9.7"
    assert copies["system"].sonames == ["libcudnn.so.8"]
    assert copies["pip:nvidia-cudnn-cu12"].version == "9.1.0.70"
    assert "libcudnn.so.9" in copies["pip:nvidia-cudnn-cu12"].sonames


def test_nvcc_version_text() -> None:
    for path in sorted((RECORDINGS / "nvcc-version").glob("*.txt")):
        version = cuda.parse_nvcc_version(path.read_text())
        assert version is not None and path.name.startswith(f"cuda-{version}"), path.name
