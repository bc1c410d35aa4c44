"""build_plan, directly: desired and live state in, a Plan out, with no I/O.

Live state is written here as DescribeInferenceComponent answers look (the sandbox's wire tests
check that shape against botocore's model); the manifests go through the real loader."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from gitsync import applied, normalize
from gitsync.manifests.load import parse
from gitsync.manifests.validate import Desired, to_desired
from gitsync.plan import Action
from gitsync.planner import BATCH_SECONDS, PRUNE_TAG, PlanSettings, build_plan, deployment_timeout
from gitsync.secrets import SENSITIVE
from gitsync.state import ENVIRONMENT_TAG, PROJECT_TAG, LiveComponent, LiveScaling, LiveState

SETTINGS = PlanSettings(environment="dev", project="shop")
OWNED = {PROJECT_TAG: "shop", ENVIRONMENT_TAG: "dev"}
ARN = "arn:aws:sagemaker:us-east-1:123456789012:inference-component/{}"


def manifest(name: str = "web", copies: int = 1, image: str = "repo/web:1", endpoint: str = "ep",
             extra: str = "") -> str:
    return f"""
InferenceComponentName: {name}
EndpointName: {endpoint}
VariantName: AllTraffic
Specification:
  ModelName: model-a
  Container:
    Image: {image}
    Environment: {{LOG_LEVEL: info, API_TOKEN: s3cr3t}}
  ComputeResourceRequirements: {{NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 1024}}
RuntimeConfig:
  CopyCount: {copies}
{extra}"""


def desired(*texts: str) -> list[Desired]:
    documents = []
    for index, text in enumerate(texts):
        parsed, problems = parse(f"components/{index}.yaml", text)
        assert problems == []
        documents += parsed
    found, problems = to_desired(documents)
    assert problems == []
    return found


def describe(want: Desired, copies: int | None = None, status: str = "InService") -> dict[str, Any]:
    """What AWS answers for the component `want` asks for, once it is deployed."""
    spec = copy.deepcopy(want.body["Specification"])
    image = spec["Container"].pop("Image")
    spec["Container"]["DeployedImage"] = {"SpecifiedImage": image,
                                          "ResolvedImage": f"{image.split(':')[0]}@sha256:{'a' * 64}"}
    count = want.body["RuntimeConfig"]["CopyCount"] if copies is None else copies
    return {"InferenceComponentName": want.name, "InferenceComponentArn": ARN.format(want.name),
            "EndpointName": want.endpoint, "EndpointArn": f"arn:aws:sagemaker:us-east-1:1:endpoint/{want.endpoint}",
            "VariantName": want.body["VariantName"], "Specification": spec,
            "RuntimeConfig": {"DesiredCopyCount": count, "CurrentCopyCount": count},
            "InferenceComponentStatus": status}


def summary(name: str, endpoint: str = "ep") -> dict[str, Any]:
    return {"InferenceComponentName": name, "InferenceComponentArn": ARN.format(name),
            "EndpointName": endpoint, "InferenceComponentStatus": "InService"}


def recorded(want: Desired) -> dict[str, str]:
    """The tags this icsync leaves on a component it applied from `want`: ownership and the record."""
    return OWNED | applied.encode(applied.paths_of(normalize.comparable_desired(want.body)))


def live_of(*components: tuple[Desired, dict[str, Any], dict[str, str]], **more: Any) -> LiveState:
    return LiveState({d.name: LiveComponent(doc, tags) for d, doc, tags in components},
                     {d.name: summary(d.name, d.endpoint) for d, _, _ in components}, **more)


def test_a_component_not_live_is_created_with_the_ownership_tags() -> None:
    [web] = desired(manifest())
    plan = build_plan([web], LiveState(), SETTINGS)
    [change] = plan.changes
    assert change.action is Action.CREATE
    [call] = change.calls
    assert call.operation == "CreateInferenceComponent"
    assert {"Key": PROJECT_TAG, "Value": "shop"} in call.params["Tags"]
    assert {"Key": ENVIRONMENT_TAG, "Value": "dev"} in call.params["Tags"]
    assert call.params["Specification"]["Container"]["Environment"]["API_TOKEN"] == "s3cr3t"
    secret = next(f for f in change.fields if f.path.endswith("API_TOKEN"))
    assert secret.sensitive and secret.after == SENSITIVE


def test_live_as_the_manifest_says_is_no_change() -> None:
    [web] = desired(manifest())
    plan = build_plan([web], live_of((web, describe(web), OWNED)), SETTINGS)
    assert [(c.action, c.calls) for c in plan.changes] == [(Action.NOOP, ())]
    assert not plan.has_changes


def test_only_the_copy_count_is_a_runtime_config_update() -> None:
    [web] = desired(manifest(copies=3))
    [change] = build_plan([web], live_of((web, describe(web, copies=1), recorded(web))), SETTINGS).changes
    assert change.action is Action.SCALE
    assert [(c.operation, c.params) for c in change.calls] == [
        ("UpdateInferenceComponentRuntimeConfig",
         {"InferenceComponentName": "web", "DesiredRuntimeConfig": {"CopyCount": 3}})]


def test_a_specification_change_is_an_update_carrying_the_count_when_it_changes_too() -> None:
    [old] = desired(manifest())
    [new] = desired(manifest(image="repo/web:2", copies=2))
    [change] = build_plan([new], live_of((new, describe(old), recorded(old))), SETTINGS).changes
    assert change.action is Action.UPDATE
    [call] = change.calls
    assert call.operation == "UpdateInferenceComponent"
    assert call.params["Specification"]["Container"]["Image"] == "repo/web:2"
    assert call.params["RuntimeConfig"] == {"CopyCount": 2}
    assert {f.path: (f.before, f.after) for f in change.fields}["Specification.Container.Image"] \
        == ("repo/web:1", "repo/web:2")


def test_a_new_endpoint_replaces_the_component() -> None:
    [old] = desired(manifest())
    [moved] = desired(manifest(endpoint="other"))
    [change] = build_plan([moved], live_of((moved, describe(old), OWNED)), SETTINGS).changes
    assert change.action is Action.REPLACE
    assert [c.operation for c in change.calls] == ["DeleteInferenceComponent", "CreateInferenceComponent"]


@pytest.mark.parametrize(("tags", "prune", "deleted"), [
    (OWNED, True, True),
    (OWNED, False, False),  # without --prune nothing is deleted
    ({PROJECT_TAG: "shop", ENVIRONMENT_TAG: "prod"}, True, False),  # another environment's
    ({}, True, False),  # nobody's
    ({**OWNED, PRUNE_TAG: "false"}, True, False),  # its manifest said prune: false
])
def test_prune_deletes_only_what_this_project_and_environment_own(
        tags: dict[str, str], prune: bool, deleted: bool) -> None:
    [web, gone] = desired(manifest(), manifest("old"))
    live = live_of((web, describe(web), OWNED), (gone, describe(gone), tags))
    settings = PlanSettings(environment="dev", project="shop", prune=prune)
    plan = build_plan([web], live, settings)
    actions = {c.name: c.action for c in plan.changes}
    assert actions.get("old") is (Action.DELETE if deleted else None)
    assert plan.unmanaged == (() if deleted else ("old",))


SCALING = """icsync:
  autoscaling: {min: 1, max: 4, target: {metric: SageMakerInferenceComponentInvocationsPerCopy, value: 5}}
