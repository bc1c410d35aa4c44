"""The one ruamel.yaml use: YAML text -> plain Python documents, with the line of every key.

Input comes from pull requests, so every way YAML can hurt a loader is bounded before or while
parsing: size, nesting depth, alias expansion ("billion laughs"), and tags that would build objects.
"""

from __future__ import annotations

import datetime
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitsync.errors import Problem
from gitsync.model import Path, dotted

MAX_NODES = 100_000  # far above any real manifest; stops alias bombs ("billion laughs")
MAX_DEPTH = 32
MAX_BYTES = 2 * 1024 * 1024
# ruamel parses nesting recursively and slowly; text nested deeper than this is refused unparsed.
MAX_TEXT_DEPTH = 64
# The fix for ruamel's most common complaints, in the words of someone editing a manifest.
_HINTS = {
    "mapping values are not allowed here": "is a key indented wrongly, or does a value hold `: ` "
                                           "and need quotes?",
    "found undefined alias": "define the anchor (`&name`) before using the alias (`*name`)",
    "could not find expected ':'": "is a key missing its colon, or a quote left open?",
    "expected <block end>, but found": "check the indentation of this line against the one above",
    "found unexpected end of stream": "a quote or bracket is left open",
}
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')  # brackets inside quotes do not nest
_DUPLICATE = re.compile(r'found duplicate key "(.*?)"')
_YAML_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_YAML_TAG + kind for kind in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}


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
        line, column = self.locate(path)
        return Problem(self.file, line, column, dotted(path), message)


class TooLarge(Exception):
    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


class Duplicate(YAMLError):
    """A key a mapping already has: refused, as ruamel's round-trip loader refuses it."""

    def __init__(self, key: Node, name: str, mapping: Node) -> None:
        super().__init__(name)
        self.key, self.name, self.mapping = key, name, mapping


@dataclass
class _Walk:
    doc: Parsed
    nodes: int = 0
    problems: list[Problem] = field(default_factory=list)

    def construct(self, node: Node) -> Any:
        """A scalar as YAML 1.2 reads it (int, float, bool, null, timestamp), by the safe
        constructor's own function for its tag (construct_object would keep every node)."""
        constructor = _yaml("construct").constructor  # not the composing one: that is mid-stream
        return constructor.yaml_constructors[str(node.tag)](constructor, node)


def parse(file: str, text: str) -> tuple[list[Parsed], list[Problem]]:
    """Every document of a YAML stream, or the problems that stop it from parsing.

    ruamel's pure-Python parser is the reference: the C parser, ten times faster, reads most
    manifests the same, but refuses some valid YAML 1.2 (`{Image: repo/app:1}`, a colon in a flow
    scalar) and words its errors otherwise, so whatever it refuses is read again by the former."""
    early = _refuse_early(file, text)
    if early is not None:
        return [], [early]
    try:
        return _walked(file, _yaml("compose").compose_all(text))
    except YAMLError:
        pass
    try:
        return _walked(file, YAML(typ="safe", pure=True).compose_all(text))
    except MarkedYAMLError as error:
        return [], [_syntax_problem(file, text, error)]
    except YAMLError as error:
        return [], [Problem(file, 0, 0, "", f"invalid YAML: {str(error).strip()[:300]}")]


def _walked(file: str, nodes: Iterable[Node]) -> tuple[list[Parsed], list[Problem]]:
    """The documents, walked into plain data; YAMLError where the stream does not parse."""
    documents: list[Parsed] = []
    problems: list[Problem] = []
    doc = Parsed(file, 0, None)
    try:
        for index, node in enumerate(nodes):
            doc = Parsed(file, index, None)
            doc.where[()] = (node.start_mark.line + 1, 1)
            walk = _Walk(doc)
            doc.data = _plain(node, (), walk)
            problems += walk.problems
            documents.append(doc)
    except Duplicate as error:
        where = _mark(error.key)
        return [], [Problem(file, *where, "", f"duplicate key `{error.name}` (the mapping that starts at "
                            f"line {_mark(error.mapping)[0]} already has it); keep one of them")]
    except TooLarge as error:
        return [], [doc.problem(error.path, error.message)]
    except (RecursionError, ValueError, TypeError, LookupError, AttributeError) as error:
        # ruamel's own slips on odd scalars (e.g. `-_` read as an integer): still the file's fault.
        return [], [Problem(file, 0, 0, "", f"invalid YAML: the YAML reader gave up ({type(error).__name__}: "
                            f"{str(error)[:200]}); put unusual values in quotes")]
    return (documents, []) if not problems else ([], problems)


_local = threading.local()


def _yaml(role: str) -> YAML:
    """ruamel's safe loader, one a thread and role (making one searches for plug-ins on disk):
    "compose" makes nodes, each with its line and column, with ruamel.yaml.clib's C parser where
    that is installed (about a tenth of the pure-Python parser's time) and YAML 1.2's resolver
    either way; "construct" reads scalars, apart, as a stream being composed keeps its state."""
    found = getattr(_local, role, None)
    if found is None:
        found = YAML(typ="safe")
        setattr(_local, role, found)
    return cast(YAML, found)


