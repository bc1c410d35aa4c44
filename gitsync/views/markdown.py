"""Plan -> markdown for PR comments and job summaries, never over GitHub's comment limit."""

from __future__ import annotations

from gitsync.capacity import Capacity
from gitsync.cost import Cost
from gitsync.plan import SYMBOLS, Action, ComponentChange, Plan
from gitsync.views import capacity_view, cost_view
from gitsync.views.document import summary_line
from gitsync.views.text import value

LIMIT = 60_000


def _details(change: ComponentChange) -> str:
    rows = ["| field | before | after |", "|---|---|---|"]
    for f in change.fields:
        note = (" *(ignored)*" if f.ignored else " *(set by AWS)*" if f.set_by_aws
                else " **forces replacement**" if f.forces_replacement else "")
        rows.append(f"| `{f.path}`{note} | `{value(f.before)}` | `{value(f.after)}` |")
    calls = ", ".join(f"`{c.operation}`" for c in change.calls) or "none"
    return (f"<details><summary><code>{SYMBOLS[change.action]}</code> <b>{change.name}</b> "
            f"({change.endpoint}): {change.action.value}</summary>\n\n{change.reason}. Calls: {calls}\n\n"
            + "\n".join(rows) + "\n\n</details>\n")


def render(plan: Plan, marker: str = "", capacity: Capacity | None = None,
           cost: Cost | None = None) -> str:
    counts = plan.summary()
    head = [marker] if marker else []
    head += [f"### icsync plan: `{plan.environment}`", ""]
    if plan.region or plan.account:
        head += [f"Region `{plan.region or '?'}`, account `{plan.account or '?'}`.", ""]
    if plan.has_destroy:
        doomed = [c.name for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
        head += [f"> [!CAUTION]\n> This plan **deletes or replaces** {len(doomed)} component(s): "
                 + ", ".join(f"`{n}`" for n in doomed[:20]), ""]
    rows = [f"| {action} | {count} |" for action, count in counts.items() if count]
    if rows:  # never a table of headers only
        head += ["| action | count |", "|---|---|", *rows]
    head += ["", f"**{summary_line(plan)}**{cost_view.summary(cost)}", ""]
    head += [f"> [!WARNING]\n> {w}\n" for w in plan.warnings]
    out = ("\n".join(head) + "\n" + capacity_view.markdown(plan, capacity)
           + cost_view.markdown(cost))
    pending = plan.pending()
    for index, change in enumerate(pending):
        block = _details(change)
        if len(out) + len(block) > LIMIT - 200:
            out += f"\n*... and {len(pending) - index} more changed component(s), not shown (size limit).*\n"
            break
        out += block
    return out
