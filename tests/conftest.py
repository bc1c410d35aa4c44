from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitsync.sandbox import Sandbox
from tests.helpers import Live
from tests.helpers.wire import Sandboxes

# Every sandbox listens here; "" and None are what a server binding to all interfaces passes.
LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "", None})
# A developer's shell may carry AWS_ variables that point botocore at AWS or at their profiles,
# and these, which change icsync's output.
CLEARED = ("NO_COLOR", "ICSYNC_MASK", "CI")  # CI: a --target matching nothing is an error there


class LocalNamesOnly:
    """socket.getaddrinfo for this machine's names only; remembers every other name asked for.

    pytest-socket (pyproject.toml) refuses connect() to other hosts, but on a machine without a
    network a lookup fails before any connect(), so a test reaching for AWS passed unnoticed."""

    def __init__(self, resolve: Callable[..., Any]) -> None:
        self.resolve = resolve
        self.refused: list[str] = []

    def __call__(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name in LOCAL_NAMES:
            return self.resolve(host, *args, **kwargs)
        self.refused.append(str(name))
        # What an offline lookup raises, so that the code under test takes its usual path.
        raise socket.gaierror(socket.EAI_NONAME, f"tests resolve no name but 127.0.0.1's: {name}")


@pytest.fixture(autouse=True)
def local_network_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test that looked up a host outside this machine, even if the code swallowed it."""
    guard = LocalNamesOnly(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", guard)
    yield
    assert guard.refused == [], f"the test looked up hosts outside 127.0.0.1: {sorted(set(guard.refused))}"


def isolate_aws(env: pytest.MonkeyPatch, folder: Path) -> None:
    """Dummy credentials, none of the shell's AWS_ variables, and empty AWS config and credentials
    files: botocore reads nothing of the developer's, and every call goes where a test sends it."""
    for key in [k for k in os.environ if k.startswith("AWS_") or k in CLEARED]:
        env.delenv(key)
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for variable, name in (("AWS_CONFIG_FILE", "aws-config"),
                           ("AWS_SHARED_CREDENTIALS_FILE", "aws-credentials")):
        (folder / name).touch()
        env.setenv(variable, str(folder / name))


@pytest.fixture(autouse=True, scope="session")
def aws_session_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same for what outlives a test: the sandboxes and clients of a module or the session."""
    with pytest.MonkeyPatch.context() as env:
        isolate_aws(env, tmp_path_factory.mktemp("aws"))
        yield


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts isolated again, whatever the one before it set."""
    isolate_aws(monkeypatch, tmp_path)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """A sandbox on a free port, with a request log and a boto3 client."""
    log = tmp_path / "requests.jsonl"
    with Sandbox(port=0, request_log=log) as sandbox:
        yield Live(sandbox, log)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandboxes]:
    """`sandbox(**options)` starts a sandbox; every SageMaker response is checked on the wire."""
    started = Sandboxes(tmp_path)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="session")
def live_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One sandbox for a whole session (property tests create many uniquely named components)."""
    log = tmp_path_factory.mktemp("session") / "requests.jsonl"
    with Sandbox(port=0, request_log=log) as sandbox:
        shared = Live(sandbox, log)
        # Many generated components share it: big instances and room to grow (capacity check).
        shared.seed_endpoint(instance_type="ml.g5.48xlarge", max_count=100_000)
        yield shared


@pytest.fixture(scope="module")
def module_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One seeded sandbox for a module of many small cases (a sandbox each costs ~0.5 s to stop)."""
    log = tmp_path_factory.mktemp("sandbox") / "requests.jsonl"
    with Sandbox(port=0, request_log=log) as sandbox:
        live = Live(sandbox, log)
        live.seed_endpoint()
        yield live


@pytest.fixture
def seeded(module_live: Live) -> Live:
    """The module's sandbox with an empty request log, so each case sees only its own calls."""
    module_live.clear_log()
    return module_live


@pytest.fixture
def time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Switch this process's local time zone (TZ, then tzset), as two machines would differ."""
    def switch(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield switch
    monkeypatch.undo()
    time.tzset()
