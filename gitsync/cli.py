"""The click layer only: options -> Settings -> one plain function per command."""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore
import click

from gitsync import __version__, error_handler, model, shard
from gitsync.error_handler import Invocation
from gitsync.errors import ExitCode, IcsyncError
from gitsync.redact import REDACT, RedactingStream
from gitsync.settings import Settings
from gitsync.views import DRIFT_FORMATS, FORMATS

# Each command's module is imported when that command runs, not here: a plan need not load
# apply's executor, drift, import or the sandbox (a tenth of a second of every run's start-up).

F = Callable[..., Any]


def compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click decorators as one, applied in the order written (as stacked decorators are)."""
    def decorate(fn: F) -> F:
        return functools.reduce(lambda f, d: d(f), reversed(decorators), fn)
    return decorate


# -- callbacks: each option arrives in Settings' own type --------------------------------------
def _invocation(ctx: click.Context) -> Invocation | None:
    return ctx.find_object(Invocation)  # None under shell completion, which passes no object


def _remember_project_dir(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A crash log goes into this project's .icsync/ folder."""
    invocation = _invocation(ctx)
    if invocation is not None:
        invocation.project_dir = value
    return value


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """`icsync plan --debug` works as `icsync --debug plan` does, like the AWS CLI's --debug."""
    invocation = _invocation(ctx)
    if value and invocation is not None:
        invocation.debug = True
        _enable_debug_logging()
    return value


def _color(ctx: click.Context, param: click.Parameter, choice: str) -> bool:
    if choice == "on":
        return True
    if choice == "off" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _timeout(ctx: click.Context, param: click.Parameter, seconds: float) -> float | None:
    return None if seconds == 0 else seconds  # 0 means "no timeout" (AWS CLI); botocore: None


def _shard(ctx: click.Context, param: click.Parameter, text: str | None) -> shard.Shard | None:
    return shard.parse(text) if text is not None else None


def complete_environments(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion for --env: the environments of the project being pointed at."""
    from gitsync.manifests.project import load_project

    root = ctx.params.get("project_dir") or os.environ.get("ICSYNC_PROJECT_DIR") or "."
    try:
        names = load_project(Path(root)).environments
    except IcsyncError:
        return []
    return [name for name in names if name.startswith(incomplete)]


# -- option groups: each command composes the ones it uses ---------------------------------------
project_dir_option = click.option(
    "-C", "--project-dir", type=click.Path(file_okay=False, path_type=Path), default=".",
    envvar="ICSYNC_PROJECT_DIR", show_default=True, callback=_remember_project_dir,
    help="The project folder (with icsync.yaml).")


def env_option(help_text: str = "Environment from icsync.yaml.") -> Callable[[F], F]:
    return click.option("--env", "environment", envvar="ICSYNC_ENV", help=help_text,
                        shell_complete=complete_environments)


where_options = compose(project_dir_option, env_option())

debug_option = click.option("--debug", is_flag=True, expose_value=False, callback=_debug,
                            help="Log details; show tracebacks (as `icsync --debug`).")

connection_options = compose(
    click.option("--sandbox", is_flag=True, envvar="ICSYNC_SANDBOX",
                 help="Use an embedded sandbox kept in .icsync/ instead of AWS."),
    click.option("--endpoint-url", envvar="ICSYNC_ENDPOINT_URL", help="Override the SageMaker URL."),
    click.option("--region", help="AWS region (else the environment's, else AWS_REGION)."),
    click.option("--profile", help="AWS profile (else the environment's, else AWS_PROFILE)."),
    click.option("--no-verify-ssl", "verify_ssl", is_flag=True, flag_value=False, default=True,
                 help="Do not verify TLS certificates."),
    click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False),
                 help="CA bundle for TLS verification (else AWS_CA_BUNDLE)."),
    click.option("--read-timeout", type=float, default=60, show_default=True, callback=_timeout,
                 help="Socket read timeout, seconds (0: none)."),
    click.option("--connect-timeout", type=float, default=60, show_default=True, callback=_timeout,
                 help="Socket connect timeout, seconds (0: none)."),
    debug_option,
)

read_options = compose(
    click.option("--read-parallelism", type=click.IntRange(1, 256), default=64, show_default=True,
                 envvar="ICSYNC_READ_PARALLELISM", help="Describe calls in flight at a time."),
    click.option("--read-rate", type=click.FloatRange(0, min_open=False), default=0,
                 envvar="ICSYNC_READ_RATE", help="Read calls per second, if you know the account's "
                 "limit (0: learn it from the first throttle)."),
)

selection_options = compose(
    click.option("--target", "targets", multiple=True, help="Only components matching (glob)."),
    click.option("--exclude", "excludes", multiple=True, help="Skip components matching (glob)."),
)

change_options = compose(  # what plan and apply (not drift, which never prunes) decide
    click.option("--prune", is_flag=True, help="Delete owned components that are in no manifest."),
    click.option("--check-images", is_flag=True, help="Redeploy components whose ECR image tag moved."),
)


def output_option(formats: tuple[str, ...], envvar: str | None = None) -> Callable[[F], F]:
    return click.option("--output", type=click.Choice(formats), default="text", envvar=envvar,
                        show_default=True)


def display_options(verbose_help: str) -> Callable[[F], F]:
    return compose(
        click.option("--color", type=click.Choice(["on", "off", "auto"]), default="auto",
                     envvar="ICSYNC_COLOR", show_default=True, callback=_color),
        click.option("-v", "--verbose", is_flag=True, help=verbose_help),
    )


_DEBUG_HANDLERS: list[logging.Handler] = []


def _enable_debug_logging() -> None:
    """Log to stderr (which redacts secrets); removed again when the command ends."""
    if _DEBUG_HANDLERS:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    _DEBUG_HANDLERS.append(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)


def _disable_debug_logging() -> None:
    root = logging.getLogger()
    while _DEBUG_HANDLERS:
        root.removeHandler(_DEBUG_HANDLERS.pop())
    root.setLevel(logging.WARNING)


def to_settings(invocation: Invocation, **options: Any) -> Settings:
    """The options a command took, already in Settings' types (see the callbacks above)."""
    return Settings(debug=invocation.debug, **options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="icsync",
                      message=f"%(prog)s %(version)s (botocore {botocore.__version__} service model)")
@click.option("--debug", is_flag=True, envvar="ICSYNC_DEBUG", expose_value=False, callback=_debug,
              help="Log details; show tracebacks.")
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
@click.option("--all-envs", is_flag=True, help="Plan every environment concurrently, in one plan.")
@click.option("--shard", metavar="I/N", callback=_shard,
              help="Only the I-th of N deterministic slices of the components.")
@click.pass_obj
def plan(invocation: Invocation, **options: Any) -> int:
    """Show what apply would change.

    \b
    Examples:
      icsync plan --env dev
      icsync plan --env prod --output json --detailed-exitcode --out prod.plan
    """
    from gitsync.commands import plan as plan_command

    return plan_command.run(to_settings(invocation, **options))


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@where_options
@connection_options
@read_options
@selection_options
@change_options
@display_options("Show unchanged components, ignored differences and status.")
@click.option("--parallelism", type=click.IntRange(1, 256), default=10, show_default=True,
              envvar="ICSYNC_PARALLELISM", help="Components changed at a time.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for approval.")
@click.option("--allow-replace", is_flag=True, help="Allow delete-and-create replacements.")
@click.option("--dry-run", is_flag=True, help="Print the requests apply would send; send nothing.")
@click.option("--timeout", type=float, help="Seconds to wait for each component (default 1800).")
@click.option("--fail-fast", is_flag=True, help="Start nothing new after a failure.")
@click.option("--no-wait-busy", is_flag=True, help="Fail instead of waiting for busy components.")
@click.option("--max-deletes", type=click.IntRange(0), default=3, show_default=True,
              help="Refuse a plan that deletes or replaces more components than this.")
@click.option("--lock-timeout", type=float, default=0, show_default=True,
              help="Seconds to wait for the environment lock (with `lock:` in icsync.yaml).")
@click.pass_obj
def apply(invocation: Invocation, plan_file: Path | None, auto_approve: bool, allow_replace: bool,
          dry_run: bool, timeout: float | None, fail_fast: bool, no_wait_busy: bool,
          max_deletes: int, lock_timeout: float, **options: Any) -> int:
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
def unlock(invocation: Invocation, lock_name: str, **options: Any) -> int:
    """Free an environment lock (PROJECT/ENV) left behind by a run that died."""
    from gitsync.commands import unlock as unlock_command

    return unlock_command.run(to_settings(invocation, **options), lock_name)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=4566, show_default=True, help="0 picks a free port.")
