"""Seeding (`--seed FILE`) and persistence (`--state FILE`) of the emulated account."""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from botocore.model import Shape
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from gitsync import model
from gitsync.errors import ConfigError
from gitsync.sandbox import components, invocations, operations, rules, scaling
from gitsync.sandbox.state import Account, ApiError, Pending
from gitsync.sandbox.switches import Switches
from gitsync.sandbox.wire import validate_request

_KEPT = ("models", "endpoint_configs", "endpoints", "components", "tags", "image_digests",
         "invocations", "resizes", "quiet_since", "shown_updating")
# The role a seeded endpoint's components run under, unless the seed names one.
SEED_ROLE = "arn:aws:iam::123456789012:role/sandbox-inference"
SEED_KEYS = ("endpoints", "models", "inference_components", "describe_responses", "switches",
             "invocations")


class Sandboxed(Protocol):
    """What the state file keeps of the emulator: every region's account, and the switches."""

    region: str
    accounts: dict[str, Account]
    switches: Switches
    application_autoscaling: dict[str, Any]

    def new_account(self, region: str) -> Account: ...


def epoch(value: Any) -> Any:
    """Seeds give timestamps as ISO strings or epoch seconds; the account keeps epoch seconds.

    A timestamp with no offset is UTC, as AWS writes them, whatever the local time zone.
    """
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return moment.timestamp()
    return value


def timestamps_to_epoch(shape: Shape, document: Any) -> Any:
    """Every member the output shape calls a timestamp, as epoch seconds; unknown keys verbatim."""
    if shape.type_name == "timestamp":
        return epoch(document)
    if shape.type_name == "structure" and isinstance(document, dict):
        members = shape.members  # type: ignore[attr-defined]
        return {k: timestamps_to_epoch(members[k], v) if k in members else v
                for k, v in document.items()}
    if shape.type_name == "list" and isinstance(document, list):
        return [timestamps_to_epoch(shape.member, v) for v in document]  # type: ignore[attr-defined]
    return document


def _plain(node: Any) -> Any:
    """YAML containers -> plain dicts and lists; YAML timestamps stay datetimes for `epoch`."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_seed(account: Account, path: Path) -> None:
    """Create the seed's starting state; a bad seed fails naming the file, section and entry."""
    try:
        seed = _plain(YAML(typ="safe").load(path.read_text())) or {}
    except (OSError, YAMLError) as error:
        raise ConfigError(f"--seed {path}: cannot read it: {error}") from None
    if not isinstance(seed, dict) or set(seed) - set(SEED_KEYS):
        raise ConfigError(f"--seed {path}: top-level keys must be among {', '.join(SEED_KEYS)}")
    try:
        account.switches.update(seed.get("switches") or {})
    except (ValueError, TypeError, AttributeError) as error:
        raise ConfigError(f"--seed {path}: switches: {error}") from None
    _seed_invocations(account, seed.get("invocations") or {}, path)
    steps = (("models", "CreateModel", lambda m: operations.create_model(account, m)),
             ("endpoints", None, lambda e: seed_endpoint(account, e)),
             ("inference_components", "CreateInferenceComponent",
              lambda c: components.create_inference_component(account, c)),
             ("describe_responses", None, lambda d: replay(account, d)))
    for section, operation, create in steps:
        entries = seed.get(section) or []
        if not isinstance(entries, list):
            raise ConfigError(f"--seed {path}: `{section}` must be a list of mappings")
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise ConfigError(f"--seed {path}: {section}[{index}]: each entry must be a mapping")
            try:
                if operation:
                    validate_request(operation, entry)
                create(entry)
            except (ApiError, KeyError, TypeError, ValueError) as error:
                raise ConfigError(f"--seed {path}: {section}[{index}]: {_seed_detail(error)}") from None
    # A seed is the account as it stands: whatever it started is finished, instances added included.
    ends = [p.until for p in account.pending.values()] + [r["until"] for r in account.resizes.values()]
    account.settle(max(ends, default=0.0))
    for endpoint in account.endpoints.values():
        scaling.refresh(account, endpoint, max(ends, default=0.0))


