"""How fast is `icsync plan` at scale? Seed a sandbox, write a project, run the plan, print figures.

    python bench/plan_scale.py --components 1000 --endpoints 20 --latency-ms 20 --max-tps 50

The sandbox and icsync both run as subprocesses, as a user would run them; the figures come from
the sandbox's request log (calls, failures) and from the kernel (icsync's CPU time and peak RSS).
"""

from __future__ import annotations

import argparse
import collections
import compileall
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

PROJECT = "bench"
ENVIRONMENT = "bench"
MODELS = 4
ICSYNC = [sys.executable, "-m", "gitsync"]

TEMPLATE = """\
InferenceComponentName: {{{{ prefix }}}}-{name}
EndpointName: {{{{ prefix }}}}-{endpoint}
VariantName: AllTraffic
Specification:
  ModelName: {model}
  Container:
    Image: 111122223333.dkr.ecr.us-east-1.amazonaws.com/serve:{{{{ image_tag }}}}
    Environment:
      LOG_LEVEL: {{{{ log_level }}}}
      MAX_BATCH: "{batch}"
  ComputeResourceRequirements:
    NumberOfCpuCoresRequired: 1
    MinMemoryRequiredInMb: 1024
RuntimeConfig:
  CopyCount: {copies}
Tags:
  - Key: team
    Value: team-{team}
"""
VALUES = {"prefix": "bench", "image_tag": "1.4.2", "log_level": "info"}


@dataclass(frozen=True)
class Shape:
    """One component of the benchmark: its live form, and whether the manifest changes it."""

    index: int
    endpoints: int
    every: int = 10  # every n-th manifest differs from live; 0: none does

    @property
    def name(self) -> str:
        return f"c{self.index:05d}"

    @property
    def endpoint(self) -> str:
        return f"ep{self.index % self.endpoints:03d}"

    @property
    def change(self) -> str | None:
        """Every n-th component differs: alternately a copy count (scale) and an env var (update)."""
        if not self.every or self.index % self.every:
            return None
        return "scale" if self.index // self.every % 2 == 0 else "update"

    def fields(self, changed: bool) -> dict[str, Any]:
        scale = changed and self.change == "scale"
        update = changed and self.change == "update"
        return {"name": self.name, "endpoint": self.endpoint, "model": f"model-{self.index % MODELS}",
                "batch": 16 if update else 8, "copies": 2 if scale else 1, "team": self.index % 7}


def live_body(shape: Shape, owned: bool = True) -> dict[str, Any]:
    """The CreateInferenceComponent request the seed loads: what the manifest said before the change;
    without `owned`, as created by another tool (no icsync ownership tags)."""
    f = shape.fields(changed=False)
    prefix = VALUES["prefix"]
    return {
        "InferenceComponentName": f"{prefix}-{f['name']}",
        "EndpointName": f"{prefix}-{f['endpoint']}",
        "VariantName": "AllTraffic",
        "Specification": {
            "ModelName": f["model"],
            "Container": {"Image": f"111122223333.dkr.ecr.us-east-1.amazonaws.com/serve:"
                                   f"{VALUES['image_tag']}",
                          "Environment": {"LOG_LEVEL": VALUES["log_level"], "MAX_BATCH": str(f["batch"])}},
            "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024},
        },
        "RuntimeConfig": {"CopyCount": f["copies"]},
        "Tags": [{"Key": "team", "Value": f"team-{f['team']}"}]
        + ([{"Key": "icsync:project", "Value": PROJECT},
            {"Key": "icsync:environment", "Value": ENVIRONMENT}] if owned else []),
    }


