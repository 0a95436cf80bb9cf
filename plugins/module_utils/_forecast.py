# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the expiry calendar and the renewal forecast, pure functions of what was read.

The next 12 calendar months start with the current one (UTC). A domain lands in the month of its expiration
date; one whose expiration date has passed already lands in the current month (it is due now, not gone). Only
domains with auto-renew on are renewals; the calendar shows both kinds. A domain that never expires
("9999-12-31") or whose expiration date cannot be read is in no month and no renewal total; the latter is
reported by the finding `expiry_unknown` and its warning instead (see `_findings`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils._money import amount, price_of
from ansible_collections.vpsorg.domains.plugins.module_utils._time import expires_within, expiry_date, utc_now

MONTHS = 12
Named = Tuple[str, Mapping[str, Any]]


def months_ahead(now: Optional[datetime] = None, count: int = MONTHS) -> List[str]:
    """The next `count` calendar months as "YYYY-MM", the current month first."""
    now = now or utc_now()
    year, month = now.year, now.month
    months = []
    for _index in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def expiry_month(domain: Mapping[str, Any], now: Optional[datetime] = None) -> Optional[str]:
    """The month ("YYYY-MM") a domain is due: its expiry month, or the current month once it has passed."""
    now = now or utc_now()
    day = expiry_date(domain.get("expiration_date"))
    if day is None:
        return None
    current = f"{now.year:04d}-{now.month:02d}"
    month = f"{day.year:04d}-{day.month:02d}"
    return max(month, current)


def expiry_calendar(domains: Iterable[Named], now: Optional[datetime] = None) -> List[Dict[str, Any]]:
    """The next 12 months, each `{month, auto_renew: [names], no_auto_renew: [names]}` of the domains due then."""
    now = now or utc_now()
    months = {month: {"month": month, "auto_renew": [], "no_auto_renew": []} for month in months_ahead(now)}
    for name, domain in domains:
        entry = months.get(expiry_month(domain, now) or "")
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


def renewal_cost_within(
    domains: Iterable[Named], days: int, table: Mapping[str, float], now: Optional[datetime] = None
) -> float:
    """What renewing the auto-renewing domains due within `days` days (or overdue) is expected to cost."""
    now = now or utc_now()
    due = [
        name
        for name, domain in domains
        if domain.get("auto_renew") is True and expires_within(domain.get("expiration_date"), days, now)
    ]
    return _cost(due, table)


def unpriced(domains: Iterable[Named], table: Mapping[str, float]) -> List[str]:
    """The names whose TLD has no price in the table (their renewals are left out of every estimate)."""
    return sorted(name for name, _domain in domains if price_of(name, table) is None)
