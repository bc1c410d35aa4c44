"""The loader of botocore's service models that the validator uses (gitsync/model.py)."""

from __future__ import annotations

import botocore.loaders
import pytest

from gitsync import aws, model
from gitsync.errors import AwsError


def test_the_loader_finds_a_service_without_listing_them_all() -> None:
    """icsync's loader looks in one service's folder (botocore's lists 400-odd folders to check one
    name); what it says must be what botocore's says, and an unknown name is still botocore's error."""
    services = model._session().get_component("data_loader").list_available_services("service-2")
    assert "sagemaker" in services and "resourcegroupstaggingapi" in services
    assert "no-such-service" not in services and "../sagemaker" not in services
    assert list(services) == botocore.loaders.Loader().list_available_services("service-2")
    assert model.service_model().service_name == "sagemaker"
    clients = aws.Clients(aws.Connection(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                         dummy_credentials=True))
    with pytest.raises(AwsError, match="Unknown service: 'no-such-service'"):
        clients.client("no-such-service")
