"""AWS's behaviour around inference components: references, transitions, status rules, updates, images."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers.wire import Sandboxes, Started, error_of

TRANSITION = 1.0  # long enough that a loaded machine still describes a component mid-transition
DIGEST = "ab" * 32


@pytest.fixture
def live(sandbox: Sandboxes) -> Started:
    started = sandbox()
    started.endpoint(models=("model-a", "model-b"))
    return started


@pytest.fixture
def slow(sandbox: Sandboxes) -> Started:
    started = sandbox(transition_seconds=TRANSITION)
    started.endpoint(models=("model-a", "model-b"))
    return started


def wait_transition() -> None:
    time.sleep(TRANSITION + 0.05)


def test_create_on_missing_endpoint_model_base_or_variant_fails(live: Started) -> None:
    with pytest.raises(ClientError) as endpoint:
        live.component("ic", endpoint="nope")
    assert error_of(endpoint) == ("ValidationException",
                                  'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/nope".')
    with pytest.raises(ClientError) as model:
        live.client.create_inference_component(
            InferenceComponentName="ic", EndpointName="ep", VariantName="AllTraffic",
            Specification={"ModelName": "ghost", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 128}},
            RuntimeConfig={"CopyCount": 1})
    assert error_of(model) == ("ValidationException",
                               'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/ghost".')
    with pytest.raises(ClientError) as base:
        live.client.create_inference_component(
            InferenceComponentName="adapter", EndpointName="ep",
            Specification={"BaseInferenceComponentName": "missing-base",
                           "Container": {"ArtifactUrl": "s3://bucket/adapter.tar.gz"}})
    assert error_of(base) == ("ValidationException", ('Could not find inference component '
                              '"arn:aws:sagemaker:us-east-1:123456789012:inference-component/missing-base".'))
    with pytest.raises(ClientError) as variant:
        live.component("ic", VariantName="Canary")
    assert error_of(variant)[1] == "Could not find variant Canary on endpoint ep."
    assert live.client.list_inference_components()["InferenceComponents"] == []


def test_adapter_on_an_existing_base(live: Started) -> None:
    live.component("base")
    live.client.create_inference_component(
        InferenceComponentName="adapter", EndpointName="ep",
        Specification={"BaseInferenceComponentName": "base",
                       "Container": {"ArtifactUrl": "s3://bucket/adapter.tar.gz"}})
    adapter = live.describe("adapter")
    assert adapter["Specification"] == {"BaseInferenceComponentName": "base",
                                        "Container": {"ArtifactUrl": "s3://bucket/adapter.tar.gz"}}
    assert adapter["VariantName"] == "AllTraffic" and "RuntimeConfig" not in adapter


def test_creating_then_in_service_with_current_copy_count_following(slow: Started) -> None:
    slow.component("ic", copies=3)
    creating = slow.describe("ic")
    assert creating["InferenceComponentStatus"] == "Creating"
    assert creating["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 0}
    wait_transition()
    done = slow.describe("ic")
    assert done["InferenceComponentStatus"] == "InService"
    assert done["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 3}
    assert done["LastModifiedTime"] > creating["LastModifiedTime"]


def test_updating_then_in_service(slow: Started) -> None:
    slow.component("ic", copies=1)
    wait_transition()
    slow.client.update_inference_component_runtime_config(
        InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 4})
    updating = slow.describe("ic")
    assert updating["InferenceComponentStatus"] == "Updating"
    assert updating["RuntimeConfig"] == {"DesiredCopyCount": 4, "CurrentCopyCount": 1}
    wait_transition()
    assert slow.describe("ic")["RuntimeConfig"] == {"DesiredCopyCount": 4, "CurrentCopyCount": 4}
    assert slow.describe("ic")["InferenceComponentStatus"] == "InService"


def test_deleting_then_gone(slow: Started) -> None:
    slow.component("ic")
    wait_transition()
    slow.client.delete_inference_component(InferenceComponentName="ic")
    assert slow.describe("ic")["InferenceComponentStatus"] == "Deleting"
    wait_transition()
    assert slow.client.list_inference_components()["InferenceComponents"] == []


@pytest.mark.parametrize("call", ["update", "runtime", "delete"])
def test_calls_on_a_component_not_in_service_fail_and_change_nothing(slow: Started, call: str) -> None:
    slow.sandbox.set_stuck("ic")  # Creating for as long as the test takes, however loaded the machine
    slow.component("ic", copies=1)
    before = slow.describe("ic")
    requests: dict[str, tuple[Any, dict[str, Any]]] = {
        "update": (slow.client.update_inference_component, {"RuntimeConfig": {"CopyCount": 2}}),
        "runtime": (slow.client.update_inference_component_runtime_config,
                    {"DesiredRuntimeConfig": {"CopyCount": 2}}),
        "delete": (slow.client.delete_inference_component, {}),
    }
    method, extra = requests[call]
    with pytest.raises(ClientError) as refused:
        method(InferenceComponentName="ic", **extra)
    action = "delete" if call == "delete" else "update"
    assert error_of(refused) == ("ValidationException", (f"Cannot {action} inference component ic "
                                 "while it is in state CREATE_IN_PROGRESS"))
    assert slow.describe("ic") == before


def test_runtime_config_update_changes_only_the_copy_count(live: Started) -> None:
    live.component("ic", copies=1)
    before = live.describe("ic")
    live.client.update_inference_component_runtime_config(
        InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 3})
    after = live.describe("ic")
    assert after["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 3}
    assert after["Specification"] == before["Specification"]  # not a deployment: image not re-resolved
    assert "LastDeploymentConfig" not in after
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {"RuntimeConfig", "LastModifiedTime"}


DEPLOYMENT = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                                      "WaitIntervalInSeconds": 60},
              "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "ic-errors"}]}}


def test_update_replaces_given_sections_keeps_others_records_deployment_config(live: Started) -> None:
    live.component("ic", copies=2)
    spec = {"ModelName": "model-b", "Container": {"Image": "repo/app:2.0", "Environment": {"A": "1"}},
            "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 4096}}
    live.client.update_inference_component(InferenceComponentName="ic", Specification=spec,
                                           DeploymentConfig=DEPLOYMENT)
    after = live.describe("ic")
    assert after["Specification"]["ModelName"] == "model-b"
    assert after["Specification"]["Container"]["Environment"] == {"A": "1"}
    assert after["Specification"]["ComputeResourceRequirements"] == {"MinMemoryRequiredInMb": 4096}
    assert after["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == "repo/app:2.0"
    assert after["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}  # kept
    assert after["LastDeploymentConfig"] == DEPLOYMENT
    live.client.update_inference_component(InferenceComponentName="ic", RuntimeConfig={"CopyCount": 5})
    again = live.describe("ic")
    assert again["RuntimeConfig"]["DesiredCopyCount"] == 5
    assert again["Specification"]["ModelName"] == "model-b"  # kept
    assert again["LastDeploymentConfig"] == DEPLOYMENT


def test_update_naming_a_missing_model_changes_nothing(live: Started) -> None:
    live.component("ic")
    before = live.describe("ic")
    with pytest.raises(ClientError) as missing:
        live.client.update_inference_component(InferenceComponentName="ic", Specification={
            "ModelName": "ghost", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 128}})
    assert error_of(missing)[1].startswith('Could not find model "')
    assert live.describe("ic") == before


def test_mutable_tag_resolves_to_a_digest_and_can_be_moved(live: Started) -> None:
    live.component("ic", image="repo/app:latest")
    first = live.describe("ic")["Specification"]["Container"]["DeployedImage"]
    assert first["SpecifiedImage"] == "repo/app:latest"
    assert first["ResolvedImage"].startswith("repo/app@sha256:") and len(first["ResolvedImage"]) == 16 + 64
    live.sandbox.set_image_digest("repo/app:latest", f"sha256:{DIGEST}")
    assert live.describe("ic")["Specification"]["Container"]["DeployedImage"] == first  # until deployed
    live.client.update_inference_component(InferenceComponentName="ic", Specification={
        "ModelName": "model-a", "Container": {"Image": "repo/app:latest"},
        "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}})
    moved = live.describe("ic")["Specification"]["Container"]["DeployedImage"]
    assert moved["ResolvedImage"] == f"repo/app@sha256:{DIGEST}"
    assert moved["ResolutionTime"] >= first["ResolutionTime"]


def test_digest_image_stays_as_given(live: Started) -> None:
    image = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:{DIGEST}"
    live.component("ic", image=image)
    deployed = live.describe("ic")["Specification"]["Container"]["DeployedImage"]
    assert deployed["SpecifiedImage"] == deployed["ResolvedImage"] == image


def test_specifications_per_instance_type(live: Started) -> None:
    specs = [{"InstanceType": kind, "ModelName": "model-a", "Container": {"Image": "repo/app:1"},
              "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": devices,
                                              "MinMemoryRequiredInMb": 1024}}
             for kind, devices in (("ml.g5.12xlarge", 1), ("ml.p4d.24xlarge", 2))]
    live.client.create_inference_component(InferenceComponentName="ic", EndpointName="ep",
                                           Specifications=specs, RuntimeConfig={"CopyCount": 1})
    described = live.describe("ic")
    assert "Specification" not in described
    assert [s["InstanceType"] for s in described["Specifications"]] == ["ml.g5.12xlarge", "ml.p4d.24xlarge"]
    assert all("DeployedImage" in s["Container"] for s in described["Specifications"])
    with pytest.raises(ClientError) as both:
        live.client.create_inference_component(InferenceComponentName="ic2", EndpointName="ep",
                                               Specification=specs[0], Specifications=specs)
    assert error_of(both)[0] == "ValidationException"
