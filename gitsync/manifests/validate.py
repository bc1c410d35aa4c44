"""Parsed documents -> desired components, checked against the service model and the API's rules.

Every problem of a run is collected, each with file, line and key path; the caller fails once.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

from gitsync import model
from gitsync.errors import Problem
from gitsync.manifests.load import Parsed
from gitsync.manifests.options import OPTIONS_KEY, Options, parse_autoscaling, parse_smoke
from gitsync.manifests.options import problems as option_problems
from gitsync.normalize import specs as specs_of
from gitsync.secrets import DEFAULT_SECRET_PATTERN, SENSITIVE, is_sensitive

DEPLOYMENT_KEY = "DeploymentConfig"
SPEC_KEYS = ("Specification", "Specifications")
_QUOTED_VALUE = re.compile(r"`[^`]*`")  # how validation messages quote the value they refuse
OWNER_PREFIX = "icsync:"  # planner.owner_tags: the project, environment, prune and wave tags


@dataclass(frozen=True)
class Desired:
    """One component as the manifests want it: `body` is the CreateInferenceComponent request."""

    name: str
    endpoint: str
    body: dict[str, Any]
    deployment: dict[str, Any] | None
    options: Options
    source: Parsed = field(compare=False, repr=False)

    @property
    def base(self) -> str | None:
        for spec in specs_of(self.body):
            if spec.get("BaseInferenceComponentName"):
                return str(spec["BaseInferenceComponentName"])
        return None


def top_level_keys() -> list[str]:
    return list(model.input_shape("CreateInferenceComponent").members) + [DEPLOYMENT_KEY, OPTIONS_KEY]


def to_desired(documents: list[Parsed], secret_pattern: str = DEFAULT_SECRET_PATTERN
               ) -> tuple[list[Desired], list[Problem]]:
    desired: list[Desired] = []
    problems: list[Problem] = []
    seen: dict[str, Parsed] = {}
    secret = re.compile(secret_pattern)
    for doc in documents:
        found = [_unechoed(problem, secret) for problem in _check_document(doc)]
        problems += found
        if found or not isinstance(doc.data, dict):
            continue
        component = _desired(doc)
        if component.name in seen:
            first = seen[component.name]
            line = first.locate(("InferenceComponentName",))[0]
            problems.append(doc.problem(("InferenceComponentName",),
                                        f"component `{component.name}` is defined twice "
                                        f"(first in {first.file}:{line}); each name may appear "
                                        "once: rename or remove one"))
            continue
        seen[component.name] = doc
        desired.append(component)
    return desired, problems


def _unechoed(problem: Problem, secret: re.Pattern[str]) -> Problem:
    """A problem with a secret-looking variable's value says what is wrong without quoting it:
    the value may be a real secret in the wrong type (a token YAML read as a number)."""
    if not is_sensitive(problem.path, secret):
        return problem
    return dataclasses.replace(problem, message=_QUOTED_VALUE.sub(f"`{SENSITIVE}`", problem.message))


def _desired(doc: Parsed) -> Desired:
    data = doc.data
    body = {k: v for k, v in data.items() if k not in (OPTIONS_KEY, DEPLOYMENT_KEY)}
    raw = data.get(OPTIONS_KEY) or {}
    options = Options(ignore=tuple(raw.get("ignore", ())), wave=raw.get("wave", 0),
                      prune=raw.get("prune", True), autoscaling=parse_autoscaling(raw.get("autoscaling")),
                      smoke=parse_smoke(raw.get("smoke")))
    return Desired(data["InferenceComponentName"], data["EndpointName"], body,
                   data.get(DEPLOYMENT_KEY), options, doc)


def _check_document(doc: Parsed) -> list[Problem]:
    data = doc.data
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        return [doc.problem((), f"a manifest must be a mapping with InferenceComponentName, "
                                f"EndpointName, Specification, RuntimeConfig; this document is {kind}")]
    keys = top_level_keys()
    problems = [doc.problem((k,), f"unknown key `{k}`" + model.suggest(str(k), keys))
                for k in data if k not in keys]
    body = {k: v for k, v in data.items() if k in keys and k not in (OPTIONS_KEY, DEPLOYMENT_KEY)}
    shape_problems = model.validate(model.input_shape("CreateInferenceComponent"), body)
    if DEPLOYMENT_KEY in data:
        update = model.input_shape("UpdateInferenceComponent")
        shape_problems += model.validate(update.members[DEPLOYMENT_KEY], data[DEPLOYMENT_KEY],
                                         (DEPLOYMENT_KEY,))
    problems += [doc.problem(p.path, p.message) for p in shape_problems]
    problems += [doc.problem(path, f"`{value}` is not a number AWS accepts (JSON has no NaN or "
                                   "infinity); write a finite number")
                 for path, value in non_finite(data) if path not in {p.path for p in shape_problems}]
    problems += _check_options(doc)
    if not shape_problems:
        problems += [doc.problem(path, message) for path, message in rules(data)]
    return problems


def _check_options(doc: Parsed) -> list[Problem]:
    raw = doc.data.get(OPTIONS_KEY)
    if raw is None:
        return []
    return [doc.problem((OPTIONS_KEY, *path), message) for path, message in option_problems(raw)]


def rules(data: dict[str, Any]) -> list[tuple[model.Path, str]]:
    """The API documentation's rules that the shapes cannot express."""
    found: list[tuple[model.Path, str]] = []
    present = [k for k in SPEC_KEYS if k in data]
    if len(present) == 2:
        found.append((("Specifications",), ("set exactly one of Specification or Specifications, not "
                      "both: Specification for one instance type, Specifications for one per type")))
    elif not present:
        found.append(((), ("set exactly one of Specification or Specifications: the model, container "
                       "and compute the component runs")))
    for index, spec in enumerate(specs_of(data)):
        at: model.Path = ("Specification",) if "Specification" in data else ("Specifications", index)
        found += _spec_rules(spec, at, has_runtime="RuntimeConfig" in data)
    found += _batch_rules(data)
    found += tag_rules(data.get("Tags"))
    return found


