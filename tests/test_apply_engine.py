"""The apply engine against the sandbox's fault injection; after every fault, apply converges."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from gitsync import shard
from gitsync.sandbox import Sandbox
from tests.helpers import PROJECT, Live, Result, child_env, icsync, slow_sandbox, write

SPEC = """
InferenceComponentName: {name}
EndpointName: ep
Specification:
  ModelName: model-a
  Container: {{Image: "repo/app:{tag}"}}
  ComputeResourceRequirements: {{NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024}}
RuntimeConfig: {{CopyCount: 1}}
{extra}
"""
ADAPTER = """
InferenceComponentName: {name}
EndpointName: ep
Specification:
  BaseInferenceComponentName: {base}
  Container: {{ArtifactUrl: "s3://bucket/{name}.tar.gz"}}
"""


def spec(name: str, tag: str = "1", extra: str = "") -> str:
    return SPEC.format(name=name, tag=tag, extra=extra)


def project(root: Path, components: dict[str, str], extra_project: str = "") -> Path:
    shutil.rmtree(root / "components", ignore_errors=True)
    files = {"icsync.yaml": PROJECT + extra_project, "values/dev.yaml": "x: 1\n"}
    files.update({f"components/{n}.yaml": t for n, t in components.items()})
    return write(root, files)


def apply(root: Path, url: str, *extra: str, env: dict[str, str | None] | None = None) -> Result:
    return icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", url, "--auto-approve", *extra,
                  env=env)


def converged(root: Path, url: str) -> bool:
    again = apply(root, url)
    plan = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", url, "--detailed-exitcode")
    return again.code == 0 and plan.code == 0 and "No changes." in plan.out


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[Live]:
    """A sandbox whose deployments take a while, so that apply really waits."""
    with slow_sandbox(tmp_path, 0.6) as live:
        yield live


def creates(live: Live) -> list[str]:
    return [r["params"]["InferenceComponentName"] for r in live.requests()
            if r["operation"] == "CreateInferenceComponent"]


def apply_in_background(root: Path, live: Live, *extra: str) -> subprocess.Popen[str]:
    """Start `icsync apply` as a real process and return once its first create was sent."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gitsync", "apply", "-C", str(root), "--env", "dev", "--endpoint-url",
         live.url, "--auto-approve", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(live.url))
    deadline = time.monotonic() + 30
    while not creates(live) and time.monotonic() < deadline:
        time.sleep(0.05)
    return process


def test_waves_and_bases_first_deletes_in_reverse(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path / "p", {
        "late": spec("late", extra="icsync: {wave: 1}"), "base": spec("base"),
        "adapter": ADAPTER.format(name="adapter", base="base"), "solo": spec("solo")})
    assert apply(root, live.url, "--parallelism", "4").code == 0
    order = creates(live)
    assert set(order[:2]) == {"base", "solo"} and order[2:] == ["adapter", "late"]
    project(root, {"solo": spec("solo")})
    live.clear_log()
    assert apply(root, live.url, "--prune", "--max-deletes", "10").code == 0
    deletes = [r["params"]["InferenceComponentName"] for r in live.mutating()]
    assert deletes.index("late") < deletes.index("adapter") < deletes.index("base")


def test_waits_for_busy_component_then_updates(tmp_path: Path, slow: Live) -> None:
    root = project(tmp_path / "p", {"web": spec("web")})
    assert apply(root, slow.url).code == 0
    slow.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 2})
    slow.sandbox.set_stuck("web")  # busy for as long as the test needs
    project(root, {"web": spec("web", tag="2")})
    slow.clear_log()
    refused = apply(root, slow.url, "--no-wait-busy")
    assert refused.code == 1 and "not waiting (--no-wait-busy)" in refused.all
    assert slow.mutating() == []
    slow.clear_log()

    def release_once_apply_is_waiting() -> None:
        # The plan lists once and apply once to start; a third list is apply already polling the
        # busy component's endpoint.
        deadline = time.monotonic() + 60
        while slow.operations().count("ListInferenceComponents") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        slow.sandbox.set_stuck("web", False)

    threading.Thread(target=release_once_apply_is_waiting, daemon=True).start()
    result = apply(root, slow.url, env={"ICSYNC_HEARTBEAT_SECONDS": "0.1"})
    assert result.code == 0, result.all
    assert "waiting still Updating" in result.err  # heartbeat lines while waiting
    assert [r["status"] for r in slow.mutating()] == [200]
    assert converged(root, slow.url)


