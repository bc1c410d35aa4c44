"""What plan, apply and drift share: the project, the connection, and the plan itself."""

from __future__ import annotations

import contextlib
import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gitsync import autoscaling, aws, capacity, images, live, preflight, shard
from gitsync.errors import CredentialsError, ValidationFailed
from gitsync.manifests.desired import load_desired
from gitsync.manifests.project import Environment, Project, load_project
from gitsync.manifests.validate import Desired
from gitsync.plan import Plan, PlanSettings, build_plan, tag_dependent
from gitsync.redact import REDACT
from gitsync.settings import Settings

SANDBOX_STATE = Path(".icsync") / "sandbox.json"
SANDBOX_SEED = "sandbox-seed.yaml"


@dataclass(frozen=True)
class Context:
    project: Project
    environment: Environment
    desired: list[Desired]


def load(settings: Settings) -> Context:
    project = load_project(settings.project_dir)
    REDACT.reset(project.secret_pattern)
    environment = project.environment(settings.environment)
    desired = [d for d in load_desired(project, environment) if selected(d.name, settings)]
    return Context(project, environment, desired)


def selected(name: str, settings: Settings) -> bool:
    if settings.targets and not any(fnmatch.fnmatchcase(name, t) for t in settings.targets):
        return False
    if not shard.contains(settings.extra.get("shard"), name):
        return False
    return not any(fnmatch.fnmatchcase(name, e) for e in settings.excludes)


def project_profile(environment: Environment) -> str | None:
    """icsync.yaml's profile is the laptop default. Credentials already exported (CI's OIDC step
    exports AWS_ACCESS_KEY_ID) win over it, as over AWS_PROFILE in the AWS CLI: botocore would
    otherwise drop them for a profile the runner does not have. --profile still wins over both."""
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    return environment.profile


@contextlib.contextmanager
def connect(settings: Settings, context: Context) -> Iterator[aws.Clients]:
    """Clients for the environment; with --sandbox, an embedded sandbox kept in the project."""
    environment = context.environment
    connection = aws.Connection(
        region=settings.region or environment.region,
        profile=None if settings.sandbox else (settings.profile or project_profile(environment)),
        endpoint_url=settings.endpoint_url or environment.endpoint_url,
        verify_ssl=settings.verify_ssl, ca_bundle=settings.ca_bundle,
        read_timeout=settings.read_timeout, connect_timeout=settings.connect_timeout,
        pool_size=max(settings.read_parallelism, settings.parallelism) + 4)
    if not settings.sandbox:
        clients = aws.Clients(connection)
        try:
            yield aws.assume_role(clients, environment.role_arn) if environment.role_arn else clients
        except CredentialsError as error:
            source = f"profile `{connection.profile}`" if connection.profile else \
                "the credentials in this environment (AWS_ACCESS_KEY_ID/AWS_SESSION_TOKEN, or the default chain)"
            raise CredentialsError(f"{error}\nAWS refused {source} for environment `{environment.name}`: "
                                   "they have expired or are not valid. Refresh them (e.g. `aws sso login"
                                   f"{' --profile ' + connection.profile if connection.profile else ''}`) "
                                   "and run again; nothing more was sent.") from None
        return
    from gitsync.sandbox import Sandbox

    root = context.project.root
    seed = root / SANDBOX_SEED
    sandbox = Sandbox(state=root / SANDBOX_STATE, seed=seed if seed.is_file() else None,
                      region=connection.region or "us-east-1")
    with sandbox:
        yield aws.Clients(aws.Connection(**{**vars(connection), "endpoint_url": sandbox.url,
                                            "dummy_credentials": True, "profile": None}))


@contextlib.contextmanager
def load_reading(settings: Settings) -> Iterator[tuple[Context, aws.Clients, live.Reader]]:
    """load() and connect() in one, for plan: live state is read while the manifests still load
    (CPU and waiting overlap). Pass the reader to make_plan."""
    project = load_project(settings.project_dir)
    REDACT.reset(project.secret_pattern)
    environment = project.environment(settings.environment)
    with connect(settings, Context(project, environment, [])) as clients, \
            live.Reader(clients, settings.read_parallelism, bulk_tags(settings, project),
                        settings.read_rate) as reader:
        def want(name: str) -> None:
            if selected(name, settings):
                reader.want(name)

        desired = [d for d in load_desired(project, environment, want) if selected(d.name, settings)]
        yield Context(project, environment, desired), clients, reader


def bulk_tags(settings: Settings, project: Project) -> str | None:
    """The project whose tags are read in bulk; None (ListTags each) for a --target plan, which
    reads a few components: GetResources would page through all of the project's."""
    return None if settings.targets else project.name


def _image_digests(settings: Settings, context: Context, clients: aws.Clients) -> dict[str, str]:
    """With --check-images only: what the manifests' ECR tags point to now (no ECR call otherwise)."""
    if not settings.extra.get("check_images"):
        return {}
    return images.resolve(clients, images.tagged_images(d.body for d in context.desired))


def make_plan(settings: Settings, context: Context, clients: aws.Clients,
              preflight_checks: bool = False, reader: live.Reader | None = None) -> Plan:
    """Fetch live state, then plan purely; with pre-flight checks, refuse a plan AWS would reject."""
    return plan_with_capacity(settings, context, clients, preflight_checks, reader)[0]


def plan_with_capacity(settings: Settings, context: Context, clients: aws.Clients,
                       preflight_checks: bool = False,
                       reader: live.Reader | None = None) -> tuple[Plan, capacity.Capacity | None]:
    """make_plan, and with pre-flight checks also the capacity of the endpoints the plan touches
    (refusing a plan that cannot fit)."""
    names = [d.name for d in context.desired]
    endpoints = {d.endpoint for d in context.desired}
    if reader is not None:
        state = reader.finish(names, endpoints, with_unlisted=settings.prune)
    else:
        state = live.fetch(clients, names, endpoints, settings.read_parallelism,
                           with_unlisted=settings.prune, project=bulk_tags(settings, context.project),
                           rate=settings.read_rate)
    for component in state.components.values():
        REDACT.add_document(component.describe)
    if settings.targets or settings.excludes or settings.extra.get("shard"):
        state = live.LiveState(state.components,
                               {n: s for n, s in state.listed.items() if selected(n, settings)})
    plan_settings = PlanSettings(environment=context.environment.name, project=context.project.name,
                                 ignore=context.project.ignore,
                                 secret_pattern=context.project.secret_pattern, prune=settings.prune,
                                 image_digests=_image_digests(settings, context, clients))
    plan = build_plan(context.desired, state, plan_settings)
    doubtful = tag_dependent(plan) & state.bulk_tagged
    if doubtful:  # the bulk tag read may lag: what the plan would change on its word is read again
        state = live.confirm_tags(clients, state, doubtful, settings.read_parallelism)
        plan = build_plan(context.desired, state, plan_settings)
    plan = autoscaling.with_autoscaling(
        clients, plan, {d.name: d.options.autoscaling for d in context.desired},
        {n: (c.describe["InferenceComponentArn"], c.tags) for n, c in state.components.items()})
    wanted = preflight.changing(plan, context.desired) if preflight_checks else []
    # The endpoints the capacity check needs are read in the same round as the pre-flight's.
    touched = capacity.touched_endpoints(plan) if preflight_checks else []
    facts = preflight.gather(clients, wanted, touched) if wanted or touched else preflight.Facts()
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
