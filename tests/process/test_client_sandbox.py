# SPDX-License-Identifier: GPL-3.0-or-later
"""The API client against the sandbox server: pages, lookups, faults, and what the journal and ledger saw."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Tuple

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils._client import (
    USER_AGENT,
    ApiClient,
    ApiError,
    OutcomeUnknown,
    RetryPolicy,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._http import RateLimited

DEMO_NAMES = ["example-blog.net", "example-labs.io", "example-shop.com", "transfer-me.org"]


class FakeTime:
    """Clock and sleep that never wait for real: retries stay instant and deterministic."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: List[float] = []
        self.lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def client_for(sandbox: Any, token: Any = None, **kwargs: Any) -> Tuple[ApiClient, FakeTime]:
    fake = FakeTime()
    options: Dict[str, Any] = {"timeout": 10}
    options.update(kwargs)
    retry = RetryPolicy(sleep=fake.sleep, clock=fake.clock)
    return ApiClient(token or sandbox.token, sandbox.api_url, retry=retry, **options), fake


def journal(sandbox: Any, count: int) -> List[dict]:
    """The journal once it holds `count` entries: the sandbox records a request after answering (or dropping) it."""
    deadline = time.monotonic() + 10
    entries = sandbox.journal()
    while len(entries) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        entries = sandbox.journal()
    return entries


def api_requests(sandbox: Any, count: int) -> List[Tuple[str, str]]:
    return [(entry["method"], entry["path"]) for entry in journal(sandbox, count)]


def test_all_pages_are_read_with_the_user_agent(sandbox: Any) -> None:
    sandbox.configure(page_size=1)
    client, _sleeps = client_for(sandbox)
    names = sorted(item["domain_name"] for item in client.list_domains())
    assert names == DEMO_NAMES
    entries = journal(sandbox, 4)
    assert [entry["method"] for entry in entries] == ["GET"] * 4
    assert {entry["user_agent"] for entry in entries} == {USER_AGENT}
    assert {entry["account"] for entry in entries} == {"demo"}


class _ConnectionRecorder:
    """A second loopback port that records every connection made to it (and answers none)."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _address = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.socket.close()


def test_next_links_to_another_host_are_rebased_and_that_host_is_never_contacted(sandbox: Any) -> None:
    """Behind a proxy without forwarded-host settings: read on api_url's host, one warning, nothing sent elsewhere."""
    elsewhere = _ConnectionRecorder()
    try:
        sandbox.configure(page_size=1, next_link_base=f"http://127.0.0.1:{elsewhere.port}/upstream")
        client, _sleeps = client_for(sandbox)
        seen: List[str] = []
        client.on_warning = seen.append
        names = [item["domain_name"] for item in client.list_domains()]
    finally:
        elsewhere.close()
    assert sorted(names) == DEMO_NAMES
    assert elsewhere.connections == 0
    entries = journal(sandbox, 4)
    assert sorted((entry["path"], entry["query"].get("page", "1")) for entry in entries) == [
        ("/api/v1/domains/", "1"),
        ("/api/v1/domains/", "2"),
        ("/api/v1/domains/", "3"),
        ("/api/v1/domains/", "4"),
    ]
    assert {entry["account"] for entry in entries} == {"demo"}
    assert seen == client.warnings
    assert len(seen) == 1
    assert f"http://127.0.0.1:{elsewhere.port}/upstream/api/v1/domains/" in seen[0]
    assert sandbox.token not in seen[0]


def test_a_large_account_is_read_concurrently_whole_and_in_page_order(sandbox: Any) -> None:
    sandbox.add_account("large", "large-account-token", "100.00")
    with ThreadPoolExecutor(max_workers=4) as pool:
        seeded = list(
            pool.map(
                lambda index: sandbox.seed_domain(account="large", domain_name=f"large-{index:04d}.com"), range(1000)
            )
        )
    sandbox.configure(page_size=100)
    sandbox.clear_journal()
    client, _sleeps = client_for(sandbox, token="large-account-token")
    items = client.list_domains()
    assert [item["id"] for item in items] == sorted(domain["id"] for domain in seeded)
    entries = journal(sandbox, 10)
    assert len(entries) == 10
    assert sorted(int(entry["query"].get("page", 1)) for entry in entries) == list(range(1, 11))
    assert {(entry["method"], entry["path"], entry["status"]) for entry in entries} == {
        ("GET", "/api/v1/domains/", 200)
    }
    assert client.warnings == []


def test_find_domains_is_exact(sandbox: Any) -> None:
    client, _sleeps = client_for(sandbox)
    found = client.find_domains("EXAMPLE-SHOP.com.")
    assert [item["domain_name"] for item in found] == ["example-shop.com"]
    assert client.find_domains("example-shop.co") == []  # a substring of example-shop.com
    assert [entry["query"] for entry in journal(sandbox, 2)] == [
        {"search": "example-shop.com"},
        {"search": "example-shop.co"},
    ]


