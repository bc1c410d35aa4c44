"""The click layer only: options -> Settings -> one plain function per command."""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

import botocore
import click

from gitsync import __version__, error_handler, model
from gitsync.error_handler import Invocation
from gitsync.errors import ExitCode
from gitsync.options import (
    AMOUNT,
    also_output_callback,
    change_options,
    complete_environments,
    connection_options,
    debug_callback,
    disable_debug_logging,
    display_options,
    env_option,
    output_option,
    project_dir_option,
    read_options,
    selection_options,
    shard_option,
    where_options,
)
from gitsync.redact import REDACT, RedactingStream
from gitsync.settings import Settings
from gitsync.views import APPLY_FORMATS, DRIFT_FORMATS, FORMATS

# Each command's module is imported when that command runs, not here: a plan need not load
# apply's executor, drift, import or the sandbox (a tenth of a second of every run's start-up).


def to_settings(invocation: Invocation, **options: Any) -> Settings:
    """The options a command took, already in Settings' types (the callbacks in options.py)."""
    return Settings(debug=invocation.debug, **options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="icsync",
                      message=f"%(prog)s %(version)s (botocore {botocore.__version__} service model)")
@click.option("--debug", is_flag=True, envvar="ICSYNC_DEBUG", expose_value=False,
              callback=debug_callback,
              help="Log details; show an unexpected error's traceback.")
def cli() -> None:
    """icsync keeps SageMaker inference components in line with YAML manifests kept in git."""


@cli.command()
@where_options
@connection_options
@read_options
@selection_options
@change_options
@output_option(FORMATS, envvar="ICSYNC_OUTPUT")
@click.option("--query", help="JMESPath expression applied to the JSON plan.")
@display_options("Show unchanged components, ignored differences and status.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0: no changes, 2: changes, 1: error.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan for apply.")
@click.option("--also-output", "also_output", multiple=True, metavar="FORMAT=FILE",
              callback=also_output_callback,
              help="Also write the plan in FORMAT (text, json, yaml, markdown) to FILE; repeatable.")
@click.option("--all-envs", is_flag=True, help="Plan every environment concurrently, in one plan.")
@shard_option
@click.pass_obj
def plan(invocation: Invocation, /, **options: Any) -> int:
    """Show what apply would change.

    \b
    Examples:
      icsync plan --env dev
      icsync plan --env prod --output json --detailed-exitcode --out prod.plan
    """
    from gitsync.commands import plan as plan_command

    if options["query"] and click.get_current_context().get_parameter_source(
            "output") is click.core.ParameterSource.DEFAULT:
        options["output"] = "json"  # `--query` alone prints JSON, as the AWS CLI's default
    return plan_command.run(to_settings(invocation, **options))


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@where_options
@connection_options
@read_options
@selection_options
@shard_option
@change_options
@display_options("Show unchanged components, ignored differences and status.")
@output_option(APPLY_FORMATS)
@click.option("--parallelism", type=click.IntRange(1, 1000), default=10, show_default=True,
              envvar="ICSYNC_PARALLELISM", help="Deployments in flight at a time: at most this many "
              "components are mid-deployment if a bad release goes out.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for approval.")
@click.option("--allow-replace", is_flag=True, help="Allow delete-and-create replacements.")
@click.option("--dry-run", is_flag=True, help="Print the requests apply would send; send nothing.")
@click.option("--timeout", type=AMOUNT, help="Seconds to wait for each deployment (default: its "
              "MaximumExecutionTimeoutInSeconds, or batches x bake time, else 3 hours).")
@click.option("--fail-fast", is_flag=True, help="Start nothing new after a failure.")
@click.option("--no-wait-busy", is_flag=True,
              help="Fail instead of waiting for busy components or endpoints.")
@click.option("--max-deletes", type=click.IntRange(0), default=3, show_default=True,
              help="Refuse a plan that deletes or replaces more components than this.")
@click.option("--lock-timeout", type=AMOUNT, default=0, show_default=True,
              help="Seconds to wait for the environment lock (with `lock:` in icsync.yaml).")