def test_stuck_component_times_out_and_converges_later(tmp_path: Path, slow: Live) -> None:
    root = project(tmp_path / "p", {"web": spec("web"), "api": spec("api")})
    assert apply(root, slow.url).code == 0
    project(root, {"web": spec("web", tag="2"), "api": spec("api", tag="2")})
    slow.sandbox.set_stuck("web")
    result = apply(root, slow.url, "--timeout", "1", env={"ICSYNC_HEARTBEAT_SECONDS": "0.1"})
    assert result.code == 1
    assert "web still Updating after 1s" in result.all
    assert "web: update: settling still Updating" in result.err
    table = result.out[result.out.index("component"):]
    assert "api" in table and "applied" in table and "failed" in table
    slow.sandbox.set_stuck("web", False)
    assert converged(root, slow.url)


def test_rolled_back_deployment_is_reported_as_failure(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path / "p", {"web": spec("web"), "api": spec("api")})
    assert apply(root, live.url).code == 0
    project(root, {"web": spec("web", tag="2"), "api": spec("api", tag="2")})
    live.sandbox.fail_next_deployment("web", "Alarm HighLatency fired: rolled back")
    result = apply(root, live.url)
    assert result.code == 1
    assert "rolled back" in result.out and "Alarm HighLatency fired" in result.out
    described = live.client.describe_inference_component(InferenceComponentName="web")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == "repo/app:1"
    assert "Apply: 1 applied, 1 rolled back." in result.out or "Apply: 1 rolled back, 1 applied." in result.out
    assert converged(root, live.url)


def test_fail_fast_starts_nothing_new(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    names = ["a1", "a2", "a3"]
    root = project(tmp_path / "p", {n: spec(n) for n in names})
    assert apply(root, live.url).code == 0
    project(root, {n: spec(n, tag="2") for n in names})
    live.sandbox.fail_next_deployment("a1")
    result = apply(root, live.url, "--fail-fast", "--parallelism", "1")
    assert result.code == 1
    assert "Apply: 1 rolled back, 2 skipped." in result.out
    assert converged(root, live.url)


def test_5xx_bursts_and_connection_resets_are_retried(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path / "p", {"web": spec("web")})
    live.sandbox.fail_calls("CreateInferenceComponent", "5xx", 2)
    live.sandbox.fail_calls("DescribeInferenceComponent", "reset", 2)
    live.sandbox.fail_calls("ListInferenceComponents", "throttle", 1)
    result = apply(root, live.url)
    assert result.code == 0, result.all
    statuses = [r["status"] for r in live.requests() if r["operation"] == "CreateInferenceComponent"]
    assert statuses == [500, 500, 200]
    assert converged(root, live.url)


def test_throttled_50_component_apply_completes(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    with Sandbox(port=0, request_log=log, max_tps=5) as sandbox:
        live = Live(sandbox, log)
        sandbox.faults.max_tps = 0
        live.seed_endpoint()
        sandbox.faults.max_tps = 5
        root = project(tmp_path / "p", {f"c{n:02}": spec(f"c{n:02}") for n in range(50)})
        result = apply(root, live.url)
        assert result.code == 0, result.all[-2000:]
        assert "Apply: 50 applied." in result.out
        assert any(r["status"] == 400 for r in live.requests())  # it really was throttled
        assert len(creates(live)) - sum(1 for r in live.requests() if r["operation"] ==
                                        "CreateInferenceComponent" and r["status"] != 200) == 50


def test_approval_is_required_without_a_tty(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path / "p", {"web": spec("web")})
    live.clear_log()
    result = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert result.code == 1 and "--auto-approve" in result.err
    assert live.mutating() == []


def test_interrupt_starts_nothing_new_and_exits_130(tmp_path: Path, slow: Live) -> None:
    root = project(tmp_path / "p", {f"c{n}": spec(f"c{n}") for n in range(10)})
    process = apply_in_background(root, slow, "--parallelism", "2")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Interrupted: starting nothing new. In flight (cannot be recalled): c" in err
    assert "skipped" in out and "Traceback" not in err
    assert 0 < len(creates(slow)) < 10
    assert converged(root, slow.url)
    assert len(creates(slow)) == 10


def _locks_table(live: Live, name: str) -> str:
    """A fresh lock table (moto's state is shared by every sandbox in the process)."""
    dynamodb = boto3.client("dynamodb", endpoint_url=live.url, region_name="us-east-1")
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}])
    return name


def test_lock_held_by_another_run_then_unlock(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    table = _locks_table(live, "locks-held")
    root = project(tmp_path / "p", {"web": spec("web")}, f"lock: {{table: {table}}}\n")
    dynamodb = boto3.client("dynamodb", endpoint_url=live.url, region_name="us-east-1")
    dynamodb.put_item(TableName=table, Item={
        "LockID": {"S": "demo/dev"}, "Who": {"S": "ci@runner-7"}, "Since": {"S": "2026-11-25T03:00:00+00:00"}})
    live.clear_log()
    held = apply(root, live.url, "--lock-timeout", "0.5")
    assert held.code == 1
    assert "held by ci@runner-7 since 2026-11-25T03:00:00+00:00" in held.err
    assert "icsync unlock 'demo/dev'" in held.err
    assert live.mutating() == []
    freed = icsync("unlock", "demo/dev", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert freed.code == 0 and "ci@runner-7" in freed.out
    assert apply(root, live.url).code == 0
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"LockID": {"S": "demo/dev"}})


