"""The only module that talks to AWS: one client factory and one named, typed function per call."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import os
import platform
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.session
import botocore.utils

from gitsync import __version__, model
from gitsync.aws import lean
from gitsync.errors import AwsError, CredentialsError
from gitsync.ratelimit import RateLimiter

Document = dict[str, Any]
NOT_FOUND_PREFIX = "Could not find"
RETRYABLE_STATES = ("Creating", "Updating", "Deleting")
TAGGING = "resourcegroupstaggingapi"
INFERENCE_COMPONENT_TYPE = "sagemaker:inference-component"
SANDBOX_CREDENTIALS = botocore.credentials.ReadOnlyCredentials("sandbox", "sandbox", None)  # any will do
CREDENTIAL_CODES = ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
                    "UnrecognizedClientException", "InvalidSignatureException")


# Set whole, not assembled: botocore builds its default User-Agent anew for every request, a
# third of a millisecond of CPU a call (profiled), which a thousand-component plan pays 2,000 times.
USER_AGENT = (f"icsync/{__version__} Botocore/{botocore.__version__} "
              f"Python/{platform.python_version()} {platform.system()}/{platform.release()}")


@dataclass(frozen=True)
class Connection:
    """Where and how to reach AWS. Unset fields fall through to botocore's own resolution
    (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_SAGEMAKER, AWS_CA_BUNDLE, ...)."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    verify_ssl: bool = True
    ca_bundle: str | None = None
    read_timeout: float | None = 60  # None: no timeout
    connect_timeout: float | None = 60
    max_attempts: int = 10
    pool_size: int = 32
    dummy_credentials: bool = False  # the sandbox accepts any credentials


class Clients:
    """AWS clients for one connection, created once and shared by the worker threads.

    They are botocore's clients, made by a botocore session: boto3's clients are these same
    objects, and importing boto3 (for its resource layer and S3 transfers, which icsync does not
    use) costs a quarter of a second of every run."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        # botocore reads only AWS_DEFAULT_REGION; the AWS CLI also AWS_REGION, first.
        self._session = _session(connection.profile,
                                 connection.region or os.environ.get("AWS_REGION") or None)
        self._limiter: RateLimiter | None = None
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._making: dict[str, threading.Lock] = {}  # one a service: clients are made in parallel
        self._clients: dict[str, Any] = {}
        self._lean: lean.LeanReads | None = None

    def _fresh(self) -> Clients:
        """A copy with the same session and settings and no clients made yet."""
        fresh = copy.copy(self)
        fresh._reset()
        return fresh

    def client(self, service: str) -> Any:
        """The service's client, made on first use by the thread that first needs it."""
        found = self._clients.get(service)
        if found is None:
            with self._lock:
                making = self._making.setdefault(service, threading.Lock())
            with making:
                found = self._clients.get(service)
                if found is None:
                    found = self._clients[service] = self._make(service)
        return found

    def _make(self, service: str) -> Any:
        c = self.connection
        # Paced reads use standard retries: two rate limiters on one stream would slow each other.
        retry_mode = "adaptive" if self._limiter is None else "standard"
        config = botocore.config.Config(
            user_agent=USER_AGENT,
            retries={"mode": retry_mode, "max_attempts": _max_attempts(c.max_attempts)},
            read_timeout=c.read_timeout, connect_timeout=c.connect_timeout,
            max_pool_connections=c.pool_size)
        credentials: dict[str, str] = {}
        if c.dummy_credentials:
            credentials = {"aws_access_key_id": SANDBOX_CREDENTIALS.access_key,
                           "aws_secret_access_key": SANDBOX_CREDENTIALS.secret_key}
        # None, not True, so that botocore still reads AWS_CA_BUNDLE and the profile's ca_bundle.
        verify: bool | str | None = c.ca_bundle or (None if c.verify_ssl else False)
        try:
            client = self._session.create_client(
                service, endpoint_url=c.endpoint_url, config=config, verify=verify, **credentials,
                region_name=c.region or self._session.get_config_variable("region") or "us-east-1")
        except botocore.exceptions.BotoCoreError as error:
            raise AwsError(f"cannot create a {service} client: {error}") from None
        limiter = self._limiter
        if limiter is not None:  # every attempt, retries included, waits for its turn
            client.meta.events.register("before-send", lambda **_: limiter.acquire())
            client.meta.events.register("needs-retry",
                                        lambda response=None, **_: _observe(limiter, response))
        if service == "sagemaker" and lean.enabled():
            bundle = verify if verify is not None else self._session.get_config_variable("ca_bundle") or True
            parser = self._session.get_component("response_parser_factory").create_parser(
                client.meta.service_model.protocol)
            self._lean = lean.LeanReads(client, parser, self._credentials, USER_AGENT,
                                        (c.connect_timeout, c.read_timeout), bundle, limiter)
        return client

    def _credentials(self) -> botocore.credentials.ReadOnlyCredentials | None:
        """The credentials the clients sign with, as of now (refreshed when they expire)."""
        if self.connection.dummy_credentials:
            return SANDBOX_CREDENTIALS
        found = self._session.get_credentials()
        return found.get_frozen_credentials() if found is not None else None

    def lean_read(self, operation: str, params: Document) -> Document | None:
        """`operation` sent by the lean path (lean.py), or None: then botocore must send it."""
        self.client("sagemaker")  # made first: the lean path learns its target from this client
        found = self._lean.read(operation, params) if self._lean is not None else None
        if found is not None:
            found.pop("ResponseMetadata", None)
        return found

    @property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")


