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
        # Epoch seconds, as a number or a string of digits.
        (1768473000, datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("1768473000", datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)),
        (1768473000.5, datetime(2026, 1, 15, 10, 30, 0, 500000, tzinfo=timezone.utc)),
        # Placeholders for "never" are no date (and no crash).
        ("9999-12-31", None),
        ("9999-12-31T23:59:59-05:00", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("0001-01-01", None),
        (10**20, None),
        ("1e400", None),
        (float("nan"), None),
        (True, None),
        ({"date": "2026-01-15"}, None),
        ("2026-01-15T25:00:00Z", None),
        ("06/01/2026", None),
    ],
)
def test_parse_api_time(text, expected):
    assert _time.parse_api_time(text) == expected


@pytest.mark.parametrize(
    ("value", "days_left", "expired"),
    [
        # Calendar days, as a person counts them: the time of day does not matter.
        (stamp(timedelta(days=30)), 30, False),
        (stamp(timedelta(days=30, seconds=-1)), 30, False),
        (stamp(timedelta(days=30, hours=11, minutes=59)), 30, False),
        (stamp(timedelta(days=30, hours=12)), 31, False),
        (stamp(timedelta(seconds=1)), 0, False),
        (stamp(timedelta(0)), 0, False),  # the expiry day itself: 0 days left, not yet expired
        (stamp(timedelta(hours=-12)), 0, False),
        (stamp(timedelta(hours=-12, seconds=-1)), -1, True),
        (stamp(timedelta(days=-1)), -1, True),
        (stamp(timedelta(days=-1, seconds=-1)), -1, True),
        # An offset places the expiry on its UTC date.
        ("2026-03-01T23:30:00-02:00", 1, False),
        ("2026-03-01T00:30:00+02:00", -1, True),
        # A bare date lasts the whole day: today is the last day, yesterday has passed.
        ("2026-03-01", 0, False),
        ("2026-02-28", -1, True),
        ("2026-03-02", 1, False),
        ("2026-03-31", 30, False),
        ("not a date", None, False),
        (None, None, False),
        ("9999-12-31", None, False),
        ("0001-01-01T00:00:00+01:00", None, False),
        (1772366400, 0, False),  # 2026-03-01T12:00:00Z
        ("1772280000", -1, True),  # 2026-02-28T12:00:00Z
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
        ("gone.com", -40),
    ]
    assert [d["domain_name"] for d in _time.expiring_within(domains, 0, NOW)] == ["gone.com"]
    assert len(_time.expiring_within(domains, 365, NOW)) == 5
    assert [d["domain_name"] for d in _time.expiring_within(domains, 31, NOW)][2] == "edge2.com"
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


def test_days_left_counts_calendar_days_as_a_person_does():
    """An expiry on 2026-12-23 has 20 days left on 2026-12-03, at any time of that day and of the expiry's."""
    for hour, minute in ((0, 0), (9, 15), (23, 59)):
        now = datetime(2026, 12, 3, hour, minute, tzinfo=timezone.utc)
        for value in ("2026-12-23", "2026-12-23T00:00:00Z", "2026-12-23T08:00:00+00:00", "2026-12-23T23:59:59Z"):
            assert _time.days_left(value, now) == 20, (now, value)
    # The boundaries: the day before, the day itself, the day after.
    assert _time.days_left("2026-12-23", datetime(2026, 12, 22, 23, 59, tzinfo=timezone.utc)) == 1
    assert _time.days_left("2026-12-23T01:00:00Z", datetime(2026, 12, 23, 23, 0, tzinfo=timezone.utc)) == 0
    assert not _time.is_expired("2026-12-23T01:00:00Z", datetime(2026, 12, 23, 23, 0, tzinfo=timezone.utc))
    assert _time.days_left("2026-12-23", datetime(2026, 12, 24, 0, 0, tzinfo=timezone.utc)) == -1
    assert _time.is_expired("2026-12-23", datetime(2026, 12, 24, 0, 0, tzinfo=timezone.utc))
    # A year boundary and a leap day.
    assert _time.days_left("2028-03-01", datetime(2027, 12, 31, 23, 0, tzinfo=timezone.utc)) == 61


@pytest.mark.parametrize(
    ("value", "state"),
    [
        ("2026-01-15", _time.READABLE),
        (1768473000, _time.READABLE),
        ("1768473000", _time.READABLE),
        ("9999-12-31", _time.NEVER),
        ("0001-01-01T00:00:00+01:00", _time.NEVER),
        ("0001-01-01", _time.NEVER),
        ("+10000-01-01", _time.NEVER),
        (-(10**15), _time.NEVER),
        (None, _time.UNREADABLE),
        ("", _time.UNREADABLE),
        ("06/01/2026", _time.UNREADABLE),
        ("2026-02-30", _time.UNREADABLE),
        ("garbage", _time.UNREADABLE),
        ([2026, 1, 15], _time.UNREADABLE),
        (False, _time.UNREADABLE),
    ],
)
def test_expiry_state(value, state):
    assert _time.expiry_state(value) == state
    assert _time.expiry_unknown(value) is (state == _time.UNREADABLE)
    # Whatever the value, nothing raises and "never" is never expiring.
    if state != _time.READABLE:
        assert _time.days_left(value, NOW) is None
        assert not _time.is_expired(value, NOW)
        assert not _time.expires_within(value, 10**6, NOW)


def test_unknown_expiry_warning_names_every_domain():
    assert _time.unknown_expiry_warning([]) is None
    text = _time.unknown_expiry_warning(["b.com", "a.com", "b.com"])
    assert "a.com, b.com" in text and "cannot be read" in text


@pytest.mark.parametrize(
    ("domain", "moment", "unreadable", "source"),
    [
        (
            {"whois_info": {"created_date": "2026-02-26"}, "registration_date": "2020-01-01"},
            datetime(2026, 2, 26, tzinfo=timezone.utc),
            False,
            "whois_info.created_date",
        ),
        # Epoch seconds are read: a domain 3 days old is young, whatever registration_date says.
        (
            {"whois_info": {"created_date": 1772107200}, "registration_date": "2020-01-01"},
            datetime(2026, 2, 26, 12, tzinfo=timezone.utc),
            False,
            "whois_info.created_date",
        ),
        # A created date given but unreadable is not replaced by registration_date: the age is unknown.
        (
            {"whois_info": {"created_date": "9999-12-31"}, "registration_date": "2020-01-01"},
            None,
            True,
            "whois_info.created_date",
        ),
        (
            {"whois_info": {"created_date": "26/02/2026"}, "registration_date": "2020-01-01"},
            None,
            True,
            "whois_info.created_date",
        ),
        # No created date at all: registration_date is the creation date.
        (
            {"whois_info": {"created_date": None}, "registration_date": "2020-01-01"},
            datetime(2020, 1, 1, tzinfo=timezone.utc),
            False,
            "registration_date",
        ),
        ({"registration_date": "0001-01-01T00:00:00+01:00"}, None, True, "registration_date"),
        ({"whois_info": "n/a"}, None, False, ""),
        ({}, None, False, ""),
    ],
)
def test_read_creation_date(domain, moment, unreadable, source):
    found = _time.read_creation_date(domain)
    assert (found.moment, found.unreadable, found.source) == (moment, unreadable, source)
