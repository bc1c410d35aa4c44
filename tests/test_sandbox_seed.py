"""Seeding (manifest shape and recorded describe output), persistence across restarts, request log."""

from __future__ import annotations

import datetime
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gitsync.sandbox import Sandbox
from tests.helpers import icsync
from tests.helpers.wire import Sandboxes, wire_problems

REPLAY = Path(__file__).parent / "data" / "sandbox" / "replay-seed.yaml"
TIMESTAMPS = {"CreationTime", "LastModifiedTime", "ResolutionTime"}


def expected_on_the_wire(document: Any, key: str = "") -> Any:
    """A recorded document as the JSON protocol carries it: every timestamp in epoch seconds."""
    if isinstance(document, dict):
        return {k: expected_on_the_wire(v, k) for k, v in document.items()}
    if isinstance(document, list):
        return [expected_on_the_wire(v) for v in document]
    if key in TIMESTAMPS and isinstance(document, str):
        document = datetime.datetime.fromisoformat(document)
    if isinstance(document, datetime.datetime):
        return document.timestamp()
    return document


def raw_describe(client: Any, name: str) -> bytes:
    """The exact bytes the sandbox sent for one DescribeInferenceComponent."""
    captured: list[bytes] = []
    client.meta.events.register("after-call.sagemaker.DescribeInferenceComponent",
                                lambda http_response, **_: captured.append(http_response.content))
    client.describe_inference_component(InferenceComponentName=name)
    return captured[-1]


def test_recorded_describe_documents_come_back_equal_in_content(sandbox: Sandboxes) -> None:
    recorded = YAML(typ="safe").load(REPLAY.read_text())["describe_responses"]
    assert len(recorded) >= 3
    live = sandbox(seed=REPLAY)
    client = live.boto("sagemaker")  # unchecked: the third document has a key botocore does not know
    for document in recorded:
        sent = raw_describe(client, document["InferenceComponentName"])
        expected = expected_on_the_wire(document)
        assert json.loads(sent) == expected
        assert json.dumps(json.loads(sent)) == json.dumps(expected)  # same keys in the same order
    unknown = json.loads(raw_describe(client, "mistral-chat"))["Specification"]["ContainerMetricsConfig"]
    assert unknown == {"EnableContainerMetrics": True, "MetricsPublishFrequencyInSeconds": 60}
    parsed = live.client.describe_inference_component(InferenceComponentName="llama-multi-type")
    assert parsed["CreationTime"] == datetime.datetime(2025, 3, 14, 9, 26, 52, 301000,
                                                       tzinfo=parsed["CreationTime"].tzinfo)


def test_recorded_documents_are_in_the_shape_aws_returns(sandbox: Sandboxes) -> None:
    """The replay file itself is realistic: only the deliberately unknown key breaks the shape."""
    from gitsync import model

    live = sandbox(seed=REPLAY)
    shape = model.output_shape("DescribeInferenceComponent")
    problems = {name: wire_problems(shape, json.loads(raw_describe(live.boto("sagemaker"), name)))
                for name in ("llama-multi-type", "llama-adapter-support", "mistral-chat")}
    assert problems["llama-multi-type"] == problems["llama-adapter-support"] == []
    assert len(problems["mistral-chat"]) == 1 and "ContainerMetricsConfig" in problems["mistral-chat"][0]


def test_replayed_components_are_listed_and_can_be_updated(sandbox: Sandboxes) -> None:
    live = sandbox(seed=REPLAY)
    listed = live.client.list_inference_components(SortBy="Name", SortOrder="Ascending")
    assert [c["InferenceComponentName"] for c in listed["InferenceComponents"]] == [
        "llama-adapter-support", "llama-multi-type", "mistral-chat"]
    live.client.update_inference_component_runtime_config(
        InferenceComponentName="llama-multi-type", DesiredRuntimeConfig={"CopyCount": 5})
    assert live.describe("llama-multi-type")["RuntimeConfig"] == {"DesiredCopyCount": 5,
                                                                  "CurrentCopyCount": 5}


SEED = """
endpoints:
  - EndpointName: ep
    InstanceType: ml.g5.12xlarge
    InstanceCount: 2
  - EndpointName: canary-ep
    VariantName: canary
    InstanceType: ml.g6.12xlarge
    InstanceCount: 1
models:
  - ModelName: model-a
  - ModelName: model-b
    PrimaryContainer:
      Image: repo/model-b:3
inference_components:
  - InferenceComponentName: web
    EndpointName: ep
    Specification:
      ModelName: model-a
      Container:
        Image: repo/web:1.0
        Environment: {LOG_LEVEL: info}
      ComputeResourceRequirements:
        NumberOfAcceleratorDevicesRequired: 1
        MinMemoryRequiredInMb: 1024
    RuntimeConfig:
      CopyCount: 2
    Tags:
      - {Key: team, Value: ml}
  - InferenceComponentName: canary-web
    EndpointName: canary-ep
    VariantName: canary
    Specification:
      ModelName: model-b
      ComputeResourceRequirements: {MinMemoryRequiredInMb: 2048}
    RuntimeConfig: {CopyCount: 1}
"""


