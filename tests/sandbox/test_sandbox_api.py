# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests of the sandbox's domain endpoints, spoken to over real HTTP."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest

UNAUTHORIZED = {"detail": "Unauthorized - invalid or missing authentication token"}
LIST_KEYS = {
    "id",
    "domain_name",
    "status",
    "registration_date",
    "expiration_date",
    "auto_renew",
    "locked",
    "nameservers",
    "privacy_protection",
    "dns_managed_by",
}


def _balance(sandbox: Any, label: str = "demo") -> float:
    _status, accounts = sandbox.control("GET", "accounts")
    return {account["label"]: account["balance"] for account in accounts}[label]


def _names(sandbox: Any, token: Any = None, **params: str) -> List[str]:
    kwargs = {"token": token} if token else {}
    status, _headers, body = sandbox.api("GET", "domains/", params=params or None, **kwargs)
    assert status == 200, body
    return [item["domain_name"] for item in body["results"]]


def _date(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


# -- demo data and authentication -------------------------------------------------------------------
def test_demo_account_and_domains(sandbox: Any) -> None:
    status, _headers, body = sandbox.api("GET", "domains/")
    assert status == 200
    assert body["count"] == 4
    assert body["next"] is None
    assert body["previous"] is None
    by_name = {item["domain_name"]: item for item in body["results"]}
    assert [item["id"] for item in body["results"]] == [101, 102, 103, 104]
    assert set(by_name) == {"example-shop.com", "example-blog.net", "example-labs.io", "transfer-me.org"}
    for item in body["results"]:
        assert set(item) == LIST_KEYS
        assert item["status"] == "active"
    assert by_name["example-blog.net"]["auto_renew"] is False
    assert by_name["example-blog.net"]["nameservers"] == ["ns1.example-dns.net", "ns2.example-dns.net"]
    assert by_name["example-shop.com"]["locked"] is True
    assert _balance(sandbox) == 1000.0

    expected = {101: (400, "VPS.org"), 102: (20, "VPS.org"), 103: (200, "VPS.org"), 104: (300, "Other Registrar Inc.")}
    for domain_id, (days, registrar) in expected.items():
        _status, _headers, detail = sandbox.api("GET", f"domains/{domain_id}/")
        assert detail["days_until_expiration"] == days
        assert detail["registrar"] == registrar
        assert detail["transfer_status"] is None
    stored = sandbox.control("GET", "domains/104")[1]
    assert stored["auth_code"] == "EPP-DEMO-1234"
    assert _date(stored["registration_date"]).year == datetime.now(timezone.utc).year - 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "domains/"),
        ("POST", "domains/"),
        ("GET", "domains/101/"),
        ("PUT", "domains/101/"),
        ("DELETE", "domains/101/"),
        ("POST", "domains/104/transfer/"),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_every_endpoint_needs_a_known_token(sandbox: Any, method: str, path: str, token: Any) -> None:
    status, headers, body = sandbox.api(method, path, {"auth_code": "EPP-DEMO-1234"}, token=token)
    assert status == 401
    assert body == UNAUTHORIZED
    assert headers["Content-Type"] == "application/json"
    # Nothing happened: the demo domain is still there and nothing was charged.
    assert sandbox.api("GET", "domains/101/")[0] == 200
    assert sandbox.ledger() == []


def test_non_bearer_authorization_is_refused(sandbox: Any) -> None:
    status, _headers, body = sandbox.api(
        "GET", "domains/", token=None, headers={"Authorization": f"Token {sandbox.token}"}
    )
    assert (status, body) == (401, UNAUTHORIZED)


# -- list: filters and pagination --------------------------------------------------------------------
def test_list_filters_search_and_status(sandbox: Any) -> None:
    assert _names(sandbox, search="EXAMPLE-") == ["example-shop.com", "example-blog.net", "example-labs.io"]
    assert _names(sandbox, search="blog.n") == ["example-blog.net"]
    assert _names(sandbox, search="nothing-like-it") == []
    assert _names(sandbox, status="pending") == []
    assert sandbox.api("POST", "domains/", {"domain_name": "fresh-start.dev"})[0] == 201
    assert _names(sandbox, status="pending") == ["fresh-start.dev"]
    assert len(_names(sandbox, status="active")) == 4
    assert _names(sandbox, status="pending", search="shop") == []
    status, _headers, body = sandbox.api("GET", "domains/", params={"status": "bogus"})
    assert status == 400
    assert list(body) == ["status"]


