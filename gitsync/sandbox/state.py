"""The emulated account: models, endpoints, inference components and tags, with AWS's state machine.

Status transitions are computed lazily from the clock on every access, so no background thread runs.
"""

from __future__ import annotations

import copy
import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from gitsync.sandbox.switches import Switches
from gitsync.sandbox.timing import Timing

ACCOUNT_ID = "123456789012"
_DIGEST = re.compile(r"[0-9a-f]{64}")


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def clock() -> float:
    """Now, to the millisecond: AWS's JSON timestamps carry milliseconds, no finer."""
    return round(time.time(), 3)


# The names AWS's refusals give a busy component's state (its status says Creating, Updating,
# Deleting). Seen in public teardown scripts' notes and test fixtures run against AWS: "Cannot
# update inference component ... while it is in state UPDATE_RC_IN_PROGRESS", "Cannot delete
# inference component ... while it is in state CREATE_IN_PROGRESS"; the Terraform AWS provider
# (internal/service/sagemaker/inference_component.go) matches "DELETE_IN_PROGRESS" on a delete.
# UPDATE_IN_PROGRESS (a specification update) and FAILED follow the same pattern, unseen.
BUSY_STATES = {"Creating": "CREATE_IN_PROGRESS", "Updating": "UPDATE_IN_PROGRESS",
               "Deleting": "DELETE_IN_PROGRESS", "Failed": "FAILED"}


@dataclass
class Pending:
    """What a component becomes when its current transition ends."""

    until: float
    status: str | None  # None: the component is deleted
    rollback: dict[str, Any] | None = None  # spec to restore when the deployment fails
    failure: str | None = None
    state: str = ""  # AWS's name for the work under way (UPDATE_RC_IN_PROGRESS, ...)
    # A specification update's previous deployment, whose copies run until the update ends.
    old_copies: dict[str, Any] | None = None


@dataclass
class Account:
    region: str = "us-east-1"
    timing: Timing = field(default_factory=Timing)
    switches: Switches = field(default_factory=Switches)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    endpoint_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    image_digests: dict[str, str] = field(default_factory=dict)
    pending: dict[str, Pending] = field(default_factory=dict)
    # Faults keyed by component name: a failure reason for the next deployment, or "stuck".
    fail_next_deployment: dict[str, str] = field(default_factory=dict)
    stuck: set[str] = field(default_factory=set)
    # How each component's container answers InvokeEndpoint (invocations.py); none: it echoes.
    invocations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Managed instance scaling under way, by "endpoint/variant": {count, starts, until} (scaling.py),
    # when each endpoint's last deployment ended (the idle time before a release counts from it), and
    # since when the endpoints the sandbox shows Updating for that reason have been.
    resizes: dict[str, dict[str, Any]] = field(default_factory=dict)
    quiet_since: dict[str, float] = field(default_factory=dict)
    shown_updating: dict[str, float] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def arn(self, kind: str, name: str) -> str:
        """AWS lower-cases the names in model, endpoint-config and endpoint ARNs, but an inference
        component's ARN keeps its name's case (as public sample notebooks' saved outputs show)."""
        shown = name if kind == "inference-component" else name.lower()
        return f"arn:aws:sagemaker:{self.region}:{ACCOUNT_ID}:{kind}/{shown}"

    def set_image_digest(self, image: str, digest: str) -> None:
        digest = digest.removeprefix("sha256:")
        if not _DIGEST.fullmatch(digest):
            raise ValueError(f"digest must be sha256: and 64 hex digits, not {digest!r}")
        self.image_digests[image] = digest

    # -- images -------------------------------------------------------------------------------
    def resolve_image(self, image: str) -> str:
        """A tag resolves to a digest at deployment time, as ECR does; a digest stays as it is."""
        if "@sha256:" in image:
            return image
        digest = self.image_digests.get(image) or hashlib.sha256(image.encode()).hexdigest()
        repository = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
        return f"{repository}@sha256:{digest}"

    def deployed_spec(self, spec: dict[str, Any], now: float) -> dict[str, Any]:
        """CreateInferenceComponent's Specification -> DescribeInferenceComponent's."""
        out = copy.deepcopy(spec)
        container = out.get("Container")
        if container and "Image" in container:
            image = container.pop("Image")
            container["DeployedImage"] = {
                "SpecifiedImage": image,
                "ResolvedImage": self.resolve_image(image),
                "ResolutionTime": now,
            }
        return out

    # -- transitions --------------------------------------------------------------------------
    def settle(self, now: float | None = None) -> None:
        now = clock() if now is None else now
        for name, pending in list(self.pending.items()):
            if pending.until <= now and name not in self.stuck:
                self._finish(name, pending, now)

    def _finish(self, name: str, pending: Pending, now: float) -> None:
        del self.pending[name]
        component = self.components[name]
        endpoint = component["EndpointName"]
        self.quiet_since[endpoint] = max(self.quiet_since.get(endpoint, 0.0), pending.until)
        if pending.status is None:
            del self.components[name]
            self.tags.pop(component["InferenceComponentArn"], None)
            return
        if pending.rollback is not None:
            for key in ("Specification", "Specifications", "RuntimeConfig"):
                component.pop(key, None)
            component.update(copy.deepcopy(pending.rollback))
        if pending.failure:
            component["FailureReason"] = pending.failure
        elif not self.switches.failure_reason_sticks:
            component.pop("FailureReason", None)
        component["InferenceComponentStatus"] = pending.status
        runtime = component.get("RuntimeConfig", {})
        if pending.status == "InService" and "DesiredCopyCount" in runtime:
            runtime["CurrentCopyCount"] = runtime["DesiredCopyCount"]
        component["LastModifiedTime"] = now

    def begin(self, name: str, status: str, final: str | None, *, real_seconds: float,
              state: str = "", **kwargs: Any) -> None:
        """Start a transition that lasts `real_seconds` on AWS (as the timing plays it)."""
        now = clock()
        self.components[name]["InferenceComponentStatus"] = status
        self.components[name]["LastModifiedTime"] = now
        until = now + self.timing.seconds(real_seconds)
        self.pending[name] = Pending(until, final, state=state or BUSY_STATES[status], **kwargs)
        self.settle(now)

    def component(self, name: str) -> dict[str, Any]:
        self.settle()
        found = self.components.get(name)
        if found is None:
            raise validation(f'Could not find inference component "{self.arn("inference-component", name)}".')
        return found

    def require_in_service(self, name: str, action: str) -> dict[str, Any]:
        component = self.component(name)
        status = component["InferenceComponentStatus"]
        allowed = ("InService", "Failed") if action == "delete" else ("InService",)
        if status not in allowed:
            pending = self.pending.get(name)
            state = pending.state if pending and pending.state else BUSY_STATES.get(status, status)
            raise validation(f"Cannot {action} inference component {name} while it is in state {state}")
        return component
