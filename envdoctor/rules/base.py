"""The rule interface: what a rule is, what it gets, and what it yields.

A rule is a pure function of the facts (and the knowledge base, through ``ctx.kb``),
registered once with a stable code, a name that describes the problem, a severity and a
category from a fixed vocabulary. Its docstring is its documentation, in fixed sections.
It yields :class:`Issue` values; the engine turns each into a
:class:`~envdoctor.report.Finding` carrying the rule's metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum
from typing import TYPE_CHECKING, Any

from envdoctor._util import lazy_re
from envdoctor.report import Severity

if TYPE_CHECKING:
    from envdoctor.facts import Facts
    from envdoctor.knowledge import KnowledgeBase

SECTIONS = ("What it checks", "Why it matters", "How to fix", "Example", "References")
"""The sections every rule's documentation has, in this order."""

CODE = lazy_re(r"^ED0[0-6]\d\d$")
"""Codes: ``ED`` + four digits; the hundreds say the area (see :data:`AREAS`)."""

AREAS = {
    "ED00": "the tool itself",
    "ED01": "host, CPU, BLAS and Python",
    "ED02": "NVIDIA driver and GPUs",
    "ED03": "CUDA toolkit, cuDNN, NCCL and libraries",
    "ED04": "frameworks",
    "ED05": "AMD GPUs and ROCm",
    "ED06": "containers, WSL and cloud",
}


class Category(str, Enum):
    """What kind of problem a finding is: lets CI and fleets group findings.

    :data:`CATEGORY_MEANINGS` says what each one means (the docs print it).
    """

    DRIVER_TOO_OLD = "driver-too-old"
    GPU_ARCH_UNSUPPORTED = "gpu-arch-unsupported"
    CPU_ONLY_BUILD = "cpu-only-build"
    NO_GPU_DRIVER = "no-gpu-driver"
    DRIVER_USERSPACE_MISMATCH = "driver-userspace-mismatch"
    CUDNN_MISMATCH = "cudnn-mismatch"
    LIBRARY_SHADOWING = "library-shadowing"
    LIBRARY_MISSING = "library-missing"
    TOOLKIT_MISMATCH = "toolkit-mismatch"
    COMPANION_MISMATCH = "companion-mismatch"
    NUMPY_ABI = "numpy-abi"
    PYTHON_UNSUPPORTED = "python-unsupported"
    ROCM_GFX_UNSUPPORTED = "rocm-gfx-unsupported"
    PERMISSIONS = "permissions"
    CPU_ISA = "cpu-isa"
    BLAS = "blas"
    THREADS = "threads"
    CONTAINER_GPU = "container-gpu"
    WSL = "wsl"
    RETIRED_FRAMEWORK = "retired-framework"
    NO_GPU = "no-gpu"
    FRAMEWORK_BROKEN = "framework-broken"
    HARDWARE = "hardware"
    CONFIG = "config"
    TOOL = "tool"


