"""The plan engine through the CLI against the sandbox: no false diffs, every real one explained."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import PROJECT, Live, icsync, write

BASE = """
InferenceComponentName: {name}
EndpointName: {endpoint}
Specification:
  ModelName: model-a
  Container:
    Image: repo/app:1
    Environment:
      LOG_LEVEL: info
  ComputeResourceRequirements:
    NumberOfAcceleratorDevicesRequired: {accelerators}
    MinMemoryRequiredInMb: 1024
RuntimeConfig:
  CopyCount: {copies}
{extra}
"""


def component(name: str = "web", endpoint: str = "ep", copies: int = 2, accelerators: str = "1",
              extra: str = "") -> str:
    return BASE.format(name=name, endpoint=endpoint, copies=copies, accelerators=accelerators, extra=extra)


def project(root: Path, components: dict[str, str], icsync_yaml: str = PROJECT) -> Path:
    shutil.rmtree(root / "components", ignore_errors=True)
    files = {"icsync.yaml": icsync_yaml, "values/dev.yaml": "x: 1\n"}
    files.update({f"components/{name}.yaml": text for name, text in components.items()})
    return write(root, files)


def run(command: str, root: Path, live: Live, *extra: str):
    args = [command, "-C", root, "--env", "dev", "--endpoint-url", live.url, *extra]
    if command == "apply":
        args.append("--auto-approve")
    return icsync(*args)


@pytest.fixture
def root(tmp_path: Path, live: Live) -> Path:
    live.seed_endpoint()
    live.seed_endpoint("ep2", models=())
    return tmp_path / "project"


def test_numbers_compare_by_value(root: Path, live: Live) -> None:
    project(root, {"web": component(accelerators="1")})
    assert run("apply", root, live).code == 0
    project(root, {"web": component(accelerators="1.0")})
    assert run("plan", root, live, "--detailed-exitcode").code == 0


def test_empty_environment_equals_absent(root: Path, live: Live) -> None:
    text = component().replace("    Environment:\n      LOG_LEVEL: info\n", "")
    project(root, {"web": text})
    assert run("apply", root, live).code == 0
    project(root, {"web": text.replace("Image: repo/app:1", "Image: repo/app:1\n    Environment: {}")})
    assert run("plan", root, live, "--detailed-exitcode").code == 0


def test_deployment_config_alone_is_not_a_change(root: Path, live: Live) -> None:
    project(root, {"web": component()})
    assert run("apply", root, live).code == 0
    policy = ("DeploymentConfig:\n  RollingUpdatePolicy:\n    MaximumBatchSize: {Type: COPY_COUNT, Value: 1}\n"
              "    WaitIntervalInSeconds: 120\n")
    project(root, {"web": component(extra=policy)})
    assert run("plan", root, live, "--detailed-exitcode").code == 0


def test_rolling_update_rides_along_with_a_spec_change(root: Path, live: Live) -> None:
    policy = ("DeploymentConfig:\n  RollingUpdatePolicy:\n    MaximumBatchSize: {Type: COPY_COUNT, Value: 1}\n"
              "    WaitIntervalInSeconds: 120\n")
    project(root, {"web": component(extra=policy)})
    assert run("apply", root, live).code == 0
    project(root, {"web": component(extra=policy).replace("LOG_LEVEL: info", "LOG_LEVEL: debug")})
    live.clear_log()
    result = run("apply", root, live)
    assert "rolling redeploy in batches of 1 copies, baking 120s each" in result.out
    [call] = live.mutating()
    assert call["params"]["DeploymentConfig"]["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 120
    described = live.client.describe_inference_component(InferenceComponentName="web")
    assert described["LastDeploymentConfig"]["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 120


def test_update_without_policy_says_blue_green(root: Path, live: Live) -> None:
    project(root, {"web": component()})
    assert run("apply", root, live).code == 0
    project(root, {"web": component().replace("repo/app:1", "repo/app:2")})
    result = run("plan", root, live)
    assert "blue/green" in result.out
    assert 'Specification.Container.Image: "repo/app:1" -> "repo/app:2"' in result.out


def test_tags_compare_as_a_set_and_change_per_tag(root: Path, live: Live) -> None:
    tags = "Tags:\n  - {Key: a, Value: '1'}\n  - {Key: b, Value: '2'}\n"
    project(root, {"web": component(extra=tags)})
    assert run("apply", root, live).code == 0
    reordered = "Tags:\n  - {Key: b, Value: '2'}\n  - {Key: a, Value: '1'}\n"
    project(root, {"web": component(extra=reordered)})
    assert run("plan", root, live, "--detailed-exitcode").code == 0
    changed = "Tags:\n  - {Key: b, Value: '3'}\n  - {Key: c, Value: '4'}\n"
    project(root, {"web": component(extra=changed)})
    document = json.loads(run("plan", root, live, "--output", "json").out)
    [change] = document["changes"]
    assert change["action"] == "tag"
    fields = {f["path"]: (f["before"], f["after"]) for f in change["fields"]}
    assert fields == {"Tags.a": ("1", None), "Tags.b": ("2", "3"), "Tags.c": (None, "4")}
    live.clear_log()
    assert run("apply", root, live).code == 0
    assert sorted(c["operation"] for c in live.mutating()) == ["AddTags", "DeleteTags"]
    assert run("plan", root, live, "--detailed-exitcode").code == 0


def test_unknown_describe_keys_plan_without_diff(root: Path, live: Live) -> None:
    project(root, {"web": component()})
    assert run("apply", root, live).code == 0
    stored = live.sandbox.account.components["web"]
    stored["ContainerMetricsConfig"] = {"EnableDetailedMetrics": True}
    stored["Specification"]["FutureField"] = "x"
    result = run("plan", root, live, "--detailed-exitcode")
    assert result.code == 0, result.all


def test_specifications_per_instance_type(root: Path, live: Live) -> None:
    text = """
    InferenceComponentName: multi
    EndpointName: ep
    Specifications:
      - InstanceType: ml.g5.12xlarge
        ModelName: model-a
        ComputeResourceRequirements: {NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024}
      - InstanceType: ml.g6.12xlarge
        ModelName: model-a
        ComputeResourceRequirements: {NumberOfAcceleratorDevicesRequired: 2, MinMemoryRequiredInMb: 2048}
    RuntimeConfig: {CopyCount: 1}
    """
    project(root, {"multi": text})
    assert run("apply", root, live).code == 0
    assert run("plan", root, live, "--detailed-exitcode").code == 0
    project(root, {"multi": text.replace("MinMemoryRequiredInMb: 2048", "MinMemoryRequiredInMb: 4096")})
    result = run("plan", root, live, "--output", "json")
    [change] = json.loads(result.out)["changes"]
    assert change["action"] == "update"
    assert [f["path"] for f in change["fields"]] == [
        "Specifications[1].ComputeResourceRequirements.MinMemoryRequiredInMb"]


def test_replace_is_refused_without_allow_replace(root: Path, live: Live) -> None:
    project(root, {"web": component()})
    assert run("apply", root, live).code == 0
    project(root, {"web": component(endpoint="ep2")})
    result = run("plan", root, live)
    assert "-/+ web (ep2): replace" in result.out
    assert '~ EndpointName: "ep" -> "ep2"  # forces replacement' in result.out
    live.clear_log()
    refused = run("apply", root, live)
    assert refused.code == 1 and "--allow-replace" in refused.err
    assert live.mutating() == []
    assert run("apply", root, live, "--allow-replace").code == 0
    assert [c["operation"] for c in live.mutating()] == ["DeleteInferenceComponent", "CreateInferenceComponent"]
    assert run("plan", root, live, "--detailed-exitcode").code == 0


def test_prune_deletes_only_owned_components(root: Path, live: Live) -> None:
    project(root, {"web": component(), "api": component(name="api"),
                   "keep": component(name="keep", extra="icsync: {prune: false}")})
    assert run("apply", root, live).code == 0
    live.client.create_inference_component(
        InferenceComponentName="by-hand", EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-a", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 512}},
        RuntimeConfig={"CopyCount": 1})
    project(root, {"web": component()})
    without = run("plan", root, live)
    assert "No changes." in without.out and "unmanaged" in without.out
    pruned = run("plan", root, live, "--prune", "--output", "json")
    document = json.loads(pruned.out)
    actions = {c["name"]: c["action"] for c in document["changes"]}
    assert actions == {"web": "noop", "api": "delete"}
    assert sorted(document["unmanaged"]) == ["by-hand", "keep"]
    live.clear_log()
    assert run("apply", root, live, "--prune").code == 0
    assert [c["params"] for c in live.mutating()] == [{"InferenceComponentName": "api"}]


def test_max_deletes_guards_an_emptied_folder(root: Path, live: Live) -> None:
    project(root, {f"c{n}": component(name=f"c{n}") for n in range(5)})
    assert run("apply", root, live).code == 0
    project(root, {"c0": component(name="c0")})
    live.clear_log()
    refused = run("apply", root, live, "--prune")
    assert refused.code == 1 and "--max-deletes" in refused.err
    assert live.mutating() == []
    assert run("apply", root, live, "--prune", "--max-deletes", "4").code == 0
    assert len(live.mutating()) == 4


def test_ignore_rules_component_and_project(root: Path, live: Live) -> None:
    project(root, {"web": component(extra="icsync: {ignore: [RuntimeConfig.CopyCount]}"),
                   "api": component(name="api")},
            icsync_yaml=PROJECT + "ignore: [Specification.Container.Environment.LOG_LEVEL]\n")
    assert run("apply", root, live).code == 0
    live.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 7})
    live.client.update_inference_component(InferenceComponentName="api", Specification={
        "ModelName": "model-a", "Container": {"Image": "repo/app:1", "Environment": {"LOG_LEVEL": "trace"}},
        "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}})
    assert run("plan", root, live, "--detailed-exitcode").code == 0
    document = json.loads(run("plan", root, live, "--output", "json").out)
    ignored = {c["name"]: [(f["path"], f["ignored"]) for f in c["fields"]] for c in document["changes"]}
    assert ignored == {"web": [("RuntimeConfig.CopyCount", True)],
                       "api": [("Specification.Container.Environment.LOG_LEVEL", True)]}
    verbose = run("plan", root, live, "--verbose")
    assert "RuntimeConfig.CopyCount: 7 -> 2  # ignored" in verbose.out


def test_target_and_exclude(root: Path, live: Live) -> None:
    project(root, {"web-a": component(name="web-a"), "web-b": component(name="web-b"),
                   "api": component(name="api")})
    document = json.loads(run("plan", root, live, "--output", "json", "--target", "web-*",
                              "--exclude", "*-b").out)
    assert [c["name"] for c in document["changes"]] == ["web-a"]
    live.clear_log()
    assert run("apply", root, live, "--target", "api").code == 0
    assert [c["params"]["InferenceComponentName"] for c in live.mutating()] == ["api"]


def test_query_and_yaml_output(root: Path, live: Live) -> None:
    project(root, {"web": component()})
    result = run("plan", root, live, "--query", "changes[].name", "--output", "json")
    assert json.loads(result.out) == ["web"]
    assert "action: create" in run("plan", root, live, "--output", "yaml").out
    bad = run("plan", root, live, "--query", "changes[")
    assert bad.code == 1 and "JMESPath" in bad.err and "Traceback" not in bad.all


def test_color_on_off_and_no_color(root: Path, live: Live) -> None:
    project(root, {"web": component()})
    assert "\x1b[" in run("plan", root, live, "--color", "on").out
    assert "\x1b[" not in run("plan", root, live, "--color", "off").out
    args = ["plan", "-C", root, "--env", "dev", "--endpoint-url", live.url]
    assert "\x1b[" not in icsync(*args, env={"NO_COLOR": "1"}).out


def test_markdown_banner_details_and_size_limit(root: Path, live: Live) -> None:
    project(root, {"web": component()})
    assert run("apply", root, live).code == 0
    project(root, {"web": component(endpoint="ep2")})
    markdown = run("plan", root, live, "--output", "markdown").out
    assert "[!CAUTION]" in markdown and "<details>" in markdown and "| replace | 1 |" in markdown
    big = "".join(f"      VAR_{n}: '{'x' * 200}'\n" for n in range(90))
    many = {f"c{n}": component(name=f"c{n}").replace("      LOG_LEVEL: info\n", big) for n in range(60)}
    project(root, many)
    markdown = run("plan", root, live, "--output", "markdown").out
    assert len(markdown) <= 60_000
    assert "more changed component(s), not shown" in markdown
