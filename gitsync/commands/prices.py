"""`icsync prices update`: refresh the on-demand hosting prices from the AWS Price List API.

It rewrites the shipped data file (gitsync/data/prices.json), or the file given with --out, in the
same form: each region's prices for the instance types icsync's capacity table knows, its source
and the date. Regions not asked for keep their prices; nothing is written if a call fails.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import click

from gitsync import aws, capacity, cost
from gitsync.errors import ConfigError, ExitCode

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
DEFAULT_REGIONS = ("us-east-1",)


@dataclass(frozen=True)
class PricesOptions:
    regions: tuple[str, ...] = ()
    out: Path | None = None
    endpoint_url: str | None = None
    profile: str | None = None


def shipped_file() -> Path:
    return Path(str(resources.files("gitsync").joinpath(cost.PRICES_FILE)))


def run(options: PricesOptions) -> int:
    out = options.out or shipped_file()
    document = _read(out)
    regions = options.regions or tuple(sorted(document["regions"])) or DEFAULT_REGIONS
    bad = [r for r in regions if not _REGION.fullmatch(r)]
    if bad:
        raise ConfigError(f"--region {bad[0]}: not an AWS region name; write e.g. --region us-west-2")
    clients = aws.Clients(aws.Connection(region=aws.PRICE_LIST_REGION, profile=options.profile,
                                         endpoint_url=options.endpoint_url))
    known = capacity.instance_types()
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    lines = []
    for region in regions:
        found = {t: p for t, p in sorted(aws.hosting_prices(clients, region).items()) if t in known}
        if not found:
            raise ConfigError(f"the Price List API has no SageMaker hosting prices for {region} among "
                              f"icsync's instance types; nothing was written to {out}")
        lines.append(f"{region}: {len(found)} prices, {_changes(document['regions'].get(region, {}), found)}")
        document["regions"][region] = found
        document["source"][region] = (f"AWS Price List API, GetProducts ServiceCode AmazonSageMaker, "
                                      f"component Hosting, on-demand USD per Hrs, read {today}")
    document["compiled"] = today
    _write(out, document)
    click.echo("\n".join(lines) + f"\nWrote {out}")
    return ExitCode.OK


def _changes(before: dict[str, float], after: dict[str, float]) -> str:
    changed = sum(1 for t, p in after.items() if t in before and before[t] != p)
    new, gone = len(after.keys() - before.keys()), len(before.keys() - after.keys())
    return f"{changed} changed, {new} new, {gone} no longer listed"


def _read(path: Path) -> dict[str, Any]:
    """The file's document, or an empty one in its form when there is no file yet."""
    empty: dict[str, Any] = {"source": {}, "compiled": "", "currency": "USD",
                             "unit": json.loads(shipped_file().read_text())["unit"], "regions": {}}
    if not path.exists():
        return empty
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: cannot read it as a prices file ({error}); "
                          "give another --out or remove it") from None
    if not isinstance(found, dict) or not isinstance(found.get("regions"), dict):
        raise ConfigError(f"{path}: not a prices file (no `regions` mapping); give another --out")
    return {**empty, **found, "source": dict(found.get("source") or {})}


def _write(path: Path, document: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=1) + "\n")
    except OSError as error:
        raise ConfigError(f"cannot write the prices to {path}: {error.strerror}") from None
