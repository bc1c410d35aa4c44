"""Seeding (`--seed FILE`) and persistence (`--state FILE`) of the emulated account."""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from gitsync.sandbox import operations
from gitsync.sandbox.state import Account, Pending

_KEPT = ("models", "endpoint_configs", "endpoints", "components", "tags", "image_digests")
_TIMESTAMP_KEYS = {"CreationTime", "LastModifiedTime", "ResolutionTime"}


def epoch(value: Any) -> Any:
    """Seeds give timestamps as ISO strings or epoch seconds; the account keeps epoch seconds."""
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        return moment.timestamp()
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return value


def _timestamps_to_epoch(document: Any) -> Any:
    if isinstance(document, dict):
        return {k: epoch(v) if k in _TIMESTAMP_KEYS else _timestamps_to_epoch(v)
                for k, v in document.items()}
    if isinstance(document, list):
        return [_timestamps_to_epoch(v) for v in document]
    return document


def _plain(node: Any) -> Any:
    """ruamel's commented containers -> plain dicts and lists (JSON-safe)."""
    return json.loads(json.dumps(node, default=str)) if node is not None else {}


def load_seed(account: Account, path: Path) -> None:
    seed = _plain(YAML(typ="safe").load(path.read_text())) or {}
    for model in seed.get("models", []):
        operations.create_model(account, model)
    for endpoint in seed.get("endpoints", []):
        seed_endpoint(account, endpoint)
    for component in seed.get("inference_components", []):
        operations.create_inference_component(account, component)
    for document in seed.get("describe_responses", []):
        stored = _timestamps_to_epoch(document)
        account.components[stored["InferenceComponentName"]] = stored
    account.settle(time.time() + account.transition_seconds)


def seed_endpoint(account: Account, endpoint: dict[str, Any]) -> None:
    name = endpoint["EndpointName"]
    variant: dict[str, Any] = {
        "VariantName": endpoint.get("VariantName", "AllTraffic"),
        "InstanceType": endpoint.get("InstanceType", "ml.g5.12xlarge"),
        "InitialInstanceCount": endpoint.get("InstanceCount", 1),
    }
    if "ManagedInstanceScaling" in endpoint:
        variant["ManagedInstanceScaling"] = endpoint["ManagedInstanceScaling"]
    operations.create_endpoint_config(
        account, {"EndpointConfigName": f"{name}-config", "ProductionVariants": [variant]})
    operations.create_endpoint(account, {"EndpointName": name, "EndpointConfigName": f"{name}-config"})


def save_state(account: Account, path: Path) -> None:
    document = {key: getattr(account, key) for key in _KEPT}
    document["pending"] = {name: vars(p) for name, p in account.pending.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".state-")
    with os.fdopen(handle, "w") as out:
        json.dump(document, out, indent=1, sort_keys=True)
    os.replace(temporary, path)  # atomic: a crash never leaves half a state file


def load_state(account: Account, path: Path) -> None:
    document = json.loads(path.read_text())
    for key in _KEPT:
        setattr(account, key, document.get(key, {}))
    account.pending = {name: Pending(**p) for name, p in document.get("pending", {}).items()}
