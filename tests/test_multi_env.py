"""Many accounts and regions: role_arn (STS), per-environment region, `plan --all-envs`, `--shard I/N`."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

import boto3
import pytest

from gitsync.shard import index_of
from tests.helpers import (
    VALUES,
    Live,
    check_plan_document,
    demo_project,
    icsync,
    sent_to,
    signing_regions,
    write,
)

ROLE = "arn:aws:iam::123456789012:role/icsync-deployer"


def signed_by(caplog: pytest.LogCaptureFixture, live: Live, service: str) -> set[str]:
    """The access keys that signed this test's requests to `service`."""
    return {key for message in sent_to(caplog, live)
            for key in re.findall(rf"Credential=([^/]+)/\d{{8}}/[a-z0-9-]+/{service}/", message)}


def two_envs(root: Path, prod_extra: str = "") -> Path:
    """dev in us-east-1 with the caller's credentials; prod in eu-west-1, optionally as a role."""
    demo_project(root)
    write(root, {"icsync.yaml": f"""
        name: demo
        manifests: ["components/*.yaml"]
        environments:
          dev: {{values: values/dev.yaml, region: us-east-1}}
          prod: {{values: values/prod.yaml, region: eu-west-1{prod_extra}}}
        """, "values/prod.yaml": "".join(f"{k}: {json.dumps(v)}\n"
                                          for k, v in {**VALUES, "copies": 3}.items())})
    return root



@pytest.fixture(autouse=True)
def a_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """Some projects here name no region, and icsync refuses to guess one (as the AWS CLI does):
    the shell has one, as a configured machine does."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

def test_role_arn_is_assumed_and_its_credentials_sign_the_calls(
        tmp_path: Path, live: Live, caplog: pytest.LogCaptureFixture) -> None:
    for region in ("us-east-1", "eu-west-1"):  # each environment's region is its own account state
        live.seed_endpoint(region=region)
    root = two_envs(tmp_path / "p", f", role_arn: '{ROLE}'")
    caplog.set_level(logging.DEBUG, logger="botocore.endpoint")
    result = icsync("plan", "-C", root, "--env", "prod", "--endpoint-url", live.url)
    assert result.code == 0, result.all
    assumed = [r for r in live.requests() if r["operation"] == "AssumeRole"]
    assert len(assumed) == 1
    assert signed_by(caplog, live, "sts") == {"testing"}  # the caller's own credentials ask
    keys = signed_by(caplog, live, "sagemaker")  # the role's temporary ones do the work
    assert len(keys) == 1 and next(iter(keys)).startswith("ASIA")
    assert signing_regions(caplog, live) == {"eu-west-1"}

    caplog.clear()
    live.clear_log()
    assert icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url).code == 0
    assert "AssumeRole" not in live.operations()
    assert signed_by(caplog, live, "sagemaker") == {"testing"}
    assert signing_regions(caplog, live) == {"us-east-1"}


def test_all_envs_one_combined_plan(tmp_path: Path, live: Live, caplog: pytest.LogCaptureFixture) -> None:
    for region in ("us-east-1", "eu-west-1"):  # each environment's region is its own account state
        live.seed_endpoint(region=region)
    root = two_envs(tmp_path / "p")
    caplog.set_level(logging.DEBUG, logger="botocore.endpoint")
    result = icsync("plan", "-C", root, "--all-envs", "--endpoint-url", live.url, "--detailed-exitcode")
    assert result.code == 2, result.all
    assert signing_regions(caplog, live) == {"us-east-1", "eu-west-1"}  # each environment's region
    sections = re.findall(r"^=== (.+) ===$", result.out, re.MULTILINE)
    assert sections == ["Environment: dev", "Environment: prod", "All environments"]
    assert "dev: Plan: 1 to create" in result.out and "prod: Plan: 1 to create" in result.out
    assert "Combined: Plan: 2 to create, 0 to update, 0 unchanged." in result.out
    assert VALUES["token"] not in result.all

    as_json = icsync("plan", "-C", root, "--all-envs", "--endpoint-url", live.url, "--output=json")
    document = json.loads(as_json.out)
    assert document["format_version"] == "1.0"
    assert [e["environment"] for e in document["environments"]] == ["dev", "prod"]
    for environment in document["environments"]:
        check_plan_document(environment)

    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve").code == 0
    # The same component, untagged, in prod's region too (each region is its own account state,
    # as on AWS): prod now wants 3 copies of the same component
    [created] = [r["params"] for r in live.requests() if r["operation"] == "CreateInferenceComponent"]
    west = boto3.client("sagemaker", endpoint_url=live.url, region_name="eu-west-1")
    west.create_inference_component(**{k: v for k, v in created.items() if k != "Tags"})
    after = icsync("plan", "-C", root, "--all-envs", "--endpoint-url", live.url, "--detailed-exitcode")
    assert after.code == 2 and "dev: No changes." in after.out and "prod: Plan: 0 to create, 1 to update" in after.out


def test_all_envs_without_changes_exits_0_and_rejects_env(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve").code == 0
    result = icsync("plan", "-C", root, "--all-envs", "--endpoint-url", live.url, "--detailed-exitcode")
    assert result.code == 0 and "Combined: No changes." in result.out, result.all
    both = icsync("plan", "-C", root, "--all-envs", "--env", "dev", "--endpoint-url", live.url)
    assert both.code == 1 and "leave out --env" in both.err


MANY = """
{% for n in range(40) %}
---
InferenceComponentName: c{{ n }}
EndpointName: ep
Specification:
  ModelName: model-a
  Container: {Image: repo/app:1}
  ComputeResourceRequirements: {MinMemoryRequiredInMb: 128}
