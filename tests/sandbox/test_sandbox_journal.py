# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests of the sandbox's request journal, ledger and control API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SECRET = "s3cr3t-account-token"


def test_journal_records_every_api_request_oldest_first(sandbox: Any) -> None:
    sandbox.api("GET", "domains/", params={"search": "shop", "status": "active"}, headers={"User-Agent": "probe/1"})
    sandbox.api("PUT", "domains/101/", {"auto_renew": False})
    sandbox.api("GET", "domains/999/")
    sandbox.api("GET", "domains/", token=None)
    sandbox.api("GET", "/not/an/api/path")
    journal = sandbox.journal()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in journal] == [
        ("GET", "/api/v1/domains/", 200),
        ("PUT", "/api/v1/domains/101/", 200),
        ("GET", "/api/v1/domains/999/", 404),
        ("GET", "/api/v1/domains/", 401),
        ("GET", "/not/an/api/path", 404),
    ]
    first = journal[0]
    assert set(first) == {"time", "method", "path", "query", "body", "status", "account", "user_agent", "fault"}
    assert first["query"] == {"search": "shop", "status": "active"}
    assert first["user_agent"] == "probe/1"
    assert first["body"] is None
    assert first["fault"] is None
    assert TIME.match(first["time"])
    assert [entry["time"] for entry in journal] == sorted(entry["time"] for entry in journal)
    assert journal[1]["body"] == {"auto_renew": False}
    assert journal[1]["account"] == "demo"
    assert journal[3]["account"] is None


def test_journal_skips_control_calls_and_can_be_cleared(sandbox: Any) -> None:
    sandbox.control("GET", "ledger")
    sandbox.control("GET", "faults")
    sandbox.seed_domain(domain_name="quiet-seed.com")
    assert sandbox.journal() == []
    sandbox.api("GET", "domains/")
    assert len(sandbox.journal()) == 1
    sandbox.clear_journal()
    assert sandbox.journal() == []


def test_journal_never_holds_a_token_and_redacts_auth_codes(sandbox: Any) -> None:
    sandbox.add_account("secretive", SECRET, 100)
    sandbox.api("GET", "domains/", token=SECRET)
    sandbox.api("POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234", "auto_renew": True})
    sandbox.api("POST", "domains/104/transfer/", {"auth_code": "EPP-WRONG-5678"})
    # Tokens smuggled into places a careless client might put them.
    sandbox.api("GET", "domains/", params={"token": SECRET, "search": SECRET}, headers={"User-Agent": SECRET})
    sandbox.api("POST", "domains/", {"domain_name": "x.com", "api_token": SECRET, "note": f"my token {SECRET}"})
    sandbox.api("POST", "domains/104/transfer/", raw=b'{"auth_code": "EPP-RAW-9999", broken')
    sandbox.add_fault(method="POST", drop="before_commit")
    with pytest.raises(OSError):
        sandbox.api("POST", "domains/104/transfer/", {"auth_code": "EPP-DROPPED-1"})
    text = json.dumps(sandbox.journal())
    for secret in (SECRET, sandbox.token, "EPP-DEMO-1234", "EPP-WRONG-5678", "EPP-RAW-9999", "EPP-DROPPED-1"):
        assert secret not in text
    transfers = [entry for entry in sandbox.journal() if entry["path"].endswith("/transfer/")]
    assert transfers[0]["body"] == {"auth_code": "***REDACTED***", "auto_renew": True}
    assert transfers[0]["status"] == 200
    assert transfers[1]["body"] == {"auth_code": "***REDACTED***"}
    assert transfers[-1]["body"] == {"auth_code": "***REDACTED***"}
    assert [entry["account"] for entry in sandbox.journal()][:1] == ["secretive"]


