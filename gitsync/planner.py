"""The planner: desired and live state in, a Plan out. Pure: no I/O, no mutation of its inputs.

`build_plan` works out every component's change once, autoscaling included, from complete live
state (gather.py reads it all first). `change_of` is the same per-component rule without
autoscaling, which gather uses to know what else the checks of a changing component must read.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from gitsync import autoscaling, images, normalize
from gitsync.diff import ABSENT, Difference, diff, leaves
from gitsync.manifests.options import Options
from gitsync.manifests.validate import Desired
from gitsync.plan import Action, Call, ComponentChange, FieldChange, Plan, fingerprint
from gitsync.secrets import DEFAULT_SECRET_PATTERN, SENSITIVE, is_sensitive
from gitsync.state import ENVIRONMENT_TAG, PROJECT_TAG, LiveComponent, LiveState

REPLACE_FIELDS = ("EndpointName", "VariantName")
PRUNE_TAG = "icsync:prune"
WAVE_TAG = "icsync:wave"


@dataclass(frozen=True)
class PlanSettings:
    environment: str
    project: str
    ignore: tuple[str, ...] = ()
    secret_pattern: str = DEFAULT_SECRET_PATTERN
    prune: bool = False


def build_plan(desired: list[Desired], live: LiveState, settings: PlanSettings) -> Plan:
    pattern = re.compile(settings.secret_pattern)
    wanted = {d.name for d in desired}
    changes = [_with_autoscaling(d, live, _change(d, live.components.get(d.name), settings, pattern,
                                                  live.image_digests))
               for d in desired]
    unmanaged: list[str] = []
    for name, summary in sorted(live.listed.items()):
        if name in wanted:
            continue
        if settings.prune and live.owned(name, settings.project, settings.environment) \
                and live.components[name].tags.get(PRUNE_TAG) != "false":
            changes.append(_delete(name, summary["EndpointName"], live))
        else:
            unmanaged.append(name)
    return Plan(settings.environment, settings.project, tuple(changes), tuple(unmanaged))


def change_of(want: Desired, found: LiveComponent | None, settings: PlanSettings,
              image_digests: dict[str, str]) -> ComponentChange:
    """One component's change as build_plan works it out, before autoscaling is folded in
    (autoscaling never changes whether a component deploys or touches its tags)."""
    return _change(want, found, settings, re.compile(settings.secret_pattern), image_digests)


def turns_on_tags(change: ComponentChange, owned: bool) -> bool:
    """The change rests on the component's live tags as the tagging index gave them, which may lag
    behind a recent change: a delete (ownership is a tag), a tag whose value it changes or removes,
    or any tag change on a component this project and environment own (the index may not show
    what their last apply wrote yet). A tag only added to a component icsync does not own yet (its
    first apply) needs no second read: adding a tag it already has changes nothing."""
    if change.action is Action.DELETE:
        return True
    tags = [f for f in change.fields if f.path.split(".")[0] == "Tags"]
    return any(owned or f.before is not ABSENT for f in tags)


def owner_tags(settings: PlanSettings, options: Options) -> list[dict[str, str]]:
    """Set on every component apply creates: only owned components can ever be pruned."""
    tags = [{"Key": PROJECT_TAG, "Value": settings.project},
            {"Key": ENVIRONMENT_TAG, "Value": settings.environment}]
    if not options.prune:
        tags.append({"Key": PRUNE_TAG, "Value": "false"})
    if options.wave:
        tags.append({"Key": WAVE_TAG, "Value": str(options.wave)})  # deletes run waves in reverse
    return tags


def create_params(want: Desired, settings: PlanSettings) -> dict[str, Any]:
    params = {k: v for k, v in want.body.items() if k != "Tags"}
    params["Tags"] = list(want.body.get("Tags") or []) + owner_tags(settings, want.options)
    return params


BATCH_SECONDS = 600  # a rolling batch places its copies, on new instances if need be: minutes


def deployment_timeout(deployment: dict[str, Any] | None, body: dict[str, Any]) -> float | None:
    """How long a deployment of this component may take, from its DeploymentConfig: the
    MaximumExecutionTimeoutInSeconds it sets, else its batches times (a batch's deployment plus the
    WaitIntervalInSeconds bake); None without a rolling policy (the executor's default then)."""
    policy = (deployment or {}).get("RollingUpdatePolicy") or {}
    if policy.get("MaximumExecutionTimeoutInSeconds"):
        return float(policy["MaximumExecutionTimeoutInSeconds"])
    size = policy.get("MaximumBatchSize") or {}
    if not size.get("Value"):
        return None
    copies = int((body.get("RuntimeConfig") or {}).get("CopyCount") or 1)
    per_batch = int(size["Value"]) if size.get("Type") == "COPY_COUNT" \
        else copies * int(size["Value"]) // 100
    batches = -(-copies // max(1, per_batch))
    return float(batches * (BATCH_SECONDS + int(policy.get("WaitIntervalInSeconds") or 0)))


def is_ignored(path: str, rules: tuple[str, ...]) -> bool:
    return any(path == rule or path.startswith(rule + ".") or fnmatch.fnmatchcase(path, rule)
               for rule in rules)


def _with_autoscaling(want: Desired, live: LiveState, change: ComponentChange) -> ComponentChange:
    found = live.components.get(want.name)
    arn = found.describe.get("InferenceComponentArn") if found else None
    return autoscaling.fold(change, want.options.autoscaling, live.autoscaling.get(want.name), arn)


def _delete(name: str, endpoint: str, live: LiveState) -> ComponentChange:
    found = live.components.get(name)
    describe = found.describe if found else {}
    bases = [s.get("BaseInferenceComponentName") for s in normalize.specs(describe)]
    wave = (found.tags if found else {}).get(WAVE_TAG, "0")
    scaling = autoscaling.unscaled(name, live.autoscaling.get(name))
    return ComponentChange(
        name, endpoint, Action.DELETE, "owned by this project and environment, in no manifest (--prune)",
        calls=(*scaling, Call("DeleteInferenceComponent", {"InferenceComponentName": name})),
        base=next((b for b in bases if b), None), wave=int(wave) if wave.lstrip("-").isdigit() else 0,
        live_fingerprint=fingerprint(describe) if found else None)


def _field_changes(differences: list[Difference], rules: tuple[str, ...],
                   pattern: re.Pattern[str]) -> tuple[FieldChange, ...]:
    out = []
    for d in differences:
        sensitive = is_sensitive(d.path, pattern)
        before = SENSITIVE if sensitive and d.before is not ABSENT else d.before
        after = SENSITIVE if sensitive and d.after is not ABSENT else d.after
        out.append(FieldChange(d.path, before, after, sensitive=sensitive,
                               ignored=is_ignored(d.path, rules),
                               forces_replacement=d.path in REPLACE_FIELDS and d.before is not ABSENT))
    return tuple(out)


def _change(want: Desired, found: LiveComponent | None, settings: PlanSettings,
            pattern: re.Pattern[str], image_digests: dict[str, str]) -> ComponentChange:
    desired_view = normalize.comparable_desired(want.body)
    common: dict[str, Any] = {"name": want.name, "endpoint": want.endpoint, "wave": want.options.wave,
                              "base": want.base, "desired": desired_view,
                              "timeout": deployment_timeout(want.deployment, want.body)}
    if found is None:
        fields = _field_changes(diff({}, desired_view), (), pattern)
        return ComponentChange(action=Action.CREATE, reason="not found live", fields=fields,
                               calls=(Call("CreateInferenceComponent", create_params(want, settings)),),
                               **common)
    live_view = normalize.comparable_live(found.describe, found.tags, want.body)
    rules = (settings.ignore + want.options.ignore
             + autoscaling.ignored_paths(want.options.autoscaling, found.describe))
    fields = _field_changes(diff(live_view, desired_view), rules, pattern)
    status = {k: found.describe.get(k) for k in ("InferenceComponentStatus", "FailureReason")
              if found.describe.get(k)}
    status.update({k: v for k, v in (found.describe.get("RuntimeConfig") or {}).items()
                   if k in ("CurrentCopyCount", "PlacementStatus")})
    arn = found.describe["InferenceComponentArn"]
    action, reason, calls = _decide(want, arn, [f for f in fields if not f.ignored], live_view,
                                    desired_view, settings)
    tag_moves = images.moved(found.describe, want.body, image_digests)
    if tag_moves and action in (Action.NOOP, Action.SCALE, Action.TAG):
        action, reason, calls = _redeploy_moved_tag(want, action, calls)
        fields += tuple(FieldChange(m.path, m.before, m.after) for m in tag_moves)
    unchanged = len(leaves(desired_view)) - sum(1 for f in fields if f.after is not ABSENT)
    return ComponentChange(action=action, reason=reason, fields=fields, calls=calls,
                           live_fingerprint=fingerprint(found.describe), status=status,
                           unchanged_fields=max(0, unchanged), **common)


def _decide(want: Desired, arn: str, fields: list[FieldChange], live_view: dict[str, Any],
            desired_view: dict[str, Any], settings: PlanSettings) -> tuple[Action, str, tuple[Call, ...]]:
    if not fields:
        return Action.NOOP, "live matches the manifest", ()
    replaced = [f.path for f in fields if f.forces_replacement]
    if replaced:
        return (Action.REPLACE, f"{', '.join(replaced)} cannot change in place",
                (Call("DeleteInferenceComponent", {"InferenceComponentName": want.name}),
                 Call("CreateInferenceComponent", create_params(want, settings))))
    spec_changed = any(f.path.startswith(("Specification",)) for f in fields)
    count_changed = any(f.path.startswith("RuntimeConfig") for f in fields)
    tag_calls = _tag_calls(arn, live_view, desired_view)
    if spec_changed:
        return (Action.UPDATE, _rollout(want),
                (Call("UpdateInferenceComponent", _update_params(want, count_changed)), *tag_calls))
    if count_changed:
        count = want.body["RuntimeConfig"]["CopyCount"]
        params = {"InferenceComponentName": want.name, "DesiredRuntimeConfig": {"CopyCount": count}}
        return (Action.SCALE, "only the copy count differs: no redeploy",
                (Call("UpdateInferenceComponentRuntimeConfig", params), *tag_calls))
    return Action.TAG, "only tags differ", tag_calls


def _redeploy_moved_tag(want: Desired, action: Action,
                        calls: tuple[Call, ...]) -> tuple[Action, str, tuple[Call, ...]]:
    """The same specification sent again: AWS resolves the tag anew and redeploys. A copy count
    that also differs rides along in the same update."""
    others = tuple(c for c in calls if c.operation in ("AddTags", "DeleteTags"))
    return (Action.UPDATE, images.REASON,
            (Call("UpdateInferenceComponent", _update_params(want, action is Action.SCALE)), *others))


def _update_params(want: Desired, with_count: bool) -> dict[str, Any]:
    """An UpdateInferenceComponent request: the manifest's specification, its copy count when
    that changes too, and its DeploymentConfig."""
    params: dict[str, Any] = {"InferenceComponentName": want.name}
    for key in ("Specification", "Specifications"):
        if key in want.body:
            params[key] = want.body[key]
    if with_count:
        params["RuntimeConfig"] = want.body["RuntimeConfig"]
    if want.deployment:
        params["DeploymentConfig"] = want.deployment
    return params


def _rollout(want: Desired) -> str:
    """How the specification update will roll out, from DeploymentConfig."""
    policy = (want.deployment or {}).get("RollingUpdatePolicy")
    if not policy:
        return "specification differs: blue/green redeploy (no RollingUpdatePolicy)"
    size = policy["MaximumBatchSize"]
    unit = "copies" if size["Type"] == "COPY_COUNT" else "% of capacity"
    return (f"specification differs: rolling redeploy in batches of {size['Value']}{' ' if unit == 'copies' else ''}"
            f"{unit}, baking {policy['WaitIntervalInSeconds']}s each")


def _tag_calls(arn: str, live_view: dict[str, Any],
               desired_view: dict[str, Any]) -> tuple[Call, ...]:
    before, after = live_view.get("Tags", {}), desired_view.get("Tags", {})
    calls: list[Call] = []
    added = [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]
    removed = [k for k in before if k not in after]
    if added:
        calls.append(Call("AddTags", {"ResourceArn": arn, "Tags": added}))
    if removed:
        calls.append(Call("DeleteTags", {"ResourceArn": arn, "TagKeys": removed}))
    return tuple(calls)
