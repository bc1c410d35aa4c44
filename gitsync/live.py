"""Fetch live state, all of it before any diffing: list once, then describe and read tags concurrently.

The cost of a plan is API calls, so this module makes as few as the API allows and keeps the pipe
full without tripping the account's rate limit:

- one ListInferenceComponents pass (100 a page) finds what exists; only what exists and matters is
  described, and each describe starts as soon as its page arrives, not after the last page;
- tags are read per component with ListTags. The Resource Groups Tagging API's GetResources would
  read them 100 at a time, but the sandbox cannot serve it for inference components (moto's tagging
  backend does not know them), so nothing could test it. Tags are never skipped: they are desired
  state (a manifest without Tags wants none but icsync's own) and say who owns a component (prune);
- the calls run on `parallelism` threads (the work is waiting), paced by one RateLimiter that learns
  the account's rate from its throttles (see ratelimit.py for why not botocore's adaptive mode).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gitsync import aws
from gitsync.ratelimit import RateLimiter


@dataclass(frozen=True)
class LiveComponent:
    describe: dict[str, Any]
    tags: dict[str, str]


@dataclass(frozen=True)
class LiveState:
    # Described components, by name: those the manifests name, plus owned ones on managed endpoints.
    components: dict[str, LiveComponent] = field(default_factory=dict)
    # Every component listed on the managed endpoints (list summaries), by name.
    listed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def owned(self, name: str, project: str, environment: str) -> bool:
        found = self.components.get(name)
        return bool(found and found.tags.get("icsync:project") == project
                    and found.tags.get("icsync:environment") == environment)


def fetch(clients: aws.Clients, names: Iterable[str], endpoints: Iterable[str],
          parallelism: int = 16, with_unlisted: bool = True) -> LiveState:
    """Live state for the named components and everything else on the named endpoints."""
    with Reader(clients, parallelism) as reader:
        return reader.finish(names, endpoints, with_unlisted)


LISTING_GRACE = 5.0  # seconds a failing plan waits for a listing call in flight


class PlanAborted(Exception):
    """The plan failed elsewhere: the listing stops."""


class Reader:
    """Reads live state while the caller is still loading manifests: the listing starts at once,
    and each component named with `want` is described as soon as the listing has shown it exists.
    `finish` reads whatever else the plan needs and returns what `fetch` would have.

    Loading manifests is CPU and reading is waiting, so the two overlap: a rate-limited plan takes
    about as long as its calls, not the calls plus the manifests."""

    def __init__(self, clients: aws.Clients, parallelism: int) -> None:
        self._reads = aws.paced_reads(clients, RateLimiter())
        self._pool = ThreadPoolExecutor(max_workers=max(1, parallelism))
        self._lock = threading.Lock()
        self._listed: dict[str, dict[str, Any]] = {}
        self._wanted: set[str] = set()
        self._reading: dict[str, Future[LiveComponent | None]] = {}
        self._listed_all: Future[None] = Future()
        self._closed = threading.Event()
        # A daemon thread, not a pool worker: if the manifests turn out invalid while the listing
        # waits on an unreachable endpoint, the error is shown and icsync exits without it.
        self._listing = threading.Thread(target=self._list, daemon=True, name="icsync-list")
        self._listing.start()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        # On a failure (invalid manifests, an API error, Ctrl-C) no queued call is sent, the
        # listing stops after its current page, and calls in flight are waited for (briefly, for
        # the listing: its endpoint may be the reason for the failure).
        self._closed.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._listing.join(timeout=LISTING_GRACE)

    def want(self, name: str) -> None:
        with self._lock:
            self._wanted.add(name)
            if name in self._listed:
                self._read(name)

    def _list(self) -> None:
        try:
            for summary in aws.list_components(self._reads):
                if self._closed.is_set():
                    raise PlanAborted
                with self._lock:
                    name = summary["InferenceComponentName"]
                    self._listed.setdefault(name, summary)
                    if name in self._wanted:
                        self._read(name)
        except BaseException as error:  # noqa: BLE001 - handed to the thread that waits for it
            self._listed_all.set_exception(error)
        else:
            self._listed_all.set_result(None)

    def _read(self, name: str) -> None:
        """Under the lock: describe `name` once."""
        if name not in self._reading:
            self._reading[name] = self._pool.submit(_read, self._reads, name, self._listed[name])

    def finish(self, names: Iterable[str], endpoints: Iterable[str],
               with_unlisted: bool = True) -> LiveState:
        wanted, managed = set(names), set(endpoints)
        for name in wanted:
            self.want(name)
        self._listed_all.result()
        with self._lock:
            listed = {n: s for n, s in self._listed.items()
                      if s["EndpointName"] in managed or n in wanted}
            for name in listed:
                if with_unlisted or name in wanted:
                    self._read(name)
            reading = {n: f for n, f in self._reading.items() if n in listed}
        found = [future.result() for future in reading.values()]
        components = {c.describe["InferenceComponentName"]: c for c in found if c is not None}
        return LiveState(dict(sorted(components.items())), dict(sorted(listed.items())))


def _read(clients: aws.Clients, name: str, summary: dict[str, Any]) -> LiveComponent | None:
    describe = aws.describe_component(clients, name)
    if describe is None:
        return None  # deleted between the list and the describe
    return LiveComponent(describe, aws.list_tags(clients, summary["InferenceComponentArn"]))
