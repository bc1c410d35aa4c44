"""icsync's own per-component options, the `icsync:` key of a manifest: their types, how they are
read and what is wrong with them. Pure: planning and the schema read these types; nothing here
talks to AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeGuard

OPTIONS_KEY = "icsync"
AUTOSCALING_KEYS = ("min", "max", "target", "scale_in_cooldown", "scale_out_cooldown")


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


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def autoscaling_problems(raw: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """(key path inside the option, message) for each thing wrong with it."""
    found: list[tuple[tuple[str, ...], str]] = []
    for key in raw:
        if key not in AUTOSCALING_KEYS:
            expected = ", ".join(AUTOSCALING_KEYS)
            found.append(((str(key),), f"unknown autoscaling key `{key}`; expected {expected}"))
    low, high = raw.get("min"), raw.get("max")
    if not _whole(low) or low < 0:
        found.append((("min",), "min must be a whole number of copies, 0 or more (0 scales to zero)"))
    if not _whole(high) or high < 1:
        found.append((("max",), "max must be a whole number of copies, 1 or more"))
    elif _whole(low) and high < low:
        found.append((("max",), f"max ({high}) is below min ({low})"))
    for key in ("scale_in_cooldown", "scale_out_cooldown"):
        if key in raw and (not _whole(raw[key]) or raw[key] < 0):
            found.append(((key,), f"{key} must be a whole number of seconds, 0 or more"))
    target = raw.get("target")
    if not isinstance(target, dict):
        return found + [(("target",), ("target must be a mapping: {metric: "
                         "SageMakerInferenceComponentInvocationsPerCopy, value: 4}"))]
    if not isinstance(target.get("metric"), str) and not isinstance(target.get("custom"), dict):
        found.append((("target", "metric"), ("target.metric must name a predefined metric type "
                      "(e.g. SageMakerInferenceComponentInvocationsPerCopy), or target.custom a "
                      "CustomizedMetricSpecification")))
    value = target.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        found.append((("target", "value"), "target.value must be a number above 0"))
    return found
