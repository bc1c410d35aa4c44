"""The C fast path of manifest parsing gives exactly what the round-trip path gives, or declines."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitsync.manifests import fastload, load

pytestmark = pytest.mark.skipif(fastload.CParser is None, reason="ruamel.yaml.clib is not installed")

PLAIN = [
    "a: 1\nb: two\nc: [1, 2.5, true, null, '3']\n",
    ("InferenceComponentName: web\nSpecification:\n  Container:\n    Environment:\n      A: 'yes'\n"
     "      B: yes\n      C: 0777\n      D: 1_000\n      E: 0o17\n      F: .inf\n      G: ~\n      H: 1e3\n"
     "      I: 0x1F\n      J: -2\n      K: ''\n      L: 'multi\n        line'\n"),
    "list:\n  - a: 1\n    b: 2\n  -   c: 3\n  - - nested\n    - 4\n",
    "# comment\n\n---\nfirst: 1\n---\nsecond: [x, {y: z}]\n...\n",
    "---\n",
    "",
    "just a string\n",
    "- 1\n- 2\n",
    "text: |\n  literal\n  block\nfolded: >\n  folded\n  text\n",
    "'quoted key': 1\n\"dq\": \"esc\\t\\u00e9\"\n",
    "flow: {a: 1, b: [2, 3], c: {d: e}}\n",
    "true_key: True\nfalse_key: FALSE\nnulls: [Null, NULL, null, ~]\n",
]

DECLINED = [
    "a: &x 1\nb: *x\n",                 # aliases
    "base: &b {x: 1}\nother:\n  <<: *b\n",  # merge keys
    "a: !custom 1\n",                   # tags
    "a: 2001-12-14\n",                  # timestamps
    "1: one\n",                         # non-string keys
    "a: 1\na: 2\n",                     # duplicate keys
    "a: [1, 2\n",                       # syntax errors
    "a:\n\t- 1\n",                      # tabs
    "? [complex]\n: key\n",             # complex keys
]


def careful(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[load.Parsed], list[object]]:
    with monkeypatch.context() as patch:
        patch.setattr(fastload, "CParser", None)
        return load.parse("m.yaml", text)


@pytest.mark.parametrize("text", PLAIN)
def test_plain_yaml_parses_as_the_round_trip_path_does(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = fastload.parse_plain(text, load.MAX_NODES, load.MAX_DEPTH)
    assert fast is not None
    documents, problems = careful(text, monkeypatch)
    assert problems == []
    assert [(d.data, d.where) for d in documents] == fast
    for data, _ in fast:  # the same types too, not just equal values (True == 1)
        assert repr(data) == repr(documents[fast.index((data, _))].data)


@pytest.mark.parametrize("text", DECLINED)
def test_anything_else_is_left_to_the_round_trip_path(text: str) -> None:
    assert fastload.parse_plain(text, load.MAX_NODES, load.MAX_DEPTH) is None


def test_size_limits_are_left_to_the_round_trip_path() -> None:
    assert fastload.parse_plain("a: [1, 2, 3]\n", max_nodes=3, max_depth=32) is None
    assert fastload.parse_plain("a: {b: {c: 1}}\n", max_nodes=100, max_depth=2) is None


def test_every_example_manifest_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).parent.parent / "examples"
    texts = [p.read_text() for p in root.rglob("*.yaml") if "{{" not in p.read_text()]
    assert texts
    for text in texts:
        fast = fastload.parse_plain(text, load.MAX_NODES, load.MAX_DEPTH)
        documents, _ = careful(text, monkeypatch)
        assert fast == [(d.data, d.where) for d in documents]
