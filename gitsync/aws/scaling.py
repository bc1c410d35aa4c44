"""Application Auto Scaling: the scalable targets and policies of autoscaled inference components."""

from __future__ import annotations

from gitsync.aws.calls import Document, call, pages
from gitsync.aws.clients import Clients

SERVICE = "application-autoscaling"
IDS_A_CALL = 50  # DescribeScalableTargets' limit on ResourceIds


def describe_scalable_targets(clients: Clients, namespace: str, resource_ids: list[str]) -> list[Document]:
    """The scalable targets of these resources."""
    client = clients.client(SERVICE)
    return [target for start in range(0, len(resource_ids), IDS_A_CALL)
            for page in pages(client, "describe_scalable_targets", ServiceNamespace=namespace,
                              ResourceIds=resource_ids[start:start + IDS_A_CALL])
            for target in page.get("ScalableTargets", [])]


def describe_scaling_policies(clients: Clients, namespace: str, resource_id: str) -> list[Document]:
    return [policy for page in pages(clients.client(SERVICE), "describe_scaling_policies",
                                     ServiceNamespace=namespace, ResourceId=resource_id)
            for policy in page.get("ScalingPolicies", [])]


def register_scalable_target(clients: Clients, params: Document) -> Document:
    return call(clients.client(SERVICE), "register_scalable_target", **params)


def put_scaling_policy(clients: Clients, params: Document) -> Document:
    return call(clients.client(SERVICE), "put_scaling_policy", **params)


def deregister_scalable_target(clients: Clients, params: Document) -> Document:
    return call(clients.client(SERVICE), "deregister_scalable_target", **params)


def delete_scaling_policy(clients: Clients, params: Document) -> Document:
    return call(clients.client(SERVICE), "delete_scaling_policy", **params)
