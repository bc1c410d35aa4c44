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

The calls run on the caller's thread pool (the work is waiting), through clients paced by one
RateLimiter (see ratelimit.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

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
    """What `read` found: described components, list summaries, and which tags came in bulk."""

    components: dict[str, LiveComponent]
    listed: dict[str, Document]
    bulk_tagged: frozenset[str]  # tags from GetResources, which may lag behind a recent change


def fetch(clients: aws.Clients, names: Iterable[str], endpoints: Iterable[str] = (),
          parallelism: int = 16, with_unlisted: bool = True, project: str | None = None,
          rate: float = 0) -> Components:
    """`read` with its own pool and paced clients; `rate`: calls per second, if known (0: learned)."""
    reads = aws.paced_reads(clients, RateLimiter(rate=rate or None))
    with ThreadPoolExecutor(max_workers=max(2, parallelism)) as pool:
        return read(reads, pool, set(names), set(endpoints), with_unlisted, project)


def read(clients: aws.Clients, pool: ThreadPoolExecutor, names: set[str], endpoints: set[str],
         with_unlisted: bool, project: str | None,
         keep: Callable[[str], bool] = lambda _: True) -> Components:
    """The named components, and the components listed on `endpoints` that `keep` selects (described
    too `with_unlisted`, for --prune); with `project`, tags are read in bulk."""
    bulk = pool.submit(_bulk_tags, clients, project)
    listed: dict[str, Document] = {}
    reading: dict[str, Future[Document | None]] = {}
    for summary in aws.list_components(clients):
        name = summary["InferenceComponentName"]
        if name in listed or not (name in names or (summary["EndpointName"] in endpoints and keep(name))):
            continue
        listed[name] = summary
        if name in names or with_unlisted:
            reading[name] = pool.submit(aws.describe_component, clients, name)
    found = bulk.result()
    arns = {n: listed[n]["InferenceComponentArn"] for n in reading}
    from_bulk = {n for n, arn in arns.items() if found is not None and arn in found}
    # What the index does not return has never been tagged, unless it was tagged so recently that
    # the index has not caught up: those, and all with no index at all, are read one by one...
    one_by_one = {n: pool.submit(tags_of, clients, arns[n]) for n in reading
                  if n not in from_bulk and (found is None or _recent(listed[n]))}
    # ... and when one of those turns out to be the project's, the index is behind: every
    # component it did not return is read, so that ownership (--prune) is never missed.
    if project and any(f.result().get(PROJECT_TAG) == project for f in one_by_one.values()):
        one_by_one |= {n: pool.submit(tags_of, clients, arns[n]) for n in reading
                       if n not in from_bulk and n not in one_by_one}
    components: dict[str, LiveComponent] = {}
    for name, future in sorted(reading.items()):
        describe = future.result()
        if describe is None:
            continue  # deleted between the list and the describe
        tags = found[arns[name]] if found is not None and name in from_bulk else \
            one_by_one[name].result() if name in one_by_one else {}
        components[name] = LiveComponent(describe, tags)
    return Components(components, dict(sorted(listed.items())), frozenset(from_bulk & components.keys()))


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
