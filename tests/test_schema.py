"""`icsync schema` and `icsync skeleton`: generated from the installed botocore model."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from gitsync import model
from gitsync.manifests.project import load_project
from tests.helpers import icsync

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(path.parent for path in (ROOT / "examples").glob("*/icsync.yaml"))


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("schema") / "icsync.schema.json"
    result = icsync("schema", "--out", out)
    assert result.code == 0, result.all
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


def rendered(project: Path, environment: str) -> list[dict[str, Any]]:
    """The manifests as `icsync render` prints them (secrets shown: the schema sees real values)."""
    result = icsync("render", "-C", project, "--env", environment, "--show-secrets")
    assert result.code == 0, result.all
    return [doc for doc in YAML(typ="safe").load_all(result.out) if doc is not None]


def errors(schema: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.validator}"
                  for e in validator(schema).iter_errors(manifest))


def test_schema_is_a_valid_draft_2020_12_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_to_stdout_is_the_same_document(schema: dict[str, Any]) -> None:
    assert json.loads(icsync("schema").out) == schema


def test_every_example_manifest_is_valid_against_the_schema(schema: dict[str, Any]) -> None:
    assert EXAMPLES, "no example projects found"
    checked = 0
    for project in EXAMPLES:
        for environment in load_project(project).environments:
            for manifest in rendered(project, environment):
                assert errors(schema, manifest) == [], (project.name, environment, manifest)
                checked += 1
    assert checked >= 6


def test_bad_manifests_fail_schema_validation(schema: dict[str, Any]) -> None:
    [good] = [m for m in rendered(ROOT / "examples" / "quickstart", "dev")
              if m["InferenceComponentName"] == "dev-llm"]
    bad = json.loads(json.dumps(good))
    bad["RuntimeConfig"]["CopyCount"] = "two"
    bad["Specification"]["Container"]["Imagee"] = "x"
    bad["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"]["Type"] = "PERCENT"
    bad["InferenceComponentName"] = "bad_name!"
    bad["icsync"] = {"wave": "first", "colour": True}
    bad["Specifications"] = [good["Specification"]]  # both, where the API takes exactly one
    del bad["EndpointName"]
    assert errors(schema, bad) == [
        ": oneOf",
        ": required",
        "DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Type: enum",
        "InferenceComponentName: pattern",
        "RuntimeConfig.CopyCount: type",
        "Specification.Container: additionalProperties",
        "icsync.wave: type",
        "icsync: additionalProperties",
    ]


def test_autoscaling_option_is_checked_as_validate_checks_it(schema: dict[str, Any]) -> None:
    [embedder] = [m for m in rendered(ROOT / "examples" / "quickstart", "dev")
                  if m["InferenceComponentName"] == "dev-embedder"]
    assert errors(schema, embedder) == [] and "autoscaling" in embedder["icsync"]
    bad = json.loads(json.dumps(embedder))
    bad["icsync"]["autoscaling"] = {"min": -1, "max": 2, "target": {"value": 0}, "cooldown": 60}
    assert errors(schema, bad) == [
        "icsync.autoscaling.min: minimum",
        "icsync.autoscaling.target.value: exclusiveMinimum",
        "icsync.autoscaling.target: anyOf",
        "icsync.autoscaling: additionalProperties",
    ]


def test_schema_carries_the_model_documentation_and_bounds(schema: dict[str, Any]) -> None:
    runtime = schema["properties"]["RuntimeConfig"]
    assert runtime["required"] == ["CopyCount"] and runtime["additionalProperties"] is False
    assert "<" not in json.dumps(schema), "HTML left in the descriptions"
    copy_shape = model.input_shape("CreateInferenceComponent").members["RuntimeConfig"].members["CopyCount"]
    copy = runtime["properties"]["CopyCount"]
    assert copy["type"] == "integer" and copy["minimum"] == copy_shape.metadata["min"]
    assert copy["description"] and copy["description"] in " ".join(copy_shape.documentation.split())
    name = schema["properties"]["InferenceComponentName"]
    assert name["maxLength"] == 63 and name["pattern"].startswith("^(?:")
    tags = schema["properties"]["Tags"]
    assert tags["maxItems"] == 50 and tags["type"] == "array"
    # TagKey's pattern uses Java's \p{L}: neither Python nor JavaScript regex can say it, so it is left out.
    assert "pattern" not in tags["items"]["properties"]["Key"]
    environment = schema["properties"]["Specification"]["properties"]["Container"]["properties"]["Environment"]
    environment_shape = model.service_model().shape_for("EnvironmentMap")
    assert environment["maxProperties"] == environment_shape.metadata["max"]
    assert environment["propertyNames"]["pattern"] == "^(?:[a-zA-Z_][a-zA-Z0-9_]*)$"


def test_schema_follows_the_model_not_a_hand_list(schema: dict[str, Any]) -> None:
    create = model.input_shape("CreateInferenceComponent")
    assert set(schema["properties"]) == set(create.members) | {"DeploymentConfig", "icsync"}
    assert schema["required"] == list(create.required_members)
    spec = create.members["Specification"]
    assert set(schema["properties"]["Specification"]["properties"]) == set(spec.members)


def test_check_jsonschema_accepts_a_rendered_example(tmp_path: Path, schema: dict[str, Any]) -> None:
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(schema))
    manifest = tmp_path / "llm.yaml"
    [llm] = [m for m in rendered(ROOT / "examples" / "quickstart", "prod")
             if m["InferenceComponentName"] == "prod-llm"]
    YAML(typ="safe").dump(llm, manifest)
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema_file),
                             str(manifest)], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    llm["RuntimeConfig"]["CopyCount"] = -1
    YAML(typ="safe").dump(llm, manifest)
    failed = subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema_file),
                             str(manifest)], check=False, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "CopyCount" in failed.stdout + failed.stderr


def leaf_paths(schema: dict[str, Any], at: str = "") -> set[str]:
    if schema.get("type") == "array":
        return leaf_paths(schema["items"], at + "[]")
    properties = schema.get("properties")
    if not properties:
        return {at}
    return set().union(*(leaf_paths(sub, f"{at}.{key}" if at else key) for key, sub in properties.items()))


def skeleton_paths(value: Any, at: str = "") -> set[str]:
    if isinstance(value, list):
        return skeleton_paths(value[0], at + "[]") if value else {at + "[]"}
    if isinstance(value, dict) and at.endswith(".Environment"):
        return {at}  # a map: KeyName is a placeholder key, not a field
    if isinstance(value, dict) and value:
        return set().union(*(skeleton_paths(sub, f"{at}.{key}" if at else key) for key, sub in value.items()))
    return {at}


def commented_block(skeleton: str, key: str) -> str:
    """The commented-out option `key` of the skeleton's icsync block, uncommented."""
    lines = skeleton.splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"  # {key}:")))
    block = [lines[start]] + list(itertools.takewhile(lambda line: line.startswith("  #   "),
                                                      lines[start + 1:]))
    return "\n".join(line.replace("# ", "", 1) for line in block)


