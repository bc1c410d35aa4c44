"""Drift is a reading of plans: per environment, what each component's plan says about live state.

`from_plan` is pure. A plan's `create` means missing live, an in-place change means modified
(its non-ignored fields), and differences an ignore rule covers are expected, not drift. Fields AWS
set and icsync never applied (three-way diff) are no drift. A component AWS is still deploying, or
reports Failed, is never in sync: it is in progress, or failed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gitsync.plan import Action, ComponentChange, FieldChange, Plan


class Status(enum.StrEnum):
    IN_SYNC = "in_sync"
    EXPECTED = "expected"  # differs only where an ignore rule says it may (an autoscaler, ...)
    MODIFIED = "modified"
    MISSING = "missing"
    UNMANAGED = "unmanaged"
    IN_PROGRESS = "in_progress"  # Creating, Updating or Deleting: live is not settled
    FAILED = "failed"  # AWS reports it Failed


DRIFT = (Status.MODIFIED, Status.MISSING, Status.UNMANAGED, Status.IN_PROGRESS, Status.FAILED)
# Counted in a summary only when some component has them (the summary's keys before them stay).
RARE = (Status.IN_PROGRESS, Status.FAILED)


@dataclass(frozen=True)
class ComponentDrift:
    name: str
    endpoint: str
    status: Status
    fields: tuple[FieldChange, ...] = ()  # what drifted (live = before, git = after)
    expected: tuple[FieldChange, ...] = ()  # differences covered by an ignore rule
    detail: str = ""  # AWS's status and FailureReason, for in_progress and failed


@dataclass(frozen=True)
class EnvironmentDrift:
    environment: str
    project: str
    components: tuple[ComponentDrift, ...]

    def summary(self) -> dict[str, int]:
        return count(self.components)

    @property
    def drifted(self) -> bool:
        return any(c.status in DRIFT for c in self.components)


@dataclass(frozen=True)
class DriftReport:
    environments: tuple[EnvironmentDrift, ...]

    def summary(self) -> dict[str, int]:
        return count(tuple(c for e in self.environments for c in e.components))

    @property
    def drifted(self) -> bool:
        return any(e.drifted for e in self.environments)


def count(components: tuple[ComponentDrift, ...]) -> dict[str, int]:
    counts = {"total": len(components)} | {s.value: 0 for s in Status if s not in RARE}
    for component in components:
        counts[component.status.value] = counts.get(component.status.value, 0) + 1
    counts["drifted"] = sum(counts.get(s.value, 0) for s in DRIFT)
    return counts


def _component(change: ComponentChange) -> ComponentDrift:
    if change.action is Action.CREATE:
        return ComponentDrift(change.name, change.endpoint, Status.MISSING)
    # icsync's own tags (ownership an apply would add) are bookkeeping, not drift.
    fields = [f for f in change.fields if not (f.set_by_aws or f.path.startswith("Tags.icsync:"))]
    drifted = tuple(f for f in fields if not f.ignored)
    expected = tuple(f for f in fields if f.ignored)
    if change.in_progress or change.failed:
        detail = ": ".join(str(change.status[k]) for k in ("InferenceComponentStatus", "FailureReason")
                           if change.status.get(k))
        status = Status.IN_PROGRESS if change.in_progress else Status.FAILED
        return ComponentDrift(change.name, change.endpoint, status, drifted, expected, detail)
    if change.action is Action.NOOP or (change.action is Action.TAG and not drifted):
        status = Status.EXPECTED if expected else Status.IN_SYNC
        return ComponentDrift(change.name, change.endpoint, status, (), expected)
    return ComponentDrift(change.name, change.endpoint, Status.MODIFIED, drifted, expected)


def from_plan(plan: Plan) -> EnvironmentDrift:
    """The plan must be made without --prune, so that extra live components stay `unmanaged`."""
    found = [_component(c) for c in plan.changes if c.action is not Action.DELETE]
    # The plan keeps only the names of unmanaged components (each is on a managed endpoint).
    found += [ComponentDrift(name, "", Status.UNMANAGED) for name in plan.unmanaged]
    return EnvironmentDrift(plan.environment, plan.project, tuple(found))
