"""Saved plans (`plan --out FILE`, `apply FILE`).

A saved plan holds the rendered plan, a fingerprint of the live state of every component it read,
and a fingerprint of every call it will make. It holds no secret in clear: `apply FILE` re-renders
the manifests, re-reads live state, rebuilds the plan and refuses unless it is the same plan.

The fingerprints are salted with a random salt of the file's own, so that a fingerprint of a call
that carries a secret cannot be matched against one computed from a guess elsewhere (a dry run,
another saved plan); and the file is readable by its owner only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

from gitsync.errors import ConfigError, StalePlanError
from gitsync.plan import Plan, fingerprint
from gitsync.redact import REDACT
from gitsync.settings import Settings
from gitsync.views.document import plan_document

KIND = "icsync-saved-plan"
PRIVATE = 0o600


def _salted(salt: str, value: object) -> str:
    return "hmac-sha256:" + hmac.new(salt.encode(), str(value).encode(), hashlib.sha256).hexdigest()[:32]


def _live(plan: Plan, salt: str) -> dict[str, str]:
    return {c.name: _salted(salt, c.live_fingerprint) for c in plan.changes}


def _calls(plan: Plan, salt: str) -> dict[str, str]:
    return {c.name: _salted(salt, fingerprint([[call.operation, call.params] for call in c.calls]))
            for c in plan.changes}


def save(plan: Plan, settings: Settings, path: Path) -> None:
    salt = secrets.token_hex(16)
    shown = plan_document(plan)
    live = _live(plan, salt)
    for change in shown.get("changes", []):  # the plain fingerprint would be a guessing oracle
        change["live_fingerprint"] = live.get(change.get("name"))
    document = {
        "kind": KIND,
        "salt": salt,
        "plan": shown,
        "selection": {"targets": list(settings.targets), "excludes": list(settings.excludes),
                      "prune": settings.prune, "adopt": list(settings.adopt)},
        "live": live,
        "calls": _calls(plan, salt),
    }
    # Redacted as the screen is: a value masked by value (a credential, env_var()) is in no field
    # the plan marks sensitive by its key.
    write_private(path, REDACT(json.dumps(document, indent=2, default=str)) + "\n", "--out")


def write_private(path: Path, text: str, option: str) -> None:
    """Write `text` to `path`, readable by its owner only; a folder that is missing or read-only,
    or a full disk, is the user's to fix and said so."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
        with open(descriptor, "w", encoding="utf-8") as file:
            if stat.S_ISREG(os.fstat(descriptor).st_mode):  # an existing file keeps its mode else
                os.fchmod(descriptor, PRIVATE)
            file.write(text)
    except OSError as error:
        raise ConfigError(f"{option} {path}: cannot write it: {error.strerror or error}; "
                          "check that the folder exists, is writable and has space") from None


def load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ConfigError(f"{path}: not a saved plan: {reason}") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise ConfigError(f"{path}: not a saved plan (write one with `icsync plan --out FILE`)")
    broken = _broken_field(document)
    if broken:
        raise ConfigError(f"{path}: a broken saved plan: `{broken}` is missing or of the wrong type; "
                          "nothing was applied. Write it again with `icsync plan --out FILE`")
    return document


def _broken_field(document: dict[str, Any]) -> str | None:
    """The first field apply reads that is not what `save` writes."""
    plan, selection = document.get("plan"), document.get("selection")
    checks = {
        "salt": isinstance(document.get("salt"), str),
        "plan.environment": isinstance(plan, dict) and isinstance(plan.get("environment"), str),
        "selection": isinstance(selection, dict),
        "selection.targets": isinstance(selection, dict) and _strings(selection.get("targets")),
        "selection.excludes": isinstance(selection, dict) and _strings(selection.get("excludes")),
        "selection.prune": isinstance(selection, dict) and isinstance(selection.get("prune"), bool),
        "live": _string_map(document.get("live")),
        "calls": _string_map(document.get("calls")),
    }
    return next((name for name, good in checks.items() if not good), None)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(item, str) for item in value.values())


def settings_for(document: dict[str, Any], settings: Settings) -> Settings:
    """The saved plan's environment and selection; an option that says otherwise is refused, not
    ignored (`apply plan.json --env prod` must not apply a dev plan in silence)."""
    selection = document["selection"]
    saved = replace(settings, environment=document["plan"]["environment"],
                    targets=tuple(selection["targets"]), excludes=tuple(selection["excludes"]),
                    prune=selection["prune"], adopt=tuple(selection.get("adopt", ())))
    given = {"--env": (settings.environment, saved.environment),
             "--target": (settings.targets, saved.targets),
             "--exclude": (settings.excludes, saved.excludes),
             "--prune": (settings.prune or None, saved.prune)}
    for option, (asked, kept) in given.items():
        if asked and asked != kept:
            raise ConfigError(f"{option} {_shown(asked)} differs from the saved plan's "
                              f"({_shown(kept)}); nothing was applied. A saved plan is applied "
                              "as it was made: leave the option out, or make a new plan")
    return saved


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(value) or "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def check_fresh(document: dict[str, Any], fresh: Plan, path: Path) -> None:
    """The plan rebuilt now must be the saved one: same live state, same calls."""
    salt = document["salt"]
    now_live = _live(fresh, salt)
    now_calls = _calls(fresh, salt)
    stale = sorted(name for name in set(document["live"]) | set(now_live)
                   if document["live"].get(name) != now_live.get(name))
    changed = sorted(name for name in set(document["calls"]) | set(now_calls)
                     if document["calls"].get(name) != now_calls.get(name) and name not in stale)
    if stale or changed:
        lines = [f"{path}: plan is stale; nothing was applied. Run `icsync plan --out` again."]
        lines += [f"  {name}: live state changed since the plan was made" for name in stale]
        lines += [f"  {name}: the manifests now ask for different calls" for name in changed]
        raise StalePlanError("\n".join(lines))
