"""The sandbox refuses what AWS refuses, answers in AWS's shapes, takes AWS's time, and plays the
behaviours nobody has verified only when their switch is on. Each rule's source is cited next to
it in gitsync/sandbox (rules.py, state.py, timing.py, switches.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from gitsync.sandbox import timing
from tests.helpers import icsync
from tests.helpers.wire import ROLE, Sandboxes, Started, error_of

NO_ROOM = ("There is not enough hardware resources on the instances for this endpoint to create a "
           "copy of the inference component.")
GPU = {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}


@pytest.fixture
def live(sandbox: Sandboxes) -> Started:
    started = sandbox()
    started.endpoint(models=("model-a", "model-b"))
    return started


def small_endpoint(live: Started, name: str, scaling_max: int | None) -> None:
    """One ml.g5.xlarge (1 GPU, 4 vCPUs, 16 GiB); managed scaling up to `scaling_max` (None: off)."""
    variant: dict[str, Any] = {"VariantName": "AllTraffic", "InstanceType": "ml.g5.xlarge",
                               "InitialInstanceCount": 1}
    if scaling_max is not None:
        variant["ManagedInstanceScaling"] = {"Status": "ENABLED", "MinInstanceCount": 1,
                                             "MaxInstanceCount": scaling_max}
    live.client.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[variant],
                                       ExecutionRoleArn=ROLE)
    live.client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def adapter(live: Started, name: str = "adapter", base: str = "base", **extra: Any) -> None:
    live.client.create_inference_component(
        InferenceComponentName=name, EndpointName="ep", **extra,
        Specification={"BaseInferenceComponentName": base,
                       "Container": {"ArtifactUrl": "s3://bucket/adapter.tar.gz"}})


def control(live: Started, action: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{live.url}/_sandbox/{action}", json=body, timeout=5)


# -- refusals ---------------------------------------------------------------------------------
def test_copies_fit_after_managed_scaling_adds_instances_up_to_its_maximum(live: Started) -> None:
    small_endpoint(live, "small", scaling_max=2)
    live.component("two", endpoint="small", copies=2)  # one GPU a copy: two instances
    with pytest.raises(ClientError) as third:
        live.component("three", endpoint="small", copies=1)
    assert error_of(third) == ("ValidationException", NO_ROOM)
    assert [c["InferenceComponentName"] for c in live.client.list_inference_components(
        EndpointNameEquals="small")["InferenceComponents"]] == ["two"]


def test_managed_scaling_adds_the_instances_the_copies_need(live: Started) -> None:
    small_endpoint(live, "small", scaling_max=3)
    live.component("two", endpoint="small", copies=2)
    [variant] = live.client.describe_endpoint(EndpointName="small")["ProductionVariants"]
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (2, 2)


def test_a_fixed_size_endpoint_has_only_its_instances(live: Started) -> None:
    small_endpoint(live, "fixed", scaling_max=None)
    with pytest.raises(ClientError) as refused:
        live.component("two", endpoint="fixed", copies=2)
    assert error_of(refused) == ("ValidationException", NO_ROOM)


def test_a_copy_larger_than_one_instance_never_fits(live: Started) -> None:
    small_endpoint(live, "small", scaling_max=4)
    spec = {"ModelName": "model-a", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 20000}}
    with pytest.raises(ClientError) as refused:
        live.client.create_inference_component(InferenceComponentName="big", EndpointName="small",
                                               Specification=spec, RuntimeConfig={"CopyCount": 1})
    assert error_of(refused) == ("ValidationException", NO_ROOM)


@pytest.mark.parametrize("call", ["runtime", "update"])
def test_more_copies_than_fit_are_refused_and_change_nothing(live: Started, call: str) -> None:
    small_endpoint(live, "small", scaling_max=2)
    live.component("web", endpoint="small", copies=1)
    before = live.describe("web")
    with pytest.raises(ClientError) as refused:
        if call == "runtime":
            live.client.update_inference_component_runtime_config(
                InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 3})
        else:
            live.client.update_inference_component(
                InferenceComponentName="web", RuntimeConfig={"CopyCount": 3},
                Specification={"ModelName": "model-a", "ComputeResourceRequirements": GPU})
    assert error_of(refused) == ("ValidationException", NO_ROOM)
    assert live.describe("web") == before


@pytest.mark.parametrize("policy", [None, {"RollingUpdatePolicy": {
    "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 0}}],
    ids=["blue-green", "rolling"])
def test_an_update_needs_room_for_its_batch_beside_the_running_copies(live: Started,
                                                                      policy: dict[str, Any] | None) -> None:
    small_endpoint(live, "small", scaling_max=2)
    live.component("web", endpoint="small", copies=2)  # both GPUs taken: no room for a new copy
    before = live.describe("web")
    spec = {"ModelName": "model-b", "ComputeResourceRequirements": GPU}
    with pytest.raises(ClientError) as refused:
        live.client.update_inference_component(InferenceComponentName="web", Specification=spec,
                                               **({"DeploymentConfig": policy} if policy else {}))
    assert error_of(refused) == ("ValidationException", NO_ROOM)
    assert live.describe("web") == before
    live.client.update_inference_component_runtime_config(  # a copy-count change places no batch
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 1})
    live.client.update_inference_component(InferenceComponentName="web", Specification=spec)
    assert live.describe("web")["Specification"]["ModelName"] == "model-b"


def test_surge_shortage_rolls_back(live: Started) -> None:
    live.sandbox.set_switches(surge_shortage_rolls_back=True)
    small_endpoint(live, "small", scaling_max=2)
    live.component("web", endpoint="small", copies=2)
    live.client.update_inference_component(
        InferenceComponentName="web", Specification={"ModelName": "model-b", "ComputeResourceRequirements": GPU})
    described = live.describe("web")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == "model-a" and described["FailureReason"] == NO_ROOM


def test_adapters_take_no_room_of_their_own(live: Started) -> None:
    small_endpoint(live, "small", scaling_max=1)
    live.component("base", endpoint="small", copies=1)
    live.client.create_inference_component(
        InferenceComponentName="adapter", EndpointName="small",
        Specification={"BaseInferenceComponentName": "base", "Container": {"ArtifactUrl": "s3://b/a.tgz"}})
    assert live.describe("adapter")["InferenceComponentStatus"] == "InService"


def test_a_base_with_adapters_is_not_deleted(live: Started) -> None:
    live.component("base")
    adapter(live)
    with pytest.raises(ClientError) as refused:
        live.client.delete_inference_component(InferenceComponentName="base")
    code, message = error_of(refused)
    assert code == "ValidationException"
    assert "base is a base inference component for one or more associated inference components" in message
    assert live.describe("base")["InferenceComponentStatus"] == "InService"


def test_an_adapter_still_deleting_keeps_its_base(live: Started) -> None:
    live.component("base")
    adapter(live)
    live.sandbox.set_stuck("adapter")
    live.client.delete_inference_component(InferenceComponentName="adapter")
    assert live.describe("adapter")["InferenceComponentStatus"] == "Deleting"
    with pytest.raises(ClientError) as refused:
        live.client.delete_inference_component(InferenceComponentName="base")
    assert "is a base inference component for one or more associated" in error_of(refused)[1]
    live.sandbox.set_stuck("adapter", False)
    live.client.delete_inference_component(InferenceComponentName="base")
    assert live.client.list_inference_components()["InferenceComponents"] == []


def test_a_variant_serving_a_model_takes_no_components(live: Started) -> None:
    live.client.create_endpoint_config(EndpointConfigName="classic-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "model-a", "InstanceType": "ml.g5.12xlarge",
        "InitialInstanceCount": 1}])
    live.client.create_endpoint(EndpointName="classic", EndpointConfigName="classic-config")
    with pytest.raises(ClientError) as refused:
        live.component("ic", endpoint="classic")
    assert error_of(refused) == ("ValidationException", (
        "Invalid request provided: Inference Components are not supported in this Endpoint. "
        "Please make sure this endpoint can deploy inference components."))


def test_an_endpoint_config_for_components_names_their_role(live: Started) -> None:
    variant = {"VariantName": "AllTraffic", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1}
    with pytest.raises(ClientError) as refused:
        live.client.create_endpoint_config(EndpointConfigName="no-role", ProductionVariants=[variant])
    assert error_of(refused)[0] == "ValidationException" and "ExecutionRoleArn is required" in error_of(refused)[1]
    live.client.create_endpoint_config(  # a variant serving a model runs under the model's role
        EndpointConfigName="classic", ProductionVariants=[{**variant, "ModelName": "model-a"}])


def test_a_component_is_created_with_at_least_one_copy(live: Started) -> None:
    with pytest.raises(ClientError) as refused:
        live.component("ic", copies=0)
    assert error_of(refused) == ("ValidationException",
                                 "Inference components copy count an integer larger than 0")
    live.component("ic", copies=1)
    live.client.update_inference_component_runtime_config(  # scaled to zero later: allowed
        InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 0})
    assert live.describe("ic")["RuntimeConfig"]["DesiredCopyCount"] == 0


@pytest.mark.parametrize("extra", [{}, {"DeploymentConfig": {"RollingUpdatePolicy": {
    "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 60}}}],
    ids=["only-the-name", "only-deployment-config"])
def test_an_update_with_nothing_to_deploy_is_refused(live: Started, extra: dict[str, Any]) -> None:
    live.component("ic")
    before = live.describe("ic")
    with pytest.raises(ClientError) as refused:
        live.client.update_inference_component(InferenceComponentName="ic", **extra)
    code, message = error_of(refused)
    assert code == "ValidationException" and "Specification, Specifications or RuntimeConfig" in message
    assert live.describe("ic") == before


def busy(live: Started, state: str) -> None:
    """Put component `ic` in the transition AWS names `state`, and hold it there."""
    if state != "CREATE_IN_PROGRESS":
        live.component("ic")
    live.sandbox.set_stuck("ic")
    if state == "CREATE_IN_PROGRESS":
        live.component("ic")
    elif state == "UPDATE_RC_IN_PROGRESS":
        live.client.update_inference_component_runtime_config(
            InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 2})
    elif state == "UPDATE_IN_PROGRESS":
        live.client.update_inference_component(
            InferenceComponentName="ic", Specification={"ModelName": "model-b", "ComputeResourceRequirements": GPU})
    else:
        live.client.delete_inference_component(InferenceComponentName="ic")


@pytest.mark.parametrize(("state", "status"), [
    ("CREATE_IN_PROGRESS", "Creating"), ("UPDATE_RC_IN_PROGRESS", "Updating"),
    ("UPDATE_IN_PROGRESS", "Updating"), ("DELETE_IN_PROGRESS", "Deleting")])
@pytest.mark.parametrize("action", ["update", "delete"])
def test_a_busy_component_is_refused_naming_awss_state(live: Started, state: str, status: str,
                                                       action: str) -> None:
    busy(live, state)
    assert live.describe("ic")["InferenceComponentStatus"] == status
    with pytest.raises(ClientError) as refused:
        if action == "delete":
            live.client.delete_inference_component(InferenceComponentName="ic")
        else:
            live.client.update_inference_component_runtime_config(
                InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 3})
    assert error_of(refused) == ("ValidationException",
                                 f"Cannot {action} inference component ic while it is in state {state}")


# -- shapes -----------------------------------------------------------------------------------
def test_component_arns_keep_the_names_case_endpoint_arns_do_not(sandbox: Sandboxes) -> None:
    live = sandbox()
    live.endpoint(name="My-Endpoint")
    arn = live.component("Web-Chat", endpoint="My-Endpoint")
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:inference-component/Web-Chat"
    described = live.describe("Web-Chat")
    assert described["InferenceComponentArn"] == arn
    assert described["EndpointArn"] == "arn:aws:sagemaker:us-east-1:123456789012:endpoint/my-endpoint"


def raw_json(live: Started, target: str, body: dict[str, Any]) -> Any:
    """A response's JSON as it crossed the wire (botocore would hand an int back as an int)."""
    captured: list[bytes] = []
    live.client.meta.events.register("after-call.sagemaker",
                                     lambda http_response, **_: captured.append(http_response.content))
    getattr(live.client, target)(**body)
    return json.loads(captured[-1])


