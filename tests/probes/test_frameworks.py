"""Frameworks probe: build facts from the files of real wheels, laid out as pip installs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from envdoctor.facts import FrameworkFacts
from envdoctor.probes import frameworks, python_env
from tests.probes.helpers import RECORDINGS, context, make_host

SITE = "/venv/lib/python3.11/site-packages"


def install(tmp_path: Path, *wheels: str, extra: dict[str, str] | None = None) -> list[
        FrameworkFacts]:
    """Lay the recorded wheel files out in a site-packages, then run both probes."""
    site = tmp_path / "root" / SITE.lstrip("/")
    site.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        for item in (RECORDINGS / "wheel-files" / wheel).iterdir():
            if item.is_dir():
                shutil.copytree(item, site / item.name, dirs_exist_ok=True)
    for path, text in (extra or {}).items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text)
    host = make_host(tmp_path, {}, host={"interpreter": {
        "executable": "/venv/bin/python", "prefix": "/venv", "version": "3.11.7",
        "sys_path": [SITE]}})
    ctx = context(host)
    dists, _ = python_env.scan_distributions(ctx, [SITE])
    return frameworks.probe(ctx, dists, [SITE])


def one(found: list[FrameworkFacts], distribution: str) -> FrameworkFacts:
    (fw,) = [f for f in found if f.distribution == distribution]
    return fw


@pytest.mark.parametrize(("wheel", "cuda", "cudnn", "first_arch", "last_arch"), [
    ("torch-2.5.1", "12.4", "9.1.0.70", "sm_50", "sm_90"),
    ("torch-2.1.2", "12.1", "8.9.2.26", "sm_50", "sm_90"),
    ("torch-1.13.1", "11.7", "8.5.0.96", "sm_37", "sm_86"),
    ("torch-2.8.0", "12.8", "9.10.2.21", "sm_70", "sm_120"),
])
def test_torch_cuda_wheels(tmp_path: Path, wheel: str, cuda: str, cudnn: str,
                           first_arch: str, last_arch: str) -> None:
    fw = one(install(tmp_path, wheel), "torch")
    assert (fw.build, fw.cuda_version, fw.cudnn_version) == ("cuda", cuda, cudnn)
    assert (fw.arch_list[0], fw.arch_list[-1]) == (first_arch, last_arch)
    assert fw.version == wheel.split("-")[1]
    assert "nvidia-cudnn-cu11" in fw.requires or "nvidia-cudnn-cu12" in fw.requires


def test_torch_cpu_wheel_from_this_machine(tmp_path: Path) -> None:
    fw = one(install(tmp_path, "torch-2.13.0+cpu"), "torch")
    assert (fw.version, fw.local_tag, fw.build, fw.cuda_version, fw.arch_list) == (
        "2.13.0", "cpu", "cpu", None, [])


def test_torch_and_its_companions(tmp_path: Path) -> None:
    found = install(tmp_path, "torch-2.5.1", "torchvision-0.20.1", "torchaudio-2.5.1")
    vision = one(found, "torchvision")
    assert vision.details.get("requires_torch") == "==2.5.1"
    assert vision.cuda_version == one(found, "torch").cuda_version
    # No local tag in the distribution's version, but version.py's __version__ has one.
    assert (vision.local_tag, vision.build) == (None, "cuda")


def test_tensorflow_build_info(tmp_path: Path) -> None:
    fw = one(install(tmp_path, "tensorflow-2.15.1"), "tensorflow")
    assert (fw.build, fw.cuda_version, fw.cudnn_version) == ("cuda", "12.2", "8")
    assert "compute_80" in fw.arch_list
    assert fw.details["and_cuda"] == "not installed"  # the nvidia-* extras are absent


def test_cupy_and_onnxruntime_gpu(tmp_path: Path) -> None:
    found = install(tmp_path, "cupy-cuda12x-14.2.0", "onnxruntime-gpu-1.31.1")
    cupy = one(found, "cupy-cuda12x")
    assert (cupy.build, cupy.cuda_version) == ("cuda", "12.x")
    ort = one(found, "onnxruntime-gpu")
    assert (ort.build, ort.cuda_version) == ("cuda", "13.0")


def test_two_onnxruntime_builds_share_one_directory(tmp_path: Path) -> None:
    found = install(tmp_path, "onnxruntime-gpu-1.31.1", "onnxruntime-1.32.0")
    cpu = one(found, "onnxruntime")
    # onnxruntime was installed last here: its files own the shared package directory.
    assert cpu.details["shares_package_dir"] == "onnxruntime"
    assert len([f for f in found if f.name == "onnxruntime"]) == 2


def test_jax_with_its_cuda_plugin(tmp_path: Path) -> None:
    found = install(tmp_path, "jax-0.12.0.1", "jaxlib-0.12.0.1", "jax-cuda12-plugin-0.12.0.1",
                    "jax-cuda12-pjrt-0.12.0.1")
    jax = one(found, "jax")
    assert (jax.build, jax.cuda_version, jax.details["jaxlib"]) == ("cuda", "12", "0.12.0.1")


def test_keras_major(tmp_path: Path) -> None:
    found = install(tmp_path, "keras-3.15.1", "tf-keras-2.21.0")
    assert one(found, "keras").details["keras_major"] == "3"
    assert one(found, "tf-keras").details["keras_major"] == "2"


def test_paddle_gpu(tmp_path: Path) -> None:
    fw = one(install(tmp_path, "paddlepaddle-gpu-2.6.2"), "paddlepaddle-gpu")
    assert (fw.build, fw.cuda_version, fw.cudnn_version) == ("cuda", "11.8", "8.6.0")


def test_pycaffe_without_dist_info(tmp_path: Path) -> None:
    found = install(tmp_path, extra={"caffe/pycaffe.py": "# pycaffe\n"})
    (caffe,) = found
    assert (caffe.name, caffe.distribution) == ("caffe", "(no dist-info)")
    assert "PyTorch" in caffe.details["successor"]
