"""`icsync apply`: make only the calls the plan needs, wait, verify, report."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import click

from gitsync import executor, lock, surge
from gitsync.commands import common, planning, saved
from gitsync.errors import ApplyFailed, ConfigError, ExitCode
from gitsync.manifests.options import Smoke
from gitsync.outcome import ApplyResult
from gitsync.plan import Action, Plan
from gitsync.ratelimit import RateLimiter
from gitsync.settings import Settings
from gitsync.views import apply_json, apply_view
from gitsync.views.progress import SUMMARY_SECONDS, LineReporter, LiveReporter, Reporter
from gitsync.views.render import of_plan, render


@dataclass(frozen=True)
class ApplyOptions:
    auto_approve: bool = False
    plan_file: Path | None = None
    allow_replace: bool = False
    dry_run: bool = False
    timeout: float | None = None
    fail_fast: bool = False
    wait_busy: bool = True
    max_deletes: int = 3
    lock_timeout: float = 0


def run(settings: Settings, options: ApplyOptions) -> int:
    heartbeat_seconds(SUMMARY_SECONDS)  # a bad ICSYNC_HEARTBEAT_SECONDS stops apply before any call
    document = saved.load(options.plan_file) if options.plan_file else None
    if document is not None:
        settings = saved.settings_for(document, settings)
    context = common.load(settings)
    reporter = _reporter(settings)
    table = lock.table_of(context.project.lock)
    with common.connect(settings, context) as clients:
        guard = (lock.held(clients, table, lock.lock_id(context.project.name, context.environment.name),
                           options.lock_timeout, reporter.message)
                 if table else contextlib.nullcontext())
        with guard:
            # One limiter for everything apply sends, the plan's reads included: the rate they
            # learn from the account's throttles paces the writes and waits after them.
            limiter = RateLimiter(rate=settings.read_rate or None)
            plan, room = planning.plan_with_capacity(settings, context, clients, preflight_checks=True,
                                                     limiter=limiter)
            spend = planning.plan_cost(context, clients, room)
            if document is not None and options.plan_file is not None:
                saved.check_fresh(document, plan, options.plan_file)
            if settings.output == "text":
                click.echo(render(of_plan(plan, room, spend), "text", color=settings.color,
                                  verbose=settings.verbose), nl=False, color=settings.color)
            if not _approved(plan, context, options, document is not None, settings.output):
                if settings.output == "json":
                    click.echo(apply_json.summary(ApplyResult(())), nl=False)
                return ExitCode.OK
            stop = executor.Stop()
            reporter.start(plan.pending())
            try:
                with _interrupts(stop, reporter.message):
                    checks = {d.name: d.options.smoke for d in context.desired if d.options.smoke}
                    result = executor.apply(plan, clients,
                                            _apply_settings(settings, options, limiter, checks),
                                            reporter, stop, surge.room_of(plan, room))
            finally:
                reporter.close()
    click.echo(apply_json.summary(result) if settings.output == "json" else
               apply_view.render(result, _width()), nl=False)
    if stop.event.is_set() and stop.reason.startswith("interrupted"):
        return ExitCode.INTERRUPTED
    if not result.ok:
        deploying = result.still_deploying
        raise ApplyFailed("apply did not complete: see the table above; run apply again to converge"
                          + (f"\nStill deploying in AWS: {', '.join(deploying)}; apply run again waits "
                             "for them and sends nothing twice." if deploying else ""))
    return ExitCode.OK


def _reporter(settings: Settings) -> Reporter:
    if settings.output == "json":
        return apply_json.JsonReporter(sys.stdout)
    if sys.stderr.isatty():
        return LiveReporter(sys.stderr, settings.color)
    return LineReporter(sys.stderr, _beat())


def _beat() -> float:
    """Seconds between the log's summary lines; ICSYNC_HEARTBEAT_SECONDS also paces the executor's."""
    return heartbeat_seconds(SUMMARY_SECONDS)


def heartbeat_seconds(default: float) -> float:
    """ICSYNC_HEARTBEAT_SECONDS, a positive finite number of seconds, else `default`."""
    raw = os.environ.get("ICSYNC_HEARTBEAT_SECONDS")
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError(f"ICSYNC_HEARTBEAT_SECONDS must be a number of seconds above 0, not {raw!r}")
    return seconds


def _width() -> int | None:
    """The terminal's width for the closing table; None (every cell whole) in a log or a pipe."""
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _apply_settings(settings: Settings, options: ApplyOptions, limiter: RateLimiter,
                    checks: Mapping[str, Smoke]) -> executor.ApplySettings:
    default_beat = 1.0 if sys.stderr.isatty() else 60.0
    heartbeat = heartbeat_seconds(default_beat)
    return executor.ApplySettings(parallelism=settings.parallelism, timeout=options.timeout,
                                  fail_fast=options.fail_fast, wait_busy=options.wait_busy,
                                  heartbeat=heartbeat, limiter=limiter, smoke=checks)


