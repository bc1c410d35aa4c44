"""AWS's refusals around inference components, each with the evidence it follows.

Where a source shows AWS's words they are used as they are; where only the gist is known the
message keeps the known part, so that code matching on it (as the Terraform provider does) works.
"""

from __future__ import annotations

from typing import Any

from gitsync.sandbox import instances
from gitsync.sandbox.instances import Resources
from gitsync.sandbox.state import Account, ApiError, validation
from gitsync.sandbox.timing import is_adapter

# Public deployment notes for a component on ml.g5.xlarge quote this refusal, given at once by
# CreateInferenceComponent when the requested ComputeResourceRequirements cannot be placed.
NO_ROOM = ("There is not enough hardware resources on the instances for this endpoint to create a "
           "copy of the inference component.")


def variant_of(account: Account, endpoint: dict[str, Any], variant: str) -> dict[str, Any]:
    """The endpoint config's ProductionVariant named `variant` ({} when the config is gone)."""
    config = account.endpoint_configs.get(endpoint.get("EndpointConfigName", ""), {})
    found = [v for v in config.get("ProductionVariants", []) if v["VariantName"] == variant]
    return found[0] if found else {}


def require_component_endpoint(account: Account, endpoint: dict[str, Any], variant: str) -> None:
    """A variant that serves a model (ModelName on the ProductionVariant) takes no components.
    AWS's answer, as quoted in the Terraform AWS provider's issue #40644: "Invalid request
    provided: Inference Components are not supported in this Endpoint. Please make sure this
    endpoint can deploy inference components." """
    if variant_of(account, endpoint, variant).get("ModelName"):
        raise validation("Invalid request provided: Inference Components are not supported in this "
                         "Endpoint. Please make sure this endpoint can deploy inference components.")


def require_copies(params: dict[str, Any]) -> None:
    """A component is created with at least one copy (botocore's shape allows 0; AWS does not):
    "Inference components copy count an integer larger than 0", as a run against AWS reported
    (stdapi-ai/stdapi.ai issue #43). Auto scaling may take it to 0 later."""
    if params.get("RuntimeConfig", {}).get("CopyCount") == 0:
        raise validation("Inference components copy count an integer larger than 0")


def require_no_adapters(account: Account, name: str) -> None:
    """A base goes only after its adapters are gone, Deleting ones included. The Terraform AWS
    provider (internal/service/sagemaker/inference_component.go) retries a delete refused with
    a ValidationException containing "is a base inference component for one or more associated"."""
    adapters = sorted(n for n, c in account.components.items()
                      if c.get("Specification", {}).get("BaseInferenceComponentName") == name)
    if adapters:
        raise validation(f"Inference component {name} is a base inference component for one or more "
                         f"associated inference components ({', '.join(adapters)}); delete them first.")


def require_update_content(params: dict[str, Any]) -> None:
    """UpdateInferenceComponent needs a Specification(s) or RuntimeConfig: the Terraform AWS
    provider (inference_component.go, resourceInferenceComponentUpdate) notes that AWS rejects
    a request carrying only the name or only a DeploymentConfig."""
    if not any(key in params for key in ("Specification", "Specifications", "RuntimeConfig")):
        raise validation("UpdateInferenceComponent needs Specification, Specifications or "
                         "RuntimeConfig; a request with only the name or a DeploymentConfig changes nothing.")


# Every status DescribeEndpoint can show (botocore's EndpointStatus), for a seeded endpoint.
ENDPOINT_STATUSES = ("OutOfService", "Creating", "Updating", "SystemUpdating", "RollingBack",
                     "InService", "Deleting", "Failed", "UpdateRollbackFailed")


def require_endpoint_ready(account: Account, endpoint: dict[str, Any], action: str, name: str) -> None:
    """Copies are placed only on an endpoint whose instances run. AWS refuses work on an endpoint in
    progress ("Cannot update in-progress endpoint", matched on a ValidationException by the
    SageMaker operator for Kubernetes, aws/amazon-sagemaker-operator-for-k8s, package clientwrapper),
    and an endpoint that is Creating, Failed, OutOfService, RollingBack or being deleted has no
    instances to place on. Updating is also what AWS shows while managed scaling adds instances for
    a component (ic_rolling_deployment.ipynb, below), so whether it refuses then is unknown: the
    switch endpoint_updating_refuses_components. The words are the sandbox's own (none seen)."""
    status = str(endpoint.get("EndpointStatus", "InService"))
    if status == "InService" or (status in ("Updating", "SystemUpdating")
                                 and not account.switches.endpoint_updating_refuses_components):
        return
    raise validation(f"Cannot {action} inference component {name} while endpoint "
                     f"{endpoint['EndpointName']} is in status {status}.")


