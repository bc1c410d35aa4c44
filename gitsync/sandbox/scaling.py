"""Managed instance scaling: a variant's instance count follows the copies placed on it.

With ManagedInstanceScaling ENABLED, copies that need more instances than run make SageMaker add
them, up to MaxInstanceCount: DescribeEndpoint shows DesiredInstanceCount at once, the endpoint
Updating, and CurrentInstanceCount once they run. Instances left without copies are released down
to MinInstanceCount after a while, the endpoint Updating as they go; then it is InService again.
Without managed scaling the count never changes.

Evidence. A saved run (aws-samples/sagemaker-genai-hosting-examples,
03-features/deployment/ic_rolling_deployment.ipynb) shows each step on an endpoint of 1-GPU
instances: a create of 2 one-GPU copies on 1 instance (EndpointStatus Updating, Current 1, Desired
2); a rolling update of batch 1 running on 3 instances (Updating, 3 and 3); and after it, the extra
instance released (Updating, 2 and 2, about ten minutes after the update ended). The API reference
(ProductionVariantManagedInstanceScaling) calls MinInstanceCount "The minimum number of instances
that the endpoint must retain when it scales down to accommodate a decrease in traffic", and its
ScaleInPolicy's IDLE_RELEASE strategy "Releases instances that have no hosted inference component
copies"; CONSOLIDATION waits CooldownInMinutes ("after the last endpoint operation before the
endpoint evaluates consolidation scale-in opportunities", default 20). The sandbox counts the
instances the remaining copies need (placed afresh, largest first), as consolidation would.

Lazy, as the components' transitions are: `refresh` brings an endpoint up to now when it is read.
"""

from __future__ import annotations

from typing import Any

from gitsync.sandbox import rules, timing
from gitsync.sandbox.state import Account, clock

CONSOLIDATION_COOLDOWN_MINUTES = 20  # the API reference's default CooldownInMinutes


def grow(account: Account, endpoint: dict[str, Any], variant_name: str, count: int) -> None:
    """Managed scaling adds instances up to `count` for copies just placed (rules.require_room)."""
    variant = _managed(endpoint, variant_name)
    if variant is None or count <= rules.target_count(variant):
        return
    now = clock()
    variant["DesiredInstanceCount"] = count
    account.resizes[_key(endpoint, variant)] = {
        "count": count, "starts": now, "until": now + account.timing.seconds(timing.INSTANCES_ADDED)}
    refresh(account, endpoint, now)


def refresh(account: Account, endpoint: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The endpoint as it stands at `now`: finished transitions settled, instances added or
    released, its status Updating while they are."""
    now = clock() if now is None else now
    account.settle(now)
    changed = now
    for variant in endpoint.get("ProductionVariants", []):
        if _managed(endpoint, variant["VariantName"]) is None:
            continue
        key = _key(endpoint, variant)
        resize = account.resizes.get(key) or _release_due(account, endpoint, variant, now)
        if resize is None or resize["starts"] > now:
            continue
        variant["DesiredInstanceCount"], changed = resize["count"], resize["starts"]
        if resize["until"] <= now:
            variant["CurrentInstanceCount"], changed = resize["count"], resize["until"]
            del account.resizes[key]
    _show_status(account, endpoint, changed)
    return endpoint


def _show_status(account: Account, endpoint: dict[str, Any], at: float) -> None:
    """Updating while instances are added or released (under the switch
    endpoint_updating_while_deploying also while any of its components deploys), InService after;
    a status the sandbox did not set (a seeded one) stays."""
    name = endpoint["EndpointName"]
    busy = _scaling(account, endpoint) or account.switches.endpoint_updating_while_deploying and any(
        account.components[c]["EndpointName"] == name for c in account.pending)
    status = endpoint["EndpointStatus"]
    if busy and status == "InService":
        endpoint["EndpointStatus"], endpoint["LastModifiedTime"] = "Updating", at
        account.shown_updating[name] = at
    elif not busy and status == "Updating" and account.shown_updating.pop(name, None) is not None:
        endpoint["EndpointStatus"], endpoint["LastModifiedTime"] = "InService", at


def forget(account: Account, endpoint_name: str) -> None:
    """A deleted endpoint scales no more."""
    for key in [k for k in account.resizes if k.split("/", 1)[0] == endpoint_name]:
        del account.resizes[key]
    account.quiet_since.pop(endpoint_name, None)
    account.shown_updating.pop(endpoint_name, None)


def _release_due(account: Account, endpoint: dict[str, Any], variant: dict[str, Any],
                 now: float) -> dict[str, Any] | None:
    """The release of instances the copies no longer need, once the variant has been quiet (no
    component on the endpoint deploying) for the idle time; None if none is due by `now`."""
    scaling = variant["ManagedInstanceScaling"]
    current = rules.target_count(variant)
    if current <= int(scaling.get("MinInstanceCount", 1)):
        return None  # already at the floor: no placement to work out
    name = endpoint["EndpointName"]
    if any(account.components[c]["EndpointName"] == name for c in account.pending):
        return None  # copies in flux: the idle time starts when the last deployment ends
    quiet = account.quiet_since.get(name)
    if quiet is None:
        return None  # no deployment yet: the sandbox keeps the endpoint as it was created
    starts = quiet + account.timing.seconds(_idle_seconds(scaling))
    if starts > now:
        return None
    needed = rules.instances_needed(account, endpoint, variant)
    if needed is None or needed >= current:
        return None
    resize = {"count": needed, "starts": starts,
              "until": starts + account.timing.seconds(timing.INSTANCES_RELEASED)}
    account.resizes[_key(endpoint, variant)] = resize
    return resize


def _idle_seconds(scaling: dict[str, Any]) -> float:
    policy = scaling.get("ScaleInPolicy") or {}
    if policy.get("Strategy") == "CONSOLIDATION":
        return 60.0 * int(policy.get("CooldownInMinutes", CONSOLIDATION_COOLDOWN_MINUTES))
    return timing.IDLE_RELEASE


def _managed(endpoint: dict[str, Any], variant_name: str) -> dict[str, Any] | None:
    found = next((v for v in endpoint.get("ProductionVariants", []) if v["VariantName"] == variant_name), None)
    if found is None or (found.get("ManagedInstanceScaling") or {}).get("Status") != "ENABLED":
        return None
    return found


def _scaling(account: Account, endpoint: dict[str, Any]) -> bool:
    return any(k.split("/", 1)[0] == endpoint["EndpointName"] for k in account.resizes)


def _key(endpoint: dict[str, Any], variant: dict[str, Any]) -> str:
    return f"{endpoint['EndpointName']}/{variant['VariantName']}"
