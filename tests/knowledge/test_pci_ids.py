"""Tests for the PCI-id knowledge table and its generator, scripts/gen_pci_ids.py.

Only the standard library and pytest are used: the table is read by path and the
generator is loaded from its file, so neither needs the envdoctor package.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE_PATH = REPO_ROOT / "envdoctor" / "knowledge" / "data" / "pci_ids.json"
GENERATOR_PATH = REPO_ROOT / "scripts" / "gen_pci_ids.py"

NVIDIA_ARCHS = {
    "kepler",
    "maxwell",
    "pascal",
    "volta",
    "turing",
    "ampere",
    "ada",
    "hopper",
    "blackwell",
}
AMD_ARCHS = {
    "gcn5",
    "cdna1",
    "cdna2",
    "cdna3",
    "cdna4",
    "rdna1",
    "rdna2",
    "rdna3",
    "rdna3.5",
    "rdna4",
}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_pci_ids", GENERATOR_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def table_text() -> str:
    return TABLE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def table(table_text: str) -> dict:
    return json.loads(table_text)


# --- the committed table is what the generator makes from the real pci.ids ----------


def test_generator_reproduces_committed_table(generator: ModuleType, table_text: str) -> None:
    # The committed extract of pci.ids is the generator's input: the table cannot drift.
    text = generator.COMMITTED_PCI_IDS.read_text(encoding="utf-8")
    assert generator.render(generator.build_table(text)) == table_text


# --- spot checks: ids and facts recorded independently of this table ---------------
# (lspci/nvidia-smi/rocminfo output on real machines; NVIDIA's CUDA GPUs page; ROCm's
# target lists).

SPOT_CHECKS = [
    # key, name contains, chip, arch, compute capability, gfx
    ("10de:2684", "RTX 4090", "AD102", "ada", "8.9", None),
    ("10de:20b0", "A100", "GA100", "ampere", "8.0", None),
    ("10de:20b2", "A100", "GA100", "ampere", "8.0", None),
    ("10de:2330", "H100", "GH100", "hopper", "9.0", None),
    ("10de:1eb8", "Tesla T4", "TU104", "turing", "7.5", None),
    ("10de:15f8", "Tesla P100", "GP100", "pascal", "6.0", None),
    ("10de:2237", "A10G", "GA102", "ampere", "8.6", None),
    ("10de:102d", "Tesla K80", "GK210", "kepler", "3.7", None),
    ("10de:1db4", "V100", "GV100", "volta", "7.0", None),
    ("1002:738c", "MI100", "Arcturus", "cdna1", None, "gfx908"),
    ("1002:740c", "MI250X", "Aldebaran", "cdna2", None, "gfx90a"),
    ("1002:73df", "6700 XT", "Navi 22", "rdna2", None, "gfx1031"),
    ("1002:744c", "7900 XTX", "Navi 31", "rdna3", None, "gfx1100"),
    ("1002:66a1", "MI50", "Vega 20", "gcn5", None, "gfx906"),
    ("1002:74a1", "MI300X", "Aqua Vanjaram", "cdna3", None, "gfx942"),
    ("10de:2bb5", "RTX PRO 6000 Blackwell", "GB202", "blackwell", "12.0", None),
    ("10de:2901", "B200", "GB100", "blackwell", "10.0", None),
    ("10de:2335", "H200", "GH100", "hopper", "9.0", None),
]


@pytest.mark.parametrize(("key", "name", "chip", "arch", "cc", "gfx"), SPOT_CHECKS)
def test_spot_checks(
    table: dict, key: str, name: str, chip: str, arch: str, cc: str | None, gfx: str | None
) -> None:
    entry = table["devices"][key]
    assert name in entry["name"]
    assert entry["chip"] == chip
    assert entry["vendor"] == ("nvidia" if key.startswith("10de:") else "amd")
    assert entry["arch"] == arch
    assert entry["compute_capability"] == cc
    assert entry["gfx"] == gfx


@pytest.mark.parametrize(
    "key",
    [
        "10de:22ba",  # AD102 High Definition Audio Controller
        "10de:1ad7",  # TU102 USB Type-C UCSI Controller
        "10de:1af1",  # GA100 [A100 NVSwitch]
        "1002:ab38",  # Navi 10 HDMI Audio
        "1002:73a4",  # Navi 21 USB
        "1002:1478",  # Navi 10 XL Upstream Port of PCI Express Switch
        "10de:06c0",  # GF100 [GeForce GTX 480]: Fermi, older than Kepler
        "1002:67df",  # Ellesmere [Radeon RX 470/480/570/580]: Polaris, older than Vega
    ],
)
def test_non_gpu_functions_and_old_families_are_left_out(table: dict, key: str) -> None:
    assert key not in table["devices"]


# --- shape of the committed file ---------------------------------------------------


def test_table_header(table: dict) -> None:
    assert list(table) == ["generated_by", "as_of", "sources", "devices"]
    assert table["generated_by"] == "scripts/gen_pci_ids.py; do not edit"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table["as_of"])
    assert table["sources"], "sources must not be empty"
    for source in table["sources"]:
        assert list(source) == ["name", "url_or_path", "version"]
        assert all(isinstance(value, str) and value for value in source.values())
    assert "pci.ids" in table["sources"][0]["name"]
    assert table["sources"][0]["version"].startswith(table["as_of"].replace("-", "."))


def test_devices_are_well_formed(table: dict) -> None:
    devices = table["devices"]
    assert list(devices) == sorted(devices)
    vendors = {"10de": ("nvidia", NVIDIA_ARCHS), "1002": ("amd", AMD_ARCHS)}
    for key, entry in devices.items():
        assert re.fullmatch(r"(10de|1002):[0-9a-f]{4}", key), key
        assert list(entry) == ["name", "chip", "vendor", "arch", "compute_capability", "gfx"]
        vendor, archs = vendors[key[:4]]
        assert entry["vendor"] == vendor, key
        assert entry["arch"] in archs, key
        assert isinstance(entry["chip"], str) and entry["chip"], key
        assert entry["name"] is None or (isinstance(entry["name"], str) and entry["name"])
        if vendor == "nvidia":
            assert entry["gfx"] is None, key
            cc = entry["compute_capability"]
            assert cc is None or re.fullmatch(r"\d{1,2}\.\d", cc), key
        else:
            assert entry["compute_capability"] is None, key
            assert entry["gfx"] is None or re.fullmatch(r"gfx[0-9a-f]{3,4}", entry["gfx"]), key
        name = entry["name"] or ""
        assert not re.search(r"audio|usb|ucsi|nvswitch", name, re.IGNORECASE), key


def test_chips_agree_on_architecture(table: dict) -> None:
    seen: dict[str, tuple[str, str | None, str | None]] = {}
    for key, entry in table["devices"].items():
        facts = (entry["arch"], entry["compute_capability"], entry["gfx"])
        assert seen.setdefault(entry["chip"], facts) == facts, key


def test_one_device_per_line(table: dict, table_text: str) -> None:
    device_lines = [line for line in table_text.splitlines() if re.match(r'\s+"[0-9a-f]{4}:', line)]
    assert len(device_lines) == len(table["devices"])
    assert table_text.endswith("}\n")


# --- the generator on pci.ids text (lines as in pci.ids 2025.06.09) -----------------

SAMPLE_PCI_IDS = """\
#
#\tList of PCI ID's
#
#\tVersion: 2025.06.09
#\tDate:    2025-06-09 03:15:02
#
1002  Advanced Micro Devices, Inc. [AMD/ATI]
\t1586  Strix Halo [Radeon Graphics / Radeon 8050S Graphics / Radeon 8060S Graphics]
\t7460  Navi32 GL-XL [AMD Radeon PRO V710]
\t74a1  Aqua Vanjaram [Instinct MI300X]
\t\t1002 74a1  MI300X-O OAM 192GB 750W Accelerator
\t7550  Navi 48 [RX 9070/9070 XT]
\tab30  Navi 31 HDMI/DP Audio
\t13f9  Oberon/Navi12Lite
10de  NVIDIA Corporation
\t22a3  GH100 [H100 NVSwitch]
\t2330  GH100[H100 SXM5 80GB]
\t29bc  GB102 [B100]
\t2bb5  GB202GL [RTX PRO 6000 Blackwell Server Edition]
\t2c18  GB203M / GN22 [GeForce RTX 5090 Max-Q / Mobile]
\t2c2c  GB6-256(N22W-ES-A1)
\t0e0a  GK104 HDMI Audio Controller
\t06c0  GF100 [GeForce GTX 480]
8086  Intel Corporation
\t2330  DH89xxCC SMBus Controller
C 03  Display controller
\t00  VGA compatible controller
"""


def test_generator_on_sample(generator: ModuleType) -> None:
    table = generator.build_table(SAMPLE_PCI_IDS)
    assert table["as_of"] == "2025-06-09"
    assert table["sources"][0]["version"] == "2025.06.09 (2025-06-09 03:15:02)"
    devices = table["devices"]
    assert list(devices) == [
        "1002:1586",
        "1002:7460",
        "1002:74a1",
        "1002:7550",
        "10de:2330",
        "10de:29bc",
        "10de:2bb5",
        "10de:2c18",
    ]
    assert devices["10de:2bb5"] == {
        "name": "RTX PRO 6000 Blackwell Server Edition",
        "chip": "GB202",
        "vendor": "nvidia",
        "arch": "blackwell",
        "compute_capability": "12.0",
        "gfx": None,
    }
    assert devices["10de:2330"]["name"] == "H100 SXM5 80GB"
    assert devices["10de:2330"]["compute_capability"] == "9.0"
    assert devices["10de:2c18"]["chip"] == "GB203"
    assert devices["10de:29bc"]["compute_capability"] == "10.0"  # B100: sm_100 like B200
    assert devices["1002:74a1"] == {
        "name": "Instinct MI300X",
        "chip": "Aqua Vanjaram",
        "vendor": "amd",
        "arch": "cdna3",
        "compute_capability": None,
        "gfx": "gfx942",
    }
    assert devices["1002:7460"]["chip"] == "Navi 32"
    assert devices["1002:7460"]["gfx"] == "gfx1101"
    assert devices["1002:7550"]["gfx"] == "gfx1201"
    assert devices["1002:7550"]["arch"] == "rdna4"
    assert devices["1002:1586"]["gfx"] == "gfx1151"


def test_render_is_json_and_stable(generator: ModuleType) -> None:
    table = generator.build_table(SAMPLE_PCI_IDS)
    text = generator.render(table)
    assert json.loads(text) == table
    assert text == generator.render(generator.build_table(SAMPLE_PCI_IDS))


def test_generator_rejects_a_file_without_header(generator: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"pci\.ids"):
        generator.build_table("10de  NVIDIA Corporation\n\t2684  AD102 [GeForce RTX 4090]\n")
