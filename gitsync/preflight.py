"""Pre-flight checks at plan time: turn apply-time failures into plan-time errors with file and line.

Facts are fetched first (one call per distinct endpoint, model and alarm set, and only for components
the plan would change), then checked purely. A plan can start reading them while live state is
still being read (`Reads.start`), as soon as it knows a component will change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Self

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


class Reads:
    """The pre-flight reads, each made once, started early (`start`) or when `gather` needs them."""

    def __init__(self, clients: aws.Clients, parallelism: int = 8) -> None:
        self._clients = clients
        self._pool = ThreadPoolExecutor(max_workers=parallelism)
        self._lock = threading.Lock()
        self._started: dict[tuple[str, str], Future[Any]] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def start(self, want: Desired, with_models: bool) -> None:
        """What `gather` will need for `want`: its endpoint (and that endpoint's config), and with
        `with_models` the models it names."""
        self.endpoint(want.endpoint)
        for model in _models([want]) if with_models else []:
            self.model(model)

    def endpoint(self, name: str) -> Future[dict[str, Any] | None]:
        return self._once("endpoint", name, self._endpoint)

    def config(self, name: str) -> Future[dict[str, Any] | None]:
        return self._once("config", name, lambda c: aws.describe_endpoint_config(self._clients, c))

    def model(self, name: str) -> Future[bool]:
        return self._once("model", name, lambda m: aws.describe_model(self._clients, m) is not None)

    def _endpoint(self, name: str) -> dict[str, Any] | None:
        found = aws.describe_endpoint(self._clients, name)
        if found:
            self.config(found["EndpointConfigName"])  # at once: it is the next call gather waits for
        return found

    def _once(self, kind: str, name: str, read: Callable[[str], Any]) -> Future[Any]:
        with self._lock:
            found = self._started.get((kind, name))
            if found is None:
                found = self._started[(kind, name)] = self._pool.submit(read, name)
            return found


def _models(wanted: list[Desired]) -> list[str]:
    return sorted({s["ModelName"] for d in wanted for s in specs_of(d.body) if s.get("ModelName")})


def gather(clients: aws.Clients, wanted: list[Desired], endpoints_too: Iterable[str] = (),
           reads: Reads | None = None) -> Facts:
    """What the checks of `wanted` need, and the endpoints (and their configs) `endpoints_too`;
    with `reads`, what it has read or started already is not read again."""
    if reads is None:
        with Reads(clients) as own:
            return gather(clients, wanted, endpoints_too, own)
    endpoints = sorted({d.endpoint for d in wanted} | set(endpoints_too))
    alarms = sorted({a for d in wanted for a in _alarms(d)})
    exist = {m: reads.model(m) for m in _models(wanted)}  # meanwhile
    described = {e: f.result() for e, f in {e: reads.endpoint(e) for e in endpoints}.items()}
    configs = {c: reads.config(c).result()
               for c in sorted({d["EndpointConfigName"] for d in described.values() if d})}
    return Facts(described, configs, {m: f.result() for m, f in exist.items()},
                 aws.existing_alarms(clients, alarms) if alarms else set())


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
