"""Managed instance scaling in the sandbox (gitsync/sandbox/scaling.py, with its evidence): instances
added for copies and for an update's new batch, released once copies go (not below
MinInstanceCount), the endpoint Updating meanwhile; a fixed-size endpoint keeps its count. Played at
a speed factor and observed through DescribeEndpoint, waiting on state, not on time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.wire import ROLE, Sandboxes, Started

GPU = {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}
SPEED = 0.002  # a create 0.84 s, instances added 0.48 s, released 1.08 s + 0.12 s after the last deployment

Seen = tuple[str, int, int]  # EndpointStatus, CurrentInstanceCount, DesiredInstanceCount


@pytest.fixture
def live(sandbox: Sandboxes) -> Started:
    started = sandbox(speed=SPEED)
    for model in ("model-a", "model-b"):
        started.client.create_model(ModelName=model, ExecutionRoleArn=ROLE,
                                    PrimaryContainer={"Image": f"repo/{model}:1"})
    return started


def gpu_endpoint(live: Started, minimum: int | None = 1, maximum: int = 4, count: int = 1) -> None:
    """ml.g5.xlarge (one GPU each); managed scaling from `minimum` to `maximum` (None: fixed size)."""
    variant: dict[str, Any] = {"VariantName": "AllTraffic", "InstanceType": "ml.g5.xlarge",
                               "InitialInstanceCount": count}
    if minimum is not None:
        variant["ManagedInstanceScaling"] = {"Status": "ENABLED", "MinInstanceCount": minimum,
                                             "MaxInstanceCount": maximum}
    live.client.create_endpoint_config(EndpointConfigName="ep-config", ProductionVariants=[variant],
                                       ExecutionRoleArn=ROLE)
    live.client.create_endpoint(EndpointName="ep", EndpointConfigName="ep-config")


def seen_now(live: Started) -> Seen:
    endpoint = live.client.describe_endpoint(EndpointName="ep")
    [variant] = endpoint["ProductionVariants"]
    return endpoint["EndpointStatus"], variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]


def watch(live: Started, done: Callable[[Seen], bool], also: Callable[[], Any] = lambda: None) -> list[Seen]:
    """Every distinct state the endpoint shows until `done` holds (`also` runs at each look)."""
    seen: list[Seen] = []
    deadline = time.monotonic() + 60  # a guard against a hang, not a timing
    while time.monotonic() < deadline:
        also()
        now = seen_now(live)
        if not seen or seen[-1] != now:
            seen.append(now)
        if done(now):
            return seen
        time.sleep(0.01)
    raise AssertionError(f"the endpoint never got there: {seen}")


def status(live: Started, name: str = "web") -> str:
    return str(live.describe(name)["InferenceComponentStatus"])


def test_a_create_that_needs_instances_adds_them_with_the_endpoint_updating(live: Started) -> None:
    gpu_endpoint(live)
    live.component("web", copies=2)  # 2 one-GPU copies on 1 one-GPU instance, as in the saved run
    seen = watch(live, lambda s: s == ("InService", 2, 2))
    assert seen[0] == ("Updating", 1, 2)  # the saved run's first DescribeEndpoint, to the count
    assert seen[-1] == ("InService", 2, 2)


@pytest.mark.parametrize("policy", [
    {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 0}},
    None], ids=["rolling", "blue-green"])
def test_an_update_grows_the_endpoint_for_its_batch_and_shrinks_it_after(
        live: Started, policy: dict[str, Any] | None) -> None:
    gpu_endpoint(live)
    live.component("web", copies=2)
    watch(live, lambda s: s == ("InService", 2, 2) and status(live) == "InService")
    live.client.update_inference_component(
        InferenceComponentName="web", Specification={"ModelName": "model-b", "ComputeResourceRequirements": GPU},
        **({"DeploymentConfig": policy} if policy else {}))
    batch = 1 if policy else 2  # blue/green places every new copy beside the old ones
    states: list[tuple[str, Seen]] = []
    watch(live, lambda s: s == ("InService", 2, 2) and states[-1][0] == "InService",
          also=lambda: states.append((status(live), seen_now(live))))
    peak = max(current for _, (_, current, _) in states)
    assert peak == 2 + batch  # the saved run, batch 1: 2 -> 3 -> 2
    assert ("Updating", ("Updating", 2, 2 + batch)) in states  # the component, then the endpoint
    # The extra instances go only after the update has ended, the endpoint Updating as they go.
    ended = next(i for i, (component, _) in enumerate(states) if component == "InService")
    assert states[ended][1][1] == 2 + batch
    assert all(shown[0] == "Updating" for _, shown in states if shown[1] != shown[2])
    assert live.describe("web")["Specification"]["ModelName"] == "model-b"


def test_deleting_copies_releases_instances_down_to_the_minimum(live: Started) -> None:
    gpu_endpoint(live, minimum=2)
    live.component("web", copies=3)
    watch(live, lambda s: s == ("InService", 3, 3) and status(live) == "InService")
    live.client.update_inference_component_runtime_config(InferenceComponentName="web",
                                                          DesiredRuntimeConfig={"CopyCount": 2})
    seen = watch(live, lambda s: s == ("InService", 3, 3) and status(live) == "InService")
    assert all(current == 3 for _, current, _ in seen)  # nothing released while copies change
    seen = watch(live, lambda s: s == ("InService", 2, 2))
    assert seen[0] == ("InService", 3, 3) and seen[-1] == ("InService", 2, 2)
    assert set(seen[1:-1]) <= {("Updating", 3, 2)}  # the endpoint Updating while it releases
    live.client.delete_inference_component(InferenceComponentName="web")
    watch(live, lambda s: not live.client.list_inference_components()["InferenceComponents"])
    watch(live, lambda s: s == ("InService", 2, 2))  # no copies at all: MinInstanceCount stays
    live.component("web", copies=1)
    assert seen_now(live) == ("InService", 2, 2)


def test_a_fixed_size_endpoint_keeps_its_instances(live: Started) -> None:
    gpu_endpoint(live, minimum=None, count=3)
    live.component("web", copies=1)
    watch(live, lambda s: status(live) == "InService")
    live.client.delete_inference_component(InferenceComponentName="web")
    seen = watch(live, lambda s: not live.client.list_inference_components()["InferenceComponents"])
    live.component("other", copies=1)  # one more deployment's worth of idle time
    seen += watch(live, lambda s: status(live, "other") == "InService")
    assert set(seen) == {("InService", 3, 3)}


def test_consolidation_waits_its_cooldown(sandbox: Sandboxes) -> None:
    """ScaleInPolicy CONSOLIDATION waits CooldownInMinutes (API reference) after the last deployment."""
    live = sandbox(speed=SPEED / 10)  # a 5-minute cooldown is 0.06 s
    live.client.create_model(ModelName="model-a", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "repo/a:1"})
    variant = {"VariantName": "AllTraffic", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1,
               "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 2,
                                          "ScaleInPolicy": {"Strategy": "CONSOLIDATION",
                                                            "CooldownInMinutes": 5}}}
    live.client.create_endpoint_config(EndpointConfigName="ep-config", ProductionVariants=[variant],
                                       ExecutionRoleArn=ROLE)
    live.client.create_endpoint(EndpointName="ep", EndpointConfigName="ep-config")
    live.component("web", copies=2)
    watch(live, lambda s: s == ("InService", 2, 2) and status(live) == "InService")
    live.client.delete_inference_component(InferenceComponentName="web")
    assert watch(live, lambda s: s == ("InService", 1, 1))[-1] == ("InService", 1, 1)


@pytest.mark.parametrize("while_deploying", [False, True])
def test_an_endpoint_updating_while_its_components_deploy_is_a_switch(live: Started,
                                                                      while_deploying: bool) -> None:
    live.sandbox.set_switches(endpoint_updating_while_deploying=while_deploying)
    gpu_endpoint(live)
    live.component("web", copies=1)  # fits the instance there: no scaling
    seen = watch(live, lambda s: status(live) == "InService")
    assert seen[0] == (("Updating", 1, 1) if while_deploying else ("InService", 1, 1))
    assert seen_now(live) == ("InService", 1, 1)
