"""The `icsync:` block defined once, as a JSON Schema fragment, and a checker for the part of JSON
Schema it uses. `icsync schema` publishes the fragment; validate runs `check` on it, so the two
cannot disagree. Messages say what to write; the metric names come from the installed
Application Auto Scaling model, the field paths of `ignore` from the SageMaker one."""

from __future__ import annotations

import functools
import re
from typing import Any

from gitsync import model

Schema = dict[str, Any]
Found = list[tuple[tuple[str, ...], str]]

DEPLOYMENT_KEY = "DeploymentConfig"
_GLOB = re.compile(r"[*?\[]")
_INDEX = re.compile(r"(\[\d+\])+$")

# What a person is told, by key path inside the block, instead of the generic message.
MESSAGES = {
    (): "expected a mapping of icsync options (ignore, wave, prune, autoscaling, smoke)",
    ("autoscaling", "min"): "min must be a whole number of copies, 0 or more (0 scales to zero)",
    ("autoscaling", "max"): "max must be a whole number of copies, 1 or more",
    ("autoscaling", "scale_in_cooldown"): "scale_in_cooldown must be a whole number of seconds, 0 or more",
    ("autoscaling", "scale_out_cooldown"): "scale_out_cooldown must be a whole number of seconds, 0 or more",
    ("autoscaling", "target"): "target must be a mapping: {metric: "
                               "SageMakerInferenceComponentInvocationsPerCopy, value: 4}",
    ("autoscaling", "target", "metric"): "target.metric must name a predefined metric type "
                                         "(e.g. SageMakerInferenceComponentInvocationsPerCopy), or "
                                         "target.custom a CustomizedMetricSpecification",
    ("autoscaling", "target", "value"): "target.value must be a number above 0",
    ("smoke", "expect", "status"): "expect.status must be an HTTP status, e.g. 200",
    ("smoke", "timeout"): "timeout must be a number of seconds above 0",
    ("smoke", "tries"): "tries must be a whole number, 1 or more",
    ("ignore",): "expected a list of field paths like RuntimeConfig.CopyCount",
    ("ignore", "*"): "`{value}` is not a manifest field path; a rule starts with a top-level field "
                     "(RuntimeConfig.CopyCount, Specification.Container.Environment.LOG_LEVEL) or a glob",
}
_NOUNS = {(): "icsync option", ("autoscaling",): "autoscaling key", ("smoke",): "smoke key",
          ("smoke", "expect"): "expect key"}
ON_FAILURE = ("report", "revert")
_PYTHON = {"integer": "int", "boolean": "bool", "array": "list", "object": "dict", "number": "number",
           "string": "str"}


@functools.cache
def metric_types() -> tuple[str, ...]:
    """The predefined metrics Application Auto Scaling tracks for an inference component."""
    shape = model.service_model("application-autoscaling").shape_for("MetricType")
    return tuple(m for m in shape.enum if m.startswith("SageMakerInferenceComponent"))


@functools.cache
def _top_level() -> tuple[str, ...]:
    return (*model.input_shape("CreateInferenceComponent").members, DEPLOYMENT_KEY, "icsync")


def schema_fragment() -> Schema:
    """The `icsync:` block as JSON Schema (draft 2020-12)."""
    first = "|".join(map(re.escape, _top_level()))
    return {
        "type": "object",
        "description": "icsync's own options for this component; never sent to AWS.",
        "additionalProperties": False,
        "properties": {
            "ignore": {"type": "array", "items": {
                "type": "string", "pattern": rf"^(?:(?:{first})(?:[.\[]|$)|[*?\[])",
                "description": "A manifest field path (a glob may follow its first part)."},
                "description": "Field paths whose live differences are ignored, e.g. "
                               "RuntimeConfig.CopyCount when autoscaling owns the copy count."},
            "wave": {"type": "integer",
                     "description": "Apply order: lower waves are applied (and settle) first."},
            "prune": {"type": "boolean",
                      "description": "false: `icsync apply --prune` never deletes this component."},
            "autoscaling": _autoscaling(),
            "smoke": _smoke(),
        },
    }


def _smoke() -> Schema:
    return {
        "type": "object",
        "description": "A request apply sends the component after a create or an update settles "
                       "(and `icsync smoke` on demand), and what its answer must be.",
        "additionalProperties": False,
        "properties": {
            "body": {"description": "The request body: a string is sent as it is, anything else as JSON."},
            "content_type": {"type": "string", "description": "Default application/json."},
            "expect": {
                "type": "object",
                "description": "What a passing answer is (every key given must hold).",
                "additionalProperties": False,
                "properties": {
                    "status": {"type": "integer", "minimum": 100, "maximum": 599,
                               "description": "The container's HTTP status (default 200)."},
                    "contains": {"type": "string", "description": "A substring of the body."},
                    "jmespath": {"type": "string",
                                 "description": "A JMESPath expression on the JSON body: its result "
                                                "must equal `equals`, or else be truthy."},
                    "equals": {"description": "What `jmespath` must give."},
                },
            },
            "timeout": {"type": "number", "exclusiveMinimum": 0,
                        "description": "Seconds to wait for one answer (default 10)."},
            "tries": {"type": "integer", "minimum": 1,
                      "description": "Attempts before the check fails (default 3)."},
            "on_failure": {"type": "string", "enum": list(ON_FAILURE),
                           "description": "report (default): apply exits 1; revert: apply also "
                                          "sends back the specification it replaced."},
        },
    }


