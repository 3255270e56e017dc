"""The NVML adapter: the one place envdoctor talks to NVIDIA's management library.

NVML (through ``pynvml``, from the ``nvidia-ml-py`` distribution) is the richest and
cheapest source of GPU facts when the driver works. It is imported only when a probe asks
for it, initialised in a worker thread so that a wedged driver cannot hang ``check``
past its timeout, and every NVML error becomes a string in the result, never an
exception. Recorded hosts use :class:`RecordedNvml`; ``--root`` uses :class:`NoNvml`.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from envdoctor.facts import MigDevice, NvidiaGpu

_COMPUTE_MODES = {0: "Default", 1: "Exclusive_Thread", 2: "Prohibited", 3: "Exclusive_Process"}


class NvmlReport:
    """What NVML said, or why it could not say anything."""

    # A plain class: a dataclass costs about half a millisecond to create at import, and
    # `envdoctor check` pays every import on every run.
    __slots__ = ("cuda_driver_version", "driver_version", "error", "gpus")

    def __init__(self, driver_version: str | None = None, cuda_driver_version: str | None = None,
                 gpus: list[NvidiaGpu] | None = None, error: str | None = None) -> None:
        self.driver_version = driver_version
        self.cuda_driver_version = cuda_driver_version
        self.gpus: list[NvidiaGpu] = gpus if gpus is not None else []
        self.error = error


class NvmlAdapter(Protocol):
    """Asks NVML about the driver and every GPU."""

    def query(self, timeout: float) -> NvmlReport:
        """Return NVML's view; never raise, never run past ``timeout``."""
        ...


class NoNvml:
    """NVML is not asked (``--root``: the running machine's driver is not the image's)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def query(self, timeout: float) -> NvmlReport:
        """Return the reason NVML was not asked."""
        return NvmlReport(error=self.reason)


class RecordedNvml:
    """NVML answers recorded on a real machine (``nvml.json`` of a test host).

    The file holds ``{"error": "..."}`` for a machine where NVML failed (the text of the
    NVMLError, as pynvml prints it); a host without the file had no NVML to ask.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def query(self, timeout: float) -> NvmlReport:
        """Return the recorded answer."""
        if not self.path.exists():
            return NvmlReport(error="NVML Shared Library Not Found")
        data = json.loads(self.path.read_text())
        return NvmlReport(driver_version=data.get("driver_version"),
                          cuda_driver_version=data.get("cuda_driver_version"),
                          error=data.get("error"))


class LiveNvml:
    """The real NVML of the running machine, through pynvml."""

    def query(self, timeout: float) -> NvmlReport:
        """Query NVML in a worker thread; a call that does not return in time is abandoned."""
        box: list[NvmlReport] = []
        worker = threading.Thread(target=lambda: box.append(_query_nvml()), daemon=True,
                                  name="envdoctor-nvml")
        worker.start()
        worker.join(timeout)
        if not box:
            return NvmlReport(error=f"NVML did not answer within {timeout:.1f} s "
                                    "(the driver may be hung)")
        return box[0]


def _query_nvml() -> NvmlReport:
    try:
        import pynvml  # noqa: PLC0415 - loaded only when an NVIDIA GPU or driver is present
    except Exception as exc:
        return NvmlReport(error=f"pynvml cannot be imported: {exc}")
    try:
        pynvml.nvmlInit()
    except Exception as exc:
        return NvmlReport(error=_nvml_message(exc))
    try:
        report = NvmlReport()
        report.driver_version = _text(_call(pynvml.nvmlSystemGetDriverVersion))
        cuda = _call(pynvml.nvmlSystemGetCudaDriverVersion)
        if isinstance(cuda, int) and cuda > 0:
            report.cuda_driver_version = f"{cuda // 1000}.{cuda % 1000 // 10}"
        count = _call(pynvml.nvmlDeviceGetCount)
        if count is None:
            report.error = "NVML could not count the GPUs"
            return report
        for index in range(count):
            try:
                handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            except Exception as exc:
                report.gpus.append(NvidiaGpu(index=index, source="nvml"))
                report.error = f"GPU {index}: {_nvml_message(exc)}"
                continue
            report.gpus.append(_gpu(pynvml, index, handle))
        return report
    finally:
        with contextlib.suppress(Exception):  # shutting down is best effort
            pynvml.nvmlShutdown()


