"""AMD GPUs, the amdgpu driver and ROCm.

The KFD topology in sysfs is what the ROCm runtime itself enumerates: each GPU node's
``properties`` gives its ``gfx_target_version`` (90402 → gfx942), PCI location and
compute units. The ROCm version comes from ``/opt/rocm*/.info/version`` (or
``/opt/rocm/core/.info/version`` in TheRock builds). amd-smi/rocm-smi add product names
when present; they are run only when an AMD GPU is there.
"""

from __future__ import annotations

import json
import re

from envdoctor._util import lazy_re
from envdoctor.facts import AmdGpu, PciGpu, ProbeStatus, RocmFacts
from envdoctor.probes import pci
from envdoctor.probes.base import ProbeContext
from envdoctor.probes.nvidia import device_node

KFD_NODES = "/sys/class/kfd/kfd/topology/nodes"
_VERSION = lazy_re(r"^(\d+\.\d+(?:\.\d+)?)")


def probe(ctx: ProbeContext) -> RocmFacts:
    """Describe AMD GPUs, the amdgpu driver and ROCm."""
    host = ctx.host
    pci_gpus = [g for g in pci.scan(ctx) if g.vendor == "amd"]
    kfd = _kfd_gpus(ctx)
    rocm_path, rocm_version, installations = _rocm(ctx)
    override = host.env.get("HSA_OVERRIDE_GFX_VERSION")
    if not (pci_gpus or kfd or rocm_path):
        ctx.status = ProbeStatus.ABSENT
        ctx.detail = "no AMD GPU on the PCI bus and no ROCm installation"
        return RocmFacts(hsa_override_gfx_version=override)
    amdgpu = host.exists("/sys/module/amdgpu") if host.live else None
    nodes = [device_node(ctx, "/dev/kfd")] if host.exists("/dev/kfd") else []
    nodes += [device_node(ctx, f"/dev/dri/{n}") for n in ctx.listdir("/dev/dri")
              if n.startswith("renderD")]
    nodes += [device_node(ctx, p) for p in sorted(host.stats)
              if (p == "/dev/kfd" or p.startswith("/dev/dri/renderD"))
              and p not in {n.path for n in nodes}]
    gpus, smi_tool, smi_error = _merge_smi(ctx, kfd, pci_gpus) if (kfd or pci_gpus) else (
        kfd, None, None)
    unknown: dict[str, str] = {}
    if rocm_version is None and rocm_path:
        unknown["rocm_version"] = f"{rocm_path} has no .info/version"
    elif rocm_path is None:
        unknown["rocm_version"] = "no /opt/rocm* installation and no ROCM_PATH"
    if pci_gpus and not kfd and host.live:
        unknown["gpus"] = ("AMD GPU on the PCI bus but no KFD topology in sysfs: amdgpu is not "
                           "loaded, or this kernel does not expose compute for it")
    return RocmFacts(
        pci_gpus=pci_gpus,
        amdgpu_loaded=amdgpu,
        gpus=gpus,
        device_nodes=sorted(nodes, key=lambda n: n.path),
        rocm_version=rocm_version,
        rocm_path=rocm_path,
        rocm_installations=installations,
        hip_version=_hip_version(ctx, rocm_path) if rocm_path else None,
        hsa_override_gfx_version=override,
        smi_tool=smi_tool,
        smi_error=smi_error,
        unknown=unknown,
    )


def gfx_name(target_version: int) -> str | None:
    """KFD's ``gfx_target_version`` (major*10000 + minor*100 + stepping) → ``gfx942``.

    Minor and stepping print as hex digits, as LLVM names targets: 90010 → ``gfx90a``,
    100300 → ``gfx1030``, 110000 → ``gfx1100``.
    """
    if target_version <= 0:
        return None
    major, rest = divmod(target_version, 10000)
    minor, stepping = divmod(rest, 100)
    return f"gfx{major}{minor:x}{stepping:x}"


def parse_kfd_properties(text: str) -> dict[str, int]:
    """Parse a KFD node's ``properties`` file (``key value`` lines of integers)."""
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            values[parts[0]] = int(parts[1])
    return values


