# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests of the sandbox's fault injection: what the client sees and what got stored."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
from email.utils import formatdate
from typing import Any, List, Optional

import pytest

REGISTER = {"domain_name": "faulty-one.com"}
HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


def _stored_names(sandbox: Any) -> List[str]:
    return [domain["domain_name"] for domain in sandbox.control("GET", "domains")[1]]


def _last_entry(sandbox: Any) -> dict:
    return sandbox.journal()[-1]


def _raw_exchange(sandbox: Any, method: str, path: str, body: Optional[dict] = None) -> tuple:
    """Send one request on a plain socket; return (all bytes received, declared Content-Length, body bytes)."""
    parsed = urllib.parse.urlsplit(sandbox.root_url)
    payload = json.dumps(body).encode() if body is not None else b""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nAuthorization: Bearer {sandbox.token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode()
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as conn:
        conn.sendall(head + payload)
        received = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    headers, _sep, rest = received.partition(b"\r\n\r\n")
    length = None
    for line in headers.split(b"\r\n")[1:]:
        name, _sep, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return received, length, rest


# -- status faults -----------------------------------------------------------------------------------
def test_status_with_retry_after_seconds_stores_nothing(sandbox: Any) -> None:
    fault = sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", status=429, retry_after=7)
    assert fault["count"] == 1
    status, headers, body = sandbox.api("POST", "domains/", REGISTER)
    assert status == 429
    assert headers["Retry-After"] == "7"
    assert headers["Content-Type"] == "application/json"
    assert "detail" in body
    assert "faulty-one.com" not in _stored_names(sandbox)
    assert sandbox.ledger() == []
    entry = _last_entry(sandbox)
    assert (entry["status"], entry["fault"], entry["account"]) == (429, "status", "demo")
    # Used up: the next request is served normally.
    assert sandbox.faults() == []
    assert sandbox.api("POST", "domains/", REGISTER)[0] == 201


def test_status_with_retry_after_http_date(sandbox: Any) -> None:
    when = formatdate(timeval=None, usegmt=True)
    sandbox.add_fault(method="GET", path_prefix="/api/v1/domains/", status=503, retry_after=when)
    status, headers, _body = sandbox.api("GET", "domains/")
    assert status == 503
    assert headers["Retry-After"] == when


def test_html_proxy_page(sandbox: Any) -> None:
    sandbox.add_fault(path_prefix="/api/v1/", status=502, body=HTML_PAGE, content_type="text/html; charset=utf-8")
    status, headers, body = sandbox.api("GET", "domains/101/")
    assert status == 502
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == HTML_PAGE


def test_plain_text_body_and_json_body(sandbox: Any) -> None:
    sandbox.add_fault(status=500, body="upstream exploded")
    sandbox.add_fault(status=400, body={"message": "custom error shape"})
    status, headers, body = sandbox.api("GET", "domains/")
    assert (status, body) == (500, "upstream exploded")
    assert headers["Content-Type"].startswith("text/plain")
    status, headers, body = sandbox.api("GET", "domains/")
    assert (status, body) == (400, {"message": "custom error shape"})
    assert headers["Content-Type"] == "application/json"


def test_status_after_commit_stores_the_change(sandbox: Any) -> None:
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", status=502, delay="after_commit")
    status, _headers, _body = sandbox.api("POST", "domains/", REGISTER)
    assert status == 502
    assert "faulty-one.com" in _stored_names(sandbox)
    assert len(sandbox.ledger()) == 1


def test_matching_by_method_and_path_prefix_and_count(sandbox: Any) -> None:
    sandbox.add_fault(method="put", path_prefix="/api/v1/domains/101/", status=503, count=2)
    [listed] = sandbox.faults()
    assert (listed["method"], listed["count"], listed["kind"]) == ("PUT", 2, "status")
    assert sandbox.api("GET", "domains/101/")[0] == 200  # other method
    assert sandbox.api("PUT", "domains/102/", {"locked": True})[0] == 200  # other path
    assert sandbox.api("PUT", "domains/101/", {"locked": False})[0] == 503
    assert sandbox.faults()[0]["count"] == 1
    assert sandbox.api("PUT", "domains/101/", {"locked": False})[0] == 503
    assert sandbox.faults() == []
    assert sandbox.api("GET", "domains/101/")[2]["locked"] is True  # neither faulted PUT was carried out
    assert sandbox.api("PUT", "domains/101/", {"locked": False})[0] == 200


def test_faults_are_used_in_order_and_can_be_cleared(sandbox: Any) -> None:
    sandbox.add_fault(status=500)
    sandbox.add_fault(status=503)
    assert [fault["status"] for fault in sandbox.faults()] == [500, 503]
    assert sandbox.api("GET", "domains/")[0] == 500
    assert sandbox.control("DELETE", "faults")[0] == 204
    assert sandbox.faults() == []
    assert sandbox.api("GET", "domains/")[0] == 200


def test_control_api_is_never_faulted(sandbox: Any) -> None:
    sandbox.add_fault(path_prefix="/", status=500, count=5)
    assert sandbox.control("GET", "ledger") == (200, [])
    assert sandbox.faults()[0]["count"] == 5


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"status": 99},
        {"status": "503"},
        {"drop": "sometimes"},
        {"drop": "before_commit", "status": 500},
        {"delay_ms": -1},
        {"delay_ms": 10, "delay": "whenever"},
        {"status": 500, "count": 0},
        {"status": 500, "path_prefix": "api/v1/"},
        {"status": 500, "colour": "red"},
        {"drip_ms": -1},
        {"drip_ms": True},
        {"drip_ms": "100"},
        {"drip_ms": 60_001},
        {"drip_ms": 10, "drop": "before_commit"},
        {"drip_ms": 10, "drop": "after_commit"},
        {"drip_ms": 0},
    ],
)
def test_bad_fault_specs_are_refused(sandbox: Any, spec: dict) -> None:
    status, body = sandbox.control("POST", "faults", spec)
    assert status == 400
    assert body
    assert sandbox.faults() == []


