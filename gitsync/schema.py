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
from gitsync.manifests.validate import DEPLOYMENT_KEY, OPTIONS_KEY, SPEC_KEYS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]

OPTIONS_SCHEMA: Schema = {
    "type": "object",
    "description": "icsync's own options for this component; never sent to AWS.",
    "additionalProperties": False,
    "properties": {
        "ignore": {"type": "array", "items": {"type": "string"},
                   "description": "Field paths whose live differences are ignored, e.g. "
                                  "RuntimeConfig.CopyCount when autoscaling owns the copy count."},
        "wave": {"type": "integer",
                 "description": "Apply order: lower waves are applied (and settle) first."},
        "prune": {"type": "boolean",
                  "description": "false: `icsync apply --prune` never deletes this component."},
        "autoscaling": {
            "type": "object",
            "description": "The Application Auto Scaling target and target-tracking policy icsync "
                           "manages for this component's copy count.",
            "additionalProperties": False,
            "required": ["min", "max", "target"],
            "properties": {
                "min": {"type": "integer", "minimum": 0, "description": "Fewest copies; 0 scales to zero."},
                "max": {"type": "integer", "minimum": 1, "description": "Most copies (not below min)."},
                "target": {
                    "type": "object",
                    "description": "The metric to track (a predefined metric type, or `custom`: a "
                                   "CustomizedMetricSpecification) and its target value.",
                    "required": ["value"],
                    "anyOf": [{"required": ["metric"]}, {"required": ["custom"]}],
                    "properties": {"metric": {"type": "string"}, "custom": {"type": "object"},
                                   "value": {"type": "number", "exclusiveMinimum": 0}},
                },
                "scale_in_cooldown": {"type": "integer", "minimum": 0, "description": "Seconds."},
                "scale_out_cooldown": {"type": "integer", "minimum": 0, "description": "Seconds."},
            },
        },
    },
}

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
    schema["properties"][OPTIONS_KEY] = OPTIONS_SCHEMA
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
