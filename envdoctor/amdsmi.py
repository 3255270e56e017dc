"""The AMD SMI adapter: the one place envdoctor talks to AMD's ``amdsmi`` Python library.

``amdsmi`` ships with ROCm (``/opt/rocm/share/amd_smi``) and on PyPI. Its import is
hostile on a machine without ROCm: it prints to standard output and raises ``KeyError``
rather than ``ImportError``. So it is imported only when ROCm is present, with standard
output and error captured, any exception turned into a reason, in a worker thread with a
timeout. When the library is not there, the ROCm probe falls back to the ``amd-smi`` and
``rocm-smi`` commands through the host's runner.
"""

from __future__ import annotations

import contextlib
import io
import threading
from pathlib import Path
from typing import Any, Protocol


class AmdSmiReport:
    """What amdsmi said about each GPU, or why it could not be asked.

    ``gpus`` holds, per GPU, ``name``, ``gfx``, ``device_id``, ``pci_address`` and
    ``memory_mib``.
    """

    # A plain class: a dataclass costs about half a millisecond to create at import, and
    # `envdoctor check` pays every import on every run.
    __slots__ = ("error", "gpus")

    def __init__(self, gpus: list[dict[str, Any]] | None = None,
                 error: str | None = None) -> None:
        self.gpus: list[dict[str, Any]] = gpus if gpus is not None else []
        self.error = error


class AmdSmiAdapter(Protocol):
    """Asks AMD SMI about every GPU."""

    def query(self, timeout: float) -> AmdSmiReport:
        """Return amdsmi's view; never raise, never run past ``timeout``."""
        ...


class NoAmdSmi:
    """AMD SMI is not asked (``--root``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def query(self, timeout: float) -> AmdSmiReport:
        """Return the reason it was not asked."""
        return AmdSmiReport(error=self.reason)


class RecordedAmdSmi:
    """A recorded host: its AMD facts come from recorded ``amd-smi``/``rocm-smi`` outputs."""

    def __init__(self, commands_dir: Path) -> None:
        self.commands_dir = commands_dir

    def query(self, timeout: float) -> AmdSmiReport:
        """The Python library was not recorded; the probe uses the recorded commands."""
        return AmdSmiReport(error="amdsmi Python library not available")


class LiveAmdSmi:
    """The running machine's amdsmi library, imported with care."""

    def query(self, timeout: float) -> AmdSmiReport:
        """Query amdsmi in a worker thread; abandon it after ``timeout``."""
        box: list[AmdSmiReport] = []
        worker = threading.Thread(target=lambda: box.append(_query()), daemon=True,
                                  name="envdoctor-amdsmi")
        worker.start()
        worker.join(timeout)
        return box[0] if box else AmdSmiReport(
            error=f"amdsmi did not answer within {timeout:.1f} s")


def _query() -> AmdSmiReport:
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            import amdsmi  # noqa: PLC0415 - only on ROCm machines
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return AmdSmiReport(error=f"amdsmi Python library not available ({type(exc).__name__})")
    try:
        with contextlib.redirect_stdout(sink):
            amdsmi.amdsmi_init()
    except Exception as exc:
        return AmdSmiReport(error=f"amdsmi_init failed: {exc}")
    report = AmdSmiReport()
    try:
        for handle in amdsmi.amdsmi_get_processor_handles():
            report.gpus.append(_gpu(amdsmi, handle))
    except Exception as exc:
        report.error = f"amdsmi: {exc}"
    finally:
        with contextlib.suppress(Exception):
            amdsmi.amdsmi_shut_down()
    return report


def _gpu(amdsmi: Any, handle: Any) -> dict[str, Any]:  # noqa: ANN401 - module and handle
    info: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        asic = amdsmi.amdsmi_get_gpu_asic_info(handle)
        info["name"] = asic.get("market_name")
        info["gfx"] = asic.get("target_graphics_version")
        device = asic.get("device_id")
        info["device_id"] = f"{int(device, 16):04x}" if isinstance(device, str) else (
            f"{device:04x}" if isinstance(device, int) else None)
    with contextlib.suppress(Exception):
        info["pci_address"] = amdsmi.amdsmi_get_gpu_device_bdf(handle)
    with contextlib.suppress(Exception):
        vram = amdsmi.amdsmi_get_gpu_vram_info(handle)
        info["memory_mib"] = int(vram.get("vram_size"))
    return info
