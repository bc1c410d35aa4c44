"""icsync's own per-component options, the `icsync:` key of a manifest: their types, how they are
read and what is wrong with them. What is allowed is defined once, as JSON Schema, in
option_schema.py: `icsync schema` publishes it and validate checks against it. Pure: nothing here
talks to AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeGuard

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
class Options:
    """icsync's own per-component options (the `icsync:` key)."""

    ignore: tuple[str, ...] = ()
    wave: int = 0
    prune: bool = True
    autoscaling: Autoscaling | None = None


def parse_autoscaling(raw: Any) -> Autoscaling | None:
    """The option as validated by `autoscaling_problems` (call that first)."""
    if not isinstance(raw, dict):
        return None
    target = raw["target"]
    return Autoscaling(raw["min"], raw["max"], target.get("metric"), float(target["value"]),
                       raw.get("scale_in_cooldown"), raw.get("scale_out_cooldown"), target.get("custom"))


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
    return found


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
