"""Autoscaling as part of a manifest: `icsync: {autoscaling: {...}}` manages the component's
Application Auto Scaling scalable target and its target-tracking policy.

Pure pieces of planning (the option's type and checks live in manifests/options.py; gather.py
reads the live targets and policies):
- `ignored_paths`: an autoscaled component's CopyCount belongs to the autoscaler while the live
  count lies within [min, max], so it is neither drift nor written by apply;
- `fold`: a component's change with its autoscaling differences (fields under
  `icsync.autoscaling.`) and the calls that settle them, made after the component exists.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gitsync import diff as differ
from gitsync.manifests.options import Autoscaling
from gitsync.plan import Action, Call, ComponentChange, FieldChange
from gitsync.state import PROJECT_TAG, LiveScaling

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
POLICY_NAME = "icsync-target-tracking"
# Set on a component once apply registers its target: later plans then know to read it, and a
# manifest that drops autoscaling deregisters it. Plans of components never autoscaled read nothing.
MARK_TAG = "icsync:autoscaling"
PREFIX = "icsync.autoscaling."


def resource_id(name: str) -> str:
    return f"inference-component/{name}"


def component_of(resource: str) -> str:
    """The component's name in an Application Auto Scaling resource id."""
    return resource.split("/", 1)[1]


def wanted_or_marked(want: Autoscaling | None, tags: dict[str, str]) -> bool:
    """Whether a component's live autoscaling must be read: autoscaled in its manifest, or marked
    live as autoscaled by an earlier apply (so that dropping the option deregisters it)."""
    return want is not None or tags.get(MARK_TAG) == "true"


def ignored_paths(want: Autoscaling | None, describe: dict[str, Any]) -> tuple[str, ...]:
    """CopyCount is the autoscaler's while the live desired count lies within [min, max]."""
    if want is None:
        return ()
    live = (describe.get("RuntimeConfig") or {}).get("DesiredCopyCount")
    if isinstance(live, int) and want.min <= live <= want.max:
        return ("RuntimeConfig.CopyCount",)
    return ()


def live_view(found: LiveScaling | None) -> dict[str, Any] | None:
    """The live target and policy in the manifest's form (None: not autoscaled)."""
    if found is None or found.target is None:
        return None
    out: dict[str, Any] = {"min": found.target.get("MinCapacity"), "max": found.target.get("MaxCapacity")}
    config = (found.policy or {}).get("TargetTrackingScalingPolicyConfiguration") or {}
    if config:
        target: dict[str, Any] = {"value": float(config.get("TargetValue", 0))}
        predefined = config.get("PredefinedMetricSpecification") or {}
        if "CustomizedMetricSpecification" in config:
            target["custom"] = config["CustomizedMetricSpecification"]
        else:
            target["metric"] = predefined.get("PredefinedMetricType")
        out["target"] = target
        for key, name in (("scale_in_cooldown", "ScaleInCooldown"), ("scale_out_cooldown", "ScaleOutCooldown")):
            if name in config:
                out[key] = config[name]
    return out


def _policy_params(name: str, want: Autoscaling) -> dict[str, Any]:
    config: dict[str, Any] = {"TargetValue": float(want.value)}
    if want.custom is not None:
        config["CustomizedMetricSpecification"] = want.custom
    else:
        config["PredefinedMetricSpecification"] = {"PredefinedMetricType": want.metric}
    if want.scale_in_cooldown is not None:
        config["ScaleInCooldown"] = want.scale_in_cooldown
    if want.scale_out_cooldown is not None:
        config["ScaleOutCooldown"] = want.scale_out_cooldown
    return {"PolicyName": POLICY_NAME, "ServiceNamespace": NAMESPACE, "ResourceId": resource_id(name),
            "ScalableDimension": DIMENSION, "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": config}


