"""ApplyResult -> the closing table; Plan -> the --dry-run request list (secrets masked)."""

from __future__ import annotations

import io
import json
import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from gitsync.outcome import ApplyResult
from gitsync.plan import Plan
from gitsync.secrets import masked
from gitsync.views.progress import shorten_middle

# Widths of the fixed columns ("replace", "rolled back", "1799.9s"); two spaces between columns.
_ACTION, _OUTCOME, _TIME = 7, 11, 7
_FIXED = _ACTION + _OUTCOME + _TIME + 4 * 2


def render(result: ApplyResult, width: int | None = None) -> str:
    """The closing table. `width`: the terminal's (names shortened in the middle to fit, details cut
    at the end); None for a log or a pipe, where every cell is printed whole."""
    if not result.results:
        return "Nothing to apply.\n"
    name_width = max(len("component"), *(len(r.name) for r in result.results))
    if width is not None:
        name_width = min(name_width, max(len("component"), (width - _FIXED) // 2))
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    table.add_column("component", width=name_width, no_wrap=True)
    table.add_column("action", width=_ACTION, no_wrap=True)
    table.add_column("outcome", width=_OUTCOME, no_wrap=True)
    table.add_column("time", width=_TIME, justify="right", no_wrap=True)
    detail_width = None if width is None else max(1, width - name_width - _FIXED)
    table.add_column("detail", width=detail_width, no_wrap=width is not None, overflow="ellipsis")
    for r in result.results:
        table.add_row(shorten_middle(r.name, name_width), r.action.value, r.outcome.value,
                      f"{r.seconds:.1f}s", Text(r.message))
    counts: dict[str, int] = {}
    for r in result.results:
        counts[r.outcome.value] = counts.get(r.outcome.value, 0) + 1
    summary = "Apply: " + ", ".join(f"{n} {o}" for o, n in counts.items()) + "."
    whole = name_width + _FIXED + max(len("detail"), *(len(r.message) for r in result.results))
    out = io.StringIO()
    Console(file=out, width=width or whole, color_system=None, highlight=False).print(table)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    return "\n".join(["", *lines, "", summary]) + "\n"


def dry_run(plan: Plan, pattern: str) -> str:
    compiled = re.compile(pattern)
    lines = []
    for change in plan.pending():
        for call in change.calls:
            lines.append(json.dumps({"component": change.name, "operation": call.operation,
                                     "params": masked(call.params, compiled)}, sort_keys=True))
    return "\n".join(lines) + "\n"
