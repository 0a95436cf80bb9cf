# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the rules of the event source `vpsorg.domains.domain_events`; no HTTP, no Ansible.

The source (extensions/eda/plugins/event_source/domain_events.py) is a loop: read the account with the client,
make a `Snapshot`, and put the events of `events_between(previous, current, now)` on its queue. Everything it
decides lives here as plain functions, so that every rule is tested without a server, a clock or an event loop:

- A change is an event exactly when a module would see drift: the settings are compared as vps_domain and
  vps_portfolio compare them (`_domain.SETTINGS`; nameservers as sets of canonical names).
- Expiry is judged by the collection's one rule (`_time`), and against the previous poll: a threshold is
  crossed when the days left were above it at the previous poll and are at or below it now. Several thresholds
  crossed by one poll (a restart after a long stop) give one event, for the smallest.
- Transfers are not in the list objects; a detail is read only for the domains where the list shows what a
  completed transfer changes (`details_wanted`).
"""

from __future__ import annotations

import json
import math
import os
from datetime import date, datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils._http import DEFAULT_API_URL
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue, canonical_name
from ansible_collections.vpsorg.domains.plugins.module_utils._time import (
    days_left,
    expiry_date,
    is_expired,
    parse_api_time,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import BOOL_SETTINGS, SETTINGS, nameserver_set

SOURCE = "vpsorg.domains.domain_events"
DOMAIN_EVENTS = (
    "domain_added",
    "domain_removed",
    "status_changed",
    "settings_changed",
    "transfer_completed",
    "expiring",
    "expired",
)
EVENT_TYPES = (*DOMAIN_EVENTS, "poll_failed", "poll_recovered", "snapshot")
DEFAULT_INTERVAL = 300
MIN_INTERVAL = 1
DEFAULT_THRESHOLDS = (60, 30, 7, 1)
DEFAULT_API_TIMEOUT = 30
# Polls that must fail in a row before `poll_failed`: one lost answer is not worth waking anybody.
FAILED_POLLS_BEFORE_EVENT = 3
# How far rate limiting stretches the interval: 2, 4, 8 times, and no further.
MAX_SLOWDOWN = 8
STATE_VERSION = 1
# The transfer facts of a detail object that the snapshot keeps (never anything secret: the client strips codes).
TRANSFER_FIELDS = ("registrar", "transfer_status", "transfer_completed_at")

_TRUE = frozenset(("true", "yes", "on", "1", "y", "t"))
_FALSE = frozenset(("false", "no", "off", "0", "n", "f"))
# Arguments the source takes, with the environment variable each falls back to (as the modules' env_fallback).
CONNECTION_ENV = {
    "api_token": "VPSORG_API_TOKEN",
    "api_url": "VPSORG_API_URL",
    "validate_certs": "VPSORG_VALIDATE_CERTS",
    "ca_path": "VPSORG_CA_PATH",
    "api_timeout": "VPSORG_API_TIMEOUT",
}
ARGUMENTS = (*CONNECTION_ENV, "interval", "expiry_thresholds", "state_file", "emit_snapshot")


# -- arguments ---------------------------------------------------------------------------------------------
class ArgumentError(ValueError):
    """A source argument that cannot be used; str() names the argument and never shows the token."""


class SourceArgs:
    """The checked arguments of the source."""

    def __init__(self, **values: Any) -> None:
        self.api_token: str = values["api_token"]
        self.api_url: str = values["api_url"]
        self.validate_certs: bool = values["validate_certs"]
        self.ca_path: Optional[str] = values["ca_path"]
        self.api_timeout: int = values["api_timeout"]
        self.interval: float = values["interval"]
        self.expiry_thresholds: Tuple[int, ...] = values["expiry_thresholds"]
        self.state_file: Optional[str] = values["state_file"]
        self.emit_snapshot: bool = values["emit_snapshot"]

    def __repr__(self) -> str:
        # The token stays out of every representation (a traceback, a debug log).
        return (
            f"SourceArgs(api_url={self.api_url!r}, interval={self.interval!r}, "
            f"expiry_thresholds={self.expiry_thresholds!r}, state_file={self.state_file!r})"
        )


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidValue(name, value, "use true or false", "a boolean")


def _number(name: str, value: Any, *, integer: bool, minimum: float, kind: str) -> Any:
    number: Any = value
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text) if integer else float(text)
        except ValueError:
            raise InvalidValue(name, value, "not a number", kind) from None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise InvalidValue(name, value, f"must be a number, got {type(value).__name__}", kind)
    if integer and isinstance(number, float):
        if not number.is_integer():
            raise InvalidValue(name, value, "must be a whole number", kind)
        number = int(number)
    if not math.isfinite(number) or number < minimum:
        raise InvalidValue(name, value, f"must be at least {minimum:g}", kind)
    return number


def _thresholds(value: Any) -> Tuple[int, ...]:
    kind = "a list of days"
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise InvalidValue("expiry_thresholds", value, "must be a list of whole days, e.g. [60, 30, 7, 1]", kind)
    days = {_number("expiry_thresholds", item, integer=True, minimum=0, kind="a number of days") for item in value}
    return tuple(sorted(days, reverse=True))


def _state_file(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("state_file", value, "must be a file path", "a usable path")
    path = os.path.abspath(os.path.expanduser(value.strip()))
    if os.path.isdir(path):
        raise InvalidValue("state_file", value, "is a directory; name a file in it", "a usable path")
    if not os.path.isdir(os.path.dirname(path)):
        problem = f"its directory {os.path.dirname(path)} does not exist"
        raise InvalidValue("state_file", value, problem, "a usable path")
    return path


def check_source_args(args: Mapping[str, Any], environ: Mapping[str, str]) -> SourceArgs:
    """The source's arguments, checked, with the VPSORG_* fallbacks and the defaults; ArgumentError or InvalidValue
    naming the argument otherwise (before any request is sent).

    ansible-rulebook may add its own `eda_*` keys (a feedback queue); they are not the source's and are ignored.
    """
    if not isinstance(args, Mapping):
        raise ArgumentError(f"{SOURCE}: the arguments must be a mapping, got {type(args).__name__}")
    unknown = sorted(str(key) for key in args if str(key) not in ARGUMENTS and not str(key).startswith("eda_"))
    if unknown:
        raise ArgumentError(
            f"{', '.join(unknown)}: not an argument of {SOURCE}; its arguments are {', '.join(ARGUMENTS)}"
        )
    given: Dict[str, Any] = {}
    for name in ARGUMENTS:
        value = args.get(name)
        if value is None and name in CONNECTION_ENV:
            value = environ.get(CONNECTION_ENV[name]) or None
        given[name] = value
    token = given["api_token"]
    if token is None:
        raise ArgumentError("api_token: required; set it in the source's arguments or in VPSORG_API_TOKEN")
    if not isinstance(token, str) or not token.strip():
        raise ArgumentError("api_token: must be a non-empty string (set it or VPSORG_API_TOKEN)")
    api_url = given["api_url"] if given["api_url"] is not None else DEFAULT_API_URL
    if not isinstance(api_url, str):
        raise InvalidValue("api_url", api_url, "must be a string", "an https:// URL")
    ca_path = given["ca_path"]
    if ca_path is not None:
        if not isinstance(ca_path, str):
            raise InvalidValue("ca_path", ca_path, "must be a file path", "a CA bundle")
        ca_path = os.path.expanduser(ca_path)
        if not os.path.exists(ca_path):
            raise InvalidValue("ca_path", ca_path, "does not exist", "a CA bundle")

    def checked(name: str, default: Any, check: Any) -> Any:
        return default if given[name] is None else check(given[name])

    return SourceArgs(
        api_token=token,
        api_url=api_url,
        validate_certs=checked("validate_certs", True, lambda value: _bool("validate_certs", value)),
        ca_path=ca_path,
        api_timeout=checked(
            "api_timeout",
            DEFAULT_API_TIMEOUT,
            lambda value: _number("api_timeout", value, integer=True, minimum=1, kind="a number of seconds"),
        ),
        interval=checked(
            "interval",
            DEFAULT_INTERVAL,
            lambda value: _number("interval", value, integer=False, minimum=MIN_INTERVAL, kind="a number of seconds"),
        ),
        expiry_thresholds=checked("expiry_thresholds", DEFAULT_THRESHOLDS, _thresholds),
        state_file=_state_file(given["state_file"]),
        emit_snapshot=checked("emit_snapshot", False, lambda value: _bool("emit_snapshot", value)),
    )


# -- snapshots ---------------------------------------------------------------------------------------------
def domain_key(domain_id: Any) -> str:
    """The key of a domain in a snapshot: its id as JSON, so that the id 7 and the id "7" stay apart."""
    return json.dumps(domain_id)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Snapshot:
    """The account as one poll saw it: the list objects by id, and the transfer facts read from details."""

    def __init__(
        self,
        taken_at: datetime,
        domains: Iterable[Mapping[str, Any]],
        transfers: Optional[Mapping[str, Mapping[str, Any]]] = None,
    ) -> None:
        self.taken_at = taken_at
        self.domains: Dict[str, Dict[str, Any]] = {domain_key(domain["id"]): dict(domain) for domain in domains}
        self.transfers: Dict[str, Dict[str, Any]] = {
            key: dict(facts) for key, facts in (transfers or {}).items() if key in self.domains
        }

    def __repr__(self) -> str:
        return f"Snapshot({_iso(self.taken_at)}, {len(self.domains)} domains)"

    def to_state(self, api_url: str) -> Dict[str, Any]:
        """What the state file holds: the API URL it describes, the time, the list objects and transfer facts."""
        return {
            "version": STATE_VERSION,
            "source": SOURCE,
            "api_url": api_url,
            "taken_at": _iso(self.taken_at),
            "domains": list(self.domains.values()),
            "transfers": self.transfers,
        }

    @classmethod
    def from_state(cls, state: Any, api_url: str) -> Snapshot:
        """The snapshot a state file holds; ValueError saying why when it cannot be used for this api_url."""
        if not isinstance(state, dict) or state.get("source") != SOURCE:
            raise ValueError(f"it was not written by {SOURCE}")
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"it has version {state.get('version')!r}; this source writes version {STATE_VERSION}")
        if str(state.get("api_url", "")).rstrip("/") != api_url.rstrip("/"):
            raise ValueError(f"it describes another API ({state.get('api_url')!r})")
        taken_at = parse_api_time(state.get("taken_at"))
        domains = state.get("domains")
        transfers = state.get("transfers") or {}
        if taken_at is None or not isinstance(domains, list) or not isinstance(transfers, dict):
            raise ValueError("its content is incomplete")
        if not all(isinstance(domain, dict) and "id" in domain for domain in domains):
            raise ValueError("a domain in it has no id")
        return cls(taken_at, domains, {key: facts for key, facts in transfers.items() if isinstance(facts, dict)})


def details_wanted(previous: Optional[Snapshot], domains: Iterable[Mapping[str, Any]]) -> List[Any]:
    """The ids whose detail the poll reads to see transfers: the domains that joined the account since the
    previous poll, and those whose expiration date moved (a completed transfer adds its year of renewal).

    None on the first poll (nothing is compared then) and for domains nothing happened to: a poll of an account
    at rest is its list pages only.
    """
    if previous is None:
        return []
    wanted = []
    for domain in domains:
        before = previous.domains.get(domain_key(domain["id"]))
        if before is None or _expiry_of(before) != _expiry_of(domain):
            wanted.append(domain["id"])
    return wanted


def transfer_facts(detail: Mapping[str, Any]) -> Dict[str, Any]:
    """The transfer facts of a detail object that the snapshot keeps."""
    return {field: detail.get(field) for field in TRANSFER_FIELDS if field in detail}


def take_snapshot(
    domains: Iterable[Mapping[str, Any]],
    now: datetime,
    previous: Optional[Snapshot] = None,
    details: Optional[Mapping[Any, Mapping[str, Any]]] = None,
) -> Snapshot:
    """The snapshot of a poll: the list objects, transfer facts from the details read now (by id), and for the
    other domains the facts the previous snapshot knew."""
    transfers = {key: dict(facts) for key, facts in (previous.transfers if previous else {}).items()}
    for domain_id, detail in (details or {}).items():
        transfers[domain_key(domain_id)] = transfer_facts(detail)
    return Snapshot(now, domains, transfers)


# -- events ------------------------------------------------------------------------------------------------
def _name(domain: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The domain's canonical name (as modules compare names), or the API's text when it is not a valid name."""
    if not domain:
        return None
    raw = domain.get("domain_name")
    try:
        return canonical_name(raw)
    except InvalidValue:
        return raw if isinstance(raw, str) else None


