"""The one error family renders problems precisely and on one screen."""

from __future__ import annotations

from gitsync.errors import Problem, ValidationFailed


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
