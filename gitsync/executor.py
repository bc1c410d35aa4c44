"""Apply a Plan: ordering, parallelism, waiting, verification. Plan -> ApplyResult; never re-plans."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from gitsync import aws, normalize
from gitsync.diff import diff
from gitsync.errors import AwsError
from gitsync.outcome import ApplyResult, Event, Outcome, Report, Result
from gitsync.plan import Action, ComponentChange, Plan

BUSY = ("Creating", "Updating", "Deleting")
DEFAULT_TIMEOUT = 1800.0


class Clock(Protocol):
    """What the executor waits with: tests pass a fake one so that waits do not sleep."""

    def now(self) -> float:
        """Seconds on a clock that only moves forward (for intervals, not dates)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """time.monotonic and time.sleep."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class ApplySettings:
    parallelism: int = 10
    timeout: float | None = None  # None: the component's MaximumExecutionTimeoutInSeconds, else 30 min
    poll_interval: float = 0.2
    max_poll_interval: float = 10
    heartbeat: float = 60
    fail_fast: bool = False
    wait_busy: bool = True
    clock: Clock = field(default_factory=RealClock, compare=False)


class Stop:
    """Set on Ctrl-C or --fail-fast: start nothing new."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason = ""
        self.running: set[str] = set()  # components with a call in flight, named on interrupt
        self._lock = threading.Lock()

    def track(self, name: str, running: bool) -> None:
        with self._lock:
            (self.running.add if running else self.running.discard)(name)

    def in_flight(self) -> list[str]:
        with self._lock:
            return sorted(self.running)

    def set(self, reason: str) -> None:
        self.reason = self.reason or reason
        self.event.set()


def stages(plan: Plan) -> list[list[ComponentChange]]:
    """Waves in order; within a wave, bases before adapters; deletes last, in reverse order."""
    pending = plan.pending()
    in_plan = {c.name for c in pending}
    forward = [c for c in pending if c.action is not Action.DELETE]
    deletes = [c for c in pending if c.action is Action.DELETE]

    def key(change: ComponentChange) -> tuple[int, int]:
        return (change.wave, 1 if change.base in in_plan else 0)

    groups: dict[tuple[int, int], list[ComponentChange]] = {}
    for change in forward:
        groups.setdefault(key(change), []).append(change)
    ordered = [groups[k] for k in sorted(groups)]
    delete_groups: dict[tuple[int, int], list[ComponentChange]] = {}
    for change in deletes:
        delete_groups.setdefault(key(change), []).append(change)
    return ordered + [delete_groups[k] for k in sorted(delete_groups, reverse=True)]


def apply(plan: Plan, clients: aws.Clients, settings: ApplySettings, report: Report,
          stop: Stop | None = None) -> ApplyResult:
    stop = stop or Stop()
    results: list[Result] = []
    for stage in stages(plan):
        if stop.event.is_set():
            results += [Result(c.name, c.action, Outcome.SKIPPED, 0, stop.reason) for c in stage]
            continue
        with ThreadPoolExecutor(max_workers=max(1, settings.parallelism)) as pool:
            results += list(pool.map(lambda c: _guarded(c, clients, settings, report, stop), stage))
    return ApplyResult(tuple(results))


def _guarded(change: ComponentChange, clients: aws.Clients, settings: ApplySettings, report: Report,
             stop: Stop) -> Result:
    if stop.event.is_set():
        report(Event(change.name, change.action, Outcome.SKIPPED.value, stop.reason))
        return Result(change.name, change.action, Outcome.SKIPPED, 0, stop.reason)
    clock = settings.clock
    started = clock.now()
    tracker = _Tracker(change, report, clock, started)
    stop.track(change.name, True)
    try:
        outcome, message = _apply_one(change, clients, settings, tracker)
    except AwsError as error:
        outcome, message = Outcome.FAILED, str(error)
    finally:
        stop.track(change.name, False)
    elapsed = clock.now() - started
    tracker(outcome.value, message)
    if outcome is not Outcome.APPLIED and settings.fail_fast:
        stop.set("not started: an earlier component failed (--fail-fast)")
    return Result(change.name, change.action, outcome, elapsed, message)


