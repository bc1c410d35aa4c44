"""Whether what settled is what apply sent: InService is not success.

A deployment AWS rolled back settles InService on the previous specification, so the live
sections are compared with those sent, for the deployment icsync started (settle.py makes sure the
reading is of that deployment, by its LastModifiedTime and the status it went through). A
FailureReason alone proves nothing: it may be left over from an earlier deployment, so it is only
the words shown when the sections differ.
"""

from __future__ import annotations

from typing import Any

from gitsync import normalize
from gitsync.diff import ABSENT, diff
from gitsync.outcome import Outcome
from gitsync.plan import PLACES, Call, ComponentChange

DIFFERS = "live specification differs from what was sent: "


def sections(sent: dict[str, Any]) -> list[str]:
    """The sections of the manifest a call sets, as comparable_live names them."""
    keys: list[str] = [k for k in ("Specification", "Specifications", "RuntimeConfig") if k in sent]
    if "DesiredRuntimeConfig" in sent:
        keys.append("RuntimeConfig")
    return keys


def differences(change: ComponentChange, keys: list[str], described: dict[str, Any]) -> list[str]:
    """The paths of these sections where the live component is not what the plan wants."""
    if change.desired is None or not keys:
        return []
    live = normalize.comparable_live(described, {}, change.desired)
    found = diff({k: live.get(k) for k in keys}, {k: change.desired.get(k) for k in keys})
    # A field only live has was not sent: AWS filled it in (a default DataCacheConfig, a base's
    # compute echoed on an adapter), which says nothing of whether what was sent holds.
    return [d.path for d in found if d.after is not ABSENT]


def verify(change: ComponentChange, sent: dict[str, Any],
           settled: dict[str, Any]) -> tuple[Outcome, str] | None:
    """None when the deployment holds what was sent; else the outcome and why."""
    reason = str(settled.get("FailureReason") or "")
    if settled.get("InferenceComponentStatus") == "Failed":
        return Outcome.FAILED, reason or "deployment failed"
    mismatch = differences(change, sections(sent), settled)
    if mismatch:
        return Outcome.ROLLED_BACK, reason or DIFFERS + ", ".join(mismatch[:5])
    return None


def still_needed(change: ComponentChange, described: dict[str, Any]) -> list[Call]:
    """The plan's calls still to send once a deployment that was running has settled: none that
    deploy or place copies when the live component already holds what they would send (an earlier
    apply started it, and timed out waiting), so that apply run again never sends them twice."""
    placing = [c for c in change.calls if c.operation in PLACES]
    keys = sorted({k for c in placing for k in sections(c.params)})
    if described.get("InferenceComponentStatus") != "InService" or not placing \
            or differences(change, keys, described):
        return list(change.calls)
    return [c for c in change.calls if c.operation not in PLACES]
