"""Where and how to reach AWS: the botocore session, the client factory, retries, timeouts, and the
rate limiter's hooks on each client (hooks.py)."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import os
import platform
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.session
import botocore.utils

from gitsync import __version__, model
from gitsync.aws import hooks
from gitsync.aws.hooks import CONNECT_TIMEOUT, READ_TIMEOUT
from gitsync.errors import AwsError
from gitsync.ratelimit import RateLimiter
from gitsync.redact import REDACT

SANDBOX_REGION = "us-east-1"
SANDBOX_KEYS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}  # any will do

# Set whole, not assembled: botocore builds its default User-Agent anew for every request, a
# third of a millisecond of CPU a call, which a thousand-component plan pays 2,000 times.
USER_AGENT = (f"icsync/{__version__} Botocore/{botocore.__version__} "
              f"Python/{platform.python_version()} {platform.system()}/{platform.release()}")


@dataclass(frozen=True)
class Connection:
    """Where and how to reach AWS. Unset fields fall through to botocore's own resolution
    (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_SAGEMAKER, AWS_CA_BUNDLE, ...)."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    verify_ssl: bool = True
    ca_bundle: str | None = None
    read_timeout: float | None = READ_TIMEOUT  # None: no timeout
    connect_timeout: float | None = CONNECT_TIMEOUT
    max_attempts: int = 10
    pool_size: int = 32
    dummy_credentials: bool = False  # the sandbox accepts any credentials


