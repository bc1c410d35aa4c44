"""`icsync unlock ID`: free an environment lock left behind by a run that died."""

from __future__ import annotations

import click

from gitsync import aws, lock
from gitsync.commands import common
from gitsync.errors import ConfigError, ExitCode
from gitsync.manifests.project import load_project
from gitsync.settings import Settings


def run(settings: Settings, lock_name: str) -> int:
    project = load_project(settings.project_dir)
    table = lock.table_of(project.lock)
    if table is None:
        raise ConfigError("icsync.yaml has no `lock:` section; there is no lock to free")
    environment = project.environment(settings.environment or lock_name.rsplit("/", 1)[-1])
    context = common.Context(project, environment, [])
    with common.connect(settings, context) as clients, lock.table_exists(clients, table):
        holder = aws.get_lock(clients, table, lock_name)
        if holder is None:
            click.echo(f"lock `{lock_name}` is not held")
            return ExitCode.OK
        aws.delete_lock(clients, table, lock_name)
    click.echo(f"freed lock `{lock_name}` (was held by {holder.get('Who')} since {holder.get('Since')})")
    return ExitCode.OK
