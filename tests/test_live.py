"""Reading live state: one listing, then a describe and a ListTags for what exists and matters only."""

from __future__ import annotations

import collections
from pathlib import Path

from tests.helpers import PROJECT, Live, icsync, write

MANIFEST = """
InferenceComponentName: {name}
EndpointName: {endpoint}
VariantName: AllTraffic
Specification:
  ModelName: model-a
  ComputeResourceRequirements:
    NumberOfCpuCoresRequired: 1
    MinMemoryRequiredInMb: 1024
RuntimeConfig:
  CopyCount: 1
"""


def project(root: Path, names: list[str], endpoint: str = "ep") -> Path:
    files = {f"components/{n}.yaml": MANIFEST.format(name=n, endpoint=endpoint) for n in names}
    return write(root, {"icsync.yaml": PROJECT, "values/dev.yaml": "x: 1\n", **files})


READS = ("ListInferenceComponents", "DescribeInferenceComponent", "ListTags")


def calls(live: Live) -> collections.Counter[str]:
    """The live-state reads (pre-flight checks of planned changes make others)."""
    return collections.Counter(op for op in live.operations() if op in READS)


def test_only_what_exists_and_is_managed_is_described(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    live.seed_endpoint("other", models=())
    existing = project(tmp_path / "existing", ["a", "b"])
    assert icsync("apply", "-C", existing, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    elsewhere = project(tmp_path / "elsewhere", ["z"], endpoint="other")
    assert icsync("apply", "-C", elsewhere, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    root = project(tmp_path / "p", ["a", "b", "new"])
    live.clear_log()
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert result.code == 0, result.all
    assert "new" in result.out
    described = [r["params"]["InferenceComponentName"] for r in live.requests()
                 if r["operation"] == "DescribeInferenceComponent"]
    assert sorted(described) == ["a", "b"]  # not `new` (not listed), not `z` (another endpoint)
    assert calls(live) == {"ListInferenceComponents": 1, "DescribeInferenceComponent": 2,
                           "ListTags": 2}


def test_targets_are_read_and_nothing_else(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    root = project(tmp_path / "p", ["a", "b", "c"])
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    live.clear_log()
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--target", "b")
    assert result.code == 0, result.all
    described = [r["params"]["InferenceComponentName"] for r in live.requests()
                 if r["operation"] == "DescribeInferenceComponent"]
    assert described == ["b"]


def test_invalid_manifests_still_fail_the_plan_while_reads_run(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    root = project(tmp_path / "p", ["a", "b"])
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    (root / "components" / "zz-broken.yaml").write_text("InferenceComponentName: broken\nBogus: 1\n")
    live.clear_log()
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert result.code == 1
    assert "zz-broken.yaml" in result.all and "Bogus" in result.all