"""


def test_autoscaling_is_folded_into_the_components_change() -> None:
    [web] = desired(manifest(extra=SCALING))
    [change] = build_plan([web], live_of((web, describe(web), OWNED)), SETTINGS).changes
    assert change.action is Action.UPDATE and change.reason == "only autoscaling differs: no redeploy"
    assert [c.operation for c in change.calls] == ["RegisterScalableTarget", "PutScalingPolicy", "AddTags"]
    assert "icsync.autoscaling.max" in {f.path for f in change.fields}


def test_autoscaling_as_live_is_no_change_and_its_copy_count_is_the_autoscalers() -> None:
    [web] = desired(manifest(extra=SCALING))
    target = {"ResourceId": "inference-component/web", "MinCapacity": 1, "MaxCapacity": 4,
              "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount"}
    policy = {"PolicyName": "icsync-target-tracking", "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": 5.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}}}
    live = live_of((web, describe(web, copies=3), OWNED),
                   autoscaling={"web": LiveScaling(target, policy)})
    [change] = build_plan([web], live, SETTINGS).changes
    assert change.action is Action.NOOP, change
    assert [f.ignored for f in change.fields] == [True]  # CopyCount 3 -> 1, within [1, 4]


def test_build_plan_is_pure() -> None:
    [web, other] = desired(manifest(copies=2, extra=SCALING), manifest("other", image="repo/o:2"))
    [old_other] = desired(manifest("other"))
    live = live_of((web, describe(web, copies=1), OWNED), (other, describe(old_other), OWNED))
    before = copy.deepcopy((live, [d.body for d in (web, other)]))
    first = build_plan([web, other], live, SETTINGS)
    assert (live, [d.body for d in (web, other)]) == before
    assert build_plan([web, other], live, SETTINGS) == first


def test_a_deployment_is_waited_for_as_long_as_its_deployment_config_lets_it_run() -> None:
    body = {"RuntimeConfig": {"CopyCount": 10}}
    rolling = {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 3}, "WaitIntervalInSeconds": 300}
    assert deployment_timeout({"RollingUpdatePolicy": rolling}, body) == 4 * (BATCH_SECONDS + 300)
    percent = {**rolling, "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 50}}
    assert deployment_timeout({"RollingUpdatePolicy": percent}, body) == 2 * (BATCH_SECONDS + 300)
    capped = {**rolling, "MaximumExecutionTimeoutInSeconds": 7200}
    assert deployment_timeout({"RollingUpdatePolicy": capped}, body) == 7200
    assert deployment_timeout(None, body) is None  # the executor's default: three hours


# -- three-way diff: what icsync applied last (the icsync:applied tags) -------------------------
def _recorded(want: Desired) -> dict[str, str]:
    """The tags a create of `want` carries: ownership and the applied-fields record."""
    [call] = build_plan([want], LiveState(), SETTINGS).changes[0].calls
    return {t["Key"]: t["Value"] for t in call.params["Tags"]}


def _with_data_cache(document: dict[str, Any]) -> dict[str, Any]:
    """AWS's answer with a field nobody set (data_cache_config_when_unset: DataCacheConfig)."""
    document["Specification"]["DataCacheConfig"] = {"EnableCaching": False}
    return document