class _Tracker:
    """Reports one component's events with the time since it started."""

    def __init__(self, change: ComponentChange, report: Report, clock: Clock, started: float) -> None:
        self.change, self.report, self.clock, self.started = change, report, clock, started

    def __call__(self, phase: str, detail: str = "") -> None:
        self.report(Event(self.change.name, self.change.action, phase, detail,
                          self.clock.now() - self.started))


def _apply_one(change: ComponentChange, clients: aws.Clients, settings: ApplySettings,
               log: _Tracker) -> tuple[Outcome, str]:
    if change.action is not Action.CREATE:
        current = wait_settled(clients, change.name, settings, log, before=True, timeout=change.timeout)
        if current is None and change.action is not Action.DELETE:
            return Outcome.FAILED, "component disappeared since the plan"
    for call in change.calls:
        log("calling", call.operation)
        aws.send(clients, call.operation, call.params)
        if call.operation in ("CreateInferenceComponent", "UpdateInferenceComponent",
                              "UpdateInferenceComponentRuntimeConfig", "DeleteInferenceComponent"):
            settled = wait_settled(clients, change.name, settings, log, timeout=change.timeout)
            if call.operation == "DeleteInferenceComponent":
                if settled is not None and change.action is Action.DELETE:
                    return Outcome.FAILED, f"still {settled['InferenceComponentStatus']} after delete"
                continue
            if settled is None:
                return Outcome.FAILED, "component vanished while deploying"
            verdict = verify(change, call.params, settled)
            if verdict is not None:
                return verdict
    return Outcome.APPLIED, ""


def wait_settled(clients: aws.Clients, name: str, settings: ApplySettings, log: _Tracker,
                 before: bool = False, timeout: float | None = None) -> dict[str, object] | None:
    """Poll Describe with backoff until the component is not Creating/Updating/Deleting."""
    timeout = settings.timeout or timeout or DEFAULT_TIMEOUT
    clock = settings.clock
    started = last_beat = clock.now()
    interval = settings.poll_interval
    while True:
        found = aws.describe_component(clients, name)
        if found is None or found["InferenceComponentStatus"] not in BUSY:
            return found
        if before and not settings.wait_busy:
            raise AwsError(f"{name} is {found['InferenceComponentStatus']}; not waiting (--no-wait-busy)")
        now = clock.now()
        if now - started > timeout:
            raise AwsError(f"{name} still {found['InferenceComponentStatus']} after "
                           f"{timeout:.0f}s (--timeout); it may still finish on its own")
        if now - last_beat >= settings.heartbeat:
            log("waiting" if before else "settling", f"still {found['InferenceComponentStatus']}")
            last_beat = now
        clock.sleep(interval)
        interval = min(interval * 1.5, settings.max_poll_interval)


def verify(change: ComponentChange, sent: dict[str, object],
           settled: dict[str, object]) -> tuple[Outcome, str] | None:
    """InService is not success: the live sections must be what was sent, or it was rolled back."""
    status = settled.get("InferenceComponentStatus")
    reason = str(settled.get("FailureReason") or "")
    if status == "Failed":
        return Outcome.FAILED, reason or "deployment failed"
    if change.desired is None:
        return None
    keys = [k for k in ("Specification", "Specifications", "RuntimeConfig") if k in sent]
    if "DesiredRuntimeConfig" in sent:
        keys.append("RuntimeConfig")
    live = normalize.comparable_live(settled, {}, change.desired)
    mismatch = diff({k: live.get(k) for k in keys}, {k: change.desired.get(k) for k in keys})
    if mismatch or reason:
        detail = reason or "live specification differs from what was sent: " + ", ".join(
            d.path for d in mismatch[:5])
        return Outcome.ROLLED_BACK, detail
    return None
