"""Apply progress: a line per state change plus a summary heartbeat in CI, a live table on a terminal.

Both are Reporters: `start` with the changes about to be applied, one call per Event, `message` for
free text (lock waits, interrupts), `close` at the end."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Sequence
from typing import Protocol, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from gitsync.outcome import DONE_PHASES, Event
from gitsync.plan import ComponentChange

# Terraform prints a "Still creating... [10s elapsed]" line every 10 s; a CI log needs no more.
SUMMARY_SECONDS = 10.0


class Reporter(Protocol):
    def start(self, changes: Sequence[ComponentChange]) -> None: ...

    def __call__(self, event: Event, /) -> None: ...

    def message(self, text: str) -> None: ...

    def close(self) -> None: ...


def shorten_middle(text: str, width: int) -> str:
    """`a-very-long-component-name` -> `a-very…nt-name`: both ends of a name tell components apart."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = width // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def _age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02}m"


class Tally:
    """Where every component stands, for the heartbeat and the live view's footer."""

    def __init__(self) -> None:
        self.total = 0
        self.latest: dict[str, Event] = {}
        self.since: dict[str, float] = {}

    def start(self, changes: Sequence[ComponentChange]) -> None:
        self.total = len(changes)

    def record(self, event: Event) -> bool:
        """Keep the event; True when the component's phase changed."""
        previous = self.latest.get(event.name)
        self.latest[event.name] = event
        self.since.setdefault(event.name, time.monotonic())
        return previous is None or previous.phase != event.phase

    def line(self) -> str:
        done = [e for e in self.latest.values() if e.phase in DONE_PHASES]
        active = [n for n, e in self.latest.items() if e.phase not in DONE_PHASES]
        parts = [f"{len(done)} of {max(self.total, len(self.latest))} settled"]
        if active:
            parts.append(f"{len(active)} in progress")
        queued = self.total - len(self.latest)
        if queued > 0:
            parts.append(f"{queued} not started")
        failed = sum(1 for e in done if e.phase != "applied")
        if failed:
            parts.append(f"{failed} not applied")
        if active:
            oldest = max(time.monotonic() - self.since[n] for n in active)
            parts.append(f"oldest {_age(oldest)}")
        return ", ".join(parts)

    def busy(self) -> bool:
        return any(e.phase not in DONE_PHASES for e in self.latest.values())


def _stamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LineReporter:
    """For CI logs: a timestamped line when a component changes phase, and every `interval`
    seconds while something is in progress a summary line (it also keeps the job log alive)."""

    def __init__(self, stream: TextIO, interval: float = SUMMARY_SECONDS) -> None:
        self.stream, self.interval = stream, interval
        self.lock = threading.Lock()
        self.tally = Tally()
        self.done = threading.Event()
        self.beat: threading.Thread | None = None

    def start(self, changes: Sequence[ComponentChange]) -> None:
        self.tally.start(changes)
        self.beat = threading.Thread(target=self._heartbeat, name="icsync-heartbeat", daemon=True)
        self.beat.start()

    def _heartbeat(self) -> None:
        while not self.done.wait(self.interval):
            with self.lock:
                busy = self.tally.busy()
            if busy:
                self.message(self.tally.line())

    def message(self, text: str) -> None:
        with self.lock:
            self.stream.write(f"[{_stamp()}] {text}\n")
            self.stream.flush()

    def __call__(self, event: Event) -> None:
        with self.lock:
            changed = self.tally.record(event)
        if changed:
            detail = f" {event.detail}" if event.detail else ""
            self.message(f"{event.name}: {event.action.value}: {event.phase}{detail} "
                         f"({event.elapsed:.0f}s)")

    def close(self) -> None:
        self.done.set()
        if self.beat is not None:
            self.beat.join()
        if self.tally.latest:
            self.message(self.tally.line())


# Fixed columns of the live table ("replace", "rolled back", "1799s"), two spaces between columns;
# the name and the detail share what the terminal has left.
_ACTION, _PHASE, _TIME = 7, 11, 6
_FIXED = _ACTION + _PHASE + _TIME + 4 * 2


class LiveReporter:
    """For a terminal: a table of the components in progress, redrawn in place by rich, that fits
    the terminal's width (names shortened in the middle, details cut at the end) and height."""

    def __init__(self, stream: TextIO, color: bool = True) -> None:
        # --color off (or NO_COLOR): no styles at all, the header included.
        self.console = Console(file=stream, highlight=False, color_system="auto" if color else None)
        self.lock = threading.Lock()
        self.tally = Tally()
        self.live = Live(console=self.console, auto_refresh=False, transient=False,
                         get_renderable=self._view, redirect_stdout=False, redirect_stderr=False)

    def start(self, changes: Sequence[ComponentChange]) -> None:
        self.tally.start(changes)
        self.live.start()

    def __call__(self, event: Event) -> None:
        with self.lock:
            self.tally.record(event)
            self.live.refresh()

    def message(self, text: str) -> None:
        with self.lock:
            self.console.print(Text(text))  # printed above the live table

    def close(self) -> None:
        with self.lock:
            self.live.refresh()
            self.live.stop()

    def _view(self) -> Group:
        width = self.console.width
        longest = max((len(n) for n in self.tally.latest), default=0)
        name_width = min(max(longest, len("component")),
                         max(len("component"), (width - _FIXED) // 2))
        table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
        table.add_column("component", width=name_width, no_wrap=True)
        table.add_column("action", width=_ACTION, no_wrap=True)
        table.add_column("state", width=_PHASE, no_wrap=True)
        table.add_column("time", width=_TIME, justify="right", no_wrap=True)
        table.add_column("detail", width=max(1, width - name_width - _FIXED), no_wrap=True,
                         overflow="ellipsis")
        for event in self._rows(max(1, self.console.height - 3)):
            table.add_row(shorten_middle(event.name, name_width), event.action.value, event.phase,
                          f"{event.elapsed:.0f}s", Text(event.detail))
        return Group(table, Text(self.tally.line(), no_wrap=True, overflow="ellipsis"))

    def _rows(self, room: int) -> list[Event]:
        """Components in progress first (newest last), then finished ones, as many as fit."""
        events = list(self.tally.latest.values())
        active = [e for e in events if e.phase not in DONE_PHASES]
        done = [e for e in events if e.phase in DONE_PHASES]
        return (active + done[::-1])[:room]
