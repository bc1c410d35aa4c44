"""`apply --output json`: JSON lines of events, every line valid against the published schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from gitsync.sandbox import Sandbox
from tests.helpers import Live, icsync, project_of

SCHEMA = json.loads((Path(__file__).parents[1] / "gitsync" / "data" / "apply-events.schema.json")
                    .read_text())


def events(text: str) -> list[dict[str, Any]]:
    """Every stdout line, each checked against the schema (format checker: @timestamp too)."""
    checker = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    found = []
    for line in text.splitlines():
        event = json.loads(line)
        checker.validate(event)
        found.append(event)
    return found


def apply_json(root: Path, live: Live, *extra: str) -> Any:
    return icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--output", "json",
                  *extra)


def test_apply_streams_schema_valid_events_in_order(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project_of(tmp_path / "p", ["web", "api"])
    result = apply_json(root, live, "--auto-approve")
    assert result.code == 0, result.all
    lines = events(result.out)
    kinds = [e["type"] for e in lines]
    assert kinds[:2] == ["planned", "planned"] and kinds[-1] == "summary"
    for name in ("web", "api"):
        mine = [e for e in lines if e.get("component") == name]
        assert mine[0]["type"] == "planned"
        assert mine[0]["calls"] == ["CreateInferenceComponent"]
        sent = [e for e in mine if e["type"] == "call_sent"]
        assert [e["operation"] for e in sent] == ["CreateInferenceComponent"]
        assert mine[-1]["type"] == "settled"
    summary = lines[-1]
    assert summary["ok"] is True and summary["counts"]["applied"] == 2 and summary["total"] == 2
    assert summary["@message"] == "Apply: 2 applied."
    assert "Apply:" not in result.err and "component" not in result.err  # no text table anywhere


def test_rolled_back_and_failed_are_events_and_exit_1(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project_of(tmp_path / "p", ["web"])
    assert apply_json(root, live, "--auto-approve").code == 0
    (root / "components" / "web.yaml").write_text(
        (root / "components" / "web.yaml").read_text().replace("CopyCount: 1", "CopyCount: 2")
        .replace("MinMemoryRequiredInMb: 1024", "MinMemoryRequiredInMb: 2048"))
    live.sandbox.fail_next_deployment("web", "Alarm HighLatency fired: rolled back")
    result = apply_json(root, live, "--auto-approve")
    assert result.code == 1
    lines = events(result.out)
    rolled = [e for e in lines if e["type"] == "rolled_back"]
    assert len(rolled) == 1 and "Alarm HighLatency fired" in rolled[0]["detail"]
    assert lines[-1]["type"] == "summary" and lines[-1]["ok"] is False
    assert lines[-1]["counts"]["rolled_back"] == 1
    assert "apply did not complete" in result.err


def test_json_needs_approval_up_front_and_sends_nothing(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project_of(tmp_path / "p", ["web"])
    live.clear_log()
    result = apply_json(root, live)
    assert result.code == 1 and "--output json needs --auto-approve" in result.err
    assert result.out == "" and live.mutating() == []


def test_dry_run_and_no_changes_are_json_too(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project_of(tmp_path / "p", ["web"])
    live.clear_log()
    dry = apply_json(root, live, "--dry-run")
    assert dry.code == 0, dry.all
    requests = [e for e in events(dry.out) if e["type"] == "request"]
    assert [r["operation"] for r in requests] == ["CreateInferenceComponent"]
    assert live.mutating() == []
    assert apply_json(root, live, "--auto-approve").code == 0
    again = apply_json(root, live, "--auto-approve")
    assert again.code == 0
    assert [e["type"] for e in events(again.out)] == ["summary"]


def test_waiting_while_a_deployment_settles_is_an_event(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    with Sandbox(port=0, request_log=log, transition_seconds=0.8) as sandbox:
        live = Live(sandbox, log)
        live.seed_endpoint()
        root = project_of(tmp_path / "p", ["web"])
        result = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--output",
                        "json", "--auto-approve", env={"ICSYNC_HEARTBEAT_SECONDS": "0.1"})
    assert result.code == 0, result.all
    lines = events(result.out)
    waiting = [e for e in lines if e["type"] == "waiting"]
    assert waiting and all(e["phase"] == "settling" and e["detail"] == "still Creating"
                           for e in waiting)
    kinds = [e["type"] for e in lines]
    assert kinds.index("call_sent") < kinds.index("waiting") < kinds.index("settled")
