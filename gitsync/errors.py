"""The one error family: every expected failure is an IcsyncError with a user-facing message."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1
    CHANGES = 2  # --detailed-exitcode and drift: there is something to do
    CRASH = 3  # an unexpected exception: a bug, with a crash log (as pre-commit exits 3)
    INTERRUPTED = 130


class IcsyncError(Exception):
    """An expected failure; its message is shown to the user as it is."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    file: str
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown
    path: str  # key path inside the document, e.g. Specification.Container.Image
    message: str

    def render(self, severity: str = "") -> str:
        """`file:line:column: message at `path``; a severity (`warning`) follows the place, as a
        compiler writes it."""
        where = self.file
        if self.line:
            where += f":{self.line}" + (f":{self.column}" if self.column else "")
        at = f" at `{self.path}`" if self.path else ""
        kind = f"{severity}: " if severity else ""
        return f"{where}: {kind}{self.message.rstrip('.')}{at}"


class ValidationFailed(IcsyncError):
    """Every problem of a run, reported together, sorted by file and line, on one screen."""

    SHOWN = 30

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path))
        count = len(self.problems)
        lines = [p.render() for p in self.problems[:self.SHOWN]]
        if count > self.SHOWN:
            lines.append(f"... and {count - self.SHOWN} more (fix these first)")
        noun = "problem" if count == 1 else "problems"
        super().__init__("\n".join(lines + [f"{count} {noun} found; nothing was sent to AWS."]))


class CredentialsError(IcsyncError):
    """AWS refused the credentials: expired, or not valid."""


class ConfigError(IcsyncError):
    """The project file, an environment or a command-line option is wrong."""


class AwsError(IcsyncError):
    """AWS (or the sandbox) refused a call or could not be reached.

    `code` is AWS's error code (`ValidationException`, `ConditionalCheckFailedException`, ...), so
    that callers decide on it and not on the message; None when no answer came (no connection, no
    credentials, a client that could not be made)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class StalePlanError(IcsyncError):
    """A saved plan no longer matches live state."""


class ApplyFailed(IcsyncError):
    """Apply ran, and at least one component did not reach its desired state."""


class OwnershipError(IcsyncError):
    """A manifest names a component another project or environment owns (its ownership tags)."""
