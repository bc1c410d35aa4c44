"""Plans tell the truth about state: a deployment under way is shown in progress, a Failed component
is a change with AWS's reason, and drift reports both; never "No changes." or "in sync"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Live, check_plan_document, demo_project, icsync, slow_sandbox


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[Live]:
    with slow_sandbox(tmp_path, 0.3) as live:
        yield live


def _run(command: str, root: Path, live: Live, *extra: str) -> Any:
    more = ("--auto-approve",) if command == "apply" else ()
    return icsync(command, "-C", root, "--env", "dev", "--endpoint-url", live.url, *more, *extra)


def test_a_deployment_in_progress_is_never_no_changes(tmp_path: Path, slow: Live) -> None:
    root = demo_project(tmp_path / "p")
    assert _run("apply", root, slow).code == 0
    slow.sandbox.set_stuck("web")
    slow.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 2})  # what the manifest says
    try:
        plan = _run("plan", root, slow, "--detailed-exitcode")
        assert plan.code == 2, plan.all
        assert "* web (ep): wait" in plan.out and "Updating: a deployment is in progress" in plan.out
        assert "No changes." not in plan.out and "1 in progress" in plan.out
        document = json.loads(_run("plan", root, slow, "--output", "json").out)
        check_plan_document(document)
        [change] = document["changes"]
        assert (change["action"], change["in_progress"], document["has_changes"]) == ("wait", True, True)
        drift = icsync("drift", "-C", root, "--env", "dev", "--endpoint-url", slow.url)
        assert drift.code == 2 and "* web (ep): in_progress  # Updating" in drift.out, drift.all
        assert "in sync" not in drift.out.splitlines()[-1]
    finally:
        slow.sandbox.set_stuck("web", False)


def test_a_failed_component_is_re_created_with_aws_reason(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    live.sandbox.fail_next_deployment("web", "Image repo/app:1.0 could not be pulled")
    assert _run("apply", root, live).code == 1
    plan = _run("plan", root, live, "--detailed-exitcode")
    assert plan.code == 2, plan.all
    assert "-/+ web (ep): replace" in plan.out
    assert "Failed (Image repo/app:1.0 could not be pulled): deleted and created again" in plan.out
    drift = icsync("drift", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--output", "json")
    [component] = json.loads(drift.out)["environments"][0]["components"]
    assert component["status"] == "failed" and "could not be pulled" in component["detail"]
    assert _run("apply", root, live, "--allow-replace").code == 0
    assert _run("plan", root, live, "--detailed-exitcode").code == 0
