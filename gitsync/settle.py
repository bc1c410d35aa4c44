"""Waiting for deployments at a cost per endpoint, not per component.

Why: a deployment takes minutes on AWS, and the account's API rate is shared with Application Auto
Scaling, which scales the same components through the same APIs. Polling Describe for each
component in flight spends that rate N times over. ListInferenceComponents filtered by endpoint
(EndpointNameEquals, in the service model) returns every component of the endpoint with its status
and LastModifiedTime, so one call answers every waiter on that endpoint: the waiters of an
endpoint share its readings and one backoff schedule, and a component is described once, to verify
it, after it has settled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from gitsync import aws
from gitsync.errors import AwsError

BUSY = ("Creating", "Updating", "Deleting")
# The readings a just-created component may be missing from, and those whose settled status with
# the LastModifiedTime seen before the call may still be the state before it: a list is read from
# an index that can lag the write it follows by a moment.
LAG_READINGS = 2

Summary = dict[str, Any]
Log = Callable[[str, str], None]


class Clock(Protocol):
    """What waits are measured and slept with: tests pass a fake one so that waits do not sleep."""

    def now(self) -> float:
        """Seconds on a clock that only moves forward (for intervals, not dates)."""
        ...

    def sleep(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class Pacing:
    poll_interval: float
    max_poll_interval: float
    heartbeat: float


@dataclass(frozen=True)
class Reading:
    at: float  # when the list call was sent, on the waiters' clock
    components: dict[str, Summary]


class StillDeploying(AwsError):
    """A wait ran out: the deployment goes on in AWS; apply run again waits for it."""


class _Watch:
    """One endpoint's latest reading and the schedule its waiters share."""

    def __init__(self, first_interval: float) -> None:
        self.lock = threading.Lock()
        self.reading: Reading | None = None
        self.next_poll = float("-inf")
        self.interval = first_interval
        self.waiters = 0


class Settler:
    """Readings of each endpoint's components, shared by the worker threads of one apply."""

    def __init__(self, clients: aws.Clients, clock: Clock, pacing: Pacing) -> None:
        self.clients, self.clock, self.pacing = clients, clock, pacing
        self._watches: dict[str, _Watch] = {}
        self._lock = threading.Lock()

    def _watch(self, endpoint: str) -> _Watch:
        with self._lock:
            return self._watches.setdefault(endpoint, _Watch(self.pacing.poll_interval))

    def read(self, endpoint: str, newer_than: float, inclusive: bool = False) -> Reading:
        """A reading of `endpoint` whose list call was sent after `newer_than` (or at it, when
        `inclusive`): the last one if it is, else a new one at the endpoint's next turn (one call,
        however many threads ask)."""
        watch = self._watch(endpoint)
        while True:
            with watch.lock:
                last = watch.reading
                if last is not None and (last.at > newer_than or inclusive and last.at == newer_than):
                    return last
                now = self.clock.now()
                if now >= watch.next_poll:
                    listed = aws.list_components(self.clients, endpoint=endpoint)
                    watch.reading = Reading(now, {s["InferenceComponentName"]: s for s in listed})
                    watch.next_poll = now + watch.interval
                    watch.interval = min(watch.interval * 1.5, self.pacing.max_poll_interval)
                    return watch.reading
                delay = watch.next_poll - now
            self.clock.sleep(delay)

    @contextmanager
    def _waiting(self, endpoint: str) -> Iterator[None]:
        """The endpoint's backoff starts over once nobody waits on it."""
        watch = self._watch(endpoint)
        with watch.lock:
            watch.waiters += 1
        try:
            yield
        finally:
            with watch.lock:
                watch.waiters -= 1
                if watch.waiters == 0:
                    watch.interval = self.pacing.poll_interval

    def settled(self, endpoint: str, name: str, since: float, timeout: float, log: Log,
                last_modified: Any = None, created: bool = False,
                phase: str = "settling") -> Summary | None:
        """The component's summary once it is not Creating/Updating/Deleting (None: it is gone),
        from readings sent after `since`. `last_modified`: its LastModifiedTime before the call
        that started the deployment awaited, so that a reading from before the call is not
        taken for its end."""
        started = last_beat = self.clock.now()
        seen_busy, readings, newer_than = False, 0, since
        with self._waiting(endpoint):
            while True:
                reading = self.read(endpoint, newer_than)
                newer_than, readings = reading.at, readings + 1
                found = reading.components.get(name)
                status = str(found["InferenceComponentStatus"]) if found else ""
                if found is None and not (created and readings < LAG_READINGS):
                    return None
                if found is not None and status not in BUSY and (
                        seen_busy or readings >= LAG_READINGS
                        or found.get("LastModifiedTime") != last_modified):
                    return found
                seen_busy = seen_busy or status in BUSY
                now = self.clock.now()
                if now - started > timeout:
                    raise StillDeploying(f"{name} still {status or 'deploying'} after {timeout:.0f}s "
                                         "(--timeout); it may still finish on its own")
                if now - last_beat >= self.pacing.heartbeat:
                    log(phase, f"still {status or 'deploying'}")
                    last_beat = now
