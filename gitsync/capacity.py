"""Will the planned components fit their endpoints? Checked before anything is applied.

Pure: gather.py read the facts (the touched endpoints, their configs, and the other components on
them). `compute`: per endpoint variant it sums copies x per-copy
accelerators, CPU cores and memory of every component placed there, before and after the plan, and
compares them with what the instances offer at their current and maximum count.

SageMaker places whole copies on single instances, so copies can need more instances than the
totals say (three 10 GiB copies take three 16 GiB instances, not two). The instances a variant needs
are therefore counted by placing each copy whole, largest first, on the first instance with room
(`instances_for`). How SageMaker chooses is not published, so that count is an estimate: a plan
whose totals exceed the maximum is an error (it cannot fit), one whose placed count does is a
warning (AWS may refuse a copy); the count also says when the endpoint must scale out.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from gitsync import normalize
from gitsync.errors import IcsyncError
from gitsync.manifests.validate import Desired
from gitsync.plan import Action, Plan
from gitsync.state import LiveState

RESOURCES = ("accelerators", "cpus", "memory_mib")
# The share of an instance's memory icsync does not count on: SageMaker's host keeps some memory
# for itself and publishes no figure. Instance counts, warnings and costs assume this much is kept;
# an error (the plan cannot fit) is given only when even the whole memory would not do.
HOST_MEMORY_SHARE = 0.10
LABELS = {"accelerators": "accelerators", "cpus": "CPU cores", "memory_mib": "memory MiB"}


class CapacityError(IcsyncError):
    """The plan cannot fit an endpoint even at its maximum instance count."""


@dataclass(frozen=True)
class Amount:
    accelerators: float = 0
    cpus: float = 0
    memory_mib: float = 0

    def __add__(self, other: Amount) -> Amount:
        return Amount(*(getattr(self, r) + getattr(other, r) for r in RESOURCES))

    def times(self, factor: float) -> Amount:
        return Amount(*(getattr(self, r) * factor for r in RESOURCES))

    def get(self, resource: str) -> float:
        return float(getattr(self, resource))


@dataclass(frozen=True)
class Variant:
    """One endpoint variant's compute, from DescribeEndpoint and DescribeEndpointConfig."""

    endpoint: str
    name: str
    instance_type: str
    current_count: int
    max_count: int
    min_count: int | None = None  # ManagedInstanceScaling's floor; None: the count does not change


@dataclass(frozen=True)
class Placed:
    """A component on a variant: its copies and what one copy needs (adapters need nothing)."""

    name: str
    copies: int
    per_copy: Amount
    base: str | None = None
    managed: bool = True


def total_of(placed: Iterable[Placed]) -> Amount:
    """What the copies ask, summed."""
    return sum((p.per_copy.times(p.copies) for p in placed), Amount())


@dataclass(frozen=True)
class EndpointCapacity:
    endpoint: str
    variant: str
    instance_type: str
    per_instance: Amount | None  # None: an instance type the data file does not know
    current_count: int
    max_count: int
    components: tuple[Placed, ...] = ()  # after the plan
    min_count: int | None = None  # None: no managed instance scaling, the count stays
    placed_before: tuple[Placed, ...] = ()

    @property
    def before(self) -> Amount:
        """What the copies placed there before the plan ask, in total."""
        return total_of(self.placed_before)

    @property
    def after(self) -> Amount:
        return total_of(self.components)

    def needed(self, placed: tuple[Placed, ...], whole_memory: bool = False) -> int:
        """Instances `placed` take (at least one), each copy whole on one instance, with
        HOST_MEMORY_SHARE of each instance's memory kept by the host unless `whole_memory`."""
        if self.per_instance is None:
            return self.current_count
        return max(1, instances_for(placed, self.per_instance if whole_memory else usable(self.per_instance)))

    def available(self, count: int | None = None) -> Amount | None:
        if self.per_instance is None:
            return None
        return self.per_instance.times(self.current_count if count is None else count)