RuntimeConfig: {CopyCount: 1}
{% endfor %}
"""


def _names(root: Path, live: Live, *args: str) -> tuple[list[str], list[str]]:
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--output", "json", *args)
    assert result.code == 0, result.all
    document = json.loads(result.out)
    return [c["name"] for c in document["changes"]], document["unmanaged"]


def test_shards_are_disjoint_and_together_the_whole_plan(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    for n in range(6):  # unmanaged components on the same endpoint are sharded too
        live.client.create_inference_component(
            InferenceComponentName=f"other{n}", EndpointName="ep",
            Specification={"ModelName": "model-b", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 128}},
            RuntimeConfig={"CopyCount": 1})
    root = write(tmp_path / "p", {"icsync.yaml": "manifests: [components/*.yaml]\nenvironments: {dev: {}}\n",
                                  "components/many.yaml": MANY})
    whole, unmanaged = _names(root, live)
    assert len(whole) == 40 and len(unmanaged) == 6
    shards = [_names(root, live, "--shard", f"{i}/3") for i in (1, 2, 3)]
    seen = [name for changes, others in shards for name in changes + others]
    assert sorted(seen) == sorted(whole + unmanaged)  # disjoint (no repeats) and complete
    assert all(shard[0] for shard in shards)  # each shard gets a share of 40
    assert _names(root, live, "--shard", "2/3") == shards[1]  # deterministic


def test_shard_is_a_stable_hash_of_the_name() -> None:
    # Pinned: a CI matrix on two machines (or two Python versions) must split the same way.
    # sha256 of the name, first 8 bytes big-endian, mod N, plus 1: not Python's salted hash().
    assert [index_of(f"c{n}", 3) for n in range(8)] == [1, 3, 1, 3, 2, 2, 2, 1]
    assert index_of("web", 1) == 1
    assert {index_of(f"c{n}", 4) for n in range(100)} == {1, 2, 3, 4}


@pytest.mark.parametrize("bad", ["0/3", "4/3", "1-3", "x"])
def test_a_bad_shard_is_a_clear_error(tmp_path: Path, bad: str) -> None:
    root = demo_project(tmp_path / "p")
    result = icsync("plan", "-C", root, "--env", "dev", "--shard", bad)
    assert result.code == 1 and "--shard" in result.err and "I/N" in result.err
    assert "Traceback" not in result.all


def test_a_role_arn_that_is_not_one_names_file_line_and_field(tmp_path: Path) -> None:
    root = two_envs(tmp_path / "p", ", role_arn: 'deployer'")
    result = icsync("plan", "-C", root, "--env", "prod")
    assert result.code == 1 and "Traceback" not in result.all
    assert "icsync.yaml:5" in result.err and "role_arn" in result.err
    assert "`deployer` is not an IAM role ARN" in result.err


def test_all_envs_run_concurrently(tmp_path: Path) -> None:
    """Four environments behind a slow API take about as long as one, not four times as long."""
    from gitsync.sandbox import Sandbox

    names = ("a", "b", "c", "d")
    root = demo_project(tmp_path / "p")
    write(root, {"icsync.yaml": "name: demo\nmanifests: [components/*.yaml]\nenvironments:\n"
                 + "".join(f"  {n}: {{values: values/{n}.yaml}}\n" for n in names),
                 **{f"values/{n}.yaml": "".join(f"{k}: {json.dumps(v)}\n" for k, v in
                                                {**VALUES, "name": f"web-{n}"}.items()) for n in names}})
    with Sandbox(port=0, latency_ms=800) as slow:  # waiting dominates, even on a loaded machine
        Live(slow, tmp_path / "log.jsonl").seed_endpoint()
        started = time.monotonic()
        assert icsync("plan", "-C", root, "--env", "a", "--endpoint-url", slow.url).code == 0
        one = time.monotonic() - started
        started = time.monotonic()
        result = icsync("plan", "-C", root, "--all-envs", "--endpoint-url", slow.url)
        four = time.monotonic() - started
    assert result.code == 0 and result.out.count("=== Environment:") == 4, result.all
    # one after the other would take four times as long (measured: 4.2s for one, 4.8s for four)
    assert four < 3 * one, f"one environment {one:.2f}s, four {four:.2f}s"


def test_all_envs_plans_every_environment_even_when_one_fails(tmp_path: Path, live: Live) -> None:
    """prod's manifests do not render (its values lack `copies`): dev is still planned and shown,
    prod's error is named, and the run fails."""
    live.seed_endpoint()
    root = two_envs(tmp_path / "p")
    (root / "values" / "prod.yaml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in VALUES.items()
                                                       if k != "copies"))
    result = icsync("plan", "-C", root, "--all-envs", "--endpoint-url", live.url)
    assert result.code == 1, result.all
    assert "=== Environment: dev ===" in result.out and "Plan: 1 to create" in result.out
    assert "environment `prod`:" in result.err and "copies" in result.err
    assert "1 of 2 environments could not be planned; the plans above are the others'." in result.err
    assert "Traceback" not in result.all


def test_all_envs_names_a_component_two_environments_manage_in_one_region(tmp_path: Path, live: Live) -> None:
    """dev and staging in one region with a name that does not carry the environment: each apply
    would take the component over from the other. The combined plan is shown, and the clash named."""
    live.seed_endpoint()
    demo_project(tmp_path / "p")
    root = write(tmp_path / "p", {"icsync.yaml": """
        name: demo
        manifests: ["components/*.yaml"]
        environments:
          dev: {values: values/dev.yaml, region: us-east-1}
          staging: {values: values/dev.yaml, region: us-east-1}
        """})
    result = icsync("plan", "-C", root, "--all-envs", "--endpoint-url", live.url)
    assert result.code == 1 and "Traceback" not in result.all, result.all
    assert "+ web (ep): create" in result.out  # the plans themselves are shown
    assert ("component web (account 123456789012, region us-east-1) is named by the manifests of "
            "environments `dev`, `staging`") in result.err
