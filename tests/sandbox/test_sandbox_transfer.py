# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests of the sandbox's inbound transfers and of seeding stored domain fields."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _days_ago(days: int) -> str:
    return _iso(datetime.now(timezone.utc) - timedelta(days=days))


def _seed_elsewhere(sandbox: Any, name: str = "moving-in.com", **fields: Any) -> dict:
    fields.setdefault("registrar", "Other Registrar Inc.")
    fields.setdefault("auth_code", "EPP-GOOD")
    fields.setdefault("registration_date", _days_ago(400))
    return sandbox.seed_domain(domain_name=name, **fields)


def test_transfer_starts_charges_and_completes(sandbox: Any, wait_until: Any) -> None:
    sandbox.configure(transfer_delay=1)
    before = sandbox.api("GET", "domains/104/")[2]
    status, _headers, body = sandbox.api(
        "POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234", "auto_renew": False}
    )
    assert status == 200, body
    assert body["id"] == 104
    assert body["domain_name"] == "transfer-me.org"
    assert body["transfer_status"] == "pending"
    assert body["estimated_completion"] >= body["transfer_initiated_at"]
    assert "Domain transfer initiated" in body["message"]
    assert len(body["next_steps"]) == 4
    [entry] = sandbox.ledger()
    assert (entry["kind"], entry["domain_name"], entry["amount"], entry["account"]) == (
        "transfer",
        "transfer-me.org",
        13.99,
        "demo",
    )
    assert sandbox.control("GET", "accounts")[1][0]["balance"] == 986.01

    pending = sandbox.api("GET", "domains/104/")[2]
    assert pending["transfer_status"] == "pending"
    assert pending["transfer_initiated_at"] == body["transfer_initiated_at"]
    assert pending["estimated_completion"] == body["estimated_completion"]
    assert pending["registrar"] == "Other Registrar Inc."
    assert pending["auto_renew"] is False
    # A second start while one is pending is refused and costs nothing.
    status, _headers, again = sandbox.api("POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234"})
    assert status == 400
    assert "pending" in again["detail"]
    assert len(sandbox.ledger()) == 1

    done = wait_until(
        lambda: (detail := sandbox.api("GET", "domains/104/")[2])["transfer_status"] == "completed" and detail
    )
    assert done["registrar"] == "VPS.org"
    assert done["transfer_completed_at"] >= done["transfer_initiated_at"]
    old_expiry = datetime.strptime(before["expiration_date"], "%Y-%m-%dT%H:%M:%SZ")
    new_expiry = datetime.strptime(done["expiration_date"], "%Y-%m-%dT%H:%M:%SZ")
    assert new_expiry.year == old_expiry.year + 1
    assert (new_expiry.month, new_expiry.day) == (old_expiry.month, old_expiry.day)
    # Now at VPS.org: nothing more to transfer.
    status, _headers, body = sandbox.api("POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234"})
    assert status == 400
    assert len(sandbox.ledger()) == 1


def test_wrong_auth_code_is_400_field_error(sandbox: Any) -> None:
    status, _headers, body = sandbox.api("POST", "domains/104/transfer/", {"auth_code": "EPP-WRONG"})
    assert (status, body) == (400, {"auth_code": ["Invalid authorization code."]})
    assert sandbox.ledger() == []
    assert sandbox.api("GET", "domains/104/")[2]["transfer_status"] is None


@pytest.mark.parametrize("body", [{}, {"auth_code": ""}, {"auth_code": None}, {"auth_code": 1234}])
def test_missing_auth_code_is_400(sandbox: Any, body: dict) -> None:
    status, _headers, answer = sandbox.api("POST", "domains/104/transfer/", body)
    assert status == 400
    assert list(answer) == ["auth_code"]


def test_auto_renew_must_be_boolean(sandbox: Any) -> None:
    status, _headers, answer = sandbox.api(
        "POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234", "auto_renew": "yes"}
    )
    assert status == 400
    assert list(answer) == ["auto_renew"]
    assert sandbox.ledger() == []