@dataclass(frozen=True)
class Capacity:
    endpoints: tuple[EndpointCapacity, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def usable(per_instance: Amount) -> Amount:
    """What copies can count on of one instance: all but HOST_MEMORY_SHARE of its memory."""
    return Amount(per_instance.accelerators, per_instance.cpus,
                  per_instance.memory_mib * (1 - HOST_MEMORY_SHARE))


def instances_for(placed: tuple[Placed, ...], offered: Amount) -> int:
    """How many instances offering `offered` the copies take, each copy whole on one instance,
    largest first on the first with room (first-fit decreasing). Never fewer than the totals need.
    A copy asking more than one instance offers (an error or a warning of `check`) counts as a
    whole instance. The copies of one component are alike: each instance in turn takes as many of
    them as fit, as placing them one by one would, in components x instances steps."""
    needs = [(Amount(*(min(p.per_copy.get(r), offered.get(r)) for r in RESOURCES)), p.copies)
             for p in placed if p.copies > 0 and p.per_copy != Amount()]
    total = sum((need.times(copies) for need, copies in needs), Amount())
    lower = max([0] + [math.ceil(total.get(r) / offered.get(r)) for r in RESOURCES if offered.get(r) > 0])

    def weight(need: Amount) -> float:  # the copy's largest share of one instance
        return max(need.get(r) / offered.get(r) for r in RESOURCES if offered.get(r) > 0)

    free: list[Amount] = []
    for need, copies in sorted(needs, key=lambda item: weight(item[0]), reverse=True):
        for slot, left in enumerate(free):
            taken = min(copies, _how_many(need, left))
            if taken:
                free[slot], copies = left + need.times(-taken), copies - taken
            if not copies:
                break
        while copies:
            taken = min(copies, max(1, _how_many(need, offered)))
            free.append(offered + need.times(-taken))
            copies -= taken
    return max(lower, len(free))


def _how_many(need: Amount, left: Amount) -> int:
    """Copies of `need` that fit in `left`."""
    return min(math.floor((left.get(r) + 1e-9) / need.get(r)) for r in RESOURCES if need.get(r) > 0)


@functools.cache
def instance_types() -> dict[str, Amount]:
    text = resources.files("gitsync").joinpath("data/instance_types.json").read_text()
    table = json.loads(text)["instance_types"]
    return {name: Amount(v["accelerators"], v["vcpus"], v["memory_mib"]) for name, v in table.items()}


def touched_endpoints(plan: Plan) -> list[str]:
    return sorted({c.endpoint for c in plan.changes if c.places})


def variants(live: LiveState, endpoint: str) -> list[Variant]:
    """The endpoint's variants, from its DescribeEndpoint and DescribeEndpointConfig."""
    described = live.endpoints.get(endpoint)
    if described is None:
        return []
    config = live.configs.get(described.get("EndpointConfigName", "")) or {}
    types = {v["VariantName"]: v.get("InstanceType", "") for v in config.get("ProductionVariants", [])}
    found = []
    for variant in described.get("ProductionVariants", []):
        current = instance_count(variant)
        scaling = variant.get("ManagedInstanceScaling") or {}
        top, floor = current, None
        if scaling.get("Status", "ENABLED") == "ENABLED" and scaling.get("MaxInstanceCount"):
            top = max(current, int(scaling["MaxInstanceCount"]))
            floor = min(current, int(scaling.get("MinInstanceCount", current)))
        found.append(Variant(endpoint, variant["VariantName"], types.get(variant["VariantName"], ""),
                             current, top, floor))
    return found


def instance_count(variant: dict[str, Any]) -> int:
    """The instances a variant has or is scaling to. While managed instance scaling adds or releases
    instances, DescribeEndpoint shows the endpoint Updating and CurrentInstanceCount behind
    DesiredInstanceCount (1 and 2 in a saved run: aws-samples/sagemaker-genai-hosting-examples,
    03-features/deployment/ic_rolling_deployment.ipynb): the desired count is what the plan
    starts from, so a scale already under way is neither asked for again nor priced as the plan's."""
    desired = variant.get("DesiredInstanceCount")
    return int(variant.get("CurrentInstanceCount") or 0) if desired is None else int(desired)


def per_copy(body: dict[str, Any]) -> Amount:
    """What one copy asks for, from ComputeResourceRequirements (an adapter uses its base's)."""
    total = Amount()
    for spec in normalize.specs(body)[:1]:
        compute = spec.get("ComputeResourceRequirements") or {}
        total = Amount(float(compute.get("NumberOfAcceleratorDevicesRequired") or 0),
                       float(compute.get("NumberOfCpuCoresRequired") or 0),
                       float(compute.get("MinMemoryRequiredInMb") or 0))
    return total


def _base(body: dict[str, Any]) -> str | None:
    return next((s["BaseInferenceComponentName"] for s in normalize.specs(body)
                 if s.get("BaseInferenceComponentName")), None)


def _copies(body: dict[str, Any]) -> int:
    runtime = body.get("RuntimeConfig") or {}
    return int(runtime.get("CopyCount") or 0)


def _live_body(describe: dict[str, Any]) -> dict[str, Any]:
    return normalize.comparable_live(describe, {})


def _after_copies(change_fields: tuple[Any, ...], body: dict[str, Any], live: dict[str, Any] | None) -> int:
    """The copies after apply: the manifest's, unless the plan leaves the live count alone
    (an ignored or autoscaler-owned CopyCount)."""
    writes = any(f.path.startswith("RuntimeConfig") and not f.ignored for f in change_fields)
    if live is not None and not writes:
        return _copies(live)
    return _copies(body)


def _placements(plan: Plan, desired: list[Desired], state: LiveState,
                endpoints: set[str]) -> tuple[dict[str, list[tuple[str, Placed]]], dict[str, list[tuple[str, Placed]]]]:
    """Per endpoint of `endpoints` (the touched ones: a plan of a few changes among thousands of
    components looks at their endpoints only), (variant, placed) pairs before and after the plan."""
    every = {n: c.describe for n, c in state.components.items()} | state.neighbours
    describes = {n: d for n, d in every.items() if d.get("EndpointName") in endpoints}
    changes = {c.name: c for c in plan.changes}
    gone = {c.name for c in plan.changes if c.action is Action.DELETE}
    wanted = {d.name for d in desired}
    before: dict[str, list[tuple[str, Placed]]] = {}
    after: dict[str, list[tuple[str, Placed]]] = {}
    bodies = {name: _live_body(describe) for name, describe in describes.items()}
    for name, describe in sorted(describes.items()):
        body = bodies[name]
        placed = Placed(name, _copies(body), per_copy(body), _base(body), name in wanted)
        entry = (str(describe.get("VariantName", "")), placed)
        before.setdefault(str(describe.get("EndpointName")), []).append(entry)
        if name not in wanted and name not in gone:
            after.setdefault(str(describe.get("EndpointName")), []).append(entry)
    for want in desired:
        if want.endpoint not in endpoints:
            continue
        found = every.get(want.name)  # live on this endpoint or, before a move, on another
        fields = changes[want.name].fields if want.name in changes else ()
        live_body = None if found is None else bodies.get(want.name) or _live_body(found)
        copies = _after_copies(fields, want.body, live_body)
        placed = Placed(want.name, copies, per_copy(want.body), want.base)
        after.setdefault(want.endpoint, []).append((str(want.body.get("VariantName", "")), placed))
    return before, after


def compute(plan: Plan, desired: list[Desired], state: LiveState) -> Capacity:
    """Pure: the capacity of every touched endpoint variant, with warnings and errors."""
    touched = touched_endpoints(plan)
    before, after = _placements(plan, desired, state, set(touched))
    endpoints: list[EndpointCapacity] = []
    warnings: list[str] = []
    errors: list[str] = []
    for endpoint in touched:
        found = variants(state, endpoint)
        if not found:
            warnings.append(f"{endpoint}: endpoint not found; capacity not checked")
            continue
        for variant in found:
            row = _row(variant, found, before.get(endpoint, []), after.get(endpoint, []))
            endpoints.append(row)
            warned, failed = check(row)
            warnings += warned
            errors += failed
    return Capacity(tuple(endpoints), tuple(warnings), tuple(errors))


def _row(variant: Variant, variants: list[Variant], before: list[tuple[str, Placed]],
         after: list[tuple[str, Placed]]) -> EndpointCapacity:
    def mine(entries: list[tuple[str, Placed]]) -> list[Placed]:
        # A manifest without VariantName lands on the endpoint's first variant.
        return [p for v, p in entries if v == variant.name or (not v and variant is variants[0])]

    return EndpointCapacity(variant.endpoint, variant.name, variant.instance_type,
                            instance_types().get(variant.instance_type), variant.current_count,
                            variant.max_count, tuple(mine(after)), variant.min_count, tuple(mine(before)))


def check(row: EndpointCapacity) -> tuple[list[str], list[str]]:
    """(warnings, errors) for one endpoint variant."""
    where = f"endpoint {row.endpoint} (variant {row.variant}, {row.instance_type or 'unknown type'})"
    if row.per_instance is None:
        return [f"{where}: instance type not in icsync's capacity table; capacity not checked"], []
    errors: list[str] = []
    warnings: list[str] = []
    for placed in row.components:
        for resource in RESOURCES:
            if placed.per_copy.get(resource) > row.per_instance.get(resource):
                errors.append(f"{where}: one copy of {placed.name} needs {fmt(placed.per_copy.get(resource))} "
                              f"{LABELS[resource]}, more than one instance has "
                              f"({fmt(row.per_instance.get(resource))})")
        memory = placed.per_copy.memory_mib
        if usable(row.per_instance).memory_mib < memory <= row.per_instance.memory_mib:
            warnings.append(f"{where}: one copy of {placed.name} asks for {fmt(memory)} of the "
                            f"{fmt(row.per_instance.memory_mib)} memory MiB of one instance; SageMaker "
                            f"keeps part of each instance's memory for itself (how much is not published; "
                            f"icsync counts on {fmt(usable(row.per_instance).memory_mib)}), so AWS may "
                            "refuse the copy: ask for less")
    top = row.per_instance.times(row.max_count)
    short = [r for r in RESOURCES if row.after.get(r) > top.get(r)]
    if short or errors:
        errors += [f"{where}: the plan needs {fmt(row.after.get(r))} {LABELS[r]}, more than the "
                   f"{fmt(top.get(r))} of its maximum {row.max_count} instance(s); "
                   f"placed there: {_names(row)}" for r in short]
        return warnings, errors
    whole = row.needed(row.components, whole_memory=True)
    if whole > row.max_count:
        warnings.append(f"{where}: its copies take {whole} instance(s) when each is placed whole on one "
                        f"instance (largest first), more than its maximum {row.max_count}, though the totals "
                        f"fit; AWS may refuse copies (how SageMaker places them is not published); placed "
                        f"there: {_names(row)}")
        return warnings, errors
    needed = row.needed(row.components)
    if needed > row.max_count:
        warnings.append(f"{where}: the plan may need {needed} instance(s), more than its maximum "
                        f"{row.max_count}, if SageMaker keeps {HOST_MEMORY_SHARE:.0%} of each instance's "
                        "memory for itself (how much it keeps is not published); AWS may refuse copies")
    elif needed > row.current_count:
        warnings.append(f"{where}: the plan needs {needed} instance(s), {row.current_count} running; the "
                        f"endpoint must scale out (maximum {row.max_count}) before the new copies can be "
                        "placed")
    return warnings, errors


def _names(row: EndpointCapacity) -> str:
    return ", ".join(f"{p.name} x{p.copies}" for p in row.components if p.copies) or "nothing"


def fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:.1f}"


def raise_errors(capacity: Capacity) -> None:
    if capacity.errors:
        raise CapacityError("\n".join(capacity.errors) + "\nThe plan cannot fit; nothing was applied. "
                            "Lower the copy counts, or raise the endpoint's instance count or "
                            "ManagedInstanceScaling MaxInstanceCount.")