def test_seed_in_manifest_shape(sandbox: Sandboxes, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(textwrap.dedent(SEED))
    live = sandbox(seed=seed, transition_seconds=5)  # a seed starts settled, whatever the transition
    endpoint = live.client.describe_endpoint(EndpointName="ep")
    assert endpoint["ProductionVariants"][0]["VariantName"] == "AllTraffic"
    assert endpoint["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    config = live.client.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.g5.12xlarge"
    assert live.client.describe_model(ModelName="model-b")["PrimaryContainer"] == {"Image": "repo/model-b:3"}
    web = live.describe("web")
    assert web["InferenceComponentStatus"] == "InService"
    assert web["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}
    assert web["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == "repo/web:1.0"
    assert live.client.list_tags(ResourceArn=web["InferenceComponentArn"])["Tags"] == [
        {"Key": "team", "Value": "ml"}]
    assert live.describe("canary-web")["VariantName"] == "canary"


@pytest.mark.parametrize(("text", "message"), [
    ("widgets: []\n", ("top-level keys must be among endpoints, models, inference_components, "
                      "describe_responses")),
    ("models:\n  - ModelName: ok\n  - ModelName: 'bad name'\n",
     ("models[1]: 1 validation error detected: Value 'bad name' at 'modelName' failed to satisfy "
     "constraint: Member must satisfy regular expression pattern")),
    (("inference_components:\n  - InferenceComponentName: web\n    EndpointName: nope\n"
     "    Specification: {ComputeResourceRequirements: {MinMemoryRequiredInMb: 1024}}\n"),
     ('inference_components[0]: Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:'
     'endpoint/nope".')),
    ("endpoints: [{InstanceType: ml.g5.12xlarge}]\n", "endpoints[0]: KeyError: 'EndpointName'"),
    ("models: [\n", "cannot read it"),
])
def test_a_bad_seed_fails_with_a_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(text)
    result = icsync("sandbox", "--port", "0", "--seed", str(seed))
    assert result.code == 1, result.all
    assert f"Error: --seed {seed}: {message}" in result.err
    assert "Traceback" not in result.all


def test_state_survives_a_restart(tmp_path: Path, sandbox: Sandboxes) -> None:
    state = tmp_path / "state.json"
    first = sandbox(state=state, seed=REPLAY)
    first.endpoint()
    first.component("ic", copies=2, Tags=[{"Key": "team", "Value": "ml"}])
    first.sandbox.set_image_digest("repo/app:1.0", "ef" * 32)
    before = first.describe("ic")
    first.sandbox.stop()
    again = sandbox(state=state, seed=Path("ignored-when-state-exists.yaml"))
    assert again.describe("ic") == before
    assert again.client.list_tags(ResourceArn=before["InferenceComponentArn"])["Tags"] == [
        {"Key": "team", "Value": "ml"}]
    replayed = again.boto("sagemaker").describe_inference_component(InferenceComponentName="mistral-chat")
    assert replayed["FailureReason"].startswith("Deployment failed")
    again.client.update_inference_component(InferenceComponentName="ic", Specification={
        "ModelName": "model-a", "Container": {"Image": "repo/app:1.0"},
        "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}})
    resolved = again.describe("ic")["Specification"]["Container"]["DeployedImage"]["ResolvedImage"]
    assert resolved == "repo/app@sha256:" + "ef" * 32  # the moved tag survived too


def test_transition_in_progress_survives_a_restart(tmp_path: Path, sandbox: Sandboxes) -> None:
    state = tmp_path / "state.json"
    first = sandbox(state=state, transition_seconds=5)
    first.endpoint()
    first.component("ic")
    first.sandbox.stop()
    again = sandbox(state=state)
    assert again.describe("ic")["InferenceComponentStatus"] == "Creating"


def test_without_state_the_account_lives_in_memory(tmp_path: Path, sandbox: Sandboxes) -> None:
    first = sandbox()
    first.endpoint()
    first.sandbox.stop()
    assert sandbox().client.list_inference_components()["InferenceComponents"] == []
    assert list(tmp_path.glob("*.json")) == []


def test_request_log_has_one_json_object_per_call(sandbox: Sandboxes) -> None:
    live = sandbox()
    live.endpoint()
    live.component("ic", copies=1)
    with pytest.raises(live.client.exceptions.ClientError):
        live.client.update_inference_component_runtime_config(
            InferenceComponentName="nope", DesiredRuntimeConfig={"CopyCount": 2})
    live.describe("ic")
    lines = live.log.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert all(set(e) == {"operation", "params", "status"} for e in entries)
    assert [(e["operation"], e["status"]) for e in entries] == [
        ("CreateModel", 200), ("CreateEndpointConfig", 200), ("CreateEndpoint", 200),
        ("CreateInferenceComponent", 200), ("UpdateInferenceComponentRuntimeConfig", 400),
        ("DescribeInferenceComponent", 200)]
    assert entries[4]["params"] == {"InferenceComponentName": "nope", "DesiredRuntimeConfig": {"CopyCount": 2}}
    assert entries[3]["params"]["RuntimeConfig"] == {"CopyCount": 1}


def test_python_api_starts_on_a_free_port(tmp_path: Path) -> None:
    with Sandbox(port=0) as one, Sandbox(port=0) as two:
        assert one.url != two.url and one.url.startswith("http://127.0.0.1:")