def test_domain_younger_than_60_days_is_refused(sandbox: Any) -> None:
    young = _seed_elsewhere(sandbox, "young-one.com", registration_date=_days_ago(30))
    status, _headers, body = sandbox.api("POST", f"domains/{young['id']}/transfer/", {"auth_code": "EPP-GOOD"})
    assert status == 400
    assert "60 days" in body["detail"]
    # The whois created date decides, not the registration date.
    mature = _seed_elsewhere(sandbox, "mature-one.com", registration_date=_days_ago(10), created_date=_days_ago(61))
    assert sandbox.api("POST", f"domains/{mature['id']}/transfer/", {"auth_code": "EPP-GOOD"})[0] == 200
    assert [entry["domain_name"] for entry in sandbox.ledger()] == ["mature-one.com"]


def test_sixty_days_is_the_boundary(sandbox: Any) -> None:
    almost = _seed_elsewhere(sandbox, "almost-old.com", registration_date=_days_ago(59))
    status, _headers, body = sandbox.api("POST", f"domains/{almost['id']}/transfer/", {"auth_code": "EPP-GOOD"})
    assert status == 400, body
    assert "60 days" in body["detail"]
    old_enough = _seed_elsewhere(sandbox, "old-enough.com", registration_date=_days_ago(60))
    assert sandbox.api("POST", f"domains/{old_enough['id']}/transfer/", {"auth_code": "EPP-GOOD"})[0] == 200
    assert [entry["domain_name"] for entry in sandbox.ledger()] == ["old-enough.com"]


def test_domain_already_at_vps_org_is_refused(sandbox: Any) -> None:
    status, _headers, body = sandbox.api("POST", "domains/101/transfer/", {"auth_code": "anything"})
    assert status == 400
    assert "VPS.org" in body["detail"]
    assert sandbox.ledger() == []


def test_locked_domain_is_refused(sandbox: Any) -> None:
    locked = _seed_elsewhere(sandbox, "still-locked.net", locked=True)
    status, _headers, body = sandbox.api("POST", f"domains/{locked['id']}/transfer/", {"auth_code": "EPP-GOOD"})
    assert status == 400
    assert "locked" in body["detail"]


def test_transfer_fee_needs_balance(sandbox: Any) -> None:
    sandbox.add_account("poor", "poor-token", 5)
    domain = _seed_elsewhere(sandbox, "cannot-pay.io", account="poor")
    status, _headers, body = sandbox.api(
        "POST", f"domains/{domain['id']}/transfer/", {"auth_code": "EPP-GOOD"}, token="poor-token"
    )
    assert status == 402
    assert body["detail"].startswith("Insufficient balance")
    assert sandbox.ledger() == []
    stored = sandbox.control("GET", f"domains/{domain['id']}")[1]
    assert stored["transfer_status"] is None


def test_failed_transfer_shows_reason_and_can_restart(sandbox: Any) -> None:
    sandbox.patch_domain(104, transfer_status="failed", transfer_failure_reason="Rejected by the losing registrar")
    detail = sandbox.api("GET", "domains/104/")[2]
    assert detail["transfer_status"] == "failed"
    assert detail["transfer_failure_reason"] == "Rejected by the losing registrar"
    assert "transfer_initiated_at" in detail
    status, _headers, body = sandbox.api("POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234"})
    assert status == 200
    assert body["transfer_status"] == "pending"
    assert "transfer_failure_reason" not in sandbox.api("GET", "domains/104/")[2]


def test_seeded_pending_transfer_stays_pending_without_a_timer(sandbox: Any) -> None:
    domain = _seed_elsewhere(sandbox, "stuck-transfer.com", transfer_status="pending")
    detail = sandbox.api("GET", f"domains/{domain['id']}/")[2]
    assert detail["transfer_status"] == "pending"
    assert detail["transfer_initiated_at"]
    assert detail["estimated_completion"]
    assert domain["transfer_complete_at"] is None


