"""Behaviours of AWS that nobody has verified, as named switches (all off by default).

Each one is something a real account might do that would change what icsync sees; tests turn
them on to prove icsync is right under either answer. Set them from the seed (`switches:`), the
control API (`POST /_sandbox/switches`) or `Sandbox.set_switches(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass
class Switches:
    # DescribeInferenceComponent of an adapter shows its base's ComputeResourceRequirements and
    # VariantName, although the adapter was created without them.
    adapter_echoes_base_compute: bool = False
    # Specification.DataCacheConfig ({"EnableCaching": false}) comes back though never set.
    data_cache_config_when_unset: bool = False
    # A FailureReason stays on a component after a later deployment succeeds.
    failure_reason_sticks: bool = False
    # CreateInferenceComponent refuses VariantName on an adapter (it runs on its base's variant).
    adapter_variant_refused: bool = False
    # CreateInferenceComponent refuses a component (not an adapter) without VariantName.
    variant_name_required: bool = False
    # An UpdateInferenceComponent whose first batch of new copies finds no room beside the running
    # copies (rules.surge_instances) is accepted, then its deployment fails and rolls back with a
    # FailureReason; off, it is refused at the call, as a create without room is.
    surge_shortage_rolls_back: bool = False
    # The host keeps part of each instance's memory (instances.HOST_MEMORY_SHARE) from the copies.
    host_reserves_memory: bool = False
    # CreateInferenceComponent and UpdateInferenceComponent(RuntimeConfig) are refused while the
    # endpoint is Updating or SystemUpdating (other states that are not InService always are).
    endpoint_updating_refuses_components: bool = False
    # The endpoint shows Updating for as long as any of its components is being created, updated or
    # deleted, not only while managed instance scaling adds or releases instances (scaling.py). A
    # saved run shows it Updating mid-update just as its instances reached 3: either answer fits.
    endpoint_updating_while_deploying: bool = False

    def update(self, values: dict[str, Any]) -> None:
        """Set the named switches; an unknown name or a value that is not a boolean is refused."""
        known = names()
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown switch {name!r}; switches: {', '.join(known)}")
            if not isinstance(value, bool):
                raise TypeError(f"switch {name} must be true or false, not {value!r}")
        for name, value in values.items():
            setattr(self, name, value)


def names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Switches))
