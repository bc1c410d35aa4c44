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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gitsync.capacity import (
    LABELS,
    RESOURCES,
    Amount,
    Capacity,
    CapacityError,
    EndpointCapacity,
    Placed,
    fmt,
    instances_for,
    usable,
)
from gitsync.plan import Action, Plan


@dataclass(frozen=True)
class Fleet:
    """An endpoint variant at its maximum: what one instance offers copies, how many instances it
    may have, and the copies on it while an update deploys (each component's larger of before and
    after: old copies stay until new ones run)."""

    offered: Amount
    max_count: int
    placed: tuple[Placed, ...]

    def fits(self, batches: Iterable[Placed]) -> bool:
        """Whether the batches find room beside the placed copies, each copy whole on an instance."""
        return instances_for(self.placed + tuple(batches), self.offered) <= self.max_count


class Room:
    """The endpoints' fleets, and the batch of new copies each update in the plan places while it
    deploys. An update waits until its batch fits beside the running copies and the batches of the
    updates deploying there now, or until it is the only one there."""

    def __init__(self, fleets: dict[str, Fleet], needs: dict[str, tuple[str, Placed]],
                 where: dict[str, str] | None = None) -> None:
        self.fleets, self.needs = fleets, needs
        self.where = where or {}
        self._held: dict[str, list[Placed]] = {}
        self._free = threading.Condition()

    @contextlib.contextmanager
    def held(self, name: str, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
        """While the component's deployment runs: its room on the endpoint, once free; `waiting`
        is told the endpoint when it must wait for it."""
        endpoint, need = self.needs.get(name, ("", Placed(name, 0, Amount())))
        fleet = self.fleets.get(endpoint)
        if fleet is None:
            yield
            return
        with self._free:
            held = self._held.setdefault(endpoint, [])
            if waiting is not None and not (not held or fleet.fits([*held, need])):
                waiting(endpoint)
            self._free.wait_for(lambda: not held or fleet.fits([*held, need]))
            held.append(need)
        try:
            yield
        finally:
            with self._free:
                held.remove(need)
                self._free.notify_all()


def _minus(a: Amount, b: Amount) -> Amount:
    return a + b.times(-1)


def _larger(before: Placed | None, after: Placed) -> Placed:
    """A component's copies while an update on its endpoint deploys: the more of before and after."""
    if before is None:
        return after
    most = Amount(*(max(before.per_copy.get(r), after.per_copy.get(r)) for r in RESOURCES))
    return Placed(after.name, max(before.copies, after.copies), most)


def room_of(plan: Plan, capacity: Capacity | None) -> Room | None:
    """The Room of the endpoints the plan updates, from the capacity check's figures (endpoints of
    one variant whose instance type icsync knows; others are not sequenced). A tenth of each
    instance's memory is taken as kept by the host (capacity.usable): updates take turns sooner,
    never fail for want of room icsync thought was there."""
    if capacity is None:
        return None
    rows: dict[str, list[EndpointCapacity]] = {}
    for row in capacity.endpoints:
        rows.setdefault(row.endpoint, []).append(row)
    fleets: dict[str, Fleet] = {}
    needs: dict[str, tuple[str, Placed]] = {}
    where: dict[str, str] = {}
    for change in plan.pending():
        found = rows.get(change.endpoint, [])
        if change.action is not Action.UPDATE or not change.deploys or len(found) != 1 \
                or found[0].per_instance is None:
            continue
        row, per_instance = found[0], found[0].per_instance
        placed = next((p for p in row.components if p.name == change.name), None)
        if placed is None or per_instance is None:
            continue
        if row.endpoint not in fleets:
            before = {p.name: p for p in row.placed_before}
            during = [_larger(before.pop(p.name, None), p) for p in row.components] + list(before.values())
            fleets[row.endpoint] = Fleet(usable(per_instance), row.max_count, tuple(during))
        update = next(c.params for c in change.calls if c.operation == "UpdateInferenceComponent")
        copies = batch(update, placed.copies)
        needs[change.name] = (row.endpoint, Placed(f"{change.name} (new)", copies, placed.per_copy))
        where[change.name] = (f"endpoint {row.endpoint} (variant {row.variant}, {row.instance_type}, "
                              f"at most {row.max_count} instance(s)): updating {change.name} places "
                              f"{copies} new cop{'y' if copies == 1 else 'ies'}")
    return Room(fleets, needs, where)


def impossible(plan: Plan, capacity: Capacity | None) -> None:
    """Refuse, before any call, an update whose new copies find no room beside the running ones
    even with the endpoint to itself, by the totals at its maximum with the whole memory of each
    instance (certain, unlike placing copies whole): AWS would refuse it or roll it back."""
    room = room_of(plan, capacity)
    if room is None:
        return
    errors = []
    rows = {row.endpoint: row for row in capacity.endpoints} if capacity else {}
    for name, (endpoint, need) in sorted(room.needs.items()):
        spare = _spare(rows[endpoint])
        total = need.per_copy.times(need.copies)
        errors += [f"{room.where[name]} needing {fmt(total.get(r))} {LABELS[r]} beside the running ones "
                   f"before it removes old ones, but only {fmt(max(0.0, spare.get(r)))} are free"
                   for r in RESOURCES if total.get(r) > spare.get(r)]
    if errors:
        raise CapacityError("\n".join(errors) + "\nThe update cannot be placed; nothing was applied. "
                            "Lower DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize, raise the "
                            "endpoint's ManagedInstanceScaling MaxInstanceCount, or free room on it first.")


def _spare(row: EndpointCapacity) -> Amount:
    """The totals left at the maximum count with each instance's whole memory, beside the more of
    what is placed before and after the plan (an upper bound of the room: copies go whole)."""
    most = Amount(*(max(row.before.get(r), row.after.get(r)) for r in RESOURCES))
    return _minus((row.per_instance or Amount()).times(row.max_count), most)


def batch(update: dict[str, Any], copies: int) -> int:
    """Copies an update places at once: its rolling policy's MaximumBatchSize, else all of them."""
    size = ((update.get("DeploymentConfig") or {}).get("RollingUpdatePolicy") or {}).get("MaximumBatchSize")
    if not size or not size.get("Value"):
        return copies
    if size.get("Type") == "COPY_COUNT":
        return min(copies, int(size["Value"]))
    return max(1, copies * int(size["Value"]) // 100)
