"""The one ruamel.yaml use: YAML text -> plain Python documents, with the line of every key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from gitsync.errors import Problem
from gitsync.model import Path

MAX_NODES = 100_000  # far above any real manifest; stops alias bombs ("billion laughs")
MAX_DEPTH = 32
MAX_BYTES = 2 * 1024 * 1024


@dataclass
class Parsed:
    """One YAML document: its data, and where each key path starts in the file (1-based)."""

    file: str
    index: int
    data: Any
    where: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int, int]:
        for end in range(len(path), -1, -1):
            if path[:end] in self.where:
                return self.where[path[:end]]
        return (0, 0)

    def problem(self, path: Path, message: str) -> Problem:
        from gitsync.model import dotted

        line, column = self.locate(path)
        return Problem(self.file, line, column, dotted(path), message)


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0


class TooLarge(Exception):
    pass


def _plain(node: Any, doc: Parsed, path: Path, budget: _Budget) -> Any:
    budget.nodes += 1
    if budget.nodes > MAX_NODES or len(path) > MAX_DEPTH:
        raise TooLarge(path)
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            line, column = node.lc.key(key)
            doc.where[path + (str(key),)] = (line + 1, column + 1)
            out[str(key) if not isinstance(key, str) else key] = _plain(value, doc, path + (str(key),), budget)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            line, column = node.lc.item(index)
            doc.where[path + (index,)] = (line + 1, column + 1)
            items.append(_plain(value, doc, path + (index,), budget))
        return items
    if isinstance(node, str):
        return str(node)  # drop ruamel's scalar subclasses
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def parse(file: str, text: str) -> tuple[list[Parsed], list[Problem]]:
    """Every document of a YAML stream, or the problems that stop it from parsing."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        return [], [Problem(file, 0, 0, "", f"file is larger than {MAX_BYTES // 1024 // 1024} MiB; "
                            "is it really a manifest?")]
    if "\x00" in text:
        return [], [Problem(file, 0, 0, "", "file is binary, not YAML")]
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    documents: list[Parsed] = []
    try:
        for index, node in enumerate(yaml.load_all(text)):
            doc = Parsed(file, index, None)
            doc.where[()] = (getattr(getattr(node, "lc", None), "line", 0) + 1, 1)
            doc.data = _plain(node, doc, (), _Budget())
            documents.append(doc)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = (error.problem or str(error)).strip()
        if "\t" in text and "tab" in str(error).lower() or "found character '\\t'" in str(error):
            message += "; YAML does not allow tabs for indentation, use spaces"
        if error.__class__.__name__.startswith("Duplicate"):
            message = f"duplicate key: {error.problem.strip() if error.problem else error}"
        return [], [Problem(file, line, column, "", f"invalid YAML: {message}")]
    except TooLarge as error:
        return [], [Problem(file, 0, 0, "", "document is too large or too deeply nested "
                            f"(over {MAX_NODES} nodes or {MAX_DEPTH} levels); aliases expanding "
                            f"without bound? near {error}")]
    except (YAMLError, RecursionError) as error:
        return [], [Problem(file, 0, 0, "", f"invalid YAML: {str(error).strip()[:300]}")]
    return documents, []
