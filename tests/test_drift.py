"""`icsync drift` through the CLI against the sandbox, after changes made behind icsync's back."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Live, Result, demo_project, icsync, write

SPEC = {"ModelName": "model-a",
        "Container": {"Image": "repo/app:1.0",
                      "Environment": {"LOG_LEVEL": "debug", "API_TOKEN": "s3cr3t-value-123"}},
        "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1,
                                        "MinMemoryRequiredInMb": 1024}}

# A stand-in `gh`: records each call (argv and stdin) and keeps issues in a JSON file.
FAKE_GH = r'''
import json, os, sys
state_path = os.environ["FAKE_GH_STATE"]
state = json.load(open(state_path)) if os.path.exists(state_path) else {"issues": [], "calls": []}
args = sys.argv[1:]
stdin = sys.stdin.read() if "-" in args else ""
state["calls"].append({"args": args, "stdin": stdin})
out = ""
if args[:2] == ["issue", "list"]:
    out = json.dumps([i for i in state["issues"] if i["state"] == "open"])
elif args[:2] == ["issue", "create"]:
    number = len(state["issues"]) + 1
    state["issues"].append({"number": number, "title": args[args.index("--title") + 1],
                            "body": stdin, "state": "open"})
    out = f"https://github.com/o/r/issues/{number}\n"
elif args[:2] == ["issue", "edit"]:
    state["issues"][int(args[2]) - 1]["body"] = stdin
elif args[:2] == ["issue", "close"]:
    state["issues"][int(args[2]) - 1]["state"] = "closed"
json.dump(state, open(state_path, "w"))
sys.stdout.write(out)
'''


def drift(root: Path, live: Live, *extra: str,
          env: dict[str, str | None] | None = None) -> Result:
    return icsync("drift", "-C", root, "--env", "dev", "--endpoint-url", live.url, *extra, env=env)


def apply(root: Path, live: Live) -> None:
    result = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve")
    assert result.code == 0, result.all


def applied(tmp_path: Path, live: Live, **values: Any) -> Path:
    live.seed_endpoint()
    root = demo_project(tmp_path / "project", **values)
    apply(root, live)
    return root


def test_change_behind_icsyncs_back_is_drift_naming_the_field(tmp_path: Path, live: Live) -> None:
    root = applied(tmp_path, live)
    assert drift(root, live).code == 0
    live.client.update_inference_component(InferenceComponentName="web", Specification=SPEC)
    result = drift(root, live)
    assert result.code == 2, result.all
    assert "~ web (ep): modified" in result.out
    assert 'Specification.Container.Environment.LOG_LEVEL: live "debug", git "info"' in result.out
    assert "s3cr3t" not in result.all
    assert "Drift: 1 modified (of 1 component(s))." in result.out


def test_json_report_has_driftctl_like_summary(tmp_path: Path, live: Live) -> None:
    root = applied(tmp_path, live)
    live.client.update_inference_component(InferenceComponentName="web", Specification=SPEC)
    report = json.loads(drift(root, live, "--output", "json").out)
    assert report["drifted"] is True
    assert report["summary"] == {"total": 1, "in_sync": 0, "expected": 0, "modified": 1, "missing": 0,
                                 "unmanaged": 0, "drifted": 1}
    [component] = report["environments"][0]["components"]
    assert component["status"] == "modified"
    assert [(f["path"], f["live"], f["git"]) for f in component["fields"]] == [
        ("Specification.Container.Environment.LOG_LEVEL", "debug", "info")]


def test_ignored_copy_count_change_is_expected_not_drift(tmp_path: Path, live: Live) -> None:
    root = applied(tmp_path, live)
    component = (root / "components/web.yaml").read_text()
    (root / "components/web.yaml").write_text(component + "icsync:\n  ignore: [RuntimeConfig.CopyCount]\n")
    live.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 5})
    result = drift(root, live, "--output", "json")
    assert result.code == 0, result.all
    report = json.loads(result.out)
    assert report["summary"]["expected"] == 1 and report["summary"]["drifted"] == 0
    [found] = report["environments"][0]["components"]
    assert found["status"] == "expected"
    assert [(f["path"], f["live"], f["git"]) for f in found["expected"]] == [("RuntimeConfig.CopyCount", 5, 2)]
    text = drift(root, live)
    assert text.code == 0
    assert "= web (ep): expected" in text.out
    assert "RuntimeConfig.CopyCount: live 5, git 2  # expected (ignore rule)" in text.out


def test_project_wide_ignore_rule_also_makes_it_expected(tmp_path: Path, live: Live) -> None:
    root = applied(tmp_path, live)
    project = (root / "icsync.yaml").read_text()
    (root / "icsync.yaml").write_text(project + "ignore: [RuntimeConfig.CopyCount]\n")
    live.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 7})
    result = drift(root, live)
    assert result.code == 0, result.all
    assert "No drift: 1 component(s) in sync, 1 with expected differences." in result.out


def test_missing_and_unmanaged_components(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "project")
    missing = drift(root, live)
    assert missing.code == 2
    assert "- web (ep): missing  # in git, not live" in missing.out
    apply(root, live)
    live.client.create_inference_component(
        InferenceComponentName="by-hand", EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-b", "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1})
    result = drift(root, live, "--output", "json")
    assert result.code == 2
    statuses = {c["name"]: c["status"] for c in json.loads(result.out)["environments"][0]["components"]}
    assert statuses == {"web": "in_sync", "by-hand": "unmanaged"}


def test_markdown_output(tmp_path: Path, live: Live) -> None:
    root = applied(tmp_path, live)
    live.client.update_inference_component(InferenceComponentName="web", Specification=SPEC)
    result = drift(root, live, "--output", "markdown")
    assert result.code == 2
    assert "### icsync drift: `dev`" in result.out
    assert '- **web** (ep): modified\n  - `Specification.Container.Environment.LOG_LEVEL`: live `"debug"`' in result.out


def test_all_envs_checks_every_environment(tmp_path: Path, live: Live) -> None:
    root = applied(tmp_path, live)
    write(root, {"icsync.yaml": """
        name: demo
        manifests: ["components/*.yaml"]
        environments:
          dev: {values: values/dev.yaml, region: us-east-1}
          qa: {values: values/qa.yaml, region: us-east-1}
        """, "values/qa.yaml": (root / "values/dev.yaml").read_text().replace('"web"', '"qa-web"')})
    result = icsync("drift", "-C", root, "--all-envs", "--endpoint-url", live.url, "--output", "json")
    assert result.code == 2, result.all
    report = json.loads(result.out)
    assert [(e["environment"], e["drifted"]) for e in report["environments"]] == [("dev", False), ("qa", True)]
    assert report["summary"]["missing"] == 1 and report["summary"]["in_sync"] == 1


@pytest.mark.parametrize(("args", "message"), [
    (("--env", "dev", "--all-envs"), "give either --env NAME (repeatable) or --all-envs, not both"),
    (("--env", "prdo"), "unknown environment `prdo`"),
])
def test_bad_environment_choice_is_a_clear_error(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    root = demo_project(tmp_path / "project")
    result = icsync("drift", "-C", root, *args, "--endpoint-url", "http://127.0.0.1:9")
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.all


def fake_gh(tmp_path: Path) -> dict[str, str | None]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "gh"
    script.write_text(f"#!{sys.executable}\n{FAKE_GH}")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_GH_STATE": str(tmp_path / "gh.json")}


def test_report_issue_opens_updates_then_closes_one_issue(tmp_path: Path, live: Live) -> None:
    root = applied(tmp_path, live)
    env = fake_gh(tmp_path)
    state_file = Path(str(env["FAKE_GH_STATE"]))
    live.client.update_inference_component(InferenceComponentName="web", Specification=SPEC)
    first = drift(root, live, "--report-issue", env=env)
    assert first.code == 2, first.all
    assert "dev: opened https://github.com/o/r/issues/1" in first.err
    second = drift(root, live, "--report-issue", env=env)
    assert "dev: updated issue #1" in second.err
    state = json.loads(state_file.read_text())
    [issue] = state["issues"]
    assert issue["title"] == "icsync drift: dev"
    assert issue["body"].startswith("<!-- icsync:drift:demo:dev -->\n")
    assert "Specification.Container.Environment.LOG_LEVEL" in issue["body"]
    assert [c["args"][:2] for c in state["calls"]] == [["issue", "list"], ["issue", "create"],
                                                      ["issue", "list"], ["issue", "edit"]]
    apply(root, live)
    third = drift(root, live, "--report-issue", env=env)
    assert third.code == 0, third.all
    assert "dev: closed issue #1" in third.err
    assert json.loads(state_file.read_text())["issues"][0]["state"] == "closed"


def test_report_issue_without_gh_is_a_clear_error(tmp_path: Path, live: Live) -> None:
    root = applied(tmp_path, live)
    result = drift(root, live, "--report-issue", env={"PATH": str(tmp_path / "empty")})
    assert result.code == 1
    assert "--report-issue needs the GitHub CLI `gh` on PATH" in result.err
