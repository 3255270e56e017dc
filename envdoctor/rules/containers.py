"""ED06xx: containers, WSL and cloud."""

from __future__ import annotations

import re
from collections.abc import Iterator

from envdoctor._util import human_bytes, version_tuple
from envdoctor.facts import ContainerRuntimeFacts, Facts, GpuRequest, ProbeStatus
from envdoctor.report import Severity
from envdoctor.rules._helpers import framework, has_nvidia, nvidia_works
from envdoctor.rules.base import Category, Context, Issue, rule

SHM_MINIMUM = 1 << 30
"""Below this, PyTorch DataLoader workers run out of shared memory quickly."""

_TOOLKIT_REPO = "https://nvidia.github.io/libnvidia-container"
_KEYRING = "/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg"


def _family(f: Facts) -> set[str]:
    return {(f.os.distro_id or "").lower(), *(d.lower() for d in f.os.distro_like)}


def _toolkit_install(f: Facts) -> list[str]:
    """NVIDIA's install steps for the Container Toolkit: its repository, the package, the
    runtime registered with Docker (the toolkit is not in the distributions' own archives);
    empty for distributions NVIDIA's repository does not serve.
    """
    family = _family(f)
    rpm_repo = f"{_TOOLKIT_REPO}/stable/rpm/nvidia-container-toolkit.repo"
    if family & {"ubuntu", "debian"}:
        steps = [f"curl -fsSL {_TOOLKIT_REPO}/gpgkey | sudo gpg --dearmor -o {_KEYRING}",
                 f"curl -s -L {_TOOLKIT_REPO}/stable/deb/nvidia-container-toolkit.list | "
                 f"sed 's#deb https://#deb [signed-by={_KEYRING}] https://#g' | "
                 "sudo tee /etc/apt/sources.list.d/nvidia-container-toolkit.list",
                 "sudo apt-get update", "sudo apt-get install -y nvidia-container-toolkit"]
    elif family & {"suse", "sles", "opensuse-leap", "opensuse-tumbleweed", "opensuse"}:
        steps = [f"sudo zypper ar {rpm_repo}",
                 "sudo zypper --gpg-auto-import-keys install -y nvidia-container-toolkit"]
    elif family & {"rhel", "centos", "rocky", "almalinux", "ol", "fedora", "amzn"}:
        yum = "yum" if f.os.distro_id == "amzn" and f.os.distro_version == "2" else "dnf"
        steps = [f"curl -s -L {rpm_repo} | sudo tee /etc/yum.repos.d/nvidia-container-toolkit.repo",
                 f"sudo {yum} install -y nvidia-container-toolkit"]
    else:
        return []  # no package repository from NVIDIA for it: the install guide's note says
    return [*steps, "sudo nvidia-ctk runtime configure --runtime=docker",
            "sudo systemctl restart docker"]


def _toolkit_installed(c: ContainerRuntimeFacts) -> bool:
    return bool(c.nvidia_ctk_version or c.nvidia_container_runtime or c.nvidia_container_cli)


@rule(code="ED0601", name="docker-cannot-give-containers-gpus",
      title="Docker runs here but nothing can give containers the NVIDIA GPUs",
      severity=Severity.WARNING, category=Category.CONTAINER_GPU)