def test_create_records_the_paths_it_set_compactly_and_no_values() -> None:
    [web] = desired(manifest())
    tags = _recorded(web)
    record = tags["icsync:applied"]
    assert record.startswith("1:") and len(record) <= 256
    assert re.fullmatch(r"[\w.:/=+\-@ ]*", record)  # AWS's tag value alphabet
    assert "s3cr3t" not in record and "API_TOKEN" not in record and "repo/web" not in record


def test_a_field_aws_filled_in_is_no_change_once_icsync_applied_the_manifest() -> None:
    [web] = desired(manifest())
    live = live_of((web, _with_data_cache(describe(web)), _recorded(web)))
    [change] = build_plan([web], live, SETTINGS).changes
    assert change.action is Action.NOOP and change.calls == ()
    [field] = change.fields
    assert field.path == "Specification.DataCacheConfig.EnableCaching" and field.set_by_aws


def test_a_field_the_user_removed_is_still_a_change() -> None:
    [before] = desired(manifest(extra="Tags: []\n").replace(
        "  ComputeResourceRequirements:", "  DataCacheConfig: {EnableCaching: true}\n  ComputeResourceRequirements:"))
    [after] = desired(manifest())
    document = describe(before)
    live = live_of((after, document, _recorded(before)))
    [change] = build_plan([after], live, SETTINGS).changes
    assert change.action is Action.UPDATE
    [field] = change.fields
    assert (field.path, field.before, field.after, field.set_by_aws) == (
        "Specification.DataCacheConfig.EnableCaching", True, None, False)
    update, tags = change.calls
    assert update.operation == "UpdateInferenceComponent" and "DataCacheConfig" not in update.params["Specification"]
    # The record follows the manifest: the field is no longer recorded as applied.
    assert tags.operation == "AddTags" and tags.params["Tags"] == [
        {"Key": "icsync:applied", "Value": _recorded(after)["icsync:applied"]}]


def test_without_a_record_a_live_only_field_keeps_todays_two_way_diff() -> None:
    [web] = desired(manifest())
    [change] = build_plan([web], live_of((web, _with_data_cache(describe(web)), OWNED)), SETTINGS).changes
    assert change.action is Action.UPDATE and not change.fields[0].set_by_aws


def test_a_long_record_spills_into_numbered_tags() -> None:
    paths = frozenset(f"Specifications[{i}].Container.Image" for i in range(120))
    tags = applied.encode(paths)
    assert list(tags) == ["icsync:applied", "icsync:applied:2"]
    assert all(len(v) <= 256 for v in tags.values())
    assert applied.decode(tags) == {applied.code(p) for p in paths}
    assert applied.encode(frozenset(f"Specifications[{i}].X" for i in range(1000))) == {"icsync:applied": ""}
    assert applied.decode({"icsync:applied": ""}) is None
    assert applied.tracked_path("Specification.Container.Environment.API_TOKEN") == \
        "Specification.Container.Environment"


# -- in progress and failed: never "no changes" --------------------------------------------
@pytest.mark.parametrize("state", ["Creating", "Updating"])
def test_a_deployment_in_progress_is_a_wait_not_no_changes(state: str) -> None:
    [web] = desired(manifest())
    plan = build_plan([web], live_of((web, describe(web, status=state), OWNED)), SETTINGS)
    [change] = plan.changes
    assert (change.action, change.calls, change.in_progress) == (Action.WAIT, (), True)
    assert state in change.reason and plan.has_changes and plan.in_progress == 1


