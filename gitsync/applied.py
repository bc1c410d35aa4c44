"""What icsync applied last, kept in the component's tags: the three-way diff's third side.

A field live has and the manifest does not is either one AWS filled in (a default, a base's
settings echoed on an adapter) or one the user removed from the manifest. Only what icsync applied
last tells them apart, as kubectl's last-applied configuration does. Apply records the field
paths the manifest set (paths, never values: no secret can reach a tag) in `icsync:applied`.

Tag values are at most 256 characters of letters, digits, spaces and `_ . : / = + - @`
(https://docs.aws.amazon.com/sagemaker/latest/dg/API_Tag.html). A path can be 80 characters and
carry `[0]`, so each path is stored as three base64 characters of its SHA-256 (the alphabet is
allowed): 84 paths a tag, more in `icsync:applied:2`, `:3`, ... A collision can only make a field
AWS set look applied by icsync, which shows it as a difference: today's two-way behaviour.

The value starts with a format version; a tag of an unknown version reads as no tag.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from typing import Any

from botocore.model import Shape

from gitsync import model
from gitsync.diff import leaves

TAG = "icsync:applied"
VERSION = "1:"
CODE_LENGTH = 3
TAG_VALUE_LIMIT = 256
MAX_TAGS = 8  # AWS allows 50 tags on a resource: leave most to the user
_TOKEN = re.compile(r"[^.\[\]]+|\[\d+\]")


@functools.cache  # the same few dozen paths recur in every component
def tracked_path(path: str) -> str:
    """The unit a path is recorded at: the path itself, cut after a map (its keys, such as
    Environment's variable names, are the user's: the map counts as one field)."""
    shape: Shape | None = model.input_shape("CreateInferenceComponent")
    for token in _TOKEN.finditer(path):
        if shape is None:
            break
        part = token.group()
        if part.startswith("["):
            shape = shape.member if shape.type_name == "list" else None  # type: ignore[attr-defined]
        elif shape.type_name == "structure":
            shape = shape.members.get(part)  # type: ignore[attr-defined]
        else:
            shape = None
        if shape is not None and shape.type_name == "map":
            return path[:token.end()]
    return path


def paths_of(desired_view: dict[str, Any]) -> frozenset[str]:
    """The fields a manifest sets, in the form of its comparable view (tags are diffed apart)."""
    return frozenset(tracked_path(p) for p, _ in leaves({k: v for k, v in desired_view.items()
                                                         if k != "Tags"}))


@functools.cache
def code(path: str) -> str:
    digest = hashlib.sha256(tracked_path(path).encode()).digest()
    return base64.b64encode(digest[:3]).decode()[:CODE_LENGTH]


def encode(paths: frozenset[str]) -> dict[str, str]:
    """The tags that record `paths`. Past MAX_TAGS tags, an empty record (which reads as none): the
    next plan falls back to the two-way diff, which never hides a change."""
    codes = "".join(sorted({code(p) for p in paths}))
    first = (TAG_VALUE_LIMIT - len(VERSION)) // CODE_LENGTH * CODE_LENGTH
    rest = TAG_VALUE_LIMIT // CODE_LENGTH * CODE_LENGTH
    chunks = [VERSION + codes[:first]] + [codes[i:i + rest] for i in range(first, len(codes), rest)]
    if len(chunks) > MAX_TAGS:
        return {TAG: ""}
    return {_key(index): chunk for index, chunk in enumerate(chunks)}


def decode(tags: dict[str, str]) -> frozenset[str] | None:
    """The codes of the paths recorded in `tags`; None when nothing (readable) is recorded."""
    value = tags.get(TAG)
    if value is None or not value.startswith(VERSION):
        return None
    text = value[len(VERSION):]
    for index in range(1, MAX_TAGS):
        more = tags.get(_key(index))
        if more is None:
            break
        text += more
    return frozenset(text[i:i + CODE_LENGTH] for i in range(0, len(text), CODE_LENGTH))


def set_by_aws(path: str, recorded: frozenset[str] | None) -> bool:
    """A field live has and the manifest does not was set by AWS when icsync did not apply it."""
    return recorded is not None and not path.startswith("Tags") and code(path) not in recorded


def stale_keys(live_tags: dict[str, str], wanted: dict[str, str]) -> list[str]:
    """Continuation tags of an earlier, longer record that the new one no longer uses."""
    return [k for k in live_tags if (k == TAG or k.startswith(TAG + ":")) and k not in wanted]


def _key(index: int) -> str:
    return TAG if index == 0 else f"{TAG}:{index + 1}"