def _kfd_gpus(ctx: ProbeContext) -> list[AmdGpu]:
    gpus = []
    for node in sorted(ctx.listdir(KFD_NODES), key=lambda n: int(n) if n.isdigit() else 0):
        props = parse_kfd_properties(ctx.read(f"{KFD_NODES}/{node}/properties") or "")
        if props.get("simd_count", 0) <= 0:
            continue  # a CPU node
        name = (ctx.read(f"{KFD_NODES}/{node}/name") or "").strip() or None
        gfx = gfx_name(props.get("gfx_target_version", 0))
        if gfx is None and name and name.startswith("gfx"):
            gfx = name  # older kernels: no gfx_target_version, the node name is the target
        memory = None
        bank = ctx.read(f"{KFD_NODES}/{node}/mem_banks/0/properties")
        if bank:
            size = parse_kfd_properties(bank).get("size_in_bytes")
            memory = size // (1 << 20) if size else None
        location = props.get("location_id")
        address = None
        if location:
            bus, devfn = divmod(location, 256)
            address = f"{props.get('domain', 0):04x}:{bus:02x}:{devfn >> 3:02x}.{devfn & 7:x}"
        simd_per_cu = props.get("simd_per_cu") or 0
        gpus.append(AmdGpu(
            node=int(node) if node.isdigit() else None,
            gfx=gfx,
            pci_address=address,
            device_id=f"{props['device_id']:04x}" if props.get("device_id") else None,
            memory_mib=memory,
            compute_units=props["simd_count"] // simd_per_cu if simd_per_cu else None,
            source="kfd",
        ))
    return gpus


def _rocm(ctx: ProbeContext) -> tuple[str | None, str | None, list[str]]:
    host = ctx.host
    installs = sorted(f"/opt/{n}" for n in ctx.listdir("/opt") if n.startswith("rocm-"))
    path = host.env.get("ROCM_PATH") or ("/opt/rocm" if host.exists("/opt/rocm") else None)
    if path is None and installs:
        path = installs[-1]
    if path is None:
        return None, None, installs
    for info in (f"{path}/.info/version", f"{path}/core/.info/version",
                 f"{path}/.info/version-dev"):
        text = ctx.read(info, limit=256)
        if text:
            m = _VERSION.match(text.strip())
            if m:
                return path, m.group(1), installs
    real = host.realpath(path)
    m = re.search(r"/rocm-(\d+\.\d+(?:\.\d+)?)$", real)
    return path, (m.group(1) if m else None), installs


def _hip_version(ctx: ProbeContext, rocm_path: str) -> str | None:
    # hipconfig reads bin/.hipVersion (HIP_VERSION_MAJOR=6 …); read it instead of running perl.
    text = ctx.read(f"{rocm_path}/bin/.hipVersion", limit=4096)
    if not text:
        return None
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    parts = [values.get(k, "").strip() for k in ("HIP_VERSION_MAJOR", "HIP_VERSION_MINOR",
                                                  "HIP_VERSION_PATCH")]
    return ".".join(p for p in parts if p) or None


