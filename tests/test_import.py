"""`icsync import`: live components -> a project that plans as "No changes." against the same account."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from gitsync import autoscaling
from gitsync.importer import import_component, stem
from tests.helpers import Live, icsync, write

TOKEN = "tok-9f8e7d6c5b4a"


def _seed(live: Live, env: str = "dev") -> None:
    """A base model, an adapter on it and a two-specification component, named after `env`."""
    live.seed_endpoint(name=f"ep-{env}", models=(f"model-{env}", f"other-{env}"))
    c = live.client
    c.create_inference_component(
        InferenceComponentName=f"web-{env}", EndpointName=f"ep-{env}", VariantName="AllTraffic",
        Specification={"ModelName": f"model-{env}", "Container": {
            "Image": "repo/web:1.0", "Environment": {"LOG_LEVEL": "info", "API_TOKEN": TOKEN}},
            "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 2 if env == "dev" else 4},
        Tags=[{"Key": "team", "Value": "search"}, {"Key": "icsync:project", "Value": "x"}])
    c.create_inference_component(
        InferenceComponentName=f"web-{env}-adapter", EndpointName=f"ep-{env}",
        Specification={"BaseInferenceComponentName": f"web-{env}",
                       "Container": {"ArtifactUrl": "s3://bucket/adapters/{{weird}}/a.tar.gz"}})
    c.create_inference_component(
        InferenceComponentName=f"multi-{env}", EndpointName=f"ep-{env}", VariantName="AllTraffic",
        Specifications=[{"InstanceType": "ml.g5.12xlarge", "ModelName": f"other-{env}",
                         "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 512}},
                        {"InstanceType": "ml.g5.2xlarge", "ModelName": f"other-{env}",
                         "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 256}}],
        RuntimeConfig={"CopyCount": 1})


def _import(root: Path, live: Live, env: str = "dev", *args: str) -> tuple[int, str, str]:
    result = icsync("import", "-C", root, "--env", env, "--endpoint-url", live.url, *args)
    return result.code, result.out, result.err



@pytest.fixture(autouse=True)
def a_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """Some projects here name no region, and icsync refuses to guess one (as the AWS CLI does):
    the shell has one, as a configured machine does."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

def test_imported_project_plans_no_changes(tmp_path: Path, live: Live) -> None:
    _seed(live)
    root = tmp_path / "p"
    code, out, err = _import(root, live)
    assert code == 0, out + err
    assert sorted(p.name for p in (root / "components").iterdir()) == ["multi.yaml", "web-adapter.yaml", "web.yaml"]
    web = (root / "components" / "web.yaml").read_text()
    assert "InferenceComponentName: web-{{ env }}" in web and "EndpointName: ep-{{ env }}" in web
    assert TOKEN not in web + out + err and 'API_TOKEN: {{ env_var("API_TOKEN") | tojson }}' in web
    assert "Environment API_TOKEN looks secret" in err
    assert "icsync:" not in web  # ownership tags are bookkeeping, not desired state
    values = YAML(typ="safe").load((root / "values" / "dev.yaml").read_text())
    assert values["copies"] == {"web": 2, "multi": 1}  # the adapter has no copies of its own
    assert "NumberOfAcceleratorDevicesRequired: 1\n" in web
    assert list(values["literals"].values()) == ["s3://bucket/adapters/{{weird}}/a.tar.gz"]

    plan = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--detailed-exitcode",
                  env={"API_TOKEN": TOKEN})
    assert plan.code == 0 and "No changes." in plan.out, plan.all


def test_second_environment_shares_the_manifests(tmp_path: Path, live: Live) -> None:
    """prod's components follow dev's names: the same files, prod's copy counts in its values."""
    _seed(live, "dev")
    _seed(live, "prod")
    root = tmp_path / "p"
    assert _import(root, live, "dev", "--endpoint", "ep-dev")[0] == 0
    project = root / "icsync.yaml"
    project.write_text(project.read_text() + "  prod:\n    values: values/prod.yaml\n")
    files = {p.name: p.read_text() for p in (root / "components").iterdir()}
    code, out, err = _import(root, live, "prod", "--endpoint", "ep-prod")
    assert code == 0, out + err
    assert {p.name: p.read_text() for p in (root / "components").iterdir()} == files
    assert YAML(typ="safe").load((root / "values" / "prod.yaml").read_text())["copies"]["web"] == 4
    for env in ("dev", "prod"):
        plan = icsync("plan", "-C", root, "--env", env, "--endpoint-url", live.url, "--detailed-exitcode",
                      env={"API_TOKEN": TOKEN})
        assert plan.code == 0 and "No changes." in plan.out, plan.all


