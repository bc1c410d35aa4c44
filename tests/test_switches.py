"""icsync is right whatever AWS does where nobody knows what it does: the quickstart applied, planned,
checked for drift and imported with each of the sandbox's unverified behaviours switched on.

Each switch is off by default (gitsync/sandbox/switches.py says what it does and why it is unknown);
a plan right after an apply must say "No changes." under every one of them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitsync.sandbox import Sandbox
from tests.helpers import icsync

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"
SWITCHES = ["adapter_echoes_base_compute", "data_cache_config_when_unset", "failure_reason_sticks",
            "adapter_variant_refused", "variant_name_required", "surge_shortage_rolls_back",
            "host_reserves_memory", "endpoint_updating_refuses_components"]


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    root = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns(".icsync"))
    return root


@pytest.fixture
def sandbox(quickstart: Path) -> Iterator[Sandbox]:
    with Sandbox(port=0, seed=quickstart / "sandbox-seed.yaml", region="us-east-1") as running:
        yield running


@pytest.mark.parametrize("switch", SWITCHES)
def test_apply_then_plan_and_drift_say_nothing_to_do(switch: str, quickstart: Path, sandbox: Sandbox) -> None:
    sandbox.set_switches(**{switch: True})
    args = ["-C", quickstart, "--env", "dev", "--endpoint-url", sandbox.url]
    applied = icsync("apply", *args, "--auto-approve")
    assert applied.code == 0, applied.all
    assert "rolled back" not in applied.all
    plan = icsync("plan", *args, "--detailed-exitcode")
    assert plan.code == 0 and "No changes." in plan.out, plan.all
    drift = icsync("drift", *args)
    assert drift.code == 0, drift.all


def test_an_account_imported_with_every_switch_on_plans_as_no_changes(
        quickstart: Path, sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.set_switches(**dict.fromkeys(SWITCHES, True))
    assert "autoscaling:" in (quickstart / "components" / "embedder.yaml").read_text()
    assert icsync("apply", "-C", quickstart, "--env", "dev", "--endpoint-url", sandbox.url,
                  "--auto-approve").code == 0
    imported = tmp_path / "again" / "quickstart"  # the project that owns them, its manifests lost
    args = ["-C", imported, "--env", "dev", "--endpoint-url", sandbox.url, "--region", "us-east-1"]
    result = icsync("import", *args)
    assert result.code == 0, result.all
    # import writes a secret as env_var("HF_TOKEN"), never in clear: the value the quickstart sent
    plan = icsync("plan", *args, "--detailed-exitcode", env={"HF_TOKEN": "hf-demo-token-not-a-real-one"})
    assert plan.code == 0 and "No changes." in plan.out, plan.all
