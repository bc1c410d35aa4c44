"""Pre-flight checks at plan time: turn apply-time failures into plan-time errors with file and line.

Pure: the facts (endpoints, their configs, models, alarms) were read by gather.py, only for the
components the plan deploys (`ComponentChange.deploys`).
"""

from __future__ import annotations

from gitsync.errors import Problem
from gitsync.manifests.validate import Desired, base_path, missing_bases, specs_of
from gitsync.plan import Action, Plan
from gitsync.state import LiveState


def rollback_alarms(want: Desired) -> list[str]:
    rollback = (want.deployment or {}).get("AutoRollbackConfiguration") or {}
    return [a["AlarmName"] for a in rollback.get("Alarms") or []]


def deploying(plan: Plan, desired: list[Desired]) -> list[Desired]:
    names = {c.name for c in plan.changes if c.deploys}
    return [d for d in desired if d.name in names]


def problems(plan: Plan, desired: list[Desired], live: LiveState) -> list[Problem]:
    wanted = deploying(plan, desired)
    found = missing_bases(wanted, set(live.listed)) + pruned_bases(plan, desired)
    for want in wanted:
        found += _endpoint_problems(want, live)
        for index, spec in enumerate(specs_of(want.body)):
            at: tuple[str | int, ...] = (("Specification",) if "Specification" in want.body
                                         else ("Specifications", index))
            model = spec.get("ModelName")
            if model and not live.models.get(model):
                found.append(want.source.problem(at + ("ModelName",), f"model `{model}` does not exist "
                                                 "in this account and region; create it first"))
        for alarm in rollback_alarms(want):
            if alarm not in live.alarms:
                found.append(want.source.problem(("DeploymentConfig", "AutoRollbackConfiguration"),
                                                 f"CloudWatch alarm `{alarm}` does not exist"))
    return found


def pruned_bases(plan: Plan, desired: list[Desired]) -> list[Problem]:
    """--prune would delete a base whose adapter stays in a manifest: AWS refuses to delete a base
    component that still has adapters, and the adapter would be left without its base."""
    deleted = {c.name for c in plan.changes if c.action is Action.DELETE}
    return [d.source.problem(base_path(d), f"base component `{d.base}` is in no manifest, so --prune "
                             "would delete it, but this adapter stays; keep the base's manifest, or "
                             "remove this adapter's too")
            for d in desired if d.base in deleted]


def _endpoint_problems(want: Desired, live: LiveState) -> list[Problem]:
    endpoint = live.endpoints.get(want.endpoint)
    if endpoint is None:
        return [want.source.problem(("EndpointName",), f"endpoint `{want.endpoint}` does not exist; "
                                    "create it (with a variant that has no ModelName) first")]
    config = live.configs.get(endpoint["EndpointConfigName"]) or {}
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
