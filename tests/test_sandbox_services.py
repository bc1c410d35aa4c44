"""Every other AWS service the tool needs, through moto on the sandbox's own port."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from gitsync.sandbox import moto_patches
from tests.helpers.wire import Sandboxes, Started

DIMENSION = "sagemaker:inference-component:DesiredCopyCount"


@pytest.fixture
def live(sandbox: Sandboxes) -> Started:
    return sandbox()


def unique(prefix: str) -> str:
    """moto keeps one account per process: every test names its own resources."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_sts_caller_identity(live: Started) -> None:
    identity = live.boto("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"


def test_dynamodb_table_and_conditional_put(live: Started) -> None:
    dynamodb = live.boto("dynamodb")
    table = unique("locks")
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    item = {"id": {"S": "env/dev"}, "owner": {"S": "ci"}}
    dynamodb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(id)")
    with pytest.raises(ClientError) as taken:
        dynamodb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(id)")
    assert taken.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert live.requests()[-1] == {"service": "dynamodb", "operation": "PutItem", "status": 400,
                                   "params": {"TableName": table, "Item": item,
                                              "ConditionExpression": "attribute_not_exists(id)"}}


def test_s3_put_and_get(live: Started) -> None:
    s3 = live.boto("s3")
    bucket = unique("plans")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="plan.json", Body=b'{"changes": []}')
    assert s3.get_object(Bucket=bucket, Key="plan.json")["Body"].read() == b'{"changes": []}'


def test_cloudwatch_alarms(live: Started) -> None:
    cloudwatch = live.boto("cloudwatch")
    alarm = unique("ic-errors")
    cloudwatch.put_metric_alarm(AlarmName=alarm, MetricName="Invocation5XXErrors",
                                Namespace="AWS/SageMaker", Statistic="Sum", Period=60,
                                EvaluationPeriods=1, Threshold=1.0,
                                ComparisonOperator="GreaterThanOrEqualToThreshold")
    alarms = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == [alarm]
    assert {"service": "monitoring", "operation": "PutMetricAlarm"}.items() <= _first(live, "PutMetricAlarm").items()


def _first(live: Started, operation: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in live.requests() if r["operation"] == operation)


def test_ecr_describe_images(live: Started) -> None:
    ecr = live.boto("ecr")
    repository = unique("app")
    ecr.create_repository(repositoryName=repository)
    manifest = '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}'
    ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag="1.0")
    images = ecr.describe_images(repositoryName=repository)["imageDetails"]
    assert images[0]["imageTags"] == ["1.0"] and images[0]["imageDigest"].startswith("sha256:")


def test_inference_component_scaling_with_application_auto_scaling(live: Started) -> None:
    scaling = live.boto("application-autoscaling")
    resource = f"inference-component/{unique('ic')}"
    scaling.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource,
                                     ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=4)
    policy = scaling.put_scaling_policy(
        PolicyName="copies", ServiceNamespace="sagemaker", ResourceId=resource,
        ScalableDimension=DIMENSION, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 5.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}})
    assert policy["PolicyARN"].startswith("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:")
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource],
                                                ScalableDimension=DIMENSION)["ScalableTargets"]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(resource, 1, 4)]
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource)
    assert [p["PolicyName"] for p in policies["ScalingPolicies"]] == ["copies"]


def test_moto_still_rejects_what_aws_rejects(live: Started) -> None:
    scaling = live.boto("application-autoscaling")
    with pytest.raises(ClientError) as mismatched:
        scaling.register_scalable_target(ServiceNamespace="sagemaker", ResourceId="endpoint/e/variant/v",
                                         ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=2)
    assert mismatched.value.response["Error"]["Code"] == "ValidationException"


def test_patch_is_idempotent_and_keeps_moto_dimensions(live: Started) -> None:
    from moto.applicationautoscaling import models, responses

    live.boto("sts").get_caller_identity()  # the sandbox creates moto's app, which applies the patch
    moto_patches.apply()
    dimensions = [d.value for d in models.ScalableDimensionValueSet]
    assert dimensions.count(DIMENSION) == 1
    assert responses.ScalableDimensionValueSet is models.ScalableDimensionValueSet
    assert "sagemaker:variant:DesiredInstanceCount" in dimensions
