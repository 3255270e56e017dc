"""Facts: the typed, versioned snapshot of one machine that every part of envdoctor shares.

Probes produce Facts, rules read them, ``envdoctor snapshot`` writes them as JSON and
``check --facts FILE`` reads them back. Everything here is a frozen dataclass whose
fields carry attribute docstrings: those docstrings are the documentation of the JSON
contract, and ``scripts/gen_schema.py`` turns them into ``envdoctor/schema/facts.schema.json``.

Conventions that hold in every section:

* A fact that could not be determined is ``None``, and the section's ``unknown`` map
  says why (``{"model": "no 'model name' line in /proc/cpuinfo"}``). There are no
  sentinel strings such as ``"N/A"``.
* Lists are empty when the thing is absent (no GPUs) and the section's probe record
  (``Facts.probes``) says whether that is because it is absent or because the probe failed.
* Adding a field is a compatible change and keeps ``SCHEMA_VERSION``; renaming or
  removing one, or changing its meaning, bumps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

SCHEMA_VERSION = 1
"""Version of the Facts JSON contract this envdoctor writes and the newest it reads."""


class ProbeStatus(str, Enum):
    """How a probe ended."""

    OK = "ok"
    """The probe ran and found what it looks for."""
    ABSENT = "absent"
    """The probe ran and the thing is not on this machine (no NVIDIA driver on a CPU box)."""
    PARTIAL = "partial"
    """The probe ran but some facts could not be determined; see the section's ``unknown``."""
    FAILED = "failed"
    """The probe could not do its work (timeout, permission denied, crash); see ``detail``."""
    SKIPPED = "skipped"
    """The probe was not run (a live source under ``--root``, or a report that cannot tell)."""


class OriginKind(str, Enum):
    """Where a set of facts came from."""

    LIVE = "live"
    """Probed on the running machine."""
    ROOT = "root"
    """Probed from a file-system tree given with ``--root`` (an image or a mounted disk)."""
    RECORDED = "recorded"
    """Probed from a recorded test host (a root tree plus recorded command outputs)."""
    SNAPSHOT = "snapshot"
    """Read back from an ``envdoctor snapshot`` file."""
    REPORT = "report"
    """Parsed from another tool's environment report; most facts are unknown."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where these facts came from and how complete they can be."""

    kind: OriginKind = OriginKind.LIVE
    """The kind of source."""
    root: str | None = None
    """The root path probed, for ``root`` and ``recorded`` origins."""
    path: str | None = None
    """The file the facts were read from, for ``snapshot`` and ``report`` origins."""
    note: str | None = None
    """Anything a reader should know about completeness (a report cut off part-way, …)."""


@dataclass(frozen=True, slots=True)
class ProbeRecord:
    """What one probe did: the log line behind a section of the facts."""

    name: str
    """Probe name, matching the Facts section it fills (``cpu``, ``python``, …)."""
    status: ProbeStatus
    """How the probe ended."""
    sources: list[str] = field(default_factory=list)
    """Files read and commands run, in order (paths are as seen inside the root)."""
    detail: str | None = None
    """Why the probe failed, was skipped or is partial; ``None`` when it is ``ok``."""
    problems: list[str] = field(default_factory=list)
    """Sources that exist but could not be used: ``/proc/cpuinfo: permission denied``,
    ``nvidia-smi timed out after 5.0 s``, ``… is not valid JSON``."""
    elapsed_ms: float = 0.0
    """Wall time the probe took, in milliseconds."""


@dataclass(frozen=True, slots=True)
class OsFacts:
    """The operating system."""

    system: str | None = None
    """Kernel family: ``Linux``, ``Windows`` or ``Darwin``."""
    distro_id: str | None = None
    """Machine-readable distribution id from os-release (``ubuntu``, ``rhel``, ``amzn``)."""
    distro_name: str | None = None
    """Distribution name (``Ubuntu``)."""
    distro_version: str | None = None
    """Distribution version (``22.04``)."""
    distro_codename: str | None = None
    """Distribution codename (``jammy``), when it has one."""
    distro_like: list[str] = field(default_factory=list)
    """Distributions this one derives from (os-release ``ID_LIKE``)."""
    pretty_name: str | None = None
    """Human-readable name and version (os-release ``PRETTY_NAME``)."""
    kernel: str | None = None
    """Release of the running kernel (``6.8.0-40-generic``); unknown for an unbooted root."""
    kernels_installed: list[str] = field(default_factory=list)
    """Kernel releases with modules under ``/lib/modules``, sorted."""
    arch: str | None = None
    """Machine architecture as ``uname -m`` prints it (``x86_64``, ``aarch64``)."""
    libc: str | None = None
    """C library family: ``glibc`` or ``musl``."""
    libc_version: str | None = None
    """C library version (``2.35``)."""
    hostname: str | None = None
    """Host name; redacted in shareable reports."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


@dataclass(frozen=True, slots=True)
class CloudFacts:
    """The cloud instance this machine is, as far as local files tell (no network call)."""

    provider: str
    """``aws``, ``azure`` or ``gcp``."""
    instance_type: str | None = None
    """Instance type or VM size (``g5.xlarge``); ``None`` where the firmware does not say it."""
    evidence: list[str] = field(default_factory=list)
    """The files and values that identified the provider."""


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    """What the operating system runs in: a container, WSL, a virtual machine, a cloud."""

    in_container: bool | None = None
    """Whether this is a container; ``None`` when it cannot be told."""
    container_runtime: str | None = None
    """``docker``, ``podman``, ``kubernetes``, ``containerd``, ``lxc``, ``apptainer``, or
    ``None``."""
    container_evidence: list[str] = field(default_factory=list)
    """The markers that told it (``/.dockerenv``, a ``kubepods`` cgroup, …)."""
    wsl: int | None = None
    """1 or 2 under Windows Subsystem for Linux, else ``None``."""
    wsl_distro: str | None = None
    """WSL distribution name (``WSL_DISTRO_NAME``), when known."""
    virtualization: str | None = None
    """Hypervisor (``kvm``, ``vmware``, ``hyperv``, ``xen``, ``amazon``, ``google``, …)."""
    cloud: CloudFacts | None = None
    """The cloud instance, when firmware or sysfs identify one."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


