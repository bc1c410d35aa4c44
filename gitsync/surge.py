"""Updates on one endpoint that need spare capacity at the same time, taken in turn.

An update places its new copies before it removes the old ones (a rolling update a batch at a
time, MaximumBatchSize; without a rolling policy, every copy at once), so while it runs it needs
room on its endpoint's instances beyond what is placed there before and after the plan. Several updates started
together on one endpoint can each fit alone and fail together on AWS ("There is not enough hardware
resources on the instances for this endpoint to create a copy of the inference component."): each
waits here until the room it needs is free, which the others give back as they settle. One that
needs more room than the endpoint ever has is refused before anything is applied (`impossible`):
AWS refuses such an update at the call, or starts it and rolls it back.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from gitsync.capacity import LABELS, RESOURCES, Amount, Capacity, CapacityError, fmt
from gitsync.plan import Action, Plan


class Room:
    """Spare capacity per endpoint (at its maximum instance count, beside what is placed there before
    or after the plan, whichever is more), and what each update in the plan needs of it while it
    deploys."""

    def __init__(self, spare: dict[str, Amount], needs: dict[str, tuple[str, Amount]],
                 where: dict[str, str] | None = None) -> None:
        self.spare, self.needs = dict(spare), needs
        self.where = where or {}
        self._holders: dict[str, int] = {}
        self._free = threading.Condition()

    @contextlib.contextmanager
    def held(self, name: str) -> Iterator[None]:
        """While the component's deployment runs: its room on the endpoint, once free."""
        endpoint, need = self.needs.get(name, ("", Amount()))
        if endpoint not in self.spare:
            yield
            return
        with self._free:
            self._free.wait_for(lambda: self._fits(endpoint, need) or not self._holders.get(endpoint))
            self.spare[endpoint] = _minus(self.spare[endpoint], need)
            self._holders[endpoint] = self._holders.get(endpoint, 0) + 1
        try:
            yield
        finally:
            with self._free:
                self.spare[endpoint] = self.spare[endpoint] + need
                self._holders[endpoint] -= 1
                self._free.notify_all()

    def _fits(self, endpoint: str, need: Amount) -> bool:
        return all(need.get(r) <= self.spare[endpoint].get(r) for r in RESOURCES)


def _minus(a: Amount, b: Amount) -> Amount:
    return a + b.times(-1)


def room_of(plan: Plan, capacity: Capacity | None) -> Room | None:
    """The Room of the endpoints the plan updates, from the capacity check's figures (endpoints of
    one variant whose instance type icsync knows; others are not sequenced)."""
    if capacity is None:
        return None
    rows: dict[str, list[Any]] = {}
    for row in capacity.endpoints:
        rows.setdefault(row.endpoint, []).append(row)
    spare: dict[str, Amount] = {}
    needs: dict[str, tuple[str, Amount]] = {}
    where: dict[str, str] = {}
    for change in plan.pending():
        found = rows.get(change.endpoint, [])
        if change.action is not Action.UPDATE or not change.deploys or len(found) != 1 \
                or found[0].per_instance is None:
            continue
        row = found[0]
        placed = next((p for p in row.components if p.name == change.name), None)
        if placed is None:
            continue
        # The old copies stay while the first batch deploys: the more of before and after counts.
        placed_most = Amount(*(max(row.before.get(r), row.after.get(r)) for r in RESOURCES))
        spare[row.endpoint] = _minus(row.per_instance.times(row.max_count), placed_most)
        update = next(c.params for c in change.calls if c.operation == "UpdateInferenceComponent")
        copies = batch(update, placed.copies)
        needs[change.name] = (row.endpoint, placed.per_copy.times(copies))
        where[change.name] = (f"endpoint {row.endpoint} (variant {row.variant}, {row.instance_type}, "
                              f"at most {row.max_count} instance(s)): updating {change.name} places "
                              f"{copies} new cop{'y' if copies == 1 else 'ies'}")
    return Room(spare, needs, where)


def impossible(plan: Plan, capacity: Capacity | None) -> None:
    """Refuse, before any call, an update whose new copies find no room beside the running ones
    even with the endpoint to itself: AWS would refuse it or roll it back."""
    room = room_of(plan, capacity)
    if room is None:
        return
    errors = []
    for name, (endpoint, need) in sorted(room.needs.items()):
        spare = room.spare[endpoint]
        errors += [f"{room.where[name]} needing {fmt(need.get(r))} {LABELS[r]} beside the running ones "
                   f"before it removes old ones, but only {fmt(max(0.0, spare.get(r)))} are free"
                   for r in RESOURCES if need.get(r) > spare.get(r)]
    if errors:
        raise CapacityError("\n".join(errors) + "\nThe update cannot be placed; nothing was applied. "
                            "Lower DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize, raise the "
                            "endpoint's ManagedInstanceScaling MaxInstanceCount, or free room on it first.")


def batch(update: dict[str, Any], copies: int) -> int:
    """Copies an update places at once: its rolling policy's MaximumBatchSize, else all of them."""
    size = ((update.get("DeploymentConfig") or {}).get("RollingUpdatePolicy") or {}).get("MaximumBatchSize")
    if not size or not size.get("Value"):
        return copies
    if size.get("Type") == "COPY_COUNT":
        return min(copies, int(size["Value"]))
    return max(1, copies * int(size["Value"]) // 100)
