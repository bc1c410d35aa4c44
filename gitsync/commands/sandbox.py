"""`icsync sandbox`: serve the local SageMaker emulator until interrupted."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import click

from gitsync.errors import ConfigError, ExitCode


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
    region: str = "us-east-1"


def run(options: SandboxOptions) -> int:
    from gitsync.sandbox import Sandbox

    if options.seed is not None and not options.seed.is_file():
        raise ConfigError(f"--seed {options.seed}: no such file")
    sandbox = Sandbox(options.host, options.port, seed=options.seed, state=options.state,
                      request_log=options.request_log, latency_ms=options.latency_ms,
                      max_tps=options.max_tps, transition_seconds=options.transition_seconds,
                      region=options.region)
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
