# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests of the sandbox's drf profile (a stock Django REST Framework API), over real HTTP.

Every test sets the profile it is about itself, so it holds whichever profile the session's sandbox serves;
the next test's reset puts the session's profile back.
"""

from __future__ import annotations

import http.client
import json
import re
from typing import Any, Dict, List, Tuple

import pytest

MICRO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
SECONDS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
TIME_KEYS = ("registration_date", "expiration_date")


def _drf(sandbox: Any, **settings: Any) -> None:
    sandbox.configure(profile="drf", **settings)


def _raw(sandbox: Any, method: str, path: str, body: Any = None, token: str = "") -> Tuple[int, Dict[str, str], bytes]:
    """One request over http.client: status, headers and the body's bytes exactly as sent."""
    connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=15)
    headers = {"Authorization": f"Bearer {token or sandbox.token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _ids(sandbox: Any, **params: str) -> List[int]:
    status, _headers, body = sandbox.api("GET", "domains/", params=params or None)
    assert status == 200, body
    return [item["id"] for item in body["results"]]


def _names(sandbox: Any, **params: str) -> List[str]:
    status, _headers, body = sandbox.api("GET", "domains/", params=params or None)
    assert status == 200, body
    return [item["domain_name"] for item in body["results"]]


# -- choosing the profile --------------------------------------------------------------------------------
def test_started_with_profile_drf(start_sandbox: Any) -> None:
    server = start_sandbox("--next-link-base", "https://api.example.test", profile="drf", name="drf")
    assert "Profile: drf" in server.log()
    config = server.control("GET", "config")[1]
    assert (config["profile"], config["next_link_base"]) == ("drf", "https://api.example.test")
    server.configure(page_size=1)
    body = server.api("GET", "domains/")[2]
    assert body["next"] == "https://api.example.test/api/v1/domains/?page=2"
    assert body["results"][0]["id"] == 104  # newest first from the start


def test_config_switches_profile_and_back(sandbox: Any) -> None:
    assert sandbox.configure(profile="drf")["profile"] == "drf"
    assert sandbox.control("GET", "config")[1]["profile"] == "drf"
    assert _ids(sandbox) == [104, 103, 102, 101]
    assert sandbox.configure(profile="default")["profile"] == "default"
    assert _ids(sandbox) == [101, 102, 103, 104]


def test_unknown_profile_is_refused_naming_the_choices(sandbox: Any) -> None:
    sandbox.configure(profile="default")
    status, body = sandbox.control("POST", "config", {"profile": "flask", "page_size": 2})
    assert status == 400
    assert body == {"profile": ["One of: default, drf."]}
    config = sandbox.control("GET", "config")[1]
    assert (config["profile"], config["page_size"]) == ("default", 50)  # nothing of the refused call applied


def test_reset_keeps_the_active_profile_unless_told(sandbox: Any) -> None:
    _drf(sandbox, page_size=3)
    assert sandbox.control("POST", "reset")[0] == 200
    config = sandbox.control("GET", "config")[1]
    assert (config["profile"], config["page_size"]) == ("drf", 50)
    assert sandbox.control("POST", "reset", {"profile": "default"})[0] == 200
    assert sandbox.control("GET", "config")[1]["profile"] == "default"
    sandbox.add_fault(status=500)
    status, body = sandbox.control("POST", "reset", {"profile": "flask"})
    assert (status, body) == (400, {"profile": ["One of: default, drf."]})
    status, _body = sandbox.control("POST", "reset", {"page_size": 3})
    assert status == 400
    assert len(sandbox.faults()) == 1  # a refused reset resets nothing


# -- money and times ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("profile", "cost"), [("drf", "25.98"), ("default", 25.98)])
def test_total_cost_is_a_decimal_string_under_drf(sandbox: Any, profile: str, cost: Any) -> None:
    sandbox.configure(profile=profile)
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "two-years.com", "years": 2})
    assert status == 201, body
    assert body["total_cost"] == cost
    assert type(body["total_cost"]) is type(cost)
    # The control API is the same under both profiles: the ledger's amount is a number.
    assert [entry["amount"] for entry in sandbox.ledger()] == [25.98]


