"""How close to its bound does `icsync apply` run? N image bumps over E endpoints, deployments that
take D seconds, an API rate limit; prints wall time against the bound, calls by operation, failures.

    python bench/apply_scale.py --components 60 --endpoints 12 --deploy-seconds 8 --max-tps 20 \\
        --parallelism 60 --baseline

The bound: the deployments run side by side, so the last ends D seconds after its update was sent,
and the calls that cannot be avoided (the plan's describe, the update, the describe that verifies
it: 3 a component) go at most at the rate limit: D + 3N / rate. The sandbox and icsync run as
subprocesses, as a user runs them; the figures come from the sandbox's request log. `--baseline`
also runs `--parallelism 10` (icsync's default) on a fresh sandbox in the same run.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from plan_scale import (
    ENVIRONMENT,
    ICSYNC,
    VALUES,
    Shape,
    child_env,
    start_sandbox,
    write_project,
    write_seed,
)

CALLS_NEEDED = 3  # a component: the plan's describe, the update, the describe that verifies it
NEW_TAG = "1.4.3"  # every manifest's image tag; the seed deploys VALUES' (1.4.2)


@dataclass
class Run:
    parallelism: int
    code: int
    wall: float
    calls: collections.Counter[str] = field(default_factory=collections.Counter)
    failed: collections.Counter[str] = field(default_factory=collections.Counter)
    after: str = ""  # what a plan right after the apply says
    stderr: str = ""


def run_apply(work: Path, args: argparse.Namespace, parallelism: int) -> Run:
    """A fresh sandbox, one `icsync apply` subprocess, then a plan that should find nothing to do."""
    sandbox = start_sandbox(work, work / "seed.yaml", args.latency_ms, args.max_tps,
                            "--transition-seconds", str(args.deploy_seconds))
    log = sandbox.log
    common = ["-C", str(work / "project"), "--env", ENVIRONMENT, "--endpoint-url", sandbox.url]
    try:
        log.write_text("")
        started = time.perf_counter()
        done = subprocess.run([*ICSYNC, "apply", *common, "--auto-approve", "--parallelism",
                               str(parallelism), *(["--read-rate", str(args.read_rate)]
                                                   if args.read_rate else [])],
                              capture_output=True, text=True, env=child_env(), check=False)
        run = Run(parallelism, done.returncode, time.perf_counter() - started, stderr=done.stderr)
        time.sleep(0.2)  # the sandbox writes its log line after the response is sent
        for line in log.read_text().splitlines():
            entry = json.loads(line)
            run.calls[entry["operation"]] += 1
            if entry["status"] != 200:
                run.failed[entry["operation"]] += 1
        after = subprocess.run([*ICSYNC, "plan", *common], capture_output=True, text=True,
                               env=child_env(), check=False)
        run.after = "No changes." if "No changes." in after.stdout else after.stdout[-500:]
    finally:
        sandbox.stop()
    return run


def report(run: Run, args: argparse.Namespace) -> None:
    n = args.components
    total = sum(run.calls.values())
    bound = args.deploy_seconds + CALLS_NEEDED * n / args.max_tps if args.max_tps else args.deploy_seconds
    print(f"--- icsync apply --parallelism {run.parallelism}")
    print(f"exit code:          {run.code}")
    if run.code != 0:
        print(run.stderr.strip()[-2000:])
    print(f"wall time:          {run.wall:.2f} s")
    print(f"bound:              {bound:.2f} s ({args.deploy_seconds:g} s deployment + {CALLS_NEEDED} x {n} "
          f"calls / {args.max_tps or 'no limit':} per s); wall / bound = {run.wall / bound:.2f}x")
    print(f"API calls:          {total} ({total / n:.2f} a component)")
    for operation, count in sorted(run.calls.items()):
        print(f"  {operation:<40}{count}")
    failed = ", ".join(f"{op} {count}" for op, count in sorted(run.failed.items())) or "none"
    print(f"failed calls:       {sum(run.failed.values())} ({failed}; throttles are retried)")
    print(f"plan afterwards:    {run.after}")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--components", type=int, default=60)
    parser.add_argument("--endpoints", type=int, default=12)
    parser.add_argument("--deploy-seconds", type=float, default=8,
                        help="How long each deployment lasts (the sandbox's --transition-seconds).")
    parser.add_argument("--max-tps", type=float, default=20, help="The sandbox's rate limit (0: none).")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--parallelism", type=int, default=60, help="icsync apply --parallelism.")
    parser.add_argument("--read-rate", type=float, default=0,
                        help="icsync --read-rate: the rate icsync is told (0: it learns it).")
    parser.add_argument("--baseline", action="store_true", help="Also run with --parallelism 10.")
    parser.add_argument("--workdir", type=Path, help="Keep the project and logs here.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    with tempfile.TemporaryDirectory(prefix="icsync-bench-") as temporary:
        work = args.workdir or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        shapes = [Shape(i, args.endpoints, every=0) for i in range(args.components)]
        write_seed(work / "seed.yaml", shapes, args.endpoints)
        write_project(work / "project", shapes)
        (work / "project" / "values" / f"{ENVIRONMENT}.yaml").write_text("".join(
            f"{k}: {json.dumps(NEW_TAG if k == 'image_tag' else v)}\n" for k, v in VALUES.items()))
        print(f"components {args.components}, endpoints {args.endpoints}, deployments "
              f"{args.deploy_seconds:g} s, max tps {args.max_tps or 'none'}, latency {args.latency_ms:g} ms")
        runs = [run_apply(work, args, args.parallelism)]
        if args.baseline:
            runs.append(run_apply(work, args, 10))
        for run in runs:
            report(run, args)
        if args.baseline:
            print(f"--- --parallelism {args.parallelism} against 10: wall {runs[1].wall:.2f} s -> "
                  f"{runs[0].wall:.2f} s ({runs[1].wall / runs[0].wall:.2f}x)")
    return 0 if all(r.code == 0 and r.after == "No changes." for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