def test_skeleton_has_every_field_with_typed_placeholders(schema: dict[str, Any]) -> None:
    result = icsync("skeleton")
    assert result.code == 0, result.all
    skeleton = YAML(typ="safe").load(result.out)
    autoscaling = {path for path in leaf_paths(schema) if path.startswith("icsync.autoscaling.")}
    smoke = {path for path in leaf_paths(schema) if path.startswith("icsync.smoke.")}
    assert skeleton_paths(skeleton) == leaf_paths(schema) - autoscaling - smoke
    assert skeleton["InferenceComponentName"] == ""
    assert skeleton["RuntimeConfig"]["CopyCount"] == 0
    assert skeleton["Specification"]["ComputeResourceRequirements"]["NumberOfCpuCoresRequired"] == 0.0
    assert skeleton["Specification"]["Container"]["Environment"] == {"KeyName": ""}
    assert skeleton["Tags"] == [{"Key": "", "Value": ""}]
    assert skeleton["icsync"] == {"ignore": [], "wave": 0, "prune": True}
    # Autoscaling has no value that changes nothing: it is there commented out, ready to uncomment.
    commented = commented_block(result.out, "autoscaling")
    uncommented = {**skeleton, "icsync": {**skeleton["icsync"], **YAML(typ="safe").load(commented)}}
    assert set(uncommented["icsync"]["autoscaling"]) == {p.split(".")[2] for p in autoscaling}
    assert [e for e in errors(schema, uncommented) if e.startswith("icsync")] == []
    # So is the smoke check, every key of it.
    commented = commented_block(result.out, "smoke")
    uncommented = {**skeleton, "icsync": {**skeleton["icsync"], **YAML(typ="safe").load(commented)}}
    assert skeleton_paths(uncommented["icsync"]["smoke"], "icsync.smoke") == smoke
    assert [e for e in errors(schema, uncommented) if e.startswith("icsync")] == []


