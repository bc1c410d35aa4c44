"""The render child (gitsync/manifests/budget.py): results in order, the job it died on named,
and never a child left behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from gitsync.errors import ConfigError
from gitsync.manifests.budget import Budget, Stopped, run_all


def no_child_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_results_come_back_in_order() -> None:
    assert list(run_all(["a", "b", "c"], str.upper, Budget())) == ["A", "B", "C"]
    assert no_child_left()


def test_a_child_the_kernel_kills_names_the_job_it_was_on() -> None:
    def work(job: int) -> int:
        if job == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # as RLIMIT_CPU's hard limit ends it
        return job

    assert list(run_all([0, 1, 2, 3], work, Budget())) == [0, 1, Stopped(signal.SIGKILL)]
    assert no_child_left()


def test_a_caller_that_stops_reading_leaves_no_child() -> None:
    def slow(job: int) -> int:
        time.sleep(0.2)
        return job

    results = run_all(list(range(50)), slow, Budget())
    assert next(results) == 0
    results.close()
    assert no_child_left()


@pytest.mark.parametrize(("variable", "text"), [("ICSYNC_RENDER_RUN_SECONDS", "0"),
                                                ("ICSYNC_RENDER_FILE_SECONDS", "inf")])
def test_a_budget_that_is_no_budget_is_refused(variable: str, text: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, text)
    with pytest.raises(ConfigError, match=f"{variable} must be a number above 0, not `{text}`"):
        Budget.from_environment()
