"""Capacity -> text and markdown sections: per-endpoint bars, warnings, and a Mermaid diagram."""

from __future__ import annotations

from gitsync.capacity import LABELS, RESOURCES, Capacity, EndpointCapacity, Placed, fmt
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
    needed = row.needed(row.components)
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


# Above this many components the diagram shows one node per endpoint, with counts: a graph of
# hundreds of boxes is unreadable, and GitHub stops rendering large diagrams.
MERMAID_DETAIL_LIMIT = 30


# Kept as they are in a label: ASCII letters and digits, and ` -_./,()`. Other whitespace (a
# newline) becomes a space: a label is one line. Every other character becomes Mermaid's numeric
# entity code `#N;`, which Mermaid shows as the character itself. Rendering each diagram with
# Mermaid (tests/test_mermaid.py) showed that coding `" < > #` alone is not enough: `&lt;` and
# `&amp;` were shown decoded, a `%%{init: ...}%%` in a name was taken as a directive and cut out of
# the label, a leading backtick opened a markdown string (a parse error), and `style`/`classDef`
# with `:` and `#` cut a `;`.
MERMAID_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_./,()")
# Some sequences mean something to Mermaid after it has decoded the codes: `$$x$$` is KaTeX math,
# and `ﬂ°°35¶ß` is its own placeholder for `#35;`, decoded again in the finished SVG. So `$`, `ﬂ`
# and `¶` are each followed by an invisible word joiner (U+2060): no such sequence forms.
JOINED = frozenset("$ﬂ¶")
WORD_JOINER = "#8288;"


def _mermaid_char(ch: str) -> str:
    if ch in MERMAID_PLAIN:
        return ch
    if ch.isspace():
        return " "
    return f"#{ord(ch)};" + (WORD_JOINER if ch in JOINED else "")


def mermaid_text(text: str) -> str:
    """Text for inside a double-quoted Mermaid label: ASCII letters, digits and ` -_./,()` as they
    are, every other character as its entity code (`"` as `#34;`, `<` as `#60;`, `#` as `#35;`)."""
    return "".join(_mermaid_char(ch) for ch in text)


class MermaidIds:
    """Node ids: `n_` and the name's letters and digits (the rest `_`), so that no id is a Mermaid
    keyword (`end`, `graph`) or holds syntax; a second name that maps to a taken id gets `_2`."""

    def __init__(self) -> None:
        self.of: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if name not in self.of:
            base = "n_" + "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in name)
            taken, node, n = set(self.of.values()), base, 1
            while node in taken:
                n += 1
                node = f"{base}_{n}"
            self.of[name] = node
        return self.of[name]


def mermaid(plan: Plan, capacity: Capacity) -> list[str]:
    """Endpoints as subgraphs holding their components; adapters point at their base. Above
    MERMAID_DETAIL_LIMIT components, one node per endpoint with its counts instead."""
    lines = ["```mermaid", "flowchart LR"]
    actions = {c.name: c.action.value for c in plan.changes}
    total = sum(len(row.components) for row in capacity.endpoints)
    ids = MermaidIds()  # one namespace: an endpoint's id starts `n__`, a component name never does
    links: list[tuple[str, str]] = []
    for row in capacity.endpoints:
        title = mermaid_text(f"{row.endpoint} / {row.variant} ({row.instance_type} x{row.current_count})")
        group = ids(f"/{row.endpoint}/{row.variant}")
        if total > MERMAID_DETAIL_LIMIT:
            lines.append(f'  {group}["{title}<br/>{_tally(row.components, actions)}"]')
            continue
        lines.append(f'  subgraph {group}["{title}"]')
        for placed in row.components:
            note = actions.get(placed.name, "unmanaged")
            size = "adapter" if placed.base else f"{placed.copies} cop{'y' if placed.copies == 1 else 'ies'}"
            lines.append(f'    {ids(placed.name)}["{mermaid_text(placed.name)}<br/>{size}, {note}"]')
            if placed.base:
                links.append((placed.name, placed.base))
        lines.append("  end")
    lines += [f"  {ids(a)} -- adapter of --> {ids(b)}" for a, b in links if b in ids.of]
    return lines + ["```"]


def _tally(components: tuple[Placed, ...], actions: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for placed in components:
        note = actions.get(placed.name, "unmanaged")
        counts[note] = counts.get(note, 0) + 1
    return f"{sum(counts.values())} components: " + ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))


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
