"""Hypothesis throws arbitrary YAML text, JSON-like data and describe-like documents at the loader,
the validator and the describe normalizer: the only exceptions allowed out are icsync's own.

Strategies are guided by the installed botocore model (real key names, with wrong types and unknown
keys mixed in), so the fuzzing reaches the deep validation and normalization code, not only the
first "expected a mapping".
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.model import Shape
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gitsync import model
from gitsync.errors import IcsyncError
from gitsync.manifests.load import Parsed, parse
from gitsync.manifests.project import load_project
from gitsync.manifests.render import make_environment, render
from gitsync.manifests.validate import missing_bases, to_desired
from gitsync.normalize import comparable_desired, comparable_live

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YAML_CHARS = list(":-[]{}!&*#|>'\"\n\t ,?%@`\\~.=0123456789aeEnNxyYtT_") + ["\x00", "\u2028", "\ufeff"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=20))
json_like = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=10)


def shaped(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped like `shape`, often right, sometimes wrong, with unknown keys mixed in."""
    junk = json_like if depth == 0 else st.one_of(scalars, st.lists(scalars, max_size=2))
    if shape.type_name == "structure":
        members = shape.members  # type: ignore[attr-defined]
        known = st.fixed_dictionaries({}, optional={k: shaped(v, depth + 1) for k, v in members.items()})
        extra = st.dictionaries(st.text(max_size=10), junk, max_size=2)
        return st.one_of(known, st.builds(lambda a, b: {**b, **a}, known, extra), junk)
    if shape.type_name == "list":
        return st.one_of(st.lists(shaped(shape.member, depth + 1), max_size=2), junk)  # type: ignore[attr-defined]
    if shape.type_name == "map":
        return st.one_of(st.dictionaries(st.text(max_size=10), shaped(shape.value, depth + 1),  # type: ignore[attr-defined]
                                         max_size=3), junk)
    enum = getattr(shape, "enum", None)
    proper = {"string": st.sampled_from(enum) if enum else st.text(max_size=70),
              "integer": st.integers(-10, 5000), "long": st.integers(-10, 5000),
              "float": st.floats(-1, 100), "double": st.floats(-1, 100), "boolean": st.booleans(),
              "timestamp": st.datetimes()}.get(shape.type_name, scalars)
    return st.one_of(proper, proper, scalars)


def manifest_like() -> st.SearchStrategy[Any]:
    create = shaped(model.input_shape("CreateInferenceComponent"))
    deployment = shaped(model.input_shape("UpdateInferenceComponent").members["DeploymentConfig"])
    options = st.fixed_dictionaries({}, optional={"ignore": json_like, "wave": scalars, "prune": scalars})
    return st.builds(lambda body, dep, opts: body if not isinstance(body, dict) else
                     {**body, **({"DeploymentConfig": dep} if dep is not None else {}),
                      **({"icsync": opts} if opts else {})},
                     create, st.one_of(st.none(), deployment), options)


def only_icsync_errors(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except IcsyncError:
        return None


def load_and_validate(text: str) -> None:
    documents, problems = only_icsync_errors(lambda: parse("fuzz.yaml", text)) or ([], [])
    for problem in problems:
        problem.render()
    desired, found = only_icsync_errors(lambda: to_desired(documents)) or ([], [])
    for problem in found:
        problem.render()
    only_icsync_errors(lambda: missing_bases(desired, set()))
    for component in desired:
        only_icsync_errors(lambda c=component: comparable_desired(c.body))


@FUZZ
@given(st.text(alphabet=st.sampled_from(YAML_CHARS), max_size=200))
def test_yaml_like_text_never_crashes_the_loader(text: str) -> None:
    load_and_validate(text)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_loader(text: str) -> None:
    load_and_validate(text)


@FUZZ
@given(st.lists(manifest_like(), min_size=1, max_size=3))
def test_manifest_like_documents_never_crash_the_validator(documents: list[Any]) -> None:
    parsed = [Parsed("fuzz.yaml", index, data) for index, data in enumerate(documents)]
    desired, problems = only_icsync_errors(lambda: to_desired(parsed)) or ([], [])
    for problem in problems:
        problem.render()
    for component in desired:
        only_icsync_errors(lambda c=component: comparable_desired(c.body))


@FUZZ
@given(manifest_like())
def test_manifest_like_json_text_never_crashes_the_loader(document: Any) -> None:
    load_and_validate(json.dumps(document, default=str))  # JSON is YAML


@FUZZ
@given(shaped(model.output_shape("DescribeInferenceComponent")),  # type: ignore[arg-type]
       st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=4),
       st.one_of(st.none(), st.dictionaries(st.sampled_from(["VariantName", "Tags"]), json_like)))
@example(describe={"Specifications": [{"Container": {"DeployedImage": True}}]}, tags={}, desired=None)
@example(describe={"Specifications": 5, "RuntimeConfig": []}, tags={}, desired=None)
def test_describe_like_documents_never_crash_the_normalizer(describe: Any, tags: dict[str, str],
                                                            desired: dict[str, Any] | None) -> None:
    if isinstance(describe, dict):
        only_icsync_errors(lambda: comparable_live(describe, tags, desired))


GLOB_CHARS = list("*?[]{}./\\~-_ab") + ["\x00"]
project_like = st.fixed_dictionaries({}, optional={
    "name": scalars, "ignore": json_like, "lock": json_like, "secret_pattern": st.one_of(scalars, st.text(
        alphabet=st.sampled_from(list("()[]{}*+?|\\^$.ab")), max_size=10)),
    "manifests": st.one_of(json_like, st.lists(st.text(alphabet=st.sampled_from(GLOB_CHARS), max_size=8),
                                               max_size=3)),
    "environments": st.one_of(json_like, st.dictionaries(st.text(max_size=5), st.one_of(json_like, st.fixed_dictionaries(
        {}, optional={"values": st.one_of(scalars, st.text(alphabet=st.sampled_from(GLOB_CHARS), max_size=8)),
                      "region": scalars, "profile": scalars, "endpoint_url": scalars})), max_size=2)),
})


@FUZZ
@given(st.one_of(project_like, json_like), st.one_of(st.none(), st.text(max_size=5)))
@example({"manifests": ["."], "environments": {"dev": {}}}, None)  # once an IndexError in Path.glob
def test_project_files_never_crash_loading(data: Any, environment: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "icsync.yaml").write_text(json.dumps(data))
        project = only_icsync_errors(lambda: load_project(root))
        if project is not None:
            only_icsync_errors(project.manifest_files)
            only_icsync_errors(lambda: project.environment(environment))


JINJA_PIECES = ["{{", "}}", "{%", "%}", "{#", "#}", " ", "x", "y", "'a'", "1", "0", "(", ")", "[", "]", "|",
                ".", ",", "~", "*", "**", "/", "//", "%", "-", "<", "==", "if", "else", "endif", "for",
                " in ", "endfor", "set", "=", "range", "env_var", "dict", "self", "loop", "include",
                "'x.yaml'", "macro", "endmacro", "call", "filter", "upper", "first", "join", "format",
                "attr", "map", "sum", "default", "length", "\n", ":"]


@FUZZ
@given(st.lists(st.sampled_from(JINJA_PIECES), max_size=30).map("".join),
       st.dictionaries(st.sampled_from(["x", "y"]), json_like, max_size=2))
def test_arbitrary_templates_never_crash_rendering(source: str, values: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "x.yaml").write_text(source)
        text, problem = render(make_environment(root), root, root / "x.yaml", values)
        assert (text is None) != (problem is None)
        if text is not None:
            load_and_validate(text)
