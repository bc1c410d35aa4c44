"""The documented, versioned JSON form of a plan (README, "The JSON plan"; data/plan.schema.json)."""

from __future__ import annotations

from typing import Any

from gitsync.plan import FORMAT_VERSION, ComponentChange, Plan


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    if not plan.has_changes:
        return "No changes."
    updates = counts["update"] + counts["scale"] + counts["tag"]
    parts = [f"{counts['create']} to create", f"{updates} to update"]
    if counts["replace"]:
        parts.append(f"{counts['replace']} to replace")
    if counts["delete"]:
        parts.append(f"{counts['delete']} to delete")
    parts.append(f"{counts['noop']} unchanged")
    if plan.in_progress:
        parts.append(f"{plan.in_progress} in progress")
    return "Plan: " + ", ".join(parts) + "."


def change_document(change: ComponentChange) -> dict[str, Any]:
    return {
        "name": change.name,
        "endpoint": change.endpoint,
        "action": change.action.value,
        "in_progress": change.in_progress,
        "failed": change.failed,
        "reason": change.reason,
        "calls": [call.operation for call in change.calls],
        "fields": [
            {"path": f.path, "before": f.before, "after": f.after, "sensitive": f.sensitive,
             "ignored": f.ignored, "forces_replacement": f.forces_replacement,
             **({"set_by_aws": True} if f.set_by_aws else {})}  # the key only where true
            for f in change.fields
        ],
        "wave": change.wave,
        "base": change.base,
        "live_fingerprint": change.live_fingerprint,
        "unchanged_fields": change.unchanged_fields,
        "status": change.status,
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "environment": plan.environment,
        "project": plan.project,
        "summary": plan.summary(),
        "summary_line": summary_line(plan),
        "has_changes": plan.has_changes,
        "has_destroy": plan.has_destroy,
        "in_progress": plan.in_progress,
        "changes": [change_document(c) for c in plan.changes],
        "unmanaged": list(plan.unmanaged),
        **({"warnings": list(plan.warnings)} if plan.warnings else {}),  # the key only when there are
    }

