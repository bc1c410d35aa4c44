"""README's IAM permissions name every AWS operation icsync calls: a new call without its
permission would fail on a least-privilege CI role that the README told users to make."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
from botocore import xform_name

ROOT = Path(__file__).parent.parent
# The services icsync's code builds clients for, and the prefix IAM names their actions with.
IAM_PREFIX = {"sagemaker": "sagemaker", "sagemaker-runtime": "sagemaker", "resourcegroupstaggingapi": "tag",
              "application-autoscaling": "application-autoscaling", "cloudwatch": "cloudwatch",
              "ecr": "ecr", "sts": "sts", "dynamodb": "dynamodb", "pricing": "pricing"}


def _operations() -> dict[str, set[str]]:
    """snake_case operation name -> the IAM actions it may be (a name several services share)."""
    session = botocore.session.get_session()
    found: dict[str, set[str]] = {}
    for service, prefix in IAM_PREFIX.items():
        for name in session.get_service_model(service).operation_names:
            found.setdefault(xform_name(name), set()).add(f"{prefix}:{name}")
    return found


def _called() -> set[str]:
    """The operation names icsync's code passes to botocore, as strings or as client methods."""
    code = "\n".join(p.read_text() for p in (ROOT / "gitsync").rglob("*.py") if "sandbox" not in p.parts)
    return set(re.findall(r'"([a-z]+(?:_[a-z]+)+)"', code)) | set(re.findall(r"\.([a-z]+(?:_[a-z]+)+)\(", code))


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("### IAM permissions")
    return readme[start:readme.index("\n## ", start)]


def test_every_operation_icsync_calls_has_its_permission_in_the_readme() -> None:
    operations, section = _operations(), _section()
    called = sorted(name for name in _called() if name in operations)
    assert len(called) >= 25, called  # the scan finds the calls (a broken scan would pass anything)
    missing = [name for name in called if not any(action in section for action in operations[name])]
    assert missing == [], f"README's IAM permissions do not name: {missing}"


def test_the_readme_names_no_action_icsync_does_not_call() -> None:
    operations, called = _operations(), _called()
    actions = {action for name in called if name in operations for action in operations[name]}
    named = set(re.findall(r"`([a-z-]+:[A-Za-z]+)`", _section()))
    extra = sorted(named - actions - {"iam:CreateServiceLinkedRole"})
    assert extra == [], f"README's IAM permissions name actions icsync never calls: {extra}"
