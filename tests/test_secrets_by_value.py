"""Secrets are masked by value, not only by key name: the process's own AWS credentials, what
env_var() read from a secret-looking variable, a password in a URL, a SigV4 signature; and a saved
plan's fingerprints are salted, in a file only its owner can read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import Live, Result, icsync

VALID = Path(__file__).parent / "bad_inputs" / "_valid"
SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue"
API_TOKEN = "tok-live-4f9a8b7c6d5e"
CREDENTIALS = {"AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_SESSION_TOKEN": SESSION_TOKEN,
               "SERVING_API_TOKEN": API_TOKEN}


def project(tmp_path: Path, tail: str) -> Path:
    """The valid project, its component carrying `tail` (tags, say) after RuntimeConfig."""
    root = tmp_path / "project"
    shutil.copytree(VALID, root)
    web = root / "components" / "web.yaml"
    web.write_text(web.read_text() + tail)
    return root


def run(root: Path, live: Live, *args: str) -> Result:
    return icsync(*args, "-C", root, "--env", "dev", "--endpoint-url", live.url, env=CREDENTIALS)


LEAKY_TAGS = """Tags:
  - {Key: key, Value: "{{ env_var('AWS_SECRET_ACCESS_KEY') }}"}
  - {Key: token, Value: "{{ env_var('AWS_SESSION_TOKEN') }}"}
  - {Key: api, Value: "{{ env_var('SERVING_API_TOKEN') }}"}
"""


def test_credentials_and_secret_variables_are_masked_in_every_output(tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path, LEAKY_TAGS)
    outputs = [run(root, seeded, "plan", "--output", output, "--verbose").all
               for output in ("text", "json", "markdown")]
    outputs.append(run(root, seeded, "apply", "--dry-run").all)
    outputs.append(icsync("render", "-C", root, "--env", "dev", env=CREDENTIALS).all)
    debug = run(root, seeded, "plan", "--debug")
    assert "x-amz-security-token" in debug.err.lower() and "Signature=" in debug.err  # it logged
    outputs.append(debug.all)
    saved = tmp_path / "plan.json"
    assert run(root, seeded, "plan", "--out", str(saved)).code == 0
    outputs.append(saved.read_text())
    assert "(sensitive)" in outputs[0]
    for text in outputs:
        for secret in CREDENTIALS.values():
            assert secret not in text
    # The values were sent all the same: masking is for output only.
    assert run(root, seeded, "apply", "--auto-approve").code == 0
    tags = {t["Key"]: t["Value"] for t in seeded.mutating()[0]["params"]["Tags"]}
    assert (tags["key"], tags["api"]) == (SECRET_KEY, API_TOKEN)


def test_debug_prints_no_signature(tmp_path: Path, seeded: Live) -> None:
    debug = run(project(tmp_path, ""), seeded, "plan", "--debug")
    assert debug.code == 0, debug.all
    signatures = [part.split(",")[0] for part in debug.err.split("Signature=")[1:]]
    assert signatures and {s[:3] for s in signatures} == {"***"}


def test_a_variable_that_does_not_look_secret_is_shown(tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path, "Tags:\n  - {Key: team, Value: \"{{ env_var('TEAM_NAME') }}\"}\n")
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", seeded.url,
                    env={"TEAM_NAME": "search-ranking"})
    assert "search-ranking" in result.out


def test_a_password_in_a_url_is_masked(tmp_path: Path) -> None:
    result = icsync("plan", "-C", project(tmp_path, ""), "--env", "dev",
                    "--endpoint-url", "http://deployer:hunter2-in-url@127.0.0.1:9", env={"AWS_MAX_ATTEMPTS": "1"})
    assert result.code == 1, result.all
    assert "deployer:***@127.0.0.1:9" in result.err
    assert "hunter2-in-url" not in result.all


def test_saved_plans_are_salted_and_private(tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path, LEAKY_TAGS)
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    for out in (first, second):
        assert run(root, seeded, "plan", "--out", str(out)).code == 0
        assert out.stat().st_mode & 0o777 == 0o600
    one, two = json.loads(first.read_text()), json.loads(second.read_text())
    assert one["salt"] != two["salt"]
    # The same calls, fingerprinted with different salts: nothing to match a guess against.
    assert one["calls"]["dev-web"] != two["calls"]["dev-web"]
    assert one["calls"]["dev-web"].startswith("hmac-sha256:")
    assert one["plan"]["changes"][0]["live_fingerprint"] == one["live"]["dev-web"]
    assert run(root, seeded, "apply", str(second)).code == 0
