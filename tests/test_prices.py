"""`icsync prices update` against the sandbox's Price List API, and the sandbox's GetProducts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from gitsync import aws
from gitsync.aws import pricing
from gitsync.sandbox.pricing import product
from tests.helpers import Live, icsync


def price_list(live: Live, region: str = "us-east-1") -> Any:
    return boto3.client("pricing", endpoint_url=live.url, region_name=region,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def update(live: Live, out: Path, *regions: str) -> Any:
    return icsync("prices", "update", "--endpoint-url", live.url, "--out", str(out),
                  *[f"--region={r}" for r in regions])


def test_update_writes_each_regions_hosting_prices_with_source_and_date(tmp_path: Path, live: Live) -> None:
    out = tmp_path / "prices.json"
    result = update(live, out, "us-east-1", "eu-west-1")
    assert result.code == 0, result.all
    assert "us-east-1: 3 prices, 0 changed, 3 new, 0 no longer listed" in result.out
    assert "eu-west-1: 2 prices, 0 changed, 2 new, 0 no longer listed" in result.out
    document = json.loads(out.read_text())
    # The seeded Training price of ml.g5.xlarge (9.99) is not a hosting price.
    assert document["regions"] == {
        "us-east-1": {"ml.g5.12xlarge": 7.09, "ml.g5.xlarge": 1.408, "ml.m5.xlarge": 0.23},
        "eu-west-1": {"ml.g5.xlarge": 1.5, "ml.m5.xlarge": 0.25}}
    assert document["source"]["eu-west-1"].startswith("AWS Price List API, GetProducts ServiceCode "
                                                      "AmazonSageMaker, component Hosting")
    assert document["compiled"] and document["currency"] == "USD"
    calls = [r for r in live.requests() if r.get("service") == "pricing"]
    assert [c["params"]["Filters"][0]["Value"] for c in calls] == ["us-east-1", "eu-west-1"]
    assert all(c["status"] == 200 and c["params"]["ServiceCode"] == "AmazonSageMaker" for c in calls)


def test_update_keeps_other_regions_and_refreshes_those_already_there(tmp_path: Path, live: Live) -> None:
    out = tmp_path / "prices.json"
    out.write_text(json.dumps({"source": {"eu-west-1": "old", "ap-south-1": "a quote"}, "compiled": "2020-01-01",
                               "currency": "USD", "unit": "per hour",
                               "regions": {"eu-west-1": {"ml.g5.xlarge": 1.2, "ml.g5.2xlarge": 2.0},
                                           "ap-south-1": {"ml.g5.xlarge": 1.1}}}))
    live.clear_log()
    result = update(live, out, "eu-west-1")
    assert result.code == 0, result.all
    assert "eu-west-1: 2 prices, 1 changed, 1 new, 1 no longer listed" in result.out
    document = json.loads(out.read_text())
    assert document["regions"]["ap-south-1"] == {"ml.g5.xlarge": 1.1}
    assert document["source"]["ap-south-1"] == "a quote"
    assert document["regions"]["eu-west-1"] == {"ml.g5.xlarge": 1.5, "ml.m5.xlarge": 0.25}
    # Without --region, the regions already in the file: ap-south-1 has none in the price list.
    again = update(live, out)
    assert again.code == 1
    assert "the Price List API has no SageMaker hosting prices for ap-south-1" in again.err
    assert "nothing was written" in again.err and json.loads(out.read_text()) == document


def test_bad_regions_and_files_are_clear_errors(tmp_path: Path, live: Live) -> None:
    out = tmp_path / "prices.json"
    live.clear_log()
    result = update(live, out, "US East")
    assert result.code == 1
    assert "--region US East: not an AWS region name; write e.g. --region us-west-2" in result.err
    assert live.requests() == [] and not out.exists()
    half = update(live, out, "us-east-1", "ap-east-9")  # the first region answers, the second has none
    assert half.code == 1 and "no SageMaker hosting prices for ap-east-9" in half.err
    assert not out.exists()  # written only once every region is read
    out.write_text("{not json")
    broken = update(live, out, "us-east-1")
    assert broken.code == 1 and f"{out}: cannot read it as a prices file" in broken.err
    assert "Traceback" not in result.all + broken.all


def test_the_price_list_is_read_page_by_page_in_its_own_region(monkeypatch: pytest.MonkeyPatch,
                                                                 live: Live) -> None:
    monkeypatch.setattr(pricing, "PAGE", 1)
    clients = aws.Clients(aws.Connection(region="eu-west-1", endpoint_url=live.url))
    live.clear_log()
    assert aws.hosting_prices(clients, "us-east-1") == {
        "ml.g5.xlarge": 1.408, "ml.g5.12xlarge": 7.09, "ml.m5.xlarge": 0.23}
    assert [r["params"].get("MaxResults") for r in live.requests()] == [1, 1, 1]


def test_the_sandbox_answers_get_products_as_the_price_list_does(live: Live) -> None:
    client = price_list(live)
    page = client.get_products(ServiceCode="AmazonSageMaker", FormatVersion="aws_v1", MaxResults=2, Filters=[
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
        {"Type": "ANY_OF", "Field": "instanceName", "Value": "ml.g5.xlarge, ml.m5.xlarge"}])
    items = [json.loads(item) for item in page["PriceList"]]  # JSON strings, one product each
    assert [i["product"]["attributes"]["component"] for i in items] == ["Hosting", "Hosting"]
    rest = client.get_products(ServiceCode="AmazonSageMaker", NextToken=page["NextToken"], MaxResults=2,
                               Filters=[{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
                                        {"Type": "ANY_OF", "Field": "instanceName",
                                         "Value": "ml.g5.xlarge, ml.m5.xlarge"}])
    assert [json.loads(i)["product"]["attributes"]["component"] for i in rest["PriceList"]] == ["Training"]
    assert "NextToken" not in rest
    none = client.get_products(ServiceCode="AmazonEC2")
    assert none["PriceList"] == []


@pytest.mark.parametrize(("region", "params", "code"), [
    ("eu-west-1", {"ServiceCode": "AmazonSageMaker"}, "UnknownEndpoint"),
    ("us-east-1", {"ServiceCode": "AmazonSageMaker", "NextToken": "not-a-token"}, "InvalidNextTokenException"),
    ("us-east-1", {"ServiceCode": "AmazonSageMaker", "FormatVersion": "aws_v2"}, "InvalidParameterException"),
])
def test_the_sandbox_refuses_what_the_price_list_would(live: Live, region: str, params: dict[str, Any],
                                                        code: str) -> None:
    with pytest.raises(ClientError) as refused:
        price_list(live, region).get_products(**params)
    assert refused.value.response["Error"]["Code"] == code


def test_only_hourly_on_demand_hosting_prices_count() -> None:
    hosting = product("us-east-1", "ml.g5.xlarge", "Hosting", "1.4080000000")
    assert pricing.hosting_price(hosting) == ("ml.g5.xlarge", 1.408)
    assert pricing.hosting_price(product("us-east-1", "ml.g5.xlarge", "Training", "1.5")) is None
    assert pricing.hosting_price(product("us-east-1", "ml.g5.xlarge", "Hosting", "0.0000000000")) is None
    storage = json.loads(json.dumps(hosting).replace('"Hrs"', '"GB-Mo"'))
    assert pricing.hosting_price(storage) is None
    async_usage = json.loads(json.dumps(hosting).replace("USE1-Host:", "USE1-AsyncHost:"))
    assert pricing.hosting_price(async_usage) is None
