"""`icsync apply`: make only the calls the plan needs, wait, verify, report."""

from __future__ import annotations

import datetime
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import click

from gitsync import executor
from gitsync.commands import common, saved
from gitsync.errors import ApplyFailed, ConfigError, ExitCode
from gitsync.plan import Action, Plan
from gitsync.settings import Settings
from gitsync.views import apply_view
from gitsync.views.render import render_plan


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


def log(message: str) -> None:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%SZ")
    click.echo(f"[{stamp}] {message}", err=True)


def run(settings: Settings, options: ApplyOptions) -> int:
    document = saved.load(options.plan_file) if options.plan_file else None
    if document is not None:
        settings = saved.settings_for(document, settings)
    context = common.load(settings)
    with common.connect(settings, context) as clients:
        plan = common.make_plan(settings, context, clients)
        if document is not None and options.plan_file is not None:
            saved.check_fresh(document, plan, options.plan_file)
        click.echo(render_plan(plan, "text", color=settings.color, verbose=settings.verbose), nl=False,
                   color=settings.color)
        _refuse_destruction(plan, options)
        if not plan.has_changes:
            return ExitCode.OK
        if options.dry_run:
            click.echo(apply_view.dry_run(plan, context.project.secret_pattern), nl=False)
            return ExitCode.OK
        if not (options.auto_approve or document is not None):
            _ask_approval()
        stop = executor.Stop()
        apply_settings = executor.ApplySettings(
            parallelism=settings.parallelism, timeout=options.timeout,
            fail_fast=options.fail_fast, wait_busy=options.wait_busy)
        with _interrupts(stop):
            result = executor.apply(plan, clients, apply_settings, log, stop)
    click.echo(apply_view.render(result), nl=False)
    if stop.event.is_set() and stop.reason.startswith("interrupted"):
        return ExitCode.INTERRUPTED
    if not result.ok:
        raise ApplyFailed("apply did not complete: see the table above; run apply again to converge")
    return ExitCode.OK


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

    def __init__(self, stop: executor.Stop) -> None:
        self.stop = stop
        self.previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stop.event.is_set():
            click.echo("Second interrupt: exiting now; calls in flight carry on in AWS.", err=True)
            raise SystemExit(ExitCode.INTERRUPTED)
        self.stop.set("interrupted: not started")
        log("Interrupted: starting nothing new; waiting for calls in flight (they cannot be recalled). "
            "Interrupt again to exit at once.")

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, self._handle)

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
