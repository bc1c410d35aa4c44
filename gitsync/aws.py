"""The only module that talks to AWS: one client factory and one named, typed function per call."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from gitsync.errors import AwsError

Document = dict[str, Any]
NOT_FOUND_PREFIX = "Could not find"
RETRYABLE_STATES = ("Creating", "Updating", "Deleting")


@dataclass(frozen=True)
class Connection:
    """Where and how to reach AWS. Unset fields fall through to botocore's own resolution
    (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_SAGEMAKER, AWS_CA_BUNDLE, ...)."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    verify_ssl: bool = True
    ca_bundle: str | None = None
    read_timeout: float = 60
    connect_timeout: float = 60
    max_attempts: int = 10
    pool_size: int = 32
    dummy_credentials: bool = False  # the sandbox accepts any credentials


class Clients:
    """boto3 clients for one connection, created once and shared by the worker threads."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        try:
            self._session = boto3.session.Session(
                profile_name=connection.profile, region_name=connection.region)
        except botocore.exceptions.ProfileNotFound as error:
            raise AwsError(f"AWS profile `{connection.profile}` is not configured: {error}") from None

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._make(service)
            return self._clients[service]

    def _make(self, service: str) -> Any:
        c = self.connection
        config = botocore.config.Config(
            retries={"mode": "adaptive", "max_attempts": c.max_attempts},
            read_timeout=c.read_timeout, connect_timeout=c.connect_timeout,
            max_pool_connections=c.pool_size)
        credentials: dict[str, str] = {}
        if c.dummy_credentials:
            credentials = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
        verify: bool | str = c.ca_bundle or c.verify_ssl
        try:
            return self._session.client(service, endpoint_url=c.endpoint_url, config=config,
                                        region_name=c.region or self._session.region_name or "us-east-1",
                                        verify=verify, **credentials)
        except botocore.exceptions.BotoCoreError as error:
            raise AwsError(f"cannot create a {service} client: {error}") from None

    @property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")


def _call(client: Any, operation: str, **params: Any) -> Document:
    """Every AWS call goes through here, so every failure becomes an AwsError with AWS's words."""
    try:
        response: Document = getattr(client, operation)(**params)
    except botocore.exceptions.ClientError as error:
        info = error.response.get("Error", {})
        raise AwsError(f"{info.get('Code', 'Error')}: {info.get('Message', error)}") from None
    except botocore.exceptions.NoCredentialsError:
        raise AwsError("no AWS credentials found: set AWS_PROFILE or pass --profile "
                       "(or use --sandbox to try icsync locally)") from None
    except botocore.exceptions.BotoCoreError as error:
        raise AwsError(f"{operation} failed: {error}") from None
    response.pop("ResponseMetadata", None)
    return response


def is_not_found(error: AwsError) -> bool:
    return NOT_FOUND_PREFIX in str(error) or "does not exist" in str(error)


# -- inference components ---------------------------------------------------------------------
def list_components(clients: Clients, endpoint: str | None = None) -> Iterator[Document]:
    params: dict[str, Any] = {"MaxResults": 100}
    if endpoint:
        params["EndpointNameEquals"] = endpoint
    while True:
        page = _call(clients.sagemaker, "list_inference_components", **params)
        yield from page.get("InferenceComponents", [])
        if not page.get("NextToken"):
            return
        params["NextToken"] = page["NextToken"]


def describe_component(clients: Clients, name: str) -> Document | None:
    """The describe document, or None when the component does not exist."""
    try:
        return _call(clients.sagemaker, "describe_inference_component", InferenceComponentName=name)
    except AwsError as error:
        if is_not_found(error):
            return None
        raise


def create_component(clients: Clients, params: Document) -> Document:
    return _call(clients.sagemaker, "create_inference_component", **params)


def update_component(clients: Clients, params: Document) -> Document:
    return _call(clients.sagemaker, "update_inference_component", **params)


def update_runtime_config(clients: Clients, params: Document) -> Document:
    return _call(clients.sagemaker, "update_inference_component_runtime_config", **params)


def delete_component(clients: Clients, params: Document) -> Document:
    return _call(clients.sagemaker, "delete_inference_component", **params)


# -- tags -------------------------------------------------------------------------------------
def list_tags(clients: Clients, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    params: dict[str, Any] = {"ResourceArn": arn, "MaxResults": 100}
    while True:
        page = _call(clients.sagemaker, "list_tags", **params)
        tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
        if not page.get("NextToken"):
            return tags
        params["NextToken"] = page["NextToken"]


def add_tags(clients: Clients, params: Document) -> Document:
    return _call(clients.sagemaker, "add_tags", **params)


def delete_tags(clients: Clients, params: Document) -> Document:
    return _call(clients.sagemaker, "delete_tags", **params)


# -- endpoints and models ---------------------------------------------------------------------
def describe_endpoint(clients: Clients, name: str) -> Document | None:
    try:
        return _call(clients.sagemaker, "describe_endpoint", EndpointName=name)
    except AwsError as error:
        if is_not_found(error):
            return None
        raise


def describe_model(clients: Clients, name: str) -> Document | None:
    try:
        return _call(clients.sagemaker, "describe_model", ModelName=name)
    except AwsError as error:
        if is_not_found(error):
            return None
        raise


CALLS = {
    "CreateInferenceComponent": create_component,
    "UpdateInferenceComponent": update_component,
    "UpdateInferenceComponentRuntimeConfig": update_runtime_config,
    "DeleteInferenceComponent": delete_component,
    "AddTags": add_tags,
    "DeleteTags": delete_tags,
}


def send(clients: Clients, operation: str, params: Document) -> Document:
    """Send one of the mutating calls a plan names."""
    return CALLS[operation](clients, params)
