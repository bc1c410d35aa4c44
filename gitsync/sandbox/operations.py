"""SageMaker operations around inference components: models, endpoint configs, endpoints, tags.

One function each, request dict -> response dict. Requests arrive already validated against
botocore's input shapes; these functions add AWS's behaviour on top (existence checks, tags).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

from gitsync.sandbox import scaling
from gitsync.sandbox.state import Account, ApiError, clock, validation

Handler = Callable[[Account, dict[str, Any]], dict[str, Any]]


def registrar(registry: dict[str, Handler]) -> Callable[[Handler], Handler]:
    """A decorator filing each handler under its operation's name: create_model -> CreateModel."""
    def handles(fn: Handler) -> Handler:
        registry["".join(part.title() for part in fn.__name__.split("_"))] = fn
        return fn
    return handles


HANDLERS: dict[str, Handler] = {}
handles = registrar(HANDLERS)


def not_found(kind: str, arn: str) -> ApiError:
    return validation(f'Could not find {kind} "{arn}".')


# -- models -----------------------------------------------------------------------------------
@handles
def create_model(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ModelName"]
    arn = account.arn("model", name)
    if name in account.models:
        raise validation(f'Cannot create already existing model "{arn}".')
    account.models[name] = {**copy.deepcopy(params), "ModelArn": arn, "CreationTime": clock()}
    account.models[name].pop("Tags", None)
    store_tags(account, arn, params.get("Tags", []))
    return {"ModelArn": arn}


@handles
def describe_model(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    model = account.models.get(params["ModelName"])
    if model is None:
        raise not_found("model", account.arn("model", params["ModelName"]))
    return copy.deepcopy(model)


@handles
def delete_model(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    model = describe_model(account, params)
    del account.models[params["ModelName"]]
    account.tags.pop(model["ModelArn"], None)  # as AWS's: a model made again under the name starts bare
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
            raise not_found("model", account.arn("model", model))
    # A config for inference components (a variant with no ModelName) needs the role they run
    # under: a run against AWS got a 400 without it (stdapi-ai/stdapi.ai issue #43), and AWS's
    # own sample notebooks add it (aws-samples/amazon-nova-samples pull request #266). AWS's exact
    # words are not public.
    if "ExecutionRoleArn" not in params and any("ModelName" not in v for v in params["ProductionVariants"]):
        raise validation("ExecutionRoleArn is required for an endpoint configuration whose production "
                         "variants host inference components (no ModelName).")
    config = {**copy.deepcopy(params), "EndpointConfigArn": arn, "CreationTime": clock()}
    config.pop("Tags", None)
    account.endpoint_configs[name] = config
    store_tags(account, arn, params.get("Tags", []))
    return {"EndpointConfigArn": arn}


@handles
def describe_endpoint_config(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    config = account.endpoint_configs.get(params["EndpointConfigName"])
    if config is None:
        arn = account.arn("endpoint-config", params["EndpointConfigName"])
        raise not_found("endpoint configuration", arn)
    return copy.deepcopy(config)


@handles
def delete_endpoint_config(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    config = describe_endpoint_config(account, params)
    del account.endpoint_configs[params["EndpointConfigName"]]
    account.tags.pop(config["EndpointConfigArn"], None)
    return {}


@handles
def create_endpoint(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EndpointName"]
    arn = account.arn("endpoint", name)
    if name in account.endpoints:
        raise validation(f'Cannot create already existing endpoint "{arn}".')
    config = describe_endpoint_config(account, {"EndpointConfigName": params["EndpointConfigName"]})
    now = clock()
    account.endpoints[name] = {
        "EndpointName": name,
        "EndpointArn": arn,
        "EndpointConfigName": params["EndpointConfigName"],
        "ProductionVariants": [_variant_summary(v) for v in config["ProductionVariants"]],
        "EndpointStatus": "InService",
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    store_tags(account, arn, params.get("Tags", []))
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
        raise not_found("endpoint", account.arn("endpoint", params["EndpointName"]))
    return copy.deepcopy(scaling.refresh(account, endpoint))


@handles
def delete_endpoint(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    endpoint = describe_endpoint(account, params)
    del account.endpoints[params["EndpointName"]]
    scaling.forget(account, params["EndpointName"])
    account.tags.pop(endpoint["EndpointArn"], None)
    return {}


# -- tags -------------------------------------------------------------------------------------
def store_tags(account: Account, arn: str, tags: list[dict[str, str]]) -> None:
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
    store_tags(account, params["ResourceArn"], params["Tags"])
    return {"Tags": params["Tags"]}


@handles
def delete_tags(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    account.settle()
    if not _known_arn(account, params["ResourceArn"]):
        raise validation(f"Resource {params['ResourceArn']} does not exist.")
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
    page, token = paginate(tags, params.get("NextToken"), params.get("MaxResults", 50))
    return {"Tags": page, **({"NextToken": token} if token else {})}


def paginate(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token).decode())
        except ValueError as error:
            raise validation("Invalid pagination token.") from error
    end = start + size
    following = base64.b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], following
