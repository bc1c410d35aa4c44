"""DescribeInferenceComponent without botocore's per-call machinery: the read a plan makes once
per component.

The API has no batch describe, so a plan of N components makes N describes, and botocore spends
about 2 ms of CPU on each on a 2-core machine (its event hooks, request and header objects, header
parsing), where the request itself needs a third of that: a large plan was bound by that CPU, not
by AWS. This sends the same request, signed with SigV4, over one kept-alive connection per thread,
and hands the answer to botocore's own parser, so the document is the one botocore would return.
It writes the request and reads the answer on the socket itself (`_answer`): http.client's
request and response objects (its email-style header parsing above all) took about 0.3 ms of the
0.7 ms of CPU a read cost; without them a read costs about 0.5 ms (in-process, one thread).
It reads only the plain case, an HTTP/1.x answer whose body has a Content-Length, as AWS's JSON
answers have, and leaves everything else to botocore.

It decides nothing botocore would. It sends only where botocore sent the client's own last request
(the URL, the signing region and service are read off that request's Authorization header), with
the credentials botocore signed it with, only when no proxy is set, and it keeps only a 200. Any
other answer (a throttle, an error, a dropped connection) and the caller makes the call again with
botocore, whose retries, backoff and error mapping then apply. ICSYNC_LEAN_READS=0 switches it off.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import botocore.awsrequest
import botocore.httpsession

from gitsync.ratelimit import RateLimiter

JSON_TYPE = "application/x-amz-json-1.1"
PATH = "/"  # where JSON-protocol calls go (target_of takes no other)


def enabled() -> bool:
    return os.environ.get("ICSYNC_LEAN_READS", "1").strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class Target:
    """Where and as what botocore sent its last request."""

    scheme: str
    hostname: str
    port: int
    host: str  # the Host header: the port only when it is not the scheme's default
    region: str
    service: str
    access_key: str


def target_of(url: str, authorization: str) -> Target | None:
    """Read off a botocore request; None when it is not a plain SigV4 request to a bare path."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.query or parts.path not in ("", "/") \
            or not authorization.startswith("AWS4-HMAC-SHA256 Credential="):
        return None
    scope = authorization.removeprefix("AWS4-HMAC-SHA256 Credential=").split(",", 1)[0].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or parts.hostname is None:
        return None
    default = 443 if parts.scheme == "https" else 80
    port = parts.port or default
    host = parts.hostname if port == default else f"{parts.hostname}:{port}"
    return Target(parts.scheme, parts.hostname, port, host, scope[2], scope[3], scope[0])


def signed_headers(target: Target, credentials: Any, amz_target: str, body: bytes,
                   now: datetime.datetime) -> dict[str, str]:
    """The request's headers, Authorization included (SigV4, as botocore's SigV4Auth signs)."""
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    headers = {"Content-Type": JSON_TYPE, "Host": target.host, "X-Amz-Date": amz_date,
               "X-Amz-Target": amz_target}
    if credentials.token:
        headers["X-Amz-Security-Token"] = credentials.token
    names = sorted(headers, key=str.lower)
    canonical = "\n".join([
        "POST", PATH, "",
        *(f"{n.lower()}:{' '.join(headers[n].split())}" for n in names), "",
        ";".join(n.lower() for n in names), hashlib.sha256(body).hexdigest()])
    scope = f"{amz_date[:8]}/{target.region}/{target.service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(_signing_key(credentials.secret_key, amz_date[:8], target.region, target.service),
                         to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(n.lower() for n in names)}, Signature={signature}")
    return headers


_keys: dict[tuple[str, str, str, str], bytes] = {}


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    found = _keys.get((secret, date, region, service))
    if found is None:
        found = ("AWS4" + secret).encode()
        for part in (date, region, service, "aws4_request"):
            found = hmac.new(found, part.encode(), hashlib.sha256).digest()
        _keys[(secret, date, region, service)] = found
    return found


