"""Credentials that expire during a long apply are refreshed, not frozen: `role_arn` in icsync.yaml,
a profile with a role, and web identity. The sandbox serves STS (moto), whose sessions last
DurationSeconds; at 900 seconds (AWS's minimum) botocore refreshes them before almost every call,
so a short run shows AssumeRole again in the request log and new keys signing the calls."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tests.helpers import Live, demo_project, icsync, sent_to, set_values, write

ROLE = "arn:aws:iam::123456789012:role/icsync-deployer"


def _signers(caplog: pytest.LogCaptureFixture, live: Live, service: str = "sagemaker") -> set[str]:
    return {key for message in sent_to(caplog, live)
            for key in re.findall(rf"Credential=([^/]+)/\d{{8}}/[a-z0-9-]+/{service}/", message)}


def _apply(root: Path, live: Live, *extra: str, env: dict[str, str | None] | None = None):
    return icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve",
                  *extra, env=env)


def _as_role(root: Path) -> Path:
    project = root / "icsync.yaml"
    project.write_text(project.read_text().replace("region: us-east-1", f"region: us-east-1\n    role_arn: '{ROLE}'"))
    return root


def test_role_arn_credentials_are_refreshed_before_they_expire(
        tmp_path: Path, live: Live, caplog: pytest.LogCaptureFixture) -> None:
    live.seed_endpoint()
    root = _as_role(demo_project(tmp_path / "p"))
    caplog.set_level(logging.DEBUG, logger="botocore.endpoint")
    result = _apply(root, live, env={"ICSYNC_ROLE_SESSION_SECONDS": "900"})
    assert result.code == 0, result.all
    assumed = [r for r in live.requests() if r["operation"] == "AssumeRole"]
    assert len(assumed) >= 2, live.operations()  # a frozen set would have assumed the role once
    assert all(r["params"]["DurationSeconds"] == "900" for r in assumed)  # a query-protocol form value
    keys = _signers(caplog, live)
    assert len(keys) >= 2 and all(k.startswith("ASIA") for k in keys)  # each refresh signs anew
    assert _signers(caplog, live, "sts") == {"testing"}  # the caller's own credentials ask

    live.clear_log()
    caplog.clear()
    set_values(root, copies=3)
    _as_role(root)
    assert _apply(root, live).code == 0  # AWS's default session (an hour): assumed once
    assert live.operations().count("AssumeRole") == 1


def test_a_session_length_out_of_aws_range_is_refused(tmp_path: Path, live: Live) -> None:
    root = _as_role(demo_project(tmp_path / "p"))
    result = _apply(root, live, env={"ICSYNC_ROLE_SESSION_SECONDS": "60"})
    assert result.code == 1 and "ICSYNC_ROLE_SESSION_SECONDS must be a whole number from 900 to 43200" in result.err
    assert "Traceback" not in result.all and live.mutating() == []


def test_a_profile_with_a_role_is_refreshed_by_botocore(
        tmp_path: Path, live: Live, caplog: pytest.LogCaptureFixture) -> None:
    live.seed_endpoint()
    write(tmp_path, {"aws-config": f"""
        [profile deployer]
        role_arn = {ROLE}
        source_profile = base
        duration_seconds = 900
        region = us-east-1
        """, "aws-credentials": """
        [base]
        aws_access_key_id = basekey
        aws_secret_access_key = basesecret
        """})
    root = demo_project(tmp_path / "p")
    caplog.set_level(logging.DEBUG, logger="botocore.endpoint")
    result = _apply(root, live, "--profile", "deployer", env={"AWS_ENDPOINT_URL": live.url})
    assert result.code == 0, result.all
    assert live.operations().count("AssumeRole") >= 2, live.operations()
    assert len(_signers(caplog, live)) >= 2


def test_web_identity_signs_with_the_roles_credentials(
        tmp_path: Path, live: Live, caplog: pytest.LogCaptureFixture) -> None:
    live.seed_endpoint()
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl")
    root = demo_project(tmp_path / "p")
    caplog.set_level(logging.DEBUG, logger="botocore.endpoint")
    env: dict[str, str | None] = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
                                  "AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
                                  "AWS_ENDPOINT_URL": live.url}
    live.sandbox.set_session_seconds(900)  # AWS's shortest session, which botocore keeps refreshing
    result = _apply(root, live, env=env)
    assert result.code == 0, result.all
    assert live.operations().count("AssumeRoleWithWebIdentity") >= 2, live.operations()
    keys = _signers(caplog, live)
    assert len(keys) >= 2 and all(k.startswith("ASIA") for k in keys)  # each refresh signs anew