def test_pagination_over_four_pages(sandbox: Any) -> None:
    sandbox.configure(page_size=2)
    for index in range(3):
        sandbox.seed_domain(domain_name=f"paged-{index}.com")
    status, _headers, first = sandbox.api("GET", "domains/", params={"page_size": "100"})
    assert status == 200
    assert first["count"] == 7
    assert len(first["results"]) == 2  # page_size from the client is ignored
    assert first["previous"] is None
    seen: List[int] = [item["id"] for item in first["results"]]
    pages = [first]
    next_url = first["next"]
    while next_url:
        parsed = urllib.parse.urlsplit(next_url)
        assert f"{parsed.scheme}://{parsed.netloc}" == sandbox.root_url  # absolute, from the request's Host
        _status, _headers, page = sandbox.api("GET", parsed.path + "?" + parsed.query)
        pages.append(page)
        seen.extend(item["id"] for item in page["results"])
        next_url = page["next"]
    assert len(pages) == 4
    assert seen == sorted(seen)
    assert len(set(seen)) == 7
    assert [len(page["results"]) for page in pages] == [2, 2, 2, 1]
    assert pages[1]["previous"] == f"{sandbox.api_url}/domains/?page_size=100"
    assert pages[3]["previous"] == f"{sandbox.api_url}/domains/?page_size=100&page=3"
    for bad in ("5", "0", "-1", "x"):
        status, _headers, body = sandbox.api("GET", "domains/", params={"page": bad})
        assert (status, body) == (404, {"detail": "Invalid page."})


def test_page_links_use_the_host_the_client_asked_for(sandbox: Any) -> None:
    # DRF builds absolute links from the request's Host header, so a client behind a name or proxy gets its own.
    sandbox.configure(page_size=2)
    port = urllib.parse.urlsplit(sandbox.root_url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "GET",
            "/api/v1/domains/?page=2&search=example",
            headers={"Host": f"sandbox.invalid:{port}", "Authorization": f"Bearer {sandbox.token}"},
        )
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 200, body
    assert body["previous"] == f"http://sandbox.invalid:{port}/api/v1/domains/?search=example"
    assert body["next"] is None
    assert body["count"] == 3


def test_pagination_keeps_filters_in_links(sandbox: Any) -> None:
    sandbox.configure(page_size=1)
    _status, _headers, body = sandbox.api("GET", "domains/", params={"search": "example"})
    assert body["count"] == 3
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(body["next"]).query)
    assert query == {"search": ["example"], "page": ["2"]}


def test_next_link_base_points_links_elsewhere(sandbox: Any) -> None:
    sandbox.configure(page_size=3, next_link_base="http://elsewhere.example:9999/")
    _status, _headers, body = sandbox.api("GET", "domains/")
    assert body["next"] == "http://elsewhere.example:9999/api/v1/domains/?page=2"
    sandbox.configure(next_link_base=None)
    _status, _headers, body = sandbox.api("GET", "domains/")
    assert body["next"] == f"{sandbox.api_url}/domains/?page=2"


def test_empty_account_lists_one_empty_page(sandbox: Any) -> None:
    sandbox.add_account("empty", "empty-token", 0)
    status, _headers, body = sandbox.api("GET", "domains/", token="empty-token")
    assert status == 200
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


