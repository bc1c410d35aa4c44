"""The plan itself, for plan, apply and drift: gather live state, build the plan once from it, and
run the pre-flight and capacity checks that refuse a plan AWS would reject."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

from gitsync import aws, capacity, cost, gather, preflight, surge
from gitsync.commands.common import Context, bulk_tags, connect, load, selected
from gitsync.errors import ValidationFailed
from gitsync.manifests.project import load_project
from gitsync.manifests.validate import warnings_of
from gitsync.plan import Plan
from gitsync.planner import PlanSettings, build_plan
from gitsync.ratelimit import RateLimiter
from gitsync.redact import REDACT
from gitsync.settings import Settings


def plan_settings(settings: Settings, context: Context) -> PlanSettings:
    return PlanSettings(environment=context.environment.name, project=context.project.name,
                        ignore=context.project.ignore, secret_pattern=context.project.secret_pattern,
                        prune=settings.prune, adopt=settings.adopt)


def make_plan(settings: Settings, context: Context, clients: aws.Clients,
              preflight_checks: bool = False) -> Plan:
    """Gather live state, then plan purely; with pre-flight checks, refuse a plan AWS would reject."""
    return plan_with_capacity(settings, context, clients, preflight_checks)[0]


def request(settings: Settings, context: Context, preflight_checks: bool,
            limiter: RateLimiter | None = None) -> gather.Request:
    return gather.Request(plan_settings(settings, context), checks=preflight_checks,
                          check_images=settings.check_images,
                          bulk_project=bulk_tags(settings, context.project),
                          parallelism=settings.read_parallelism, rate=settings.read_rate,
                          keep=lambda name: selected(name, settings), limiter=limiter)


@contextlib.contextmanager
def loading(settings: Settings, preflight_checks: bool
            ) -> Iterator[tuple[Context, aws.Clients, gather.Gathering]]:
    """Connected first, then the manifests loaded while the first reads are in flight: loading is
    CPU and reading is waiting, so a rate-bound plan takes about as long as its calls, not the
    calls plus the manifests. Pass the Gathering to plan_with_capacity."""
    project = load_project(settings.project_dir)
    bare = Context(project, project.environment(settings.environment), [])
    with connect(settings, bare) as clients, \
            gather.Gathering(clients, request(settings, bare, preflight_checks)) as gathering:
        yield load(settings, gathering), clients, gathering


def plan_with_capacity(settings: Settings, context: Context, clients: aws.Clients,
                       preflight_checks: bool = False, gathering: gather.Gathering | None = None,
                       limiter: RateLimiter | None = None) -> tuple[Plan, capacity.Capacity | None]:
    """make_plan, and with pre-flight checks also the capacity of the endpoints the plan touches
    (refusing a plan that cannot fit); `gathering`: reads already started (`loading`); `limiter`:
    the rate limiter the reads share with what comes after them (apply's calls)."""
    if gathering is None:
        state = gather.gather(clients, context.desired,
                              request(settings, context, preflight_checks, limiter))
    else:
        state = gathering.finish(context.desired)
    for component in state.components.values():
        REDACT.add_document(component.describe)
    plan = dataclasses.replace(build_plan(context.desired, state, plan_settings(settings, context)),
                               region=clients.region, account=account_of(context, clients),
                               warnings=tuple(w.render() for w in warnings_of(context.desired)))
    if not preflight_checks:
        return plan, None
    found = preflight.problems(plan, context.desired, state)
    if found:
        raise ValidationFailed(found)
    plan = dataclasses.replace(plan, warnings=plan.warnings + tuple(
        preflight.endpoint_waits(plan, context.desired, state)))
    room = capacity.compute(plan, context.desired, state)
    capacity.raise_errors(room)
    surge.impossible(plan, room)
    return plan, room


def plan_cost(context: Context, clients: aws.Clients, room: capacity.Capacity | None) -> cost.Cost | None:
    """What the plan changes in on-demand instance-hours, priced in the environment's region with
    the shipped prices under the project's `prices:`."""
    if room is None:
        return None
    return cost.compute(room, cost.shipped().overridden(context.project.prices), clients.region)


def account_of(context: Context, clients: aws.Clients) -> str | None:
    """The account the plan was made against, for its header: an assumed role's is in its ARN
    (arn:aws:iam::ACCOUNT:role/NAME), else STS says whose the credentials are."""
    role = context.environment.role_arn
    return role.split(":")[4] if role else aws.caller_account(clients)
