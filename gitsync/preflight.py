"""Pre-flight checks at plan time: turn apply-time failures into plan-time errors with file and line.

Pure: the facts (endpoints, their configs, models, alarms) were read by gather.py, only for the
components the plan deploys (`ComponentChange.deploys`).
"""

from __future__ import annotations

from collections.abc import Iterable

from gitsync.errors import Problem
from gitsync.manifests.validate import OWNER_PREFIX, Desired, base_path, missing_bases, specs_of
from gitsync.plan import Action, Call, Plan
from gitsync.state import ENDPOINT_AT_WORK, LiveState


def rollback_alarms(want: Desired) -> list[str]:
    rollback = (want.deployment or {}).get("AutoRollbackConfiguration") or {}
    return [a["AlarmName"] for a in rollback.get("Alarms") or []]


def deploying(plan: Plan, desired: list[Desired]) -> list[Desired]:
    names = {c.name for c in plan.changes if c.deploys}
    return [d for d in desired if d.name in names]


def problems(plan: Plan, desired: list[Desired], live: LiveState) -> list[Problem]:
    wanted = deploying(plan, desired)
    found = missing_bases(wanted, set(live.listed)) + pruned_bases(plan, desired)
    found += endpoint_states(plan, desired, live) + too_many_tags(plan, desired, live)
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


# Tags a resource may carry, icsync's own included (AWS General Reference, "Tagging AWS
# resources"); the Tags of CreateInferenceComponent and AddTags hold at most as many.
TAG_LIMIT = 50


def too_many_tags(plan: Plan, desired: list[Desired], live: LiveState) -> list[Problem]:
    """A component the plan's calls would leave with more than TAG_LIMIT tags: the ownership tags
    and the `icsync:applied` record icsync adds on a create or an adoption count too."""
    changes = {c.name: c for c in plan.changes}
    found = []
    for want in desired:
        change = changes.get(want.name)
        if change is None or not change.calls:
            continue
        component = live.components.get(want.name)
        keys = tags_after(set(component.tags) if component else set(), change.calls)
        if len(keys) > TAG_LIMIT:
            own = sum(1 for k in keys if k.startswith(OWNER_PREFIX))
            found.append(want.source.problem(("Tags",), (
                f"{want.name} would carry {len(keys)} tags after this apply ({own} of them icsync's "
                f"own), more than the {TAG_LIMIT} AWS allows a resource: remove {len(keys) - TAG_LIMIT} "
                "of its tags")))
    return found


def tags_after(keys: set[str], calls: Iterable[Call]) -> set[str]:
    """The tag keys a component carries after `calls`, from `keys` before them."""
    for call in calls:
        if call.operation == "DeleteInferenceComponent":
            keys = set()
        elif call.operation in ("CreateInferenceComponent", "AddTags"):
            keys = keys | {t["Key"] for t in call.params.get("Tags") or []}
        elif call.operation == "DeleteTags":
            keys = keys - set(call.params["TagKeys"])
    return keys


# Endpoint states in which SageMaker is at work on the endpoint: it can become InService by itself.
_IN_PROGRESS = ("Creating", *ENDPOINT_AT_WORK, "RollingBack")


def _placing_on(plan: Plan, desired: list[Desired], live: LiveState) -> Iterable[tuple[Desired, str]]:
    """Each component the plan places copies of, and its endpoint's status."""
    placing = {c.name for c in plan.changes if c.places}
    for want in desired:
        if want.name in placing:
            yield want, str((live.endpoints.get(want.endpoint) or {}).get("EndpointStatus") or "InService")


def endpoint_states(plan: Plan, desired: list[Desired], live: LiveState) -> list[Problem]:
    """A component is created, updated or scaled only on an endpoint whose instances run: AWS refuses
    a change on an endpoint being created or rolled back, and one that failed or is out of service
    has no instances to place copies on. An endpoint at work in the ordinary course
    (state.ENDPOINT_AT_WORK) is no error (`endpoint_waits` says so)."""
    found = []
    for want, status in _placing_on(plan, desired, live):
        if status in ("InService", *ENDPOINT_AT_WORK):
            continue
        then = ("wait until it is InService (aws sagemaker wait endpoint-in-service --endpoint-name "
                f"{want.endpoint}), then run again" if status in _IN_PROGRESS else
                "repair or re-create the endpoint first")
        found.append(want.source.problem(("EndpointName",), f"endpoint `{want.endpoint}` is {status}, "
                                         f"not InService; SageMaker changes no inference component on "
                                         f"it until it is: {then}"))
    return found


def endpoint_waits(plan: Plan, desired: list[Desired], live: LiveState) -> list[str]:
    """A warning per endpoint the plan places copies on that is at work (state.ENDPOINT_AT_WORK)."""
    shown = {want.endpoint: status for want, status in _placing_on(plan, desired, live)
             if status in ENDPOINT_AT_WORK}
    return [f"endpoint {name} is {status} (managed instance scaling adding or releasing instances, or "
            "maintenance); if SageMaker refuses a change meanwhile, apply waits for it to be InService "
            "and sends the change again" for name, status in sorted(shown.items())]


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
