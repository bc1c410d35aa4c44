"""Sending one call, or every page of one, and turning each failure into an AwsError with AWS's
own code and words."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import botocore.exceptions

from gitsync.errors import AwsError, CredentialsError

Document = dict[str, Any]
CREDENTIAL_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
                              "UnrecognizedClientException", "InvalidSignatureException"})
NO_CREDENTIALS = ("no AWS credentials found: set AWS_PROFILE or pass --profile "
                  "(or use --sandbox to try icsync locally)")


def call(client: Any, operation: str, **params: Any) -> Document:
    """Every single AWS call goes through here, so every failure becomes an AwsError."""
    with answered(operation, client.meta.endpoint_url):
        response: Document = getattr(client, operation)(**params)
    response.pop("ResponseMetadata", None)
    return response


def pages(client: Any, operation: str, page_size: int | None = None, **params: Any) -> Iterator[Document]:
    """Every page of a call that botocore's service model says is paginated, as each arrives;
    botocore's paginator carries the token (NextToken, PaginationToken, ...) from page to page."""
    config = {"PaginationConfig": {"PageSize": page_size}} if page_size else {}
    with answered(operation, client.meta.endpoint_url):
        for page in client.get_paginator(operation).paginate(**params, **config):
            page.pop("ResponseMetadata", None)
            yield page


@contextlib.contextmanager
def answered(operation: str, endpoint: str = "AWS") -> Iterator[None]:
    """botocore's exceptions inside the block, as our errors."""
    try:
        yield
    except botocore.exceptions.ClientError as error:
        raise refused(error, operation, endpoint) from None
    except botocore.exceptions.NoCredentialsError:
        raise AwsError(NO_CREDENTIALS) from None
    except botocore.exceptions.BotoCoreError as error:
        raise AwsError(f"{operation} failed: {error}") from None


def refused(error: botocore.exceptions.ClientError, operation: str = "the call",
            endpoint: str = "AWS") -> AwsError | CredentialsError:
    """AWS's answer as our error: its code first, then its message, as the AWS CLI prints them."""
    info = error.response.get("Error", {})
    code = str(info.get("Code") or "Error")
    if code.isdigit():  # botocore's code for a body it could not parse is the HTTP status
        return AwsError(f"{operation}: {endpoint} answered HTTP {code} with something that is not "
                        "an AWS API response (a web page or a proxy's error?); check --endpoint-url "
                        "and any proxy in between", code)
    message = f"{code}: {info.get('Message', error)}"
    if code in CREDENTIAL_CODES:
        return CredentialsError(message)
    return AwsError(message, code)


def is_not_found(error: AwsError) -> bool:
    """Whether SageMaker said the resource does not exist.

    SageMaker has no not-found error code for these calls, only a ValidationException whose words
    say it: `Could not find endpoint "arn:..."` for Describe* (aws-samples/aws-sagemaker-build's
    EndpointStatus.js and Ansible's AWS collection test these words), and for ListTags on a deleted
    resource (aws/amazon-sagemaker-feedback#108 reports the ValidationException) words ending
    `does not exist.`, as SageMaker's other not-found ValidationExceptions end (the ACK SageMaker
    controller matches that suffix) and as the sandbox sends. The message is the only signal, so
    this is the one place that reads it."""
    if error.code != "ValidationException":
        return False
    message = str(error)
    return "Could not find" in message or "does not exist" in message
