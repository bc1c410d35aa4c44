"""`icsync plan`: desired vs live, printed; nothing is changed."""

from __future__ import annotations

import click

from gitsync.commands import planning
from gitsync.errors import ExitCode
from gitsync.settings import Settings


def run(settings: Settings) -> int:
    if settings.all_envs:
        from gitsync.commands import multienv
        return multienv.run(settings)
    with planning.loading(settings, preflight_checks=True) as (context, clients, gathering):
        plan, room = planning.plan_with_capacity(settings, context, clients, preflight_checks=True,
                                                 gathering=gathering)
        spend = planning.plan_cost(context, clients, room)
    from gitsync.commands import saved
    from gitsync.views.render import of_plan, render
    click.echo(render(of_plan(plan, room, spend), settings.output, query=settings.query, color=settings.color,
                      verbose=settings.verbose), nl=False, color=settings.color)
    for form, path in settings.also_output:  # the Action: markdown for the comment, text for the log
        path.write_text(render(of_plan(plan, room), form, verbose=settings.verbose))
    if settings.out is not None:
        saved.save(plan, settings, settings.out)
    if settings.detailed_exitcode and plan.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK
