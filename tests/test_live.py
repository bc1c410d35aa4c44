"""Reading live state: one listing, a describe for what exists and matters only, and tags in bulk
(GetResources), with ListTags only for what the bulk read cannot vouch for."""

from __future__ import annotations

import collections
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

from gitsync import aws
from gitsync.live import tags_of
from tests.helpers import Live, icsync, project_of

READS = ("ListInferenceComponents", "DescribeInferenceComponent", "ListTags", "GetResources")


def calls(live: Live) -> collections.Counter[str]:
    """The live-state reads (pre-flight checks of planned changes make others)."""
    return collections.Counter(op for op in live.operations() if op in READS)


def test_only_what_exists_and_is_managed_is_described(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    live.seed_endpoint("other", models=())
    existing = project_of(tmp_path / "existing", ["a", "b"])
    assert icsync("apply", "-C", existing, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    elsewhere = project_of(tmp_path / "elsewhere", ["z"], endpoint="other")
    assert icsync("apply", "-C", elsewhere, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    root = project_of(tmp_path / "p", ["a", "b", "new"])
    live.clear_log()
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert result.code == 0, result.all
    assert "new" in result.out
    described = [r["params"]["InferenceComponentName"] for r in live.requests()
                 if r["operation"] == "DescribeInferenceComponent"]
    assert sorted(described) == ["a", "b"]  # not `new` (not listed), not `z` (another endpoint)
    assert calls(live) == {"ListInferenceComponents": 1, "DescribeInferenceComponent": 2,
                           "GetResources": 1}
    [bulk] = [r["params"] for r in live.requests() if r["operation"] == "GetResources"]
    # Every tagged component, whoever created it: no ListTags for one icsync does not own yet.
    assert "TagFilters" not in bulk
    assert bulk["ResourceTypeFilters"] == ["sagemaker:inference-component"]


def test_tags_are_read_a_hundred_a_call(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    root = project_of(tmp_path / "p", [f"c{i:03d}" for i in range(150)])
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    live.clear_log()
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                    "--detailed-exitcode")
    assert result.code == 0, result.all
    assert calls(live) == {"ListInferenceComponents": 2, "DescribeInferenceComponent": 150,
                           "GetResources": 2}


def listed_tags_of(live: Live) -> list[str]:
    return sorted(r["params"]["ResourceArn"].rsplit("/", 1)[1] for r in live.requests()
                  if r["operation"] == "ListTags")


def test_a_component_not_yet_tagged_by_icsync_is_read_in_bulk_and_confirmed_where_it_matters(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    root = project_of(tmp_path / "p", ["a", "byhand"])
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve",
                  "--target", "a").code == 0
    live.client.create_inference_component(
        InferenceComponentName="byhand", EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-a", "ComputeResourceRequirements": {
            "NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1}, Tags=[{"Key": "team", "Value": "search"}])
    live.clear_log()
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--output", "json")
    assert result.code == 0, result.all
    # Its tags came with everyone's; the plan would remove one on the index's word: read again.
    assert listed_tags_of(live) == ["byhand"]
    [change] = [c for c in json.loads(result.out)["changes"] if c["name"] == "byhand"]
    assert "Tags.team" in [f["path"] for f in change["fields"]]  # the tag it has was read


def applied(root: Path, live: Live, names: list[str]) -> Path:
    """A project of `names` on endpoint ep, applied."""
    root = project_of(root, names)
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    return root


@contextlib.contextmanager
def frozen_tag_index(live: Live) -> Iterator[None]:
    """GetResources answers from the tags as they are now, as AWS's lagging index would."""
    live.sandbox.freeze_tag_index()
    try:
        yield
    finally:
        live.sandbox.freeze_tag_index(False)


def planned_actions(root: Path, live: Live, *options: str) -> dict[str, str]:
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--output", "json",
                    *options)
    assert result.code == 0, result.all
    return {c["name"]: c["action"] for c in json.loads(result.out)["changes"]}


def test_a_lagging_tag_index_does_not_make_a_plan_after_apply_wrong(tmp_path: Path, live: Live) -> None:
    """AWS's tagging index is eventually consistent: right after an apply changed tags, GetResources
    may still return the old ones. What the plan would change on its word is read again."""
    live.seed_endpoint("ep")
    root = applied(tmp_path / "p", live, ["a", "b"])
    with frozen_tag_index(live):
        manifest = root / "components" / "a.yaml"
        manifest.write_text(manifest.read_text() + "Tags:\n  - Key: team\n    Value: search\n")
        result = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve")
        assert result.code == 0, result.all
        live.clear_log()
        # the index says `a` has no team tag; ListTags says it has
        assert planned_actions(root, live) == {"a": "noop", "b": "noop"}
        assert listed_tags_of(live) == ["a"]


def test_without_permission_for_get_resources_each_component_is_read_with_list_tags(
        tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    root = project_of(tmp_path / "p", ["a", "b", "c"])
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    live.clear_log()
    live.sandbox.fail_calls("GetResources", "denied")
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--detailed-exitcode")
    assert result.code == 0, result.all
    assert calls(live) == {"ListInferenceComponents": 1, "DescribeInferenceComponent": 3,
                           "GetResources": 1, "ListTags": 3}


def test_targets_are_read_and_nothing_else(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    root = project_of(tmp_path / "p", ["a", "b", "c"])
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    live.clear_log()
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--target", "b")
    assert result.code == 0, result.all
    described = [r["params"]["InferenceComponentName"] for r in live.requests()
                 if r["operation"] == "DescribeInferenceComponent"]
    assert described == ["b"]
    assert listed_tags_of(live) == ["b"] and "GetResources" not in live.operations()


def test_invalid_manifests_still_fail_the_plan_while_reads_run(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    root = project_of(tmp_path / "p", ["a", "b"])
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    (root / "components" / "zz-broken.yaml").write_text("InferenceComponentName: broken\nBogus: 1\n")
    live.clear_log()
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert result.code == 1
    assert "zz-broken.yaml" in result.all and "Bogus" in result.all


def test_a_tag_index_behind_never_hides_what_prune_would_delete(tmp_path: Path, live: Live) -> None:
    """The index knows a and b only. c (in a manifest) is the project's by ListTags: the index is
    behind, so d, which it does not return either, is read too, and prune finds it owned."""
    live.seed_endpoint("ep")
    applied(tmp_path / "p", live, ["a", "b"])
    with frozen_tag_index(live):
        root = applied(tmp_path / "p", live, ["a", "b", "c", "d"])
        (root / "components" / "d.yaml").unlink()
        assert planned_actions(root, live, "--prune") == {"a": "noop", "b": "noop", "c": "noop",
                                                          "d": "delete"}


def test_an_index_that_returns_nothing_is_not_trusted(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint("ep")
    with frozen_tag_index(live):  # empty: as if AWS did not index inference components
        root = applied(tmp_path / "p", live, ["a", "b"])
        (root / "components" / "b.yaml").unlink()
        live.clear_log()
        assert planned_actions(root, live, "--prune") == {"a": "noop", "b": "delete"}
        assert listed_tags_of(live) == ["a", "b"]


def test_tags_of_a_component_deleted_meanwhile_are_none(live: Live) -> None:
    """Tags are read alongside describes now, so a component deleted during the plan must not fail
    it: its describe reports it gone, and its tags are empty."""
    clients = aws.Clients(aws.Connection(region="us-east-1", endpoint_url=live.url,
                                         dummy_credentials=True))
    gone = "arn:aws:sagemaker:us-east-1:123456789012:inference-component/gone"
    assert tags_of(clients, gone) == {}


def test_an_adoption_reads_ownership_where_it_is_consistent(tmp_path: Path, live: Live) -> None:
    """A component made by hand, then adopted by another project while the tagging index still
    shows it untagged: the plan does not adopt it on the index's word, it finds the owner and stops."""
    live.seed_endpoint("ep")
    root = project_of(tmp_path / "p", ["byhand"])
    manifest = root / "components" / "byhand.yaml"
    manifest.write_text(manifest.read_text() + "Tags:\n  - Key: team\n    Value: search\n")
    live.client.create_inference_component(
        InferenceComponentName="byhand", EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-a", "ComputeResourceRequirements": {
            "NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1}, Tags=[{"Key": "team", "Value": "search"}])  # in the index
    arn = live.client.describe_inference_component(InferenceComponentName="byhand")["InferenceComponentArn"]
    with frozen_tag_index(live):
        live.client.add_tags(ResourceArn=arn, Tags=[{"Key": "icsync:project", "Value": "search"},
                                                    {"Key": "icsync:environment", "Value": "prod"}])
        live.clear_log()
        result = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve")
        assert result.code == 1 and "byhand: owned by project `search`, environment `prod`" in result.err, result.all
        assert live.mutating() == [] and listed_tags_of(live) == ["byhand"]
