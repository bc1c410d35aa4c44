"""Property: whatever valid spec is applied, the next plan is empty; one field changed, one field planned."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import PROJECT, Live, icsync, write

names = st.text("ABCDEFGHIJ_", min_size=1, max_size=8).filter(lambda k: not k.startswith("_"))
values = st.text("abcdefghij0123456789-", min_size=1, max_size=12)

compute = st.fixed_dictionaries(
    {"MinMemoryRequiredInMb": st.integers(128, 65536)},
    optional={"NumberOfCpuCoresRequired": st.integers(1, 32).map(lambda n: n * 0.25),
              # At most 7: changed() adds one, and a copy must still fit the sandbox endpoint's
              # ml.g5.48xlarge (8 GPUs), or the plan's capacity check refuses it (found by Hypothesis).
              "NumberOfAcceleratorDevicesRequired": st.integers(1, 7)})
container = st.fixed_dictionaries(
    {"Image": st.sampled_from(["repo/a:1", "repo/b:2", "repo/c@sha256:" + "a" * 64])},
    optional={"Environment": st.dictionaries(names, values, max_size=4)})
specification = st.fixed_dictionaries(
    {"ModelName": st.sampled_from(["model-a", "model-b"]), "ComputeResourceRequirements": compute},
    optional={"Container": container,
              "StartupParameters": st.fixed_dictionaries(
                  {}, optional={"ModelDataDownloadTimeoutInSeconds": st.integers(60, 3600),
                                "ContainerStartupHealthCheckTimeoutInSeconds": st.integers(60, 3600)})})
manifests = st.fixed_dictionaries({
    "Specification": specification,
    "RuntimeConfig": st.fixed_dictionaries({"CopyCount": st.integers(1, 10)}),
}, optional={"Tags": st.lists(st.fixed_dictionaries({"Key": names, "Value": values}), max_size=3,
                              unique_by=lambda t: t["Key"])})

counter = itertools.count()


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, path + (k,))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in leaves(v, path + (i,))]
    return [(path, value)]


def changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, float):
        return value + 0.25
    if isinstance(value, int):
        return value + 1 if value < 3600 else value - 1
    if value.startswith("repo/"):
        return "repo/z:9"
    if value.startswith("model-"):
        return "model-b" if value == "model-a" else "model-a"
    return value + "x"


def expected_path(path: tuple[Any, ...], manifest: dict[str, Any]) -> str:
    if path[0] == "Tags":
        return "Tags." + manifest["Tags"][path[1]]["Key"]
    return ".".join(str(p) for p in path)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(manifest=manifests, data=st.data())
def test_apply_then_plan_is_empty_and_one_change_is_one_field(
        tmp_path_factory: Any, live_session: Live, manifest: dict[str, Any], data: st.DataObject) -> None:
    name = f"prop-{next(counter)}"
    root = tmp_path_factory.mktemp("prop")
    document = {"InferenceComponentName": name, "EndpointName": "ep", **manifest}
    write(root, {"icsync.yaml": PROJECT, "values/dev.yaml": "x: 1\n",
                 "components/c.yaml": json.dumps(document)})
    args = ["-C", root, "--env", "dev", "--endpoint-url", live_session.url]
    applied = icsync("apply", *args, "--auto-approve")
    assert applied.code == 0, applied.all
    assert icsync("plan", *args, "--detailed-exitcode").code == 0
    mutable = [(p, v) for p, v in leaves(manifest) if not (p[0] == "Tags" and p[-1] == "Key")]
    path, value = data.draw(st.sampled_from(mutable))
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = changed(value)
    (root / "components" / "c.yaml").write_text(json.dumps(document))
    plan = json.loads(icsync("plan", *args, "--output", "json").out)
    [change] = plan["changes"]
    assert [f["path"] for f in change["fields"]] == [expected_path(path, manifest)]
