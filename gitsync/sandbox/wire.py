"""SageMaker's JSON 1.1 wire protocol as AWS speaks it: bodies, errors, validation messages, region."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from botocore.model import Shape

from gitsync import model
from gitsync.sandbox.state import ApiError

StartResponse = Callable[..., Any]
_MISSING = object()
_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/")


def read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def respond(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(payload))),
               ("x-amzn-RequestId", str(uuid.uuid4()))]
    if "__type" in body:
        headers.append(("x-amzn-ErrorType", body["__type"]))
    start_response(f"{status} {'OK' if status == 200 else 'Error'}", headers)
    return [payload]


def shaped(shape: Shape | None, document: Any) -> Any:
    """A response as AWS's JSON carries it: float members as floats (`1.0`, which botocore hands
    back as it reads it) and timestamps as epoch seconds to the millisecond."""
    if shape is None:
        return document
    kind = shape.type_name
    if kind in ("float", "double") and isinstance(document, int | float) and not isinstance(document, bool):
        return float(document)
    if kind == "timestamp" and isinstance(document, int | float):
        return round(document, 3)
    if kind == "structure" and isinstance(document, dict):
        members = shape.members  # type: ignore[attr-defined]
        return {k: shaped(members.get(k), v) for k, v in document.items()}
    if kind == "list" and isinstance(document, list):
        return [shaped(shape.member, v) for v in document]  # type: ignore[attr-defined]
    if kind == "map" and isinstance(document, dict):
        return {k: shaped(shape.value, v) for k, v in document.items()}  # type: ignore[attr-defined]
    return document


def signed_region(environ: dict[str, Any]) -> str | None:
    """The region a SigV4 request was signed for: the third part of its credential scope."""
    found = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else None


def validate_request(operation: str, params: dict[str, Any], shape: Shape | None = None) -> None:
    """Reject what AWS would: wrong JSON types first (they fail deserialization), then constraints.

    `shape`: another service's input shape (SageMaker's, from the operation's name, by default).
    Unknown members are rejected too (AWS ignores them); a sandbox that is stricter than AWS here
    catches a misspelt field in the tool instead of silently dropping it.
    """
    problems = model.validate(shape or model.input_shape(operation), params)
    if not problems:
        return
    mistyped = [p for p in problems if p.constraint.startswith("Member must be of type")]
    if mistyped:
        first = mistyped[0]
        expected = first.constraint.removeprefix("Member must be of type ").split()[-1]
        raise ApiError("SerializationException",
                       f"Cannot deserialize {_shown(_value_at(params, first.path))} at "
                       f"'{_camel(first.path)}' as {expected}")
    parts = [_describe(params, p) for p in problems]
    noun = "error" if len(parts) == 1 else "errors"
    raise ApiError("ValidationException", f"{len(parts)} validation {noun} detected: " + "; ".join(parts))


def _describe(params: dict[str, Any], problem: model.ShapeProblem) -> str:
    where = _camel(problem.path)
    if not problem.constraint:  # an unknown member: model.validate has no AWS constraint text for it
        hint = problem.message.split(";", 1)[1].strip() if ";" in problem.message else ""
        return f"Unknown member at '{where}'" + (f" ({hint})" if hint else "")
    value = _value_at(params, problem.path)
    return f"Value {_shown(value)} at '{where}' failed to satisfy constraint: {problem.constraint}"


def _shown(value: Any) -> str:
    if value is _MISSING or value is None:
        return "null"
    return f"'{json.dumps(value) if isinstance(value, dict | list | bool) else value}'"


def _camel(path: model.Path) -> str:
    """AWS's member path: camelCase names, and `.N.member` for the N-th (1-based) list item."""
    parts = [f"{p + 1}.member" if isinstance(p, int) else p[:1].lower() + p[1:] for p in path]
    return ".".join(parts)


def _value_at(params: Any, path: model.Path) -> Any:
    for part in path:
        try:
            params = params[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return params


def request_json(body: bytes) -> Any:
    """A request body's JSON; None when it is not JSON (the call then fails as AWS's would)."""
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return None
