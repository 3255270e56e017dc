"""ED0608: a container started with every GPU requested (``check --container``).

Every engine message here is a real one: the one the test session's own engine gives
(dockerd 20.10 without the NVIDIA Container Toolkit), or one copied from the public issue
named beside it (the engine's part, without the ``docker: Error response from daemon:``
the CLI puts in front).
"""

from __future__ import annotations

from typing import Any

from envdoctor.facts import Facts
from envdoctor.report import Severity
from envdoctor.rules.containers import gpu_error_kind
from tests.rules.builders import build, fires, quiet, run

GPU_HOST = "docker-host-no-nvidia-runtime"  # Ubuntu, 2x RTX A5000, Docker 17.06, runc only
CPU_HOST = "epyc7451-ubuntu2204-baremetal"  # Ubuntu, no GPU at all
IN_CONTAINER = "container-without-gpu"  # a CUDA image's own snapshot, no GPU passed in

# What this project's test engine says (and NVIDIA/nvidia-docker#1034, LlamaFactory#5268).
NO_DEVICE_DRIVER = 'could not select device driver "" with capabilities: [[gpu]]'
# https://github.com/infiniflow/ragflow/issues/9573 (compose: devices with driver: nvidia)
NO_DEVICE_DRIVER_NAMED = 'could not select device driver "nvidia" with capabilities: [[gpu]]'
# https://github.com/NVIDIA/nvidia-container-toolkit/issues/150
UNKNOWN_RUNTIME = "unknown or invalid runtime name: nvidia"
# https://github.com/NVIDIA/nvidia-container-toolkit/issues/260
DRIVER_NOT_LOADED = (
    "failed to create shim: OCI runtime create failed: container_linux.go:380: starting "
    "container process caused: process_linux.go:545: container init caused: Running hook "
    "#0:: error running hook: exit status 1, stdout: , stderr: nvidia-container-cli: "
    "initialization error: nvml error: driver not loaded: unknown")
# https://github.com/labdao/plex/issues/18
VERSION_MISMATCH = (
    "failed to create shim task: OCI runtime create failed: runc create failed: unable to "
    "start container process: error during container init: error running hook #0: error "
    "running hook: exit status 1, stdout: , stderr: Auto-detected mode as 'legacy'\n"
    "nvidia-container-cli: initialization error: nvml error: driver/library version "
    "mismatch: unknown")
# https://github.com/NVIDIA/nvidia-docker/issues/1451 (the older runc's escaped quoting)
VERSION_MISMATCH_2021 = (
    'OCI runtime create failed: container_linux.go:349: starting container process caused '
    '"process_linux.go:449: container init caused \\"process_linux.go:432: running prestart '
    'hook 1 caused \\\\\\"error running hook: exit status 1, stdout: , stderr: '
    'nvidia-container-cli: initialization error: nvml error: driver/library version '
    'mismatch\\\\\\\\n\\\\\\"\\"": unknown')
# https://github.com/NVIDIA/nvidia-container-toolkit/issues/146 (podman)
CDI_ALL = "error setting up CDI devices: unresolvable CDI devices nvidia.com/gpu=all"
# https://github.com/NVIDIA/nvidia-container-toolkit/issues/1239 (containerd, Kubernetes)
CDI_UUID = (
    "failed to create containerd task: failed to create shim task: OCI runtime create "
    "failed: could not apply required modification to OCI specification: error modifying "
    "OCI spec: failed to inject CDI devices: unresolvable CDI devices "
    "management.nvidia.com/gpu=GPU-e78e68c0-4e6a-737e-f9cc-4223fe50aead")
# https://github.com/SyneRBI/PETRIC2/issues/27
REQUIREMENT = (
    "failed to create task for container: failed to create shim task: OCI runtime create "
    "failed: runc create failed: unable to start container process: error during container "
    "init: error running prestart hook #0: exit status 1, stdout: , stderr: Auto-detected "
    "mode as 'legacy'\nnvidia-container-cli: requirement error: unsatisfied condition: "
    "cuda>=12.8, please update your driver to a newer version, or use an earlier cuda "
    "container")