def _session(profile: str | None, region: str | None,
             credentials: dict[str, str] | None = None) -> botocore.session.Session:
    session = botocore.session.Session(profile=profile)
    try:
        if region:
            session.set_config_variable("region", region)
        if credentials:
            session.set_credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                    credentials["SessionToken"])
        if session.get_config_variable("data_path") is None:  # the default models: parse them once
            session.register_component("data_loader", model.loader())
        session.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=timestamp_in_utc)
    except botocore.exceptions.ProfileNotFound as error:
        raise AwsError(f"AWS profile `{profile}` is not configured: {error}") from None
    return session


def timestamp_in_utc(value: Any) -> datetime.datetime:
    """A timestamp AWS sends (epoch seconds in SageMaker's JSON), as an aware datetime in UTC.

    botocore's default parser gives the machine's local zone: the same describe read on a laptop
    in Tokyo and on a CI runner in UTC printed, and fingerprinted, differently, so a plan saved on
    one went stale on the other. Its zone (dateutil's tzlocal, built anew for every value) also
    cost about 25 us a value, four values a component in a plan (a list summary, a describe)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, datetime.UTC)
        except (OverflowError, OSError, ValueError):
            pass  # out of the platform's range: botocore's own fallbacks
    parsed: datetime.datetime = botocore.utils.parse_timestamp(value)
    return parsed.astimezone(datetime.UTC)


def paced_reads(clients: Clients, limiter: RateLimiter) -> Clients:
    """Clients for a burst of reads: the same session, clients whose every attempt (retries
    included) waits for `limiter`, and which tell it of each throttle and success."""
    reads = clients._fresh()
    reads._limiter = limiter
    return reads


def _observe(limiter: RateLimiter, response: Any) -> None:
    if response is None:
        return  # a connection error: no word on the rate
    http, parsed = response
    limiter.observe(http.status_code, parsed.get("Error", {}).get("Code"))


def _max_attempts(default: int) -> int:
    """AWS_MAX_ATTEMPTS, as the AWS CLI honours it; else icsync's default."""
    value = os.environ.get("AWS_MAX_ATTEMPTS", "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise AwsError(f"AWS_MAX_ATTEMPTS must be a whole number of at least 1, not `{value}`")
    return int(value)


def _call(client: Any, operation: str, **params: Any) -> Document:
    """Every AWS call goes through here, so every failure becomes an AwsError with AWS's words."""
    try:
        response: Document = getattr(client, operation)(**params)
    except botocore.exceptions.ClientError as error:
        info = error.response.get("Error", {})
        code = info.get("Code", "Error")
        kind = CredentialsError if code in CREDENTIAL_CODES else AwsError
        raise kind(f"{code}: {info.get('Message', error)}") from None
    except botocore.exceptions.NoCredentialsError:
        raise AwsError("no AWS credentials found: set AWS_PROFILE or pass --profile "
                       "(or use --sandbox to try icsync locally)") from None
    except botocore.exceptions.BotoCoreError as error:
        raise AwsError(f"{operation} failed: {error}") from None
    response.pop("ResponseMetadata", None)
    return response


def is_not_found(error: AwsError) -> bool:
    return NOT_FOUND_PREFIX in str(error) or "does not exist" in str(error)


def _describe(clients: Clients, operation: str, **key: str) -> Document | None:
    """A SageMaker Describe call, or None when the resource does not exist."""
    try:
        return _call(clients.sagemaker, operation, **key)
    except AwsError as error:
        if is_not_found(error):
            return None
        raise


def _pages(client: Any, operation: str, params: Document, token: str = "NextToken") -> Iterator[Document]:
    """Every page of a paginated call, as it arrives; `token` names the member that carries the
    next page's token in both the response and the request."""
    params = dict(params)
    while True:
        page = _call(client, operation, **params)
        yield page
        if not page.get(token):
            return
        params[token] = page[token]


# -- inference components ---------------------------------------------------------------------
def list_components(clients: Clients, endpoint: str | None = None) -> Iterator[Document]:
    params: dict[str, Any] = {"MaxResults": 100}
    if endpoint:
        params["EndpointNameEquals"] = endpoint
    for page in _pages(clients.sagemaker, "list_inference_components", params):
        yield from page.get("InferenceComponents", [])


def describe_component(clients: Clients, name: str) -> Document | None:
    """The describe document, or None when the component does not exist. The call a plan makes
    once per component: by the lean path when it can (lean.py), else by botocore."""
    found = clients.lean_read("DescribeInferenceComponent", {"InferenceComponentName": name})
    if found is not None:
        return found
    return _describe(clients, "describe_inference_component", InferenceComponentName=name)


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
    return {t["Key"]: t["Value"]
            for page in _pages(clients.sagemaker, "list_tags", {"ResourceArn": arn, "MaxResults": 100})
            for t in page.get("Tags", [])}


def tagged_components(clients: Clients, key: str, value: str) -> dict[str, dict[str, str]]:
    """Every inference component tagged `key=value`, with all its tags, by ARN: the Resource
    Groups Tagging API reads them 100 a call, where ListTags reads one component. Its index is
    eventually consistent: a tag written seconds ago may not show yet."""
    params = {"ResourceTypeFilters": [INFERENCE_COMPONENT_TYPE], "ResourcesPerPage": 100,
              "TagFilters": [{"Key": key, "Values": [value]}]}
    return {resource["ResourceARN"]: {t["Key"]: t["Value"] for t in resource.get("Tags", [])}
            for page in _pages(clients.client(TAGGING), "get_resources", params, token="PaginationToken")
            for resource in page.get("ResourceTagMappingList", [])}


def add_tags(clients: Clients, params: Document) -> Document:
    return _call(clients.sagemaker, "add_tags", **params)


def delete_tags(clients: Clients, params: Document) -> Document:
    return _call(clients.sagemaker, "delete_tags", **params)


# -- endpoints and models ---------------------------------------------------------------------
def describe_endpoint(clients: Clients, name: str) -> Document | None:
    return _describe(clients, "describe_endpoint", EndpointName=name)


def describe_model(clients: Clients, name: str) -> Document | None:
    return _describe(clients, "describe_model", ModelName=name)


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


# -- the apply lock (a DynamoDB item written only if absent, as Terraform's S3 backend does) -----
def put_lock(clients: Clients, table: str, item: dict[str, str]) -> bool:
    """Write the lock item if no one holds it; False when someone does."""
    try:
        _call(clients.client("dynamodb"), "put_item", TableName=table,
              Item={k: {"S": v} for k, v in item.items()},
              ConditionExpression="attribute_not_exists(LockID)")
    except AwsError as error:
        if str(error).startswith("ConditionalCheckFailedException"):
            return False
        raise
    return True


def get_lock(clients: Clients, table: str, lock_id: str) -> dict[str, str] | None:
    found = _call(clients.client("dynamodb"), "get_item", TableName=table,
                  Key={"LockID": {"S": lock_id}}, ConsistentRead=True).get("Item")
    return {k: v.get("S", "") for k, v in found.items()} if found else None


def delete_lock(clients: Clients, table: str, lock_id: str, owner: str | None = None) -> None:
    """Remove the lock; with `owner`, only if that run still holds it."""
    params: dict[str, Any] = {"TableName": table, "Key": {"LockID": {"S": lock_id}}}
    if owner is not None:
        params.update(ConditionExpression="Who = :who", ExpressionAttributeValues={":who": {"S": owner}})
    try:
        _call(clients.client("dynamodb"), "delete_item", **params)
    except AwsError as error:
        if not str(error).startswith("ConditionalCheckFailedException"):
            raise


# -- pre-flight facts -------------------------------------------------------------------------
def describe_endpoint_config(clients: Clients, name: str) -> Document | None:
    return _describe(clients, "describe_endpoint_config", EndpointConfigName=name)


def existing_alarms(clients: Clients, names: list[str]) -> set[str]:
    """Which of these CloudWatch alarm names exist (100 names per call)."""
    found: set[str] = set()
    for start in range(0, len(names), 100):
        page = _call(clients.client("cloudwatch"), "describe_alarms", AlarmNames=names[start:start + 100],
                     AlarmTypes=["MetricAlarm", "CompositeAlarm"], MaxRecords=100)
        found.update(a["AlarmName"] for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []))
    return found


