"""Apply as JSON lines (`apply --output json`), one event a line, as `terraform apply -json` does.

Every line is an object with `format_version`, `type`, `@timestamp` and `@message` (a one-line
human rendering); the rest depends on the type. gitsync/data/apply-events.schema.json is the
contract: additive changes keep the major format_version, removals or renames bump it."""

from __future__ import annotations

import datetime
import json
import re
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from gitsync.outcome import ApplyResult, Event, Outcome
from gitsync.plan import ComponentChange, Plan
from gitsync.secrets import masked

FORMAT_VERSION = "1.0"

# An Event's phase -> the line's type. The executor's phases: waiting (for a busy component before
# calling), calling (the detail is the operation), settling (after the call), then an Outcome.
_TYPES = {"calling": "call_sent", "waiting": "waiting", "settling": "waiting",
          Outcome.APPLIED.value: "settled", Outcome.ROLLED_BACK.value: "rolled_back",
          Outcome.FAILED.value: "failed", Outcome.SKIPPED.value: "skipped",
          Outcome.UNHEALTHY.value: "unhealthy", Outcome.REVERTED.value: "reverted"}


def line(kind: str, message: str, **fields: Any) -> str:
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
    return json.dumps({"format_version": FORMAT_VERSION, "type": kind, "@timestamp": stamp,
                       "@message": message, **fields}, sort_keys=True) + "\n"


def planned(change: ComponentChange) -> str:
    return line("planned", f"{change.name}: plan to {change.action.value} ({change.reason})",
                component=change.name, endpoint=change.endpoint, action=change.action.value,
                reason=change.reason, calls=[c.operation for c in change.calls])


def event(e: Event) -> str:
    kind = _TYPES.get(e.phase, "progress")
    fields: dict[str, Any] = {"component": e.name, "action": e.action.value, "phase": e.phase,
                              "elapsed": round(e.elapsed, 3)}
    if kind == "call_sent":
        fields["operation"] = e.detail
    elif e.detail:
        fields["detail"] = e.detail
    detail = f" {e.detail}" if e.detail else ""
    return line(kind, f"{e.name}: {e.action.value}: {e.phase}{detail} ({e.elapsed:.0f}s)", **fields)


def summary(result: ApplyResult) -> str:
    counts = {o.value.replace(" ", "_"): 0 for o in Outcome}
    for r in result.results:
        counts[r.outcome.value.replace(" ", "_")] += 1
    said = ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in counts.items() if n) or "nothing"
    return line("summary", f"Apply: {said}.", ok=result.ok, total=len(result.results),
                counts=counts,
                results=[{"component": r.name, "action": r.action.value,
                          "outcome": r.outcome.value, "seconds": round(r.seconds, 3),
                          "detail": r.message} for r in result.results])


def requests(plan: Plan, pattern: str) -> str:
    """--dry-run: the requests apply would send, secrets masked."""
    compiled = re.compile(pattern)
    return "".join(line("request", f"{change.name}: would call {call.operation}",
                        component=change.name, operation=call.operation,
                        params=masked(call.params, compiled))
                   for change in plan.pending() for call in change.calls)


class JsonReporter:
    """The Reporter for --output json: every event and message a line on `stream` (stdout)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def write(self, text: str) -> None:
        with self.lock:
            self.stream.write(text)
            self.stream.flush()

    def start(self, changes: Sequence[ComponentChange]) -> None:
        self.write("".join(planned(c) for c in changes))

    def __call__(self, e: Event) -> None:
        self.write(event(e))

    def message(self, text: str) -> None:
        self.write(line("message", text))

    def close(self) -> None:
        """The summary is written by the command, from the ApplyResult."""
