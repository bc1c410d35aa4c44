"""icsync's own per-component options, the `icsync:` key of a manifest: their types, how they are
read and what is wrong with them. What is allowed is defined once, as JSON Schema, in
option_schema.py: `icsync schema` publishes it and validate checks against it. Pure: nothing here
talks to AWS."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard

import jmespath
import jmespath.exceptions

from gitsync.manifests.option_schema import check, ignore_path_problems, schema_fragment

OPTIONS_KEY = "icsync"


@dataclass(frozen=True)
class Autoscaling:
    """`icsync: {autoscaling: ...}`: the component's Application Auto Scaling target and policy."""

    min: int
    max: int
    metric: str | None  # a predefined metric type; None with a custom metric
    value: float
    scale_in_cooldown: int | None = None
    scale_out_cooldown: int | None = None
    custom: dict[str, Any] | None = field(default=None, hash=False)

    def view(self) -> dict[str, Any]:
        """The comparable form, keyed as the manifest writes it."""
        target: dict[str, Any] = {"value": float(self.value)}
        if self.custom is not None:
            target["custom"] = self.custom
        else:
            target["metric"] = self.metric
        out: dict[str, Any] = {"min": self.min, "max": self.max, "target": target}
        for key in ("scale_in_cooldown", "scale_out_cooldown"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Expect:
    """What a passing smoke answer is: every condition given must hold."""

    status: int = 200
    contains: str | None = None
    jmespath: str | None = None
    has_equals: bool = False  # `equals: null` is a condition too, so its presence is kept apart
    equals: Any = field(default=None, hash=False)


@dataclass(frozen=True)
class Smoke:
    """`icsync: {smoke: ...}`: one request to the component and what its answer must be."""

    body: Any = field(default="{}", hash=False)
    content_type: str = "application/json"
    expect: Expect = field(default_factory=Expect)
    timeout: float = 10.0
    tries: int = 3
    on_failure: Literal["report", "revert"] = "report"

    def payload(self) -> bytes:
        """A string body is sent as it is (text, CSV, JSON already written), anything else as JSON."""
        return self.body.encode() if isinstance(self.body, str) else json.dumps(self.body).encode()


@dataclass(frozen=True)
class Options:
    """icsync's own per-component options (the `icsync:` key)."""

    ignore: tuple[str, ...] = ()
    wave: int = 0
    prune: bool = True
    autoscaling: Autoscaling | None = None
    smoke: Smoke | None = None


def parse_autoscaling(raw: Any) -> Autoscaling | None:
    """The option as validated by `autoscaling_problems` (call that first)."""
    if not isinstance(raw, dict):
        return None
    target = raw["target"]
    return Autoscaling(raw["min"], raw["max"], target.get("metric"), float(target["value"]),
                       raw.get("scale_in_cooldown"), raw.get("scale_out_cooldown"), target.get("custom"))


def parse_smoke(raw: Any) -> Smoke | None:
    """The option as validated by `problems` (call that first)."""
    if not isinstance(raw, dict):
        return None
    given = raw.get("expect") or {}
    expect = Expect(given.get("status", 200), given.get("contains"), given.get("jmespath"),
                    "equals" in given, given.get("equals"))
    return Smoke(raw.get("body", "{}"), raw.get("content_type", "application/json"), expect,
                 float(raw.get("timeout", 10)), raw.get("tries", 3), raw.get("on_failure", "report"))


def autoscaling_problems(raw: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """(key path inside the option, message) for each thing wrong with it."""
    return [(path[1:], message) for path, message in problems({"autoscaling": raw})
            if path[:1] == ("autoscaling",)]


def problems(raw: Any) -> list[tuple[tuple[str, ...], str]]:
    """(key path inside the `icsync:` block, message) for each thing wrong with it: what the JSON
    Schema says (schema_fragment, the one definition), then what a schema cannot say."""
    found = check(schema_fragment(), raw, ())
    if not isinstance(raw, dict):
        return found
    rules = raw.get("ignore")
    for index, rule in enumerate(rules if isinstance(rules, list) else ()):
        if not any(path == ("ignore", str(index)) for path, _ in found):
            found += [(("ignore", str(index)), message) for message in ignore_path_problems(rule)]
    scaling = raw.get("autoscaling")
    low, high = (scaling.get("min"), scaling.get("max")) if isinstance(scaling, dict) else (None, None)
    if _whole(low) and _whole(high) and 1 <= high < low:
        found.append((("autoscaling", "max"), f"max ({high}) is below min ({low})"))
    return found + _smoke_problems(raw.get("smoke"))


def _smoke_problems(smoke: Any) -> list[tuple[tuple[str, ...], str]]:
    """What the schema cannot say: the JMESPath expression must compile, `equals` needs it."""
    expect = smoke.get("expect") if isinstance(smoke, dict) else None
    if not isinstance(expect, dict):
        return []
    expression = expect.get("jmespath")
    if isinstance(expression, str):
        try:
            jmespath.compile(expression)
        except jmespath.exceptions.JMESPathError as error:
            said = f"`{expression}` is not a JMESPath expression: {str(error).splitlines()[0]}"
            return [(("smoke", "expect", "jmespath"), said)]
    if "equals" in expect and expression is None:
        said = "equals needs jmespath: the expression whose result must equal it"
        return [(("smoke", "expect", "equals"), said)]
    return []


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
