"""The benchmark script works end to end at a tiny size (its timings are not checked: see RESULTS.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "bench" / "plan_scale.py"


def test_the_benchmark_runs_and_prints_every_figure(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--components", "20", "--endpoints", "2", "--max-tps", "1000",
         "--baseline", "--breakdown", "--parallelism", "4", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=SCRIPT.parent.parent, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for figure in ("wall time:", "API calls:", "failed calls:", "icsync CPU:", "icsync peak RSS:",
                   "missing from plan:", "API bound:", "speed-up of --read-parallelism 4 over 1:",
                   "icsync's own work:", "live reads:"):
        assert figure in out, figure
    # One list page, one page of tags, and a describe per component, in both runs.
    assert re.findall(r"ListInferenceComponents\s+(\d+)", out) == ["1"] * 2
    assert re.findall(r"GetResources\s+(\d+)", out) == ["1"] * 2
    assert "ListTags" not in out
    assert re.findall(r"DescribeInferenceComponent\s+(\d+)", out) == ["20"] * 2
    assert re.findall(r"missing from plan:\s+(\d+) of 20", out) == ["0"] * 2
    assert (tmp_path / "project" / "components" / "c00019.yaml").is_file()


def test_the_plan_it_checks_has_the_changes_it_wrote(tmp_path: Path) -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import plan_scale
    finally:
        sys.path.remove(str(SCRIPT.parent))
    shapes = [plan_scale.Shape(i, 2) for i in range(40)]
    assert [s.change for s in shapes].count("scale") == 2
    assert [s.change for s in shapes].count("update") == 2
    plan = {"changes": [{"name": f"bench-{s.name}", "action": s.change or "noop"} for s in shapes]}
    assert plan_scale.missing(plan, shapes, owned=True) == 0
    assert plan_scale.missing(plan, shapes, owned=False) == 36  # unowned: each unchanged one is adopted
    plan["changes"].pop()
    plan["changes"][0]["action"] = "noop"
    assert plan_scale.missing(plan, shapes, owned=True) == 2


APPLY_SCRIPT = SCRIPT.parent / "apply_scale.py"


def test_the_apply_benchmark_runs_and_prints_every_figure(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(APPLY_SCRIPT), "--components", "6", "--endpoints", "2", "--deploy-seconds",
         "0.3", "--max-tps", "1000", "--parallelism", "6", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=SCRIPT.parent.parent, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for figure in ("wall time:", "bound:", "API calls:", "failed calls:", "plan afterwards:    No changes."):
        assert figure in out, figure
    assert re.findall(r"UpdateInferenceComponent\s+(\d+)", out) == ["6"]  # one image bump each
    # Waits are read by endpoint: a describe a component for the plan and one to verify, no more.
    assert re.findall(r"DescribeInferenceComponent\s+(\d+)", out) == ["12"]
