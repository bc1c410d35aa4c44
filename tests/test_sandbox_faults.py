"""Faults on demand: latency, a rate limit, scripted failures (Python and HTTP control API), deployments."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError, ConnectionClosedError

from tests.helpers.wire import Sandboxes, Started

TRANSITION = 0.3


def code_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def control(live: Started, action: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{live.url}/_sandbox/{action}", json=body, timeout=5)


def listing(client: Any) -> None:
    client.list_inference_components()


def test_latency_is_added_to_every_call(sandbox: Sandboxes) -> None:
    live = sandbox(latency_ms=150)
    listing(live.client)  # the first call also opens the connection pool
    started = time.monotonic()
    listing(live.client)
    listing(live.client)
    assert time.monotonic() - started >= 0.3


def test_calls_above_max_tps_are_throttled(sandbox: Sandboxes) -> None:
    client = sandbox(max_tps=3).sagemaker(attempts=1)
    outcomes = []
    for _ in range(12):
        try:
            listing(client)
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes[:3] == ["ok"] * 3  # a second's worth of calls may come at once
    assert set(outcomes[3:]) <= {"ok", "ThrottlingException"} and "ThrottlingException" in outcomes
    time.sleep(0.4)  # the bucket refills at 3 a second
    listing(client)


@pytest.mark.parametrize(("kind", "expected"), [("5xx", ("InternalFailure", 500)),
                                                ("throttle", ("ThrottlingException", 400))])
def test_next_n_calls_fail_through_the_python_api(sandbox: Sandboxes, kind: str,
                                                  expected: tuple[str, int]) -> None:
    live = sandbox()
    client = live.sagemaker(attempts=1)
    live.sandbox.fail_calls("ListInferenceComponents", kind, count=2)
    with pytest.raises(ClientError):  # other operations are not affected: not found, not the fault
        client.describe_endpoint(EndpointName="none")
    for _ in range(2):
        with pytest.raises(ClientError) as failed:
            listing(client)
        assert code_of(failed) == expected
    listing(client)
    assert [r["status"] for r in live.requests()] == [400, expected[1], expected[1], 200]


def test_connection_reset(sandbox: Sandboxes) -> None:
    live = sandbox()
    client = live.sagemaker(attempts=1)
    live.sandbox.fail_calls("ListInferenceComponents", "reset")
    with pytest.raises(ConnectionClosedError):
        listing(client)
    listing(client)


def test_faults_through_the_http_control_api(sandbox: Sandboxes) -> None:
    live = sandbox()
    client = live.sagemaker(attempts=1)
    assert control(live, "fault", {"operation": "ListInferenceComponents", "kind": "throttle",
                                   "count": 1}).json() == {"ok": True}
    assert control(live, "fault", {"operation": "ListInferenceComponents", "kind": "5xx"}).ok
    assert control(live, "fault", {"operation": "ListInferenceComponents", "kind": "reset"}).ok
    with pytest.raises(ClientError) as throttled:
        listing(client)
    assert code_of(throttled) == ("ThrottlingException", 400)
    with pytest.raises(ClientError) as failed:
        listing(client)
    assert code_of(failed) == ("InternalFailure", 500)
    with pytest.raises(ConnectionClosedError):
        listing(client)
    listing(client)


def test_control_api_rejects_bad_requests(sandbox: Sandboxes) -> None:
    live = sandbox()
    bad_kind = control(live, "fault", {"operation": "X", "kind": "explode"})
    assert bad_kind.status_code == 400 and "fault kind must be one of 5xx, throttle, reset" in bad_kind.text
    assert control(live, "fault", {"kind": "5xx"}).status_code == 400
    assert control(live, "image", {"image": "repo/app:1", "digest": "nothex"}).status_code == 400
    assert control(live, "explode", {}).status_code == 404
    assert requests.get(f"{live.url}/_sandbox/health", timeout=5).json() == {"ok": True}


@pytest.fixture
def slow(sandbox: Sandboxes) -> Started:
    live = sandbox(transition_seconds=TRANSITION)
    live.endpoint()
    live.component("ic", copies=2, image="repo/app:1.0")
    time.sleep(TRANSITION + 0.05)
    assert live.describe("ic")["InferenceComponentStatus"] == "InService"
    return live


NEW_SPEC = {"ModelName": "model-a", "Container": {"Image": "repo/app:2.0"},
            "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 2048}}


@pytest.mark.parametrize("through", ["python", "http"])
def test_failed_deployment_rolls_back_to_the_previous_specification(slow: Started, through: str) -> None:
    before = slow.describe("ic")
    reason = "Deployment failed: alarm ic-errors fired"
    if through == "python":
        slow.sandbox.fail_next_deployment("ic", reason)
    else:
        assert control(slow, "fail-deployment", {"name": "ic", "reason": reason}).ok
    slow.client.update_inference_component(InferenceComponentName="ic", Specification=NEW_SPEC,
                                           RuntimeConfig={"CopyCount": 4})
    time.sleep(TRANSITION + 0.05)
    after = slow.describe("ic")
    assert after["InferenceComponentStatus"] == "InService"
    assert after["FailureReason"] == reason
    assert after["Specification"] == before["Specification"]
    assert after["RuntimeConfig"] == before["RuntimeConfig"]
    slow.client.update_inference_component(InferenceComponentName="ic", Specification=NEW_SPEC)
    time.sleep(TRANSITION + 0.05)
    fixed = slow.describe("ic")
    assert "FailureReason" not in fixed  # only the next deployment failed
    assert fixed["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 2048


def test_failed_first_deployment_ends_failed(sandbox: Sandboxes) -> None:
    live = sandbox()
    live.endpoint()
    live.sandbox.fail_next_deployment("ic", "Image repo/app:1.0 not found")
    live.component("ic")
    described = live.describe("ic")
    assert described["InferenceComponentStatus"] == "Failed"
    assert described["FailureReason"] == "Image repo/app:1.0 not found"
    live.client.delete_inference_component(InferenceComponentName="ic")  # a failed one can be deleted


@pytest.mark.parametrize("through", ["python", "http"])
def test_stuck_in_updating_until_released(slow: Started, through: str) -> None:
    def stuck(value: bool) -> None:
        if through == "python":
            slow.sandbox.set_stuck("ic", value)
        else:
            assert control(slow, "stuck", {"name": "ic", "stuck": value}).ok

    stuck(True)
    slow.client.update_inference_component_runtime_config(
        InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 3})
    time.sleep(TRANSITION + 0.05)
    assert slow.describe("ic")["InferenceComponentStatus"] == "Updating"
    assert slow.describe("ic")["RuntimeConfig"]["CurrentCopyCount"] == 2
    stuck(False)
    assert slow.describe("ic")["InferenceComponentStatus"] == "InService"
    assert slow.describe("ic")["RuntimeConfig"]["CurrentCopyCount"] == 3


def test_control_api_moves_an_image_tag(sandbox: Sandboxes) -> None:
    live = sandbox()
    live.endpoint()
    digest = "cd" * 32
    assert control(live, "image", {"image": "repo/app:stable", "digest": f"sha256:{digest}"}).ok
    live.component("ic", image="repo/app:stable")
    deployed = live.describe("ic")["Specification"]["Container"]["DeployedImage"]
    assert deployed["ResolvedImage"] == f"repo/app@sha256:{digest}"


def test_stuck_holds_a_transition_nobody_has_seen_finish(slow: Started) -> None:
    slow.client.update_inference_component_runtime_config(
        InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 3})
    time.sleep(TRANSITION + 0.05)  # due, but not yet observed: the tool cannot tell the difference
    slow.sandbox.set_stuck("ic")
    assert slow.describe("ic")["InferenceComponentStatus"] == "Updating"
