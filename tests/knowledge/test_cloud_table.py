"""Validate the cloud knowledge table, envdoctor/knowledge/data/cloud.json.

The table lists AWS and Azure GPU instance types (GPU model, count and memory, vCPUs,
memory, CPU architecture, an on-demand price) and the vendor GPU images (AWS Deep
Learning base AMIs, Azure marketplace URNs) with the NVIDIA driver of the release
described. ``envdoctor cloud gpus`` lists it, ``cloud plan`` picks the cheapest instance
that fits, and the pre-flight check compares an image's driver with a framework build.

The JSON Schema lives in test_tables.py (``SCHEMAS["cloud"]``) so both files check the
same shape; the rules, cross-table links and spot checks are here.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE_PATH = REPO_ROOT / "envdoctor" / "knowledge" / "data" / "cloud.json"
TABLES_TEST_PATH = Path(__file__).resolve().parent / "test_tables.py"
# The research snapshot the table started from (outside the package; optional).
COMPAT_CANDIDATES = (
    REPO_ROOT / "shared" / "compat" / "cloud_instances.json",
    REPO_ROOT.parent / "shared" / "compat" / "cloud_instances.json",
)


def _tables_test_module() -> ModuleType:
    """test_tables.py, for its schema and helpers (loaded by path: no package needed)."""
    name = "_kb_test_tables_for_cloud"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TABLES_TEST_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cloud() -> dict[str, Any]:
    with TABLE_PATH.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


@pytest.fixture(scope="module")
def kb() -> Any:
    from envdoctor.knowledge import KnowledgeBase

    return KnowledgeBase()


def rows(cloud: dict[str, Any]) -> list[dict[str, Any]]:
    return [*cloud["instances"], *cloud["images"]]


def find(cloud: dict[str, Any], provider: str, instance_type: str) -> dict[str, Any]:
    row = next((r for r in cloud["instances"]
                if r["provider"] == provider and r["type"] == instance_type), None)
    assert row is not None, f"{provider} {instance_type} missing"
    return row


# ------------------------------------------------------------------------- shape


def test_matches_schema(cloud: dict[str, Any]) -> None:
    schema = _tables_test_module().SCHEMAS["cloud"]
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(cloud, schema, cls=jsonschema.Draft202012Validator)


def test_registered_as_a_table() -> None:
    from envdoctor import knowledge

    assert "cloud" in knowledge.TABLES
    assert knowledge.table("cloud")["table"] == "cloud"


def test_every_row_cited_and_every_source_used(cloud: dict[str, Any]) -> None:
    cited: set[str] = set()
    for row in rows(cloud):
        refs = [row["source"]] if isinstance(row["source"], str) else row["source"]
        assert refs, row
        unknown = set(refs) - set(cloud["sources"])
        assert not unknown, f"{row.get('type') or row['name']}: unknown sources {unknown}"
        cited.update(refs)
    assert set(cloud["sources"]) == cited, (
        f"sources never cited: {sorted(set(cloud['sources']) - cited)}")
    for key, citation in cloud["sources"].items():
        # A citation is a URL or repository@commit:path (possibly "as read by" a snapshot).
        assert re.search(r"https?://|@[0-9a-f]{40}:|shared/compat", citation), key


def test_gap_and_knowledge_rows_say_why(cloud: dict[str, Any]) -> None:
    for row in rows(cloud):
        if row["status"] in ("gap", "knowledge"):
            assert row.get("notes"), f"{row['status']} row without notes: {row}"


def test_as_of_dates(cloud: dict[str, Any]) -> None:
    as_of = dt.date.fromisoformat(cloud["as_of"])
    assert dt.date(2026, 1, 1) <= as_of <= dt.date.today()
    for row in cloud["instances"]:
        if row["price_as_of"]:
            stamp = row["price_as_of"]
            when = dt.date.fromisoformat(stamp if len(stamp) == 10 else stamp + "-01")
            assert dt.date(2020, 1, 1) <= when <= as_of, row["type"]


# ------------------------------------------------------------------------- keys


def test_instance_keys_unique(cloud: dict[str, Any]) -> None:
    keys = [(r["provider"], r["type"]) for r in cloud["instances"]]
    dups = {k for k in keys if keys.count(k) > 1}
    assert not dups, dups


def test_image_keys_unique(cloud: dict[str, Any]) -> None:
    keys = [(r["provider"], r["name"], r["arch"]) for r in cloud["images"]]
    assert len(keys) == len(set(keys))
    urns = [r["urn"] for r in cloud["images"] if r["provider"] == "azure"]
    assert len(urns) == len(set(urns))
    params = [r["ssm_parameter"] for r in cloud["images"] if r.get("ssm_parameter")]
    assert len(params) == len(set(params))


def test_instance_type_spelling(cloud: dict[str, Any]) -> None:
    for r in cloud["instances"]:
        if r["provider"] == "aws":
            assert re.fullmatch(r"[a-z][a-z0-9-]*\.(metal|[0-9]*x?large)", r["type"]), r["type"]
        else:
            assert r["type"].startswith("Standard_"), r["type"]
            assert " " not in r["type"]


# ------------------------------------------------------------------------- values


def test_counts_and_memory_positive(cloud: dict[str, Any]) -> None:
    for r in cloud["instances"]:
        assert isinstance(r["gpu_count"], int) and r["gpu_count"] >= 1, r["type"]
        assert r["gpu_memory_gib"] > 0, r["type"]
        if r["vcpus"] is not None:
            assert r["vcpus"] >= 1
        if r["memory_gib"] is not None:
            assert r["memory_gib"] > 0
        if None in (r["vcpus"], r["memory_gib"]):
            assert r["status"] == "gap", r["type"]


def test_prices_positive_with_region_and_date(cloud: dict[str, Any]) -> None:
    priced = 0
    for r in cloud["instances"]:
        if r["price_usd_hour"] is None:
            assert r["price_region"] is None and r["price_as_of"] is None, r["type"]
            assert r["status"] == "gap" or "Retired" in r.get("notes", ""), r["type"]
            assert r.get("notes"), r["type"]
            continue
        priced += 1
        assert r["price_usd_hour"] > 0, r["type"]
        assert r["price_region"] and r["price_as_of"], r["type"]
        if r["provider"] == "aws":
            assert re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-[0-9]", r["price_region"]), r["type"]
        else:
            assert re.fullmatch(r"[a-z]+[0-9]?", r["price_region"]), r["type"]
            if r["price_region"] != "eastus":
                assert r["price_region"] in r.get("notes", ""), r["type"]
    assert priced >= 60


def test_price_scales_with_gpus_within_a_family(cloud: dict[str, Any]) -> None:
    """Within one AWS family, more GPUs never cost less (a guard against swapped rows)."""
    by_family: dict[str, list[dict[str, Any]]] = {}
    for r in cloud["instances"]:
        if r["provider"] == "aws" and r["price_usd_hour"]:
            by_family.setdefault(r["type"].split(".")[0], []).append(r)
    for family, members in by_family.items():
        for a in members:
            for b in members:
                if a["gpu_count"] < b["gpu_count"] and a["vcpus"] <= b["vcpus"]:
                    assert a["price_usd_hour"] < b["price_usd_hour"], (family, a["type"], b["type"])


# Compute capability or gfx target of each instance's GPU, from the research snapshot's
# compute_capability_or_gfx column (shared/compat cloud_instances.json), by family.
AWS_TARGETS = {
    "g4dn": "7.5", "g4ad": "gfx1011", "g5": "8.6", "g5g": "7.5", "g6": "8.9", "gr6": "8.9",
    "g6e": "8.9", "g7": "12.0", "g7e": "12.0", "p2": "3.7", "p3": "7.0", "p3dn": "7.0",
    "p4d": "8.0", "p4de": "8.0", "p5": "9.0", "p5e": "9.0", "p5en": "9.0", "p6-b200": "10.0",
    "p6-b300": "10.3", "p6e-gb200": "10.0",
}
AZURE_TARGETS = (  # (pattern on the size name, target)
    (r"_T4_v3$", "7.5"),
    (r"^Standard_NC(6|12|24|24r)s_v3$", "7.0"),
    (r"(_A100_v4|^Standard_ND96asr_v4)$", "8.0"),
    (r"_H100_v5$", "9.0"),
    (r"_H200_v5$", "9.0"),
    (r"_MI300X_v5$", "gfx942"),
    (r"_GB200_v6$", "10.0"),
    (r"_A10_v5$", "8.6"),
    (r"^Standard_NV(6|12|24|12s_v3|24s_v3|48s_v3)$", "5.2"),
    (r"_v4$", "gfx900"),
    (r"_V620_v1$", "gfx1030"),
    (r"_V710_v5$", "gfx1101"),
    (r"RTXPRO6000BSE_v6$", "12.0"),
)


def expected_target(row: dict[str, Any]) -> str:
    if row["provider"] == "aws":
        return AWS_TARGETS[row["type"].split(".")[0]]
    return next(t for pattern, t in AZURE_TARGETS if re.search(pattern, row["type"]))


def test_every_gpu_resolves_to_the_expected_target(cloud: dict[str, Any], kb: Any) -> None:
    for r in cloud["instances"]:
        gpu = kb.gpu(r["gpu"])
        assert gpu is not None, f"{r['type']}: {r['gpu']} not in gpus.json"
        target = gpu.get("compute_capability") or gpu.get("gfx")
        assert target == expected_target(r), (r["type"], r["gpu"], target)
        if gpu["vendor"] == "amd":
            assert "AMD" in r.get("notes", ""), r["type"]


def test_arm64_rows_are_the_arm_hosts(cloud: dict[str, Any]) -> None:
    arm = {r["type"] for r in cloud["instances"] if r["arch"] == "arm64"}
    assert {t for t in arm if t.startswith("g5g.")} == {
        "g5g.xlarge", "g5g.2xlarge", "g5g.4xlarge", "g5g.8xlarge", "g5g.16xlarge", "g5g.metal"}
    assert arm - {t for t in arm if t.startswith("g5g.")} == {
        "p6e-gb200.36xlarge", "Standard_ND128isr_NDR_GB200_v6"}


def compat_file() -> Path | None:
    return next((p for p in COMPAT_CANDIDATES if p.exists()), None)


# Snapshot rows deliberately left out: GPU slices and long-retired sizes with no usable
# count, and a row that names a rack, not an instance type.
COMPAT_LEFT_OUT = {
    "p6e-gb300", "Standard_NV4as_v4", "Standard_NV8as_v4", "Standard_NV16as_v4",
    "Standard_NV12ads_V710_v5", "Standard_NC6", "Standard_NC12", "Standard_NC24", "NCv2",
}


def compat_rows() -> list[tuple[str, str, str]]:
    """(provider, instance type, compute capability or gfx) from the snapshot."""
    path = compat_file()
    if path is None:
        pytest.skip("shared/compat/cloud_instances.json not present in this checkout")
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for provider, key in (("aws", "aws_ec2"), ("azure", "azure")):
        for row in data[key]:
            for raw in row["instance_type"].split(" (")[0].split(" / "):
                name = raw.strip()
                if provider == "azure" and not name.startswith("Standard_") and name != "NCv2":
                    name = "Standard_" + name
                out.append((provider, name, row["compute_capability_or_gfx"]))
    return out


def test_targets_agree_with_the_compat_snapshot(cloud: dict[str, Any], kb: Any) -> None:
    types = {(r["provider"], r["type"]): r for r in cloud["instances"]}
    for provider, name, target in compat_rows():
        if name in COMPAT_LEFT_OUT:
            continue
        assert (provider, name) in types, f"snapshot row {provider} {name} not in the table"
        gpu = kb.gpu(types[(provider, name)]["gpu"])
        assert (gpu.get("compute_capability") or gpu.get("gfx")) == target, name


# ------------------------------------------------------------------------- images


def test_aws_images_can_be_looked_up(cloud: dict[str, Any]) -> None:
    for img in cloud["images"]:
        if img["provider"] != "aws":
            continue
        assert img["ssm_parameter"] or img["name_pattern"], img["name"]
        if img["ssm_parameter"]:
            # /aws/service/deeplearning/ami/<arch>/<ami_type>/latest/ami-id, where the
            # ami_type is the AMI name without "Deep Learning", "AMI" (and "ARM64").
            slug = {"ubuntu22.04": "ubuntu-22.04", "ubuntu24.04": "ubuntu-24.04",
                    "amazonlinux2023": "amazon-linux-2023"}[img["os"]]
            assert img["ssm_parameter"] == (
                f"/aws/service/deeplearning/ami/{img['arch']}/"
                f"base-oss-nvidia-driver-gpu-{slug}/latest/ami-id"), img["name"]
        if img["name_pattern"]:
            assert img["name_pattern"] == img["name"] + " *"
            assert ("ARM64" in img["name"]) == (img["arch"] == "arm64"), img["name"]
        if img["release"]:
            dt.date(int(img["release"][:4]), int(img["release"][4:6]), int(img["release"][6:]))


def test_images_cover_both_arches_and_oses(cloud: dict[str, Any]) -> None:
    aws = {(i["arch"], i["os"]) for i in cloud["images"] if i["provider"] == "aws"}
    for arch in ("x86_64", "arm64"):
        for os_name in ("ubuntu22.04", "ubuntu24.04", "amazonlinux2023"):
            assert (arch, os_name) in aws
    urns = {i["urn"] for i in cloud["images"] if i["provider"] == "azure"}
    assert "microsoft-dsvm:ubuntu-hpc:2204:latest" in urns
    assert "microsoft-dsvm:ubuntu-hpc:2404:latest" in urns


def test_image_drivers_run_their_cuda(cloud: dict[str, Any], kb: Any) -> None:
    """Every image driver is a branch the driver table knows and runs the image's CUDA."""
    for img in cloud["images"]:
        if img["driver"] is None:
            assert img["status"] in ("gap", "knowledge"), img["name"]
            continue
        assert kb.driver_branch(img["driver"]) is not None, img["driver"]
        if img["cuda"]:
            assert kb.driver_supports(img["driver"], img["cuda"]) is True, img["name"]
        assert img["release"], img["name"]
        assert "upported instances" in img.get("notes", ""), img["name"]


