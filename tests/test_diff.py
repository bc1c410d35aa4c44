"""The pure field-level differ (gitsync/diff.py): which paths differ, and how each reads."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitsync.diff import ABSENT, Difference, diff, dotted_path, leaves


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(d.path, d.before, d.after) for d in diff(before, after)]


def test_equal_documents_have_no_differences() -> None:
    document = {"Specification": {"Container": {"Image": "repo/app:1", "Environment": {"A": "1"}}},
                "RuntimeConfig": {"CopyCount": 2}, "Tags": {}}
    assert diff(document, copy.deepcopy(document)) == []
    assert diff({}, {}) == []


def test_a_changed_leaf_is_named_by_its_dotted_path() -> None:
    before = {"Specification": {"Container": {"Image": "repo/app:1"}}, "RuntimeConfig": {"CopyCount": 1}}
    after = {"Specification": {"Container": {"Image": "repo/app:2"}}, "RuntimeConfig": {"CopyCount": 1}}
    assert diff(before, after) == [Difference("Specification.Container.Image", "repo/app:1", "repo/app:2")]


def test_keys_added_and_removed_are_absent_on_one_side() -> None:
    before = {"Environment": {"KEEP": "1", "GONE": "x"}}
    after = {"Environment": {"KEEP": "1", "NEW": "y"}}
    assert changes(before, after) == [("Environment.GONE", "x", ABSENT), ("Environment.NEW", ABSENT, "y")]


def test_a_map_whose_keys_all_change_is_still_diffed_key_by_key() -> None:
    before = {"Environment": {"OLD": "x"}, "Image": "a"}
    after = {"Environment": {"NEW": "y"}, "Image": "a"}
    assert changes(before, after) == [("Environment.NEW", ABSENT, "y"), ("Environment.OLD", "x", ABSENT)]


def test_a_block_added_or_removed_reads_as_its_leaves() -> None:
    block = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                                     "WaitIntervalInSeconds": 60}}
    assert changes({"Name": "web"}, {"Name": "web", "DeploymentConfig": block}) == [
        ("DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Type", ABSENT, "COPY_COUNT"),
        ("DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value", ABSENT, 1),
        ("DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds", ABSENT, 60)]
    assert changes({"Name": "web", "DeploymentConfig": block}, {"Name": "web"})[0] == (
        "DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Type", "COPY_COUNT", ABSENT)


def test_everything_is_added_when_nothing_was_there_in_the_document_s_order() -> None:
    # A create's fields read in the manifest's order, not sorted.
    assert changes({}, {"RuntimeConfig": {"CopyCount": 2}, "Name": "web"}) == [
        ("RuntimeConfig.CopyCount", ABSENT, 2), ("Name", ABSENT, "web")]


def test_everything_is_removed_when_nothing_is_wanted() -> None:
    assert changes({"RuntimeConfig": {"CopyCount": 2}}, {}) == [("RuntimeConfig.CopyCount", 2, ABSENT)]


@pytest.mark.parametrize(("before", "after"), [(8, 8.0), (1024.0, 1024), (0, 0.0)])
def test_an_integer_and_the_same_float_are_the_same_number(before: float, after: float) -> None:
    assert diff({"MinMemoryRequiredInMb": before}, {"MinMemoryRequiredInMb": after}) == []


def test_a_different_number_of_another_type_is_a_change() -> None:
    assert changes({"NumberOfCpuCoresRequired": 1.5}, {"NumberOfCpuCoresRequired": 2}) == [
        ("NumberOfCpuCoresRequired", 1.5, 2)]


def test_a_type_change_keeps_both_values() -> None:
    assert changes({"Value": "8"}, {"Value": 8}) == [("Value", "8", 8)]
    assert changes({"Container": {"Image": "a"}}, {"Container": "a"}) == [
        ("Container", {"Image": "a"}, "a")]


def test_lists_compare_in_order_item_by_item() -> None:
    assert changes({"Args": ["a", "b"]}, {"Args": ["b", "a"]}) == [("Args[0]", "a", "b"),
                                                                   ("Args[1]", "b", "a")]
    assert changes({"Args": ["a"]}, {"Args": ["a", "b"]}) == [("Args[1]", ABSENT, "b")]
    assert changes({"Args": ["a", "b"]}, {"Args": ["a"]}) == [("Args[1]", "b", ABSENT)]


def test_lists_of_maps_are_diffed_inside_each_item() -> None:
    before = {"Specifications": [{"InstanceType": "ml.g5.xlarge", "Copies": 1},
                                 {"InstanceType": "ml.g6.xlarge", "Copies": 1}]}
    after = {"Specifications": [{"InstanceType": "ml.g5.xlarge", "Copies": 2}]}
    assert changes(before, after) == [
        ("Specifications[0].Copies", 1, 2),
        ("Specifications[1].Copies", 1, ABSENT),
        ("Specifications[1].InstanceType", "ml.g6.xlarge", ABSENT)]


def test_keys_with_dots_and_quotes_keep_their_names() -> None:
    assert changes({"Environment": {"a.b": "1", "it's": "x"}},
                   {"Environment": {"a.b": "2", "it's": "y"}}) == [
        ("Environment.a.b", "1", "2"), ("Environment.it's", "x", "y")]


def test_differences_come_sorted_by_path() -> None:
    found = diff({"b": 1, "a": {"z": 1, "y": 1}}, {"b": 2, "a": {"z": 2, "y": 2}, "c": 1})
    assert [d.path for d in found] == ["a.y", "a.z", "b", "c"]


def test_the_inputs_are_not_changed() -> None:
    before = {"Environment": {"A": "1"}, "Args": [{"x": 1}]}
    after = {"Environment": {"B": "2"}, "Args": [{"x": 2}, {"y": 3}]}
    kept = copy.deepcopy((before, after))
    diff(before, after)
    assert (before, after) == kept


def test_dotted_path_reads_deepdiff_s_paths() -> None:
    assert dotted_path("root['Specification']['Container']") == "Specification.Container"
    assert dotted_path("root['Specifications'][2]['Container']") == "Specifications[2].Container"
    assert dotted_path("root['Environment']['a.b']") == "Environment.a.b"
    assert dotted_path('root["it\'s"]') == "it's"


def test_leaves_keep_lists_of_scalars_whole_and_open_lists_of_maps() -> None:
    assert leaves({"a": {"b": [1, 2], "c": [{"d": 1}, {"e": 2}]}, "f": "g"}) == [
        ("a.b", [1, 2]), ("a.c[0].d", 1), ("a.c[1].e", 2), ("f", "g")]
    assert leaves({"empty": {}}) == []
