"""A clock for the executor's waits that moves only when the executor sleeps."""

from __future__ import annotations

import threading
from collections.abc import Callable


class FakeClock:
    """`now()` starts at an arbitrary second; `sleep(s)` returns at once, `s` seconds later.

    `on_sleep(n)` runs after the n-th sleep: the test's hand on the sandbox while apply waits."""

    def __init__(self, on_sleep: Callable[[int], None] | None = None) -> None:
        self.time = 1_000.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep
        self._lock = threading.Lock()  # worker threads of one stage share the clock

    def now(self) -> float:
        with self._lock:
            return self.time

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.time += seconds
            self.sleeps.append(seconds)
            count = len(self.sleeps)
        if self.on_sleep is not None:
            self.on_sleep(count)

    @property
    def slept(self) -> float:
        return sum(self.sleeps)