def test_seeded_timers_fire(sandbox: Any, wait_until: Any) -> None:
    soon = _iso(datetime.now(timezone.utc) + timedelta(seconds=1))
    pending = sandbox.seed_domain(domain_name="seeded-pending.com", status="pending", activate_at=soon)
    moving = _seed_elsewhere(sandbox, "seeded-moving.com", transfer_status="pending", transfer_complete_at=soon)
    wait_until(lambda: sandbox.api("GET", f"domains/{pending['id']}/")[2]["status"] == "active")
    wait_until(lambda: sandbox.api("GET", f"domains/{moving['id']}/")[2]["registrar"] == "VPS.org")


def test_seed_and_patch_any_stored_field(sandbox: Any) -> None:
    fields = {
        "domain_name": "Seeded-Everything.CO",
        "status": "expired",
        "registrar": "Far Away Registrar",
        "registration_date": "2020-02-29T12:00:00Z",
        "expiration_date": "2021-02-28T12:00:00Z",
        "whois_created_date": "2019-05-01",
        "transfer_status": None,
        "auth_code": "EPP-SEEDED",
        "auto_renew": False,
        "locked": True,
        "privacy_protection": False,
        "nameservers": ["ns1.far.example", "ns2.far.example"],
        "dns_records_count": 7,
    }
    sandbox.add_account("seeded", "seeded-token", 0)
    stored = sandbox.seed_domain(account="seeded", **fields)
    assert stored["id"] == 105
    assert stored["domain_name"] == "seeded-everything.co"
    assert stored["created_date"] == "2019-05-01T00:00:00Z"
    detail = sandbox.api("GET", "domains/105/", token="seeded-token")[2]
    assert detail["status"] == "expired"
    assert detail["registrar"] == "Far Away Registrar"
    assert detail["whois_info"]["created_date"] == "2019-05-01T00:00:00Z"
    assert detail["days_until_expiration"] < 0
    assert detail["dns_records_count"] == 7
    assert detail["nameservers"] == ["ns1.far.example", "ns2.far.example"]
    assert sandbox.api("GET", "domains/", token="seeded-token", params={"status": "expired"})[2]["count"] == 1

    patched = sandbox.patch_domain(105, status="active", locked=False, transfer_status="completed")
    assert (patched["status"], patched["locked"], patched["transfer_status"]) == ("active", False, "completed")
    assert patched["transfer_completed_at"]
    # A seeded name is held in the registry like a registered one.
    assert sandbox.api("POST", "domains/", {"domain_name": "seeded-everything.co"})[0] == 400


@pytest.mark.parametrize(
    "fields",
    [
        {"domain_name": "x.com", "unknown_field": 1},
        {"domain_name": "x.com", "status": "sleeping"},
        {"domain_name": "x.com", "auto_renew": "yes"},
        {"domain_name": "x.com", "registration_date": "last tuesday"},
        {"domain_name": "x.com", "account": "nobody"},
        {"status": "active"},
    ],
)
def test_seed_rejects_bad_fields(sandbox: Any, fields: dict) -> None:
    status, body = sandbox.control("POST", "domains", fields)
    assert status == 400
    assert body
    assert sandbox.api("GET", "domains/")[2]["count"] == 4


def test_patch_unknown_domain_is_404(sandbox: Any) -> None:
    assert sandbox.control("PATCH", "domains/999", {"status": "active"})[0] == 404


def test_seed_many_in_one_call(sandbox: Any) -> None:
    status, stored = sandbox.control("POST", "domains", [{"domain_name": f"bulk-{i}.net"} for i in range(30)])
    assert status == 201
    assert [domain["id"] for domain in stored] == list(range(105, 135))
    assert sandbox.api("GET", "domains/", params={"search": "bulk-"})[2]["count"] == 30
    # One bad item stores none of them.
    status, _body = sandbox.control("POST", "domains", [{"domain_name": "fine.com"}, {"domain_name": 5}])
    assert status == 400
    assert sandbox.api("GET", "domains/", params={"search": "fine.com"})[2]["count"] == 0


