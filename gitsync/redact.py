"""Secrets never reach output: every byte icsync writes passes through one redactor.

Three nets, each catching what the others might miss:
- secret values (gitsync.secrets decides which), registered as manifests and live state are read
  (exact-value replacement, whatever the format);
- `"SECRET_NAME": "value"` pairs in JSON or Python reprs (debug logs of request/response bodies),
  the same rule read off the text (secrets.secret_pairs);
- ICSYNC_MASK: comma-separated regexes whose matches are masked too (like tfcmt's masks).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from typing import Any, TextIO

from gitsync.errors import ConfigError
from gitsync.secrets import DEFAULT_SECRET_PATTERN, SENSITIVE, secret_entries, secret_pairs

CREDENTIAL_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
# `scheme://user:password@host`: the password, wherever a URL is printed (an endpoint, an image).
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^\s/@:]*:)[^\s/@]+@")
# A SigV4 signature (botocore's debug log prints the Authorization header and presigned URLs):
# not a credential, but proof of one for that request for five minutes.
_SIGNATURE = re.compile(r"((?:Signature|X-Amz-Signature)=)[0-9a-fA-F]{16,}")
# Shorter or all-digit values ("1", "4096") would mask unrelated text: the plan masks those fields
# structurally, and the key/value net catches them in logs.
_MIN_SECRET = 8


class Redactor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern = re.compile(DEFAULT_SECRET_PATTERN)
        self._extra: list[re.Pattern[str]] = []
        self._pairs = secret_pairs(DEFAULT_SECRET_PATTERN)

    def reset(self, pattern: str = DEFAULT_SECRET_PATTERN) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = re.compile(pattern)
            self._pairs = secret_pairs(pattern)
            self._extra = []
            self._extra = _masks(os.environ.get("ICSYNC_MASK", ""))
        # The process's own credentials: a template, an error or a debug log could hold them.
        self.add_values(os.environ.get(name) for name in CREDENTIAL_VARIABLES)

    def add_document(self, document: Any) -> None:
        """Register every secret value of a manifest or describe document."""
        found = {value for _, value in secret_entries(document, self._pattern)
                 if isinstance(value, str) and len(value) >= _MIN_SECRET and not value.isdigit()}
        with self._lock:
            self._values |= found

    def add_values(self, values: Iterable[str | None]) -> None:
        """Register secret values read outside any document (env_var(), the process's credentials)."""
        found = {v for v in values if v and len(v) >= _MIN_SECRET and not v.isdigit()}
        with self._lock:
            self._values |= found

    def __call__(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, SENSITIVE)
        text = self._pairs.sub(lambda m: m.group(1) + SENSITIVE, text)
        text = _URL_PASSWORD.sub(r"\1***@", text)
        text = _SIGNATURE.sub(r"\1***", text)
        for extra in self._extra:
            text = extra.sub("***", text)
        return text


def _masks(text: str) -> list[re.Pattern[str]]:
    """ICSYNC_MASK's patterns; a broken one is the user's mistake, named, not a crash."""
    compiled = []
    for mask in (m for m in text.split(",") if m.strip()):
        try:
            compiled.append(re.compile(mask))
        except re.error as error:
            raise ConfigError(f"ICSYNC_MASK: `{mask}` is not a regular expression ({error}); "
                              "it takes comma-separated Python regular expressions") from None
    return compiled


REDACT = Redactor()  # one per process: output streams and log handlers are process-wide too


class RedactingStream:
    """A text stream that redacts everything written through it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(REDACT(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
