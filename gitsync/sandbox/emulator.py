"""The sandbox as a WSGI app: routes SageMaker calls to the emulator, everything else to moto.

One port serves three things: SageMaker's JSON protocol (`X-Amz-Target: SageMaker.*`), a small
control API under `/_sandbox/` for scripted faults, and every other AWS service through moto's server.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from gitsync import model
from gitsync.errors import ConfigError
from gitsync.sandbox import (
    autoscaling_state,
    components,
    control,
    invocations,
    operations,
    store,
    tagging,
)
from gitsync.sandbox.faults import Faults, fault_error, reset_connection
from gitsync.sandbox.moto_front import MotoFront, mutates_autoscaling
from gitsync.sandbox.pricing import TARGET_PREFIX as PRICE_LIST
from gitsync.sandbox.pricing import serve as price_list
from gitsync.sandbox.state import Account, ApiError
from gitsync.sandbox.switches import Switches
from gitsync.sandbox.timing import Timing
from gitsync.sandbox.wire import (
    StartResponse,
    read_body,
    request_json,
    respond,
    shaped,
    signed_region,
    validate_request,
)

_READ_ONLY = ("Describe", "List")
HANDLERS = {**operations.HANDLERS, **components.HANDLERS}


class Emulator:
    """One emulated AWS account (one state per region), its scripted faults and request log,
    answering WSGI calls. `account` is the home region's state (`region`), which the fault API
    and the seed act on; a region first signed for later starts from the seed too."""

    def __init__(self, *, seed: Path | None = None, state: Path | None = None,
                 request_log: Path | None = None, latency_ms: float = 0, max_tps: float = 0,
                 transition_seconds: float = 0, speed: float | None = None,
                 region: str = "us-east-1") -> None:
        if speed is not None and transition_seconds:
            raise ConfigError("--speed and --transition-seconds exclude each other: --speed plays "
                              "real durations, --transition-seconds one flat duration for all")
        if speed is not None and speed < 0:
            raise ConfigError(f"--speed must be 0 or more, not {speed}")
        self.region, self.seed = region, seed
        self.timing, self.switches = Timing(speed, transition_seconds), Switches()
        self._lock = threading.RLock()  # one lock for every region: a save reads them all
        self.accounts: dict[str, Account] = {}
        # Application Auto Scaling's targets and policies, which moto serves (every region): kept
        # as plain JSON (autoscaling_state.dump) so that --state saves them with the rest.
        self.application_autoscaling: dict[str, Any] = {}
        self.faults = Faults(max_tps=max_tps, latency_s=latency_ms / 1000)
        self.state_path, self.log_path = state, request_log
        self._log_lock = threading.Lock()
        self._moto = MotoFront(self._restore_autoscaling)
        self._tag_index: dict[str, dict[str, str]] | None = None  # frozen: GetResources lags
        if request_log is not None:
            _check_writable(request_log, "--request-log")
        if state is not None:
            _check_writable(state, "--state")
        if state is not None and state.exists():
            store.load_state(self, state)
        self.account = self.account_for(region)
        if seed is not None:
            self._save()

    def account_for(self, region: str) -> Account:
        """The state of `region`, made (from the seed, if any) on its first use."""
        with self._lock:
            if region not in self.accounts:
                self.accounts[region] = self.new_account(region)
                if self.seed is not None:
                    store.load_seed(self.accounts[region], self.seed)
            return self.accounts[region]

    def new_account(self, region: str) -> Account:
        return Account(region=region, timing=self.timing, switches=self.switches, lock=self._lock)

    # -- the Python fault API (the control API calls the same methods) -------------------------
    def fail_calls(self, operation: str, kind: str = "5xx", count: int = 1) -> None:
        """The next `count` calls of `operation` ("*": any) fail with a 5xx, a throttle or a reset."""
        self.faults.add(operation, kind, count)

    def fail_next_deployment(self, name: str, reason: str = "Deployment failed: alarm fired") -> None:
        """The next deployment of `name` fails with `reason`; an update rolls back to the old spec."""
        with self.account.lock:
            self.account.fail_next_deployment[name] = reason

    def set_stuck(self, name: str, stuck: bool = True) -> None:
        """Hold `name`'s transition (Creating, Updating, Deleting) until released: the one under
        way, even if its time is up but nobody has looked since, or else the next one."""
        with self.account.lock:
            (self.account.stuck.add if stuck else self.account.stuck.discard)(name)

    def set_image_digest(self, image: str, digest: str) -> None:
        """Point the tag `image` at `digest`: the next deployment resolves to it."""
        with self.account.lock:
            self.account.set_image_digest(image, digest)
            self._save()

    def freeze_tag_index(self, frozen: bool = True) -> None:
        """GetResources answers from the tags as they are now until unfrozen, as AWS's eventually
        consistent tagging index can lag behind AddTags and DeleteTags."""
        with self.account.lock:
            self._tag_index = {arn: dict(tags) for arn, tags in self.account.tags.items()} \
                if frozen else None

    def set_speed(self, speed: float) -> None:
        """From now on, transitions play real durations times `speed` (the flat duration goes)."""
        if speed < 0:
            raise ValueError(f"speed must be 0 or more, not {speed}")
        with self._lock:
            self.timing.speed, self.timing.flat_seconds = speed, 0.0

    def set_session_seconds(self, seconds: int | None) -> None:
        """STS's AssumeRole and AssumeRoleWithWebIdentity sessions last at most `seconds` (None: as
        asked); AWS's shortest is 900 s, which botocore refreshes before nearly every call."""
        self._moto.session_seconds = seconds

    def set_switches(self, **values: bool) -> None:
        """Turn named unverified behaviours (switches.py) on or off, for every region."""
        with self._lock:
            self.switches.update(values)
            self._save()

    def script_invocations(self, name: str, script: dict[str, Any]) -> None:
        """How `name`'s container answers InvokeEndpoint from now on (invocations.py); {}: echo."""
        checked = invocations.check_script(script)
        with self.account.lock:
            self.account.invocations[name] = checked
            self._save()

    def _save(self) -> None:
        if self.state_path is not None:
            store.save_state(self, self.state_path)

    def _restore_autoscaling(self) -> None:
        """moto starts empty: a saved state's targets and policies go back in on its first call."""
        if self.state_path is not None:
            autoscaling_state.restore(self.application_autoscaling)

    # -- WSGI -------------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if path.startswith("/_sandbox/"):
            return control.serve(self, environ, start_response, path.removeprefix("/_sandbox/"))
        if self.faults.latency_s:
            time.sleep(self.faults.latency_s)
        invoked = invocations.PATH.match(path)
        if invoked and environ.get("REQUEST_METHOD") == "POST":
            return self._invoke(environ, start_response, invoked.group(1))
        if target.startswith("SageMaker."):
            return self._sagemaker(environ, start_response, target.removeprefix("SageMaker."))
        if target == tagging.TARGET:
            return self._tagging(environ, start_response)
        if target.startswith(PRICE_LIST):  # moto does not serve the Price List API
            operation, params = target.removeprefix(PRICE_LIST), request_json(read_body(environ))
            region = signed_region(environ) or self.region
            return self._answer(environ, start_response,
                                {"service": "pricing", "operation": operation, "params": params},
                                lambda: price_list(operation, params, region))
        return self._other_service(environ, start_response)

    def _sagemaker(self, environ: dict[str, Any], start_response: StartResponse,
                   operation: str) -> Iterable[bytes]:
        params = request_json(read_body(environ))
        return self._answer(environ, start_response, {"operation": operation, "params": params},
                            lambda: self._call(environ, operation, params))

    def _invoke(self, environ: dict[str, Any], start_response: StartResponse,
                endpoint: str) -> Iterable[bytes]:
        """sagemaker-runtime's InvokeEndpoint (a REST path, not an X-Amz-Target)."""
        account = self.account_for(signed_region(environ) or self.region)
        component = environ.get(invocations.COMPONENT_HEADER, "")
        entry = {"service": "sagemaker-runtime", "operation": "InvokeEndpoint",
                 "params": {"EndpointName": endpoint, "InferenceComponentName": component}}
        try:
            status, body = invocations.serve(account, environ, start_response, endpoint,
                                             read_body(environ))
        except ConnectionResetError:
            self._log({**entry, "status": 0})
            raise
        self._log({**entry, "status": status})
        return body

    def _tagging(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """GetResources for SageMaker resource types from the sandbox's tags; anything else, moto."""
        body = read_body(environ)
        params = request_json(body)
        if not tagging.serves(params):
            environ["wsgi.input"] = io.BytesIO(body)
            return self._other_service(environ, start_response)

        account = self.account_for(signed_region(environ) or self.region)

        def get_resources() -> dict[str, Any]:
            with account.lock:
                frozen = self._tag_index is not None and account is self.account
                return tagging.get_resources(self._tag_index if frozen else account.tags, params)  # type: ignore[arg-type]

        entry = {"service": "tagging", "operation": tagging.OPERATION, "params": params}
        return self._answer(environ, start_response, entry, get_resources)

    def _answer(self, environ: dict[str, Any], start_response: StartResponse, entry: dict[str, Any],
                call: Callable[[], dict[str, Any]]) -> Iterable[bytes]:
        """One call the sandbox serves itself: its scripted fault (or the rate limit) first, then
        `call`; AWS's error shapes for what fails; logged as `entry`."""
        fault = self.faults.take(entry["operation"])
        if fault == "reset":
            self._log({**entry, "status": 0})
            reset_connection(environ)
        try:
            if fault:
                raise fault_error(fault)
            status, response = 200, call()
        except ApiError as error:
            status, response = error.status, {"__type": error.code, "message": error.message}
        except Exception as error:  # noqa: BLE001 - a sandbox bug answers as AWS's own failures do
            status, response = 500, {"__type": "InternalFailure",
                                     "message": f"sandbox error: {type(error).__name__}: {error}"}
        self._log({**entry, "status": status})
        return respond(start_response, status, response)

    def _call(self, environ: dict[str, Any], operation: str, params: Any) -> dict[str, Any]:
        handler = HANDLERS.get(operation)
        if handler is None:
            raise ApiError("UnknownOperationException",
                           f"The operation {operation} is not served by the sandbox.")
        if not isinstance(params, dict):
            raise ApiError("SerializationException", "Request body is not a JSON object.")
        validate_request(operation, params)
        # Each region is its own state, and its ARNs carry the region, as AWS's do.
        account = self.account_for(signed_region(environ) or self.region)
        with account.lock:
            response = handler(account, params)
            if not operation.startswith(_READ_ONLY):
                self._save()
        return shaped(model.output_shape(operation), response)

    def _other_service(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        result, entry = self._moto(environ, start_response)
        self._log(entry)
        if mutates_autoscaling(entry):
            with self._lock:  # dump and write as one step: the last write is the newest
                self.application_autoscaling = autoscaling_state.dump()
                self._save()
        return result

    def _log(self, entry: dict[str, Any]) -> None:
        if self.log_path is None:
            return
        line = json.dumps(entry, sort_keys=True, default=str) + "\n"
        with self._log_lock, self.log_path.open("a") as out:
            out.write(line)


def _check_writable(path: Path, option: str) -> None:
    """Fail at start, with the file named, rather than on the first call that writes to it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"{option} {path}: {error.strerror}") from None
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise ConfigError(f"{option} {path}: not writable")
