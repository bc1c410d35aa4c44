"""AWS CLI habits on plan and apply, judged against the seed page's global options.

Each test runs icsync (in-process, or as a real process where a terminal-level behaviour such as
colour or logging is the point) against the sandbox over HTTP.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.helpers import (
    Live,
    Result,
    child_env,
    credentials_used,
    demo_project,
    icsync,
    project_of,
    signing_regions,
    write,
)

ANSI = "\x1b["


def project_without_region(root: Path) -> Path:
    """The demo project, its environment naming no region: the region comes from AWS's own chain."""
    demo_project(root)
    project_file = root / "icsync.yaml"
    project_file.write_text(project_file.read_text().replace("    region: us-east-1\n", ""))
    return root


def plan(root: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return icsync("plan", "-C", root, "--env", "dev", *args, env=env)


def process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """icsync as a real process, its output a pipe (as in CI)."""
    return subprocess.run([sys.executable, "-m", "gitsync", *args], env=child_env(**(env or {})),
                          check=False, capture_output=True, text=True, timeout=120)


# -- --query and --output ----------------------------------------------------------------------
def test_query_is_jmespath_on_the_json_plan(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    result = plan(root, "--endpoint-url", live.url, "--query", "changes[].[name, action]")
    assert result.code == 0, result.all
    assert json.loads(result.out) == [["web", "create"]]
    as_yaml = plan(root, "--endpoint-url", live.url, "--query", "summary.create", "--output", "yaml")
    assert YAML(typ="safe").load(as_yaml.out) == 1
    bad = plan(root, "--endpoint-url", live.url, "--query", "changes[?")
    assert bad.code == 1 and "is not a valid JMESPath expression" in bad.err
    assert "Traceback" not in bad.all


def test_query_with_output_text_prints_raw_strings_as_the_aws_cli(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = project_of(tmp_path / "p", ["web", "api"])
    line = plan(root, "--endpoint-url", live.url, "--query", "summary_line", "--output", "text")
    assert line.code == 0 and line.out == "Plan: 2 to create, 0 to update, 0 unchanged.\n"
    names = plan(root, "--endpoint-url", live.url, "--query", "changes[].name", "--output", "text")
    assert names.out == "api\tweb\n"  # one line, tab-separated, as `aws ... --output text`
    rows = plan(root, "--endpoint-url", live.url, "--query", "changes[].[name, action]",
                "--output", "text")
    assert rows.out == "api\tcreate\nweb\tcreate\n"
    quoted = plan(root, "--endpoint-url", live.url, "--query", "summary_line")  # no --output: JSON
    assert json.loads(quoted.out) == "Plan: 2 to create, 0 to update, 0 unchanged."


def test_output_json_and_yaml_are_the_same_document(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    as_json = json.loads(plan(root, "--endpoint-url", live.url, "--output", "json").out)
    as_yaml = YAML(typ="safe").load(plan(root, "--endpoint-url", live.url, "--output", "yaml").out)
    assert as_json["format_version"] and as_json["changes"][0]["name"] == "web"
    assert json.loads(json.dumps(as_yaml, default=str)) == as_json


def test_icsync_output_variable_sets_the_default_format(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    result = plan(root, "--endpoint-url", live.url, env={"ICSYNC_OUTPUT": "json"})
    assert json.loads(result.out)["summary"]["create"] == 1
    overridden = plan(root, "--endpoint-url", live.url, "--output", "text", env={"ICSYNC_OUTPUT": "json"})
    assert overridden.out.startswith("icsync plan for environment dev")


def test_icsync_project_dir_and_env_variables(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    result = icsync("plan", "--endpoint-url", live.url,
                    env={"ICSYNC_PROJECT_DIR": str(root), "ICSYNC_ENV": "dev"})
    assert result.code == 0, result.all
    assert "+ web (ep): create" in result.out


# -- --color -----------------------------------------------------------------------------------
def test_color_on_off_and_no_color(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = str(demo_project(tmp_path / "p"))
    base = ("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    on = process(*base, "--color", "on")
    assert on.returncode == 0, on.stderr
    assert ANSI in on.stdout  # forced on, even into a pipe
    assert ANSI not in process(*base, "--color", "off").stdout
    assert ANSI not in process(*base).stdout  # auto: a pipe is no terminal
    assert ANSI not in process(*base, "--color", "auto", env={"NO_COLOR": "1"}).stdout
    assert ANSI in process(*base, env={"ICSYNC_COLOR": "on"}).stdout


# -- --region, --profile and the environment variables botocore reads --------------------------
def test_region_option_is_the_signing_region(tmp_path: Path, live: Live,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="botocore.endpoint")
    live.seed_endpoint(region="eu-west-3")
    caplog.clear()
    root = project_without_region(tmp_path / "p")
    result = plan(root, "--endpoint-url", live.url, "--region", "eu-west-3")
    assert result.code == 0, result.all
    assert signing_regions(caplog, live) == {"eu-west-3"}


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_region_variables_reach_botocore(tmp_path: Path, live: Live, caplog: pytest.LogCaptureFixture,
                                         variable: str) -> None:
    caplog.set_level(logging.DEBUG, logger="botocore.endpoint")
    live.seed_endpoint(region="ap-south-2")
    caplog.clear()
    root = project_without_region(tmp_path / "p")
    result = plan(root, "--endpoint-url", live.url, env={variable: "ap-south-2"})
    assert result.code == 0, result.all
    assert signing_regions(caplog, live) == {"ap-south-2"}


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL"])
def test_endpoint_variables_work_through_botocore(tmp_path: Path, live: Live, variable: str) -> None:
    live.seed_endpoint()
    live.clear_log()
    root = demo_project(tmp_path / "p")
    # SageMaker's own variable leaves the tags read (Resource Groups Tagging API) to its own.
    tagging = {"AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API": live.url,
               "AWS_ENDPOINT_URL_STS": live.url}  # and the plan header's account to STS's
    result = plan(root, env={variable: live.url, **tagging})  # no --endpoint-url
    assert result.code == 0, result.all
    assert "+ web (ep): create" in result.out
    assert "ListInferenceComponents" in live.operations()  # the sandbox got the calls


def test_profile_from_the_config_file_gives_credentials_and_region(
        tmp_path: Path, live: Live, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "aws-config"
    config.write_text("[profile team]\nregion = eu-north-1\naws_access_key_id = AKIDTEAMPROFILE\n"
                      "aws_secret_access_key = team-secret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # they would outrank AWS_PROFILE's
        monkeypatch.delenv(key)
    live.seed_endpoint(region="eu-north-1")
    caplog.set_level(logging.DEBUG, logger="botocore.endpoint")
    root = project_without_region(tmp_path / "p")
    for args, env in ((("--profile", "team"), None), ((), {"AWS_PROFILE": "team"})):
        caplog.clear()
        result = plan(root, "--endpoint-url", live.url, *args, env=env)
        assert result.code == 0, result.all
        assert signing_regions(caplog, live) == {"eu-north-1"}
        assert credentials_used(caplog, live) == {"AKIDTEAMPROFILE"}


@pytest.mark.parametrize("how", ["option", "variable"])
def test_unknown_profile_is_one_clear_line(tmp_path: Path, live: Live, how: str) -> None:
    root = demo_project(tmp_path / "p")
    args = ("--profile", "nosuch") if how == "option" else ()
    env = {"AWS_PROFILE": "nosuch"} if how == "variable" else None
    result = plan(root, "--endpoint-url", live.url, *args, env=env)
    assert result.code == 1
    assert result.out == ""
    [line] = result.err.splitlines()
    assert line.startswith("Error: ") and "nosuch" in line and "profile" in line, line
    assert live.operations() == []


def test_an_unknown_aws_profile_variable_is_named_in_a_fresh_process(tmp_path: Path, live: Live) -> None:
    """A fresh process: the service model is read before any client is made, under AWS_PROFILE."""
    root = demo_project(tmp_path / "p")
    planned = process("plan", "-C", str(root), "--env", "dev", "--endpoint-url", live.url,
                      env={"AWS_PROFILE": "nosuch"})
    assert planned.returncode == 1, planned.stderr
    assert planned.stderr.startswith("Error: AWS profile `nosuch` is not configured (it came from "
                                     "AWS_PROFILE)"), planned.stderr
    assert "crash" not in planned.stderr and live.operations() == []
    validated = process("validate", "-C", str(root), env={"AWS_PROFILE": "nosuch"})
    assert validated.returncode == 0, validated.stderr  # validate needs no profile at all


# -- timeouts ------------------------------------------------------------------------------------
def test_read_timeout_is_honoured_with_a_clear_error(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    live.sandbox.faults.latency_s = 5
    started = time.monotonic()
    result = plan(root, "--endpoint-url", live.url, "--read-timeout", "0.3",
                  env={"AWS_MAX_ATTEMPTS": "1"})
    elapsed = time.monotonic() - started
    assert result.code == 1
    assert "Read timeout" in result.err, result.err
    assert "Traceback" not in result.all and len(result.err.splitlines()) <= 3
    assert elapsed < 5  # the timeout fired; the slow answer was not awaited


def test_zero_timeouts_mean_no_timeout(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    live.sandbox.faults.latency_s = 0.2
    result = plan(root, "--endpoint-url", live.url, "--read-timeout", "0", "--connect-timeout", "0")
    assert result.code == 0, result.all
    assert "+ web (ep): create" in result.out


def test_bad_max_attempts_variable_is_a_clear_error(tmp_path: Path, live: Live) -> None:
    result = plan(demo_project(tmp_path / "p"), "--endpoint-url", live.url, env={"AWS_MAX_ATTEMPTS": "many"})
    assert result.code == 1
    assert "AWS_MAX_ATTEMPTS must be a whole number" in result.err and "Traceback" not in result.all


# -- TLS: --ca-bundle, AWS_CA_BUNDLE, --no-verify-ssl --------------------------------------------
def tls_plan(root: Path, live: Live, *args: str, env: dict[str, str | None] | None = None) -> Result:
    """Speak TLS to the plain-HTTP sandbox: the handshake fails, after the CA bundle is read."""
    https = live.url.replace("http://", "https://")
    return plan(root, "--endpoint-url", https, *args, env={"AWS_MAX_ATTEMPTS": "1", **(env or {})})


def test_aws_ca_bundle_variable_reaches_botocore(tmp_path: Path, live: Live) -> None:
    root = demo_project(tmp_path / "p")
    result = tls_plan(root, live, env={"AWS_CA_BUNDLE": str(tmp_path / "missing-ca.pem")})
    assert result.code == 1
    assert "No such file or directory" in result.err, result.err  # botocore tried to read it
    assert "Traceback" not in result.all


def test_ca_bundle_option_is_checked_and_used(tmp_path: Path, live: Live) -> None:
    root = demo_project(tmp_path / "p")
    missing = tls_plan(root, live, "--ca-bundle", str(tmp_path / "missing-ca.pem"))
    assert missing.code == 1 and "--ca-bundle" in missing.err and "does not exist" in missing.err
    not_a_bundle = tmp_path / "empty.pem"
    not_a_bundle.write_text("")
    used = tls_plan(root, live, "--ca-bundle", str(not_a_bundle))
    assert used.code == 1 and "SSL" in used.err and "Traceback" not in used.all
    assert "WRONG_VERSION_NUMBER" not in used.err, used.err  # it failed on the bundle, not the handshake


def test_no_verify_ssl_skips_the_ca_bundle(tmp_path: Path, live: Live) -> None:
    root = demo_project(tmp_path / "p")
    result = tls_plan(root, live, "--no-verify-ssl", env={"AWS_CA_BUNDLE": str(tmp_path / "missing.pem")})
    assert result.code == 1
    assert "No such file or directory" not in result.err, result.err  # the bundle was never read
    assert "WRONG_VERSION_NUMBER" in result.err  # the (plain HTTP) server was reached


# -- --debug ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_logs_botocore_requests_to_stderr(tmp_path: Path, live: Live, where: str) -> None:
    live.seed_endpoint()
    root = str(demo_project(tmp_path / "p"))
    args = ["plan", "-C", root, "--env", "dev", "--endpoint-url", live.url]
    args = ["--debug", *args] if where == "before" else [*args, "--debug"]
    result = process(*args)
    assert result.returncode == 0, result.stderr
    assert re.search(r"botocore\S* DEBUG", result.stderr) and "ListInferenceComponents" in result.stderr
    assert "DEBUG" not in result.stdout
    quiet = process(*args[:-1] if where == "after" else args[1:])
    assert "DEBUG" not in quiet.stderr


def test_the_process_exits_with_the_plan_s_code_and_all_of_its_output(tmp_path: Path, live: Live) -> None:
    """The console script skips the interpreter's teardown once its output is flushed: the exit
    code and every byte of a large plan must still arrive through the pipe."""
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    write(root, {f"components/web-{i}.yaml": (root / "components/web.yaml").read_text()
                 .replace("{{ name }}", f"web-{i}") for i in range(60)})
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    changes = process("plan", "-C", str(root), "--env", "dev", "--endpoint-url", live.url,
                      "--output", "json", "--detailed-exitcode", env=env)
    assert changes.returncode == 2, changes.stderr
    assert len(json.loads(changes.stdout)["changes"]) == 61
    broken = process("plan", "-C", str(tmp_path / "missing"), "--env", "dev", env=env)
    assert broken.returncode == 1 and broken.stderr.startswith("Error:") and "Traceback" not in broken.stderr


# -- each command takes only its options -----------------------------------------------------------
@pytest.mark.parametrize("command", [["unlock", "demo/dev"], ["import"]])
@pytest.mark.parametrize("flag", [["--output", "json"], ["--query", "summary"], ["--prune"],
                                  ["--detailed-exitcode"], ["--shard", "1/2"], ["--parallelism", "2"]])
def test_unlock_and_import_refuse_plan_flags(tmp_path: Path, command: list[str], flag: list[str]) -> None:
    root = demo_project(tmp_path / "p")
    result = icsync(*command, "-C", root, "--env", "dev", *flag)
    assert result.code == 1
    assert f"No such option: {flag[0]}" in result.err or f"No such option '{flag[0]}'" in result.err, result.err
    assert "Traceback" not in result.all


def drift(root: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return icsync("drift", "-C", root, "--env", "dev", *args, env=env)


def test_drift_honours_the_read_timeout(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    live.sandbox.faults.latency_s = 5
    started = time.monotonic()
    result = drift(root, "--endpoint-url", live.url, "--read-timeout", "0.3", env={"AWS_MAX_ATTEMPTS": "1"})
    assert result.code == 1
    assert "Read timeout" in result.err, result.err
    assert time.monotonic() - started < 5


def test_drift_takes_the_tls_options(tmp_path: Path, live: Live) -> None:
    root = demo_project(tmp_path / "p")
    https = live.url.replace("http://", "https://")
    missing = drift(root, "--endpoint-url", https, "--ca-bundle", str(tmp_path / "missing-ca.pem"))
    assert missing.code == 1 and "--ca-bundle" in missing.err and "does not exist" in missing.err
    unverified = drift(root, "--endpoint-url", https, "--no-verify-ssl",
                       env={"AWS_MAX_ATTEMPTS": "1", "AWS_CA_BUNDLE": str(tmp_path / "missing.pem")})
    assert unverified.code == 1
    assert "No such file or directory" not in unverified.err, unverified.err  # never read
    assert "WRONG_VERSION_NUMBER" in unverified.err  # the (plain HTTP) server was reached


def test_drift_debug_logs_botocore_requests(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = str(demo_project(tmp_path / "p"))
    result = process("drift", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--debug",
                     "--read-parallelism", "2", "--connect-timeout", "5")
    assert result.returncode == 2, result.stderr  # `web` is in git, not live: drift
    assert re.search(r"botocore\S* DEBUG", result.stderr) and "ListInferenceComponents" in result.stderr


@pytest.mark.parametrize("command", ["plan", "apply", "drift"])
def test_help_shows_two_examples(command: str) -> None:
    result = icsync(command, "--help")
    assert result.code == 0
    examples = result.out.split("Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(examples) == 2 and all(line.strip().startswith(f"icsync {command} ") for line in examples)
