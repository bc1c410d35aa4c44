"""The six inference-component operations, with AWS's rules for references, status and deployments.

Requests arrive already validated against botocore's input shapes.
"""

from __future__ import annotations

import copy
from typing import Any

from gitsync.sandbox import rules, scaling, timing, unverified
from gitsync.sandbox.operations import (
    Handler,
    describe_endpoint,
    not_found,
    paginate,
    registrar,
    store_tags,
)
from gitsync.sandbox.state import Account, clock, validation

HANDLERS: dict[str, Handler] = {}
handles = registrar(HANDLERS)


def _check_references(account: Account, name: str, spec: dict[str, Any]) -> None:
    model = spec.get("ModelName")
    if model and model not in account.models:
        raise not_found("model", account.arn("model", model))
    base = spec.get("BaseInferenceComponentName")
    if base and base not in account.components:
        raise not_found("inference component", account.arn("inference-component", base))


def _specs(params: dict[str, Any]) -> list[dict[str, Any]]:
    if "Specification" in params and "Specifications" in params:
        raise validation("Specify either Specification or Specifications, not both.")
    return [params["Specification"]] if "Specification" in params else params.get("Specifications", [])


def _deployed(account: Account, params: dict[str, Any], now: float) -> dict[str, Any]:
    if "Specification" in params:
        return {"Specification": account.deployed_spec(params["Specification"], now)}
    return {"Specifications": [account.deployed_spec(s, now) for s in params["Specifications"]]}


