"""The whole front half: a project and an environment -> validated desired components."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gitsync.errors import Problem, ValidationFailed
from gitsync.manifests.budget import Budget, Stopped, run_all
from gitsync.manifests.load import MAX_BYTES, Parsed, binary, decoded, parse
from gitsync.manifests.project import Environment, Project
from gitsync.manifests.render import make_environment, render
from gitsync.manifests.validate import Desired, to_desired
from gitsync.redact import REDACT


def load_values(project: Project, environment: Environment) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    if environment.values_file:
        relative = environment.values_file
        path = project.root / relative
        at = ("environments", environment.name, "values")
        if not path.is_file():
            return {}, [project.problem(at, f"values file `{relative}` does not exist; create it, "
                                            "or fix the path (relative to the folder of icsync.yaml)")]
        text, unreadable = read_file(project.root, path, relative)
        if unreadable is not None:
            return {}, [unreadable]
        documents, problems = parse(relative, text)
        if problems:
            return {}, problems
        data = documents[0].data if documents else {}
        if data is not None and not isinstance(data, dict):
            return {}, [Problem(relative, 1, 1, "", "a values file must be a mapping of names to values, "
                                                    "e.g. copies: 2")]
        values = data or {}
    return {**values, "env": environment.name}, []


def read_file(root: Path, path: Path, relative: str,
              resolved: dict[Path, Path] | None = None) -> tuple[str, Problem | None]:
    """A file's text, unless no template should be given it: outside the project, too large to be
    a manifest, or binary. `resolved` caches the real path of each folder (one lookup a folder, not
    a walk of every path component for every file)."""
    resolved = {} if resolved is None else resolved
    if not _real(path, resolved).is_relative_to(_real_dir(root, resolved)):
        return "", Problem(relative, 0, 0, "", "file is a symlink that points outside the project; "
                           "icsync reads only files inside the project folder")
    try:
        size = path.stat().st_size
        data = b"" if size > MAX_BYTES else path.read_bytes()
    except OSError as error:
        return "", Problem(relative, 0, 0, "", f"cannot read the file: {error.strerror or error}")
    if size > MAX_BYTES:
        return "", Problem(relative, 0, 0, "", f"file is {size // 1024 // 1024} MiB, larger than the "
                           f"{MAX_BYTES // 1024 // 1024} MiB limit; a manifest is a few KiB: "
                           "is this the right file?")
    if b"\x00" in data[:8192]:
        return "", binary(relative)
    return decoded(relative, data)


def _real_dir(folder: Path, resolved: dict[Path, Path]) -> Path:
    if folder not in resolved:
        resolved[folder] = folder.resolve()
    return resolved[folder]


def _real(path: Path, resolved: dict[Path, Path]) -> Path:
    return path.resolve() if path.is_symlink() else _real_dir(path.parent, resolved) / path.name


def manifest_documents(project: Project, environment: Environment, offline: bool = False
                       ) -> Iterator[tuple[list[Parsed], list[Problem]]]:
    """Each manifest file's documents, or its problems, as it is rendered and parsed (before
    validation): a plan starts reading a component while the next files load. Offline: unset
    env_vars rendered as placeholders, for validate and render, which send nothing."""
    values, problems = load_values(project, environment)
    if problems:
        yield [], problems
        return
    files = project.manifest_files()
    if not files:
        yield [], [project.problem(("manifests",), f"no files match {', '.join(project.manifests)}; "
                                   "fix the globs (relative to the folder of icsync.yaml)")]
    for _, relative, text, problem in _rendered(project, files, values, offline):
        if problem is not None or text is None:
            yield [], [problem] if problem else []
            continue
        parsed, found = parse(relative, text)
        if not found and not any(doc.data is not None for doc in parsed):
            found = [Problem(relative, 1, 1, "", "file holds no manifest (it is empty)")]
        for doc in parsed:
            REDACT.add_document(doc.data)  # before validation, so no error message can leak one
        yield [doc for doc in parsed if doc.data is not None], found


def validated(documents: list[Parsed], problems: list[Problem], secret_pattern: str) -> list[Desired]:
    """The desired components, or every problem of the run at once."""
    desired, found = to_desired(documents, secret_pattern)
    problems = problems + found
    if problems:
        raise ValidationFailed(problems)
    return desired


def load_desired(project: Project, environment: Environment, offline: bool = False) -> list[Desired]:
    documents: list[Parsed] = []
    problems: list[Problem] = []
    for parsed, found in manifest_documents(project, environment, offline):
        documents += parsed
        problems += found
    return validated(documents, problems, project.secret_pattern)


def rendered_files(project: Project, environment: Environment, offline: bool = False
                   ) -> dict[Path, str]:
    """Each manifest file rendered (for `icsync render`, offline)."""
    values, problems = load_values(project, environment)
    if problems:
        raise ValidationFailed(problems)
    out: dict[Path, str] = {}
    for path, _, text, problem in _rendered(project, project.manifest_files(), values, offline):
        if problem is not None:
            problems.append(problem)
        else:
            out[path] = text or ""
    if problems:
        raise ValidationFailed(problems)
    return out


def _rendered(project: Project, files: list[Path], values: dict[str, Any], offline: bool
              ) -> Iterator[tuple[Path, str, str | None, Problem | None]]:
    """Each file read and rendered, under the render budget: its path, its path in the project,
    its text or its problem. Secret-looking variables that env_var() read are masked from here on."""
    jinja = make_environment(project.root, offline)
    resolved: dict[Path, Path] = {}
    secret = re.compile(project.secret_pattern)

    def one(path: Path) -> dict[str, Any]:
        relative = path.relative_to(project.root).as_posix()
        # read_file refuses what no template should be given (outside, too large, binary); Jinja's
        # project loader then reads the text itself.
        _, problem = read_file(project.root, path, relative, resolved)
        text = None
        if problem is None:
            text, problem = render(jinja, project.root, path, values)
        return {"text": text, "problem": dataclasses.astuple(problem) if problem else None,
                "read": jinja.take_variables_read()}

    budget = Budget.from_environment()
    for path, result in zip(files, run_all(files, one, budget), strict=False):
        relative = path.relative_to(project.root).as_posix()
        if isinstance(result, Stopped):
            yield path, relative, None, _stopped(relative, result, budget)
            return
        REDACT.add_values(os.environ.get(name) for name in result["read"] if secret.search(name))
        problem = Problem(*result["problem"]) if result["problem"] else None
        yield path, relative, result["text"], problem


def _stopped(relative: str, stopped: Stopped, budget: Budget) -> Problem:
    limits = (f"{budget.run_seconds:g} s of CPU a run, {budget.file_seconds:g} s a file, "
              f"{budget.memory_mb} MiB")
    if stopped.signal is None:
        return Problem(relative, 0, 0, "", f"template not rendered: the run's render budget ({limits}) "
                       "was spent before this file; neither it nor the files after it were rendered")
    return Problem(relative, 0, 0, "", f"template stopped: rendering was killed (signal {stopped.signal}) "
                   f"on this file, over its budget ({limits}); the files after it were not rendered")
