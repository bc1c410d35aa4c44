"""`plan --check-images`: a tag pushed again (same name, new digest) redeploys, through ECR in the sandbox."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3

from gitsync.images import EcrImage, ecr_image, moved
from tests.helpers import Live, demo_project, icsync

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def _ecr(live: Live) -> object:
    return boto3.client("ecr", endpoint_url=live.url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _push(live: Live, repository: str, tag: str, layer: str) -> str:
    """Push a new manifest under `tag`; return the digest ECR gives it. The manifest has a layer:
    moto derives an image's digest from its layers, and gives one without layers a digest drawn
    from only 101 values, so two pushes could get the same one (and a moved tag look unmoved)."""
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": f"sha256:{layer * 64}"[:71], "size": 1},
                           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                       "digest": f"sha256:{layer * 64}"[:71], "size": 1}]})
    ecr = _ecr(live)
    image = ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)  # type: ignore[attr-defined]
    return str(image["image"]["imageId"]["imageDigest"])


def _project(tmp_path: Path, live: Live) -> tuple[Path, str, str]:
    """A deployed component whose image is an ECR tag; the sandbox and ECR agree on its digest."""
    live.seed_endpoint()
    repository = f"app-{uuid.uuid4().hex[:8]}"
    _ecr(live).create_repository(repositoryName=repository)  # type: ignore[attr-defined]
    image = f"{REGISTRY}/{repository}:latest"
    first = _push(live, repository, "latest", "a")
    live.sandbox.set_image_digest(image, first)
    root = demo_project(tmp_path / "p")
    component = root / "components" / "web.yaml"
    component.write_text(component.read_text().replace("repo/app:{{ tag }}", image))
    assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve").code == 0
    return root, repository, first


def plan(root: Path, live: Live, *args: str) -> tuple[int, str]:
    result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, *args)
    return result.code, result.all


def test_a_moved_tag_is_an_update_and_apply_redeploys_it_once(tmp_path: Path, live: Live) -> None:
    root, repository, first = _project(tmp_path, live)
    assert plan(root, live, "--check-images")[1].count("No changes.") == 1
    second = _push(live, repository, "latest", "b")
    live.sandbox.set_image_digest(f"{REGISTRY}/{repository}:latest", second)
    assert first != second

    code, out = plan(root, live, "--check-images", "--output", "json", "--detailed-exitcode")
    assert code == 2, out
    change = json.loads(out)["changes"][0]
    assert (change["action"], change["reason"], change["calls"]) == (
        "update", "image tag moved: the tag now points to another digest", ["UpdateInferenceComponent"])
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [
        ("Specification.Container.DeployedImage.ResolvedImage", first, second)]
    text = plan(root, live, "--check-images")[1]
    assert "image tag moved" in text and first in text and second in text

    live.clear_log()
    result = icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--auto-approve",
                    "--check-images")
    assert result.code == 0, result.all
    assert [r["operation"] for r in live.mutating()] == ["UpdateInferenceComponent"]
    deployed = live.client.describe_inference_component(InferenceComponentName="web")
    assert deployed["Specification"]["Container"]["DeployedImage"]["ResolvedImage"].endswith(second)
    assert "No changes." in plan(root, live, "--check-images")[1]


def test_without_check_images_no_ecr_call_and_no_change(tmp_path: Path, live: Live) -> None:
    root, repository, _ = _project(tmp_path, live)
    live.sandbox.set_image_digest(f"{REGISTRY}/{repository}:latest", _push(live, repository, "latest", "c"))
    live.clear_log()
    code, out = plan(root, live, "--detailed-exitcode")
    assert code == 0 and "No changes." in out
    assert not [r for r in live.requests() if r.get("service") == "ecr" or r["operation"] == "DescribeImages"]
    assert plan(root, live, "--check-images", "--detailed-exitcode")[0] == 2
    assert "DescribeImages" in live.operations()


def test_a_tag_missing_from_ecr_is_no_change(tmp_path: Path, live: Live) -> None:
    root, repository, _ = _project(tmp_path, live)
    _ecr(live).batch_delete_image(repositoryName=repository, imageIds=[{"imageTag": "latest"}])  # type: ignore[attr-defined]
    assert plan(root, live, "--check-images", "--detailed-exitcode")[0] == 0


def test_ecr_image_parts() -> None:
    assert ecr_image(f"{REGISTRY}/team/app:v1.2") == EcrImage("123456789012", "us-east-1", "team/app", "v1.2")
    assert ecr_image(f"{REGISTRY}/app@sha256:{'a' * 64}") is None  # a digest never moves
    assert ecr_image("docker.io/library/nginx:latest") is None
    assert ecr_image(f"{REGISTRY}/app") is None


def test_moved_only_when_the_manifest_image_is_the_deployed_one() -> None:
    image = f"{REGISTRY}/app:latest"
    old, new = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    describe = {"Specification": {"Container": {"DeployedImage": {
        "SpecifiedImage": image, "ResolvedImage": f"{REGISTRY}/app@{old}"}}}}
    body = {"Specification": {"Container": {"Image": image}}}
    assert [(m.before, m.after) for m in moved(describe, body, {image: new})] == [(old, new)]
    assert moved(describe, body, {image: old}) == []
    other = {"Specification": {"Container": {"Image": f"{REGISTRY}/app:v2"}}}
    assert moved(describe, other, {f"{REGISTRY}/app:v2": new}) == []  # a spec change redeploys anyway


def test_moved_names_the_specification_that_moved() -> None:
    images = [f"{REGISTRY}/a:latest", f"{REGISTRY}/b:latest"]
    digests = ["sha256:" + c * 64 for c in "123"]
    describe = {"Specifications": [
        {"Container": {"DeployedImage": {"SpecifiedImage": i, "ResolvedImage": f"{i.split(':l')[0]}@{digests[0]}"}}}
        for i in images]}
    body = {"Specifications": [{"Container": {"Image": i}} for i in images]}
    found = moved(describe, body, {images[0]: digests[0], images[1]: digests[2]})
    assert [(m.path, m.before, m.after) for m in found] == [
        ("Specifications[1].Container.DeployedImage.ResolvedImage", digests[0], digests[2])]
