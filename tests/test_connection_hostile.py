"""Where icsync talks to AWS, a careless setup is one clear message: a server that never answers
(said on stderr while waiting, given up after a few attempts, naming the endpoint), no region
anywhere (an error, as in the AWS CLI), a lock table that does not exist (named, with how to make
it). The plan's header names the region and the account it was made against."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitsync.aws import hooks
from tests.helpers import Live, Result, icsync

VALID = Path(__file__).parent / "bad_inputs" / "_valid"
NO_REGION = "no AWS region: set `region:` for the environment in icsync.yaml, pass --region, or set " \
            "AWS_REGION (or a profile's region); icsync does not guess one"


def project(tmp_path: Path, region: bool = True, extra: str = "") -> Path:
    root = tmp_path / "project"
    shutil.copytree(VALID, root)
    text = (root / "icsync.yaml").read_text() + extra
    (root / "icsync.yaml").write_text(text if region else text.replace("    region: us-east-1\n", ""))
    return root


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that accepts every connection and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_a_server_that_never_answers_is_said_and_given_up(tmp_path: Path, silent: str) -> None:
    started = time.monotonic()
    result = icsync("plan", "--env", "dev", "-C", project(tmp_path), "--endpoint-url", silent,
                    "--read-timeout", "0.5", "--read-parallelism", "1")
    assert result.code == 1, result.all
    assert time.monotonic() - started < 30  # three attempts of half a second, and backoff
    waits = [line for line in result.err.splitlines() if line.startswith("waiting for ")]
    assert waits and all(f"waiting for {silent}: no answer to " in line for line in waits)
    assert "(attempt 2 of 3)" in result.err and "(attempt 3 of 3)" in result.err
    assert f"Error: no answer from {silent} to " in result.err
    assert "after 3 attempts (Read timeout on endpoint URL" in result.err
    assert "Traceback" not in result.all


def test_the_default_wait_is_minutes_not_a_quarter_of_an_hour() -> None:
    """Each silent attempt waits at most the read timeout plus botocore's backoff (at most 20 s);
    before, ten attempts of 60 s waited 686 s."""
    worst = hooks.TIMEOUT_ATTEMPTS * (hooks.READ_TIMEOUT + 20)
    assert worst <= 180 and hooks.READ_TIMEOUT < 60 and hooks.CONNECT_TIMEOUT <= 10
    help_text = icsync("plan", "--help").out
    assert "[default: 30" in help_text and "[default: 10" in help_text


@pytest.mark.parametrize("command", ["plan", "apply", "drift"])
def test_no_region_anywhere_is_an_error(command: str, tmp_path: Path, seeded: Live) -> None:
    result = icsync(command, "--env", "dev", "-C", project(tmp_path, region=False),
                    "--endpoint-url", seeded.url)
    assert result.code == 1, result.all
    assert f"Error: {NO_REGION}" in result.err
    assert seeded.requests() == []


@pytest.mark.parametrize("where", [["--region", "us-east-1"], []])
def test_a_region_from_the_command_line_or_environment_is_used(where: list[str], tmp_path: Path,
                                                               seeded: Live) -> None:
    result = icsync("plan", "--env", "dev", "-C", project(tmp_path, region=False),
                    "--endpoint-url", seeded.url, *where, env={"AWS_REGION": "us-east-1"})
    assert result.code == 0, result.all


def plan_out(tmp_path: Path, live: Live, *extra: str) -> Result:
    return icsync("plan", "--env", "dev", "-C", project(tmp_path), "--endpoint-url", live.url, *extra)


def test_the_plan_header_names_region_and_account(tmp_path: Path, seeded: Live) -> None:
    text = plan_out(tmp_path, seeded)
    assert text.out.splitlines()[0] == ("icsync plan for environment dev (project demo) "
                                        "in region us-east-1, account 123456789012")
    markdown = icsync("plan", "--env", "dev", "-C", tmp_path / "project", "--endpoint-url", seeded.url,
                      "--output", "markdown")
    assert "Region `us-east-1`, account `123456789012`." in markdown.out


MISSING_TABLE = ("the lock table `icsync-locks` (icsync.yaml `lock: table:`) does not exist in us-east-1; "
                 "nothing was applied. Create it once with: aws dynamodb create-table --region us-east-1 "
                 "--table-name icsync-locks --attribute-definitions AttributeName=LockID,AttributeType=S "
                 "--key-schema AttributeName=LockID,KeyType=HASH --billing-mode PAY_PER_REQUEST")


@pytest.mark.parametrize("command", [["apply", "--env", "dev", "--auto-approve"], ["unlock", "demo/dev"]])
def test_a_missing_lock_table_is_one_message(command: list[str], tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path, extra="lock: {table: icsync-locks}\n")
    result = icsync(*command, "-C", root, "--endpoint-url", seeded.url)
    assert result.code == 1, result.all
    assert result.err.strip() == f"Error: {MISSING_TABLE}"
    assert seeded.mutating() == []
