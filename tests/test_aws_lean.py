"""The lean DescribeInferenceComponent (gitsync/aws/lean.py): the same signature as botocore's
SigV4, the same document as botocore's client, and botocore again for anything but a 200."""

from __future__ import annotations

import datetime
import http.server
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from gitsync import aws
from gitsync.aws import lean
from gitsync.ratelimit import RateLimiter
from tests.helpers import Live, icsync, project_of

NOW = datetime.datetime(2026, 11, 25, 12, 34, 56, tzinfo=datetime.UTC)


@pytest.mark.parametrize("token", [None, "session-token/with+odd=chars"])
@pytest.mark.parametrize("url", ["https://api.sagemaker.eu-west-1.amazonaws.com/",
                                 "http://127.0.0.1:8080/"])
def test_signature_is_botocores(url: str, token: str | None) -> None:
    """Checked against botocore's own SigV4 signer: the sandbox accepts any signature, AWS does not."""
    credentials = botocore.credentials.ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", token)
    target = lean.target_of(url, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/eu-west-1/sagemaker/"
                                 "aws4_request, SignedHeaders=host, Signature=00")
    assert target is not None
    body = b'{"InferenceComponentName": "ic-a"}'
    headers = lean.signed_headers(target, credentials, "SageMaker.DescribeInferenceComponent", body, NOW)

    request = botocore.awsrequest.AWSRequest(
        method="POST", url=url, data=body,
        headers={k: v for k, v in headers.items() if k not in ("Authorization", "Host")})
    request.context["timestamp"] = NOW.strftime("%Y%m%dT%H%M%SZ")
    signer = botocore.auth.SigV4Auth(credentials, "sagemaker", "eu-west-1")
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    assert headers["Authorization"].endswith(f"Signature={expected}")
    assert "Credential=AKIDEXAMPLE/20261125/eu-west-1/sagemaker/aws4_request" in headers["Authorization"]
    assert headers["Host"] == target.host == url.split("/")[2].removesuffix(":443")


def test_target_is_read_off_botocores_request() -> None:
    auth = "AWS4-HMAC-SHA256 Credential=AK/20261125/us-west-2/sagemaker/aws4_request, SignedHeaders=x, Signature=y"
    found = lean.target_of("https://api.sagemaker.us-west-2.amazonaws.com/", auth)
    assert found == lean.Target("https", "api.sagemaker.us-west-2.amazonaws.com", 443,
                                "api.sagemaker.us-west-2.amazonaws.com", "us-west-2", "sagemaker", "AK")
    assert lean.target_of("http://localhost:5000", auth).host == "localhost:5000"  # type: ignore[union-attr]
    # Anything else is left to botocore: another scheme, a path, a query, another signature.
    assert lean.target_of("https://example.com/prefix/", auth) is None
    assert lean.target_of("https://example.com/?x=1", auth) is None
    assert lean.target_of("https://example.com/", "AWS4-ECDSA-P256-SHA256 Credential=AK/...") is None


def _clients(live: Live, limiter: RateLimiter | None = None) -> aws.Clients:
    clients = aws.Clients(aws.Connection(region="us-east-1", endpoint_url=live.url, dummy_credentials=True))
    return aws.paced_reads(clients, limiter) if limiter is not None else clients


