"""Apply a Plan: ordering, parallelism, waiting, verification. Plan -> ApplyResult; never re-plans.

Everything apply sends goes through one rate limiter (ratelimit.py, as plan's reads do), so that
a large apply spends the account's API rate evenly instead of in throttled bursts: the account
shares that rate with Application Auto Scaling, which scales the same components. Waiting costs
calls per endpoint (settle.py); each component is described once, to verify it (verify.py)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gitsync import aws, smoke
from gitsync.errors import AwsError
from gitsync.manifests.options import Smoke
from gitsync.outcome import ApplyResult, Event, Outcome, Report, Result
from gitsync.plan import PLACES, Action, Call, ComponentChange, Plan
from gitsync.ratelimit import THROTTLING_CODES, RateLimiter
from gitsync.settle import BUSY, Clock, Pacing, Settler, StillDeploying, Summary
from gitsync.state import ENDPOINT_AT_WORK
from gitsync.surge import Room
from gitsync.verify import still_needed, verify

# A deployment with no DeploymentConfig of its own is waited for this long: a create that waits
# for ManagedInstanceScaling to add instances, or a blue/green update of many copies, takes well
# over the half hour a rolling update of a few batches does (AWS lets a rolling update run up to
# 8 hours: MaximumExecutionTimeoutInSeconds' maximum, 28800, in the API reference).
DEFAULT_TIMEOUT = 3 * 3600.0
SETTLING = (*PLACES, "DeleteInferenceComponent")
FRESH = 5.0  # seconds a reading of an endpoint may be old for a component to start from it
__all__ = ["ApplySettings", "Clock", "RealClock", "Stop", "apply", "stages"]


class RealClock:
    """time.monotonic and time.sleep."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class ApplySettings:
    parallelism: int = 10
    timeout: float | None = None  # None: the component's own (planner.py), else DEFAULT_TIMEOUT
    poll_interval: float = 0.2
    max_poll_interval: float = 10
    heartbeat: float = 60
    fail_fast: bool = False
    wait_busy: bool = True
    rate: float | None = None  # calls a second, when the account's rate is known; else learned
    limiter: RateLimiter | None = field(default=None, compare=False)  # shared with the plan's reads
    clock: Clock = field(default_factory=RealClock, compare=False)
    smoke: Mapping[str, Smoke] = field(default_factory=dict, compare=False)  # checks by component


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


@dataclass
class _Run:
    """What the worker threads of one apply share."""

    clients: aws.Clients
    settings: ApplySettings
    report: Report
    stop: Stop
    settler: Settler
    adapters: dict[str, list[str]]  # a base to delete -> its adapters the plan deletes
    room: Room | None = None
    done: dict[str, Outcome] = field(default_factory=dict)


def apply(plan: Plan, clients: aws.Clients, settings: ApplySettings, report: Report,
          stop: Stop | None = None, room: Room | None = None) -> ApplyResult:
    """`room`: spare capacity by endpoint (surge.py), so that updates that would not fit together
    take turns; None: no such limit."""
    paced = aws.paced_reads(clients, settings.limiter or RateLimiter(rate=settings.rate or None))
    pacing = Pacing(settings.poll_interval, settings.max_poll_interval, settings.heartbeat)
    adapters: dict[str, list[str]] = {}
    for change in plan.pending():
        if change.action is Action.DELETE and change.base:
            adapters.setdefault(change.base, []).append(change.name)
    run = _Run(paced, settings, report, stop or Stop(), Settler(paced, settings.clock, pacing), adapters,
               room)
    results: list[Result] = []
    for stage in stages(plan):
        if run.stop.event.is_set():
            results += [Result(c.name, c.action, Outcome.SKIPPED, 0, run.stop.reason) for c in stage]
            continue
        begun = settings.clock.now()
        with ThreadPoolExecutor(max_workers=max(1, settings.parallelism)) as pool:
            ended = list(pool.map(functools.partial(_guarded, run=run, begun=begun), stage))
        run.done.update((r.name, r.outcome) for r in ended)
        results += ended
    return ApplyResult(tuple(results))


def _blocked(change: ComponentChange, run: _Run) -> str:
    """Why a change must not start: its base did not apply (no adapter on a base that failed), or
    an adapter of the base it deletes is still there (AWS refuses to delete such a base)."""
    done = run.done
    if change.action is not Action.DELETE:
        if change.base is not None and done.get(change.base, Outcome.APPLIED) is not Outcome.APPLIED:
            return f"not started: its base {change.base} did not apply"
        return ""
    stayed = [a for a in run.adapters.get(change.name, []) if done.get(a) is not Outcome.APPLIED]
    return f"not deleted: its adapters stay ({', '.join(stayed)})" if stayed else ""


