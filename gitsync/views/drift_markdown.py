"""DriftReport -> markdown for a GitHub issue or a job summary, under GitHub's size limits."""

from __future__ import annotations

from gitsync.drift import DRIFT, DriftReport, EnvironmentDrift
from gitsync.views.drift_document import summary_line
from gitsync.views.text import value

LIMIT = 60_000


def _environment(env: EnvironmentDrift) -> list[str]:
    counts = env.summary()
    lines = [f"### icsync drift: `{env.environment}`", "",
             "| status | count |", "|---|---|"]
    lines += [f"| {key} | {number} |" for key, number in counts.items()
              if number and key not in ("total", "drifted")]
    lines.append("")
    for component in env.components:
        if component.status not in DRIFT and not component.expected:
            continue
        where = f" ({component.endpoint})" if component.endpoint else ""
        detail = f" ({component.detail})" if component.detail else ""
        lines.append(f"- **{component.name}**{where}: {component.status.value}{detail}")
        lines += [f"  - `{f.path}`: live `{value(f.before)}`, git `{value(f.after)}`"
                  for f in component.fields]
        lines += [f"  - `{f.path}`: live `{value(f.before)}`, git `{value(f.after)}` *(expected: "
                  "ignore rule)*" for f in component.expected]
    return lines + [""]


def render(report: DriftReport) -> str:
    lines = [line for env in report.environments for line in _environment(env)]
    out = ""
    for line in lines:
        if len(out) + len(line) > LIMIT - 300:
            out += "\n*... the rest is not shown (size limit); see the JSON report.*\n\n"
            break
        out += line + "\n"
    return out + f"**{summary_line(report)}**\n"