# -- delays ------------------------------------------------------------------------------------------
def test_delay_before_commit(sandbox: Any, wait_until: Any) -> None:
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", delay_ms=1500, delay="before_commit")
    with pytest.raises(TimeoutError):
        sandbox.api("POST", "domains/", REGISTER, timeout=0.3)
    # The server still waits before carrying the request out, then stores it although nobody listens.
    assert "faulty-one.com" not in _stored_names(sandbox)
    wait_until(lambda: "faulty-one.com" in _stored_names(sandbox))
    wait_until(lambda: sandbox.journal() and _last_entry(sandbox)["fault"] == "delay")


def test_delay_after_commit(sandbox: Any) -> None:
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", delay_ms=1500, delay="after_commit")
    with pytest.raises(TimeoutError):
        sandbox.api("POST", "domains/", REGISTER, timeout=0.5)
    # Stored before the wait: the client timed out on a request that succeeded.
    assert "faulty-one.com" in _stored_names(sandbox)
    assert len(sandbox.ledger()) == 1


def test_delay_with_patient_client_is_a_normal_answer(sandbox: Any) -> None:
    sandbox.add_fault(method="GET", delay_ms=200)
    status, _headers, body = sandbox.api("GET", "domains/")
    assert (status, body["count"]) == (200, 4)


# -- drops -------------------------------------------------------------------------------------------
def test_drop_before_commit_answers_nothing_and_stores_nothing(sandbox: Any) -> None:
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", drop="before_commit")
    with pytest.raises(http.client.RemoteDisconnected):
        sandbox.api("POST", "domains/", REGISTER)
    assert "faulty-one.com" not in _stored_names(sandbox)
    assert sandbox.ledger() == []
    entry = _last_entry(sandbox)
    assert (entry["status"], entry["fault"], entry["body"]) == (None, "drop_before_commit", REGISTER)


def test_drop_after_commit_answers_nothing_but_stores(sandbox: Any) -> None:
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", drop="after_commit")
    with pytest.raises(http.client.RemoteDisconnected):
        sandbox.api("POST", "domains/", REGISTER)
    assert _stored_names(sandbox).count("faulty-one.com") == 1
    [charge] = sandbox.ledger()
    assert charge["domain_name"] == "faulty-one.com"
    entry = _last_entry(sandbox)
    assert (entry["status"], entry["fault"]) == (None, "drop_after_commit")
    # The retry a careless client would send is refused: the name is taken now.
    assert sandbox.api("POST", "domains/", REGISTER)[0] == 400


def test_drop_after_commit_of_an_update(sandbox: Any) -> None:
    sandbox.add_fault(method="PUT", drop="after_commit")
    with pytest.raises(http.client.RemoteDisconnected):
        sandbox.api("PUT", "domains/101/", {"auto_renew": False})
    assert sandbox.api("GET", "domains/101/")[2]["auto_renew"] is False


def test_mid_body_cuts_the_answer_after_storing(sandbox: Any) -> None:
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", drop="mid_body")
    with pytest.raises(http.client.IncompleteRead):
        sandbox.api("POST", "domains/", REGISTER)
    assert "faulty-one.com" in _stored_names(sandbox)
    assert len(sandbox.ledger()) == 1
    entry = _last_entry(sandbox)
    assert (entry["status"], entry["fault"]) == (201, "drop_mid_body")


