"""The Price List Query API's GetProducts (`pricing`), which moto does not serve, with a few seeded
SageMaker products.

Each PriceList entry is one product and its terms as a JSON *string* (botocore's model marks the
member `jsonvalue`), in the Price List's own layout: `product.attributes`, and the on-demand price at
`terms.OnDemand.<sku>.JRTCKXETXF.priceDimensions.<rate>.pricePerUnit.USD`, a decimal string (the
layout of AWS's published offer files and of GetProducts answers quoted in public SDK tests).
The Query API has endpoints in us-east-1, eu-central-1 and ap-south-1 only (AWS's "Price List Query
API" docs); a call signed for another region is refused, as no endpoint there would answer it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from gitsync import model
from gitsync.sandbox.state import ApiError
from gitsync.sandbox.wire import validate_request

TARGET_PREFIX = "AWSPriceListService."
REGIONS = ("us-east-1", "eu-central-1", "ap-south-1")
FORMAT_VERSION = "aws_v1"
ON_DEMAND_TERM = "JRTCKXETXF"  # the Price List's offer term code of on-demand prices
PER_HOUR_RATE = "6YS6EN2CT7"
PAGE = 100  # GetProducts' MaxResults maximum
USAGE_PREFIXES = {"us-east-1": "USE1", "eu-west-1": "EUW1"}  # as in usage types, e.g. USE1-Host:ml.m5.xlarge

# (region, instance type, component, USD per hour). Test data: the us-east-1 Hosting figures are
# those of gitsync/data/prices.json; the others are made up for the tests (a Training price to be
# filtered out, another region to be asked for).
SEEDED = (
    ("us-east-1", "ml.g5.xlarge", "Hosting", "1.4080000000"),
    ("us-east-1", "ml.g5.12xlarge", "Hosting", "7.0900000000"),
    ("us-east-1", "ml.m5.xlarge", "Hosting", "0.2300000000"),
    ("us-east-1", "ml.g5.xlarge", "Training", "9.9900000000"),
    ("eu-west-1", "ml.g5.xlarge", "Hosting", "1.5000000000"),
    ("eu-west-1", "ml.m5.xlarge", "Hosting", "0.2500000000"),
)


def product(region: str, instance_type: str, component: str, usd: str) -> dict[str, Any]:
    sku = "SANDBOX" + "".join(ch for ch in f"{region}{instance_type}{component}".upper() if ch.isalnum())
    usage = f"{USAGE_PREFIXES[region]}-{'Host' if component == 'Hosting' else 'Train'}:{instance_type}"
    term = f"{sku}.{ON_DEMAND_TERM}"
    return {
        "product": {"productFamily": "ML Instance", "sku": sku, "attributes": {
            "servicecode": "AmazonSageMaker", "regionCode": region, "locationType": "AWS Region",
            "instanceName": instance_type, "component": component, "usagetype": usage,
            "operation": "RunInstance"}},
        "serviceCode": "AmazonSageMaker",
        "terms": {"OnDemand": {term: {
            "offerTermCode": ON_DEMAND_TERM, "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z",
            "termAttributes": {},
            "priceDimensions": {f"{term}.{PER_HOUR_RATE}": {
                "rateCode": f"{term}.{PER_HOUR_RATE}", "unit": "Hrs", "beginRange": "0", "endRange": "Inf",
                "description": f"${float(usd):g} per {component} {instance_type} hour", "appliesTo": [],
                "pricePerUnit": {"USD": usd}}}}}},
        "version": "20261101000000", "publicationDate": "2026-11-01T00:00:00Z",
    }


PRODUCTS = tuple(product(*seeded) for seeded in SEEDED)


def _matches(item: dict[str, Any], found: dict[str, Any]) -> bool:
    """One GetProducts filter: TERM_MATCH and EQUALS are exact, CONTAINS a substring, ANY_OF and
    NONE_OF a comma-separated list."""
    attributes = {**item["product"]["attributes"], "productFamily": item["product"]["productFamily"]}
    value, wanted = attributes.get(found["Field"]), found["Value"]
    if found["Type"] in ("TERM_MATCH", "EQUALS"):
        return value == wanted
    if found["Type"] == "CONTAINS":
        return value is not None and wanted in value
    listed = [part.strip() for part in wanted.split(",")]
    return (value in listed) == (found["Type"] == "ANY_OF")


def get_products(params: dict[str, Any], region: str) -> dict[str, Any]:
    if region not in REGIONS:
        raise ApiError("UnknownEndpoint", f"the Price List Query API has no endpoint in {region}; "
                                          f"call it in {', '.join(REGIONS)}")
    if params.get("FormatVersion", FORMAT_VERSION) != FORMAT_VERSION:
        raise ApiError("InvalidParameterException", f"FormatVersion must be {FORMAT_VERSION}")
    chosen = [p for p in PRODUCTS if p["serviceCode"] == params["ServiceCode"]
              and all(_matches(p, f) for f in params.get("Filters", []))]
    start = _offset(params.get("NextToken"))
    end = start + int(params.get("MaxResults") or PAGE)
    answer: dict[str, Any] = {"FormatVersion": FORMAT_VERSION,
                              "PriceList": [json.dumps(p) for p in chosen[start:end]]}
    if end < len(chosen):
        answer["NextToken"] = base64.b64encode(f"offset:{end}".encode()).decode()
    return answer


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, number = base64.b64decode(token, validate=True).decode().partition(":")
        if kind == "offset" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError("InvalidNextTokenException", "The pagination token is invalid. Try again without it.")


def serve(operation: str, params: Any, region: str) -> dict[str, Any]:
    """One Price List call, validated against botocore's input shape as the sandbox's others are."""
    if operation != "GetProducts":
        raise ApiError("UnknownOperationException", f"The operation {operation} is not served by the sandbox.")
    if not isinstance(params, dict):
        raise ApiError("SerializationException", "Request body is not a JSON object.")
    shape = model.service_model("pricing").operation_model(operation).input_shape
    validate_request(operation, params, shape)
    return get_products(params, region)
