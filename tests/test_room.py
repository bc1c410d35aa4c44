"""Room on an endpoint as AWS counts it, and icsync planned and applied against it through the CLI:
an update places new copies beside the running ones (gitsync/sandbox/rules.py, surge_instances), an
endpoint that is not InService takes no change, and the host keeps part of each instance's memory
(switch host_reserves_memory). Each is right with the unverified answers' switches on and off."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitsync.sandbox import Sandbox
from tests.helpers import PROJECT, Live, icsync, slow_sandbox, write

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"

GPU_MANIFEST = """
InferenceComponentName: {name}
EndpointName: ep
VariantName: AllTraffic
Specification:
  ModelName: model-a
  Container:
    Image: repo/app:{{{{ tag }}}}
  ComputeResourceRequirements:
    NumberOfAcceleratorDevicesRequired: 1
    MinMemoryRequiredInMb: 1024
RuntimeConfig:
  CopyCount: 1
DeploymentConfig:
  RollingUpdatePolicy:
    MaximumBatchSize: {{Type: COPY_COUNT, Value: 1}}
    WaitIntervalInSeconds: 0
"""


def gpu_project(root: Path, names: list[str], tag: str) -> Path:
    """One single-GPU component per name on endpoint ep, each with a rolling update of one copy."""
    files = {f"components/{n}.yaml": GPU_MANIFEST.format(name=n) for n in names}
    return write(root, {"icsync.yaml": PROJECT, "values/dev.yaml": f"tag: '{tag}'\n", **files})


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[Live]:
    """A sandbox whose deployments last a moment, so that updates started together overlap."""
    with slow_sandbox(tmp_path, 0.4, seeded=False) as live:
        yield live


def args(root: Path, live: Live) -> list[str]:
    return ["-C", str(root), "--env", "dev", "--endpoint-url", live.url]


# -- updates need room for a batch beside the running copies -----------------------------------
@pytest.mark.parametrize("rolls_back", [False, True], ids=["refused", "rolled-back"])
def test_updates_that_fit_one_at_a_time_take_turns(tmp_path: Path, slow: Live, rolls_back: bool) -> None:
    slow.sandbox.set_switches(surge_shortage_rolls_back=rolls_back)
    slow.seed_endpoint(instance_type="ml.g5.xlarge", count=1, max_count=3)  # up to 3 GPUs
    gpu_project(tmp_path, ["a", "b"], "1")
    assert icsync("apply", *args(tmp_path, slow), "--auto-approve").code == 0  # 2 of 3 GPUs
    gpu_project(tmp_path, ["a", "b"], "2")  # each update needs a third GPU while it runs
    applied = icsync("apply", *args(tmp_path, slow), "--auto-approve")
    assert applied.code == 0, applied.all
    assert "rolled back" not in applied.all and "Traceback" not in applied.all
    for name in ("a", "b"):
        described = slow.client.describe_inference_component(InferenceComponentName=name)
        assert described["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == "repo/app:2"
        assert "FailureReason" not in described
    plan = icsync("plan", *args(tmp_path, slow), "--detailed-exitcode")
    assert plan.code == 0 and "No changes." in plan.out, plan.all


@pytest.mark.parametrize("rolls_back", [False, True], ids=["refused", "rolled-back"])
def test_updates_whose_copies_fit_as_totals_but_not_whole_take_turns(
        tmp_path: Path, slow: Live, rolls_back: bool) -> None:
    """Two CPU components of one 9 GiB copy on ml.m5.xlarge (16 GiB), at most 3 instances: both
    updates at once would place four 9 GiB copies, 36 GiB of the 48 as totals, but one copy an
    instance: four instances. They take turns."""
    slow.sandbox.set_switches(surge_shortage_rolls_back=rolls_back)
    slow.seed_endpoint(instance_type="ml.m5.xlarge", count=2, max_count=3)
    manifest = GPU_MANIFEST.replace("NumberOfAcceleratorDevicesRequired: 1", "NumberOfCpuCoresRequired: 1").replace(
        "MinMemoryRequiredInMb: 1024", "MinMemoryRequiredInMb: 9216")
    files = {f"components/{n}.yaml": manifest.format(name=n) for n in ("a", "b")}
    write(tmp_path, {"icsync.yaml": PROJECT, "values/dev.yaml": "tag: '1'\n", **files})
    assert icsync("apply", *args(tmp_path, slow), "--auto-approve").code == 0
    write(tmp_path, {"values/dev.yaml": "tag: '2'\n"})
    applied = icsync("apply", *args(tmp_path, slow), "--auto-approve")
    assert applied.code == 0 and "rolled back" not in applied.all, applied.all
    plan = icsync("plan", *args(tmp_path, slow), "--detailed-exitcode")
    assert plan.code == 0 and "No changes." in plan.out, plan.all


def test_an_update_with_no_room_beside_its_copies_is_refused_before_any_call(tmp_path: Path,
                                                                             live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.xlarge", count=2, max_count=None)  # 2 GPUs, fixed
    gpu_project(tmp_path, ["a", "b"], "1")
    assert icsync("apply", *args(tmp_path, live), "--auto-approve").code == 0  # both GPUs taken
    gpu_project(tmp_path, ["a", "b"], "2")
    live.clear_log()
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = icsync(*command, *args(tmp_path, live))
        assert result.code == 1, result.all
        assert ("endpoint ep (variant AllTraffic, ml.g5.xlarge, at most 2 instance(s)): updating a "
                "places 1 new copy needing 1 accelerators beside the running ones before it removes "
                "old ones, but only 0 are free") in result.err
        assert "nothing was applied" in result.err and "MaximumBatchSize" in result.err
        assert "Traceback" not in result.all and len(result.err.splitlines()) <= 5
    assert live.mutating() == []


# -- endpoints that are not InService -----------------------------------------------------------
@pytest.mark.parametrize(("status", "advice"), [
    ("Creating", "wait until it is InService"), ("RollingBack", "wait until it is InService"),
    ("Failed", "repair or re-create the endpoint first"),
    ("OutOfService", "repair or re-create the endpoint first")])
def test_a_change_on_an_endpoint_that_is_not_in_service_is_refused_naming_it(
        tmp_path: Path, status: str, advice: str) -> None:
    seed = write(tmp_path, {"seed.yaml": f"""
        endpoints:
          - {{EndpointName: ep, InstanceType: ml.g5.12xlarge, EndpointStatus: {status}}}
        models: [{{ModelName: model-a, PrimaryContainer: {{Image: 'repo/a:1'}}}}]
        """}) / "seed.yaml"
    gpu_project(tmp_path, ["a"], "1")
    with Sandbox(port=0, seed=seed, request_log=tmp_path / "log.jsonl") as sandbox:
        live = Live(sandbox, tmp_path / "log.jsonl")
        for command in (["plan"], ["apply", "--auto-approve"]):
            result = icsync(*command, *args(tmp_path, live))
            assert result.code == 1, result.all
            assert f"endpoint `ep` is {status}, not InService" in result.err and advice in result.err
            assert "components/a.yaml" in result.err and "Traceback" not in result.all
        assert live.mutating() == []


@pytest.mark.parametrize("status", ["Creating", "Failed", "RollingBack"])
def test_the_sandbox_refuses_components_on_an_endpoint_that_is_not_in_service(tmp_path: Path,
                                                                              status: str) -> None:
    seed = write(tmp_path, {"seed.yaml": f"""
        endpoints: [{{EndpointName: ep, EndpointStatus: {status}}}]
        models: [{{ModelName: model-a, PrimaryContainer: {{Image: 'repo/a:1'}}}}]
        """}) / "seed.yaml"
    with Sandbox(port=0, seed=seed) as sandbox:
        client = Live(sandbox, tmp_path / "log.jsonl").client
        assert client.describe_endpoint(EndpointName="ep")["EndpointStatus"] == status
        with pytest.raises(client.exceptions.ClientError) as refused:
            client.create_inference_component(
                InferenceComponentName="ic", EndpointName="ep", RuntimeConfig={"CopyCount": 1},
                Specification={"ModelName": "model-a", "ComputeResourceRequirements": {
                    "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}})
        assert refused.value.response["Error"]["Message"] == \
            f"Cannot create inference component ic while endpoint ep is in status {status}."


@pytest.mark.parametrize("refuses", [False, True])
def test_an_updating_endpoint_takes_components_unless_the_switch_says_otherwise(tmp_path: Path,
                                                                                refuses: bool) -> None:
    seed = write(tmp_path, {"seed.yaml": f"""
        switches: {{endpoint_updating_refuses_components: {str(refuses).lower()}}}
        endpoints: [{{EndpointName: ep, EndpointStatus: Updating}}]
        models: [{{ModelName: model-a, PrimaryContainer: {{Image: 'repo/a:1'}}}}]
        """}) / "seed.yaml"
    with Sandbox(port=0, seed=seed) as sandbox:
        client = Live(sandbox, tmp_path / "log.jsonl").client
        create = {"InferenceComponentName": "ic", "EndpointName": "ep", "RuntimeConfig": {"CopyCount": 1},
                  "Specification": {"ModelName": "model-a", "ComputeResourceRequirements": {
                      "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}}}
        if refuses:
            with pytest.raises(client.exceptions.ClientError):
                client.create_inference_component(**create)
        else:
            client.create_inference_component(**create)


def test_a_seeded_endpoint_status_must_be_one_aws_knows(tmp_path: Path) -> None:
    seed = write(tmp_path, {"seed.yaml": "endpoints: [{EndpointName: ep, EndpointStatus: Busy}]\n"}) / "seed.yaml"
    result = icsync("sandbox", "--port", "0", "--seed", str(seed))
    assert result.code == 1, result.all
    assert f"Error: --seed {seed}: endpoints[0]: ValueError: EndpointStatus must be one of" in result.err


# -- memory the host keeps -----------------------------------------------------------------------
@pytest.mark.parametrize("reserved", [False, True])
def test_the_quickstart_fits_whether_or_not_the_host_keeps_memory(tmp_path: Path, reserved: bool) -> None:
    root = shutil.copytree(QUICKSTART, tmp_path / "quickstart", ignore=shutil.ignore_patterns(".icsync"))
    with Sandbox(port=0, seed=root / "sandbox-seed.yaml") as sandbox:
        sandbox.set_switches(host_reserves_memory=reserved)
        common = ["-C", root, "--env", "dev", "--endpoint-url", sandbox.url]
        applied = icsync("apply", *common, "--auto-approve")
        assert applied.code == 0, applied.all
        plan = icsync("plan", *common, "--detailed-exitcode")
        assert plan.code == 0 and "No changes." in plan.out, plan.all


def test_a_copy_asking_for_an_instances_whole_memory_is_warned_of_and_refused_if_the_host_keeps_some(
        tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.xlarge", count=1, max_count=2)
    files = {"components/big.yaml": GPU_MANIFEST.format(name="big").replace("1024", "16384")}
    write(tmp_path, {"icsync.yaml": PROJECT, "values/dev.yaml": "tag: '1'\n", **files})
    plan = icsync("plan", *args(tmp_path, live))
    assert plan.code == 0, plan.all
    assert ("one copy of big asks for 16384 of the 16384 memory MiB of one instance; SageMaker keeps "
            "part of each instance's memory for itself") in plan.out
    live.sandbox.set_switches(host_reserves_memory=True)
    applied = icsync("apply", *args(tmp_path, live), "--auto-approve")
    assert applied.code == 1, applied.all
    assert "There is not enough hardware resources on the instances" in applied.all
    assert "Traceback" not in applied.all


def test_fail_fast_starts_no_update_that_was_waiting_for_room_when_another_failed(
        tmp_path: Path, slow: Live) -> None:
    """Two updates that take turns: the first rolls back; with --fail-fast the one waiting for its
    room is not started after it (as if it had not started yet, which it had not)."""
    slow.seed_endpoint(instance_type="ml.g5.xlarge", count=1, max_count=3)
    gpu_project(tmp_path, ["a", "b"], "1")
    assert icsync("apply", *args(tmp_path, slow), "--auto-approve").code == 0
    gpu_project(tmp_path, ["a", "b"], "2")  # each update needs a third GPU: they take turns
    for name in ("a", "b"):
        slow.sandbox.fail_next_deployment(name, "Alarm HighLatency fired: rolled back")
    slow.clear_log()
    applied = icsync("apply", *args(tmp_path, slow), "--auto-approve", "--fail-fast")
    assert applied.code == 1, applied.all
    updates = [r for r in slow.mutating() if r["operation"] == "UpdateInferenceComponent"]
    assert len(updates) == 1, applied.all
    assert "not started: an earlier component failed (--fail-fast)" in applied.all
    assert "update: waiting for room on endpoint ep: another update there places its copies first" \
        in applied.all
    assert "Traceback" not in applied.all
