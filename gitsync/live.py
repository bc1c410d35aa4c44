"""Fetch live state, all of it before any diffing: list once, then describe and read tags concurrently.

The cost of a plan is API calls, so this module makes as few as the API allows and keeps the pipe
full without tripping the account's rate limit:

- one ListInferenceComponents pass (100 a page) finds what exists; only what exists and matters is
  described, and each describe starts as soon as its page arrives, not after the last page;
- tags are read in bulk: one GetResources call (Resource Groups Tagging API) returns 100 components
  tagged with this project, all their tags included, where ListTags reads one component. What the
  bulk read cannot vouch for is read with ListTags: a manifest's component it did not return (new to
  icsync, or the index has not caught up), and, after planning, every component whose plan turns on
  its tags (a tag change, a prune), because the tagging index is eventually consistent; when one
  of the former turns out to be the project's, the index is behind, and every component it did not
  return is read too (ownership decides --prune). Where GetResources is refused (no
  tag:GetResources permission) or returns nothing, every component is read with ListTags.
  Tags are never skipped: they are desired state and say who owns a component (prune);
- the calls run on `parallelism` threads (the work is waiting), paced by one RateLimiter that learns
  the account's rate from its throttles (see ratelimit.py for why not botocore's adaptive mode).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Self

from gitsync import aws
from gitsync.errors import AwsError, CredentialsError
from gitsync.ratelimit import RateLimiter

# The tags that say which project and environment own a component (plan.owner_tags writes them).
PROJECT_TAG = "icsync:project"
ENVIRONMENT_TAG = "icsync:environment"


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
    # Components whose tags came from the bulk read (GetResources), not from ListTags.
    bulk_tagged: frozenset[str] = frozenset()

    def owned(self, name: str, project: str, environment: str) -> bool:
        found = self.components.get(name)
        return bool(found and found.tags.get(PROJECT_TAG) == project
                    and found.tags.get(ENVIRONMENT_TAG) == environment)


def fetch(clients: aws.Clients, names: Iterable[str], endpoints: Iterable[str],
          parallelism: int = 16, with_unlisted: bool = True, project: str | None = None,
          rate: float = 0) -> LiveState:
    """Live state for the named components and everything else on the named endpoints; with
    `project`, tags are read in bulk; `rate`: calls per second, if known (0: learned)."""
    with Reader(clients, parallelism, project, rate) as reader:
        return reader.finish(names, endpoints, with_unlisted)


def confirm_tags(clients: aws.Clients, state: LiveState, names: Iterable[str],
                 parallelism: int = 16) -> LiveState:
    """The tags of `names` read again with ListTags, which is consistent where the bulk read may
    lag: for the components whose plan turns on their tags."""
    doubtful = sorted(n for n in names if n in state.bulk_tagged and n in state.components)
    if not doubtful:
        return state
    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(doubtful)))) as pool:
        tags = dict(zip(doubtful, pool.map(
            lambda n: tags_of(clients, state.components[n].describe["InferenceComponentArn"]),
            doubtful)))
    components = {n: LiveComponent(c.describe, tags[n]) if n in tags else c
                  for n, c in state.components.items()}
    return LiveState(components, state.listed, state.bulk_tagged - set(doubtful))


def tags_of(clients: aws.Clients, arn: str) -> dict[str, str]:
    """ListTags; none for a component deleted since it was listed (its describe says it is gone)."""
    try:
        return aws.list_tags(clients, arn)
    except AwsError as error:
        if aws.is_not_found(error):
            return {}
        raise


LISTING_GRACE = 5.0  # seconds a failing plan waits for a listing call in flight


class PlanAborted(Exception):
    """The plan failed elsewhere: the listing stops."""


class Reader:
    """Reads live state while the caller is still loading manifests: the listing starts at once,
    and each component named with `want` is described as soon as the listing has shown it exists.
    `finish` reads whatever else the plan needs and returns what `fetch` would have.

    Loading manifests is CPU and reading is waiting, so the two overlap: a rate-limited plan takes
    about as long as its calls, not the calls plus the manifests."""

    def __init__(self, clients: aws.Clients, parallelism: int, project: str | None = None,
                 rate: float = 0) -> None:
        self._reads = aws.paced_reads(clients, RateLimiter(rate=rate or None))
        self._project = project
        # The listing's client is made here; the tagging client by its own thread, while the
        # listing's first call is in flight (making a client is CPU, a call is waiting).
        self._reads.client("sagemaker")
        self._pool = ThreadPoolExecutor(max_workers=max(1, parallelism))
        self._lock = threading.Lock()
        self._listed: dict[str, dict[str, Any]] = {}
        self._wanted: set[str] = set()
        self._reading: dict[str, Future[dict[str, Any] | None]] = {}
        # Each read's name as it completes, and None once the listing has ended (see `described`).
        self._completed: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._listed_all: Future[None] = Future()
        self._closed = threading.Event()
        # A daemon thread, not a pool worker: if the manifests turn out invalid while the listing
        # waits on an unreachable endpoint, the error is shown and icsync exits without it.
        self._listing = threading.Thread(target=self._list, daemon=True, name="icsync-list")
        self._listing.start()
        # None: no bulk read (no project given, or GetResources refused): ListTags for each.
        self._bulk: Future[dict[str, dict[str, str]] | None] = Future()
        self._tagging = threading.Thread(target=self._read_bulk, daemon=True, name="icsync-tags")
        self._tagging.start()

    def __enter__(self) -> Self:
        return self

    @property
    def clients(self) -> aws.Clients:
        """The clients the reads are made with: each call waits for its turn of the one rate."""
        return self._reads

    def __exit__(self, *exc: object) -> None:
        # On a failure (invalid manifests, an API error, Ctrl-C) no queued call is sent, the
        # listing stops after its current page, and calls in flight are waited for (briefly, for
        # the listing: its endpoint may be the reason for the failure).
        self._closed.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._listing.join(timeout=LISTING_GRACE)
        self._tagging.join(timeout=LISTING_GRACE)

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
        finally:
            self._completed.put(None)

    def _read_bulk(self) -> None:
        try:
            found = aws.tagged_components(self._reads, PROJECT_TAG, self._project) if self._project else None
        except CredentialsError as error:
            self._bulk.set_exception(error)
        except AwsError:
            self._bulk.set_result(None)  # e.g. AccessDenied for tag:GetResources: ListTags each
        except BaseException as error:  # noqa: BLE001 - handed to the thread that waits for it
            self._bulk.set_exception(error)
        else:
            self._bulk.set_result(found)

    def _read(self, name: str) -> None:
        """Under the lock: describe `name` once."""
        if name not in self._reading:
            self._reading[name] = self._pool.submit(aws.describe_component, self._reads, name)
            self._reading[name].add_done_callback(lambda _: self._completed.put(name))

    def described(self, names: Iterable[str]) -> Iterator[tuple[str, LiveComponent]]:
        """The named components as their describes arrive, until the listing has ended and every
        describe begun has been answered: those whose tags the bulk read has already given (the
        rest, and any failure, are left to `finish`, which is called after this, as always).

        So a plan can be worked out component by component while the reads are still in flight."""
        wanted = set(names)
        for name in wanted:
            self.want(name)
        answered, listing = 0, True
        while True:
            with self._lock:
                if not listing and answered == len(self._reading):
                    return
            completed = self._completed.get()
            if completed is None:
                listing = False
                continue
            answered += 1
            future = self._reading[completed]
            describe = None if future.cancelled() or future.exception() else future.result()
            tags = self._bulk_tags(completed)
            if completed in wanted and describe is not None and tags is not None:
                yield completed, LiveComponent(describe, tags)

    def _bulk_tags(self, name: str) -> dict[str, str] | None:
        """`name`'s tags from the bulk read, if it has ended and returned them."""
        if not self._bulk.done() or self._bulk.exception() is not None:
            return None
        found = self._bulk.result()
        return found.get(self._listed[name]["InferenceComponentArn"]) if found else None

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
        bulk = self._bulk.result() or None  # nothing at all: not indexed here; ListTags each
        arns = {n: listed[n]["InferenceComponentArn"] for n in reading}
        from_bulk = {n for n, arn in arns.items() if bulk is not None and arn in bulk}
        # A component the bulk read did not return has no tag of this project, so only a manifest's
        # own components need their tags read one by one (to see the tags they do have)...
        one_by_one = {n: self._pool.submit(tags_of, self._reads, arns[n]) for n in reading
                      if n not in from_bulk and (bulk is None or n in wanted)}
        # ... unless one of those turns out to be the project's: then the index is behind, and
        # every component it did not return is read, so that ownership (--prune) is never missed.
        if any(f.result().get(PROJECT_TAG) == self._project for f in one_by_one.values()):
            one_by_one |= {n: self._pool.submit(tags_of, self._reads, arns[n]) for n in reading
                           if n not in from_bulk and n not in one_by_one}
        components: dict[str, LiveComponent] = {}
        for name, future in sorted(reading.items()):
            describe = future.result()
            if describe is None:
                continue  # deleted between the list and the describe
            tags = bulk[arns[name]] if bulk is not None and name in from_bulk else \
                one_by_one[name].result() if name in one_by_one else {}
            components[name] = LiveComponent(describe, tags)
        return LiveState(components, dict(sorted(listed.items())),
                         frozenset(from_bulk & components.keys()))
