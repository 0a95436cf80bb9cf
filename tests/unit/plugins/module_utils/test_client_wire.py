# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the API client over real loopback sockets: dropped and cut answers, timeouts, TLS, proxies."""

from __future__ import annotations

import gzip
import http.server
import json
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils._client import (
    ApiClient,
    ApiError,
    OutcomeUnknown,
    RetryPolicy,
)

TOKEN = "wire-test-token-5f2c"


class ScriptedServer:
    """A loopback HTTP server that misbehaves as scripted and records each request it read."""

    def __init__(self, tls_context: Any = None) -> None:
        self.script: List[Tuple[Any, ...]] = []
        self.seen: List[Dict[str, Any]] = []
        self.release = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.seen.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                step = owner.script.pop(0) if owner.script else ("json", 500, {"detail": "script exhausted"})
                kind = step[0]
                if kind == "drop":
                    self.close_connection = True
                    return
                if kind == "stall":
                    owner.release.wait(10)
                    self.close_connection = True
                    return
                status, payload = step[1], json.dumps(step[2]).encode()
                if kind in ("gzip", "chunked"):
                    # What real servers and proxies send: a compressed body, or one in chunks of unknown total.
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    if kind == "gzip":
                        payload = gzip.compress(payload)
                        self.send_header("Content-Encoding", "gzip")
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                    else:
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        for start in range(0, len(payload), 7):
                            piece = payload[start : start + 7]
                            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                        self.wfile.write(b"0\r\n\r\n")
                    return
                if kind == "drip":
                    # Headers at once, then the body a byte at a time: every gap is short, the whole is not.
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.flush()
                    for byte in payload:
                        if owner.release.wait(step[3]):
                            break
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2] if kind == "cut" else payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    instance = ScriptedServer()
    yield instance
    instance.stop()


def client_for(
    port: int, scheme: str = "http", *, max_attempts: int = 5, **kwargs: Any
) -> Tuple[ApiClient, List[float]]:
    sleeps: List[float] = []
    options: Dict[str, Any] = {"timeout": 5}
    options.update(kwargs)
    retry = RetryPolicy(max_attempts=max_attempts, sleep=sleeps.append, jitter=lambda: 0.0)
    return ApiClient(TOKEN, f"{scheme}://127.0.0.1:{port}/api/v1", retry=retry, **options), sleeps


def test_a_post_whose_connection_is_dropped_is_unknown_and_sent_once(server: ScriptedServer) -> None:
    server.script = [("drop",)]
    client, sleeps = client_for(server.port)
    with pytest.raises(OutcomeUnknown, match="outcome unknown"):
        client.register_domain({"domain_name": "example.com"})
    assert [seen["method"] for seen in server.seen] == ["POST"]
    assert sleeps == []


def test_a_post_whose_answer_is_cut_is_unknown_and_sent_once(server: ScriptedServer) -> None:
    server.script = [("cut", 201, {"id": 101, "domain_name": "example.com", "status": "pending"})]
    client, _sleeps = client_for(server.port)
    with pytest.raises(OutcomeUnknown, match="IncompleteRead"):
        client.register_domain({"domain_name": "example.com"})
    assert len(server.seen) == 1


def test_a_post_that_times_out_is_unknown_and_sent_once(server: ScriptedServer) -> None:
    server.script = [("stall",)]
    client, _sleeps = client_for(server.port, timeout=0.3)
    with pytest.raises(OutcomeUnknown, match=r"no complete answer within api_timeout \(0.3 s\)"):
        client.start_transfer(104, "EPP-1", True)
    assert len(server.seen) == 1


def test_reads_are_repeated_after_a_drop_and_a_cut_body(server: ScriptedServer) -> None:
    server.script = [("drop",), ("cut", 200, {"id": 101, "padding": "x" * 50}), ("json", 200, {"id": 101})]
    client, sleeps = client_for(server.port)
    assert client.get_domain(101) == {"id": 101}
    assert [seen["path"] for seen in server.seen] == ["/api/v1/domains/101/"] * 3
    assert len(sleeps) == 2