class Clients:
    """AWS clients for one connection, created once and shared by the worker threads.

    They are botocore's clients, made by a botocore session: boto3's clients are these same
    objects, and importing boto3 (for its resource layer and S3 transfers, which icsync does not
    use) costs a quarter of a second of every run."""

    def __init__(self, connection: Connection) -> None:
        check_endpoint_url(connection.endpoint_url)
        self.connection = connection
        # botocore reads only AWS_DEFAULT_REGION; the AWS CLI also AWS_REGION, first.
        self._session = session(connection.profile, connection.region or os.environ.get("AWS_REGION") or None)
        self._limiter: RateLimiter | None = None
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._making: dict[str, threading.Lock] = {}  # one a service: clients are made in parallel
        self._clients: dict[str, Any] = {}

    def _fresh(self) -> Clients:
        """A copy with the same session and settings and no clients made yet."""
        fresh = copy.copy(self)
        fresh._reset()
        return fresh

    def paced(self, limiter: RateLimiter) -> Clients:
        """The same session, with clients whose every attempt waits for `limiter`."""
        paced = self._fresh()
        paced._limiter = limiter
        return paced

    def in_region(self, region: str) -> Clients:
        """The same session and settings, for clients in another region."""
        moved = self._fresh()
        moved.connection = dataclasses.replace(self.connection, region=region)
        return moved

    def single_tries(self, read_timeout: float) -> Clients:
        """The same session, with clients that try a call once and wait `read_timeout` for it: a
        smoke check counts its own tries, and a retry inside botocore would hide a flaky model."""
        once = self._fresh()
        once.connection = dataclasses.replace(self.connection, read_timeout=read_timeout, max_attempts=1)
        return once

    def assuming(self, role_arn: str, session_name: str) -> tuple[Clients, Any]:
        """The same settings and region, acting as `role_arn`, and the role's credentials.

        They are botocore's refreshable credentials: STS AssumeRole again (with this connection's
        own, themselves refreshable, credentials) before they expire, so an apply that outlasts a
        role session (an hour by default, at most one when roles are chained) keeps working.
        Nothing is fetched until first used."""
        source = self._session.get_credentials()
        if source is None:
            raise botocore.exceptions.NoCredentialsError()
        extra: dict[str, Any] = {"RoleSessionName": session_name}
        seconds = _role_seconds()
        if seconds is not None:
            extra["DurationSeconds"] = seconds
        fetcher = botocore.credentials.AssumeRoleCredentialFetcher(
            self._sts_client, source, role_arn, extra_args=extra)
        credentials = botocore.credentials.DeferredRefreshableCredentials(
            fetcher.fetch_credentials, "assume-role")
        other = self._fresh()
        # Sign with the role's credentials, never with fixed sandbox keys.
        other.connection = dataclasses.replace(self.connection, dummy_credentials=False)
        other._session = session(None, self._session.get_config_variable("region"), credentials)
        return other, credentials

    def _sts_client(self, service: str, **keys: Any) -> Any:
        """botocore's AssumeRole fetcher makes its STS clients here: this connection's endpoint,
        region, retries and timeouts, signing with the keys it passes."""
        return self._make(service, **keys)

    def client(self, service: str) -> Any:
        """The service's client, made on first use by the thread that first needs it."""
        found = self._clients.get(service)
        if found is None:
            with self._lock:
                making = self._making.setdefault(service, threading.Lock())
            with making:
                found = self._clients.get(service)
                if found is None:
                    found = self._clients[service] = self._make(service)
        return found

    def _make(self, service: str, **signing: Any) -> Any:
        c = self.connection
        # Paced reads use standard retries: two rate limiters on one stream would slow each other.
        retry_mode = "adaptive" if self._limiter is None else "standard"
        config = botocore.config.Config(
            user_agent=USER_AGENT,
            retries={"mode": retry_mode, "max_attempts": hooks.max_attempts(c.max_attempts)},
            read_timeout=c.read_timeout, connect_timeout=c.connect_timeout,
            max_pool_connections=c.pool_size)
        keys = signing or (SANDBOX_KEYS if c.dummy_credentials else {})
        if not c.dummy_credentials:
            _mask_credentials(self._session)
        # None, not True, so that botocore still reads AWS_CA_BUNDLE and the profile's ca_bundle.
        verify: bool | str | None = c.ca_bundle or (None if c.verify_ssl else False)
        try:
            client = self._session.create_client(
                service, endpoint_url=c.endpoint_url, config=config, verify=verify, **keys,
                region_name=self.region)
        except botocore.exceptions.BotoCoreError as error:
            raise AwsError(f"cannot create a {service} client: {error}") from None
        if self._limiter is not None:
            hooks.pace(client, self._limiter)
        hooks.give_up_on_silence(client, min(hooks.TIMEOUT_ATTEMPTS, hooks.max_attempts(c.max_attempts)))
        return client

    @property
    def region(self) -> str:
        """The region every client signs for. None anywhere is an error, as in the AWS CLI ("You
        must specify a region"): a silent us-east-1 would plan against the wrong account's
        components. The sandbox, which has no regions of its own to confuse, defaults to it."""
        region = self.connection.region or self._session.get_config_variable("region")
        if region:
            return str(region)
        if self.connection.dummy_credentials:
            return SANDBOX_REGION
        raise AwsError("no AWS region: set `region:` for the environment in icsync.yaml, pass "
                       "--region, or set AWS_REGION (or a profile's region); icsync does not guess one")

    @property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")


def _mask_credentials(made: botocore.session.Session) -> None:
    """The secret key and session token the clients sign with, wherever botocore found them (a
    profile, SSO, an assumed role), are masked in all output as the environment's are."""
    try:
        credentials = made.get_credentials()
    except botocore.exceptions.BotoCoreError:
        return  # the first call reports it, in words
    if credentials is not None:
        frozen = credentials.get_frozen_credentials()
        REDACT.add_values([frozen.secret_key, frozen.token])


class _Given(botocore.credentials.CredentialProvider):  # type: ignore[misc]
    """A credential chain of one link: credentials icsync made (a role's refreshable ones)."""

    METHOD = "icsync-role"

    def __init__(self, credentials: botocore.credentials.Credentials) -> None:
        super().__init__()
        self.credentials = credentials

    def load(self) -> botocore.credentials.Credentials:
        return self.credentials


