"""`icsync plan`: desired vs live, printed; nothing is changed."""

from __future__ import annotations

import click

from gitsync import multienv
from gitsync.commands import common, saved
from gitsync.errors import ExitCode
from gitsync.settings import Settings
from gitsync.views.render import render_plan


def run(settings: Settings) -> int:
    if settings.extra.get("all_envs"):
        return multienv.run(settings)
    with common.load_reading(settings) as (context, clients, reader):
        plan, room = common.plan_with_capacity(settings, context, clients, preflight_checks=True,
                                               reader=reader)
    click.echo(render_plan(plan, settings.output, color=settings.color, verbose=settings.verbose,
                           query=settings.query, capacity=room), nl=False, color=settings.color)
    if settings.out is not None:
        saved.save(plan, settings, settings.out)
    if settings.detailed_exitcode and plan.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK
