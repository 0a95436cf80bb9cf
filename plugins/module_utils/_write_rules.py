# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the rules of writing, free of HTTP, of Ansible and of the engine that applies them.

How a domain's settings are read (leniently), which ids are one domain, how a name held by several ids is
refused, what a paid answer must show to count as a success, what a settings answer shows unchanged, and when
a one-time override (`force`, `restart_failed`) still applies. The write engine (`_engine`) applies them;
nothing here imports it.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue, account_name, canonical_name

# The canonical name of a domain object read from the account: one rule, kept in _names.
name_of = account_name

# The on/off settings of a domain, in the order they are shown.
BOOL_SETTINGS = ("auto_renew", "privacy_protection", "locked")
# The settings a user can manage on a domain, in the order they are shown.
SETTINGS = (*BOOL_SETTINGS, "nameservers")

# What an API may write for on and off.
_TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0"})

# The kinds of action of a write plan.
UPDATE = "update"
REGISTER = "register"
TRANSFER = "transfer"
REMOVE = "remove"
REFUSE = "refuse"
ACTION_KINDS = (UPDATE, REGISTER, TRANSFER, REMOVE, REFUSE)
# The actions that cost money.
PAID_KINDS = (REGISTER, TRANSFER)


# -- reading settings leniently ---------------------------------------------------------------------------
def read_bool(value: Any) -> Optional[bool]:
    """An on/off setting as the API may send it (true, "true", 1, "1"...); None when it cannot be read."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def read_nameservers(value: Any) -> Optional[List[str]]:
    """Nameservers as a list or a comma-separated string; None when they cannot be read."""
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return [str(item).strip() for item in value if isinstance(item, str) and item.strip()]
    return None


def read_setting(domain: Mapping[str, Any], setting: str) -> Any:
    """One setting of a domain object, read leniently; None when it is missing or unreadable."""
    value = domain.get(setting)
    return read_nameservers(value) if setting == "nameservers" else read_bool(value)


def unreadable_settings(domain: Mapping[str, Any], desired: Mapping[str, Any]) -> List[str]:
    """The settings the user set whose current value the object does not show (read them from the detail first)."""
    return [
        setting for setting in SETTINGS if desired.get(setting) is not None and read_setting(domain, setting) is None
    ]


# -- ids and names ------------------------------------------------------------------------------------------
def id_key(value: Any) -> str:
    """An id as compared: 101 and "101" are the same domain."""
    return str(value).strip()


def same_id(first: Any, second: Any) -> bool:
    return first is not None and second is not None and id_key(first) == id_key(second)


def _id_sort(value: Any) -> Tuple[int, int, str]:
    text = id_key(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def distinct_ids(domains: Iterable[Mapping[str, Any]]) -> List[Any]:
    """The ids of these domain objects, each once (101 and "101" are one), numeric ids first in numeric order."""
    seen: Dict[str, Any] = {}
    for domain in domains:
        seen.setdefault(id_key(domain.get("id")), domain.get("id"))
    return [seen[key] for key in sorted(seen, key=_id_sort)]


def nameserver_key(value: Any) -> str:
    """The form in which a nameserver is compared: canonical, or lower-cased text when the API sent no hostname."""
    try:
        return canonical_name(value, option="nameservers")
    except InvalidValue:
        return str(value).strip().rstrip(".").lower()


def nameserver_set(values: Optional[Iterable[Any]]) -> frozenset:
    """Nameservers as a set: order, case, a trailing dot and Unicode versus punycode do not matter."""
    return frozenset(nameserver_key(value) for value in values or ())


def by_id(domains: Iterable[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """The domains lowest id first: numeric ids in numeric order, any other id after them."""
    return sorted(domains, key=lambda domain: _id_sort(domain.get("id")))


def sort_domains(domains: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """By name, then id: the order vps_domain_info returns."""
    return sorted(
        (dict(domain) for domain in domains),
        key=lambda domain: (str(domain.get("domain_name") or ""), str(domain.get("id"))),
    )


def several_matches(name: str, domains: Iterable[Mapping[str, Any]], consequence: str) -> Tuple[str, List[Any]]:
    """The message and the ids, lowest first and each once, for a name that several domains of the account share."""
    return duplicate_message(name, list(domains), consequence)


def group_by_name(
    domains: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str] = name_of
) -> Dict[str, List[Dict[str, Any]]]:
    """The account's domains by canonical name, each id once: the one grouping every module uses."""
    groups: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for domain in domains:
        groups.setdefault(key(domain), {}).setdefault(id_key(domain.get("id")), dict(domain))
    return {name: sorted(found.values(), key=lambda item: _id_sort(item.get("id"))) for name, found in groups.items()}


def duplicate_message(name: str, domains: Sequence[Mapping[str, Any]], consequence: str) -> Tuple[str, List[Any]]:
    """The message and the ids (each once, lowest first) for a name that several ids of the account hold."""
    ids = distinct_ids(domains)
    return f"{name} matches several domains in the account (ids {', '.join(map(str, ids))}); {consequence}", ids


# -- the plan ---------------------------------------------------------------------------------------------
class Action:
    """One step of a write plan: `kind` is update, register, transfer, remove or refuse.

    `body` is what would be sent (the changed settings of an update; the registration's fields); `reason`
    says why a refusal refuses; `ids` names the domains a refusal is about.
    """

    def __init__(
        self,
        kind: str,
        name: str,
        domain_id: Any = None,
        *,
        body: Optional[Dict[str, Any]] = None,
        reason: str = "",
        ids: Sequence[Any] = (),
        estimated_cost: Optional[float] = None,
    ) -> None:
        if kind not in ACTION_KINDS:
            raise ValueError(f"unknown action kind {kind!r}")
        self.kind = kind
        self.name = name
        self.id = domain_id
        self.body = dict(body or {})
        self.reason = reason
        self.ids = list(ids)
        self.estimated_cost = estimated_cost

    @property
    def paid(self) -> bool:
        return self.kind in PAID_KINDS

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Action) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # equal by value and mutable: never a dict key

    def __repr__(self) -> str:
        return f"Action({self.kind!r}, {self.name!r}, id={self.id!r}, body={self.body!r}, reason={self.reason!r})"


def setting_changes(current: Mapping[str, Any], desired: Mapping[str, Any]) -> Dict[str, Tuple[Any, Any]]:
    """setting -> (before, after) for the settings the user set (not None) that differ; read leniently.

    Nameservers are compared as sets of canonical names, whatever order, case or trailing dot the API uses.
    """

    changes: Dict[str, Tuple[Any, Any]] = {}
    for setting in SETTINGS:
        wanted = desired.get(setting)
        if wanted is None:
            continue
        before = read_setting(current, setting)
        if setting == "nameservers":
            if before is None or nameserver_set(before) != nameserver_set(wanted):
                changes[setting] = (current.get(setting), sorted(wanted))
        elif before is not wanted:
            changes[setting] = (current.get(setting), wanted)
    return changes


def plan(
    name: str,
    matches: Sequence[Mapping[str, Any]],
    desired: Mapping[str, Any],
    *,
    state: str = "present",
    allow_registration: bool = False,
    duplicate_consequence: str = "which one is meant is unclear, so nothing was changed: remove the duplicates "
    "in the VPS.org panel",
) -> List[Action]:
    """What to do about one name: pure, (what the account holds under it, what the user wants) -> actions.

    `matches` are the account's domains with this canonical name (any form stored). A name held by several
    ids is refused the same way everywhere. Removal rules (auto-renew, pending states) are judged by
    `_domain.plan_removal` on the detail; transfers by `_transfer.plan_transfer`; both give actions of this plan.
    """
    found = group_by_name(matches, key=lambda _domain: name).get(name, [])
    if len(found) > 1:
        msg, ids = duplicate_message(name, found, duplicate_consequence)
        return [Action(REFUSE, name, reason=msg, ids=ids)]
    current = found[0] if found else None
    if state == "absent":
        return [] if current is None else [Action(REMOVE, name, current.get("id"))]
    if current is None:
        if not allow_registration:
            return [
                Action(
                    REFUSE,
                    name,
                    reason=f"{name} is not in the account; registering it costs money, so it is done only with "
                    "allow_registration: true (nothing was sent)",
                )
            ]
        return [Action(REGISTER, name, body=dict(desired))]
    changes = setting_changes(current, desired)
    if not changes:
        return []
    return [Action(UPDATE, name, current.get("id"), body={key: after for key, (_b, after) in changes.items()})]