def test_float_members_come_back_as_floats(live: Started) -> None:
    live.component("ic")  # NumberOfAcceleratorDevicesRequired sent as the integer 1
    described = raw_json(live, "describe_inference_component", {"InferenceComponentName": "ic"})
    assert described["Specification"]["ComputeResourceRequirements"] == {
        "NumberOfAcceleratorDevicesRequired": 1.0, "MinMemoryRequiredInMb": 1024}
    assert isinstance(described["Specification"]["ComputeResourceRequirements"][
        "NumberOfAcceleratorDevicesRequired"], float)
    assert isinstance(described["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"], int)
    endpoint = raw_json(live, "describe_endpoint", {"EndpointName": "ep"})
    assert isinstance(endpoint["ProductionVariants"][0]["CurrentWeight"], float)


def test_timestamps_carry_milliseconds(live: Started) -> None:
    live.component("ic")
    described = raw_json(live, "describe_inference_component", {"InferenceComponentName": "ic"})
    for key in ("CreationTime", "LastModifiedTime"):
        assert round(described[key], 3) == described[key]
    image = described["Specification"]["Container"]["DeployedImage"]["ResolutionTime"]
    assert round(image, 3) == image
    assert live.describe("ic")["CreationTime"].microsecond % 1000 == 0


def test_each_region_is_its_own_account(sandbox: Sandboxes, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    live = sandbox(state=state)
    live.endpoint()
    live.component("ic")
    west = live.sagemaker(region="eu-west-1")
    assert west.list_inference_components()["InferenceComponents"] == []
    with pytest.raises(ClientError):
        west.describe_inference_component(InferenceComponentName="ic")
    west.create_model(ModelName="only-west", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "repo/w:1"})
    with pytest.raises(ClientError):
        live.client.describe_model(ModelName="only-west")
    again = sandbox(state=state)  # a restart keeps each region's own state
    assert [c["InferenceComponentName"] for c in again.client.list_inference_components()[
        "InferenceComponents"]] == ["ic"]
    assert again.sagemaker(region="eu-west-1").describe_model(ModelName="only-west")["ModelArn"] == \
        "arn:aws:sagemaker:eu-west-1:123456789012:model/only-west"


