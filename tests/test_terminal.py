"""On a terminal: apply asks for `yes` and draws a live progress table (driven through a pty)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import Live, demo_project


def run_on_terminal(args: list[str], answer: str, timeout: float = 60) -> tuple[int, str]:
    """Run icsync with a pty as its terminal; type `answer` at the approval prompt."""
    main, child = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "gitsync", *args], stdin=child, stdout=child,
                               stderr=child, close_fds=True, env={**os.environ, "TERM": "xterm"})
    os.close(child)
    output, answered, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"will be accepted" in output:
            os.write(main, answer.encode() + b"\n")
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(main)
    return process.wait(timeout=10), output.decode(errors="replace")


def test_yes_applies_with_a_live_table(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    code, screen = run_on_terminal(["apply", "-C", str(root), "--env", "dev", "--endpoint-url", live.url],
                                   "yes")
    assert code == 0, screen
    assert "Apply these changes?" in screen
    assert "\x1b[2K  web" in screen  # the live table redraws the component's line in place
    assert "Apply: 1 applied." in screen
    assert any(r["operation"] == "CreateInferenceComponent" for r in live.mutating())


def test_anything_but_yes_cancels(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    live.clear_log()
    code, screen = run_on_terminal(["apply", "-C", str(root), "--env", "dev", "--endpoint-url", live.url],
                                   "y")
    assert code == 1 and "apply cancelled; nothing was applied" in screen
    assert live.mutating() == []
