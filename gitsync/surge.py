"""Updates on one endpoint that need spare capacity at the same time, taken in turn.

An update places its new copies before it removes the old ones (a rolling update a batch at a
time, MaximumBatchSize; without a rolling policy, every copy at once), so while it runs it needs
room on its endpoint's instances beyond what the plan leaves placed there. Several updates started
together on one endpoint can each fit alone and fail together on AWS ("There is not enough hardware
resources on the instances for this endpoint to create a copy of the inference component."): each
waits here until the room it needs is free, which the others give back as they settle. One that
needs more room than the endpoint ever has goes alone, for AWS to decide.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from gitsync.capacity import RESOURCES, Amount, Capacity
from gitsync.plan import Action, Plan


class Room:
    """Spare capacity per endpoint (at its maximum instance count, after the plan), and what each
    update in the plan needs of it while it deploys."""

    def __init__(self, spare: dict[str, Amount], needs: dict[str, tuple[str, Amount]]) -> None:
        self.spare, self.needs = dict(spare), needs
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
    for change in plan.pending():
        found = rows.get(change.endpoint, [])
        if change.action is not Action.UPDATE or not change.deploys or len(found) != 1 \
                or found[0].per_instance is None:
            continue
        row = found[0]
        placed = next((p for p in row.components if p.name == change.name), None)
        if placed is None:
            continue
        spare[row.endpoint] = _minus(row.per_instance.times(row.max_count), row.after)
        update = next(c.params for c in change.calls if c.operation == "UpdateInferenceComponent")
        needs[change.name] = (row.endpoint, placed.per_copy.times(batch(update, placed.copies)))
    return Room(spare, needs)


def batch(update: dict[str, Any], copies: int) -> int:
    """Copies an update places at once: its rolling policy's MaximumBatchSize, else all of them."""
    size = ((update.get("DeploymentConfig") or {}).get("RollingUpdatePolicy") or {}).get("MaximumBatchSize")
    if not size or not size.get("Value"):
        return copies
    if size.get("Type") == "COPY_COUNT":
        return min(copies, int(size["Value"]))
    return max(1, copies * int(size["Value"]) // 100)
