"""GPUs on the PCI bus, from sysfs: seen even when no driver is bound.

Each device directory's ``uevent`` holds the vendor and device ids, the class and the
bound driver in one small read (``PCI_ID=10DE:2684``, ``PCI_CLASS=30000``,
``DRIVER=nvidia``). Names and architectures come from the knowledge base's PCI id table,
so a GPU is named under ``--root`` or with a broken driver.
"""

from __future__ import annotations

from envdoctor.facts import PciGpu
from envdoctor.probes.base import ProbeContext

PCI_DEVICES = "/sys/bus/pci/devices"
VENDORS = {"10de": "nvidia", "1002": "amd"}
_DISPLAY_CLASS = 0x03  # PCI base class "display controller" (VGA 0300, 3D 0302, other 0380)


def scan(ctx: ProbeContext) -> list[PciGpu]:
    """Every NVIDIA and AMD display-class PCI function, in bus order.

    The result is cached in the probe context, as the NVIDIA and AMD probes both need it.
    """
    cached = ctx.cache.get("pci-gpus")
    if cached is not None:
        return list(cached)
    gpus: list[PciGpu] = []
    addresses = ctx.host.listdir(PCI_DEVICES)
    if addresses:
        ctx.sources.append(PCI_DEVICES)
    for address in addresses:
        fields = _device_fields(ctx, f"{PCI_DEVICES}/{address}")
        if fields is None:
            continue
        vendor_id, device_id, pci_class, driver, subsystem = fields
        vendor = VENDORS.get(vendor_id)
        if vendor is None or pci_class >> 16 != _DISPLAY_CLASS:
            continue
        gpus.append(_named(PciGpu(address=address, vendor=vendor, device_id=device_id,
                                  driver=driver, subsystem=subsystem), vendor_id))
    ctx.cache["pci-gpus"] = tuple(gpus)
    return gpus


def _device_fields(
    ctx: ProbeContext, directory: str,
) -> tuple[str, str, int, str | None, str | None] | None:
    """Vendor id, device id, class, bound driver and subsystem of one PCI function."""
    uevent = ctx.host.read_text_or_none(f"{directory}/uevent", limit=4096)
    if uevent:
        values = dict(line.split("=", 1) for line in uevent.splitlines() if "=" in line)
        vendor_id, _, device_id = values.get("PCI_ID", "").lower().partition(":")
        try:
            pci_class = int(values.get("PCI_CLASS", ""), 16)
        except ValueError:
            return None
        subsystem = values.get("PCI_SUBSYS_ID", "").lower() or None
        return vendor_id, device_id, pci_class, values.get("DRIVER") or None, subsystem
    # No uevent (a tree copied without it): the single-value files and the driver link.
    vendor = ctx.host.read_text_or_none(f"{directory}/vendor", limit=64)
    device = ctx.host.read_text_or_none(f"{directory}/device", limit=64)
    klass = ctx.host.read_text_or_none(f"{directory}/class", limit=64)
    if not (vendor and device and klass):
        return None
    try:
        pci_class = int(klass.strip(), 16)
    except ValueError:
        return None
    link = ctx.host.readlink(f"{directory}/driver")
    driver = link.rstrip("/").rsplit("/", 1)[-1] if link else None
    return (vendor.strip().lower().removeprefix("0x"), device.strip().lower().removeprefix("0x"),
            pci_class, driver, None)


def _named(gpu: PciGpu, vendor_id: str) -> PciGpu:
    from dataclasses import replace  # noqa: PLC0415 - only when a GPU is present

    from envdoctor import knowledge  # noqa: PLC0415 - the table loads only when needed

    entry = knowledge.pci_device(vendor_id, gpu.device_id)
    if entry is None:
        return gpu
    return replace(gpu, name=entry.get("name"), chip=entry.get("chip"),
                   architecture=entry.get("arch"),
                   compute_capability=entry.get("compute_capability"), gfx=entry.get("gfx"))
