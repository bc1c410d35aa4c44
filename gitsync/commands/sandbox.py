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
    try:
        sandbox = Sandbox(options.host, options.port, seed=options.seed, state=options.state,
                          request_log=options.request_log, latency_ms=options.latency_ms,
                          max_tps=options.max_tps, transition_seconds=options.transition_seconds,
                          region=options.region)
    except OSError as error:
        raise ConfigError(f"cannot listen on {options.host}:{options.port}: {error.strerror}") from None
    click.echo(sandbox.url, nl=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox._server.server_close()
    click.echo("sandbox stopped", err=True)
    return ExitCode.OK
