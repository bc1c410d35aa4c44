"""The installed botocore's SageMaker service model, and a validator that walks its shapes.

Everything icsync knows about fields (names, types, ranges, patterns, enums) comes from here, so a
newer botocore brings new API fields without code changes.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import gc
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
import botocore.loaders
import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class ShapeProblem:
    path: Path
    message: str
    # The AWS-style constraint text, used by the sandbox's ValidationException messages.
    constraint: str = ""


@functools.cache
def _session() -> botocore.session.Session:
    session = botocore.session.get_session()
    try:
        data_path = session.get_config_variable("data_path")
    except botocore.exceptions.ProfileNotFound:
        # Service models are the same for every profile: an unknown AWS_PROFILE must not stop
        # validate, which needs none; plan names it where it makes the clients (aws/clients.py).
        data_path = os.environ.get("AWS_DATA_PATH")
    if data_path is None:  # else: the user's own model folders
        session.register_component("data_loader", _Loader())
    return session


def loader() -> botocore.loaders.Loader:
    """botocore's loader of service models, shared with the AWS clients' sessions: each loader
    parses SageMaker's model, megabytes of JSON, and keeps its own copy, so one loader a process
    parses and keeps it once."""
    found: botocore.loaders.Loader = _session().get_component("data_loader")
    return found


class _Loader(botocore.loaders.Loader):  # type: ignore[misc]
    """botocore's loader, checking that a service exists by looking in that service's folder.

    botocore's own lists every service it has, some 400 folders and two file-system calls each,
    to check the one name it is asked for, in every run."""

    freeze = False  # the console command sets it: see freeze_models

    def list_available_services(self, type_name: str) -> _Services:
        return _Services(self, type_name)

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        found = super().load_service_model(service_name, type_name, api_version)
        if _Loader.freeze:
            gc.freeze()
        return found


def freeze_models() -> None:
    """For a process that runs one command and exits (the console command): the modules and the
    service models, once loaded, live until the end, so they are moved out of the cycle
    collector's sight (gc.freeze), and its full collections stop walking SageMaker's model,
    hundreds of thousands of objects, again and again in a long plan."""
    _Loader.freeze = True
    gc.freeze()


class _Services:
    """The services with a `type_name` model: `in` looks at one service's folders, and only
    listing them all (botocore's error for an unknown name) walks every folder."""

    def __init__(self, loader: botocore.loaders.Loader, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name

    def __contains__(self, service: object) -> bool:
        if not isinstance(service, str) or os.sep in service:
            return False
        folders = [os.path.join(base, service) for base in self._loader.search_paths]
        return any(self._loader.file_loader.exists(os.path.join(folder, version, self._type_name))
                   for folder in folders if os.path.isdir(folder) for version in os.listdir(folder))

    def __iter__(self) -> Iterator[str]:
        return iter(botocore.loaders.Loader.list_available_services(self._loader, self._type_name))


@functools.cache
def service_model(service: str = "sagemaker") -> ServiceModel:
    return _session().get_service_model(service)


def operation(name: str) -> OperationModel:
    return service_model().operation_model(name)


def input_shape(op: str) -> Shape:
    shape = operation(op).input_shape
    assert shape is not None, op
    return shape


def output_shape(op: str) -> Shape | None:
    return operation(op).output_shape


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean `{close[0]}`?"
    return "; expected one of " + ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")


_JAVA_CLASSES = {r"\p{L}": "a-zA-Z\u00c0-\uffff", r"\p{Z}": r"\s", r"\p{N}": "0-9"}


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None  # a pattern Python cannot express is not checked client-side


def validate(shape: Shape, value: Any, path: Path = ()) -> list[ShapeProblem]:
    """Every way `value` breaks `shape`: unknown keys, required keys, types, ranges, patterns."""
    check = _CHECKS.get(shape.type_name, _check_nothing)
    return check(shape, value, path)


def _check_nothing(shape: Shape, value: Any, path: Path) -> list[ShapeProblem]:
    return []


def _type_problem(path: Path, expected: str, value: Any) -> list[ShapeProblem]:
    got = type(value).__name__ if value is not None else "null"
    message = f"expected {expected}, got {got} `{_short(value)}`" + _type_hint(expected, value)
    return [ShapeProblem(path, message, f"Member must be of type {expected}")]


def _type_hint(expected: str, value: Any) -> str:
    """The usual YAML surprises: `true`, `1.0` or `2024-01-01` read as non-strings, and quoted numbers."""
    if expected == "a string" and value is not None and not isinstance(value, dict | list):
        return "; YAML did not read this as text: put it in quotes"
    if expected in ("an integer", "a number") and isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return "; remove the quotes around the number"
    return ""


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


def _check_structure(shape: Shape, value: Any, path: Path) -> list[ShapeProblem]:
    if not isinstance(value, dict):
        return _type_problem(path, "a mapping", value)
    members = shape.members  # type: ignore[attr-defined]
    problems: list[ShapeProblem] = []
    misspelt: set[str] = set()
    for key, item in value.items():
        if key not in members:
            close = difflib.get_close_matches(str(key), list(members), n=1, cutoff=0.6)
            misspelt.update(close)
            problems.append(ShapeProblem(path + (str(key),), f"unknown key `{key}`"
                                         + suggest(str(key), list(members))))
        else:
            problems += validate(members[key], item, path + (key,))
    for key in shape.required_members:  # type: ignore[attr-defined]
        # A misspelt required key is one mistake, reported once, as "did you mean".
        if key not in value and key not in misspelt:
            problems.append(ShapeProblem(path + (key,), f"required key `{key}` is missing",
                                         "Member must not be null"))
    return problems


def _check_list(shape: Shape, value: Any, path: Path) -> list[ShapeProblem]:
    if not isinstance(value, list):
        return _type_problem(path, "a list", value)
    problems = _check_length(shape, len(value), path, "items")
    for index, item in enumerate(value):
        problems += validate(shape.member, item, path + (index,))  # type: ignore[attr-defined]
    return problems


def _check_map(shape: Shape, value: Any, path: Path) -> list[ShapeProblem]:
    if not isinstance(value, dict):
        return _type_problem(path, "a mapping", value)
    problems = _check_length(shape, len(value), path, "entries")
    for key, item in value.items():
        problems += validate(shape.key, key, path + (str(key),))  # type: ignore[attr-defined]
        problems += validate(shape.value, item, path + (str(key),))  # type: ignore[attr-defined]
    return problems


def _check_length(shape: Shape, length: int, path: Path, unit: str) -> list[ShapeProblem]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        return [ShapeProblem(path, f"has {length} {unit}; at least {low} required",
                             f"Member must have length greater than or equal to {low}")]
    if high is not None and length > high:
        return [ShapeProblem(path, f"has {length} {unit}; at most {high} allowed",
                             f"Member must have length less than or equal to {high}")]
    return []


def _check_string(shape: Shape, value: Any, path: Path) -> list[ShapeProblem]:
    if not isinstance(value, str):
        return _type_problem(path, "a string", value)
    problems = _check_length(shape, len(value), path, "characters")
    enum = shape.enum
    if enum and value not in enum:
        problems.append(ShapeProblem(path, f"`{_short(value)}` is not allowed" + suggest(value, enum),
                                     f"Member must satisfy enum value set: [{', '.join(enum)}]"))
    pattern = shape.metadata.get("pattern")
    compiled = _compiled(pattern) if pattern else None
    if compiled is not None and value and not compiled.fullmatch(value):
        problems.append(ShapeProblem(path, f"`{_short(value)}` does not match the pattern {pattern}",
                                     f"Member must satisfy regular expression pattern: {pattern}"))
    return problems


def _check_range(shape: Shape, value: float, path: Path) -> list[ShapeProblem]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        return [ShapeProblem(path, f"{value} is below the minimum {low}",
                             f"Member must have value greater than or equal to {low}")]
    if high is not None and value > high:
        return [ShapeProblem(path, f"{value} is above the maximum {high}",
                             f"Member must have value less than or equal to {high}")]
    return []


# The widths of the model's whole-number types (Smithy's `integer` is a 32-bit and `long` a 64-bit
# signed integer: https://smithy.io/2.0/spec/simple-types.html): a wider number cannot reach AWS.
_WIDTH = {"integer": 31, "long": 63}


def _check_integer(shape: Shape, value: Any, path: Path) -> list[ShapeProblem]:
    if isinstance(value, bool) or not isinstance(value, int):
        return _type_problem(path, "an integer", value)
    bits = _WIDTH[shape.type_name]
    if not -(2 ** bits) <= value < 2 ** bits:
        kind = "a 32-bit" if bits == 31 else "a 64-bit"
        return [ShapeProblem(path, f"{_short(value)} does not fit {kind} integer, the field's type "
                             f"(from {-(2 ** bits)} to {2 ** bits - 1})",
                             f"Member must be {kind} integer")]
    return _check_range(shape, value, path)


def _check_float(shape: Shape, value: Any, path: Path) -> list[ShapeProblem]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _type_problem(path, "a number", value)
    return _check_range(shape, value, path)


def _check_boolean(shape: Shape, value: Any, path: Path) -> list[ShapeProblem]:
    if not isinstance(value, bool):
        return _type_problem(path, "true or false", value)
    return []


def _check_timestamp(shape: Shape, value: Any, path: Path) -> list[ShapeProblem]:
    if isinstance(value, bool) or not isinstance(value, int | float | str | datetime.datetime):
        return _type_problem(path, "a timestamp", value)
    return []


_CHECKS = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "float": _check_float,
    "double": _check_float,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
}
