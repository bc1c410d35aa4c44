"""`icsync sandbox`: a local, wire-compatible SageMaker emulator for the quickstart, tests and benchmarks."""

from gitsync.sandbox.server import Sandbox

__all__ = ["Sandbox"]