# https://github.com/docker/for-win/issues/13835
NO_DRIVER_LIBRARY = (
    "nvidia-container-cli: initialization error: load library failed: libnvidia-ml.so.1: "
    "cannot open shared object file: no such file or directory: unknown")
# What the test engine says starting an image without /bin/sh (not a GPU problem).
NO_SHELL = ('OCI runtime create failed: container_linux.go:380: starting container process '
            'caused: exec: "/bin/sh": stat /bin/sh: no such file or directory: unknown')

TOOLKIT_INSTALL_UBUNTU = [
    "curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey | sudo gpg --dearmor -o "
    "/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg",
    "curl -s -L https://nvidia.github.io/libnvidia-container/stable/deb/"
    "nvidia-container-toolkit.list | sed 's#deb https://#deb [signed-by=/usr/share/keyrings/"
    "nvidia-container-toolkit-keyring.gpg] https://#g' | sudo tee "
    "/etc/apt/sources.list.d/nvidia-container-toolkit.list",
    "sudo apt-get update", "sudo apt-get install -y nvidia-container-toolkit",
    "sudo nvidia-ctk runtime configure --runtime=docker", "sudo systemctl restart docker"]
REGISTER = ["sudo nvidia-ctk runtime configure --runtime=docker",
            "sudo systemctl restart docker"]


def refused(base: str, error: str, **more: Any) -> Facts:
    """``base`` with a GPU request the engine refused with ``error``."""
    request = {"image": "envdoctor-cuda", "requested": "all", "started": False,
               "error": error, "probe": "envdoctor snapshot"}
    return build(base, {"containers.gpu_request": request, **more})


def started(base: str, devices: list[str], gpus: list[str] | None = None,
            **request: Any) -> Facts:
    """``base`` with a container that started with every GPU requested."""
    value = {"image": "envdoctor-cuda", "requested": "all", "started": True, "exit_code": 0,
             "probe": "envdoctor snapshot", "devices_seen": devices, "gpus_seen": gpus or [],
             **request}
    return build(base, {"containers.gpu_request": value})


# --------------------------------------------------------------------------- fires


def test_ED0608_fires_no_toolkit_with_the_engine_message_and_the_install() -> None:
    finding = fires("ED0608", refused(GPU_HOST, NO_DEVICE_DRIVER))
    assert finding.severity is Severity.ERROR
    assert finding.message == (
        'Docker could not start envdoctor-cuda with --gpus all: could not select device driver '
        '"" with capabilities: [[gpu]] (Docker has no GPU device driver: the NVIDIA Container '
        "Toolkit is not installed or not registered with it).")
    assert finding.fix == TOOLKIT_INSTALL_UBUNTU
    assert finding.evidence == [f"containers.gpu_request.error={NO_DEVICE_DRIVER}"]


def test_ED0608_fires_no_toolkit_named_driver_the_same_way() -> None:
    finding = fires("ED0608", refused(GPU_HOST, NO_DEVICE_DRIVER_NAMED))
    assert 'could not select device driver "nvidia"' in finding.message
    assert finding.fix == TOOLKIT_INSTALL_UBUNTU


def test_ED0608_fires_no_toolkit_only_registers_an_installed_toolkit() -> None:
    facts = refused(GPU_HOST, NO_DEVICE_DRIVER, **{"containers.nvidia_ctk_version": "1.17.8"})
    finding = fires("ED0608", facts)
    assert finding.fix == REGISTER
    assert "Rootless Docker reads ~/.config/docker/daemon.json" in (finding.fix_note or "")


