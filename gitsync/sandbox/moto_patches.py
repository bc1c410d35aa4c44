"""Where moto lags AWS, extended in place; applied once, when the sandbox first creates moto's app.

Application Auto Scaling: moto 5.1/5.2 validates `ScalableDimension` against a closed enum that
lacks `sagemaker:inference-component:DesiredCopyCount`, so RegisterScalableTarget, PutScalingPolicy
and DescribeScalableTargets reject inference components ("Unsupported service namespace, resource
type or scalable dimension"). Both validators (`models._target_params_are_valid` and
`ApplicationAutoScalingResponse._validate_params`) read the module-level enum
`ScalableDimensionValueSet` when they run, so swapping in an enum with the missing members fixes
both. The resource type is taken from the ResourceId's first path part (`inference-component/<name>`),
which already matches the dimension's middle part.
"""

from __future__ import annotations

import threading
from enum import Enum, unique
from typing import Any

MISSING_DIMENSIONS = {
    "SAGEMAKER_INFERENCE_COMPONENT_DESIRED_COPY_COUNT": "sagemaker:inference-component:DesiredCopyCount",
}
_ENUM = "ScalableDimensionValueSet"
_applied = False
_lock = threading.Lock()


def apply() -> None:
    """Idempotent: the first call patches moto, later calls do nothing."""
    global _applied
    with _lock:
        if _applied:
            return
        _extend_scalable_dimensions()
        _applied = True


def _extend_scalable_dimensions() -> None:
    from moto.applicationautoscaling import models, responses

    current = models.ScalableDimensionValueSet
    members = {member.name: member.value for member in current}
    missing = {k: v for k, v in MISSING_DIMENSIONS.items() if v not in members.values()}
    if not missing:
        return  # a moto that knows the dimension needs no patch
    functional_enum: Any = Enum  # the functional API, which mypy cannot type
    extended = unique(functional_enum(_ENUM, {**members, **missing}))
    for module in (models, responses):
        setattr(module, _ENUM, extended)
