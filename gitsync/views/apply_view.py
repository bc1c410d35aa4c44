"""ApplyResult -> the closing table; Plan -> the --dry-run request list (secrets masked)."""

from __future__ import annotations

import json
import re

from gitsync.outcome import ApplyResult
from gitsync.plan import Plan
from gitsync.secrets import masked


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


def dry_run(plan: Plan, pattern: str) -> str:
    compiled = re.compile(pattern)
    lines = []
    for change in plan.pending():
        for call in change.calls:
            lines.append(json.dumps({"component": change.name, "operation": call.operation,
                                     "params": masked(call.params, compiled)}, sort_keys=True))
    return "\n".join(lines) + "\n"