def _guarded(change: ComponentChange, run: _Run, begun: float) -> Result:
    """An update that waits for room on its endpoint (surge.Room) holds it until its outcome is
    known, the smoke check's included, so that one waiting behind it sees --fail-fast or Ctrl-C
    before it starts."""
    if run.room is None or not any(c.operation == "UpdateInferenceComponent" for c in change.calls):
        return _started(change, run, begun)
    log = _Tracker(change, run.report, run.settings.clock, run.settings.clock.now())
    with run.room.held(change.name, lambda endpoint: log(
            "waiting", f"for room on endpoint {endpoint}: another update there places its copies first")):
        return _started(change, run, begun)


def _started(change: ComponentChange, run: _Run, begun: float) -> Result:
    clock = run.settings.clock
    skip = run.stop.reason if run.stop.event.is_set() else _blocked(change, run)
    if skip:
        run.report(Event(change.name, change.action, Outcome.SKIPPED.value, skip))
        return Result(change.name, change.action, Outcome.SKIPPED, 0, skip)
    started = clock.now()
    tracker = _Tracker(change, run.report, clock, started)
    run.stop.track(change.name, True)
    deploying = False
    check = run.settings.smoke.get(change.name) if change.deploys else None
    try:
        previous = _previous(change, run, check)
        outcome, message = _apply_one(change, run, begun, tracker)
        if outcome is Outcome.APPLIED and check is not None:
            deployed = smoke.Deployed(change.name, change.endpoint, previous, _timeout(change, run))
            outcome, message = smoke.after_deploy(run.clients, run.settler, deployed, check, tracker,
                                                  clock.now)
    except StillDeploying as error:
        outcome, message, deploying = Outcome.FAILED, str(error), True
    except AwsError as error:
        outcome, message = Outcome.FAILED, str(error)
    finally:
        run.stop.track(change.name, False)
    elapsed = clock.now() - started
    tracker(outcome.value, message)
    if outcome is not Outcome.APPLIED and run.settings.fail_fast:
        run.stop.set("not started: an earlier component failed (--fail-fast)")
    return Result(change.name, change.action, outcome, elapsed, message, deploying)


def _previous(change: ComponentChange, run: _Run, check: Smoke | None) -> dict[str, Any] | None:
    """The describe before an update whose smoke check may revert it: what revert sends back."""
    if check is None or check.on_failure != "revert" or change.action is not Action.UPDATE:
        return None
    return aws.describe_component(run.clients, change.name)


class _Tracker:
    """Reports one component's events with the time since it started."""

    def __init__(self, change: ComponentChange, report: Report, clock: Clock, started: float) -> None:
        self.change, self.report, self.clock, self.started = change, report, clock, started

    def __call__(self, phase: str, detail: str = "") -> None:
        self.report(Event(self.change.name, self.change.action, phase, detail,
                          self.clock.now() - self.started))


def _apply_one(change: ComponentChange, run: _Run, begun: float,
               log: _Tracker) -> tuple[Outcome, str]:
    where = _live_endpoint(change)
    # The components of a stage share a reading of their endpoint to start from, unless it is
    # older than FRESH: one that waited for a worker starts from what is live now.
    reading = run.settler.read(where, max(begun, run.settings.clock.now() - FRESH), inclusive=True)
    before = reading.components.get(change.name)
    calls = list(change.calls)
    if before is not None and before["InferenceComponentStatus"] in BUSY:
        before, calls = _wait_then_decide(change, run, where, reading.at, before, log)
    if before is None and change.action is not Action.CREATE:
        if change.action is Action.DELETE:
            return Outcome.APPLIED, "already gone"
        return Outcome.FAILED, "component disappeared since the plan"
    timeout = _timeout(change, run)
    for call in calls:
        log("calling", call.operation)
        _send(run, call, str(call.params.get("EndpointName") or where), log, timeout)
        if call.operation not in SETTLING:
            continue
        settled = run.settler.settled(
            where, change.name, run.settings.clock.now(), timeout, log,
            last_modified=before and before.get("LastModifiedTime"),
            created=call.operation == "CreateInferenceComponent")
        if call.operation == "DeleteInferenceComponent":
            if settled is not None and change.action is Action.DELETE:
                return Outcome.FAILED, f"still {settled['InferenceComponentStatus']} after delete"
            before, where = None, change.endpoint  # a replacement is created where the manifest says
            continue
        if settled is None:
            return Outcome.FAILED, "component vanished while deploying"
        verdict = verify(change, call.params, _described(run, change.name))
        if verdict is not None:
            return verdict
        before = settled
    return Outcome.APPLIED, ""


