# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the API's dates and the one rule for expiry, free of HTTP and of Ansible.

Every module, the role, the inventory plugin and the playbooks judge expiry here, so a domain is "expiring"
or "expired" the same way everywhere:

- A date-time expiry passes at that moment; a date-only expiry ("2026-01-15") lasts the whole of that day
  (UTC), so a domain whose date is today counts as expiring today, not as expired.
- `days_left` is the number of whole days from now until the expiry passes, rounded down: 0 on the last day,
  negative once it has passed (-1 on the first day after).
- "Expiring within N days" means `days_left <= N`: every domain with at most N whole days left, and every domain
  whose expiry has passed already (the most urgent, not gone: registrars keep expired domains active through
  the grace and redemption periods).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

_ISO_TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<clock>\d{2}:\d{2}(?::\d{2})?)(?P<fraction>\.\d+)?)?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?$"
)
_DAY = timedelta(days=1)


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def _parse(value: Any) -> Optional[Tuple[datetime, bool]]:
    """(aware UTC datetime, whether the value was a bare date) of an API date; None if it is not one."""
    if not isinstance(value, str):
        return None
    match = _ISO_TIME.match(value.strip())
    if not match:
        return None
    clock_part = match.group("clock")
    date_only = clock_part is None
    clock_part = clock_part or "00:00:00"
    if len(clock_part) == 5:
        clock_part += ":00"
    zone = match.group("zone") or "+00:00"
    if zone in ("Z", "z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    # fromisoformat before Python 3.11 takes only 3 or 6 digits of a second's fraction.
    fraction = match.group("fraction")
    fraction = fraction[:7].ljust(7, "0") if fraction else ""
    try:
        parsed = datetime.fromisoformat(f"{match.group('date')}T{clock_part}{fraction}{zone}")
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc), date_only


def parse_api_time(value: Any) -> Optional[datetime]:
    """An API date or date-time ("2026-01-15T10:30:00Z", "...00.123456+00:00", "2026-01-15") in UTC; None if not one.

    A bare date is midnight UTC of that day.
    """
    parsed = _parse(value)
    return None if parsed is None else parsed[0]


def expiry_moment(value: Any) -> Optional[datetime]:
    """When an expiration date passes: the moment itself, or the end of the day (UTC) for a bare date."""
    parsed = _parse(value)
    if parsed is None:
        return None
    moment, date_only = parsed
    return moment + _DAY if date_only else moment


def days_left(value: Any, now: Optional[datetime] = None) -> Optional[int]:
    """Whole days until the expiration date passes (negative once passed); None when the date is unreadable."""
    moment = expiry_moment(value)
    if moment is None:
        return None
    return (moment - (now or utc_now())).days


def is_expired(value: Any, now: Optional[datetime] = None) -> bool:
    """True when the expiration date has passed (False when it is unreadable)."""
    moment = expiry_moment(value)
    return moment is not None and moment <= (now or utc_now())


def expires_within(value: Any, days: int, now: Optional[datetime] = None) -> bool:
    """True when at most `days` whole days are left before the expiration date passes, or it has passed already."""
    left = days_left(value, now)
    return left is not None and left <= days


def expiry_entry(domain: Mapping[str, Any], now: Optional[datetime] = None, **fields: Any) -> Dict[str, Any]:
    """The expiry facts of one domain for a report: id, expiration_date, days_left, auto_renew, status."""
    now = now or utc_now()
    value = domain.get("expiration_date")
    return dict(
        fields,
        id=domain.get("id"),
        expiration_date=value,
        days_left=days_left(value, now),
        auto_renew=domain.get("auto_renew"),
        status=domain.get("status"),
    )


def expiring_within(
    domains: Iterable[Mapping[str, Any]], days: int, now: Optional[datetime] = None
) -> List[Dict[str, Any]]:
    """The domains that expire within `days` days from now or have expired already, each with its `days_left`."""
    now = now or utc_now()
    return [
        dict(domain, days_left=days_left(domain.get("expiration_date"), now))
        for domain in domains
        if expires_within(domain.get("expiration_date"), days, now)
    ]
