"""What plan, apply and drift share: the project and its manifests, the selection, the connection."""

from __future__ import annotations

import contextlib
import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import click

from gitsync import aws, shard
from gitsync.errors import ConfigError, CredentialsError, Problem
from gitsync.manifests.desired import manifest_documents, validated
from gitsync.manifests.load import Parsed
from gitsync.manifests.project import Environment, Project, load_project
from gitsync.manifests.validate import Desired
from gitsync.redact import REDACT
from gitsync.settings import Settings

SANDBOX_STATE = Path(".icsync") / "sandbox.json"
SANDBOX_SEED = "sandbox-seed.yaml"


class Announce(Protocol):
    def want(self, name: str) -> None: ...


@dataclass(frozen=True)
class Context:
    project: Project
    environment: Environment
    desired: list[Desired]


def load(settings: Settings, reads: Announce | None = None) -> Context:
    """The project, the environment and its selected manifests; with `reads`, each component is
    announced as its file is parsed, so its describe can start while the rest load."""
    project = load_project(settings.project_dir)
    REDACT.reset(project.secret_pattern)
    environment = project.environment(settings.environment)
    documents: list[Parsed] = []
    problems: list[Problem] = []
    for parsed, found in manifest_documents(project, environment):
        documents += parsed
        problems += found
        for name in (d.data.get("InferenceComponentName") for d in parsed if isinstance(d.data, dict)):
            if reads is not None and isinstance(name, str):
                reads.want(name)  # a name --target or --exclude leaves out is not read
    every = validated(documents, problems, project.secret_pattern)
    if not settings.prune:  # with --prune a pattern may name a component only AWS still has
        check_patterns(settings, environment.name, [d.name for d in every])
    desired = [d for d in every if selected(d.name, settings)]
    return Context(project, environment, desired)


def check_patterns(settings: Settings, environment: str, names: list[str]) -> None:
    """A --target or --exclude that matches no component is a typo or a wrong quote: in CI (where
    `CI` is set, as GitHub Actions and GitLab do) an error, on a terminal a warning."""
    for flag, patterns in (("--target", settings.targets), ("--exclude", settings.excludes)):
        for pattern in patterns:
            if any(fnmatch.fnmatchcase(name, pattern) for name in names):
                continue
            known = ", ".join(sorted(names)[:10]) + (", ..." if len(names) > 10 else "")
            message = (f"{flag} {pattern!r} matches no component of environment {environment} "
                       f"({known or 'none'})")
            if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
                raise ConfigError(message + "; nothing was planned")
            click.echo(f"Warning: {message}", err=True)


def selected(name: str, settings: Settings) -> bool:
    if settings.targets and not any(fnmatch.fnmatchcase(name, t) for t in settings.targets):
        return False
    if not shard.contains(settings.shard, name):
        return False
    return not any(fnmatch.fnmatchcase(name, e) for e in settings.excludes)


def project_profile(environment: Environment) -> str | None:
    """icsync.yaml's profile is the laptop default. Credentials already exported (CI's OIDC step
    exports AWS_ACCESS_KEY_ID) win over it, as over AWS_PROFILE in the AWS CLI: botocore would
    otherwise drop them for a profile the runner does not have. --profile still wins over both."""
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    return environment.profile


@contextlib.contextmanager
def connect(settings: Settings, context: Context) -> Iterator[aws.Clients]:
    """Clients for the environment; with --sandbox, an embedded sandbox kept in the project."""
    environment = context.environment
    connection = aws.Connection(
        region=settings.region or environment.region,
        profile=None if settings.sandbox else (settings.profile or project_profile(environment)),
        endpoint_url=settings.endpoint_url or environment.endpoint_url,
        verify_ssl=settings.verify_ssl, ca_bundle=settings.ca_bundle,
        read_timeout=settings.read_timeout, connect_timeout=settings.connect_timeout,
        pool_size=max(settings.read_parallelism, settings.parallelism) + 4)
    if not settings.sandbox:
        clients = aws.Clients(connection)
        try:
            yield aws.assume_role(clients, environment.role_arn) if environment.role_arn else clients
        except CredentialsError as error:
            source = f"profile `{connection.profile}`" if connection.profile else \
                "the credentials in this environment (AWS_ACCESS_KEY_ID/AWS_SESSION_TOKEN, or the default chain)"
            raise CredentialsError(f"{error}\nAWS refused {source} for environment `{environment.name}`: "
                                   "they have expired or are not valid. Refresh them (e.g. `aws sso login"
                                   f"{' --profile ' + connection.profile if connection.profile else ''}`) "
                                   "and run again; nothing more was sent.") from None
        return
    from gitsync.commands.sandbox import sandbox_class

    Sandbox = sandbox_class()
    root = context.project.root
    seed = root / SANDBOX_SEED
    sandbox = Sandbox(state=root / SANDBOX_STATE, seed=seed if seed.is_file() else None,
                      region=connection.region or "us-east-1")
    with sandbox:
        yield aws.Clients(aws.Connection(**{**vars(connection), "endpoint_url": sandbox.url,
                                            "dummy_credentials": True, "profile": None}))


def bulk_tags(settings: Settings, project: Project) -> str | None:
    """The project whose tags are read in bulk; None (ListTags each) for a --target plan, which
    reads a few components: GetResources would page through all of the project's."""
    return None if settings.targets else project.name
