"""The project file, icsync.yaml: where the manifests are, and the environments."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from gitsync.errors import ConfigError, Problem, ValidationFailed
from gitsync.manifests.load import Parsed, decoded, parse
from gitsync.manifests.prices import check_prices, load_prices
from gitsync.model import suggest
from gitsync.secrets import DEFAULT_SECRET_PATTERN

PROJECT_FILE = "icsync.yaml"
_PROJECT_KEYS = ["name", "manifests", "environments", "ignore", "secret_pattern", "lock", "prices"]
_ENV_KEYS = ["values", "region", "profile", "endpoint_url", "role_arn"]
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")


@dataclass(frozen=True)
class Environment:
    name: str
    values_file: str | None
    region: str | None
    profile: str | None
    endpoint_url: str | None = None
    role_arn: str | None = None  # assumed with STS for this environment's calls


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    manifests: tuple[str, ...]
    environments: dict[str, Environment]
    ignore: tuple[str, ...] = ()
    secret_pattern: str = DEFAULT_SECRET_PATTERN
    lock: dict[str, Any] = field(default_factory=dict)
    # USD per instance-hour by region and instance type, over the shipped on-demand prices.
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    # Where each key of icsync.yaml is, so later problems (a missing values file) can point at it.
    where: dict[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict, compare=False)

    def problem(self, path: tuple[str | int, ...], message: str) -> Problem:
        return Parsed(PROJECT_FILE, 0, None, self.where).problem(path, message)

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
            try:
                matches = sorted(self.root.glob(pattern))
            except (ValueError, LookupError, NotImplementedError, OSError) as error:
                raise ConfigError(f"{self.root / PROJECT_FILE}: `{pattern}` in `manifests` is not a usable "
                                  f"glob ({error or type(error).__name__}); write e.g. components/*.yaml") from None
            for path in matches:
                if path.is_file():
                    found[path] = None
        return list(found)


def load_project(root: Path) -> Project:
    path = root / PROJECT_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: no project file here; create {PROJECT_FILE} "
                          "(see examples/quickstart) or pass -C DIR")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the project file: {error.strerror or error}") from None
    text, undecodable = decoded(PROJECT_FILE, data)
    if undecodable is not None:
        raise ValidationFailed([undecodable])
    documents, problems = parse(PROJECT_FILE, text)
    if problems:
        raise ValidationFailed(problems)
    doc = documents[0] if documents else Parsed(PROJECT_FILE, 0, None)
    problems = _check(doc)
    problems += _tag_value_problems(doc, root)
    if problems:
        raise ValidationFailed(problems)
    data = doc.data
    environments = {
        name: Environment(name, spec.get("values"), spec.get("region"), spec.get("profile"),
                          spec.get("endpoint_url"), spec.get("role_arn"))
        for name, spec in data["environments"].items()
    }
    return Project(root=root, name=str(data.get("name") or root.resolve().name),
                   manifests=tuple(data["manifests"]), environments=environments,
                   ignore=tuple(data.get("ignore", [])),
                   secret_pattern=data.get("secret_pattern", DEFAULT_SECRET_PATTERN),
                   lock=dict(data.get("lock") or {}),
                   prices=load_prices(root, data.get("prices")),
                   where=doc.where)


def _check(doc: Parsed) -> list[Problem]:
    data = doc.data
    if not isinstance(data, dict):
        return [doc.problem((), "the project file must be a mapping with `manifests` and `environments`, "
                                "e.g. manifests: [components/*.yaml]")]
    problems = [doc.problem((key,), f"unknown key `{key}`" + suggest(key, _PROJECT_KEYS))
                for key in data if key not in _PROJECT_KEYS]
    problems += _check_manifests(doc, data.get("manifests"))
    problems += _check_environments(doc, data.get("environments"))
    prices = data.get("prices")
    if isinstance(prices, str) and not inside_project(prices):
        problems.append(doc.problem(("prices",), f"`{prices}` is outside the project; give a path "
                                    "relative to the folder of icsync.yaml, without `..`"))
    elif not isinstance(prices, str):
        problems += check_prices(doc, prices)
    for key, kind, expected in (("name", str, "a string"), ("lock", dict, "a mapping")):
        if data.get(key) is not None and not isinstance(data[key], kind):
            problems.append(doc.problem((key,), f"expected {expected}, got {type(data[key]).__name__}"))
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(item, str) for item in ignore):
        problems.append(doc.problem(("ignore",), "expected a list of field paths, "
                                    "e.g. [RuntimeConfig.CopyCount]"))
    pattern = data.get("secret_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError, RecursionError) as error:
            problems.append(doc.problem(("secret_pattern",), f"not a regular expression: {error}"))
    return problems


def tag_value_fault(value: str) -> str | None:
    """Why AWS would refuse `value` as a tag value (the TagValue shape: at most 256 letters,
    numbers, spaces and `_.:/=+-@`; the `aws:` prefix is AWS's own), or None."""
    if len(value) > 256:
        return "it is longer than 256 characters"
    bad = [ch for ch in value if not (unicodedata.category(ch)[0] in "LNZ" or ch in "_.:/=+-@")]
    if bad:
        return f"`{bad[0]}` is not allowed (letters, numbers, spaces and _ . : / = + - @ are)"
    if value.lower().startswith("aws:"):
        return "the `aws:` prefix is reserved for AWS"
    return None


def _tag_value_problems(doc: Parsed, root: Path) -> list[Problem]:
    """The project and environment names become the values of icsync's ownership tags: a name AWS
    refuses as a tag value would fail every create at apply time, after other calls were made."""
    data = doc.data
    if not isinstance(data, dict):
        return []
    named = isinstance(data.get("name"), str)
    project = data["name"] if named else root.resolve().name
    found = []
    fault = tag_value_fault(project)
    if fault:
        whose = f"the project name `{project}`" if named else \
            f"the project's folder name `{project}` (the project name when icsync.yaml sets none)"
        found.append(doc.problem(("name",) if named else (),
                                 f"{whose} cannot be a tag value: {fault}; set `name:` to one that can"))
    environments = data.get("environments")
    for name in environments if isinstance(environments, dict) else {}:
        fault = tag_value_fault(str(name))
        if fault:
            found.append(doc.problem(("environments", name), f"environment name `{name}` cannot be a "
                                     f"tag value: {fault}; rename it"))
    return found


def inside_project(relative: str) -> bool:
    """A project path or glob that cannot leave the folder: relative, and without `..`."""
    path = PurePosixPath(relative.replace("\\", "/"))
    return not path.is_absolute() and ".." not in path.parts and not relative.startswith("~")


def _check_manifests(doc: Parsed, manifests: Any) -> list[Problem]:
    if not isinstance(manifests, list) or not manifests or not all(isinstance(m, str) and m for m in manifests):
        return [doc.problem(("manifests",), "expected a list of file globs, e.g. [components/*.yaml]")]
    return [doc.problem(("manifests", index), f"`{glob}` is outside the project; globs are relative "
                                              "to the folder of icsync.yaml, without `..`")
            for index, glob in enumerate(manifests) if not inside_project(glob)]


def _check_environments(doc: Parsed, environments: Any) -> list[Problem]:
    if not isinstance(environments, dict) or not environments:
        return [doc.problem(("environments",), "expected a mapping of environment names, "
                                               "e.g. dev: {values: values/dev.yaml}")]
    problems = []
    for name, spec in environments.items():
        at = ("environments", name)
        if spec is None or not isinstance(spec, dict):
            problems.append(doc.problem(at, "expected a mapping (values, region, profile, endpoint_url, "
                                            "role_arn)"))
            continue
        for key, value in spec.items():
            if key not in _ENV_KEYS:
                problems.append(doc.problem(at + (key,), f"unknown key `{key}`" + suggest(key, _ENV_KEYS)))
            elif value is not None and not isinstance(value, str):
                problems.append(doc.problem(at + (key,), f"expected a string, got {type(value).__name__}"))
            elif key == "role_arn" and value is not None and not _ROLE_ARN.fullmatch(value):
                problems.append(doc.problem(at + (key,), f"`{value}` is not an IAM role ARN; write e.g. "
                                            "arn:aws:iam::123456789012:role/icsync-deployer"))
            elif key == "values" and value is not None and not inside_project(value):
                problems.append(doc.problem(at + (key,), f"`{value}` is outside the project; give a path "
                                            "relative to the folder of icsync.yaml, without `..`"))
    return problems
