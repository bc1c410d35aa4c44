"""One use case per module; each takes Settings and returns an exit code."""