def _approved(plan: Plan, context: common.Context, options: ApplyOptions, saved_plan: bool,
              output: str) -> bool:
    """False when there is nothing to send; raises when apply must not go ahead."""
    _refuse_destruction(plan, options)
    if not plan.has_changes:
        return False
    if options.dry_run:
        dry_run = apply_json.requests if output == "json" else apply_view.dry_run
        click.echo(dry_run(plan, context.project.secret_pattern), nl=False)
        return False
    if output == "json" and not (options.auto_approve or saved_plan):
        # As terraform's -json: stdout is for the events, so there is nobody to ask.
        raise ConfigError("apply --output json needs --auto-approve or a saved plan "
                          "(`icsync plan --out FILE`, then `icsync apply FILE`); nothing was applied")
    if not (options.auto_approve or saved_plan):
        _ask_approval()
    return True


def _refuse_destruction(plan: Plan, options: ApplyOptions) -> None:
    replaced = [c.name for c in plan.changes if c.action is Action.REPLACE]
    if replaced and not options.allow_replace:
        raise ConfigError("the plan replaces " + ", ".join(replaced) + " (delete, then create: "
                          "downtime); nothing was applied. Pass --allow-replace to go ahead.")
    deleted = [c.name for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
    if len(deleted) > options.max_deletes:
        raise ConfigError(f"the plan deletes {len(deleted)} components, more than --max-deletes "
                          f"{options.max_deletes}; nothing was applied. Is a manifest folder empty by "
                          "mistake? Raise --max-deletes if this is intended.")


def _ask_approval() -> None:
    if not sys.stdin.isatty():
        raise ConfigError("apply needs approval: pass --auto-approve, or apply a saved plan "
                          "(`icsync plan --out FILE`, then `icsync apply FILE`); nothing was applied")
    answer = click.prompt("Apply these changes? Only 'yes' will be accepted", default="",
                          show_default=False)
    if answer != "yes":
        raise ConfigError("apply cancelled; nothing was applied")


class _interrupts:
    """First Ctrl-C / SIGTERM: start nothing new and say so. Second: exit at once."""

    def __init__(self, stop: executor.Stop, say: Callable[[str], None]) -> None:
        self.stop, self.say = stop, say
        self.previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        flying = ", ".join(self.stop.in_flight()) or "none"
        if self.stop.event.is_set():
            self.say(f"Second interrupt: exiting now. In flight, carrying on in AWS: {flying}. "
                     "Run apply again to converge.")
            sys.stderr.flush()
            os._exit(ExitCode.INTERRUPTED)  # at once: do not wait for the worker threads
        self.stop.set("interrupted: not started")
        self.say(f"Interrupted: starting nothing new. In flight (cannot be recalled): {flying}; "
                 "waiting for them to settle. Interrupt again to exit at once.")

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, self._handle)

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
