"""`icsync validate`: render and validate every manifest of one or every environment, offline.

Nothing here creates an AWS client: validation uses only the project files and the installed
botocore service model, so it runs in pre-commit hooks and CI jobs that have no credentials.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import click

from gitsync.errors import ExitCode, Problem, ValidationFailed
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
    chosen = chosen_environments(project, options)
    found: dict[Problem, list[str]] = {}  # each problem once, with the environments it is in
    for environment in chosen:
        try:
            # Offline: an unset env_var renders as a placeholder; validate needs no secrets.
            desired = load_desired(project, environment, offline=True)
        except ValidationFailed as error:
            click.echo(f"{environment.name}: invalid", err=True)
            for problem in error.problems:
                found.setdefault(_from_here(project.root, problem), []).append(environment.name)
            continue
        noun = "component" if len(desired) == 1 else "components"
        click.echo(f"{environment.name}: ok ({len(desired)} {noun})")
    if not found:
        return ExitCode.OK
    only = {p.render(): f" (only in {', '.join(envs)})" for p, envs in found.items()
            if len(envs) < len(chosen)}
    for line in str(ValidationFailed(list(found))).splitlines():
        click.echo(line + only.get(line, ""), err=True)
    return ExitCode.ERROR


def _from_here(root: Path, problem: Problem) -> Problem:
    """The problem's file relative to the working folder when the project is inside it: pre-commit
    runs hooks from the repository's root, and a project in a subfolder must name its files so."""
    here, path = Path.cwd().resolve(), (root / problem.file).resolve()
    if not problem.file or not path.is_relative_to(here) or root.resolve() == here:
        return problem
    return replace(problem, file=path.relative_to(here).as_posix())
