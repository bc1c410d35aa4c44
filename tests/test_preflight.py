"""Pre-flight: what AWS would reject at apply time is a plan-time error with file, line and field."""

from __future__ import annotations

from pathlib import Path

import boto3

from tests.helpers import PROJECT, Live, icsync, write

COMPONENT = """
InferenceComponentName: {name}
EndpointName: {endpoint}
VariantName: {variant}
Specification:
  ModelName: {model}
  ComputeResourceRequirements: {{NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024}}
RuntimeConfig: {{CopyCount: 2}}
{extra}
"""


def component(name: str = "web", endpoint: str = "ep", variant: str = "AllTraffic", model: str = "model-a",
              extra: str = "") -> str:
    return COMPONENT.format(name=name, endpoint=endpoint, variant=variant, model=model, extra=extra)


def plan(root: Path, live: Live, files: dict[str, str]):
    write(root, {"icsync.yaml": PROJECT, "values/dev.yaml": "x: 1\n", **files})
    live.clear_log()
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert live.mutating() == []
    return result


def test_missing_endpoint_model_and_variant(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    result = plan(tmp_path, live, {
        "components/a.yaml": component(name="a", endpoint="nope"),
        "components/b.yaml": component(name="b", model="missing-model"),
        "components/c.yaml": component(name="c", variant="Blue")})
    assert result.code == 1
    assert "components/a.yaml:2:1: endpoint `nope` does not exist" in result.err
    assert "components/b.yaml:5:3: model `missing-model` does not exist" in result.err
    assert "at `Specification.ModelName`" in result.err
    assert "components/c.yaml:3:1: endpoint `ep` has no variant `Blue` (it has AllTraffic)" in result.err
    assert "3 problems found; nothing was sent to AWS." in result.err


def test_endpoint_serving_a_model_directly(tmp_path: Path, live: Live) -> None:
    live.client.create_model(ModelName="model-a", PrimaryContainer={"Image": "i:1"})
    live.client.create_endpoint_config(EndpointConfigName="classic-config-v1", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "model-a", "InstanceType": "ml.m5.xlarge",
         "InitialInstanceCount": 1}])
    live.client.create_endpoint(EndpointName="classic", EndpointConfigName="classic-config-v1")
    result = plan(tmp_path, live, {"components/a.yaml": component(endpoint="classic")})
    assert result.code == 1 and "serves a model directly" in result.err


def test_base_must_be_live_or_created_in_the_same_apply(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    adapter = """
    InferenceComponentName: adapter
    EndpointName: ep
    Specification:
      BaseInferenceComponentName: {base}
      Container: {{ArtifactUrl: s3://bucket/adapter.tar.gz}}
    """
    missing = plan(tmp_path, live, {"components/adapter.yaml": adapter.format(base="ghost"),
                                    "components/web.yaml": component()})
    assert missing.code == 1
    assert "components/adapter.yaml:4:3: base component `ghost` is in no manifest and does not exist live" \
        in missing.err
    fine = plan(tmp_path, live, {"components/adapter.yaml": adapter.format(base="web"),
                                 "components/web.yaml": component()})
    assert fine.code == 0, fine.all


def test_rollback_alarms_must_exist(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    cloudwatch = boto3.client("cloudwatch", endpoint_url=live.url, region_name="us-east-1")
    cloudwatch.put_metric_alarm(AlarmName="icsync-preflight-latency", MetricName="ModelLatency",
                                Namespace="AWS/SageMaker", Statistic="Average", Period=60,
                                EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    rollback = """DeploymentConfig:
  RollingUpdatePolicy:
    MaximumBatchSize: {{Type: COPY_COUNT, Value: 1}}
    WaitIntervalInSeconds: 60
  AutoRollbackConfiguration:
    Alarms: [{{AlarmName: {alarm}}}]
"""
    missing = plan(tmp_path, live, {"components/web.yaml": component(
        extra=rollback.format(alarm="icsync-preflight-errors"))})
    assert missing.code == 1 and "CloudWatch alarm `icsync-preflight-errors` does not exist" in missing.err
    fine = plan(tmp_path, live, {"components/web.yaml": component(
        extra=rollback.format(alarm="icsync-preflight-latency"))})
    assert fine.code == 0, fine.all


def test_unchanged_components_cost_no_preflight_calls(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    write(tmp_path, {"icsync.yaml": PROJECT, "values/dev.yaml": "x: 1\n", "components/web.yaml": component()})
    args = ["-C", tmp_path, "--env", "dev", "--endpoint-url", live.url]
    assert icsync("apply", *args, "--auto-approve").code == 0
    live.clear_log()
    assert icsync("plan", *args, "--detailed-exitcode").code == 0
    assert not any(op in live.operations() for op in ("DescribeEndpoint", "DescribeModel"))


def test_preflight_reads_are_made_once_after_the_describes(tmp_path: Path, live: Live) -> None:
    """Gather reads the components first, then what the checks of the changing ones need, each
    endpoint, endpoint config and model once however many components share it; the plan is built
    once, from all of it."""
    live.seed_endpoint()
    names = [f"web-{i:02}" for i in range(10)]
    files = {f"components/{n}.yaml": component(n) for n in names}
    write(tmp_path, {"icsync.yaml": PROJECT, "values/dev.yaml": "x: 1\n", **files})
    args = ["-C", tmp_path, "--env", "dev", "--endpoint-url", live.url]
    assert icsync("apply", *args, "--auto-approve").code == 0
    write(tmp_path, {f"components/{n}.yaml": component(n, model="model-b") for n in names})
    live.clear_log()
    result = icsync("plan", *args, "--read-parallelism", "1")
    assert result.code == 0, result.all
    assert "10 to update" in result.out
    operations = live.operations()
    last_describe = max(i for i, op in enumerate(operations) if op == "DescribeInferenceComponent")
    assert operations.index("DescribeEndpoint") > last_describe, operations
    assert [operations.count(op) for op in ("DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel")] \
        == [1, 1, 1]