@dataclass(frozen=True, slots=True)
class CpuFacts:
    """The processor."""

    vendor: str | None = None
    """Normalised vendor: ``intel``, ``amd``, ``arm``, ``apple``, ``ampere``, ``nvidia``, …"""
    vendor_id: str | None = None
    """Vendor string as the CPU reports it (``GenuineIntel``, ``AuthenticAMD``, ``0x41``)."""
    model: str | None = None
    """Model name (``AMD EPYC 7451 24-Core Processor``, ``Neoverse-V1``)."""
    sockets: int | None = None
    """Physical packages."""
    cores: int | None = None
    """Physical cores across all sockets."""
    threads: int | None = None
    """Logical CPUs (hardware threads) the system has."""
    usable: int | None = None
    """Logical CPUs this process may run on (affinity and cpuset), before any cgroup quota."""
    isa: list[str] = field(default_factory=list)
    """Instruction-set extensions that matter to ML libraries, normalised and sorted
    (``sse4_2``, ``avx``, ``avx2``, ``fma``, ``avx512f``, ``avx512_bf16``, ``amx_tile``,
    ``neon``, ``sve``, …)."""
    hypervisor_flag: bool | None = None
    """Whether the CPU reports running under a hypervisor."""
    source: str | None = None
    """Where the facts came from (``/proc/cpuinfo``, ``py-cpuinfo``)."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


@dataclass(frozen=True, slots=True)
class ResourcesFacts:
    """Memory, cgroup limits and shared memory."""

    memory_total: int | None = None
    """Physical memory in bytes (``MemTotal``)."""
    memory_available: int | None = None
    """Memory available to new work in bytes (``MemAvailable``)."""
    swap_total: int | None = None
    """Swap in bytes."""
    cgroup_version: int | None = None
    """1 or 2; ``None`` when cgroups are not mounted or cannot be read."""
    cgroup_path: str | None = None
    """This process's cgroup path (``/`` inside most containers)."""
    cpu_limit: float | None = None
    """CPUs the cgroup quota allows (quota / period), ``None`` when unlimited."""
    memory_limit: int | None = None
    """cgroup memory limit in bytes, ``None`` when unlimited."""
    shm_size: int | None = None
    """Size of ``/dev/shm`` in bytes (64 MiB is Docker's default)."""
    shm_source: str | None = None
    """How ``shm_size`` was found (``mountinfo size=``, ``statvfs``, ``tmpfs default``)."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


@dataclass(frozen=True, slots=True)
class UserFacts:
    """Who runs envdoctor: decides access to ``/dev/nvidia*``, ``/dev/kfd`` and render nodes."""

    name: str | None = None
    """User name; redacted in shareable reports."""
    uid: int | None = None
    """Numeric user id."""
    gid: int | None = None
    """Numeric primary group id."""
    groups: list[str] = field(default_factory=list)
    """Names of the groups the user is in (``video``, ``render``, ``docker``, …), sorted."""
    home: str | None = None
    """Home directory; redacted in shareable reports."""


@dataclass(frozen=True, slots=True)
class Distribution:
    """One installed Python distribution (a ``.dist-info`` or ``.egg-info`` directory)."""

    name: str
    """Canonical project name (PEP 503: lower case, runs of ``-_.`` as ``-``)."""
    version: str
    """Installed version."""
    installer: str | None = None
    """Tool that installed it (``pip``, ``uv``, ``conda``), from its ``INSTALLER`` file."""
    location: str | None = None
    """The site-packages directory it is in."""


@dataclass(frozen=True, slots=True)
class CondaPackage:
    """One package recorded in the environment's ``conda-meta``."""

    name: str
    """Package name."""
    version: str
    """Package version."""
    build: str
    """Build string; for BLAS and CUDA packages it names the variant (``mkl``, ``cuda126``)."""


