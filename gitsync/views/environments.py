"""`plan --all-envs`: every environment's plan in one output, each rendered as a single plan is,
then one line of totals per environment and for all of them."""

from __future__ import annotations

from typing import Any

from gitsync.plan import FORMAT_VERSION, Plan
from gitsync.views import markdown as plan_markdown
from gitsync.views import text as plan_text
from gitsync.views.document import plan_document, summary_line


def combined(plans: list[Plan]) -> Plan:
    """All environments' changes as one plan, for the combined summary."""
    return Plan("(all)", plans[0].project if plans else "",
                tuple(c for p in plans for c in p.changes), tuple(u for p in plans for u in p.unmanaged))


def document(plans: list[Plan]) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "environments": [plan_document(p) for p in plans]}


def text(plans: list[Plan], color: bool, verbose: bool) -> str:
    sections = [f"=== Environment: {p.environment} ===\n"
                + plan_text.render(p, color=color, verbose=verbose) for p in plans]
    return "\n".join(sections) + _totals(plans, "=== All environments ===")


def markdown(plans: list[Plan]) -> str:
    sections = [f"## Environment `{p.environment}`\n\n{plan_markdown.render(p)}" for p in plans]
    return "\n".join(sections) + _totals(plans, "## All environments")


def _totals(plans: list[Plan], heading: str) -> str:
    lines = "\n".join(f"  {p.environment}: {summary_line(p)}" for p in plans)
    return f"\n{heading}\n{lines}\nCombined: {summary_line(combined(plans))}\n"