# -- registration ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "years", "cost"),
    [
        ("brand-new.com", 2, 25.98),
        ("brand-new.io", 1, 39.99),
        ("brand-new.co", 10, 249.9),
        ("xn--bcher-kva.org", 3, 41.97),
    ],
)
def test_register_charges_price_times_years(sandbox: Any, name: str, years: int, cost: float) -> None:
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": name, "years": years})
    assert status == 201, body
    assert body["domain_name"] == name
    assert body["status"] == "pending"
    assert body["total_cost"] == cost
    assert body["message"] == "Domain registration initiated. Processing may take 5-10 minutes."
    assert body["auto_renew"] is True
    assert body["privacy_protection"] is True
    assert body["nameservers"] == ["ns1.vps.org", "ns2.vps.org"]
    assert body["id"] == 105
    assert _date(body["expiration_date"]).year == _date(body["registration_date"]).year + years
    assert _balance(sandbox) == round(1000 - cost, 2)
    [entry] = sandbox.ledger()
    assert entry["account"] == "demo"
    assert entry["domain_name"] == name
    assert entry["kind"] == "registration"
    assert entry["amount"] == cost


def test_register_uses_the_settings_sent(sandbox: Any) -> None:
    status, _headers, body = sandbox.api(
        "POST",
        "domains/",
        {
            "domain_name": "Mixed-Case.NET",
            "auto_renew": False,
            "privacy_protection": False,
            "nameservers": ["NS1.Example-DNS.net", "ns2.example-dns.net", "ns3.example-dns.net"],
        },
    )
    assert status == 201, body
    assert body["domain_name"] == "mixed-case.net"
    assert body["auto_renew"] is False
    assert body["privacy_protection"] is False
    assert body["nameservers"] == ["ns1.example-dns.net", "ns2.example-dns.net", "ns3.example-dns.net"]
    assert body["total_cost"] == 14.99


LONG_LABEL = "a" * 64
TOO_LONG_NAME = ".".join(["b" * 63] * 4) + ".com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "domain_name"),
        ({"domain_name": None}, "domain_name"),
        ({"domain_name": 42}, "domain_name"),
        ({"domain_name": ""}, "domain_name"),
        ({"domain_name": "com"}, "domain_name"),
        ({"domain_name": "bad_name.com"}, "domain_name"),
        ({"domain_name": "-lead.com"}, "domain_name"),
        ({"domain_name": "trail-.com"}, "domain_name"),
        ({"domain_name": "two..dots.com"}, "domain_name"),
        ({"domain_name": "dot-at-end.com."}, "domain_name"),
        ({"domain_name": f"{LONG_LABEL}.com"}, "domain_name"),
        ({"domain_name": TOO_LONG_NAME}, "domain_name"),
        ({"domain_name": "bücher.com"}, "domain_name"),
        ({"domain_name": "ab--cd.com"}, "domain_name"),
        ({"domain_name": "unsupported.xyz"}, "domain_name"),
        ({"domain_name": "ok-name.com", "years": 0}, "years"),
        ({"domain_name": "ok-name.com", "years": 11}, "years"),
        ({"domain_name": "ok-name.com", "years": "2"}, "years"),
        ({"domain_name": "ok-name.com", "years": True}, "years"),
        ({"domain_name": "ok-name.com", "years": 1.5}, "years"),
        ({"domain_name": "ok-name.com", "auto_renew": "yes"}, "auto_renew"),
        ({"domain_name": "ok-name.com", "auto_renew": 1}, "auto_renew"),
        ({"domain_name": "ok-name.com", "privacy_protection": None}, "privacy_protection"),
        ({"domain_name": "ok-name.com", "nameservers": ["ns1.vps.org"]}, "nameservers"),
        ({"domain_name": "ok-name.com", "nameservers": [f"ns{i}.vps.org" for i in range(5)]}, "nameservers"),
        ({"domain_name": "ok-name.com", "nameservers": "ns1.vps.org,ns2.vps.org"}, "nameservers"),
        ({"domain_name": "ok-name.com", "nameservers": ["ns1.vps.org", "bad host"]}, "nameservers"),
        ({"domain_name": "ok-name.com", "nameservers": ["ns1.vps.org", "ns1.vps.org"]}, "nameservers"),
        ({"domain_name": "ok-name.com", "nameservers": ["ns1.vps.org", 7]}, "nameservers"),
    ],
)
def test_register_validation_errors(sandbox: Any, body: Dict[str, Any], field: str) -> None:
    status, _headers, answer = sandbox.api("POST", "domains/", body)
    assert status == 400
    assert field in answer
    assert isinstance(answer[field], list)
    assert all(isinstance(message, str) and message for message in answer[field])
    assert sandbox.ledger() == []
    assert _balance(sandbox) == 1000.0
    assert sandbox.api("GET", "domains/")[2]["count"] == 4


