"""The only package that talks to AWS: one client factory and one named, typed function per call.

    clients    where and how to reach AWS: session, client factory, retries, the rate limiter's hooks
    calls      one call or every page of one; failures as AwsError with AWS's code
    sagemaker  inference components, tags, endpoints, endpoint configs, models
    scaling    Application Auto Scaling targets and policies
    others     the apply lock (DynamoDB), alarms (CloudWatch), image digests (ECR), STS
    runtime    invoking an inference component (sagemaker-runtime), for smoke checks
    pricing    on-demand SageMaker hosting prices (the Price List Query API)
    writes     the mutating calls a plan names, by operation
"""

from __future__ import annotations

from gitsync.aws.calls import Document, is_not_found
from gitsync.aws.clients import Clients, Connection, in_region, paced_reads, timestamp_in_utc
from gitsync.aws.others import (
    assume_role,
    caller_account,
    delete_lock,
    existing_alarms,
    get_lock,
    image_digest,
    put_lock,
)
from gitsync.aws.pricing import PRICE_LIST_REGION, hosting_prices
from gitsync.aws.runtime import Invocation, invoke_component
from gitsync.aws.sagemaker import (
    add_tags,
    create_component,
    delete_component,
    delete_tags,
    describe_component,
    describe_endpoint,
    describe_endpoint_config,
    describe_model,
    list_components,
    list_tags,
    tagged_components,
    update_component,
    update_runtime_config,
)
from gitsync.aws.scaling import (
    deregister_scalable_target,
    describe_scalable_targets,
    describe_scaling_policies,
    put_scaling_policy,
    register_scalable_target,
)
from gitsync.aws.writes import CALLS, send

__all__ = [
    "CALLS", "PRICE_LIST_REGION", "Clients", "Connection", "Document", "Invocation", "add_tags", "assume_role",
    "caller_account", "create_component",
    "delete_component", "delete_lock", "delete_tags", "deregister_scalable_target", "describe_component",
    "describe_endpoint", "describe_endpoint_config", "describe_model", "describe_scalable_targets",
    "describe_scaling_policies", "existing_alarms", "get_lock", "hosting_prices", "image_digest", "in_region", "invoke_component",
    "is_not_found", "list_components", "list_tags", "paced_reads", "put_lock", "put_scaling_policy",
    "register_scalable_target", "send", "tagged_components", "timestamp_in_utc", "update_component",
    "update_runtime_config",
]
