"""A plan is a value: what each component needs, the calls that will do it, and why.

Only the value types live here (they import nothing else from gitsync): the planner builds them
(planner.py), the executor consumes them, the views render them."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = "1.0"
# The calls that (re)deploy a component's specification, and those that change its copies.
DEPLOYS = ("CreateInferenceComponent", "UpdateInferenceComponent")
# AWS's statuses of a component whose deployment (or delete) is still under way.
IN_PROGRESS = ("Creating", "Updating", "Deleting")
PLACES = (*DEPLOYS, "UpdateInferenceComponentRuntimeConfig")


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SCALE = "scale"
    TAG = "tag"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "noop"
    WAIT = "wait"  # a deployment is under way and nothing else is due: apply waits for it


SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.SCALE: "~", Action.TAG: "~",
           Action.REPLACE: "-/+", Action.DELETE: "-", Action.NOOP: " ", Action.WAIT: "*"}


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any
    sensitive: bool = False
    ignored: bool = False
    forces_replacement: bool = False
    set_by_aws: bool = False  # live only, and not applied by icsync (three-way diff): not a change


@dataclass(frozen=True)
class Call:
    """One API call apply will make, with its exact parameters (secrets included: never rendered)."""

    operation: str
    params: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class ComponentChange:
    name: str
    endpoint: str
    action: Action
    reason: str
    fields: tuple[FieldChange, ...] = ()
    calls: tuple[Call, ...] = ()
    wave: int = 0
    base: str | None = None
    live_fingerprint: str | None = None
    unchanged_fields: int = 0
    timeout: float | None = None  # DeploymentConfig's MaximumExecutionTimeoutInSeconds
    desired: dict[str, Any] | None = field(default=None, hash=False, compare=False, repr=False)
    status: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def in_progress(self) -> bool:
        """AWS is still creating, updating or deleting it."""
        return self.status.get("InferenceComponentStatus") in IN_PROGRESS

    @property
    def failed(self) -> bool:
        return self.status.get("InferenceComponentStatus") == "Failed"

    @property
    def deploys(self) -> bool:
        """It sends a specification (create or update): the checks of models and endpoints apply."""
        return any(c.operation in DEPLOYS for c in self.calls)

    @property
    def places(self) -> bool:
        """It places copies on its endpoint (deploys, or changes the copy count)."""
        return any(c.operation in PLACES for c in self.calls)


@dataclass(frozen=True)
class Plan:
    environment: str
    project: str
    changes: tuple[ComponentChange, ...]
    unmanaged: tuple[str, ...] = ()
    region: str | None = None  # where the plan was made, for its header: None in pure tests
    account: str | None = None
    # What the manifests ask that AWS may refuse, each `file:line:column: message at `path``
    warnings: tuple[str, ...] = ()

    def summary(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        counts["unmanaged"] = len(self.unmanaged)
        return counts

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.NOOP for c in self.changes)

    @property
    def has_destroy(self) -> bool:
        return any(c.action in (Action.DELETE, Action.REPLACE) for c in self.changes)

    @property
    def in_progress(self) -> int:
        return sum(1 for c in self.changes if c.in_progress)

    def pending(self) -> list[ComponentChange]:
        return [c for c in self.changes if c.action is not Action.NOOP]


def fingerprint(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]