def test_register_reports_every_bad_field_at_once(sandbox: Any) -> None:
    status, _headers, answer = sandbox.api(
        "POST", "domains/", {"domain_name": "x.xyz", "years": 20, "auto_renew": "no", "nameservers": []}
    )
    assert status == 400
    assert set(answer) == {"domain_name", "years", "auto_renew", "nameservers"}


def test_register_name_limits_accepted(sandbox: Any) -> None:
    name = "c" * 63 + ".com"
    assert sandbox.api("POST", "domains/", {"domain_name": name})[0] == 201
    four = ["ns1.a.org", "ns2.a.org", "ns3.a.org", "ns4.a.org"]
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "four-ns.app", "nameservers": four})
    assert status == 201
    assert body["nameservers"] == four


@pytest.mark.parametrize("name", ["google.com", "example.com", "taken-elsewhere.com", "example-shop.com"])
def test_register_taken_name_is_400(sandbox: Any, name: str) -> None:
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": name})
    assert status == 400
    assert list(body) == ["domain_name"]
    assert sandbox.ledger() == []
    assert _balance(sandbox) == 1000.0


def test_name_held_by_another_account_is_400(sandbox: Any) -> None:
    sandbox.add_account("other", "other-token", 500)
    assert sandbox.api("POST", "domains/", {"domain_name": "theirs.org"}, token="other-token")[0] == 201
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "theirs.org"})
    assert status == 400
    assert "domain_name" in body
    assert [entry["account"] for entry in sandbox.ledger()] == ["other"]
    assert _balance(sandbox) == 1000.0


def test_insufficient_balance_is_402_and_charges_nothing(sandbox: Any) -> None:
    sandbox.add_account("poor", "poor-token", "10.00")
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "too-dear.io"}, token="poor-token")
    assert status == 402
    assert list(body) == ["detail"]
    assert body["detail"].startswith("Insufficient balance")
    assert _balance(sandbox, "poor") == 10.0
    assert sandbox.ledger() == []
    assert _names(sandbox, token="poor-token") == []
    # Nothing reserved the name either: an account that can pay gets it.
    assert sandbox.api("POST", "domains/", {"domain_name": "too-dear.io"})[0] == 201


def test_exact_balance_is_enough(sandbox: Any) -> None:
    sandbox.add_account("exact", "exact-token", 12.99)
    assert sandbox.api("POST", "domains/", {"domain_name": "just-enough.com"}, token="exact-token")[0] == 201
    assert _balance(sandbox, "exact") == 0.0


def test_one_cent_short_is_402(sandbox: Any) -> None:
    sandbox.add_account("short", "short-token", 12.98)
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "not-quite.com"}, token="short-token")
    assert status == 402, body
    assert _balance(sandbox, "short") == 12.98
    assert sandbox.ledger() == []


def test_pending_becomes_active_after_the_activation_delay(sandbox: Any, wait_until: Any) -> None:
    _status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "soon-active.com"})
    domain_id = body["id"]
    assert sandbox.api("GET", f"domains/{domain_id}/")[2]["status"] == "pending"
    wait_until(lambda: sandbox.api("GET", f"domains/{domain_id}/")[2]["status"] == "active")
    assert _names(sandbox, status="active")[-1] == "soon-active.com"


