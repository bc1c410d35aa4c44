"""Smoke checks: one request to a component and what its answer must be (`icsync: {smoke: ...}`).

InService is not "works": a container can start, pass its health check and then answer every
request with an error. `evaluate` is pure (the answer against the expectation); `check` sends the
request up to `tries` times; `after_deploy` is what apply does once a deployment has settled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jmespath

from gitsync import aws, normalize
from gitsync.errors import AwsError
from gitsync.manifests.options import Expect, Smoke
from gitsync.outcome import Outcome, Verdict
from gitsync.settle import Settler

PAUSE = 1.0  # seconds between tries: long enough for a container that is warming up to settle
SHOWN = 120  # characters of an answer quoted in a failure


def evaluate(expect: Expect, answer: aws.Invocation) -> str | None:
    """None when the answer is what `expect` asks for; else why not."""
    text = answer.body.decode(errors="replace")
    if answer.status != expect.status:
        return f"expected status {expect.status}, got {answer.status}: {_shown(text)}"
    if expect.contains is not None and expect.contains not in text:
        return f"expected the body to contain {expect.contains!r}: {_shown(text)}"
    if expect.jmespath is None:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return f"expected a JSON body for jmespath {expect.jmespath!r}: {_shown(text)}"
    found = jmespath.search(expect.jmespath, document)
    if expect.has_equals and found != expect.equals:
        return f"expected {expect.jmespath} to be {json.dumps(expect.equals)}, got {json.dumps(found)}"
    if not expect.has_equals and not found:
        return f"expected {expect.jmespath} to be truthy, got {json.dumps(found)}"
    return None


def _shown(text: str) -> str:
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")


def check(clients: aws.Clients, endpoint: str, component: str, smoke: Smoke,
          sleep: Callable[[float], None] = time.sleep) -> Verdict:
    """Send the check's request until an answer passes or `tries` have been made."""
    once = clients.single_tries(smoke.timeout)
    why = ""
    for attempt in range(1, smoke.tries + 1):
        if attempt > 1:
            sleep(PAUSE)
        try:
            answer = aws.invoke_component(once, endpoint, component, smoke.payload(), smoke.content_type)
        except AwsError as error:
            why = str(error)
            continue
        failed = evaluate(smoke.expect, answer)
        if failed is None:
            return Verdict(component, True, attempt, f"status {answer.status}")
        why = failed
    tries = f"{smoke.tries} tries" if smoke.tries > 1 else "1 try"
    return Verdict(component, False, smoke.tries, f"smoke check failed ({tries}): {why}")


@dataclass(frozen=True)
class Deployed:
    """What apply knows of a component whose deployment has settled, for its smoke check."""

    name: str
    endpoint: str
    previous: dict[str, Any] | None  # its describe before the update; None for a create
    timeout: float


def after_deploy(clients: aws.Clients, settler: Settler, deployed: Deployed, smoke: Smoke,
                 log: Callable[[str, str], None], now: Callable[[], float]) -> tuple[Outcome, str]:
    """Check a settled component; with `on_failure: revert`, send back the specification it had
    before this apply's update, and wait for it."""
    log("checking", "smoke check")
    verdict = check(clients, deployed.endpoint, deployed.name, smoke)
    if verdict.passed:
        return Outcome.APPLIED, f"smoke check passed ({verdict.detail})"
    if smoke.on_failure != "revert":
        return Outcome.UNHEALTHY, verdict.detail
    if deployed.previous is None:
        return Outcome.UNHEALTHY, verdict.detail + "; nothing to revert to: this apply created it"
    before = normalize.comparable_live(deployed.previous, {})
    log("calling", "UpdateInferenceComponent (revert)")
    current = aws.describe_component(clients, deployed.name) or {}
    aws.update_component(clients, {"InferenceComponentName": deployed.name,
                                   "Specification": before["Specification"]})
    settled = settler.settled(deployed.endpoint, deployed.name, now(), deployed.timeout, log,
                              last_modified=current.get("LastModifiedTime"))
    status = settled["InferenceComponentStatus"] if settled else "gone"
    if status != "InService":
        return Outcome.FAILED, f"{verdict.detail}; the revert ended {status}"
    return Outcome.REVERTED, f"{verdict.detail}; reverted to the previous specification"