@handles
def create_inference_component(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    account.settle()
    name = params["InferenceComponentName"]
    arn = account.arn("inference-component", name)
    if name in account.components:
        raise validation(f'Cannot create already existing inference component "{arn}".')
    endpoint = describe_endpoint(account, {"EndpointName": params["EndpointName"]})
    rules.require_endpoint_ready(account, endpoint, "create", name)
    specs = _specs(params)
    if not specs:
        raise validation("Specification is required.")
    rules.require_copies(params)
    variant = _variant(account, params, endpoint, any(s.get("BaseInferenceComponentName") for s in specs))
    for spec in specs:
        _check_references(account, name, spec)
    now = clock()
    component = {
        "InferenceComponentName": name,
        "InferenceComponentArn": arn,
        "EndpointName": params["EndpointName"],
        "EndpointArn": endpoint["EndpointArn"],
        "VariantName": variant,
        **_deployed(account, params, now),
        "CreationTime": now,
        "LastModifiedTime": now,
        "InferenceComponentStatus": "Creating",
    }
    if "RuntimeConfig" in params:
        component["RuntimeConfig"] = {"DesiredCopyCount": params["RuntimeConfig"]["CopyCount"],
                                      "CurrentCopyCount": 0}
    grown = rules.require_room(account, component)
    account.components[name] = component
    scaling.grow(account, account.endpoints[params["EndpointName"]], variant, grown)
    store_tags(account, arn, params.get("Tags", []))
    failure = account.fail_next_deployment.pop(name, None)
    account.begin(name, "Creating", "Failed" if failure else "InService", failure=failure,
                  real_seconds=timing.create(component))
    return {"InferenceComponentArn": arn}


def _variant(account: Account, params: dict[str, Any], endpoint: dict[str, Any], adapter: bool) -> str:
    """The variant a new component goes on (the endpoint's first unless named), if it takes one."""
    unverified.check_variant_name(account, params, adapter)
    variants = [v["VariantName"] for v in endpoint["ProductionVariants"]]
    variant = str(params.get("VariantName", variants[0]))
    if variant not in variants:
        raise validation(f"Could not find variant {variant} on endpoint {params['EndpointName']}.")
    rules.require_component_endpoint(account, endpoint, variant)
    return variant


@handles
def describe_inference_component(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    return unverified.presented(account, account.component(params["InferenceComponentName"]))


_DEPLOYED = ("Specification", "Specifications", "RuntimeConfig")


@handles
def update_inference_component(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["InferenceComponentName"]
    component = account.require_in_service(name, "update")
    rules.require_endpoint_ready(account, _endpoint_of(account, component), "update", name)
    rules.require_update_content(params)
    specs = _specs(params)
    for spec in specs:
        _check_references(account, name, spec)
    # What a failed deployment rolls back to: the whole previous deployment.
    previous = {k: copy.deepcopy(component[k]) for k in _DEPLOYED if k in component}
    updated = copy.deepcopy(component)
    if specs:
        for key in ("Specification", "Specifications"):
            updated.pop(key, None)
        updated.update(_deployed(account, params, clock()))
    if "RuntimeConfig" in params:
        updated.setdefault("RuntimeConfig", {})["DesiredCopyCount"] = params["RuntimeConfig"]["CopyCount"]
    if "DeploymentConfig" in params:
        updated["LastDeploymentConfig"] = copy.deepcopy(params["DeploymentConfig"])
    surge = rules.surge_instances(account, component, updated, params.get("DeploymentConfig")) if specs else 0
    short = surge is None
    if short and not account.switches.surge_shortage_rolls_back:
        raise validation(rules.NO_ROOM)
    grown = max(rules.require_room(account, updated), surge or 0)
    failure = account.fail_next_deployment.pop(name, None) or (rules.NO_ROOM if short else None)
    component.clear()
    component.update(updated)
    seconds = timing.update(component, params.get("DeploymentConfig")) if specs else \
        timing.runtime(_copies(previous), _copies(component))
    account.begin(name, "Updating", "InService", failure=failure,
                  rollback=previous if failure else None, real_seconds=seconds,
                  old_copies=previous if specs else None)
    if not short:  # the new batch beside the old copies; a shortage that rolls back adds nothing
        scaling.grow(account, _endpoint_of(account, component), component.get("VariantName", ""), grown)
    return {"InferenceComponentArn": component["InferenceComponentArn"]}


@handles
def update_inference_component_runtime_config(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["InferenceComponentName"]
    component = account.require_in_service(name, "update")
    rules.require_endpoint_ready(account, _endpoint_of(account, component), "update", name)
    before = _copies(component)
    updated = copy.deepcopy(component)
    runtime = updated.setdefault("RuntimeConfig", {})
    runtime["DesiredCopyCount"] = params["DesiredRuntimeConfig"]["CopyCount"]
    runtime.setdefault("CurrentCopyCount", 0)
    grown = rules.require_room(account, updated)
    component.clear()
    component.update(updated)
    scaling.grow(account, _endpoint_of(account, component), component.get("VariantName", ""), grown)
    # AWS names a copy-count change UPDATE_RC_IN_PROGRESS in the refusals it gives meanwhile.
    account.begin(name, "Updating", "InService", state="UPDATE_RC_IN_PROGRESS",
                  real_seconds=timing.runtime(before, _copies(component)))
    return {"InferenceComponentArn": component["InferenceComponentArn"]}


def _endpoint_of(account: Account, component: dict[str, Any]) -> dict[str, Any]:
    """The component's endpoint as it stands now (scaling.refresh), or just its name once deleted."""
    endpoint = account.endpoints.get(component["EndpointName"])
    if endpoint is None:
        return {"EndpointName": component["EndpointName"], "ProductionVariants": []}
    return scaling.refresh(account, endpoint)


def _copies(deployed: dict[str, Any]) -> int:
    return int(deployed.get("RuntimeConfig", {}).get("DesiredCopyCount", 0))


@handles
def delete_inference_component(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["InferenceComponentName"]
    component = account.require_in_service(name, "delete")
    _endpoint_of(account, component)  # a release due before this delete starts before it
    rules.require_no_adapters(account, name)
    account.begin(name, "Deleting", None, real_seconds=timing.delete(component))
    return {}


_SORT_KEYS = {"Name": "InferenceComponentName", "CreationTime": "CreationTime",
              "Status": "InferenceComponentStatus"}
_SUMMARY_KEYS = ("CreationTime", "InferenceComponentArn", "InferenceComponentName", "EndpointArn",
                 "EndpointName", "VariantName", "InferenceComponentStatus", "LastModifiedTime")


@handles
def list_inference_components(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    account.settle()
    items = [c for c in account.components.values() if _listed(c, params)]
    key = _SORT_KEYS[params.get("SortBy", "CreationTime")]
    items.sort(key=lambda c: (c.get(key), c["InferenceComponentName"]),
               reverse=params.get("SortOrder", "Descending") == "Descending")
    page, token = paginate(items, params.get("NextToken"), params.get("MaxResults", 10))
    shown = [unverified.presented(account, c) for c in page]
    summaries = [{k: c[k] for k in _SUMMARY_KEYS if k in c} for c in shown]
    return {"InferenceComponents": summaries, **({"NextToken": token} if token else {})}


def _listed(component: dict[str, Any], params: dict[str, Any]) -> bool:
    checks = (
        ("EndpointNameEquals", lambda v: component["EndpointName"] == v),
        ("VariantNameEquals", lambda v: component.get("VariantName") == v),
        ("StatusEquals", lambda v: component["InferenceComponentStatus"] == v),
        ("NameContains", lambda v: v.lower() in component["InferenceComponentName"].lower()),
        ("CreationTimeBefore", lambda v: component["CreationTime"] < v),
        ("CreationTimeAfter", lambda v: component["CreationTime"] > v),
        ("LastModifiedTimeBefore", lambda v: component["LastModifiedTime"] < v),
        ("LastModifiedTimeAfter", lambda v: component["LastModifiedTime"] > v),
    )
    return all(test(params[key]) for key, test in checks if key in params)
