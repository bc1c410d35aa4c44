"""The sandbox's InvokeEndpoint for inference components, through botocore's sagemaker-runtime client."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest

from gitsync.errors import ConfigError
from gitsync.sandbox import Sandbox
from tests.helpers import Live


def runtime(live: Live) -> Any:
    return boto3.client("sagemaker-runtime", endpoint_url=live.url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def component(live: Live, name: str = "web") -> None:
    live.seed_endpoint()
    live.client.create_inference_component(
        InferenceComponentName=name, EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-a", "ComputeResourceRequirements": {
            "NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1})
    for _ in range(200):  # the sandbox's default transition is short; the seed's is finished
        status = live.client.describe_inference_component(InferenceComponentName=name)
        if status["InferenceComponentStatus"] == "InService":
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} never came into service")


def control(live: Live, action: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{live.url}/_sandbox/{action}", data=json.dumps(body).encode(),
                                     method="POST")
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200


def invoke(live: Live, name: str = "web", body: bytes = b'{"q": 1}') -> Any:
    return runtime(live).invoke_endpoint(EndpointName="ep", InferenceComponentName=name, Body=body,
                                         ContentType="application/json")


def test_an_in_service_component_echoes_by_default(live: Live) -> None:
    component(live)
    answer = invoke(live)
    assert answer["Body"].read() == b'{"q": 1}'
    assert answer["ContentType"] == "application/json"
    assert live.requests()[-1]["operation"] == "InvokeEndpoint"


def test_a_scripted_body_and_a_model_error(live: Live) -> None:
    component(live)
    control(live, "invocation", {"name": "web", "body": {"ok": True}})
    assert json.loads(invoke(live)["Body"].read()) == {"ok": True}
    control(live, "invocation", {"name": "web", "status": 500, "body": "boom"})
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        invoke(live)
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["OriginalStatusCode"] == 500
    assert error["OriginalMessage"] == "boom"


def test_unknown_and_not_in_service_components_are_refused(live: Live) -> None:
    component(live)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        invoke(live, name="nobody")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    live.sandbox.set_stuck("web")
    live.client.update_inference_component(InferenceComponentName="web",
                                           RuntimeConfig={"CopyCount": 2})
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        invoke(live)
    assert "not in service" in caught.value.response["Error"]["Message"]


def test_a_seeded_script(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("endpoints: [{EndpointName: ep}]\n"
                    "models: [{ModelName: m, PrimaryContainer: {Image: 'img/m:1'}}]\n"
                    "inference_components:\n"
                    "  - InferenceComponentName: web\n    EndpointName: ep\n    VariantName: AllTraffic\n"
                    "    Specification: {ModelName: m, ComputeResourceRequirements:\n"
                    "      {NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 1024}}\n"
                    "    RuntimeConfig: {CopyCount: 1}\n"
                    "invocations: {web: {body: pong, content_type: text/plain}}\n")
    with Sandbox(port=0, seed=seed) as sandbox:
        live = Live(sandbox, tmp_path / "log.jsonl")
        answer = invoke(live)
        assert answer["Body"].read() == b"pong"
        assert answer["ContentType"] == "text/plain"


def test_a_bad_seeded_script_names_its_component(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("invocations: {web: {colour: red}}\n")
    with pytest.raises(ConfigError, match=r"invocations\.web: unknown script keys \['colour'\]"):
        Sandbox(port=0, seed=seed)


def test_a_scripted_fault_and_latency(live: Live) -> None:
    component(live)
    control(live, "invocation", {"name": "web", "fault": "5xx"})
    client = boto3.client("sagemaker-runtime", endpoint_url=live.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=botocore.config.Config(retries={"total_max_attempts": 1}))
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.invoke_endpoint(EndpointName="ep", InferenceComponentName="web", Body=b"{}")
    assert caught.value.response["Error"]["Code"] == "InternalFailure"
    control(live, "invocation", {"name": "web", "latency_ms": 200})
    started = time.monotonic()
    assert invoke(live)["Body"].read() == b'{"q": 1}'
    assert time.monotonic() - started >= 0.2


def test_a_bad_control_script_is_refused(live: Live) -> None:
    request = urllib.request.Request(f"{live.url}/_sandbox/invocation", method="POST",
                                     data=json.dumps({"name": "web", "fault": "fire"}).encode())
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 400
