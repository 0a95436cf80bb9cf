# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the findings: every condition at its boundary, without HTTP."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _findings as findings

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
GOOD = {"auto_renew": True, "locked": True, "privacy_protection": True}


def domain(**fields: Any) -> Dict[str, Any]:
    item = dict(GOOD, expiration_date="2027-01-01T00:00:00Z")
    item.update(fields)
    return item


def conditions(item: Dict[str, Any], days: int = 30) -> List[str]:
    return [found["condition"] for found in findings.findings_of("a.com", item, expiry_warning_days=days, now=NOW)]


def test_a_domain_in_order_has_no_finding():
    assert conditions(domain()) == []


@pytest.mark.parametrize(
    ("expiry", "auto_renew", "expected"),
    [
        # A date-only expiry that is today lasts the whole day: expiring today, not expired.
        ("2026-03-10", False, ["expiring_without_auto_renew"]),
        ("2026-03-10", True, []),
        # Yesterday's date: expired, whatever auto-renew says.
        ("2026-03-09", True, ["expired"]),
        ("2026-03-09", False, ["expired"]),
        # A date-time counts by its UTC date, as a person counts: earlier today is still the expiry day.
        ("2026-03-10T11:59:59Z", True, []),
        ("2026-03-10T11:59:59Z", False, ["expiring_without_auto_renew"]),
        ("2026-03-09T23:59:59Z", True, ["expired"]),
        # Exactly 30 whole days left is within 30 days; 31 is not.
        ("2026-04-09T12:00:00Z", False, ["expiring_without_auto_renew"]),
        ("2026-04-10T12:00:00Z", False, []),
        # Unreadable dates are reported as such, never dropped; "never" placeholders are no finding.
        ("soon", False, ["expiry_unknown"]),
        (None, False, ["expiry_unknown"]),
        ("06/01/2026", True, ["expiry_unknown"]),
        ("9999-12-31", False, []),
        ("0001-01-01T00:00:00+01:00", False, []),
        # Epoch seconds are a date: 2026-03-09T12:00:00Z.
        (1773057600, False, ["expired"]),
        ("1773057600", False, ["expired"]),
    ],
)
def test_expiry_boundaries(expiry, auto_renew, expected):
    assert conditions(domain(expiration_date=expiry, auto_renew=auto_renew)) == expected


def test_the_details_say_when():
    expired = findings.findings_of("a.com", domain(expiration_date="2026-03-07"), now=NOW)
    assert expired == [{"name": "a.com", "condition": "expired", "detail": "expired on 2026-03-07, 3 days ago"}]
    today = findings.findings_of("a.com", domain(expiration_date="2026-03-10", auto_renew=False), now=NOW)
    assert today[0]["detail"] == "expires on 2026-03-10 (today) and auto-renew is off"
    one = findings.findings_of("a.com", domain(expiration_date="2026-03-11T12:00:00Z", auto_renew=False), now=NOW)
    assert one[0]["detail"] == "expires on 2026-03-11 (in 1 day) and auto-renew is off"


def test_unlocked_and_privacy_off_but_not_unknown():
    assert conditions(domain(locked=False, privacy_protection=False)) == ["unlocked", "privacy_off"]
    # A list object without the field says nothing about it.
    assert conditions({"expiration_date": "2027-01-01"}) == []


@pytest.mark.parametrize(
    ("fields", "stuck"),
    [
        ({"transfer_status": "pending", "transfer_initiated_at": "2026-02-23T11:59:00Z"}, True),  # 15 days
        ({"transfer_status": "pending", "transfer_initiated_at": "2026-02-24T12:00:00Z"}, False),  # exactly 14
        ({"transfer_status": "pending", "transfer_initiated_at": "2026-03-01T00:00:00Z"}, False),
        ({"transfer_status": "completed", "transfer_initiated_at": "2026-01-01T00:00:00Z"}, False),
        # The list object does not say since when: not judged rather than guessed.
        ({"transfer_status": "pending"}, False),
        ({}, False),
    ],
)
def test_pending_transfer_stuck_after_14_days(fields, stuck):
    assert ("pending_transfer_stuck" in conditions(domain(**fields))) is stuck


def test_find_all_sorts_by_name_then_condition():
    found = findings.find_all(
        [("b.com", domain(locked=False)), ("a.com", domain(privacy_protection=False, expiration_date="2026-01-01"))],
        now=NOW,
    )
    assert [(item["name"], item["condition"]) for item in found] == [
        ("a.com", "expired"),
        ("a.com", "privacy_off"),
        ("b.com", "unlocked"),
    ]


def test_unknown_expiry_finding_names_the_value_and_a_warning_names_the_domain():
    found = findings.find_all(
        [("b.com", domain(expiration_date="06/01/2026")), ("a.com", domain(expiration_date=None)), ("c.com", domain())],
        now=NOW,
    )
    unknown = [f for f in found if f["condition"] == "expiry_unknown"]
    assert [f["name"] for f in unknown] == ["a.com", "b.com"]
    assert "'06/01/2026'" in unknown[1]["detail"] and "no expiration date" in unknown[0]["detail"]
    (warning,) = findings.unknown_expiry_warnings(found)
    assert "a.com, b.com" in warning
    assert findings.unknown_expiry_warnings([f for f in found if f["name"] == "c.com"]) == []
