"""The knowledge base: versioned compatibility tables shipped as data files with sources.

Tables live in ``envdoctor/knowledge/data/*.json``; each carries ``as_of`` and its
``sources``, and every row its ``source`` and ``status`` (verified, knowledge or gap).
They are read lazily, once per process, so a check that needs no table pays nothing.
:class:`KnowledgeBase` answers the questions rules and the planner ask; it never guesses
beyond its data: a driver branch or CUDA release newer than the tables is reported as
unknown (``None``), and :meth:`KnowledgeBase.newer_than_known` says so.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from envdoctor._util import major_minor, version_tuple

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")  # noqa: PTH118, PTH120 - no pathlib on the hot path
TABLES = ("cuda_driver", "cuda_arch", "gpus", "torch", "tensorflow", "jax", "cupy",
          "onnxruntime", "paddle", "cudnn", "rocm", "retired", "images", "pci_ids", "cloud")
"""Every table the package ships."""


@cache
def table(name: str) -> dict[str, Any]:
    """Load ``data/<name>.json`` (cached for the life of the process)."""
    with open(os.path.join(DATA_DIR, f"{name}.json"), encoding="utf-8") as f:  # noqa: PTH118, PTH123
        data: dict[str, Any] = json.load(f)
    return data


def pci_device(vendor_id: str, device_id: str) -> dict[str, Any] | None:
    """The PCI id table's entry for a GPU (``"10de"``, ``"2684"``), or ``None``."""
    return table("pci_ids")["devices"].get(f"{vendor_id.lower()}:{device_id.lower()}")


class DriverNeed:
    """What a CUDA runtime asks of the NVIDIA driver."""

    __slots__ = ("compat", "cuda", "full")

    def __init__(self, cuda: str, full: str | None, compat: str | None) -> None:
        self.cuda = cuda
        self.full = full
        """Driver of the toolkit's own release (everything, PTX JIT of its PTX included)."""
        self.compat = compat
        """Oldest driver of the same CUDA major that runs it (minor-version compatibility)."""

    @property
    def minimum(self) -> str | None:
        """The oldest driver that runs it at all."""
        if self.compat and self.full:
            # CUDA 11.0 itself needs less than the CUDA 11 compatibility floor.
            return min(self.compat, self.full, key=version_tuple)
        return self.compat or self.full


def _strip_gpu_name(name: str) -> str:
    lowered = name.lower()
    for prefix in ("nvidia ", "tesla ", "geforce ", "amd ", "radeon "):
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix):]
    return " ".join(lowered.replace("-", " ").split())


