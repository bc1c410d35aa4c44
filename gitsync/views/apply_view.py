"""ApplyResult -> the closing table; Plan -> the --dry-run request list (secrets masked)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from gitsync.outcome import ApplyResult
from gitsync.plan import SENSITIVE, Plan


def render(result: ApplyResult) -> str:
    if not result.results:
        return "Nothing to apply.\n"
    width = max(len(r.name) for r in result.results)
    lines = ["", f"{'component':<{width}}  {'action':<8}  {'outcome':<11}  {'time':>7}  detail"]
    for r in result.results:
        lines.append(f"{r.name:<{width}}  {r.action.value:<8}  {r.outcome.value:<11}  "
                     f"{r.seconds:>6.1f}s  {r.message}")
    counts: dict[str, int] = {}
    for r in result.results:
        counts[r.outcome.value] = counts.get(r.outcome.value, 0) + 1
    lines += ["", "Apply: " + ", ".join(f"{n} {o}" for o, n in counts.items()) + "."]
    return "\n".join(lines) + "\n"


def mask_params(params: dict[str, Any], pattern: str) -> dict[str, Any]:
    """Request parameters with the values of secret-looking environment variables masked."""
    masked = copy.deepcopy(params)
    compiled = re.compile(pattern)
    specs = [masked.get("Specification")] + list(masked.get("Specifications") or [])
    for spec in specs:
        environment = ((spec or {}).get("Container") or {}).get("Environment") or {}
        for key in environment:
            if compiled.search(key):
                environment[key] = SENSITIVE
    return masked


def dry_run(plan: Plan, pattern: str) -> str:
    lines = []
    for change in plan.pending():
        for call in change.calls:
            lines.append(json.dumps({"component": change.name, "operation": call.operation,
                                     "params": mask_params(call.params, pattern)}, sort_keys=True))
    return "\n".join(lines) + "\n"
