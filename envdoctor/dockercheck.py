"""``envdoctor dockerfile --check FILE``: whether an existing Dockerfile works on the target.

The Dockerfile is read for what decides that: the final stage's base image (an
``nvidia/cuda`` tag names a CUDA release, and ``devel`` tags carry nvcc), the
``NVIDIA_REQUIRE_CUDA`` it sets, and the framework builds its ``pip install`` lines pin
(``torch==2.5.1 --index-url …/cu124``, ``tensorflow[and-cuda]==2.15.*``, ``jax[cuda12]``).
Those become the framework and toolkit facts of the target machine, and the same rules
as ``check`` say what would fail there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envdoctor.errors import UsageError
from envdoctor.facts import (
    CudaFacts,
    CudaToolkit,
    Facts,
    FrameworkFacts,
    Origin,
    OriginKind,
)

if TYPE_CHECKING:
    from envdoctor.knowledge import KnowledgeBase

MAX_BYTES = 1024 * 1024
_CUDA_TAG = re.compile(r"(?:^|/)cuda:(\d+\.\d+(?:\.\d+)?)-([a-z0-9-]+?)-(ubuntu[0-9.]+|ubi\d+|"
                       r"rockylinux\d+|oraclelinux\d+)$")
_TORCH_INDEX = re.compile(r"download\.pytorch\.org/whl/(?:nightly/)?(cu\d{3}|rocm[0-9.]+|cpu)")
_PIN = re.compile(r"""^['"]?([A-Za-z0-9_.-]+)(\[[^\]]*\])?(?:==|~=|>=)?([0-9][0-9.*]*)?""")


@dataclass(frozen=True)
class DockerfileReading:
    """What was read from the Dockerfile."""

    base: str | None
    cuda: str | None
    flavor: str | None
    require_cuda: str | None
    pins: dict[str, tuple[str | None, str | None, str]]
    """distribution → (version, extras, torch index variant or "")."""


def read_dockerfile(path: Path) -> DockerfileReading:
    """Parse the parts of a Dockerfile that decide whether it runs on a GPU machine."""
    try:
        raw = path.read_bytes()[:MAX_BYTES + 1]
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}",
                         hint="give the path of a Dockerfile") from None
    if len(raw) > MAX_BYTES or b"\0" in raw:
        raise UsageError(f"{path} is not a Dockerfile", hint="give the path of a Dockerfile")
    text = raw.decode("utf-8", errors="replace")
    lines = _logical_lines(text)
    froms = [ln for ln in lines if ln.upper().startswith("FROM ")]
    if not froms:
        raise UsageError(f"{path} has no FROM line: not a Dockerfile",
                         hint="give the path of a Dockerfile")
    args = {m.group(1): m.group(2) for ln in lines
            if (m := re.match(r"^ARG\s+(\w+)=(\S+)", ln, re.IGNORECASE))}
    base = _expand(froms[-1].split()[1], args)
    m = _CUDA_TAG.search(base)
    cuda, flavor = (m.group(1), m.group(2)) if m else (None, None)
    require = None
    pins: dict[str, tuple[str | None, str | None, str]] = {}
    for ln in lines:
        env = re.search(r"NVIDIA_REQUIRE_CUDA=['\"]?cuda>=(\d+\.\d+)", ln)
        if env:
            require = env.group(1)
        for command in re.split(r"&&|;", ln):
            words = command.split()
            if "pip" not in command or "install" not in words:
                continue
            index = _TORCH_INDEX.search(command)
            variant = index.group(1) if index else ""
            for word in words[words.index("install") + 1:]:
                if word.startswith("-") or "/" in word:
                    continue
                p = _PIN.match(word)
                if p:
                    pins[p.group(1).lower()] = (p.group(3), p.group(2), variant)
    return DockerfileReading(base, cuda, flavor, require, pins)


def _logical_lines(text: str) -> list[str]:
    """Join continuation lines and drop comments."""
    out: list[str] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            out.append(current.strip())
        current = ""
    if current.strip():
        out.append(current.strip())
    return out