@click.option("--seed", type=click.Path(dir_okay=False, path_type=Path), help="YAML starting state.")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="Keep the account's state in this file across restarts.")
@click.option("--request-log", type=click.Path(dir_okay=False, path_type=Path),
              help="Append one JSON line per call received.")
@click.option("--latency-ms", type=float, default=0, help="Added latency per call.")
@click.option("--max-tps", type=float, default=0, help="Calls per second above which calls are throttled.")
@click.option("--transition-seconds", type=float, default=0, show_default=True,
              help="How long Creating/Updating/Deleting last.")
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
@output_option(DRIFT_FORMATS)
@display_options("Also list components in sync.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON report here.")
@click.option("--report-issue", is_flag=True, help="Open or update one GitHub issue per drifted "
              "environment (with `gh`); close it once drift is gone.")
@click.pass_obj
def drift(invocation: Invocation, environments: tuple[str, ...], all_envs: bool, report_issue: bool,
          out: Path | None, **options: Any) -> int:
    """Compare live state with git; exit 0 in sync, 2 drift, 1 error.

    \b
    Examples:
      icsync drift --env prod
      icsync drift --all-envs --output markdown --report-issue
    """
    from gitsync.commands import drift as drift_command

    return drift_command.run(to_settings(invocation, **options),
                             drift_command.DriftOptions(environments, all_envs, report_issue, out))


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
def render_command(project_dir: Path, environment: str | None, show_secrets: bool) -> int:
    """Print the rendered manifests of one environment (for debugging templates)."""
    from gitsync.commands import render_cmd

    return render_cmd.run(render_cmd.RenderOptions(project_dir, environment, show_secrets))


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
@click.pass_obj
def import_command(invocation: Invocation, endpoints: tuple[str, ...], **options: Any) -> int:
    """Write manifests (and values) for the live components, in the project's layout."""
    from gitsync.commands import import_cmd

    return import_cmd.run(to_settings(invocation, **options), endpoints)


def run(argv: list[str]) -> int:
    """Run one command line; every byte it writes is redacted, every failure is an exit code."""
    REDACT.reset()
    invocation = Invocation(argv=list(argv))
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)  # type: ignore[assignment]
    try:
        return error_handler.handle(invocation, lambda: cli.main(
            args=argv, prog_name="icsync", standalone_mode=False, obj=invocation))
    finally:
        _disable_debug_logging()
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