def _merge_smi(
    ctx: ProbeContext, kfd: list[AmdGpu], pci_gpus: list[PciGpu],
) -> tuple[list[AmdGpu], str | None, str | None]:
    """Add names (and, without KFD, the GPUs themselves) from amdsmi or rocm-smi."""
    from dataclasses import replace  # noqa: PLC0415

    cards: list[dict[str, str]] = []
    tool = None
    error = None
    if ctx.host.can_run:
        assert ctx.host.amdsmi is not None  # noqa: S101 - set by Host
        report = ctx.host.amdsmi.query(ctx.host.timeout)
        if report.gpus:
            tool = "amdsmi"
            cards = [{k: str(v) for k, v in g.items() if v is not None} for g in report.gpus]
        else:
            result = ctx.run(SMI_COMMAND)
            if result.ok:
                tool = "rocm-smi"
                cards = parse_rocm_smi_cards(result.stdout)
                if not cards:
                    ctx.problems.append("rocm-smi printed no cards it could read")
            elif not result.not_found:
                error = result.describe()
    by_pci = {c["pci_address"]: c for c in cards if c.get("pci_address")}
    by_address = {p.address.lower(): p for p in pci_gpus}
    merged = []
    for i, gpu in enumerate(kfd):
        address = (gpu.pci_address or "").lower()
        card = by_pci.get(address) or (cards[i] if i < len(cards) and not by_pci else {})
        pci_gpu = by_address.get(address)
        name = card.get("name") or (pci_gpu.name if pci_gpu else None) or _pci_name(gpu)
        merged.append(replace(gpu, name=name))
    if not kfd and cards:
        for card in cards:
            pci_gpu = by_address.get(card.get("pci_address", ""))
            memory = card.get("memory_mib")
            merged.append(AmdGpu(name=card.get("name") or (pci_gpu.name if pci_gpu else None),
                                 gfx=card.get("gfx") or (pci_gpu.gfx if pci_gpu else None),
                                 pci_address=card.get("pci_address"),
                                 device_id=card.get("device_id"),
                                 memory_mib=int(memory) if memory else None, source=tool))
    elif not kfd:
        merged = [AmdGpu(name=p.name, gfx=p.gfx, pci_address=p.address, device_id=p.device_id,
                         source="pci") for p in pci_gpus]
    return merged, tool, error


def _pci_name(gpu: AmdGpu) -> str | None:
    """The PCI id table's name for a KFD node's device id."""
    if not gpu.device_id:
        return None
    from envdoctor import knowledge  # noqa: PLC0415

    entry = knowledge.pci_device("1002", gpu.device_id)
    return entry.get("name") if entry else None


SMI_COMMAND = ["rocm-smi", "--showproductname", "--showbus", "--json"]
"""What the probe asks rocm-smi (product names and PCI addresses, as JSON)."""
_GFX_DECIMAL_STEPPING = lazy_re(r"^gfx(\d)(\d)(1[0-5])$")
_HEX_ID = lazy_re(r"^0x([0-9a-f]{1,4})$", re.IGNORECASE)


def normalize_gfx(value: str) -> str | None:
    """``gfx90a``; also repairs rocm-smi's ``gfx9010`` (stepping 10 printed in decimal)."""
    value = value.strip().lower()
    m = _GFX_DECIMAL_STEPPING.match(value)
    if m:
        return f"gfx{m.group(1)}{m.group(2)}{int(m.group(3)):x}"
    return value if re.fullmatch(r"gfx[0-9a-f]{3,4}", value) else None


def parse_rocm_smi_cards(text: str) -> list[dict[str, str]]:
    """Per card of ``rocm-smi --json`` output: name, gfx, pci_address, device_id, memory_mib.

    Field names changed across ROCm releases ("Card series" → "Card Series", "Device
    Name"); rocm-smi 4.x printed the vendor id where the name belongs ("0x1002").
    """
    cards = []
    for values in parse_rocm_smi_json(text).values():
        card: dict[str, str] = {}
        for key in ("Device Name", "Card Series", "Card series"):
            name = values.get(key, "")
            if name and not _HEX_ID.match(name):
                card["name"] = name
                break
        if values.get("GFX Version"):
            gfx = normalize_gfx(values["GFX Version"])
            if gfx:
                card["gfx"] = gfx
        if values.get("PCI Bus"):
            card["pci_address"] = values["PCI Bus"].lower()
        for key in ("Device ID", "Card Model", "Card model"):
            m = _HEX_ID.match(values.get(key, ""))
            if m and len(m.group(1)) == 4 and m.group(1).lower() != "1002":
                card["device_id"] = m.group(1).lower()
                break
        vram = values.get("VRAM Total Memory (B)", "")
        if vram.isdigit():
            card["memory_mib"] = str(int(vram) // (1 << 20))
        cards.append(card)
    return cards


def parse_rocm_smi_json(text: str) -> dict[str, dict[str, str]]:
    """``rocm-smi --json`` output: ``{"card0": {"Card series": …, "GFX Version": …}}``."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: {str(kk): str(vv) for kk, vv in v.items()} for k, v in data.items()
            if k.startswith("card") and isinstance(v, dict)}
