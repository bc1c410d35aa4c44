"""The package's layers hold: no import cycles, and what works offline loads no AWS code.

The import graph is checked by import-linter against the contracts in pyproject.toml (every import,
those inside functions included); the offline commands are also run, to see what they load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
AWS_MODULES = ("gitsync.aws", "gitsync.live", "gitsync.gather", "gitsync.sandbox", "boto3")


def test_the_import_contracts_hold() -> None:
    linter = shutil.which("lint-imports")
    assert linter, "import-linter is a test dependency: pip install -e '.[test]'"
    result = subprocess.run([linter], cwd=ROOT,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout, result.stdout


def test_the_package_type_checks() -> None:
    """mypy over gitsync/, as configured in pyproject.toml (the libraries without types excepted)."""
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT,
                            capture_output=True, text=True, check=False, timeout=600)
    assert "No module named mypy" not in result.stderr, "mypy is a test dependency: pip install -e '.[test]'"
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("argv", [
    ["validate", "-C", "examples/quickstart"],
    ["render", "-C", "examples/quickstart", "--env", "dev"],
    ["schema"],
    ["skeleton"],
])
def test_offline_commands_load_no_aws_code(argv: list[str]) -> None:
    probe = ("import sys\nfrom gitsync.cli import run\ncode = run(sys.argv[1:])\n"
             f"loaded = sorted(m for m in sys.modules if m.startswith({AWS_MODULES!r}))\n"
             "print('LOADED', loaded, file=sys.stderr)\nsys.exit(code)\n")
    result = subprocess.run([sys.executable, "-c", probe, *argv], cwd=ROOT, capture_output=True,
                            text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stderr, result.stderr
