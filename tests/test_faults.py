"""AWS's bad days: each fault ends with a report of what was and was not applied, then converges."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.helpers import PROJECT, Live, demo_project, icsync, write

SPEC = """
InferenceComponentName: {name}
EndpointName: ep
Specification:
  ModelName: model-a
  ComputeResourceRequirements: {{NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024}}
RuntimeConfig: {{CopyCount: 1}}
"""


def args(root: Path, live: Live) -> list[object]:
    return ["-C", root, "--env", "dev", "--endpoint-url", live.url]


def test_endpoint_deleted_in_the_middle_of_an_apply(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = write(tmp_path / "p", {"icsync.yaml": PROJECT, "values/dev.yaml": "x: 1\n",
                                  **{f"components/c{n}.yaml": SPEC.format(name=f"c{n}") for n in range(3)}})
    live.sandbox.set_stuck("c0")  # c0 deploys until the endpoint is gone

    def delete_endpoint_during_the_first_deployment() -> None:
        deadline = time.monotonic() + 60
        while "CreateInferenceComponent" not in live.operations() and time.monotonic() < deadline:
            time.sleep(0.02)
        live.client.delete_endpoint(EndpointName="ep")
        live.sandbox.set_stuck("c0", False)

    threading.Thread(target=delete_endpoint_during_the_first_deployment, daemon=True).start()
    result = icsync("apply", *args(root, live), "--auto-approve", "--parallelism", "1")
    assert result.code == 1
    table = result.out[result.out.index("component"):]
    assert "c0" in table and "applied" in table
    assert table.count("Could not find endpoint") == 2
    assert "Apply: 1 applied, 2 failed." in result.out
    live.client.create_endpoint(EndpointName="ep", EndpointConfigName="ep-config")
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    assert "No changes." in icsync("plan", *args(root, live)).out


def test_throttling_storm_during_plan(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    assert icsync("apply", *args(root, live), "--auto-approve").code == 0
    live.sandbox.fail_calls("*", "throttle", 4)
    result = icsync("plan", *args(root, live), "--detailed-exitcode")
    assert result.code == 0, result.all
    assert sum(1 for r in live.requests() if r["status"] == 400) >= 4


def test_expired_credentials_name_the_profile(tmp_path: Path, live: Live, monkeypatch) -> None:
    live.seed_endpoint()
    config = tmp_path / "aws-config"
    config.write_text("[profile deployer]\nregion = us-east-1\naws_access_key_id = AKIDEXPIRED\n"
                      "aws_secret_access_key = old-secret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    root = demo_project(tmp_path / "p")
    live.sandbox.fail_calls("ListInferenceComponents", "expired", 1)
    result = icsync("plan", *args(root, live), "--profile", "deployer")
    assert result.code == 1
    assert "ExpiredTokenException: The security token included in the request is expired" in result.err
    assert "AWS refused profile `deployer` for environment `dev`" in result.err
    assert "aws sso login --profile deployer" in result.err
    assert "Traceback" not in result.all and len(result.err.splitlines()) <= 3
    live.sandbox.fail_calls("ListInferenceComponents", "expired", 1)
    unnamed = icsync("plan", *args(root, live))
    assert unnamed.code == 1 and "AWS refused the credentials in this environment" in unnamed.err