def test_ED0608_fires_no_toolkit_on_a_machine_without_any_nvidia_gpu() -> None:
    finding = fires("ED0608", refused(CPU_HOST, NO_DEVICE_DRIVER))
    assert finding.message.endswith(
        "(Docker has no GPU device driver, and this machine has no NVIDIA GPU on its PCI bus "
        "either: no container gets a GPU here).")
    assert finding.fix == []  # installing the toolkit would not help
    assert finding.fix_note == ("Run the image on a machine with an NVIDIA GPU, or without "
                                "--gpus (on the CPU).")
    assert "nvidia.pci_gpus=[]" in finding.evidence


def test_ED0608_fires_no_toolkit_on_an_os_nvidia_has_no_repository_for() -> None:
    facts = refused(GPU_HOST, NO_DEVICE_DRIVER, **{"os.distro_id": "gentoo",
                                                   "os.distro_like": []})
    finding = fires("ED0608", facts)
    assert finding.fix == []
    assert "install-guide.html" in (finding.fix_note or "")


def test_ED0608_fires_unknown_nvidia_runtime() -> None:
    finding = fires("ED0608", refused(GPU_HOST, UNKNOWN_RUNTIME))
    assert finding.message == ("Docker could not start envdoctor-cuda with --gpus all: unknown "
                               "or invalid runtime name: nvidia (no runtime called nvidia is "
                               "registered with this Docker engine).")
    assert finding.fix == TOOLKIT_INSTALL_UBUNTU
    facts = refused(GPU_HOST, UNKNOWN_RUNTIME,
                    **{"containers.nvidia_container_runtime": "/usr/bin/nvidia-container-runtime"})
    assert fires("ED0608", facts).fix == REGISTER


def test_ED0608_fires_driver_not_loaded_names_the_toolkit_sentence() -> None:
    finding = fires("ED0608", refused(GPU_HOST, DRIVER_NOT_LOADED))
    assert finding.message == (
        "Docker could not start envdoctor-cuda with --gpus all: nvidia-container-cli: "
        "initialization error: nvml error: driver not loaded (the host's NVIDIA kernel module "
        "is not loaded).")
    assert finding.fix == ["sudo modprobe nvidia", "nvidia-smi"]
    assert "built for another kernel" in (finding.fix_note or "")


def test_ED0608_fires_driver_library_version_mismatch_in_both_quotings() -> None:
    for error in (VERSION_MISMATCH, VERSION_MISMATCH_2021):
        finding = fires("ED0608", refused(GPU_HOST, error))
        assert finding.message == (
            "Docker could not start envdoctor-cuda with --gpus all: nvidia-container-cli: "
            "initialization error: nvml error: driver/library version mismatch (the host's "
            "NVIDIA kernel module and its user-space driver are different versions).")
        assert finding.fix == ["sudo reboot"]
        assert "rmmod nvidia_uvm" in (finding.fix_note or "")


def test_ED0608_fires_unresolvable_cdi_device_names_it() -> None:
    finding = fires("ED0608", refused(GPU_HOST, CDI_ALL))
    assert finding.message.endswith(
        "unresolvable CDI devices nvidia.com/gpu=all (no CDI spec on this machine declares "
        "nvidia.com/gpu=all).")
    assert finding.fix == ["sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml",
                           "nvidia-ctk cdi list"]
    finding = fires("ED0608", refused(GPU_HOST, CDI_UUID))
    assert "declares management.nvidia.com/gpu=GPU-e78e68c0-4e6a-737e-f9cc-4223fe50aead)" \
        in finding.message


def test_ED0608_fires_driver_older_than_the_image_cuda() -> None:
    finding = fires("ED0608", refused(GPU_HOST, REQUIREMENT))
    assert finding.message.endswith(
        "(the host's driver is older than the image requires (cuda>=12.8)).")
    assert finding.fix == []
    assert "-e NVIDIA_DISABLE_REQUIRE=true" in (finding.fix_note or "")