def _race(sandbox: Any, name: str, tokens: List[str]) -> List[int]:
    """Send one registration of `name` per token, all released at once; the statuses, sorted."""
    barrier = threading.Barrier(len(tokens))
    results: List[int] = []
    lock = threading.Lock()

    def register(token: str) -> None:
        barrier.wait()
        status = sandbox.api("POST", "domains/", {"domain_name": name}, token=token)[0]
        with lock:
            results.append(status)

    threads = [threading.Thread(target=register, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


def test_concurrent_registrations_of_one_name_charge_once(sandbox: Any) -> None:
    sandbox.add_account("rival", "rival-token", 1000)
    for round_number in range(5):
        name = f"race-{round_number}.com"
        assert _race(sandbox, name, [sandbox.token, "rival-token"] * 2) == [201, 400, 400, 400]
        charges = [entry for entry in sandbox.ledger() if entry["domain_name"] == name]
        assert len(charges) == 1
        holders = [domain for domain in sandbox.control("GET", "domains")[1] if domain["domain_name"] == name]
        assert len(holders) == 1
    assert round(_balance(sandbox) + _balance(sandbox, "rival"), 2) == round(2000 - 5 * 12.99, 2)


# -- details, update, remove -------------------------------------------------------------------------
def test_details_whois_privacy(sandbox: Any) -> None:
    _status, _headers, private = sandbox.api("GET", "domains/101/")
    assert set(private) >= LIST_KEYS | {"registrar", "days_until_expiration", "whois_info", "dns_records_count"}
    whois = private["whois_info"]
    assert whois["registrant"] == whois["admin_contact"] == whois["tech_contact"] == "REDACTED FOR PRIVACY"
    assert whois["created_date"] == private["registration_date"]
    assert isinstance(private["dns_records_count"], int)
    _status, _headers, public = sandbox.api("GET", "domains/102/")
    assert public["privacy_protection"] is False
    assert "REDACTED" not in public["whois_info"]["registrant"]
    assert set(public["whois_info"]) == {"registrant", "admin_contact", "tech_contact", "created_date", "updated_date"}


def test_expose_transfer_status_off_drops_the_key(sandbox: Any) -> None:
    sandbox.configure(expose_transfer_status=False)
    _status, _headers, body = sandbox.api("GET", "domains/104/")
    assert "transfer_status" not in body
    sandbox.configure(expose_transfer_status=True)
    assert sandbox.api("GET", "domains/104/")[2]["transfer_status"] is None


def test_list_transfer_state_puts_the_transfer_state_in_list_objects(sandbox: Any) -> None:
    listed = {item["id"]: item for item in sandbox.api("GET", "domains/")[2]["results"]}
    assert "transfer_status" not in listed[104] and "registrar" not in listed[104]
    sandbox.patch_domain(104, transfer_status="failed", transfer_failure_reason="Wrong authorization code.")
    sandbox.configure(list_transfer_state=True)
    listed = {item["id"]: item for item in sandbox.api("GET", "domains/")[2]["results"]}
    detail = sandbox.api("GET", "domains/104/")[2]
    for key in ("registrar", "transfer_status", "transfer_initiated_at", "transfer_failure_reason"):
        assert listed[104][key] == detail[key], key
    assert listed[104]["transfer_status"] == "failed"
    sandbox.configure(expose_transfer_status=False)
    listed = {item["id"]: item for item in sandbox.api("GET", "domains/")[2]["results"]}
    assert "transfer_status" not in listed[104] and listed[104]["registrar"] == detail["registrar"]


def test_update_is_partial(sandbox: Any) -> None:
    before = sandbox.api("GET", "domains/101/")[2]
    status, _headers, body = sandbox.api("PUT", "domains/101/", {"auto_renew": False})
    assert status == 200
    assert body == {
        "id": 101,
        "domain_name": "example-shop.com",
        "status": "active",
        "auto_renew": False,
        "privacy_protection": True,
        "nameservers": ["ns1.vps.org", "ns2.vps.org"],
        "locked": True,
        "message": body["message"],
    }
    assert "24 hours" in body["message"]
    after = sandbox.api("GET", "domains/101/")[2]
    assert after["auto_renew"] is False
    assert after["whois_info"]["updated_date"] >= before["whois_info"]["updated_date"]
    for key in ("locked", "privacy_protection", "nameservers", "expiration_date"):
        assert after[key] == before[key]

    status, _headers, body = sandbox.api(
        "PUT",
        "domains/101/",
        {"locked": False, "privacy_protection": False, "nameservers": ["a.ns.example", "b.ns.example"]},
    )
    assert status == 200
    assert (body["locked"], body["privacy_protection"], body["nameservers"]) == (
        False,
        False,
        ["a.ns.example", "b.ns.example"],
    )
    assert sandbox.api("PUT", "domains/101/", {})[0] == 200
    assert sandbox.ledger() == []


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"auto_renew": "false"}, {"auto_renew"}),
        ({"locked": 0}, {"locked"}),
        ({"privacy_protection": None}, {"privacy_protection"}),
        ({"nameservers": ["only.one.example"]}, {"nameservers"}),
        ({"nameservers": ["a.example", "b.example", "c.example", "d.example", "e.example"]}, {"nameservers"}),
        ({"nameservers": ["a.example", "not valid"]}, {"nameservers"}),
        ({"locked": "no", "nameservers": []}, {"locked", "nameservers"}),
    ],
)
def test_update_validation_changes_nothing(sandbox: Any, body: Dict[str, Any], fields: set) -> None:
    before = sandbox.api("GET", "domains/101/")[2]
    status, _headers, answer = sandbox.api("PUT", "domains/101/", body)
    assert status == 400
    assert set(answer) == fields
    assert sandbox.api("GET", "domains/101/")[2] == before


