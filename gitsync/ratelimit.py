"""A client-side rate limiter for reads, shared by the worker threads.

Why: AWS throttles each account and API with a token bucket (a burst, then a steady rate) whose
numbers it does not publish. botocore's adaptive mode looks for the rate with CUBIC: after each
throttle it drops to 70% of what it measured and climbs back until it overshoots again, so a long
read runs well under the limit and keeps being throttled. A plan's reads are one steady stream of
cheap calls, so this limiter measures the steady rate once and sends just under it (bench/RESULTS.md
has the measurements behind each choice below).

How:
- it starts unlimited: a plan that fits in the account's burst never waits;
- the first throttle means the burst is spent. For the next MEASURE seconds calls go on at PROBE
  times the rate that succeeded in the second before, so that the API, not the limiter, sets the
  rate measured (answers to calls already admitted are still arriving when the first throttle is
  read, so the rate read until then falls short). The calls that succeed in that window, after
  ECHO seconds of answers to calls sent before, are the steady rate (too few to tell: measure again);
- from then on calls start evenly spaced at MARGIN of that rate (the margin absorbs threads waking
  late, which an empty bucket does not forgive). A throttle lowers the rate by BACKOFF, at most once
  per ECHO seconds; RECOVER seconds without one and it climbs back a step, never above the rate
  learned. It never probes above: probing is what makes CUBIC throttle again and again, and a plan
  is too short to need it. Climbing back matters: a stray throttle would otherwise cost a tenth of
  the rate for the rest of the run.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

ECHO = 0.5  # seconds in which throttles answer calls sent before a change
MEASURE = 1.0  # seconds over which the admitted rate is measured after the first throttle
MARGIN = 0.95
PROBE = 1.25
RECOVER = 2.0  # seconds without a throttle before a lowered rate climbs back a step
BACKOFF = 0.9
MIN_RATE = 1.0
MIN_SAMPLES = 5  # successes needed to tell a rate
THROTTLING_CODES = frozenset({
    "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "RequestLimitExceeded", "SlowDown", "RequestThrottled"})


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, rate: float | None = None) -> None:
        """`rate`: the account's rate, when the caller knows it (--read-rate): calls are paced at
        it from the first, nothing is measured, and a throttle lowers it by BACKOFF until RECOVER
        seconds pass without one."""
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self.rate: float | None = None  # calls per second; None: unlimited
        self.throttles = 0
        self._first_throttle: float | None = None
        self._measuring = False
        self._admitted: collections.deque[float] = collections.deque()  # success times, last second
        self._next = 0.0  # the earliest start of the next call
        self._changed = 0.0
        self._learned: float | None = None  # a lowered rate climbs back to this, never above
        self._throttled_at = 0.0
        if rate:
            now = clock()
            self._first_throttle = now  # as if learned already
            self._set(now - ECHO, rate)
            self._learned = self.rate
            self._next = now

    def acquire(self) -> None:
        """Wait for this call's turn."""
        with self._lock:
            now = self._clock()
            self._settle(now)
            if self.rate is None:
                return
            start = max(now, self._next)
            self._next = start + 1 / self.rate
        if start > now:
            self._sleep(start - now)

    def succeeded(self) -> None:
        with self._lock:
            now = self._clock()
            self._admitted.append(now)
            while self._admitted[0] < now - MEASURE:
                self._admitted.popleft()
            self._settle(now)

    def observe(self, status: int, code: str | None) -> None:
        """An answer's HTTP status and AWS error code: a throttle, a success, or no word on the rate."""
        if status == 429 or code in THROTTLING_CODES:
            self.throttled()
        elif status < 400:
            self.succeeded()

    def throttled(self) -> None:
        with self._lock:
            now = self._clock()
            self.throttles += 1
            self._throttled_at = now
            if self._first_throttle is None:
                self._first_throttle = now
                self._measuring = True
                before = len(self._admitted)
                if before >= MIN_SAMPLES:
                    self._set(now, before / MEASURE * PROBE)
            elif not self._measuring and self.rate is not None and now - self._changed >= ECHO:
                self._set(now, self.rate * BACKOFF)

    def _settle(self, now: float) -> None:
        """At the end of the measurement, set the rate from the calls the API admitted; after it,
        climb back towards that rate once RECOVER seconds have passed without a throttle."""
        first = self._first_throttle
        if first is None or not self._measuring or now < first + MEASURE:
            if self.rate is not None and self._learned is not None and self.rate < self._learned \
                    and now - max(self._changed, self._throttled_at) >= RECOVER:
                self._set(now, min(self._learned, self.rate / BACKOFF))
            return
        since = max(first + ECHO, now - MEASURE)
        admitted = sum(1 for t in self._admitted if t > since)
        if admitted < MIN_SAMPLES:
            self._first_throttle = now  # too few calls got through to tell: measure again
            return
        self._measuring = False
        self._set(now, admitted / (now - since) * MARGIN)
        self._learned = self.rate

    def _set(self, now: float, rate: float) -> None:
        self.rate = max(MIN_RATE, rate)
        # After the turns already given out, never over them: threads still waiting for those
        # turns will send then, and new turns handed out beside them would be a burst above the
        # rate, whose throttles would lower it again, and again.
        self._next = max(self._next, now + 1 / self.rate)
        self._changed = now
