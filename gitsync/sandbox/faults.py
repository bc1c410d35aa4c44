"""Faults on demand: scripted failures of the next N calls, and a request-rate limit."""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from gitsync.sandbox.state import ApiError

MAX_COUNT = 100_000  # the queue holds one entry a call
FAULT_KINDS = ("5xx", "throttle", "reset", "expired", "denied", "endpoint_busy")


@dataclass
class Faults:
    """The next N calls of an operation ("*": of any) fail in a chosen way; above --max-tps, throttle."""

    max_tps: float = 0.0
    latency_s: float = 0.0
    queued: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._tokens, self._stamp = self.max_tps, time.monotonic()

    def add(self, operation: str, kind: str, count: int) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}, not {kind!r}")
        if not 1 <= count <= MAX_COUNT:
            raise ValueError(f"fault count must be from 1 to {MAX_COUNT:,}, not {count}")
        with self.lock:
            self.queued.setdefault(operation, []).extend([kind] * count)

    def take(self, operation: str) -> str | None:
        with self.lock:
            for key in (operation, "*"):
                if self.queued.get(key):
                    return self.queued[key].pop(0)
            return self._over_rate()

    def _over_rate(self) -> str | None:
        """A token bucket refilled at --max-tps tokens a second, holding at most one second's worth."""
        if not self.max_tps:
            return None
        now = time.monotonic()
        self._tokens = min(self.max_tps, self._tokens + (now - self._stamp) * self.max_tps)
        self._stamp = now
        if self._tokens < 1:
            return "throttle"
        self._tokens -= 1
        return None


def fault_error(kind: str) -> ApiError:
    """The error AWS sends for a throttled call, expired credentials, a denied call, or a failure on its side."""
    if kind == "throttle":
        return ApiError("ThrottlingException", "Rate exceeded", 400)
    if kind == "expired":  # what STS-issued session credentials get once they expire
        return ApiError("ExpiredTokenException", "The security token included in the request is expired", 400)
    if kind == "endpoint_busy":  # refused while the endpoint was at work, which ended since
        return ApiError("ValidationException", "Cannot update inference component while its endpoint "
                        "is in status Updating.", 400)
    if kind == "denied":  # a call the caller's IAM policy does not allow
        return ApiError("AccessDeniedException", "User: arn:aws:iam::111122223333:user/sandbox is not "
                        "authorized to perform this action", 400)
    return ApiError("InternalFailure", "We encountered an internal error. Please try again.", 500)


def reset_connection(environ: dict[str, Any]) -> None:
    """Drop the connection with no response, as a network fault would (linger 0: no graceful close).

    Raising ConnectionResetError makes werkzeug treat the request as dropped, quietly.
    """
    connection: socket.socket | None = environ.get("werkzeug.socket")
    if connection is not None:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.shutdown(socket.SHUT_RDWR)
    raise ConnectionResetError("sandbox fault: connection reset")
