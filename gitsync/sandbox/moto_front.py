"""Every AWS service but SageMaker, served by moto's server app, with each call logged."""

from __future__ import annotations

import io
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from gitsync.sandbox import autoscaling_state, moto_patches
from gitsync.sandbox.wire import StartResponse, read_body, request_json

SESSIONS = ("AssumeRole", "AssumeRoleWithWebIdentity")
DEFAULT_SESSION_SECONDS = 3600  # STS's, when a call names no DurationSeconds
STS_VERSION = "2011-06-15"


class MotoFront:
    """moto's server app, built on the first call (moto takes a second to import)."""

    def __init__(self, restore_autoscaling: Callable[[], None]) -> None:
        self._restore_autoscaling = restore_autoscaling
        self._lock = threading.Lock()
        self._app: Any = None
        # STS sessions last at most this long (None: as asked, else AWS's default hour). botocore
        # asks no length for web identity, so only this lets a short test outlive its credentials.
        self.session_seconds: int | None = None

    def _built(self) -> Any:
        with self._lock:
            if self._app is None:
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    create_backend_app,
                )

                moto_patches.apply()
                self._restore_autoscaling()
                self._app = DomainDispatcherApplication(create_backend_app)
            return self._app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> tuple[Iterable[bytes], dict[str, Any]]:
        """moto's answer, and the request-log entry of the call with the status moto gave it."""
        app = self._built()
        entry = describe_call(environ)
        if self.session_seconds is not None and entry["operation"] in SESSIONS:
            asked = int(entry["params"].get("DurationSeconds") or DEFAULT_SESSION_SECONDS)
            entry["params"]["DurationSeconds"] = str(min(asked, self.session_seconds))
            form = {"Action": entry["operation"], "Version": STS_VERSION, **entry["params"]}
            body = urllib.parse.urlencode(form).encode()
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        statuses: list[str] = []

        def recording_start(status: str, headers: Any, *rest: Any) -> Any:
            statuses.append(status)
            return start_response(status, headers, *rest)

        result = app(environ, recording_start)
        status = int(statuses[0].split()[0]) if statuses else 0
        return result, {**entry, "status": status}


def describe_call(environ: dict[str, Any]) -> dict[str, Any]:
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
        return {"service": service, "operation": target.rsplit(".", 1)[-1],
                "params": request_json(body)}
    form: dict[str, str] = {}
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    if "Action" in form:
        action = form.pop("Action")
        form.pop("Version", None)
        return {"service": service, "operation": action, "params": form}
    operation = f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"
    return {"service": service, "operation": operation, "params": None}


def mutates_autoscaling(entry: dict[str, Any]) -> bool:
    """A successful call that changed Application Auto Scaling's state (to be saved)."""
    return entry["status"] == 200 and entry["operation"] in autoscaling_state.MUTATING
