"""Capacity check before apply: endpoint variants vs the copies placed on them, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import hypothesis
from hypothesis import strategies as st

from gitsync import capacity
from gitsync.views.capacity_view import bar
from tests.helpers import Live, demo_project, icsync

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"


def args(root: Path, live: Live) -> list[str]:
    return ["-C", str(root), "--env", "dev", "--endpoint-url", live.url]


def test_quickstart_first_plan_warns_that_dev_must_scale_out(tmp_path: Path) -> None:
    root = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns(".icsync"))
    text = icsync("plan", "-C", root, "--env", "dev", "--sandbox")
    assert text.code == 0, text.all
    assert "Capacity (used / available, before -> after):" in text.out
    assert "dev-llm-endpoint / AllTraffic: ml.g5.xlarge x 1 (max 3)" in text.out
    assert "memory MiB    [....................] 0/16384 -> [####################] 16384/16384" in text.out
    assert ("Warning: endpoint dev-llm-endpoint (variant AllTraffic, ml.g5.xlarge): the plan needs "
            "2 instance(s), 1 running; the endpoint must scale out (maximum 3)") in text.out
    document = json.loads(icsync("plan", "-C", root, "--env", "dev", "--sandbox", "--output", "json").out)
    assert len(document["warnings"]) == 1 and "must scale out" in document["warnings"][0]
    markdown = icsync("plan", "-C", root, "--env", "dev", "--sandbox", "--output", "markdown").out
    assert "> [!WARNING]" in markdown and "```mermaid\nflowchart LR" in markdown
    assert "n_dev_llm_support_adapter -- adapter of --> n_dev_llm" in markdown
    assert "| dev-llm-endpoint / AllTraffic | accelerators | `[....................]` 0/1 |" in markdown


def test_a_plan_that_cannot_fit_at_the_maximum_fails_and_applies_nothing(tmp_path: Path,
                                                                         live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.xlarge", count=1, max_count=None)  # one GPU, fixed
    demo_project(tmp_path, copies=2)  # two copies of one GPU each
    live.clear_log()
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = icsync(*command, *args(tmp_path, live))
        assert result.code == 1, result.all
        assert ("endpoint ep (variant AllTraffic, ml.g5.xlarge): the plan needs 2 accelerators, more "
                "than the 1 of its maximum 1 instance(s); placed there: web x2") in result.err
        assert "Traceback" not in result.all
    assert live.mutating() == []


def test_one_copy_larger_than_an_instance_is_an_error(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.c5.large", count=4, max_count=None)  # no accelerators
    demo_project(tmp_path, copies=1)
    result = icsync("plan", *args(tmp_path, live))
    assert result.code == 1, result.all
    assert "one copy of web needs 1 accelerators, more than one instance has (0)" in result.err


def test_unknown_instance_type_is_a_warning(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.m4.xlarge")
    demo_project(tmp_path)
    result = icsync("plan", *args(tmp_path, live))
    assert result.code == 0, result.all
    assert ("Warning: endpoint ep (variant AllTraffic, ml.m4.xlarge): instance type not in icsync's "
            "capacity table; capacity not checked") in result.out


def test_unmanaged_components_count_and_no_change_plans_read_no_endpoint(tmp_path: Path,
                                                                         live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.12xlarge", count=1, max_count=None)  # 4 GPUs
    live.client.create_inference_component(
        InferenceComponentName="other-team", EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-b", "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 3})
    demo_project(tmp_path, copies=1)
    first = icsync("plan", *args(tmp_path, live))
    assert "accelerators  [###############.....] 3/4 -> [####################] 4/4" in first.out, first.out
    assert "Warning" not in first.out
    demo_project(tmp_path, copies=2)
    over = icsync("plan", *args(tmp_path, live))
    assert over.code == 1 and "the plan needs 5 accelerators, more than the 4" in over.err
    assert "other-team x3" in over.err
    demo_project(tmp_path, copies=1)
    assert icsync("apply", *args(tmp_path, live), "--auto-approve").code == 0
    live.clear_log()
    again = icsync("plan", *args(tmp_path, live))
    assert "No changes." in again.out and "Capacity" not in again.out
    assert not {"DescribeEndpoint", "DescribeEndpointConfig"} & set(live.operations())


def test_scale_reads_the_endpoint_once(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.g5.12xlarge", count=1)
    demo_project(tmp_path, copies=1)
    assert icsync("apply", *args(tmp_path, live), "--auto-approve").code == 0
    demo_project(tmp_path, copies=3)
    live.clear_log()
    result = icsync("plan", *args(tmp_path, live))
    assert "accelerators  [#####...............] 1/4 -> [###############.....] 3/4" in result.out
    assert live.operations().count("DescribeEndpoint") == 1


def test_bars_and_instance_table() -> None:
    assert bar(0, 4) == "[" + "." * 20 + "]"
    assert bar(2, 4) == "[" + "#" * 10 + "." * 10 + "]"
    assert bar(5, 4) == "[" + "#" * 19 + "!]"
    table = capacity.instance_types()
    for family in ("g5", "g6", "g6e", "p4d", "p5", "inf2", "trn1", "m5", "c5", "r5", "m6i", "c6i"):
        assert any(name.startswith(f"ml.{family}.") for name in table), family
    assert table["ml.g5.12xlarge"] == capacity.Amount(4, 48, 196608)


def _large_copies(root: Path, copies: int) -> Path:
    """One component of `copies` CPU copies asking 9 GiB each (an ml.m5.xlarge has 16 GiB: one copy
    an instance, though the totals of three would fit two, even with a tenth kept by the host)."""
    from tests.helpers import CPU_MANIFEST, PROJECT, write

    manifest = CPU_MANIFEST.format(name="big", endpoint="ep").replace(
        "MinMemoryRequiredInMb: 1024", "MinMemoryRequiredInMb: 9216").replace(
        "CopyCount: 1", f"CopyCount: {copies}")
    return write(root, {"icsync.yaml": PROJECT, "values/dev.yaml": "x: 1\n", "components/big.yaml": manifest})


def test_copies_are_counted_whole_on_single_instances() -> None:
    """Three 10 GiB copies take three 16 GiB instances, though their 30 GiB would fill two."""
    m5 = capacity.instance_types()["ml.m5.xlarge"]
    ten, six = capacity.Amount(cpus=1, memory_mib=10240), capacity.Amount(cpus=1, memory_mib=6144)
    assert capacity.instances_for((capacity.Placed("big", 3, ten),), m5) == 3
    # largest first: each 10 GiB copy shares its instance with one 6 GiB copy
    assert capacity.instances_for((capacity.Placed("s", 2, six), capacity.Placed("b", 2, ten)), m5) == 2
    assert capacity.instances_for((capacity.Placed("adapter", 1, capacity.Amount()),), m5) == 0


def test_copies_that_fit_only_as_totals_are_a_warning_and_aws_refuses_them(tmp_path: Path,
                                                                          live: Live) -> None:
    live.seed_endpoint(instance_type="ml.m5.xlarge", count=1, max_count=2)
    root = _large_copies(tmp_path, copies=3)
    plan = icsync("plan", *args(root, live))
    assert plan.code == 0, plan.all  # an estimate: a warning, never a false error
    assert ("its copies take 3 instance(s) when each is placed whole on one instance (largest first), "
            "more than its maximum 2, though the totals fit") in plan.out
    applied = icsync("apply", *args(root, live), "--auto-approve")
    assert applied.code == 1 and "There is not enough hardware resources" in applied.all, applied.all


def test_the_instances_a_plan_needs_are_counted_with_whole_copies(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint(instance_type="ml.m5.xlarge", count=1, max_count=4)
    root = _large_copies(tmp_path, copies=3)
    plan = icsync("plan", *args(root, live))
    assert plan.code == 0, plan.all
    assert "needs 3 instance(s) after this plan, 1 running" in plan.out  # the totals would say 2
    applied = icsync("apply", *args(root, live), "--auto-approve")
    assert applied.code == 0, applied.all


def _one_by_one(placed: tuple[capacity.Placed, ...], offered: capacity.Amount) -> int:
    """First-fit decreasing, each copy placed on its own: the reference the grouped count must equal."""
    resources = capacity.RESOURCES
    copies = [capacity.Amount(*(min(p.per_copy.get(r), offered.get(r)) for r in resources))
              for p in placed if p.per_copy != capacity.Amount() for _ in range(p.copies)]
    free: list[capacity.Amount] = []
    shares = [r for r in resources if offered.get(r) > 0]
    for need in sorted(copies, key=lambda n: max(n.get(r) / offered.get(r) for r in shares), reverse=True):
        slot = next((i for i, left in enumerate(free) if all(need.get(r) <= left.get(r) + 1e-9 for r in resources)), None)
        if slot is None:
            free.append(offered)
            slot = len(free) - 1
        free[slot] = free[slot] + need.times(-1)
    return len(free)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(st.lists(st.tuples(st.integers(0, 8), st.sampled_from([0, 0.5, 1, 2, 4]),
                                     st.sampled_from([256, 1024, 3000, 6144, 9216, 16384])), min_size=1, max_size=6))
def test_alike_copies_are_placed_as_one_by_one(components: list[tuple[int, float, int]]) -> None:
    m5 = capacity.instance_types()["ml.m5.xlarge"]
    placed = tuple(capacity.Placed(f"c{i}", copies, capacity.Amount(cpus=cpus, memory_mib=memory))
                   for i, (copies, cpus, memory) in enumerate(components))
    assert capacity.instances_for(placed, m5) == _one_by_one(placed, m5)


def test_thousands_of_copies_are_counted_at_once() -> None:
    g5 = capacity.instance_types()["ml.g5.xlarge"]
    gpu = capacity.Amount(accelerators=1, cpus=1, memory_mib=1024)
    assert capacity.instances_for((capacity.Placed("many", 5000, gpu),), g5) == 5000
