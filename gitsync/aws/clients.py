"""Where and how to reach AWS: the botocore session, the client factory, retries, timeouts, and the
rate limiter's hooks on each client."""

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
import botocore.exceptions
import botocore.session
import botocore.utils

from gitsync import __version__, model
from gitsync.errors import AwsError
from gitsync.ratelimit import RateLimiter

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
    read_timeout: float | None = 60  # None: no timeout
    connect_timeout: float | None = 60
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

    def with_credentials(self, credentials: dict[str, str]) -> Clients:
        """The same settings and region, signing with these temporary credentials (STS's shape)."""
        other = self._fresh()
        other._session = session(None, self._session.get_config_variable("region"), credentials)
        return other

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

    def _make(self, service: str) -> Any:
        c = self.connection
        # Paced reads use standard retries: two rate limiters on one stream would slow each other.
        retry_mode = "adaptive" if self._limiter is None else "standard"
        config = botocore.config.Config(
            user_agent=USER_AGENT,
            retries={"mode": retry_mode, "max_attempts": _max_attempts(c.max_attempts)},
            read_timeout=c.read_timeout, connect_timeout=c.connect_timeout,
            max_pool_connections=c.pool_size)
        keys = SANDBOX_KEYS if c.dummy_credentials else {}
        # None, not True, so that botocore still reads AWS_CA_BUNDLE and the profile's ca_bundle.
        verify: bool | str | None = c.ca_bundle or (None if c.verify_ssl else False)
        try:
            client = self._session.create_client(
                service, endpoint_url=c.endpoint_url, config=config, verify=verify, **keys,
                region_name=c.region or self._session.get_config_variable("region") or "us-east-1")
        except botocore.exceptions.BotoCoreError as error:
            raise AwsError(f"cannot create a {service} client: {error}") from None
        if self._limiter is not None:
            _pace(client, self._limiter)
        return client

    @property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")


def _pace(client: Any, limiter: RateLimiter) -> None:
    """Every attempt, retries included, waits for its turn and tells the limiter how it went."""
    client.meta.events.register("before-send", lambda **_: limiter.acquire())
    client.meta.events.register("needs-retry", lambda response=None, **_: _observe(limiter, response))


def _observe(limiter: RateLimiter, response: Any) -> None:
    if response is None:
        return  # a connection error: no word on the rate
    http, parsed = response
    limiter.observe(http.status_code, parsed.get("Error", {}).get("Code"))


def session(profile: str | None, region: str | None,
            credentials: dict[str, str] | None = None) -> botocore.session.Session:
    """A botocore session for this profile and region, whose timestamps are parsed in UTC."""
    made = botocore.session.Session(profile=profile)
    try:
        if region:
            made.set_config_variable("region", region)
        if credentials:
            made.set_credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                 credentials["SessionToken"])
        if made.get_config_variable("data_path") is None:  # else: the user's own model folders
            made.register_component("data_loader", model.loader())
        made.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=timestamp_in_utc)
    except botocore.exceptions.ProfileNotFound as error:
        raise AwsError(f"AWS profile `{profile}` is not configured: {error}") from None
    return made


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


def _max_attempts(default: int) -> int:
    """AWS_MAX_ATTEMPTS, as the AWS CLI honours it; else icsync's default."""
    value = os.environ.get("AWS_MAX_ATTEMPTS", "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise AwsError(f"AWS_MAX_ATTEMPTS must be a whole number of at least 1, not `{value}`")
    return int(value)
