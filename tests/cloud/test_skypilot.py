"""SkyPilot export: the task YAML for a checked plan, read back with PyYAML."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from envdoctor import __version__
from envdoctor.cli import main
from envdoctor.cloud import skypilot
from envdoctor.cloud.plan import BoxPlan, Needs, plan_box
from envdoctor.knowledge import KnowledgeBase

KB = KnowledgeBase()
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)


def task_of(box: BoxPlan) -> dict[str, Any]:
    data = yaml.safe_load(skypilot.render_task(box))
    assert isinstance(data, dict)
    assert data == skypilot.build_task(box)  # the emitter wrote exactly the document
    return data


def installs_in_user_data(box: BoxPlan) -> list[str]:
    return re.findall(r'"\$pip" install --quiet (.+?) >> "\$log"', box.user_data)


def test_aws_task_asks_for_the_planned_instance_and_checks_it() -> None:
    box = plan_box(KB, Needs(provider="aws", gpu="A10G", frameworks=("torch", "jax"),
                             owner="ci"), now=NOW)
    task = task_of(box)
    assert set(task) == {"name", "resources", "setup", "run"}
    resources = task["resources"]
    assert resources == {
        "infra": "aws", "instance_type": "g5.xlarge", "accelerators": {"A10G": 1},
        "use_spot": False, "disk_size": 256,
        "autostop": {"idle_minutes": 30, "down": True},
        # Not managed-by=envdoctor: SkyPilot owns these nodes, `cloud down` must not.
        "labels": {"owner": "ci", "expires-at": "2026-11-23T16:00:00Z",
                   "envdoctor-plan": "torch,jax", "created-with": "envdoctor-plan"},
    }
    # SkyPilot takes AMI ids, not the SSM parameter the plan's image is known by.
    assert "image_id" not in resources
    assert task["run"] == "envdoctor check"
    setup = task["setup"].splitlines()
    installs = [line.removeprefix("pip install --quiet ") for line in setup
                if line.startswith("pip install --quiet ")]
    assert installs == installs_in_user_data(box)
    assert installs[0] == f"'envdoctor=={__version__}'"
    assert any(line.startswith("sudo shutdown -h +240 ") for line in setup)


def test_azure_task_uses_the_plans_image_region_and_spot() -> None:
    box = plan_box(KB, Needs(provider="azure", gpu="A100", frameworks=("torch",), spot=True,
                             region="westeurope", max_hours=2), now=NOW)
    resources = task_of(box)["resources"]
    assert resources["infra"] == "azure/westeurope"
    assert resources["instance_type"] == "Standard_NC24ads_A100_v4"
    assert resources["accelerators"] == {"A100-80GB": 1}
    assert resources["use_spot"] is True
    assert resources["image_id"] == box.image.urn == "microsoft-dsvm:ubuntu-hpc:2204:latest"
    assert resources["disk_size"] == 256
    assert resources["labels"]["expires-at"] == "2026-11-23T14:00:00Z"


def test_a_gpu_skypilot_may_name_otherwise_is_left_to_its_catalogue() -> None:
    box = plan_box(KB, Needs(provider="azure", gpu="MI300X", frameworks=("torch",)), now=NOW)
    resources = task_of(box)["resources"]
    assert "accelerators" not in resources
    assert resources["instance_type"] == "Standard_ND96isr_MI300X_v5"


def test_the_yaml_explains_the_cost_guard() -> None:
    box = plan_box(KB, Needs(provider="aws", gpu="L4"), now=NOW)
    text = skypilot.render_task(box)
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("sky launch --down -i 30" in line for line in header)
    assert any(box.image.ssm_parameter in line for line in header if box.image.ssm_parameter)


def test_cli_plan_export_skypilot_writes_sky_yaml(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["cloud", "plan", "aws", "--gpu", "A10G", "-f", "torch", "--export",
                 "skypilot", "-o", str(tmp_path)])
    capsys.readouterr()
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sky.yaml", "user-data.yaml"]
    task = yaml.safe_load((tmp_path / "sky.yaml").read_text(encoding="utf-8"))
    assert task["resources"]["instance_type"] == "g5.xlarge"
    assert task["run"] == "envdoctor check"


def test_an_unknown_export_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["cloud", "plan", "aws", "--gpu", "A10G", "--export", "terraform"])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: unknown export format 'terraform'" in err


# --------------------------------------------------------------------------- emitter

keys = st.text(min_size=1, max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40))
documents = st.recursive(
    st.dictionaries(keys, scalars, max_size=4),
    lambda inner: st.dictionaries(keys, st.one_of(scalars, inner, st.lists(scalars, max_size=3)),
                                  max_size=4),
    max_leaves=12)


@given(documents)
def test_the_emitter_round_trips_through_pyyaml(document: dict[str, Any]) -> None:
    text = "\n".join(skypilot.dump_yaml(document)) + "\n"
    assert (yaml.safe_load(text) or {}) == document, text


@pytest.mark.parametrize("script", ["set -e\necho one\n", "a\n\nb", "# comment\nx: y\n- z\n"])
def test_scripts_are_written_as_literal_blocks(script: str) -> None:
    text = "\n".join(skypilot.dump_yaml({"setup": script})) + "\n"
    assert text.startswith("setup: |")
    assert yaml.safe_load(text) == {"setup": script}
