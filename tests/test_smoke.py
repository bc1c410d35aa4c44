"""Smoke checks through the CLI against the sandbox: apply checks what it deployed (pass, fail on
status or body, timeout, revert), and the pure evaluation of an answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitsync import aws
from gitsync.errors import AwsError
from gitsync.manifests.options import Expect
from gitsync.smoke import evaluate
from tests.helpers import Live, demo_project, icsync

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"
SMOKE = """
icsync:
  smoke:
    body: {{inputs: ping}}
    expect: {expect}
    timeout: {timeout}
    tries: 1
    on_failure: {on_failure}
"""


def project(root: Path, expect: str = "{status: 200, contains: ping}", timeout: float = 5,
            on_failure: str = "report", tag: str = "1.0") -> Path:
    demo_project(root, tag=tag)
    manifest = root / "components" / "web.yaml"
    manifest.write_text(manifest.read_text() + SMOKE.format(expect=expect, timeout=timeout,
                                                            on_failure=on_failure))
    return root


def apply(root: Path, live: Live) -> tuple[int, str]:
    result = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve")
    assert "Traceback" not in result.all, result.all
    return result.code, result.all


def test_a_passing_check_is_reported(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    code, said = apply(project(tmp_path), live)
    assert code == 0, said
    assert "smoke check passed (status 200)" in said
    assert "InvokeEndpoint" in live.operations()


def test_a_failing_status_is_unhealthy_and_exits_1(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    live.sandbox.script_invocations("web", {"status": 500, "body": "boom"})
    code, said = apply(project(tmp_path), live)
    assert code == 1
    assert "unhealthy" in said
    assert "smoke check failed (1 try): expected status 200, got 500: 'boom'" in said


def test_a_wrong_body_is_unhealthy(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    live.sandbox.script_invocations("web", {"body": {"ok": False}})
    code, said = apply(project(tmp_path, expect="{jmespath: ok, equals: true}"), live)
    assert code == 1
    assert "expected ok to be true, got false" in said


def test_no_answer_within_the_timeout_fails(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    live.sandbox.script_invocations("web", {"latency_ms": 1500})
    code, said = apply(project(tmp_path, timeout=0.3), live)
    assert code == 1
    assert "no answer from web within 0.3 s" in said


def test_revert_sends_back_the_previous_specification(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path, on_failure="revert")
    assert apply(root, live)[0] == 0
    live.sandbox.script_invocations("web", {"status": 503, "body": "not ready"})
    code, said = apply(project(root, on_failure="revert", tag="2.0"), live)
    assert code == 1
    assert "reverted to the previous specification" in said
    described = live.client.describe_inference_component(InferenceComponentName="web")
    assert described["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == "repo/app:1.0"
    assert described["InferenceComponentStatus"] == "InService"
    updates = [r for r in live.requests() if r["operation"] == "UpdateInferenceComponent"]
    assert len(updates) == 2  # the update, then the revert


def test_a_component_not_in_service_is_refused(live: Live) -> None:
    live.seed_endpoint()
    clients = aws.Clients(aws.Connection(endpoint_url=live.url, dummy_credentials=True))
    with pytest.raises(AwsError, match="ValidationError: Inference Component web not found"):
        aws.invoke_component(clients, "ep", "web", b"{}", "application/json")


@pytest.mark.parametrize(("expect", "answer", "why"), [
    (Expect(), aws.Invocation(200, b"{}"), None),
    (Expect(status=201), aws.Invocation(200, b"{}"), "expected status 201, got 200: '{}'"),
    (Expect(contains="pong"), aws.Invocation(200, b"ping"), "expected the body to contain 'pong': 'ping'"),
    (Expect(jmespath="a[0]", has_equals=True, equals=1), aws.Invocation(200, b'{"a": [1]}'), None),
    (Expect(jmespath="a[0]", has_equals=True, equals=None), aws.Invocation(200, b'{"a": [1]}'),
     "expected a[0] to be null, got 1"),
    (Expect(jmespath="a"), aws.Invocation(200, b'{"a": []}'), "expected a to be truthy, got []"),
    (Expect(jmespath="a"), aws.Invocation(200, b"nope"), "expected a JSON body for jmespath 'a': 'nope'"),
])
def test_evaluate(expect: Expect, answer: aws.Invocation, why: str | None) -> None:
    assert evaluate(expect, answer) == why


def test_the_smoke_command_runs_the_checks_alone(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path)
    assert apply(root, live)[0] == 0
    live.clear_log()
    passed = icsync("smoke", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert passed.code == 0, passed.all
    assert passed.out == "pass  web: status 200\n\nSmoke: 1 passed, 0 failed.\n"
    assert live.operations() == ["InvokeEndpoint"]  # nothing but the check is sent
    live.sandbox.script_invocations("web", {"status": 500, "body": "boom"})
    failed = icsync("smoke", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert failed.code == 1
    assert failed.out == ("FAIL  web: smoke check failed (1 try): expected status 200, got 500: 'boom'\n"
                          "\nSmoke: 0 passed, 1 failed.\n")


def test_the_smoke_command_without_checks(tmp_path: Path, live: Live) -> None:
    root = demo_project(tmp_path)
    result = icsync("smoke", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert result.code == 0, result.all
    assert result.out == "No smoke checks in environment dev.\n"
    assert live.requests() == []


def test_the_quickstart_apply_reports_the_embedders_check(tmp_path: Path) -> None:
    root = shutil.copytree(QUICKSTART, tmp_path / "quickstart", ignore=shutil.ignore_patterns(".icsync"))
    applied = icsync("apply", "-C", root, "--env", "dev", "--sandbox", "--auto-approve")
    assert applied.code == 0, applied.all
    [row] = [line for line in applied.out.splitlines() if line.startswith("dev-embedder")]
    assert "applied" in row and "smoke check passed (status 200)" in row
    alone = icsync("smoke", "-C", root, "--env", "dev", "--sandbox")
    assert alone.code == 0, alone.all
    assert alone.out == "pass  dev-embedder: status 200\n\nSmoke: 1 passed, 0 failed.\n"
