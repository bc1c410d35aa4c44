"""The control API under `/_sandbox/`: scripted faults for tests in other processes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from gitsync.sandbox.wire import StartResponse, read_body, respond


class Controls(Protocol):
    """The Python fault API the control API calls (the sandbox's own methods)."""

    def fail_calls(self, operation: str, kind: str = "5xx", count: int = 1) -> None: ...
    def fail_next_deployment(self, name: str, reason: str = ...) -> None: ...
    def set_stuck(self, name: str, stuck: bool = True) -> None: ...
    def freeze_tag_index(self, frozen: bool = True) -> None: ...
    def set_image_digest(self, image: str, digest: str) -> None: ...
    def set_switches(self, **values: bool) -> None: ...
    def set_speed(self, speed: float) -> None: ...
    def script_invocations(self, name: str, script: dict[str, Any]) -> None: ...


def serve(controls: Controls, environ: dict[str, Any], start_response: StartResponse,
          action: str) -> Iterable[bytes]:
    """Carry out one control `action` with the JSON body's arguments."""
    try:
        body = json.loads(read_body(environ) or b"{}")
        if action == "health":
            return respond(start_response, 200, {"ok": True})
        if action == "fault":
            controls.fail_calls(body["operation"], body.get("kind", "5xx"), int(body.get("count", 1)))
        elif action == "fail-deployment":
            controls.fail_next_deployment(body["name"], body.get("reason", "Deployment failed"))
        elif action == "stuck":
            controls.set_stuck(body["name"], bool(body.get("stuck", True)))
        elif action == "tag-index":
            controls.freeze_tag_index(bool(body.get("frozen", True)))
        elif action == "image":
            controls.set_image_digest(body["image"], body["digest"])
        elif action == "switches":
            controls.set_switches(**body)
        elif action == "invocation":
            controls.script_invocations(body.pop("name"), body)
        elif action == "speed":
            controls.set_speed(float(body["speed"]))
        else:
            return respond(start_response, 404, {"message": f"unknown control action {action}"})
    except (KeyError, ValueError, TypeError) as error:
        return respond(start_response, 400, {"message": f"bad control request: {error!r}"})
    return respond(start_response, 200, {"ok": True})
