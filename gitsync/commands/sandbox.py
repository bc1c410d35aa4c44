"""`icsync sandbox`: serve the local SageMaker emulator until interrupted."""

from __future__ import annotations

import importlib.util
import signal
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from gitsync.errors import ConfigError, ExitCode, IcsyncError

if TYPE_CHECKING:
    from gitsync.sandbox import Sandbox

DISTRIBUTION = "icsync-sagemaker"  # pyproject.toml's name: what `pip install` takes
# The sandbox serves everything but SageMaker through moto, which only the `sandbox` extra installs.
EMULATOR_MODULE = "moto"


@dataclass(frozen=True)
class SandboxOptions:
    host: str = "127.0.0.1"
    port: int = 4566
    seed: Path | None = None
    state: Path | None = None
    request_log: Path | None = None
    latency_ms: float = 0
    max_tps: float = 0
    transition_seconds: float = 0
    speed: float | None = None
    region: str = "us-east-1"


def require_extra(module: str) -> None:
    """Fail with the install command when the `sandbox` extra is missing.

    A plain install leaves the emulator stack out to stay light; without this check the first
    import of it would end in an internal error instead of saying what to do."""
    if importlib.util.find_spec(module) is None:
        raise IcsyncError(f"the sandbox needs the `sandbox` extra (module `{module}` is not installed); "
                          f"install it with: pip install '{DISTRIBUTION}[sandbox]'")


def sandbox_class() -> type[Sandbox]:
    """The emulator, for `icsync sandbox` and `--sandbox`, once its extra is known to be there."""
    require_extra(EMULATOR_MODULE)
    from gitsync.sandbox import Sandbox

    return Sandbox


def run(options: SandboxOptions) -> int:
    Sandbox = sandbox_class()
    if options.seed is not None and not options.seed.is_file():
        raise ConfigError(f"--seed {options.seed}: no such file")
    sandbox = Sandbox(options.host, options.port, seed=options.seed, state=options.state,
                      request_log=options.request_log, latency_ms=options.latency_ms,
                      max_tps=options.max_tps, transition_seconds=options.transition_seconds,
                      speed=options.speed, region=options.region)
    click.echo(sandbox.url)  # the first line of output: scripts read the URL from it
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sandbox.serve_forever()  # returns on Ctrl-C or SIGTERM
    except KeyboardInterrupt:  # arrived before the serving loop started
        pass
    finally:
        sandbox.close()
    click.echo("sandbox stopped", err=True)
    return ExitCode.OK


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the sandbox as Ctrl-C does: werkzeug's serving loop returns on KeyboardInterrupt."""
    raise KeyboardInterrupt
