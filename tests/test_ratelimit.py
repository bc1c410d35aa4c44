"""The read rate limiter: unlimited until throttled, then just under the rate the API admitted."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitsync import ratelimit
from gitsync.ratelimit import RateLimiter
from gitsync.sandbox import Sandbox
from tests.helpers import demo_project, icsync, write


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_no_waiting_before_the_first_throttle() -> None:
    clock = Clock()
    limiter = RateLimiter(clock, clock.sleep)
    for _ in range(500):
        limiter.acquire()
        limiter.succeeded()
    assert limiter.rate is None and clock.slept == []


def test_the_rate_settles_just_under_what_the_api_admitted() -> None:
    """An API that admits 50 calls a second, called as fast as threads can: after the first
    second the limiter sends just under 50 a second, and the API stops throttling."""
    clock = Clock()
    limiter = RateLimiter(clock, clock.sleep)
    last_admitted, outcomes = 0.0, []
    for _ in range(600):
        clock.now += 0.004
        limiter.acquire()
        admitted = clock.now - last_admitted >= 1 / 50
        if admitted:
            last_admitted = clock.now
            limiter.succeeded()
        else:
            limiter.throttled()
        outcomes.append(admitted)
    assert limiter.rate is not None
    assert 50 * ratelimit.MARGIN * 0.95 <= limiter.rate <= 50
    assert all(outcomes[-300:])


def test_answers_still_on_their_way_at_the_first_throttle_do_not_lower_what_it_learns() -> None:
    """The API admits 50 calls a second, but when its first throttle is read only 40 successes
    have been: what the limiter measures next is the API's rate, not the 40 it had seen."""
    clock = Clock()
    limiter = RateLimiter(clock, clock.sleep)
    for _ in range(40):
        clock.now += 0.0025
        limiter.succeeded()
    limiter.throttled()
    tokens, stamp = 0.0, clock.now
    end = clock.now + 3
    while clock.now < end:
        limiter.acquire()
        tokens = min(50.0, tokens + (clock.now - stamp) * 50)
        stamp = clock.now
        if tokens >= 1:
            tokens -= 1
            limiter.succeeded()
        else:
            limiter.throttled()
        clock.now += 0.001  # threads call again at once
    assert limiter.rate is not None
    assert 50 * ratelimit.MARGIN * 0.95 <= limiter.rate <= 50


def learned(clock: Clock, per_second: int) -> RateLimiter:
    """A limiter that was throttled once, then saw the API admit `per_second` calls a second."""
    limiter = RateLimiter(clock, clock.sleep)
    limiter.throttled()
    for _ in range(int(ratelimit.MEASURE * per_second) + 1):
        clock.now += 1 / per_second
        limiter.succeeded()
    assert limiter.rate is not None
    return limiter


def test_calls_are_spaced_at_the_rate_once_it_is_set() -> None:
    clock = Clock()
    limiter = learned(clock, 40)
    assert limiter.rate == pytest.approx(40 * ratelimit.MARGIN, rel=0.06)
    start = clock.now
    for _ in range(21):
        limiter.acquire()
    assert abs((clock.now - start) - 20 / limiter.rate) < 0.03


def lowered(clock: Clock, throttles: int) -> tuple[RateLimiter, float]:
    """A limiter that learned 40 calls a second, then, ECHO seconds later, read `throttles`
    throttles; and the rate it had learned."""
    limiter = learned(clock, 40)
    learnt = limiter.rate
    assert learnt is not None
    clock.now += ratelimit.ECHO
    for _ in range(throttles):
        limiter.throttled()
    return limiter, learnt


def test_echoes_of_one_throttle_lower_the_rate_once() -> None:
    limiter, learnt = lowered(Clock(), 10)
    assert limiter.rate == learnt * ratelimit.BACKOFF