def _seed_invocations(account: Account, scripts: Any, path: Path) -> None:
    """`invocations:` maps a component's name to how its container answers (invocations.py)."""
    if not isinstance(scripts, dict):
        raise ConfigError(f"--seed {path}: `invocations` must map component names to scripts")
    for name, script in scripts.items():
        try:
            account.invocations[name] = invocations.check_script(script)
        except (ValueError, TypeError) as error:
            raise ConfigError(f"--seed {path}: invocations.{name}: {error}") from None


def _seed_detail(error: Exception) -> str:
    if isinstance(error, ApiError):
        return error.message
    return f"{type(error).__name__}: {error}"


def replay(account: Account, document: dict[str, Any]) -> None:
    """A DescribeInferenceComponent response recorded from AWS, served back as it was."""
    stored = timestamps_to_epoch(model.output_shape("DescribeInferenceComponent"), document)  # type: ignore[arg-type]
    # A key this botocore does not know is kept verbatim; a YAML timestamp in it goes back to text.
    account.components[stored["InferenceComponentName"]] = json.loads(json.dumps(stored, default=_iso))


def _iso(value: Any) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def seed_endpoint(account: Account, endpoint: dict[str, Any]) -> None:
    name = endpoint["EndpointName"]
    variant: dict[str, Any] = {
        "VariantName": endpoint.get("VariantName", "AllTraffic"),
        "InstanceType": endpoint.get("InstanceType", "ml.g5.12xlarge"),
        "InitialInstanceCount": endpoint.get("InstanceCount", 1),
    }
    if "ManagedInstanceScaling" in endpoint:
        variant["ManagedInstanceScaling"] = endpoint["ManagedInstanceScaling"]
    config = {"EndpointConfigName": f"{name}-config", "ProductionVariants": [variant],
              "ExecutionRoleArn": endpoint.get("ExecutionRoleArn", SEED_ROLE)}
    validate_request("CreateEndpointConfig", config)
    operations.create_endpoint_config(account, config)
    operations.create_endpoint(account, {"EndpointName": name, "EndpointConfigName": f"{name}-config"})
    status = endpoint.get("EndpointStatus", "InService")
    if status not in rules.ENDPOINT_STATUSES:
        raise ValueError(f"EndpointStatus must be one of {', '.join(rules.ENDPOINT_STATUSES)}, not {status!r}")
    account.endpoints[name]["EndpointStatus"] = status
    if "FailureReason" in endpoint:
        account.endpoints[name]["FailureReason"] = str(endpoint["FailureReason"])


def save_state(sandbox: Sandboxed, path: Path) -> None:
    """Every region's state, the switches, and Application Auto Scaling's (moto's, all regions)."""
    document: dict[str, Any] = {
        "regions": {region: _account_document(account) for region, account in sandbox.accounts.items()},
        "switches": vars(sandbox.switches),
        "application_autoscaling": sandbox.application_autoscaling,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".state-")
    with os.fdopen(handle, "w") as out:
        json.dump(document, out, indent=1)
    os.replace(temporary, path)  # atomic: a crash never leaves half a state file


def _account_document(account: Account) -> dict[str, Any]:
    document = {key: getattr(account, key) for key in _KEPT}
    document["pending"] = {name: vars(p) for name, p in account.pending.items()}
    return document


def load_state(sandbox: Sandboxed, path: Path) -> None:
    """A state file's regions (one written before regions were kept apart: the home region)."""
    try:
        document = json.loads(path.read_text())
        regions = document.get("regions", {sandbox.region: document})
        for region, kept in regions.items():
            account = sandbox.new_account(region)
            for key in _KEPT:
                setattr(account, key, kept.get(key, {}))
            account.pending = {name: Pending(**p) for name, p in kept.get("pending", {}).items()}
            sandbox.accounts[region] = account
        sandbox.switches.update(document.get("switches", {}))
        sandbox.application_autoscaling = document.get("application_autoscaling", {})
    except (OSError, ValueError, TypeError, AttributeError, KeyError) as error:
        raise ConfigError(f"--state {path}: not a sandbox state file ({error})") from None
