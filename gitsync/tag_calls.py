"""The AddTags and DeleteTags calls of a change: the manifest's tags, and icsync's own."""

from __future__ import annotations

from typing import Any

from gitsync import applied
from gitsync.plan import Call


def of_tags(arn: str, live_view: dict[str, Any], desired_view: dict[str, Any]) -> tuple[Call, ...]:
    """The manifest's tags: those to add or change, those to remove (icsync's own are not in
    either view)."""
    before, after = live_view.get("Tags", {}), desired_view.get("Tags", {})
    calls: list[Call] = []
    added = [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]
    removed = [k for k in before if k not in after]
    if added:
        calls.append(Call("AddTags", {"ResourceArn": arn, "Tags": added}))
    if removed:
        calls.append(Call("DeleteTags", {"ResourceArn": arn, "TagKeys": removed}))
    return tuple(calls)


def merged(arn: str, calls: tuple[Call, ...], live_tags: dict[str, str],
           wanted: dict[str, str], dropped: tuple[str, ...] = ()) -> tuple[Call, ...]:
    """icsync's own tags ride in the change's AddTags (and DeleteTags) call, or in new ones;
    `dropped`: icsync's own keys to remove (another owner's options, on adoption)."""
    added = [{"Key": k, "Value": v} for k, v in wanted.items() if live_tags.get(k) != v]
    removed = (applied.stale_keys(live_tags, wanted) if applied.TAG in wanted else []) + \
        [k for k in dropped if k in live_tags]
    out: list[Call] = []
    placed = {"AddTags": not added, "DeleteTags": not removed}
    for call in calls:
        if call.operation == "AddTags" and added:
            call, placed["AddTags"] = Call("AddTags", {**call.params, "Tags": call.params["Tags"] + added}), True
        elif call.operation == "DeleteTags" and removed:
            call = Call("DeleteTags", {**call.params, "TagKeys": call.params["TagKeys"] + removed})
            placed["DeleteTags"] = True
        out.append(call)
    if not placed["AddTags"]:
        out.append(Call("AddTags", {"ResourceArn": arn, "Tags": added}))
    if not placed["DeleteTags"]:
        out.append(Call("DeleteTags", {"ResourceArn": arn, "TagKeys": removed}))
    return tuple(out)
