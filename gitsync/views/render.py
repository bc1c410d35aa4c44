"""The one output dispatcher: --output (and --query) choose how a plan, a multi-environment plan or
a drift report is shown. Each kind brings its renderings; only this module chooses between them."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML

from gitsync.drift import DriftReport
from gitsync.errors import ConfigError
from gitsync.plan import Plan
from gitsync.views import (
    FORMATS,
    drift_document,
    drift_markdown,
    drift_text,
    environments,
    json_view,
    markdown,
    text,
)

if TYPE_CHECKING:
    from gitsync.capacity import Capacity
    from gitsync.cost import Cost


@dataclass(frozen=True)
class Renderings:
    """One value's renderings: its JSON document (json, yaml, --query), text and markdown."""

    document: Callable[[], Any]
    text: Callable[[bool, bool], str]  # (color, verbose)
    markdown: Callable[[], str]


def render(item: Renderings, output: str, *, query: str | None = None, color: bool = False,
           verbose: bool = False) -> str:
    output = output_for(output, query)
    if output == "text" and query:
        return json_view.as_text(json_view.query(item.document(), query))
    if output == "text":
        return item.text(color, verbose)
    if output == "markdown":
        return item.markdown()
    if output in ("json", "yaml"):
        return document_text(json_view.query(item.document(), query), output)
    raise ConfigError(f"--output must be one of {', '.join(FORMATS)}")


def of_plan(plan: Plan, capacity: Capacity | None = None, cost: Cost | None = None) -> Renderings:
    return Renderings(
        document=lambda: json_view.document(plan, capacity, cost),
        text=lambda color, verbose: text.render(plan, color=color, verbose=verbose, capacity=capacity,
                                                cost=cost),
        markdown=lambda: markdown.render(plan, capacity=capacity, cost=cost))


def of_plans(plans: list[Plan]) -> Renderings:
    """`plan --all-envs`: every environment's plan, one after the other, and their totals."""
    return Renderings(document=lambda: environments.document(plans),
                      text=lambda color, verbose: environments.text(plans, color, verbose),
                      markdown=lambda: environments.markdown(plans))


def of_drift(report: DriftReport) -> Renderings:
    return Renderings(
        document=lambda: drift_document.document(report),
        text=lambda color, verbose: drift_text.render(report, color=color, verbose=verbose),
        markdown=lambda: drift_markdown.render(report))


def output_for(output: str, query: str | None) -> str:
    """--query filters the JSON document, as the AWS CLI's does: markdown becomes JSON, and text
    is the AWS CLI's text form of what it picked (raw strings, tab-separated); the click layer
    makes the default --output json when --query is given, as `aws --query` prints JSON."""
    return "json" if query and output == "markdown" else output


def document_text(document: Any, output: str) -> str:
    """A document (or what --query picked from it) as JSON or YAML text."""
    if output == "json":
        return json.dumps(document, indent=2, default=str) + "\n"
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    # Block style: in flow style ruamel writes `{after: repo/app:1.0}`, which YAML cannot read back.
    yaml.default_flow_style = False
    yaml.dump(json.loads(json.dumps(document, default=str)), stream)
    return stream.getvalue()