def test_whole_dollar_cost_keeps_two_decimals(sandbox: Any) -> None:
    _drf(sandbox)
    status, _headers, raw = _raw(sandbox, "POST", "/api/v1/domains/", {"domain_name": "ten.io", "years": 10})
    assert status == 201
    assert b'"total_cost":"399.90"' in raw


def test_times_have_microseconds_and_an_offset_under_drf(sandbox: Any) -> None:
    _drf(sandbox)
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "timely.com"})
    assert status == 201
    for key in TIME_KEYS:
        assert MICRO_UTC.match(body[key]), body[key]
    assert MICRO_UTC.match(body["whois_info"]["created_date"])
    listed = sandbox.api("GET", "domains/", params={"search": "timely"})[2]["results"][0]
    assert listed["registration_date"] == body["registration_date"]
    # The same moment under the default profile, to the second with Z; the control view is that too.
    sandbox.configure(profile="default")
    plain = sandbox.api("GET", f"domains/{body['id']}/")[2]
    assert SECONDS_Z.match(plain["registration_date"])
    assert plain["registration_date"] == body["registration_date"][:19] + "Z"
    assert sandbox.control("GET", f"domains/{body['id']}")[1]["registration_date"] == plain["registration_date"]


def test_a_whole_second_renders_as_isoformat_does(sandbox: Any) -> None:
    seeded = sandbox.seed_domain(domain_name="seeded.net", expiration_date="2030-01-15T10:30:00Z")
    _drf(sandbox)
    detail = sandbox.api("GET", f"domains/{seeded['id']}/")[2]
    assert detail["expiration_date"] == "2030-01-15T10:30:00+00:00"


def test_transfer_answer_times_under_drf(sandbox: Any) -> None:
    _drf(sandbox)
    status, _headers, body = sandbox.api("POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234"})
    assert status == 200, body
    assert MICRO_UTC.match(body["transfer_initiated_at"])
    assert MICRO_UTC.match(body["estimated_completion"])


# -- names ---------------------------------------------------------------------------------------------------
def test_unicode_name_is_stored_and_returned_as_posted(sandbox: Any) -> None:
    _drf(sandbox)
    status, _headers, raw = _raw(sandbox, "POST", "/api/v1/domains/", {"domain_name": "bücher.app"})
    assert status == 201
    assert '"domain_name":"bücher.app"'.encode() in raw  # UTF-8, not \\u escapes, compact as DRF writes
    created = json.loads(raw)
    assert sandbox.api("GET", f"domains/{created['id']}/")[2]["domain_name"] == "bücher.app"
    assert sandbox.control("GET", f"domains/{created['id']}")[1]["domain_name"] == "bücher.app"
    assert [entry["domain_name"] for entry in sandbox.ledger()] == ["bücher.app"]


def test_search_matches_stored_text_case_insensitively(sandbox: Any) -> None:
    _drf(sandbox)
    assert sandbox.api("POST", "domains/", {"domain_name": "Bücher.app"})[0] == 201
    assert _names(sandbox, search="bücher") == ["Bücher.app"]
    assert _names(sandbox, search="BÜCHER.APP") == ["Bücher.app"]
    assert _names(sandbox, search="xn--bcher-kva") == []  # the punycode form is not the stored text


def test_punycode_form_of_a_stored_unicode_name_is_taken(sandbox: Any) -> None:
    _drf(sandbox)
    assert sandbox.api("POST", "domains/", {"domain_name": "bücher.app"})[0] == 201
    sandbox.clear_journal()
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "xn--bcher-kva.app"})
    assert status == 400
    assert body == {"domain_name": ["Domain 'xn--bcher-kva.app' is already registered."]}
    assert len(sandbox.ledger()) == 1  # the first registration only: the refusal charged nothing
    assert [(entry["method"], entry["status"]) for entry in sandbox.journal()] == [("POST", 400)]


def test_unicode_name_that_is_no_valid_idn_is_refused(sandbox: Any) -> None:
    _drf(sandbox)
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "a" * 70 + "ü.com"})
    assert status == 400
    assert list(body) == ["domain_name"]
    assert sandbox.ledger() == []


