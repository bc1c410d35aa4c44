"""Plan -> Terraform-like text."""

from __future__ import annotations

import json
from typing import Any

import click

from gitsync.capacity import Capacity
from gitsync.cost import Cost
from gitsync.plan import SYMBOLS, Action, ComponentChange, FieldChange, Plan
from gitsync.views import capacity_view, cost_view
from gitsync.views.document import summary_line

_COLORS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.SCALE: "yellow",
           Action.TAG: "yellow", Action.REPLACE: "red", Action.DELETE: "red", Action.NOOP: None,
           Action.WAIT: "cyan"}


def value(item: Any) -> str:
    if item is None:
        return "(absent)"
    if isinstance(item, str):
        return item if item == "(sensitive)" else json.dumps(item)
    return json.dumps(item, default=str, sort_keys=True)


def _field(change: FieldChange, color: bool, verbose: bool) -> str | None:
    if (change.ignored or change.set_by_aws) and not verbose:
        return None
    if change.before is None:
        symbol, text = "+", f"{change.path}: {value(change.after)}"
    elif change.after is None:
        symbol, text = "-", f"{change.path}: {value(change.before)}"
    else:
        symbol, text = "~", f"{change.path}: {value(change.before)} -> {value(change.after)}"
    if change.sensitive:
        text += " (sensitive value changed)" if change.before and change.after else ""
    if change.forces_replacement:
        text += "  # forces replacement"
    if change.ignored:
        text += "  # ignored"
    if change.set_by_aws:
        symbol, text = "=", f"{change.path}: {value(change.before)}  # set by AWS (icsync never applied it)"
    line = f"      {symbol} {text}"
    styles = {"+": "green", "-": "red", "~": "yellow"}
    return click.style(line, fg=styles[symbol]) if color and symbol in styles and not change.ignored else line


def _component(change: ComponentChange, color: bool, verbose: bool) -> list[str]:
    head = f"  {SYMBOLS[change.action]} {change.name} ({change.endpoint}): {change.action.value}"
    head = click.style(head, fg=_COLORS[change.action], bold=True) if color and _COLORS[change.action] else head
    lines = [head, f"      # {change.reason}"]
    shown = [line for f in change.fields if (line := _field(f, color, verbose))]
    lines += shown
    hidden = sum(1 for f in change.fields if f.ignored and not f.set_by_aws) if not verbose else 0
    if hidden:
        lines.append(f"      ({hidden} ignored difference{'s' if hidden > 1 else ''} hidden; --verbose shows them)")
    by_aws = sum(1 for f in change.fields if f.set_by_aws) if not verbose else 0
    if by_aws:
        lines.append(f"      ({by_aws} field{'s' if by_aws > 1 else ''} set by AWS hidden; --verbose shows them)")
    if change.unchanged_fields and change.action is not Action.NOOP:
        lines.append(f"      ({change.unchanged_fields} unchanged field{'s' if change.unchanged_fields != 1 else ''} hidden)")
    if change.calls:
        lines.append("      calls: " + ", ".join(c.operation for c in change.calls))
    if verbose and change.status:
        lines.append("      status: " + json.dumps(change.status, default=str, sort_keys=True))
    return lines


def _where(plan: Plan) -> str:
    """The region and account the plan was made against: a plan for the wrong one reads right."""
    parts = [f"region {plan.region}"] if plan.region else []
    parts += [f"account {plan.account}"] if plan.account else []
    return f" in {', '.join(parts)}" if parts else ""


def _warnings(plan: Plan) -> list[str]:
    """The manifests' warnings, then a blank line; nothing when there are none."""
    return [f"Warning: {w}" for w in plan.warnings] + [""] if plan.warnings else []


def render(plan: Plan, color: bool = False, verbose: bool = False,
           capacity: Capacity | None = None, cost: Cost | None = None) -> str:
    lines = [f"icsync plan for environment {plan.environment} (project {plan.project})"
             + _where(plan), ""]
    pending = plan.pending()
    for change in pending:
        lines += _component(change, color, verbose) + [""]
    if verbose:
        for change in plan.changes:
            if change.action is Action.NOOP:
                lines += _component(change, color, verbose) + [""]
    unchanged = len(plan.changes) - len(pending)
    if unchanged and not verbose:
        lines.append(f"  {unchanged} component{'s' if unchanged != 1 else ''} unchanged (hidden).")
    if plan.unmanaged:
        lines.append(f"  {len(plan.unmanaged)} unmanaged component(s) on managed endpoints, left alone: "
                     + ", ".join(plan.unmanaged[:10]) + (" ..." if len(plan.unmanaged) > 10 else ""))
    lines += [""] + _warnings(plan) + capacity_view.text(capacity) + cost_view.text(cost) + [summary_line(plan)]
    return "\n".join(lines) + "\n"