def test_skeleton_comments_mark_required_fields_and_list_enum_values() -> None:
    lines = icsync("skeleton").out.splitlines()
    assert "InferenceComponentName: ''  # [REQUIRED]" in lines
    assert "VariantName: ''" in lines
    assert ("      Type: COPY_COUNT  # [REQUIRED] Valid values are: COPY_COUNT, CAPACITY_PERCENT"
            in lines)
    instance_type = next(line for line in lines if line.startswith("  InstanceType:"))
    assert "ml.g5.12xlarge" in instance_type  # every enum value listed, straight from the model


BLOCKS = {  # an `icsync:` block -> the key path validate names (None: valid)
    "{wave: 2, prune: false, ignore: [RuntimeConfig.CopyCount, 'Specification.Container.*']}": None,
    "{ignore: ['Specifications[0].InstanceType', '*Count']}": None,
    "{autoscaling: {min: 0, max: 4, target: {metric: SageMakerInferenceComponentInvocationsPerCopy,"
    " value: 4}}}": None,
    "{autoscaling: {min: 0, max: 4, target: {metric: SageMakerVariantInvocationsPerInstance,"
    " value: 4}}}": "icsync.autoscaling.target.metric",
    "{autoscaling: {min: 0, max: 4, target: {metric: InvocationsPerCopy, value: 4}}}":
        "icsync.autoscaling.target.metric",
    "{ignore: [Runtime.CopyCount]}": "icsync.ignore.0",
    "{ignore: [RuntimeConfigCopyCount]}": "icsync.ignore.0",
    "{ignore: [3]}": "icsync.ignore.0",
    "{wave: first}": "icsync.wave",
    "{prun: false}": "icsync.prun",
    "{autoscaling: {min: 1, max: 0, target: {metric: SageMakerInferenceComponentInvocationsPerCopy,"
    " value: 4}}}": "icsync.autoscaling.max",
}


@pytest.mark.parametrize("block", list(BLOCKS))
def test_schema_and_validate_agree_on_the_icsync_block(block: str, schema: dict[str, Any],
                                                        tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(ROOT / "examples" / "quickstart", root)
    web = root / "components" / "llm.yaml"
    web.write_text(web.read_text() + f"icsync: {block}\n")
    validated = icsync("validate", "-C", root, "--env", "dev")
    [manifest] = [m for m in rendered(root, "dev") if m["InferenceComponentName"] == "dev-llm"]
    by_schema = errors(schema, manifest)
    where = BLOCKS[block]
    if where is None:
        assert validated.code == 0 and by_schema == [], (validated.all, by_schema)
        return
    assert validated.code == 1 and f"at `{where}`" in validated.err, validated.err
    assert by_schema, f"the schema accepts what validate refuses: {block}"
    # At the same key; an unknown key is reported at its mapping by the schema.
    assert all(e.startswith((where + ":", where + "."))
               or (e.endswith(": additionalProperties") and where.startswith(e.split(":")[0] + "."))
               for e in by_schema), by_schema


def test_validate_names_the_bad_part_of_an_ignore_path(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(ROOT / "examples" / "quickstart", root)
    web = root / "components" / "llm.yaml"
    web.write_text(web.read_text() + "icsync: {ignore: [RuntimeConfig.Copycount, "
                   "Specifications.InstanceType]}\n")
    result = icsync("validate", "-C", root, "--env", "dev")
    assert result.code == 1
    assert "`Copycount` is not a field of RuntimeConfig; did you mean `CopyCount`?" in result.err
    assert "`Specifications` is a list: name an item, as in Specifications[0].InstanceType" in result.err


def test_the_readme_check_jsonschema_recipe_works_as_written(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
    [recipe] = [b for b in blocks if "check-jsonschema" in b]
    root = shutil.copytree(ROOT / "examples" / "quickstart", tmp_path / "quickstart")
    # The console scripts of this Python (icsync, check-jsonschema) first on PATH.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    run = subprocess.run(["sh", "-ec", recipe], cwd=root, env={**os.environ, "PATH": path},
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok -- validation done" in run.stdout
    llm = root / "rendered" / "components" / "llm.yaml"
    llm.write_text(llm.read_text().replace("CopyCount: 2", "CopyCount: -1"))
    failed = subprocess.run(["sh", "-ec", recipe.splitlines()[-1]], cwd=root,
                            env={**os.environ, "PATH": path}, capture_output=True, text=True,
                            timeout=300, check=False)
    assert failed.returncode == 1 and "CopyCount" in failed.stdout + failed.stderr
