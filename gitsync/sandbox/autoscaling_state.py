"""Application Auto Scaling's targets and policies, which moto holds in memory, kept with `--state`.

moto serves Application Auto Scaling from process-global backends, one per account and region. A
sandbox with a state file owns its account's: on its first moto call `restore` drops whatever the
process held (another sandbox's, in tests) and recreates the file's targets and policies; after each
call in `MUTATING`, `dump` gives what to write back. ARNs and creation times are kept, so a restart
changes nothing that a Describe call shows. Scheduled actions (icsync uses none) are not kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitsync.sandbox.state import ACCOUNT_ID

if TYPE_CHECKING:  # moto loads in seconds: only a sandbox that serves its calls imports it
    from moto.applicationautoscaling.models import (
        FakeApplicationAutoscalingPolicy,
        FakeScalableTarget,
    )

MUTATING = frozenset({"RegisterScalableTarget", "DeregisterScalableTarget",
                      "PutScalingPolicy", "DeleteScalingPolicy"})
# FakeScalableTarget's constructor arguments, which are also its attribute names.
_TARGET = ("service_namespace", "resource_id", "scalable_dimension", "min_capacity", "max_capacity",
           "role_arn", "suspended_state")
_POLICY = ("policy_name", "service_namespace", "resource_id", "scalable_dimension", "policy_type")


def dump() -> dict[str, Any]:
    """The account's targets and policies by region, as plain JSON."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    regions = applicationautoscaling_backends[ACCOUNT_ID]
    # list(): moto's other request threads may add a region or a target meanwhile.
    return {region: {"targets": [_target(t) for by_id in list(backend.targets.values())
                                 for t in list(by_id.values())],
                     "policies": [_policy(p) for p in list(backend.policies.values())]}
            for region, backend in list(regions.items()) if backend.targets or backend.policies}


def _target(target: FakeScalableTarget) -> dict[str, Any]:
    return {**{key: getattr(target, key) for key in _TARGET},
            "arn": target.arn, "creation_time": target.creation_time}


def _policy(policy: FakeApplicationAutoscalingPolicy) -> dict[str, Any]:
    body = policy.target_tracking_scaling_policy_configuration or policy.step_scaling_policy_configuration
    return {**{key: getattr(policy, key) for key in _POLICY}, "policy_body": body,
            "policy_arn": policy.policy_arn, "creation_time": policy.creation_time}


def restore(document: dict[str, Any]) -> None:
    """Make moto's Application Auto Scaling state for the account exactly `document` (from `dump`)."""
    from moto.applicationautoscaling.models import (
        FakeScalableTarget,
        applicationautoscaling_backends,
    )

    regions = applicationautoscaling_backends[ACCOUNT_ID]
    regions.reset()
    for region, saved in document.items():
        backend = regions[region]
        for fields in saved["targets"]:
            # Built directly, not registered: registering checks again what was checked when the
            # target was first registered (an ECS target's service, which moto no longer holds).
            target = FakeScalableTarget(backend, **{key: fields[key] for key in _TARGET})
            target.arn, target.creation_time = fields["arn"], fields["creation_time"]
            backend.targets.setdefault(target.scalable_dimension, {})[target.resource_id] = target
        for fields in saved["policies"]:
            policy = backend.put_scaling_policy(**{key: fields[key] for key in (*_POLICY, "policy_body")})
            policy.policy_arn, policy.creation_time = fields["policy_arn"], fields["creation_time"]
