"""What apply did, as values: the events it reports while it works and the result it ends with.
The executor makes them; the views render them."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from gitsync.plan import Action


@dataclass(frozen=True)
class Event:
    """Something that happened to one component during apply, for the progress display."""

    name: str
    action: Action
    # "waiting" (for a deployment running before apply, for room on the endpoint, or for an
    # endpoint at work to be InService), "calling", "settling" (for the deployment apply
    # started), or an Outcome's value when done
    phase: str
    detail: str = ""
    elapsed: float = 0.0


Report = Callable[[Event], None]


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    ROLLED_BACK = "rolled back"
    SKIPPED = "skipped"
    # Deployed and settled, but its smoke check failed (smoke.py): like a rollback, apply fails.
    UNHEALTHY = "unhealthy"
    # Its smoke check failed and `on_failure: revert` sent back the previous specification.
    REVERTED = "reverted"


# An Event whose phase is one of these is the component's last.
DONE_PHASES = frozenset(o.value for o in Outcome)


@dataclass(frozen=True)
class Result:
    name: str
    action: Action
    outcome: Outcome
    seconds: float
    message: str = ""
    deploying: bool = False  # the wait ran out while AWS still deploys it: apply again waits for it


@dataclass(frozen=True)
class ApplyResult:
    results: tuple[Result, ...]

    @property
    def ok(self) -> bool:
        return all(r.outcome in (Outcome.APPLIED,) for r in self.results)

    @property
    def still_deploying(self) -> list[str]:
        return [r.name for r in self.results if r.deploying]


@dataclass(frozen=True)
class Verdict:
    """How one component's smoke check went (smoke.py): `detail` says why it failed, or what passed."""

    component: str
    passed: bool
    tries: int
    detail: str
