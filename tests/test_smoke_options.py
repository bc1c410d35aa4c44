"""The `icsync: {smoke: ...}` option: read into Smoke, and each mistake a located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitsync.manifests.options import Expect, Smoke, parse_smoke
from tests.helpers import icsync, project_of


def test_defaults_and_a_full_option() -> None:
    assert parse_smoke({}) == Smoke()
    full = parse_smoke({"body": {"inputs": "ping"}, "content_type": "text/plain", "timeout": 2,
                        "tries": 1, "on_failure": "revert",
                        "expect": {"status": 200, "contains": "ok", "jmespath": "a", "equals": None}})
    assert full == Smoke({"inputs": "ping"}, "text/plain", Expect(200, "ok", "a", True, None), 2.0, 1,
                         "revert")
    assert full is not None and full.payload() == b'{"inputs": "ping"}'
    assert Smoke(body="a,b").payload() == b"a,b"


@pytest.mark.parametrize(("block", "path", "message"), [
    ("{tries: 0}", "icsync.smoke.tries", "tries must be a whole number, 1 or more"),
    ("{timeout: -1}", "icsync.smoke.timeout", "timeout must be a number of seconds above 0"),
    ("{on_failure: rollback}", "icsync.smoke.on_failure",
     "unknown on_failure `rollback`; expected one of report, revert"),
    ("{expect: {status: 999}}", "icsync.smoke.expect.status", "expect.status must be an HTTP status"),
    ("{expect: {contain: ok}}", "icsync.smoke.expect.contain", "unknown expect key `contain`"),
    ("{expect: {jmespath: 'a['}}", "icsync.smoke.expect.jmespath", "`a[` is not a JMESPath expression"),
    ("{expect: {equals: 1}}", "icsync.smoke.expect.equals", "equals needs jmespath"),
    ("{retries: 2}", "icsync.smoke.retries", "unknown smoke key `retries`"),
])
def test_bad_smoke_is_a_located_error(tmp_path: Path, block: str, path: str, message: str) -> None:
    root = project_of(tmp_path, ["web"])
    manifest = root / "components" / "web.yaml"
    manifest.write_text(manifest.read_text() + f"icsync:\n  smoke: {block}\n")
    result = icsync("validate", "-C", root, "--env", "dev")
    assert result.code == 1, result.all
    assert "web.yaml:" in result.err and message in result.err and path in result.err, result.err
    assert "Traceback" not in result.all


def test_a_good_smoke_validates(tmp_path: Path) -> None:
    root = project_of(tmp_path, ["web"])
    manifest = root / "components" / "web.yaml"
    manifest.write_text(manifest.read_text() + "icsync:\n  smoke:\n    body: {inputs: ping}\n"
                        "    expect: {status: 200, jmespath: 'outputs[0]', equals: pong}\n")
    result = icsync("validate", "-C", root, "--env", "dev")
    assert result.code == 0, result.all
