"""icsync.yaml's `prices:`: USD per instance-hour by region and instance type, over the shipped
on-demand prices (savings plans, private pricing). Either inline, or the name of a prices file in
the form `icsync prices update --out FILE` writes ({"regions": {region: {type: price}}})."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from gitsync.errors import ConfigError, Problem, ValidationFailed
from gitsync.manifests.load import Parsed, parse

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_EXAMPLE = "e.g. prices: {us-east-1: {ml.g5.xlarge: 1.10}} or prices: prices.json"

Prices = dict[str, dict[str, float]]


def check_prices(doc: Parsed, prices: Any, at: tuple[str, ...] = ("prices",)) -> list[Problem]:
    """Problems of a prices mapping found at `at` in `doc` (icsync.yaml, or a prices file)."""
    if prices is None:
        return []
    if not isinstance(prices, dict):
        return [doc.problem(at, f"expected a mapping of regions, {_EXAMPLE}")]
    problems = []
    for region, table in prices.items():
        if not isinstance(region, str) or not _REGION.fullmatch(region):
            problems.append(doc.problem(at + (region,), f"`{region}` is not an AWS region name, {_EXAMPLE}"))
        elif not isinstance(table, dict):
            problems.append(doc.problem(at + (region,), "expected a mapping of instance types to USD "
                                                        f"per hour, {_EXAMPLE}"))
        else:
            problems += [doc.problem(at + (region, name), problem)
                         for name, price in table.items() if (problem := _price_problem(name, price))]
    return problems


def _price_problem(name: Any, price: Any) -> str | None:
    if not isinstance(name, str) or not name.startswith("ml."):
        return f"`{name}` is not a SageMaker instance type (ml.*), {_EXAMPLE}"
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price) or price < 0:
        return f"expected a price in USD per hour (a number, 0 or more), got {price!r}"
    return None


def load_prices(root: Path, prices: Any) -> Prices:
    """The checked `prices:` value as numbers; a file name is read and checked here, its problems
    naming that file, its line and the key."""
    if isinstance(prices, str):
        prices = _read_file(root, prices)
    return {region: {name: float(price) for name, price in table.items()}
            for region, table in (prices or {}).items()}


def _read_file(root: Path, relative: str) -> Any:
    path = root / relative
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the prices file that `prices` in icsync.yaml names: "
                          f"{error.strerror or error}") from None
    documents, problems = parse(relative, text)
    if problems:
        raise ValidationFailed(problems)
    doc = documents[0] if documents else Parsed(relative, 0, None)
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("regions"), dict):
        raise ValidationFailed([doc.problem((), "expected a prices file: {\"regions\": {region: "
                                                "{instance type: USD per hour}}}, as `icsync prices "
                                                "update --out FILE` writes it")])
    problems = check_prices(doc, doc.data["regions"], ("regions",))
    if problems:
        raise ValidationFailed(problems)
    return doc.data["regions"]
