"""The Resource Groups Tagging API's GetResources, for the sandbox's own SageMaker resources.

moto serves the tagging API for the services it emulates, but the sandbox's SageMaker state is its
own, so a GetResources call whose ResourceTypeFilters are all SageMaker types (`sagemaker`,
`sagemaker:inference-component`, ...) is answered here, from the sandbox's tags, as AWS answers it:
only resources that carry a tag, TagFilters ANDed (any of a filter's Values; no Values: any value),
pages of ResourcesPerPage, an empty PaginationToken on the last page. Any other GetResources call
goes to moto.
"""

from __future__ import annotations

from typing import Any

from gitsync import model
from gitsync.sandbox.operations import paginate
from gitsync.sandbox.state import ApiError
from gitsync.sandbox.wire import validate_request

TARGET = "ResourceGroupsTaggingAPI_20170126.GetResources"
OPERATION = "GetResources"


def serves(params: Any) -> bool:
    """Whether the sandbox, not moto, answers this GetResources request."""
    filters = params.get("ResourceTypeFilters") if isinstance(params, dict) else None
    return bool(filters) and isinstance(filters, list) and all(
        isinstance(f, str) and (f == "sagemaker" or f.startswith("sagemaker:")) for f in filters)


def get_resources(tags: dict[str, dict[str, str]], params: dict[str, Any]) -> dict[str, Any]:
    """The page of tagged SageMaker resources `params` asks for, from `tags` (tags by ARN)."""
    validate_request(OPERATION, params,
                     model.service_model("resourcegroupstaggingapi").operation_model(OPERATION).input_shape)
    if params.get("ResourceARNList"):
        raise ApiError("InvalidParameterException",
                       "ResourceARNList cannot be used with ResourceTypeFilters or TagFilters.")
    if not 1 <= params.get("ResourcesPerPage", 50) <= 100:
        raise ApiError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100.")
    types = {f.partition(":")[2] for f in params["ResourceTypeFilters"]}
    wanted = [(f["Key"], set(f.get("Values") or [])) for f in params.get("TagFilters") or []]
    matching = [
        {"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in found.items()]}
        for arn, found in sorted(tags.items())
        if found and ("" in types or _resource_type(arn) in types)
        and all(key in found and (not values or found[key] in values) for key, values in wanted)]
    page, token = paginate(matching, params.get("PaginationToken") or None,
                           params.get("ResourcesPerPage", 50))
    return {"PaginationToken": token or "", "ResourceTagMappingList": page}


def _resource_type(arn: str) -> str:
    """`inference-component` of arn:aws:sagemaker:<region>:<account>:inference-component/<name>."""
    return arn.split(":", 5)[-1].split("/", 1)[0]