def non_finite(document: Any, at: model.Path = ()) -> list[tuple[model.Path, float]]:
    """Every NaN or infinite number (`.nan`, `.inf`, `1e400`) at any depth: botocore would send
    `NaN` or `Infinity`, which is not JSON, and AWS refuses the request."""
    if isinstance(document, float) and not math.isfinite(document):
        return [(at, document)]
    if isinstance(document, dict):
        return [found for key, value in document.items() for found in non_finite(value, at + (key,))]
    if isinstance(document, list):
        return [found for index, item in enumerate(document) for found in non_finite(item, at + (index,))]
    return []


def tag_rules(tags: Any) -> list[tuple[model.Path, str]]:
    """What AWS's tagging rules refuse that the tag shape cannot say: a key twice, a key with the
    `aws:` prefix (reserved for AWS in any case: AWS General Reference, "Tagging AWS resources",
    and awsdocs/amazon-ecs-developer-guide#72 on `AWS:`), and icsync's own ownership keys."""
    found: list[tuple[model.Path, str]] = []
    first: dict[str, int] = {}
    for index, tag in enumerate(tags if isinstance(tags, list) else []):
        key = tag.get("Key") if isinstance(tag, dict) else None
        if not isinstance(key, str):
            continue
        at = ("Tags", index, "Key")
        if key.lower().startswith("aws:"):
            found.append((at, f"tag key `{key}`: the `aws:` prefix is reserved for AWS's own tags"))
        elif key.startswith(OWNER_PREFIX):
            found.append((at, (f"tag key `{key}`: `{OWNER_PREFIX}` tags are set by icsync to mark "
                              "ownership; use another key")))
        elif key in first:
            found.append((at, (f"tag key `{key}` is set twice (first at Tags[{first[key]}]); "
                              "AWS keeps one value a key: remove one")))
        first.setdefault(key, index)
    return found


