"""Rendering under a budget: templates come from pull requests, and a template can loop for hours
without printing a byte, or ask for a string of a billion spaces (`center`, `indent`, `format`,
`%`-formatting). The sandbox bounds what a template can reach, not what it can cost.

So every manifest of a run is rendered in one child process, forked once a run (the templates,
values and Jinja environment are inherited, nothing is pickled), that the kernel holds to
- a CPU budget per run (RLIMIT_CPU: SIGXCPU at the budget, SIGKILL a second later, whatever the
  template is doing, even inside one long C call), and per file (a CPU-time timer whose signal
  stops the template at its line, so the error names the line that loops);
- a memory budget (RLIMIT_AS, above what the process already maps): an allocation beyond it fails
  with MemoryError at once, before the machine swaps.
The child sends each file's result back as one JSON line, in order; a child that dies names the
file it was rendering. Where there is no fork (Windows), files render in-process, unbounded.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gitsync.errors import ConfigError

Work = Callable[[Any], Any]  # one job -> a JSON-able result
_TIMER_REPEAT = 0.05  # after the first signal, again every 50 ms: a template that swallows it still ends


@dataclass(frozen=True)
class Budget:
    file_seconds: float = 10.0  # CPU seconds one file may take; a manifest renders in milliseconds
    run_seconds: float = 120.0  # CPU seconds for all files of a run; 10,000 files render in ~20 s
    memory_mb: int = 1024  # memory the child may map beyond what it inherits

    @classmethod
    def from_environment(cls) -> Budget:
        """ICSYNC_RENDER_FILE_SECONDS, ICSYNC_RENDER_RUN_SECONDS, ICSYNC_RENDER_MEMORY_MB."""
        default = cls()
        return cls(_number("ICSYNC_RENDER_FILE_SECONDS", default.file_seconds),
                   _number("ICSYNC_RENDER_RUN_SECONDS", default.run_seconds),
                   int(_number("ICSYNC_RENDER_MEMORY_MB", default.memory_mb)))


def _number(variable: str, default: float) -> float:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{variable} must be a number above 0, not `{text}`")
    return value


class BudgetSpent(Exception):
    """Raised inside a template by the CPU timer, so that Jinja reports the template's line."""


class FileBudget(BudgetSpent):
    pass


class RunBudget(BudgetSpent):
    pass


@dataclass(frozen=True)
class Stopped:
    """The child died while this job was its job: the kernel ended it (CPU or memory)."""

    signal: int | None


def run_all(jobs: list[Any], work: Work, budget: Budget) -> Iterator[Any]:
    """`work(job)` for each job, in order, in a child under `budget`; a Stopped for the job the
    child died on, and nothing for those after it."""
    if not hasattr(os, "fork") or not jobs:
        yield from (work(job) for job in jobs)
        return
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reading)
        _child(writing, jobs, work, budget)
    os.close(writing)
    done = 0
    try:
        with os.fdopen(reading, encoding="utf-8") as results:
            for line in results:
                yield json.loads(line)
                done += 1
    except GeneratorExit:  # the caller stopped reading: never leave the child running
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        _, status = os.waitpid(pid, 0)
    if done < len(jobs):
        yield Stopped(os.WTERMSIG(status) if os.WIFSIGNALED(status) else None)


def _child(writing: int, jobs: list[Any], work: Work, budget: Budget) -> None:
    code = 1
    try:
        run_spent = _limit(budget)
        with os.fdopen(writing, "w", encoding="utf-8") as out:
            for job in jobs:
                out.write(json.dumps(_timed(work, job, budget)) + "\n")
                out.flush()
                if run_spent:
                    break  # the parent names the next file as one the budget left unrendered
        code = 0
    except BaseException:  # noqa: BLE001, S110 - the parent reports the job this one died on
        pass
    finally:
        os._exit(code)  # no atexit handlers, no flush of the parent's inherited buffers


def _timed(work: Work, job: Any, budget: Budget) -> Any:
    signal.setitimer(signal.ITIMER_PROF, budget.file_seconds, _TIMER_REPEAT)
    try:
        return work(job)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def _limit(budget: Budget) -> list[bool]:
    """Set the limits; the list returned becomes non-empty when the run's CPU budget is spent."""
    spent: list[bool] = []

    def file_spent(signum: int, frame: object) -> None:
        raise FileBudget(f"rendering took more than {budget.file_seconds:g} s of CPU (its budget for "
                         "one file): a loop that never ends, or far too many items?")

    def run_spent(signum: int, frame: object) -> None:
        spent.append(True)
        raise RunBudget(f"rendering all manifests took more than {budget.run_seconds:g} s of CPU "
                        "(the budget for a run)")

    signal.signal(signal.SIGPROF, file_spent)
    signal.signal(signal.SIGXCPU, run_spent)
    seconds = max(1, math.ceil(budget.run_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    mapped = _mapped_bytes()
    if mapped is not None:
        limit = mapped + budget.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return spent


def _mapped_bytes() -> int | None:
    """What the process maps now (Linux); None where RLIMIT_AS cannot be sized from it."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None