def _autoscaling() -> Schema:
    return {
        "type": "object",
        "description": "The Application Auto Scaling target and target-tracking policy icsync "
                       "manages for this component's copy count (max may not be below min).",
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
                "properties": {"metric": {"type": "string", "enum": list(metric_types())},
                               "custom": {"type": "object"},
                               "value": {"type": "number", "exclusiveMinimum": 0}},
            },
            "scale_in_cooldown": {"type": "integer", "minimum": 0, "description": "Seconds."},
            "scale_out_cooldown": {"type": "integer", "minimum": 0, "description": "Seconds."},
        },
    }


def check(schema: Schema, value: Any, path: tuple[str, ...]) -> Found:
    """The keywords the fragment uses: type, enum, minimum, maximum, exclusiveMinimum, required,
    anyOf of required, properties, additionalProperties: false, items, pattern."""
    if not _is(schema.get("type"), value):
        return [(path, MESSAGES.get(path) or f"expected {_PYTHON[schema['type']]}, "
                 f"got {type(value).__name__}")]
    if "enum" in schema and value not in schema["enum"]:
        return [(path, f"unknown {path[-1]} `{value}`" + model.suggest(str(value), schema["enum"]))]
    low, above = schema.get("minimum"), schema.get("exclusiveMinimum")
    high = schema.get("maximum")
    if high is not None and value > high:
        return [(path, MESSAGES.get(path) or f"must be at most {high}")]
    if (low is not None and value < low) or (above is not None and value <= above):
        return [(path, MESSAGES.get(path) or f"must be {'at least' if low is not None else 'above'} "
                 f"{low if low is not None else above}")]
    if "pattern" in schema and not re.search(schema["pattern"], value):
        said = MESSAGES.get(path[:-1] + ("*",)) or "`{value}` does not match " + schema["pattern"]
        return [(path, said.format(value=value))]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in check(schema["items"], item, path + (str(i),))]
    if isinstance(value, dict):
        return _check_object(schema, value, path)
    return []


def _check_object(schema: Schema, value: dict[str, Any], path: tuple[str, ...]) -> Found:
    properties: Schema = schema.get("properties", {})
    found: Found = []
    for key in value:
        if key not in properties and schema.get("additionalProperties") is False:
            found.append((path + (str(key),), f"unknown {_NOUNS.get(path, 'key')} `{key}`"
                          + model.suggest(str(key), list(properties))))
    for key in schema.get("required", []):
        if key not in value:
            found.append((path + (key,), MESSAGES.get(path + (key,)) or f"`{key}` is required"))
    if schema.get("anyOf") and not any(all(k in value for k in option["required"])
                                       for option in schema["anyOf"]):
        first = schema["anyOf"][0]["required"][0]
        found.append((path + (first,), MESSAGES.get(path + (first,)) or f"`{first}` is required"))
    for key, sub in properties.items():
        if key in value:
            found += check(sub, value[key], path + (key,))
    return found


def _is(kind: str | None, value: Any) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    types: dict[str | None, Any] = {"integer": int, "number": (int, float), "boolean": bool,
                                    "array": list, "object": dict, "string": str}
    return kind is None or isinstance(value, types[kind])


def ignore_path_problems(rule: str) -> list[str]:
    """A rule of `ignore` must name manifest fields: each part up to the first glob is walked
    through the SageMaker model (a typo would otherwise ignore nothing, silently)."""
    parts = rule.split(".")
    if _GLOB.search(_INDEX.sub("", parts[0])):
        return []
    if _INDEX.sub("", parts[0]) not in _top_level():
        first = _INDEX.sub("", parts[0])
        return [f"`{first}` is not a manifest field" + model.suggest(first, list(_top_level()))]
    if parts[0] == "icsync":
        return []
    shape: Any = None
    for depth, raw in enumerate(parts):
        part, above = _INDEX.sub("", raw), ".".join(parts[:depth])
        if _GLOB.search(part):
            return []
        if depth == 0:
            shape = (model.input_shape("UpdateInferenceComponent").members[DEPLOYMENT_KEY]
                     if part == DEPLOYMENT_KEY else model.input_shape("CreateInferenceComponent").members[part])
        elif shape.type_name == "list":
            return [f"`{above}` is a list: name an item, as in {above}[0].{raw}"]
        elif shape.type_name == "map":
            shape = shape.value
        elif shape.type_name == "structure" and part in shape.members:
            shape = shape.members[part]
        elif shape.type_name == "structure":
            return [f"`{part}` is not a field of {above}" + model.suggest(part, list(shape.members))]
        else:
            return [f"`{above}` holds a {shape.type_name}, not fields"]
        for _ in range(raw.count("[")):
            if shape.type_name != "list":
                return [f"`{part}` is not a list: remove the [index]"]
            shape = shape.member
    return []