CATEGORY_MEANINGS: dict[Category, str] = {
    Category.DRIVER_TOO_OLD: "The NVIDIA driver cannot run the CUDA a framework or toolkit brings.",
    Category.GPU_ARCH_UNSUPPORTED: (
        "A build has no code for the GPU's architecture (too new or too old)."),
    Category.CPU_ONLY_BUILD: (
        "A framework build that cannot use the GPU that is there (CPU, or another vendor's)."),
    Category.NO_GPU_DRIVER: "A GPU without a working driver (none, nouveau, vfio, failing).",
    Category.DRIVER_USERSPACE_MISMATCH: (
        "The kernel module and the user-space driver are different versions."),
    Category.CUDNN_MISMATCH: "The cuDNN found is not the one a framework was built for.",
    Category.LIBRARY_SHADOWING: "Another copy of a library is loaded instead of the intended one.",
    Category.LIBRARY_MISSING: "A library a framework needs is not found by the loader.",
    Category.TOOLKIT_MISMATCH: (
        "CUDA/ROCm toolkits disagree with each other or with a framework's build."),
    Category.COMPANION_MISMATCH: (
        "Packages that must match each other do not (torch/torchvision, jax/plugin, …)."),
    Category.NUMPY_ABI: "numpy 2 beside a package built for numpy 1 (or the reverse).",
    Category.PYTHON_UNSUPPORTED: "A framework release does not support this Python version.",
    Category.ROCM_GFX_UNSUPPORTED: (
        "An AMD GPU's gfx target is not one ROCm or the framework build supports."),
    Category.PERMISSIONS: "The user cannot open the device files the GPU stack needs.",
    Category.CPU_ISA: "The CPU lacks an instruction set extension a build requires.",
    Category.BLAS: "numpy's BLAS is slow or mismatched to the CPU.",
    Category.THREADS: "Thread settings oversubscribe the CPUs a process may use.",
    Category.CONTAINER_GPU: "GPUs and containers: runtime, CDI, devices passed in.",
    Category.WSL: "Windows Subsystem for Linux specifics.",
    Category.RETIRED_FRAMEWORK: "A framework that is no longer maintained.",
    Category.NO_GPU: "No GPU at all: what the machine can still do, and where to get one.",
    Category.FRAMEWORK_BROKEN: (
        "A framework fails to import or to run on its GPU (``check --deep``)."),
    Category.HARDWARE: "The GPU reports a hardware condition (pending page retirement, lost GPU).",
    Category.CONFIG: "Settings (environment variables, modes) that stop or limit GPU use.",
    Category.TOOL: "envdoctor itself could not see something.",
}
"""What each category means."""


class Issue:
    """What a rule found: the message with observed values, the fix, and the evidence."""

    __slots__ = ("evidence", "fix", "fix_note", "message", "severity")

    def __init__(self, message: str, *, fix: list[str] | None = None,
                 fix_note: str | None = None, evidence: list[str] | None = None,
                 severity: Severity | None = None) -> None:
        self.message = message
        self.fix = fix or []
        self.fix_note = fix_note
        self.evidence = evidence or []
        self.severity = severity
        """Overrides the rule's severity for this finding (a milder or worse case)."""


class Context:
    """What a rule may read: the facts and the knowledge base (no I/O, no printing)."""

    __slots__ = ("_planner", "facts", "kb")

    def __init__(self, facts: Facts, kb: KnowledgeBase) -> None:
        self.facts = facts
        self.kb = kb
        self._planner: Any = None

    @property
    def planner(self) -> Any:  # noqa: ANN401 - envdoctor.planner.Planner, imported lazily
        """The planner over these facts, for rules that write install commands."""
        if self._planner is None:
            from envdoctor.planner import Planner  # noqa: PLC0415

            self._planner = Planner(self.kb)
        return self._planner


Check = Callable[[Context], Iterator[Issue]]


class Rule:
    """A registered rule: metadata plus the check function."""

    __slots__ = ("category", "check", "code", "doc", "name", "severity", "since", "status",
                 "title")

    def __init__(self, *, code: str, name: str, title: str, severity: Severity,
                 category: Category, check: Check, since: str = "0.1.0",
                 status: str = "stable") -> None:
        self.code = code
        self.name = name
        self.title = title
        self.severity = severity
        self.category = category
        self.check = check
        self.since = since
        self.status = status
        self.doc = check.__doc__ or ""

    def sections(self) -> dict[str, str]:
        """The documentation split into its ``## Section`` parts."""
        return parse_sections(self.doc)

    def __repr__(self) -> str:
        return f"Rule({self.code} {self.name})"


def parse_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring at ``## Heading`` lines into heading → dedented text."""
    import inspect  # noqa: PLC0415 - docs are only read by `explain` and the docs generator

    text = inspect.cleandoc(doc)
    sections: dict[str, str] = {}
    current = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = line[3:].strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return sections


REGISTRY: list[Rule] = []
"""Rules registered so far, in registration order (see ``envdoctor.rules.all_rules``)."""


def rule(*, code: str, name: str, title: str, severity: Severity, category: Category,
         since: str = "0.1.0", status: str = "stable") -> Callable[[Check], Check]:
    """Register the decorated check function as a rule."""

    def register(check: Check) -> Check:
        REGISTRY.append(Rule(code=code, name=name, title=title, severity=severity,
                             category=category, check=check, since=since, status=status))
        return check

    return register