def test_image_supported_instances_exist_in_the_table(cloud: dict[str, Any]) -> None:
    """Families an image's notes name as supported are families the table lists."""
    families = {r["type"].split(".")[0].lower() for r in cloud["instances"]
                if r["provider"] == "aws"}
    for img in cloud["images"]:
        match = re.search(r"upported instances: ([^.]+)\.", img.get("notes", ""))
        if img["provider"] != "aws" or not match:
            continue
        for family in (f.strip().lower() for f in match.group(1).split(",")):
            if family in ("p4", "gr6f", "g6f", "p6e-gb300"):
                continue  # fractional-GPU families and UltraServer nodes are not listed
            assert family in families, (img["name"], family)


# ------------------------------------------------------------------------- spot checks


def test_spot_checks_aws(cloud: dict[str, Any]) -> None:
    g5 = find(cloud, "aws", "g5.xlarge")
    assert (g5["gpu"], g5["gpu_count"], g5["gpu_memory_gib"]) == ("A10G", 1, 24)
    assert (g5["vcpus"], g5["memory_gib"], g5["arch"]) == (4, 16, "x86_64")
    assert g5["price_usd_hour"] == 1.006 and g5["price_region"] == "us-east-1"
    p4d = find(cloud, "aws", "p4d.24xlarge")
    assert (p4d["gpu_count"], p4d["gpu_memory_gib"]) == (8, 40)
    assert p4d["gpu"].startswith("A100")
    assert find(cloud, "aws", "p4de.24xlarge")["gpu_memory_gib"] == 80
    t4 = find(cloud, "aws", "g4dn.12xlarge")
    assert (t4["gpu"], t4["gpu_count"], t4["gpu_memory_gib"]) == ("T4", 4, 16)
    g5g = find(cloud, "aws", "g5g.xlarge")
    assert (g5g["gpu"], g5g["arch"], g5g["gpu_memory_gib"]) == ("T4G", "arm64", 16)
    p5 = find(cloud, "aws", "p5.48xlarge")
    assert (p5["gpu_count"], p5["gpu_memory_gib"], p5["vcpus"]) == (8, 80, 192)
    assert find(cloud, "aws", "p3.2xlarge")["gpu"].startswith("V100")
    assert find(cloud, "aws", "p3.8xlarge")["gpu_count"] == 4
    b200 = find(cloud, "aws", "p6-b200.48xlarge")
    assert (b200["gpu"], b200["gpu_count"]) == ("B200", 8)
    assert find(cloud, "aws", "g6e.12xlarge")["gpu_count"] == 4
    assert find(cloud, "aws", "g6.xlarge")["gpu"] == "L4"


