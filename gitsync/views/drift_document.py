"""The JSON form of a drift report (versioned, as the plan's is) and its one-line summary."""

from __future__ import annotations

from typing import Any

from gitsync.drift import DRIFT, DriftReport
from gitsync.plan import FieldChange

FORMAT_VERSION = "1.0"


def summary_line(report: DriftReport) -> str:
    counts = report.summary()
    if not report.drifted:
        expected = f", {counts['expected']} with expected differences" if counts["expected"] else ""
        return f"No drift: {counts['total']} component(s) in sync{expected}."
    parts = [f"{counts[s.value]} {s.value.replace('_', ' ')}" for s in DRIFT if counts.get(s.value)]
    return f"Drift: {', '.join(parts)} (of {counts['total']} component(s))."


def _field(change: FieldChange) -> dict[str, Any]:
    return {"path": change.path, "live": change.before, "git": change.after,
            "sensitive": change.sensitive}


def document(report: DriftReport) -> dict[str, Any]:
    """The JSON form: a driftctl-like `summary` of counts, then each environment's components."""
    return {
        "format_version": FORMAT_VERSION,
        "drifted": report.drifted,
        "summary": report.summary(),
        "summary_line": summary_line(report),
        "environments": [
            {"environment": env.environment, "project": env.project, "drifted": env.drifted,
             "summary": env.summary(),
             "components": [{"name": c.name, "endpoint": c.endpoint, "status": c.status.value,
                             "fields": [_field(f) for f in c.fields],
                             "expected": [_field(f) for f in c.expected], "detail": c.detail}
                            for c in env.components]}
            for env in report.environments
        ],
    }
