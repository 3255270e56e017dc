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


# --------------------------------------------------------------------------- GPU stack


@dataclass(frozen=True, slots=True)
class PciGpu:
    """A GPU on the PCI bus, seen in sysfs whether or not a driver is bound."""

    address: str
    """PCI address (``0000:01:00.0``)."""
    vendor: str
    """``nvidia`` or ``amd``."""
    device_id: str
    """PCI device id, four lower-case hex digits (``2684``)."""
    name: str | None = None
    """Marketing name from the knowledge base's PCI id table (``GeForce RTX 4090``)."""
    chip: str | None = None
    """Chip codename (``AD102``, ``Navi 31``)."""
    architecture: str | None = None
    """Architecture family (``ada``, ``hopper``, ``cdna3``, ``rdna3``)."""
    compute_capability: str | None = None
    """NVIDIA compute capability from the PCI id table (``8.9``)."""
    gfx: str | None = None
    """AMD LLVM target from the PCI id table (``gfx1100``)."""
    driver: str | None = None
    """Kernel driver bound to it (``nvidia``, ``nouveau``, ``vfio-pci``, ``amdgpu``), or
    ``None``."""
    subsystem: str | None = None
    """Subsystem vendor:device (``1043:889d``), naming the board maker."""


@dataclass(frozen=True, slots=True)
class MigDevice:
    """One MIG instance of a GPU."""

    gpu_instance: int | None = None
    """GPU instance id."""
    compute_instance: int | None = None
    """Compute instance id."""
    profile: str | None = None
    """Profile name (``1g.10gb``), when known."""
    uuid: str | None = None
    """``MIG-…`` UUID; redacted in shareable reports."""
    memory_mib: int | None = None
    """Memory of the instance, MiB."""
    multiprocessor_count: int | None = None
    """Streaming multiprocessors in the instance."""


@dataclass(frozen=True, slots=True)
class NvidiaGpu:
    """One NVIDIA GPU as NVML or nvidia-smi reports it."""

    index: int
    """NVML / nvidia-smi index (PCI bus order)."""
    name: str | None = None
    """Product name (``NVIDIA A100-SXM4-80GB``)."""
    uuid: str | None = None
    """``GPU-…`` UUID; redacted in shareable reports."""
    serial: str | None = None
    """Board serial number; redacted in shareable reports."""
    pci_bus_id: str | None = None
    """PCI bus id as NVML prints it (``00000000:01:00.0``)."""
    pci_device_id: str | None = None
    """PCI device id, four lower-case hex digits, when reported."""
    memory_total_mib: int | None = None
    """Framebuffer memory, MiB."""
    compute_capability: str | None = None
    """Compute capability (``8.0``): from NVML, else the knowledge base by name or PCI id."""
    architecture: str | None = None
    """Architecture family (``ampere``)."""
    mig_mode: str | None = None
    """``Enabled``, ``Disabled``, or ``None`` where MIG is not supported."""
    mig_pending: str | None = None
    """MIG mode after the next GPU reset, when it differs."""
    mig_devices: list[MigDevice] = field(default_factory=list)
    """MIG instances created on this GPU."""
    persistence_mode: bool | None = None
    """Whether persistence mode is on (Linux)."""
    compute_mode: str | None = None
    """``Default``, ``Exclusive_Process`` or ``Prohibited``."""
    driver_model: str | None = None
    """Windows driver model (``WDDM``, ``TCC``); ``None`` on Linux."""
    ecc_mode: bool | None = None
    """Whether ECC is enabled; ``None`` where not supported."""
    retired_pages_pending: bool | None = None
    """Whether retired pages wait for a reboot (or row remapping is pending)."""
    power_draw_w: float | None = None
    """Current board power draw, watts."""
    power_limit_w: float | None = None
    """Enforced power limit, watts."""
    sm_clock_mhz: int | None = None
    """Current SM clock, MHz."""
    sm_clock_max_mhz: int | None = None
    """Maximum SM clock, MHz."""
    temperature_c: int | None = None
    """GPU temperature, °C."""
    source: str | None = None
    """``nvml`` or ``nvidia-smi``."""


