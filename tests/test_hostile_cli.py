"""A user's mistake on the command line or in the environment is an expected error: exit 1, one
clear message, no traceback, no crash log, nothing sent that changes anything.

These are the inputs of issue 19's fourth family that are not a project folder (tests/bad_inputs/
holds those): environment variables, saved plans, --out targets, endpoint URLs, sandbox options.
"""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import Live, Result, icsync

VALID = Path(__file__).parent / "bad_inputs" / "_valid"
MAX_STDERR_LINES = 12


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(VALID, root)
    return root


def assert_expected_error(result: Result, message: str) -> None:
    assert result.code == 1, result.all
    assert "Traceback" not in result.all
    assert "unexpected error" not in result.err
    assert message in result.err, f"{message!r} not in:\n{result.err}"
    assert len(result.err.splitlines()) <= MAX_STDERR_LINES, result.err


# (case, extra command-line arguments after `plan --env dev -C ROOT`, environment, message)
PLAN_CASES = [
    ("mask-unterminated-set", [], {"ICSYNC_MASK": "(["},
     "ICSYNC_MASK: `([` is not a regular expression (unterminated character set at position 1)"),
    ("mask-bad-repeat", [], {"ICSYNC_MASK": "ok,*x"},
     "ICSYNC_MASK: `*x` is not a regular expression (nothing to repeat at position 0)"),
    ("mask-unbalanced-parenthesis", [], {"ICSYNC_MASK": "a)"},
     "ICSYNC_MASK: `a)` is not a regular expression (unbalanced parenthesis at position 1)"),
    ("endpoint-no-scheme", ["--endpoint-url", "localhost:4566"], {},
     "endpoint URL `localhost:4566` is not valid: it needs http:// or https:// and a host name"),
    ("endpoint-wrong-scheme", ["--endpoint-url", "htp:/x y"], {},
     "endpoint URL `htp:/x y` is not valid: it needs http:// or https:// and a host name"),
    ("endpoint-broken-ipv6", ["--endpoint-url", "http://[::1"], {},
     "endpoint URL `http://[::1` is not valid: Invalid IPv6 URL"),
    ("endpoint-port-not-a-number", ["--endpoint-url", "http://127.0.0.1:abc"], {},
     "endpoint URL `http://127.0.0.1:abc` is not valid: Port could not be cast to integer value"),
    ("endpoint-port-out-of-range", ["--endpoint-url", "http://127.0.0.1:99999"], {},
     "endpoint URL `http://127.0.0.1:99999` is not valid: Port out of range 0-65535"),
    ("endpoint-from-environment", [], {"ICSYNC_ENDPOINT_URL": "ftp://127.0.0.1"},
     "endpoint URL `ftp://127.0.0.1` is not valid: it needs http:// or https:// and a host name"),
    ("out-missing-folder", ["--out", "{tmp}/no/such/folder/plan.json"], {},
     "--out {tmp}/no/such/folder/plan.json: cannot write it: No such file or directory"),
    ("out-full-disk", ["--out", "/dev/full"], {},
     "--out /dev/full: cannot write it: No space left on device"),
    ("out-is-a-folder", ["--out", "{tmp}"], {},
     "Invalid value for '--out': File '{tmp}' is a directory."),
]


@pytest.mark.parametrize(("args", "env", "message"), [case[1:] for case in PLAN_CASES],
                         ids=[case[0] for case in PLAN_CASES])
def test_plan_option_mistakes_are_expected_errors(args: list[str], env: dict[str, str], message: str,
                                                  tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path)
    endpoint = [] if any("endpoint" in a for a in args) or env.get("ICSYNC_ENDPOINT_URL") else \
        ["--endpoint-url", seeded.url]
    filled = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = icsync("plan", "--env", "dev", "-C", root, *endpoint, *filled, env=env)
    assert_expected_error(result, message.replace("{tmp}", str(tmp_path)))
    assert seeded.mutating() == []


@pytest.fixture
def saved_plan(tmp_path: Path, seeded: Live) -> Iterator[tuple[Path, Path]]:
    root = project(tmp_path)
    out = tmp_path / "plan.json"
    made = icsync("plan", "--env", "dev", "-C", root, "--endpoint-url", seeded.url, "--out", out)
    assert made.code == 0, made.all
    seeded.clear_log()
    yield root, out


