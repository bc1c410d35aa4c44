"""The command line's option groups: each command composes the groups it uses, so it takes only
the options it uses. Each option's callback hands it over in Settings' own type."""

from __future__ import annotations

import functools
import logging
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from gitsync import shard
from gitsync.error_handler import Invocation
from gitsync.errors import IcsyncError
from gitsync.views import FORMATS

F = Callable[..., Any]


class Amount(click.FloatRange):
    """A number of 0 or more that is a number: click's FloatRange lets NaN through (NaN < 0 is
    false), and a NaN timeout makes every socket wait forever."""

    def __init__(self) -> None:
        super().__init__(min=0)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a finite number", param, ctx)
        return number


AMOUNT = Amount()


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


def debug_callback(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """`icsync plan --debug` works as `icsync --debug plan` does, like the AWS CLI's --debug."""
    invocation = _invocation(ctx)
    if value and invocation is not None:
        invocation.debug = True
        enable_debug_logging()
    return value


def _color(ctx: click.Context, param: click.Parameter, choice: str) -> bool:
    if choice == "on":
        return True
    if choice == "off" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _timeout(ctx: click.Context, param: click.Parameter, seconds: float) -> float | None:
    return None if seconds == 0 else seconds  # 0 means "no timeout" (AWS CLI); botocore: None


def shard_callback(ctx: click.Context, param: click.Parameter,
                   text: str | None) -> shard.Shard | None:
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

debug_option = click.option("--debug", is_flag=True, expose_value=False, callback=debug_callback,
                            help="Log details; show an unexpected error's traceback (as `icsync --debug`).")

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
    click.option("--read-timeout", type=AMOUNT, default=30, show_default=True, callback=_timeout,
                 help="Socket read timeout, seconds (0: none)."),
    click.option("--connect-timeout", type=AMOUNT, default=10, show_default=True, callback=_timeout,
                 help="Socket connect timeout, seconds (0: none)."),
    debug_option,
)

read_options = compose(
    click.option("--read-parallelism", type=click.IntRange(1, 256), default=64, show_default=True,
                 envvar="ICSYNC_READ_PARALLELISM", help="Describe calls in flight at a time."),
    click.option("--read-rate", type=AMOUNT, default=0,
                 envvar="ICSYNC_READ_RATE", help="Read calls per second, if you know the account's "
                 "limit (0: learn it from the first throttle)."),
)

selection_options = compose(
    click.option("--target", "targets", multiple=True, help="Only components matching (glob)."),
    click.option("--exclude", "excludes", multiple=True, help="Skip components matching (glob)."),
)

shard_option = click.option(
    "--shard", metavar="I/N", callback=shard_callback,
    help="Only the I-th of N deterministic slices of the components (the same slices for plan, "
         "apply and drift).")

change_options = compose(  # what plan and apply (not drift, which never prunes) decide
    click.option("--prune", is_flag=True, help="Delete owned components that are in no manifest."),
    click.option("--check-images", is_flag=True, help="Redeploy components whose ECR image tag moved."),
    click.option("--adopt", "adopt", multiple=True, metavar="NAME",
                 help="Take over this component from another project or environment, or from "
                 "nobody: apply writes this project's ownership tags (repeatable)."),
)


def output_option(formats: tuple[str, ...], envvar: str | None = None) -> Callable[[F], F]:
    return click.option("--output", type=click.Choice(formats), default="text", envvar=envvar,
                        show_default=True)


def also_output_callback(ctx: click.Context, param: click.Parameter,
                         value: tuple[str, ...]) -> tuple[tuple[str, Path], ...]:
    """`--also-output markdown=plan.md` -> (("markdown", Path("plan.md")),)."""
    found = []
    for item in value:
        form, equals, file = item.partition("=")
        if not equals or form not in FORMATS or not file:
            raise click.BadParameter(f"expected FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}, "
                                     f"not {item!r}")
        found.append((form, Path(file)))
    return tuple(found)


def display_options(verbose_help: str) -> Callable[[F], F]:
    return compose(
        click.option("--color", type=click.Choice(["on", "off", "auto"]), default="auto",
                     envvar="ICSYNC_COLOR", show_default=True, callback=_color),
        click.option("-v", "--verbose", is_flag=True, help=verbose_help),
    )


_DEBUG_HANDLERS: list[logging.Handler] = []


def enable_debug_logging() -> None:
    """Log to stderr (which redacts secrets); removed again when the command ends."""
    if _DEBUG_HANDLERS:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    _DEBUG_HANDLERS.append(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)


def disable_debug_logging() -> None:
    root = logging.getLogger()
    while _DEBUG_HANDLERS:
        root.removeHandler(_DEBUG_HANDLERS.pop())
    root.setLevel(logging.WARNING)