def require_room(account: Account, candidate: dict[str, Any]) -> int:
    """Every copy of every component on the candidate's variant must fit on one instance, with the
    variant at its largest: ManagedInstanceScaling's MaxInstanceCount when enabled, else its
    count. Copies are placed largest first, each on the first instance with room. The instances
    they need when that is more than the variant has or is scaling to, else 0: managed scaling then
    adds them (scaling.grow)."""
    found = _variant_room(account, candidate)
    if found is None or is_adapter(candidate):
        return 0
    size, running, others = found
    needs = [*others, (_per_copy(candidate), _copy_count(candidate))]
    current = target_count(running)
    if _surely_fits(needs, size, current):
        return 0
    used = _instances_used(needs, size, _largest_count(running))
    return used if used > current else 0


def surge_instances(account: Account, before: dict[str, Any], after: dict[str, Any],
                    deployment: dict[str, Any] | None) -> int | None:
    """The instances a specification update needs while its first batch of new copies runs beside
    every copy still running (0: no more than the variant has), None when it finds no room for its first batch of new copies beside every
    copy still running, the old ones included: AWS places a batch before it removes old copies.

    The API reference (InferenceComponentRollingUpdatePolicy, MaximumBatchSize): "For each step,
    SageMaker AI provisions capacity on the new endpoint fleet, routes traffic to that fleet, and
    terminates capacity on the old endpoint fleet." Without a rolling policy the update is blue/green,
    every new copy at once, which "requires provisioning resources for both the current (blue) and
    new (green) environments simultaneously" (AWS Machine Learning Blog, "Enhance deployment
    guardrails with inference component rolling updates for Amazon SageMaker AI inference",
    2025-03-26). A saved run shows managed scaling adding an instance for the batch: 2 copies of one
    GPU each on 1-GPU instances, MaximumBatchSize 1 copy, went from 2 to 3 instances during the update
    and back to 2 after (aws-samples/sagemaker-genai-hosting-examples,
    03-features/deployment/ic_rolling_deployment.ipynb)."""
    found = _variant_room(account, after)
    if found is None or is_adapter(after):
        return 0
    size, running, others = found
    batch = surge_batch(deployment, _copy_count(after))
    needs = [*others, (_per_copy(before), _copy_count(before)), (_per_copy(after), batch)]
    current = target_count(running)
    if _surely_fits(needs, size, current):
        return 0
    try:
        used = _instances_used(needs, size, _largest_count(running))
    except ApiError:
        return None
    return used if used > current else 0


def instances_needed(account: Account, endpoint: dict[str, Any], variant: dict[str, Any]) -> int | None:
    """The instances the copies now on a managed variant take, within its MinInstanceCount and
    MaxInstanceCount (no copies: MinInstanceCount, even 0); None when the sandbox cannot tell."""
    size = instances.per_instance(variant_of(account, endpoint, variant["VariantName"]).get("InstanceType", ""))
    if size is None:
        return None
    if account.switches.host_reserves_memory:
        size = Resources(size.accelerators, size.cpus, size.memory_mib * (1 - instances.HOST_MEMORY_SHARE))
    first = _first_variant(endpoint)
    needs = [(_per_copy(c), _copy_count(c)) for c in account.components.values()
             if c["EndpointName"] == endpoint["EndpointName"] and not is_adapter(c)
             and c.get("VariantName", first) == variant["VariantName"]]
    scaling = variant["ManagedInstanceScaling"]
    try:
        used = _instances_used(needs, size, _largest_count(variant))
    except ApiError:
        return None
    used = max(used, int(scaling.get("MinInstanceCount", 1)))
    return min(used, int(scaling.get("MaxInstanceCount", used)))