def _set(path: Path, change: Callable[[dict], object]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


# (case, how the saved plan is broken or which option contradicts it, message)
SAVED_CASES: list[tuple[str, Callable[[dict], object] | None, list[str], str]] = [
    ("selection-not-a-map", lambda d: d.update(selection=5), [],
     "a broken saved plan: `selection` is missing or of the wrong type; nothing was applied"),
    ("live-a-list", lambda d: d.update(live=[]), [],
     "a broken saved plan: `live` is missing or of the wrong type"),
    ("calls-missing", lambda d: d.pop("calls"), [],
     "a broken saved plan: `calls` is missing or of the wrong type"),
    ("environment-a-number", lambda d: d["plan"].update(environment=7), [],
     "a broken saved plan: `plan.environment` is missing or of the wrong type"),
    ("plan-a-string", lambda d: d.update(plan="x"), [],
     "a broken saved plan: `plan.environment` is missing or of the wrong type"),
    ("targets-not-strings", lambda d: d["selection"].update(targets=[1]), [],
     "a broken saved plan: `selection.targets` is missing or of the wrong type"),
    ("prune-a-string", lambda d: d["selection"].update(prune="yes"), [],
     "a broken saved plan: `selection.prune` is missing or of the wrong type"),
    ("salt-missing", lambda d: d.pop("salt"), [],
     "a broken saved plan: `salt` is missing or of the wrong type"),
    ("other-env", None, ["--env", "prod"],
     "--env prod differs from the saved plan's (dev); nothing was applied"),
    ("other-target", None, ["--target", "dev-*"],
     "--target dev-* differs from the saved plan's (none); nothing was applied"),
    ("other-exclude", None, ["--exclude", "x"],
     "--exclude x differs from the saved plan's (none); nothing was applied"),
    ("prune-added", None, ["--prune"],
     "--prune true differs from the saved plan's (false); nothing was applied"),
]


@pytest.mark.parametrize(("change", "args", "message"), [case[1:] for case in SAVED_CASES],
                         ids=[case[0] for case in SAVED_CASES])
def test_a_broken_or_contradicted_saved_plan_is_refused(
        change: Callable[[dict], object] | None, args: list[str], message: str,
        saved_plan: tuple[Path, Path], seeded: Live) -> None:
    root, out = saved_plan
    if change is not None:
        _set(out, change)
    result = icsync("apply", out, "-C", root, "--endpoint-url", seeded.url, *args)
    assert_expected_error(result, message)
    assert seeded.mutating() == []


def test_a_saved_plan_nested_too_deeply_is_refused(tmp_path: Path, seeded: Live) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"kind": "icsync-saved-plan", "plan": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = icsync("apply", deep, "-C", project(tmp_path), "--endpoint-url", seeded.url)
    assert_expected_error(result, f"{deep}: not a saved plan: nested too deeply")


def test_the_saved_plan_is_the_owners_alone_and_applies_as_made(saved_plan: tuple[Path, Path],
                                                                seeded: Live) -> None:
    root, out = saved_plan
    assert out.stat().st_mode & 0o777 == 0o600
    applied = icsync("apply", out, "-C", root, "--endpoint-url", seeded.url, "--env", "dev")
    assert applied.code == 0, applied.all
    assert [r["operation"] for r in seeded.mutating()] == ["CreateInferenceComponent"]


class _HtmlPage(http.server.BaseHTTPRequestHandler):
    """A web server where an AWS endpoint was meant: a proxy's or a portal's error page."""

    def do_POST(self) -> None:
        body = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_that_answers_html_is_named(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = icsync("plan", "--env", "dev", "-C", project(tmp_path), "--endpoint-url", url,
                        env={"AWS_MAX_ATTEMPTS": "1"})
    finally:
        server.shutdown()
        server.server_close()
    assert_expected_error(result, f"{url} answered HTTP 502 with something that is not an AWS API "
                                  "response (a web page or a proxy's error?); check --endpoint-url")
    assert "<html>" not in result.err


SEED_CASES = [
    ("seed-section-not-a-list", "endpoints: 5\n", "`endpoints` must be a list of mappings"),
    ("seed-entry-a-number", "endpoints: [5]\n", "endpoints[0]: each entry must be a mapping"),
    ("seed-entry-without-name", "endpoints: [{InstanceType: ml.g5.xlarge}]\n",
     "endpoints[0]: KeyError: 'EndpointName'"),
    ("seed-model-entry-a-string", "models: [x]\n", "models[0]: each entry must be a mapping"),
    ("seed-replay-a-list", "describe_responses: [[1]]\n", "describe_responses[0]: each entry must be a mapping"),
    ("seed-unknown-section", "volumes: []\n", "top-level keys must be among endpoints, models"),
    ("seed-not-yaml", "endpoints: [\n", "cannot read it"),
]


@pytest.mark.parametrize(("text", "message"), [case[1:] for case in SEED_CASES],
                         ids=[case[0] for case in SEED_CASES])
def test_a_malformed_sandbox_seed_is_named(text: str, message: str, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(text)
    result = icsync("sandbox", "--port", "0", "--seed", seed)
    assert_expected_error(result, f"--seed {seed}: {message}")


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_sandbox_port_out_of_range_is_a_usage_error(port: str) -> None:
    result = icsync("sandbox", "--port", port)
    assert_expected_error(result, "Invalid value for '--port'")


def test_drift_out_into_a_missing_folder_is_named(tmp_path: Path, seeded: Live) -> None:
    out = tmp_path / "missing" / "drift.json"
    result = icsync("drift", "--env", "dev", "-C", project(tmp_path), "--endpoint-url", seeded.url,
                    "--out", out)
    assert result.code == 1, result.all
    assert_expected_error(result, f"--out {out}: cannot write it: No such file or directory")


# (case, command line after `icsync`, the option click names)
NUMBER_CASES = [
    ("read-timeout-nan", ["plan", "--read-timeout", "nan"], "Invalid value for '--read-timeout': nan is not a finite number"),
    ("read-timeout-negative", ["plan", "--read-timeout", "-1"], "Invalid value for '--read-timeout': -1.0 is not in the range x>=0"),
    ("connect-timeout-infinite", ["plan", "--connect-timeout", "inf"], "Invalid value for '--connect-timeout': inf is not a finite number"),
    ("read-rate-nan", ["plan", "--read-rate", "nan"], "Invalid value for '--read-rate': nan is not a finite number"),
    ("read-rate-from-environment", ["plan"], "Invalid value for '--read-rate': -3.0 is not in the range x>=0"),
    ("apply-timeout-nan", ["apply", "--timeout", "nan"], "Invalid value for '--timeout': nan is not a finite number"),
    ("apply-timeout-negative", ["apply", "--timeout", "-5"], "Invalid value for '--timeout': -5.0 is not in the range x>=0"),
    ("lock-timeout-negative", ["apply", "--lock-timeout", "-1"], "Invalid value for '--lock-timeout': -1.0 is not in the range x>=0"),
    ("parallelism-zero", ["apply", "--parallelism", "0"], "Invalid value for '--parallelism': 0 is not in the range 1<=x<=1000"),
    ("read-parallelism-negative", ["plan", "--read-parallelism", "-4"], "Invalid value for '--read-parallelism': -4 is not in the range 1<=x<=256"),
    ("sandbox-latency-nan", ["sandbox", "--latency-ms", "nan"], "Invalid value for '--latency-ms': nan is not a finite number"),
    ("sandbox-transition-negative", ["sandbox", "--transition-seconds", "-1"], "Invalid value for '--transition-seconds': -1.0 is not in the range x>=0"),
]


@pytest.mark.parametrize(("args", "message"), [case[1:] for case in NUMBER_CASES],
                         ids=[case[0] for case in NUMBER_CASES])
def test_negative_or_nan_option_values_are_refused(args: list[str], message: str, tmp_path: Path) -> None:
    where = [] if args[0] == "sandbox" else ["--env", "dev", "-C", project(tmp_path)]
    result = icsync(*args, *where, env={"ICSYNC_READ_RATE": "-3"} if args == ["plan"] else None)
    assert_expected_error(result, message)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "soon"])
def test_a_heartbeat_that_is_no_number_of_seconds_is_refused(value: str, tmp_path: Path, seeded: Live) -> None:
    result = icsync("apply", "--env", "dev", "-C", project(tmp_path), "--endpoint-url", seeded.url,
                    "--auto-approve", env={"ICSYNC_HEARTBEAT_SECONDS": value})
    assert_expected_error(result, f"ICSYNC_HEARTBEAT_SECONDS must be a number of seconds above 0, not '{value}'")
    assert seeded.mutating() == []
