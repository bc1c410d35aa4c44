"""`icsync schema`: the manifest JSON Schema, for editors (yaml-language-server) and CI checks."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gitsync.errors import ConfigError, ExitCode
from gitsync.schema import manifest_schema


def run(out: Path | None) -> int:
    text = json.dumps(manifest_schema(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return ExitCode.OK
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    except OSError as error:
        raise ConfigError(f"cannot write the schema to {out}: {error.strerror}") from None
    click.echo(f"Wrote {out}", err=True)
    return ExitCode.OK
