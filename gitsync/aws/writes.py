"""The mutating calls a plan names, by AWS operation name: what the executor sends."""

from __future__ import annotations

from collections.abc import Callable

from gitsync.aws import sagemaker, scaling
from gitsync.aws.calls import Document
from gitsync.aws.clients import Clients

CALLS: dict[str, Callable[[Clients, Document], Document]] = {
    "CreateInferenceComponent": sagemaker.create_component,
    "UpdateInferenceComponent": sagemaker.update_component,
    "UpdateInferenceComponentRuntimeConfig": sagemaker.update_runtime_config,
    "DeleteInferenceComponent": sagemaker.delete_component,
    "AddTags": sagemaker.add_tags,
    "DeleteTags": sagemaker.delete_tags,
    "RegisterScalableTarget": scaling.register_scalable_target,
    "PutScalingPolicy": scaling.put_scaling_policy,
    "DeregisterScalableTarget": scaling.deregister_scalable_target,
    "DeleteScalingPolicy": scaling.delete_scaling_policy,
}


def send(clients: Clients, operation: str, params: Document) -> Document:
    """Send one of the mutating calls a plan names."""
    return CALLS[operation](clients, params)
