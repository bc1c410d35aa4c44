"""Autoscaling as part of a manifest: `icsync: {autoscaling: {...}}` manages the component's
Application Auto Scaling scalable target and its target-tracking policy.

Three pure pieces and one read:
- `parse` / `problems`: the manifest option, checked (min >= 0, max >= min, a target metric, a
  positive target value, cooldowns >= 0);
- `ignored_paths`: an autoscaled component's CopyCount belongs to the autoscaler while the live
  count lies within [min, max], so it is neither drift nor written by apply;
- `amend`: the plan with each component's autoscaling differences (fields under
  `icsync.autoscaling.`) and the calls that settle them, made after the component exists;
- `fetch`: live targets and policies, read only for components that are (or were) autoscaled.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

from gitsync import aws
from gitsync import diff as differ

if TYPE_CHECKING:  # plan.py imports this module (through the manifest options): no cycle at run time
    from gitsync import plan as planning

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
POLICY_NAME = "icsync-target-tracking"
# Set on a component once apply registers its target: later plans then know to read it, and a
# manifest that drops autoscaling deregisters it. Plans of components never autoscaled read nothing.
MARK_TAG = "icsync:autoscaling"
PREFIX = "icsync.autoscaling."
KEYS = ("min", "max", "target", "scale_in_cooldown", "scale_out_cooldown")


@dataclass(frozen=True)
class Autoscaling:
    min: int
    max: int
    metric: str | None  # a predefined metric type; None with a custom metric
    value: float
    scale_in_cooldown: int | None = None
    scale_out_cooldown: int | None = None
    custom: dict[str, Any] | None = field(default=None, hash=False)

    def view(self) -> dict[str, Any]:
        """The comparable form, keyed as the manifest writes it."""
        target: dict[str, Any] = {"value": float(self.value)}
        if self.custom is not None:
            target["custom"] = self.custom
        else:
            target["metric"] = self.metric
        out: dict[str, Any] = {"min": self.min, "max": self.max, "target": target}
        for key in ("scale_in_cooldown", "scale_out_cooldown"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class LiveScaling:
    target: dict[str, Any] | None
    policy: dict[str, Any] | None


def resource_id(name: str) -> str:
    return f"inference-component/{name}"


def parse(raw: Any) -> Autoscaling | None:
    """The option as validated by `problems` (call that first)."""
    if not isinstance(raw, dict):
        return None
    target = raw["target"]
    return Autoscaling(raw["min"], raw["max"], target.get("metric"), float(target["value"]),
                       raw.get("scale_in_cooldown"), raw.get("scale_out_cooldown"), target.get("custom"))


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def problems(raw: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []
    for key in raw:
        if key not in KEYS:
            found.append(((str(key),), f"unknown autoscaling key `{key}`; expected {', '.join(KEYS)}"))
    low, high = raw.get("min"), raw.get("max")
    if not _whole(low) or low < 0:
        found.append((("min",), "min must be a whole number of copies, 0 or more (0 scales to zero)"))
    if not _whole(high) or high < 1:
        found.append((("max",), "max must be a whole number of copies, 1 or more"))
    elif _whole(low) and high < low:
        found.append((("max",), f"max ({high}) is below min ({low})"))
    for key in ("scale_in_cooldown", "scale_out_cooldown"):
        if key in raw and (not _whole(raw[key]) or raw[key] < 0):
            found.append(((key,), f"{key} must be a whole number of seconds, 0 or more"))
    target = raw.get("target")
    if not isinstance(target, dict):
        return found + [(("target",), ("target must be a mapping: {metric: "
                         "SageMakerInferenceComponentInvocationsPerCopy, value: 4}"))]
    if not isinstance(target.get("metric"), str) and not isinstance(target.get("custom"), dict):
        found.append((("target", "metric"), ("target.metric must name a predefined metric type "
                      "(e.g. SageMakerInferenceComponentInvocationsPerCopy), or target.custom a "
                      "CustomizedMetricSpecification")))
    value = target.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        found.append((("target", "value"), "target.value must be a number above 0"))
    return found


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
          live: dict[str, Any] | None) -> tuple[planning.Call, ...]:
    """What settles the autoscaling: register the target, put the policy, or deregister."""
    from gitsync import plan as planning
    Call = planning.Call
    ident = {"ServiceNamespace": NAMESPACE, "ResourceId": resource_id(name), "ScalableDimension": DIMENSION}
    if want is None:
        if live is None:
            return ()
        unmark = (Call("DeleteTags", {"ResourceArn": arn, "TagKeys": [MARK_TAG]}),) if arn else ()
        return (Call("DeregisterScalableTarget", ident), *unmark)
    wanted = want.view()
    out: list[planning.Call] = []
    if live is None or (live.get("min"), live.get("max")) != (want.min, want.max):
        out.append(Call("RegisterScalableTarget", {**ident, "MinCapacity": want.min, "MaxCapacity": want.max}))
    if live is None or {k: v for k, v in wanted.items() if k not in ("min", "max")} != \
            {k: v for k, v in live.items() if k not in ("min", "max")}:
        out.append(Call("PutScalingPolicy", _policy_params(name, want)))
    if live is None and arn:  # a new component carries the mark from its create call
        out.append(Call("AddTags", {"ResourceArn": arn, "Tags": [{"Key": MARK_TAG, "Value": "true"}]}))
    return tuple(out)


def _marked(call: planning.Call) -> planning.Call:
    """A create call that also sets the autoscaling mark."""
    from gitsync import plan as planning
    if call.operation != "CreateInferenceComponent":
        return call
    tags = [t for t in call.params.get("Tags", []) if t.get("Key") != MARK_TAG]
    return planning.Call(call.operation, {**call.params, "Tags": [*tags, {"Key": MARK_TAG, "Value": "true"}]})


def _fields(want: Autoscaling | None, live: dict[str, Any] | None) -> tuple[planning.FieldChange, ...]:
    from gitsync import plan as planning

    if want is None:  # every live leaf goes (diff would report the whole block as one root change)
        return tuple(planning.FieldChange(PREFIX + path, value, differ.ABSENT)
                     for path, value in differ.leaves(live or {}))
    found = differ.diff(live or {}, want.view())
    return tuple(planning.FieldChange(PREFIX + d.path, d.before, d.after) for d in found)


def amend(plan: planning.Plan, wanted: dict[str, Autoscaling | None],
          live: dict[str, LiveScaling], arns: dict[str, str]) -> planning.Plan:
    """The plan with autoscaling differences folded into each component's change (pure)."""
    from gitsync import plan as planning
    Action = planning.Action
    changes = []
    for change in plan.changes:
        if change.action is Action.DELETE or change.name not in wanted:
            changes.append(change)
            continue
        want = wanted[change.name]
        before = live_view(live.get(change.name))
        arn = None if change.action in (Action.CREATE, Action.REPLACE) else arns.get(change.name)
        if change.action is Action.REPLACE:
            before = None  # the new component starts without a target
        extra = calls(change.name, arn, want, before)
        own = tuple(_marked(c) for c in change.calls) if want else change.calls
        if not extra:
            changes.append(dataclasses.replace(change, calls=own))
            continue
        action, reason = change.action, change.reason
        if action is Action.NOOP:
            action, reason = Action.UPDATE, "only autoscaling differs: no redeploy"
        elif action is Action.TAG:
            action, reason = Action.UPDATE, "only tags and autoscaling differ: no redeploy"
        changes.append(dataclasses.replace(change, action=action, reason=reason,
                                           fields=change.fields + _fields(want, before),
                                           calls=own + extra))
    return dataclasses.replace(plan, changes=tuple(changes))


