"""DriftReport -> text for a terminal or a CI log."""

from __future__ import annotations

import click

from gitsync.drift import ComponentDrift, DriftReport, Status
from gitsync.views.drift_document import summary_line
from gitsync.views.text import value

_SYMBOLS = {Status.IN_SYNC: "=", Status.EXPECTED: "=", Status.MODIFIED: "~", Status.MISSING: "-",
            Status.UNMANAGED: "?", Status.IN_PROGRESS: "*", Status.FAILED: "!"}
_COLORS = {Status.MODIFIED: "yellow", Status.MISSING: "red", Status.UNMANAGED: "magenta",
           Status.IN_PROGRESS: "cyan", Status.FAILED: "red"}
_NOTES = {Status.MISSING: "in git, not live",
          Status.UNMANAGED: "live on a managed endpoint, in no manifest"}


def _component(component: ComponentDrift, color: bool, verbose: bool) -> list[str]:
    if component.status is Status.IN_SYNC and not verbose:
        return []
    where = f" ({component.endpoint})" if component.endpoint else ""
    note = component.detail or _NOTES.get(component.status, "")
    head = f"  {_SYMBOLS[component.status]} {component.name}{where}: {component.status.value}"
    head += f"  # {note}" if note else ""
    fg = _COLORS.get(component.status)
    lines = [click.style(head, fg=fg, bold=True) if color and fg else head]
    lines += [f"      ~ {f.path}: live {value(f.before)}, git {value(f.after)}"
              for f in component.fields]
    lines += [f"      = {f.path}: live {value(f.before)}, git {value(f.after)}"
              "  # expected (ignore rule)" for f in component.expected]
    return lines


def render(report: DriftReport, *, color: bool = False, verbose: bool = False) -> str:
    lines: list[str] = []
    for env in report.environments:
        counts = env.summary()
        in_sync = counts["in_sync"] + counts["expected"]  # never in_progress nor failed
        lines.append(f"Environment {env.environment} (project {env.project}): "
                     f"{counts['drifted']} drifted, {in_sync} in sync")
        for component in env.components:
            lines += _component(component, color, verbose)
    lines += ["", summary_line(report)]
    return "\n".join(lines) + "\n"
