"""The AWS package (gitsync/aws/) against the sandbox over HTTP: pages through botocore's
paginators, and every failure an AwsError carrying AWS's error code."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from gitsync import aws
from gitsync.errors import AwsError
from tests.helpers import Live


@pytest.fixture
def started(live: Live) -> Live:
    live.seed_endpoint("ep", models=("model-a",))
    return live


def clients_for(live: Live) -> aws.Clients:
    return aws.Clients(aws.Connection(region="us-east-1", endpoint_url=live.url, dummy_credentials=True,
                                      max_attempts=1))


def component(live: Live, name: str) -> None:
    live.client.create_inference_component(
        InferenceComponentName=name, EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-a", "ComputeResourceRequirements": {
            "NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1})


def boto(live: Live, service: str) -> Any:
    return boto3.client(service, endpoint_url=live.url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_every_page_of_a_listing_is_read(started: Live) -> None:
    for index in range(105):
        component(started, f"ic-{index:03}")
    listed = [c["InferenceComponentName"] for c in aws.list_components(clients_for(started))]
    assert sorted(listed) == [f"ic-{index:03}" for index in range(105)]
    sent = [r["params"] for r in started.requests() if r["operation"] == "ListInferenceComponents"]
    assert [p["MaxResults"] for p in sent] == [100, 100]
    assert "NextToken" not in sent[0] and sent[1]["NextToken"]


def test_a_failure_in_the_middle_of_the_pages_is_an_aws_error_with_its_code(started: Live) -> None:
    for index in range(101):
        component(started, f"ic-{index:03}")
    clients = clients_for(started)
    listing = aws.list_components(clients)
    assert next(listing)["InferenceComponentName"]
    started.sandbox.fail_calls("ListInferenceComponents", "throttle", count=5)  # retries too
    with pytest.raises(AwsError, match=r"^ThrottlingException: ") as failed:
        list(listing)
    assert failed.value.code == "ThrottlingException"


def test_what_does_not_exist_is_none_and_other_refusals_are_raised(started: Live) -> None:
    clients = clients_for(started)
    assert aws.describe_component(clients, "nope") is None
    assert aws.describe_endpoint(clients, "nope") is None
    assert aws.describe_endpoint_config(clients, "nope") is None
    assert aws.describe_model(clients, "nope") is None
    gone = "arn:aws:sagemaker:us-east-1:123456789012:inference-component/nope"
    with pytest.raises(AwsError) as missing:
        aws.list_tags(clients, gone)
    assert missing.value.code == "ValidationException" and aws.is_not_found(missing.value)
    started.sandbox.fail_calls("DescribeEndpoint", "5xx", count=5)  # retries too
    with pytest.raises(AwsError) as failed:
        aws.describe_endpoint(clients, "ep")
    assert failed.value.code == "InternalFailure" and not aws.is_not_found(failed.value)


def test_not_found_is_read_only_from_a_validation_exception() -> None:
    """The message is SageMaker's only signal, and only with the code it sends it with."""
    words = 'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x".'
    assert aws.is_not_found(AwsError(f"ValidationException: {words}", "ValidationException"))
    assert not aws.is_not_found(AwsError(f"AccessDeniedException: {words}", "AccessDeniedException"))
    assert not aws.is_not_found(AwsError(words))


def test_the_lock_is_taken_once_and_released_only_by_its_owner(started: Live) -> None:
    table = f"locks-{uuid.uuid4().hex[:8]}"
    boto(started, "dynamodb").create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}])
    clients = clients_for(started)
    item = {"LockID": "demo/dev", "Who": "me"}
    assert aws.put_lock(clients, table, item) is True
    assert aws.put_lock(clients, table, {**item, "Who": "you"}) is False
    aws.delete_lock(clients, table, "demo/dev", owner="you")  # not the owner: refused, quietly
    assert aws.get_lock(clients, table, "demo/dev") == item
    aws.delete_lock(clients, table, "demo/dev", owner="me")
    assert aws.get_lock(clients, table, "demo/dev") is None
    with pytest.raises(AwsError) as no_table:
        aws.put_lock(clients, f"{table}-missing", item)
    assert no_table.value.code == "ResourceNotFoundException"


def test_an_image_tag_or_repository_that_does_not_exist_has_no_digest(started: Live) -> None:
    ecr = boto(started, "ecr")
    repository = f"app-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=repository)
    manifest = '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}'
    ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag="1.0")
    clients = clients_for(started)
    registry = "123456789012"
    assert (aws.image_digest(clients, registry, repository, "1.0") or "").startswith("sha256:")
    assert aws.image_digest(clients, registry, repository, "2.0") is None
    assert aws.image_digest(clients, registry, f"{repository}-missing", "1.0") is None