def test_every_region_starts_from_the_seed(sandbox: Sandboxes, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("endpoints: [{EndpointName: ep}]\n")
    live = sandbox(seed=seed)
    west = live.sagemaker(region="eu-west-1")
    assert west.describe_endpoint(EndpointName="ep")["EndpointArn"] == \
        "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/ep"


# -- time -------------------------------------------------------------------------------------
def test_durations_keep_their_real_ratios_at_any_speed(sandbox: Sandboxes) -> None:
    live = sandbox(speed=0.005)  # a create 2.1 s, an adapter 0.45 s
    live.endpoint()
    live.component("base")
    adapter(live)
    time.sleep(1.0)
    assert live.describe("adapter")["InferenceComponentStatus"] == "InService"
    assert live.describe("base")["InferenceComponentStatus"] == "Creating"


def test_the_profile_is_close_to_real_runs() -> None:
    model_component = {"Specification": {"ModelName": "m"}, "RuntimeConfig": {"DesiredCopyCount": 4}}
    adapter_component = {"Specification": {"BaseInferenceComponentName": "base"}}
    assert 300 <= timing.create(model_component) <= 600
    assert 60 <= timing.create(adapter_component) <= 120
    assert 60 <= timing.delete(model_component) <= 300
    rolling = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                                       "WaitIntervalInSeconds": 600}}
    assert timing.update(model_component, rolling) == 4 * (timing.BATCH + 600)
    halves = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                                      "WaitIntervalInSeconds": 60}}
    assert timing.update(model_component, halves) == 2 * (timing.BATCH + 60)
    assert timing.update(model_component, None) == timing.BATCH
    assert timing.runtime(1, 3) > timing.runtime(3, 1)


