"""The loader of botocore's service models (gitsync/model.py), shared by the validator and the
AWS clients."""

from __future__ import annotations

import botocore.loaders
import pytest

from gitsync import aws, model
from gitsync.aws.clients import session
from gitsync.errors import AwsError


def test_the_loader_finds_a_service_without_listing_them_all() -> None:
    """icsync's loader looks in one service's folder (botocore's lists 400-odd folders to check one
    name); what it says must be what botocore's says, and an unknown name is still botocore's error."""
    services = model.loader().list_available_services("service-2")
    assert "sagemaker" in services and "resourcegroupstaggingapi" in services
    assert "no-such-service" not in services and "../sagemaker" not in services
    assert list(services) == botocore.loaders.Loader().list_available_services("service-2")
    clients = aws.Clients(aws.Connection(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                         dummy_credentials=True))
    with pytest.raises(AwsError, match="Unknown service: 'no-such-service'"):
        clients.client("no-such-service")


def test_the_clients_and_the_validator_share_one_loader() -> None:
    """One loader a process: each parses SageMaker's model and keeps its own copy."""
    assert session(None, "us-east-1").get_component("data_loader") is model.loader()
    parsed = model.loader().load_service_model("sagemaker", "service-2")
    assert model.loader().load_service_model("sagemaker", "service-2") is parsed
    assert parsed == botocore.loaders.Loader().load_service_model("sagemaker", "service-2")