@dataclass(frozen=True, slots=True)
class DeviceNode:
    """A device file a GPU stack needs (``/dev/nvidia0``, ``/dev/kfd``, ``/dev/dri/renderD128``)."""

    path: str
    """Path of the device file."""
    mode: str | None = None
    """Permissions as ``ls -l`` prints them (``crw-rw-rw-``)."""
    group: str | None = None
    """Owning group name (``video``, ``render``), when known."""
    accessible: bool | None = None
    """Whether the examined user can open it read-write."""


@dataclass(frozen=True, slots=True)
class NvidiaFacts:
    """The NVIDIA driver and GPUs."""

    pci_gpus: list[PciGpu] = field(default_factory=list)
    """NVIDIA GPUs on the PCI bus, in bus order."""
    kernel_module_loaded: bool | None = None
    """Whether the ``nvidia`` kernel module is loaded."""
    kernel_module_version: str | None = None
    """Version of the loaded kernel module (``/sys/module/nvidia/version``,
    ``/proc/driver/nvidia/version``)."""
    kernel_module_flavor: str | None = None
    """``open`` (NVIDIA's open GPU kernel modules) or ``proprietary``."""
    userspace_version: str | None = None
    """Version of the user-space driver (``libnvidia-ml.so``/``libcuda.so``) that programs load."""
    userspace_source: str | None = None
    """Where ``userspace_version`` came from (NVML, a library file name, nvidia-smi)."""
    cuda_driver_version: str | None = None
    """Highest CUDA version the driver supports (``12.2``), as NVML/nvidia-smi report it."""
    nvml_error: str | None = None
    """Why NVML could not be used (``Driver/library version mismatch``, library not found)."""
    smi_error: str | None = None
    """Why ``nvidia-smi`` could not be used, in its own words."""
    gpus: list[NvidiaGpu] = field(default_factory=list)
    """GPUs the driver reports, by index."""
    device_nodes: list[DeviceNode] = field(default_factory=list)
    """``/dev/nvidia*`` nodes."""
    nouveau_loaded: bool | None = None
    """Whether the open-source ``nouveau`` driver is loaded."""
    nouveau_blacklisted: bool | None = None
    """Whether ``nouveau`` is blacklisted (modprobe.d or the kernel command line)."""
    visible_devices: list[str] | None = None
    """GPUs a CUDA program sees, in CUDA's order, after ``CUDA_VISIBLE_DEVICES``: indices,
    or ``MIG-…`` ids; ``None`` when there is nothing to apply it to."""
    visible_note: str | None = None
    """How ``CUDA_VISIBLE_DEVICES``/``CUDA_DEVICE_ORDER`` were applied, and any entry CUDA
    would stop at."""
    wsl_driver_dir: str | None = None
    """Under WSL 2, the folder holding the Windows driver's Linux libraries
    (``/usr/lib/wsl/lib``)."""
    shadowing_libraries: list[str] = field(default_factory=list)
    """Driver libraries (``libcuda.so.1``, ``libnvidia-ml.so.1``) installed in a way that hides
    the ones the driver provides (a Linux driver inside WSL, a stale copy on the path)."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


@dataclass(frozen=True, slots=True)
class CudaToolkit:
    """One CUDA toolkit installation."""

    path: str
    """Installation directory (``/usr/local/cuda-12.4``)."""
    version: str | None = None
    """Toolkit version (``12.4.1`` or ``12.4``)."""
    version_source: str | None = None
    """``version.json``, ``version.txt``, ``cuda_runtime_api.h``, ``nvcc --version`` or
    ``dist-info``."""
    origin: str | None = None
    """``system``, ``conda``, ``pip`` or ``distribution package``."""
    has_nvcc: bool = False
    """Whether it includes the compiler."""
    default: bool = False
    """Whether ``/usr/local/cuda`` points at it."""
    on_path: bool = False
    """Whether the ``nvcc`` on ``PATH`` is this toolkit's."""
    cuda_home: bool = False
    """Whether ``CUDA_HOME``/``CUDA_PATH`` names it."""


