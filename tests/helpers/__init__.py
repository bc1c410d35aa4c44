"""Shared builders: run the CLI in-process, make projects, read the sandbox's request log.

Every helper more than one test file uses lives in this package (wire.py: sandboxes whose responses
are checked on the wire; clock.py: the executor's fake clock); test files import no other test file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from click.testing import CliRunner

from gitsync.cli import run
from gitsync.sandbox import Sandbox

MUTATING = ("Create", "Update", "Delete", "AddTags", "DeleteTags")
# A local port nothing listens on: a child process told no endpoint fails here at once rather
# than reach AWS (the socket guard of tests/conftest.py does not reach into child processes).
NOWHERE = "http://127.0.0.1:9"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def all(self) -> str:
        return self.out + self.err


PLAN_SCHEMA = json.loads(
    (Path(__file__).parents[2] / "gitsync" / "data" / "plan.schema.json").read_text())


def check_plan_document(document: Any) -> None:
    """Every JSON plan the suite produces must match the published schema."""
    jsonschema.validate(document, PLAN_SCHEMA)


def icsync(*args: str, input: str | None = None, env: dict[str, str | None] | None = None) -> Result:
    """Run one icsync command line in-process, as the console script would."""
    runner = CliRunner()
    argv = [str(a) for a in args]
    with runner.isolation(input=input, env=env) as (out, err, _):
        code = run(argv)
    result = Result(code, out.getvalue().decode(), err.getvalue().decode())
    if argv[:1] == ["plan"] and "json" in argv and "--query" not in argv and code in (0, 2):
        check_plan_document(json.loads(result.out))
    return result


def child_env(sandbox_url: str = NOWHERE, **extra: str) -> dict[str, str]:
    """The environment of an icsync child process: every AWS service at `sandbox_url`."""
    return {**os.environ, "AWS_ENDPOINT_URL": sandbox_url, **extra}


class Live:
    """A running sandbox with its request log and a boto3 client pointed at it."""

    def __init__(self, sandbox: Sandbox, log: Path) -> None:
        self.sandbox, self.log = sandbox, log
        self.url = sandbox.url
        self.client = boto3.client("sagemaker", endpoint_url=self.url, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")

    def boto(self, service: str) -> Any:
        """A client of another service the sandbox serves (Application Auto Scaling, STS, ...)."""
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def requests(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def operations(self) -> list[str]:
        return [r["operation"] for r in self.requests()]

    def mutating(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if r["operation"].startswith(MUTATING)]

    def clear_log(self) -> None:
        self.log.write_text("")

    def seed_endpoint(self, name: str = "ep", instance_type: str = "ml.g5.12xlarge",
                      count: int = 1, models: tuple[str, ...] = ("model-a", "model-b"),
                      max_count: int | None = 64, region: str = "us-east-1") -> None:
        """An endpoint with managed instance scaling up to `max_count` instances (None: fixed size),
        so that only tests about capacity meet the capacity check's limits. Each region is its own
        account state, as on AWS: `region` is the one it is made in."""
        client = self.client if region == "us-east-1" else boto3.client(
            "sagemaker", endpoint_url=self.url, region_name=region,
            aws_access_key_id="testing", aws_secret_access_key="testing")
        for model in models:
            client.create_model(ModelName=model, PrimaryContainer={"Image": f"img/{model}:1"})
        variant: dict[str, Any] = {"VariantName": "AllTraffic", "InstanceType": instance_type,
                                   "InitialInstanceCount": count}
        if max_count is not None:
            variant["ManagedInstanceScaling"] = {"Status": "ENABLED", "MinInstanceCount": count,
                                                 "MaxInstanceCount": max_count}
        client.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[variant],
                                      ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker")
        client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


@contextlib.contextmanager
def slow_sandbox(tmp_path: Path, seconds: float, seeded: bool = True) -> Iterator[Live]:
    """A sandbox whose every transition (create, update, delete) lasts `seconds`, with a request
    log, and (`seeded`) the default endpoint."""
    log = tmp_path / "slow.jsonl"
    with Sandbox(port=0, request_log=log, transition_seconds=seconds) as sandbox:
        live = Live(sandbox, log)
        if seeded:
            live.seed_endpoint()
        yield live


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


PROJECT = """
name: demo
manifests: ["components/*.yaml"]
environments:
  dev:
    values: values/dev.yaml
    region: us-east-1
"""

COMPONENT = """
InferenceComponentName: {{ name }}
EndpointName: ep
VariantName: AllTraffic
Specification:
  ModelName: model-a
  Container:
    Image: repo/app:{{ tag }}
    Environment:
      LOG_LEVEL: {{ log_level }}
      API_TOKEN: {{ token }}
  ComputeResourceRequirements:
    NumberOfAcceleratorDevicesRequired: 1
    MinMemoryRequiredInMb: 1024
RuntimeConfig:
  CopyCount: {{ copies }}
"""

VALUES = {"name": "web", "tag": "1.0", "log_level": "info", "token": "s3cr3t-value-123", "copies": 2}


def demo_project(root: Path, **values: Any) -> Path:
    """A one-component project whose values can be edited between plans."""
    merged = {**VALUES, **values}
    return write(root, {
        "icsync.yaml": PROJECT,
        "components/web.yaml": COMPONENT,
        "values/dev.yaml": "".join(f"{k}: {json.dumps(v)}\n" for k, v in merged.items()),
    })


def set_values(root: Path, **values: Any) -> None:
    demo_project(root, **values)


def signing_regions(caplog: pytest.LogCaptureFixture, live: Live) -> set[str]:
    """The region of the SigV4 credential scope of every request sent to this test's sandbox."""
    return {region for message in sent_to(caplog, live)
            for region in re.findall(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/sagemaker/", message)}


def credentials_used(caplog: pytest.LogCaptureFixture, live: Live) -> set[str]:
    return {key for message in sent_to(caplog, live)
            for key in re.findall(r"Credential=([^/]+)/", message)}


def sent_to(caplog: pytest.LogCaptureFixture, live: Live) -> list[str]:
    """botocore's log of each request sent to this sandbox (not other tests' leftover threads)."""
    messages = [r.getMessage() for r in caplog.records if r.name == "botocore.endpoint"]
    return [m for m in messages if "Sending http request" in m and f"url={live.url}/" in m]


CPU_MANIFEST = """
InferenceComponentName: {name}
EndpointName: {endpoint}
VariantName: AllTraffic
Specification:
  ModelName: model-a
  ComputeResourceRequirements:
    NumberOfCpuCoresRequired: 1
    MinMemoryRequiredInMb: 1024
RuntimeConfig:
  CopyCount: 1
"""


def project_of(root: Path, names: list[str], endpoint: str = "ep") -> Path:
    """A project of one CPU component per name, all on `endpoint`."""
    files = {f"components/{n}.yaml": CPU_MANIFEST.format(name=n, endpoint=endpoint) for n in names}
    return write(root, {"icsync.yaml": PROJECT, "values/dev.yaml": "x: 1\n", **files})
