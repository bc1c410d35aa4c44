"""Each named normalization step undoes one AWS behaviour; each gets its own test."""

from __future__ import annotations

from gitsync import model, normalize


def test_image_from_deployed_image() -> None:
    live = {"Specification": {"Container": {"DeployedImage": {
        "SpecifiedImage": "repo/app:1", "ResolvedImage": "repo/app@sha256:abc", "ResolutionTime": 1.0}}}}
    assert normalize.image_from_deployed_image(live) == {"Specification": {"Container": {"Image": "repo/app:1"}}}


def test_image_from_deployed_image_in_every_specification() -> None:
    live = {"Specifications": [{"Container": {"DeployedImage": {"SpecifiedImage": f"i:{n}"}}} for n in (1, 2)]}
    normalize.image_from_deployed_image(live)
    assert [s["Container"] for s in live["Specifications"]] == [{"Image": "i:1"}, {"Image": "i:2"}]


def test_copy_count_from_desired_drops_status() -> None:
    live = {"RuntimeConfig": {"DesiredCopyCount": 3, "CurrentCopyCount": 1,
                              "PlacementStatus": [{"InstanceType": "ml.g5.xlarge", "CurrentCopyCount": 1}]}}
    assert normalize.copy_count_from_desired(live) == {"RuntimeConfig": {"CopyCount": 3}}


def test_project_onto_shape_drops_status_and_unknown_keys() -> None:
    describe = {"InferenceComponentName": "a", "InferenceComponentArn": "arn:x", "CreationTime": 1.0,
                "InferenceComponentStatus": "InService", "FailureReason": "x", "BrandNewField": {"x": 1},
                "Specification": {"ModelName": "m", "ContainerMetricsConfig": {"Enabled": True}}}
    shape = model.input_shape("CreateInferenceComponent")
    assert normalize.project_onto_shape(describe, shape) == {
        "InferenceComponentName": "a", "Specification": {"ModelName": "m"}}


def test_numbers_as_shape_types() -> None:
    shape = model.input_shape("CreateInferenceComponent")
    spec = {"Specification": {"ComputeResourceRequirements": {
        "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024.0}}}
    out = normalize.project_onto_shape(spec, shape)["Specification"]["ComputeResourceRequirements"]
    assert out == {"NumberOfAcceleratorDevicesRequired": 1.0, "MinMemoryRequiredInMb": 1024}
    assert isinstance(out["NumberOfAcceleratorDevicesRequired"], float)
    assert isinstance(out["MinMemoryRequiredInMb"], int)


def test_drop_empty_blocks() -> None:
    assert normalize.drop_empty_blocks({"A": {"Environment": {}}, "B": [], "C": 0, "D": ""}) == {"C": 0, "D": ""}


def test_tags_as_map_ignores_order_and_ownership() -> None:
    tags = [{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}, {"Key": "icsync:project", "Value": "p"}]
    assert normalize.tags_as_map(tags) == {"a": "1", "b": "2"}
    assert normalize.tags_as_map({"icsync:environment": "dev", "x": "y"}) == {"x": "y"}


def test_variant_name_when_unset() -> None:
    assert normalize.variant_name_when_unset({"VariantName": "AllTraffic"}, {}) == {}
    assert normalize.variant_name_when_unset({"VariantName": "A"}, {"VariantName": "B"}) == {"VariantName": "A"}


def test_comparable_live_equals_comparable_desired_for_a_deployed_manifest() -> None:
    body = {"InferenceComponentName": "a", "EndpointName": "ep",
            "Specification": {"ModelName": "m", "Container": {"Image": "i:1", "Environment": {}},
                              "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 2,
                                                              "MinMemoryRequiredInMb": 512}},
            "RuntimeConfig": {"CopyCount": 2}, "Tags": [{"Key": "t", "Value": "v"}]}
    describe = {"InferenceComponentName": "a", "InferenceComponentArn": "arn:aws:sagemaker:x",
                "EndpointName": "ep", "EndpointArn": "arn", "VariantName": "AllTraffic",
                "Specification": {"ModelName": "m", "Container": {"DeployedImage": {
                    "SpecifiedImage": "i:1", "ResolvedImage": "i@sha256:1"}},
                    "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 2.0,
                                                    "MinMemoryRequiredInMb": 512}},
                "RuntimeConfig": {"DesiredCopyCount": 2, "CurrentCopyCount": 1},
                "InferenceComponentStatus": "InService", "CreationTime": 0, "LastModifiedTime": 0}
    assert normalize.comparable_live(describe, {"t": "v", "icsync:project": "p"}, body) == \
        normalize.comparable_desired(body)