def test_default_profile_still_wants_punycode(sandbox: Any) -> None:
    sandbox.configure(profile="default")
    status, _headers, body = sandbox.api("POST", "domains/", {"domain_name": "bücher.app"})
    assert status == 400
    assert "xn--" in body["domain_name"][0]


# -- lists and links ----------------------------------------------------------------------------------------
def test_lists_are_newest_first_under_drf(sandbox: Any) -> None:
    created = sandbox.api("POST", "domains/", {"domain_name": "newest.dev"})[2]
    _drf(sandbox)
    assert _ids(sandbox) == [created["id"], 104, 103, 102, 101]
    assert _ids(sandbox, search="example") == [103, 102, 101]


def test_page_links_point_to_the_upstream_host(sandbox: Any) -> None:
    _drf(sandbox, page_size=2)
    first = sandbox.api("GET", "domains/", params={"search": "e"})[2]
    assert first["next"] == "http://web:8000/api/v1/domains/?search=e&page=2"
    assert first["previous"] is None
    second = sandbox.api("GET", "domains/", params={"search": "e", "page": "2"})[2]
    assert second["next"] is None
    assert second["previous"] == "http://web:8000/api/v1/domains/?search=e"
    assert [item["id"] for item in first["results"] + second["results"]] == [104, 103, 102, 101]
    sandbox.configure(next_link_base="https://proxy.example.test:8443/")
    assert sandbox.api("GET", "domains/")[2]["next"] == "https://proxy.example.test:8443/api/v1/domains/?page=2"


def test_invalid_page_is_drf_text(sandbox: Any) -> None:
    _drf(sandbox)
    assert sandbox.api("GET", "domains/", params={"page": "9"})[::2] == (404, {"detail": "Invalid page."})


# -- errors ------------------------------------------------------------------------------------------------
def test_401_texts_and_header(sandbox: Any) -> None:
    _drf(sandbox)
    status, headers, body = sandbox.api("GET", "domains/", token=None)
    assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})
    assert headers["WWW-Authenticate"] == 'Bearer realm="api"'
    status, headers, body = sandbox.api("GET", "domains/101/", token="not-a-token")
    assert (status, body) == (401, {"detail": "Invalid token."})
    assert headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_404_for_an_unknown_or_foreign_domain(sandbox: Any) -> None:
    sandbox.add_account("other", "other-token", 10)
    _drf(sandbox)
    expected = (404, {"detail": "No Domain matches the given query."})
    assert sandbox.api("GET", "domains/99999/")[::2] == expected
    assert sandbox.api("GET", "domains/101/", token="other-token")[::2] == expected
    assert sandbox.api("PUT", "domains/99999/", {"auto_renew": True})[::2] == expected
    assert sandbox.api("DELETE", "domains/99999/")[::2] == expected
    assert sandbox.api("POST", "domains/99999/transfer/", {"auth_code": "x"})[::2] == expected


def test_404_for_an_unknown_url_is_djangos_html_page(sandbox: Any) -> None:
    _drf(sandbox)
    status, headers, body = sandbox.api("GET", "nothing-here/")
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>" in body
    status, headers, _body = sandbox.api("GET", "domains/abc/")
    assert (status, headers["Content-Type"].split(";")[0]) == (404, "text/html")


def test_405_text_and_allow_header(sandbox: Any) -> None:
    _drf(sandbox)
    status, headers, body = sandbox.api("PATCH", "domains/101/", {"auto_renew": False})
    assert (status, body) == (405, {"detail": 'Method "PATCH" not allowed.'})
    assert headers["Allow"] == "GET, PUT, DELETE, HEAD, OPTIONS"
    status, headers, _body = sandbox.api("PUT", "domains/")
    assert (status, headers["Allow"]) == (405, "GET, POST, HEAD, OPTIONS")
    assert sandbox.api("GET", "domains/101/")[2]["auto_renew"] is True  # the refused PATCH changed nothing


