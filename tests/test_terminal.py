"""On a terminal: apply asks for `yes` and draws a live progress table (a pty, and tmux for what a
person would see at 60 columns); in a log: a line per state change and a summary heartbeat."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import Live, demo_project, icsync, project_of, slow_sandbox


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
    assert re.search(r"\x1b\[2K\x1b\[1A\x1b\[2K.*\r\nweb +create", screen, re.DOTALL)  # redrawn
    assert "Apply: 1 applied." in screen
    assert any(r["operation"] == "CreateInferenceComponent" for r in live.mutating())


def test_color_off_draws_the_live_table_without_styles(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    code, screen = run_on_terminal(["apply", "-C", str(root), "--env", "dev", "--endpoint-url", live.url,
                                    "--color", "off"], "yes")
    assert code == 0, screen
    assert re.search(r"\x1b\[2K\x1b\[1A\x1b\[2K", screen)  # still redrawn in place
    assert not re.search(r"\x1b\[[0-9;]*m", screen), screen  # but no colour or bold anywhere


def test_anything_but_yes_cancels(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = demo_project(tmp_path / "p")
    live.clear_log()
    code, screen = run_on_terminal(["apply", "-C", str(root), "--env", "dev", "--endpoint-url", live.url],
                                   "y")
    assert code == 1 and "apply cancelled; nothing was applied" in screen
    assert live.mutating() == []


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[Live]:
    """A sandbox whose deployments take a while, so that the live view redraws many times."""
    with slow_sandbox(tmp_path, 1.5) as live:
        yield live


def tmux_or_skip() -> str:
    """tmux (Debian's package; .ci/run installs it): installed here if missing and possible."""
    found = shutil.which("tmux")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "tmux"], check=False, capture_output=True,
                       timeout=300, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("tmux")
    if found is None:
        if os.environ.get("ICSYNC_REQUIRE_LINTERS"):
            pytest.fail("tmux is missing (ICSYNC_REQUIRE_LINTERS is set: .ci/run should install it)")
        pytest.skip("tmux is not installed and cannot be installed here (not root, or no apt-get)")
    return found


class Tmux:
    """One detached tmux server of its own, running one command in a window of a given size."""

    def __init__(self, tmux: str, width: int, height: int, command: list[str]) -> None:
        self.base = [tmux, "-L", f"icsync-{uuid.uuid4().hex[:8]}"]
        shell = shlex.join(command) + "; echo EXIT=$?; sleep 600"
        subprocess.run([*self.base, "-f", "/dev/null", "new-session", "-d", "-x", str(width),
                        "-y", str(height), "sh", "-c", shell], check=True, timeout=30)

    def screen(self) -> str:
        """Everything shown so far, scrollback included, wrapped lines joined (-J): a line wider
        than the window comes back as one long line."""
        return subprocess.run([*self.base, "capture-pane", "-p", "-J", "-S", "-"], check=True,
                              capture_output=True, text=True, timeout=30).stdout

    def wait_for(self, text: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")

    def type(self, keys: str) -> None:
        subprocess.run([*self.base, "send-keys", keys, "Enter"], check=True, timeout=30)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], check=False, capture_output=True, timeout=30)


LONG = ["summarizer-llama-3-70b-instruct-production-east", "summarizer-llama-3-70b-instruct-canary-west",
        "embedder"]


def test_live_view_fits_60_columns_in_a_real_terminal(tmp_path: Path, slow: Live) -> None:
    root = project_of(tmp_path / "p", LONG)
    env = {"PYTHONPATH": os.environ.get("PYTHONPATH", ""), "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "TERM": "xterm"}
    # -u: pytest exports COLUMNS=80 and LINES=24, which would override the window's real size.
    command = ["env", "-u", "COLUMNS", "-u", "LINES", *(f"{k}={v}" for k, v in env.items()),
               sys.executable, "-m", "gitsync", "apply", "-C", str(root), "--env", "dev",
               "--endpoint-url", slow.url, "--color", "off"]
    terminal = Tmux(tmux_or_skip(), 60, 30, command)
    try:
        terminal.wait_for("will be accepted")
        terminal.type("yes")
        screen = terminal.wait_for("EXIT=")
    finally:
        terminal.close()
    assert "EXIT=0" in screen, screen
    lines = screen[screen.index("will be accepted"):].splitlines()[1:]  # apply's own output
    assert max(len(line) for line in lines) <= 60, screen  # nothing wrapped
    # Redrawn in place: the live table's last frame and the closing table, no stale frames above.
    headers = [n for n, line in enumerate(lines) if line.startswith("component")]
    assert len(headers) == 2, screen
    assert "3 of 3 settled" in lines[headers[0] + 4]
    closing = lines[headers[1]:headers[1] + 4]
    assert [line.index("create") for line in closing[1:]] == [closing[0].index("action")] * 3
    shortened = sorted(line.split()[0] for line in closing[1:])
    assert shortened[0] == "embedder"
    for short in shortened[1:]:
        head, tail = short.split("…")  # both ends of the name kept
        assert len(head) >= 4 <= len(tail)
        assert [n for n in LONG if n.startswith(head) and n.endswith(tail)], short
    assert shortened[1] != shortened[2]
    assert "Apply: 3 applied." in screen


def test_a_log_gets_a_line_per_state_change_and_a_summary_heartbeat(tmp_path: Path,
                                                                      slow: Live) -> None:
    root = project_of(tmp_path / "p", ["web", "api"])
    result = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", slow.url, "--auto-approve",
                    env={"ICSYNC_HEARTBEAT_SECONDS": "0.2"})
    assert result.code == 0, result.all
    log = result.err.splitlines()
    for name in ("web", "api"):
        mine = [line.split("] ", 1)[1].split(" (")[0] for line in log if f"] {name}: " in line]
        assert mine[0] == f"{name}: create: calling CreateInferenceComponent"
        assert mine[-1] == f"{name}: create: applied"
        assert len(mine) == len(set(mine)), mine  # a heartbeat is not a state change
    beats = [line for line in log if re.search(r"\] \d of 2 settled", line)]
    assert any(re.search(r"in progress, oldest \d+s$", line) for line in beats), log
    assert beats[-1].endswith("] 2 of 2 settled")
