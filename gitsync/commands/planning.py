"""The plan itself, for plan, apply and drift: live state in, a Plan out, with the pre-flight and
capacity checks that refuse a plan AWS would reject."""

from __future__ import annotations

from gitsync import autoscaling, aws, capacity, images, live, preflight
from gitsync.commands.common import Context, bulk_tags, selected
from gitsync.errors import ValidationFailed
from gitsync.manifests.validate import Desired
from gitsync.plan import Plan, Planned, PlanSettings, build_plan, plan_component, tag_dependent
from gitsync.redact import REDACT
from gitsync.settings import Settings


def _image_digests(settings: Settings, context: Context, clients: aws.Clients) -> dict[str, str]:
    """With --check-images only: what the manifests' ECR tags point to now (no ECR call otherwise)."""
    if not settings.check_images:
        return {}
    return images.resolve(clients, images.tagged_images(d.body for d in context.desired))


def _planned_early(reader: live.Reader, desired: list[Desired], settings: PlanSettings,
                   reads: preflight.Reads) -> dict[str, Planned]:
    """Each component planned as its describe arrives, while the other reads are in flight; the
    pre-flight reads of one that will change start at once, rather than after the last describe.
    They are the reads the plan would make anyway: build_plan keeps these changes (same describe,
    same tags), so the same components change."""
    by_name = {d.name: d for d in desired}
    planned: dict[str, Planned] = {}
    for name, component in reader.described(by_name):
        planned[name] = plan_component(by_name[name], component, settings)
        action = planned[name].change.action
        if action in preflight.CHANGING or action in capacity.TOUCHING:
            reads.start(by_name[name], with_models=action in preflight.CHANGING)
    return planned


def _read_and_plan(settings: Settings, context: Context, clients: aws.Clients, plan_settings: PlanSettings,
                   reader: live.Reader | None,
                   reads: preflight.Reads | None) -> tuple[live.LiveState, Plan]:
    """Live state, and the plan from it; with `reads`, pre-flight reads start as soon as a
    component that will change has been planned."""
    names = [d.name for d in context.desired]
    endpoints = {d.endpoint for d in context.desired}
    planned: dict[str, Planned] = {}
    if reader is not None:
        if reads is not None:
            planned = _planned_early(reader, context.desired, plan_settings, reads)
        state = reader.finish(names, endpoints, with_unlisted=settings.prune)
    else:
        state = live.fetch(clients, names, endpoints, settings.read_parallelism,
                           with_unlisted=settings.prune, project=bulk_tags(settings, context.project),
                           rate=settings.read_rate)
    for component in state.components.values():
        REDACT.add_document(component.describe)
    if settings.targets or settings.excludes or settings.shard is not None:
        state = live.LiveState(state.components,
                               {n: s for n, s in state.listed.items() if selected(n, settings)})
    plan = build_plan(context.desired, state, plan_settings, planned)
    doubtful = tag_dependent(plan) & state.bulk_tagged
    if doubtful:  # the bulk tag read may lag: what the plan would change on its word is read again
        state = live.confirm_tags(clients, state, doubtful, settings.read_parallelism)
        plan = build_plan(context.desired, state, plan_settings, planned)
    plan = autoscaling.with_autoscaling(
        clients, plan, {d.name: d.options.autoscaling for d in context.desired},
        {n: (c.describe["InferenceComponentArn"], c.tags) for n, c in state.components.items()})
    return state, plan


def make_plan(settings: Settings, context: Context, clients: aws.Clients,
              preflight_checks: bool = False, reader: live.Reader | None = None) -> Plan:
    """Fetch live state, then plan purely; with pre-flight checks, refuse a plan AWS would reject."""
    return plan_with_capacity(settings, context, clients, preflight_checks, reader)[0]


def plan_with_capacity(settings: Settings, context: Context, clients: aws.Clients,
                       preflight_checks: bool = False,
                       reader: live.Reader | None = None) -> tuple[Plan, capacity.Capacity | None]:
    """make_plan, and with pre-flight checks also the capacity of the endpoints the plan touches
    (refusing a plan that cannot fit)."""
    plan_settings = PlanSettings(environment=context.environment.name, project=context.project.name,
                                 ignore=context.project.ignore,
                                 secret_pattern=context.project.secret_pattern, prune=settings.prune,
                                 image_digests=_image_digests(settings, context, clients))
    # Pre-flight reads made while live state is read share its pace: none is throttled for it.
    with preflight.Reads(reader.clients if reader is not None else clients) as reads:
        state, plan = _read_and_plan(settings, context, clients, plan_settings, reader,
                                     reads if preflight_checks else None)
        wanted = preflight.changing(plan, context.desired) if preflight_checks else []
        # The endpoints the capacity check needs are read in the same round as the pre-flight's.
        touched = capacity.touched_endpoints(plan) if preflight_checks else []
        facts = preflight.gather(clients, wanted, touched, reads) if wanted or touched else preflight.Facts()
    if wanted:
        found = preflight.problems(wanted, state, facts)
        if found:
            raise ValidationFailed(found)
    if not preflight_checks:
        return plan, None
    known = capacity.Known(facts.endpoints, facts.configs)  # read once, for both checks
    room = capacity.compute(plan, context.desired, state, capacity.gather(clients, plan, state, known))
    capacity.raise_errors(room)
    return plan, room
