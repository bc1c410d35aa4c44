"""Application Auto Scaling (served by moto) kept by `--state` across restarts, like the account."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests.helpers.wire import Sandboxes, Started

DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
TRACKING = {"TargetValue": 5.0, "ScaleInCooldown": 300, "PredefinedMetricSpecification": {
    "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}}


def resource() -> str:
    """moto keeps one account per process: every test names its own component."""
    return f"inference-component/ic-{uuid.uuid4().hex[:8]}"


def register(live: Started, resource_id: str) -> None:
    scaling = live.boto("application-autoscaling")
    scaling.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource_id,
                                     ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=4)
    scaling.put_scaling_policy(PolicyName="copies", ServiceNamespace="sagemaker", ResourceId=resource_id,
                               ScalableDimension=DIMENSION, PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration=TRACKING)


def described(live: Started) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    scaling = live.boto("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    return targets, policies


def test_targets_and_policies_survive_a_restart(tmp_path: Path, sandbox: Sandboxes) -> None:
    state = tmp_path / "state.json"
    first = sandbox(state=state)
    resource_id = resource()
    register(first, resource_id)
    before = described(first)
    first.sandbox.stop()
    again = sandbox(state=state)
    targets, policies = described(again)
    assert (targets, policies) == before  # ARNs and creation times included
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(resource_id, 1, 4)]
    assert [(p["PolicyName"], p["TargetTrackingScalingPolicyConfiguration"]) for p in policies] \
        == [("copies", TRACKING)]


def test_deregistering_and_deleting_are_kept_too(tmp_path: Path, sandbox: Sandboxes) -> None:
    state = tmp_path / "state.json"
    first = sandbox(state=state)
    resource_id = resource()
    register(first, resource_id)
    first.sandbox.stop()
    second = sandbox(state=state)
    scaling = second.boto("application-autoscaling")
    ident = {"ServiceNamespace": "sagemaker", "ResourceId": resource_id, "ScalableDimension": DIMENSION}
    scaling.delete_scaling_policy(PolicyName="copies", **ident)
    scaling.deregister_scalable_target(**ident)
    second.sandbox.stop()
    assert described(sandbox(state=state)) == ([], [])


def test_a_sandbox_with_state_sees_only_its_file(tmp_path: Path, sandbox: Sandboxes) -> None:
    """moto's backends are the process's: what a sandbox without --state registered is not kept."""
    register(sandbox(), resource())
    stateful = sandbox(state=tmp_path / "state.json")
    assert described(stateful) == ([], [])
    resource_id = resource()
    register(stateful, resource_id)
    saved = json.loads((tmp_path / "state.json").read_text())["application_autoscaling"]
    assert [t["resource_id"] for t in saved["us-east-1"]["targets"]] == [resource_id]


def test_a_state_file_from_before_autoscaling_was_kept_still_loads(tmp_path: Path,
                                                                   sandbox: Sandboxes) -> None:
    state = tmp_path / "state.json"
    first = sandbox(state=state)
    first.endpoint()
    first.sandbox.stop()
    document = json.loads(state.read_text())
    del document["application_autoscaling"]
    state.write_text(json.dumps(document))
    again = sandbox(state=state)
    assert again.client.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "InService"
    assert described(again) == ([], [])