def test_a_wrong_token_is_reported_as_such(sandbox: Any) -> None:
    client, _sleeps = client_for(sandbox, token="not-the-token-7781")
    with pytest.raises(ApiError) as caught:
        client.list_domains()
    assert caught.value.status == 401
    assert "the API token was rejected (HTTP 401): check api_token / VPSORG_API_TOKEN" in str(caught.value)
    assert "not-the-token-7781" not in str(caught.value)
    assert len(journal(sandbox, 1)) == 1


def test_a_taken_name_is_a_400_naming_why(sandbox: Any) -> None:
    client, _sleeps = client_for(sandbox)
    with pytest.raises(ApiError) as caught:
        client.register_domain({"domain_name": "google.com"})
    assert not isinstance(caught.value, OutcomeUnknown)
    assert caught.value.status == 400
    assert "(HTTP 400)" in str(caught.value)
    assert caught.value.detail or caught.value.field_errors
    assert sandbox.ledger() == []


def test_insufficient_balance_is_a_402(sandbox: Any) -> None:
    sandbox.add_account("poor", "poor-token-0001", "1.00")
    client, _sleeps = client_for(sandbox, token="poor-token-0001")
    with pytest.raises(ApiError, match=r"insufficient account balance \(HTTP 402\)") as caught:
        client.register_domain({"domain_name": "brand-new-name-4711.com"})
    assert caught.value.status == 402


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503},
        {"status": 429, "retry_after": 2},
        {"status": 502, "body": "<html><body>Bad Gateway</body></html>", "content_type": "text/html"},
        {"drop": "before_commit"},
        {"drop": "mid_body"},
    ],
)
def test_reads_survive_one_fault(sandbox: Any, fault: dict) -> None:
    sandbox.add_fault(method="GET", path_prefix="/api/v1/domains/", count=1, **fault)
    client, fake = client_for(sandbox)
    assert len(client.list_domains()) == 4
    assert [entry["method"] for entry in journal(sandbox, 2)] == ["GET", "GET"]
    assert sandbox.faults() == [] or all(item.get("count") == 0 for item in sandbox.faults())
    if "retry_after" in fault:
        assert fake.sleeps == [2.0]


@pytest.mark.parametrize(
    ("fault", "charged"),
    [
        ({"drop": "before_commit"}, False),
        ({"drop": "after_commit"}, True),
        ({"drop": "mid_body"}, True),
        ({"status": 503}, False),
    ],
)
def test_an_ambiguous_registration_is_unknown_and_sent_once(sandbox: Any, fault: dict, charged: bool) -> None:
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", count=1, **fault)
    client, _sleeps = client_for(sandbox)
    with pytest.raises(OutcomeUnknown, match="outcome unknown"):
        client.register_domain({"domain_name": "fresh-name-0815.com"})
    assert api_requests(sandbox, 1) == [("POST", "/api/v1/domains/")]
    assert len(sandbox.ledger()) == (1 if charged else 0)


def test_a_rate_limited_registration_is_not_sent_again_by_the_client(sandbox: Any) -> None:
    """A 429 to a paid POST may follow a charge: the client hands it to the write engine, which looks it up."""
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", count=1, status=429, retry_after=3)
    client, fake = client_for(sandbox)
    with pytest.raises(RateLimited) as raised:
        client.register_domain({"domain_name": "fresh-name-0816.com", "years": 1})
    assert raised.value.retry_after == 3.0
    assert fake.sleeps == []
    assert api_requests(sandbox, 1) == [("POST", "/api/v1/domains/")]
    assert sandbox.ledger() == []


def test_retry_after_above_the_cap_fails_at_once(sandbox: Any) -> None:
    sandbox.add_fault(method="GET", path_prefix="/api/v1/domains/", count=1, status=429, retry_after=600)
    client, fake = client_for(sandbox)
    with pytest.raises(ApiError, match="more than the 60 s"):
        client.list_domains()
    assert fake.sleeps == []
    assert len(journal(sandbox, 1)) == 1


def test_a_removal_whose_answer_was_lost_counts_as_done(sandbox: Any) -> None:
    domain = sandbox.seed_domain(domain_name="remove-me-0817.com", auto_renew=False)
    sandbox.add_fault(method="DELETE", path_prefix="/api/v1/domains/", count=1, drop="after_commit")
    client, _sleeps = client_for(sandbox)
    assert client.remove_domain(domain["id"]) is None
    assert api_requests(sandbox, 2)[:2] == [("DELETE", f"/api/v1/domains/{domain['id']}/")] * 2
    assert client.find_domains("remove-me-0817.com") == []


def test_a_removal_of_an_unknown_id_is_a_404(sandbox: Any) -> None:
    client, _sleeps = client_for(sandbox)
    with pytest.raises(ApiError, match=r"not found \(HTTP 404\)"):
        client.remove_domain(999999)


def test_updates_send_only_the_changes(sandbox: Any) -> None:
    client, _sleeps = client_for(sandbox)
    domain = client.find_domains("example-blog.net")[0]
    updated = client.update_domain(domain["id"], {"auto_renew": True})
    assert updated["auto_renew"] is True
    (entry,) = journal(sandbox, 2)[1:]
    assert entry["method"] == "PUT"
    assert entry["body"] == {"auto_renew": True}
