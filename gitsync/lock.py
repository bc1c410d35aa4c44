"""One apply per environment at a time: a lock item in a DynamoDB table, written only if absent."""

from __future__ import annotations

import contextlib
import datetime
import getpass
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator

from gitsync import aws
from gitsync.errors import AwsError, ConfigError, IcsyncError


class LockHeld(IcsyncError):
    """Another run holds the environment's lock."""


@contextlib.contextmanager
def table_exists(clients: aws.Clients, table: str) -> Iterator[None]:
    """DynamoDB's answer for a table that does not exist is a bare `ResourceNotFoundException:
    Requested resource not found`; said here with the table, the region and how to create it."""
    try:
        yield
    except AwsError as error:
        if error.code != "ResourceNotFoundException":
            raise
        raise ConfigError(
            f"the lock table `{table}` (icsync.yaml `lock: table:`) does not exist in "
            f"{clients.region}; nothing was applied. Create it once with: aws dynamodb create-table "
            f"--region {clients.region} --table-name {table} --attribute-definitions "
            "AttributeName=LockID,AttributeType=S --key-schema AttributeName=LockID,KeyType=HASH "
            "--billing-mode PAY_PER_REQUEST") from None


def lock_id(project: str, environment: str) -> str:
    return f"{project}/{environment}"


def table_of(lock: dict[str, object]) -> str | None:
    if not lock:
        return None
    table = lock.get("table")
    if not isinstance(table, str) or not table:
        raise ConfigError("icsync.yaml: `lock` needs `table: NAME` (a DynamoDB table whose key is "
                          "the string LockID)")
    return table


def _owner() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()} run {uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def held(clients: aws.Clients, table: str, name: str, timeout: float,
         log: Callable[[str], None]) -> Iterator[str]:
    """Hold the lock for the duration of the block; wait up to `timeout` seconds for it."""
    owner = _owner()
    since = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    item = {"LockID": name, "Who": owner, "Since": since, "Operation": "apply"}
    with table_exists(clients, table):
        _take(clients, table, item, time.monotonic() + timeout, log)
    try:
        yield owner
    finally:
        aws.delete_lock(clients, table, name, owner)


def _take(clients: aws.Clients, table: str, item: dict[str, str], deadline: float,
          log: Callable[[str], None]) -> None:
    """Put the lock item, waiting (and saying so once) while another run holds it."""
    name, pause, announced = item["LockID"], 0.2, False
    while not aws.put_lock(clients, table, item):
        holder = aws.get_lock(clients, table, name) or {}
        if time.monotonic() >= deadline:
            raise LockHeld(
                f"environment lock `{name}` is held by {holder.get('Who', 'someone')} since "
                f"{holder.get('Since', '?')} (table {table}); nothing was applied. Wait and retry, "
                f"raise --lock-timeout, or if that run is dead: icsync unlock '{name}'")
        if not announced:
            log(f"waiting for the lock `{name}`, held by {holder.get('Who', 'someone')} "
                f"since {holder.get('Since', '?')}")
            announced = True
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 1.5, 5)