def _live_endpoint(change: ComponentChange) -> str:
    """Where the component is live: a replacement that moves it names its old endpoint in the
    EndpointName field it changes."""
    moved = next((f.before for f in change.fields if f.path == "EndpointName"), None)
    return moved if isinstance(moved, str) and change.action is Action.REPLACE else change.endpoint


def _wait_then_decide(change: ComponentChange, run: _Run, where: str, since: float, busy: Summary,
                      log: _Tracker) -> tuple[Summary | None, list[Call]]:
    """A deployment is running (an earlier apply's, or someone else's): wait for it to end, then
    keep only the calls still needed, so that apply run again resumes waiting, not sending."""
    status = busy["InferenceComponentStatus"]
    if not run.settings.wait_busy:
        raise AwsError(f"{change.name} is {status}; not waiting (--no-wait-busy)")
    log("waiting", f"still {status}")
    settled = run.settler.settled(where, change.name, since, _timeout(change, run), log,
                                  last_modified=busy.get("LastModifiedTime"), phase="waiting")
    if settled is None or not any(c.operation in PLACES for c in change.calls):
        return settled, list(change.calls)
    return settled, still_needed(change, _described(run, change.name))


def _described(run: _Run, name: str) -> dict[str, object]:
    found = aws.describe_component(run.clients, name)
    if found is None:
        raise AwsError(f"{name} vanished while deploying")
    return found


def _send(run: _Run, call: Call, endpoint: str, log: _Tracker, timeout: float) -> None:
    """Send one call; a throttled one is sent again (the limiter has slowed down meanwhile) until
    the component's wait would have run out: a throttle is never the failure of an apply. A call
    that places copies refused while its endpoint is at work (ENDPOINT_AT_WORK: managed scaling
    adding or releasing instances, for this apply's other components too) is sent again once the
    endpoint is InService, unless apply was stopped meanwhile (Ctrl-C, --fail-fast); the refusal's
    words are not known, so the endpoint's status decides."""
    clock = run.settings.clock
    deadline = clock.now() + timeout  # the component's (_timeout)
    resent_in_service = False
    while True:
        try:
            aws.send(run.clients, call.operation, call.params)
            return
        except AwsError as error:
            if error.code in THROTTLING_CODES and clock.now() <= deadline:
                clock.sleep(1.0)
                continue
            if error.code != "ValidationException" or call.operation not in PLACES:
                raise
            back = _endpoint_back_in_service(run, endpoint, deadline, log, error)
            if run.stop.event.is_set():
                raise  # Ctrl-C or --fail-fast meanwhile: the refused call is not sent again
            if back is None and not resent_in_service:
                # InService at the first look: its work may have ended between the refusal and the
                # look. Sent once more; a refusal for another reason comes back the same.
                resent_in_service = True
                continue
            if not back:
                raise


def _endpoint_back_in_service(run: _Run, endpoint: str, deadline: float, log: _Tracker,
                              refused: AwsError) -> bool | None:
    """Whether the endpoint was at work and is InService again (waited for until `deadline`, or
    until apply is stopped); None when it was InService at the first look. With --no-wait-busy,
    the `refused` call's error, saying the endpoint is at work, instead of a wait."""
    clock, interval = run.settings.clock, run.settings.poll_interval
    described = aws.describe_endpoint(run.clients, endpoint) or {}
    status = described.get("EndpointStatus")
    if status == "InService":
        return None
    if status not in ENDPOINT_AT_WORK:
        return False
    if not run.settings.wait_busy:
        raise AwsError(f"{refused} (endpoint {endpoint} is {status}; not waiting for it: "
                       "--no-wait-busy)", refused.code)
    log("waiting", f"endpoint {endpoint} is {status}")
    while status in ENDPOINT_AT_WORK and clock.now() < deadline and not run.stop.event.is_set():
        clock.sleep(interval)
        interval = min(interval * 1.5, run.settings.max_poll_interval)
        status = (aws.describe_endpoint(run.clients, endpoint) or {}).get("EndpointStatus")
    return status == "InService"


def _timeout(change: ComponentChange, run: _Run) -> float:
    return run.settings.timeout or change.timeout or DEFAULT_TIMEOUT
