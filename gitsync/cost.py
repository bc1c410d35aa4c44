"""What a plan costs: the change in instances per endpoint variant, priced per hour and per month.

Pure: capacity.compute worked out, per touched endpoint variant, what its components need before
and after the plan. Managed instance scaling moves the instance count to fit them, within its
MinInstanceCount..MaxInstanceCount; without it the count stays. `compute` prices that change with
on-demand hosting prices (gitsync/data/prices.json, overridden by the project's `prices:`). An
unknown price is a warning and leaves the total incomplete: it is never guessed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from gitsync.capacity import Amount, Capacity, EndpointCapacity, Placed

HOURS_PER_MONTH = 730  # the month AWS's pricing pages and calculator use
PRICES_FILE = "data/prices.json"

Prices = Mapping[str, Mapping[str, float]]  # region -> instance type -> USD per instance-hour


@dataclass(frozen=True)
class PriceTable:
    regions: Prices = field(default_factory=dict)
    source: str = ""

    def price(self, region: str, instance_type: str) -> float | None:
        return self.regions.get(region, {}).get(instance_type)

    def overridden(self, override: Prices) -> PriceTable:
        """The project's prices (savings plans, private pricing) over these, region by region."""
        if not override:
            return self
        merged = {region: dict(table) for region, table in self.regions.items()}
        for region, table in override.items():
            merged.setdefault(region, {}).update(table)
        return PriceTable(merged, f"{self.source}; the project's `prices:` for "
                                  + ", ".join(sorted(override)))


def table_from(document: Mapping[str, Any]) -> PriceTable:
    """The data file's form: {"source": {region: text}, "regions": {region: {type: price}}}."""
    sources = document.get("source") or {}
    regions = {r: {t: float(p) for t, p in table.items()} for r, table in document["regions"].items()}
    return PriceTable(regions, "; ".join(f"{r}: {s}" for r, s in sorted(sources.items())))


@functools.cache
def shipped() -> PriceTable:
    return table_from(json.loads(resources.files("gitsync").joinpath(PRICES_FILE).read_text()))


@dataclass(frozen=True)
class VariantCost:
    endpoint: str
    variant: str
    instance_type: str
    instances_before: int
    instances_after: int
    hourly_price: float | None  # None: no price for this type in this region

    @property
    def hourly_delta(self) -> float | None:
        """None when the count changes and its price is unknown; 0 when the count stays."""
        change = self.instances_after - self.instances_before
        if change == 0:
            return 0.0
        return None if self.hourly_price is None else change * self.hourly_price


def _known_sum(deltas: list[float | None]) -> float:
    return sum(d for d in deltas if d is not None)


@dataclass(frozen=True)
class EndpointCost:
    endpoint: str
    variants: tuple[VariantCost, ...]

    @property
    def hourly_delta(self) -> float:
        return _known_sum([v.hourly_delta for v in self.variants])

    @property
    def complete(self) -> bool:
        return all(v.hourly_delta is not None for v in self.variants)


@dataclass(frozen=True)
class Cost:
    region: str
    endpoints: tuple[EndpointCost, ...] = ()
    warnings: tuple[str, ...] = ()
    source: str = ""

    @property
    def hourly_delta(self) -> float:
        """The sum of the deltas whose price is known (see `complete`)."""
        return sum(e.hourly_delta for e in self.endpoints)

    @property
    def complete(self) -> bool:
        return all(e.complete for e in self.endpoints)


def monthly(hourly: float) -> float:
    return hourly * HOURS_PER_MONTH


def instances(row: EndpointCapacity) -> tuple[int, int]:
    """(before, after): the running count, and the count managed instance scaling settles at once
    the plan's copies are placed, within its bounds; without scaling the count stays. Needs that
    grow take instances only beyond those running (idle ones absorb them first); needs that shrink
    let it scale in, never out."""
    before = row.current_count
    if row.min_count is None or row.per_instance is None:
        return before, before
    floor, top = row.min_count, row.max_count

    def fit(used: Amount, placed: tuple[Placed, ...], whole_memory: bool) -> int:
        # No copies at all: managed scaling may go down to MinInstanceCount, even 0.
        return min(max(0 if used == Amount() else row.needed(placed, whole_memory), floor), top)

    # What runs now was placed, whatever the host keeps; what the plan adds is counted as capacity
    # counts it (capacity.HOST_MEMORY_SHARE kept by the host): the cost errs high, not low.
    now, then = fit(row.before, row.placed_before, True), fit(row.after, row.components, False)
    if then > now:
        return before, max(before, then)
    if then < now:
        return before, min(before, then)
    return before, before


def compute(capacity: Capacity, prices: PriceTable, region: str) -> Cost:
    """Pure: every touched variant's instances before -> after, priced in `region`."""
    rows: dict[str, list[VariantCost]] = {}
    warnings: list[str] = []
    for row in capacity.endpoints:
        before, after = instances(row)
        price = prices.price(region, row.instance_type)
        variant = VariantCost(row.endpoint, row.variant, row.instance_type, before, after, price)
        rows.setdefault(row.endpoint, []).append(variant)
        if variant.hourly_delta is None:
            warnings.append(f"endpoint {row.endpoint} (variant {row.variant}): no {region} price for "
                            f"{row.instance_type or 'its unknown instance type'}; its "
                            f"{after - before:+d} instance(s) are left out of the cost (add the "
                            f"price under `prices:` in icsync.yaml, or run `icsync prices update "
                            f"--region {region}`)")
    endpoints = tuple(EndpointCost(name, tuple(variants)) for name, variants in rows.items())
    return Cost(region, endpoints, tuple(warnings), prices.source)
