"""`icsync skeleton`: an empty manifest generated from the service model.

Like `aws sagemaker create-inference-component --generate-cli-skeleton yaml-input`: every field with
a placeholder for its type, `[REQUIRED]` on required ones and the valid values of enums in a comment.
"""

from __future__ import annotations

import botocore
import click
from botocore.model import Shape

from gitsync import model
from gitsync.errors import ExitCode
from gitsync.manifests.validate import DEPLOYMENT_KEY, OPTIONS_KEY

_PLACEHOLDERS = {"string": "''", "blob": "''", "integer": "0", "long": "0", "float": "0.0",
                 "double": "0.0", "boolean": "true", "timestamp": "'1970-01-01T00:00:00Z'"}
_OPTIONS = [
    f"{OPTIONS_KEY}:  # icsync's own options; never sent to AWS",
    "  ignore: []  # field paths whose live differences are ignored, e.g. RuntimeConfig.CopyCount",
    "  wave: 0  # apply order: lower waves first",
    "  prune: true  # false: `apply --prune` never deletes this component",
    # No value of it is a no-op, so it is shown commented out: uncomment it to autoscale.
    "  # autoscaling:  # Application Auto Scaling owns the copy count between min and max",
    "  #   min: 1  # 0 scales to zero",
    "  #   max: 4",
    "  #   target: {metric: SageMakerInferenceComponentInvocationsPerCopy, value: 4}",
    "  #   scale_in_cooldown: 300  # seconds",
    "  #   scale_out_cooldown: 60  # seconds",
    # Nor has a smoke check: any request it sends is one the container must answer.
    "  # smoke:  # a request apply sends after a create or update settles, and what must come back",
    "  #   body: '{\"inputs\": \"ping\"}'  # a string is sent as it is, anything else as JSON",
    "  #   content_type: application/json",
    "  #   expect: {status: 200, contains: pong, jmespath: ok, equals: true}",
    "  #   timeout: 10  # seconds, one try",
    "  #   tries: 3",
    "  #   on_failure: report  # or revert: send back the specification it replaced",
]


def skeleton() -> str:
    create = model.input_shape("CreateInferenceComponent")
    update = model.input_shape("UpdateInferenceComponent")
    lines = [f"# An icsync manifest: the CreateInferenceComponent request (botocore {botocore.__version__}),",
             "# plus UpdateInferenceComponent's DeploymentConfig and icsync's own options.",
             "# Set exactly one of Specification or Specifications; delete the fields you do not use."]
    lines += _members(create, 0, ())
    lines += _field(DEPLOYMENT_KEY, update.members[DEPLOYMENT_KEY], 0, False, ())  # type: ignore[attr-defined]
    return "\n".join(lines + _OPTIONS) + "\n"


def _members(shape: Shape, indent: int, seen: tuple[str, ...]) -> list[str]:
    required = set(shape.required_members)  # type: ignore[attr-defined]
    lines: list[str] = []
    for name, member in shape.members.items():  # type: ignore[attr-defined]
        lines += _field(name, member, indent, name in required, seen)
    return lines


def _field(name: str, shape: Shape, indent: int, required: bool, seen: tuple[str, ...]) -> list[str]:
    pad = "  " * indent
    inline, block = _value(shape, indent + 1, seen)
    comment = _comment(shape, required)
    if inline is not None:
        return [f"{pad}{name}: {inline}{comment}"]
    return [f"{pad}{name}:{comment}"] + block


def _value(shape: Shape, indent: int, seen: tuple[str, ...]) -> tuple[str | None, list[str]]:
    """A scalar's inline placeholder, or the block lines (at `indent`) of a collection."""
    kind = shape.type_name
    if kind in _PLACEHOLDERS:
        enum = getattr(shape, "enum", None)
        return (enum[0] if enum else _PLACEHOLDERS[kind]), []
    if shape.name in seen:
        return "{}", []  # a recursive shape: one level is enough for a skeleton
    seen = seen + (shape.name,)
    if kind == "structure":
        return None, _members(shape, indent, seen)
    if kind == "map":
        return None, _field("KeyName", shape.value, indent, False, seen)  # type: ignore[attr-defined]
    if kind == "list":
        return None, _item(shape.member, indent, seen)  # type: ignore[attr-defined]
    return "null", []


def _item(shape: Shape, indent: int, seen: tuple[str, ...]) -> list[str]:
    """One list item: `- value`, its first line taking the dash in place of two spaces."""
    pad = "  " * (indent - 1)
    inline, block = _value(shape, indent, seen)
    if inline is not None:
        return [f"{pad}- {inline}{_comment(shape, False)}"]
    return [f"{pad}- {block[0].lstrip()}"] + block[1:] if block else [f"{pad}- {{}}"]


def _comment(shape: Shape, required: bool) -> str:
    notes = ["[REQUIRED]"] if required else []
    enum = getattr(shape, "enum", None)  # only string shapes have one
    if enum:
        notes.append("Valid values are: " + ", ".join(enum))
    return "  # " + " ".join(notes) if notes else ""


def run() -> int:
    click.echo(skeleton(), nl=False)
    return ExitCode.OK