@click.pass_obj
def apply(invocation: Invocation, /, plan_file: Path | None, auto_approve: bool,
          allow_replace: bool, dry_run: bool, timeout: float | None, fail_fast: bool,
          no_wait_busy: bool, max_deletes: int, lock_timeout: float, **options: Any) -> int:
    """Make the changes the plan shows, and only those.

    \b
    Examples:
      icsync apply --env dev --auto-approve
      icsync apply prod.plan    # a plan saved by `icsync plan --out prod.plan`
    """
    from gitsync.commands import apply as apply_command

    apply_options = apply_command.ApplyOptions(
        auto_approve=auto_approve, plan_file=plan_file, allow_replace=allow_replace, dry_run=dry_run,
        timeout=timeout, fail_fast=fail_fast, wait_busy=not no_wait_busy, max_deletes=max_deletes,
        lock_timeout=lock_timeout)
    return apply_command.run(to_settings(invocation, **options), apply_options)


@cli.command()
@click.argument("lock_name")
@where_options
@connection_options
@click.pass_obj
def unlock(invocation: Invocation, /, lock_name: str, **options: Any) -> int:
    """Free an environment lock (PROJECT/ENV) left behind by a run that died."""
    from gitsync.commands import unlock as unlock_command

    return unlock_command.run(to_settings(invocation, **options), lock_name)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=4566, show_default=True, help="0 picks a free port.")
@click.option("--seed", type=click.Path(dir_okay=False, path_type=Path), help="YAML starting state.")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="Keep the account's state in this file across restarts.")
@click.option("--request-log", type=click.Path(dir_okay=False, path_type=Path),
              help="Append one JSON line per call received.")
@click.option("--latency-ms", type=AMOUNT, default=0, help="Added latency per call.")
@click.option("--max-tps", type=AMOUNT, default=0, help="Calls per second above which calls are throttled.")
@click.option("--speed", type=AMOUNT, default=None,
              help="Play real deployment durations times this factor (0.001: a 7-minute create takes 0.42 s).")
@click.option("--transition-seconds", type=AMOUNT, default=0, show_default=True,
              help="Deprecated (use --speed): one flat duration for every Creating/Updating/Deleting.")
@click.option("--region", default="us-east-1", show_default=True, help="Region used in ARNs.")
def sandbox(**options: Any) -> int:
    """Serve a local SageMaker emulator (and other AWS services through moto)."""
    from gitsync.commands import sandbox as sandbox_command

    return sandbox_command.run(sandbox_command.SandboxOptions(**options))


@cli.command()
@project_dir_option
@click.option("--env", "environments", multiple=True, help="Environment to check (repeatable).",
              shell_complete=complete_environments)
@click.option("--all-envs", is_flag=True, help="Check every environment in icsync.yaml.")
@connection_options
@read_options
@selection_options
@shard_option
@output_option(DRIFT_FORMATS)
@display_options("Also list components in sync.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON report here.")
@click.option("--report-issue", is_flag=True, help="Open or update one GitHub issue per drifted "
              "environment (with `gh`); close it once drift is gone.")
@click.pass_obj
def drift(invocation: Invocation, /, environments: tuple[str, ...], all_envs: bool,
          report_issue: bool, out: Path | None, **options: Any) -> int:
    """Compare live state with git; exit 0 in sync, 2 drift, 1 error.

    \b
    Examples:
      icsync drift --env prod
      icsync drift --all-envs --output markdown --report-issue
    """
    from gitsync.commands import drift as drift_command

    return drift_command.run(to_settings(invocation, **options),
                             drift_command.DriftOptions(environments, all_envs, report_issue, out))


@cli.command("smoke")
@where_options
@connection_options
@selection_options
@click.pass_obj
def smoke_cmd(invocation: Invocation, /, **options: Any) -> int:
    """Run the components' smoke checks alone; exit 0 all pass, 1 any fails.

    \b
    Examples:
      icsync smoke --env prod
      icsync smoke --env dev --target embedder
    """
    from gitsync.commands import smoke_cmd as smoke_command

    return smoke_command.run(to_settings(invocation, **options))