def calls(name: str, arn: str | None, want: Autoscaling | None,
          live: dict[str, Any] | None) -> tuple[Call, ...]:
    """What settles the autoscaling: register the target, put the policy, or deregister."""
    ident = {"ServiceNamespace": NAMESPACE, "ResourceId": resource_id(name), "ScalableDimension": DIMENSION}
    if want is None:
        if live is None:
            return ()
        unmark = (Call("DeleteTags", {"ResourceArn": arn, "TagKeys": [MARK_TAG]}),) if arn else ()
        return (Call("DeregisterScalableTarget", ident), *unmark)
    wanted = want.view()
    out: list[Call] = []
    if live is None or (live.get("min"), live.get("max")) != (want.min, want.max):
        out.append(Call("RegisterScalableTarget", {**ident, "MinCapacity": want.min, "MaxCapacity": want.max}))
    if live is None or {k: v for k, v in wanted.items() if k not in ("min", "max")} != \
            {k: v for k, v in live.items() if k not in ("min", "max")}:
        out.append(Call("PutScalingPolicy", _policy_params(name, want)))
    if live is None and arn:  # a new component carries the mark from its create call
        out.append(Call("AddTags", {"ResourceArn": arn, "Tags": [{"Key": MARK_TAG, "Value": "true"}]}))
    return tuple(out)


def unscaled(name: str, found: LiveScaling | None) -> tuple[Call, ...]:
    """What removes a pruned component's autoscaling, before the component itself: Application Auto
    Scaling keeps a target whose component is gone (and would scale one being deleted). Its policy
    is deleted by name first: AWS's DeregisterScalableTarget deletes a target's policies with it
    (its API reference says so), an emulator may not, and a policy left behind would be read again."""
    if found is None or found.target is None:
        return ()
    ident = {"ServiceNamespace": NAMESPACE, "ResourceId": resource_id(name), "ScalableDimension": DIMENSION}
    policy = (Call("DeleteScalingPolicy", {**ident, "PolicyName": POLICY_NAME}),) if found.policy else ()
    return (*policy, Call("DeregisterScalableTarget", ident))


def _marked(call: Call) -> Call:
    """A create call, or an adoption's AddTags (it carries the ownership tags), that also sets the
    autoscaling mark: from then on the component is icsync's, and a manifest that drops the option
    deregisters its target, whoever registered it."""
    adopts = call.operation == "AddTags" and any(t.get("Key") == PROJECT_TAG for t in call.params["Tags"])
    if call.operation != "CreateInferenceComponent" and not adopts:
        return call
    tags = [t for t in call.params.get("Tags", []) if t.get("Key") != MARK_TAG]
    return Call(call.operation, {**call.params, "Tags": [*tags, {"Key": MARK_TAG, "Value": "true"}]})


def _fields(want: Autoscaling | None, live: dict[str, Any] | None) -> tuple[FieldChange, ...]:
    if want is None:  # every live leaf goes (diff would report the whole block as one root change)
        return tuple(FieldChange(PREFIX + path, value, differ.ABSENT)
                     for path, value in differ.leaves(live or {}))
    found = differ.diff(live or {}, want.view())
    return tuple(FieldChange(PREFIX + d.path, d.before, d.after) for d in found)


def fold(change: ComponentChange, want: Autoscaling | None, found: LiveScaling | None,
         arn: str | None) -> ComponentChange:
    """`change` with the component's autoscaling differences and calls folded in. `arn`: the live
    component's (None when it does not exist yet)."""
    before = None if change.action is Action.REPLACE else live_view(found)  # a new one starts bare
    if change.action in (Action.CREATE, Action.REPLACE):
        arn = None
    extra = calls(change.name, arn, want, before)
    own = tuple(_marked(c) for c in change.calls) if want else change.calls
    if own != change.calls:  # the mark rides on the create or the adoption: not sent twice
        extra = tuple(c for c in extra if c.operation != "AddTags")
    if not extra:
        return dataclasses.replace(change, calls=own)
    action, reason = change.action, change.reason
    if action is Action.NOOP:
        action, reason = Action.UPDATE, "only autoscaling differs: no redeploy"
    elif action is Action.TAG:
        action, reason = Action.UPDATE, "only tags and autoscaling differ: no redeploy"
    return dataclasses.replace(change, action=action, reason=reason,
                               fields=change.fields + _fields(want, before), calls=own + extra)
