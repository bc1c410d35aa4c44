"""The three-way diff through the CLI: a field AWS fills in is no change once icsync applied the
manifest (its icsync:applied record); a field the user removes still is.

AWS's behaviour comes from the sandbox's named switches where the sandbox has them (set_switches),
else it is seeded into the sandbox's stored component directly: the same describe either way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import Live, check_plan_document, icsync, write

PROJECT = """
name: shop
manifests: ["components/*.yaml"]
environments:
  dev: {values: values/dev.yaml, region: us-east-1}
"""

BASE = """
InferenceComponentName: base
EndpointName: ep
VariantName: AllTraffic
Specification:
  ModelName: model-a
  ComputeResourceRequirements: {NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024}
{{ cache }}
RuntimeConfig: {CopyCount: 1}
"""

ADAPTER = """
InferenceComponentName: adapter
EndpointName: ep
Specification:
  BaseInferenceComponentName: base
  Container: {ArtifactUrl: "s3://bucket/adapter.tar.gz"}
"""


def _project(root: Path, cache: bool = False) -> Path:
    value = '"  DataCacheConfig: {EnableCaching: true}"' if cache else '""'
    return write(root, {"icsync.yaml": PROJECT, "components/base.yaml": BASE,
                        "components/adapter.yaml": ADAPTER, "values/dev.yaml": f"cache: {value}\n"})


def _run(command: str, root: Path, live: Live, *extra: str) -> Any:
    more = ("--auto-approve",) if command == "apply" else ()
    return icsync(command, "-C", root, "--env", "dev", "--endpoint-url", live.url, *more, *extra)


def switch_on(live: Live, name: str) -> None:
    """Turn on one of the sandbox's unverified AWS behaviours; seed it where the switch is missing."""
    if hasattr(live.sandbox, "set_switches"):
        live.sandbox.set_switches(**{name: True})
        return
    account = live.sandbox.account  # type: ignore[attr-defined]
    with account.lock:
        base = account.components["base"]["Specification"]
        for component in account.components.values():
            spec = component["Specification"]
            if name == "data_cache_config_when_unset":
                spec.setdefault("DataCacheConfig", {"EnableCaching": False})
            elif name == "adapter_echoes_base_compute" and "BaseInferenceComponentName" in spec:
                spec.setdefault("ComputeResourceRequirements", dict(base["ComputeResourceRequirements"]))


def test_fields_aws_fills_in_are_no_change_and_verbose_shows_them(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = _project(tmp_path / "p")
    assert _run("apply", root, live).code == 0
    switch_on(live, "data_cache_config_when_unset")
    switch_on(live, "adapter_echoes_base_compute")
    live.clear_log()
    plan = _run("plan", root, live, "--detailed-exitcode")
    assert plan.code == 0 and "No changes." in plan.out, plan.all
    verbose = _run("plan", root, live, "-v")
    assert "= Specification.DataCacheConfig.EnableCaching: false  # set by AWS" in verbose.out, verbose.all
    assert "= Specification.ComputeResourceRequirements.MinMemoryRequiredInMb: 1024  # set by AWS" in verbose.out
    document = json.loads(_run("plan", root, live, "--output", "json").out)
    check_plan_document(document)
    fields = [f for c in document["changes"] for f in c["fields"]]
    assert fields and all(f["set_by_aws"] for f in fields)
    assert live.mutating() == []
    drift = icsync("drift", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert drift.code == 0 and "No drift" in drift.out, drift.all


def test_a_field_removed_from_the_manifest_is_still_a_change(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    root = _project(tmp_path / "p", cache=True)
    assert _run("apply", root, live).code == 0
    switch_on(live, "data_cache_config_when_unset")
    _project(root, cache=False)
    plan = _run("plan", root, live, "--detailed-exitcode")
    assert plan.code == 2, plan.all
    assert "- Specification.DataCacheConfig.EnableCaching: true" in plan.out
    assert "calls: UpdateInferenceComponent, AddTags" in plan.out  # the record follows the manifest


def test_a_component_without_a_record_keeps_the_two_way_diff(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    live.client.create_inference_component(
        InferenceComponentName="base", EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-a", "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024},
            "DataCacheConfig": {"EnableCaching": False}},
        RuntimeConfig={"CopyCount": 1},
        Tags=[{"Key": "icsync:project", "Value": "shop"}, {"Key": "icsync:environment", "Value": "dev"}])
    root = write(tmp_path / "p", {"icsync.yaml": PROJECT, "components/base.yaml": BASE,
                                  "values/dev.yaml": 'cache: ""\n'})
    plan = _run("plan", root, live, "--detailed-exitcode")
    assert plan.code == 2 and "- Specification.DataCacheConfig.EnableCaching: false" in plan.out, plan.all
