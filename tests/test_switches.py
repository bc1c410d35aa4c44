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
from tests.helpers import Live, demo_project, icsync, set_values

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"
SWITCHES = ["adapter_echoes_base_compute", "data_cache_config_when_unset", "failure_reason_sticks",
            "adapter_variant_refused", "variant_name_required", "surge_shortage_rolls_back",
            "host_reserves_memory", "endpoint_updating_refuses_components",
            "endpoint_updating_while_deploying"]


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    root = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns(".icsync"))
    return root


@pytest.fixture
def sandbox(quickstart: Path) -> Iterator[Sandbox]:
    with Sandbox(port=0, seed=quickstart / "sandbox-seed.yaml", region="us-east-1") as running:
        yield running


@pytest.mark.parametrize("switch", [*SWITCHES, "all"])
def test_apply_then_plan_and_drift_say_nothing_to_do(switch: str, quickstart: Path, sandbox: Sandbox) -> None:
    sandbox.set_switches(**dict.fromkeys(SWITCHES if switch == "all" else [switch], True))
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


HAND_MADE = """
endpoints:
  - {EndpointName: team-endpoint, InstanceType: ml.g5.12xlarge, InstanceCount: 1}
models:
  - {ModelName: llama, PrimaryContainer: {Image: "repo/tgi:2.4.0"}}
inference_components:
  - InferenceComponentName: chat-dev
    EndpointName: team-endpoint
    VariantName: AllTraffic
    Specification:
      ModelName: llama
      ComputeResourceRequirements: {NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 8192}
    RuntimeConfig: {CopyCount: 1}
    Tags: [{Key: team, Value: chat}]
  - InferenceComponentName: chat-dev-adapter
    EndpointName: team-endpoint
    Specification: {BaseInferenceComponentName: chat-dev, Container: {ArtifactUrl: "s3://bucket/a.tar.gz"}}
"""


@pytest.mark.parametrize("switches", [[s] for s in SWITCHES] + [SWITCHES], ids=[*SWITCHES, "all"])
def test_a_hand_made_account_seeded_with_a_switch_on_imports_then_plans_as_no_changes(
        switches: list[str], tmp_path: Path) -> None:
    """Components no project made (no ownership tags, no record of what was applied): import
    writes what it sees and adopts them, and the plan right after it has nothing to do."""
    seed = tmp_path / "seed.yaml"
    seed.write_text(f"switches: {{{', '.join(f'{s}: true' for s in switches)}}}\n" + HAND_MADE)
    with Sandbox(port=0, seed=seed, region="us-east-1") as sandbox:
        args = ["-C", tmp_path / "team", "--env", "dev", "--endpoint-url", sandbox.url, "--region", "us-east-1"]
        result = icsync("import", *args)
        assert result.code == 0 and "chat-dev-adapter: adopted" in result.out, result.all
        plan = icsync("plan", *args, "--detailed-exitcode")
        assert plan.code == 0 and "No changes." in plan.out, plan.all
        drift = icsync("drift", *args)
        assert drift.code == 0, drift.all


@pytest.mark.parametrize("sticks", [False, True])
def test_a_deployment_that_succeeds_after_a_rollback_is_not_called_failed(
        sticks: bool, tmp_path: Path, live: Live) -> None:
    """With failure_reason_sticks, the FailureReason of the rolled-back deployment stays on the
    component after the next one succeeds: icsync judges its own deployment by what it sent."""
    live.seed_endpoint()
    live.sandbox.set_switches(failure_reason_sticks=sticks)
    root = demo_project(tmp_path / "p")
    args = ["-C", root, "--env", "dev", "--endpoint-url", live.url]
    assert icsync("apply", *args, "--auto-approve").code == 0
    set_values(root, tag="2.0")
    live.sandbox.fail_next_deployment("web", "Alarm HighLatency fired")
    failed = icsync("apply", *args, "--auto-approve")
    assert failed.code == 1 and "rolled back" in failed.out, failed.all
    again = icsync("apply", *args, "--auto-approve")
    assert again.code == 0 and "rolled back" not in again.all, again.all
    described = live.client.describe_inference_component(InferenceComponentName="web")
    assert ("FailureReason" in described) is sticks
    plan = icsync("plan", *args, "--detailed-exitcode")
    assert plan.code == 0 and "No changes." in plan.out, plan.all
    drift = icsync("drift", *args)
    assert drift.code == 0 and "failed" not in drift.out.lower(), drift.all


def test_a_component_applied_before_records_existed_converges_under_a_default_aws_fills_in(
        tmp_path: Path, live: Live) -> None:
    """Owned (an older icsync applied it) but with no `icsync:applied` record, while AWS returns a
    DataCacheConfig nobody set: the first plan must show it (two-way: it could be a field the user
    removed), and the apply that removes it records what the manifest sets, so the default AWS
    fills in again is no difference from then on: no perpetual diff."""
    live.seed_endpoint()
    live.sandbox.set_switches(data_cache_config_when_unset=True)
    root = demo_project(tmp_path / "p")
    args = ["-C", root, "--env", "dev", "--endpoint-url", live.url]
    assert icsync("apply", *args, "--auto-approve").code == 0
    arn = live.client.describe_inference_component(InferenceComponentName="web")["InferenceComponentArn"]
    live.client.delete_tags(ResourceArn=arn, TagKeys=["icsync:applied"])  # as an older icsync left it
    first = icsync("plan", *args, "--detailed-exitcode")
    assert first.code == 2 and "Specification.DataCacheConfig.EnableCaching" in first.out, first.all
    assert icsync("apply", *args, "--auto-approve").code == 0
    assert "icsync:applied" in {t["Key"] for t in live.client.list_tags(ResourceArn=arn)["Tags"]}
    again = icsync("plan", *args, "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.out, again.all