def make_event(
    kind: str,
    now: datetime,
    domain: Optional[Mapping[str, Any]] = None,
    changes: Optional[Mapping[str, Any]] = None,
    **extra: Any,
) -> Dict[str, Any]:
    """One event: `{"vpsorg": {type, name, id, domain, changes, detected_at, ...}}`."""
    body: Dict[str, Any] = {
        "type": kind,
        "name": _name(domain),
        "id": domain.get("id") if domain else None,
        "domain": dict(domain) if domain else None,
        "changes": dict(changes or {}),
        "detected_at": _iso(now),
    }
    body.update(extra)
    return {"vpsorg": body}


def _expiry_of(domain: Mapping[str, Any]) -> Optional[date]:
    return expiry_date(domain.get("expiration_date"))


def setting_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The settings that differ, as `{setting: {before, after}}`: compared as the modules compare them."""
    changes: Dict[str, Dict[str, Any]] = {}
    for setting in SETTINGS:
        old, new = before.get(setting), after.get(setting)
        same = nameserver_set(old) == nameserver_set(new) if setting == "nameservers" else old == new
        if not same:
            changes[setting] = {"before": old, "after": new}
    return changes


def _transfer_event(
    before: Optional[Mapping[str, Any]], after: Optional[Mapping[str, Any]], since: datetime
) -> Optional[Dict[str, Dict[str, Any]]]:
    """The changes of a transfer that completed since the previous poll, or None."""
    if not after or after.get("transfer_status") != "completed":
        return None
    before = before or {}
    if before.get("transfer_status") == "completed":
        return None
    completed_at = parse_api_time(after.get("transfer_completed_at"))
    if completed_at is not None:
        # APIs give whole seconds: a transfer completed in the second the previous poll started is new to it.
        if completed_at < since.replace(microsecond=0):
            return None  # completed before the previous poll: the domain renewed since, the transfer is old news
    elif before.get("transfer_status") != "pending" and (
        before.get("registrar") is None or before.get("registrar") == after.get("registrar")
    ):
        return None  # no date and nothing seen before it: cannot tell it is new
    changes = {"transfer_status": {"before": before.get("transfer_status"), "after": "completed"}}
    if before.get("registrar") != after.get("registrar"):
        changes["registrar"] = {"before": before.get("registrar"), "after": after.get("registrar")}
    return changes


def _expiry_events(
    before: Optional[Mapping[str, Any]],
    domain: Mapping[str, Any],
    since: datetime,
    now: datetime,
    thresholds: Sequence[int],
) -> List[Dict[str, Any]]:
    value = domain.get("expiration_date")
    moment = expiry_date(value)
    if moment is None:
        return []
    # The same expiry date as at the previous poll: judged against that poll. A new domain or a new date
    # (renewed, transferred, corrected) starts afresh: each threshold once per expiry date.
    same_date = before is not None and _expiry_of(before) == moment
    left = days_left(value, now)
    if is_expired(value, now):
        if same_date and is_expired(value, since):
            return []
        return [make_event("expired", now, domain, days_left=left)]
    left_before = days_left(value, since) if same_date else None
    crossed = [days for days in thresholds if left <= days and (left_before is None or left_before > days)]
    if not crossed:
        return []
    return [make_event("expiring", now, domain, days_left=left, threshold=min(crossed))]


def events_between(
    previous: Optional[Snapshot],
    current: Snapshot,
    now: datetime,
    thresholds: Sequence[int] = DEFAULT_THRESHOLDS,
) -> List[Dict[str, Any]]:
    """The events between two polls, by domain name then kind; none when there is no previous poll to compare."""
    if previous is None:
        return []
    since = previous.taken_at
    found: List[Tuple[Tuple[str, str, int], Dict[str, Any]]] = []

    def add(domain: Mapping[str, Any], event: Dict[str, Any]) -> None:
        order = DOMAIN_EVENTS.index(event["vpsorg"]["type"])
        found.append(((str(_name(domain) or ""), str(domain.get("id")), order), event))

    for key, before in previous.domains.items():
        if key not in current.domains:
            add(before, make_event("domain_removed", now, before))
    for key, domain in current.domains.items():
        before = previous.domains.get(key)
        if before is None:
            add(domain, make_event("domain_added", now, domain))
        else:
            if before.get("status") != domain.get("status"):
                changes = {"status": {"before": before.get("status"), "after": domain.get("status")}}
                add(domain, make_event("status_changed", now, domain, changes))
            changes = setting_changes(before, domain)
            if changes:
                add(domain, make_event("settings_changed", now, domain, changes))
        transfer = _transfer_event(previous.transfers.get(key), current.transfers.get(key), since)
        if transfer is not None:
            add(domain, make_event("transfer_completed", now, domain, transfer))
        for event in _expiry_events(before, domain, since, now, thresholds):
            add(domain, event)
    return [event for _order, event in sorted(found, key=lambda item: item[0])]


def snapshot_event(current: Snapshot, now: datetime, thresholds: Sequence[int] = DEFAULT_THRESHOLDS) -> Dict[str, Any]:
    """The `snapshot` event of the first poll (`emit_snapshot`): counts of the account as it is."""
    by_status: Dict[str, int] = {}
    expired = 0
    expiring = {str(days): 0 for days in thresholds}
    for domain in current.domains.values():
        status = str(domain.get("status"))
        by_status[status] = by_status.get(status, 0) + 1
        value = domain.get("expiration_date")
        if is_expired(value, now):
            expired += 1
            continue
        left = days_left(value, now)
        for days in thresholds:
            if left is not None and left <= days:
                expiring[str(days)] += 1
    counts = {
        "domains": len(current.domains),
        "by_status": dict(sorted(by_status.items())),
        "expired": expired,
        "expiring_within": expiring,
    }
    for setting in BOOL_SETTINGS:
        counts[f"{setting}_off"] = sum(1 for domain in current.domains.values() if domain.get(setting) is False)
    return make_event("snapshot", now, counts=counts)


# -- the loop's bookkeeping ----------------------------------------------------------------------------------
class PollHealth:
    """Failed polls in a row: `poll_failed` once when they reach FAILED_POLLS_BEFORE_EVENT, `poll_recovered` once
    at the next poll that succeeds (and only after a `poll_failed`)."""

    def __init__(self, threshold: int = FAILED_POLLS_BEFORE_EVENT) -> None:
        self.threshold = threshold
        self.failures = 0
        self.reported = False

    def failed(self, message: str, now: datetime) -> Optional[Dict[str, Any]]:
        self.failures += 1
        if self.failures < self.threshold or self.reported:
            return None
        self.reported = True
        return make_event("poll_failed", now, message=message, failed_polls=self.failures)

    def succeeded(self, now: datetime) -> Optional[Dict[str, Any]]:
        failures, reported = self.failures, self.reported
        self.failures, self.reported = 0, False
        if not reported:
            return None
        return make_event("poll_recovered", now, failed_polls=failures)


class Pace:
    """Seconds until the next poll: `interval`, stretched while the API rate-limits.

    A poll that met a 429 doubles the stretch (up to MAX_SLOWDOWN times the interval) and waits at least what
    the API's Retry-After asked; a poll without one halves it again.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.slowdown = 1

    def next_delay(self, rate_limited: bool, retry_after: Optional[float] = None) -> float:
        if rate_limited:
            self.slowdown = min(self.slowdown * 2, MAX_SLOWDOWN)
        else:
            self.slowdown = max(self.slowdown // 2, 1)
        delay = self.interval * self.slowdown
        if retry_after is not None and retry_after > delay:
            delay = retry_after
        return float(delay)
