"""sagemaker-runtime's InvokeEndpoint for inference components, with scripted answers.

A script per component says how its container answers: echo the request (the default), a fixed
body, an HTTP status (which AWS hands back as ModelError 424), a latency, or a fault. Scripts come
from the seed's `invocations:` mapping and the control API (`/_sandbox/invocation`).
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import uuid
from typing import Any

from gitsync.sandbox.faults import reset_connection
from gitsync.sandbox.state import ACCOUNT_ID, Account, ApiError
from gitsync.sandbox.wire import StartResponse, respond

PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
COMPONENT_HEADER = "HTTP_X_AMZN_SAGEMAKER_INFERENCE_COMPONENT"
SCRIPT_KEYS = ("body", "content_type", "status", "latency_ms", "fault")
FAULTS = ("reset", "5xx")


def check_script(script: Any) -> dict[str, Any]:
    """A script as the seed or the control API gives it, checked; unknown keys are refused."""
    if not isinstance(script, dict):
        raise TypeError("a script must be a mapping")
    unknown = set(script) - set(SCRIPT_KEYS)
    if unknown:
        raise ValueError(f"unknown script keys {sorted(unknown)}; known: {', '.join(SCRIPT_KEYS)}")
    if not isinstance(script.get("status", 200), int):
        raise TypeError("status must be an integer")
    if not isinstance(script.get("latency_ms", 0), int | float):
        raise TypeError("latency_ms must be a number")
    if script.get("fault") not in (None, *FAULTS):
        raise ValueError(f"fault must be one of {', '.join(FAULTS)}")
    return dict(script)


def serve(account: Account, environ: dict[str, Any], start_response: StartResponse,
          endpoint: str, body: bytes) -> tuple[int, list[bytes]]:
    """One InvokeEndpoint call: the status it answered and its body."""
    try:
        name = _component(account, urllib.parse.unquote(endpoint), environ.get(COMPONENT_HEADER, ""))
    except ApiError as error:
        return error.status, respond(start_response, error.status,
                                     {"__type": error.code, "message": error.message})
    script = account.invocations.get(name, {})
    if script.get("latency_ms"):
        time.sleep(script["latency_ms"] / 1000)
    if script.get("fault") == "reset":
        reset_connection(environ)
    if script.get("fault") == "5xx":
        return 500, respond(start_response, 500, {"__type": "InternalFailure",
                                                  "message": "sandbox fault: internal failure"})
    status = int(script.get("status", 200))
    answer = _answer_body(script, body)
    if status != 200:
        return 424, _model_error(start_response, account, name, status, answer)
    content_type = script.get("content_type") or environ.get("CONTENT_TYPE") or "application/json"
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(answer))),
                              ("x-Amzn-Invoked-Production-Variant", "AllTraffic"),
                              ("x-amzn-RequestId", str(uuid.uuid4()))])
    return 200, [answer]


def _component(account: Account, endpoint: str, name: str) -> str:
    """The component to invoke, refused as AWS refuses it (ValidationError, 400)."""
    with account.lock:
        account.settle()
        if endpoint not in account.endpoints:
            raise _refused(f"Endpoint {endpoint} of account {ACCOUNT_ID} not found.")
        component = account.components.get(name) if name else None
        if component is None or component.get("EndpointName") != endpoint:
            raise _refused(f"Inference Component {name} not found for endpoint {endpoint}.")
        if component["InferenceComponentStatus"] != "InService":
            raise _refused(f"Inference Component {name} is not in service "
                           f"(status {component['InferenceComponentStatus']}).")
        return name


def _refused(message: str) -> ApiError:
    # sagemaker-runtime's model names its 400 ValidationError, not SageMaker's ValidationException.
    return ApiError("ValidationError", message)


def _answer_body(script: dict[str, Any], request: bytes) -> bytes:
    if "body" not in script:
        return request  # echo
    body = script["body"]
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()


def _model_error(start_response: StartResponse, account: Account, name: str, status: int,
                 answer: bytes) -> list[bytes]:
    """A container's non-200 answer, as AWS hands it back: ModelError 424 carrying its status and body."""
    text = answer.decode(errors="replace")
    return respond(start_response, 424, {
        "__type": "ModelError",
        "message": f"Received client error ({status}) from primary with message \"{text}\".",
        "OriginalStatusCode": status, "OriginalMessage": text,
        "LogStreamArn": f"arn:aws:logs:{account.region}:{ACCOUNT_ID}:log-group:"
                        f"/aws/sagemaker/InferenceComponents/{name}"})
