"""Gather: all the I/O a plan needs, done before planning, returned as one complete LiveState.

Reads start as early as what they depend on allows, on one thread pool, paced by one rate limiter:
- image digests (--check-images) depend on the manifests only: they start first;
- the listing, describes and tags of the components (live.py);
- the tags a plan would change on the bulk read's word, read again (the index may lag);
- the autoscaling targets and policies of components autoscaled in a manifest or marked live;
- with checks, for the components that will deploy or place copies: their endpoints, endpoint
  configs, models and rollback alarms, and the other components on those endpoints.

What will deploy is decided by the planner's own pure rule (`planner.change_of`), so gather reads
exactly what the checks of the final plan look at; the plan itself is built once, afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Self

from gitsync import autoscaling, aws, images, live, planner
from gitsync.manifests.validate import Desired, specs_of
from gitsync.preflight import rollback_alarms
from gitsync.ratelimit import RateLimiter
from gitsync.state import Document, LiveScaling, LiveState


@dataclass(frozen=True)
class Request:
    settings: planner.PlanSettings
    checks: bool = False  # read what the pre-flight and capacity checks need
    check_images: bool = False
    bulk_project: str | None = None  # the project whose tags are read in bulk (None: ListTags each)
    parallelism: int = 64
    rate: float = 0  # calls per second, if known (0: learned from the first throttle)
    keep: Callable[[str], bool] = lambda _: True  # --target, --exclude, --shard on listed components
    # A limiter that outlives the plan: apply goes on at the rate the plan's reads learned.
    limiter: RateLimiter | None = field(default=None, compare=False)


def gather(clients: aws.Clients, desired: list[Desired], request: Request) -> LiveState:
    with Gathering(clients, request) as gathering:
        return gathering.finish(desired)


class Gathering:
    """Reads that may start before the manifests are loaded (the listing and bulk tags at once, a
    component's describe as soon as it is wanted); `finish` reads the rest and returns it all."""

    def __init__(self, clients: aws.Clients, request: Request) -> None:
        self.request = request
        self._reads = aws.paced_reads(clients, request.limiter or RateLimiter(rate=request.rate or None))
        self._pool = ThreadPoolExecutor(max_workers=max(2, request.parallelism))
        self._reader = live.Reader(self._reads, self._pool, request.bulk_project)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        # On a failure (invalid manifests, an API error, Ctrl-C) no queued call is sent, and the
        # listing stops after its current page.
        self._reader.__exit__(*exc)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def want(self, name: str) -> None:
        """`name` is a manifest's component: describe it as soon as the listing shows it."""
        if self.request.keep(name):
            self._reader.want(name)

    def finish(self, desired: list[Desired]) -> LiveState:
        request, reads, pool = self.request, self._reads, self._pool
        digests = pool.submit(image_digests, reads, desired) if request.check_images else None
        found = self._reader.finish({d.name for d in desired}, {d.endpoint for d in desired},
                                    request.settings.prune, request.keep)
        digest_of = digests.result() if digests is not None else {}
        changes = {d.name: planner.change_of(d, found.components.get(d.name), request.settings, digest_of)
                   for d in desired}
        found = live.confirm_tags(reads, pool, found, _tag_dependent(changes, found, request.settings))
        scaled = sorted(d.name for d in desired if autoscaling.wanted_or_marked(
            d.options.autoscaling, found.components[d.name].tags if d.name in found.components else {}))
        scaled += _pruned_and_scaled(found, {d.name for d in desired}, request.settings)
        scaling = pool.submit(read_autoscaling, reads, scaled)
        deploying = [d for d in desired if changes[d.name].deploys] if request.checks else []
        touched = sorted({c.endpoint for c in changes.values() if c.places}) if request.checks else []
        facts = _facts(reads, pool, deploying, touched, found)
        return LiveState(found.components, found.listed, scaling.result(), *facts,
                         image_digests=digest_of)


def _tag_dependent(changes: dict[str, planner.ComponentChange], found: live.Components,
                   settings: planner.PlanSettings) -> set[str]:
    """Components whose change rests on their tags (planner.turns_on_tags), and (with --prune) those
    the bulk read says this project and environment own, which prune would delete."""
    state = LiveState(found.components)

    def owned(name: str) -> bool:
        return state.owned(name, settings.project, settings.environment)

    out = {n for n, c in changes.items() if planner.turns_on_tags(c, owned(n))}
    if settings.prune:
        out |= {n for n in found.listed if n not in changes and owned(n)}
    return out


def _pruned_and_scaled(found: live.Components, wanted: set[str], settings: planner.PlanSettings) -> list[str]:
    """Components --prune may delete that an earlier apply autoscaled: their scalable target (and
    with it its policies) goes with them, so it must be read."""
    if not settings.prune:
        return []
    return sorted(n for n, c in found.components.items()
                  if n not in wanted and autoscaling.wanted_or_marked(None, c.tags))


def _facts(clients: aws.Clients, pool: ThreadPoolExecutor, deploying: list[Desired], touched: list[str],
           found: live.Components
           ) -> tuple[dict[str, Document | None], dict[str, Document | None], dict[str, bool],
                      frozenset[str], dict[str, Document]]:
    """Endpoints (with their configs), models, alarms and the other components of the endpoints."""
    wanted_endpoints = sorted({d.endpoint for d in deploying} | set(touched))
    models = sorted({s["ModelName"] for d in deploying for s in specs_of(d.body) if s.get("ModelName")})
    alarms = sorted({a for d in deploying for a in rollback_alarms(d)})
    unread = sorted(n for n, s in found.listed.items()
                    if s.get("EndpointName") in touched and n not in found.components)
    ends = {e: pool.submit(_endpoint_and_config, clients, e) for e in wanted_endpoints}
    exist = {m: pool.submit(lambda m: aws.describe_model(clients, m) is not None, m) for m in models}
    others = {n: pool.submit(aws.describe_component, clients, n) for n in unread}
    alarmed: Future[set[str]] | None = pool.submit(aws.existing_alarms, clients, alarms) if alarms else None
    endpoints = {e: f.result()[0] for e, f in ends.items()}
    configs = {c: d for f in ends.values() for c, d in [f.result()[1]] if c}
    neighbours = {n: d for n, f in others.items() if (d := f.result()) is not None}
    return (endpoints, configs, {m: f.result() for m, f in exist.items()},
            frozenset(alarmed.result() if alarmed else ()), neighbours)


def _endpoint_and_config(clients: aws.Clients, name: str
                         ) -> tuple[Document | None, tuple[str, Document | None]]:
    """The endpoint, and its config (named by the endpoint: one call after the other)."""
    endpoint = aws.describe_endpoint(clients, name)
    if endpoint is None:
        return None, ("", None)
    config = endpoint["EndpointConfigName"]
    return endpoint, (config, aws.describe_endpoint_config(clients, config))


def read_autoscaling(clients: aws.Clients, names: list[str]) -> dict[str, LiveScaling]:
    """Targets and icsync's policies of these components (no call for an empty list)."""
    if not names:
        return {}
    targets = aws.describe_scalable_targets(clients, autoscaling.NAMESPACE,
                                            [autoscaling.resource_id(n) for n in names])
    out: dict[str, LiveScaling] = {}
    for target in targets:
        if target.get("ScalableDimension") != autoscaling.DIMENSION:
            continue
        policies = aws.describe_scaling_policies(clients, autoscaling.NAMESPACE, target["ResourceId"])
        mine = next((p for p in policies if p.get("PolicyName") == autoscaling.POLICY_NAME), None)
        out[autoscaling.component_of(target["ResourceId"])] = LiveScaling(target, mine)
    return out


def image_digests(clients: aws.Clients, desired: Iterable[Desired]) -> dict[str, str]:
    """What each ECR tag the manifests use points to now: image -> `sha256:...` (tags that do not
    exist are left out, so the plan shows no move for them; the deployment itself will say the
    image is missing)."""
    regional: dict[str, aws.Clients] = {}
    digests: dict[str, str] = {}
    for image in sorted(images.tagged_images(d.body for d in desired)):
        parts = images.ecr_image(image)
        if parts is None:
            continue
        if parts.region not in regional:
            regional[parts.region] = aws.in_region(clients, parts.region)
        digest = aws.image_digest(regional[parts.region], parts.registry, parts.repository, parts.tag)
        if digest:
            digests[image] = digest
    return digests
