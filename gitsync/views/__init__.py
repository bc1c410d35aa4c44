"""Renderers: a Plan, an ApplyResult or a DriftReport in, a string out. They only render;
render.py chooses one for --output."""

FORMATS = ("text", "json", "yaml", "markdown")
DRIFT_FORMATS = ("text", "json", "markdown")  # `icsync drift --output`
APPLY_FORMATS = ("text", "json")  # `icsync apply --output`: json streams JSON lines of events
