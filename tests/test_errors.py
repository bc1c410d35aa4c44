"""The one error family renders problems precisely and on one screen."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from gitsync.commands import validate
from gitsync.errors import ExitCode, Problem, ValidationFailed
from gitsync.views import text
from tests.helpers import VALUES, Live, demo_project, icsync


def test_problem_without_column_names_the_line_only() -> None:
    assert Problem("a.yaml", 3, 0, "", "bad").render() == "a.yaml:3: bad"
    assert Problem("a.yaml", 3, 7, "Spec.X", "bad").render() == "a.yaml:3:7: bad at `Spec.X`"
    assert Problem("a.yaml", 0, 0, "", "bad").render() == "a.yaml: bad"


def test_many_problems_fit_one_screen_sorted() -> None:
    problems = [Problem("b.yaml" if n % 2 else "a.yaml", n, 1, "", f"problem {n}") for n in range(100, 0, -1)]
    text = str(ValidationFailed(problems))
    lines = text.splitlines()
    assert len(lines) == ValidationFailed.SHOWN + 2
    assert lines[0] == "a.yaml:2:1: problem 2"
    assert lines[-2] == "... and 70 more (fix these first)"
    assert lines[-1] == "100 problems found; nothing was sent to AWS."


# -- the error handler: an unexpected exception is a bug, reported with a crash log ---------------
def break_validation(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """Make `icsync validate` meet an exception nobody expects (our own code, not a library's)."""
    def broken(*args: object) -> None:
        raise error

    monkeypatch.setattr(validate, "chosen_environments", broken)


def test_an_unexpected_exception_exits_3_and_names_the_crash_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = demo_project(tmp_path / "p")
    (root / ".icsync").mkdir()
    break_validation(monkeypatch, KeyError("x"))
    result = icsync("validate", "-C", root)
    log = root / ".icsync" / "crash.log"
    assert result.code == ExitCode.CRASH == 3
    assert result.err == (f"Error: unexpected error: KeyError: 'x'. Details were written to {log}; "
                          "please report it.\n")
    assert "Traceback" not in result.all
    text = log.read_text()
    assert f"command: icsync validate -C {root}" in text
    assert "Traceback (most recent call last)" in text and "in broken" in text
    assert text.rstrip().endswith("KeyError: 'x'")


def test_debug_also_shows_the_traceback_on_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = demo_project(tmp_path / "p")
    (root / ".icsync").mkdir()
    break_validation(monkeypatch, KeyError("x"))
    for args in (["--debug", "validate", "-C", str(root)], ["validate", "-C", str(root)]):
        env = {"ICSYNC_DEBUG": "1"} if "--debug" not in args else None
        result = icsync(*args, env=env)
        assert result.code == 3
        assert "Traceback (most recent call last)" in result.err and "in broken" in result.err
        assert result.err.splitlines()[-1].startswith("Error: unexpected error: KeyError: 'x'.")


def test_ctrl_c_exits_130_without_a_crash_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = demo_project(tmp_path / "p")
    (root / ".icsync").mkdir()
    break_validation(monkeypatch, KeyboardInterrupt())
    result = icsync("validate", "-C", root)
    assert result.code == ExitCode.INTERRUPTED == 130
    assert "Traceback" not in result.all and "unexpected error" not in result.err
    assert not (root / ".icsync" / "crash.log").exists()


def test_without_a_state_folder_the_crash_log_goes_to_the_temp_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = demo_project(tmp_path / "p")  # no .icsync/ folder: it is made by the embedded sandbox only
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    break_validation(monkeypatch, ValueError("odd"))
    result = icsync("validate", "-C", root)
    assert result.code == 3
    [log] = temp.glob("icsync-crash-*.log")
    assert f"Details were written to {log}; please report it." in result.err
    assert "ValueError: odd" in log.read_text()
    assert not (root / ".icsync").exists()


def test_secrets_do_not_reach_the_crash_log(tmp_path: Path, live: Live,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifests' secret values are registered as they load; a crash after that masks them."""
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    (root / ".icsync").mkdir()
    secret = VALUES["token"]

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError(f"cannot render API_TOKEN={secret} or ICSYNC_MASK's hunter2-42")

    monkeypatch.setattr(text, "render", broken)
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                    env={"ICSYNC_MASK": "hunter2-[0-9]+"})
    assert result.code == 3, result.all
    log = (root / ".icsync" / "crash.log").read_text()
    for output in (log, result.err):
        assert secret not in output and "hunter2-42" not in output
        assert "API_TOKEN=(sensitive)" in output and "ICSYNC_MASK's ***" in output
