"""The one place where a failure becomes an exit code and a message (pre-commit's error_handler is
the model).

Expected failures (the IcsyncError family, click's usage errors) print their message and exit 1;
Ctrl-C exits 130. Anything else is a bug in icsync: exit 3, the traceback goes to a crash log named
in the message, and to the screen only under --debug (a user needs the message, a bug report needs
the traceback).
"""

from __future__ import annotations

import os
import platform
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from gitsync import __version__
from gitsync.errors import ExitCode, IcsyncError
from gitsync.redact import REDACT

CRASH_LOG = "crash.log"
STATE_FOLDER = ".icsync"


@dataclass
class Invocation:
    """What the handler needs to know about the run, filled in as click reads the command line."""

    argv: list[str] = field(default_factory=list)
    debug: bool = False
    project_dir: Path | None = None


def handle(invocation: Invocation, command: Callable[[], int | None]) -> int:
    """Run `command`; return its exit code, or the code of the way it failed."""
    try:
        return int(command() or 0)
    except click.exceptions.Abort:  # click's prompt turns Ctrl-C and end-of-input into Abort
        click.echo("Aborted.", err=True)
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as error:
        error.show()
        return ExitCode.ERROR
    except IcsyncError as error:
        click.echo(f"Error: {error}", err=True)
        return ExitCode.ERROR
    except Exception as error:  # noqa: BLE001 - a bug: reported, never a raw traceback for users
        return _crash(invocation, error)


def _crash(invocation: Invocation, error: Exception) -> int:
    trace = "".join(traceback.format_exception(error))
    log = write_crash_log(invocation, trace)
    if invocation.debug:
        click.echo(trace, err=True, nl=False)
    where = (f"Details were written to {log}; please report it." if log is not None else
             "No crash log could be written; run again with --debug for the traceback, and please "
             "report it.")
    click.echo(f"Error: unexpected error: {type(error).__name__}: {error}. {where}", err=True)
    return ExitCode.CRASH


def write_crash_log(invocation: Invocation, trace: str) -> Path | None:
    """The log in the project's .icsync/ folder when it has a writable one, else a new file in
    the temp folder; None when neither can be written. Redacted as every other output is."""
    text = REDACT(crash_report(invocation, trace))
    for path in _log_paths(invocation.project_dir):
        try:
            if path is None:  # mkstemp: a unique name, so other users' logs are never in the way
                descriptor, name = tempfile.mkstemp(prefix="icsync-crash-", suffix=".log")
                os.close(descriptor)
                path = Path(name)
            path.write_text(text)
        except OSError:
            continue
        return path
    return None


def _log_paths(project_dir: Path | None) -> list[Path | None]:
    """Where to try, in order; None stands for a new file in the temp folder."""
    folder = (project_dir or Path(".")) / STATE_FOLDER
    if folder.is_dir() and os.access(folder, os.W_OK):
        return [folder / CRASH_LOG, None]
    return [None]


def crash_report(invocation: Invocation, trace: str) -> str:
    """What a bug report needs: versions, the command line and the traceback."""
    import botocore

    return "\n".join([
        "# icsync crash log",
        f"icsync {__version__}, botocore {botocore.__version__}, Python "
        + f"{platform.python_version()} on {platform.platform()}",
        "command: icsync " + " ".join(invocation.argv),
        "",
        trace,
    ])
