"""The project file, icsync.yaml: where the manifests are, and the environments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitsync.errors import ConfigError, Problem, ValidationFailed
from gitsync.manifests.load import Parsed, parse
from gitsync.model import suggest

PROJECT_FILE = "icsync.yaml"
DEFAULT_SECRET_PATTERN = r"(?i)TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|API_KEY|ACCESS_KEY"
_PROJECT_KEYS = ["name", "manifests", "environments", "ignore", "secret_pattern", "lock"]
_ENV_KEYS = ["values", "region", "profile", "endpoint_url", "role_arn"]


@dataclass(frozen=True)
class Environment:
    name: str
    values_file: str | None
    region: str | None
    profile: str | None
    endpoint_url: str | None = None


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    manifests: tuple[str, ...]
    environments: dict[str, Environment]
    ignore: tuple[str, ...] = ()
    secret_pattern: str = DEFAULT_SECRET_PATTERN
    lock: dict[str, Any] = field(default_factory=dict)

    def environment(self, name: str | None) -> Environment:
        if name is None:
            if len(self.environments) == 1:
                return next(iter(self.environments.values()))
            raise ConfigError(f"{self.root / PROJECT_FILE}: choose an environment with --env "
                              f"({', '.join(self.environments)})")
        if name not in self.environments:
            raise ConfigError(f"{self.root / PROJECT_FILE}: unknown environment `{name}`"
                              + suggest(name, list(self.environments)))
        return self.environments[name]

    def manifest_files(self) -> list[Path]:
        found: dict[Path, None] = {}
        for pattern in self.manifests:
            for path in sorted(self.root.glob(pattern)):
                if path.is_file():
                    found[path] = None
        return list(found)


def load_project(root: Path) -> Project:
    path = root / PROJECT_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: no project file here; create {PROJECT_FILE} "
                          "(see examples/quickstart) or pass -C DIR")
    text = path.read_text(errors="replace")
    documents, problems = parse(PROJECT_FILE, text)
    if problems:
        raise ValidationFailed(problems)
    doc = documents[0] if documents else Parsed(PROJECT_FILE, 0, None)
    problems = _check(doc)
    if problems:
        raise ValidationFailed(problems)
    data = doc.data
    environments = {
        name: Environment(name, spec.get("values"), spec.get("region"), spec.get("profile"),
                          spec.get("endpoint_url"))
        for name, spec in data["environments"].items()
    }
    return Project(root=root, name=str(data.get("name") or root.resolve().name),
                   manifests=tuple(data["manifests"]), environments=environments,
                   ignore=tuple(data.get("ignore", [])),
                   secret_pattern=data.get("secret_pattern", DEFAULT_SECRET_PATTERN),
                   lock=dict(data.get("lock") or {}))


def _check(doc: Parsed) -> list[Problem]:
    data = doc.data
    if not isinstance(data, dict):
        return [doc.problem((), "the project file must be a mapping with `manifests` and `environments`")]
    problems = [doc.problem((key,), f"unknown key `{key}`" + suggest(key, _PROJECT_KEYS))
                for key in data if key not in _PROJECT_KEYS]
    manifests = data.get("manifests")
    if not isinstance(manifests, list) or not manifests or not all(isinstance(m, str) for m in manifests):
        problems.append(doc.problem(("manifests",), "expected a list of file globs, e.g. [components/*.yaml]"))
    environments = data.get("environments")
    if not isinstance(environments, dict) or not environments:
        problems.append(doc.problem(("environments",), "expected a mapping of environment names"))
        return problems
    for name, spec in environments.items():
        if not isinstance(spec, dict):
            problems.append(doc.problem(("environments", name), "expected a mapping (values, region, profile)"))
            continue
        problems += [doc.problem(("environments", name, key), f"unknown key `{key}`" + suggest(key, _ENV_KEYS))
                     for key in spec if key not in _ENV_KEYS]
    pattern = data.get("secret_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as error:
            problems.append(doc.problem(("secret_pattern",), f"not a regular expression: {error}"))
    return problems
