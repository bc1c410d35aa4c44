"""`icsync render`: the manifests of one environment as the templates render them, for debugging.

Values of secret-looking `Environment` variables (the project's secret_pattern) are masked unless
--show-secrets, so the output can be pasted into an issue or a CI log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from gitsync.errors import ExitCode
from gitsync.manifests.desired import rendered_files
from gitsync.manifests.load import parse
from gitsync.manifests.project import load_project
from gitsync.secrets import SENSITIVE, is_secret_name, secret_entries


@dataclass(frozen=True)
class RenderOptions:
    project_dir: Path
    environment: str | None = None
    show_secrets: bool = False
    out_dir: Path | None = None  # one file per manifest, for tools that take files (check-jsonschema)


def run(options: RenderOptions) -> int:
    project = load_project(options.project_dir)
    environment = project.environment(options.environment)
    pattern = re.compile(project.secret_pattern)
    for path, text in rendered_files(project, environment, offline=True).items():
        relative = path.relative_to(project.root).as_posix()
        shown = text if options.show_secrets else mask_secrets(text, pattern)
        if options.out_dir is not None:
            target = options.out_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(shown)
            continue
        click.echo(f"---\n# Source: {relative} (environment {environment.name})")
        click.echo(shown, nl=not shown.endswith("\n"))
    return ExitCode.OK


def mask_secrets(text: str, pattern: re.Pattern[str]) -> str:
    """The text with each secret-looking Environment value replaced, keeping the file's layout."""
    documents, problems = parse("rendered", text)
    lines: list[str | None] = list(text.split("\n"))
    if problems:  # not YAML (yet): mask whole lines that look like `SECRET_NAME: value`
        return "\n".join(_mask_line_by_name(line, pattern) for line in text.split("\n"))
    for document in documents:
        for key_path, value in secret_entries(document.data, pattern):
            line, column = document.where.get(key_path, (0, 0))
            if line:
                _mask_at(lines, line - 1, column - 1, str(key_path[-1]), value)
    return "\n".join(line for line in lines if line is not None)


def _mask_at(lines: list[str | None], index: int, column: int, key: str, value: Any) -> None:
    """Mask the value written after `key` at lines[index][column:]; block scalars span lines."""
    line = lines[index]
    colon = line.find(":", column + len(key)) if line is not None else -1
    if line is None or colon < 0:
        return
    rest = line[colon + 1:]
    shown = str(value) if value is not None else ""
    if shown and "\n" not in shown and shown in rest:  # plain, quoted or flow-style value
        lines[index] = line[:colon + 1] + rest.replace(shown, SENSITIVE, 1)
        return
    lines[index] = f"{line[:colon + 1]} {SENSITIVE!r}"
    indent = len(line) - len(line.lstrip())
    follow = index + 1
    while follow < len(lines):  # drop the continuation lines of a block or folded value
        text = lines[follow]
        if text is not None and text.strip() and len(text) - len(text.lstrip()) <= indent:
            break
        lines[follow] = None
        follow += 1


_KEY_LINE = re.compile(r"^(\s*-?\s*[\"']?)([\w.-]+)([\"']?\s*:\s+)(\S.*)$")


def _mask_line_by_name(line: str, pattern: re.Pattern[str]) -> str:
    match = _KEY_LINE.match(line)
    if match and is_secret_name(match.group(2), pattern):
        return match.group(1) + match.group(2) + match.group(3) + repr(SENSITIVE)
    return line
