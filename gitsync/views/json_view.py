"""Plan -> JSON text (the versioned document), optionally filtered by a JMESPath --query."""

from __future__ import annotations

import json
from typing import Any

import jmespath
import jmespath.exceptions

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


def render(plan: Plan, expression: str | None = None) -> str:
    return json.dumps(query(plan_document(plan), expression), indent=2, default=str) + "\n"
