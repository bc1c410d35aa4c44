"""icsync against an endpoint whose instance count moves under it (gitsync/sandbox/scaling.py):
managed instance scaling adds instances for copies and for an update's batch, releases them once
copies go, and shows the endpoint Updating meanwhile. Several components applied together on one
such endpoint complete, under each answer of the unverified behaviours involved, and a plan read
mid-scale reports no false error, warning or cost."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitsync.sandbox import Sandbox
from tests.helpers import Live, demo_project, icsync, write
from tests.test_room import args, gpu_project

NAMES = ["a", "b", "c"]


@pytest.fixture
def scaled(tmp_path: Path) -> Iterator[Live]:
    """Real durations at a thousandth: a create 0.42 s, instances added in 0.24 s and released
    0.6 s after the last deployment on the endpoint."""
    log = tmp_path / "requests.jsonl"
    with Sandbox(port=0, request_log=log, speed=0.001) as sandbox:
        yield Live(sandbox, log)


def endpoint_shows(live: Live) -> tuple[str, int, int]:
    endpoint = live.client.describe_endpoint(EndpointName="ep")
    [variant] = endpoint["ProductionVariants"]
    return endpoint["EndpointStatus"], variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]


def settles_at(live: Live, shown: tuple[str, int, int]) -> None:
    deadline = time.monotonic() + 60  # a guard against a hang, not a timing
    while endpoint_shows(live) != shown:
        assert time.monotonic() < deadline, endpoint_shows(live)
        time.sleep(0.02)


@pytest.mark.parametrize("while_deploying", [False, True], ids=["updating-scaling", "updating-deploying"])
@pytest.mark.parametrize("rolls_back", [False, True], ids=["surge-refused", "surge-rolls-back"])
@pytest.mark.parametrize("refuses", [False, True], ids=["updating-accepts", "updating-refuses"])
def test_components_applied_together_on_a_scaling_endpoint_complete(
        tmp_path: Path, scaled: Live, refuses: bool, rolls_back: bool, while_deploying: bool) -> None:
    scaled.sandbox.set_switches(endpoint_updating_refuses_components=refuses,
                                surge_shortage_rolls_back=rolls_back,
                                endpoint_updating_while_deploying=while_deploying)
    scaled.seed_endpoint(instance_type="ml.g5.xlarge", count=1, max_count=4)  # 1 to 4 GPUs
    for tag in ("1", "2", "3"):  # creates (1 -> 3 instances), then updates taking turns for the 4th
        gpu_project(tmp_path, NAMES, tag)  # run back to back: each meets the last one's scaling
        applied = icsync("apply", *args(tmp_path, scaled), "--auto-approve")
        assert applied.code == 0, applied.all
        assert "rolled back" not in applied.all and "Traceback" not in applied.all
        plan = icsync("plan", *args(tmp_path, scaled), "--detailed-exitcode")
        assert plan.code == 0 and "No changes." in plan.out, plan.all
    for name in NAMES:
        described = scaled.client.describe_inference_component(InferenceComponentName=name)
        assert described["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == "repo/app:3"
        assert "FailureReason" not in described
    settles_at(scaled, ("InService", 3, 3))  # the update's extra instance released
    refused = [r for r in scaled.requests() if r.get("status") == 400]
    assert refuses or refused == []  # with the switch off AWS refuses nothing here


def test_a_plan_read_while_instances_are_added_asks_for_none_again(tmp_path: Path) -> None:
    """Managed scaling adding a second instance for `a`'s two 5-core copies (Current 1, Desired 2,
    Updating): a plan adding `b`, which fits on those two, neither warns of a scale-out nor prices one, and the
    apply that follows, with the instances added meanwhile, completes."""
    log = tmp_path / "requests.jsonl"
    with Sandbox(port=0, request_log=log, speed=0.04) as sandbox:  # instances added in 9.6 s
        live = Live(sandbox, log)
        live.seed_endpoint(instance_type="ml.g5.2xlarge", count=1, max_count=2)  # 1 GPU, 8 vCPUs
        live.client.create_inference_component(
            InferenceComponentName="a", EndpointName="ep", VariantName="AllTraffic",
            RuntimeConfig={"CopyCount": 2},
            Specification={"ModelName": "model-a", "ComputeResourceRequirements": {
                "NumberOfCpuCoresRequired": 5, "MinMemoryRequiredInMb": 1024}})
        gpu_project(tmp_path, ["b"], "1")  # one GPU and no cores: beside either copy of a
        assert endpoint_shows(live) == ("Updating", 1, 2)
        plan = icsync("plan", *args(tmp_path, live), "--output", "json")
        assert endpoint_shows(live) == ("Updating", 1, 2), "the plan was not read mid-scale"
        assert plan.code == 0, plan.all
        document = json.loads(plan.out)
        assert not [w for w in document.get("warnings", []) if "scale out" in w], document["warnings"]
        assert any("endpoint ep is Updating" in w for w in document["warnings"])
        [variant] = document["cost"]["endpoints"][0]["variants"]
        assert (variant["instances_before"], variant["instances_after"]) == (2, 2)
        assert document["cost"]["hourly_delta"] == 0
        sandbox.set_speed(0.001)  # b's create need not take the 17 s it would at that speed
        applied = icsync("apply", *args(tmp_path, live), "--auto-approve")
        assert applied.code == 0, applied.all
        plan = icsync("plan", *args(tmp_path, live), "--detailed-exitcode")
        assert plan.code == 0 and "No changes." in plan.out, plan.all


@pytest.mark.parametrize("refuses", [False, True], ids=["updating-accepts", "updating-refuses"])
def test_a_change_on_an_updating_endpoint_is_sent_and_waits_if_refused(tmp_path: Path, refuses: bool) -> None:
    """An endpoint that is Updating (as managed scaling shows it for minutes after an apply) is no
    error: the plan warns, apply sends the change and, if AWS refuses it, waits for the endpoint
    to be InService and sends it again."""
    seed = write(tmp_path, {"seed.yaml": f"""
        switches: {{endpoint_updating_refuses_components: {str(refuses).lower()}}}
        endpoints: [{{EndpointName: ep, InstanceType: ml.g5.12xlarge, EndpointStatus: Updating}}]
        models: [{{ModelName: model-a, PrimaryContainer: {{Image: 'repo/a:1'}}}}]
        """}) / "seed.yaml"
    gpu_project(tmp_path, ["a"], "1")
    with Sandbox(port=0, seed=seed, request_log=tmp_path / "log.jsonl") as sandbox:
        live = Live(sandbox, tmp_path / "log.jsonl")
        plan = icsync("plan", *args(tmp_path, live))
        assert plan.code == 0, plan.all
        assert "Warning: endpoint ep is Updating" in plan.out and "apply waits for it to be InService" in plan.out

        def in_service_once_apply_waits() -> None:
            deadline = time.monotonic() + 60  # a guard against a hang, not a timing
            while time.monotonic() < deadline:
                seen = [(r["operation"], r.get("status")) for r in live.requests()]
                refused = seen.index(("CreateInferenceComponent", 400)) if \
                    ("CreateInferenceComponent", 400) in seen else len(seen)
                if ("DescribeEndpoint", 200) in seen[refused:]:
                    break  # refused, and apply is looking at the endpoint
                time.sleep(0.05)
            with sandbox.account.lock:  # what AWS does when its scaling ends
                sandbox.account.endpoints["ep"]["EndpointStatus"] = "InService"

        if refuses:
            threading.Thread(target=in_service_once_apply_waits, daemon=True).start()
        live.clear_log()
        applied = icsync("apply", *args(tmp_path, live), "--auto-approve")
        assert applied.code == 0, applied.all
        creates = [r["status"] for r in live.requests() if r["operation"] == "CreateInferenceComponent"]
        assert creates == ([400, 200] if refuses else [200])
        assert ("waiting endpoint ep is Updating" in applied.err) == refuses
        plan = icsync("plan", *args(tmp_path, live), "--detailed-exitcode")
        assert plan.code == 0 and "No changes." in plan.out, plan.all


def updating_and_refusing(root: Path) -> Path:
    """A seed whose endpoint stays Updating and refuses components meanwhile, and a project of one
    component on it; the seed file's path."""
    seed = write(root, {"seed.yaml": """
        switches: {endpoint_updating_refuses_components: true}
        endpoints: [{EndpointName: ep, InstanceType: ml.g5.12xlarge, EndpointStatus: Updating}]
        models: [{ModelName: model-a, PrimaryContainer: {Image: 'repo/a:1'}}]
        """}) / "seed.yaml"
    gpu_project(root, ["a"], "1")
    return seed


