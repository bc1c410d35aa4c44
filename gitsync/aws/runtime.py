"""sagemaker-runtime: invoking an inference component, as a smoke check does."""

from __future__ import annotations

from dataclasses import dataclass

import botocore.exceptions

from gitsync.aws.calls import refused
from gitsync.aws.clients import Clients
from gitsync.errors import AwsError

RUNTIME = "sagemaker-runtime"
TIMEOUT_CODE = "Timeout"  # not AWS's: the code of an AwsError for an answer that never came


@dataclass(frozen=True)
class Invocation:
    """What the component's container answered: its HTTP status, body and content type."""

    status: int
    body: bytes
    content_type: str | None = None


def invoke_component(clients: Clients, endpoint: str, component: str, body: bytes,
                     content_type: str) -> Invocation:
    """One InvokeEndpoint call to `component` on `endpoint`.

    A container's non-200 answer comes back from AWS as ModelError (HTTP 424) carrying the
    container's own status and body: it is an answer, returned as one. Anything else that fails
    (an unknown or not-InService component, no answer in time) raises AwsError."""
    client = clients.client(RUNTIME)
    try:
        response = client.invoke_endpoint(EndpointName=endpoint, InferenceComponentName=component,
                                          Body=body, ContentType=content_type)
        return Invocation(200, response["Body"].read(), response.get("ContentType"))
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ModelError":
            return Invocation(int(error.response.get("OriginalStatusCode") or 424),
                              str(error.response.get("OriginalMessage", "")).encode())
        raise refused(error, "InvokeEndpoint", client.meta.endpoint_url) from None
    except AwsError as error:
        # hooks.give_up_on_silence turns botocore's timeout into an AwsError that names the
        # --read-timeout option; a smoke check's wait is its own `timeout`, so say that instead.
        if not isinstance(error.__cause__, botocore.exceptions.ReadTimeoutError):
            raise
        raise AwsError(f"InvokeEndpoint: no answer from {component} within "
                       f"{clients.connection.read_timeout:g} s", TIMEOUT_CODE) from None
    except botocore.exceptions.BotoCoreError as error:
        raise AwsError(f"InvokeEndpoint failed: {error}") from None
