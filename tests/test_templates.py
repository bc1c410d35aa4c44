"""Templates cannot escape: no Python objects, no files outside the project, no unbounded work.

Each escape goes through the CLI against the sandbox and must end in exit 1, a message naming the
template's file and line, no traceback, nothing leaked, and no call that changes anything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitsync.manifests.render import make_environment, render
from tests.helpers import Live, Result, icsync

VALID = Path(__file__).parent / "bad_inputs" / "_valid"
LEAKS = ("<module", "<built-in", "<function", "<class", "__builtins__", "root:x:0:0", "os.system",
         "Traceback", "unexpected error")


def project(tmp_path: Path, variant_line: str, extra: dict[str, str] | None = None) -> Path:
    """The valid project with line 3 of components/web.yaml replaced."""
    root = tmp_path / "project"
    shutil.copytree(VALID, root)
    web = root / "components" / "web.yaml"
    web.write_text(web.read_text().replace("VariantName: AllTraffic", variant_line))
    for relative, text in (extra or {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def plan(root: Path, live: Live, *extra: str, env: dict[str, str | None] | None = None) -> Result:
    return icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, *extra, env=env)


def assert_refused(result: Result, live: Live, *substrings: str) -> None:
    assert result.code == 1, result.all
    for substring in substrings:
        assert substring in result.err, f"{substring!r} not in:\n{result.err}"
    for leak in LEAKS:
        assert leak not in result.all, f"{leak!r} leaked:\n{result.all}"
    assert len(result.err.splitlines()) <= 40
    assert live.mutating() == []


def planned_fields(result: Result) -> dict[str, object]:
    [change] = json.loads(result.out)["changes"]
    return {f["path"]: f["after"] for f in change["fields"]}


ESCAPES = {
    "str-class-mro": ("VariantName: {{ ''.__class__.__mro__ }}", "cannot reach Python internals"),
    "cycler-globals": ("VariantName: {{ cycler.__init__.__globals__ }}", "'cycler' is undefined"),
    "lipsum-globals": ("VariantName: {{ lipsum.__globals__['os'] }}", "'lipsum' is undefined"),
    "self": ("VariantName: {{ self }}", "not a Python object (TemplateReference)"),
    "self-context": ("VariantName: {{ self._TemplateReference__context }}", "cannot reach Python internals"),
    "range-self": ("VariantName: {{ range.__self__ }}", "has no attribute '__self__'"),
    "helper-globals": ("VariantName: {{ env_var.__globals__ }}", "cannot reach Python internals"),
    "print-a-function": ("VariantName: {{ env_var }}", "not a Python object (function)"),
    "format-string": ("VariantName: {{ '{0.__class__}'.format(1) }}", "cannot reach Python internals"),
    "attr-filter": ("VariantName: {{ 'x'|attr('__class__') }}", "cannot reach Python internals"),
    "dict-init": ("VariantName: {{ dict.__init__ }}", "cannot reach Python internals"),
    "include-absolute": ("{% include '/etc/passwd' %}", "`/etc/passwd` is outside the project"),
    "include-parent": ("{% include '../outside.yaml' %}", "`../outside.yaml` is outside the project"),
    "include-nested-parent": ("{% include 'components/../../outside.yaml' %}", "is outside the project"),
    "import-absolute": ("{% import '/etc/passwd' as secrets %}", "`/etc/passwd` is outside the project"),
    "extends-parent": ("{% extends '../base.yaml' %}", "`../base.yaml` is outside the project"),
    "huge-string": ("VariantName: {{ 'a' * 10**9 }}", "would exceed the manifest size limit"),
    "huge-list": ("VariantName: {{ [1] * 10**9 }}", "would exceed the manifest size limit"),
    "huge-power": ("VariantName: {{ 2 ** 100000 }}", "exponent 100000 is too large"),
    "huge-range": ("VariantName: {{ range(10**9) | list | length }}", "Range too big"),
}


@pytest.mark.parametrize("name", list(ESCAPES))
def test_escape_is_refused_with_file_and_line(name: str, tmp_path: Path, seeded: Live) -> None:
    line, expected = ESCAPES[name]
    (tmp_path / "outside.yaml").write_text("VariantName: stolen\n")
    (tmp_path / "base.yaml").write_text("VariantName: stolen\n")
    result = plan(project(tmp_path, line), seeded)
    assert_refused(result, seeded, "components/web.yaml:3:", expected)
    assert "stolen" not in result.all


def test_output_is_bounded_while_rendering(tmp_path: Path, seeded: Live) -> None:
    """Ten billion lines would take hours; rendering stops at the manifest size limit."""
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}# {{ i }}\n{% endfor %}{% endfor %}"
    result = plan(project(tmp_path, loop), seeded)
    assert_refused(result, seeded, "components/web.yaml: ", "the template renders more than 2 MiB")


def test_include_through_a_symlink_pointing_out_is_refused(tmp_path: Path, seeded: Live) -> None:
    (tmp_path / "outside.yaml").write_text("VariantName: stolen\n")
    root = project(tmp_path, "{% include 'partials/variant.yaml' %}")
    (root / "partials").mkdir()
    (root / "partials" / "variant.yaml").symlink_to(tmp_path / "outside.yaml")
    result = plan(root, seeded)
    assert_refused(result, seeded, "components/web.yaml:3:", "symlink that points outside the project")
    assert "stolen" not in result.all


def test_manifest_that_is_a_symlink_pointing_out_is_refused(tmp_path: Path, seeded: Live) -> None:
    (tmp_path / "outside.yaml").write_text("InferenceComponentName: stolen\n")
    root = project(tmp_path, "VariantName: AllTraffic")
    (root / "components" / "evil.yaml").symlink_to(tmp_path / "outside.yaml")
    result = plan(root, seeded)
    assert_refused(result, seeded, "components/evil.yaml", "symlink that points outside the project")
    assert "stolen" not in result.all


def test_manifest_that_is_a_symlink_inside_the_project_is_read(tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path, "VariantName: {{ 'All' ~ 'Traffic' }}")
    (root / "shared").mkdir()
    (root / "components" / "web.yaml").rename(root / "shared" / "web.yaml")
    (root / "components" / "web.yaml").symlink_to(root / "shared" / "web.yaml")
    result = plan(root, seeded, "--output", "json")
    assert result.code == 0, result.all
    assert planned_fields(result)["VariantName"] == "AllTraffic"


def test_values_file_that_is_a_symlink_pointing_out_is_refused(tmp_path: Path, seeded: Live) -> None:
    (tmp_path / "outside.yaml").write_text("tag: stolen\ncopies: 1\n")
    root = project(tmp_path, "VariantName: AllTraffic")
    (root / "values" / "dev.yaml").unlink()
    (root / "values" / "dev.yaml").symlink_to(tmp_path / "outside.yaml")
    result = plan(root, seeded)
    assert_refused(result, seeded, "values/dev.yaml", "symlink that points outside the project")


def test_include_inside_the_project_reports_the_included_line(tmp_path: Path, seeded: Live) -> None:
    partial = "# shared by every component\nVariantName: {{ variant }}\n"
    root = project(tmp_path, "{% include 'partials/variant.yaml' %}", {"partials/variant.yaml": partial})
    result = plan(root, seeded)
    assert_refused(result, seeded, "partials/variant.yaml:2:", "'variant' is undefined")


def test_include_inside_the_project_renders(tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path, "{% include 'partials/variant.yaml' %}",
                   {"partials/variant.yaml": "VariantName: {{ 'All' ~ 'Traffic' }}\n"})
    result = plan(root, seeded, "--output", "json")
    assert result.code == 0, result.all
    assert planned_fields(result)["VariantName"] == "AllTraffic"


def test_env_var_reads_set_names_and_defaults(tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path, "VariantName: {{ env_var('ICSYNC_TEST_VARIANT') }}")
    web = root / "components" / "web.yaml"
    web.write_text(web.read_text().replace("repo/app:{{ tag }}",
                                           "repo/app:{{ env_var('ICSYNC_TEST_UNSET_TAG', 'latest') }}"))
    result = plan(root, seeded, "--output", "json", env={"ICSYNC_TEST_VARIANT": "AllTraffic"})
    assert result.code == 0, result.all
    fields = planned_fields(result)
    assert fields["VariantName"] == "AllTraffic"
    assert fields["Specification.Container.Image"] == "repo/app:latest"


def test_env_var_unset_without_default_fails_naming_it(tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path, "VariantName: {{ env_var('ICSYNC_TEST_VARIANT') }}")
    result = plan(root, seeded, env={"ICSYNC_TEST_VARIANT": None})
    assert_refused(result, seeded, "components/web.yaml:3:", "`ICSYNC_TEST_VARIANT` is not set",
                   "env_var('ICSYNC_TEST_VARIANT', 'value')")


def test_environment_is_not_reachable_any_other_way(tmp_path: Path, seeded: Live) -> None:
    root = project(tmp_path, "VariantName: {{ environ['HOME'] | default(os.environ) }}")
    result = plan(root, seeded)
    assert_refused(result, seeded, "components/web.yaml:3:", "is undefined")


def test_printed_values_render_as_their_plain_text(tmp_path: Path) -> None:
    """Every plain value prints as its text; Windows line ends become `\\n`; trailing lines stay."""
    values = ("tag: '1.0'\ncopies: 2\nvariant: All\nn: 3\nf: 1.5\nb: true\nempty: null\nl: [1, '2']\n"
              "d: {k: v, n: {m: 2}}\n")
    line = ("VariantName: {{variant}}{{ n }}\r\n# {{ f }} {{ b }} {{ empty }} {{ l }} {{ d.k }} "
            "{{ d.n.m }} {{ d.n }}\n\n")
    root = project(tmp_path, line, {"values/dev.yaml": values})
    result = icsync("render", "-C", root, "--env", "dev")
    assert result.code == 0, result.all
    assert ("VariantName: All3\n# 1.5 True None [1, '2'] v 2 {'m': 2}\n\n\nSpecification:"
            in result.out), result.out


def test_a_failing_line_after_good_ones_is_the_one_named(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("a: {{ a }}\nb: {{ missing }}\n")
    text, problem = render(make_environment(tmp_path), tmp_path, tmp_path / "x.yaml", {"a": "x"})
    assert text is None and problem is not None
    assert (problem.file, problem.line) == ("x.yaml", 2) and "missing" in problem.message
