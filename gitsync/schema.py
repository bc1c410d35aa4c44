"""The manifest format as a JSON Schema (draft 2020-12), generated from the installed service model.

A manifest is the CreateInferenceComponent request, plus UpdateInferenceComponent's DeploymentConfig,
plus icsync's own `icsync:` options. Editors use the schema for completion and inline errors; it is
generated, never hand-written, so a newer botocore brings its new fields and documentation along.
"""

from __future__ import annotations

import html
import re
from typing import Any

from botocore.model import Shape

from gitsync import model
from gitsync.manifests.option_schema import schema_fragment
from gitsync.manifests.validate import DEPLOYMENT_KEY, OPTIONS_KEY, SPEC_KEYS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
# Java's Unicode classes have no equivalent in Python's re or in ECMAScript without the u flag.
_UNPORTABLE = re.compile(r"\\[pP]\{|\(\?<[=!]|\\[AZz]|\(\?[a-z]+\)")


def plain_text(documentation: str) -> str:
    """The model's HTML documentation as one line of plain text."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", documentation or ""))).strip()


def portable_pattern(pattern: str) -> str | None:
    """The model's pattern, anchored as AWS applies it (whole value), or None if not portable."""
    if _UNPORTABLE.search(pattern):
        return None
    anchored = f"^(?:{pattern})$"
    try:
        re.compile(anchored)
    except re.error:
        return None
    return anchored


def manifest_schema() -> Schema:
    create = model.input_shape("CreateInferenceComponent")
    deployment = model.input_shape("UpdateInferenceComponent").members[DEPLOYMENT_KEY]  # type: ignore[attr-defined]
    schema = shape_schema(create)
    schema["properties"][DEPLOYMENT_KEY] = shape_schema(deployment)
    schema["properties"][OPTIONS_KEY] = schema_fragment()  # the definition validate checks against
    if all(key in schema["properties"] for key in SPEC_KEYS):
        # The API accepts exactly one of the two; the shapes alone cannot say so.
        schema["oneOf"] = [{"required": [key]} for key in SPEC_KEYS]
    return {"$schema": DRAFT, "title": "icsync inference component manifest",
            **schema}


def shape_schema(shape: Shape, seen: tuple[str, ...] = ()) -> Schema:
    """One shape as a schema; `seen` stops a recursive shape from recursing forever."""
    schema: Schema = {}
    description = plain_text(shape.documentation)
    if description:
        schema["description"] = description
    if shape.name in seen:
        return schema
    build = _BUILDERS.get(shape.type_name)
    if build is not None:
        schema.update(build(shape, seen + (shape.name,)))
    return schema


def _structure(shape: Shape, seen: tuple[str, ...]) -> Schema:
    members = shape.members  # type: ignore[attr-defined]
    schema: Schema = {"type": "object", "additionalProperties": False,
                      "properties": {name: shape_schema(member, seen) for name, member in members.items()}}
    required = list(shape.required_members)  # type: ignore[attr-defined]
    if required:
        schema["required"] = required
    return schema


def _list(shape: Shape, seen: tuple[str, ...]) -> Schema:
    schema: Schema = {"type": "array", "items": shape_schema(shape.member, seen)}  # type: ignore[attr-defined]
    return schema | _bounds(shape, "minItems", "maxItems")


def _map(shape: Shape, seen: tuple[str, ...]) -> Schema:
    key = _string(shape.key, seen)  # type: ignore[attr-defined]
    key.pop("type", None)
    schema: Schema = {"type": "object", "propertyNames": key,
                      "additionalProperties": shape_schema(shape.value, seen)}  # type: ignore[attr-defined]
    return schema | _bounds(shape, "minProperties", "maxProperties")


def _string(shape: Shape, seen: tuple[str, ...]) -> Schema:
    schema: Schema = {"type": "string"}
    if getattr(shape, "enum", None):
        schema["enum"] = list(shape.enum)
    pattern = shape.metadata.get("pattern")
    portable = portable_pattern(pattern) if pattern else None
    if portable:
        schema["pattern"] = portable
    return schema | _bounds(shape, "minLength", "maxLength")


def _number(kind: str) -> Any:
    def build(shape: Shape, seen: tuple[str, ...]) -> Schema:
        return {"type": kind} | _bounds(shape, "minimum", "maximum")
    return build


def _bounds(shape: Shape, low_key: str, high_key: str) -> Schema:
    out: Schema = {}
    if shape.metadata.get("min") is not None:
        out[low_key] = shape.metadata["min"]
    if shape.metadata.get("max") is not None:
        out[high_key] = shape.metadata["max"]
    return out


_BUILDERS = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "blob": lambda shape, seen: {"type": "string"},
    "integer": _number("integer"),
    "long": _number("integer"),
    "float": _number("number"),
    "double": _number("number"),
    "boolean": lambda shape, seen: {"type": "boolean"},
    "timestamp": lambda shape, seen: {"type": ["string", "number"]},
}
