# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the one expiry rule: API dates, days left, expired, expiring within N days."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _time

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def stamp(delta: timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15T10:30:00Z", datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2026-01-15T10:30:00.123456Z", datetime(2026, 1, 15, 10, 30, 0, 123456, tzinfo=timezone.utc)),
        # Django REST Framework renders date-times with microseconds and a +00:00 offset.
        ("2026-01-15T10:30:00.123456+00:00", datetime(2026, 1, 15, 10, 30, 0, 123456, tzinfo=timezone.utc)),
        ("2026-01-15T10:30:00.1+00:00", datetime(2026, 1, 15, 10, 30, 0, 100000, tzinfo=timezone.utc)),
        ("2026-01-15T12:30:00+02:00", datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2026-01-15T12:30+0200", datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2026-01-15", datetime(2026, 1, 15, tzinfo=timezone.utc)),
        ("2026-01-15 10:30:00", datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2026-01-15T10:30", datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2026-01-15T06:00:00-0430", datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2026-02-30", None),
        ("yesterday", None),
        ("15/01/2026", None),
        ("2026-13-45", None),
        ("", None),
        (None, None),
        (20260115, None),
    ],
)
def test_parse_api_time(text, expected):
    assert _time.parse_api_time(text) == expected


@pytest.mark.parametrize(
    ("value", "days_left", "expired"),
    [
        (stamp(timedelta(days=30)), 30, False),
        (stamp(timedelta(days=30, seconds=-1)), 29, False),
        (stamp(timedelta(seconds=1)), 0, False),
        (stamp(timedelta(0)), 0, True),  # the moment itself has passed
        (stamp(timedelta(seconds=-1)), -1, True),
        (stamp(timedelta(days=-1)), -1, True),
        (stamp(timedelta(days=-1, seconds=-1)), -2, True),
        # A bare date lasts the whole day: today is the last day, yesterday has passed.
        ("2026-03-01", 0, False),
        ("2026-02-28", -1, True),
        ("2026-03-02", 1, False),
        ("2026-03-31", 30, False),
        ("not a date", None, False),
        (None, None, False),
    ],
)
def test_days_left_and_expired(value, days_left, expired):
    assert _time.days_left(value, NOW) == days_left
    assert _time.is_expired(value, NOW) is expired


def test_date_only_today_counts_all_day():
    for hour in (0, 12, 23):
        now = NOW.replace(hour=hour, minute=59, second=59)
        assert _time.days_left("2026-03-01", now) == 0
        assert not _time.is_expired("2026-03-01", now)
        assert _time.expires_within("2026-03-01", 0, now)
    assert _time.is_expired("2026-03-01", datetime(2026, 3, 2, tzinfo=timezone.utc))


def test_expiring_within_includes_past_and_the_boundary():
    domains = [
        {"domain_name": "soon.com", "expiration_date": stamp(timedelta(days=20))},
        {"domain_name": "edge.com", "expiration_date": stamp(timedelta(days=30))},
        {"domain_name": "edge2.com", "expiration_date": stamp(timedelta(days=30, hours=23))},
        {"domain_name": "later.com", "expiration_date": stamp(timedelta(days=31))},
        {"domain_name": "gone.com", "expiration_date": stamp(timedelta(days=-40))},
        {"domain_name": "unknown.com", "expiration_date": None},
    ]
    found = _time.expiring_within(domains, 30, NOW)
    assert [(d["domain_name"], d["days_left"]) for d in found] == [
        ("soon.com", 20),
        ("edge.com", 30),
        ("edge2.com", 30),
        ("gone.com", -40),
    ]
    assert [d["domain_name"] for d in _time.expiring_within(domains, 0, NOW)] == ["gone.com"]
    assert len(_time.expiring_within(domains, 365, NOW)) == 5
    # The input objects are not changed.
    assert "days_left" not in domains[0]


def test_expiry_entry_facts():
    domain = {"id": 7, "expiration_date": "2026-02-27", "auto_renew": False, "status": "active"}
    assert _time.expiry_entry(domain, NOW, name="x.com") == {
        "name": "x.com",
        "id": 7,
        "expiration_date": "2026-02-27",
        "days_left": -2,
        "auto_renew": False,
        "status": "active",
    }
