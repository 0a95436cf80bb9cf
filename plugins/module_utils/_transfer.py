# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to this collection: decisions for inbound transfers, free of HTTP and of Ansible."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

VPS_REGISTRAR = "VPS.org"
MIN_AGE_DAYS = 60
AUTH_CODE_MIN_LENGTH = 6
AUTH_CODE_MAX_LENGTH = 255
REDACTED = "********"

ACTION_NONE = "none"
ACTION_FAIL = "fail"
ACTION_START = "start"

# A detail object carries these beside `transfer_status` when the API reports a transfer's dates or outcome;
# any other `transfer_*` key is kept as well, so a field the API adds later still reaches the user.
_STATE_KEYS = ("transfer_status", "transfer_initiated_at", "estimated_completion", "transfer_completed_at")
# Where a failed transfer's reason may be found, most specific first.
_REASON_KEYS = ("transfer_failure_reason", "transfer_error", "transfer_message", "transfer_status_reason")
# Keys that may hold a secret in a detail object; never returned to the user.
_SECRET_KEYS = frozenset(("auth_code", "authcode", "auth_info", "epp_code"))

_ISO_DATE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<fraction>\.\d+)?)?"
    r"\s*(?P<zone>Z|z|[+-]\d{2}:?\d{2})?$"
)


class TransferPlan:
    """What to do about one domain: `action` is none, fail or start; `reason` says why in the user's words."""

    def __init__(self, action: str, reason: str, state: Dict[str, Any], warnings: Optional[List[str]] = None) -> None:
        self.action = action
        self.reason = reason
        self.state = state
        self.warnings = list(warnings or [])

    def __repr__(self) -> str:
        return f"TransferPlan({self.action!r}, {self.reason!r})"


def check_auth_code(value: Any) -> str:
    """Return the auth code to send, or raise ValueError saying what is wrong without showing it.

    Leading and trailing whitespace is dropped (a code pasted from an e-mail or a YAML block scalar often
    carries a newline). What remains must be 6 to 255 printable ASCII characters without spaces: EPP codes
    issued by registrars are, and anything else (an empty vault entry, a typographic quote, a line break in
    the middle) is a mistake the registry would refuse after the request.
    """
    if not isinstance(value, str):
        raise ValueError("auth_code must be a string")
    code = value.strip()
    if not code:
        raise ValueError("auth_code is empty")
    if len(code) < AUTH_CODE_MIN_LENGTH:
        raise ValueError(f"auth_code is malformed: shorter than {AUTH_CODE_MIN_LENGTH} characters")
    if len(code) > AUTH_CODE_MAX_LENGTH:
        raise ValueError(f"auth_code is malformed: longer than {AUTH_CODE_MAX_LENGTH} characters")
    for position, char in enumerate(code, start=1):
        point = ord(char)
        if char.isspace():
            problem = "contains whitespace"
        elif point < 0x20 or 0x7F <= point < 0xA0:
            problem = "contains a control character"
        elif point > 0x7E:
            problem = "contains a non-ASCII character"
        else:
            continue
        raise ValueError(f"auth_code is malformed: {problem} at position {position}")
    return code


def parse_date(value: Any) -> Optional[datetime]:
    """An API date (ISO 8601, `Z` or an offset, or a bare date) as an aware UTC datetime; None if unusable."""
    if not isinstance(value, str):
        return None
    match = _ISO_DATE.match(value.strip())
    if not match:
        return None
    text = match.group("date") + "T" + (match.group("time") or "00:00")
    if len(match.group("time") or "00:00") == 5:
        text += ":00"
    zone = match.group("zone")
    try:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        parsed = parsed.replace(tzinfo=timezone(sign * offset))
    else:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def creation_date(domain: Mapping[str, Any]) -> Optional[datetime]:
    """When the domain was created at the registry: WHOIS `created_date`, else `registration_date`."""
    whois = domain.get("whois_info")
    if isinstance(whois, Mapping):
        created = parse_date(whois.get("created_date"))
        if created is not None:
            return created
    return parse_date(domain.get("registration_date"))


def public_domain(domain: Mapping[str, Any]) -> Dict[str, Any]:
    """The detail object without any key that could hold a secret."""
    return {key: value for key, value in domain.items() if key.lower() not in _SECRET_KEYS}


def transfer_state(domain: Mapping[str, Any]) -> Dict[str, Any]:
    """The transfer part of a detail object: id, name, registrar, `transfer_status` (when given) and dates."""
    state: Dict[str, Any] = {
        "id": domain.get("id"),
        "domain_name": domain.get("domain_name"),
        "registrar": domain.get("registrar"),
    }
    for key in _STATE_KEYS:
        if key in domain:
            state[key] = domain[key]
    for key, value in domain.items():
        if key.startswith("transfer_") and key.lower() not in _SECRET_KEYS:
            state[key] = value
    return state


def is_at_vps(domain: Mapping[str, Any]) -> bool:
    registrar = domain.get("registrar")
    return isinstance(registrar, str) and registrar.strip().lower() == VPS_REGISTRAR.lower()