def _expand(word: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), word)


def facts_for_dockerfile(kb: KnowledgeBase, host: Facts, reading: DockerfileReading,
                         path: str) -> Facts:
    """The target's facts as they would be inside a container of this image."""
    frameworks = []
    for name, (version, extras, variant) in reading.pins.items():
        fw = _framework(kb, name, version, extras=extras or "", variant=variant,
                        image_cuda=reading.cuda)
        if fw is not None:
            frameworks.append(fw)
    toolkits = []
    if reading.cuda:
        toolkits.append(CudaToolkit(path=f"image {reading.base}", version=reading.cuda,
                                    version_source="image tag", origin="image",
                                    has_nvcc="devel" in (reading.flavor or ""), default=True))
    note = (f"Dockerfile {path}: base {reading.base}"
            + (f", CUDA {reading.cuda}" if reading.cuda else "")
            + (f", NVIDIA_REQUIRE_CUDA cuda>={reading.require_cuda}"
               if reading.require_cuda else "")
            + "; the GPUs and driver are the target's, passed in as by 'docker run --gpus "
              "all'")
    # The container as the run line starts it: every GPU's device node and the driver's
    # libraries mounted by the NVIDIA Container Toolkit (or /dev/kfd for ROCm).
    nodes = [f"/dev/nvidia{i}" for i in range(len(host.nvidia.gpus or host.nvidia.pci_gpus))]
    if host.rocm.gpus or host.rocm.pci_gpus:
        nodes.append("/dev/kfd")
    libs = ["/usr/lib/x86_64-linux-gnu/libcuda.so.1"] if nodes and nodes[0] != "/dev/kfd" \
        else []
    return replace(
        host,
        origin=Origin(kind=OriginKind.REPORT, path=path, note=note),
        frameworks=frameworks,
        cuda=CudaFacts(toolkits=toolkits),
        platform=replace(host.platform, in_container=True, container_runtime="docker"),
        containers=replace(host.containers, gpu_devices_in_container=nodes,
                           driver_libraries_in_container=libs),
    )


def _framework(kb: KnowledgeBase, name: str, version: str | None, *, extras: str,
               variant: str, image_cuda: str | None) -> FrameworkFacts | None:
    version = (version or "").rstrip(".*") or None
    if name == "torch":
        row = kb.torch_release(version or "") if version else None
        var = (row or {}).get("variants", {}).get(variant or (row or {}).get("pypi_default")
                                                  or "", {})
        build = "rocm" if variant.startswith("rocm") else "cpu" if variant == "cpu" else (
            "cuda" if var.get("cuda") or variant.startswith("cu") else None)
        return FrameworkFacts(name="torch", distribution="torch", version=version, build=build,
                              local_tag=variant or None, cuda_version=var.get("cuda"),
                              rocm_version=var.get("rocm"), arch_list=list(var.get("arch") or []),
                              sources=["Dockerfile"])
    if name in ("tensorflow", "tensorflow-cpu"):
        row = kb.release("tensorflow", version) if version else None
        gpu = name == "tensorflow" and ("and-cuda" in extras or image_cuda is not None)
        return FrameworkFacts(name="tensorflow", distribution=name, version=version,
                              build="cuda" if gpu else "cpu",
                              cuda_version=(row or {}).get("cuda") if gpu else None,
                              sources=["Dockerfile"])
    if name == "jax" and "cuda" in extras:
        major = re.search(r"cuda(\d+)", extras)
        return FrameworkFacts(name="jax", distribution="jax", version=version, build="cuda",
                              cuda_version=f"{major.group(1)}.0" if major else None,
                              sources=["Dockerfile"])
    if name.startswith("cupy-cuda"):
        digits = name.removeprefix("cupy-cuda").removesuffix("x")
        cuda = f"{digits[:2]}.x" if name.endswith("x") else f"{digits[:-1]}.{digits[-1]}"
        return FrameworkFacts(name="cupy", distribution=name, version=version, build="cuda",
                              cuda_version=cuda, sources=["Dockerfile"])
    return None