@cli.command("validate")
@project_dir_option
@env_option("Only this environment (default: all).")
@click.option("--all-envs", is_flag=True, help="Every environment, even when ICSYNC_ENV is set.")
def validate_cmd(project_dir: Path, environment: str | None, all_envs: bool) -> int:
    """Render and validate every manifest, offline: no AWS call, no credentials."""
    from gitsync.commands import validate

    return validate.run(validate.ValidateOptions(project_dir, environment, all_envs))


@cli.command("render")
@project_dir_option
@env_option()
@click.option("--show-secrets", is_flag=True, help="Do not mask secret-looking Environment values.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write each rendered manifest to this folder, at its path in the project.")
def render_command(project_dir: Path, environment: str | None, show_secrets: bool,
                   out_dir: Path | None) -> int:
    """Print the rendered manifests of one environment (for debugging templates)."""
    from gitsync.commands import render_cmd

    return render_cmd.run(render_cmd.RenderOptions(project_dir, environment, show_secrets, out_dir))


@cli.command("schema")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write it here, not to stdout.")
def schema_cmd(out: Path | None) -> int:
    """The manifest JSON Schema (from the installed botocore model), for editors."""
    from gitsync.commands import schema as schema_command

    return schema_command.run(out)


@cli.command("skeleton")
def skeleton_cmd() -> int:
    """An empty manifest with every field, like the AWS CLI's --generate-cli-skeleton yaml-input."""
    from gitsync.commands import skeleton

    return skeleton.run()


@cli.command("import")
@where_options
@connection_options
@read_options
@selection_options
@click.option("--endpoint", "endpoints", multiple=True, help="Only components on this endpoint "
              "(repeatable; default: every endpoint).")
@click.option("--adopt", "adopt", multiple=True, metavar="NAME",
              help="Import and take over this component although another project or environment "
              "owns it (repeatable).")
@click.option("--manifests-only", is_flag=True,
              help="Write manifests and values only; leave the components' tags alone (the first "
              "apply then adopts them).")
@click.pass_obj
def import_command(invocation: Invocation, /, endpoints: tuple[str, ...], manifests_only: bool,
                   **options: Any) -> int:
    """Write manifests (and values) for the live components, in the project's layout, and adopt
    them: tag them as this project's and environment's (needs sagemaker:AddTags)."""
    from gitsync.commands import import_cmd

    return import_cmd.run(to_settings(invocation, **options), endpoints, manifests_only)


@cli.group()
def prices() -> None:
    """On-demand SageMaker hosting prices, which plans use to show what they cost."""


@prices.command("update")
@click.option("--region", "regions", multiple=True,
              help="Region to price (repeatable; default: the regions already in the file).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Prices file to write (default: the one icsync ships).")
@click.option("--endpoint-url", envvar="ICSYNC_ENDPOINT_URL", help="Override the Price List API's URL.")
@click.option("--profile", help="AWS profile (else AWS_PROFILE).")
def prices_update(**options: Any) -> int:
    """Refresh the prices from the AWS Price List API (needs pricing:GetProducts)."""
    from gitsync.commands import prices as prices_command

    return prices_command.run(prices_command.PricesOptions(**options))


def run(argv: list[str]) -> int:
    """Run one command line; every byte it writes is redacted, every failure is an exit code."""
    invocation = Invocation(argv=list(argv))
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)  # type: ignore[assignment]

    def command() -> int | None:
        REDACT.reset()  # inside the handler: a bad ICSYNC_MASK is an error message, not a traceback
        return cli.main(args=argv, prog_name="icsync", standalone_mode=False, obj=invocation)  # type: ignore[no-any-return]

    try:
        return error_handler.handle(invocation, command)
    finally:
        disable_debug_logging()
        sys.stdout, sys.stderr = streams


def main() -> None:
    """The console script: the only place that exits.

    Once the output is flushed it exits at once, without the interpreter's teardown (freeing
    botocore's service models and every module, a fifth of a second of CPU at the end of every
    run), unless a thread other than this one is still working: then it exits as usual, which
    waits for it."""
    model.freeze_models()
    code = run(sys.argv[1:])
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`icsync plan | head`): nothing to keep
            code = code or ExitCode.ERROR
    os._exit(code)
