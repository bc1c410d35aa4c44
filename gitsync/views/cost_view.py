"""Cost -> the text plan's `Cost:` block, the markdown summary and table, and the JSON `cost` object."""

from __future__ import annotations

from typing import Any

from gitsync.cost import HOURS_PER_MONTH, Cost, VariantCost, monthly


def money(amount: float, signed: bool = True) -> str:
    """`+$1,027.84`, `-$1.41`, `$0.00` (a delta of nothing has no sign)."""
    text = f"${abs(amount):,.2f}"
    if not signed or text == "$0.00":
        return text
    return ("-" if amount < 0 else "+") + text


def unit_price(price: float) -> str:
    """A price per instance-hour as the price list gives it: `$1.408`, `$0.23`."""
    whole, _, cents = f"{price:,.4f}".rstrip("0").partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def delta(hourly: float, complete: bool = True) -> str:
    """`+$1.41/h (+$1,027.84/mo)`, saying so when an unknown price is left out."""
    text = f"{money(hourly)}/h ({money(monthly(hourly))}/mo)"
    return text if complete else f"{text}, not counting the unknown prices"


def _variant(cost: VariantCost) -> str:
    head = (f"  {cost.endpoint} / {cost.variant}: {cost.instance_type or 'unknown type'} "
            f"x{cost.instances_before} -> x{cost.instances_after}")
    if cost.hourly_price is None:
        return head + (": price unknown" if cost.hourly_delta is None else ": $0.00/h (no change)")
    return head + f" at {unit_price(cost.hourly_price)}/h: {delta(cost.hourly_delta or 0.0)}"


def text(cost: Cost | None) -> list[str]:
    if cost is None or not cost.endpoints:
        return []
    lines = [f"Cost (on-demand, {cost.region}; a month is {HOURS_PER_MONTH} h):"]
    for endpoint in cost.endpoints:
        lines += [_variant(v) for v in endpoint.variants]
    lines.append(f"  Total: {delta(cost.hourly_delta, cost.complete)}")
    lines += [f"Warning: {w}" for w in cost.warnings]
    return lines + [""]


def summary(cost: Cost | None) -> str:
    """The PR comment's summary line addition: ` Cost: `+$2.82/h` (+$2,058.60/mo).`"""
    if cost is None or not cost.endpoints:
        return ""
    more = "" if cost.complete else ", not counting unknown prices"
    return f" Cost: `{money(cost.hourly_delta)}/h` ({money(monthly(cost.hourly_delta))}/mo{more})."


def markdown(cost: Cost | None) -> str:
    if cost is None or not cost.endpoints:
        return ""
    out = [f"#### Cost (on-demand, {cost.region})", ""]
    out += [f"> [!WARNING]\n> {w}\n" for w in cost.warnings]
    out += ["| endpoint | instance type | instances | per hour | per month |", "|---|---|---|---|---|"]
    for endpoint in cost.endpoints:
        for v in endpoint.variants:
            hourly = v.hourly_delta
            shown = ("unknown", "unknown") if hourly is None else \
                (f"{money(hourly)}", f"{money(monthly(hourly))}")
            out.append(f"| {v.endpoint} / {v.variant} | {v.instance_type or 'unknown'} | "
                       f"{v.instances_before} -> {v.instances_after} | {shown[0]} | {shown[1]} |")
    return "\n".join(out) + "\n\n"


def _variant_document(v: VariantCost) -> dict[str, Any]:
    hourly = v.hourly_delta
    return {"variant": v.variant, "instance_type": v.instance_type,
            "instances_before": v.instances_before, "instances_after": v.instances_after,
            "hourly_price": v.hourly_price, "hourly_delta": None if hourly is None else round(hourly, 6),
            "monthly_delta": None if hourly is None else round(monthly(hourly), 2)}


def document(cost: Cost) -> dict[str, Any]:
    return {
        "currency": "USD", "region": cost.region, "hours_per_month": HOURS_PER_MONTH,
        "hourly_delta": round(cost.hourly_delta, 6), "monthly_delta": round(monthly(cost.hourly_delta), 2),
        "complete": cost.complete, "source": cost.source,
        "endpoints": [{"endpoint": e.endpoint, "hourly_delta": round(e.hourly_delta, 6),
                       "monthly_delta": round(monthly(e.hourly_delta), 2), "complete": e.complete,
                       "variants": [_variant_document(v) for v in e.variants]} for e in cost.endpoints],
    }
