"""The one YAML loader: the same documents and positions whichever parser read them.

ruamel's C parser reads most manifests; what it refuses, the pure-Python parser (the reference)
reads again, so a manifest's data never depends on which one was installed."""

from __future__ import annotations

import datetime

from ruamel.yaml import YAML

from gitsync.manifests.load import parse

EVERY_KIND = """\
name: web
count: 010
hex: 0x1F
big: 1_000
ratio: .5
sci: 1e3
on: true
off: no
nothing: ~
day: 2001-12-14
quoted: "42"
flow: {Image: repo/app:1, list: [a, 'b: c']}
items:
  - one
  - {k: v}
"""


def test_every_kind_of_scalar_reads_as_yaml_1_2_says() -> None:
    [doc], problems = parse("m.yaml", EVERY_KIND)
    assert problems == []
    assert doc.data == {
        "name": "web", "count": 10, "hex": 31, "big": 1000, "ratio": 0.5, "sci": 1000.0, "on": True,
        "off": "no", "nothing": None, "day": datetime.date(2001, 12, 14), "quoted": "42",
        "flow": {"Image": "repo/app:1", "list": ["a", "b: c"]}, "items": ["one", {"k": "v"}]}
    assert doc.where[("flow", "Image")] == (12, 8)
    assert doc.where[("items", 1, "k")] == (15, 6)


def test_the_data_is_what_ruamels_reference_loader_gives() -> None:
    reference = YAML(typ="rt", pure=True).load(EVERY_KIND)
    [doc], _ = parse("m.yaml", EVERY_KIND)
    assert doc.data == reference


def test_a_stream_the_c_parser_refuses_is_read_by_the_pure_one() -> None:
    """libyaml refuses a colon inside a plain scalar in a flow mapping; YAML 1.2 allows it."""
    text = "---\na: {Image: repo/app:1}\n---\nb: {Image: repo/app:2}\n"
    docs, problems = parse("m.yaml", text)
    assert problems == [] and [d.data for d in docs] == [{"a": {"Image": "repo/app:1"}},
                                                         {"b": {"Image": "repo/app:2"}}]
    assert [d.where[()] for d in docs] == [(2, 1), (4, 1)]


def test_merge_keys_merge_and_explicit_keys_win() -> None:
    [doc], problems = parse("m.yaml", "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n")
    assert problems == [] and doc.data["use"] == {"x": 1, "y": 3}
