"""Autoscaling in the manifest: the scalable target and its policy, planned and applied through the
CLI against the sandbox (Application Auto Scaling served by moto on the same port).

moto keeps Application Auto Scaling state per process, not per sandbox: each test names its own
component so that no target registered by another test is seen."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from gitsync import autoscaling
from gitsync.manifests.options import Autoscaling
from tests.helpers import Live, demo_project, icsync

DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
SCALING = """
icsync:
  autoscaling:
    min: {low}
    max: {high}
    target: {{metric: SageMakerInferenceComponentInvocationsPerCopy, value: {value}}}
    scale_in_cooldown: 300
    scale_out_cooldown: 60
"""


def project(root: Path, name: str, low: int = 1, high: int = 8, value: float = 4, copies: int = 2,
            scaled: bool = True) -> Path:
    demo_project(root, name=name, copies=copies)
    manifest = root / "components" / "web.yaml"
    text = manifest.read_text().split("\nicsync:")[0]
    manifest.write_text(text + (SCALING.format(low=low, high=high, value=value) if scaled else ""))
    return root


def args(root: Path, live: Live) -> list[str]:
    return ["-C", str(root), "--env", "dev", "--endpoint-url", live.url]


def scaler(live: Live) -> object:
    return boto3.client("application-autoscaling", endpoint_url=live.url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def targets(live: Live, name: str) -> list[dict[str, object]]:
    client = scaler(live)
    return client.describe_scalable_targets(  # type: ignore[attr-defined]
        ServiceNamespace="sagemaker", ResourceIds=[f"inference-component/{name}"])["ScalableTargets"]


def test_apply_creates_target_and_policy_then_plans_no_changes(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path, "web-create")
    first = icsync("plan", *args(root, live))
    assert "calls: CreateInferenceComponent, RegisterScalableTarget, PutScalingPolicy" in first.out, first.all
    assert "+ icsync.autoscaling.max: 8" in first.out
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    found = targets(live, "web-create")
    assert [(t["ResourceId"], t["ScalableDimension"], t["MinCapacity"], t["MaxCapacity"]) for t in found] \
        == [("inference-component/web-create", DIMENSION, 1, 8)]
    policies = scaler(live).describe_scaling_policies(  # type: ignore[attr-defined]
        ServiceNamespace="sagemaker", ResourceId="inference-component/web-create")["ScalingPolicies"]
    config = policies[0]["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == 4.0 and config["ScaleInCooldown"] == 300
    assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] \
        == "SageMakerInferenceComponentInvocationsPerCopy"
    again = icsync("plan", *args(root, live), "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.out, again.all


def test_policy_and_range_changes_are_planned_and_applied(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path, "web-policy")
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    project(root, "web-policy", low=0, high=4, value=10)  # min 0: scale to zero
    plan = icsync("plan", *args(root, live), "--output", "json")
    change = json.loads(plan.out)["changes"][0]
    assert change["action"] == "update" and change["reason"] == "only autoscaling differs: no redeploy"
    assert change["calls"] == ["RegisterScalableTarget", "PutScalingPolicy"]
    paths = {f["path"]: (f["before"], f["after"]) for f in change["fields"]}
    assert paths["icsync.autoscaling.min"] == (1, 0)
    assert paths["icsync.autoscaling.target.value"] == (4.0, 10.0)
    live.clear_log()
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    assert not [r for r in live.mutating() if r["operation"].startswith("Update")]  # CopyCount untouched
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets(live, "web-policy")] == [(0, 4)]
    assert "No changes." in icsync("plan", *args(root, live)).out


def test_copy_count_within_range_is_the_autoscalers_outside_it_is_drift(tmp_path: Path,
                                                                        live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path, "web-drift", low=1, high=8, copies=2)
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    live.client.update_inference_component_runtime_config(InferenceComponentName="web-drift",
                                                          DesiredRuntimeConfig={"CopyCount": 6})
    plan = icsync("plan", *args(root, live), "--detailed-exitcode")
    assert plan.code == 0 and "No changes." in plan.out, plan.all
    drift = icsync("drift", *args(root, live), "--output", "json")
    assert drift.code == 0, drift.all
    component = json.loads(drift.out)["environments"][0]["components"][0]
    assert component["status"] == "expected"
    assert component["expected"][0]["path"] == "RuntimeConfig.CopyCount"
    live.clear_log()
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    assert live.mutating() == []  # apply never writes an autoscaled count within range
    live.client.update_inference_component_runtime_config(InferenceComponentName="web-drift",
                                                          DesiredRuntimeConfig={"CopyCount": 9})
    outside = icsync("drift", *args(root, live), "--output", "json")
    assert outside.code == 2, outside.all
    assert json.loads(outside.out)["environments"][0]["components"][0]["status"] == "modified"
    scale = icsync("plan", *args(root, live))
    assert "calls: UpdateInferenceComponentRuntimeConfig" in scale.out, scale.out


def test_dropping_autoscaling_deregisters_the_target(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path, "web-drop")
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    project(root, "web-drop", scaled=False)
    plan = icsync("plan", *args(root, live))
    assert "calls: DeregisterScalableTarget, DeleteTags" in plan.out, plan.all
    assert "- icsync.autoscaling.max: 8" in plan.out
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    assert targets(live, "web-drop") == []
    assert "No changes." in icsync("plan", *args(root, live)).out


def test_components_without_autoscaling_read_no_autoscaling_state(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path, "web-plain", scaled=False)
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    live.clear_log()
    assert "No changes." in icsync("plan", *args(root, live)).out
    assert not [op for op in live.operations() if "Scal" in op]


@pytest.mark.parametrize(("block", "message"), [
    ("{min: -1, max: 2, target: {metric: M, value: 1}}", "min must be a whole number of copies, 0 or more"),
    ("{min: 3, max: 2, target: {metric: M, value: 1}}", "max (2) is below min (3)"),
    ("{min: 1, max: 2, target: {value: 1}}", "target.metric must name a predefined metric type"),
    ("{min: 1, max: 2, target: {metric: M, value: 0}}", "target.value must be a number above 0"),
    ("{min: 1, max: 2, target: {metric: M, value: 1}, scale_in_cooldown: -5}",
     "scale_in_cooldown must be a whole number of seconds, 0 or more"),
])
def test_bad_autoscaling_is_a_located_error(tmp_path: Path, block: str, message: str) -> None:
    root = project(tmp_path, "web-bad", scaled=False)
    manifest = root / "components" / "web.yaml"
    manifest.write_text(manifest.read_text() + f"icsync:\n  autoscaling: {block}\n")
    result = icsync("validate", "-C", root, "--env", "dev")
    assert result.code == 1
    assert "web.yaml:" in result.err and message in result.err and "icsync.autoscaling" in result.err
    assert "Traceback" not in result.all


def test_ignored_paths_is_the_range() -> None:
    want = Autoscaling(0, 4, "M", 1.0)
    assert autoscaling.ignored_paths(want, {"RuntimeConfig": {"DesiredCopyCount": 0}}) \
        == ("RuntimeConfig.CopyCount",)
    assert autoscaling.ignored_paths(want, {"RuntimeConfig": {"DesiredCopyCount": 5}}) == ()
    assert autoscaling.ignored_paths(None, {"RuntimeConfig": {"DesiredCopyCount": 1}}) == ()


def test_custom_metric_policy_and_dry_run(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path, "web-custom", scaled=False)
    manifest = root / "components" / "web.yaml"
    manifest.write_text(manifest.read_text() + (
        "icsync:\n  autoscaling:\n    min: 0\n    max: 3\n    target:\n      value: 70\n"
        "      custom: {MetricName: GPUUtilization, Namespace: /aws/sagemaker/InferenceComponents,"
        " Statistic: Average}\n"))
    live.clear_log()
    dry = icsync("apply", *args(root, live), "--dry-run")
    assert dry.code == 0, dry.all
    sent = [json.loads(line) for line in dry.out.splitlines() if line.startswith("{")]
    policy = next(s for s in sent if s["operation"] == "PutScalingPolicy")["params"]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"][
        "MetricName"] == "GPUUtilization"
    assert live.mutating() == []
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    assert "No changes." in icsync("plan", *args(root, live)).out


def test_prune_deletes_the_scalable_target_and_its_policy_with_the_component(tmp_path: Path,
                                                                             live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path, "web-prune")
    web = root / "components" / "web.yaml"
    (root / "components" / "keep.yaml").write_text(  # stays: the folder is not emptied
        web.read_text().split("\nicsync:")[0].replace("{{ name }}", "keep-prune"))
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    assert len(targets(live, "web-prune")) == 1
    web.unlink()
    plan = icsync("plan", *args(root, live), "--prune")
    assert "calls: DeleteScalingPolicy, DeregisterScalableTarget, DeleteInferenceComponent" in plan.out, \
        plan.all
    assert icsync("apply", *args(root, live), "--auto-approve", "--prune").code == 0
    assert targets(live, "web-prune") == []
    policies = scaler(live).describe_scaling_policies(  # type: ignore[attr-defined]
        ServiceNamespace="sagemaker", ResourceId="inference-component/web-prune")["ScalingPolicies"]
    assert policies == []
