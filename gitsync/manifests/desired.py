"""The whole front half: a project and an environment -> validated desired components."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitsync.errors import Problem, ValidationFailed
from gitsync.manifests.load import Parsed, parse
from gitsync.manifests.project import PROJECT_FILE, Environment, Project
from gitsync.manifests.render import make_environment, render
from gitsync.manifests.validate import Desired, to_desired
from gitsync.redact import REDACT


def load_values(project: Project, environment: Environment) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    if environment.values_file:
        path = project.root / environment.values_file
        relative = environment.values_file
        if not path.is_file():
            return {}, [Problem(PROJECT_FILE, 0, 0, f"environments.{environment.name}.values",
                                f"values file `{relative}` does not exist")]
        documents, problems = parse(relative, path.read_text(errors="replace"))
        if problems:
            return {}, problems
        data = documents[0].data if documents else {}
        if data is not None and not isinstance(data, dict):
            return {}, [Problem(relative, 1, 1, "", "a values file must be a mapping of names to values")]
        values = data or {}
    return {**values, "env": environment.name}, []


def render_documents(project: Project, environment: Environment) -> tuple[list[Parsed], list[Problem]]:
    values, problems = load_values(project, environment)
    if problems:
        return [], problems
    jinja = make_environment(project.root)
    documents: list[Parsed] = []
    files = project.manifest_files()
    if not files:
        problems.append(Problem(PROJECT_FILE, 0, 0, "manifests",
                                f"no manifest files match {', '.join(project.manifests)}"))
    for path in files:
        relative = path.relative_to(project.root).as_posix()
        text, problem = render(jinja, project.root, path, values)
        if problem is not None:
            problems.append(problem)
            continue
        assert text is not None
        parsed, found = parse(relative, text)
        problems += found
        if not found and not any(doc.data is not None for doc in parsed):
            problems.append(Problem(relative, 1, 1, "", "file holds no manifest (it is empty)"))
        documents += [doc for doc in parsed if doc.data is not None]
        for doc in parsed:
            REDACT.add_document(doc.data)  # before validation, so no error message can leak one
    return documents, problems


def load_desired(project: Project, environment: Environment) -> list[Desired]:
    documents, problems = render_documents(project, environment)
    desired, found = to_desired(documents)
    problems += found
    if problems:
        raise ValidationFailed(problems)
    return desired


def rendered_files(project: Project, environment: Environment) -> dict[Path, str]:
    """Each manifest file rendered (for `icsync render`)."""
    values, problems = load_values(project, environment)
    if problems:
        raise ValidationFailed(problems)
    jinja = make_environment(project.root)
    out: dict[Path, str] = {}
    for path in project.manifest_files():
        text, problem = render(jinja, project.root, path, values)
        if problem is not None:
            problems.append(problem)
        else:
            out[path] = text or ""
    if problems:
        raise ValidationFailed(problems)
    return out