@dataclass(frozen=True, slots=True)
class PythonFacts:
    """The Python environment envdoctor examined, and the packages installed in it."""

    version: str | None = None
    """Python version (``3.11.7``, or ``3.11`` when only the library directory tells it)."""
    implementation: str | None = None
    """``CPython`` or ``PyPy``."""
    executable: str | None = None
    """Interpreter path, when known."""
    prefix: str | None = None
    """Environment prefix (``sys.prefix`` of that interpreter)."""
    environment: str | None = None
    """Kind of environment: ``venv``, ``conda``, ``system`` or ``user``."""
    environment_name: str | None = None
    """Conda environment name or virtual environment folder name."""
    selected_by: str | None = None
    """Why this environment was examined (``VIRTUAL_ENV``, ``CONDA_PREFIX``, ``--python``,
    ``running interpreter``, ``python3 on PATH``, or a root location)."""
    site_packages: list[str] = field(default_factory=list)
    """Directories scanned for installed distributions, in import order."""
    distributions: list[Distribution] = field(default_factory=list)
    """Installed distributions, first on ``sys.path`` wins; sorted by name."""
    shadowed: list[Distribution] = field(default_factory=list)
    """Distributions hidden by another copy of the same project earlier on the path."""
    conda_packages: list[CondaPackage] = field(default_factory=list)
    """Packages in the environment's ``conda-meta``, sorted by name."""
    other_environments: list[str] = field(default_factory=list)
    """Other environments seen but not examined (conda envs, ``/opt/conda``), by prefix."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


@dataclass(frozen=True, slots=True)
class BlasFacts:
    """numpy and the BLAS/LAPACK it uses, read from numpy's files (numpy is not imported)."""

    numpy_version: str | None = None
    """Installed numpy version, or ``None`` when numpy is not installed."""
    numpy_location: str | None = None
    """Directory of the numpy package."""
    blas: str | None = None
    """BLAS family: ``openblas``, ``scipy-openblas``, ``mkl``, ``accelerate``, ``blis``,
    ``atlas``, ``reference`` (netlib, slow)."""
    blas_version: str | None = None
    """BLAS version, when numpy's build configuration records it."""
    blas_detail: str | None = None
    """More about the BLAS build (OpenBLAS configuration line, the conda ``libblas`` build)."""
    lapack: str | None = None
    """LAPACK family, same vocabulary as ``blas``."""
    bundled: list[str] = field(default_factory=list)
    """Shared libraries numpy ships in its wheel (``numpy.libs/``), sorted."""
    source: str | None = None
    """The file that told the BLAS (``numpy/__config__.py``, ``conda-meta``, …)."""
    thread_settings: dict[str, str] = field(default_factory=dict)
    """Thread-count variables in effect (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, …)."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


@dataclass(frozen=True, slots=True)
class EnvFacts:
    """Environment variables that matter to GPU and ML stacks (an allowlist)."""

    variables: dict[str, str] = field(default_factory=dict)
    """Allowlisted variables that are set, by name; secret-looking values are withheld."""
    withheld: list[str] = field(default_factory=list)
    """Names of allowlisted variables whose values looked secret and were not stored."""


@dataclass(frozen=True, slots=True)
class Facts:
    """One machine, as envdoctor saw it."""

    schema_version: int = SCHEMA_VERSION
    """Version of this contract; readers refuse a newer one."""
    envdoctor_version: str | None = None
    """The envdoctor that collected these facts."""
    collected_at: str | None = None
    """When, as an ISO 8601 UTC timestamp."""
    origin: Origin = field(default_factory=Origin)
    """Where the facts came from."""
    os: OsFacts = field(default_factory=OsFacts)
    """The operating system."""
    platform: PlatformFacts = field(default_factory=PlatformFacts)
    """Container, WSL, virtual machine and cloud."""
    cpu: CpuFacts = field(default_factory=CpuFacts)
    """The processor."""
    resources: ResourcesFacts = field(default_factory=ResourcesFacts)
    """Memory, cgroup limits and shared memory."""
    user: UserFacts = field(default_factory=UserFacts)
    """The user envdoctor ran as."""
    python: PythonFacts = field(default_factory=PythonFacts)
    """The Python environment examined and its installed packages."""
    blas: BlasFacts = field(default_factory=BlasFacts)
    """numpy and its BLAS."""
    env: EnvFacts = field(default_factory=EnvFacts)
    """Environment variables that matter."""
    probes: list[ProbeRecord] = field(default_factory=list)
    """One record per probe, in the order they ran."""

    def probe(self, name: str) -> ProbeRecord | None:
        """Return the record of the probe called ``name``, if it ran."""
        for record in self.probes:
            if record.name == name:
                return record
        return None
