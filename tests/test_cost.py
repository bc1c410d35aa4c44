"""What a plan costs: instances before -> after per endpoint variant, priced, through the CLI."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from gitsync import capacity, cost
from gitsync.capacity import Amount, EndpointCapacity, Placed
from tests.helpers import PROJECT, Live, check_plan_document, demo_project, icsync, write

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"


def args(root: Path, live: Live) -> list[str]:
    return ["-C", str(root), "--env", "dev", "--endpoint-url", live.url]


def seed_scaling_endpoint(live: Live, instance_type: str, count: int, low: int, high: int) -> None:
    live.client.create_model(ModelName="model-a", PrimaryContainer={"Image": "img/model-a:1"})
    live.client.create_endpoint_config(EndpointConfigName="ep-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "InstanceType": instance_type, "InitialInstanceCount": count,
        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": low, "MaxInstanceCount": high}}],
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker")  # required for components
    live.client.create_endpoint(EndpointName="ep", EndpointConfigName="ep-config")


def test_quickstart_first_plan_shows_its_cost_in_text_markdown_and_json(tmp_path: Path) -> None:
    root = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns(".icsync"))
    plan = ["plan", "-C", str(root), "--env", "dev", "--sandbox"]
    text = icsync(*plan)
    assert text.code == 0, text.all
    assert ("Cost (on-demand, us-east-1; a month is 730 h):\n"
            "  dev-llm-endpoint / AllTraffic: ml.g5.xlarge x1 -> x2 at $1.408/h: +$1.41/h (+$1,027.84/mo)\n"
            "  Total: +$1.41/h (+$1,027.84/mo)\n") in text.out
    assert text.out.index("Capacity (used") < text.out.index("Cost (on-demand") < text.out.index("Plan: 3")
    markdown = icsync(*plan, "--output", "markdown").out
    assert "**Plan: 3 to create, 0 to update, 0 unchanged.** Cost: `+$1.41/h` (+$1,027.84/mo)." in markdown
    assert "| dev-llm-endpoint / AllTraffic | ml.g5.xlarge | 1 -> 2 | +$1.41 | +$1,027.84 |" in markdown
    document = json.loads(icsync(*plan, "--output", "json").out)
    check_plan_document(document)
    spend = document["cost"]
    assert (spend["region"], spend["hourly_delta"], spend["monthly_delta"], spend["complete"]) == \
        ("us-east-1", 1.408, 1027.84, True)
    assert spend["endpoints"][0]["variants"] == [{
        "variant": "AllTraffic", "instance_type": "ml.g5.xlarge", "instances_before": 1,
        "instances_after": 2, "hourly_price": 1.408, "hourly_delta": 1.408, "monthly_delta": 1027.84}]
    assert "foundation-model-benchmarking-tool" in spend["source"]


def test_project_prices_override_the_shipped_ones(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.xlarge", count=1, max_count=4)
    demo_project(tmp_path, copies=2)  # one GPU a copy: a second instance
    write(tmp_path, {"icsync.yaml": PROJECT + "prices:\n  us-east-1: {ml.g5.xlarge: 1.0}  # savings plan\n"})
    result = icsync("plan", *args(tmp_path, live))
    assert result.code == 0, result.all
    assert "ep / AllTraffic: ml.g5.xlarge x1 -> x2 at $1.00/h: +$1.00/h (+$730.00/mo)" in result.out
    document = json.loads(icsync("plan", *args(tmp_path, live), "--output", "json").out)
    check_plan_document(document)
    assert document["cost"]["hourly_delta"] == 1.0
    assert document["cost"]["source"].endswith("the project's `prices:` for us-east-1")


def test_an_unknown_price_is_a_warning_and_never_a_guess(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g6e.xlarge", count=1, max_count=4)  # known size, no price
    demo_project(tmp_path, copies=2)
    result = icsync("plan", *args(tmp_path, live))
    assert result.code == 0, result.all
    assert "ep / AllTraffic: ml.g6e.xlarge x1 -> x2: price unknown" in result.out
    assert "Total: $0.00/h ($0.00/mo), not counting the unknown prices" in result.out
    assert ("Warning: endpoint ep (variant AllTraffic): no us-east-1 price for ml.g6e.xlarge; its +1 "
            "instance(s) are left out of the cost (add the price under `prices:` in icsync.yaml, or run "
            "`icsync prices update --region us-east-1`)") in result.out
    document = json.loads(icsync("plan", *args(tmp_path, live), "--output", "json").out)
    check_plan_document(document)
    variant = document["cost"]["endpoints"][0]["variants"][0]
    assert (variant["hourly_price"], variant["hourly_delta"], document["cost"]["complete"]) == (None, None, False)
    assert any("no us-east-1 price for ml.g6e.xlarge" in w for w in document["warnings"])
    markdown = icsync("plan", *args(tmp_path, live), "--output", "markdown").out
    assert "Cost: `$0.00/h` ($0.00/mo, not counting unknown prices)." in markdown


def test_a_region_without_prices_warns_only_where_instances_change(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.12xlarge", count=1, max_count=4,  # 4 GPUs: 2 copies fit
                       region="ap-southeast-3")
    demo_project(tmp_path, copies=2)
    write(tmp_path, {"icsync.yaml": PROJECT.replace("us-east-1", "ap-southeast-3")})
    result = icsync("plan", *args(tmp_path, live))
    assert result.code == 0, result.all
    assert "Cost (on-demand, ap-southeast-3; a month is 730 h):" in result.out
    assert "ep / AllTraffic: ml.g5.12xlarge x1 -> x1: $0.00/h (no change)" in result.out
    assert "Total: $0.00/h ($0.00/mo)\n" in result.out
    assert "price" not in result.out.split("Cost (on-demand")[1].split("Total")[1]


def test_lower_copy_counts_scale_in_and_save(tmp_path: Path, live: Live) -> None:
    seed_scaling_endpoint(live, "ml.g5.xlarge", count=3, low=1, high=4)
    demo_project(tmp_path, copies=3)
    applied = icsync("apply", "--auto-approve", *args(tmp_path, live))
    assert applied.code == 0, applied.all
    assert "ep / AllTraffic: ml.g5.xlarge x3 -> x3 at $1.408/h: $0.00/h ($0.00/mo)" in applied.out
    demo_project(tmp_path, copies=1)
    result = icsync("plan", *args(tmp_path, live))
    assert "ep / AllTraffic: ml.g5.xlarge x3 -> x1 at $1.408/h: -$2.82/h (-$2,055.68/mo)" in result.out
    assert "Total: -$2.82/h (-$2,055.68/mo)" in result.out


def test_a_fixed_size_endpoint_costs_nothing_more(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.12xlarge", count=1, max_count=None)
    demo_project(tmp_path, copies=3)
    result = icsync("plan", *args(tmp_path, live))
    assert result.code == 0, result.all
    assert "ep / AllTraffic: ml.g5.12xlarge x1 -> x1 at $7.09/h: $0.00/h ($0.00/mo)" in result.out


def test_bad_prices_in_the_project_file_name_file_line_and_key(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.xlarge")
    demo_project(tmp_path)
    write(tmp_path, {"icsync.yaml": PROJECT + "prices:\n  us-east-1:\n    ml.g5.xlarge: cheap\n"
                                              "    g5.xlarge: 1.0\n  moon-base-one: {ml.g5.xlarge: 1}\n"})
    live.clear_log()
    result = icsync("plan", *args(tmp_path, live))
    assert result.code == 1, result.all
    assert ("icsync.yaml:9:5: expected a price in USD per hour (a number, 0 or more), got 'cheap' at "
            "`prices.us-east-1.ml.g5.xlarge`") in result.err
    assert ("icsync.yaml:10:5: `g5.xlarge` is not a SageMaker instance type (ml.*), e.g. prices: "
            "{us-east-1: {ml.g5.xlarge: 1.10}} or prices: prices.json at `prices.us-east-1.g5.xlarge`") in result.err
    assert "icsync.yaml:11:3: `moon-base-one` is not an AWS region name" in result.err
    assert "Traceback" not in result.all
    assert live.requests() == []


def gpus(count: int) -> tuple[Placed, ...]:
    """`count` one-GPU copies of one component."""
    return (Placed("c", count, Amount(accelerators=1)),)


def row(current: int, low: int | None, high: int, before: int, after: int,
        instance_type: str = "ml.g5.xlarge", variant: str = "AllTraffic") -> EndpointCapacity:
    """One variant (ml.g5.xlarge: 1 GPU an instance) whose one-GPU copies go `before` -> `after`."""
    return EndpointCapacity("ep", variant, instance_type, capacity.instance_types()[instance_type],
                            current, high, gpus(after), min_count=low, placed_before=gpus(before))


def test_instances_move_with_the_plans_needs_within_the_scaling_bounds() -> None:
    assert cost.instances(row(1, 1, 3, 0, 2)) == (1, 2)
    assert cost.instances(row(2, 1, 3, 2, 5)) == (2, 3)  # capped at MaxInstanceCount
    assert cost.instances(row(3, 2, 4, 3, 1)) == (3, 2)  # floored at MinInstanceCount
    assert cost.instances(row(1, 0, 4, 1, 0)) == (1, 0)  # no copies left: down to 0
    assert cost.instances(row(2, None, 2, 0, 2)) == (2, 2)  # no managed scaling: the count stays
    assert cost.instances(row(1, 1, 8, 1, 3)) == (1, 3)
    assert cost.instances(row(3, 1, 8, 1, 2)) == (3, 3)  # idle instances take the growth first
    assert cost.instances(row(1, 1, 8, 2, 1)) == (1, 1)  # needs that shrink never scale out


def test_the_shipped_prices_are_sourced_dated_and_for_known_instance_types() -> None:
    document = json.loads((Path(cost.__file__).parent / cost.PRICES_FILE).read_text())
    assert document["compiled"] and document["currency"] == "USD"
    for region, table in document["regions"].items():
        assert document["source"][region], region
        assert table and all(t in capacity.instance_types() and p > 0 for t, p in table.items()), region
    assert cost.shipped().price("us-east-1", "ml.g5.xlarge") == 1.408
    assert cost.shipped().price("us-east-1", "ml.c5.large") is None  # no source found: left out


def test_variants_add_up_per_endpoint_and_in_total() -> None:
    blue, green = row(1, 1, 4, 0, 2), row(2, 1, 4, 2, 1, variant="Green")
    other = dataclasses.replace(row(1, 1, 3, 4, 8, instance_type="ml.g5.12xlarge"), endpoint="other")
    found = cost.compute(capacity.Capacity((blue, green, other)), cost.shipped(), "us-east-1")
    assert [(e.endpoint, [v.variant for v in e.variants]) for e in found.endpoints] == [
        ("ep", ["AllTraffic", "Green"]), ("other", ["AllTraffic"])]
    assert found.endpoints[0].hourly_delta == 0  # one instance more on AllTraffic, one fewer on Green
    assert round(found.hourly_delta, 6) == 7.09 and found.complete and not found.warnings


def test_a_prices_file_written_by_prices_update_serves_as_the_project_prices(tmp_path: Path,
                                                                            live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.xlarge", count=1, max_count=4, region="eu-west-1")
    demo_project(tmp_path, copies=2)
    updated = icsync("prices", "update", "--endpoint-url", live.url, "--region", "eu-west-1",
                     "--out", str(tmp_path / "prices.json"))
    assert updated.code == 0, updated.all
    write(tmp_path, {"icsync.yaml": PROJECT.replace("us-east-1", "eu-west-1") + "prices: prices.json\n"})
    result = icsync("plan", *args(tmp_path, live))
    assert result.code == 0, result.all
    assert "ep / AllTraffic: ml.g5.xlarge x1 -> x2 at $1.50/h: +$1.50/h (+$1,095.00/mo)" in result.out


def test_a_bad_prices_file_names_its_line_and_key(tmp_path: Path, live: Live) -> None:
    demo_project(tmp_path)
    write(tmp_path, {"icsync.yaml": PROJECT + "prices: prices.json\n",
                     "prices.json": '{"regions": {\n  "us-east-1": {\n    "ml.g5.xlarge": -1\n  }\n}}\n'})
    result = icsync("plan", *args(tmp_path, live))
    assert result.code == 1, result.all
    assert ("prices.json:3:5: expected a price in USD per hour (a number, 0 or more), got -1 at "
            "`regions.us-east-1.ml.g5.xlarge`") in result.err
    write(tmp_path, {"icsync.yaml": PROJECT + "prices: ../prices.json\n"})
    outside = icsync("plan", *args(tmp_path, live))
    assert outside.code == 1 and "`../prices.json` is outside the project" in outside.err
    write(tmp_path, {"icsync.yaml": PROJECT + "prices: missing.json\n"})
    missing = icsync("plan", *args(tmp_path, live))
    assert missing.code == 1 and "missing.json: cannot read the prices file that `prices` in icsync.yaml names" \
        in missing.err
    assert "Traceback" not in result.all + outside.all + missing.all
