"""What one instance of each ML instance type offers, from icsync's instance table.

A pure reader of `gitsync/data/instance_types.json` (the table icsync's own capacity check uses),
kept here so that the sandbox loads none of icsync's planning code.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

# Under the switch host_reserves_memory: the share of each instance's memory the host keeps for
# itself. AWS publishes no figure; a tenth is a guess that makes a copy asking for an instance's
# whole memory fail, as a copy sized to the last MiB would on any host that runs an agent.
HOST_MEMORY_SHARE = 0.10


@dataclass(frozen=True)
class Resources:
    accelerators: float = 0
    cpus: float = 0
    memory_mib: float = 0

    def plus(self, other: Resources) -> Resources:
        return Resources(self.accelerators + other.accelerators, self.cpus + other.cpus,
                         self.memory_mib + other.memory_mib)

    def within(self, limit: Resources) -> bool:
        return (self.accelerators <= limit.accelerators and self.cpus <= limit.cpus
                and self.memory_mib <= limit.memory_mib)


@functools.cache
def table() -> dict[str, Resources]:
    text = resources.files("gitsync").joinpath("data/instance_types.json").read_text()
    rows = json.loads(text)["instance_types"]
    return {name: Resources(row["accelerators"], row["vcpus"], row["memory_mib"])
            for name, row in rows.items()}


def per_instance(instance_type: str) -> Resources | None:
    """None for a type the table does not list: the sandbox then cannot tell, and places anything."""
    return table().get(instance_type)