def session(profile: str | None, region: str | None,
            credentials: botocore.credentials.Credentials | None = None) -> botocore.session.Session:
    """A botocore session for this profile and region, whose timestamps are parsed in UTC; with
    `credentials`, signing with those only (the chain is replaced, not frozen)."""
    made = botocore.session.Session(profile=profile)
    try:
        if region:
            made.set_config_variable("region", region)
        if credentials is not None:
            made.register_component("credential_provider",
                                    botocore.credentials.CredentialResolver([_Given(credentials)]))
        if made.get_config_variable("data_path") is None:  # else: the user's own model folders
            made.register_component("data_loader", model.loader())
        made.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=timestamp_in_utc)
    except botocore.exceptions.ProfileNotFound:
        raise AwsError(_unknown_profile(profile)) from None
    return made


def _unknown_profile(profile: str | None) -> str:
    """Where the name came from, as the AWS CLI's `The config profile (x) could not be found`
    does not say: --profile or icsync.yaml, else AWS_PROFILE / AWS_DEFAULT_PROFILE."""
    source = "--profile or the environment's profile: in icsync.yaml"
    if profile is None:
        variable = "AWS_PROFILE" if os.environ.get("AWS_PROFILE") else "AWS_DEFAULT_PROFILE"
        profile, source = os.environ.get(variable), variable
    return (f"AWS profile `{profile}` is not configured (it came from {source}): it is not in "
            "~/.aws/config or ~/.aws/credentials; "
            "set one that is, or unset it to use the default credentials")


def timestamp_in_utc(value: Any) -> datetime.datetime:
    """A timestamp AWS sends (epoch seconds in SageMaker's JSON), as an aware datetime in UTC.

    botocore's default parser gives the machine's local zone: the same describe read on a laptop
    in Tokyo and on a CI runner in UTC printed, and fingerprinted, differently, so a plan saved on
    one went stale on the other. Its zone (dateutil's tzlocal, built anew for every value) is also
    slow, and a plan parses four timestamps a component (a list summary, a describe)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, datetime.UTC)
        except (OverflowError, OSError, ValueError):
            pass  # out of the platform's range: botocore's own fallbacks
    parsed: datetime.datetime = botocore.utils.parse_timestamp(value)
    return parsed.astimezone(datetime.UTC)


def check_endpoint_url(url: str | None) -> None:
    """A URL botocore would refuse with a bare ValueError, refused here in words."""
    if url is None:
        return
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it: a port that is not a number raises
    except ValueError as error:
        reason = str(error)
    else:
        reason = "" if parts.scheme in ("http", "https") and parts.hostname else \
            "it needs http:// or https:// and a host name"
    if reason:
        raise AwsError(f"endpoint URL `{url}` is not valid: {reason}; write it as "
                       "https://HOST[:PORT] (--endpoint-url, ICSYNC_ENDPOINT_URL or icsync.yaml)")


def paced_reads(clients: Clients, limiter: RateLimiter) -> Clients:
    """Clients for a burst of reads: the same session, clients whose every attempt (retries
    included) waits for `limiter`, and which tell it of each throttle and success."""
    return clients.paced(limiter)


def in_region(clients: Clients, region: str) -> Clients:
    """The same session and settings, for clients in another region (an ECR registry's own)."""
    return clients.in_region(region)


def _role_seconds() -> int | None:
    """ICSYNC_ROLE_SESSION_SECONDS: how long each role session lasts (AssumeRole's DurationSeconds,
    900 to 43200; AWS's default, an hour, when unset). botocore refreshes a session in its last
    15 minutes, so a 900-second session is refreshed at almost every call."""
    value = os.environ.get("ICSYNC_ROLE_SESSION_SECONDS", "").strip()
    if not value:
        return None
    if not value.isdigit() or not 900 <= int(value) <= 43200:
        raise AwsError(f"ICSYNC_ROLE_SESSION_SECONDS must be a whole number from 900 to 43200, not `{value}`")
    return int(value)
