"""How long deployments take: a profile of real durations, times one speed factor.

The profile follows what public runs of SageMaker report: a component takes minutes to create
(instances found, image pulled, model loaded), an adapter a minute or two (its base is already
loaded), a rolling update one model load per batch plus the bake time (`WaitIntervalInSeconds`)
after each, and a delete a few minutes. `speed` scales all of them alike, so their ratios stay
real: 0.001 makes a 7-minute create take 0.42 s. Without a speed, every transition lasts the flat
`--transition-seconds` (the sandbox's first, ratio-free model; 0 by default: instantaneous).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

CREATE = 420.0  # 5-10 minutes for a model component
ADAPTER_CREATE = 90.0  # 1-2 minutes: only the adapter's weights load
BATCH = 300.0  # one model load per batch of copies in a rolling update
SCALE_OUT = 180.0  # more copies: model loads on the new copies
SCALE_IN = 60.0  # fewer copies: draining
DELETE = 180.0
ADAPTER_DELETE = 60.0
# Managed instance scaling. A saved run (aws-samples/sagemaker-genai-hosting-examples,
# 03-features/deployment/ic_rolling_deployment.ipynb) shows the endpoint Updating with
# CurrentInstanceCount 1 and DesiredInstanceCount 2 eight seconds after a create that needed a second
# instance, and the extra instance of a rolling update released ("After timeout, SageMaker AI will
# terminate additional instance") with the endpoint last modified 9 min 51 s after the component's
# update ended. How long instances take to start or stop is not shown: a few minutes, a minute.
INSTANCES_ADDED = 240.0  # instances found and started
IDLE_RELEASE = 540.0  # instances left without copies wait this long before managed scaling releases them
INSTANCES_RELEASED = 60.0  # releasing them: IDLE_RELEASE + INSTANCES_RELEASED is the run's ~10 minutes


@dataclass
class Timing:
    speed: float | None = None
    flat_seconds: float = 0.0

    def seconds(self, real: float) -> float:
        """A real duration, as the sandbox plays it."""
        return self.flat_seconds if self.speed is None else real * self.speed


def is_adapter(component: dict[str, Any]) -> bool:
    return bool(component.get("Specification", {}).get("BaseInferenceComponentName"))


def create(component: dict[str, Any]) -> float:
    return ADAPTER_CREATE if is_adapter(component) else CREATE


def delete(component: dict[str, Any]) -> float:
    return ADAPTER_DELETE if is_adapter(component) else DELETE


def runtime(before: int, after: int) -> float:
    return SCALE_OUT if after > before else SCALE_IN


def update(component: dict[str, Any], deployment: dict[str, Any] | None) -> float:
    """A specification update: one batch (blue/green) unless a rolling policy splits the copies,
    each batch followed by the policy's bake time."""
    if is_adapter(component):
        return ADAPTER_CREATE
    policy = (deployment or {}).get("RollingUpdatePolicy")
    if not policy:
        return BATCH
    copies = max(1, int(component.get("RuntimeConfig", {}).get("DesiredCopyCount", 1)))
    size = policy.get("MaximumBatchSize", {})
    per_batch = size.get("Value", copies)
    if size.get("Type") == "CAPACITY_PERCENT":
        per_batch = math.floor(copies * per_batch / 100)
    batches = math.ceil(copies / max(1, per_batch))
    return batches * (BATCH + policy.get("WaitIntervalInSeconds", 0))
