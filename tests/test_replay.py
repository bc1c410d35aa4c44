"""Describe documents as AWS returns them, replayed by the sandbox, plan as "No changes"."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitsync.sandbox import Sandbox
from tests.helpers import icsync

DATA = Path(__file__).parent / "data" / "replay"


@pytest.fixture
def replay(tmp_path: Path) -> Iterator[tuple[Path, Sandbox]]:
    root = tmp_path / "replay"
    shutil.copytree(DATA, root)
    with Sandbox(port=0, seed=root / "seed.yaml") as sandbox:
        yield root, sandbox


def _plan(root: Path, sandbox: Sandbox) -> Any:
    return icsync("plan", "-C", root, "--env", "prod", "--endpoint-url", sandbox.url, "--detailed-exitcode")


def _adopt(root: Path, sandbox: Sandbox) -> None:
    """The replayed components were made by hand (no ownership tags): the first apply adopts them."""
    result = icsync("apply", "-C", root, "--env", "prod", "--endpoint-url", sandbox.url, "--auto-approve")
    assert result.code == 0 and "Apply: 3 applied." in result.out, result.all


def test_replayed_components_plan_no_changes(replay: tuple[Path, Sandbox]) -> None:
    root, sandbox = replay
    first = _plan(root, sandbox)
    # nothing AWS reported is a difference: the first plan only adopts them (tags, no redeploy)
    assert first.code == 2 and first.out.count("nobody owns it: apply adopts it") == 3, first.all
    assert first.out.count("calls: AddTags\n") == 3 and "Update" not in first.out, first.all
    _adopt(root, sandbox)
    result = _plan(root, sandbox)
    assert result.code == 0, result.all
    assert "No changes." in result.out
    assert "hf_abcdefghijklmnop" not in first.all + result.all


def test_replayed_component_edit_shows_only_that_field(replay: tuple[Path, Sandbox]) -> None:
    root, sandbox = replay
    chat = root / "components" / "chat.yaml"
    _adopt(root, sandbox)
    chat.write_text(chat.read_text().replace("CopyCount: 2", "CopyCount: 3"))
    result = _plan(root, sandbox)
    assert result.code == 2
    assert "~ chat (prod-llm): scale" in result.out
    assert "RuntimeConfig.CopyCount: 2 -> 3" in result.out
    assert "Plan: 0 to create, 1 to update, 0 unchanged." not in result.out  # 2 others are unchanged
    assert "Plan: 0 to create, 1 to update, 2 unchanged." in result.out
