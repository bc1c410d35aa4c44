"""The plan itself, for plan, apply and drift: gather live state, build the plan once from it, and
run the pre-flight and capacity checks that refuse a plan AWS would reject."""

from __future__ import annotations

import dataclasses

from gitsync import aws, capacity, gather, preflight
from gitsync.commands.common import Context, bulk_tags, selected
from gitsync.errors import ValidationFailed
from gitsync.plan import Plan
from gitsync.planner import PlanSettings, build_plan
from gitsync.redact import REDACT
from gitsync.settings import Settings


def plan_settings(settings: Settings, context: Context) -> PlanSettings:
    return PlanSettings(environment=context.environment.name, project=context.project.name,
                        ignore=context.project.ignore, secret_pattern=context.project.secret_pattern,
                        prune=settings.prune)


def make_plan(settings: Settings, context: Context, clients: aws.Clients,
              preflight_checks: bool = False) -> Plan:
    """Gather live state, then plan purely; with pre-flight checks, refuse a plan AWS would reject."""
    return plan_with_capacity(settings, context, clients, preflight_checks)[0]


def plan_with_capacity(settings: Settings, context: Context, clients: aws.Clients,
                       preflight_checks: bool = False) -> tuple[Plan, capacity.Capacity | None]:
    """make_plan, and with pre-flight checks also the capacity of the endpoints the plan touches
    (refusing a plan that cannot fit)."""
    request = gather.Request(plan_settings(settings, context), checks=preflight_checks,
                             check_images=settings.check_images,
                             bulk_project=bulk_tags(settings, context.project),
                             parallelism=settings.read_parallelism, rate=settings.read_rate,
                             keep=lambda name: selected(name, settings))
    state = gather.gather(clients, context.desired, request)
    for component in state.components.values():
        REDACT.add_document(component.describe)
    plan = dataclasses.replace(build_plan(context.desired, state, request.settings),
                               region=clients.region, account=account_of(context, clients))
    if not preflight_checks:
        return plan, None
    found = preflight.problems(plan, context.desired, state)
    if found:
        raise ValidationFailed(found)
    room = capacity.compute(plan, context.desired, state)
    capacity.raise_errors(room)
    return plan, room


def account_of(context: Context, clients: aws.Clients) -> str | None:
    """The account the plan was made against, for its header: an assumed role's is in its ARN
    (arn:aws:iam::ACCOUNT:role/NAME), else STS says whose the credentials are."""
    role = context.environment.role_arn
    return role.split(":")[4] if role else aws.caller_account(clients)