def test_two_concurrent_applies(tmp_path: Path, slow: Live) -> None:
    table = _locks_table(slow, "locks-concurrent")
    root = project(tmp_path / "p", {f"c{n}": spec(f"c{n}") for n in range(3)}, f"lock: {{table: {table}}}\n")
    command = [sys.executable, "-m", "gitsync", "apply", "-C", str(root), "--env", "dev",
               "--endpoint-url", slow.url, "--auto-approve", "--parallelism", "1"]
    slow.sandbox.set_stuck("c0")  # the first apply holds the lock until the test lets c0 settle
    first = apply_in_background(root, slow, "--parallelism", "1")
    second = subprocess.run(command + ["--lock-timeout", "0"], capture_output=True, text=True, timeout=60,
                            check=False, env=child_env(slow.url))
    assert second.returncode == 1 and "environment lock `demo/dev` is held by" in second.stderr
    waiting = subprocess.Popen(command + ["--lock-timeout", "60"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=child_env(slow.url))
    assert waiting.stderr is not None
    announced = waiting.stderr.readline()  # blocks until the second run says it waits
    slow.sandbox.set_stuck("c0", False)
    first.communicate(timeout=60)
    out, _ = waiting.communicate(timeout=60)
    assert first.returncode == 0
    assert waiting.returncode == 0 and "waiting for the lock `demo/dev`" in announced
    assert "No changes." in out
    assert creates(slow) == ["c0", "c1", "c2"]


def test_sigterm_then_a_second_interrupt_exits_at_once(tmp_path: Path, slow: Live) -> None:
    root = project(tmp_path / "p", {f"c{n}": spec(f"c{n}") for n in range(4)})
    slow.sandbox.set_stuck("c0")  # c0 stays in flight until the test lets it go
    process = apply_in_background(root, slow, "--parallelism", "1")
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert "In flight (cannot be recalled): c0" in err
    assert "Second interrupt: exiting now. In flight, carrying on in AWS: c0." in err
    assert "Traceback" not in err
    assert creates(slow) == ["c0"]
    slow.sandbox.set_stuck("c0", False)
    assert converged(root, slow.url)


def test_shard_applies_and_checks_drift_of_one_slice_only(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    names = [f"c{n}" for n in range(8)]
    root = project(tmp_path / "p", {n: spec(n) for n in names})
    first = sorted(n for n in names if shard.index_of(n, 2) == 1)
    assert 0 < len(first) < len(names)
    assert apply(root, live.url, "--shard", "1/2").code == 0
    assert sorted(creates(live)) == first
    drift = icsync("drift", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--shard", "1/2")
    assert drift.code == 0, drift.all
    rest = icsync("drift", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--shard", "2/2")
    assert rest.code == 2  # the other slice was never applied
    assert apply(root, live.url, "--shard", "2/2").code == 0
    assert sorted(creates(live)) == names


def test_updates_that_need_the_same_spare_room_are_sequenced(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    with Sandbox(port=0, request_log=log, transition_seconds=0.3) as sandbox:
        live = Live(sandbox, log)
        live.seed_endpoint(count=1, max_count=1)  # 4 accelerators, never more
        names = ["a", "b", "c"]  # one accelerator each: one spare while they run, for one update
        root = project(tmp_path / "p", {n: spec(n) for n in names})
        assert apply(root, live.url).code == 0
        project(root, {n: spec(n, tag="2") for n in names})
        live.clear_log()
        assert apply(root, live.url, "--parallelism", "3").code == 0
        order = [r["operation"] for r in live.requests()
                 if r["operation"] in ("UpdateInferenceComponent", "ListInferenceComponents")]
        between = "".join("U" if op == "UpdateInferenceComponent" else "L" for op in order)
        between = between[between.index("U"):between.rindex("U") + 1]
        # Each update only once a reading of the endpoint found the one before it settled:
        # unsequenced, the three go out back to back, 0.2 s before the first reading.
        assert between.count("U") == 3 and "UU" not in between, between
        assert converged(root, live.url)


def test_prune_never_deletes_a_base_whose_adapter_stays(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project(tmp_path / "p", {"base": spec("base"),
                                    "adapter": ADAPTER.format(name="adapter", base="base")})
    assert apply(root, live.url).code == 0
    project(root, {"adapter": ADAPTER.format(name="adapter", base="base")})
    live.clear_log()
    refused = apply(root, live.url, "--prune")
    assert refused.code == 1
    assert "components/adapter.yaml" in refused.err
    assert "base component `base` is in no manifest, so --prune would delete it" in refused.err
    assert live.mutating() == []
