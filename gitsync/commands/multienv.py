"""`icsync plan --all-envs`: every environment of the project planned concurrently, one combined plan.

Each environment has its own connection (region, profile, role to assume), so the plans are
independent; they run on threads because the work is waiting on AWS. Manifests are loaded first,
one environment after the other, because loading resets the process-wide secret redactor.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import click

from gitsync.commands import common, planning
from gitsync.errors import ConfigError, ExitCode, IcsyncError
from gitsync.manifests.project import load_project
from gitsync.plan import FORMAT_VERSION, Plan
from gitsync.redact import REDACT
from gitsync.settings import Settings
from gitsync.views import json_view, markdown, text
from gitsync.views.document import plan_document, summary_line
from gitsync.views.render import document_text, output_for

MAX_CONCURRENT_ENVIRONMENTS = 8


def run(settings: Settings) -> int:
    if settings.environment:
        raise ConfigError("--all-envs plans every environment; leave out --env (or ICSYNC_ENV)")
    if settings.out is not None:
        raise ConfigError("--out saves one environment's plan; use --env NAME with --out")
    plans, failed = plan_all(settings)
    if plans:
        click.echo(render(plans, settings), nl=False, color=settings.color)
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


def combined(plans: list[Plan]) -> Plan:
    """All environments' changes as one plan, for the combined summary."""
    return Plan("(all)", plans[0].project if plans else "",
                tuple(c for p in plans for c in p.changes), tuple(u for p in plans for u in p.unmanaged))


def document(plans: list[Plan]) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "environments": [plan_document(p) for p in plans]}


def render(plans: list[Plan], settings: Settings) -> str:
    output = output_for(settings.output, settings.query)
    if output in ("json", "yaml"):
        return document_text(json_view.query(document(plans), settings.query), output)
    sections = []
    for plan in plans:
        if output == "markdown":
            sections.append(f"## Environment `{plan.environment}`\n\n{markdown.render(plan)}")
        else:
            body = text.render(plan, color=settings.color, verbose=settings.verbose)
            sections.append(f"=== Environment: {plan.environment} ===\n{body}")
    totals = "\n".join(f"  {p.environment}: {summary_line(p)}" for p in plans)
    heading = "## All environments" if output == "markdown" else "=== All environments ==="
    return "\n".join(sections) + f"\n{heading}\n{totals}\nCombined: {summary_line(combined(plans))}\n"