def decoded(file: str, data: bytes) -> tuple[str, Problem | None]:
    """The file's text as text mode reads it (universal newlines); bytes that are not UTF-8 are a
    problem at their line and column (AWS takes UTF-8 only; a replacement character sent in their
    place would be a silent change of the value)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        byte = data[error.start:error.start + 1].hex()
        return "", Problem(file, line, column, "", f"byte 0x{byte} is not UTF-8 text; save the file "
                           "as UTF-8")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def binary(file: str) -> Problem:
    return Problem(file, 0, 0, "", "file is binary, not YAML text; remove it or exclude it "
                   "from `manifests` in icsync.yaml")


def _refuse_early(file: str, text: str) -> Problem | None:
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        return Problem(file, 0, 0, "", f"file is larger than {MAX_BYTES // 1024 // 1024} MiB; "
                       "a manifest is a few KiB: is this the right file?")
    if "\x00" in text:
        return binary(file)
    # A bound first: nesting cannot exceed the lines plus every `-`, `[` and `{` (each line opens
    # at most one indented level), so a short manifest needs no line-by-line estimate.
    if len(text.splitlines()) + text.count("-") + text.count("[") + text.count("{") <= MAX_TEXT_DEPTH:
        return None
    depth, line = text_depth(text)
    if depth > MAX_TEXT_DEPTH:
        return Problem(file, line, 1, "", f"nesting is more than {MAX_TEXT_DEPTH} levels deep; "
                       f"a manifest needs fewer than {MAX_DEPTH}: flatten it")
    return None


def text_depth(text: str) -> tuple[int, int]:
    """A generous estimate of nesting depth from the text alone, and the line where it peaks."""
    flow, indents, worst = 0, [-1], (0, 0)
    for number, line in enumerate(text.splitlines(), 1):
        content = _QUOTED.sub('""', re.split(r"(?:^|\s)#", line, maxsplit=1)[0])
        stripped = content.lstrip(" ")
        if not stripped.strip():
            continue
        if flow == 0:
            indent = len(content) - len(stripped)
            while indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
        dashes = re.match(r"(?:-[ \t]+)*", stripped).group().count("-")  # type: ignore[union-attr]
        for char in stripped:
            flow += 1 if char in "[{" else -1 if char in "]}" and flow else 0
            depth = len(indents) - 1 + dashes + flow
            if depth > worst[0]:
                worst = (depth, number)
    return worst


def _syntax_problem(file: str, text: str, error: MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = (error.problem or str(error)).strip()
    duplicate = _DUPLICATE.search(problem)
    if duplicate:
        start = error.context_mark.line + 1 if error.context_mark else line
        return Problem(file, line, column, "", f"duplicate key `{duplicate.group(1)}` (the mapping that "
                       f"starts at line {start} already has it); keep one of them")
    message = f"invalid YAML: {problem}"
    hint = next((text for start, text in _HINTS.items() if problem.startswith(start)), "")
    if "\\t" in problem or "tab" in problem.lower():
        message += "; YAML does not allow tabs for indentation: indent with spaces"
    elif hint:
        message += f"; {hint}"
    elif error.context:
        message += f" ({error.context.strip()}"
        if error.context_mark and error.problem_mark and error.context_mark.line != error.problem_mark.line:
            message += f" at line {error.context_mark.line + 1}"
        message += ")"
    return Problem(file, line, column, "", message)


def _plain(node: Node, path: Path, walk: _Walk) -> Any:
    walk.nodes += 1
    if walk.nodes > MAX_NODES:
        raise TooLarge(path, f"the document expands to more than {MAX_NODES} values; YAML aliases "
                       "(*name) repeated inside each other (a \"billion laughs\" bomb?)")
    if len(path) > MAX_DEPTH:
        raise TooLarge(path, f"nested more than {MAX_DEPTH} levels deep; flatten it")
    tag = str(node.tag)
    if tag not in _PLAIN_TAGS:
        # An explicit tag (`!Ref`, `!!python/object`) asks for something a manifest cannot hold.
        walk.problems.append(walk.doc.problem(path, f"YAML tag `{tag.replace(_YAML_TAG, '!!')}` is not "
                                              "supported; write a plain string, number, list or mapping"))
        return None
    if isinstance(node, MappingNode):
        return _plain_map(node, path, walk)
    if isinstance(node, SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            walk.doc.where[path + (index,)] = _mark(item)
            items.append(_plain(item, path + (index,), walk))
        return items
    if tag == _YAML_TAG + "str":
        return str(node.value)
    value = walk.construct(node)
    if isinstance(value, bool | int | float | datetime.date) or value is None:
        return value
    walk.problems.append(walk.doc.problem(path, f"a YAML {type(value).__name__} value is not supported; "
                                          "write a plain string, number, list or mapping"))
    return None


def _mark(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _plain_map(node: MappingNode, path: Path, walk: _Walk) -> dict[str, Any]:
    out: dict[str, Any] = {}
    seen: dict[str, Node] = {}
    merged: dict[str, Any] = {}
    for key, value in node.value:
        if str(key.tag) == _YAML_TAG + "merge":  # `<<: *defaults`: keys written here win
            for source in value.value if isinstance(value, SequenceNode) else [value]:
                found = _plain(source, path, walk)
                merged.update(found if isinstance(found, dict) else {})
            continue
        name = _key_text(key, walk)
        if name is None:
            kind = {MappingNode: "a mapping", SequenceNode: "a list"}.get(type(key), "that value")
            walk.problems.append(walk.doc.problem(path, f"a mapping key must be a plain string, not {kind}"))
            continue
        if name in seen:
            raise Duplicate(key, name, node)
        seen[name] = key
        walk.doc.where.setdefault(path + (name,), _mark(key))
        out[name] = _plain(value, path + (name,), walk)
    return {**merged, **out}


def _key_text(key: Node, walk: _Walk) -> str | None:
    if not isinstance(key, ScalarNode):
        return None
    value = str(key.value) if str(key.tag) == _YAML_TAG + "str" else walk.construct(key)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str | int | float):
        return str(value)
    return None
