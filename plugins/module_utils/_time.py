# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the API's dates and the one rule for expiry, free of HTTP and of Ansible.

Every module, the role, the inventory plugin and the playbooks judge expiry here, so a domain is "expiring"
or "expired" the same way everywhere:

- A date is read from ISO 8601 (a date, or a date and time with or without an offset: "2026-01-15",
  "2026-01-15T10:30:00Z", "2026-01-15T12:30:00.123+02:00") or from epoch seconds (a number, or a string of
  digits). Anything else ("06/01/2026", null, garbage) is unreadable.
- A date Python cannot hold, or outside the years 1000 to 9998 ("9999-12-31", "0001-01-01T00:00:00+01:00"), is
  how APIs write "never": such an expiry never expires and never counts as unreadable.
- Expiry is counted in calendar days, as a person counts them: `days_left` is the number of UTC calendar dates
  from today to the expiry's date (an expiry on 2026-12-23 has 20 days left on 2026-12-03, whatever the time
  of day). 0 on the expiry day itself, negative once that day has passed; the domain is expired exactly when
  `days_left` is negative.
- "Expiring within N days" means `days_left <= N`: every domain with at most N days left, and every domain
  whose expiry has passed already (the most urgent, not gone: registrars keep expired domains active through
  the grace and redemption periods).
- An expiry that cannot be read is "unknown": it is in no expiring list and no calendar, and the findings
  report it as `expiry_unknown` with a warning naming the domain, so that no domain leaves a report silently.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple

_ISO_TIME = re.compile(
    r"^(?P<date>[+-]?\d{4,6}-\d{2}-\d{2})(?:[T ](?P<clock>\d{2}:\d{2}(?::\d{2})?)(?P<fraction>[.,]\d+)?)?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_EPOCH = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
# Years a real registration date can fall in; outside them a date is a placeholder for "never".
MIN_YEAR = 1000
MAX_YEAR = 9998

# The states of a date as read (DateReading.state).
READABLE = "readable"
NEVER = "never"
UNREADABLE = "unreadable"
MISSING = "missing"


class DateReading(NamedTuple):
    """What a date field holds: `state` is READABLE (with `moment`, UTC), NEVER (an out-of-range placeholder),
    UNREADABLE (a value that is no date) or MISSING (null, absent or blank)."""

    state: str
    moment: Optional[datetime] = None
    date_only: bool = False


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def _from_epoch(seconds: float) -> DateReading:
    if math.isnan(seconds):
        return DateReading(UNREADABLE)
    try:
        moment = datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return DateReading(NEVER)
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        return DateReading(NEVER)
    return DateReading(READABLE, moment)


# A reading is immutable and depends on the text only; an account's dates repeat (every finding, the forecast and
# the report read each domain's expiry again), so each distinct text is parsed once.
@lru_cache(maxsize=8192)
def _from_iso(text: str) -> DateReading:
    match = _ISO_TIME.match(text)
    if not match:
        return DateReading(UNREADABLE)
    day = match.group("date")
    year_text = day[: day.index("-", 1)]
    try:
        year = int(year_text)
        month, mday = (int(part) for part in day[len(year_text) + 1 :].split("-"))
    except ValueError:
        return DateReading(UNREADABLE)
    if not (1 <= month <= 12 and 1 <= mday <= 31):
        return DateReading(UNREADABLE)
    clock = match.group("clock")
    date_only = clock is None
    hours, minutes, seconds = (int(part) for part in ((clock or "00:00") + ":00")[:8].split(":"))
    if hours > 23 or minutes > 59 or seconds > 60:
        return DateReading(UNREADABLE)
    if not 1 <= year <= 9999:
        # Valid in shape but beyond what a calendar date can hold: a placeholder such as "+10000-01-01".
        return DateReading(NEVER)
    try:
        date(year, month, mday)
    except ValueError:
        return DateReading(UNREADABLE)  # 2026-02-30: a wrong date, not a placeholder
    zone = match.group("zone") or "+00:00"
    if zone in ("Z", "z"):
        zone = "+00:00"
    zone_minutes = int(zone[1:3]) * 60 + (int(zone[-2:]) if len(zone) > 3 else 0)
    if zone_minutes >= 24 * 60:
        return DateReading(UNREADABLE)
    fraction = match.group("fraction")
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        local = datetime(year, month, mday, hours, minutes, min(seconds, 59), micro)
        offset = zone_minutes if zone[0] == "+" else -zone_minutes
        # Subtracting the offset can leave the calendar (0001-01-01T00:00+01:00): that is a placeholder too.
        moment = (local.replace(tzinfo=timezone.utc) - timedelta(minutes=offset)).astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return DateReading(NEVER)
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        return DateReading(NEVER)
    return DateReading(READABLE, moment, date_only)


def read_date(value: Any) -> DateReading:
    """What an API date field holds (see DateReading); never raises, whatever the value."""
    if value is None:
        return DateReading(MISSING)
    if isinstance(value, bool):
        return DateReading(UNREADABLE)
    if isinstance(value, (int, float)):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return DateReading(UNREADABLE)
    text = value.strip()
    if not text:
        return DateReading(MISSING)
    if _EPOCH.match(text):
        try:
            return _from_epoch(float(text))
        except (OverflowError, ValueError):
            return DateReading(NEVER)
    return _from_iso(text)


def parse_api_time(value: Any) -> Optional[datetime]:
    """An API date or date-time in UTC (ISO 8601 or epoch seconds); None when it is not a date in range.

    A bare date is midnight UTC of that day. Out-of-range placeholders ("9999-12-31") give None too: use
    read_date to tell them from unreadable values.
    """
    reading = read_date(value)
    return reading.moment if reading.state == READABLE else None


def expiry_date(value: Any) -> Optional[date]:
    """The UTC calendar date an expiry falls on; None when it never expires or cannot be read."""
    moment = parse_api_time(value)
    return None if moment is None else moment.date()


def expiry_state(value: Any) -> str:
    """READABLE, NEVER (an out-of-range placeholder: never expires) or UNREADABLE (null and missing included)."""
    state = read_date(value).state
    return UNREADABLE if state == MISSING else state


def expiry_unknown(value: Any) -> bool:
    """True when an expiration date can be neither read nor taken for "never" (null, "06/01/2026", garbage)."""
    return expiry_state(value) == UNREADABLE


def days_left(value: Any, now: Optional[datetime] = None) -> Optional[int]:
    """Calendar days (UTC) from today to the expiry's date, negative once passed; None when never or unreadable."""
    day = expiry_date(value)
    if day is None:
        return None
    today = (now or utc_now()).astimezone(timezone.utc).date()
    return (day - today).days


def is_expired(value: Any, now: Optional[datetime] = None) -> bool:
    """True when the expiry's date has passed (False when it never expires or cannot be read)."""
    left = days_left(value, now)
    return left is not None and left < 0


def expires_within(value: Any, days: int, now: Optional[datetime] = None) -> bool:
    """True when at most `days` days are left before the expiry's date, or it has passed already."""
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


def unknown_expiry_warning(names: Iterable[str]) -> Optional[str]:
    """The warning for domains whose expiration date cannot be read; None when there are none."""
    shown = sorted(set(names))
    if not shown:
        return None
    it = "it" if len(shown) == 1 else "them"
    return (
        f"the expiration date of {', '.join(shown)} cannot be read: the finding expiry_unknown reports {it}, and "
        f"the expiring lists, the calendar and the renewal forecast cannot place {it}; check {it} in the VPS.org panel"
    )


# -- the creation date, for the 60-day transfer rule -----------------------------------------------------


class CreationDate(NamedTuple):
    """A domain's creation date at the registry as read for the 60-day rule.

    `moment` is set when it is readable; `unreadable` is True when a date was given but cannot be read (or is
    an out-of-range placeholder), so that the age cannot be checked; `source` names the field used, and
    `value` is what it held. Neither set: the API gave no creation date at all.
    """

    moment: Optional[datetime]
    unreadable: bool
    source: str
    value: Any


def read_creation_date(domain: Mapping[str, Any]) -> CreationDate:
    """`whois_info.created_date` when the API gives one, else `registration_date`; see CreationDate.

    A `created_date` that is present but unreadable is not replaced by `registration_date`: the registry's date
    is the one the 60-day rule is about, and `registration_date` may be when the domain joined this account.
    """
    whois = domain.get("whois_info")
    fields: List[Tuple[str, Any]] = []
    if isinstance(whois, Mapping):
        fields.append(("whois_info.created_date", whois.get("created_date")))
    fields.append(("registration_date", domain.get("registration_date")))
    for source, value in fields:
        reading = read_date(value)
        if reading.state == MISSING:
            continue
        if reading.state == READABLE:
            return CreationDate(reading.moment, False, source, value)
        return CreationDate(None, True, source, value)
    return CreationDate(None, False, "", None)
