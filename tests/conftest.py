from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitsync.sandbox import Sandbox
from tests.helpers import Live
from tests.helpers.wire import Sandboxes


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and no user AWS config: every call goes to a sandbox on 127.0.0.1."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER",
                "AWS_REGION", "AWS_DEFAULT_REGION", "NO_COLOR", "ICSYNC_MASK"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


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
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
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
