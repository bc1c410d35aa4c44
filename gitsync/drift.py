"""Drift is a reading of plans: per environment, what each component's plan says about live state.

`from_plan` is pure. A plan's `create` means missing live, an in-place change means modified
(its non-ignored fields), and differences an ignore rule covers are expected, not drift.
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


DRIFT = (Status.MODIFIED, Status.MISSING, Status.UNMANAGED)


@dataclass(frozen=True)
class ComponentDrift:
    name: str
    endpoint: str
    status: Status
    fields: tuple[FieldChange, ...] = ()  # what drifted (live = before, git = after)
    expected: tuple[FieldChange, ...] = ()  # differences covered by an ignore rule


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
    counts = {"total": len(components)} | {status.value: 0 for status in Status}
    for component in components:
        counts[component.status.value] += 1
    counts["drifted"] = sum(counts[s.value] for s in DRIFT)
    return counts


def _component(change: ComponentChange) -> ComponentDrift:
    if change.action is Action.CREATE:
        return ComponentDrift(change.name, change.endpoint, Status.MISSING)
    drifted = tuple(f for f in change.fields if not f.ignored)
    expected = tuple(f for f in change.fields if f.ignored)
    if change.action is Action.NOOP:
        status = Status.EXPECTED if expected else Status.IN_SYNC
        return ComponentDrift(change.name, change.endpoint, status, (), expected)
    return ComponentDrift(change.name, change.endpoint, Status.MODIFIED, drifted, expected)


def from_plan(plan: Plan) -> EnvironmentDrift:
    """The plan must be made without --prune, so that extra live components stay `unmanaged`."""
    found = [_component(c) for c in plan.changes if c.action is not Action.DELETE]
    # The plan keeps only the names of unmanaged components (each is on a managed endpoint).
    found += [ComponentDrift(name, "", Status.UNMANAGED) for name in plan.unmanaged]
    return EnvironmentDrift(plan.environment, plan.project, tuple(found))
