"""Renderers: a Plan (or an ApplyResult) in, a string out. They only render."""
