#!/usr/bin/env python3
"""Generate envdoctor's PCI-id knowledge table from a real ``pci.ids`` file.

The table lets envdoctor name an NVIDIA or AMD GPU, and know its architecture
and CUDA compute capability / LLVM ``gfx`` target, from sysfs alone
(``/sys/bus/pci/devices/*/{vendor,device}``) with no driver loaded.

Input: a ``pci.ids`` file from the PCI ID Repository (https://pci-ids.ucw.cz/).
On Debian it is installed by ``apt-get install pci.ids`` (also pulled in by
``pciutils``) at ``/usr/share/misc/pci.ids``.  The file's ``Version:``/``Date:``
header lines are recorded in the output.

Output: ``envdoctor/knowledge/data/pci_ids.json`` (one device per line).  Each
device maps ``"vvvv:dddd"`` to its marketing name(s) (the bracketed part of the
pci.ids entry), chip codename, vendor, lowercase architecture family, and the
NVIDIA compute capability or AMD gfx target (``null`` where no cited source
gives it).

Only GPU functions are kept: NVIDIA Kepler and newer, AMD GCN5 (Vega) and newer
including Instinct.  HD-audio, USB/UCSI, NVSwitch, bridge/switch ports and other
non-GPU functions that share a chip codename are dropped.  Codenames that are not
in the tables below (consoles, engineering-sample boards, older families) are
skipped.

Usage::

    python scripts/gen_pci_ids.py                       # write the JSON
    python scripts/gen_pci_ids.py --check               # exit 1 if it is stale
    python scripts/gen_pci_ids.py --pci-ids PATH --output PATH
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT: Final = REPO_ROOT / "envdoctor" / "knowledge" / "data" / "pci_ids.json"
# The committed input: an extract (header, NVIDIA and AMD device lines) of pci.ids
# 2025.06.09, so the table can be regenerated and checked anywhere. A newer pci.ids
# (Debian: /usr/share/misc/pci.ids) can be given with --pci-ids.
COMMITTED_PCI_IDS: Final = REPO_ROOT / "scripts" / "data" / "pci.ids-2025.06.09-nvidia-amd"
DEFAULT_PCI_IDS_PATHS: Final = (
    COMMITTED_PCI_IDS,
    Path("/usr/share/misc/pci.ids"),  # Debian/Ubuntu package pci.ids
    Path("/usr/share/hwdata/pci.ids"),  # Fedora/RHEL package hwdata
)
GENERATED_BY: Final = "scripts/gen_pci_ids.py; do not edit"

NVIDIA_VENDOR: Final = "10de"
AMD_VENDOR: Final = "1002"

# ---------------------------------------------------------------------------
# NVIDIA: chip codename (base die, without the GL/M/BM/B/GLM board suffix that
# pci.ids appends) -> (architecture family, CUDA compute capability).
#
# The compute capability of a chip is the one NVIDIA's CUDA GPUs pages give for
# the products built on it (pci.ids itself names those products in brackets):
#   https://developer.nvidia.com/cuda-gpus         (current products)
#   https://developer.nvidia.com/cuda-legacy-gpus  (Kepler, Maxwell, Pascal ...)
# as summarised in shared/compat/README.md section 3a / compat/gpus.json.
# A chip whose products that page does not list is given None.
# ---------------------------------------------------------------------------
NVIDIA_CHIPS: Final[dict[str, tuple[str, str | None]]] = {
    # Kepler. cuda-legacy-gpus: GTX 680/670/660/650, GT 640 (DDR3), Tesla K10,
    # Quadro K5000/K4000/K2000/K600 = 3.0 (GK104/GK106/GK107); GTX TITAN/780/780 Ti,
    # Tesla K20/K20X/K40, Quadro K6000 = 3.5 (GK110/GK110B, GK180 = K40c);
    # GT 730/720/710/640 (GDDR5)/630 v2 = 3.5 (GK208/GK208B); Tesla K80 = 3.7 (GK210).
    # README 3a confirms K80 3.7 and K40/K20 3.5; the 3.0 parts and GK208 are read
    # from NVIDIA's legacy page as remembered, not from a stored copy of it.
    "GK104": ("kepler", "3.0"),
    "GK106": ("kepler", "3.0"),
    "GK107": ("kepler", "3.0"),
    "GK110": ("kepler", "3.5"),
    "GK180": ("kepler", "3.5"),
    "GK208": ("kepler", "3.5"),
    "GK210": ("kepler", "3.7"),
    # Maxwell. cuda-legacy-gpus: GTX 750/750 Ti, 940M/930M/840M, Quadro K2200/K1200/
    # K620 = 5.0 (GM107/GM108); GTX 980/970/960/950, 980 Ti, TITAN X, Tesla M40/M60,
    # Quadro M6000/M5000/M4000 = 5.2 (GM200/GM204/GM206).  README 3a: Tesla M60/M40
    # 5.2, GTX 750/750 Ti (GM107) 5.0, GTX 9xx/TITAN X 5.2; GM108 (GeForce 9x0M/8x0M)
    # = 5.0 is from NVIDIA's legacy page as remembered, not from a stored copy.
    "GM107": ("maxwell", "5.0"),
    "GM108": ("maxwell", "5.0"),
    "GM200": ("maxwell", "5.2"),
    "GM204": ("maxwell", "5.2"),
    "GM206": ("maxwell", "5.2"),
    # Pascal. README 3a: Tesla P100 6.0 (GP100); Tesla P4/P40, GTX 1050..1080 Ti,
    # TITAN Xp, GT 1030 6.1 (GP102/GP104/GP106/GP107/GP108).
    "GP100": ("pascal", "6.0"),
    "GP102": ("pascal", "6.1"),
    "GP104": ("pascal", "6.1"),
    "GP106": ("pascal", "6.1"),
    "GP107": ("pascal", "6.1"),
    "GP108": ("pascal", "6.1"),
    # Volta. README 3a: V100, TITAN V, Quadro GV100 7.0.
    "GV100": ("volta", "7.0"),
    # Turing. README 3a: T4, Quadro RTX 4000-8000, TITAN RTX, T1000/T600/T400,
    # GTX 1650/1660, RTX 2060-2080 Ti 7.5 (TU102/TU104/TU106/TU116/TU117).
    "TU102": ("turing", "7.5"),
    "TU104": ("turing", "7.5"),
    "TU106": ("turing", "7.5"),
    "TU116": ("turing", "7.5"),
    "TU117": ("turing", "7.5"),
    # Ampere. README 3a: A100, A30 8.0 (GA100); A10, A10G, A40, A16, A2,
    # RTX A2000-A6000, RTX 3050-3090 Ti 8.6 (GA102/GA103/GA104/GA106/GA107).
    "GA100": ("ampere", "8.0"),
    "GA102": ("ampere", "8.6"),
    "GA103": ("ampere", "8.6"),
    "GA104": ("ampere", "8.6"),
    "GA106": ("ampere", "8.6"),
    "GA107": ("ampere", "8.6"),
    # Ada Lovelace. README 3a: L4, L40, L40S, RTX 2000-6000 Ada, RTX 4050-4090 8.9.
    "AD102": ("ada", "8.9"),
    "AD103": ("ada", "8.9"),
    "AD104": ("ada", "8.9"),
    "AD106": ("ada", "8.9"),
    "AD107": ("ada", "8.9"),
    # Hopper. README 3a: H100 (SXM5/PCIe/NVL), H200, GH200, H20 9.0.
    "GH100": ("hopper", "9.0"),
    # Blackwell. README 3a: B200, GB200 10.0 (GB100); RTX PRO 2000-6000 Blackwell,
    # RTX 5050-5090 12.0 (GB202/GB203/GB205/GB206/GB207).
    # GB102 is B100 in pci.ids: the data-centre Blackwell die that B200 doubles, sm_100
    # like B200 (README 2a lists sm_100 for the data-centre Blackwell parts).
    # GB110 and GB120: pci.ids ties them to no product, so their CC is left unknown.
    "GB100": ("blackwell", "10.0"),
    "GB102": ("blackwell", "10.0"),
    "GB110": ("blackwell", None),
    "GB120": ("blackwell", None),
    "GB202": ("blackwell", "12.0"),
    "GB203": ("blackwell", "12.0"),
    "GB205": ("blackwell", "12.0"),
    "GB206": ("blackwell", "12.0"),
    "GB207": ("blackwell", "12.0"),
    "GB20B": ("blackwell", None),
}

# NVIDIA notebook board codenames that pci.ids uses instead of a die name for a
# few laptop GPUs ("GN20-P0-R-K2 [GeForce RTX 3050 6GB Laptop GPU]",
# "GN21-X11 [GeForce RTX 4090 Laptop GPU]").  GN20 = GeForce RTX 30 Laptop GPUs
# (Ampere GA10x), GN21 = GeForce RTX 40 Laptop GPUs (Ada AD10x); NVIDIA's CUDA
# GPUs page lists the RTX 30 / RTX 40 Laptop GPUs at 8.6 / 8.9.
NVIDIA_NOTEBOOK_CODES: Final[dict[str, tuple[str, str | None]]] = {
    "GN20": ("ampere", "8.6"),
    "GN21": ("ada", "8.9"),
}

# ---------------------------------------------------------------------------
# AMD: chip codename as pci.ids spells it (after "NaviNN" -> "Navi NN") ->
# (architecture family, LLVM gfx target as ROCm reports it).
#
# Sources (commits as stored by the research index, 2026-08/09):
#   [kfd]    torvalds/linux drivers/gpu/drm/amd/amdkfd/kfd_device.c
#            @ 002c6ca75289a4ac4f6738213dd2d258704886e4: kgd2kfd_probe() maps each
#            GC IP version, commented with its codename, to the gfx_target_version
#            that ROCm reports (90000 = gfx900, 100301 = gfx1031, ...).
#   [mesa]   Mesa src/amd/common/amd_family.c (mirror bminor/mesa-mesa)
#            @ ddf2aa3a4d305fddbe30b8e9b366887fc904d3ba: ac_get_llvm_processor_name()
#            maps CHIP_<codename> to the LLVM processor name.
#   [llvm]   llvm/llvm-project llvm/docs/AMDGPUUsage.rst
#            @ 001388cf6923b54a564faf4f2daf66c1a3ab3527, "AMDGPU Processors" table
#            (gfx target -> example products).
#   [therock] ROCm/TheRock cmake/therock_amdgpu_targets.cmake
#            @ 02eb4a57fdf5a19809c807e51fcd6945b432ddc1 (gfx target -> product name)
#            and RELEASES.md @ 89553ce3746eda74ade42557470d25e37c91b6f0 as summarised
#            in shared/compat/README.md section 3b.
#   [pciids] the pci.ids entry itself names the products of a codename (brackets),
#            which links a codename to the products named by [llvm]/[therock].
# A codename whose gfx target none of these gives is set to None.
# ---------------------------------------------------------------------------
AMD_CHIPS: Final[dict[str, tuple[str, str | None]]] = {
    # GCN5 / Vega (GFX9).
    # [kfd] Vega 10 GC 9.0.1 -> 90000; [mesa] VEGA10 -> gfx900; [llvm] gfx900 =
    # RX Vega 56/64, Vega Frontier Edition, Instinct MI25.
    "Vega 10": ("gcn5", "gfx900"),
    # [kfd] Vega12 GC 9.2.1 -> 90004; [mesa] VEGA12 -> gfx904.
    "Vega 12": ("gcn5", "gfx904"),
    # [kfd] Vega20 GC 9.4.0 -> 90006; [mesa] VEGA20 -> gfx906; [llvm] gfx906 =
    # Instinct MI50/MI60, Radeon VII, Radeon Pro VII; [therock] "Radeon VII / MI50".
    "Vega 20": ("gcn5", "gfx906"),
    # APUs with Vega graphics.  [kfd] Raven GC 9.1.0 and Raven2 GC 9.2.2 -> 90002
    # (gfx902); [llvm] gfx902 = Ryzen 3 2200G / Ryzen 5 2400G (Raven Ridge).
    # (Mesa's graphics driver compiles Raven2 as gfx909; ROCm/KFD reports gfx902.)
    "Raven Ridge": ("gcn5", "gfx902"),
    "Picasso/Raven 2": ("gcn5", "gfx902"),
    # [kfd] Renoir GC 9.3.0 -> 90012 (gfx90c); [llvm] gfx90c = Ryzen 4000G.
    # Linux amdgpu_drv.c pciidlist puts 0x1636 (Renoir), 0x1638 (Cezanne),
    # 0x164C (Lucienne) and 0x15E7 (Barcelo) all under CHIP_RENOIR (patches
    # "drm/amdgpu: add new device id for Renior" / "add another Renior DID").
    "Renoir": ("gcn5", "gfx90c"),
    "Cezanne": ("gcn5", "gfx90c"),
    "Lucienne": ("gcn5", "gfx90c"),
    "Barcelo": ("gcn5", "gfx90c"),
    # Subor Z+ console APU (Raven-derived per pci.ids' shared audio/crypto
    # entries); no cited source gives its gfx target.
    "Fenghuang": ("gcn5", None),
    # CDNA (GFX9 compute).
    # [kfd] Arcturus GC 9.4.1 -> 90008; [mesa] MI100 -> gfx908; [llvm] gfx908 =
    # Instinct MI100; [therock] "MI100 CDNA".
    "Arcturus": ("cdna1", "gfx908"),
    # [kfd] Aldebaran GC 9.4.2 -> 90010; [mesa] MI200 -> gfx90a; [llvm] gfx90a =
    # MI210/MI250/MI250X; [therock] "MI210/250 CDNA".
    "Aldebaran": ("cdna2", "gfx90a"),
    # [pciids] Aqua Vanjaram = Instinct MI300A/MI300X/MI308X/MI325X; [therock]
    # gfx942 "MI300A/MI300X CDNA"; [mesa] GFX940 family -> gfx942; README 3b:
    # MI325X gfx942.
    "Aqua Vanjaram": ("cdna3", "gfx942"),
    # RDNA1 (GFX10.1).
    # [kfd] Navi10 GC 10.1.10 -> 100100, Navi12 10.1.2 -> 100101, Navi14 10.1.1 ->
    # 100102; [mesa] NAVI10/12/14 -> gfx1010/gfx1011/gfx1012; [llvm] gfx1010 =
    # RX 5700 (XT), gfx1011 = Radeon Pro V520, gfx1012 = RX 5500 (XT).
    "Navi 10": ("rdna1", "gfx1010"),
    "Navi 12": ("rdna1", "gfx1011"),
    "Navi 14": ("rdna1", "gfx1012"),
    # [kfd] Cyan Skillfish GC 10.1.3/10.1.4 -> 100103; [mesa] GFX1013 -> gfx1013;
    # [llvm] lists gfx1013 under "GCN GFX10.1 (RDNA 1)".
    "Cyan Skillfish": ("rdna1", "gfx1013"),
    # RDNA2 (GFX10.3).
    # [kfd] Sienna Cichlid (Navi 21) 10.3.0 -> 100300, Navy Flounder (Navi 22)
    # 10.3.2 -> 100301, Dimgrey Cavefish (Navi 23) 10.3.4 -> 100302, Beige Goby
    # (Navi 24) 10.3.5 -> 100304, Van Gogh 10.3.1 -> 100303, Yellow Carp
    # (Rembrandt) 10.3.3 -> 100305, GC 10.3.6/10.3.7 -> 100306;
    # [mesa] NAVI21..24 -> gfx1030/gfx1031/gfx1032/gfx1034, VANGOGH -> gfx1033,
    # REMBRANDT -> gfx1035, RAPHAEL_MENDOCINO -> gfx1036;
    # [llvm] gfx1030 = RX 6800/6800 XT/6900 XT, gfx1031 = RX 6700 XT;
    # [therock] gfx1035 "Radeon 680M" (= pci.ids "Rembrandt [Radeon 680M]"),
    # gfx1036 "Raphael iGPU".
    "Navi 21": ("rdna2", "gfx1030"),
    "Navi 22": ("rdna2", "gfx1031"),
    "Navi 23": ("rdna2", "gfx1032"),
    "Navi 24": ("rdna2", "gfx1034"),
    "VanGogh": ("rdna2", "gfx1033"),
    "Rembrandt": ("rdna2", "gfx1035"),
    "Raphael": ("rdna2", "gfx1036"),
    "Mendocino": ("rdna2", "gfx1036"),
    # Steam Deck OLED APU ("Sephiroth [AMD Custom GPU 0405]") and the Zen 5
    # desktop iGPU ("Granite Ridge"): RDNA2 graphics, but no cited source gives
    # their gfx target.
    "Sephiroth": ("rdna2", None),
    "Granite Ridge": ("rdna2", None),
    # RDNA3 (GFX11).
    # [kfd] GC 11.0.0 -> 110000, 11.0.3 -> 110001, 11.0.2 -> 110002, 11.0.1 ->
    # 110003; [mesa] NAVI31/32/33 -> gfx1100/gfx1101/gfx1102, PHOENIX and
    # PHOENIX2 -> gfx1103; [therock] gfx1100 "RX 7900 XTX", gfx1101 "RX 7800 XT",
    # gfx1102 "RX 7700S", gfx1103 "Radeon 780M" (Phoenix).
    "Navi 31": ("rdna3", "gfx1100"),
    "Navi 32": ("rdna3", "gfx1101"),
    "Navi 33": ("rdna3", "gfx1102"),
    "Phoenix": ("rdna3", "gfx1103"),
    "Phoenix1": ("rdna3", "gfx1103"),
    "Phoenix2": ("rdna3", "gfx1103"),
    # Later Phoenix-family device ids: no cited source gives their gfx target.
    "Phoenix3": ("rdna3", None),
    "Phoenix4": ("rdna3", None),
    # RDNA3.5 (GFX11.5).  [therock] gfx1150 "Strix Point iGPU", gfx1151 "Strix
    # Halo iGPU", gfx1152 "Krackan 1 iGPU"; README 3b: gfx1150 = Ryzen AI 9 HX 375
    # (Radeon 890M), gfx1151 = Ryzen AI Max+ 395 (Radeon 8060S), gfx1152 = Ryzen
    # AI 7 350 (Radeon 860M), matching the pci.ids product names.
    "Strix": ("rdna3.5", "gfx1150"),
    "Strix Halo": ("rdna3.5", "gfx1151"),
    "Krackan": ("rdna3.5", "gfx1152"),
    # RDNA4 (GFX12).  [therock] gfx1200 "RX 9060 / XT", gfx1201 "RX 9070 / XT";
    # [mesa] GFX1200/GFX1201 -> gfx1200/gfx1201; [pciids] Navi 44 = RX 9060 XT,
    # Navi 48 = RX 9070/9070 XT.
    "Navi 44": ("rdna4", "gfx1200"),
    "Navi 48": ("rdna4", "gfx1201"),
}

# Functions that share a GPU's chip codename but are not the GPU itself.
NON_GPU_FUNCTION: Final = re.compile(
    r"audio|usb|ucsi|nvswitch|sata|bridge|root complex|endpoint|upstream port"
    r"|downstream port|pci express switch|cryptographic|coprocessor|smbus|serial",
    re.IGNORECASE,
)

# "GK110BGL", "AD104GLM", "GB203M / GN22 [...]", "GH100[H100 SXM5 80GB]".
_NVIDIA_CHIP_RE: Final = re.compile(
    r"^(?P<chip>(?:GK|GM|GP|GV|TU|GA|GH|AD|GB)\d{2}[0-9A-Z])(?P<variant>[A-Z]*)(?![0-9a-z\-])"
)
# "GN20-P0-R-K2 [...]", "GN21-X11".
_NVIDIA_NOTEBOOK_RE: Final = re.compile(r"^(?P<code>GN\d{2})(?:-[0-9A-Z\-]+)?(?=\s|\[|$)")
_DEVICE_LINE_RE: Final = re.compile(r"^\t(?P<id>[0-9a-f]{4})\s+(?P<desc>\S.*?)\s*$")
_VENDOR_LINE_RE: Final = re.compile(r"^(?P<id>[0-9a-f]{4})\s+")
_HEADER_RE: Final = re.compile(r"^#\s*(?P<key>Version|Date):\s*(?P<value>.+?)\s*$")
_AMD_NAVI_RE: Final = re.compile(r"^Navi ?(\d{2})(?![0-9])")

Device = dict[str, Any]


def parse_pci_ids(
    text: str, vendors: tuple[str, ...] = (NVIDIA_VENDOR, AMD_VENDOR)
) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """Parse ``pci.ids`` text into its header fields and, per wanted vendor, device lines.

    Returns ``(header, devices)`` where ``header`` has the ``Version``/``Date``
    values found in the leading comment block and ``devices[vendor]`` lists
    ``(device_id, description)`` pairs in file order (subsystem lines skipped).
    """
    header: dict[str, str] = {}
    devices: dict[str, list[tuple[str, str]]] = {vendor: [] for vendor in vendors}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            match = _HEADER_RE.match(line)
            if match and match["key"] not in header:
                header[match["key"]] = match["value"]
            continue
        if not line.strip():
            continue
        if line.startswith("C "):  # device-class section follows the vendors
            break
        vendor_match = _VENDOR_LINE_RE.match(line)
        if vendor_match:
            current = vendor_match["id"]
            continue
        if current in devices:
            device_match = _DEVICE_LINE_RE.match(line)
            if device_match:
                devices[current].append((device_match["id"], device_match["desc"]))
    return header, devices


def marketing_name(description: str) -> str | None:
    """Return the bracketed marketing name(s) of a pci.ids description, if any."""
    start, end = description.find("["), description.rfind("]")
    if start == -1 or end <= start:
        return None
    name = description[start + 1 : end].strip()
    return name or None


def classify_nvidia(description: str) -> Device | None:
    """Classify one NVIDIA pci.ids description; ``None`` if it is not a kept GPU."""
    if NON_GPU_FUNCTION.search(description):
        return None
    match = _NVIDIA_CHIP_RE.match(description)
    if match and match["chip"] in NVIDIA_CHIPS:
        chip = match["chip"]
        arch, cc = NVIDIA_CHIPS[chip]
    else:
        notebook = _NVIDIA_NOTEBOOK_RE.match(description)
        if not notebook or notebook["code"] not in NVIDIA_NOTEBOOK_CODES:
            return None
        chip = notebook.group(0)
        arch, cc = NVIDIA_NOTEBOOK_CODES[notebook["code"]]
    return {
        "name": marketing_name(description),
        "chip": chip,
        "vendor": "nvidia",
        "arch": arch,
        "compute_capability": cc,
        "gfx": None,
    }


def _amd_codename(description: str) -> str | None:
    normalized = _AMD_NAVI_RE.sub(r"Navi \1", description)
    for codename in sorted(AMD_CHIPS, key=len, reverse=True):
        if normalized.startswith(codename):
            rest = normalized[len(codename) :]
            if not rest or not rest[0].isalnum():
                return codename
    return None


def classify_amd(description: str) -> Device | None:
    """Classify one AMD pci.ids description; ``None`` if it is not a kept GPU."""
    if NON_GPU_FUNCTION.search(description):
        return None
    codename = _amd_codename(description)
    if codename is None:
        return None
    arch, gfx = AMD_CHIPS[codename]
    return {
        "name": marketing_name(description),
        "chip": codename,
        "vendor": "amd",
        "arch": arch,
        "compute_capability": None,
        "gfx": gfx,
    }


def snapshot_date(header: dict[str, str]) -> str | None:
    """Return the ``YYYY-MM-DD`` date of a pci.ids snapshot from its header."""
    for key in ("Date", "Version"):
        value = header.get(key, "")
        match = re.search(r"(\d{4})[-.](\d{2})[-.](\d{2})", value)
        if match:
            return "-".join(match.groups())
    return None


def sources(header: dict[str, str]) -> list[dict[str, str]]:
    """Return the ``sources`` list recorded in the generated JSON."""
    version = header.get("Version", "unknown")
    if "Date" in header:
        version = f"{version} ({header['Date']})"
    return [
        {
            "name": "PCI ID Repository pci.ids (device ids, chip codenames, marketing names)",
            "url_or_path": "https://pci-ids.ucw.cz/ (Debian: /usr/share/misc/pci.ids)",
            "version": version,
        },
        {
            "name": "NVIDIA CUDA GPUs (CC per product), via shared/compat/README.md 3a",
            "url_or_path": "https://developer.nvidia.com/cuda-gpus",
            "version": "snapshot 2026-08",
        },
        {
            "name": "NVIDIA legacy CUDA GPUs (Kepler/Maxwell compute capability)",
            "url_or_path": "https://developer.nvidia.com/cuda-legacy-gpus",
            "version": "snapshot 2026-08",
        },
        {
            "name": "Linux amdkfd kfd_device.c (GC IP version/codename -> gfx_target_version)",
            "url_or_path": "torvalds/linux drivers/gpu/drm/amd/amdkfd/kfd_device.c",
            "version": "002c6ca75289a4ac4f6738213dd2d258704886e4",
        },
        {
            "name": "Mesa amd_family.c ac_get_llvm_processor_name (CHIP_<codename> -> gfx)",
            "url_or_path": "mesa src/amd/common/amd_family.c (mirror bminor/mesa-mesa)",
            "version": "ddf2aa3a4d305fddbe30b8e9b366887fc904d3ba",
        },
        {
            "name": "LLVM AMDGPUUsage processor table (gfx target -> products)",
            "url_or_path": "llvm/llvm-project llvm/docs/AMDGPUUsage.rst",
            "version": "001388cf6923b54a564faf4f2daf66c1a3ab3527",
        },
        {
            "name": "ROCm TheRock AMDGPU targets (gfx target -> product)",
            "url_or_path": "ROCm/TheRock cmake/therock_amdgpu_targets.cmake",
            "version": "02eb4a57fdf5a19809c807e51fcd6945b432ddc1",
        },
        {
            "name": "ROCm TheRock RELEASES.md device table, via shared/compat/README.md 3b",
            "url_or_path": "ROCm/TheRock RELEASES.md",
            "version": "89553ce3746eda74ade42557470d25e37c91b6f0",
        },
    ]


def build_table(text: str) -> dict[str, Any]:
    """Build the full knowledge table (ordered as it is written) from pci.ids text."""
    header, per_vendor = parse_pci_ids(text)
    if "Version" not in header:
        raise ValueError("not a pci.ids file: no '# Version:' header line")
    devices: dict[str, Device] = {}
    classifiers = {NVIDIA_VENDOR: classify_nvidia, AMD_VENDOR: classify_amd}
    for vendor, classify in classifiers.items():
        for device_id, description in per_vendor.get(vendor, []):
            entry = classify(description)
            if entry is not None:
                devices[f"{vendor}:{device_id}"] = entry
    return {
        "generated_by": GENERATED_BY,
        "as_of": snapshot_date(header),
        "sources": sources(header),
        "devices": dict(sorted(devices.items())),
    }


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def render(table: dict[str, Any]) -> str:
    """Render the table as JSON with one source and one device per line."""
    lines = ["{"]
    top_keys = list(table)
    for index, key in enumerate(top_keys):
        comma = "," if index < len(top_keys) - 1 else ""
        value = table[key]
        if key == "sources":
            lines.append(f"  {_dumps(key)}: [")
            lines.extend(
                f"    {_dumps(item)}{',' if i < len(value) - 1 else ''}"
                for i, item in enumerate(value)
            )
            lines.append(f"  ]{comma}")
        elif key == "devices":
            lines.append(f"  {_dumps(key)}: {{")
            items = list(value.items())
            lines.extend(
                f"    {_dumps(dev_key)}: {_dumps(entry)}{',' if i < len(items) - 1 else ''}"
                for i, (dev_key, entry) in enumerate(items)
            )
            lines.append(f"  }}{comma}")
        else:
            lines.append(f"  {_dumps(key)}: {_dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def read_pci_ids(path: Path) -> str:
    """Read a pci.ids file (UTF-8; undecodable bytes replaced)."""
    return path.read_text(encoding="utf-8", errors="replace")


def find_pci_ids() -> Path | None:
    """Return the first pci.ids found at the usual distribution paths."""
    return next((path for path in DEFAULT_PCI_IDS_PATHS if path.is_file()), None)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pci-ids", type=Path, help="pci.ids to read (default: the committed extract)"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON file to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if --output is not up to date")
    args = parser.parse_args(argv)

    pci_ids = args.pci_ids or find_pci_ids()
    if pci_ids is None or not pci_ids.is_file():
        print(
            "pci.ids not found; install it (Debian: apt-get install pci.ids) or pass --pci-ids",
            file=sys.stderr,
        )
        return 2
    table = build_table(read_pci_ids(pci_ids))
    text = render(table)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is out of date; run scripts/gen_pci_ids.py", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    vendors = [entry["vendor"] for entry in table["devices"].values()]
    print(
        f"wrote {args.output}: {vendors.count('nvidia')} NVIDIA, "
        f"{vendors.count('amd')} AMD devices (pci.ids {table['sources'][0]['version']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
