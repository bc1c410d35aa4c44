"""`icsync validate`: render and validate every manifest of one or every environment, offline.

Nothing here creates an AWS client: validation uses only the project files and the installed
botocore service model, so it runs in pre-commit hooks and CI jobs that have no credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from gitsync.errors import ExitCode, ValidationFailed
from gitsync.manifests.desired import load_desired
from gitsync.manifests.project import Environment, Project, load_project


@dataclass(frozen=True)
class ValidateOptions:
    project_dir: Path
    environment: str | None = None  # None: every environment
    all_envs: bool = False


def chosen_environments(project: Project, options: ValidateOptions) -> list[Environment]:
    """--all-envs, or no --env at all, means every environment of the project."""
    if options.all_envs or options.environment is None:
        return list(project.environments.values())
    return [project.environment(options.environment)]


def run(options: ValidateOptions) -> int:
    project = load_project(options.project_dir)
    failed = 0
    for environment in chosen_environments(project, options):
        try:
            desired = load_desired(project, environment)
        except ValidationFailed as error:
            failed += 1
            click.echo(f"{environment.name}: invalid", err=True)
            click.echo(str(error), err=True)
            continue
        noun = "component" if len(desired) == 1 else "components"
        click.echo(f"{environment.name}: ok ({len(desired)} {noun})")
    if failed:
        return ExitCode.ERROR
    return ExitCode.OK