@dataclass(frozen=True, slots=True)
class LibraryCopy:
    """One copy of a CUDA library (cuDNN, NCCL, cuBLAS, cuSPARSELt, TensorRT, the CUDA runtime)."""

    library: str
    """``cudnn``, ``nccl``, ``cublas``, ``cusparselt``, ``tensorrt`` or ``cudart``."""
    version: str | None = None
    """Version (``9.1.0``), from a header, a file name or a package."""
    path: str | None = None
    """Library directory or header the copy was found at."""
    origin: str | None = None
    """``system``, ``toolkit``, ``pip:<distribution>`` or ``conda:<package>``."""
    sonames: list[str] = field(default_factory=list)
    """Shared-object names found for it (``libcudnn.so.9``)."""


@dataclass(frozen=True, slots=True)
class LoadedLibrary:
    """Which copy of a library a framework's dynamic loader would pick, and why."""

    framework: str
    """Framework whose library needs it (``torch``)."""
    soname: str
    """Shared-object name it needs (``libcudnn.so.9``)."""
    resolved: str | None = None
    """The file the loader would load, or ``None`` when nothing satisfies it."""
    via: str | None = None
    """Where it was found: ``RPATH``, ``LD_LIBRARY_PATH``, ``RUNPATH``, ``ld.so.cache``,
    ``default path``."""
    expected: str | None = None
    """The copy the framework ships or asks for (its RUNPATH), when that is not the one loaded."""


@dataclass(frozen=True, slots=True)
class CudaFacts:
    """CUDA toolkits and the CUDA libraries around them."""

    toolkits: list[CudaToolkit] = field(default_factory=list)
    """Every toolkit found, default first."""
    nvcc_path: str | None = None
    """The ``nvcc`` that ``PATH`` finds."""
    cuda_home: str | None = None
    """``CUDA_HOME`` (or ``CUDA_PATH``) when set."""
    libraries: list[LibraryCopy] = field(default_factory=list)
    """Copies of cuDNN, NCCL, cuBLAS, cuSPARSELt, TensorRT and the CUDA runtime."""
    loader: list[LoadedLibrary] = field(default_factory=list)
    """For each framework library, the copy the loader would pick."""
    ld_library_path: list[str] = field(default_factory=list)
    """``LD_LIBRARY_PATH`` entries, in order."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


@dataclass(frozen=True, slots=True)
class AmdGpu:
    """One AMD GPU, from the KFD topology and, when present, amd-smi/rocm-smi."""

    node: int | None = None
    """KFD topology node id."""
    name: str | None = None
    """Product name (``AMD Instinct MI300X``)."""
    gfx: str | None = None
    """LLVM target the runtime reports (``gfx942``), from ``gfx_target_version``."""
    pci_address: str | None = None
    """PCI address, when known."""
    device_id: str | None = None
    """PCI device id, four lower-case hex digits."""
    memory_mib: int | None = None
    """VRAM, MiB."""
    compute_units: int | None = None
    """Compute units."""
    source: str | None = None
    """``kfd``, ``amd-smi`` or ``rocm-smi``."""


@dataclass(frozen=True, slots=True)
class RocmFacts:
    """AMD GPUs, the amdgpu driver and ROCm."""

    pci_gpus: list[PciGpu] = field(default_factory=list)
    """AMD GPUs on the PCI bus (display and 3D controllers)."""
    amdgpu_loaded: bool | None = None
    """Whether the ``amdgpu`` kernel module is loaded."""
    gpus: list[AmdGpu] = field(default_factory=list)
    """GPU agents in the KFD topology (CPU nodes excluded)."""
    device_nodes: list[DeviceNode] = field(default_factory=list)
    """``/dev/kfd`` and ``/dev/dri/renderD*``."""
    rocm_version: str | None = None
    """ROCm version of the default installation (``6.2.4``)."""
    rocm_path: str | None = None
    """The ROCm installation used (``/opt/rocm``, ``ROCM_PATH``)."""
    rocm_installations: list[str] = field(default_factory=list)
    """Every ``/opt/rocm-*`` found."""
    hip_version: str | None = None
    """HIP version, when recorded."""
    hsa_override_gfx_version: str | None = None
    """``HSA_OVERRIDE_GFX_VERSION`` in effect (``10.3.0``)."""
    smi_tool: str | None = None
    """``amd-smi`` or ``rocm-smi``, when one gave richer facts."""
    smi_error: str | None = None
    """Why the SMI tool could not be used."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


