"""Image tags that moved: `plan --check-images`.

A component deployed from `repo:latest` keeps the digest the tag pointed to at deployment time
(`DeployedImage.ResolvedImage`). Pushing a new `:latest` changes nothing live, and the manifest did
not change either, so a plain plan sees no difference. With --check-images, each ECR tag the
manifests use is resolved now (DescribeImages) and compared with the deployed digest.

Pure: gather.py resolves the tags (ECR DescribeImages) before any planning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitsync.normalize import specs

# ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPOSITORY:TAG (a digest, `@sha256:`, needs no check)
_ECR = re.compile(r"(?P<registry>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
                  r"/(?P<repository>[^:@\s]+):(?P<tag>[\w][\w.-]{0,127})")
REASON = "image tag moved: the tag now points to another digest"


@dataclass(frozen=True)
class EcrImage:
    registry: str
    region: str
    repository: str
    tag: str


@dataclass(frozen=True)
class Moved:
    path: str  # where the deployed digest is, in the manifest's shape
    before: str
    after: str


def ecr_image(image: str) -> EcrImage | None:
    """The parts of an ECR image given by tag, or None (a digest, or not an ECR image)."""
    found = _ECR.fullmatch(image)
    if found is None:
        return None
    return EcrImage(found["registry"], found["region"], found["repository"], found["tag"])


def tagged_images(bodies: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every ECR image given by tag in these manifest bodies."""
    return {image for body in bodies for _, image in _images(body) if ecr_image(image)}


def moved(describe: Mapping[str, Any], body: Mapping[str, Any], digests: Mapping[str, str]) -> list[Moved]:
    """Each container whose manifest image is the deployed one, given by a tag that now resolves to
    another digest than the deployed `ResolvedImage`."""
    live_specs = specs(dict(describe))
    out: list[Moved] = []
    for (path, image), live_spec in zip(_images(body), live_specs):
        deployed = (live_spec.get("Container") or {}).get("DeployedImage") or {}
        now = digests.get(image)
        resolved = str(deployed.get("ResolvedImage") or "")
        if now is None or deployed.get("SpecifiedImage") != image or "@" not in resolved:
            continue
        before = resolved.rsplit("@", 1)[1]
        if before != now:
            out.append(Moved(f"{path}.Container.DeployedImage.ResolvedImage", before, now))
    return out


def _images(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(path of the specification, its container image), one per specification, in order."""
    single = body.get("Specification")
    listed = [("Specification", single)] if isinstance(single, dict) else [
        (f"Specifications[{i}]", s) for i, s in enumerate(body.get("Specifications") or [])]
    out = []
    for path, spec in listed:
        image = ((spec or {}).get("Container") or {}).get("Image") if isinstance(spec, dict) else None
        out.append((path, image if isinstance(image, str) else ""))
    return out
