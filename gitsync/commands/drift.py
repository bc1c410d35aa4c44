"""`icsync drift`: live vs git per environment, read off the plan engine; nothing is changed.

Exit 0: in sync (differences covered by ignore rules are expected, not drift); 2: drift; 1: error.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import click

from gitsync.commands import common, drift_issue, planning, saved
from gitsync.drift import DriftReport, EnvironmentDrift, from_plan
from gitsync.errors import ConfigError, ExitCode
from gitsync.manifests.project import PROJECT_FILE, load_project
from gitsync.settings import Settings
from gitsync.views.render import of_drift, render


@dataclass(frozen=True)
class DriftOptions:
    environments: tuple[str, ...] = ()
    all_envs: bool = False
    report_issue: bool = False
    out: Path | None = None  # also write the JSON report here, whatever --output says


def environments(settings: Settings, options: DriftOptions) -> list[str]:
    project = load_project(settings.project_dir)
    if options.all_envs and options.environments:
        raise ConfigError("give either --env NAME (repeatable) or --all-envs, not both")
    if options.all_envs:
        return list(project.environments)
    if not options.environments:
        if len(project.environments) == 1:
            return list(project.environments)
        raise ConfigError(f"{project.root / PROJECT_FILE}: choose environments with --env NAME "
                          f"(repeatable) or --all-envs ({', '.join(project.environments)})")
    for name in options.environments:
        project.environment(name)  # an unknown name fails here, before any AWS call
    return list(dict.fromkeys(options.environments))


def check(settings: Settings) -> EnvironmentDrift:
    # Never prune: live components in no manifest must stay visible as `unmanaged`.
    settings = replace(settings, prune=False)
    context = common.load(settings)
    with common.connect(settings, context) as clients:
        plan = planning.make_plan(settings, context, clients)
    return from_plan(plan)


def run(settings: Settings, options: DriftOptions) -> int:
    names = environments(settings, options)
    report = DriftReport(tuple(check(replace(settings, environment=name)) for name in names))
    click.echo(render(of_drift(report), settings.output, color=settings.color, verbose=settings.verbose),
               nl=False)
    if options.out is not None:
        saved.write_private(options.out, render(of_drift(report), "json"), "--out")
    if options.report_issue:
        for env in report.environments:
            click.echo(f"{env.environment}: {drift_issue.report(env)}", err=True)
    return ExitCode.CHANGES if report.drifted else ExitCode.OK
