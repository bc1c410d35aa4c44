"""The frozen settings every command takes: what the command line (or ICSYNC_* variables) said."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    project_dir: Path = Path(".")
    environment: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    sandbox: bool = False
    output: str = "text"
    query: str | None = None
    color: bool = False
    verbose: bool = False
    debug: bool = False
    detailed_exitcode: bool = False
    out: Path | None = None
    parallelism: int = 10
    read_parallelism: int = 64
    read_rate: float = 0  # read calls per second; 0: learned from the first throttle
    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    prune: bool = False
    verify_ssl: bool = True
    ca_bundle: str | None = None
    read_timeout: float | None = 60  # None: no timeout (--read-timeout 0)
    connect_timeout: float | None = 60
    extra: dict[str, object] = field(default_factory=dict)
