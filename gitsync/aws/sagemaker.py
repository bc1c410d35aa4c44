"""The SageMaker calls icsync makes: inference components, their tags, and the endpoints, endpoint
configs and models they stand on; and the Resource Groups Tagging API's bulk read of those tags."""

from __future__ import annotations

from collections.abc import Iterator

from gitsync.aws.calls import Document, call, is_not_found, pages
from gitsync.aws.clients import Clients
from gitsync.errors import AwsError

TAGGING = "resourcegroupstaggingapi"
INFERENCE_COMPONENT_TYPE = "sagemaker:inference-component"


def _describe(clients: Clients, operation: str, **key: str) -> Document | None:
    """A SageMaker Describe call, or None when the resource does not exist."""
    try:
        return call(clients.sagemaker, operation, **key)
    except AwsError as error:
        if is_not_found(error):
            return None
        raise


# -- inference components ---------------------------------------------------------------------
def list_components(clients: Clients, endpoint: str | None = None,
                    status: str | None = None) -> Iterator[Document]:
    """Summaries (name, status, LastModifiedTime, ...), 100 a call; only those of one endpoint
    and one status when given (the service model's EndpointNameEquals and StatusEquals)."""
    params = {"EndpointNameEquals": endpoint} if endpoint else {}
    if status:
        params["StatusEquals"] = status
    for page in pages(clients.sagemaker, "list_inference_components", page_size=100, **params):
        yield from page.get("InferenceComponents", [])


def describe_component(clients: Clients, name: str) -> Document | None:
    """The describe document, or None when the component does not exist."""
    return _describe(clients, "describe_inference_component", InferenceComponentName=name)


def create_component(clients: Clients, params: Document) -> Document:
    return call(clients.sagemaker, "create_inference_component", **params)


def update_component(clients: Clients, params: Document) -> Document:
    return call(clients.sagemaker, "update_inference_component", **params)


def update_runtime_config(clients: Clients, params: Document) -> Document:
    return call(clients.sagemaker, "update_inference_component_runtime_config", **params)


def delete_component(clients: Clients, params: Document) -> Document:
    return call(clients.sagemaker, "delete_inference_component", **params)


# -- tags -------------------------------------------------------------------------------------
def list_tags(clients: Clients, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"]
            for page in pages(clients.sagemaker, "list_tags", page_size=100, ResourceArn=arn)
            for t in page.get("Tags", [])}


def tagged_components(clients: Clients) -> dict[str, dict[str, str]]:
    """Every inference component in the region that has (or had) tags, with all its tags, by ARN:
    the Resource Groups Tagging API reads them 100 a call, where ListTags reads one component. A
    component it does not return has never been tagged, unless it was tagged moments ago: its
    index is eventually consistent, and a tag written seconds ago may not show yet."""
    found = pages(clients.client(TAGGING), "get_resources", page_size=100,
                  ResourceTypeFilters=[INFERENCE_COMPONENT_TYPE])
    return {resource["ResourceARN"]: {t["Key"]: t["Value"] for t in resource.get("Tags", [])}
            for page in found for resource in page.get("ResourceTagMappingList", [])}


def add_tags(clients: Clients, params: Document) -> Document:
    return call(clients.sagemaker, "add_tags", **params)


def delete_tags(clients: Clients, params: Document) -> Document:
    return call(clients.sagemaker, "delete_tags", **params)


# -- endpoints, endpoint configs and models ---------------------------------------------------
def describe_endpoint(clients: Clients, name: str) -> Document | None:
    return _describe(clients, "describe_endpoint", EndpointName=name)


def describe_endpoint_config(clients: Clients, name: str) -> Document | None:
    return _describe(clients, "describe_endpoint_config", EndpointConfigName=name)


def describe_model(clients: Clients, name: str) -> Document | None:
    return _describe(clients, "describe_model", ModelName=name)
