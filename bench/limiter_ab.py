"""Which client-side rate limiter keeps a rate-limited read closest to the API's bound?

    python bench/limiter_ab.py --components 400 --latency-ms 20 --max-tps 50

Runs the same reads a plan makes (a describe and a ListTags per component, on 32 threads) against a
throttling sandbox twice, in one run: with botocore's adaptive retry mode alone (CUBIC), and with
icsync's RateLimiter (gitsync/ratelimit.py) over standard retries. Prints wall time against the
bound (calls / max tps) and the throttled responses of each.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from plan_scale import Shape, start_sandbox, write_seed

from gitsync import aws
from gitsync.ratelimit import RateLimiter

ARN = "arn:aws:sagemaker:us-east-1:123456789012:inference-component/"


def read_all(clients: aws.Clients, names: list[str], threads: int) -> float:
    def read(name: str) -> None:
        aws.describe_component(clients, name)
        aws.list_tags(clients, ARN + name)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(read, names))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--components", type=int, default=400)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--max-tps", type=float, default=50)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="icsync-limiter-") as temporary:
        work = Path(temporary)
        shapes = [Shape(i, 4) for i in range(args.components)]
        write_seed(work / "seed.yaml", shapes, 4)
        sandbox = start_sandbox(work, work / "seed.yaml", args.latency_ms, args.max_tps)
        names = [f"bench-{s.name}" for s in shapes]
        connection = aws.Connection(endpoint_url=sandbox.url, region="us-east-1",
                                    dummy_credentials=True, pool_size=args.threads + 4)
        bound = 2 * len(names) / args.max_tps
        try:
            for label in ("botocore adaptive", "icsync RateLimiter"):
                clients = aws.Clients(connection)
                if label.startswith("icsync"):
                    clients = aws.paced_reads(clients, RateLimiter())
                time.sleep(1.5)  # the sandbox's bucket refills: both runs start with the same burst
                sandbox.log.write_text("")
                wall = read_all(clients, names, args.threads)
                time.sleep(0.2)
                statuses = collections.Counter(json.loads(line)["status"]
                                               for line in sandbox.log.read_text().splitlines())
                throttled = sum(n for status, n in statuses.items() if status != 200)
                print(f"{label:<20} wall {wall:6.2f} s  bound {bound:6.2f} s  "
                      f"wall/bound {wall / bound:.2f}x  throttled responses {throttled}")
        finally:
            sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
