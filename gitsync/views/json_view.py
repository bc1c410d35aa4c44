"""Plan -> JSON text (the versioned document), optionally filtered by a JMESPath --query."""

from __future__ import annotations

from typing import Any

import jmespath
import jmespath.exceptions

from gitsync.capacity import Capacity
from gitsync.errors import ConfigError
from gitsync.plan import Plan
from gitsync.views.document import plan_document


def query(document: Any, expression: str | None) -> Any:
    if not expression:
        return document
    try:
        return jmespath.search(expression, document)
    except jmespath.exceptions.JMESPathError as error:
        raise ConfigError(f"--query `{expression}` is not a valid JMESPath expression: {error}") from None


def document(plan: Plan, capacity: Capacity | None = None) -> dict[str, Any]:
    """The plan document; capacity warnings, when there are any, as a top-level `warnings` list."""
    found = plan_document(plan)
    if capacity is not None and capacity.warnings:
        found["warnings"] = list(capacity.warnings)
    return found

