"""Templates that only print values, filled in without Jinja.

Most manifests only print values (`{{ image_tag }}`), and compiling a template costs a millisecond
or more, and importing Jinja a tenth of a second: for those the plan needs neither. Anything more is
rendered by Jinja (render.py), which owns every error message.
"""

from __future__ import annotations

import re
from typing import Any

MAX_RENDERED_CHARS = 2 * 1024 * 1024  # the loader's own limit for a manifest file
PLAIN = (str, int, float, bool, type(None), list, tuple, dict)
_MISSING = object()

# Names that are not values in a Jinja expression: constants and operators.
_KEYWORDS = frozenset({"true", "false", "none", "True", "False", "None", "and", "or", "not", "in",
                       "is", "if", "else"})
_PRINT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
_NEWLINES = re.compile(r"\r\n?")


def substituted(source: str, values: dict[str, Any]) -> str | None:
    """A template that only prints values (`{{ name }}`, `{{ name.key }}`) filled in without Jinja:
    compiling a template costs a millisecond or more, most of a large plan's CPU. The output is
    what Jinja's would be (str of the plain value; newlines as Jinja's lexer writes them); anything
    else (a tag, a comment, a filter, an expression, whitespace control, a name that is not a plain
    value) returns None: Jinja renders it, and owns every error message."""
    parts = _PRINT.split(source)
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2 == 0:  # text between the {{ }}
            if "{{" in part or "{%" in part or "{#" in part or (part.endswith("{") and index + 1 < len(parts)):
                return None
            out.append(_NEWLINES.sub("\n", part))
            continue
        value = _value(part.split("."), values)
        if value is _MISSING:
            return None
        out.append(str(value))
    text = "".join(out)
    return text if len(text) <= MAX_RENDERED_CHARS else None


def _value(names: list[str], values: dict[str, Any]) -> Any:
    """The plain value `name.key...` names, as Jinja's sandbox would find it; _MISSING otherwise."""
    if names[0] in _KEYWORDS or names[0] not in values:
        return _MISSING
    value = values[names[0]]
    for key in names[1:]:
        # Jinja tries the attribute first: `d.items` is the dict method, not the key.
        if type(value) is not dict or hasattr(value, key) or key not in value:
            return _MISSING
        value = value[key]
    return value if isinstance(value, PLAIN) else _MISSING