def test_only_the_endpoints_asked_and_the_projects_layout(tmp_path: Path, live: Live) -> None:
    _seed(live, "dev")
    _seed(live, "qa")
    root = write(tmp_path / "p", {"icsync.yaml": """
        manifests: ["manifests/**/*.yml"]
        environments:
          qa: {values: vals/qa.yaml}
        """})
    code, out, err = _import(root, live, "qa", "--endpoint", "ep-qa")
    assert code == 0, out + err
    assert sorted(p.name for p in (root / "manifests").iterdir()) == ["multi.yml", "web-adapter.yml", "web.yml"]
    assert (root / "vals" / "qa.yaml").is_file()


def test_a_differing_file_is_left_alone(tmp_path: Path, live: Live) -> None:
    _seed(live)
    root = write(tmp_path / "p", {"icsync.yaml": "manifests: [components/*.yaml]\nenvironments:\n"
                                                 "  dev: {values: values/dev.yaml}\n",
                                  "components/web.yaml": "# mine\n"})
    code, _, err = _import(root, live)
    assert code == 1 and "components/web.yaml: exists and differs from web-dev" in err
    assert (root / "components" / "web.yaml").read_text() == "# mine\n"
    # the values of the component left alone are not written either: they belong to its manifest
    assert "web" not in YAML(typ="safe").load((root / "values" / "dev.yaml").read_text())["copies"]
    assert "Traceback" not in err


def test_import_needs_an_environment(tmp_path: Path) -> None:
    result = icsync("import", "-C", tmp_path)
    assert result.code == 1 and "--env NAME" in result.err


def test_stem_takes_the_environment_out_of_a_name() -> None:
    assert [stem(n, "dev") for n in ("web-dev", "dev-web", "web-dev-adapter", "device", "dev")] == [
        "web", "web", "web-adapter", "device", "dev"]


def test_names_are_templated_only_where_the_environment_is_a_word() -> None:
    describe = {"InferenceComponentName": "device-dev", "EndpointName": "dev",
                "Specification": {"ModelName": "devmodel"}}
    text = import_component(describe, {}, "dev", "TOKEN").text
    assert "InferenceComponentName: device-{{ env }}" in text
    assert "EndpointName: {{ env | tojson }}" in text and "ModelName: devmodel" in text