def test_a_rolling_update_lasts_its_batches_and_bake_times(sandbox: Sandboxes) -> None:
    live = sandbox(speed=0.001)  # one batch 0.3 s; two batches with a 600 s bake, 1.8 s
    live.endpoint(models=("model-a", "model-b"))
    live.component("ic", copies=2)
    time.sleep(0.5)
    live.client.update_inference_component(
        InferenceComponentName="ic", Specification={"ModelName": "model-b", "ComputeResourceRequirements": GPU},
        DeploymentConfig={"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                                                  "WaitIntervalInSeconds": 600}})
    time.sleep(0.6)
    assert live.describe("ic")["InferenceComponentStatus"] == "Updating"


def test_speed_set_by_the_control_api(sandbox: Sandboxes) -> None:
    live = sandbox()
    live.endpoint()
    assert control(live, "speed", {"speed": -1}).status_code == 400
    assert control(live, "speed", {"speed": 0.01}).status_code == 200  # a create: 4.2 s
    live.component("ic")
    assert live.describe("ic")["InferenceComponentStatus"] == "Creating"


def test_speed_and_transition_seconds_exclude_each_other() -> None:
    result = icsync("sandbox", "--port", "0", "--speed", "0.001", "--transition-seconds", "1")
    assert result.code == 1, result.all
    assert "--speed and --transition-seconds exclude each other" in result.err


# -- switches ---------------------------------------------------------------------------------
def test_switches_are_off_by_default(live: Started) -> None:
    live.component("base")
    adapter(live, VariantName="AllTraffic")  # accepted: adapter_variant_refused is off
    live.client.create_inference_component(  # accepted: variant_name_required is off
        InferenceComponentName="plain", EndpointName="ep", RuntimeConfig={"CopyCount": 1},
        Specification={"ModelName": "model-a", "ComputeResourceRequirements": GPU})
    described = live.describe("adapter")
    assert "ComputeResourceRequirements" not in described["Specification"]
    assert "DataCacheConfig" not in live.describe("base")["Specification"]


def test_adapter_echoes_base_compute(live: Started) -> None:
    live.component("base")
    adapter(live)
    live.sandbox.set_switches(adapter_echoes_base_compute=True)
    described = live.describe("adapter")
    assert described["Specification"]["ComputeResourceRequirements"] == {
        "NumberOfAcceleratorDevicesRequired": 1.0, "MinMemoryRequiredInMb": 1024}
    assert described["VariantName"] == live.describe("base")["VariantName"]


def test_data_cache_config_when_unset(live: Started) -> None:
    assert control(live, "switches", {"data_cache_config_when_unset": True}).status_code == 200
    live.component("ic")
    assert live.describe("ic")["Specification"]["DataCacheConfig"] == {"EnableCaching": False}
    listed = live.client.list_inference_components()["InferenceComponents"]
    assert [c["InferenceComponentName"] for c in listed] == ["ic"]


@pytest.mark.parametrize("sticks", [False, True])
def test_failure_reason_after_a_later_success(live: Started, sticks: bool) -> None:
    live.sandbox.set_switches(failure_reason_sticks=sticks)
    live.component("ic")
    live.sandbox.fail_next_deployment("ic", "alarm fired")
    spec = {"ModelName": "model-b", "ComputeResourceRequirements": GPU}
    live.client.update_inference_component(InferenceComponentName="ic", Specification=spec)
    assert live.describe("ic")["FailureReason"] == "alarm fired"
    live.client.update_inference_component(InferenceComponentName="ic", Specification=spec)
    described = live.describe("ic")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == "model-b"
    assert ("FailureReason" in described) is sticks


def test_variant_name_refused_on_adapters(sandbox: Sandboxes, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("switches: {adapter_variant_refused: true}\n")
    live = sandbox(seed=seed)
    live.endpoint()
    live.component("base")
    with pytest.raises(ClientError) as refused:
        adapter(live, VariantName="AllTraffic")
    assert error_of(refused)[0] == "ValidationException"
    assert "VariantName cannot be specified for an adapter" in error_of(refused)[1]
    adapter(live)
    assert live.describe("adapter")["InferenceComponentStatus"] == "InService"


def test_variant_name_required_on_other_components(live: Started) -> None:
    live.sandbox.set_switches(variant_name_required=True)
    with pytest.raises(ClientError) as refused:
        live.client.create_inference_component(
            InferenceComponentName="plain", EndpointName="ep", RuntimeConfig={"CopyCount": 1},
            Specification={"ModelName": "model-a", "ComputeResourceRequirements": GPU})
    assert error_of(refused) == ("ValidationException",
                                 "VariantName is required for an inference component that is not an adapter.")
    live.component("base")  # names its variant
    adapter(live)  # adapters need none
    assert live.describe("adapter")["InferenceComponentStatus"] == "InService"


def test_switches_survive_a_restart_and_refuse_unknown_names(sandbox: Sandboxes, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    live = sandbox(state=state)
    assert control(live, "switches", {"variant_name_requird": True}).status_code == 400
    assert control(live, "switches", {"variant_name_required": "yes"}).status_code == 400
    assert control(live, "switches", {"variant_name_required": True}).status_code == 200
    assert sandbox(state=state).sandbox.switches.variant_name_required is True


def test_a_seed_with_an_unknown_switch_fails_in_one_line(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("switches: {adapter_echoes_base: true}\n")
    result = icsync("sandbox", "--port", "0", "--seed", str(seed))
    assert result.code == 1, result.all
    assert f"Error: --seed {seed}: switches: unknown switch 'adapter_echoes_base'" in result.err
