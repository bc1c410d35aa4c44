"""Capacity -> text and markdown sections: per-endpoint bars, warnings, and a Mermaid diagram."""

from __future__ import annotations

from gitsync.capacity import LABELS, RESOURCES, Capacity, EndpointCapacity, fmt
from gitsync.plan import Plan

WIDTH = 20


def bar(used: float, available: float) -> str:
    """`[#####...............]`; a full bar ends in `!` when the need exceeds what is there."""
    if available <= 0:
        return "[" + ("!" if used > 0 else "") + "." * (WIDTH - (1 if used > 0 else 0)) + "]"
    filled = min(WIDTH, round(WIDTH * used / available))
    if used > available:
        return "[" + "#" * (WIDTH - 1) + "!]"
    return "[" + "#" * filled + "." * (WIDTH - filled) + "]"


def _lines(row: EndpointCapacity) -> list[str]:
    head = (f"  {row.endpoint} / {row.variant}: {row.instance_type or 'unknown type'} x "
            f"{row.current_count} (max {row.max_count})")
    available = row.available()
    if available is None:
        return [head, "      capacity unknown for this instance type"]
    lines = [head]
    for resource in RESOURCES:
        total = available.get(resource)
        was, will = row.before.get(resource), row.after.get(resource)
        lines.append(f"      {LABELS[resource]:<13} {bar(was, total)} {fmt(was)}/{fmt(total)} -> "
                     f"{bar(will, total)} {fmt(will)}/{fmt(total)}")
    needed = row.needed(row.after)
    if needed > row.current_count:
        lines.append(f"      needs {needed} instance(s) after this plan, {row.current_count} running")
    return lines


def text(capacity: Capacity | None) -> list[str]:
    if capacity is None or not (capacity.endpoints or capacity.warnings):
        return []
    lines = ["Capacity (used / available, before -> after):"]
    for row in capacity.endpoints:
        lines += _lines(row)
    lines += [f"Warning: {w}" for w in capacity.warnings]
    return lines + [""]


def _node(name: str) -> str:
    return "n_" + "".join(ch if ch.isalnum() else "_" for ch in name)


def mermaid(plan: Plan, capacity: Capacity) -> list[str]:
    """Endpoints as subgraphs holding their components; adapters point at their base."""
    lines = ["```mermaid", "flowchart LR"]
    links: list[str] = []
    actions = {c.name: c.action.value for c in plan.changes}
    for row in capacity.endpoints:
        lines.append(f"  subgraph {_node(row.endpoint + '_' + row.variant)}"
                     f"[\"{row.endpoint} / {row.variant} ({row.instance_type} x{row.current_count})\"]")
        for placed in row.components:
            note = actions.get(placed.name, "unmanaged")
            size = "adapter" if placed.base else f"{placed.copies} cop{'y' if placed.copies == 1 else 'ies'}"
            lines.append(f"    {_node(placed.name)}[\"{placed.name}<br/>{size}, {note}\"]")
            if placed.base:
                links.append(f"  {_node(placed.name)} -- adapter of --> {_node(placed.base)}")
        lines.append("  end")
    return lines + links + ["```"]


def markdown(plan: Plan, capacity: Capacity | None) -> str:
    if capacity is None or not (capacity.endpoints or capacity.warnings):
        return ""
    out = ["#### Capacity", ""]
    out += [f"> [!WARNING]\n> {w}\n" for w in capacity.warnings]
    rows = [row for row in capacity.endpoints if row.available() is not None]
    if rows:
        out += ["| endpoint | resource | before | after |", "|---|---|---|---|"]
        for row in rows:
            available = row.available()
            assert available is not None
            for resource in RESOURCES:
                total = available.get(resource)
                was, will = row.before.get(resource), row.after.get(resource)
                out.append(f"| {row.endpoint} / {row.variant} | {LABELS[resource]} | "
                           f"`{bar(was, total)}` {fmt(was)}/{fmt(total)} | "
                           f"`{bar(will, total)}` {fmt(will)}/{fmt(total)} |")
        out.append("")
    if capacity.endpoints:
        out += mermaid(plan, capacity) + [""]
    return "\n".join(out) + "\n"
