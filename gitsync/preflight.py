"""Pre-flight checks at plan time: turn apply-time failures into plan-time errors with file and line.

Facts are fetched first (one call per distinct endpoint, model and alarm set, and only for components
the plan would change), then checked purely.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gitsync import aws
from gitsync.errors import Problem
from gitsync.live import LiveState
from gitsync.manifests.validate import Desired, missing_bases, specs_of
from gitsync.plan import Action, Plan

CHANGING = (Action.CREATE, Action.UPDATE, Action.REPLACE)


@dataclass(frozen=True)
class Facts:
    endpoints: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    configs: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    models: dict[str, bool] = field(default_factory=dict)
    alarms: set[str] = field(default_factory=set)


def _alarms(want: Desired) -> list[str]:
    rollback = (want.deployment or {}).get("AutoRollbackConfiguration") or {}
    return [a["AlarmName"] for a in rollback.get("Alarms") or []]


def changing(plan: Plan, desired: list[Desired]) -> list[Desired]:
    names = {c.name for c in plan.changes if c.action in CHANGING}
    return [d for d in desired if d.name in names]


def gather(clients: aws.Clients, wanted: list[Desired], endpoints_too: Iterable[str] = (),
           parallelism: int = 8) -> Facts:
    """What the checks of `wanted` need, and the endpoints (and their configs) `endpoints_too`."""
    endpoints = sorted({d.endpoint for d in wanted} | set(endpoints_too))
    models = sorted({s["ModelName"] for d in wanted for s in specs_of(d.body) if s.get("ModelName")})
    alarms = sorted({a for d in wanted for a in _alarms(d)})
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        exist = pool.map(lambda m: aws.describe_model(clients, m) is not None, models)  # meanwhile
        described = dict(zip(endpoints, pool.map(lambda e: aws.describe_endpoint(clients, e), endpoints)))
        config_names = sorted({d["EndpointConfigName"] for d in described.values() if d})
        configs = dict(zip(config_names, pool.map(lambda c: aws.describe_endpoint_config(clients, c),
                                                  config_names)))
        found = dict(zip(models, exist))
    return Facts(described, configs, found, aws.existing_alarms(clients, alarms) if alarms else set())


def problems(wanted: list[Desired], live: LiveState, facts: Facts) -> list[Problem]:
    found = missing_bases(wanted, set(live.listed))
    for want in wanted:
        found += _endpoint_problems(want, facts)
        for index, spec in enumerate(specs_of(want.body)):
            at: tuple[str | int, ...] = (("Specification",) if "Specification" in want.body
                                         else ("Specifications", index))
            model = spec.get("ModelName")
            if model and not facts.models.get(model):
                found.append(want.source.problem(at + ("ModelName",), f"model `{model}` does not exist "
                                                 "in this account and region; create it first"))
        for alarm in _alarms(want):
            if alarm not in facts.alarms:
                found.append(want.source.problem(("DeploymentConfig", "AutoRollbackConfiguration"),
                                                 f"CloudWatch alarm `{alarm}` does not exist"))
    return found


def _endpoint_problems(want: Desired, facts: Facts) -> list[Problem]:
    endpoint = facts.endpoints.get(want.endpoint)
    if endpoint is None:
        return [want.source.problem(("EndpointName",), f"endpoint `{want.endpoint}` does not exist; "
                                    "create it (with a variant that has no ModelName) first")]
    config = facts.configs.get(endpoint["EndpointConfigName"]) or {}
    variants = config.get("ProductionVariants") or []
    if any(v.get("ModelName") for v in variants):
        return [want.source.problem(("EndpointName",), f"endpoint `{want.endpoint}` serves a model "
                                    "directly; inference components need an endpoint whose variants "
                                    "name no ModelName")]
    names = [v["VariantName"] for v in endpoint.get("ProductionVariants") or []]
    variant = want.body.get("VariantName")
    if variant and variant not in names:
        return [want.source.problem(("VariantName",), f"endpoint `{want.endpoint}` has no variant "
                                    f"`{variant}` (it has {', '.join(names) or 'none'})")]
    return []
