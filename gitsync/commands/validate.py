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
from gitsync.manifests.validate import warnings_of


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
    # each problem and warning once, with the environments it is in
    found: dict[Problem, list[str]] = {}
    cautions: dict[Problem, list[str]] = {}
    for environment in chosen:
        try:
            # Offline: an unset env_var renders as a placeholder; validate needs no secrets.
            desired = load_desired(project, environment, offline=True)
        except ValidationFailed as error:
            click.echo(f"{environment.name}: invalid", err=True)
            for problem in error.problems:
                found.setdefault(_from_here(project.root, problem), []).append(environment.name)
            continue
        for warning in warnings_of(desired):
            cautions.setdefault(_from_here(project.root, warning), []).append(environment.name)
        noun = "component" if len(desired) == 1 else "components"
        click.echo(f"{environment.name}: ok ({len(desired)} {noun})")
    for warning in sorted(cautions, key=lambda p: (p.file, p.line, p.column, p.path)):
        click.echo(warning.render("warning") + _only_in(cautions[warning], chosen), err=True)
    if not found:
        return ExitCode.OK
    only = {p.render(): _only_in(envs, chosen) for p, envs in found.items()}
    for line in str(ValidationFailed(list(found))).splitlines():
        click.echo(line + only.get(line, ""), err=True)
    return ExitCode.ERROR


def _only_in(environments: list[str], chosen: list[Environment]) -> str:
    """` (only in prod)` for what some of the checked environments have, else nothing."""
    return f" (only in {', '.join(environments)})" if len(environments) < len(chosen) else ""


def _from_here(root: Path, problem: Problem) -> Problem:
    """The problem's file relative to the working folder when the project is inside it: pre-commit
    runs hooks from the repository's root, and a project in a subfolder must name its files so."""
    here, path = Path.cwd().resolve(), (root / problem.file).resolve()
    if not problem.file or not path.is_relative_to(here) or root.resolve() == here:
        return problem
    return replace(problem, file=path.relative_to(here).as_posix())