class KnowledgeBase:
    """Answers compatibility questions from the data tables."""

    def table(self, name: str) -> dict[str, Any]:
        """The raw table (see ``docs/knowledge-base.md``)."""
        return table(name)

    # ----------------------------------------------------------------- driver and CUDA

    def driver_need(self, cuda: str, os: str = "linux") -> DriverNeed | None:
        """The driver a CUDA runtime (``"12.4"`` or ``"12.4.1"``) needs; ``None`` if unknown.

        ``os`` is ``linux`` or ``windows`` (WSL reports the Windows driver's version).
        """
        want = version_tuple(cuda)
        if not want:
            return None
        rows = table("cuda_driver")["toolkits"]
        # The first (oldest) release of that major.minor when no patch level is given: a
        # framework built with "12.4" may use any 12.4.x runtime, 12.4.0 needs the least.
        matching = [r for r in rows if version_tuple(r["cuda"])[: len(want)] == want]
        full = None
        if matching:
            oldest = min(matching, key=lambda r: version_tuple(r["cuda"]))
            full = oldest.get(os)
        compat = next((r.get(os) for r in table("cuda_driver")["minor_version_compatibility"]
                       if r["cuda_major"] == str(want[0])), None)
        if full is None and compat is None:
            return None
        return DriverNeed(major_minor(cuda) or cuda, full, compat)

    def max_cuda_for_driver(self, driver: str) -> str | None:
        """The newest CUDA a driver supports (``"535.54.03"`` → ``"12.2"``); ``None`` if unknown."""
        branch = version_tuple(driver)[:1]
        if not branch:
            return None
        for row in table("cuda_driver")["driver_branches"]:
            if version_tuple(row["branch"])[:1] == branch:
                return row.get("max_cuda")
        # A driver between known branches: the newest CUDA whose full requirement it meets.
        newest_branch = max(version_tuple(r["branch"]) for r in table("cuda_driver")
                            ["driver_branches"])
        if branch > newest_branch:
            return None
        supported = [r["cuda"] for r in table("cuda_driver")["toolkits"]
                     if r.get("linux") and version_tuple(r["linux"]) <= version_tuple(driver)]
        return major_minor(max(supported, key=version_tuple)) if supported else None

    def driver_supports(self, driver: str, cuda: str, os: str = "linux") -> bool | None:
        """Whether ``driver`` runs CUDA ``cuda`` (minor-version compatibility counted).

        ``None`` when the tables cannot tell (an unknown CUDA).
        """
        need = self.driver_need(cuda, os)
        if need is None or need.minimum is None:
            return None
        return version_tuple(driver) >= version_tuple(need.minimum)

    def driver_branch(self, driver: str) -> dict[str, Any] | None:
        """The driver branch row (end of life, kind) of a driver version."""
        branch = version_tuple(driver)[:1]
        return next((r for r in table("cuda_driver")["driver_branches"]
                     if version_tuple(r["branch"])[:1] == branch), None)

    def cuda_sms(self, cuda: str) -> list[str] | None:
        """SM versions (``"80"``, ``"90"``) a CUDA toolkit (``"12.4"``) can compile for."""
        mm = major_minor(cuda)
        row = next((r for r in table("cuda_arch")["toolkits"] if r["cuda"] == mm), None)
        return list(row["sm"]) if row else None

    def first_cuda_for_cc(self, cc: str) -> str | None:
        """The first CUDA release that can build for compute capability ``cc`` (``"12.0"``).

        ``None`` when the GPU is older than the table (its first CUDA is not recorded).
        """
        sm = cc.replace(".", "")
        rows = sorted(table("cuda_arch")["toolkits"], key=lambda r: version_tuple(r["cuda"]))
        first = next((r for r in rows if sm in r["sm"]), None)
        if first is None or first is rows[0]:
            return None
        return str(first["cuda"])

    def min_driver_for_cc(self, cc: str) -> tuple[str, str] | None:
        """(first CUDA for the GPU, the Linux driver that CUDA needs) for a compute capability.

        NVIDIA adds a GPU generation to the driver released with the toolkit that first
        builds for it, so a driver older than that toolkit's does not drive the GPU.
        """
        cuda = self.first_cuda_for_cc(cc)
        need = self.driver_need(cuda) if cuda else None
        if cuda is None or need is None or need.full is None:
            return None
        return cuda, need.full

    def last_branch_for_cc(self, cc: str) -> str | None:
        """The last driver branch that supports a GPU of compute capability ``cc``, if any."""
        have = version_tuple(cc)
        for row in table("cuda_driver").get("last_branch_for_gpus", []):
            if have < version_tuple(row["compute_capability_below"]):
                return str(row["last_branch"])
        return None

    def recommended_branch(self, ccs: list[str] | None = None) -> str:
        """The driver branch to install: the newest production branch that drives every GPU.

        GPUs whose support ended get the last branch that has them (R470 for Kepler, R580
        for Maxwell, Pascal and Volta).
        """
        rows = table("cuda_driver")["driver_branches"]
        production = [r["branch"] for r in rows if r.get("kind") == "production"]
        best = max(production or [r["branch"] for r in rows], key=version_tuple)
        caps = [self.last_branch_for_cc(cc) for cc in ccs or []]
        return min([best, *(c for c in caps if c)], key=version_tuple)

    def newest_cuda(self) -> str:
        """The newest CUDA release the tables know."""
        return max((r["cuda"] for r in table("cuda_driver")["toolkits"]), key=version_tuple)

    def newest_driver_branch(self) -> str:
        """The newest driver branch the tables know."""
        return max((r["branch"] for r in table("cuda_driver")["driver_branches"]),
                   key=version_tuple)

    # ----------------------------------------------------------------- GPUs

    def gpu(self, name: str) -> dict[str, Any] | None:
        """A GPU by name or alias (``"H100"``, ``"NVIDIA A100-SXM4-80GB"``, ``"RTX 4090"``)."""
        wanted = _strip_gpu_name(name)
        for vendor in ("nvidia", "amd"):
            for row in table("gpus")[vendor]:
                names = [row["name"], *row.get("aliases", [])]
                if any(_strip_gpu_name(n) == wanted for n in names):
                    return dict(row, vendor=vendor)
        # A product name with extra words ("A100-SXM4-80GB" for "A100 SXM4 80GB"): the
        # longest known name that starts it.
        best = None
        for vendor in ("nvidia", "amd"):
            for row in table("gpus")[vendor]:
                for n in [row["name"], *row.get("aliases", [])]:
                    short = _strip_gpu_name(n)
                    if wanted.startswith(short + " ") and (best is None or len(short) > best[0]):
                        best = (len(short), dict(row, vendor=vendor))
        if best:
            return best[1]
        # A family name ("A100" for "A100 80GB" and "A100 40GB"): fine when every model
        # it names is the same target.
        family = [dict(row, vendor=vendor) for vendor in ("nvidia", "amd")
                  for row in table("gpus")[vendor]
                  if _strip_gpu_name(row["name"]).startswith(wanted + " ")]
        targets = {(r.get("compute_capability"), r.get("gfx")) for r in family}
        return family[0] if len(targets) == 1 else None

    def gpu_names(self) -> list[str]:
        """Every GPU name the table knows (for error messages)."""
        return [r["name"] for v in ("nvidia", "amd") for r in table("gpus")[v]]

    # ----------------------------------------------------------------- frameworks

    def torch_release(self, version: str) -> dict[str, Any] | None:
        """The torch release row for a version (``"2.5.1+cu124"`` → the 2.5 row)."""
        mm = major_minor(version)
        return next((r for r in table("torch")["releases"] if r["torch"] == mm), None)

    def torch_companions(self, version: str) -> dict[str, str] | None:
        """The torchvision and torchaudio major.minor released with a torch version.

        From the release rows, else from the older pairs (torch 1.4-1.12) the table keeps
        for environments that still run them.
        """
        row = self.torch_release(version)
        if row is None:
            mm = major_minor(version)
            row = next((r for r in table("torch").get("older_companions", [])
                        if r["torch"] == mm), None)
        if row is None:
            return None
        return {k: row[k] for k in ("torchvision", "torchaudio") if row.get(k)}

    def released(self, framework: str) -> list[dict[str, Any]]:
        """A framework's release rows that have shipped (a row may announce a nightly)."""
        key = "latest" if framework == "torch" else framework
        return [r for r in table(framework)["releases"] if r.get(key)]

    def torch_index_url(self, variant: str) -> str:
        """The wheel index of a torch variant (``cu124``)."""
        return str(table("torch")["index_url"]).format(variant=variant)

    def release(self, framework: str, version: str) -> dict[str, Any] | None:
        """The release row of ``tensorflow``, ``jax``, ``onnxruntime`` or ``paddle``."""
        key = {"tensorflow": "tensorflow", "jax": "jax", "onnxruntime": "onnxruntime",
               "paddle": "paddle"}[framework]
        rows = sorted(self.released(framework), key=lambda r: version_tuple(r[key]),
                      reverse=True)
        want = version_tuple(version)
        if not want:
            return None
        for row in rows:
            have = version_tuple(row[key])
            if want[: len(have)] == have:
                return row
        if framework == "jax":
            # JAX rows mark releases where requirements changed; one between two rows has
            # the values of the nearest older row.
            return next((r for r in rows if version_tuple(r[key]) <= want), None)
        return None

    def newest_release(self, framework: str) -> str | None:
        """The newest release the tables know for a framework (``torch``, ``tensorflow``, …)."""
        key = {"torch": "torch", "tensorflow": "tensorflow", "jax": "jax",
               "onnxruntime": "onnxruntime", "paddle": "paddle"}.get(framework)
        if key is None:
            return None
        rows = self.released(framework)
        field = "latest" if framework == "torch" else key
        return max((r[field] for r in rows), key=version_tuple) if rows else None

    def rocm_release(self, version: str) -> dict[str, Any] | None:
        """The ROCm row for a version (``"6.2.4"`` → the 6.2 row)."""
        mm = major_minor(version)
        return next((r for r in table("rocm")["releases"] if r["rocm"] == mm), None)

    def newest_rocm(self) -> str | None:
        """The newest ROCm release the tables know."""
        rows = table("rocm")["releases"]
        return max((r["rocm"] for r in rows), key=version_tuple) if rows else None

    def retired(self, name: str) -> dict[str, Any] | None:
        """The retired-framework row for a framework or distribution name."""
        lowered = name.lower()
        for row in table("retired")["frameworks"]:
            if lowered == row["name"].lower() or lowered in row.get("distributions", []):
                return row
        return None

    # ----------------------------------------------------------------- coverage

    def as_of(self) -> dict[str, str]:
        """Each table's as-of date."""
        return {name: table(name).get("as_of", "?") for name in TABLES}

    def newer_than_known(self, kind: str, version: str) -> bool:
        """Whether ``version`` of ``kind`` (driver, cuda, torch, rocm) is past the tables."""
        have = version_tuple(version)
        if not have:
            return False
        match kind:
            case "driver":
                return have[:1] > version_tuple(self.newest_driver_branch())[:1]
            case "cuda":
                return have[:2] > version_tuple(self.newest_cuda())[:2]
            case "rocm":
                newest = self.newest_rocm()
                return bool(newest) and have[:2] > version_tuple(newest)[:2]
            case _:
                newest = self.newest_release(kind)
                return bool(newest) and have[:2] > version_tuple(newest)[:2]
