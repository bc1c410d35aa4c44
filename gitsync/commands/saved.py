"""Saved plans (`plan --out FILE`, `apply FILE`).

A saved plan holds the rendered plan, a fingerprint of the live state of every component it read,
and a fingerprint of every call it will make. It holds no secret in clear: `apply FILE` re-renders
the manifests, re-reads live state, rebuilds the plan and refuses unless it is the same plan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gitsync.errors import ConfigError, StalePlanError
from gitsync.plan import Plan, fingerprint
from gitsync.settings import Settings
from gitsync.views.document import plan_document

KIND = "icsync-saved-plan"


def _calls(plan: Plan) -> dict[str, str]:
    return {c.name: fingerprint([[call.operation, call.params] for call in c.calls])
            for c in plan.changes}


def save(plan: Plan, settings: Settings, path: Path) -> None:
    document = {
        "kind": KIND,
        "plan": plan_document(plan),
        "selection": {"targets": list(settings.targets), "excludes": list(settings.excludes),
                      "prune": settings.prune, "adopt": list(settings.adopt)},
        "live": {c.name: c.live_fingerprint for c in plan.changes},
        "calls": _calls(plan),
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: not a saved plan: {error}") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise ConfigError(f"{path}: not a saved plan (write one with `icsync plan --out FILE`)")
    return document


def settings_for(document: dict[str, Any], settings: Settings) -> Settings:
    from dataclasses import replace

    selection = document["selection"]
    return replace(settings, environment=document["plan"]["environment"],
                   targets=tuple(selection["targets"]), excludes=tuple(selection["excludes"]),
                   prune=bool(selection["prune"]), adopt=tuple(selection.get("adopt", ())))


def check_fresh(document: dict[str, Any], fresh: Plan, path: Path) -> None:
    """The plan rebuilt now must be the saved one: same live state, same calls."""
    now_live = {c.name: c.live_fingerprint for c in fresh.changes}
    now_calls = _calls(fresh)
    stale = sorted(name for name in set(document["live"]) | set(now_live)
                   if document["live"].get(name) != now_live.get(name))
    changed = sorted(name for name in set(document["calls"]) | set(now_calls)
                     if document["calls"].get(name) != now_calls.get(name) and name not in stale)
    if stale or changed:
        lines = [f"{path}: plan is stale; nothing was applied. Run `icsync plan --out` again."]
        lines += [f"  {name}: live state changed since the plan was made" for name in stale]
        lines += [f"  {name}: the manifests now ask for different calls" for name in changed]
        raise StalePlanError("\n".join(lines))
