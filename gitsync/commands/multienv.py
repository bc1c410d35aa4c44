"""`icsync plan --all-envs`: every environment of the project planned concurrently, one combined plan.

Each environment has its own connection (region, profile, role to assume), so the plans are
independent; they run on threads because the work is waiting on AWS. Manifests are loaded first,
one environment after the other, because loading resets the process-wide secret redactor.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import click

from gitsync.commands import common, planning
from gitsync.errors import ConfigError, ExitCode, IcsyncError
from gitsync.manifests.project import load_project
from gitsync.plan import Action, Plan
from gitsync.redact import REDACT
from gitsync.settings import Settings
from gitsync.views.render import of_plans, render

MAX_CONCURRENT_ENVIRONMENTS = 8


def run(settings: Settings) -> int:
    if settings.environment:
        raise ConfigError("--all-envs plans every environment; leave out --env (or ICSYNC_ENV)")
    if settings.out is not None:
        raise ConfigError("--out saves one environment's plan; use --env NAME with --out")
    plans, failed = plan_all(settings)
    if plans:
        click.echo(render(of_plans(plans), settings.output, query=settings.query, color=settings.color,
                          verbose=settings.verbose), nl=False, color=settings.color)
    shared = shared_components(plans)
    if shared:
        raise IcsyncError("\n".join(shared) + "\nEach environment would take these over from the "
                          "other in turn (ownership is one project and environment): give each its "
                          "own name, e.g. with {{ env }} in InferenceComponentName.")
    if failed:
        # Every environment is planned even when one cannot be: the others' plans are shown above,
        # and each failure is named here (an expired role in prod says nothing about dev).
        reasons = "\n".join(f"environment `{name}`: {error}" for name, error in failed)
        others = "; the plans above are the others'" if plans else ""
        raise IcsyncError(f"{reasons}\n{len(failed)} of {len(failed) + len(plans)} environments could "
                          f"not be planned{others}.")
    if settings.detailed_exitcode and any(p.has_changes for p in plans):
        return ExitCode.CHANGES
    return ExitCode.OK


def shared_components(plans: list[Plan]) -> list[str]:
    """Components the manifests of two or more environments name in one account and region."""
    named: dict[tuple[str | None, str | None, str], list[str]] = {}
    for plan in plans:
        for change in plan.changes:
            if change.action is not Action.DELETE:
                named.setdefault((plan.account, plan.region, change.name), []).append(plan.environment)
    return [f"component {name} (account {account or 'unknown'}, region {region or 'unknown'}) is named "
            f"by the manifests of environments {', '.join(f'`{e}`' for e in environments)}"
            for (account, region, name), environments in sorted(named.items(), key=lambda i: i[0][2])
            if len(environments) > 1]


def plan_all(settings: Settings) -> tuple[list[Plan], list[tuple[str, IcsyncError]]]:
    """One plan per environment, in icsync.yaml's order, and the environments that failed."""
    project = load_project(settings.project_dir)
    contexts: list[common.Context] = []
    failed: list[tuple[str, IcsyncError]] = []
    for name in project.environments:
        try:
            contexts.append(common.load(dataclasses.replace(settings, environment=name)))
        except IcsyncError as error:  # masked now, while this environment's secrets are known
            failed.append((name, IcsyncError(REDACT(str(error)))))
    REDACT.reset(project.secret_pattern)
    for context in contexts:  # each load reset the redactor: every environment's secrets again
        for desired in context.desired:
            REDACT.add_document(desired.body)
    # The embedded sandbox keeps one state file per project: one environment at a time there.
    workers = 1 if settings.sandbox else min(MAX_CONCURRENT_ENVIRONMENTS, max(1, len(contexts)))
    plans: list[Plan] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [(c.environment.name, pool.submit(_plan_one, settings, c)) for c in contexts]
        for name, future in futures:
            try:
                plans.append(future.result())
            except IcsyncError as error:
                failed.append((name, error))
    order = list(project.environments)
    return plans, sorted(failed, key=lambda f: order.index(f[0]))


def _plan_one(settings: Settings, context: common.Context) -> Plan:
    settings = dataclasses.replace(settings, environment=context.environment.name)
    with common.connect(settings, context) as clients:
        return planning.make_plan(settings, context, clients, preflight_checks=True)
