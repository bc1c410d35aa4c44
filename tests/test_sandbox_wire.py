"""The wire check itself (tests/helpers/wire.py) catches what it is there to catch."""

from __future__ import annotations

import pytest

from gitsync import model
from tests.helpers.wire import Sandboxes, wire_problems


# -- the checker itself must catch what it is there to catch ------------------------------------
def test_wire_check_reports_unknown_missing_and_mistyped_keys() -> None:
    shape = model.output_shape("DescribeInferenceComponent")
    document = {"InferenceComponentName": "x", "InferenceComponentArn": "arn", "EndpointName": "e",
                "CreationTime": "2024-01-01T00:00:00Z", "LastModifiedTime": 1.5,
                "RuntimeConfig": {"DesiredCopyCount": "2"}, "Extra": 1}
    problems = wire_problems(shape, document)
    assert any("unknown key `Extra`" in p for p in problems)
    assert any("EndpointArn" in p and "missing" in p for p in problems)
    assert any("RuntimeConfig.DesiredCopyCount" in p and "integer" in p for p in problems)
    assert any(".CreationTime: timestamp sent as str" in p for p in problems)
    assert wire_problems(model.output_shape("DeleteInferenceComponent"), {"x": 1})


def test_every_response_of_a_session_is_checked(sandbox: Sandboxes) -> None:
    started = sandbox()
    started.endpoint()
    started.component()
    started.describe()
    with pytest.raises(started.client.exceptions.ClientError):
        started.describe("missing")
    assert sandbox.wire.checked == 6
    assert sandbox.wire.problems == []
