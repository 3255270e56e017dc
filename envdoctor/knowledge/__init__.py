"""The knowledge base: versioned compatibility tables shipped as data files with sources.

Tables live in ``envdoctor/knowledge/data/*.json``; each carries ``as_of`` and its
``sources``. They are read lazily, once per process, so a check that needs no table
pays nothing.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")  # noqa: PTH118, PTH120 - no pathlib on the hot path


@cache
def table(name: str) -> dict[str, Any]:
    """Load ``data/<name>.json`` (cached for the life of the process)."""
    with open(os.path.join(DATA_DIR, f"{name}.json"), encoding="utf-8") as f:  # noqa: PTH118, PTH123
        data: dict[str, Any] = json.load(f)
    return data


def pci_device(vendor_id: str, device_id: str) -> dict[str, Any] | None:
    """The PCI id table's entry for a GPU (``"10de"``, ``"2684"``), or ``None``."""
    return table("pci_ids")["devices"].get(f"{vendor_id.lower()}:{device_id.lower()}")
