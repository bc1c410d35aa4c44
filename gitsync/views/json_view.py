"""Plan -> JSON text (the versioned document), optionally filtered by a JMESPath --query."""

from __future__ import annotations

from typing import Any

import jmespath
import jmespath.exceptions

from gitsync.capacity import Capacity
from gitsync.cost import Cost
from gitsync.errors import ConfigError
from gitsync.plan import Plan
from gitsync.views import cost_view
from gitsync.views.document import plan_document


def query(document: Any, expression: str | None) -> Any:
    if not expression:
        return document
    try:
        return jmespath.search(expression, document)
    except jmespath.exceptions.JMESPathError as error:
        raise ConfigError(f"--query `{expression}` is not a valid JMESPath expression: {error}") from None


def document(plan: Plan, capacity: Capacity | None = None, cost: Cost | None = None) -> dict[str, Any]:
    """The plan document; the manifests', capacity and cost warnings, when there are any, as a
    top-level `warnings` list; the cost, when the plan touches an endpoint, as `cost`."""
    found = plan_document(plan)
    warnings = list(plan.warnings) + list(capacity.warnings if capacity is not None else ()) + \
        list(cost.warnings if cost is not None else ())
    if warnings:
        found["warnings"] = warnings
    if cost is not None and cost.endpoints:
        found["cost"] = cost_view.document(cost)
    return found



def as_text(value: Any) -> str:
    """What --query picked, as the AWS CLI's `--output text` prints it: strings raw (no quotes),
    null as None, a list of scalars on one line separated by tabs, a mapping's scalar values in
    key order on one line, and nested lists and mappings on lines of their own."""
    return "".join(line + "\n" for line in _text_lines(value))


def _text_lines(value: Any) -> list[str]:
    if isinstance(value, dict):
        scalars = [_scalar(value[k]) for k in sorted(value) if not isinstance(value[k], dict | list)]
        nested = [line for k in sorted(value) if isinstance(value[k], dict | list)
                  for line in _text_lines(value[k])]
        return (["\t".join(scalars)] if scalars else []) + nested
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            return ["\t".join(_scalar(item) for item in value)] if value else []
        return [line for item in value for line in _text_lines(item)]
    return [_scalar(value)]


def _scalar(value: Any) -> str:
    return "None" if value is None else str(value)
