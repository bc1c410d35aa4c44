"""Pick the renderer for --output."""

from __future__ import annotations

import io
import json
from typing import Any

from ruamel.yaml import YAML

from gitsync.capacity import Capacity
from gitsync.errors import ConfigError
from gitsync.plan import Plan
from gitsync.views import FORMATS, json_view, markdown, text


def render_plan(plan: Plan, output: str, *, color: bool = False, verbose: bool = False,
                query: str | None = None, capacity: Capacity | None = None) -> str:
    output = output_for(output, query)
    if output == "text":
        return text.render(plan, color=color, verbose=verbose, capacity=capacity)
    if output in ("json", "yaml"):
        return document_text(json_view.query(json_view.document(plan, capacity), query), output)
    if output == "markdown":
        return markdown.render(plan, capacity=capacity)
    raise ConfigError(f"--output must be one of {', '.join(FORMATS)}")


def output_for(output: str, query: str | None) -> str:
    """--query filters the JSON document, as the AWS CLI's does: text and markdown become JSON."""
    return "json" if query and output in ("text", "markdown") else output


def document_text(document: Any, output: str) -> str:
    """A plan document (or what --query picked from it) as JSON or YAML text."""
    if output == "json":
        return json.dumps(document, indent=2, default=str) + "\n"
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    # Block style: in flow style ruamel writes `{after: repo/app:1.0}`, which YAML cannot read back.
    yaml.default_flow_style = False
    yaml.dump(json.loads(json.dumps(document, default=str)), stream)
    return stream.getvalue()
