"""The one Jinja environment: sandboxed, strict, and unable to read outside the project.

Manifests come from pull requests that anyone can open, and icsync runs them with credentials that
can change production; so a template reaches only its values, a few plain helpers, and other
templates inside the project folder.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment, safe_range

from gitsync.errors import Problem
from gitsync.manifests.budget import BudgetSpent
from gitsync.manifests.load import MAX_BYTES

MAX_RENDERED_CHARS = MAX_BYTES  # the loader refuses a larger manifest anyway: stop rendering there
PLAIN = (str, int, float, bool, type(None), list, tuple, dict)
_MISSING = object()
_QUOTED_NAME = re.compile(r"'([^']+)'")  # the name Jinja quotes in its messages: 'x' is undefined


class ProjectLoader(jinja2.BaseLoader):
    """Templates by path relative to the project; `..`, absolute paths and symlinks out are refused."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        if template.startswith(("/", "\\")) or ".." in Path(template).parts or Path(template).is_absolute():
            raise SecurityError(f"`{template}` is outside the project: include, import and extends "
                                "take paths relative to the project folder, without `..`")
        path = (self.root / template).resolve()
        if not path.is_relative_to(self.root):
            raise SecurityError(f"`{template}` is a symlink that points outside the project; "
                                "templates may only use files inside the project folder")
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        mtime = path.stat().st_mtime
        return path.read_text(encoding="utf-8"), str(path), lambda: path.stat().st_mtime == mtime


def env_var(name: Any, default: Any = _MISSING) -> Any:
    """The only way templates read the environment: explicit, and unset names fail."""
    value = os.environ.get(str(name))
    if value is None:
        if default is _MISSING:
            raise jinja2.UndefinedError(f"environment variable `{name}` is not set; set it, or give "
                                        f"a default: env_var('{name}', 'value')")
        return default
    return value


def placeholder(name: Any) -> str:
    """What an unset env_var renders as offline: a value that passes as a name, a tag or a string
    (letters, digits and hyphens), and says where it came from."""
    return "unset-" + "-".join(re.findall(r"[A-Za-z0-9]+", str(name)))


def offline_env_var(name: Any, default: Any = _MISSING) -> Any:
    """env_var for validate and render: they send nothing, so they need no secrets; an unset name
    without a default renders as its placeholder (plan and apply, which send it, use env_var)."""
    if os.environ.get(str(name)) is None and default is _MISSING:
        return placeholder(name)
    return env_var(name, default)


def _finalize(value: Any) -> Any:
    """Only plain data may be printed: `{{ self }}` or `{{ env_var }}` would leak a Python object."""
    if isinstance(value, (jinja2.Undefined, *PLAIN)):
        return value
    raise SecurityError(f"a template may print only strings, numbers, booleans, lists and mappings, "
                        f"not a Python object ({type(value).__name__})")


class ManifestEnvironment(SandboxedEnvironment):
    """Jinja's sandbox, plus: undefined names fail first, and `*`/`**` cannot exhaust memory."""

    intercepted_binops = frozenset(["*", "**"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variables_read: list[str] = []  # env_var()'s names since the last take_variables_read

    def take_variables_read(self) -> list[str]:
        names = list(self.variables_read)
        self.variables_read.clear()  # the same list: env_var's closure appends to it
        return names

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, jinja2.Undefined):
            obj._fail_with_undefined_error()  # "'x' is undefined", not "unsafe attribute of Undefined"
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, jinja2.Undefined):
            obj._fail_with_undefined_error()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError(f"exponent {right} is too large for a manifest (at most 64)")
        if operator == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
        return super().call_binop(context, operator, left, right)


def _check_repeat(sequence: Any, times: Any) -> None:
    if isinstance(sequence, str | list | tuple) and isinstance(times, int) and \
            len(sequence) * times > MAX_RENDERED_CHARS:
        raise SecurityError(f"repeating a value {times} times would exceed the manifest size limit")


def make_environment(root: Path, offline: bool = False) -> ManifestEnvironment:
    environment = ManifestEnvironment(loader=ProjectLoader(root), undefined=jinja2.StrictUndefined,
                                      keep_trailing_newline=True, autoescape=False, finalize=_finalize)
    # Jinja's own globals (cycler, joiner, lipsum, namespace) are replaced, not added to: a template
    # sees its values, env_var, a bounded range, and dict.
    read = environment.variables_read

    def noted_env_var(name: Any, default: Any = _MISSING) -> Any:
        """env_var, noting each name: a secret-looking variable's value is masked in all output."""
        read.append(str(name))
        return (offline_env_var if offline else env_var)(name, default)

    environment.globals = {"env_var": noted_env_var, "range": safe_range, "dict": dict}
    return environment