# -- image digests (ECR) and other accounts (STS) ---------------------------------------------
def in_region(clients: Clients, region: str) -> Clients:
    """The same session and settings, for clients in another region (an ECR registry's own)."""
    moved = clients._fresh()
    moved.connection = dataclasses.replace(clients.connection, region=region)
    return moved


def image_digest(clients: Clients, registry: str, repository: str, tag: str) -> str | None:
    """The digest `repository:tag` points to now in ECR, or None when the tag does not exist."""
    try:
        found = _call(clients.client("ecr"), "describe_images", registryId=registry,
                      repositoryName=repository, imageIds=[{"imageTag": tag}])
    except AwsError as error:
        if str(error).startswith(("ImageNotFoundException", "RepositoryNotFoundException")):
            return None
        raise
    details = found.get("imageDetails") or [{}]
    digest: str | None = details[0].get("imageDigest")
    return digest


def assume_role(clients: Clients, role_arn: str, session_name: str = "icsync") -> Clients:
    """Clients that act as `role_arn`: STS AssumeRole with the caller's credentials, then the same
    connection settings with the temporary credentials."""
    found = _call(clients.client("sts"), "assume_role", RoleArn=role_arn, RoleSessionName=session_name)
    credentials = found["Credentials"]
    assumed = clients._fresh()
    assumed._session = _session(None, clients._session.get_config_variable("region"), credentials)
    return assumed