def test_ledger_lists_every_charge(sandbox: Any) -> None:
    sandbox.add_account("second", "second-token", 100)
    sandbox.api("POST", "domains/", {"domain_name": "ledger-one.dev", "years": 3})
    sandbox.api("POST", "domains/", {"domain_name": "ledger-two.app"}, token="second-token")
    sandbox.api("POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234"})
    sandbox.api("POST", "domains/", {"domain_name": "google.com"})  # refused: no charge
    ledger = sandbox.ledger()
    assert [(e["account"], e["domain_name"], e["kind"], e["amount"]) for e in ledger] == [
        ("demo", "ledger-one.dev", "registration", 44.97),
        ("second", "ledger-two.app", "registration", 14.99),
        ("demo", "transfer-me.org", "transfer", 13.99),
    ]
    assert all(TIME.match(entry["time"]) for entry in ledger)
    assert set(ledger[0]) == {"time", "account", "domain_name", "kind", "amount"}
    balances = {account["label"]: account["balance"] for account in sandbox.control("GET", "accounts")[1]}
    assert balances == {"demo": round(1000 - 44.97 - 13.99, 2), "second": 85.01}


def test_reset_restores_demo_data_and_start_config(sandbox: Any) -> None:
    sandbox.configure(page_size=1, activation_delay=99, expose_transfer_status=False)
    sandbox.add_account("gone-soon", "gone-token", 1)
    sandbox.api("DELETE", "domains/101/")
    sandbox.api("POST", "domains/", {"domain_name": "forgotten.com"})
    sandbox.add_fault(status=500, count=3)
    status, body = sandbox.control("POST", "reset")
    assert status == 200
    assert body["domains"] == [101, 102, 103, 104]
    assert sandbox.faults() == []
    assert sandbox.ledger() == []
    assert sandbox.journal() == []
    config = sandbox.control("GET", "config")[1]
    assert config == {
        "page_size": 50,
        "activation_delay": 1.0,
        "transfer_delay": 3.0,
        "expose_transfer_status": True,
        "list_transfer_state": False,
        "next_link_base": None,
        "profile": sandbox.profile,
        "latency_ms": 0,
    }
    assert sandbox.api("GET", "domains/", token="gone-token")[0] == 401
    assert sandbox.api("GET", "domains/101/")[2]["domain_name"] == "example-shop.com"
    assert sandbox.api("POST", "domains/", {"domain_name": "forgotten.com"})[0] == 201
    assert sandbox.api("POST", "domains/", {"domain_name": "google.com"})[0] == 400


def test_config_changes_and_rejects_bad_values(sandbox: Any) -> None:
    assert sandbox.configure(activation_delay=0.5)["activation_delay"] == 0.5
    for bad in ({"page_size": 0}, {"page_size": True}, {"activation_delay": -1}, {"colour": "blue"}):
        status, body = sandbox.control("POST", "config", bad)
        assert status == 400, bad
        assert set(body) == set(bad)
    status, body = sandbox.control("POST", "config", {"next_link_base": "ftp://nope"})
    assert status == 400


def test_accounts_are_checked(sandbox: Any) -> None:
    assert sandbox.add_account("fresh", "fresh-token", "25.50") == {"label": "fresh", "balance": 25.5}
    assert sandbox.control("POST", "accounts", {"label": "fresh", "token": "other", "balance": 1})[0] == 400
    assert sandbox.control("POST", "accounts", {"label": "x", "token": "fresh-token", "balance": 1})[0] == 400
    assert sandbox.control("POST", "accounts", {"label": "y", "token": "y", "balance": -5})[0] == 400
    assert sandbox.control("POST", "accounts", {"label": "", "token": "z"})[0] == 400
    assert sandbox.control("PATCH", "accounts/fresh", {"balance": 3})[1] == {"label": "fresh", "balance": 3.0}
    assert sandbox.control("PATCH", "accounts/nobody", {"balance": 3})[0] == 404
    assert SECRET not in json.dumps(sandbox.control("GET", "accounts")[1])


def test_control_errors_are_json(sandbox: Any) -> None:
    assert sandbox.control("GET", "nothing-here") == (404, {"detail": "Not found."})
    status, body = sandbox.control("PUT", "faults", {})
    assert status == 405
    assert "detail" in body
    status, _headers, body = sandbox.api("POST", "/_sandbox/config", raw=b"{oops")
    assert status == 400
    assert body["detail"].startswith("JSON parse error")