def test_head_and_options_are_answered_as_django_and_drf_do(sandbox: Any) -> None:
    _drf(sandbox)
    status, headers, raw = _raw(sandbox, "HEAD", "/api/v1/domains/101/")
    full = _raw(sandbox, "GET", "/api/v1/domains/101/")[2]
    assert (status, raw, int(headers["Content-Length"])) == (200, b"", len(full))
    status, _headers, body = sandbox.api("OPTIONS", "domains/")
    assert status == 200
    assert body["renders"] == ["application/json"]
    assert sandbox.api("OPTIONS", "domains/", token=None)[0] == 401
    sandbox.configure(profile="default")
    assert sandbox.api("OPTIONS", "domains/")[0] == 405


def test_every_api_answer_carries_drfs_headers(sandbox: Any) -> None:
    _drf(sandbox)
    _status, headers, _body = sandbox.api("GET", "domains/101/")
    assert headers["Allow"] == "GET, PUT, DELETE, HEAD, OPTIONS"
    assert headers["Vary"] == "Accept"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("retry_after", "detail"),
    [
        (5, "Request was throttled. Expected available in 5 seconds."),
        (1, "Request was throttled. Expected available in 1 second."),
        (None, "Request was throttled."),
    ],
)
def test_429_is_drfs_throttle_answer(sandbox: Any, retry_after: Any, detail: str) -> None:
    _drf(sandbox)
    sandbox.add_fault(status=429, retry_after=retry_after, path_prefix="/api/v1/domains/")
    status, headers, body = sandbox.api("GET", "domains/")
    assert (status, body) == (429, {"detail": detail})
    assert headers.get("Retry-After") == (None if retry_after is None else str(retry_after))


@pytest.mark.parametrize(("status", "title"), [(502, "502 Bad Gateway"), (504, "504 Gateway Time-out")])
def test_gateway_faults_answer_nginx_html(sandbox: Any, status: int, title: str) -> None:
    _drf(sandbox)
    sandbox.add_fault(status=status)
    code, headers, body = sandbox.api("GET", "domains/")
    assert code == status
    assert headers["Content-Type"] == "text/html"
    assert f"<head><title>{title}</title></head>" in body
    assert "<hr><center>nginx</center>" in body


def test_500_fault_is_djangos_html_page(sandbox: Any) -> None:
    _drf(sandbox)
    sandbox.add_fault(status=500)
    status, headers, body = sandbox.api("GET", "domains/")
    assert status == 500
    assert headers["Content-Type"].startswith("text/html")
    assert "<h1>Server Error (500)</h1>" in body


def test_a_fault_with_its_own_body_is_sent_as_given(sandbox: Any) -> None:
    _drf(sandbox)
    sandbox.add_fault(status=502, body={"detail": "custom"})
    assert sandbox.api("GET", "domains/")[::2] == (502, {"detail": "custom"})


# -- what stays the same ---------------------------------------------------------------------------------
def _scenario(sandbox: Any, profile: str) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], Any]:
    sandbox.control("POST", "reset", {"profile": profile})
    sandbox.clear_journal()
    sandbox.add_fault(status=503, method="GET", count=1)
    sandbox.api("GET", "domains/")
    sandbox.api("POST", "domains/", {"domain_name": "same-everywhere.com", "auth_code": "secret-code"})
    sandbox.api("POST", "domains/", {"domain_name": "google.com"})
    sandbox.api("GET", "domains/", params={"search": "same", "page": "1"})
    sandbox.api("PATCH", "domains/101/", {"locked": False})
    sandbox.api("GET", "domains/", token=None)
    faults = sandbox.faults()
    journal = [{key: value for key, value in entry.items() if key != "time"} for entry in sandbox.journal()]
    ledger = [{key: value for key, value in entry.items() if key != "time"} for entry in sandbox.ledger()]
    return journal, ledger, (faults, sandbox.control("GET", "accounts")[1])


def test_journal_ledger_and_faults_are_the_same_under_both_profiles(sandbox: Any) -> None:
    default = _scenario(sandbox, "default")
    drf = _scenario(sandbox, "drf")
    assert drf == default
    journal, ledger, _rest = drf
    assert [entry["status"] for entry in journal] == [503, 201, 400, 200, 405, 401]
    assert journal[1]["body"]["auth_code"] == "***REDACTED***"
    assert ledger == [
        {"account": "demo", "domain_name": "same-everywhere.com", "kind": "registration", "amount": 12.99}
    ]
