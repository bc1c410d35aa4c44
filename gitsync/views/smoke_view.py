"""Smoke verdicts -> text: one line a component, then a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from gitsync.outcome import Verdict


def render(verdicts: Sequence[Verdict]) -> str:
    lines = [f"{'pass' if v.passed else 'FAIL'}  {v.component}: {v.detail}" for v in verdicts]
    failed = sum(1 for v in verdicts if not v.passed)
    lines += ["", f"Smoke: {len(verdicts) - failed} passed, {failed} failed."]
    return "\n".join(lines) + "\n"
