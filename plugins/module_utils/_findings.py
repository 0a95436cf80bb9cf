# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the findings of an audit, pure functions of the domains as they were read.

A finding is `{name, condition, detail}`. The conditions:

- `expired`: the expiration date has passed, whatever the status (registrars keep such domains active through
  the grace and redemption periods);
- `expiring_without_auto_renew`: not expired, expiring within the warning days, and auto-renew is off;
- `unlocked`: the transfer lock is off;
- `privacy_off`: WHOIS privacy protection is off;
- `expiry_unknown`: the expiration date cannot be read (null, missing, "06/01/2026", garbage), so the expiry
  rules cannot be judged; `unknown_expiry_warning` of `_time` gives the warning that names such domains. An
  out-of-range date such as "9999-12-31" means "never expires" and is no finding;
- `pending_transfer_stuck`: a transfer pending for more than 14 days. The list endpoint does not promise the
  transfer state, and reading every domain's detail would cost a request per domain; so this is judged only
  for domains whose list object carries `transfer_status: pending` and a readable `transfer_initiated_at`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils._time import (
    days_left,
    expires_within,
    expiry_unknown,
    is_expired,
    parse_api_time,
    unknown_expiry_warning,
    utc_now,
)

CONDITIONS = (
    "expired",
    "expiring_without_auto_renew",
    "expiry_unknown",
    "unlocked",
    "privacy_off",
    "pending_transfer_stuck",
)
STUCK_TRANSFER_DAYS = 14


def _date(value: Any) -> str:
    """The date part of a readable date as a person reads it (epoch seconds shown as a date too)."""
    moment = parse_api_time(value)
    return moment.strftime("%Y-%m-%d") if moment is not None else str(value)[:10]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def findings_of(
    name: str, domain: Mapping[str, Any], *, expiry_warning_days: int = 30, now: Optional[datetime] = None
) -> List[Dict[str, Any]]:
    """The findings of one domain, in the order of CONDITIONS."""
    now = now or utc_now()
    found: List[Dict[str, Any]] = []

    def add(condition: str, detail: str) -> None:
        found.append({"name": name, "condition": condition, "detail": detail})

    expiry = domain.get("expiration_date")
    left = days_left(expiry, now)
    if left is not None and is_expired(expiry, now):
        add("expired", f"expired on {_date(expiry)}, {_days(abs(left))} ago")
    elif left is not None and domain.get("auto_renew") is False and expires_within(expiry, expiry_warning_days, now):
        when = "today" if left == 0 else f"in {_days(left)}"
        add("expiring_without_auto_renew", f"expires on {_date(expiry)} ({when}) and auto-renew is off")
    elif expiry_unknown(expiry):
        shown = "no expiration date" if expiry is None else f"an expiration date that cannot be read ({_shown(expiry)})"
        add("expiry_unknown", f"the API gives {shown}; whether it expires soon is unknown")
    if domain.get("locked") is False:
        add("unlocked", "the transfer lock is off")
    if domain.get("privacy_protection") is False:
        add("privacy_off", "WHOIS privacy protection is off")
    if domain.get("transfer_status") == "pending":
        started = parse_api_time(domain.get("transfer_initiated_at"))
        if started is not None and now - started > timedelta(days=STUCK_TRANSFER_DAYS):
            age = (now - started).days
            add(
                "pending_transfer_stuck",
                f"a transfer pending since {_date(domain.get('transfer_initiated_at'))} ({_days(age)}, more than "
                f"{STUCK_TRANSFER_DAYS})",
            )
    return found


def find_all(
    domains: Iterable[Tuple[str, Mapping[str, Any]]], *, expiry_warning_days: int = 30, now: Optional[datetime] = None
) -> List[Dict[str, Any]]:
    """The findings of every domain, sorted by name, then in the order of CONDITIONS."""
    now = now or utc_now()
    found: List[Dict[str, Any]] = []
    for name, domain in sorted(domains, key=lambda item: item[0]):
        found.extend(findings_of(name, domain, expiry_warning_days=expiry_warning_days, now=now))
    return found


def unknown_expiry_warnings(findings: Iterable[Mapping[str, Any]]) -> List[str]:
    """The warning (one, or none) naming every domain with the finding `expiry_unknown`."""
    warning = unknown_expiry_warning(f["name"] for f in findings if f.get("condition") == "expiry_unknown")
    return [] if warning is None else [warning]
