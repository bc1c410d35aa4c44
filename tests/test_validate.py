"""`icsync validate` and plan warn, without failing, where a manifest asks what AWS may refuse:
VariantName on an adapter (AWS's samples create adapters without it; some accounts may refuse it,
as the sandbox's `adapter_variant_refused` switch plays)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitsync.sandbox import Sandbox
from tests.helpers import icsync

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"
ADAPTER = "components/llm-adapter.yaml"
WARNING = ("an adapter runs on its base's variant; AWS's samples leave VariantName out "
           "(some accounts refuse it) at `VariantName`")


def with_adapter_variant(root: Path, line: str = "VariantName: AllTraffic\n") -> Path:
    """The quickstart, its adapter given a VariantName on line 6 (after EndpointName)."""
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns(".icsync"))
    adapter = root / ADAPTER
    text = adapter.read_text()
    assert text.splitlines()[4].startswith("EndpointName:")
    adapter.write_text(text.replace("EndpointName: {{ endpoint }}\n", "EndpointName: {{ endpoint }}\n" + line, 1))
    return root


def test_validate_warns_about_an_adapters_variant_and_still_passes(tmp_path: Path) -> None:
    root = with_adapter_variant(tmp_path / "quickstart")
    result = icsync("validate", "-C", root)
    assert result.code == 0, result.all
    assert result.out == "dev: ok (3 components)\nprod: ok (3 components)\n"
    assert result.err == f"{ADAPTER}:6:1: warning: {WARNING}\n"  # once, though both environments have it


def test_a_warning_of_some_environments_names_them_and_problems_still_fail(tmp_path: Path) -> None:
    root = with_adapter_variant(tmp_path / "quickstart",
                                "{% if env == 'prod' %}VariantName: AllTraffic{% endif %}\n")
    dev = root / "values" / "dev.yaml"
    dev.write_text(dev.read_text().replace("llm_copies: 1", "llm_copies: one"))
    result = icsync("validate", "-C", root)
    assert result.code == 1, result.all
    assert result.out == "prod: ok (3 components)\n"
    assert f"{ADAPTER}:6:1: warning: {WARNING} (only in prod)\n" in result.err, result.err
    assert "expected an integer, got str `one` at `RuntimeConfig.CopyCount` (only in dev)" in result.err


def test_the_quickstart_validates_without_warnings(tmp_path: Path) -> None:
    shutil.copytree(QUICKSTART, tmp_path / "quickstart", ignore=shutil.ignore_patterns(".icsync"))
    result = icsync("validate", "-C", tmp_path / "quickstart")
    assert result.code == 0 and result.err == "", result.all


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(port=0, seed=QUICKSTART / "sandbox-seed.yaml", region="us-east-1") as running:
        yield running


def test_plan_shows_the_warning_in_text_json_and_markdown(tmp_path: Path, sandbox: Sandbox) -> None:
    root = with_adapter_variant(tmp_path / "quickstart")
    args = ["-C", root, "--env", "dev", "--endpoint-url", sandbox.url]
    text = icsync("plan", *args)
    assert text.code == 0, text.all
    assert f"\nWarning: {ADAPTER}:6:1: {WARNING}\n" in text.out, text.out
    document = icsync("plan", *args, "--output", "json")  # checked against the plan's schema too
    assert document.code == 0, document.all
    assert json.loads(document.out)["warnings"][0] == f"{ADAPTER}:6:1: {WARNING}"
    markdown = icsync("plan", *args, "--output", "markdown")
    assert f"> [!WARNING]\n> {ADAPTER}:6:1: {WARNING}\n" in markdown.out, markdown.out


def test_plan_of_the_quickstart_has_no_variant_warning(tmp_path: Path, sandbox: Sandbox) -> None:
    shutil.copytree(QUICKSTART, tmp_path / "quickstart", ignore=shutil.ignore_patterns(".icsync"))
    document = icsync("plan", "-C", tmp_path / "quickstart", "--env", "dev", "--endpoint-url", sandbox.url,
                      "--output", "json")
    assert document.code == 0, document.all
    assert not [w for w in json.loads(document.out).get("warnings", []) if "VariantName" in w]
