"""ED06xx: containers, WSL and cloud."""

from __future__ import annotations

from collections.abc import Iterator

from envdoctor._util import human_bytes
from envdoctor.report import Severity
from envdoctor.rules._helpers import framework, has_nvidia, nvidia_works
from envdoctor.rules.base import Category, Context, Issue, rule

SHM_MINIMUM = 1 << 30
"""Below this, PyTorch DataLoader workers run out of shared memory quickly."""


def _toolkit_install(distro: str | None) -> list[str]:
    if distro in ("rhel", "rocky", "almalinux", "centos", "fedora", "amzn"):
        install = "sudo dnf install -y nvidia-container-toolkit"
    else:
        install = "sudo apt-get install -y nvidia-container-toolkit"
    return [install, "sudo nvidia-ctk runtime configure --runtime=docker",
            "sudo systemctl restart docker"]


@rule(code="ED0601", name="docker-cannot-give-containers-gpus",
      title="Docker runs here but nothing can give containers the NVIDIA GPUs",
      severity=Severity.WARNING, category=Category.CONTAINER_GPU)
def docker_cannot_give_containers_gpus(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    A host with NVIDIA GPUs and Docker, without the NVIDIA Container Toolkit
    (`nvidia-ctk`, the nvidia runtime or its hook) and without CDI devices for the GPUs.

    ## Why it matters
    `docker run --gpus all …` fails with 'could not select device driver "" with
    capabilities: [[gpu]]', and containers never see the GPUs.

    ## How to fix
    Install the NVIDIA Container Toolkit, register it with Docker, restart Docker.

    ## Example
    `Docker 24.0.0 knows the runtimes runc; no NVIDIA Container Toolkit, no CDI devices.`

    ## References
    - https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html
    """
    f = ctx.facts
    c = f.containers
    if not has_nvidia(f) or f.platform.in_container:
        return
    docker = c.docker_reachable or bool(c.daemon_json_runtimes) or c.docker_version
    if not docker:
        return
    runtimes = set(c.docker_runtimes) | set(c.daemon_json_runtimes)
    gpu_cdi = [d for d in c.cdi_devices if d.startswith("nvidia.com/gpu")]
    if "nvidia" in runtimes or c.nvidia_ctk_version or c.nvidia_container_runtime or gpu_cdi:
        return
    yield Issue(f"Docker {c.docker_version or ''} knows the runtimes "
                f"{', '.join(sorted(runtimes)) or 'none'}; the NVIDIA Container Toolkit is not "
                "installed and no CDI device names the GPUs.".replace("Docker  ", "Docker "),
                fix=_toolkit_install(f.os.distro_id),
                evidence=["containers.docker_runtimes", "containers.nvidia_ctk_version=None",
                          "containers.cdi_devices"])


@rule(code="ED0602", name="container-started-without-gpus",
      title="This container was started without the GPUs", severity=Severity.ERROR,
      category=Category.CONTAINER_GPU)
def container_started_without_gpus(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Inside a container: a CUDA build of a framework, or `NVIDIA_VISIBLE_DEVICES`, or the
    host's NVIDIA GPU visible in sysfs, while no `/dev/nvidia*` device and no driver
    library was passed in.

    ## Why it matters
    The image was made for GPUs but the container got none: the framework reports no
    CUDA device ("Found no NVIDIA driver on your system"). `NVIDIA_VISIBLE_DEVICES` in
    an image does nothing unless the NVIDIA runtime acts on it.

    ## How to fix
    Start the container with the GPUs: `docker run --gpus all …`, or with CDI
    `--device nvidia.com/gpu=all`; in Kubernetes, request `nvidia.com/gpu`.

    ## Example
    `torch 2.5.1 (CUDA 12.4) is installed and the host's GeForce RTX 4090 is on the bus,
    but no GPU device was passed into this container.`

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
    wants = [fw for fw in f.frameworks if fw.build == "cuda"]
    reasons = []
    if wants:
        reasons.append(f"{wants[0].distribution} {wants[0].version} is a CUDA build")
    if "NVIDIA_VISIBLE_DEVICES" in f.env.variables:
        reasons.append(f"NVIDIA_VISIBLE_DEVICES={f.env.variables['NVIDIA_VISIBLE_DEVICES']}")
    if f.nvidia.pci_gpus:
        reasons.append(f"the host's {f.nvidia.pci_gpus[0].name or 'NVIDIA GPU'} is on the bus")
    if not reasons:
        return
    yield Issue(f"{'; '.join(reasons)}; but no GPU device or driver library was passed into "
                "this container.", fix=["docker run --gpus all <image> …"],
                fix_note="With CDI: docker run --device nvidia.com/gpu=all …; in Kubernetes: "
                         "resources.limits nvidia.com/gpu: 1.",
                evidence=["containers.gpu_devices_in_container=[]",
                          "containers.driver_libraries_in_container=[]"])


@rule(code="ED0603", name="shared-memory-too-small-for-dataloader",
      title="/dev/shm is too small for PyTorch DataLoader workers",
      severity=Severity.WARNING, category=Category.CONTAINER_GPU)
def shared_memory_too_small_for_dataloader(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The size of `/dev/shm` in a container where torch is installed.

    ## Why it matters
    DataLoader workers pass batches through shared memory; Docker's default 64 MiB fills
    at once: "DataLoader worker (pid …) is killed by signal: Bus error", "unable to write
    to file </torch_…>: No space left on device".

    ## How to fix
    Start the container with more: `--shm-size=8g`, or `--ipc=host`.

    ## Example
    `/dev/shm is 64.0 MiB in this docker container.`

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
    yield Issue(f"/dev/shm is {human_bytes(shm)} in this {f.platform.container_runtime or ''} "
                "container; DataLoader workers need far more.".replace("this  ", "this "),
                fix=["docker run --shm-size=8g … (or --ipc=host)"],
                evidence=[f"resources.shm_size={shm}"])


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
    Remove the Linux driver packages inside WSL (keep the CUDA toolkit, without the
    driver: install `cuda-toolkit-X-Y`, not `cuda`), then run `sudo ldconfig`.

    ## Example
    `/usr/lib/libnvidia-ml.so.1 hides the Windows driver's copy in /usr/lib/wsl/lib.`

    ## References
    - https://docs.nvidia.com/cuda/wsl-user-guide/index.html#cuda-support-for-wsl-2
    """
    f = ctx.facts
    libs = f.nvidia.shadowing_libraries
    if not f.nvidia.wsl_driver_dir or not libs:
        return
    yield Issue(f"{', '.join(libs)} {'hides' if len(libs) == 1 else 'hide'} the Windows "
                f"driver's libraries in {f.nvidia.wsl_driver_dir}.",
                fix=["sudo apt-get remove --purge '^libnvidia-.*' '^nvidia-driver-.*'",
                     "sudo ldconfig"],
                fix_note="Keep CUDA toolkits installed as cuda-toolkit-X-Y (no driver).",
                evidence=[f"nvidia.shadowing_libraries[{lib}]" for lib in libs])


@rule(code="ED0605", name="docker-socket-permission-denied",
      title="The user may not use the Docker socket", severity=Severity.WARNING,
      category=Category.PERMISSIONS)
def docker_socket_permission_denied(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The Docker engine's answer to envdoctor.

    ## Why it matters
    Without access to the socket, `docker run` needs sudo, and tools that drive Docker
    (including `envdoctor dockerfile --build`) fail.

    ## How to fix
    Add the user to the `docker` group and log in again (that grants root-equivalent
    access), or use rootless Docker.

    ## Example
    `permission denied on the Docker socket`

    ## References
    - https://docs.docker.com/engine/install/linux-postinstall/
    """
    f = ctx.facts
    error = f.containers.docker_error or ""
    if "permission denied" in error.lower():
        yield Issue(error, fix=[f"sudo usermod -aG docker {f.user.name or '$USER'}"],
                    fix_note="Log out and in again; docker group membership is "
                             "root-equivalent.", evidence=["containers.docker_error"])


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
    `Kernel 4.4.0-19041-Microsoft: WSL 1.`

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
    A Docker engine with CDI spec directories on a host with NVIDIA GPUs, where no CDI
    spec declares `nvidia.com/gpu` devices.

    ## Why it matters
    `--device nvidia.com/gpu=all` fails with "unresolvable CDI devices"; after a driver
    upgrade a stale spec causes the same.

    ## How to fix
    Generate the spec (and regenerate it after each driver upgrade).

    ## Example
    `Docker reads /etc/cdi, /var/run/cdi; no spec declares nvidia.com/gpu.`

    ## References
    - https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html
    """
    f = ctx.facts
    c = f.containers
    if not (nvidia_works(f) and c.docker_cdi_spec_dirs) or f.platform.in_container:
        return
    if any(d.startswith("nvidia.com/gpu") for d in c.cdi_devices):
        return
    yield Issue(f"Docker reads CDI specs from {', '.join(c.docker_cdi_spec_dirs)}; none declares "
                "nvidia.com/gpu.",
                fix=["sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml"],
                evidence=["containers.docker_cdi_spec_dirs", "containers.cdi_devices"])