@dataclass(frozen=True, slots=True)
class FrameworkFacts:
    """One installed ML framework or GPU library, and how it was built."""

    name: str
    """Framework name (``torch``, ``tensorflow``, ``jax``, ``cupy``, ``onnxruntime``, …)."""
    distribution: str
    """The distribution that provides it (``torch``, ``tensorflow-cpu``, ``cupy-cuda12x``)."""
    version: str | None = None
    """Installed version, without a local build tag (``2.5.1``)."""
    build: str | None = None
    """``cuda``, ``rocm``, ``cpu``, ``mps``, ``directml``, ``openvino`` or ``None`` when unknown."""
    local_tag: str | None = None
    """Local version tag of the wheel (``cu124``, ``rocm6.2``, ``cpu``)."""
    cuda_version: str | None = None
    """CUDA the build targets (``12.4``; ``12.x`` for packages that name only the major)."""
    rocm_version: str | None = None
    """ROCm/HIP the build targets."""
    cudnn_version: str | None = None
    """cuDNN the build targets or pins."""
    nccl_version: str | None = None
    """NCCL the build pins."""
    arch_list: list[str] = field(default_factory=list)
    """GPU targets compiled in (``sm_80``, ``sm_90``, ``compute_90`` for PTX, ``gfx942``)."""
    requires: dict[str, str] = field(default_factory=dict)
    """Pinned GPU-library requirements from its metadata (``nvidia-cudnn-cu12`` →
    ``==9.1.0.70``)."""
    location: str | None = None
    """Package directory."""
    sources: list[str] = field(default_factory=list)
    """Files the build facts were read from."""
    details: dict[str, str] = field(default_factory=dict)
    """Other build facts worth showing (``keras_major``, ``git_version``, ``built_with``)."""
    deep: DeepCheck | None = None
    """Result of ``check --deep`` (importing it and running a tiny GPU operation)."""


@dataclass(frozen=True, slots=True)
class DeepCheck:
    """What happened when ``check --deep`` imported a framework in a child process."""

    imported: bool
    """Whether the import succeeded."""
    device: str | None = None
    """The accelerator it found (``NVIDIA A100-SXM4-80GB``), or ``None`` for CPU only."""
    gpu_op: bool | None = None
    """Whether a tiny operation on the GPU ran and gave the right answer."""
    error: str | None = None
    """The last line of the error, when something failed."""
    elapsed_ms: float | None = None
    """How long the child process took."""


@dataclass(frozen=True, slots=True)
class GpuRequest:
    """What happened when ``check --container`` ran an image with every GPU requested."""

    image: str
    """The image that was run."""
    requested: str = "all"
    """The GPUs asked for, as ``--gpus`` takes them."""
    started: bool = False
    """Whether the engine started the container with the GPUs."""
    error: str | None = None
    """The engine's message when it did not (``could not select device driver "" with
    capabilities: [[gpu]]``), as the engine wrote it."""
    exit_code: int | None = None
    """Exit status of what ran inside; ``None`` when the container did not start."""
    probe: str | None = None
    """What ran inside: ``envdoctor snapshot``, or ``shell`` (``ls /dev/nvidia*``,
    ``nvidia-smi -L``) for an image without envdoctor."""
    devices_seen: list[str] = field(default_factory=list)
    """GPU device files present inside the container (``/dev/nvidia0``, ``/dev/nvidiactl``,
    ``/dev/dxg``), sorted."""
    gpus_seen: list[str] = field(default_factory=list)
    """GPUs the driver listed inside (``GPU 0: NVIDIA A100-SXM4-80GB``); empty when it
    listed none or could not be asked."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above could not be determined (``devices_seen`` when what ran inside
    failed): field name → reason."""