def test_a_change_to_a_component_in_progress_says_so_and_keeps_its_calls() -> None:
    [old] = desired(manifest())
    [new] = desired(manifest(image="repo/web:2"))
    [change] = build_plan([new], live_of((new, describe(old, status="Updating"), OWNED)), SETTINGS).changes
    assert change.action is Action.UPDATE and change.in_progress
    assert change.reason.startswith("Updating (a deployment is in progress")


def test_a_failed_component_is_re_created_with_aws_reason() -> None:
    [web] = desired(manifest())
    document = describe(web, status="Failed") | {"FailureReason": "Image pull failed"}
    [change] = build_plan([web], live_of((web, document, OWNED)), SETTINGS).changes
    assert change.action is Action.REPLACE and change.failed
    assert "Image pull failed" in change.reason
    assert [c.operation for c in change.calls] == ["DeleteInferenceComponent", "CreateInferenceComponent"]


def test_prune_leaves_a_component_already_deleting_alone() -> None:
    [web] = desired(manifest())
    [gone] = desired(manifest(name="gone"))
    live = live_of((web, describe(web), OWNED), (gone, describe(gone, status="Deleting"), OWNED))
    live.listed["gone"]["InferenceComponentStatus"] = "Deleting"
    plan = build_plan([web], live, PlanSettings(environment="dev", project="shop", prune=True))
    assert [c.name for c in plan.changes] == ["web"] and plan.unmanaged == ()


# -- ownership ----------------------------------------------------------------------------------
def test_a_component_another_project_owns_fails_the_plan_naming_the_owner() -> None:
    from gitsync.errors import OwnershipError

    [web] = desired(manifest(copies=3))
    theirs = {PROJECT_TAG: "search", ENVIRONMENT_TAG: "prod"}
    with pytest.raises(OwnershipError, match="web: owned by project `search`, environment `prod`"):
        build_plan([web], live_of((web, describe(web, copies=1), theirs)), SETTINGS)
    adopting = PlanSettings(environment="dev", project="shop", adopt=("web",))
    [change] = build_plan([web], live_of((web, describe(web, copies=1), theirs)), adopting).changes
    assert change.action is Action.SCALE
    assert {(f.path, f.before, f.after) for f in change.fields if f.path.startswith("Tags.")} == {
        ("Tags.icsync:project", "search", "shop"), ("Tags.icsync:environment", "prod", "dev")}
    assert [c.operation for c in change.calls] == ["UpdateInferenceComponentRuntimeConfig", "AddTags"]


def test_an_unowned_component_is_adopted_by_its_first_apply() -> None:
    [web] = desired(manifest(copies=3))
    [change] = build_plan([web], live_of((web, describe(web, copies=1), {})), SETTINGS).changes
    [tags] = [c for c in change.calls if c.operation == "AddTags"]
    written = {t["Key"]: t["Value"] for t in tags.params["Tags"]}
    assert (written.pop(PROJECT_TAG), written.pop(ENVIRONMENT_TAG)) == ("shop", "dev")
    assert list(written) == [applied.TAG]  # and the record of what the manifest sets
    [same] = desired(manifest())
    [adopted] = build_plan([same], live_of((same, describe(same), {})), SETTINGS).changes
    # adopted though it matches: its first apply writes the ownership tags and the record
    assert adopted.action is Action.TAG and [c.operation for c in adopted.calls] == ["AddTags"]
    assert {t["Key"] for t in adopted.calls[0].params["Tags"]} == {PROJECT_TAG, ENVIRONMENT_TAG, applied.TAG}
    [left] = build_plan([same], live_of((same, describe(same), OWNED)), SETTINGS).changes
    assert (left.action, left.calls) == (Action.NOOP, ())  # owned and matching: left alone


def test_a_component_being_deleted_is_a_wait_with_its_reason() -> None:
    [web] = desired(manifest())
    [change] = build_plan([web], live_of((web, describe(web, status="Deleting"), OWNED)), SETTINGS).changes
    assert (change.action, change.calls, change.in_progress) == (Action.WAIT, (), True)
    assert change.reason.startswith("being deleted (Deleting)")


def test_the_first_write_to_a_component_without_a_record_records_the_fields() -> None:
    [web] = desired(manifest(copies=3))
    [change] = build_plan([web], live_of((web, describe(web, copies=1), OWNED)), SETTINGS).changes
    assert [c.operation for c in change.calls] == ["UpdateInferenceComponentRuntimeConfig", "AddTags"]
    assert [t["Key"] for t in change.calls[1].params["Tags"]] == [applied.TAG]