def failure_reason(domain: Mapping[str, Any]) -> Optional[str]:
    for key in _REASON_KEYS:
        value = domain.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def plan_transfer(
    domain: Mapping[str, Any],
    *,
    restart_failed: bool = False,
    force: bool = False,
    now: Optional[datetime] = None,
) -> TransferPlan:
    """Decide from the detail object alone; the order follows the state table of the module's documentation.

    A plan to start has passed every check that can be made before the fee is spent, except the auth code,
    which `check_auth_code` validates before the domain is even read.
    """
    name = domain.get("domain_name") or "the domain"
    state = transfer_state(domain)
    status = domain.get("transfer_status")

    if is_at_vps(domain):
        if status == "pending":
            # The registrar has not changed yet; the transfer is still under way.
            return TransferPlan(ACTION_NONE, f"a transfer of {name} is pending{_dates(domain)}", state)
        return TransferPlan(ACTION_NONE, f"{name} is already registered at {VPS_REGISTRAR}", state)

    warnings: List[str] = []
    if "transfer_status" not in domain:
        if not force:
            return TransferPlan(
                ACTION_FAIL,
                f"cannot tell whether a transfer is under way: the API gives no transfer_status for {name} "
                "(registrar: {registrar}); check in the VPS.org panel, then set force: true to start one".format(
                    registrar=domain.get("registrar") or "unknown"
                ),
                state,
            )
        warnings.append(f"the API gives no transfer_status for {name}; starting a transfer because force is true")
    elif status == "pending":
        return TransferPlan(ACTION_NONE, f"a transfer of {name} is pending{_dates(domain)}", state)
    elif status == "failed":
        reason = failure_reason(domain)
        said = f": {reason}" if reason else " (the API gives no reason)"
        if not restart_failed:
            return TransferPlan(
                ACTION_FAIL,
                f"the last transfer of {name} failed{said}; fix the cause, then set restart_failed: true "
                "to start a new one (each attempt is charged)",
                state,
            )
        warnings.append(f"the last transfer of {name} failed{said}; starting a new one because restart_failed is true")
    elif status == "completed":
        # Completed, yet the registrar is not VPS.org: it may have moved away since. Spending again is a choice.
        if not force:
            return TransferPlan(
                ACTION_FAIL,
                f"a transfer of {name} completed, but its registrar is {domain.get('registrar') or 'unknown'}; "
                "set force: true to start a new transfer",
                state,
            )
        warnings.append(f"a transfer of {name} completed earlier; starting a new one because force is true")
    elif status is not None:
        if not force:
            return TransferPlan(
                ACTION_FAIL,
                f"unknown transfer_status {status!r} for {name}; set force: true to start a transfer anyway",
                state,
            )
        warnings.append(f"unknown transfer_status {status!r} for {name}; starting a transfer because force is true")

    too_young = _age_problem(domain, now or datetime.now(timezone.utc))
    if too_young:
        return TransferPlan(ACTION_FAIL, too_young, state, warnings)
    if creation_date(domain) is None:
        warnings.append(
            f"the creation date of {name} is unknown, so the {MIN_AGE_DAYS}-day rule was not checked before the request"
        )
    return TransferPlan(ACTION_START, f"a transfer of {name} to {VPS_REGISTRAR} will be started", state, warnings)


def _age_problem(domain: Mapping[str, Any], now: datetime) -> Optional[str]:
    created = creation_date(domain)
    if created is None:
        return None
    # Counted in calendar days (UTC), as registries count them; the time of day does not matter.
    eligible_from = created.date() + timedelta(days=MIN_AGE_DAYS)
    if now.astimezone(timezone.utc).date() >= eligible_from:
        return None
    name = domain.get("domain_name") or "the domain"
    return (
        f"{name} cannot be transferred yet: it was created on {created.strftime('%Y-%m-%d')} and a domain must "
        f"be at least {MIN_AGE_DAYS} days old; it can be transferred from {eligible_from.isoformat()} (UTC)"
    )


def _dates(domain: Mapping[str, Any]) -> str:
    parts = []
    if domain.get("transfer_initiated_at"):
        parts.append(f"initiated {domain['transfer_initiated_at']}")
    if domain.get("estimated_completion"):
        parts.append(f"estimated completion {domain['estimated_completion']}")
    return f" ({', '.join(parts)})" if parts else ""


def predicted_transfer(domain: Mapping[str, Any]) -> Dict[str, Any]:
    """What check mode reports for a transfer it would start: pending, dates unknown until the API answers."""
    state = transfer_state(domain)
    state.update(transfer_status="pending", transfer_initiated_at=None, estimated_completion=None)
    return state


def transfer_started(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether `after` (read back after an unanswered POST) shows a transfer that `before` did not."""
    if is_at_vps(after) and not is_at_vps(before):
        return True
    status = after.get("transfer_status")
    if status in ("pending", "completed") and status != before.get("transfer_status"):
        return True
    # A restarted transfer that already failed again, or completed and moved on, shows only in its dates.
    initiated = after.get("transfer_initiated_at")
    return bool(initiated) and initiated != before.get("transfer_initiated_at")


def look_up_outcome(
    read: Callable[[], Mapping[str, Any]],
    before: Mapping[str, Any],
    *,
    grace: float,
    interval: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Optional[Mapping[str, Any]]:
    """Read the domain until it shows the transfer started or `grace` seconds pass; the detail found, or None.

    `read` may raise; an error while looking is treated as "not seen yet", since the point is to find out.
    """
    deadline = clock() + grace
    delay = min(0.5, interval)
    while True:
        try:
            after = read()
        except Exception:  # pylint: disable=broad-exception-caught
            after = None
        if after is not None and transfer_started(before, after):
            return after
        remaining = deadline - clock()
        if remaining <= 0:
            return None
        sleep(min(delay, remaining))
        delay = min(delay * 2, interval)


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """`value` with every occurrence of each secret in its strings (keys included) replaced by asterisks."""
    words = sorted({secret for secret in secrets if secret}, key=len, reverse=True)
    if not words:
        return value
    return _redact(value, words)


def _redact(value: Any, words: List[str]) -> Any:
    if isinstance(value, str):
        for word in words:
            value = value.replace(word, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {_redact(key, words): _redact(item, words) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(item, words) for item in value]
    return value
