"""Read the components: list once, then describe and read tags concurrently.

The cost of a plan is API calls, so this module makes as few as the API allows and keeps the pipe
full without tripping the account's rate limit:

- one ListInferenceComponents pass (100 a page) finds what exists; only what exists and matters is
  described, and each describe starts as soon as its page arrives, not after the last page;
- tags are read in bulk: one GetResources call (Resource Groups Tagging API) returns 100 tagged
  components, all their tags included, where ListTags reads one component, so a plan costs about
  N + N/100 calls whoever created its components. A component the index does not return has never
  been tagged, unless it is younger than INDEX_LAG (then it is read with ListTags: its tags may not
  be indexed yet); when one of those turns out to be the project's, the index is behind, and every
  component it did not return is read too (ownership decides --prune). Where GetResources is
  refused (no tag:GetResources permission) or returns nothing, every component is read with
  ListTags. The index is eventually consistent, so gather.py reads again with ListTags the tags a
  plan would change or remove on its word (`confirm_tags`). Tags are never skipped: they are
  desired state and say who owns a component (prune).

The listing and the bulk read run on threads of their own from the start; describes and ListTags
on the caller's thread pool (the work is waiting); every call through clients paced by one
RateLimiter (see ratelimit.py).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Self

from gitsync import aws
from gitsync.errors import AwsError, CredentialsError
from gitsync.ratelimit import RateLimiter
from gitsync.state import PROJECT_TAG, Document, LiveComponent

# How long the tagging index may take to show a new component's tags. AWS gives no figure (the
# Resource Groups Tagging API is documented as eventually consistent); minutes are what users
# report. A component older than this that the index does not return has never been tagged.
INDEX_LAG = datetime.timedelta(minutes=15)


@dataclass(frozen=True)
class Components:
    """What a Reader found: described components, list summaries, and which tags came in bulk."""

    components: dict[str, LiveComponent]
    listed: dict[str, Document]
    bulk_tagged: frozenset[str]  # tags from GetResources, which may lag behind a recent change


def fetch(clients: aws.Clients, names: Iterable[str], endpoints: Iterable[str] = (),
          parallelism: int = 16, with_unlisted: bool = True, project: str | None = None,
          rate: float = 0) -> Components:
    """A Reader's reads with their own pool and paced clients; `rate`: calls per second, if known
    (0: learned)."""
    reads = aws.paced_reads(clients, RateLimiter(rate=rate or None))
    with ThreadPoolExecutor(max_workers=max(2, parallelism)) as pool, Reader(reads, pool, project) as reader:
        return reader.finish(set(names), set(endpoints), with_unlisted)


LISTING_GRACE = 5.0  # seconds a failing plan waits for a listing or bulk read in flight


class Stopped(Exception):
    """The plan failed elsewhere: the listing stops."""


class Reader:
    """Reads that start before the manifests are loaded: the listing and the bulk tags at once,
    and each component named with `want` as soon as the listing has shown it exists. `finish`
    reads what else the named components and their endpoints need, and returns it all.

    Loading manifests is CPU and reading is waiting, so the two overlap: a rate-bound plan takes
    about as long as its calls, not the calls plus the manifests."""

    def __init__(self, clients: aws.Clients, pool: ThreadPoolExecutor, project: str | None) -> None:
        self._clients, self._pool, self._project = clients, pool, project
        self._lock = threading.Lock()
        self._listed: dict[str, Document] = {}
        self._wanted: set[str] = set()
        self._reading: dict[str, Future[Document | None]] = {}
        self._closed = threading.Event()
        self._listed_all: Future[None] = Future()
        self._bulk: Future[dict[str, dict[str, str]] | None] = Future()
        # Daemon threads, not pool workers: if the manifests turn out invalid while a call waits on
        # an unreachable endpoint, the error is shown and icsync exits without waiting for it.
        self._threads = [threading.Thread(target=self._list, daemon=True, name="icsync-list"),
                         threading.Thread(target=self._read_bulk, daemon=True, name="icsync-tags")]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        # The listing stops after its current page; a call in flight is waited for, briefly (its
        # endpoint may be why the plan failed), so that no read outlives the command that made it.
        self._closed.set()
        for thread in self._threads:
            thread.join(timeout=LISTING_GRACE)

    def want(self, name: str) -> None:
        with self._lock:
            self._wanted.add(name)
            if name in self._listed:
                self._describe(name)

    def _describe(self, name: str) -> None:
        """Under the lock: describe `name` once."""
        if name not in self._reading:
            self._reading[name] = self._pool.submit(aws.describe_component, self._clients, name)

    def _list(self) -> None:
        try:
            for summary in aws.list_components(self._clients):
                if self._closed.is_set():
                    raise Stopped
                with self._lock:
                    name = summary["InferenceComponentName"]
                    self._listed.setdefault(name, summary)
                    if name in self._wanted:
                        self._describe(name)
        except BaseException as error:  # noqa: BLE001 - handed to the thread that waits for it
            self._listed_all.set_exception(error)
        else:
            self._listed_all.set_result(None)

    def _read_bulk(self) -> None:
        try:
            self._bulk.set_result(_bulk_tags(self._clients, self._project))
        except BaseException as error:  # noqa: BLE001 - handed to the thread that waits for it
            self._bulk.set_exception(error)

    def finish(self, names: set[str], endpoints: set[str], with_unlisted: bool,
               keep: Callable[[str], bool] = lambda _: True) -> Components:
        """The named components, and the components listed on `endpoints` that `keep` selects
        (described too `with_unlisted`, for --prune), each with its tags."""
        for name in names:
            self.want(name)
        self._listed_all.result()
        with self._lock:
            listed = {n: s for n, s in self._listed.items()
                      if n in names or (s["EndpointName"] in endpoints and keep(n))}
            for name in listed:
                if name in names or with_unlisted:
                    self._describe(name)
            reading = {n: f for n, f in self._reading.items() if n in listed}
        return self._with_tags(listed, reading)

    def _with_tags(self, listed: dict[str, Document],
                   reading: dict[str, Future[Document | None]]) -> Components:
        found = self._bulk.result()
        arns = {n: listed[n]["InferenceComponentArn"] for n in reading}
        from_bulk = {n for n, arn in arns.items() if found is not None and arn in found}
        # What the index does not return has never been tagged, unless it was tagged so recently
        # that the index has not caught up: those, and all with no index at all, are read one by one...
        one_by_one = {n: self._pool.submit(tags_of, self._clients, arns[n]) for n in reading
                      if n not in from_bulk and (found is None or _recent(listed[n]))}
        # ... and when one of those turns out to be the project's, the index is behind: every
        # component it did not return is read, so that ownership (--prune) is never missed.
        project = self._project
        if project and any(f.result().get(PROJECT_TAG) == project for f in one_by_one.values()):
            one_by_one |= {n: self._pool.submit(tags_of, self._clients, arns[n]) for n in reading
                           if n not in from_bulk and n not in one_by_one}
        components: dict[str, LiveComponent] = {}
        for name, future in sorted(reading.items()):
            describe = future.result()
            if describe is None:
                continue  # deleted between the list and the describe
            tags = found[arns[name]] if found is not None and name in from_bulk else \
                one_by_one[name].result() if name in one_by_one else {}
            components[name] = LiveComponent(describe, tags)
        return Components(components, dict(sorted(listed.items())),
                          frozenset(from_bulk & components.keys()))


def _recent(summary: Document) -> bool:
    """Created within INDEX_LAG: the tagging index may not have its tags yet."""
    created = summary.get("CreationTime")
    if not isinstance(created, datetime.datetime):
        return True
    return datetime.datetime.now(datetime.UTC) - created < INDEX_LAG


def _bulk_tags(clients: aws.Clients, project: str | None) -> dict[str, dict[str, str]] | None:
    """Tags by ARN of every tagged component; None: no bulk read (ListTags for each). `project`:
    None for a plan of a few named components, for which ListTags is cheaper than every page."""
    if not project:
        return None
    try:
        # Nothing at all, where components exist, is an index that does not cover them: not trusted.
        return aws.tagged_components(clients) or None
    except CredentialsError:
        raise
    except AwsError:
        return None  # e.g. AccessDenied for tag:GetResources: ListTags each


def confirm_tags(clients: aws.Clients, pool: ThreadPoolExecutor, found: Components,
                 names: Iterable[str]) -> Components:
    """The tags of `names` read again with ListTags, which is consistent where the bulk read may
    lag: for the components whose plan turns on their tags."""
    doubtful = sorted(n for n in names if n in found.bulk_tagged and n in found.components)
    if not doubtful:
        return found
    tags = dict(zip(doubtful, pool.map(
        lambda n: tags_of(clients, found.components[n].describe["InferenceComponentArn"]), doubtful)))
    components = {n: LiveComponent(c.describe, tags[n]) if n in tags else c
                  for n, c in found.components.items()}
    return Components(components, found.listed, found.bulk_tagged - set(doubtful))


def tags_of(clients: aws.Clients, arn: str) -> dict[str, str]:
    """ListTags; none for a component deleted since it was listed (its describe says it is gone)."""
    try:
        return aws.list_tags(clients, arn)
    except AwsError as error:
        if aws.is_not_found(error):
            return {}
        raise
