"""The shared botocore loader of service models (gitsync/model.py)."""

from __future__ import annotations

import botocore.loaders
import pytest

from gitsync import aws, model
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


def test_model_files_are_parsed_into_plain_dicts_as_botocore_parses_them() -> None:
    """icsync's file loader gives the same data as botocore's, in plain dicts (botocore builds an
    OrderedDict for every object, which made parsing SageMaker's model 2.1x slower); a botocore
    that renamed the method it overrides would make this fail rather than go slow unnoticed."""
    ours = model.loader().load_service_model("sagemaker", "service-2")
    theirs = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")
    assert type(ours) is dict and type(ours["shapes"]["InferenceComponentSpecification"]) is dict
    assert type(theirs) is not dict
    assert ours == theirs
    assert list(ours["shapes"]) == list(theirs["shapes"])  # the same order
