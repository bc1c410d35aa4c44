"""`--shard I/N`: a deterministic split of components, so a CI matrix can fan out a large plan.

A component belongs to shard `stable_hash(name) mod N + 1`: the same on every machine and run
(Python's own hash() is salted per process), independent of the other names, so shards are disjoint
and together hold every component.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from gitsync.errors import ConfigError


@dataclass(frozen=True)
class Shard:
    index: int  # from 1
    count: int


def parse(text: str) -> Shard:
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if found is None or not 1 <= int(found[1]) <= int(found[2]):
        raise ConfigError(f"--shard `{text}` must be I/N with 1 <= I <= N, e.g. --shard 2/4")
    return Shard(int(found[1]), int(found[2]))


def index_of(name: str, count: int) -> int:
    """The shard (from 1) that holds `name` among `count`."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def contains(shard: Shard | None, name: str) -> bool:
    """Whether `name` is in `shard` (None: no sharding, every name is)."""
    if shard is None:
        return True
    return index_of(name, shard.count) == shard.index