def write_seed(path: Path, shapes: list[Shape], endpoints: int, owned: bool = True) -> None:
    """JSON is YAML: the sandbox's seed loader reads it as it is, and writing it is instant."""
    per_endpoint = -(-len(shapes) // max(1, endpoints))
    instances = -(-per_endpoint * 3 // 48)  # up to 3 copies each, 48 cores an instance
    seed = {
        "models": [{"ModelName": f"model-{i}", "PrimaryContainer": {"Image": f"serve/model-{i}:1"}}
                   for i in range(MODELS)],
        # Instances enough for every copy (a copy takes 1 of the 48 cores), and room to grow, so
        # that the plan's capacity check passes as it would for a well-sized endpoint.
        "endpoints": [{"EndpointName": f"{VALUES['prefix']}-ep{i:03d}", "InstanceType": "ml.g5.12xlarge",
                       "InstanceCount": instances,
                       "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1,
                                                  "MaxInstanceCount": 2 * instances}}
                      for i in range(endpoints)],
        "inference_components": [live_body(s, owned) for s in shapes],
    }
    path.write_text(json.dumps(seed))


def write_project(root: Path, shapes: list[Shape]) -> None:
    """One templated manifest per component, as a platform team keeps them."""
    (root / "components").mkdir(parents=True)
    (root / "values").mkdir()
    (root / "icsync.yaml").write_text(
        f"name: {PROJECT}\nmanifests: [components/*.yaml]\nenvironments:\n"
        f"  {ENVIRONMENT}:\n    values: values/{ENVIRONMENT}.yaml\n    region: us-east-1\n")
    (root / "values" / f"{ENVIRONMENT}.yaml").write_text(
        "".join(f"{k}: {json.dumps(v)}\n" for k, v in VALUES.items()))
    for shape in shapes:
        (root / "components" / f"{shape.name}.yaml").write_text(
            TEMPLATE.format(**shape.fields(changed=True)))


@dataclass
class Sandbox:
    process: subprocess.Popen[str]
    url: str
    log: Path
    seed_seconds: float

    def deny_bulk_tag_reads(self) -> None:
        """GetResources answers AccessDenied from now on: icsync reads tags with ListTags, one
        component a call, as it does for a role without tag:GetResources."""
        request = urllib.request.Request(
            f"{self.url}/_sandbox/fault", method="POST",
            data=json.dumps({"operation": "GetResources", "kind": "denied", "count": 1000}).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_sandbox(work: Path, seed: Path, latency_ms: float, max_tps: float,
                  *more: str) -> Sandbox:
    """The sandbox in a process of its own, as AWS is one: `more` are further options of it."""
    log = work / "requests.jsonl"
    started = time.perf_counter()
    process = subprocess.Popen(
        [*ICSYNC, "sandbox", "--port", "0", "--seed", str(seed), "--request-log", str(log),
         "--latency-ms", str(latency_ms), "--max-tps", str(max_tps), *more],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=child_env())
    assert process.stdout is not None
    url = process.stdout.readline().strip()  # printed once the seed is loaded and the port is open
    if not url.startswith("http"):
        process.kill()
        raise SystemExit(f"the sandbox did not start (exit {process.wait()})")
    return Sandbox(process, url, log, time.perf_counter() - started)


def child_env() -> dict[str, str]:
    """icsync's environment: no AWS or icsync settings of the caller's, and bytecode cached as in
    an installed icsync (a shell with PYTHONDONTWRITEBYTECODE would compile every module anew in
    every run: a tenth of a second measured as icsync's)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "ICSYNC_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, NO_COLOR="1")
    return env


@dataclass
class Run:
    parallelism: int
    code: int
    wall: float
    cpu: float
    peak_rss_mb: float
    calls: collections.Counter[str] = field(default_factory=collections.Counter)
    failed: collections.Counter[str] = field(default_factory=collections.Counter)
    plan: dict[str, Any] = field(default_factory=dict)
    stderr: str = ""
    first_call: float | None = None  # seconds from start to the first logged API call
    note: str = ""


class FirstCall(threading.Thread):
    """When the sandbox logged the plan's first call: what came before is icsync starting up and
    reading its manifests, what came after is the API phase."""

    def __init__(self, log: Path, started: float) -> None:
        super().__init__(daemon=True)
        self.log, self.started = log, started
        self.at: float | None = None
        self._done = threading.Event()
        self.start()

    def run(self) -> None:
        while not self._done.is_set():
            if self.log.stat().st_size:
                self.at = time.perf_counter() - self.started
                return
            self._done.wait(0.005)

    def stop(self) -> None:
        self._done.set()
        self.join()


def run_plan(project: Path, sandbox: Sandbox, parallelism: int, work: Path, read_rate: float = 0) -> Run:
    """One `icsync plan` subprocess; CPU and RSS come from wait4, for that process alone."""
    sandbox.log.write_text("")
    out_path, err_path = work / "plan.json", work / "plan.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*ICSYNC, "plan", "-C", str(project), "--env", ENVIRONMENT, "--endpoint-url", sandbox.url,
             "--read-parallelism", str(parallelism), "--read-rate", str(read_rate), "--output", "json"],
            stdout=out, stderr=err, env=child_env())
        first_call = FirstCall(sandbox.log, started)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        first_call.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    run = Run(parallelism, process.returncode, wall, usage.ru_utime + usage.ru_stime,
              usage.ru_maxrss / 1024, stderr=err_path.read_text(), first_call=first_call.at)
    time.sleep(0.2)  # the sandbox writes its log line after the response is sent
    for line in sandbox.log.read_text().splitlines():
        entry = json.loads(line)
        run.calls[entry["operation"]] += 1
        if entry["status"] != 200:
            run.failed[entry["operation"]] += 1
    if run.code == 0:
        run.plan = json.loads(out_path.read_text())
    return run


def missing(plan: dict[str, Any], shapes: list[Shape], owned: bool) -> int:
    """Components of the manifests the plan does not account for, or accounts for wrongly. An
    unchanged component nobody owns is adopted (`tag`) by its first apply."""
    unchanged = "noop" if owned else "tag"
    expected = {f"{VALUES['prefix']}-{s.name}": ("scale" if s.change == "scale" else
                                                  "update" if s.change == "update" else unchanged)
                for s in shapes}
    got = {c["name"]: c["action"] for c in plan.get("changes", [])}
    return sum(1 for name, action in expected.items() if got.get(name) != action)


def report(run: Run, shapes: list[Shape], max_tps: float, out: TextIO, owned: bool = True) -> None:
    n = len(shapes)
    total = sum(run.calls.values())
    ok = total - sum(run.failed.values())
    print(f"--- icsync plan, --read-parallelism {run.parallelism}{run.note}", file=out)
    print(f"exit code:          {run.code}", file=out)
    if run.code != 0:
        print(run.stderr.strip()[-2000:], file=out)
    print(f"wall time:          {run.wall:.2f} s", file=out)
    if run.first_call is not None:
        print(f"  start-up:         {run.first_call:.2f} s (to the first API call: imports, manifests)",
              file=out)
        print(f"  API phase:        {run.wall - run.first_call:.2f} s (first API call to exit)", file=out)
    print(f"API calls:          {total} ({ok} succeeded; {total / n:.2f} a component)", file=out)
    for operation, count in sorted(run.calls.items()):
        print(f"  {operation:<32}{count}", file=out)
    failed = ", ".join(f"{op} {count}" for op, count in sorted(run.failed.items())) or "none"
    print(f"failed calls:       {sum(run.failed.values())} ({failed})", file=out)
    print(f"icsync CPU:         {run.cpu:.2f} s ({run.cpu / n * 1000:.2f} ms per component)", file=out)
    print(f"icsync peak RSS:    {run.peak_rss_mb:.0f} MB", file=out)
    print(f"missing from plan:  {missing(run.plan, shapes, owned)} of {n}", file=out)
    if max_tps:
        bound = ok / max_tps
        print(f"API bound:          {bound:.2f} s ({ok} successful calls / {max_tps:g} per s); "
              f"wall / bound = {run.wall / bound:.2f}x", file=out)
        if run.first_call is not None:
            print(f"                    API phase / bound = {(run.wall - run.first_call) / bound:.2f}x",
                  file=out)
    else:
        print("API bound:          none (no rate limit)", file=out)


def breakdown(project: Path, url: str, out: TextIO) -> None:
    """Where a no-latency plan's CPU goes, stage by stage, measured in this process on one thread
    (time.process_time): icsync's own work (render, parse, validate; normalize, diff) against the
    live reads (signing, HTTP, parsing; one describe a component, sent by botocore)."""
    os.environ.update(child_env())
    from gitsync import aws, gather
    from gitsync.manifests.desired import load_desired
    from gitsync.manifests.project import load_project
    from gitsync.planner import PlanSettings, build_plan

    clients = aws.Clients(aws.Connection(region="us-east-1", endpoint_url=url))

    def stages(folder: Path) -> tuple[int, float, float, float]:
        loaded = load_project(folder)
        started = time.process_time()
        desired = load_desired(loaded, loaded.environment(ENVIRONMENT))
        load = time.process_time() - started
        started = time.process_time()
        settings = PlanSettings(environment=ENVIRONMENT, project=loaded.name)
        state = gather.gather(clients, desired, gather.Request(settings, bulk_project=loaded.name,
                                                               parallelism=1))
        reads = time.process_time() - started
        started = time.process_time()
        build_plan(desired, state, settings)
        return len(desired), load, reads, time.process_time() - started

    stages(project.parent / "one")  # once first: service models, Jinja, the clients' first calls
    n, load, reads, planning = stages(project)
    print(f"--- CPU by stage, per component (in-process, one thread, {n} components)", file=out)
    print(f"render, parse, validate:    {load / n * 1000:.2f} ms", file=out)
    print(f"normalize, diff:            {planning / n * 1000:.2f} ms", file=out)
    print(f"  icsync's own work:        {(load + planning) / n * 1000:.2f} ms", file=out)
    print(f"live reads:                 {reads / n * 1000:.2f} ms", file=out)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--max-tps", type=float, default=0, help="The sandbox's rate limit (0: none).")
    parser.add_argument("--parallelism", type=int, default=64,
                        help="icsync --read-parallelism (its default: 64).")
    parser.add_argument("--changed-percent", type=float, default=10,
                        help="Share of manifests that differ from live (0: a no-change plan).")
    parser.add_argument("--baseline", action="store_true", help="Also run with --read-parallelism 1.")
    parser.add_argument("--workdir", type=Path, help="Keep the project and logs here.")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Run each plan this many times and keep the one that used least CPU "
                             "(noisy machines).")
    parser.add_argument("--read-rate", type=float, default=0,
                        help="icsync --read-rate: the read rate icsync is told (0: it learns it).")
    parser.add_argument("--compare-tags", action="store_true",
                        help="Also run the plan with tags read by ListTags, one component a call "
                             "(GetResources denied), and print the ratio.")
    parser.add_argument("--unowned", action="store_true",
                        help="Seed the components as another tool created them: no icsync ownership "
                             "tags (a team tag only).")
    parser.add_argument("--breakdown", action="store_true",
                        help="Also measure the CPU of each stage in-process (render, reads, diff).")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "gitsync", quiet=1)  # as pip does
    with tempfile.TemporaryDirectory(prefix="icsync-bench-") as temporary:
        work = args.workdir or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        every = round(100 / args.changed_percent) if args.changed_percent else 0
        shapes = [Shape(i, args.endpoints, every) for i in range(args.components)]
        started = time.perf_counter()
        write_seed(work / "seed.yaml", shapes, args.endpoints, owned=not args.unowned)
        write_project(work / "project", shapes)
        write_project(work / "one", shapes[:1])
        written = time.perf_counter() - started
        sandbox = start_sandbox(work, work / "seed.yaml", args.latency_ms, args.max_tps)
        try:
            print(f"components {args.components}, endpoints {args.endpoints}, latency {args.latency_ms:g} ms,"
                  f" max tps {args.max_tps or 'none'}; cores {os.cpu_count()}")
            print(f"setup: project and seed written in {written:.2f} s, sandbox seeded and listening "
                  f"in {sandbox.seed_seconds:.2f} s")
            def best(folder: str, parallelism: int) -> Run:
                return min((run_plan(work / folder, sandbox, parallelism, work, args.read_rate)
                            for _ in range(max(1, args.repeat))), key=lambda r: r.cpu)

            fixed = best("one", args.parallelism)
            runs = [best("project", args.parallelism)]
            if args.baseline:
                runs.append(best("project", 1))
            if args.breakdown:
                breakdown(work / "project", sandbox.url, sys.stdout)
            if args.compare_tags:
                sandbox.deny_bulk_tag_reads()
                runs.append(best("project", args.parallelism))
                runs[-1].note = ", tags read with ListTags (GetResources denied)"
        finally:
            sandbox.stop()
        for run in runs:
            report(run, shapes, args.max_tps, sys.stdout, owned=not args.unowned)
        marginal = (runs[0].cpu - fixed.cpu) / max(1, len(shapes) - 1) * 1000
        print(f"--- fixed cost (a 1-component plan, same sandbox): CPU {fixed.cpu:.2f} s, "
              f"wall {fixed.wall:.2f} s; per-component CPU above it: {marginal:.2f} ms")
        if args.baseline:
            print(f"--- speed-up of --read-parallelism {args.parallelism} over 1: "
                  f"{runs[1].wall / runs[0].wall:.1f}x (wall {runs[1].wall:.2f} s / {runs[0].wall:.2f} s)")
        if args.compare_tags:
            one_by_one = runs[-1]
            print(f"--- tags in bulk (GetResources) against one component a call (ListTags, the last "
                  f"run): {sum(one_by_one.calls.values())} -> {sum(runs[0].calls.values())} calls, wall "
                  f"{one_by_one.wall:.2f} s -> {runs[0].wall:.2f} s ({one_by_one.wall / runs[0].wall:.2f}x), "
                  f"CPU {one_by_one.cpu:.2f} s -> {runs[0].cpu:.2f} s")
    return 0 if all(r.code == 0 and not missing(r.plan, shapes, not args.unowned) for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
