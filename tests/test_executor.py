"""The executor through `executor.apply(plan, clients, ...)` against the sandbox over HTTP: the
order it sends a plan's calls in, how it verifies what settled, and how it waits (a fake clock:
no test here sleeps)."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import pytest

from gitsync import aws, executor, normalize
from gitsync.capacity import Amount, Placed
from gitsync.executor import ApplySettings
from gitsync.outcome import ApplyResult, Event, Outcome
from gitsync.plan import Action, Call, ComponentChange, Plan
from gitsync.sandbox import Sandbox
from gitsync.surge import Fleet, Room
from gitsync.verify import verify
from tests.helpers import Live
from tests.helpers.clock import FakeClock


# -- plans, built from the value types the planner makes ------------------------------------------
def request(name: str, image: str = "repo/app:1", copies: int = 1,
            base: str | None = None) -> dict[str, Any]:
    """A CreateInferenceComponent request: a model component, or an adapter of `base`."""
    spec: dict[str, Any] = {
        "ModelName": "model-a", "Container": {"Image": image},
        "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1,
                                        "MinMemoryRequiredInMb": 1024}}
    if base is not None:
        spec = {"BaseInferenceComponentName": base,
                "Container": {"ArtifactUrl": f"s3://bucket/{name}.tar.gz"}}
    body = {"InferenceComponentName": name, "EndpointName": "ep", "VariantName": "AllTraffic",
            "Specification": spec}
    if base is None:
        body["RuntimeConfig"] = {"CopyCount": copies}
    return body


def create(name: str, wave: int = 0, base: str | None = None, **kwargs: Any) -> ComponentChange:
    body = request(name, base=base, **kwargs)
    return ComponentChange(name, "ep", Action.CREATE, "not found live", wave=wave, base=base,
                           calls=(Call("CreateInferenceComponent", body),),
                           desired=normalize.comparable_desired(body))


def update(name: str, sent: dict[str, Any], desired: dict[str, Any],
           timeout: float | None = None) -> ComponentChange:
    """An update that sends `sent` and expects AWS to settle on `desired` (a create request)."""
    return ComponentChange(name, "ep", Action.UPDATE, "specification differs",
                           calls=(Call("UpdateInferenceComponent",
                                       {"InferenceComponentName": name, **sent}),),
                           timeout=timeout, desired=normalize.comparable_desired(desired))


def scale(name: str, sent: int, desired: dict[str, Any]) -> ComponentChange:
    params = {"InferenceComponentName": name, "DesiredRuntimeConfig": {"CopyCount": sent}}
    return ComponentChange(name, "ep", Action.SCALE, "only the copy count differs",
                           calls=(Call("UpdateInferenceComponentRuntimeConfig", params),),
                           desired=normalize.comparable_desired(desired))


def delete(name: str, wave: int = 0, base: str | None = None) -> ComponentChange:
    return ComponentChange(name, "ep", Action.DELETE, "in no manifest (--prune)", wave=wave,
                           base=base, calls=(Call("DeleteInferenceComponent",
                                                  {"InferenceComponentName": name}),))


def run(live: Live, *changes: ComponentChange, events: list[Event] | None = None,
        attempts: int = 10, **settings: Any) -> ApplyResult:
    """Apply a plan of `changes` to the sandbox; a fake clock unless the test brings its own."""
    settings.setdefault("clock", FakeClock())
    clients = aws.Clients(aws.Connection(region="us-east-1", endpoint_url=live.url,
                                         max_attempts=attempts))
    plan = Plan("dev", "demo", changes)
    return executor.apply(plan, clients, ApplySettings(**settings),
                          (events if events is not None else []).append)


def sent(live: Live) -> list[tuple[str, str]]:
    """(operation, component) of every mutating call the sandbox answered, in order."""
    return [(r["operation"], r["params"]["InferenceComponentName"]) for r in live.mutating()
            if r["status"] == 200]


def outcomes(result: ApplyResult) -> dict[str, tuple[Outcome, str]]:
    return {r.name: (r.outcome, r.message) for r in result.results}


@pytest.fixture
def ready(live: Live) -> Live:
    live.seed_endpoint()
    live.clear_log()
    return live


def existing(live: Live, *names: str, base: str | None = None) -> None:
    """Components already live (made by boto3, not by the engine under test)."""
    for name in names:
        live.client.create_inference_component(**request(name, base=base))
    live.clear_log()


# -- ordering ---------------------------------------------------------------------------------------
def test_waves_run_in_order_and_a_base_before_its_adapter(ready: Live) -> None:
    result = run(ready, create("late", wave=1), create("adapter", base="base"), create("base"),
                 create("solo"), create("first", wave=-1), parallelism=4)
    order = [name for _, name in sent(ready)]
    assert order[0] == "first"
    assert set(order[1:3]) == {"base", "solo"}
    assert order[3:] == ["adapter", "late"]
    assert [r.name for r in result.results][3:] == ["adapter", "late"]  # results in stage order
    assert result.ok and {r.outcome for r in result.results} == {Outcome.APPLIED}


def test_an_adapter_of_a_base_outside_the_plan_does_not_wait_a_stage(ready: Live) -> None:
    existing(ready, "base")
    # One worker: a stage runs in plan order, so the adapter first means it shares solo's stage.
    run(ready, create("adapter", base="base"), create("solo"), parallelism=1)
    assert sent(ready) == [("CreateInferenceComponent", "adapter"), ("CreateInferenceComponent", "solo")]
    ready.clear_log()
    run(ready, create("adapter2", base="base2"), create("base2"), parallelism=1)
    assert sent(ready) == [("CreateInferenceComponent", "base2"),
                           ("CreateInferenceComponent", "adapter2")]


def test_deletes_come_last_in_reverse_wave_order_adapters_before_bases(ready: Live) -> None:
    existing(ready, "base", "late", "early")
    existing(ready, "adapter", base="base")
    result = run(ready, delete("base"), delete("early", wave=-1), delete("adapter", base="base"),
                 delete("late", wave=1), create("new", wave=5), parallelism=4)
    assert sent(ready) == [("CreateInferenceComponent", "new"),
                           ("DeleteInferenceComponent", "late"),
                           ("DeleteInferenceComponent", "adapter"),
                           ("DeleteInferenceComponent", "base"),
                           ("DeleteInferenceComponent", "early")]
    assert result.ok
    assert ready.client.list_inference_components()["InferenceComponents"][0][
        "InferenceComponentName"] == "new"


def test_a_noop_sends_nothing_and_has_no_result(ready: Live) -> None:
    existing(ready, "same")
    result = run(ready, ComponentChange("same", "ep", Action.NOOP, "live matches the manifest"),
                 create("web"))
    assert [r.name for r in result.results] == ["web"]
    assert sent(ready) == [("CreateInferenceComponent", "web")]


def test_fail_fast_skips_what_has_not_started_and_only_then(ready: Live) -> None:
    ready.sandbox.fail_next_deployment("a", "Deployment failed: alarm fired")
    result = run(ready, create("a"), create("b", wave=1), fail_fast=True)
    assert outcomes(result) == {
        "a": (Outcome.FAILED, "Deployment failed: alarm fired"),
        "b": (Outcome.SKIPPED, "not started: an earlier component failed (--fail-fast)")}
    assert sent(ready) == [("CreateInferenceComponent", "a")]
    ready.clear_log()
    ready.sandbox.fail_next_deployment("c", "Deployment failed: alarm fired")
    carried_on = run(ready, create("c"), create("d", wave=1))
    assert outcomes(carried_on)["d"] == (Outcome.APPLIED, "")


def test_a_stop_set_before_apply_starts_nothing(ready: Live) -> None:
    stop = executor.Stop()
    stop.set("interrupted: not started")
    clients = aws.Clients(aws.Connection(region="us-east-1", endpoint_url=ready.url))
    result = executor.apply(Plan("dev", "demo", (create("a"), create("b", wave=1))), clients,
                            ApplySettings(clock=FakeClock()), lambda _: None, stop)
    assert outcomes(result) == {"a": (Outcome.SKIPPED, "interrupted: not started"),
                                "b": (Outcome.SKIPPED, "interrupted: not started")}
    assert ready.mutating() == []


# -- verification -----------------------------------------------------------------------------------
def test_a_failed_deployment_is_a_failure_with_aws_s_reason(ready: Live) -> None:
    ready.sandbox.fail_next_deployment("web", "CapacityError: no room on ep")
    assert outcomes(run(ready, create("web"))) == {
        "web": (Outcome.FAILED, "CapacityError: no room on ep")}


def test_a_rolled_back_update_is_reported_with_aws_s_reason(ready: Live) -> None:
    existing(ready, "web")
    ready.sandbox.fail_next_deployment("web", "Alarm HighLatency fired: rolled back")
    new = request("web", image="repo/app:2")
    result = run(ready, update("web", {"Specification": new["Specification"]}, new))
    assert outcomes(result) == {"web": (Outcome.ROLLED_BACK, "Alarm HighLatency fired: rolled back")}
    described = ready.client.describe_inference_component(InferenceComponentName="web")
    assert described["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == "repo/app:1"


DIFFERS = "live specification differs from what was sent: "


def test_what_settled_is_compared_with_the_plan_and_each_difference_named(ready: Live) -> None:
    existing(ready, "web", "api")
    planned = request("web", image="repo/app:2", copies=2)
    sent_spec = request("web", image="repo/app:3")["Specification"]  # not what the plan holds
    result = run(ready, update("web", {"Specification": sent_spec, "RuntimeConfig": {"CopyCount": 1}},
                               planned),
                 scale("api", 2, request("api", copies=3)))
    assert outcomes(result) == {
        "web": (Outcome.ROLLED_BACK, DIFFERS + "RuntimeConfig.CopyCount, Specification.Container.Image"),
        "api": (Outcome.ROLLED_BACK, DIFFERS + "RuntimeConfig.CopyCount")}


def test_only_the_sections_sent_are_verified(ready: Live) -> None:
    existing(ready, "api")
    # The plan's specification differs from live, but a scale sends only the copy count.
    result = run(ready, scale("api", 3, request("api", image="repo/other:9", copies=3)))
    assert outcomes(result) == {"api": (Outcome.APPLIED, "")}
    assert ready.client.describe_inference_component(
        InferenceComponentName="api")["RuntimeConfig"]["DesiredCopyCount"] == 3


def test_a_component_gone_since_the_plan_fails_without_a_call(ready: Live) -> None:
    new = request("gone", image="repo/app:2")
    result = run(ready, update("gone", {"Specification": new["Specification"]}, new))
    assert outcomes(result) == {"gone": (Outcome.FAILED, "component disappeared since the plan")}
    assert ready.mutating() == []


# -- waiting, on a fake clock ------------------------------------------------------------------------
def stuck_update(live: Live, name: str = "web", timeout: float | None = None) -> ComponentChange:
    """An update of a live component whose deployment will not settle until released."""
    existing(live, name)
    live.sandbox.set_stuck(name)
    new = request(name, image="repo/app:2")
    return update(name, {"Specification": new["Specification"]}, new, timeout=timeout)


def test_the_default_timeout_is_three_hours_polled_with_backoff(ready: Live) -> None:
    # Long enough for a create waiting for instances or a blue/green update (issue 18): a
    # rolling update of a few batches alone takes half an hour.
    clock = FakeClock()
    result = run(ready, stuck_update(ready), clock=clock)
    message = "web still Updating after 10800s (--timeout); it may still finish on its own"
    assert outcomes(result) == {"web": (Outcome.FAILED, message)}
    assert clock.sleeps[:4] == pytest.approx([0.2, 0.3, 0.45, 0.675])  # x1.5 each poll
    assert max(clock.sleeps) == 10 and clock.sleeps[-3:] == [10, 10, 10]  # up to 10 s apart
    assert 10800 < clock.slept <= 10810
    assert 10800 < result.results[0].seconds <= 10810  # measured on the same clock


def test_the_component_s_own_timeout_unless_apply_is_given_one(ready: Live) -> None:
    first = run(ready, stuck_update(ready, "web", timeout=300))
    assert outcomes(first)["web"][1].startswith("web still Updating after 300s (--timeout)")
    given = run(ready, stuck_update(ready, "api", timeout=300), timeout=45)
    assert outcomes(given)["api"][1].startswith("api still Updating after 45s (--timeout)")


def test_a_heartbeat_every_heartbeat_seconds_while_settling(ready: Live) -> None:
    events: list[Event] = []
    run(ready, stuck_update(ready), events=events, heartbeat=60, timeout=600)
    beats = [e for e in events if e.phase == "settling"]
    assert {e.detail for e in beats} == {"still Updating"}
    assert len(beats) == 9  # at 60, 120, ... 540 s: the poll after 600 s times out instead
    gaps = [b.elapsed - a.elapsed for a, b in itertools.pairwise(beats)]
    assert all(60 <= gap < 70 for gap in gaps), gaps  # a beat is due at the first poll after 60 s
    assert [e.phase for e in events][-1] == "failed"


def test_a_busy_component_is_waited_for_then_updated(ready: Live) -> None:
    existing(ready, "web")
    ready.sandbox.set_stuck("web")
    ready.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 2})
    ready.clear_log()

    def release(sleeps: int) -> None:
        if sleeps == 5:
            ready.sandbox.set_stuck("web", False)

    events: list[Event] = []
    new = request("web", image="repo/app:2", copies=2)
    result = run(ready, update("web", {"Specification": new["Specification"]}, new), events=events,
                 clock=FakeClock(release), heartbeat=0.5)
    assert outcomes(result) == {"web": (Outcome.APPLIED, "")}
    # 5 sleeps: 6 polls of the endpoint, one describe to decide once it settled, then the update.
    assert ready.operations()[:8] == ["ListInferenceComponents"] * 6 + [
        "DescribeInferenceComponent", "UpdateInferenceComponent"]
    assert {r["params"].get("EndpointNameEquals") for r in ready.requests()
            if r["operation"] == "ListInferenceComponents"} == {"ep"}
    assert ("waiting", "still Updating") in [(e.phase, e.detail) for e in events]


def test_no_wait_busy_refuses_a_busy_component_at_once(ready: Live) -> None:
    clock = FakeClock()
    change = stuck_update(ready)
    ready.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 2})
    ready.clear_log()
    result = run(ready, change, clock=clock, wait_busy=False)
    assert outcomes(result) == {"web": (Outcome.FAILED,
                                        "web is Updating; not waiting (--no-wait-busy)")}
    assert clock.sleeps == [] and ready.mutating() == []


# -- waiting costs calls per endpoint ----------------------------------------------------------------
def test_components_settling_on_one_endpoint_share_its_readings(ready: Live) -> None:
    names = [f"c{n}" for n in range(6)]
    for name in names:
        ready.sandbox.set_stuck(name)
    lists_before_release: list[int] = []

    def release(sleeps: int) -> None:
        operations = ready.operations()
        if sleeps >= 12 and not lists_before_release and operations.count("CreateInferenceComponent") == 6:
            lists_before_release.append(operations.count("ListInferenceComponents"))
            for name in names:
                ready.sandbox.set_stuck(name, False)

    clock = FakeClock(release)
    result = run(ready, *(create(n) for n in names), clock=clock, parallelism=6)
    assert result.ok
    operations = ready.operations()
    assert operations.count("CreateInferenceComponent") == 6
    assert operations.count("DescribeInferenceComponent") == 6  # once each, to verify: no polling
    lists = [r["params"] for r in ready.requests() if r["operation"] == "ListInferenceComponents"]
    assert all(p.get("EndpointNameEquals") == "ep" for p in lists)
    assert len(lists) <= len(clock.sleeps) + 1  # each reading after the first waited its turn
    # One reading told all six they had settled; a second may have been in flight (sent, not yet
    # logged) when the release was counted: the waiters share readings, so never one each.
    assert len(lists) - lists_before_release[0] in (1, 2)


def test_a_throttled_write_is_sent_again_never_a_failure(ready: Live) -> None:
    existing(ready, "web")
    ready.sandbox.fail_calls("UpdateInferenceComponent", "throttle", 3)
    new = request("web", image="repo/app:2")
    # One attempt a call: botocore retries nothing, so the executor's own resend is what is tested.
    result = run(ready, update("web", {"Specification": new["Specification"]}, new), attempts=1)
    assert outcomes(result) == {"web": (Outcome.APPLIED, "")}
    assert [r["status"] for r in ready.mutating()] == [400, 400, 400, 200]


# -- rollbacks, told by what settled, not by a FailureReason ------------------------------------------
def test_a_failure_reason_left_from_an_earlier_deployment_is_not_a_rollback() -> None:
    new = request("web", image="repo/app:2")
    change = update("web", {"Specification": new["Specification"]}, new)
    described = {"InferenceComponentName": "web", "InferenceComponentStatus": "InService",
                 "FailureReason": "Alarm HighLatency fired: rolled back",  # last week's deployment
                 "EndpointName": "ep", "VariantName": "AllTraffic",
                 "Specification": {**new["Specification"], "Container": {"DeployedImage": {
                     "SpecifiedImage": "repo/app:2", "ResolvedImage": "repo/app@sha256:" + "0" * 64}}},
                 "RuntimeConfig": {"DesiredCopyCount": 1, "CurrentCopyCount": 1}}
    assert verify(change, change.calls[0].params, described) is None
    rolled_back = {**described, "Specification": {**new["Specification"], "Container": {"DeployedImage": {
        "SpecifiedImage": "repo/app:1", "ResolvedImage": "repo/app@sha256:" + "1" * 64}}}}
    assert verify(change, change.calls[0].params, rolled_back) == (
        Outcome.ROLLED_BACK, "Alarm HighLatency fired: rolled back")


# -- apply run again resumes waiting ----------------------------------------------------------------
def test_apply_again_waits_for_the_deployment_it_started_and_sends_nothing_twice(ready: Live) -> None:
    existing(ready, "web")
    new = request("web", image="repo/app:2")
    ready.sandbox.set_stuck("web")
    ready.client.update_inference_component(InferenceComponentName="web",
                                            Specification=new["Specification"])  # the first apply's
    ready.clear_log()

    def release(sleeps: int) -> None:
        if sleeps == 3:
            ready.sandbox.set_stuck("web", False)

    result = run(ready, update("web", {"Specification": new["Specification"]}, new),
                 clock=FakeClock(release))
    assert outcomes(result) == {"web": (Outcome.APPLIED, "")}
    assert ready.mutating() == []


def test_a_timeout_names_what_is_still_deploying(ready: Live) -> None:
    result = run(ready, stuck_update(ready, "web"), create("api"), timeout=60)
    assert result.still_deploying == ["web"]
    assert outcomes(result)["api"] == (Outcome.APPLIED, "")


# -- dependent work stops with its dependency -------------------------------------------------------
def test_no_adapter_is_created_on_a_base_that_failed(ready: Live) -> None:
    ready.sandbox.fail_next_deployment("base", "CapacityError: no room on ep")
    result = run(ready, create("base"), create("adapter", base="base"), create("solo"))
    assert outcomes(result) == {
        "base": (Outcome.FAILED, "CapacityError: no room on ep"),
        "solo": (Outcome.APPLIED, ""),
        "adapter": (Outcome.SKIPPED, "not started: its base base did not apply")}
    assert ("CreateInferenceComponent", "adapter") not in sent(ready)


def test_a_base_is_not_deleted_while_an_adapter_of_it_stays(ready: Live) -> None:
    existing(ready, "base")
    existing(ready, "adapter", base="base")
    ready.sandbox.fail_calls("DeleteInferenceComponent", "denied", 1)  # the adapter's delete
    result = run(ready, delete("base"), delete("adapter", base="base"))
    assert outcomes(result)["base"] == (Outcome.SKIPPED, "not deleted: its adapters stay (adapter)")
    assert [r["params"]["InferenceComponentName"] for r in ready.mutating()] == ["adapter"]


# -- updates that need the same spare capacity take turns -------------------------------------------
def test_updates_that_do_not_fit_together_on_an_endpoint_take_turns(ready: Live) -> None:
    existing(ready, "a", "b", "c")
    for name in ("a", "b"):
        ready.sandbox.set_stuck(name)
    released: list[int] = []

    def release(sleeps: int) -> None:
        if sleeps >= 3 and not released:
            released.append(len(ready.requests()))
            ready.sandbox.set_stuck("a", False)
            ready.sandbox.set_stuck("b", False)

    gpu = Amount(accelerators=1)
    # One free instance of one accelerator: a and b place one copy each while they deploy; c's
    # needs are not limited.
    room = Room({"ep": Fleet(gpu, 1, ())}, {"a": ("ep", Placed("a", 1, gpu)), "b": ("ep", Placed("b", 1, gpu))})
    changes = []
    for name in ("a", "b", "c"):
        new = request(name, image="repo/app:2")
        changes.append(update(name, {"Specification": new["Specification"]}, new))
    clients = aws.Clients(aws.Connection(region="us-east-1", endpoint_url=ready.url))
    result = executor.apply(Plan("dev", "demo", tuple(changes)), clients,
                            ApplySettings(clock=FakeClock(release), parallelism=3), lambda _: None,
                            room=room)
    assert result.ok
    updates = [(i, r["params"]["InferenceComponentName"]) for i, r in enumerate(ready.requests())
               if r["operation"] == "UpdateInferenceComponent"]
    first, second = [u for u in updates if u[1] in ("a", "b")]
    assert first[0] < released[0] < second[0]  # the second waited for the first to settle
    assert "c" in [name for _, name in updates]


def test_a_refusal_on_an_endpoint_that_stays_updating_waits_no_longer_than_the_components_timeout(
        tmp_path: Path) -> None:
    """Refused while its endpoint is Updating, a create waits for it to be InService up to the
    component's own timeout (its DeploymentConfig's), not the 3 hours of a component without one."""
    seed = tmp_path / "seed.yaml"
    seed.write_text("switches: {endpoint_updating_refuses_components: true}\n"
                    "endpoints: [{EndpointName: ep, InstanceType: ml.g5.12xlarge, EndpointStatus: Updating}]\n"
                    "models: [{ModelName: model-a, PrimaryContainer: {Image: 'repo/a:1'}}]\n")
    with Sandbox(port=0, seed=seed) as sandbox:
        live = Live(sandbox, tmp_path / "log.jsonl")
        clock = FakeClock()
        change = dataclasses.replace(create("web"), timeout=300.0)
        events: list[Event] = []
        result = run(live, change, clock=clock, events=events)
    [ended] = result.results
    assert ended.outcome is Outcome.FAILED and "in status Updating" in ended.message
    assert ("waiting", "endpoint ep is Updating") in [(e.phase, e.detail) for e in events]
    assert 300 <= clock.slept <= 320, clock.slept


@pytest.mark.parametrize("back", [False, True], ids=["still-updating", "in-service-again"])
def test_a_change_refused_on_an_updating_endpoint_is_not_sent_again_once_apply_is_stopped(
        tmp_path: Path, back: bool) -> None:
    """Ctrl-C (or --fail-fast) while a refused create waits for its endpoint: the wait ends and
    the create is not sent again, whether or not the endpoint is InService by then."""
    seed = tmp_path / "seed.yaml"
    seed.write_text("switches: {endpoint_updating_refuses_components: true}\n"
                    "endpoints: [{EndpointName: ep, InstanceType: ml.g5.12xlarge, EndpointStatus: Updating}]\n"
                    "models: [{ModelName: model-a, PrimaryContainer: {Image: 'repo/a:1'}}]\n")
    with Sandbox(port=0, seed=seed, request_log=tmp_path / "log.jsonl") as sandbox:
        live = Live(sandbox, tmp_path / "log.jsonl")
        stop = executor.Stop()

        def interrupt(count: int) -> None:
            if count == 1:
                stop.set("interrupted: not started")
                if back:
                    with sandbox.account.lock:
                        sandbox.account.endpoints["ep"]["EndpointStatus"] = "InService"

        clock = FakeClock(on_sleep=interrupt)
        clients = aws.Clients(aws.Connection(region="us-east-1", endpoint_url=live.url))
        result = executor.apply(Plan("dev", "demo", (create("web"),)), clients,
                                ApplySettings(clock=clock), lambda _: None, stop)
        [ended] = result.results
        assert ended.outcome is not Outcome.APPLIED, ended
        assert [r["operation"] for r in live.mutating()] == ["CreateInferenceComponent"]
        assert clock.slept < 30, clock.slept
