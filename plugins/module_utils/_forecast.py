# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the expiry calendar and the renewal forecast, pure functions of what was read.

One window for every figure: the next 365 days, today (UTC) included, and every domain already past its
expiration date (it is due now, not gone). The calendar and the renewal table list the calendar months those
days touch, the current month first and the month of the 365th day last (13 months, or 12 when the 365th day
falls in the current month of next year); a domain lands in the month of its expiration date, an overdue one in
the current month, and one that expires after the 365th day is in no month. So the months of the renewal table
add up to the 365-day total exactly. Only domains with auto-renew on are renewals; the calendar shows both
kinds. The forecast is about what the account will be charged: it covers every domain of the account, also
those a run leaves alone.
A domain that never expires ("9999-12-31") or whose expiration date cannot be read is in no month and
no renewal total; the latter is reported by the finding `expiry_unknown` and its warning instead (see
`_findings`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils._money import amount, price_of
from ansible_collections.vpsorg.domains.plugins.module_utils._time import expires_within, expiry_date, utc_now

# The forecast window in days after today.
WINDOW_DAYS = 365
Named = Tuple[str, Mapping[str, Any]]


def _month(moment: date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def months_ahead(now: Optional[datetime] = None, days: int = WINDOW_DAYS) -> List[str]:
    """The calendar months ("YYYY-MM") from the current one to the month `days` days ahead, both included."""
    now = now or utc_now()
    return [_month(now), *_months_between(_month(now), _month(now + timedelta(days=days)))]


def _months_between(after: str, last: str) -> List[str]:
    """The months after `after` up to `last` included ("YYYY-MM"); empty when `last` is not later."""
    year, month = int(after[:4]), int(after[5:7])
    months: List[str] = []
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if f"{year:04d}-{month:02d}" > last:
            return months
        months.append(f"{year:04d}-{month:02d}")


def expiry_month(domain: Mapping[str, Any], now: Optional[datetime] = None) -> Optional[str]:
    """The month ("YYYY-MM") a domain is due: its expiry month, or the current month once it has passed."""
    now = now or utc_now()
    day = expiry_date(domain.get("expiration_date"))
    if day is None:
        return None
    return max(_month(day), _month(now))


def expiry_calendar(
    domains: Iterable[Named], now: Optional[datetime] = None, days: int = WINDOW_DAYS
) -> List[Dict[str, Any]]:
    """Each month of the window, `{month, auto_renew: [names], no_auto_renew: [names]}` of the domains due then.

    A domain is placed only when it expires within `days` days (or has expired): the window of the totals.
    """
    now = now or utc_now()
    due = [
        (name, domain, expiry_month(domain, now))
        for name, domain in domains
        if expires_within(domain.get("expiration_date"), days, now)
    ]
    # A date-time late on the 365th day may fall in the next month in UTC: the table then reaches that month,
    # so that no domain counted in the total is missing from its rows.
    latest = max([month for _name, _domain, month in due if month] + [_month(now + timedelta(days=days))])
    months = {
        month: {"month": month, "auto_renew": [], "no_auto_renew": []}
        for month in [_month(now), *_months_between(_month(now), latest)]
    }
    for name, domain, month in due:
        entry = months.get(month or "")
        if entry is not None:
            entry["auto_renew" if domain.get("auto_renew") is True else "no_auto_renew"].append(name)
    for entry in months.values():
        entry["auto_renew"].sort()
        entry["no_auto_renew"].sort()
    return list(months.values())


def _cost(names: Iterable[str], table: Mapping[str, float]) -> float:
    return amount(sum(price_of(name, table) or 0.0 for name in names)) or 0.0


def renewal_forecast(calendar: Iterable[Mapping[str, Any]], table: Mapping[str, float]) -> List[Dict[str, Any]]:
    """Per month of the calendar, the auto-renewing domains due and what renewing them for a year costs."""
    return [
        {
            "month": entry["month"],
            "domains": list(entry["auto_renew"]),
            "estimated_cost": _cost(entry["auto_renew"], table),
        }
        for entry in calendar
    ]


def forecast_total(renewals: Iterable[Mapping[str, Any]]) -> float:
    """The sum of the months of a renewal forecast, as a person adds the rows up."""
    return amount(sum(entry.get("estimated_cost") or 0.0 for entry in renewals)) or 0.0


def renewal_cost_within(
    domains: Iterable[Named], days: int, table: Mapping[str, float], now: Optional[datetime] = None
) -> float:
    """What renewing the auto-renewing domains due within `days` days (or overdue) is expected to cost.

    For WINDOW_DAYS it equals the sum of the months of `renewal_forecast` of the same domains.
    """
    now = now or utc_now()
    due = [
        name
        for name, domain in domains
        if domain.get("auto_renew") is True and expires_within(domain.get("expiration_date"), days, now)
    ]
    return _cost(due, table)


def every_domain(
    account: Iterable[Mapping[str, Any]],
    in_scope: Iterable[Named],
    name_of: Callable[[Mapping[str, Any]], str],
) -> List[Named]:
    """The domains a forecast covers: those in scope (as a run left them) and every other domain of the account.

    A run's scope and exclusions say what it may change; the account is charged for every renewal all the same.
    """
    covered = list(in_scope)
    seen = {id(domain) for _name, domain in covered}
    seen_ids = {domain.get("id") for _name, domain in covered if domain.get("id") is not None}
    for domain in account:
        if id(domain) in seen or (domain.get("id") is not None and domain.get("id") in seen_ids):
            continue
        covered.append((name_of(domain), domain))
    return sorted(covered, key=lambda item: (item[0], str(item[1].get("id"))))


def unpriced(domains: Iterable[Named], table: Mapping[str, float]) -> List[str]:
    """The names whose TLD has no price in the table (their renewals are left out of every estimate)."""
    return sorted(name for name, _domain in domains if price_of(name, table) is None)