def test_a_lowered_rate_climbs_back_to_the_learned_one_and_no_higher() -> None:
    clock = Clock()
    limiter, learnt = lowered(clock, 1)  # a stray throttle
    assert limiter.rate == pytest.approx(learnt * ratelimit.BACKOFF)
    clock.now += ratelimit.RECOVER / 2
    limiter.succeeded()
    assert limiter.rate == pytest.approx(learnt * ratelimit.BACKOFF)  # not yet
    for _ in range(400):  # ten seconds of calls, none throttled
        limiter.acquire()
        limiter.succeeded()
    assert limiter.rate == pytest.approx(learnt)


def test_too_few_successes_measure_again_instead_of_crawling() -> None:
    clock = Clock()
    limiter = RateLimiter(clock, clock.sleep)
    limiter.throttled()  # the very first call: nothing is known yet
    clock.now += ratelimit.MEASURE
    limiter.succeeded()
    assert limiter.rate is None


def test_a_rate_given_paces_calls_from_the_first_and_only_backs_off() -> None:
    clock = Clock()
    limiter = RateLimiter(clock, clock.sleep, rate=25)
    start = clock.now
    for _ in range(51):
        limiter.acquire()
        limiter.succeeded()
    assert clock.now - start == pytest.approx(50 / 25, abs=0.01)
    limiter.throttled()
    assert limiter.rate == 25 * ratelimit.BACKOFF  # no measuring: the caller knew the rate


def test_a_lower_rate_gives_out_no_turn_before_those_already_given() -> None:
    """Threads waiting for their turns send when their turn comes. A turn handed out after the
    rate drops must come after theirs: handed out beside them, the calls bunch up above the rate,
    are throttled, lower it again, and so on (a 1,000-component plan took 2.4x its bound so)."""
    clock = Clock()
    waits: list[float] = []
    limiter = RateLimiter(clock, waits.append, rate=40)  # sleeping threads: the clock stands still
    for _ in range(20):
        limiter.acquire()
    assert waits[-1] == pytest.approx(19 / 40)
    limiter.throttled()
    assert limiter.rate == pytest.approx(40 * ratelimit.BACKOFF)
    limiter.acquire()
    assert waits[-1] == pytest.approx(20 / 40)  # the turn after the last one given, not 1/36 s


def _throttled_account(tmp_path: Path, extra: tuple[str, ...]) -> tuple[list[str], str]:
    names = [f"web-{i}" for i in range(20)]
    root = demo_project(tmp_path / "p")
    write(root, {f"components/{n}.yaml": (root / "components/web.yaml").read_text()
                 .replace("{{ name }}", n) for n in names})
    (root / "components/web.yaml").unlink()
    log = tmp_path / "requests.jsonl"
    with Sandbox(port=0, request_log=log) as sandbox:
        import boto3

        client = boto3.client("sagemaker", endpoint_url=sandbox.url, region_name="us-east-1")
        client.create_model(ModelName="model-a", PrimaryContainer={"Image": "img/a:1"})
        client.create_endpoint_config(EndpointConfigName="ep-config",
                                      ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker", ProductionVariants=[
            {"VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1,
             # room for every copy, so that the plan's capacity check lets the apply through
             "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 64}}])
        client.create_endpoint(EndpointName="ep", EndpointConfigName="ep-config")
        assert icsync("apply", "-C", root, "--env", "dev", "--endpoint-url", sandbox.url,
                      "--auto-approve").code == 0
        sandbox.faults.max_tps = 10  # from here on the account admits 10 calls a second
        log.write_text("")
        result = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", sandbox.url,
                        "--detailed-exitcode", *extra)
    assert result.code == 0, result.all
    assert "No changes." in result.out
    return [line for line in log.read_text().splitlines() if '"status": 400' in line], result.out


def test_a_throttled_account_still_gets_a_whole_plan(tmp_path: Path) -> None:
    """Through the CLI against a sandbox that throttles: retried, paced, nothing missing."""
    throttled, _ = _throttled_account(tmp_path, ())
    assert throttled, "the sandbox never throttled: the test proves nothing"


def test_a_known_rate_is_never_throttled(tmp_path: Path) -> None:
    throttled, _ = _throttled_account(tmp_path, ("--read-rate", "9"))
    assert throttled == []
