"""The pure field-level differ: two comparable documents -> the paths that differ (deepdiff)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

ABSENT: Any = None  # a field that one side does not set
_PATH_PART = re.compile(r"\[('(?:[^'\\]|\\.)*'|\"[^\"]*\"|\d+)\]")


@dataclass(frozen=True)
class Difference:
    path: str
    before: Any
    after: Any


def dotted_path(deepdiff_path: str) -> str:
    """deepdiff's `root['Specification']['Container']` -> `Specification.Container`."""
    out = ""
    for part in _PATH_PART.findall(deepdiff_path):
        if part.isdigit():
            out += f"[{part}]"
        else:
            key = part[1:-1]
            out += f".{key}" if out else key
    return out


def leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """A nested mapping as (dotted path, leaf) pairs; lists of scalars stay whole."""
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for key, item in value.items():
            out += leaves(item, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return [pair for index, item in enumerate(value) for pair in leaves(item, f"{path}[{index}]")]
    return [(path, value)]


def _expanded(found: list[Difference]) -> list[Difference]:
    """A whole block added or removed reads better as its leaves."""
    out: list[Difference] = []
    for d in found:
        if d.before is ABSENT and isinstance(d.after, dict | list):
            out += [Difference(p, ABSENT, v) for p, v in leaves(d.after, d.path)]
        elif d.after is ABSENT and isinstance(d.before, dict | list):
            out += [Difference(p, v, ABSENT) for p, v in leaves(d.before, d.path)]
        else:
            out.append(d)
    return out


@functools.cache
def _deepdiff() -> Any:
    """deepdiff's DeepDiff, loaded on the first difference (no-change plans never load it)."""
    from deepdiff import DeepDiff
    return DeepDiff


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Difference]:
    """Every leaf that differs; maps give per-key additions and removals."""
    if before == after:
        return []  # the common case at scale: skip deepdiff entirely
    if not before:
        return [Difference(p, ABSENT, v) for p, v in leaves(after)]
    # threshold_to_diff_deeper=0: deepdiff would report a map sharing under a third of its keys
    # as one changed value; a plan names each key added or removed.
    result = _deepdiff()(before, after, verbose_level=2, ignore_numeric_type_changes=True,
                         threshold_to_diff_deeper=0)
    found: list[Difference] = []
    for change in ("values_changed", "type_changes"):
        for path, item in result.get(change, {}).items():
            found.append(Difference(dotted_path(path), item["old_value"], item["new_value"]))
    for path, value in result.get("dictionary_item_added", {}).items():
        found.append(Difference(dotted_path(path), ABSENT, value))
    for path, value in result.get("dictionary_item_removed", {}).items():
        found.append(Difference(dotted_path(path), value, ABSENT))
    for path, value in result.get("iterable_item_added", {}).items():
        found.append(Difference(dotted_path(path), ABSENT, value))
    for path, value in result.get("iterable_item_removed", {}).items():
        found.append(Difference(dotted_path(path), value, ABSENT))
    return sorted(_expanded(found), key=lambda d: d.path)
