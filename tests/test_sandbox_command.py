"""`icsync sandbox` as users run it: a process that prints its URL, serves boto3, and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from gitsync.sandbox import Sandbox
from tests.helpers import icsync
from tests.helpers.wire import ROLE

REPLAY = Path(__file__).parent / "data" / "sandbox" / "replay-seed.yaml"


class Process:
    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen([sys.executable, "-m", "gitsync", "sandbox", "--port", "0", *args],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.popen.stdout is not None
        self.url = self.popen.stdout.readline().strip()

    def client(self, region: str = "us-east-1") -> object:
        return boto3.client("sagemaker", endpoint_url=self.url, region_name=region)

    def stop(self, signum: int) -> tuple[int, str, str]:
        self.popen.send_signal(signum)
        out, err = self.popen.communicate(timeout=10)
        return self.popen.returncode, out, err


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        if process.popen.poll() is None:
            process.popen.kill()
            process.popen.communicate()


def start(processes: list[Process], *args: str) -> Process:
    process = Process(*args)
    processes.append(process)
    assert process.url.startswith("http://127.0.0.1:"), process.popen.stderr.read()  # type: ignore[union-attr]
    return process


def test_serves_boto3_in_any_region_and_stops_on_sigterm(tmp_path: Path, processes: list[Process],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "requests.jsonl"
    process = start(processes, "--seed", str(REPLAY), "--request-log", str(log),
                    "--transition-seconds", "0.5", "--max-tps", "20")
    assert int(process.url.rsplit(":", 1)[1]) > 0
    west: Any = process.client("eu-west-1")
    created = west.create_endpoint_config(EndpointConfigName="c", ExecutionRoleArn=ROLE, ProductionVariants=[
        {"VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}])
    assert created["EndpointConfigArn"] == "arn:aws:sagemaker:eu-west-1:123456789012:endpoint-config/c"
    west.create_endpoint(EndpointName="e", EndpointConfigName="c")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", process.url)  # no endpoint_url: from the environment
    # The same region as `west`: each region is its own account state, as on AWS.
    south = boto3.client("sagemaker", region_name="eu-west-1",
                         config=Config(retries={"total_max_attempts": 1}))
    west.create_inference_component(
        InferenceComponentName="ic", EndpointName="e", RuntimeConfig={"CopyCount": 1},
        Specification={"Container": {"Image": "repo/app:1"},
                       "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}})
    assert south.describe_inference_component(InferenceComponentName="ic")[
        "InferenceComponentStatus"] == "Creating"  # --transition-seconds
    assert len(south.list_inference_components()["InferenceComponents"]) == 4
    time.sleep(0.55)
    assert south.describe_inference_component(InferenceComponentName="ic")[
        "InferenceComponentStatus"] == "InService"
    with pytest.raises(ClientError) as throttled:  # --max-tps 20: a burst soon exceeds it
        for _ in range(60):
            south.describe_inference_component(InferenceComponentName="mistral-chat")
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    code, out, err = process.stop(signal.SIGTERM)
    assert (code, out) == (0, "")
    assert "Traceback" not in err
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["operation"] for e in entries[:4]] == [
        "CreateEndpointConfig", "CreateEndpoint", "CreateInferenceComponent", "DescribeInferenceComponent"]
    assert [e["status"] for e in entries] == [200] * (len(entries) - 1) + [400]


def test_sigint_stops_it_with_the_state_kept(tmp_path: Path, processes: list[Process]) -> None:
    state = tmp_path / "state.json"
    process = start(processes, "--state", str(state))
    process.client().create_model(ModelName="kept",  # type: ignore[attr-defined]
                                  ExecutionRoleArn="arn:aws:iam::123456789012:role/r")
    code, out, err = process.stop(signal.SIGINT)
    assert (code, out, err) == (0, "", "sandbox stopped\n")
    with Sandbox(port=0, state=state) as restarted:  # the same account, in a new sandbox
        assert restarted.account.models["kept"]["ModelArn"].endswith(":model/kept")


def test_port_in_use_is_a_clear_error() -> None:
    with Sandbox(port=0) as running:
        port = running.url.rsplit(":", 1)[1]
        busy = icsync("sandbox", "--port", port)
    assert busy.code == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}: Address already in use" in busy.err
    assert "Traceback" not in busy.all


def test_unusable_request_log_or_state_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for option in ("--request-log", "--state"):
        result = icsync("sandbox", "--port", "0", option, str(blocker / "x.json"))
        assert result.code == 1
        assert result.err.startswith(f"Error: {option} {blocker / 'x.json'}: ")
        assert "Traceback" not in result.all


def test_missing_seed_file_is_a_clear_error(tmp_path: Path) -> None:
    result = icsync("sandbox", "--port", "0", "--seed", str(tmp_path / "nope.yaml"))
    assert (result.code, result.err.strip()) == (1, f"Error: --seed {tmp_path / 'nope.yaml'}: no such file")
