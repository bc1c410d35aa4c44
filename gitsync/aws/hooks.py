"""What every attempt of a call does, set on each client as it is made: wait for its turn of the
one rate (pace), and give up on a server that never answers (give_up_on_silence), in words."""

from __future__ import annotations

import os
import sys
from typing import Any

import botocore.exceptions

from gitsync.errors import AwsError
from gitsync.ratelimit import RateLimiter

# Timeouts and attempts, sized together. Ten attempts are for throttling (the adaptive retries
# wait them out); a server that never answers must not be waited on ten times: with 60 s timeouts
# that was 686 s in silence. Now: each attempt that gets no answer is said on stderr (after
# READ_TIMEOUT, well within a minute), and the call gives up after TIMEOUT_ATTEMPTS of them
# (about 1.5 minutes with backoff), naming the endpoint. SageMaker's control plane answers in
# well under a second, and a TCP connect to it in milliseconds.
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30
TIMEOUT_ATTEMPTS = 3
NO_ANSWER = (botocore.exceptions.ReadTimeoutError, botocore.exceptions.EndpointConnectionError,
              botocore.exceptions.ConnectionClosedError)


def give_up_on_silence(client: Any, limit: int) -> None:
    """Each attempt that got no answer is said on stderr; after `limit` of them the call fails,
    naming the endpoint, whatever attempts are left for throttling."""
    endpoint = client.meta.endpoint_url

    def no_answer(attempts: int, caught_exception: Exception | None = None, operation: Any = None,
                  **_: Any) -> None:
        if not isinstance(caught_exception, NO_ANSWER):
            return
        name = getattr(operation, "name", "a call")
        if attempts >= limit:
            raise AwsError(f"no answer from {endpoint} to {name} after {attempts} attempt"
                           f"{'s' if attempts > 1 else ''} ({caught_exception}); giving up. Check the "
                           "endpoint (--endpoint-url, the region), the network and any proxy; "
                           "--read-timeout and --connect-timeout set how long each attempt waits"
                           ) from caught_exception  # the cause tells a caller a timeout from a refusal
        print(f"waiting for {endpoint}: no answer to {name} ({caught_exception}); trying again "
              f"(attempt {attempts + 1} of {limit})", file=sys.stderr, flush=True)

    client.meta.events.register_first("needs-retry", no_answer)


def pace(client: Any, limiter: RateLimiter) -> None:
    """Every attempt, retries included, waits for its turn and tells the limiter how it went."""
    client.meta.events.register("before-send", lambda **_: limiter.acquire())
    client.meta.events.register("needs-retry", lambda response=None, **_: observe(limiter, response))


def observe(limiter: RateLimiter, response: Any) -> None:
    if response is None:
        return  # a connection error: no word on the rate
    http, parsed = response
    limiter.observe(http.status_code, parsed.get("Error", {}).get("Code"))


def max_attempts(default: int) -> int:
    """AWS_MAX_ATTEMPTS, as the AWS CLI honours it; else icsync's default."""
    value = os.environ.get("AWS_MAX_ATTEMPTS", "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise AwsError(f"AWS_MAX_ATTEMPTS must be a whole number of at least 1, not `{value}`")
    return int(value)