@dataclass(frozen=True, slots=True)
class ContainerRuntimeFacts:
    """Container engines on the host, and GPUs inside a container."""

    docker_reachable: bool | None = None
    """Whether the Docker engine answered (``None`` when there is no socket to ask)."""
    docker_version: str | None = None
    """Docker engine version."""
    docker_error: str | None = None
    """Why the engine could not be asked."""
    docker_runtimes: list[str] = field(default_factory=list)
    """Runtimes the engine knows (``runc``, ``nvidia``)."""
    docker_default_runtime: str | None = None
    """The engine's default runtime."""
    docker_cdi_spec_dirs: list[str] = field(default_factory=list)
    """CDI spec directories the engine reads (Docker ≥ 25 with CDI enabled)."""
    daemon_json_runtimes: list[str] = field(default_factory=list)
    """Runtimes registered in ``/etc/docker/daemon.json`` (readable without the engine)."""
    daemon_json_default_runtime: str | None = None
    """``default-runtime`` in ``/etc/docker/daemon.json``."""
    nvidia_ctk_version: str | None = None
    """NVIDIA Container Toolkit version (``nvidia-ctk --version``)."""
    nvidia_container_runtime: str | None = None
    """Path of ``nvidia-container-runtime``, when installed."""
    nvidia_container_cli: str | None = None
    """Path of ``nvidia-container-cli`` (libnvidia-container, which Docker's ``--gpus``
    calls through its prestart hook; older toolkits have it without ``nvidia-ctk``)."""
    cdi_specs: list[str] = field(default_factory=list)
    """CDI spec files in ``/etc/cdi`` and ``/var/run/cdi``."""
    cdi_devices: list[str] = field(default_factory=list)
    """Devices those specs declare (``nvidia.com/gpu=0``, ``nvidia.com/gpu=all``)."""
    podman: str | None = None
    """Path of ``podman``, when installed."""
    gpu_devices_in_container: list[str] = field(default_factory=list)
    """Inside a container: GPU device nodes that were passed in."""
    driver_libraries_in_container: list[str] = field(default_factory=list)
    """Inside a container: driver libraries the runtime mounted (``libcuda.so.1``, …)."""
    gpu_request: GpuRequest | None = None
    """``check --container IMAGE``: what happened when the image was started with every GPU
    requested; ``None`` otherwise."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Why a field above is ``None``: field name → reason."""


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
    nvidia: NvidiaFacts = field(default_factory=NvidiaFacts)
    """NVIDIA driver and GPUs."""
    cuda: CudaFacts = field(default_factory=CudaFacts)
    """CUDA toolkits and libraries."""
    rocm: RocmFacts = field(default_factory=RocmFacts)
    """AMD GPUs and ROCm."""
    frameworks: list[FrameworkFacts] = field(default_factory=list)
    """Installed ML frameworks and GPU libraries, by name."""
    containers: ContainerRuntimeFacts = field(default_factory=ContainerRuntimeFacts)
    """Container engines and GPUs passed into a container."""
    probes: list[ProbeRecord] = field(default_factory=list)
    """One record per probe, in the order they ran."""

    def probe(self, name: str) -> ProbeRecord | None:
        """Return the record of the probe called ``name``, if it ran."""
        for record in self.probes:
            if record.name == name:
                return record
        return None
