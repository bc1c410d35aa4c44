"""The AWS Price List Query API: on-demand prices of SageMaker real-time inference instances."""

from __future__ import annotations

import json
import re
from typing import Any

from gitsync.aws.calls import pages
from gitsync.aws.clients import Clients

# The Query API answers in us-east-1, eu-central-1 and ap-south-1 only, whatever region is priced.
PRICE_LIST_REGION = "us-east-1"
PAGE = 100  # GetProducts' largest MaxResults
# A hosting instance-hour's usage type: REGION-Host:ml.TYPE (e.g. USE1-Host:ml.g5.xlarge), not the
# asynchronous or other variants that share the Hosting component.
_HOST_USAGE = re.compile(r"(?:[A-Z0-9]+-)?Host:(ml\.[\w.]+)")


def hosting_prices(clients: Clients, region: str) -> dict[str, float]:
    """USD per instance-hour of each SageMaker hosting (real-time inference) instance type in
    `region`, from its on-demand terms: one paged GetProducts for the region's Hosting products."""
    client = clients.in_region(PRICE_LIST_REGION).client("pricing")
    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
               {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"}]
    found: dict[str, float] = {}
    for page in pages(client, "get_products", page_size=PAGE, ServiceCode="AmazonSageMaker",
                      FormatVersion="aws_v1", Filters=filters):
        for item in page.get("PriceList", []):
            priced = hosting_price(json.loads(item))  # each product is a JSON string
            if priced is not None:
                found[priced[0]] = priced[1]
    return found


def hosting_price(item: dict[str, Any]) -> tuple[str, float] | None:
    """(instance type, USD per hour) of one Price List product, or None when it is not an hourly
    on-demand price of a hosting instance (storage, data, free-tier and other SKUs share the filter)."""
    attributes = (item.get("product") or {}).get("attributes") or {}
    name = str(attributes.get("instanceName") or "")
    usage = _HOST_USAGE.fullmatch(str(attributes.get("usagetype") or ""))
    if attributes.get("component") != "Hosting" or usage is None or usage.group(1) != name:
        return None
    for term in ((item.get("terms") or {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = float((dimension.get("pricePerUnit") or {}).get("USD") or 0)
            if dimension.get("unit") == "Hrs" and usd > 0:
                return name, usd
    return None