def test_an_endpoint_that_stays_updating_fails_the_change_at_the_timeout(tmp_path: Path) -> None:
    seed = updating_and_refusing(tmp_path)
    with Sandbox(port=0, seed=seed) as sandbox:
        applied = icsync("apply", "-C", str(tmp_path), "--env", "dev", "--endpoint-url", sandbox.url,
                         "--auto-approve", "--timeout", "1")
        assert applied.code == 1, applied.all
        assert "Cannot create inference component a while endpoint ep is in status Updating." in applied.all
        assert "Traceback" not in applied.all


@pytest.mark.parametrize("refusals", [1, 2])
def test_a_refusal_from_an_endpoint_in_service_again_is_sent_once_more(
        tmp_path: Path, live: Live, refusals: int) -> None:
    """Refused while the endpoint was Updating, which ended before icsync looked: the call is sent
    once more. A refusal that comes back on an InService endpoint is reported, not sent again."""
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    live.sandbox.fail_calls("CreateInferenceComponent", "endpoint_busy", refusals)
    result = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve")
    statuses = [r["status"] for r in live.requests() if r["operation"] == "CreateInferenceComponent"]
    if refusals == 1:
        assert result.code == 0 and statuses == [400, 200], result.all
    else:
        assert result.code == 1 and statuses == [400, 400], result.all
        assert "while its endpoint is in status Updating" in result.all and "Traceback" not in result.all


def test_no_wait_busy_fails_a_change_refused_on_an_updating_endpoint_at_once(tmp_path: Path) -> None:
    seed = updating_and_refusing(tmp_path)
    with Sandbox(port=0, seed=seed, request_log=tmp_path / "log.jsonl") as sandbox:
        live = Live(sandbox, tmp_path / "log.jsonl")
        applied = icsync("apply", *args(tmp_path, live), "--auto-approve", "--no-wait-busy")
        assert applied.code == 1 and "Traceback" not in applied.all, applied.all
        assert "(endpoint ep is Updating; not waiting for it: --no-wait-busy)" in applied.all
        creates = [r["status"] for r in live.requests() if r["operation"] == "CreateInferenceComponent"]
        assert creates == [400]
