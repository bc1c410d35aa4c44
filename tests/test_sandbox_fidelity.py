"""Requests are validated as AWS validates them; ARNs carry the region the request was signed for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.helpers.wire import Sandboxes, Started


def raw(live: Started, operation: str, body: Any) -> tuple[int, dict[str, Any]]:
    """A request boto3 would refuse to send: straight onto the wire, unsigned."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = requests.post(live.url, data=data, timeout=5, headers={
        "X-Amz-Target": f"SageMaker.{operation}", "Content-Type": "application/x-amz-json-1.1"})
    document = reply.json()
    assert reply.headers["x-amzn-ErrorType"] == document["__type"]
    return reply.status_code, document


@pytest.fixture
def live(sandbox: Sandboxes) -> Started:
    return sandbox()


def test_missing_required_member(live: Started) -> None:
    assert raw(live, "CreateInferenceComponent", {"InferenceComponentName": "ic"}) == (400, {
        "__type": "ValidationException",
        "message": "1 validation error detected: Value null at 'endpointName' failed to satisfy "
                   "constraint: Member must not be null"})


def test_pattern_length_range_and_enum_in_one_message(live: Started) -> None:
    status, error = raw(live, "CreateInferenceComponent", {
        "InferenceComponentName": "bad name!", "EndpointName": "e" * 64,
        "Specification": {"ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024},
                          "SchedulingConfig": {"PlacementStrategy": "RANDOM"}},
        "RuntimeConfig": {"CopyCount": -1}})
    assert status == 400 and error["__type"] == "ValidationException"
    parts = error["message"].removeprefix("5 validation errors detected: ").split("; ")
    assert parts == [
        ("Value 'bad name!' at 'inferenceComponentName' failed to satisfy constraint: Member must "
        r"satisfy regular expression pattern: [a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?"),
        "Value '" + "e" * 64 + "' at 'endpointName' failed to satisfy constraint: Member must have "
        "length less than or equal to 63",
        "Value '" + "e" * 64 + "' at 'endpointName' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
        ("Value 'RANDOM' at 'specification.schedulingConfig.placementStrategy' failed to satisfy "
        "constraint: Member must satisfy enum value set: [SPREAD, BINPACK]"),
        ("Value '-1' at 'runtimeConfig.copyCount' failed to satisfy constraint: Member must have value "
        "greater than or equal to 0"),
    ]


def test_list_members_are_numbered_from_one(live: Started) -> None:
    _, error = raw(live, "AddTags", {"ResourceArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m",
                                     "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b"}]})
    assert error["message"] == ("1 validation error detected: Value null at 'tags.2.member.value' "
                                "failed to satisfy constraint: Member must not be null")


def test_enum_of_list_call(live: Started) -> None:
    _, error = raw(live, "ListInferenceComponents", {"SortBy": "Size"})
    assert error == {"__type": "ValidationException", "message": (
        "1 validation error detected: Value 'Size' at 'sortBy' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Name, CreationTime, Status]")}


def test_wrong_json_type_fails_deserialization(live: Started) -> None:
    assert raw(live, "ListInferenceComponents", {"MaxResults": "10"}) == (400, {
        "__type": "SerializationException",
        "message": "Cannot deserialize '10' at 'maxResults' as integer"})


def test_unknown_member_is_named_with_a_suggestion(live: Started) -> None:
    _, error = raw(live, "UpdateInferenceComponentRuntimeConfig", {
        "InferenceComponentName": "ic", "DesiredRuntimeConfig": {"CopyCount": 1, "CopyCounts": 2}})
    assert error["__type"] == "ValidationException"
    assert error["message"] == ("1 validation error detected: Unknown member at "
                                "'desiredRuntimeConfig.copyCounts' (did you mean `CopyCount`?)")


def test_body_that_is_not_json_and_unknown_operation(live: Started) -> None:
    assert raw(live, "ListInferenceComponents", b"{not json") == (400, {
        "__type": "SerializationException", "message": "Request body is not a JSON object."})
    assert raw(live, "CreateCluster", {}) == (400, {
        "__type": "UnknownOperationException",
        "message": "The operation CreateCluster is not served by the sandbox."})


def test_invalid_requests_change_nothing_and_are_logged(live: Started) -> None:
    raw(live, "CreateInferenceComponent", {"InferenceComponentName": "ic"})
    assert live.client.list_inference_components()["InferenceComponents"] == []
    assert live.requests()[0] == {"operation": "CreateInferenceComponent",
                                  "params": {"InferenceComponentName": "ic"}, "status": 400}


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_arns_carry_the_region_the_request_was_signed_for(sandbox: Sandboxes, region: str) -> None:
    live = sandbox()
    client = live.sagemaker(region=region)
    arn = client.create_model(ModelName="m", ExecutionRoleArn="arn:aws:iam::123456789012:role/r")
    assert arn["ModelArn"] == f"arn:aws:sagemaker:{region}:123456789012:model/m"
    with pytest.raises(ClientError) as missing:
        client.describe_endpoint(EndpointName="nope")
    assert f'"arn:aws:sagemaker:{region}:123456789012:endpoint/nope"' in str(missing.value)


def test_unsigned_request_uses_the_sandbox_region(sandbox: Sandboxes) -> None:
    live = sandbox(region="eu-central-1")
    status, error = raw(live, "DescribeModel", {"ModelName": "m"})
    assert status == 400
    assert error["message"] == 'Could not find model "arn:aws:sagemaker:eu-central-1:123456789012:model/m".'


def test_a_sandbox_bug_answers_as_an_aws_internal_failure(sandbox: Sandboxes, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"  # a recorded document with no status: the sandbox cannot judge it
    seed.write_text("describe_responses:\n  - {InferenceComponentName: odd, EndpointName: e}\n")
    live = sandbox(seed=seed)
    status, error = raw(live, "DeleteInferenceComponent", {"InferenceComponentName": "odd"})
    assert status == 500
    assert error == {"__type": "InternalFailure",
                     "message": "sandbox error: KeyError: 'InferenceComponentStatus'"}
