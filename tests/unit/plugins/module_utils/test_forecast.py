# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the expiry calendar and the renewal forecast, without HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _forecast as forecast
from ansible_collections.vpsorg.domains.plugins.module_utils._money import price_table

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
TABLE = price_table()


def domain(expiry: Any, auto_renew: bool = True) -> Dict[str, Any]:
    return {"expiration_date": expiry, "auto_renew": auto_renew}


def test_the_window_months_run_from_this_one_to_the_month_365_days_ahead():
    months = forecast.months_ahead(NOW)
    assert months[0] == "2026-11"
    assert months[2] == "2027-01"
    assert months[-1] == "2027-11"
    assert len(months) == 13 == len(set(months))
    # 365 days from 1 March 2027 is 29 February 2028: the window touches 12 months only.
    assert forecast.months_ahead(datetime(2027, 3, 1, tzinfo=timezone.utc)) == [
        f"{year}-{month:02d}" for year, month in [(2027, m) for m in range(3, 13)] + [(2028, 1), (2028, 2)]
    ]


def test_calendar_places_each_domain_in_its_month_split_by_auto_renew():
    calendar = forecast.expiry_calendar(
        [
            ("b.com", domain("2027-01-31T23:59:59Z")),
            ("a.net", domain("2027-01-01", auto_renew=False)),
            ("c.io", domain("2027-10-31")),
            ("late.com", domain("2027-11-21")),  # 366 days ahead: outside the window
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
    assert by_month["2027-11"] == {"month": "2027-11", "auto_renew": [], "no_auto_renew": []}
    placed = sum(len(e["auto_renew"]) + len(e["no_auto_renew"]) for e in calendar)
    assert placed == 5


def _at(days: int, bare: bool) -> str:
    """An expiration date `days` days after NOW: a bare date, or the same time of day as NOW."""
    moment = NOW + timedelta(days=days)
    return moment.strftime("%Y-%m-%d") if bare else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("bare", [True, False], ids=["date", "date-time"])
@pytest.mark.parametrize(
    ("days", "inside"),
    [(-40, True), (0, True), (1, True), (364, True), (365, True), (366, False), (400, False)],
)
def test_the_365_day_total_is_the_sum_of_the_table_at_every_boundary(days: int, inside: bool, bare: bool):
    """Today, 364, 365 and 366 days ahead: a domain is in both the total and a row of the table, or in neither."""
    domains = [
        ("steady.com", domain(_at(100, bare))),
        ("edge.io", domain(_at(days, bare))),
        ("off.net", domain(_at(days, bare), auto_renew=False)),
    ]
    calendar = forecast.expiry_calendar(domains, NOW)
    renewals = forecast.renewal_forecast(calendar, TABLE)
    total = forecast.renewal_cost_within(domains, 365, TABLE, NOW)
    assert total == forecast.forecast_total(renewals)
    assert total == (round(12.99 + 39.99, 2) if inside else 12.99)
    rows = [name for entry in renewals for name in entry["domains"]]
    assert ("edge.io" in rows) is inside
    listed = [name for entry in calendar for name in entry["no_auto_renew"]]
    assert ("off.net" in listed) is inside
    assert [entry["month"] for entry in calendar] == forecast.months_ahead(NOW)


def test_a_date_time_late_on_the_365th_day_stays_in_a_row_of_the_table():
    """An expiry that is in the window in whole days but already in the next month in UTC gets its month."""
    now = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    domains = [("late.com", domain("2027-12-01T06:00:00Z"))]
    calendar = forecast.expiry_calendar(domains, now)
    renewals = forecast.renewal_forecast(calendar, TABLE)
    assert forecast.forecast_total(renewals) == forecast.renewal_cost_within(domains, 365, TABLE, now)
    if forecast.renewal_cost_within(domains, 365, TABLE, now):
        assert renewals[-1] == {"month": "2027-12", "domains": ["late.com"], "estimated_cost": 12.99}


def test_the_forecast_covers_every_domain_of_the_account():
    in_scope = [("a.com", {"id": 1, "auto_renew": True, "expiration_date": "2027-01-01"})]
    account = [
        {"id": 1, "domain_name": "a.com", "auto_renew": False, "expiration_date": "2027-01-01"},
        {"id": 2, "domain_name": "Excluded.IO", "auto_renew": True, "expiration_date": "2027-02-01"},
    ]
    covered = forecast.every_domain(account, in_scope, lambda item: str(item["domain_name"]).lower())
    # The domain in scope as the run left it (auto-renew turned on), and the excluded one as read.
    assert covered == [("a.com", in_scope[0][1]), ("excluded.io", account[1])]


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
