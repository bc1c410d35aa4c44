"""A secret planted in an Environment value appears in no output, log, error or saved file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gitsync.secrets import DEFAULT_SECRET_PATTERN, SENSITIVE, is_sensitive, masked, secret_entries
from tests.helpers import Live, demo_project, icsync, set_values

SECRET = "s3cr3t-value-123"


def cli(command: str, root: Path, live: Live, *extra: str, env: dict[str, str | None] | None = None):
    return icsync(command, "-C", root, "--env", "dev", "--endpoint-url", live.url, *extra, env=env)


def test_secret_absent_from_every_plan_format_and_log(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p", token=SECRET)
    assert cli("apply", root, live, "--auto-approve").code == 0
    set_values(root, token=SECRET + "-rotated")
    outputs = []
    for output in ("text", "json", "yaml", "markdown"):
        result = cli("plan", root, live, "--output", output, "--verbose")
        assert result.code == 0
        outputs.append(result.all)
    debug = icsync("--debug", "plan", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert "DEBUG" in debug.err and "Response body" in debug.err  # the log really ran
    outputs.append(debug.all)
    dry = cli("apply", root, live, "--dry-run")
    assert '"operation": "UpdateInferenceComponent"' in dry.out
    outputs.append(dry.all)
    saved = tmp_path / "plan.json"
    assert cli("plan", root, live, "--out", saved).code == 0
    outputs.append(saved.read_text())
    json_plan = json.loads(cli("plan", root, live, "--output", "json").out)
    [field] = [f for f in json_plan["changes"][0]["fields"] if f["sensitive"]]
    assert field == {"path": "Specification.Container.Environment.API_TOKEN", "before": "(sensitive)",
                     "after": "(sensitive)", "sensitive": True, "ignored": False,
                     "forces_replacement": False}
    outputs.append(icsync("--debug", "apply", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                          "--auto-approve").all)
    for text in outputs:
        assert SECRET not in text


def test_sensitive_change_is_still_applied(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p", token=SECRET)
    assert cli("apply", root, live, "--auto-approve").code == 0
    set_values(root, token="another-secret-456")
    assert cli("apply", root, live, "--auto-approve").code == 0
    described = live.client.describe_inference_component(InferenceComponentName="web")
    assert described["Specification"]["Container"]["Environment"]["API_TOKEN"] == "another-secret-456"


def test_custom_secret_pattern_and_icsync_mask(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    (root / "icsync.yaml").write_text((root / "icsync.yaml").read_text() + "secret_pattern: LOG_LEVEL\n")
    result = cli("plan", root, live)
    assert "LOG_LEVEL: (sensitive)" in result.out
    masked = cli("plan", root, live, env={"ICSYNC_MASK": r"repo/app:[0-9.]+"})
    assert "repo/app:1.0" not in masked.out and "***" in masked.out


def test_secret_not_in_error_messages(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p", token=SECRET)
    (root / "components" / "web.yaml").write_text(
        (root / "components" / "web.yaml").read_text().replace("CopyCount:", "CopyCont:"))
    result = cli("plan", root, live)
    assert result.code == 1 and "CopyCont" in result.err
    assert SECRET not in result.all


def test_short_numeric_secret_values_do_not_mask_unrelated_numbers(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p", token='"1024"')
    result = cli("plan", root, live)
    assert "Environment.API_TOKEN: (sensitive)" in result.out
    assert "MinMemoryRequiredInMb: 1024" in result.out


def test_one_rule_names_the_secret_values_of_a_document() -> None:
    """Plan, dry run, render, import and the redactor all ask gitsync.secrets the same question."""
    pattern = re.compile(DEFAULT_SECRET_PATTERN)
    document = {"Specifications": [{"Container": {"Environment": {"API_TOKEN": SECRET, "LEVEL": "info"}}},
                                   {"Container": {"Environment": {"db_password": "p4ssw0rd-long"}}}],
                "Tags": [{"Key": "TOKEN", "Value": "not an Environment value"}]}
    assert secret_entries(document, pattern) == [
        (("Specifications", 0, "Container", "Environment", "API_TOKEN"), SECRET),
        (("Specifications", 1, "Container", "Environment", "db_password"), "p4ssw0rd-long")]
    assert masked(document, pattern) == {
        "Specifications": [{"Container": {"Environment": {"API_TOKEN": SENSITIVE, "LEVEL": "info"}}},
                           {"Container": {"Environment": {"db_password": SENSITIVE}}}],
        "Tags": [{"Key": "TOKEN", "Value": "not an Environment value"}]}
    assert document["Specifications"][0]["Container"]["Environment"]["API_TOKEN"] == SECRET  # a copy
    assert is_sensitive("Specifications[1].Container.Environment.db_password", pattern)
    assert is_sensitive("Specification.Container.Environment.a.TOKEN.b", pattern)
    assert not is_sensitive("Specification.Container.Environment.LEVEL", pattern)
    assert not is_sensitive("Tags.TOKEN", pattern)
