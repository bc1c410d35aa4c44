"""Live components -> manifests and values (the pure part of `icsync import`).

A describe document becomes the manifest that would plan as "No changes." against it: the same
named steps the plan uses (`normalize.comparable_live`) give the manifest's shape, then:

- the environment's name inside a name (`web-dev`, `dev-endpoint`) becomes `{{ env }}`, so one
  manifest serves every environment;
- each copy count goes to the values file (`copies: {web: 2}`): it is what differs most often
  between environments;
- a secret-looking Environment value is never written: `{{ env_var("NAME") | tojson }}` reads it;
- a live string that holds Jinja's own delimiters goes to the values file as it is, so rendering
  cannot change it;
- what AWS filled in is left out (`without_what_aws_set`): the fields icsync's `icsync:applied`
  record says it never applied, and on an adapter what only its base can set (its compute, its data
  cache and its variant, which AWS may echo from the base): a manifest holding them would be
  refused by validate, or by AWS;
- a component's Application Auto Scaling target and icsync's policy on it become its
  `icsync: {autoscaling: ...}` (`autoscaling.live_view`, the form the plan compares), so that the
  plan does not deregister them.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML

from gitsync import applied, model, normalize
from gitsync.manifests.options import OPTIONS_KEY
from gitsync.secrets import is_secret_name

NAME_FIELDS = ("InferenceComponentName", "EndpointName", "ModelName", "BaseInferenceComponentName")
JINJA_DELIMITERS = ("{{", "{%", "{#")
COPIES_KEY = "copies"
LITERALS_KEY = "literals"


@dataclass(frozen=True)
class Imported:
    name: str  # the live component's name
    stem: str  # its name without the environment's: the manifest's file name
    text: str  # the manifest template
    copies: int | None
    secrets: tuple[str, ...] = ()  # Environment keys read with env_var
    literals: dict[str, str] = field(default_factory=dict)
    record: dict[str, str] = field(default_factory=dict)  # `icsync:applied` of the fields it sets


def env_pattern(env: str) -> re.Pattern[str]:
    """The environment's name as a whole word of a name: `dev` in `web-dev`, not in `device`."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(env)}(?![A-Za-z0-9])")


def stem(name: str, env: str) -> str:
    """`web-dev` -> `web`: the name every environment shares (the file name of its manifest)."""
    stripped = env_pattern(env).sub("", name).strip("-_.")
    return re.sub(r"([-_.])[-_.]+", r"\1", stripped) or name


def import_component(describe: dict[str, Any], tags: dict[str, str], env: str,
                     secret_pattern: str, scaling: dict[str, Any] | None = None) -> Imported:
    """`scaling`: the component's live autoscaling in the manifest's form (`autoscaling.live_view`),
    None when it has none."""
    body = without_what_aws_set(whole_numbers(_ordered(normalize.comparable_live(describe, tags))), tags)
    if body.get("Tags"):
        body["Tags"] = [{"Key": k, "Value": v} for k, v in body["Tags"].items()]
    else:
        body.pop("Tags", None)
    record = applied.encode(applied.paths_of(normalize.comparable_desired(body)))
    if scaling is not None:
        body[OPTIONS_KEY] = {"autoscaling": scaling}
    name = describe["InferenceComponentName"]
    writer = _Writer(env, stem(name, env))
    secrets = writer.secrets(body, re.compile(secret_pattern))
    copies = (body.get("RuntimeConfig") or {}).get("CopyCount")
    if isinstance(copies, int):
        body["RuntimeConfig"]["CopyCount"] = writer.token(f"{COPIES_KEY}[{json.dumps(writer.stem)}]")
    writer.names(body)
    writer.literals_of(body)
    return Imported(name, writer.stem, writer.dump(body), copies, secrets, writer.literals, record)


ADAPTER_ECHOES = ("ComputeResourceRequirements", "DataCacheConfig")


