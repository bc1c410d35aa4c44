"""What is secret: one rule for every place that masks a value.

The plan, the dry run, `icsync render`, `icsync import` and the output redactor all ask here.

A value is secret when it sits in an `Environment` mapping under a name the project's
`secret_pattern` matches. That is where a model server takes its tokens and passwords; SageMaker
has no field for secrets, so the variable's name is all that tells one apart.

Pure and stdlib only, so that every layer (manifests, plan, views, the redactor) can use it.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_SECRET_PATTERN = r"(?i)TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|API_KEY|ACCESS_KEY"
SENSITIVE = "(sensitive)"  # what is shown in place of a secret value
ENVIRONMENT = "Environment"
# A dotted field path into an Environment map: the rest of the path is the variable's name.
_ENVIRONMENT_PATH = re.compile(rf"(?:^|\.){ENVIRONMENT}\.(.+)$")

KeyPath = tuple[str | int, ...]


def is_secret_name(name: object, pattern: re.Pattern[str]) -> bool:
    """An environment variable whose value is secret, by its name."""
    return bool(pattern.search(str(name)))


def is_sensitive(path: str, pattern: re.Pattern[str]) -> bool:
    """A dotted field path (`Specification.Container.Environment.API_TOKEN`) to a secret value."""
    match = _ENVIRONMENT_PATH.search(path)
    return bool(match and is_secret_name(match.group(1), pattern))


def secret_entries(document: Any, pattern: re.Pattern[str],
                   at: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    """The key path and value of every secret in a document, at any depth."""
    found: list[tuple[KeyPath, Any]] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == ENVIRONMENT and isinstance(value, dict):
                found += [(at + (key, name), item) for name, item in value.items()
                          if is_secret_name(name, pattern)]
            else:
                found += secret_entries(value, pattern, at + (key,))
    elif isinstance(document, list):
        for index, item in enumerate(document):
            found += secret_entries(item, pattern, at + (index,))
    return found


def secret_pairs(pattern: str) -> re.Pattern[str]:
    """`"NAME": "value"` in JSON or a Python repr (escaped quotes too) whose NAME is secret: the
    rule read off text, for logs of request and response bodies. Group 1 is everything up to
    the value, group 2 the value."""
    flags = "(?i)" if pattern.startswith("(?i)") else ""
    key = rf"[\w.-]*(?:{pattern.removeprefix('(?i)')})[\w.-]*"
    return re.compile(rf"{flags}(\\?[\"'](?:{key})\\?[\"']\s*:\s*\\?[\"'])((?:[^\"'\\]|\\.)*)")


def masked(document: Any, pattern: re.Pattern[str]) -> Any:
    """A copy of the document with every secret value replaced by SENSITIVE."""
    if isinstance(document, dict):
        return {key: _masked_environment(value, pattern)
                if key == ENVIRONMENT and isinstance(value, dict) else masked(value, pattern)
                for key, value in document.items()}
    if isinstance(document, list):
        return [masked(item, pattern) for item in document]
    return document


def _masked_environment(environment: dict[Any, Any], pattern: re.Pattern[str]) -> dict[Any, Any]:
    return {name: SENSITIVE if is_secret_name(name, pattern) else value
            for name, value in environment.items()}