def with_autoscaling(clients: aws.Clients, plan: planning.Plan, wanted: dict[str, Autoscaling | None],
                     live_tags: dict[str, tuple[str, dict[str, str]]]) -> planning.Plan:
    """Read the live autoscaling of components autoscaled in a manifest or marked live
    (`live_tags`: name -> (ARN, tags)), then amend the plan. Components that are neither cost no call."""
    marked = {n for n, (_, tags) in live_tags.items() if tags.get(MARK_TAG) == "true"}
    names = sorted({n for n, w in wanted.items() if w is not None} | (marked & set(wanted)))
    arns = {n: arn for n, (arn, _) in live_tags.items()}
    return amend(plan, wanted, fetch(clients, names), arns)


def fetch(clients: aws.Clients, names: list[str]) -> dict[str, LiveScaling]:
    """Targets and policies of these components (no call for an empty list)."""
    if not names:
        return {}
    targets = aws.describe_scalable_targets(clients, NAMESPACE, [resource_id(n) for n in names])
    out: dict[str, LiveScaling] = {}
    for target in targets:
        if target.get("ScalableDimension") != DIMENSION:
            continue
        name = target["ResourceId"].split("/", 1)[1]
        policies = aws.describe_scaling_policies(clients, NAMESPACE, target["ResourceId"])
        mine = next((p for p in policies if p.get("PolicyName") == POLICY_NAME), None)
        out[name] = LiveScaling(target, mine)
    return out
