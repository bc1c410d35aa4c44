"""Renderers: a Plan (or an ApplyResult) in, a string out. They only render."""

FORMATS = ("text", "json", "yaml", "markdown")
DRIFT_FORMATS = ("text", "json", "markdown")  # `icsync drift --output`