def _component(live: Live, name: str = "ic-a") -> None:
    live.seed_endpoint()
    live.client.create_inference_component(
        InferenceComponentName=name, EndpointName="ep", VariantName="AllTraffic",
        Specification={"ModelName": "model-a", "ComputeResourceRequirements": {
            "NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1})


def test_the_document_is_botocores_and_one_call_makes_it(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    _component(live)
    monkeypatch.setenv("ICSYNC_LEAN_READS", "0")
    by_botocore = aws.describe_component(_clients(live), "ic-a")
    assert by_botocore is not None
    monkeypatch.delenv("ICSYNC_LEAN_READS")
    clients = _clients(live)
    aws.describe_component(clients, "ic-a")  # botocore's: the lean path learns where from it
    live.clear_log()
    assert clients.lean_read("DescribeInferenceComponent", {"InferenceComponentName": "ic-a"}) == by_botocore
    assert aws.describe_component(clients, "ic-a") == by_botocore
    assert isinstance(by_botocore["CreationTime"], datetime.datetime)  # parsed by botocore's parser
    assert by_botocore["CreationTime"].tzinfo is datetime.UTC  # aws.timestamp_in_utc, on both paths
    assert live.operations() == ["DescribeInferenceComponent"] * 2


def test_timestamps_are_read_in_utc_whatever_the_local_zone(time_zone: Callable[[str], None]) -> None:
    time_zone("Asia/Tokyo")
    moment = datetime.datetime(2025, 3, 14, 9, 26, 52, 301000, tzinfo=datetime.UTC)
    whole_second = moment.replace(microsecond=0)
    for sent, expected in ((moment.timestamp(), moment), (int(whole_second.timestamp()), whole_second),
                           ("2025-03-14T09:26:52.301Z", moment),
                           ("2025-03-14T18:26:52.301+09:00", moment), (str(moment.timestamp()), moment)):
        parsed = aws.timestamp_in_utc(sent)
        assert parsed.tzinfo is datetime.UTC
        assert parsed == expected


def test_it_waits_for_botocore_to_show_it_where(live: Live) -> None:
    _component(live)
    clients = _clients(live)
    assert clients.lean_read("DescribeInferenceComponent", {"InferenceComponentName": "ic-a"}) is None
    list(aws.list_components(clients))  # any botocore call of the client will do
    assert clients.lean_read("DescribeInferenceComponent", {"InferenceComponentName": "ic-a"}) is not None


def test_switched_off_or_behind_a_proxy_it_sends_nothing(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    _component(live)
    # botocore goes round the proxy to the sandbox (NO_PROXY); the lean path never uses proxies.
    for setting in ({"ICSYNC_LEAN_READS": "0"}, {"HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}):
        with monkeypatch.context() as patch:
            for key, value in setting.items():
                patch.setenv(key, value)
            clients = _clients(live)
            list(aws.list_components(clients))
            assert clients.lean_read("DescribeInferenceComponent", {"InferenceComponentName": "ic-a"}) is None


@pytest.mark.parametrize("kind", ["throttle", "5xx", "reset"])
def test_a_failed_read_is_made_again_by_botocore(live: Live, kind: str) -> None:
    _component(live)
    limiter = RateLimiter()
    clients = _clients(live, limiter)
    list(aws.list_components(clients))
    live.sandbox.fail_calls("DescribeInferenceComponent", kind)
    live.clear_log()
    found = aws.describe_component(clients, "ic-a")
    assert found is not None and found["InferenceComponentName"] == "ic-a"
    # The lean attempt failed; botocore's own attempt succeeded.
    assert [r["status"] for r in live.requests()] == [{"throttle": 400, "5xx": 500, "reset": 0}[kind], 200]
    assert limiter.throttles == (1 if kind == "throttle" else 0)  # the lean attempt told the limiter


def test_a_missing_component_is_none(live: Live) -> None:
    live.seed_endpoint()
    clients = _clients(live)
    list(aws.list_components(clients))
    assert aws.describe_component(clients, "nope") is None


def test_a_plan_reads_through_it(tmp_path: Path, live: Live) -> None:
    """The whole CLI plan gives the same document either way (the end-to-end tests cover the rest)."""
    _component(live)
    root = project_of(tmp_path, ["ic-a"])
    plans = [icsync("plan", "-C", str(root), "--env", "dev", "--endpoint-url", live.url, "--output", "json",
                    env={"ICSYNC_LEAN_READS": value}).out for value in ("0", "1")]
    assert plans[0] == plans[1] and '"ic-a"' in plans[0]


class _KeepAliveFront(http.server.ThreadingHTTPServer):
    """An HTTP/1.1 front that keeps connections open, as AWS's endpoints do (the sandbox's server
    closes each): it hands each request on to the sandbox and counts the connections it accepts."""

    daemon_threads = True

    def __init__(self, sandbox_url: str) -> None:
        self.sandbox_url, self.connections = sandbox_url, 0
        self.open: list[socket.socket] = []
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                front.connections += 1
                front.open.append(self.connection)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = urllib.request.Request(front.sandbox_url + self.path, data=body, method="POST",
                                                 headers={k: v for k, v in self.headers.items()
                                                          if k.lower() not in ("host", "connection")})
                try:
                    with urllib.request.urlopen(request) as answer:
                        status, data = answer.status, answer.read()
                except urllib.error.HTTPError as error:
                    status, data = error.code, error.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def test_one_connection_carries_a_threads_reads(live: Live) -> None:
    """Against a server that keeps connections open, a thread's describes share one connection;
    when the server has dropped it, the next read opens a new one (once) and keeps that."""
    _component(live)
    front = _KeepAliveFront(live.url)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    try:
        clients = aws.Clients(aws.Connection(region="us-east-1", dummy_credentials=True,
                                             endpoint_url=f"http://127.0.0.1:{front.server_address[1]}"))
        list(aws.list_components(clients))  # botocore's own connection (its pool)
        before = front.connections

        def read() -> dict[str, object] | None:
            return clients.lean_read("DescribeInferenceComponent", {"InferenceComponentName": "ic-a"})

        assert all(read() is not None for _ in range(5))
        assert front.connections == before + 1
        for connection in front.open:  # the server drops every connection it holds
            connection.shutdown(socket.SHUT_RDWR)
        assert read() is not None and read() is not None
        assert front.connections == before + 2  # one new connection, kept again
    finally:
        front.shutdown()
        front.server_close()


def _answer_of(*chunks: bytes) -> lean.Answer | None:
    """What the lean path reads of these bytes, sent in these pieces and then the connection closed."""
    mine, theirs = socket.socketpair()
    with mine, theirs:
        def send() -> None:
            for chunk in chunks:
                theirs.sendall(chunk)
            theirs.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send)
        sender.start()
        try:
            return lean._answer(mine)  # pylint: disable=protected-access
        finally:
            sender.join()


def test_an_answer_with_a_length_is_read_however_it_arrives() -> None:
    head = b"HTTP/1.1 200 OK\r\nx-amzn-RequestId: r-1\r\nContent-Length: 11\r\n\r\n"
    for chunks in ([head + b'{"a": "bc"}'], [head[:7], head[7:30], head[30:] + b'{"a"', b': "bc"}']):
        found = _answer_of(*chunks)
        assert found is not None
        assert (found.status, found.body, found.closes) == (200, b'{"a": "bc"}', False)
        assert found.headers["X-Amzn-RequestId"] == "r-1"  # names match in any case, as botocore's
    closing = _answer_of(b"HTTP/1.1 400 Bad\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")
    assert closing is not None and (closing.status, closing.closes) == (400, True)
    assert _answer_of(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").closes  # type: ignore[union-attr]


@pytest.mark.parametrize("raw", [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",  # chunked: botocore's
    b"HTTP/1.1 200 OK\r\n\r\n{}",                                                  # no length
    b"HTTP/1.1 100 Continue\r\n\r\n",                                              # informational
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",                           # cut short
    b"HTTP/1.1 200 OK\r\n folded: header\r\nContent-Length: 2\r\n\r\n{}",         # malformed
    b"SSH-2.0-OpenSSH\r\n\r\n",                                                    # not HTTP
])
def test_anything_else_is_left_to_botocore(raw: bytes) -> None:
    assert _answer_of(raw) is None


def test_a_connection_closed_before_any_answer_is_stale() -> None:
    with pytest.raises(lean.STALE):
        _answer_of()
