"""The one Jinja environment: sandboxed, strict, and unable to read outside the project."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from gitsync.errors import Problem

_MISSING = object()


class ProjectLoader(jinja2.BaseLoader):
    """Templates by path relative to the project; `..`, absolute paths and symlinks out are refused."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        if template.startswith(("/", "\\")) or ".." in Path(template).parts or Path(template).is_absolute():
            raise jinja2.TemplateNotFound(f"{template} (only paths inside the project are allowed)")
        path = (self.root / template).resolve()
        if not path.is_relative_to(self.root):
            raise jinja2.TemplateNotFound(f"{template} (it points outside the project)")
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        mtime = path.stat().st_mtime
        return path.read_text(errors="replace"), str(path), lambda: path.stat().st_mtime == mtime


def env_var(name: str, default: Any = _MISSING) -> Any:
    """The only way templates read the environment: explicit, and unset names fail."""
    value = os.environ.get(name)
    if value is None:
        if default is _MISSING:
            raise jinja2.UndefinedError(f"environment variable {name} is not set "
                                        f"(give a default: env_var('{name}', 'value'))")
        return default
    return value


def make_environment(root: Path) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(loader=ProjectLoader(root), undefined=jinja2.StrictUndefined,
                                       keep_trailing_newline=True, autoescape=False)
    environment.globals = {"env_var": env_var, "range": range, "dict": dict}
    return environment


def render(environment: SandboxedEnvironment, root: Path, path: Path,
           values: dict[str, Any]) -> tuple[str | None, Problem | None]:
    """Render one manifest file; a failure becomes a Problem at the template's own line."""
    relative = path.relative_to(root).as_posix()
    try:
        return environment.get_template(relative).render(values), None
    except jinja2.TemplateSyntaxError as error:
        file = _relative(root, error.filename) or relative
        return None, Problem(file, error.lineno or 0, 0, "", f"template syntax error: {error.message}")
    except jinja2.TemplateNotFound as error:
        file, line = _template_frame(root, error, relative)
        return None, Problem(file, line, 0, "", f"template not found: {error.message or error.name}")
    except UnicodeDecodeError:
        return None, Problem(relative, 0, 0, "", "file is binary, not a YAML template")
    except (jinja2.TemplateError, jinja2.sandbox.SecurityError) as error:
        file, line = _template_frame(root, error, relative)
        return None, Problem(file, line, 0, "", f"template error: {error}")
    except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError, RecursionError) as error:
        file, line = _template_frame(root, error, relative)
        return None, Problem(file, line, 0, "", f"template error: {type(error).__name__}: {error}")


def _relative(root: Path, filename: str | None) -> str | None:
    if not filename:
        return None
    try:
        return Path(filename).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return filename


def _template_frame(root: Path, error: BaseException, default: str) -> tuple[str, int]:
    """Jinja rewrites tracebacks so that template frames carry the template's file and line."""
    resolved = str(root.resolve())
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith(resolved):
            return _relative(root, frame.filename) or default, frame.lineno or 0
    return default, 0
