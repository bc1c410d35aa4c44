"""Templates that only print values are filled in without compiling: exactly what Jinja renders,
or declined (Jinja renders them and owns every error)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitsync.manifests.render import make_environment, render
from gitsync.manifests.substitute import substituted

VALUES: dict[str, Any] = {"not": 1, "a": "x", "n": 3, "f": 1.5, "b": True, "empty": None, "l": [1, "2"],
                          "d": {"k": "v", "items": 1, "n": {"m": 2}}, "env": "dev"}

FILLED = [
    "a: {{ a }}\n",
    "a: {{a}}{{n}}\r\nb: {{ f }}\n",          # newlines normalized as Jinja's lexer does
    "{{ d.k }} {{ d.n.m }} {{ d.n }} {{ l }} {{ b }} {{ empty }}",
    "a{{\n a\t}}\n\n",                          # any whitespace inside; trailing newlines kept
    "}} {a} {{ a }}}",                         # braces that open nothing are text
    "plain text\n",
    "",
]

DECLINED = [
    "{{ d.items }}",       # a dict method: Jinja's sandbox judges it
    "{{ true }}",          # a constant, not a name
    "{{ missing }}",       # undefined: Jinja writes the error
    "{{ d.zz }}",
    "{{ a|upper }}",       # filters, tags, expressions, subscripts
    "{% if b %}x{% endif %}",
    "{{ d['k'] }}",
    "{{ a ~ a }}",
    "{{ range }}",         # a global, not a value: Jinja refuses to print it
    "{{ a }",              # a syntax error
    "{{{ a }}",            # Jinja reads `{ a }` after the first `{{`
    "x: {{- a -}}  \n  y", # whitespace control, comments, raw blocks: Jinja's
    "{# a comment #}a{{ a }}",
    "{% raw %}{{ a }}{% endraw %}",
    "{{ not }}",           # an operator, even with a value of that name
]


@pytest.mark.parametrize("source", FILLED)
def test_printing_templates_are_filled_in_as_jinja_renders_them(source: str) -> None:
    environment = make_environment(Path("."))
    assert substituted(source, VALUES) == environment.from_string(source).render(VALUES)


@pytest.mark.parametrize("source", DECLINED)
def test_anything_more_is_left_to_jinja(source: str) -> None:
    assert substituted(source, VALUES) is None


def test_a_declined_template_still_fails_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("a: {{ a }}\nb: {{ missing }}\n")
    text, problem = render(make_environment(tmp_path), tmp_path, tmp_path / "x.yaml", VALUES)
    assert text is None and problem is not None
    assert (problem.file, problem.line) == ("x.yaml", 2) and "missing" in problem.message


_names = st.sampled_from(["a", "n", "f", "b", "empty", "l", "d", "d.k", "d.n", "d.n.m", "d.items",
                          "zz", "true", "env", "range", "not"])
_pieces = st.one_of(st.text(alphabet="ab :\n\r\t-{}#%", max_size=8),
                    _names.map(lambda n: "{{ " + n + " }}"), _names.map(lambda n: "{{-" + n + "-}}"))


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=8).map("".join))
def test_filled_in_is_always_what_jinja_renders(source: str) -> None:
    environment = make_environment(Path("."))
    filled = substituted(source, VALUES)
    if filled is not None:
        assert filled == environment.from_string(source).render(VALUES)
