"""The fast path of `load.parse`: ruamel.yaml's C parser for manifests made of plain YAML.

ruamel's round-trip loader is pure Python and costs about 3 ms for a 20-line manifest; at a thousand
manifests that is most of a plan's CPU. The C parser (ruamel.yaml.clib) composes the same nodes,
with the same YAML 1.2 resolver and the line and column of every node, in a fraction of that.
This path takes only what it can map exactly as the round-trip path would: mappings with string keys,
lists, and str/int/float/bool/null scalars. Anything else (aliases, tags, merge keys, timestamps,
odd keys, duplicate keys, syntax errors, size limits) returns None, and `load.parse` runs its careful
path, which owns every error message.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from gitsync.model import Path

try:
    from _ruamel_yaml import CParser  # type: ignore[import-not-found]
except ImportError:  # no C extension for this interpreter: always take the round-trip path
    CParser = None

_TAG = "tag:yaml.org,2002:"
_DIRECTIVE = re.compile(r"^%", re.MULTILINE)
Where = dict[Path, tuple[int, int]]


_local = threading.local()


def _yaml() -> YAML:
    """One loader per thread, reused: building a YAML() searches for plug-ins on disk each time."""
    if not hasattr(_local, "yaml"):
        _local.yaml = YAML(typ="safe")
    return _local.yaml  # type: ignore[no-any-return]


_PLAIN_TAGS: dict[str, Tag] = {}  # the tag of each plain scalar seen, under YAML 1.2's rules


class _Composer(CParser if CParser is not None else object, VersionedResolver):  # type: ignore[misc]
    """The C parser with ruamel's YAML 1.2 resolver, built once (YAML.compose_all builds a class
    for every stream) and remembering how each plain scalar resolved: ruamel works the answer
    out again for every scalar, asking the scanner each time which YAML version applies. Streams
    with a %YAML directive never come here (`parse_plain` declines them), so the version is 1.2."""

    _table: Any = None  # YAML 1.2's implicit resolvers by first character, built once

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        VersionedResolver.__init__(self, version=None, loadumper=self)

    @property
    def versioned_resolver(self) -> Any:
        """ruamel builds this table anew for every parser, the first time a scalar is not in
        _PLAIN_TAGS: for a project of many manifests, each naming something new, once a file."""
        if _Composer._table is None:
            _Composer._table = VersionedResolver.versioned_resolver.fget(self)  # type: ignore[attr-defined]
        return _Composer._table

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:  # one Tag a value, shared (read only), so its string is worked out once
                tag = VersionedResolver.resolve(self, kind, value, implicit)
                if len(_PLAIN_TAGS) < 100_000:
                    _PLAIN_TAGS[value] = tag
            return tag
        return VersionedResolver.resolve(self, kind, value, implicit)


class _Decline(Exception):
    """Something the round-trip path must judge."""


class _Walk:
    def __init__(self, max_nodes: int, max_depth: int) -> None:
        self.constructor = _yaml().constructor
        self.max_nodes, self.max_depth = max_nodes, max_depth
        self.seen: set[int] = set()
        self.where: Where = {}

    def value(self, node: Node, path: Path) -> Any:
        if id(node) in self.seen or len(self.seen) >= self.max_nodes or len(path) > self.max_depth:
            raise _Decline  # an alias, or a size limit whose message the careful path writes
        self.seen.add(id(node))
        if isinstance(node, MappingNode) and node.tag == _TAG + "map":
            return self.mapping(node, path)
        if isinstance(node, SequenceNode) and node.tag == _TAG + "seq":
            items = []
            for index, item in enumerate(node.value):
                self.where[path + (index,)] = _position(item)
                items.append(self.value(item, path + (index,)))
            return items
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        raise _Decline

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or key.tag != _TAG + "str" or key.value in out:
                raise _Decline  # merge keys, non-string keys, duplicates
            self.where[path + (key.value,)] = _position(key)
            out[key.value] = self.value(value, path + (key.value,))
        return out

    def scalar(self, node: ScalarNode) -> Any:
        tag = node.tag.removeprefix(_TAG) if isinstance(node.tag, str) else None
        if tag == "str":
            return node.value
        if tag == "null":
            return None
        if tag == "bool":
            return bool(self.constructor.construct_yaml_bool(node))
        if tag == "int":
            return int(self.constructor.construct_yaml_int(node))
        if tag == "float":
            return float(self.constructor.construct_yaml_float(node))
        raise _Decline  # timestamps, binary, custom tags


def _position(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def parse_plain(text: str, max_nodes: int, max_depth: int) -> list[tuple[Any, Where]] | None:
    """Each document's data and key positions, exactly as the round-trip path gives them; or None."""
    if CParser is None:
        return None
    if "%" in text and _DIRECTIVE.search(text):
        return None  # a %YAML or %TAG directive: the careful path
    try:
        composer = _Composer(text)
        try:
            nodes = []
            while composer.check_node():
                nodes.append(composer.get_node())
        finally:
            composer.dispose()
        documents: list[tuple[Any, Where]] = []
        for node in nodes:
            if node is None:  # an empty document, as `---` alone gives
                documents.append((None, {(): (1, 1)}))
                continue
            walk = _Walk(max_nodes, max_depth)
            root_line = node.start_mark.line + 1 if isinstance(node, MappingNode | SequenceNode) else 1
            walk.where[()] = (root_line, 1)
            documents.append((walk.value(node, ()), walk.where))
        return documents
    except Exception:  # noqa: BLE001 - any surprise goes to the careful path, which explains it
        return None