# -- Application Auto Scaling (autoscaled inference components) -------------------------------
def describe_scalable_targets(clients: Clients, namespace: str, resource_ids: list[str]) -> list[Document]:
    """The scalable targets of these resources (50 ids a call, the API's limit)."""
    client = clients.client("application-autoscaling")
    return [target for start in range(0, len(resource_ids), 50)
            for page in _pages(client, "describe_scalable_targets",
                               {"ServiceNamespace": namespace, "ResourceIds": resource_ids[start:start + 50]})
            for target in page.get("ScalableTargets", [])]


def describe_scaling_policies(clients: Clients, namespace: str, resource_id: str) -> list[Document]:
    return [policy for page in _pages(clients.client("application-autoscaling"), "describe_scaling_policies",
                                      {"ServiceNamespace": namespace, "ResourceId": resource_id})
            for policy in page.get("ScalingPolicies", [])]


def register_scalable_target(clients: Clients, params: Document) -> Document:
    return _call(clients.client("application-autoscaling"), "register_scalable_target", **params)


def put_scaling_policy(clients: Clients, params: Document) -> Document:
    return _call(clients.client("application-autoscaling"), "put_scaling_policy", **params)


def deregister_scalable_target(clients: Clients, params: Document) -> Document:
    return _call(clients.client("application-autoscaling"), "deregister_scalable_target", **params)


CALLS.update({
    "RegisterScalableTarget": register_scalable_target,
    "PutScalingPolicy": put_scaling_policy,
    "DeregisterScalableTarget": deregister_scalable_target,
})
