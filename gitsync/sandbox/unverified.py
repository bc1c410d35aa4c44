"""The unverified behaviours (switches.py) applied: refusals at create, extra fields at describe."""

from __future__ import annotations

import copy
from typing import Any

from gitsync.sandbox.state import Account, validation


def check_variant_name(account: Account, params: dict[str, Any], adapter: bool) -> None:
    switches = account.switches
    if adapter and "VariantName" in params and switches.adapter_variant_refused:
        raise validation("VariantName cannot be specified for an adapter inference component; it "
                         "runs on the variant of its base inference component.")
    if not adapter and "VariantName" not in params and switches.variant_name_required:
        raise validation("VariantName is required for an inference component that is not an adapter.")


def presented(account: Account, component: dict[str, Any]) -> dict[str, Any]:
    """A copy of the stored component, as DescribeInferenceComponent shows it under the switches."""
    shown = copy.deepcopy(component)
    spec = shown.get("Specification")
    if spec is None:
        return shown
    base = account.components.get(spec.get("BaseInferenceComponentName", ""))
    if base is not None and account.switches.adapter_echoes_base_compute:
        compute = base.get("Specification", {}).get("ComputeResourceRequirements")
        if compute is not None:
            spec.setdefault("ComputeResourceRequirements", copy.deepcopy(compute))
        if "VariantName" in base:
            shown["VariantName"] = base["VariantName"]
    if account.switches.data_cache_config_when_unset:
        spec.setdefault("DataCacheConfig", {"EnableCaching": False})
    return shown
