"""The SageMaker operations the sandbox serves: one function each, request dict -> response dict.

Requests arrive already validated against botocore's input shapes; these functions add AWS's
behaviour on top (existence checks, status rules, transitions).
"""

from __future__ import annotations

import base64
import copy
import time
from collections.abc import Callable
from typing import Any

from gitsync.sandbox.state import Account, ApiError, validation

Handler = Callable[[Account, dict[str, Any]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handles(fn: Handler) -> Handler:
    name = "".join(part.title() for part in fn.__name__.split("_"))
    HANDLERS[name] = fn
    return fn


def _not_found(kind: str, arn: str) -> ApiError:
    return validation(f'Could not find {kind} "{arn}".')


# -- models -----------------------------------------------------------------------------------
@handles
def create_model(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ModelName"]
    arn = account.arn("model", name)
    if name in account.models:
        raise validation(f'Cannot create already existing model "{arn}".')
    account.models[name] = {**copy.deepcopy(params), "ModelArn": arn, "CreationTime": time.time()}
    account.models[name].pop("Tags", None)
    _store_tags(account, arn, params.get("Tags", []))
    return {"ModelArn": arn}


@handles
def describe_model(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    model = account.models.get(params["ModelName"])
    if model is None:
        raise _not_found("model", account.arn("model", params["ModelName"]))
    return copy.deepcopy(model)


@handles
def delete_model(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    describe_model(account, params)
    del account.models[params["ModelName"]]
    return {}


# -- endpoint configs and endpoints -----------------------------------------------------------
@handles
def create_endpoint_config(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EndpointConfigName"]
    arn = account.arn("endpoint-config", name)
    if name in account.endpoint_configs:
        raise validation(f'Cannot create already existing endpoint configuration "{arn}".')
    for variant in params["ProductionVariants"]:
        model = variant.get("ModelName")
        if model and model not in account.models:
            raise _not_found("model", account.arn("model", model))
    config = {**copy.deepcopy(params), "EndpointConfigArn": arn, "CreationTime": time.time()}
    config.pop("Tags", None)
    account.endpoint_configs[name] = config
    _store_tags(account, arn, params.get("Tags", []))
    return {"EndpointConfigArn": arn}


@handles
def describe_endpoint_config(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    config = account.endpoint_configs.get(params["EndpointConfigName"])
    if config is None:
        arn = account.arn("endpoint-config", params["EndpointConfigName"])
        raise _not_found("endpoint configuration", arn)
    return copy.deepcopy(config)


@handles
def delete_endpoint_config(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    describe_endpoint_config(account, params)
    del account.endpoint_configs[params["EndpointConfigName"]]
    return {}


@handles
def create_endpoint(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EndpointName"]
    arn = account.arn("endpoint", name)
    if name in account.endpoints:
        raise validation(f'Cannot create already existing endpoint "{arn}".')
    config = describe_endpoint_config(account, {"EndpointConfigName": params["EndpointConfigName"]})
    now = time.time()
    account.endpoints[name] = {
        "EndpointName": name,
        "EndpointArn": arn,
        "EndpointConfigName": params["EndpointConfigName"],
        "ProductionVariants": [_variant_summary(v) for v in config["ProductionVariants"]],
        "EndpointStatus": "InService",
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    _store_tags(account, arn, params.get("Tags", []))
    return {"EndpointArn": arn}


def _variant_summary(variant: dict[str, Any]) -> dict[str, Any]:
    count = variant.get("InitialInstanceCount", 1)
    summary: dict[str, Any] = {
        "VariantName": variant["VariantName"],
        "CurrentWeight": variant.get("InitialVariantWeight", 1.0),
        "DesiredWeight": variant.get("InitialVariantWeight", 1.0),
        "CurrentInstanceCount": count,
        "DesiredInstanceCount": count,
    }
    for key in ("ManagedInstanceScaling", "RoutingConfig"):
        if key in variant:
            summary[key] = copy.deepcopy(variant[key])
    return summary


@handles
def describe_endpoint(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    endpoint = account.endpoints.get(params["EndpointName"])
    if endpoint is None:
        raise _not_found("endpoint", account.arn("endpoint", params["EndpointName"]))
    return copy.deepcopy(endpoint)


@handles
def delete_endpoint(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    endpoint = describe_endpoint(account, params)
    del account.endpoints[params["EndpointName"]]
    account.tags.pop(endpoint["EndpointArn"], None)
    return {}


# -- tags -------------------------------------------------------------------------------------
def _store_tags(account: Account, arn: str, tags: list[dict[str, str]]) -> None:
    if tags:
        account.tags.setdefault(arn, {}).update({t["Key"]: t["Value"] for t in tags})


def _known_arn(account: Account, arn: str) -> bool:
    owners: list[dict[str, dict[str, Any]]] = [
        account.models, account.endpoint_configs, account.endpoints, account.components]
    keys = ("ModelArn", "EndpointConfigArn", "EndpointArn", "InferenceComponentArn")
    return any(item.get(key) == arn for owner, key in zip(owners, keys) for item in owner.values())


@handles
def add_tags(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    account.settle()
    if not _known_arn(account, params["ResourceArn"]):
        raise validation(f"Resource {params['ResourceArn']} does not exist.")
    _store_tags(account, params["ResourceArn"], params["Tags"])
    return {"Tags": params["Tags"]}


@handles
def delete_tags(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    stored = account.tags.get(params["ResourceArn"], {})
    for key in params["TagKeys"]:
        stored.pop(key, None)
    return {}


@handles
def list_tags(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    account.settle()
    if not _known_arn(account, params["ResourceArn"]):
        raise validation(f"Resource {params['ResourceArn']} does not exist.")
    tags = [{"Key": k, "Value": v} for k, v in account.tags.get(params["ResourceArn"], {}).items()]
    page, token = _paginate(tags, params.get("NextToken"), params.get("MaxResults", 50))
    return {"Tags": page, **({"NextToken": token} if token else {})}


def _paginate(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token).decode())
        except ValueError as error:
            raise validation("Invalid pagination token.") from error
    end = start + size
    following = base64.b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], following


# -- inference components ---------------------------------------------------------------------
def _check_references(account: Account, name: str, spec: dict[str, Any]) -> None:
    model = spec.get("ModelName")
    if model and model not in account.models:
        raise _not_found("model", account.arn("model", model))
    base = spec.get("BaseInferenceComponentName")
    if base and base not in account.components:
        raise _not_found("inference component", account.arn("inference-component", base))


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
    variants = [v["VariantName"] for v in endpoint["ProductionVariants"]]
    variant = params.get("VariantName", variants[0])
    if variant not in variants:
        raise validation(f"Could not find variant {variant} on endpoint {params['EndpointName']}.")
    specs = _specs(params)
    if not specs:
        raise validation("Specification is required.")
    for spec in specs:
        _check_references(account, name, spec)
    now = time.time()
    account.components[name] = {
        "InferenceComponentName": name,
        "InferenceComponentArn": arn,
        "EndpointName": params["EndpointName"],
        "EndpointArn": endpoint["EndpointArn"],
        "VariantName": variant,
        **_deployed(account, params, now),
        "RuntimeConfig": {"DesiredCopyCount": params["RuntimeConfig"]["CopyCount"],
                          "CurrentCopyCount": 0} if "RuntimeConfig" in params else {},
        "CreationTime": now,
        "LastModifiedTime": now,
        "InferenceComponentStatus": "Creating",
    }
    if not account.components[name]["RuntimeConfig"]:
        del account.components[name]["RuntimeConfig"]
    _store_tags(account, arn, params.get("Tags", []))
    failure = account.fail_next_deployment.pop(name, None)
    account.begin(name, "Creating", "Failed" if failure else "InService", failure=failure)
    return {"InferenceComponentArn": arn}


@handles
def describe_inference_component(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(account.component(params["InferenceComponentName"]))


_DEPLOYED = ("Specification", "Specifications", "RuntimeConfig")


@handles
def update_inference_component(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["InferenceComponentName"]
    component = account.require_in_service(name, "update")
    specs = _specs(params)
    for spec in specs:
        _check_references(account, name, spec)
    # What a failed deployment rolls back to: the whole previous deployment.
    previous = {k: copy.deepcopy(component[k]) for k in _DEPLOYED if k in component}
    now = time.time()
    if specs:
        for key in ("Specification", "Specifications"):
            component.pop(key, None)
        component.update(_deployed(account, params, now))
    if "RuntimeConfig" in params:
        component.setdefault("RuntimeConfig", {})["DesiredCopyCount"] = params["RuntimeConfig"]["CopyCount"]
    if "DeploymentConfig" in params:
        component["LastDeploymentConfig"] = copy.deepcopy(params["DeploymentConfig"])
    failure = account.fail_next_deployment.pop(name, None)
    account.begin(name, "Updating", "InService", failure=failure,
                  rollback=previous if failure else None)
    return {"InferenceComponentArn": component["InferenceComponentArn"]}


@handles
def update_inference_component_runtime_config(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["InferenceComponentName"]
    component = account.require_in_service(name, "update")
    runtime = component.setdefault("RuntimeConfig", {})
    runtime["DesiredCopyCount"] = params["DesiredRuntimeConfig"]["CopyCount"]
    runtime.setdefault("CurrentCopyCount", 0)
    account.begin(name, "Updating", "InService")
    return {"InferenceComponentArn": component["InferenceComponentArn"]}


@handles
def delete_inference_component(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["InferenceComponentName"]
    account.require_in_service(name, "delete")
    account.begin(name, "Deleting", None)
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
    page, token = _paginate(items, params.get("NextToken"), params.get("MaxResults", 10))
    summaries = [{k: c[k] for k in _SUMMARY_KEYS if k in c} for c in page]
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