def test_mid_body_sends_headers_and_part_of_the_body(sandbox: Any) -> None:
    sandbox.add_fault(method="GET", path_prefix="/api/v1/domains/", drop="mid_body")
    received, length, body = _raw_exchange(sandbox, "GET", "/api/v1/domains/")
    assert received.startswith(b"HTTP/1.1 200 ")
    assert length is not None
    assert 0 < len(body) < length


def test_drop_closes_without_any_byte(sandbox: Any) -> None:
    sandbox.add_fault(method="GET", drop="before_commit")
    received, _length, _body = _raw_exchange(sandbox, "GET", "/api/v1/domains/")
    assert received == b""


def test_drop_with_a_delay(sandbox: Any) -> None:
    sandbox.add_fault(method="DELETE", drop="after_commit", delay_ms=100, delay="after_commit")
    with pytest.raises(http.client.RemoteDisconnected):
        sandbox.api("DELETE", "domains/103/")
    assert sandbox.api("GET", "domains/103/")[0] == 404


def test_reset_waits_for_a_delayed_request_to_finish(sandbox: Any) -> None:
    sandbox.add_fault(method="POST", delay_ms=1000, delay="after_commit")
    with pytest.raises(TimeoutError):
        sandbox.api("POST", "domains/", REGISTER, timeout=0.2)
    sandbox.reset()
    # The late request neither lands in the fresh journal nor leaves its domain behind.
    assert sandbox.journal() == []
    assert "faulty-one.com" not in _stored_names(sandbox)


# -- drips -------------------------------------------------------------------------------------------
def _timed_exchange(sandbox: Any, path: str, *, give_up_after: int = 0) -> tuple:
    """Read one GET answer on a plain socket: (bytes received, recv calls that returned data); with
    `give_up_after`, close the connection after that many reads, as a client whose deadline passed does."""
    parsed = urllib.parse.urlsplit(sandbox.root_url)
    head = (
        f"GET {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nAuthorization: Bearer {sandbox.token}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    received, reads = b"", 0
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as conn:
        conn.sendall(head)
        while not give_up_after or reads < give_up_after:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
            reads += 1
    return received, reads


def test_drip_sends_the_whole_answer_a_byte_at_a_time(sandbox: Any) -> None:
    sandbox.add_fault(method="GET", path_prefix="/api/v1/domains/101/", drip_ms=2)
    received, reads = _timed_exchange(sandbox, "/api/v1/domains/101/")
    head, _sep, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert json.loads(body)["id"] == 101
    # The headers came at once; the body in as many pieces as it has bytes (the client reads faster).
    assert reads > len(body) // 2
    entry = _last_entry(sandbox)
    assert (entry["status"], entry["fault"]) == (200, "drip")
    assert sandbox.faults() == []


def test_drip_with_a_static_body_and_a_cut(sandbox: Any) -> None:
    sandbox.add_fault(method="GET", status=200, body={"detail": "x" * 40}, drip_ms=1, drop="mid_body")
    received, length, body = _raw_exchange(sandbox, "GET", "/api/v1/domains/")
    assert received.startswith(b"HTTP/1.1 200 ")
    assert length is not None and 0 < len(body) < length
    assert _last_entry(sandbox)["fault"] == "drop_mid_body"


def test_drip_is_listed_with_its_pace(sandbox: Any) -> None:
    armed = sandbox.add_fault(method="GET", drip_ms=250, count=2)
    assert (armed["drip_ms"], armed["kind"]) == (250, "drip")
    assert [fault["drip_ms"] for fault in sandbox.faults()] == [250]
    sandbox.control("DELETE", "faults")


def test_a_client_that_gives_up_on_a_drip_is_not_waited_for(sandbox: Any) -> None:
    """The sandbox stops dripping to a client that left, and its journal and reset stay usable."""
    # A whole list page would take minutes at this pace: the client reads the headers and a few bytes, then leaves.
    sandbox.add_fault(method="GET", path_prefix="/api/v1/domains/", drip_ms=100)
    received, _reads = _timed_exchange(sandbox, "/api/v1/domains/", give_up_after=4)
    assert received.startswith(b"HTTP/1.1 200 ")
    entry = _last_entry(sandbox)
    assert (entry["path"], entry["fault"]) == ("/api/v1/domains/", "drip")
    # The dripping thread notices the client is gone and ends, so a reset (which waits for requests in flight)
    # and the next request go through.
    sandbox.reset()
    assert sandbox.api("GET", "domains/101/")[0] == 200
    assert sandbox.journal()[-1]["fault"] is None
