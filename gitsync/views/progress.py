"""Apply progress: one log line per event in CI, a live table of components on a terminal."""

from __future__ import annotations

import datetime
import threading
from typing import TextIO

from gitsync.outcome import Event


def _stamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LineReporter:
    """For CI logs: every event on its own timestamped line (heartbeats keep the job alive)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def message(self, text: str) -> None:
        with self.lock:
            self.stream.write(f"[{_stamp()}] {text}\n")
            self.stream.flush()

    def __call__(self, event: Event) -> None:
        detail = f" {event.detail}" if event.detail else ""
        self.message(f"{event.name}: {event.action.value}: {event.phase}{detail} ({event.elapsed:.0f}s)")


class LiveReporter(LineReporter):
    """For a terminal: one line per component, redrawn in place as events arrive."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.rows: dict[str, Event] = {}
        self.drawn = 0

    def __call__(self, event: Event) -> None:
        with self.lock:
            self.rows[event.name] = event
            up = f"\x1b[{self.drawn}F" if self.drawn else ""
            lines = [f"\x1b[2K  {e.name:<40} {e.action.value:<8} {e.phase:<11} {e.elapsed:>5.0f}s  "
                     f"{e.detail[:60]}" for e in self.rows.values()]
            self.stream.write(up + "\n".join(lines) + "\n")
            self.stream.flush()
            self.drawn = len(lines)

    def message(self, text: str) -> None:
        with self.lock:
            self.stream.write(f"{text}\n")
            self.stream.flush()
            self.drawn = 0  # the table starts again below the message
