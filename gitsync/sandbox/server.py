"""The sandbox's HTTP front: routes SageMaker calls to the emulator, everything else to moto.

One port serves three things: SageMaker's JSON protocol (`X-Amz-Target: SageMaker.*`), a small
control API under `/_sandbox/` for scripted faults, and every other AWS service through moto's server.
"""

from __future__ import annotations

import io
import json
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from gitsync.errors import ConfigError
from gitsync.sandbox import autoscaling_state, components, moto_patches, operations, store, tagging
from gitsync.sandbox.faults import Faults, fault_error, reset_connection
from gitsync.sandbox.state import Account, ApiError
from gitsync.sandbox.wire import StartResponse, read_body, respond, signed_region, validate_request

_READ_ONLY = ("Describe", "List")
HANDLERS = {**operations.HANDLERS, **components.HANDLERS}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Sandbox:
    """A running emulator. `Sandbox(...).start()` serves on a thread; `serve_forever()` blocks."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, seed: Path | None = None,
                 state: Path | None = None, request_log: Path | None = None,
                 latency_ms: float = 0, max_tps: float = 0, transition_seconds: float = 0,
                 region: str = "us-east-1") -> None:
        self.region = region
        self.account = Account(region=region, transition_seconds=transition_seconds)
        self.faults = Faults(max_tps=max_tps, latency_s=latency_ms / 1000)
        self.state_path, self.log_path = state, request_log
        self._log_lock, self._moto_lock = threading.Lock(), threading.Lock()
        self._moto: Any = None
        self._tag_index: dict[str, dict[str, str]] | None = None  # frozen: GetResources lags
        if request_log is not None:
            _check_writable(request_log, "--request-log")
        if state is not None:
            _check_writable(state, "--state")
        if state is not None and state.exists():
            store.load_state(self.account, state)
        elif seed is not None:
            store.load_seed(self.account, seed)
            self._save()
        listening = _listen(host, port)
        try:
            self._server: BaseWSGIServer = make_server(host, port, self.wsgi, threaded=True,
                                                       request_handler=_QuietHandler,
                                                       fd=listening.fileno())
        finally:
            listening.close()  # werkzeug serves on its own duplicate of the socket
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        # A short poll keeps stop() quick: shutdown waits for the serving loop's next poll.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve until interrupted; werkzeug closes the socket on KeyboardInterrupt."""
        self._server.serve_forever()

    def stop(self) -> None:
        """End serving on the thread `start()` began, and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self.close()

    def close(self) -> None:
        """Release the port (idempotent)."""
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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

    def _save(self) -> None:
        if self.state_path is not None:
            store.save_state(self.account, self.state_path)

    # -- WSGI -------------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if path.startswith("/_sandbox/"):
            return self._control(environ, start_response, path.removeprefix("/_sandbox/"))
        if self.faults.latency_s:
            time.sleep(self.faults.latency_s)
        if target.startswith("SageMaker."):
            return self._sagemaker(environ, start_response, target.removeprefix("SageMaker."))
        if target == tagging.TARGET:
            return self._tagging(environ, start_response)
        return self._other_service(environ, start_response)

    def _sagemaker(self, environ: dict[str, Any], start_response: StartResponse,
                   operation: str) -> Iterable[bytes]:
        params = _json(read_body(environ))
        return self._answer(environ, start_response, {"operation": operation, "params": params},
                            lambda: self._call(environ, operation, params))

    def _tagging(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """GetResources for SageMaker resource types from the sandbox's tags; anything else, moto."""
        body = read_body(environ)
        params = _json(body)
        if not tagging.serves(params):
            environ["wsgi.input"] = io.BytesIO(body)
            return self._other_service(environ, start_response)

        def get_resources() -> dict[str, Any]:
            with self.account.lock:
                return tagging.get_resources(self.account.tags if self._tag_index is None
                                             else self._tag_index, params)

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
        with self.account.lock:
            # ARNs carry the region the request was signed for, as AWS's do.
            self.account.region = signed_region(environ) or self.region
            response = handler(self.account, params)
            if not operation.startswith(_READ_ONLY):
                self._save()
        return response

    def _log(self, entry: dict[str, Any]) -> None:
        if self.log_path is None:
            return
        line = json.dumps(entry, sort_keys=True, default=str) + "\n"
        with self._log_lock, self.log_path.open("a") as out:
            out.write(line)

    def _moto_app(self) -> Any:
        with self._moto_lock:
            if self._moto is None:
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    create_backend_app,
                )

                moto_patches.apply()
                if self.state_path is not None:
                    autoscaling_state.restore(self.account.application_autoscaling)
                self._moto = DomainDispatcherApplication(create_backend_app)
            return self._moto

    def _other_service(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        app = self._moto_app()
        entry = _describe_moto_call(environ)
        statuses: list[str] = []

        def recording_start(status: str, headers: Any, *rest: Any) -> Any:
            statuses.append(status)
            return start_response(status, headers, *rest)

        result = app(environ, recording_start)
        status = int(statuses[0].split()[0]) if statuses else 0
        self._log({**entry, "status": status})
        if status == 200 and entry["operation"] in autoscaling_state.MUTATING:
            with self.account.lock:  # dump and write as one step: the last write is the newest
                self.account.application_autoscaling = autoscaling_state.dump()
                self._save()
        return result  # type: ignore[no-any-return]

    def _control(self, environ: dict[str, Any], start_response: StartResponse,
                 action: str) -> Iterable[bytes]:
        try:
            body = json.loads(read_body(environ) or b"{}")
            if action == "health":
                return respond(start_response, 200, {"ok": True})
            if action == "fault":
                self.fail_calls(body["operation"], body.get("kind", "5xx"), int(body.get("count", 1)))
            elif action == "fail-deployment":
                self.fail_next_deployment(body["name"], body.get("reason", "Deployment failed"))
            elif action == "stuck":
                self.set_stuck(body["name"], bool(body.get("stuck", True)))
            elif action == "tag-index":
                self.freeze_tag_index(bool(body.get("frozen", True)))
            elif action == "image":
                self.set_image_digest(body["image"], body["digest"])
            else:
                return respond(start_response, 404, {"message": f"unknown control action {action}"})
        except (KeyError, ValueError, TypeError) as error:
            return respond(start_response, 400, {"message": f"bad control request: {error!r}"})
        return respond(start_response, 200, {"ok": True})


def _json(body: bytes) -> Any:
    """A request body's JSON; None when it is not JSON (the call then fails as AWS's would)."""
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return None


def _check_writable(path: Path, option: str) -> None:
    """Fail at start, with the file named, rather than on the first call that writes to it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"{option} {path}: {error.strerror}") from None
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise ConfigError(f"{option} {path}: not writable")


def _listen(host: str, port: int) -> socket.socket:
    """Bind here rather than in werkzeug, which exits the process when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(128)
    except OSError as error:
        listening.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return listening


def _describe_moto_call(environ: dict[str, Any]) -> dict[str, Any]:
    """The request-log entry of a call moto serves: its operation and parameters, where readable.

    The body is read here and put back, so moto still sees it.
    """
    scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=", 1)[-1].split("/")
    service = scope[3] if len(scope) > 4 else ""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    body = b""
    if environ.get("CONTENT_LENGTH"):
        body = read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
    if target:
        return {"service": service, "operation": target.rsplit(".", 1)[-1], "params": _json(body)}
    form: dict[str, str] = {}
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    if "Action" in form:
        action = form.pop("Action")
        form.pop("Version", None)
        return {"service": service, "operation": action, "params": form}
    operation = f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"
    return {"service": service, "operation": operation, "params": None}
