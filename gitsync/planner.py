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

from gitsync import applied, autoscaling, images, normalize, ownership, tag_calls
from gitsync.diff import ABSENT, Difference, diff, leaves
from gitsync.manifests.options import Options
from gitsync.manifests.validate import Desired
from gitsync.plan import IN_PROGRESS, Action, Call, ComponentChange, FieldChange, Plan, fingerprint
from gitsync.secrets import DEFAULT_SECRET_PATTERN, SENSITIVE, is_sensitive, masked
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
    adopt: tuple[str, ...] = ()  # components to take over from another project or from nobody


def build_plan(desired: list[Desired], live: LiveState, settings: PlanSettings) -> Plan:
    ownership.check((d.name for d in desired), live, settings.project, settings.environment,
                    settings.adopt)
    pattern = re.compile(settings.secret_pattern)
    wanted = {d.name for d in desired}
    changes = [_with_autoscaling(d, live, _change(d, live.components.get(d.name), settings, pattern,
                                                  live.image_digests))
               for d in desired]
    unmanaged: list[str] = []
    for name, summary in sorted(live.listed.items()):
        if name in wanted:
            continue
        if summary.get("InferenceComponentStatus") == "Deleting":
            continue  # already on its way out: nothing to do, nothing to report
        if settings.prune and live.owned(name, settings.project, settings.environment) \
                and live.components[name].tags.get(PRUNE_TAG) != "false":
            changes.append(_delete(name, summary["EndpointName"], live, pattern))
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
    any tag change on a component this project and environment own (the index may not show what
    their last apply wrote yet), and an adoption (another project may have adopted the component
    since the index was written: its ownership must be read where it is consistent). Another tag
    only added to a component needs no second read: adding a tag it already has changes nothing."""
    if change.action is Action.DELETE:
        return True
    tags = [f for f in change.fields if f.path.split(".")[0] == "Tags"]
    return any(owned or f.before is not ABSENT or f.path == f"Tags.{PROJECT_TAG}" for f in tags)


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
    record = applied.encode(applied.paths_of(normalize.comparable_desired(want.body)))
    params["Tags"] = (list(want.body.get("Tags") or []) + owner_tags(settings, want.options)
                      + [{"Key": k, "Value": v} for k, v in record.items()])
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


def live_fingerprint(describe: dict[str, Any], pattern: re.Pattern[str]) -> str:
    """What the live component was when planned, to tell a stale plan (`apply FILE`): a hash of
    its describe with secret values left out, so that it cannot be matched against guesses of a
    secret (a secret changed live still shows, as a field change the plan compares)."""
    return fingerprint(masked(describe, pattern))


def _delete(name: str, endpoint: str, live: LiveState, pattern: re.Pattern[str]) -> ComponentChange:
    found = live.components.get(name)
    describe = found.describe if found else {}
    bases = [s.get("BaseInferenceComponentName") for s in normalize.specs(describe)]
    wave = (found.tags if found else {}).get(WAVE_TAG, "0")
    scaling = autoscaling.unscaled(name, live.autoscaling.get(name))
    return ComponentChange(
        name, endpoint, Action.DELETE, "owned by this project and environment, in no manifest (--prune)",
        calls=(*scaling, Call("DeleteInferenceComponent", {"InferenceComponentName": name})),
        base=next((b for b in bases if b), None), wave=int(wave) if wave.lstrip("-").isdigit() else 0,
        live_fingerprint=live_fingerprint(describe, pattern) if found else None)


def _field_changes(differences: list[Difference], rules: tuple[str, ...],
                   pattern: re.Pattern[str], recorded: frozenset[str] | None = None
                   ) -> tuple[FieldChange, ...]:
    """`recorded`: the paths icsync applied last (applied.py); a field only live has and icsync
    did not apply was set by AWS, and is no change."""
    out = []
    for d in differences:
        sensitive = is_sensitive(d.path, pattern)
        before = SENSITIVE if sensitive and d.before is not ABSENT else d.before
        after = SENSITIVE if sensitive and d.after is not ABSENT else d.after
        by_aws = d.after is ABSENT and applied.set_by_aws(d.path, recorded)
        out.append(FieldChange(d.path, before, after, sensitive=sensitive,
                               ignored=is_ignored(d.path, rules), set_by_aws=by_aws,
                               forces_replacement=d.path in REPLACE_FIELDS and d.before is not ABSENT
                               and not by_aws))
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
    fields = _field_changes(diff(live_view, desired_view), rules, pattern, applied.decode(found.tags))
    status = _status(found.describe)
    arn = found.describe["InferenceComponentArn"]
    action, reason, calls = _decide(want, arn, [f for f in fields if not (f.ignored or f.set_by_aws)],
                                    live_view, desired_view, settings)
    tag_moves = images.moved(found.describe, want.body, image_digests)
    if tag_moves and action in (Action.NOOP, Action.SCALE, Action.TAG):
        action, reason, calls = _redeploy_moved_tag(want, action, calls)
        fields += tuple(FieldChange(m.path, m.before, m.after) for m in tag_moves)
    action, reason, calls = _settle(want, found.describe, (action, reason, calls), settings)
    action, reason, calls, owned = _bookkeeping(want, found, (action, reason, calls), settings)
    fields += owned
    unchanged = len(leaves(desired_view)) - sum(1 for f in fields if f.after is not ABSENT)
    return ComponentChange(action=action, reason=reason, fields=fields, calls=calls,
                           live_fingerprint=live_fingerprint(found.describe, pattern), status=status,
                           unchanged_fields=max(0, unchanged), **common)


def _status(describe: dict[str, Any]) -> dict[str, Any]:
    """What AWS says of the deployment: shown in verbose output and the JSON plan, never diffed."""
    status = {k: describe.get(k) for k in ("InferenceComponentStatus", "FailureReason") if describe.get(k)}
    status.update({k: v for k, v in (describe.get("RuntimeConfig") or {}).items()
                   if k in ("CurrentCopyCount", "PlacementStatus")})
    return status


Decision = tuple[Action, str, tuple[Call, ...]]


def _settle(want: Desired, describe: dict[str, Any], decided: Decision,
            settings: PlanSettings) -> Decision:
    """A plan tells the truth about a deployment under way or failed: never "no changes"."""
    action, reason, calls = decided
    state = describe.get("InferenceComponentStatus")
    if state == "Deleting":
        gone = "being deleted (Deleting): apply waits until it is gone; plan again to re-create it"
        return Action.WAIT, gone, ()
    if state in IN_PROGRESS:
        if action is Action.NOOP:
            return Action.WAIT, f"{state}: a deployment is in progress; apply waits for it to settle", ()
        return action, f"{state} (a deployment is in progress; apply waits for it first): {reason}", calls
    if state == "Failed":
        failure = describe.get("FailureReason") or "no reason given"
        # AWS takes no update of a Failed component (only a delete): it is created again.
        return (Action.REPLACE, f"Failed ({failure}): deleted and created again from the manifest",
                (Call("DeleteInferenceComponent", {"InferenceComponentName": want.name}),
                 Call("CreateInferenceComponent", create_params(want, settings))))
    return decided


def _bookkeeping(want: Desired, found: LiveComponent, decided: Decision, settings: PlanSettings
                 ) -> tuple[Action, str, tuple[Call, ...], tuple[FieldChange, ...]]:
    """The tags icsync keeps on a component it writes to: what it applied (three-way diff), and
    its ownership. A component nobody owns is adopted by its first apply, a foreign one with
    --adopt: the apply adds this project's ownership tags and the record of the fields the
    manifest sets, so later plans tell AWS's defaults from removed fields. Create calls carry them
    already; an owned component left alone gets none."""
    action, reason, calls = decided
    unowned = ownership.owner(found.tags) is None
    adopting = unowned or (want.name in settings.adopt and ownership.owner(found.tags) != (
        settings.project, settings.environment))
    if action in (Action.CREATE, Action.REPLACE, Action.WAIT) or (action is Action.NOOP and not adopting):
        return action, reason, calls, ()
    wanted = _record(want, found, calls, adopting)
    shown: tuple[FieldChange, ...] = ()
    dropped: tuple[str, ...] = ()
    if adopting:
        owners = {t["Key"]: t["Value"] for t in owner_tags(settings, want.options)}
        # The options another owner's manifest set (icsync:prune=false, icsync:wave) go with it.
        dropped = tuple(k for k in (PRUNE_TAG, WAVE_TAG) if k in found.tags and k not in owners)
        shown = tuple(FieldChange(f"Tags.{k}", found.tags.get(k), v) for k, v in owners.items()
                      if found.tags.get(k) != v) + tuple(FieldChange(f"Tags.{k}", found.tags[k], ABSENT)
                                                        for k in dropped)
        wanted |= owners
        if action is Action.NOOP:
            action, reason = Action.TAG, (
                "nobody owns it: apply adopts it (adds this project's ownership tags)" if unowned
                else "adopted (--adopt): apply adds this project's ownership tags")
    calls = tag_calls.merged(found.describe["InferenceComponentArn"], calls, found.tags, wanted, dropped)
    return action, reason, calls, shown


def _record(want: Desired, found: LiveComponent, calls: tuple[Call, ...], adopting: bool) -> dict[str, str]:
    """The applied-fields record to write: on adoption; on a component without one (created before
    records existed) by the first apply that writes to it, after which what AWS fills in is no
    longer a difference; and with an update whose manifest sets other fields than the record says
    (a field removed must stay a change, not pass for AWS's)."""
    recorded = applied.decode(found.tags)
    wanted = applied.encode(applied.paths_of(normalize.comparable_desired(want.body)))
    if adopting or (recorded is None and calls):
        return wanted
    updating = any(c.operation == "UpdateInferenceComponent" for c in calls)
    return wanted if updating and recorded is not None and applied.decode(wanted) != recorded else {}


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
    tagging = tag_calls.of_tags(arn, live_view, desired_view)
    if spec_changed:
        return (Action.UPDATE, _rollout(want),
                (Call("UpdateInferenceComponent", _update_params(want, count_changed)), *tagging))
    if count_changed:
        count = want.body["RuntimeConfig"]["CopyCount"]
        params = {"InferenceComponentName": want.name, "DesiredRuntimeConfig": {"CopyCount": count}}
        return (Action.SCALE, "only the copy count differs: no redeploy",
                (Call("UpdateInferenceComponentRuntimeConfig", params), *tagging))
    return Action.TAG, "only tags differ", tagging


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
