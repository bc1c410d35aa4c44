"""Ownership through the CLI: another project's component is never changed without --adopt; a
component nobody owns is adopted by its first apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import Live, demo_project, icsync, set_values


def _run(command: str, root: Path, live: Live, *extra: str) -> Any:
    more = ("--auto-approve",) if command == "apply" else ()
    return icsync(command, "-C", root, "--env", "dev", "--endpoint-url", live.url, *more, *extra)


def _tags(live: Live, name: str = "web") -> dict[str, str]:
    arn = live.client.describe_inference_component(InferenceComponentName=name)["InferenceComponentArn"]
    return {t["Key"]: t["Value"] for t in live.client.list_tags(ResourceArn=arn)["Tags"]}


def _create(live: Live, tags: dict[str, str], copies: int = 2) -> None:
    live.client.create_inference_component(
        InferenceComponentName="web", EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-a", "Container": {"Image": "repo/app:1.0", "Environment": {
            "LOG_LEVEL": "info", "API_TOKEN": "s3cr3t-value-123"}},
            "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": copies}, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def _unowned(tmp_path: Path, live: Live) -> Path:
    """A component made by hand (no ownership tags) and the project whose manifest matches it."""
    live.seed_endpoint()
    _create(live, {})
    return demo_project(tmp_path / "p")


def test_another_projects_component_fails_the_plan_and_apply_until_adopted(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    _create(live, {"icsync:project": "search", "icsync:environment": "prod"}, copies=1)
    root = demo_project(tmp_path / "p")  # project demo, environment dev, CopyCount 2
    live.clear_log()
    for command in ("plan", "apply"):
        refused = _run(command, root, live)
        assert refused.code == 1, refused.all
        assert "web: owned by project `search`, environment `prod`" in refused.err
        assert "--adopt NAME" in refused.err and "Traceback" not in refused.all
    assert live.mutating() == []
    plan = _run("plan", root, live, "--adopt", "web")
    assert plan.code == 0 and '~ Tags.icsync:project: "search" -> "demo"' in plan.out, plan.all
    applied = _run("apply", root, live, "--adopt", "web")
    assert applied.code == 0, applied.all
    assert _tags(live)["icsync:project"] == "demo" and _tags(live)["icsync:environment"] == "dev"
    again = _run("plan", root, live, "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.out, again.all


def test_adopt_names_a_component_of_the_manifests(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    result = _run("plan", root, live, "--adopt", "nosuch")
    assert result.code == 1 and "--adopt nosuch: no manifest of environment `dev` names it" in result.err


def test_an_unowned_component_is_adopted_by_its_first_apply_even_when_it_matches(
        tmp_path: Path, live: Live) -> None:
    root = _unowned(tmp_path, live)
    plan = _run("plan", root, live, "--detailed-exitcode")
    assert plan.code == 2 and "nobody owns it: apply adopts it" in plan.out, plan.all  # never "No changes."
    assert '+ Tags.icsync:project: "demo"' in plan.out and '+ Tags.icsync:environment: "dev"' in plan.out
    live.clear_log()
    assert _run("apply", root, live).code == 0
    assert [r["operation"] for r in live.mutating()] == ["AddTags"]  # the spec is left as it is
    tags = _tags(live)
    assert {"icsync:project": "demo", "icsync:environment": "dev"}.items() <= tags.items()
    assert tags["icsync:applied"].startswith("1:")  # the three-way diff's record, from now on
    assert _run("plan", root, live, "--detailed-exitcode").code == 0
    drift = _run("drift", root, live)
    assert drift.code == 0, drift.all


def test_drift_does_not_call_an_adoption_drift(tmp_path: Path, live: Live) -> None:
    root = _unowned(tmp_path, live)
    drift = _run("drift", root, live)
    assert drift.code == 0, drift.all


def test_an_unowned_component_that_changes_is_adopted_by_the_same_apply(tmp_path: Path, live: Live) -> None:
    root = _unowned(tmp_path, live)
    set_values(root, copies=3)
    plan = _run("plan", root, live)
    assert '+ Tags.icsync:project: "demo"' in plan.out and "RuntimeConfig.CopyCount" in plan.out, plan.all
    assert _run("apply", root, live).code == 0
    assert {"icsync:project": "demo", "icsync:environment": "dev"}.items() <= _tags(live).items()
    assert _run("plan", root, live, "--detailed-exitcode").code == 0


def test_a_saved_plan_keeps_its_adoption(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    _create(live, {"icsync:project": "search", "icsync:environment": "prod"})
    root = demo_project(tmp_path / "p")
    saved = tmp_path / "adopt.plan"
    assert _run("plan", root, live, "--adopt", "web", "--out", str(saved)).code == 0
    applied = icsync("apply", str(saved), "-C", root, "--endpoint-url", live.url)
    assert applied.code == 0, applied.all
    assert _tags(live)["icsync:project"] == "demo"


def _with_tags(root: Path, count: int) -> None:
    """The demo manifest with `count` tags of the user's."""
    demo_project(root)
    path = root / "components" / "web.yaml"
    path.write_text(path.read_text() + "Tags:\n" + "".join(
        f"  - {{Key: team-{i}, Value: search}}\n" for i in range(count)))


def test_a_create_that_icsyncs_own_tags_take_past_50_is_refused_before_any_call(
        tmp_path: Path, live: Live) -> None:
    """48 tags of the user's pass validation (AWS allows 50); the ownership tags and the record
    icsync adds would make 51, which AWS refuses: the plan says so, nothing is sent."""
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    _with_tags(root, 48)
    live.clear_log()
    for command in ("plan", "apply"):
        result = _run(command, root, live)
        assert result.code == 1, result.all
        assert ("web would carry 51 tags after this apply (3 of them icsync's own), more than the 50 "
                "AWS allows a resource: remove 1 of its tags") in result.err
        assert "components/web.yaml" in result.err and "Traceback" not in result.all
    assert live.mutating() == []


def test_an_adoption_that_takes_a_component_past_50_tags_is_refused_before_any_call(
        tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    _create(live, {f"team-{i}": "search" for i in range(49)})
    root = demo_project(tmp_path / "p")
    _with_tags(root, 49)
    live.clear_log()
    result = _run("apply", root, live)
    assert result.code == 1, result.all
    assert ("web would carry 52 tags after this apply (3 of them icsync's own), more than the 50 AWS "
            "allows a resource: remove 2 of its tags") in result.err
    assert live.mutating() == [] and len(_tags(live)) == 49
    _with_tags(root, 47)  # the manifest drops two: the same apply removes them and adopts it
    result = _run("apply", root, live)
    assert result.code == 0, result.all
    assert len(_tags(live)) == 50 and _tags(live)["icsync:project"] == "demo"


def test_adopting_drops_the_previous_owners_options(tmp_path: Path, live: Live) -> None:
    """`icsync:prune=false` and `icsync:wave` were the other project's manifest's options: kept, a
    stale prune=false would protect the component from this project's --prune for good."""
    live.seed_endpoint()
    _create(live, {"icsync:project": "search", "icsync:environment": "prod", "icsync:prune": "false",
                   "icsync:wave": "2"})
    root = demo_project(tmp_path / "p")
    plan = _run("plan", root, live, "--adopt", "web")
    assert '- Tags.icsync:prune: "false"' in plan.out and '- Tags.icsync:wave: "2"' in plan.out, plan.all
    assert _run("apply", root, live, "--adopt", "web").code == 0
    tags = _tags(live)
    assert "icsync:prune" not in tags and "icsync:wave" not in tags and tags["icsync:project"] == "demo"
    assert _run("plan", root, live, "--detailed-exitcode").code == 0