def test_the_wire_request_carries_token_user_agent_and_json(server: ScriptedServer) -> None:
    server.script = [("json", 200, {"id": 101, "auto_renew": False})]
    client, _sleeps = client_for(server.port)
    client.update_domain(101, {"auto_renew": False})
    (seen,) = server.seen
    assert seen["method"] == "PUT"
    assert seen["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert seen["headers"]["User-Agent"].startswith("vpsorg.domains/")
    assert seen["headers"]["Content-Type"] == "application/json"
    assert json.loads(seen["body"]) == {"auto_renew": False}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_first_connection_fails_at_once_naming_the_url() -> None:
    port = _free_port()
    # Nothing listens there: a wrong api_url (port) or a server that is not running; retrying would only wait.
    client, sleeps = client_for(port, max_attempts=3)
    with pytest.raises(ApiError) as caught:
        client.list_domains()
    text = str(caught.value)
    assert f"could not connect to http://127.0.0.1:{port}/api/v1/domains/: connection refused" in text
    assert "check api_url" in text and "gave up" not in text
    assert sleeps == []


def test_an_unknown_host_fails_at_once_naming_the_url() -> None:
    client = ApiClient(
        TOKEN, "http://no-such-host.invalid/api/v1".replace("http:", "https:"), retry=RetryPolicy(sleep=pytest.fail)
    )
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    text = str(caught.value)
    assert "could not connect to https://no-such-host.invalid/api/v1/domains/101/" in text
    assert "does not resolve" in text and "check api_url" in text


def test_a_refused_connection_is_retried_even_for_a_post() -> None:
    port = _free_port()
    # The server answered before (a restart now refuses): every attempt is refused before a byte is sent.
    client, sleeps = client_for(port, max_attempts=3)
    client._reached = True
    with pytest.raises(ApiError) as caught:
        client.register_domain({"domain_name": "example.com"})
    assert not isinstance(caught.value, OutcomeUnknown)
    assert "could not connect" in str(caught.value)
    assert "gave up after 3 attempts" in str(caught.value)
    assert len(sleeps) == 2


def test_proxies_from_the_environment_carry_the_request(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    server.script = [("json", 200, {"id": 101})]
    client = ApiClient(TOKEN, "http://localhost:9/api/v1", retry=RetryPolicy(sleep=lambda _seconds: None))
    assert client.get_domain(101) == {"id": 101}
    # A proxy receives the absolute URL in the request line.
    assert server.seen[0]["path"] == "http://localhost:9/api/v1/domains/101/"


# -- TLS -------------------------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(self_signed_certificate: Tuple[Path, Path]) -> Iterator[ScriptedServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed_certificate)
    instance = ScriptedServer(tls_context=context)
    yield instance
    instance.stop()


def test_a_self_signed_certificate_fails_clearly_without_retry(tls_server: ScriptedServer) -> None:
    client, sleeps = client_for(tls_server.port, scheme="https")
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        client.list_domains()
    message = str(caught.value)
    assert "certificate verification failed" in message
    assert "ca_path" in message
    assert "validate_certs" in message
    assert TOKEN not in message
    assert sleeps == []
    assert tls_server.seen == []
    assert time.monotonic() - started < 30


def test_ca_path_trusts_a_private_ca(tls_server: ScriptedServer, self_signed_certificate: Tuple[Path, Path]) -> None:
    tls_server.script = [("json", 200, {"count": 0, "next": None, "results": []})]
    client, _sleeps = client_for(tls_server.port, scheme="https", ca_path=str(self_signed_certificate[0]))
    assert client.list_domains() == []
    assert tls_server.seen[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_requests_ca_bundle_trusts_a_private_ca(
    tls_server: ScriptedServer, self_signed_certificate: Tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(self_signed_certificate[0]))
    tls_server.script = [("json", 200, {"id": 101})]
    client, _sleeps = client_for(tls_server.port, scheme="https")
    assert client.get_domain(101) == {"id": 101}


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_validate_certs_false_skips_verification(tls_server: ScriptedServer) -> None:
    tls_server.script = [("json", 200, {"id": 101})]
    client, _sleeps = client_for(tls_server.port, scheme="https", validate_certs=False)
    assert client.get_domain(101) == {"id": 101}


def test_a_dripped_answer_ends_at_the_deadline_and_its_retries_within_the_budget(server: ScriptedServer) -> None:
    """Every gap between two bytes is shorter than api_timeout; the whole answer would take minutes."""
    body = {"id": 101, "padding": "x" * 400}
    server.script = [("drip", 200, body, 0.05)] * 3
    client, sleeps = client_for(server.port, max_attempts=3, timeout=0.4)
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    text = str(caught.value)
    assert "no complete answer within api_timeout (0.4 s)" in text
    assert "gave up after 3 attempts" in text
    assert len(server.seen) == 3 and len(sleeps) == 2


def test_a_dripped_answer_to_a_post_is_an_unknown_outcome_sent_once(server: ScriptedServer) -> None:
    server.script = [("drip", 201, {"id": 101, "padding": "x" * 400}, 0.05)]
    client, _sleeps = client_for(server.port, timeout=0.4)
    with pytest.raises(OutcomeUnknown, match=r"no complete answer within api_timeout"):
        client.register_domain({"domain_name": "example.com"})
    assert len(server.seen) == 1


def test_the_retry_budget_bounds_all_attempts_of_a_request(server: ScriptedServer) -> None:
    """A total time for the retries too: an attempt never runs past it, and no attempt starts after it."""
    server.script = [("drip", 200, {"id": 101, "padding": "x" * 400}, 0.05)] * 5
    client, _sleeps = client_for(server.port, max_attempts=5, timeout=0.4)
    client.retry.max_total_time = 0.6
    client.retry.backoff_base = 0.01
    with pytest.raises(ApiError, match=r"no complete answer.*retry budget"):
        client.get_domain(101)
    # The second attempt had only what was left of the budget, and no third one started.
    assert len(server.seen) == 2


@pytest.mark.parametrize("kind", ["gzip", "chunked"])
def test_compressed_and_chunked_answers_are_read_whole(server: ScriptedServer, kind: str) -> None:
    body = {"id": 101, "domain_name": "example.com", "padding": "x" * 5000}
    server.script = [(kind, 200, body), (kind, 200, body)]
    client, sleeps = client_for(server.port)
    assert client.get_domain(101) == body
    # The connection is kept for the next request: the body was read to its end.
    assert client.get_domain(101) == body
    assert sleeps == []
