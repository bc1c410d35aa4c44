"""Every case under tests/bad_inputs/ fails cleanly: exit 1, a located message, no call sent.

A case is a small project (icsync.yaml, values, components) plus `expected.yaml`: the command line
(`args`, default `plan --env dev`), environment variables to set (`env`), files to generate at run
time (`generate`: too large or too binary to commit), and the substrings stderr must contain
(`stderr`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gitsync.manifests.load import parse
from gitsync.manifests.validate import missing_bases, to_desired
from tests.helpers import Live, Result, icsync

CASES = Path(__file__).parent / "bad_inputs"
MAX_STDERR_LINES = 40


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "expected.yaml").is_file())


def expected_of(name: str) -> dict[str, Any]:
    return dict(YAML(typ="safe").load((CASES / name / "expected.yaml").read_text()) or {})


def generate(root: Path, files: dict[str, str]) -> None:
    """Files the repository should not hold: a 20 MB manifest, a binary one."""
    for relative, kind in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "binary":
            path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 16)
        elif kind.endswith("MB"):
            line = b"Key: a line of a far too large but otherwise harmless YAML file\n"
            path.write_bytes(line * (int(kind[:-2]) * 1024 * 1024 // len(line) + 1))
        else:
            raise ValueError(f"unknown generated file kind {kind}")


def project_for(name: str, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    root = tmp_path / "project"
    shutil.copytree(CASES / name, root, ignore=shutil.ignore_patterns("expected.yaml"))
    expected = expected_of(name)
    generate(root, expected.get("generate") or {})
    return root, expected


def run_case(root: Path, live: Live, args: list[str], *extra: str,
             env: dict[str, str] | None = None) -> Result:
    return icsync(*args, "-C", root, "--endpoint-url", live.url, *extra, env=env)


def assert_clean_failure(result: Result, live: Live, substrings: list[str]) -> None:
    assert result.code == 1, result.all
    assert "Traceback" not in result.all
    assert "unexpected error" not in result.err, result.err
    for substring in substrings:
        assert substring in result.err, f"{substring!r} not in:\n{result.err}"
    assert len(result.err.splitlines()) <= MAX_STDERR_LINES, result.err
    assert live.mutating() == []


def test_the_corpus_is_large_enough() -> None:
    names = case_names()
    assert len(names) >= 40
    assert all(expected_of(name).get("stderr") for name in names), "every case names what stderr says"


@pytest.mark.parametrize("name", case_names())
def test_bad_input_fails_cleanly(name: str, tmp_path: Path, seeded: Live) -> None:
    root, expected = project_for(name, tmp_path)
    result = run_case(root, seeded, expected.get("args") or ["plan", "--env", "dev"],
                      env=expected.get("env"))
    assert_clean_failure(result, seeded, expected["stderr"])


@pytest.mark.parametrize("name", case_names())
def test_validate_reports_the_same_offline(name: str, tmp_path: Path) -> None:
    root, expected = project_for(name, tmp_path)
    args = expected.get("args") or ["plan", "--env", "dev"]
    result = icsync("validate", *args[1:], "-C", root, env=expected.get("env"))
    assert "Traceback" not in result.all
    if expected.get("validate") == "ok":  # e.g. an unset env_var: a placeholder offline (issue 21)
        assert result.code == 0 and result.err == "", result.all
        return
    assert result.code == 1, result.all
    for substring in expected["stderr"]:
        assert substring in result.err, f"{substring!r} not in:\n{result.err}"


@pytest.mark.parametrize("name", ["unknown-key-runtime-config", "adapter-with-compute-requirements",
                                  "jinja-undefined-variable", "same-name-in-two-files",
                                  "batch-size-percent-over-50"])
def test_apply_sends_nothing_on_bad_input(name: str, tmp_path: Path, seeded: Live) -> None:
    root, expected = project_for(name, tmp_path)
    result = run_case(root, seeded, ["apply", "--env", "dev"], "--auto-approve", env=expected.get("env"))
    assert_clean_failure(result, seeded, expected["stderr"])


def test_the_project_the_cases_start_from_is_valid(tmp_path: Path, seeded: Live) -> None:
    """Each case is this project with one thing broken, so its failure is that thing's."""
    root = tmp_path / "project"
    shutil.copytree(CASES / "_valid", root)
    result = run_case(root, seeded, ["plan", "--env", "dev"], "--detailed-exitcode")
    assert result.code == 2, result.all
    assert "+ dev-web (ep): create" in result.out
    assert seeded.operations() != []  # the request log sees what is sent


def test_all_problems_of_a_run_are_reported_together_sorted(tmp_path: Path, seeded: Live) -> None:
    root = tmp_path / "project"
    shutil.copytree(CASES / "_valid", root)
    web = (root / "components/web.yaml").read_text()
    (root / "components/web.yaml").write_text(
        web.replace("CopyCount: {{ copies }}", "CopyCount: -1").replace("EndpointName: ep", "EndpointNmae: ep"))
    (root / "components/api.yaml").write_text(
        web.replace("{{ env }}-web", "api").replace("MinMemoryRequiredInMb: 1024", "MinMemoryRequiredInMb: 64")
        + "Tags: {team: x}\n")
    result = run_case(root, seeded, ["plan", "--env", "dev"])
    assert_clean_failure(result, seeded, ["5 problems found; nothing was sent to AWS."])
    located = [line.removeprefix("Error: ").split(": ")[0] for line in result.err.splitlines()[:-1]]
    assert located == ["components/api.yaml:10:5", "components/api.yaml:13:1",
                       "components/web.yaml:1:1", "components/web.yaml:2:1", "components/web.yaml:12:3"]


def test_missing_bases_names_the_adapter_line_unless_a_manifest_or_live_provides_it() -> None:
    adapter = ("InferenceComponentName: dev-adapter\nEndpointName: ep\nSpecification:\n"
               "  BaseInferenceComponentName: dev-llm\n  Container:\n    ArtifactUrl: s3://b/a.tar.gz\n")
    documents, problems = parse("components/adapter.yaml", adapter)
    desired, found = to_desired(documents)
    assert problems == found == []
    [problem] = missing_bases(desired, live_names=set())
    assert problem.render() == ("components/adapter.yaml:4:3: base component `dev-llm` is in no manifest "
                                "and does not exist live; create it first or fix the name "
                                "at `Specification.BaseInferenceComponentName`")
    assert missing_bases(desired, live_names={"dev-llm"}) == []


def test_every_key_and_item_keeps_its_line_and_column() -> None:
    """Validation points at these positions; block and flow style, in every document of a stream."""
    text = "# c\n---\na: 1\nb:\n  - x\n  - {c: [2, 3], d: null}\n---\ne: |\n  text\n"
    documents, problems = parse("m.yaml", text)
    assert problems == []
    assert [(d.index, d.data) for d in documents] == [
        (0, {"a": 1, "b": ["x", {"c": [2, 3], "d": None}]}), (1, {"e": "text\n"})]
    assert documents[0].where == {(): (3, 1), ("a",): (3, 1), ("b",): (4, 1), ("b", 0): (5, 5),
                                  ("b", 1): (6, 5), ("b", 1, "c"): (6, 6), ("b", 1, "c", 0): (6, 10),
                                  ("b", 1, "c", 1): (6, 13), ("b", 1, "d"): (6, 17)}
    assert documents[1].where == {(): (8, 1), ("e",): (8, 1)}
    assert documents[0].problem(("b", 1, "c", 1), "bad").render() == "m.yaml:6:13: bad at `b[1].c[1]`"