def surge_batch(deployment: dict[str, Any] | None, copies: int) -> int:
    """Copies an update places at once: MaximumBatchSize (copies, or a percent of the copy count,
    at least one), else every copy (blue/green)."""
    size = ((deployment or {}).get("RollingUpdatePolicy") or {}).get("MaximumBatchSize")
    if not size:
        return copies
    if size.get("Type") == "CAPACITY_PERCENT":
        return max(1, copies * int(size["Value"]) // 100)
    return min(copies, int(size["Value"]))


def _variant_room(account: Account, candidate: dict[str, Any]
                  ) -> tuple[Resources, dict[str, Any], list[tuple[Resources, int]]] | None:
    """What one instance of the candidate's variant offers, the variant as DescribeEndpoint shows
    it, and the needs of the other components on it; None when the sandbox cannot tell."""
    endpoint = account.endpoints.get(candidate["EndpointName"], {})
    variant_name = candidate.get("VariantName") or _first_variant(endpoint)
    size = instances.per_instance(variant_of(account, endpoint, variant_name).get("InstanceType", ""))
    running = next((v for v in endpoint.get("ProductionVariants", []) if v["VariantName"] == variant_name), None)
    if size is None or running is None:
        return None
    if account.switches.host_reserves_memory:
        size = Resources(size.accelerators, size.cpus, size.memory_mib * (1 - instances.HOST_MEMORY_SHARE))
    others = []
    for name, component in account.components.items():
        if name == candidate["InferenceComponentName"] or component["EndpointName"] != candidate["EndpointName"] \
                or component.get("VariantName", variant_name) != variant_name or is_adapter(component):
            continue
        others.append((_per_copy(component), _copy_count(component)))
        pending = account.pending.get(name)
        if pending is not None and pending.old_copies:  # an update under way keeps its old copies
            others.append((_per_copy(pending.old_copies), _copy_count(pending.old_copies)))
    return size, running, others


def _instances_used(needs: list[tuple[Resources, int]], size: Resources, count: int) -> int:
    """How many of `count` instances the copies take, placed largest first on the first with room."""
    copies = sorted((need for need, times in needs for _ in range(times)), key=_weight, reverse=True)
    free = [size] * count
    for need in copies:
        slot = next((i for i, left in enumerate(free) if need.within(left)), None)
        if slot is None:
            raise validation(NO_ROOM)
        left = free[slot]
        free[slot] = Resources(left.accelerators - need.accelerators, left.cpus - need.cpus,
                               left.memory_mib - need.memory_mib)
    return sum(1 for left in free if left != size)


def _surely_fits(needs: list[tuple[Resources, int]], size: Resources, count: int) -> bool:
    """A quick yes for the common roomy endpoint, without placing each copy.

    If a copy needing at most `m` found no instance, every instance would have some resource d
    with more than size_d - m_d in use, so the sum over d of used_d / (size_d - m_d) would exceed
    `count`. A sum at most `count` therefore means every copy finds room (placed in any order)."""
    dimensions = ("accelerators", "cpus", "memory_mib")
    load = 0.0
    for dimension in dimensions:
        total = sum(getattr(need, dimension) * times for need, times in needs)
        largest = max((getattr(need, dimension) for need, times in needs if times), default=0)
        room = getattr(size, dimension) - largest
        if total and room <= 0:
            return False
        load += total / room if total else 0.0
    return load <= count


def _first_variant(endpoint: dict[str, Any]) -> str:
    variants = endpoint.get("ProductionVariants") or [{}]
    return str(variants[0].get("VariantName", ""))


def target_count(variant: dict[str, Any]) -> int:
    """The instances a variant has or is scaling to: DesiredInstanceCount while managed scaling
    adds or releases instances, as DescribeEndpoint shows (ic_rolling_deployment.ipynb: Current 1,
    Desired 2), else CurrentInstanceCount."""
    return int(variant.get("DesiredInstanceCount", variant.get("CurrentInstanceCount", 1)))


def _largest_count(variant: dict[str, Any]) -> int:
    scaling = variant.get("ManagedInstanceScaling") or {}
    current = target_count(variant)
    if scaling.get("Status") == "ENABLED":
        return max(current, int(scaling.get("MaxInstanceCount", current)))
    return current


def _copy_count(component: dict[str, Any]) -> int:
    return int(component.get("RuntimeConfig", {}).get("DesiredCopyCount", 1))


def _per_copy(component: dict[str, Any]) -> Resources:
    specs = component.get("Specifications") or [component.get("Specification", {})]
    total = Resources()
    for spec in specs:
        need = spec.get("ComputeResourceRequirements", {})
        total = total.plus(Resources(need.get("NumberOfAcceleratorDevicesRequired", 0),
                                     need.get("NumberOfCpuCoresRequired", 0),
                                     need.get("MinMemoryRequiredInMb", 0)))
    return total


def _weight(need: Resources) -> tuple[float, float, float]:
    return (need.accelerators, need.memory_mib, need.cpus)
