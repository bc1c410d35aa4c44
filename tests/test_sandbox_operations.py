"""The SageMaker surface the sandbox serves, through boto3 over HTTP (every response wire-checked)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.helpers.wire import ROLE, Sandboxes, Started


def error_of(call: object) -> tuple[str, str]:
    assert isinstance(call, pytest.ExceptionInfo)
    error = call.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def started(sandbox: Sandboxes) -> Started:
    live = sandbox()
    live.endpoint(models=("model-a", "model-b"))
    return live


def test_six_inference_component_operations(started: Started) -> None:
    client = started.client
    arn = started.component("ic", copies=2)
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic"
    described = started.describe("ic")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}
    assert described["EndpointArn"] == "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep"
    client.update_inference_component(InferenceComponentName="ic", Specification={
        "ModelName": "model-b", "Container": {"Image": "repo/app:2.0"},
        "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 2048}})
    assert started.describe("ic")["Specification"]["ModelName"] == "model-b"
    client.update_inference_component_runtime_config(
        InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 5})
    assert started.describe("ic")["RuntimeConfig"]["CurrentCopyCount"] == 5
    names = [c["InferenceComponentName"] for c in client.list_inference_components()["InferenceComponents"]]
    assert names == ["ic"]
    client.delete_inference_component(InferenceComponentName="ic")
    with pytest.raises(ClientError) as gone:
        started.describe("ic")
    assert error_of(gone) == ("ValidationException", ('Could not find inference component '
                              '"arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic".'))
    assert client.list_inference_components()["InferenceComponents"] == []


def _names(page: dict) -> list[str]:  # type: ignore[type-arg]
    return [c["InferenceComponentName"] for c in page["InferenceComponents"]]


def test_list_pages_with_next_token_and_max_results(started: Started) -> None:
    for index in range(5):
        started.component(f"ic-{index}")
    first = started.client.list_inference_components(MaxResults=2, SortBy="Name", SortOrder="Ascending")
    assert _names(first) == ["ic-0", "ic-1"]
    second = started.client.list_inference_components(MaxResults=2, SortBy="Name", SortOrder="Ascending",
                                                      NextToken=first["NextToken"])
    assert _names(second) == ["ic-2", "ic-3"]
    third = started.client.list_inference_components(MaxResults=2, SortBy="Name", SortOrder="Ascending",
                                                     NextToken=second["NextToken"])
    assert _names(third) == ["ic-4"] and "NextToken" not in third
    paginator = started.client.get_paginator("list_inference_components")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert sorted(n for p in pages for n in _names(p)) == [f"ic-{i}" for i in range(5)]


def test_list_sorts_by_name_creation_time_and_status(started: Started) -> None:
    for name in ("b-ic", "c-ic", "a-ic"):
        started.component(name)
    listed = started.client.list_inference_components
    assert _names(listed(SortBy="Name", SortOrder="Descending")) == ["c-ic", "b-ic", "a-ic"]
    assert _names(listed(SortBy="CreationTime", SortOrder="Ascending")) == ["b-ic", "c-ic", "a-ic"]
    assert _names(listed()) == ["a-ic", "c-ic", "b-ic"]  # AWS's default: newest first
    started.sandbox.set_stuck("b-ic")
    started.client.update_inference_component_runtime_config(
        InferenceComponentName="b-ic", DesiredRuntimeConfig={"CopyCount": 2})
    assert _names(listed(SortBy="Status", SortOrder="Ascending"))[-1] == "b-ic"  # Updating > InService


def test_list_filters(sandbox: Sandboxes) -> None:
    live = sandbox()
    live.endpoint("ep-one", models=("model-a",))
    live.endpoint("ep-two", models=())
    live.component("alpha-ic", endpoint="ep-one")
    live.component("beta-ic", endpoint="ep-two")
    live.component("Alphabet", endpoint="ep-two")
    live.sandbox.set_stuck("beta-ic")
    live.client.update_inference_component_runtime_config(
        InferenceComponentName="beta-ic", DesiredRuntimeConfig={"CopyCount": 3})
    listed = live.client.list_inference_components
    assert sorted(_names(listed(EndpointNameEquals="ep-two"))) == ["Alphabet", "beta-ic"]
    assert sorted(_names(listed(NameContains="alpha"))) == ["Alphabet", "alpha-ic"]
    assert _names(listed(StatusEquals="Updating")) == ["beta-ic"]
    assert len(_names(listed(VariantNameEquals="AllTraffic"))) == 3
    assert _names(listed(VariantNameEquals="Other")) == []
    assert _names(listed(EndpointNameEquals="ep-two", StatusEquals="InService")) == ["Alphabet"]


def test_model_endpoint_config_and_endpoint_lifecycle(sandbox: Sandboxes) -> None:
    client = sandbox().client
    client.create_model(ModelName="m", ExecutionRoleArn=ROLE,
                        PrimaryContainer={"Image": "repo/m:1", "Environment": {"A": "1"}})
    model = client.describe_model(ModelName="m")
    assert model["ModelArn"].endswith(":model/m") and model["PrimaryContainer"]["Environment"] == {"A": "1"}
    variant = {"VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 2,
               "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1,
                                          "MaxInstanceCount": 3}}
    client.create_endpoint_config(EndpointConfigName="cfg", ExecutionRoleArn=ROLE,
                                  ProductionVariants=[variant])
    config = client.describe_endpoint_config(EndpointConfigName="cfg")
    assert config["ProductionVariants"] == [variant]
    client.create_endpoint(EndpointName="e", EndpointConfigName="cfg")
    endpoint = client.describe_endpoint(EndpointName="e")
    assert endpoint["EndpointStatus"] == "InService"
    summary = endpoint["ProductionVariants"][0]
    assert summary["CurrentInstanceCount"] == 2 and summary["ManagedInstanceScaling"]["MaxInstanceCount"] == 3
    client.delete_endpoint(EndpointName="e")
    client.delete_endpoint_config(EndpointConfigName="cfg")
    client.delete_model(ModelName="m")
    for call, kwargs, kind in ((client.describe_endpoint, {"EndpointName": "e"}, "endpoint"),
                               (client.describe_endpoint_config, {"EndpointConfigName": "cfg"},
                                "endpoint configuration"),
                               (client.describe_model, {"ModelName": "m"}, "model")):
        with pytest.raises(ClientError) as missing:
            call(**kwargs)
        assert error_of(missing)[0] == "ValidationException"
        assert error_of(missing)[1].startswith(f'Could not find {kind} "arn:aws:sagemaker:us-east-1:')


def test_create_twice_fails_as_aws_does(started: Started) -> None:
    started.component("ic")
    with pytest.raises(ClientError) as again:
        started.component("ic")
    assert error_of(again) == ("ValidationException", ("Cannot create already existing inference "
                               'component "arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic".'))
    with pytest.raises(ClientError) as model_again:
        started.client.create_model(ModelName="model-a", ExecutionRoleArn=ROLE)
    assert "Cannot create already existing model" in error_of(model_again)[1]


def test_tags_on_every_kind_of_arn(started: Started) -> None:
    client = started.client
    arns = [started.component("ic", Tags=[{"Key": "team", "Value": "ml"}]),
            client.describe_endpoint(EndpointName="ep")["EndpointArn"],
            client.describe_endpoint_config(EndpointConfigName="ep-config")["EndpointConfigArn"],
            client.describe_model(ModelName="model-a")["ModelArn"]]
    assert client.list_tags(ResourceArn=arns[0])["Tags"] == [{"Key": "team", "Value": "ml"}]
    for arn in arns:
        added = client.add_tags(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"},
                                                       {"Key": "owner", "Value": "me"}])
        assert added["Tags"] == [{"Key": "env", "Value": "dev"}, {"Key": "owner", "Value": "me"}]
        client.delete_tags(ResourceArn=arn, TagKeys=["owner"])
        tags = {t["Key"]: t["Value"] for t in client.list_tags(ResourceArn=arn)["Tags"]}
        assert tags.get("env") == "dev" and "owner" not in tags
    for call, extra in ((client.list_tags, {}), (client.add_tags, {"Tags": [{"Key": "k", "Value": "v"}]}),
                        (client.delete_tags, {"TagKeys": ["k"]})):
        with pytest.raises(ClientError) as unknown:
            call(ResourceArn=arns[0] + "-nope", **extra)
        assert error_of(unknown) == ("ValidationException", f"Resource {arns[0]}-nope does not exist.")


def test_deleting_a_resource_deletes_its_tags(sandbox: Sandboxes) -> None:
    """As in AWS: a model, endpoint config or endpoint made again under a deleted one's name
    starts with no tags."""
    client = sandbox().client
    tags = [{"Key": "team", "Value": "ml"}]
    variant = {"VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}

    def make() -> list[str]:
        return [client.create_model(ModelName="m", ExecutionRoleArn=ROLE, Tags=tags,
                                    PrimaryContainer={"Image": "repo/m:1"})["ModelArn"],
                client.create_endpoint_config(EndpointConfigName="cfg", ProductionVariants=[variant],
                                              ExecutionRoleArn=ROLE, Tags=tags)["EndpointConfigArn"],
                client.create_endpoint(EndpointName="e", EndpointConfigName="cfg", Tags=tags)["EndpointArn"]]

    arns = make()
    assert all(client.list_tags(ResourceArn=arn)["Tags"] == tags for arn in arns)
    client.delete_endpoint(EndpointName="e")
    client.delete_endpoint_config(EndpointConfigName="cfg")
    client.delete_model(ModelName="m")
    tags.clear()
    assert make() == arns
    assert [client.list_tags(ResourceArn=arn)["Tags"] for arn in arns] == [[], [], []]


def test_list_tags_pages(started: Started) -> None:
    arn = started.component("ic", Tags=[{"Key": f"k{i:02}", "Value": "v"} for i in range(50)])
    started.client.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i:02}", "Value": "v"} for i in range(50, 60)])
    first = started.client.list_tags(ResourceArn=arn)
    second = started.client.list_tags(ResourceArn=arn, NextToken=first["NextToken"])
    assert len(first["Tags"]) == 50 and "NextToken" not in second
    assert [t["Key"] for t in first["Tags"] + second["Tags"]] == [f"k{i:02}" for i in range(60)]
