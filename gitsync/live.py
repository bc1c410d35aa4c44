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
    wanted, managed = set(names), set(endpoints)
    reads = aws.paced_reads(clients, RateLimiter())
    listed: dict[str, dict[str, Any]] = {}
    pending: list[Future[LiveComponent | None]] = []
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        try:
            for summary in aws.list_components(reads):
                name = summary["InferenceComponentName"]
                if name in listed or not (summary["EndpointName"] in managed or name in wanted):
                    continue
                listed[name] = summary
                if with_unlisted or name in wanted:
                    pending.append(pool.submit(_read, reads, name, summary))
            found = [future.result() for future in pending]
        except BaseException:
            for future in pending:  # one failure (or Ctrl-C) fails the plan: send no more calls
                future.cancel()
            raise
    components = {c.describe["InferenceComponentName"]: c for c in found if c is not None}
    return LiveState(dict(sorted(components.items())), dict(sorted(listed.items())))


def _read(clients: aws.Clients, name: str, summary: dict[str, Any]) -> LiveComponent | None:
    describe = aws.describe_component(clients, name)
    if describe is None:
        return None  # deleted between the list and the describe
    return LiveComponent(describe, aws.list_tags(clients, summary["InferenceComponentArn"]))