# -- answers ----------------------------------------------------------------------------------------------
def quote_answer(answer: Any, limit: int = 300) -> str:
    """An answer as quoted in a message (the caller masks secrets)."""
    try:
        text = json.dumps(answer, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(answer)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_shaped(answer: Mapping[str, Any]) -> bool:
    """Whether a 2xx body reads as an error: `detail`, `error(s)`, or `success: false`."""
    if "success" in answer and read_bool(answer.get("success")) is not True:
        return True
    return any(key in answer for key in ("detail", "error", "errors"))


def paid_answer_problem(kind: str, answer: Any, name: str, domain_id: Any = None) -> Optional[str]:
    """Why a 2xx answer to a paid POST is not a success (None when it is one).

    A registration's answer must be an object for this name with an id and no failed status; a transfer's
    answer must not name another domain or id, and must not say the transfer failed.
    """
    if not isinstance(answer, Mapping):
        if kind == TRANSFER and answer in (None, "", {}):
            return None  # a success without a body: the transfer was accepted all the same
        return "the answer is not an object"
    if error_shaped(answer):
        return "the answer is an error message, not the domain"
    answered_name = answer.get("domain_name")
    if answered_name is not None:
        try:
            answered = canonical_name(answered_name, option="domain_name")
        except (InvalidValue, RuntimeError):
            answered = str(answered_name)
        if answered != name:
            return f"the answer is about another domain ({answered_name})"
    if domain_id is not None and answer.get("id") is not None and not same_id(answer.get("id"), domain_id):
        return f"the answer is about another domain id ({answer.get('id')})"
    for key in ("status", "transfer_status"):
        if str(answer.get(key) or "").lower() == "failed":
            return f"the answer says {key}: failed"
    return None


def answer_for_another_id(answer: Any, domain_id: Any) -> bool:
    """Whether a settings answer names another id than the one asked for."""
    return isinstance(answer, Mapping) and answer.get("id") is not None and not same_id(answer.get("id"), domain_id)


def unchanged_settings(requested: Mapping[str, Any], answer: Any) -> List[str]:
    """The requested settings an update's answer shows unchanged (a setting the answer lacks is not judged)."""
    if not isinstance(answer, Mapping):
        return []
    return [
        setting
        for setting in requested
        if setting in SETTINGS
        and read_setting(answer, setting) is not None
        and setting_changes(answer, {setting: requested[setting]})
    ]


# -- one-time overrides -------------------------------------------------------------------------------------
def attempt_mark(domain: Mapping[str, Any]) -> Optional[str]:
    """What identifies the transfer situation an override is decided for, as the API shows it; None if nothing.

    For a failed transfer: the attempt's `transfer_initiated_at`. Without a transfer status: the latest date
    that changes when a transfer is started (`transfer_initiated_at`, else `whois_info.updated_date`), beside
    the registrar. A transfer started after the decision changes the mark, so the override no longer applies.
    """
    initiated = domain.get("transfer_initiated_at")
    if initiated:
        return str(initiated)
    whois = domain.get("whois_info")
    updated = whois.get("updated_date") if isinstance(whois, Mapping) else None
    if updated:
        return f"{domain.get('registrar') or 'unknown'}@{updated}"
    return None


# -- the one diff style ---------------------------------------------------------------------------------------
def yaml_text(values: Optional[Mapping[str, Any]]) -> str:
    """A flat object as YAML lines, keys sorted: what diff mode shows on each side."""
    lines = []
    for key in sorted(values or {}):
        value = (values or {})[key]
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"  - {item}" for item in value)
        elif isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        else:
            lines.append(f"{key}: {'null' if value is None else value}")
    return "".join(line + "\n" for line in lines)


def paid_note(kind: str, estimate: Optional[float]) -> str:
    """How a diff header names a paid change: "registration, estimated 12.99 USD" (or "price unknown")."""
    what = "registration" if kind == REGISTER else "transfer"
    if estimate is None:
        return f"{what}, price unknown"
    return f"{what}, estimated {estimate:,.2f} USD"


def diff_entry(
    name: str, before: Optional[Mapping[str, Any]], after: Optional[Mapping[str, Any]], note: Optional[str] = None
) -> Dict[str, Any]:
    """One domain's diff as every module shows it: headers naming the domain (and what is paid), YAML sides.

    `note` says what the change is when it costs money ("registration, estimated 12.99 USD").
    """
    before_header = name if before else f"{name} (not in the account)"
    if note:
        after_header = f"{name} ({note})"
    elif not after:
        after_header = f"{name} (removed from the account)" if before else before_header
    else:
        after_header = name
    return {
        "before_header": before_header,
        "after_header": after_header,
        "before": yaml_text(before),
        "after": yaml_text(after),
    }


# -- the auth codes of a registrar's CSV export ------------------------------------------------------------
_DOMAIN_COLUMNS = ("domain", "domain_name", "name")
_CODE_COLUMNS = ("auth_code", "authcode", "epp_code", "epp", "transfer_code")


def _column(header: List[str], names: tuple, what: str) -> int:
    keys = ["_".join(str(cell).strip().lstrip("\ufeff").lower().split()) for cell in header]
    for name in names:
        if name in keys:
            return keys.index(name)
    shown = ", ".join(cell.strip() for cell in header) or "none"
    raise ValueError(f"the header has no {what} column (columns: {shown})")


def transfer_codes_from_csv(text: Any) -> List[Dict[str, str]]:
    """The `transfers` list ({name, auth_code}) of a CSV export with a header; other columns are ignored.

    An error names the line and the column, never a code.
    """
    if not isinstance(text, str):
        raise ValueError(f"expects the CSV file's text, got {type(text).__name__}")
    rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(cell.strip() for cell in row)]
    if not rows:
        raise ValueError("the CSV is empty (a header with domain and auth_code is needed)")
    header, records = rows[0], rows[1:]
    name_at = _column(header, _DOMAIN_COLUMNS, "domain")
    code_at = _column(header, _CODE_COLUMNS, "auth_code")
    transfers = []
    for number, row in enumerate(records, start=2):
        name = row[name_at].strip() if len(row) > name_at else ""
        code = row[code_at].strip() if len(row) > code_at else ""
        if not name:
            raise ValueError(f"record {number} has no domain")
        if not code:
            raise ValueError(f"record {number} ({name}) has no auth_code")
        transfers.append({"name": name, "auth_code": code})
    return transfers