class LeanReads:
    """One client's lean reads; `read` returns None whenever botocore must make the call."""

    def __init__(self, client: Any, parser: Any, credentials: Callable[[], Any], user_agent: str,
                 timeouts: tuple[float | None, float | None], verify: bool | str,
                 limiter: RateLimiter | None) -> None:
        self._client, self._credentials, self._user_agent = client, credentials, user_agent
        self._connect_timeout, self._read_timeout = timeouts
        self._verify, self._limiter = verify, limiter
        self._proxies = urllib.request.getproxies()  # HTTPS_PROXY and the like: botocore's path
        self._target: Target | None = None
        self._parser = parser  # the client's kind: the same document as botocore would return
        self._local = threading.local()
        self._tls: ssl.SSLContext | None = None
        self._tls_lock = threading.Lock()
        client.meta.events.register("before-send", self._learn)

    def _learn(self, request: Any, **_: Any) -> None:
        authorization = request.headers.get("Authorization", "")
        if isinstance(authorization, bytes):
            authorization = authorization.decode()
        self._target = target_of(request.url, authorization)

    def read(self, operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
        target = self._target
        credentials = self._credentials() if target is not None else None
        if target is None or credentials is None or credentials.access_key != target.access_key \
                or target.scheme in self._proxies or "all" in self._proxies:
            return None
        if self._limiter is not None:
            self._limiter.acquire()  # first: a request is signed for the time it is sent
        body = json.dumps(params).encode()
        headers = signed_headers(target, credentials, f"{self._prefix()}.{operation}", body,
                                 datetime.datetime.now(datetime.UTC))
        headers["User-Agent"] = self._user_agent
        answer = self._exchange(target, body, headers)
        if answer is None:
            return None  # dropped, timed out or not a plain answer: botocore calls again
        shape = self._client.meta.service_model.operation_model(operation).output_shape
        parsed: dict[str, Any] = self._parser.parse(
            {"status_code": answer.status, "headers": answer.headers, "body": answer.body}, shape)
        if self._limiter is not None:  # as botocore's attempts tell it (aws.paced_reads)
            self._limiter.observe(answer.status, parsed.get("Error", {}).get("Code"))
        return parsed if answer.status == 200 else None

    def _prefix(self) -> str:
        prefix: str = self._client.meta.service_model.metadata["targetPrefix"]
        return prefix

    def _exchange(self, target: Target, body: bytes, headers: dict[str, str]) -> Answer | None:
        """The request and its answer on this thread's connection. A kept-alive connection that
        the server closed while it was idle is opened anew once, as urllib3 does; any other
        failure, or an answer this does not read (see `_answer`), None."""
        request = _request(headers, body)
        while True:
            sock, reused = self._socket(target)
            try:
                sock.sendall(request)
                answer = _answer(sock)
            except OSError as error:
                self._drop()
                if reused and isinstance(error, STALE):
                    continue
                return None
            if answer is None or answer.closes:
                self._drop()
            return answer

    def _socket(self, target: Target) -> tuple[socket.socket, bool]:
        """This thread's connection to `target`, made on first use and kept; and whether it was
        kept from before."""
        key = (target.scheme, target.host)
        found: socket.socket | None = getattr(self._local, "socket", None)
        if found is not None and getattr(self._local, "key", None) == key:
            return found, True
        self._drop()
        sock = socket.create_connection((target.hostname, target.port), timeout=self._connect_timeout)
        try:
            if target.scheme == "https":
                sock = self._context().wrap_socket(sock, server_hostname=target.hostname)
            sock.settimeout(self._read_timeout)  # connected: now wait for answers up to the read timeout
        except OSError:
            sock.close()
            raise
        self._local.socket, self._local.key = sock, key
        return sock, False

    def _drop(self) -> None:
        found: socket.socket | None = getattr(self._local, "socket", None)
        if found is not None:
            found.close()
        self._local.socket = None

    def _context(self) -> ssl.SSLContext:
        """TLS as botocore's: its CA bundle (or AWS_CA_BUNDLE's, the profile's, --ca-bundle's)."""
        with self._tls_lock:
            if self._tls is None:
                if self._verify is False:
                    self._tls = ssl.create_default_context()
                    self._tls.check_hostname = False
                    self._tls.verify_mode = ssl.CERT_NONE
                else:
                    self._tls = ssl.create_default_context(
                        cafile=botocore.httpsession.get_cert_path(self._verify))
            return self._tls


class Answer(NamedTuple):
    status: int
    headers: botocore.awsrequest.HeadersDict
    body: bytes
    closes: bool  # the server closes the connection after this answer


MAX_HEAD = 64 * 1024


class Disconnected(ConnectionError):
    """The connection ended before an answer began: on a kept-alive connection, the server closed
    it while it was idle."""


STALE = (Disconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


def _request(headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {PATH} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items()),
             "Accept-Encoding: identity", f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def _answer(sock: socket.socket) -> Answer | None:
    """An HTTP/1.1 answer whose body has a Content-Length, as AWS's JSON answers have; None for
    anything else (chunked, informational, malformed, too large a head): botocore reads those."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            if not received:
                raise Disconnected("the connection closed before an answer")
            return None
        received += chunk
        if len(received) > MAX_HEAD and b"\r\n\r\n" not in received[:MAX_HEAD + 4]:
            return None
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    code = rest[:3]
    if version not in ("HTTP/1.1", "HTTP/1.0") or not code.isdigit() or int(code) < 200:
        return None
    headers = botocore.awsrequest.HeadersDict()
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or name != name.strip():
            return None
        headers[name] = value.strip()
    length = headers.get("Content-Length", "")
    if "Transfer-Encoding" in headers or not length.isdigit():
        return None
    size = int(length)
    while len(body) < size:
        chunk = sock.recv(size - len(body))
        if not chunk:
            return None
        body += chunk
    connection = headers.get("Connection", "").lower()
    closes = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
    return Answer(int(code), headers, body[:size], closes or len(body) > size)