def test_delete_removes_from_account_but_keeps_the_name_taken(sandbox: Any) -> None:
    status, headers, body = sandbox.api("DELETE", "domains/102/")
    assert status == 204
    assert body is None
    assert headers.get("Content-Length") in (None, "0")
    assert sandbox.api("GET", "domains/102/")[0] == 404
    assert sandbox.api("DELETE", "domains/102/")[0] == 404
    assert "example-blog.net" not in _names(sandbox)
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "example-blog.net"})
    assert status == 400
    assert "domain_name" in body
    sandbox.add_account("other", "other-token", 100)
    assert sandbox.api("POST", "domains/", {"domain_name": "example-blog.net"}, token="other-token")[0] == 400
    assert sandbox.ledger() == []


def test_another_accounts_domain_is_404_everywhere(sandbox: Any) -> None:
    sandbox.add_account("other", "other-token", 1000)
    before = sandbox.api("GET", "domains/104/")[2]
    calls = [
        ("GET", "domains/104/", None),
        ("PUT", "domains/104/", {"auto_renew": False}),
        ("PUT", "domains/104/", {"auto_renew": "invalid"}),
        ("DELETE", "domains/104/", None),
        ("POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234"}),
    ]
    for method, path, body in calls:
        status, _headers, answer = sandbox.api(method, path, body, token="other-token")
        assert (status, answer) == (404, {"detail": "Not found."}), (method, path)
    assert _names(sandbox, token="other-token") == []
    assert sandbox.api("GET", "domains/104/")[2] == before
    assert sandbox.ledger() == []


# -- protocol errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/api/v1/domains", "/api/v1/domains/101", "/api/v1/nothing/", "/api/v1/domains/abc/", "/", "/other"]
)
def test_unknown_paths_are_json_404(sandbox: Any, path: str) -> None:
    status, headers, body = sandbox.api("GET", path)
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert body == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "domains/", "GET, POST"),
        ("PATCH", "domains/101/", "DELETE, GET, PUT"),
        ("POST", "domains/101/", "DELETE, GET, PUT"),
        ("GET", "domains/104/transfer/", "POST"),
    ],
)
def test_wrong_method_is_json_405(sandbox: Any, method: str, path: str, allow: str) -> None:
    status, headers, body = sandbox.api(method, path, {})
    assert status == 405
    assert headers["Allow"] == allow
    assert body == {"detail": f'Method "{method}" not allowed.'}


@pytest.mark.parametrize("raw", [b"{not json", b'{"domain_name": "x.com"', b"\xff\xfe"])
def test_malformed_json_is_400(sandbox: Any, raw: bytes) -> None:
    for method, path in (("POST", "domains/"), ("PUT", "domains/101/"), ("POST", "domains/104/transfer/")):
        status, _headers, body = sandbox.api(method, path, raw=raw)
        assert status == 400
        assert body["detail"].startswith("JSON parse error")
    assert sandbox.ledger() == []


def test_body_that_is_not_an_object_is_400(sandbox: Any) -> None:
    status, _headers, body = sandbox.api("POST", "domains/", ["example.com"])
    assert status == 400
    assert body == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