def test_spot_checks_azure(cloud: dict[str, Any], kb: Any) -> None:
    a100 = find(cloud, "azure", "Standard_NC24ads_A100_v4")
    assert (a100["gpu_count"], a100["gpu_memory_gib"], a100["vcpus"]) == (1, 80, 24)
    assert kb.gpu(a100["gpu"])["name"] == "A100 80GB"
    nd = find(cloud, "azure", "Standard_ND96asr_v4")
    assert (nd["gpu_count"], nd["gpu_memory_gib"]) == (8, 40)
    h100 = find(cloud, "azure", "Standard_NC40ads_H100_v5")
    assert (h100["gpu_count"], h100["gpu_memory_gib"]) == (1, 94)
    ndh = find(cloud, "azure", "Standard_ND96isr_H100_v5")
    assert (ndh["gpu_count"], ndh["gpu_memory_gib"]) == (8, 80)
    t4 = find(cloud, "azure", "Standard_NC4as_T4_v3")
    assert (t4["gpu"], t4["vcpus"], t4["memory_gib"]) == ("T4", 4, 28)
    v100 = find(cloud, "azure", "Standard_NC6s_v3")
    assert v100["gpu"] == "V100" and "Retired" in v100["notes"]
    mi = find(cloud, "azure", "Standard_ND96isr_MI300X_v5")
    assert (mi["gpu_count"], mi["gpu_memory_gib"]) == (8, 192)
    assert kb.gpu(mi["gpu"])["gfx"] == "gfx942"
    a10 = find(cloud, "azure", "Standard_NV36ads_A10_v5")
    assert (a10["gpu"], a10["gpu_count"], a10["gpu_memory_gib"]) == ("A10", 1, 24)


def test_cheapest_fit_is_sensible(cloud: dict[str, Any]) -> None:
    """What `cloud plan` would choose on AWS for one GPU with at least 40 GiB."""
    fits = [r for r in cloud["instances"]
            if r["provider"] == "aws" and r["price_usd_hour"] and r["gpu_memory_gib"] >= 40]
    best = min(fits, key=lambda r: r["price_usd_hour"])
    assert best["type"] == "g6e.xlarge"