def without_what_aws_set(body: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """The body less the fields icsync's record says AWS set, and less an adapter's echoes of its
    base (an adapter runs on its base's variant and resources; AWS's samples create adapters
    without them, aws/model-hosting-container-standards docs/sagemaker/05_lora_adapter_management.md)."""
    recorded = applied.decode(tags)
    out = normalize.drop_empty_blocks(_pruned(body, "", recorded)) if recorded is not None else body
    specs = normalize.specs(out)
    if any(s.get("BaseInferenceComponentName") for s in specs):
        out.pop("VariantName", None)
        for spec in specs:
            for key in ADAPTER_ECHOES:
                spec.pop(key, None)
    return out


def _pruned(value: Any, path: str, recorded: frozenset[str]) -> Any:
    """`value` without the leaves at paths AWS set (the names and the copy count are always kept)."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if not isinstance(item, dict | list) and applied.set_by_aws(here, recorded) \
                    and here not in NAME_FIELDS + ("RuntimeConfig.CopyCount",):
                continue
            kept[key] = _pruned(item, here, recorded)
        return kept
    if isinstance(value, list):
        return [_pruned(item, f"{path}[{i}]", recorded) for i, item in enumerate(value)]
    return value


def whole_numbers(value: Any) -> Any:
    """`1.0` as `1`, as a person writes it (the plan compares them as the model's type anyway)."""
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _ordered(body: dict[str, Any]) -> dict[str, Any]:
    """Keys in the create request's order (names first), as a person would write them."""
    members = list(model.input_shape("CreateInferenceComponent").members)
    return {k: body[k] for k in sorted(body, key=lambda k: members.index(k) if k in members else 99)}


def yaml_text(document: dict[str, Any], width: int | None = None) -> str:
    """A document as block-style YAML, its keys in the order given (a manifest, icsync.yaml)."""
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    if width is not None:
        yaml.width = width
    yaml.dump(document, stream)
    return stream.getvalue()


class _Writer:
    """Swaps values for placeholder tokens, dumps YAML, then swaps the tokens for Jinja: so the
    YAML dumper never quotes (or escapes) a Jinja expression."""

    def __init__(self, env: str, stem_name: str) -> None:
        self.env, self.stem = env, stem_name
        self.pattern = env_pattern(env)
        self.expressions: dict[str, str] = {}
        self.literals: dict[str, str] = {}

    def token(self, expression: str, whole: bool = True) -> str:
        token = f"zzicsync{len(self.expressions)}zz"
        self.expressions[token] = "{{ " + expression + (" | tojson }}" if whole else " }}")
        return token

    def secrets(self, body: dict[str, Any], pattern: re.Pattern[str]) -> tuple[str, ...]:
        found = []
        for spec in normalize.specs(body):
            environment = (spec.get("Container") or {}).get("Environment") or {}
            for key in environment:
                if is_secret_name(key, pattern):
                    environment[key] = self.token(f"env_var({json.dumps(key)})")
                    found.append(key)
        return tuple(found)

    def names(self, body: dict[str, Any]) -> None:
        for holder in [body, *normalize.specs(body)]:
            for key in NAME_FIELDS:
                value = holder.get(key)
                if isinstance(value, str) and self.pattern.search(value):
                    holder[key] = self._templated_name(value)

    def _templated_name(self, value: str) -> str:
        if value == self.env:
            return self.token("env")
        env_token = self.token("env", whole=False)
        return self.pattern.sub(env_token, value)

    def literals_of(self, value: Any) -> Any:
        """Strings with Jinja delimiters, anywhere: kept verbatim in the values file."""
        if isinstance(value, dict):
            for key, item in value.items():
                value[key] = self.literals_of(item)
        elif isinstance(value, list):
            value[:] = [self.literals_of(item) for item in value]
        elif isinstance(value, str) and any(d in value for d in JINJA_DELIMITERS):
            key = f"{self.stem}_{len(self.literals)}"
            self.literals[key] = value
            return self.token(f"{LITERALS_KEY}[{json.dumps(key)}]")
        return value

    def dump(self, body: dict[str, Any]) -> str:
        text = yaml_text(body, width=4096)
        for token, expression in self.expressions.items():
            text = text.replace(token, expression)
        return text