def test_transfer_outcome_fail_fails_later_with_the_stored_reason(sandbox: Any, wait_until: Any) -> None:
    sandbox.configure(transfer_delay=0.5)
    domain = _seed_elsewhere(
        sandbox, "refused-later.com", transfer_outcome="fail", transfer_fail_reason="Wrong authorization code"
    )
    status, _headers, body = sandbox.api("POST", f"domains/{domain['id']}/transfer/", {"auth_code": "EPP-GOOD"})
    assert (status, body["transfer_status"]) == (200, "pending")
    assert len(sandbox.ledger()) == 1
    failed = wait_until(
        lambda: (detail := sandbox.api("GET", f"domains/{domain['id']}/")[2])["transfer_status"] == "failed" and detail
    )
    assert failed["transfer_failure_reason"] == "Wrong authorization code"
    assert failed["registrar"] == "Other Registrar Inc."
    assert failed["transfer_initiated_at"] == body["transfer_initiated_at"]
    # The API never shows what the sandbox was told would happen.
    assert "transfer_outcome" not in failed and "transfer_fail_reason" not in failed


def test_transfer_outcome_fail_without_a_reason_says_the_losing_registrar_refused(
    sandbox: Any, wait_until: Any
) -> None:
    sandbox.configure(transfer_delay=0.2)
    domain = _seed_elsewhere(sandbox, "refused-plain.com", transfer_outcome="fail")
    assert sandbox.api("POST", f"domains/{domain['id']}/transfer/", {"auth_code": "EPP-GOOD"})[0] == 200
    failed = wait_until(
        lambda: (detail := sandbox.api("GET", f"domains/{domain['id']}/")[2])["transfer_status"] == "failed" and detail
    )
    assert failed["transfer_failure_reason"] == "The losing registrar refused the transfer."


def test_transfer_outcome_stay_stays_pending(sandbox: Any) -> None:
    sandbox.configure(transfer_delay=0)
    domain = _seed_elsewhere(sandbox, "never-approved.com", transfer_outcome="stay")
    assert sandbox.api("POST", f"domains/{domain['id']}/transfer/", {"auth_code": "EPP-GOOD"})[0] == 200
    stored = sandbox.control("GET", f"domains/{domain['id']}")[1]
    assert stored["transfer_complete_at"] is None
    assert stored["transfer_outcome"] == "stay"
    assert sandbox.api("GET", f"domains/{domain['id']}/")[2]["transfer_status"] == "pending"


def test_transfer_outcome_is_checked(sandbox: Any) -> None:
    status, body = sandbox.control("POST", "domains", {"domain_name": "x.com", "transfer_outcome": "maybe"})
    assert status == 400
    assert "transfer_outcome" in body
    patched = sandbox.patch_domain(104, transfer_outcome="fail", transfer_fail_reason="Registrar lock is on")
    assert (patched["transfer_outcome"], patched["transfer_fail_reason"]) == ("fail", "Registrar lock is on")
    assert sandbox.patch_domain(104, transfer_outcome=None)["transfer_outcome"] is None


def test_a_store_file_made_before_transfer_outcomes_gains_the_columns(tmp_path: Any) -> None:
    import sqlite3

    from sandbox.store import Config, Store

    path = str(tmp_path / "old.sqlite")
    Store(path, Config()).close()
    with sqlite3.connect(path) as db:
        # The file as an earlier sandbox left it: the table without the two columns.
        db.execute("ALTER TABLE domains DROP COLUMN transfer_outcome")
        db.execute("ALTER TABLE domains DROP COLUMN transfer_fail_reason")
    store = Store(path, Config())
    try:
        stored = store.seed_domain({"domain_name": "old-file.com", "transfer_outcome": "stay"})
        assert stored["transfer_outcome"] == "stay"
    finally:
        store.close()
