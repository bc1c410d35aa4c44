"""Fetch live state, all of it before any diffing: list once, then describe and tag-read concurrently."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gitsync import aws


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
    wanted = set(names)
    managed = set(endpoints)
    listed = {s["InferenceComponentName"]: s for s in aws.list_components(clients)
              if s["EndpointName"] in managed or s["InferenceComponentName"] in wanted}
    to_read = sorted(listed) if with_unlisted else sorted(wanted & set(listed))
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        found = list(pool.map(lambda name: _read(clients, name, listed[name]), to_read))
    return LiveState({c.describe["InferenceComponentName"]: c for c in found if c is not None},
                     {name: listed[name] for name in listed})


def _read(clients: aws.Clients, name: str, summary: dict[str, Any]) -> LiveComponent | None:
    describe = aws.describe_component(clients, name)
    if describe is None:
        return None  # deleted between the list and the describe
    return LiveComponent(describe, aws.list_tags(clients, summary["InferenceComponentArn"]))
