# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the expiry calendar and the renewal forecast, without HTTP."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict

from ansible_collections.vpsorg.domains.plugins.module_utils import _forecast as forecast
from ansible_collections.vpsorg.domains.plugins.module_utils._money import price_table

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
TABLE = price_table()


def domain(expiry: Any, auto_renew: bool = True) -> Dict[str, Any]:
    return {"expiration_date": expiry, "auto_renew": auto_renew}


def test_the_next_12_months_start_with_this_one_and_cross_the_year():
    months = forecast.months_ahead(NOW)
    assert months[0] == "2026-11"
    assert months[2] == "2027-01"
    assert months[-1] == "2027-10"
    assert len(months) == 12 == len(set(months))


def test_calendar_places_each_domain_in_its_month_split_by_auto_renew():
    calendar = forecast.expiry_calendar(
        [
            ("b.com", domain("2027-01-31T23:59:59Z")),
            ("a.net", domain("2027-01-01", auto_renew=False)),
            ("c.io", domain("2027-10-31")),
            ("late.com", domain("2027-11-01")),  # the 13th month: outside the calendar
            ("old.org", domain("2026-10-01")),  # expired: due now, in the current month
            ("today.dev", domain("2026-11-20", auto_renew=False)),
            ("odd.com", domain("soon")),
        ],
        NOW,
    )
    by_month = {entry["month"]: entry for entry in calendar}
    assert by_month["2027-01"] == {"month": "2027-01", "auto_renew": ["b.com"], "no_auto_renew": ["a.net"]}
    assert by_month["2026-11"] == {"month": "2026-11", "auto_renew": ["old.org"], "no_auto_renew": ["today.dev"]}
    assert by_month["2027-10"]["auto_renew"] == ["c.io"]
    placed = sum(len(e["auto_renew"]) + len(e["no_auto_renew"]) for e in calendar)
    assert placed == 5


def test_forecast_prices_only_auto_renewing_domains_and_skips_unknown_tlds():
    calendar = forecast.expiry_calendar(
        [
            ("a.com", domain("2027-02-01")),
            ("b.io", domain("2027-02-15")),
            ("c.net", domain("2027-02-20", auto_renew=False)),
            ("d.shop", domain("2027-02-21")),
        ],
        NOW,
    )
    february = next(entry for entry in forecast.renewal_forecast(calendar, TABLE) if entry["month"] == "2027-02")
    assert february == {"month": "2027-02", "domains": ["a.com", "b.io", "d.shop"], "estimated_cost": 52.98}
    assert all(entry["estimated_cost"] == 0.0 for entry in forecast.renewal_forecast(calendar, TABLE)[:3])
    assert forecast.unpriced([("d.shop", {}), ("a.com", {})], TABLE) == ["d.shop"]
    with_shop = forecast.renewal_forecast(calendar, price_table({"shop": "9.5"}))
    assert [e["estimated_cost"] for e in with_shop if e["month"] == "2027-02"] == [62.48]


def test_renewal_cost_within_n_days_counts_exactly_n_and_overdue():
    domains = [
        ("in30.com", domain("2026-12-20T12:00:00Z")),  # exactly 30 days left
        ("in31.net", domain("2026-12-21T12:00:00Z")),
        ("overdue.org", domain("2026-11-19")),  # yesterday
        ("today.io", domain("2026-11-20")),
        ("off.com", domain("2026-11-25", auto_renew=False)),
        ("in365.dev", domain("2027-11-20T12:00:00Z")),
    ]
    assert forecast.renewal_cost_within(domains, 30, TABLE, NOW) == round(12.99 + 13.99 + 39.99, 2)
    assert forecast.renewal_cost_within(domains, 365, TABLE, NOW) == round(12.99 + 14.99 + 13.99 + 39.99 + 14.99, 2)
    assert forecast.renewal_cost_within([], 30, TABLE, NOW) == 0.0