def _spec_rules(spec: dict[str, Any], at: model.Path, has_runtime: bool) -> list[tuple[model.Path, str]]:
    found: list[tuple[model.Path, str]] = []
    compute = spec.get("ComputeResourceRequirements") or {}
    low, high = compute.get("MinMemoryRequiredInMb"), compute.get("MaxMemoryRequiredInMb")
    if low is not None and high is not None and high < low:
        found.append((at + ("ComputeResourceRequirements", "MaxMemoryRequiredInMb"),
                      f"MaxMemoryRequiredInMb ({high}) is below MinMemoryRequiredInMb ({low})"))
    if spec.get("BaseInferenceComponentName"):
        allowed = {"BaseInferenceComponentName", "Container", "InstanceType"}
        for key in spec:
            if key not in allowed:
                found.append((at + (key,), (f"an adapter component (it names BaseInferenceComponentName) "
                              f"uses its base's resources and cannot set `{key}`: remove it")))
        container = spec.get("Container") or {}
        for key in container:
            if key != "ArtifactUrl":
                found.append((at + ("Container", key), (f"an adapter's Container carries only ArtifactUrl "
                              f"(the adapter weights); remove `{key}`, the base provides it")))
        if "ArtifactUrl" not in container:
            found.append((at + ("Container",), ("an adapter needs Container.ArtifactUrl: the S3 URL "
                          "of its adapter weights")))
    else:
        if not has_runtime:
            found.append(((), "RuntimeConfig with CopyCount is required (only adapters omit it)"))
        if "ComputeResourceRequirements" not in spec:
            found.append((at, "ComputeResourceRequirements is required (only adapters omit it)"))
    return found


def _batch_rules(data: dict[str, Any]) -> list[tuple[model.Path, str]]:
    """The API documentation: MaximumBatchSize must be between 5% and 50% of the copy count."""
    size = ((data.get(DEPLOYMENT_KEY) or {}).get("RollingUpdatePolicy") or {}).get("MaximumBatchSize")
    copies = (data.get("RuntimeConfig") or {}).get("CopyCount")
    if not size or not copies:
        return []
    path = (DEPLOYMENT_KEY, "RollingUpdatePolicy", "MaximumBatchSize", "Value")
    value, kind = size["Value"], size["Type"]
    if kind == "CAPACITY_PERCENT" and not 5 <= value <= 50:
        return [(path, (f"MaximumBatchSize must be between 5% and 50% of the copy count; got {value}%: "
                       "set a Value from 5 to 50"))]
    # 5% to 50% of the copies, in whole copies; a batch is never below one copy.
    low, high = max(1, math.ceil(copies * 0.05)), max(1, copies // 2)
    if kind == "COPY_COUNT" and not low <= value <= high:
        return [(path, (f"MaximumBatchSize must be between 5% and 50% of the copy count ({copies}); "
                       f"got {value} copies: set a Value from {low} to {high}"))]
    return []


ADAPTER_VARIANT = ("an adapter runs on its base's variant; AWS's samples leave VariantName out "
                   "(some accounts refuse it)")


def warnings_of(desired: list[Desired]) -> list[Problem]:
    """What the API model accepts but AWS may refuse: told to the user, never failed on.

    VariantName on an adapter: AWS's own samples create adapters without it (an adapter runs on its
    base's variant; aws/model-hosting-container-standards, docs/sagemaker/05_lora_adapter_management.md),
    and whether every account accepts it is unverified (the sandbox's `adapter_variant_refused`
    switch plays an account that refuses it)."""
    return [d.source.problem(("VariantName",), ADAPTER_VARIANT) for d in desired
            if d.base and "VariantName" in d.body]


def missing_bases(desired: list[Desired], live_names: set[str]) -> list[Problem]:
    """Adapters whose base is in no manifest and not live: AWS would refuse the create at apply time.

    Pure, so the plan step can call it with the names it fetched (live state is not known here).
    """
    provided = {d.name for d in desired} | set(live_names)
    return [d.source.problem(base_path(d), f"base component `{d.base}` is in no manifest and does "
                                            "not exist live; create it first or fix the name")
            for d in desired if d.base and d.base not in provided]


def base_path(component: Desired) -> model.Path:
    if "Specification" in component.body:
        return ("Specification", "BaseInferenceComponentName")
    for index, spec in enumerate(specs_of(component.body)):
        if spec.get("BaseInferenceComponentName"):
            return ("Specifications", index, "BaseInferenceComponentName")
    return ()