def test_ED0608_fires_no_driver_library_on_the_host() -> None:
    finding = fires("ED0608", refused(GPU_HOST, NO_DRIVER_LIBRARY))
    assert "load library failed: libnvidia-ml.so.1" in finding.message
    assert "finds no NVIDIA driver libraries on the host" in finding.message


def test_ED0608_fires_started_but_no_gpu_device_inside() -> None:
    facts = started(IN_CONTAINER, ["/dev/nvidiactl"])
    finding = fires("ED0608", facts)
    assert finding.message == ("envdoctor-cuda started with --gpus all, but no GPU device is "
                               "inside (/dev/nvidiactl).")
    assert finding.fix == []
    assert "docker run --rm --gpus all ubuntu nvidia-smi" in (finding.fix_note or "")


def test_ED0608_fires_started_but_the_image_asks_for_no_gpu() -> None:
    facts = build(IN_CONTAINER, {
        "env.variables.NVIDIA_VISIBLE_DEVICES": "void",
        "containers.gpu_request": {"image": "app", "started": True, "exit_code": 0,
                                   "probe": "shell"}})
    finding = fires("ED0608", facts)
    assert finding.message == ("app started with --gpus all, but no GPU device is inside (no "
                               "/dev/nvidia* file). The image sets NVIDIA_VISIBLE_DEVICES=void, "
                               "which tells the runtime to pass no GPU.")
    assert finding.fix_note == ("Remove that ENV from the image, or start it with "
                                "-e NVIDIA_VISIBLE_DEVICES=all.")


# --------------------------------------------------------------------------- quiet


def test_ED0608_quiet_without_a_gpu_request() -> None:
    quiet("ED0608", build(GPU_HOST))
    quiet("ED0608", build(IN_CONTAINER))


def test_ED0608_quiet_when_the_container_got_its_gpus() -> None:
    quiet("ED0608", started(IN_CONTAINER, ["/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl"],
                            ["GPU 0: NVIDIA RTX A5000", "GPU 1: NVIDIA RTX A5000"]))
    quiet("ED0608", started(IN_CONTAINER, ["/dev/dxg"]))  # WSL 2 passes /dev/dxg


def test_ED0608_quiet_when_what_ran_inside_could_not_tell() -> None:
    facts = started(IN_CONTAINER, [], exit_code=2,
                    unknown={"devices_seen": "envdoctor snapshot exited with 2"})
    quiet("ED0608", facts)


def test_ED0608_quiet_for_a_start_failure_that_is_not_about_gpus() -> None:
    quiet("ED0608", refused(GPU_HOST, NO_SHELL))


# --------------------------------------------------------------------------- neighbours


def test_gpu_errors_are_told_from_other_start_failures() -> None:
    assert gpu_error_kind(NO_DEVICE_DRIVER) == "no-device-driver"
    assert gpu_error_kind(UNKNOWN_RUNTIME) == "unknown-runtime"
    assert gpu_error_kind(DRIVER_NOT_LOADED) == "driver-not-loaded"
    assert gpu_error_kind(VERSION_MISMATCH_2021) == "version-mismatch"
    assert gpu_error_kind(CDI_UUID) == "cdi-unresolvable"
    assert gpu_error_kind(REQUIREMENT) == "requirement"
    assert gpu_error_kind(NO_DRIVER_LIBRARY) == "library-missing"
    assert gpu_error_kind("nvidia-container-cli: mount error: file creation failed") == "other"
    assert gpu_error_kind(NO_SHELL) is None


def test_the_failed_request_replaces_ed0601_and_ed0602() -> None:
    # Both would otherwise say the same thing again, without the engine's words.
    assert run("ED0601", build(GPU_HOST))  # the host as recorded: no toolkit
    assert not run("ED0601", refused(GPU_HOST, NO_DEVICE_DRIVER))
    assert run("ED0602", build(IN_CONTAINER))
    assert not run("ED0602", started(IN_CONTAINER, []))
