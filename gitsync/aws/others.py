"""The other services icsync calls: the apply lock (DynamoDB), alarms (CloudWatch), image digests
(ECR) and other accounts (STS)."""

from __future__ import annotations

from typing import Any

from gitsync.aws.calls import answered, call, pages
from gitsync.aws.clients import Clients
from gitsync.errors import AwsError

LOCK_TAKEN = "ConditionalCheckFailedException"  # DynamoDB: the condition on the write failed
NO_IMAGE = frozenset({"ImageNotFoundException", "RepositoryNotFoundException"})
ALARMS_A_CALL = 100  # DescribeAlarms' limit on AlarmNames


# -- the apply lock (a DynamoDB item written only if absent, as Terraform's S3 backend does) -----
def put_lock(clients: Clients, table: str, item: dict[str, str]) -> bool:
    """Write the lock item if no one holds it; False when someone does."""
    try:
        call(clients.client("dynamodb"), "put_item", TableName=table,
             Item={k: {"S": v} for k, v in item.items()},
             ConditionExpression="attribute_not_exists(LockID)")
    except AwsError as error:
        if error.code == LOCK_TAKEN:
            return False
        raise
    return True


def get_lock(clients: Clients, table: str, lock_id: str) -> dict[str, str] | None:
    found = call(clients.client("dynamodb"), "get_item", TableName=table,
                 Key={"LockID": {"S": lock_id}}, ConsistentRead=True).get("Item")
    return {k: v.get("S", "") for k, v in found.items()} if found else None


def delete_lock(clients: Clients, table: str, lock_id: str, owner: str | None = None) -> None:
    """Remove the lock; with `owner`, only if that run still holds it."""
    params: dict[str, Any] = {"TableName": table, "Key": {"LockID": {"S": lock_id}}}
    if owner is not None:
        params.update(ConditionExpression="Who = :who", ExpressionAttributeValues={":who": {"S": owner}})
    try:
        call(clients.client("dynamodb"), "delete_item", **params)
    except AwsError as error:
        if error.code != LOCK_TAKEN:
            raise


# -- pre-flight facts -------------------------------------------------------------------------
def existing_alarms(clients: Clients, names: list[str]) -> set[str]:
    """Which of these CloudWatch alarm names exist."""
    client = clients.client("cloudwatch")
    found: set[str] = set()
    for start in range(0, len(names), ALARMS_A_CALL):
        for page in pages(client, "describe_alarms", page_size=ALARMS_A_CALL,
                          AlarmNames=names[start:start + ALARMS_A_CALL],
                          AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
            found.update(a["AlarmName"] for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []))
    return found


# -- image digests (ECR) and other accounts (STS) ---------------------------------------------
def image_digest(clients: Clients, registry: str, repository: str, tag: str) -> str | None:
    """The digest `repository:tag` points to now in ECR, or None when the tag does not exist."""
    try:
        found = call(clients.client("ecr"), "describe_images", registryId=registry,
                     repositoryName=repository, imageIds=[{"imageTag": tag}])
    except AwsError as error:
        if error.code in NO_IMAGE:
            return None
        raise
    details = found.get("imageDetails") or [{}]
    digest: str | None = details[0].get("imageDigest")
    return digest


def caller_account(clients: Clients) -> str | None:
    """The account the credentials belong to (STS GetCallerIdentity, which needs no permission)."""
    found = call(clients.client("sts"), "get_caller_identity")
    account = found.get("Account")
    return str(account) if account else None


def assume_role(clients: Clients, role_arn: str, session_name: str = "icsync") -> Clients:
    """Clients that act as `role_arn` with refreshable credentials (clients.Clients.assuming).
    The first AssumeRole is made here, so that a role that cannot be assumed stops the run at
    once, with AWS's reason."""
    with answered("AssumeRole"):
        assumed, credentials = clients.assuming(role_arn, session_name)
        credentials.get_frozen_credentials()
    return assumed