def render(environment: SandboxedEnvironment, root: Path, path: Path,
           values: dict[str, Any]) -> tuple[str | None, Problem | None]:
    """Render one manifest file; a failure becomes a Problem at the template's own line."""
    relative = path.relative_to(root).as_posix()
    try:
        return _bounded(environment.get_template(relative), values), None
    except jinja2.TemplateSyntaxError as error:
        file = _relative(root, error.filename) or relative
        message = (error.message or "").rstrip(".")
        if message.startswith("Unexpected end of template"):  # the open block is elsewhere
            return None, Problem(file, error.lineno or 0, 0, "", f"template syntax error: {message}")
        return None, _located(root, file, error.lineno or 0, f"template syntax error: {message}; "
                              "check the {{ }} and {% %} tags on this line")
    except jinja2.TemplateNotFound as error:
        return None, _at_frame(root, error, relative, f"template `{error.name}` not found; paths are "
                               "relative to the project folder (where icsync.yaml is)", str(error.name))
    except SecurityError as error:
        return None, _at_frame(root, error, relative, f"template not allowed: {_security_message(error)}")
    except (BudgetSpent, MemoryError) as error:
        return None, _at_frame(root, error, relative, _stop_message(error))
    except jinja2.UndefinedError as error:
        return None, _at_frame(root, error, relative, f"template error: {_undefined_message(error)}")
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, AttributeError, LookupError,
            RecursionError, OverflowError, OSError) as error:
        if isinstance(error.__context__, BudgetSpent | MemoryError):
            # A stop can land where Jinja cannot map the line back (its traceback rewrite fails).
            return None, Problem(relative, 0, 0, "", _stop_message(error.__context__))
        return None, _at_frame(root, error, relative, f"template error: {type(error).__name__}: {error}")


def _stop_message(error: BaseException) -> str:
    if isinstance(error, MemoryError):
        return ("template stopped: rendering needs more memory than its budget "
                "(ICSYNC_RENDER_MEMORY_MB): a filter that pads, indents or repeats by millions?")
    return f"template stopped: {error}"


def _at_frame(root: Path, error: BaseException, default: str, message: str,
              needle: str | None = None) -> Problem:
    file, line = _template_frame(root, error, default)
    quoted = _QUOTED_NAME.search(str(error))
    return _located(root, file, line, message, needle or (quoted.group(1) if quoted else None))


def _located(root: Path, file: str, line: int, message: str, needle: str | None = None) -> Problem:
    """A problem at the template's line, and at the column of the name or tag that failed."""
    column = 0
    if line:
        try:
            text = (root / file).read_text(errors="replace").splitlines()[line - 1]
        except (OSError, IndexError):
            text = ""
        found = [text.find(probe) for probe in (needle, "{{", "{%") if probe and probe in text]
        column = found[0] + 1 if found else 0
    return Problem(file, line, column, "", message)


def _bounded(template: jinja2.Template, values: dict[str, Any]) -> str:
    """Render, stopping as soon as the output outgrows any manifest (nested loops could run for hours)."""
    chunks: list[str] = []
    size = 0
    for chunk in template.generate(values):
        size += len(chunk)
        if size > MAX_RENDERED_CHARS:
            raise SecurityError(f"the template renders more than {MAX_RENDERED_CHARS // 1024 // 1024} MiB; "
                                "a manifest is a few KiB: check its loops")
        chunks.append(chunk)
    return "".join(chunks)


def _undefined_message(error: jinja2.UndefinedError) -> str:
    text = str(error)
    if text.endswith("is undefined"):
        return f"{text}; define it in this environment's values file, or write `| default(...)`"
    if "has no attribute" in text:
        return f"{text}; check the spelling, or write `| default(...)`"
    return text


def _security_message(error: SecurityError) -> str:
    text = str(error).rstrip(".")
    if text.startswith("access to attribute"):
        return (f"{text}: templates cannot reach Python internals; they see only their values, "
                "env_var(), range() and dict()")
    return text


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
