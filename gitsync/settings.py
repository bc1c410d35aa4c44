"""The frozen settings every command takes: what the command line (or ICSYNC_* variables) said.

A command that does not take an option leaves its field at the default here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitsync.shard import Shard


@dataclass(frozen=True)
class Settings:
    # Where: the project and the environment.
    project_dir: Path = Path(".")
    environment: str | None = None
    # The connection: the AWS CLI's options.
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    sandbox: bool = False
    verify_ssl: bool = True
    ca_bundle: str | None = None
    read_timeout: float | None = 30  # None: no timeout (--read-timeout 0)
    connect_timeout: float | None = 10
    debug: bool = False
    # Reads and writes: how many at a time.
    read_parallelism: int = 64
    read_rate: float = 0  # read calls per second; 0: learned from the first throttle
    parallelism: int = 10  # components changed at a time (apply)
    # Selection: which components.
    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    prune: bool = False
    adopt: tuple[str, ...] = ()  # components to take over (ownership tags), by name
    shard: Shard | None = None
    check_images: bool = False
    # Output.
    output: str = "text"
    query: str | None = None
    color: bool = False
    verbose: bool = False
    # plan's own.
    detailed_exitcode: bool = False
    out: Path | None = None
    also_output: tuple[tuple[str, Path], ...] = ()  # --also-output FORMAT=FILE
    all_envs: bool = False
