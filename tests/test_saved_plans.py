"""`plan --out FILE` then `apply FILE`: applied as planned, or refused as stale with nothing sent."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from gitsync.planner import live_fingerprint
from gitsync.secrets import DEFAULT_SECRET_PATTERN
from tests.helpers import Live, demo_project, icsync, set_values


def cli(command: str, root: Path, live: Live, *extra: str):
    return icsync(command, "-C", root, "--endpoint-url", live.url, *extra)


def test_saved_plan_applies_without_approval(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    saved = tmp_path / "plan.json"
    assert cli("plan", root, live, "--env", "dev", "--out", saved).code == 0
    document = json.loads(saved.read_text())
    assert document["plan"]["summary"]["create"] == 1
    live.clear_log()
    result = cli("apply", root, live, saved)
    assert result.code == 0, result.all
    assert [c["operation"] for c in live.mutating()] == ["CreateInferenceComponent"]


def _applied_then_saved(tmp_path: Path, live: Live) -> tuple[Path, Path]:
    """The demo project applied, then a copy-count change planned into a saved plan."""
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    assert cli("apply", root, live, "--env", "dev", "--auto-approve").code == 0
    set_values(root, copies=5)
    saved = tmp_path / "plan.json"
    assert cli("plan", root, live, "--env", "dev", "--out", saved).code == 0
    return root, saved


def test_stale_when_live_changed_behind_our_back(tmp_path: Path, live: Live) -> None:
    root, saved = _applied_then_saved(tmp_path, live)
    live.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 3})
    live.clear_log()
    result = cli("apply", root, live, saved)
    assert result.code == 1
    assert "plan is stale" in result.err and "web: live state changed" in result.err
    assert "Traceback" not in result.all
    assert live.mutating() == []


def test_stale_when_manifests_changed(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    saved = tmp_path / "plan.json"
    assert cli("plan", root, live, "--env", "dev", "--out", saved).code == 0
    set_values(root, token="a-new-secret-789")
    live.clear_log()
    result = cli("apply", root, live, saved)
    assert result.code == 1 and "web: the manifests now ask for different calls" in result.err
    assert live.mutating() == []
    assert "a-new-secret-789" not in saved.read_text()


def test_not_a_saved_plan(tmp_path: Path, live: Live) -> None:
    root = demo_project(tmp_path / "p")
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": 1}')
    result = cli("apply", root, live, bogus)
    assert result.code == 1 and "not a saved plan" in result.err


def test_a_plan_saved_in_one_time_zone_applies_in_another(tmp_path: Path, live: Live,
                                                          time_zone: Callable[[str], None]) -> None:
    """A plan made on a laptop in Tokyo applies in a CI runner on UTC: the live state's fingerprint
    does not depend on the zone the describe's timestamps were read in."""
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    assert cli("apply", root, live, "--env", "dev", "--auto-approve").code == 0
    set_values(root, copies=5)
    saved = tmp_path / "plan.json"
    time_zone("Asia/Tokyo")
    assert cli("plan", root, live, "--env", "dev", "--out", saved).code == 0
    time_zone("UTC")
    live.clear_log()
    result = cli("apply", root, live, saved)
    assert result.code == 0, result.all
    assert [c["operation"] for c in live.mutating()] == ["UpdateInferenceComponentRuntimeConfig"]


def test_stale_when_only_a_secret_changed_live(tmp_path: Path, live: Live) -> None:
    """The live fingerprint leaves secret values out (it cannot be matched against guesses), yet
    a secret changed behind icsync's back still makes the saved plan stale."""
    root, saved = _applied_then_saved(tmp_path, live)
    described = live.client.describe_inference_component(InferenceComponentName="web")
    spec = described["Specification"]
    container = {"Image": "repo/app:1.0",  # as applied: only the secret differs
                 "Environment": {**spec["Container"]["Environment"], "API_TOKEN": "rotated-by-hand-456"}}
    live.client.update_inference_component(InferenceComponentName="web", Specification={
        "ModelName": spec["ModelName"], "Container": container,
        "ComputeResourceRequirements": spec["ComputeResourceRequirements"]})
    live.clear_log()
    result = cli("apply", root, live, saved)
    assert result.code == 1 and "plan is stale" in result.err, result.all
    assert live.mutating() == [] and "rotated-by-hand-456" not in result.all


def test_the_live_fingerprint_leaves_secret_values_out() -> None:
    pattern = re.compile(DEFAULT_SECRET_PATTERN)

    def describe(token: str, level: str) -> dict[str, object]:
        return {"InferenceComponentName": "web", "Specification": {"Container": {
            "Environment": {"API_TOKEN": token, "LOG_LEVEL": level}}}}

    assert live_fingerprint(describe("guess-1", "info"), pattern) == live_fingerprint(describe("guess-2", "info"), pattern)
    assert live_fingerprint(describe("guess-1", "info"), pattern) != live_fingerprint(describe("guess-1", "debug"), pattern)