def _nvml_message(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text


def _call(fn: Callable[..., Any], *args: Any) -> Any:  # noqa: ANN401 - NVML returns many types
    """Call an NVML function; ``None`` when the GPU does not support it or it fails."""
    try:
        return fn(*args)
    except Exception:
        return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _gpu(pynvml: Any, index: int, handle: Any) -> NvidiaGpu:  # noqa: ANN401 - module/handle
    cc = _call(pynvml.nvmlDeviceGetCudaComputeCapability, handle)
    mig = _call(pynvml.nvmlDeviceGetMigMode, handle)
    memory = _call(pynvml.nvmlDeviceGetMemoryInfo, handle)
    pci = _call(pynvml.nvmlDeviceGetPciInfo, handle)
    ecc = _call(pynvml.nvmlDeviceGetEccMode, handle)
    pending = _call(pynvml.nvmlDeviceGetRetiredPagesPendingStatus, handle)
    remapped = _call(pynvml.nvmlDeviceGetRemappedRows, handle)
    power = _call(pynvml.nvmlDeviceGetPowerUsage, handle)
    limit = _call(pynvml.nvmlDeviceGetEnforcedPowerLimit, handle)
    mode = _call(pynvml.nvmlDeviceGetComputeMode, handle)
    persistence = _call(pynvml.nvmlDeviceGetPersistenceMode, handle)
    mig_devices: list[MigDevice] = []
    if mig and mig[0] == 1:
        mig_devices = _mig_devices(pynvml, handle)
    retired_pending = None
    if pending is not None:
        retired_pending = bool(pending)
    if remapped is not None and len(remapped) >= 3:
        retired_pending = bool(retired_pending) or bool(remapped[2])
    pci_device = None
    if pci is not None and getattr(pci, "pciDeviceId", None):
        pci_device = f"{pci.pciDeviceId >> 16:04x}"
    return NvidiaGpu(
        index=index,
        name=_text(_call(pynvml.nvmlDeviceGetName, handle)),
        uuid=_text(_call(pynvml.nvmlDeviceGetUUID, handle)),
        serial=_text(_call(pynvml.nvmlDeviceGetSerial, handle)),
        pci_bus_id=_text(getattr(pci, "busId", None)) if pci is not None else None,
        pci_device_id=pci_device,
        memory_total_mib=memory.total // (1 << 20) if memory is not None else None,
        compute_capability=f"{cc[0]}.{cc[1]}" if cc else None,
        mig_mode=None if mig is None else ("Enabled" if mig[0] == 1 else "Disabled"),
        mig_pending=None if mig is None or mig[0] == mig[1] else (
            "Enabled" if mig[1] == 1 else "Disabled"),
        mig_devices=mig_devices,
        persistence_mode=None if persistence is None else bool(persistence),
        compute_mode=_COMPUTE_MODES.get(mode) if mode is not None else None,
        ecc_mode=None if ecc is None else bool(ecc[0]),
        retired_pages_pending=retired_pending,
        power_draw_w=power / 1000 if power is not None else None,
        power_limit_w=limit / 1000 if limit is not None else None,
        sm_clock_mhz=_call(pynvml.nvmlDeviceGetClockInfo, handle, pynvml.NVML_CLOCK_SM),
        sm_clock_max_mhz=_call(pynvml.nvmlDeviceGetMaxClockInfo, handle, pynvml.NVML_CLOCK_SM),
        temperature_c=_call(pynvml.nvmlDeviceGetTemperature, handle,
                            pynvml.NVML_TEMPERATURE_GPU),
        source="nvml",
    )


def _mig_devices(pynvml: Any, handle: Any) -> list[MigDevice]:  # noqa: ANN401
    found = []
    count = _call(pynvml.nvmlDeviceGetMaxMigDeviceCount, handle) or 0
    for i in range(count):
        mig = _call(pynvml.nvmlDeviceGetMigDeviceHandleByIndex, handle, i)
        if mig is None:
            continue
        memory = _call(pynvml.nvmlDeviceGetMemoryInfo, mig)
        attrs = _call(pynvml.nvmlDeviceGetAttributes, mig)
        found.append(MigDevice(
            gpu_instance=_call(pynvml.nvmlDeviceGetGpuInstanceId, mig),
            compute_instance=_call(pynvml.nvmlDeviceGetComputeInstanceId, mig),
            uuid=_text(_call(pynvml.nvmlDeviceGetUUID, mig)),
            memory_mib=memory.total // (1 << 20) if memory is not None else None,
            multiprocessor_count=getattr(attrs, "multiprocessorCount", None),
        ))
    return found
