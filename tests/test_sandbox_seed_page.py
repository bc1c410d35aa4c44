"""The seed page's JSON request examples for update-inference-component are accepted as AWS accepts them.

The examples (tests/data/sandbox/update-inference-component-json-syntax.md, copied verbatim from the
seed page) are templates: `"string"`, `integer`, `float`, `"A"|"B"` and `...`. They are filled from
the installed botocore's input shape (ranges from its metadata), so the filler cannot drift from
what the API allows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.model import Shape

from gitsync import model
from tests.helpers.wire import Sandboxes

PAGE = Path(__file__).parent / "data" / "sandbox" / "update-inference-component-json-syntax.md"
OPTIONS = {"specification": "Specification", "runtime-config": "RuntimeConfig",
           "deployment-config": "DeploymentConfig"}
STRINGS = {"ModelName": "model-b", "Image": "repo/app:2.0", "ArtifactUrl": "s3://bucket/model.tar.gz",
           "BaseInferenceComponentName": "base", "AlarmName": "ic-errors"}


def examples() -> dict[str, str]:
    found = re.findall(r"^## --([a-z-]+)\n```\n(.*?)```", PAGE.read_text(), re.DOTALL | re.MULTILINE)
    return {OPTIONS[option]: block for option, block in found}


def as_json(block: str, alternative: int) -> Any:
    """The page's pseudo-JSON as JSON: one alternative of each `"A"|"B"`, placeholders quoted."""
    text = re.sub(r'"[A-Z_]+"(?:\|"[A-Z_]+")+',
                  lambda m: m.group(0).split("|")[alternative % len(m.group(0).split("|"))], block)
    text = re.sub(r"\b(integer|float)\b", r'"<\1>"', text).replace("...", "")
    return json.loads(text)


def fill(shape: Shape, value: Any, name: str = "") -> Any:
    if shape.type_name == "structure":
        members = shape.members  # type: ignore[attr-defined]
        return {k: fill(members[k], v, k) for k, v in value.items()}
    if shape.type_name == "list":
        return [fill(shape.member, v, name) for v in value]  # type: ignore[attr-defined]
    if shape.type_name == "map":
        return {"LOG_LEVEL": "debug"}  # the page's one placeholder entry, as a real one
    if value == "<integer>":
        low, high = shape.metadata.get("min", 1), shape.metadata.get("max", 10_000)
        return min(max(low, 1), high)
    if value == "<float>":
        return float(max(shape.metadata.get("min", 1), 1))
    return STRINGS[name] if value == "string" else value


def filled(alternative: int) -> dict[str, Any]:
    members = model.input_shape("UpdateInferenceComponent").members
    return {key: fill(members[key], as_json(block, alternative))
            for key, block in examples().items()}


def test_the_page_has_the_three_json_examples() -> None:
    assert set(examples()) == {"Specification", "RuntimeConfig", "DeploymentConfig"}
    request = filled(0)
    assert request["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"]["Type"] == "COPY_COUNT"
    assert filled(1)["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"]["Type"] == \
        "CAPACITY_PERCENT"
    assert request["Specification"]["Container"]["Environment"] == {"LOG_LEVEL": "debug"}
    assert request["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 128


@pytest.mark.parametrize("alternative", [0, 1])
def test_json_examples_are_accepted_together(sandbox: Sandboxes, alternative: int) -> None:
    live = sandbox()
    live.endpoint(models=("model-a", "model-b"))
    live.component("base")
    live.component("ic")
    request = filled(alternative)
    live.client.update_inference_component(InferenceComponentName="ic", **request)
    described = live.describe("ic")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["LastDeploymentConfig"] == request["DeploymentConfig"]
    assert described["RuntimeConfig"]["DesiredCopyCount"] == request["RuntimeConfig"]["CopyCount"]
    spec = dict(described["Specification"])
    container = dict(spec.pop("Container"))
    assert container.pop("DeployedImage")["SpecifiedImage"] == "repo/app:2.0"
    sent = dict(request["Specification"])
    assert container == {k: v for k, v in sent.pop("Container").items() if k != "Image"}
    assert spec == sent
    assert [r["status"] for r in live.requests() if r["operation"] == "UpdateInferenceComponent"] == [200]


@pytest.mark.parametrize("section", ["Specification", "RuntimeConfig", "DeploymentConfig"])
def test_each_json_example_is_accepted_alone(sandbox: Sandboxes, section: str) -> None:
    live = sandbox()
    live.endpoint(models=("model-a", "model-b"))
    live.component("base")
    live.component("ic")
    # AWS refuses an update carrying only a DeploymentConfig (test_sandbox_aws_evidence.py): it
    # rides along with the smallest change there is, the copy count the component already has.
    alone = {"RuntimeConfig": {"CopyCount": 1}} if section == "DeploymentConfig" else {}
    live.client.update_inference_component(InferenceComponentName="ic", **alone,
                                           **{section: filled(0)[section]})
    assert live.describe("ic")["InferenceComponentStatus"] == "InService"