def test_autoscaling_is_imported_so_the_plan_keeps_it(tmp_path: Path, live: Live) -> None:
    """web's target and icsync's policy on it become its `icsync: {autoscaling: ...}`: the plan
    does not deregister them. multi's target carries another tool's policy only: left to it, named."""
    env = "scaled"  # moto holds autoscaling per process: names no other test uses
    _seed(live, env)
    scaling = live.boto("application-autoscaling")
    for name, policy in ((f"web-{env}", autoscaling.POLICY_NAME), (f"multi-{env}", "their-policy")):
        ident = {"ServiceNamespace": autoscaling.NAMESPACE, "ResourceId": autoscaling.resource_id(name),
                 "ScalableDimension": autoscaling.DIMENSION}
        scaling.register_scalable_target(**ident, MinCapacity=1, MaxCapacity=4)
        scaling.put_scaling_policy(**ident, PolicyName=policy, PolicyType="TargetTrackingScaling",
                                   TargetTrackingScalingPolicyConfiguration={
                                       "TargetValue": 70.0, "ScaleInCooldown": 300, "PredefinedMetricSpecification": {
                                           "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}})
    web = live.client.describe_inference_component(InferenceComponentName=f"web-{env}")
    # as icsync's apply marks what it autoscales: a plan without the option would deregister it
    live.client.add_tags(ResourceArn=web["InferenceComponentArn"],
                         Tags=[{"Key": autoscaling.MARK_TAG, "Value": "true"}])
    root = tmp_path / "p"
    code, out, err = _import(root, live, env)
    assert code == 0, out + err
    assert (root / "components" / "web.yaml").read_text().endswith(
        "icsync:\n  autoscaling:\n    min: 1\n    max: 4\n    target:\n      value: 70.0\n"
        "      metric: SageMakerInferenceComponentInvocationsPerCopy\n    scale_in_cooldown: 300\n")
    assert "icsync:" not in (root / "components" / "multi.yaml").read_text()
    assert (f"multi-{env}: its scalable target has no `{autoscaling.POLICY_NAME}` policy; its autoscaling "
            "is not imported") in err
    plan = icsync("plan", "-C", root, "--env", env, "--endpoint-url", live.url, "--detailed-exitcode",
                  env={"API_TOKEN": TOKEN})
    assert plan.code == 0 and "No changes." in plan.out, plan.all


def _tags(live: Live, name: str) -> dict[str, str]:
    arn = live.client.describe_inference_component(InferenceComponentName=name)["InferenceComponentArn"]
    return {t["Key"]: t["Value"] for t in live.client.list_tags(ResourceArn=arn)["Tags"]}


def _plan(root: Path, live: Live) -> tuple[int, str]:
    plan = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--detailed-exitcode",
                  env={"API_TOKEN": TOKEN})
    return plan.code, plan.all


def test_import_adopts_what_it_imports(tmp_path: Path, live: Live) -> None:
    """As Terraform's import records a resource in its state: the ownership tags and the record of
    the fields each manifest sets, so that later plans tell AWS's defaults from fields removed."""
    _seed(live)
    code, out, err = _import(tmp_path / "p", live)
    assert code == 0, out + err
    for name in ("web-dev", "web-dev-adapter", "multi-dev"):
        tags = _tags(live, name)
        assert (tags["icsync:project"], tags["icsync:environment"]) == ("p", "dev"), tags
        assert tags["icsync:applied"].startswith("1:")
        assert f"{name}: adopted (tagged as owned by project `p`, environment `dev`)" in out
    assert _tags(live, "web-dev")["team"] == "search"  # the user's own tags stay
    live.clear_log()
    assert _import(tmp_path / "p", live)[0] == 0  # again: owned now, nothing to send
    assert live.mutating() == []


def test_manifests_only_leaves_the_tags_to_the_first_apply(tmp_path: Path, live: Live) -> None:
    _seed(live)
    root = tmp_path / "p"
    live.clear_log()
    code, out, err = _import(root, live, "dev", "--manifests-only")
    assert code == 0 and "adopted" not in out, out + err
    assert live.mutating() == []
    code, shown = _plan(root, live)
    assert code == 2 and shown.count("nobody owns it: apply adopts it") == 3, shown
    applied = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve",
                     env={"API_TOKEN": TOKEN})
    assert applied.code == 0, applied.all
    assert _plan(root, live)[0] == 0


def test_another_projects_component_is_imported_only_when_adopted(tmp_path: Path, live: Live) -> None:
    _seed(live)
    web = live.client.describe_inference_component(InferenceComponentName="web-dev")
    live.client.add_tags(ResourceArn=web["InferenceComponentArn"], Tags=[
        {"Key": "icsync:project", "Value": "search"}, {"Key": "icsync:environment", "Value": "prod"}])
    root = tmp_path / "p"
    code, out, err = _import(root, live)
    assert code == 0, out + err
    assert "web-dev: owned by project `search`, environment `prod`; not imported" in err
    assert not (root / "components" / "web.yaml").exists()
    assert _tags(live, "web-dev")["icsync:project"] == "search"
    code, out, err = _import(root, live, "dev", "--adopt", "web-dev")
    assert code == 0 and "web-dev: adopted" in out, out + err
    assert _tags(live, "web-dev")["icsync:project"] == "p"
    assert _plan(root, live)[0] == 0


def test_adopt_names_a_live_component(tmp_path: Path, live: Live) -> None:
    _seed(live)
    live.clear_log()
    code, out, err = _import(tmp_path / "p", live, "dev", "--adopt", "nosuch")
    assert code == 1 and "--adopt nosuch: no live component of that name" in err, out + err
    assert live.mutating() == [] and "Traceback" not in err


def test_tags_aws_refuses_leave_the_manifests_and_say_what_was_not_adopted(tmp_path: Path, live: Live) -> None:
    _seed(live)
    live.sandbox.fail_calls("AddTags", "denied", 1)
    live.clear_log()
    root = tmp_path / "p"
    code, out, err = _import(root, live)
    assert code == 1 and "Traceback" not in err, out + err
    assert "multi-dev: not adopted: AccessDeniedException" in err
    assert "Not adopted: multi-dev, web-dev, web-dev-adapter. Their manifests are written" in err
    assert sorted(p.name for p in (root / "components").iterdir()) == ["multi.yaml", "web-adapter.yaml", "web.yaml"]
    assert [r["operation"] for r in live.mutating()] == ["AddTags"]  # the first refusal stops the rest
    code, shown = _plan(root, live)
    assert code == 2 and shown.count("nobody owns it: apply adopts it") == 3, shown


@pytest.mark.parametrize("manifests_only", [False, True], ids=["import-adopts", "apply-adopts"])
def test_an_adopted_components_autoscaling_is_marked_so_dropping_it_deregisters(
        tmp_path: Path, live: Live, manifests_only: bool) -> None:
    """A target with icsync's policy, made without icsync's apply (no autoscaling mark): import
    brings it in as `icsync: {autoscaling: ...}`, and the adoption (by import, or by the first
    apply after --manifests-only) marks it as one icsync's apply made, so that a manifest that
    drops the option deregisters it as it would a target icsync registered."""
    env = "unmarked" if manifests_only else "unmarked2"  # moto holds autoscaling per process
    _seed(live, env)
    ident = {"ServiceNamespace": autoscaling.NAMESPACE, "ResourceId": autoscaling.resource_id(f"web-{env}"),
             "ScalableDimension": autoscaling.DIMENSION}
    scaling = live.boto("application-autoscaling")
    scaling.register_scalable_target(**ident, MinCapacity=1, MaxCapacity=4)
    scaling.put_scaling_policy(**ident, PolicyName=autoscaling.POLICY_NAME, PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration={"TargetValue": 70.0, "PredefinedMetricSpecification": {
                                   "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}})
    root = tmp_path / "p"
    code, out, err = _import(root, live, env, *(["--manifests-only"] if manifests_only else []))
    assert code == 0, out + err
    common = ["-C", root, "--env", env, "--endpoint-url", live.url]
    if manifests_only:
        applied = icsync("apply", *common, "--auto-approve", env={"API_TOKEN": TOKEN})
        assert applied.code == 0, applied.all
    assert _tags(live, f"web-{env}")[autoscaling.MARK_TAG] == "true"
    manifest = root / "components" / "web.yaml"
    manifest.write_text(manifest.read_text().split("icsync:\n")[0])
    plan = icsync("plan", *common, "--detailed-exitcode", env={"API_TOKEN": TOKEN})
    assert plan.code == 2 and "DeregisterScalableTarget" in plan.out, plan.all


def test_a_manifest_the_projects_globs_do_not_find_is_not_adopted(tmp_path: Path, live: Live) -> None:
    """Import writes components/<stem>.yaml; a project whose glob is components/svc-*.yaml never
    loads it. Adopted, the component would be owned and in no manifest: `--prune` would delete it
    right after. It is left unadopted, named, exit 1."""
    _seed(live)
    root = write(tmp_path / "p", {
        "icsync.yaml": 'name: p\nmanifests: ["components/svc-*.yaml"]\nenvironments:\n'
                       '  dev: {values: values/dev.yaml, region: us-east-1}\n',
        "components/svc-other.yaml": (
            "InferenceComponentName: other\nEndpointName: ep-dev\nSpecification:\n  ModelName: model-dev\n"
            "  ComputeResourceRequirements: {NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024}\n"
            "RuntimeConfig: {CopyCount: 1}\n")})
    code, out, err = _import(root, live, "dev", "--endpoint", "ep-dev")
    assert code == 1, out + err
    assert ("components/web.yaml: not found by the project's `manifests` globs (components/svc-*.yaml): "
            "web-dev is not adopted") in err
    assert "icsync:project" not in _tags(live, "web-dev") or _tags(live, "web-dev")["icsync:project"] == "x"
    assert "web-dev: adopted" not in out
    plan = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--prune",
                  env={"API_TOKEN": TOKEN})
    assert plan.code == 0 and "DeleteInferenceComponent" not in plan.out, plan.all


def test_a_component_adoption_would_take_past_50_tags_is_not_adopted_and_the_rest_are(
        tmp_path: Path, live: Live) -> None:
    """AWS allows 50 tags a resource: web-dev with 49 (a lone icsync:project among them) cannot
    take the environment tag and the record as well. It is named and left unadopted; the others are adopted; exit 1."""
    _seed(live)
    arn = live.client.describe_inference_component(InferenceComponentName="web-dev")["InferenceComponentArn"]
    live.client.add_tags(ResourceArn=arn, Tags=[{"Key": f"team-{i}", "Value": "x"} for i in range(47)])
    code, out, err = _import(tmp_path / "p", live)
    assert code == 1, out + err
    assert ("web-dev: not adopted: it would carry 51 tags, more than the 50 AWS allows a resource; "
            "remove 1 of its tags (live and in its manifest), then import again") in err
    assert len(_tags(live, "web-dev")) == 49
    assert "multi-dev: adopted" in out and "web-dev-adapter: adopted" in out
