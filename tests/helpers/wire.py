"""Started sandboxes whose every SageMaker response is checked on the wire.

`WireCheck` watches boto3 clients through botocore's `after-call` event: the raw bytes of every
SageMaker response are parsed as JSON and checked against the installed botocore's output shape (no
unknown keys, every required key present, right types, timestamps as epoch numbers as AWS sends
them). The `sandbox` fixture (tests/conftest.py) fails any test that received a bad response.
"""

from __future__ import annotations

import json
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import Shape

from gitsync import model
from gitsync.sandbox import Sandbox


def wire_problems(shape: Shape | None, document: Any, path: str = "") -> list[str]:
    """Everything in `document` that AWS's output shape would not allow, as readable lines."""
    if shape is None:
        return [] if document == {} else [f"{path or 'response'}: expected an empty body"]
    problems = [f"{model.dotted(p.path) or 'response'}: {p.message}"
                for p in model.validate(shape, document)]
    return problems + _timestamp_problems(shape, document, path)


def _timestamp_problems(shape: Shape, value: Any, path: str) -> list[str]:
    """The JSON protocol sends timestamps as epoch seconds; botocore would reject anything else."""
    if shape.type_name == "timestamp":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: timestamp sent as {type(value).__name__} {value!r}"]
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members  # type: ignore[attr-defined]
        return [p for key, item in value.items() if key in members
                for p in _timestamp_problems(members[key], item, f"{path}.{key}")]
    if shape.type_name == "list" and isinstance(value, list):
        return [p for index, item in enumerate(value)
                for p in _timestamp_problems(shape.member, item, f"{path}[{index}]")]  # type: ignore[attr-defined]
    return []


def error_problems(document: Any) -> list[str]:
    """AWS's JSON error body: exactly `__type` and `message`, both strings."""
    if not isinstance(document, dict) or set(document) != {"__type", "message"}:
        return [f"error body {document!r} is not {{__type, message}}"]
    return [] if all(isinstance(v, str) for v in document.values()) else ["error fields not strings"]


class WireCheck:
    """Collects every shape problem of the SageMaker responses the watched clients receive."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()

    def watch(self, client: Any) -> Any:
        client.meta.events.register("after-call.sagemaker", self._after_call)
        return client

    def _after_call(self, http_response: Any, model: Any, **_: Any) -> None:
        try:
            document = json.loads(http_response.content or b"{}")
        except ValueError:
            document = http_response.content
        if http_response.status_code < 300:
            found = wire_problems(model.output_shape, document)
        else:
            found = error_problems(document)
        with self._lock:
            self.checked += 1
            self.problems += [f"{model.name}: {p}" for p in found]


class Started:
    """One running sandbox: its URL, request log, Python fault API and checked boto3 clients."""

    def __init__(self, sandbox: Sandbox, log: Path, wire: WireCheck) -> None:
        self.sandbox, self.log, self.wire, self.url = sandbox, log, wire, sandbox.url
        self.client = self.sagemaker()

    def sagemaker(self, region: str = "us-east-1", attempts: int | None = None) -> Any:
        """A checked SageMaker client; `attempts=1` sees raw faults (no retry)."""
        # botocore's `max_attempts` counts retries; `total_max_attempts` counts the first call too.
        config = Config(retries={"total_max_attempts": attempts, "mode": "standard"}) if attempts else None
        return self.wire.watch(boto3.client("sagemaker", endpoint_url=self.url, region_name=region,
                                            config=config))

    def boto(self, service: str, region: str = "us-east-1") -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name=region)

    def requests(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def endpoint(self, name: str = "ep", models: tuple[str, ...] = ("model-a",),
                 instance_type: str = "ml.g5.12xlarge") -> None:
        """A model per name and an IC-era endpoint (a variant with no model) to deploy onto."""
        for model_name in models:
            self.client.create_model(ModelName=model_name, ExecutionRoleArn=ROLE,
                                     PrimaryContainer={"Image": f"repo/{model_name}:1"})
        self.client.create_endpoint_config(EndpointConfigName=f"{name}-config", ExecutionRoleArn=ROLE,
                                           ProductionVariants=[{
            "VariantName": "AllTraffic", "InstanceType": instance_type, "InitialInstanceCount": 1,
            "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1,
                                       "MaxInstanceCount": 4},
            "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}}])
        self.client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")

    def component(self, name: str = "ic", endpoint: str = "ep", copies: int = 1,
                  image: str = "repo/app:1.0", **extra: Any) -> str:
        spec = {"ModelName": "model-a", "Container": {"Image": image},
                "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1,
                                                "MinMemoryRequiredInMb": 1024}}
        request = {"InferenceComponentName": name, "EndpointName": endpoint,
                   "VariantName": "AllTraffic", "Specification": spec,
                   "RuntimeConfig": {"CopyCount": copies}, **extra}
        return str(self.client.create_inference_component(**request)["InferenceComponentArn"])

    def describe(self, name: str = "ic") -> dict[str, Any]:
        described = dict(self.client.describe_inference_component(InferenceComponentName=name))
        described.pop("ResponseMetadata")
        return described


ROLE = "arn:aws:iam::123456789012:role/sagemaker"


class Sandboxes:
    """Starts sandboxes on free ports; stops them and checks the wire when the test ends."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path, self.wire, self._stack = tmp_path, WireCheck(), ExitStack()
        self.started = 0

    def __call__(self, **options: Any) -> Started:
        self.started += 1
        options.setdefault("request_log", self.tmp_path / f"requests-{self.started}.jsonl")
        sandbox = self._stack.enter_context(Sandbox(port=0, **options))
        return Started(sandbox, options["request_log"], self.wire)

    def close(self) -> None:
        self._stack.close()
        assert self.wire.problems == [], "\n".join(self.wire.problems)


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """AWS's error code and message of a refused call."""
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]
