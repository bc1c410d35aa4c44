"""The repository itself: no merge left half done in a file that is kept."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def test_no_file_keeps_a_merge_conflict_marker() -> None:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    files = [ROOT / f for f in listed.stdout.decode().split("\0") if f] if listed.returncode == 0 \
        else [p for p in ROOT.rglob("*") if ".git" not in p.parts and "node_modules" not in p.parts]
    marked = []
    for path in files:
        if not path.is_file() or path.suffix in (".png", ".gz", ".whl"):
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        if MARKER.search(text):
            marked.append(path.relative_to(ROOT).as_posix())
    assert marked == [], f"merge conflict markers left in: {', '.join(marked)}"