def docker_cannot_give_containers_gpus(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A host (not a container) with NVIDIA GPUs and Docker (an engine socket, a version or
    a `daemon.json` runtime), without the NVIDIA Container Toolkit (`nvidia-ctk` or
    `nvidia-container-runtime`, or an `nvidia` runtime registered with Docker) and
    without CDI devices for the GPUs. After `check --container` tried a GPU request that
    failed, ED0608 says it instead, with the engine's own message.

    ## Why it matters
    `docker run --gpus all …` fails with 'could not select device driver "" with
    capabilities: [[gpu]]', and containers never see the GPUs.

    ## How to fix
    Add NVIDIA's package repository, install the NVIDIA Container Toolkit, register it
    with Docker, restart Docker. Docker before 19.03 has no `--gpus`: containers are
    started with `--runtime=nvidia` instead.

    ## Example
    `Docker 24.0.7 runs with the runtimes io.containerd.runc.v2, runc; the NVIDIA Container
    Toolkit is not installed (no nvidia-ctk, no nvidia-container-runtime) and no CDI spec
    names the GPUs.`

    ## References
    - https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html
    """
    f = ctx.facts
    c = f.containers
    if not has_nvidia(f) or f.platform.in_container:
        return
    if c.gpu_request is not None and not c.gpu_request.started:
        return  # ED0608: the request was tried, and its failure says more
    # docker_reachable and docker_error are only set when a Docker socket exists.
    if not (c.docker_reachable is not None or c.docker_error or c.docker_version
            or c.daemon_json_runtimes):
        return
    runtimes = set(c.docker_runtimes) | set(c.daemon_json_runtimes)
    gpu_cdi = [d for d in c.cdi_devices if d.startswith("nvidia.com/gpu")]
    if "nvidia" in runtimes or _toolkit_installed(c) or gpu_cdi:
        return
    if c.docker_reachable:
        engine = f"Docker {c.docker_version} runs" if c.docker_version else "Docker runs"
        engine += f" with the runtimes {', '.join(sorted(runtimes)) or 'none'}"
    else:
        engine = "Docker is installed" + (f" ({c.docker_error})" if c.docker_error else "")
    fix = _toolkit_install(f)
    notes = []
    if not fix:
        notes.append("NVIDIA's install guide lists the repositories and packages: "
                     "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/"
                     "latest/install-guide.html")
    if c.docker_version and version_tuple(c.docker_version) < (19, 3):
        notes.append(f"Docker {c.docker_version} predates --gpus (19.03): start containers "
                     "with --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=all, or upgrade Docker.")
    yield Issue(f"{engine}; the NVIDIA Container Toolkit is not installed (no nvidia-ctk, no "
                "nvidia-container-runtime) and no CDI spec names the GPUs.",
                fix=fix, fix_note=" ".join(notes) or None,
                evidence=[f"containers.docker_runtimes={','.join(c.docker_runtimes)}",
                          "containers.nvidia_ctk_version=None",
                          "containers.nvidia_container_runtime=None",
                          f"containers.cdi_devices={','.join(c.cdi_devices)}"])


@rule(code="ED0602", name="container-started-without-gpus",
      title="This container was started without the GPUs", severity=Severity.ERROR,
      category=Category.CONTAINER_GPU)
def container_started_without_gpus(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Inside a container with no `/dev/nvidia*` device and no driver library passed in: the
    host's NVIDIA GPU visible in sysfs (an error), or, with no GPU visible,
    `NVIDIA_VISIBLE_DEVICES` asking for GPUs as CUDA images do (a warning: the host may
    have none). A CUDA build of a framework alone says nothing: PyPI's default torch on
    Linux is one. A container `check --container` started with every GPU requested is
    left to ED0608.

    ## Why it matters
    The image was made for GPUs but the container got none: the framework reports no
    CUDA device ("Found no NVIDIA driver on your system"). `NVIDIA_VISIBLE_DEVICES` in
    an image does nothing unless the NVIDIA runtime acts on it.

    ## How to fix
    Start the container with the GPUs: `docker run --gpus all …`, or with CDI
    `--device nvidia.com/gpu=all` (podman); in Kubernetes, request `nvidia.com/gpu`;
    with Apptainer, `--nv`.

    ## Example
    `torch 2.5.1 is a CUDA build; NVIDIA_VISIBLE_DEVICES=all; the host's GeForce RTX 4090
    is on the bus; but no GPU device or driver library was passed into this container.`

    ## References
    - https://docs.docker.com/engine/containers/resource_constraints/#gpu
    - https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html
    """
    f = ctx.facts
    if not f.platform.in_container or f.nvidia.gpus or f.nvidia.device_nodes:
        return
    c = f.containers
    if c.gpu_devices_in_container or c.driver_libraries_in_container:
        return
    if c.gpu_request is not None:
        return  # started with --gpus all by check --container: ED0608 says what came of it
    visible = f.env.variables.get("NVIDIA_VISIBLE_DEVICES")
    # void, none and an empty value are how images and runtimes say "no GPU on purpose".
    wants = visible is not None and visible.strip().lower() not in ("", "void", "none")
    on_bus = f.nvidia.pci_gpus
    if not (on_bus or wants):
        return
    reasons = []
    cuda = [fw for fw in f.frameworks if fw.build == "cuda"]
    if cuda:
        reasons.append(f"{cuda[0].distribution} {cuda[0].version} is a CUDA build")
    if wants:
        reasons.append(f"NVIDIA_VISIBLE_DEVICES={visible}")
    if on_bus:
        reasons.append(f"the host's {on_bus[0].name or 'NVIDIA GPU'} is on the bus")
    message = (f"{'; '.join(reasons)}; but no GPU device or driver library was passed into "
               "this container.")
    if not on_bus:
        message += " No NVIDIA GPU is visible on the PCI bus either: the host may have none."
    runtime = f.platform.container_runtime
    note = ("With CDI: docker run --device nvidia.com/gpu=all …; in Kubernetes: "
            "resources.limits nvidia.com/gpu: 1.")
    if runtime == "podman":
        fix = ["podman run --device nvidia.com/gpu=all <image> …"]
        note = "Needs the CDI spec on the host: sudo nvidia-ctk cdi generate " \
               "--output=/etc/cdi/nvidia.yaml."
    elif runtime == "kubernetes":
        fix = []
        note = ("Request the GPU in the pod spec: resources.limits nvidia.com/gpu: 1 (the NVIDIA "
                "device plugin or GPU Operator must run on the node).")
    elif runtime == "apptainer":
        fix = ["apptainer exec --nv <image> …"]
        note = None
    else:
        fix = ["docker run --gpus all <image> …"]
    yield Issue(message, fix=fix, fix_note=note,
                severity=None if on_bus else Severity.WARNING,
                evidence=["containers.gpu_devices_in_container=[]",
                          "containers.driver_libraries_in_container=[]",
                          *([f"nvidia.pci_gpus[{on_bus[0].address}]"] if on_bus else []),
                          *([f"env.NVIDIA_VISIBLE_DEVICES={visible}"] if wants else [])])


@rule(code="ED0603", name="shared-memory-too-small-for-dataloader",
      title="/dev/shm is too small for PyTorch DataLoader workers",
      severity=Severity.WARNING, category=Category.CONTAINER_GPU)
def shared_memory_too_small_for_dataloader(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The size of `/dev/shm` (below 1 GiB) in a container where torch is installed.

    ## Why it matters
    DataLoader workers pass batches through shared memory; Docker's default 64 MiB fills
    at once: "DataLoader worker (pid …) is killed by signal: Bus error", "unable to write
    to file </torch_…>: No space left on device".

    ## How to fix
    Start the container with more: `--shm-size=8g`, or `--ipc=host`; in Kubernetes,
    mount a memory-backed `emptyDir` at `/dev/shm`.

    ## Example
    `/dev/shm is 64.0 MiB in this docker container; DataLoader workers need far more.`

    ## References
    - https://github.com/pytorch/pytorch#docker-image
    - https://docs.docker.com/reference/cli/docker/container/run/#ipc
    """
    f = ctx.facts
    shm = f.resources.shm_size
    if not f.platform.in_container or not shm or shm >= SHM_MINIMUM:
        return
    if framework(f, "torch") is None:
        return
    runtime = f.platform.container_runtime
    where = f"this {runtime} container" if runtime else "this container"
    if runtime == "kubernetes":
        fix: list[str] = []
        note = ("Mount an emptyDir with medium: Memory (sizeLimit: 8Gi) at /dev/shm in the pod "
                "spec.")
    else:
        engine = "podman" if runtime == "podman" else "docker"
        fix = [f"{engine} run --shm-size=8g <image> …"]
        note = "Or --ipc=host (the host's /dev/shm); in docker compose: shm_size: 8gb."
    yield Issue(f"/dev/shm is {human_bytes(shm)} in {where}; DataLoader workers need far more.",
                fix=fix, fix_note=note, evidence=[f"resources.shm_size={shm}"])


@rule(code="ED0604", name="linux-nvidia-driver-inside-wsl",
      title="A Linux NVIDIA driver library is installed inside WSL 2", severity=Severity.ERROR,
      category=Category.WSL)
def linux_nvidia_driver_inside_wsl(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Under WSL 2, copies of `libcuda.so*` or `libnvidia-ml.so*` in the distribution's
    library directories that are not links to `/usr/lib/wsl/lib`.

    ## Why it matters
    In WSL 2 the Windows driver provides these libraries. A Linux driver package
    installed inside the distribution (often pulled in by a CUDA meta-package) puts real
    copies on the loader's path: CUDA then fails ("CUDA driver version is insufficient",
    "no CUDA-capable device") and nvidia-smi may break.

    ## How to fix
    Remove the package that owns those files (on Debian and Ubuntu the fix asks dpkg
    which one it is, so the NVIDIA Container Toolkit's `libnvidia-container*` stays), keep
    the CUDA toolkit without the driver (install `cuda-toolkit-X-Y`, not `cuda`), then
    run `sudo ldconfig`. Files no package owns came from NVIDIA's .run installer
    (`sudo nvidia-uninstall`) or were copied by hand.

    ## Example
    `/usr/lib/libnvidia-ml.so.1 hides the Windows driver's libraries in /usr/lib/wsl/lib.`

    ## References
    - https://docs.nvidia.com/cuda/wsl-user-guide/index.html#cuda-support-for-wsl-2
    """
    f = ctx.facts
    libs = f.nvidia.shadowing_libraries
    if not f.nvidia.wsl_driver_dir or not libs:
        return
    paths = " ".join(libs)
    note = ("Files no package owns came from NVIDIA's .run installer (sudo nvidia-uninstall) "
            "or were copied by hand. Keep CUDA toolkits installed as cuda-toolkit-X-Y "
            "(no driver).")
    if _family(f) & {"ubuntu", "debian"}:
        fix = [f"sudo apt-get remove --purge $(dpkg -S {paths} | cut -d: -f1 | sort -u)",
               "sudo ldconfig"]
    else:
        fix = []
        note = f"Find the package that owns them (rpm -qf {paths}), remove it, then run " \
               "sudo ldconfig. " + note
    yield Issue(f"{', '.join(libs)} {'hides' if len(libs) == 1 else 'hide'} the Windows "
                f"driver's libraries in {f.nvidia.wsl_driver_dir}.",
                fix=fix, fix_note=note,
                evidence=[f"nvidia.shadowing_libraries[{lib}]" for lib in libs])


@rule(code="ED0605", name="docker-socket-permission-denied",
      title="The user may not use the Docker socket", severity=Severity.WARNING,
      category=Category.PERMISSIONS)
def docker_socket_permission_denied(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The Docker engine's answer to envdoctor: permission denied on its socket.

    ## Why it matters
    Without access to the socket, `docker run` needs sudo, and tools that drive Docker
    (including `envdoctor dockerfile --build`) fail.

    ## How to fix
    Add the user to the `docker` group and log in again (that grants root-equivalent
    access), or use rootless Docker. A user already in the group only needs to log in
    again.

    ## Example
    `permission denied on the Docker socket`

    ## References
    - https://docs.docker.com/engine/install/linux-postinstall/
    - https://docs.docker.com/engine/security/rootless/
    """
    f = ctx.facts
    error = f.containers.docker_error or ""
    if "permission denied" not in error.lower():
        return
    user = f.user.name or "$USER"
    if "docker" in f.user.groups:
        yield Issue(f"{error} ({user} is in the docker group, but this session started "
                    "before being added.)",
                    fix_note="Log out and in again so the session gets the group.",
                    evidence=["containers.docker_error", "user.groups contains docker"])
        return
    yield Issue(error, fix=[f"sudo usermod -aG docker {user}"],
                fix_note="Log out and in again; docker group membership is root-equivalent "
                         "(rootless Docker avoids that).",
                evidence=["containers.docker_error"])


@rule(code="ED0606", name="wsl1-has-no-gpu",
      title="WSL 1 cannot use the GPU", severity=Severity.ERROR, category=Category.WSL)
def wsl1_has_no_gpu(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A distribution running under WSL 1.

    ## Why it matters
    GPU compute (CUDA, DirectML) in WSL needs WSL 2's virtual machine; WSL 1 translates
    system calls and has no GPU.

    ## How to fix
    Convert the distribution to WSL 2 from Windows.

    ## Example
    `Kernel 4.4.0-19041-Microsoft: this distribution runs under WSL 1, which has no GPU.`

    ## References
    - https://learn.microsoft.com/windows/wsl/install#upgrade-version-from-wsl-1-to-wsl-2
    """
    f = ctx.facts
    if f.platform.wsl == 1:
        distro = f.platform.wsl_distro or "<distribution>"
        yield Issue(f"Kernel {f.os.kernel or '?'}: this distribution runs under WSL 1, which has "
                    "no GPU.", fix=[f"wsl --set-version {distro} 2  # in Windows"],
                    evidence=["platform.wsl=1"])


@rule(code="ED0607", name="cdi-enabled-without-gpu-devices",
      title="Docker reads CDI specs, but none describes the NVIDIA GPUs",
      severity=Severity.INFO, category=Category.CONTAINER_GPU)
def cdi_enabled_without_gpu_devices(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A Docker engine with CDI spec directories on a host whose NVIDIA driver works and
    where the NVIDIA Container Toolkit is installed, while no CDI spec declares
    `nvidia.com/gpu` devices. Without the toolkit it stays quiet: ED0601 says to install
    it, and the spec is generated with the toolkit's `nvidia-ctk`.

    ## Why it matters
    `--device nvidia.com/gpu=all` fails with "unresolvable CDI devices" (`--gpus` through
    the nvidia runtime still works); after a driver upgrade a stale spec causes the same.

    ## How to fix
    Generate the spec (and regenerate it after each driver upgrade).

    ## Example
    `Docker reads CDI specs from /etc/cdi, /var/run/cdi; none declares nvidia.com/gpu.`

    ## References
    - https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html
    """
    f = ctx.facts
    c = f.containers
    if not (nvidia_works(f) and c.docker_cdi_spec_dirs) or f.platform.in_container:
        return
    if not _toolkit_installed(c):
        return  # ED0601: the toolkit itself is missing
    if any(d.startswith("nvidia.com/gpu") for d in c.cdi_devices):
        return
    spec_dir = "/etc/cdi" if "/etc/cdi" in c.docker_cdi_spec_dirs else c.docker_cdi_spec_dirs[0]
    yield Issue(f"Docker reads CDI specs from {', '.join(c.docker_cdi_spec_dirs)}; none declares "
                "nvidia.com/gpu.",
                fix=[f"sudo nvidia-ctk cdi generate --output={spec_dir}/nvidia.yaml"],
                fix_note="Regenerate it after each driver upgrade.",
                evidence=["containers.docker_cdi_spec_dirs", "containers.cdi_devices",
                          f"containers.nvidia_ctk_version={c.nvidia_ctk_version}"])


# --------------------------------------------------------------------------- ED0608

# How the engine, the NVIDIA Container Toolkit and CDI say a GPU request failed, most
# specific first. The patterns are the messages' stable parts; the engine wraps them in
# OCI runtime text that changes between Docker and runc versions.
_GPU_ERRORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("no-device-driver", re.compile(r'could not select device driver "[^"]*" with '
                                    r"capabilities: \[\[gpu\]\]")),
    ("unknown-runtime", re.compile(r"unknown or invalid runtime name: nvidia")),
    ("driver-not-loaded", re.compile(r"nvml error: driver not loaded")),
    ("version-mismatch", re.compile(r"driver/library version mismatch", re.IGNORECASE)),
    ("cdi-unresolvable", re.compile(r"unresolvable CDI devices? ([\w./-]+=[\w.,:-]+)")),
    ("requirement", re.compile(r"requirement error: unsatisfied condition: ([^,\\\n\"]+)")),
    ("library-missing", re.compile(r"load library failed: (libnvidia-ml\.so\.1)")),
)
_PATTERN = dict(_GPU_ERRORS)
_GPU_WORDS = re.compile(r"nvidia|\bgpus?\b|\bcdi\b", re.IGNORECASE)
_CLI_PHRASE = re.compile(r"((?:nvidia-container-cli|could not|unknown or invalid|"
                         r"unresolvable)[^\\\n]*)")


def gpu_error_kind(error: str) -> str | None:
    """Which known GPU-request failure an engine message is, ``"other"`` for another one
    that names NVIDIA, GPUs or CDI, ``None`` for a failure that is not about GPUs.

    ``check --container`` uses it to tell a GPU problem (a finding) from an image that
    cannot run at all (an error of the command).
    """
    for kind, pattern in _GPU_ERRORS:
        if pattern.search(error):
            return kind
    return "other" if _GPU_WORDS.search(error) else None


def _engine_phrase(error: str) -> str:
    """The part of an engine message a person needs.

    That is the toolkit's own sentence, without the layers of OCI runtime text and
    escaped quotes around it.
    """
    match = _CLI_PHRASE.search(error)
    text = match.group(1) if match else error.strip().splitlines()[0] if error.strip() else ""
    text = re.sub(r'(: unknown)?[."\s]*$', "", text.strip())
    return text if len(text) <= 300 else text[:299] + "…"


_GPU_NODE = re.compile(r"^/dev/(nvidia\d+|dxg)$")


@rule(code="ED0608", name="gpu-request-to-container-failed",
      title="A container started with every GPU requested did not get them",
      severity=Severity.ERROR, category=Category.CONTAINER_GPU)
def gpu_request_to_container_failed(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    What happened when `envdoctor check --container IMAGE` started the image with every
    GPU requested (as `docker run --gpus all IMAGE` does): the engine's refusal, read for
    the known causes (no NVIDIA Container Toolkit, an unregistered `nvidia` runtime, the
    host's driver not loaded or half-upgraded, a missing CDI spec, a driver older than the
    image's CUDA), or a container that started without any GPU device inside.

    ## Why it matters
    The same failure stops every GPU container this engine starts: `docker run --gpus
    all`, and Docker Compose services with GPU `deploy.resources.reservations.devices`.
    The engine's message names the component that failed, not the fix.

    ## How to fix
    It depends on the message. "could not select device driver" and "unknown or invalid
    runtime name: nvidia": install the NVIDIA Container Toolkit from NVIDIA's repository,
    register it with `sudo nvidia-ctk runtime configure --runtime=docker` and restart
    Docker. "driver not loaded": install or load the host's NVIDIA driver. "driver/library
    version mismatch": reboot after a driver upgrade. "unresolvable CDI devices": generate
    the CDI spec with `nvidia-ctk cdi generate`. "unsatisfied condition: cuda>=X": a newer
    driver, or an image built for an older CUDA.

    ## Example
    `Docker could not start envdoctor-cuda with --gpus all: could not select device driver
    "" with capabilities: [[gpu]] (Docker has no GPU device driver: the NVIDIA Container
    Toolkit is not installed or not registered with it).`

    ## References
    - https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html
    - https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/troubleshooting.html
    - https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html
    """
    f = ctx.facts
    request = f.containers.gpu_request
    if request is None:
        return
    if request.started:
        yield from _started_without_gpus(f, request)
        return
    error = request.error or ""
    kind = gpu_error_kind(error)
    if kind is None:
        return  # not a GPU failure (check --container reports those as its own errors)
    said = f"Docker could not start {request.image} with --gpus {request.requested}: " \
        f"{_engine_phrase(error)}"
    evidence = [f"containers.gpu_request.error={_engine_phrase(error)}"]
    fix, note, why = _gpu_error_fix(ctx, kind, error)
    if kind == "no-device-driver" and _no_nvidia_gpu_here(f):
        why = ("Docker has no GPU device driver, and this machine has no NVIDIA GPU on its "
               "PCI bus either: no container gets a GPU here")
        fix, note = [], ("Run the image on a machine with an NVIDIA GPU, or without --gpus "
                         "(on the CPU).")
        evidence.append("nvidia.pci_gpus=[]")
    yield Issue(f"{said} ({why}).", fix=fix, fix_note=note, evidence=evidence)


def _no_nvidia_gpu_here(f: Facts) -> bool:
    """The NVIDIA probe ran and found no NVIDIA GPU (not even on the PCI bus)."""
    record = f.probe("nvidia")
    probed = record is not None and record.status in (ProbeStatus.OK, ProbeStatus.ABSENT,
                                                      ProbeStatus.PARTIAL)
    return probed and not (f.nvidia.pci_gpus or f.nvidia.gpus or f.platform.wsl
                           or f.nvidia.wsl_driver_dir)


def _gpu_error_fix(ctx: Context, kind: str, error: str) -> tuple[list[str], str | None, str]:
    """(fix commands, note, what the message means) for a failed GPU request."""
    f = ctx.facts
    c = f.containers
    register = ["sudo nvidia-ctk runtime configure --runtime=docker",
                "sudo systemctl restart docker"]
    guide = ("NVIDIA's install guide lists the repositories and packages: "
             "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/"
             "install-guide.html")
    if kind in ("no-device-driver", "unknown-runtime"):
        what = ("Docker has no GPU device driver: the NVIDIA Container Toolkit is not "
                "installed or not registered with it" if kind == "no-device-driver" else
                "no runtime called nvidia is registered with this Docker engine")
        if _toolkit_installed(c):
            return register, ("The toolkit is installed; registering it adds the nvidia "
                              "runtime to /etc/docker/daemon.json. Rootless Docker reads "
                              "~/.config/docker/daemon.json instead (nvidia-ctk runtime "
                              "configure --runtime=docker --config=$HOME/.config/docker/"
                              "daemon.json)."), what
        fix = _toolkit_install(f)
        return fix, None if fix else guide, what
    if kind == "driver-not-loaded":
        what = "the host's NVIDIA kernel module is not loaded"
        return (["sudo modprobe nvidia", "nvidia-smi"],
                "If modprobe fails, the driver is missing or was built for another kernel: "
                "reinstall it (envdoctor check on the host names the package) and reboot.",
                what)
    if kind == "version-mismatch":
        return (["sudo reboot"],
                "The driver was upgraded but the old kernel module is still loaded. Without "
                "a reboot: stop every GPU process, then 'sudo rmmod nvidia_uvm nvidia_drm "
                "nvidia_modeset nvidia && sudo modprobe nvidia'.",
                "the host's NVIDIA kernel module and its user-space driver are different "
                "versions")
    if kind == "cdi-unresolvable":
        match = _PATTERN["cdi-unresolvable"].search(error)
        device = match.group(1) if match else "nvidia.com/gpu=all"
        return (["sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml",
                 "nvidia-ctk cdi list"],
                "Regenerate the spec after each driver upgrade (a stale spec names libraries "
                "that are gone).",
                f"no CDI spec on this machine declares {device}")
    if kind == "requirement":
        match = _PATTERN["requirement"].search(error)
        condition = match.group(1).strip() if match else "the image's CUDA"
        return ([],
                "Install a driver that supports it (envdoctor check on the host names one), "
                "or use an image built for an older CUDA. Images whose CUDA libraries can "
                "run on this driver (forward compatibility) start with "
                "-e NVIDIA_DISABLE_REQUIRE=true.",
                f"the host's driver is older than the image requires ({condition})")
    if kind == "library-missing":
        return ([], "Install the NVIDIA driver on the host (envdoctor check on the host names "
                    "the package); the toolkit mounts the host's driver libraries into the "
                    "container.",
                "the NVIDIA Container Toolkit finds no NVIDIA driver libraries on the host")
    return ([], "'docker run --rm --gpus all IMAGE nvidia-smi' shows the same failure; see "
                "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/"
                "troubleshooting.html",
            "the NVIDIA container stack refused the request")


def _started_without_gpus(f: Facts, request: GpuRequest) -> Iterator[Issue]:
    if "devices_seen" in request.unknown:
        return  # what ran inside failed: nothing is known about the devices
    if any(_GPU_NODE.match(d) for d in request.devices_seen) or request.gpus_seen:
        return
    env = f.env.variables.get("NVIDIA_VISIBLE_DEVICES") if f.platform.in_container else None
    seen = ", ".join(request.devices_seen) or "no /dev/nvidia* file"
    message = (f"{request.image} started with --gpus {request.requested}, but no GPU device "
               f"is inside ({seen}).")
    note = ("The engine accepted the request without passing a GPU: check that "
            "'docker run --rm --gpus all ubuntu nvidia-smi' lists the GPUs on the host, that "
            "the nvidia runtime is the one Docker uses for --gpus (docker info | grep -i "
            "runtime), and that the NVIDIA Container Toolkit's config "
            "(/etc/nvidia-container-runtime/config.toml) is not in CDI mode without a spec.")
    if env is not None and env.strip().lower() in ("void", "none", ""):
        message += f" The image sets NVIDIA_VISIBLE_DEVICES={env or '(empty)'}, which tells " \
            "the runtime to pass no GPU."
        note = "Remove that ENV from the image, or start it with -e NVIDIA_VISIBLE_DEVICES=all."
    yield Issue(message, fix_note=note,
                evidence=["containers.gpu_request.started=True",
                          f"containers.gpu_request.devices_seen={','.join(request.devices_seen)}"])
