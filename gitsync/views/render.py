"""Pick the renderer for --output."""

from __future__ import annotations

import io
import json

from ruamel.yaml import YAML

from gitsync.capacity import Capacity
from gitsync.errors import ConfigError
from gitsync.plan import Plan
from gitsync.views import json_view, markdown, text

FORMATS = ("text", "json", "yaml", "markdown")
DRIFT_FORMATS = ("text", "json", "markdown")  # `icsync drift --output`


def render_plan(plan: Plan, output: str, *, color: bool = False, verbose: bool = False,
                query: str | None = None, capacity: Capacity | None = None) -> str:
    if query and output in ("text", "markdown"):
        output = "json"  # --query filters the JSON document, as the AWS CLI's does
    if output == "text":
        return text.render(plan, color=color, verbose=verbose, capacity=capacity)
    if output == "json":
        return json_view.render(plan, query, capacity)
    if output == "yaml":
        stream = io.StringIO()
        document = json.loads(json.dumps(json_view.query(json_view.document(plan, capacity), query),
                                         default=str))
        yaml = YAML(typ="safe", pure=True)
        # Block style: in flow style ruamel writes `{after: repo/app:1.0}`, which YAML cannot read back.
        yaml.default_flow_style = False
        yaml.dump(document, stream)
        return stream.getvalue()
    if output == "markdown":
        return markdown.render(plan, capacity=capacity)
    raise ConfigError(f"--output must be one of {', '.join(FORMATS)}")
