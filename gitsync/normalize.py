"""Describe output -> manifest shape, one named step each, so live and desired compare field by field.

Each step undoes one way in which what AWS reports differs from what a manifest says. Shapes come
from the installed botocore model, never from a hand-copied list of fields.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape

from gitsync import model

OWNER_TAG_PREFIX = "icsync:"
Body = dict[str, Any]


def image_from_deployed_image(live: Body) -> Body:
    """Describe reports `Container.DeployedImage.{SpecifiedImage, ResolvedImage, ResolutionTime}`
    where create took `Container.Image`: the specified image is what the manifest said; the resolved
    digest and its time are facts of the deployment, not desired state."""
    for spec in specs(live):
        container = spec.get("Container")
        if isinstance(container, dict) and "DeployedImage" in container:
            deployed = container.pop("DeployedImage")
            if isinstance(deployed, dict) and "SpecifiedImage" in deployed:
                container["Image"] = deployed["SpecifiedImage"]
    return live


def copy_count_from_desired(live: Body) -> Body:
    """Describe reports `RuntimeConfig.{DesiredCopyCount, CurrentCopyCount, PlacementStatus}` where
    create took `RuntimeConfig.CopyCount`: the desired count is the setting; the current count and the
    placement are status (shown in verbose output, never diffed)."""
    runtime = live.get("RuntimeConfig")
    if isinstance(runtime, dict):
        live["RuntimeConfig"] = ({"CopyCount": runtime["DesiredCopyCount"]}
                                 if "DesiredCopyCount" in runtime else {})
    return live


def project_onto_shape(value: Any, shape: Shape) -> Any:
    """Keep only what the create request's shape knows: status fields (ARNs, times, status,
    FailureReason), keys a newer AWS added that this botocore does not know, and anything else
    describe-only drop out here, so they can never show as a diff."""
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members  # type: ignore[attr-defined]
        return {k: project_onto_shape(v, members[k]) for k, v in value.items() if k in members}
    if shape.type_name == "list" and isinstance(value, list):
        return [project_onto_shape(v, shape.member) for v in value]  # type: ignore[attr-defined]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: project_onto_shape(v, shape.value) for k, v in value.items()}  # type: ignore[attr-defined]
    return numbers_as_shape_types(value, shape)


def numbers_as_shape_types(value: Any, shape: Shape) -> Any:
    """YAML `8` and JSON `8.0` are the same number: floats compare as floats, integers as integers."""
    if shape.type_name in ("float", "double") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if shape.type_name in ("integer", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def drop_empty_blocks(value: Any) -> Any:
    """An absent optional block equals an empty one: AWS reports `Environment: {}` for a container
    created without environment variables, and a manifest may write `Environment: {}` too."""
    if isinstance(value, dict):
        cleaned = {k: drop_empty_blocks(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in ({}, [], None)}
    if isinstance(value, list):
        return [drop_empty_blocks(v) for v in value]
    return value


def tags_as_map(tags: Any) -> dict[str, str]:
    """Tags compare as a set of key/value pairs, whatever their order; icsync's own ownership tags
    are bookkeeping, not desired state."""
    pairs = tags.items() if isinstance(tags, dict) else ((t["Key"], t["Value"]) for t in tags or [])
    return {k: v for k, v in pairs if not str(k).startswith(OWNER_TAG_PREFIX)}


def variant_name_when_unset(live: Body, desired: Body) -> Body:
    """A manifest may leave VariantName out; AWS then places the component on the endpoint's
    variant and reports its name, which is not a change."""
    if "VariantName" not in desired:
        live.pop("VariantName", None)
    return live


def specs(body: Body) -> list[Body]:
    if isinstance(body.get("Specification"), dict):
        return [body["Specification"]]
    listed = body.get("Specifications")
    return [s for s in listed if isinstance(s, dict)] if isinstance(listed, list) else []


def _create_shape() -> Shape:
    return model.input_shape("CreateInferenceComponent")


def comparable_desired(body: Body) -> Body:
    """The manifest's create request in the form the differ compares."""
    out = drop_empty_blocks(project_onto_shape(body, _create_shape()))  # both build anew
    out["Tags"] = tags_as_map(body.get("Tags"))
    return out


def _writable(describe: Body) -> Body:
    """A copy of what the steps before projection change (the document, its specifications and
    their containers); projection then builds everything anew, so nothing deeper is copied."""
    def spec_copy(spec: Any) -> Any:
        if not isinstance(spec, dict):
            return spec
        container = spec.get("Container")
        return {**spec, "Container": dict(container)} if isinstance(container, dict) else dict(spec)

    live = dict(describe)
    for key in ("Specification", "Specifications"):
        if isinstance(live.get(key), dict):
            live[key] = spec_copy(live[key])
        elif isinstance(live.get(key), list):
            live[key] = [spec_copy(s) for s in live[key]]
    return live


def comparable_live(describe: Body, tags: dict[str, str], desired: Body | None = None) -> Body:
    """A describe document and its tags in the form the differ compares."""
    live = _writable(describe)
    image_from_deployed_image(live)
    copy_count_from_desired(live)
    out = drop_empty_blocks(project_onto_shape(live, _create_shape()))
    out.pop("Tags", None)
    out["Tags"] = tags_as_map(tags)
    if desired is not None:
        variant_name_when_unset(out, desired)
    return out
