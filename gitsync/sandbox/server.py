"""The sandbox's HTTP front: routes SageMaker calls to the emulator, everything else to moto.

One port serves three things: SageMaker's JSON protocol (`X-Amz-Target: SageMaker.*`), a small
control API under `/_sandbox/` for scripted faults, and every other AWS service through moto's server.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from gitsync import model
from gitsync.sandbox import operations, store
from gitsync.sandbox.state import Account, ApiError

StartResponse = Callable[..., Any]
FAULT_KINDS = ("5xx", "throttle", "reset")


@dataclass
class Faults:
    """Scripted faults: the next N calls of an operation fail in a chosen way."""

    queued: dict[str, list[str]] = field(default_factory=dict)
    max_tps: float = 0.0
    latency_s: float = 0.0
    _tokens: float = 0.0
    _stamp: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, operation: str, kind: str, count: int) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
        with self.lock:
            self.queued.setdefault(operation, []).extend([kind] * count)

    def take(self, operation: str) -> str | None:
        with self.lock:
            for key in (operation, "*"):
                if self.queued.get(key):
                    return self.queued[key].pop(0)
            return self._over_rate()

    def _over_rate(self) -> str | None:
        """A token bucket of --max-tps tokens a second, holding at most one second's worth."""
        if not self.max_tps:
            return None
        now = time.monotonic()
        self._tokens = min(self.max_tps, self._tokens + (now - self._stamp) * self.max_tps)
        self._stamp = now
        if self._tokens < 1:
            return "throttle"
        self._tokens -= 1
        return None


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Sandbox:
    """A running emulator. `Sandbox(...).start()` serves on a thread; `serve_forever()` blocks."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, seed: Path | None = None,
                 state: Path | None = None, request_log: Path | None = None,
                 latency_ms: float = 0, max_tps: float = 0, transition_seconds: float = 0,
                 region: str = "us-east-1") -> None:
        self.account = Account(region=region, transition_seconds=transition_seconds)
        self.faults = Faults(max_tps=max_tps, latency_s=latency_ms / 1000)
        self.faults._tokens, self.faults._stamp = max_tps, time.monotonic()
        self.state_path, self.log_path = state, request_log
        self._log_lock = threading.Lock()
        self._moto: Any = None
        if state is not None and state.exists():
            store.load_state(self.account, state)
        elif seed is not None:
            store.load_seed(self.account, seed)
            self._save()
        self._server: BaseWSGIServer = make_server(host, port, self.wsgi, threaded=True,
                                                   request_handler=_QuietHandler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Sandbox:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the Python fault API (the control API calls the same methods) -------------------------
    def fail_calls(self, operation: str, kind: str = "5xx", count: int = 1) -> None:
        self.faults.add(operation, kind, count)

    def fail_next_deployment(self, name: str, reason: str = "Deployment failed: alarm fired") -> None:
        with self.account.lock:
            self.account.fail_next_deployment[name] = reason

    def set_stuck(self, name: str, stuck: bool = True) -> None:
        with self.account.lock:
            (self.account.stuck.add if stuck else self.account.stuck.discard)(name)

    def set_image_digest(self, image: str, digest: str) -> None:
        with self.account.lock:
            self.account.image_digests[image] = digest.removeprefix("sha256:")

    def _save(self) -> None:
        if self.state_path is not None:
            store.save_state(self.account, self.state_path)

    # -- WSGI -------------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if path.startswith("/_sandbox/"):
            return self._control(environ, start_response, path.removeprefix("/_sandbox/"))
        if target.startswith("SageMaker."):
            return self._sagemaker(environ, start_response, target.removeprefix("SageMaker."))
        return self._other_service(environ, start_response)

    def _sagemaker(self, environ: dict[str, Any], start_response: StartResponse,
                   operation: str) -> Iterable[bytes]:
        body = _read_body(environ)
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = None
        if self.faults.latency_s:
            time.sleep(self.faults.latency_s)
        status, response = self._dispatch(environ, operation, params)
        self._log({"operation": operation, "params": params, "status": status})
        return _respond(start_response, status, response)

    def _dispatch(self, environ: dict[str, Any], operation: str,
                  params: Any) -> tuple[int, dict[str, Any]]:
        fault = self.faults.take(operation)
        if fault == "reset":
            _reset_connection(environ)
            return 500, {}
        try:
            if fault:
                raise _fault_error(fault)
            handler = operations.HANDLERS.get(operation)
            if handler is None:
                raise ApiError("UnknownOperationException", f"{operation} is not served by the sandbox")
            if not isinstance(params, dict):
                raise ApiError("SerializationException", "Request body is not a JSON object")
            _validate_request(operation, params)
            with self.account.lock:
                response = handler(self.account, params)
                if not operation.startswith(("Describe", "List")):
                    self._save()
            return 200, response
        except ApiError as error:
            return error.status, {"__type": error.code, "message": error.message}

    def _log(self, entry: dict[str, Any]) -> None:
        if self.log_path is None:
            return
        line = json.dumps(entry, sort_keys=True, default=str) + "\n"
        with self._log_lock, self.log_path.open("a") as out:
            out.write(line)

    def _other_service(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self._moto is None:
            from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

            self._moto = DomainDispatcherApplication(create_backend_app)
        if self.faults.latency_s:
            time.sleep(self.faults.latency_s)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        statuses: list[str] = []

        def recording_start(status: str, headers: Any, *rest: Any) -> Any:
            statuses.append(status)
            return start_response(status, headers, *rest)

        result = self._moto(environ, recording_start)
        code = int(statuses[0].split()[0]) if statuses else 0
        self._log({"operation": target or environ.get("PATH_INFO", ""), "service": "moto",
                   "params": None, "status": code})
        return result  # type: ignore[no-any-return]

    def _control(self, environ: dict[str, Any], start_response: StartResponse,
                 action: str) -> Iterable[bytes]:
        try:
            body = json.loads(_read_body(environ) or b"{}")
            if action == "health":
                return _respond(start_response, 200, {"ok": True})
            if action == "fault":
                self.fail_calls(body["operation"], body.get("kind", "5xx"), int(body.get("count", 1)))
            elif action == "fail-deployment":
                self.fail_next_deployment(body["name"], body.get("reason", "Deployment failed"))
            elif action == "stuck":
                self.set_stuck(body["name"], bool(body.get("stuck", True)))
            elif action == "image":
                self.set_image_digest(body["image"], body["digest"])
            else:
                return _respond(start_response, 404, {"message": f"unknown control action {action}"})
        except (KeyError, ValueError) as error:
            return _respond(start_response, 400, {"message": f"bad control request: {error}"})
        return _respond(start_response, 200, {"ok": True})


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _respond(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(payload))),
               ("x-amzn-RequestId", "sandbox")]
    if "__type" in body:
        headers.append(("x-amzn-ErrorType", body["__type"]))
    start_response(f"{status} {'OK' if status == 200 else 'Error'}", headers)
    return [payload]


def _fault_error(kind: str) -> ApiError:
    if kind == "throttle":
        return ApiError("ThrottlingException", "Rate exceeded", 400)
    return ApiError("InternalFailure", "We encountered an internal error. Please try again.", 500)


def _reset_connection(environ: dict[str, Any]) -> None:
    """Drop the connection with no response, as a network fault would: linger 0 makes it a RST."""
    connection: socket.socket | None = environ.get("werkzeug.socket")
    if connection is None:
        return
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    connection.shutdown(socket.SHUT_RDWR)


def _camel(path: model.Path) -> str:
    return ".".join(p[:1].lower() + p[1:] if isinstance(p, str) else str(p + 1) for p in path)


def _validate_request(operation: str, params: dict[str, Any]) -> None:
    """AWS-style ValidationException for anything that breaks the operation's input shape."""
    problems = model.validate(model.input_shape(operation), params)
    if not problems:
        return
    parts = [f"Value '{_value_at(params, p.path)}' at '{_camel(p.path)}' failed to satisfy constraint: "
             f"{p.constraint or p.message}" for p in problems]
    noun = "error" if len(parts) == 1 else "errors"
    raise ApiError("ValidationException",
                   f"{len(parts)} validation {noun} detected: " + "; ".join(parts))


def _value_at(params: Any, path: model.Path) -> Any:
    for part in path:
        try:
            params = params[part]
        except (KeyError, IndexError, TypeError):
            return None
    return params
