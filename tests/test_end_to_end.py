"""The first slice, through the CLI against the sandbox, judged by the sandbox's request log."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Live, demo_project, icsync, set_values


def plan(root: Path, live: Live, *extra: str):
    return icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, *extra)


def apply(root: Path, live: Live, *extra: str):
    return icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve", *extra)


def test_create_then_no_changes(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "project")
    first = plan(root, live, "--detailed-exitcode")
    assert first.code == 2, first.all
    assert "+ web (ep): create" in first.out
    assert "Plan: 1 to create, 0 to update, 0 unchanged." in first.out
    assert apply(root, live).code == 0
    live.clear_log()
    again = plan(root, live, "--detailed-exitcode")
    assert again.code == 0, again.all
    assert "No changes." in again.out
    assert live.mutating() == []


def test_copy_count_edit_is_one_runtime_config_call(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "project")
    assert apply(root, live).code == 0
    set_values(root, copies=3)
    live.clear_log()
    result = apply(root, live)
    assert result.code == 0, result.all
    assert "RuntimeConfig.CopyCount: 2 -> 3" in result.out
    calls = live.mutating()
    assert [c["operation"] for c in calls] == ["UpdateInferenceComponentRuntimeConfig"]
    assert calls[0]["params"] == {"InferenceComponentName": "web", "DesiredRuntimeConfig": {"CopyCount": 3}}


def test_environment_edit_is_one_update_with_specification_only(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "project")
    assert apply(root, live).code == 0
    set_values(root, log_level="debug")
    live.clear_log()
    result = apply(root, live)
    assert result.code == 0, result.all
    calls = live.mutating()
    assert [c["operation"] for c in calls] == ["UpdateInferenceComponent"]
    params = calls[0]["params"]
    assert params["Specification"]["Container"]["Environment"]["LOG_LEVEL"] == "debug"
    assert "RuntimeConfig" not in params
    assert plan(root, live, "--detailed-exitcode").code == 0


def test_json_plan_names_calls_and_fields(tmp_path: Path, live: Live) -> None:
    import json

    live.seed_endpoint()
    root = demo_project(tmp_path / "project")
    assert apply(root, live).code == 0
    set_values(root, copies=4, tag="2.0")
    document = json.loads(plan(root, live, "--output", "json").out)
    assert document["format_version"] == "1.0"
    assert document["summary"]["update"] == 1
    [change] = document["changes"]
    assert change["action"] == "update"
    assert change["calls"] == ["UpdateInferenceComponent"]
    paths = {f["path"]: (f["before"], f["after"]) for f in change["fields"]}
    assert paths["RuntimeConfig.CopyCount"] == (2, 4)
    assert paths["Specification.Container.Image"] == ("repo/app:1.0", "repo/app:2.0")


def test_secret_values_never_printed(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "project")
    for output in ("text", "json", "yaml", "markdown"):
        result = plan(root, live, "--output", output)
        assert result.code == 0
        assert "s3cr3t-value-123" not in result.all
        assert "(sensitive)" in result.out


def test_quickstart_with_embedded_sandbox(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "quickstart"
    shutil.copytree(Path(__file__).parent.parent / "examples" / "quickstart", root,
                    ignore=shutil.ignore_patterns(".icsync"))
    first = icsync("plan", "-C", root, "--env", "dev", "--sandbox")
    assert "Plan: 3 to create" in first.out, first.all
    assert "+ icsync.autoscaling.max: 3" in first.out
    assert "calls: CreateInferenceComponent, RegisterScalableTarget, PutScalingPolicy" in first.out
    assert icsync("apply", "-C", root, "--env", "dev", "--sandbox", "--auto-approve").code == 0
    assert (root / ".icsync" / "sandbox.json").is_file()
    # A new sandbox, as a new process starts: the embedder's scalable target and policy are found
    # in the state file (moto holds them only in memory), so nothing is planned again.
    again = icsync("plan", "-C", root, "--env", "dev", "--sandbox", "--detailed-exitcode")
    assert again.code == 0, again.all
    assert "No changes." in again.out
