"""`icsync smoke`: run every selected component's smoke check alone (a job after deploy, a cron)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import click

from gitsync import smoke
from gitsync.commands import common
from gitsync.errors import ExitCode
from gitsync.settings import Settings
from gitsync.views import smoke_view


def run(settings: Settings) -> int:
    """Exit 0 when every check passes (or there is none), 1 when any fails."""
    context = common.load(settings)
    checks = [(d.endpoint, d.name, d.options.smoke) for d in context.desired if d.options.smoke]
    if not checks:
        click.echo(f"No smoke checks in environment {context.environment.name}.")
        return ExitCode.OK
    with common.connect(settings, context) as clients, \
            ThreadPoolExecutor(max_workers=max(1, settings.parallelism)) as pool:
        verdicts = list(pool.map(lambda c: smoke.check(clients, *c), checks))
    click.echo(smoke_view.render(verdicts), nl=False)
    return ExitCode.OK if all(v.passed for v in verdicts) else ExitCode.ERROR
