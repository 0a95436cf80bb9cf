# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: one policy over a whole account, planned without HTTP and applied concurrently."""

from __future__ import annotations

import fnmatch
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils import _engine as engine
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._domain import (
    SETTINGS,
    plan_update,
    registration_body,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._findings import (
    STUCK_TRANSFER_DAYS,
    find_all,
    unknown_expiry_warnings,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._forecast import (
    every_domain,
    expiry_calendar,
    renewal_cost_within,
    renewal_forecast,
    unpriced,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._http import redact_text
from ansible_collections.vpsorg.domains.plugins.module_utils._money import (
    amount,
    check_budget,
    estimate,
    price_table,
    usd,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._names import (  # account_name: re-exported
    InvalidValue,
    account_name,
    canonical_name,
    canonical_nameservers,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._task import Operation, TaskError, lookup_grace
from ansible_collections.vpsorg.domains.plugins.module_utils._time import days_left, expires_within, parse_api_time
from ansible_collections.vpsorg.domains.plugins.module_utils._time import expiry_entry as _expiry_facts
from ansible_collections.vpsorg.domains.plugins.module_utils._transfer import (
    ACTION_START,
    check_auth_code,
    failure_reason,
    is_at_vps,
    one_time_override,
    plan_transfer,
    transfer_started,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import (
    PAID_KINDS,
    REFUSE,
    REGISTER,
    TRANSFER,
    answer_for_another_id,
    attempt_mark,
    diff_entry,
    duplicate_message,
    group_by_name,
    paid_note,
    read_setting,
)

STATUSES = ("active", "pending", "expired", "locked")
DEFAULT_STATUSES = ("active",)
MAX_CONCURRENCY = 32
_GLOB_CHARS = frozenset("*?[")


class PolicyError(InvalidValue):
    """A portfolio option that cannot be used; str() starts with the option's name (a kind of InvalidValue)."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg.split(":", 1)[0], None, msg, "a valid option value")
        self.args = (msg,)
        self.msg = msg

    def __str__(self) -> str:
        return self.msg


class Policy:
    """The validated, canonical form of the portfolio options."""

    def __init__(
        self,
        settings: Dict[str, Any],
        overrides: Optional[Dict[str, Dict[str, Any]]],
        exclude: Tuple[str, ...],
        statuses: Tuple[str, ...],
    ) -> None:
        self.settings = settings
        # None: every domain of the account; otherwise canonical name -> its overrides (only the keys set).
        self.overrides = overrides
        self.exclude = exclude
        self.statuses = statuses

    def excluded(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.exclude)

    def desired(self, name: str) -> Dict[str, Any]:
        """The settings a domain should have: the policy, with the domain's own overrides winning."""
        wanted = dict(self.settings)
        if self.overrides is not None:
            wanted.update(self.overrides.get(name, {}))
        return wanted


class DomainChange:
    """One domain to write: an update of its drifted settings, or the registration of a missing domain."""

    def __init__(
        self,
        name: str,
        domain_id: Optional[int],
        action: str,
        *,
        before: Dict[str, Any],
        after: Dict[str, Any],
        error: Optional[str] = None,
    ) -> None:
        self.name = name
        self.id = domain_id
        # "update", "register", "transfer", or "refuse" for a name that cannot be written (duplicates)
        self.action = action
        self.before = before
        self.after = after
        self.error = error
        self.failure: Optional[Dict[str, Any]] = None
        # The ids of a refused name held by several domains.
        self.ids: List[Any] = []
        self.warnings: List[str] = []
        self.done = False
        self.registration: Optional[Dict[str, Any]] = None
        # For a registration: what the price table expects it to cost (None: the TLD has no known price).
        self.estimated_cost: Optional[float] = None
        # For a transfer: the listed entry it starts (its code, and where its outcome is reported).
        self.transfer: Optional[InboundTransfer] = None

    def as_result(self) -> Dict[str, Any]:
        result: Dict[str, Any] = {
            "name": self.name,
            "id": self.id,
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "error": self.error,
        }
        if self.failure is not None:
            result["failure"] = self.failure
        if self.ids:
            result["ids"] = self.ids
        if self.registration is not None:
            result["registration"] = self.registration
        if self.action in PAID_KINDS:
            result["estimated_cost"] = self.estimated_cost
        return result

    @property
    def cost(self) -> float:
        """What this change was charged: the API's total_cost of a registration done (its estimate if unknown)."""
        if self.action == TRANSFER and self.transfer is not None:
            return (self.transfer.cost or 0.0) if self.done else 0.0
        if self.action != "register" or not self.done:
            return 0.0
        charged = amount((self.registration or {}).get("total_cost"))
        return charged if charged is not None else (self.estimated_cost or 0.0)

    def __repr__(self) -> str:
        return f"DomainChange({self.name!r}, {self.action}, {self.after!r}, error={self.error!r})"


class PortfolioPlan:
    """What a run found and intends to do; every result of the module derives from it."""

    def __init__(self) -> None:
        self.checked: List[str] = []
        self.changes: List[DomainChange] = []
        self.skipped: List[Dict[str, Any]] = []
        self.missing: List[str] = []
        self.expiring: List[Dict[str, Any]] = []
        self.warnings: List[str] = []
        # Every domain of the account in scope and not excluded, whatever its status: what findings judge.
        self.domains: List[Tuple[str, Dict[str, Any]]] = []
        # The whole account as read: the renewal forecast covers every domain, in scope, excluded or not.
        self.account: List[Dict[str, Any]] = []

    @property
    def writes(self) -> List[DomainChange]:
        """The changes that need a request: a refused name (several ids hold it) is not sent."""
        return [change for change in self.changes if change.action != REFUSE]

    @property
    def duplicates(self) -> List[DomainChange]:
        return [change for change in self.changes if change.action == REFUSE and change.ids]


# -- validation ------------------------------------------------------------------------------------------


def _check_settings(option: str, value: Any) -> Dict[str, Any]:
    """The settings that are set (None means leave as is), with strict keys."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PolicyError(f"{option}: must be a dictionary, got {type(value).__name__}")
    unknown = sorted(str(key) for key in value if key not in SETTINGS)
    if unknown:
        raise PolicyError(f"{option}: unknown key(s) {', '.join(unknown)}; the settings are {', '.join(SETTINGS)}")
    checked: Dict[str, Any] = {}
    for key in SETTINGS:
        setting = value.get(key)
        if setting is None:
            continue
        if key == "nameservers":
            checked[key] = canonical_nameservers(setting, option=f"{option}.nameservers")
        elif isinstance(setting, bool):
            checked[key] = setting
        else:
            raise PolicyError(f"{option}.{key}: must be true or false, got {setting!r}")
    return checked


def _exclude_pattern(value: Any, option: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{option}: must be a domain name or a shell-style pattern, got {value!r}")
    text = value.strip()
    if _GLOB_CHARS.isdisjoint(text):
        return canonical_name(text, option=option)
    # Patterns match the ASCII (punycode) form of a name, the form the account holds.
    return text.lower().rstrip(".")


def _check_domains(domains: Any) -> Optional[Dict[str, Dict[str, Any]]]:
    if domains is None:
        return None
    if not isinstance(domains, list):
        raise PolicyError(f"domains: must be a list of dictionaries, got {type(domains).__name__}")
    overrides: Dict[str, Dict[str, Any]] = {}
    seen: Dict[str, int] = {}
    for index, item in enumerate(domains):
        option = f"domains[{index}]"
        if not isinstance(item, dict) or item.get("name") is None:
            raise PolicyError(f"{option}: needs a name, like {{name: example.com}}")
        name = canonical_name(item["name"], option=f"{option}.name")
        if name in seen:
            raise PolicyError(f"{option}.name: {name} is listed twice (also domains[{seen[name]}])")
        seen[name] = index
        overrides[name] = _check_settings(option, {key: value for key, value in item.items() if key != "name"})
    return overrides


def _check_statuses(statuses: Any) -> Tuple[str, ...]:
    if statuses is None:
        return DEFAULT_STATUSES
    if not isinstance(statuses, (list, tuple)) or not statuses:
        raise PolicyError(f"statuses: must be a non-empty list of {', '.join(STATUSES)}")
    wanted = []
    for index, status in enumerate(statuses):
        if not isinstance(status, str) or status.lower() not in STATUSES:
            raise PolicyError(f"statuses[{index}]: {status!r} is not one of {', '.join(STATUSES)}")
        wanted.append(status.lower())
    return tuple(dict.fromkeys(wanted))


def build_policy(settings: Any = None, domains: Any = None, exclude: Any = None, statuses: Any = None) -> Policy:
    """Validate and canonicalise the options; raises PolicyError or InvalidValue, both naming the option."""
    if exclude is not None and not isinstance(exclude, (list, tuple)):
        raise PolicyError(f"exclude: must be a list of names or patterns, got {type(exclude).__name__}")
    patterns = tuple(_exclude_pattern(value, f"exclude[{index}]") for index, value in enumerate(exclude or ()))
    return Policy(
        settings=_check_settings("settings", settings),
        overrides=_check_domains(domains),
        exclude=patterns,
        statuses=_check_statuses(statuses),
    )


def _is_count(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def check_limits(concurrency: Any, max_changes: Any, expiry_warning_days: Any) -> None:
    """The numeric options; raises PolicyError naming the option."""
    if not _is_count(concurrency, 1) or concurrency > MAX_CONCURRENCY:
        raise PolicyError(f"concurrency: must be between 1 and {MAX_CONCURRENCY}, got {concurrency!r}")
    if max_changes is not None and not _is_count(max_changes, 0):
        raise PolicyError(f"max_changes: must be 0 or more, got {max_changes!r}")
    if not _is_count(expiry_warning_days, 0):
        raise PolicyError(f"expiry_warning_days: must be 0 or more, got {expiry_warning_days!r}")


# -- inbound transfers ------------------------------------------------------------------------------------

MISSING = "missing"
COMPLETED = "completed"
PENDING = "pending"
FAILED = "failed"
STARTED = "started"
WOULD_START = "would_start"
REFUSED = "refused"
# Every state a listed transfer is reported in, in the order the summary counts them.
TRANSFER_STATES = (MISSING, COMPLETED, PENDING, FAILED, STARTED, WOULD_START, REFUSED)
TRANSFER_KEYS = ("name", "auth_code", "override_attempt")
# A domain expiring this soon is not transferred: the losing registrar may let it expire mid-transfer.
EXPIRY_GUARD_DAYS = 15
_TRANSFER_STATUSES = ("pending", "completed", "failed")


class InboundTransfer:
    """One entry of `transfers`: its checked code (never shown) and what the run found and did about it."""

    def __init__(self, index: int, name: str, auth_code: Optional[str], code_problem: Optional[str], override: Any):
        self.index = index
        self.name = name
        self.auth_code = auth_code
        # Why the code cannot be sent (its form), in words that never quote it; None when it is well formed.
        self.code_problem = code_problem
        self.override_attempt: Optional[str] = override
        # Every form of this entry's code as given: masked in whatever is reported about this entry.
        self.secrets: Tuple[str, ...] = ()
        self.id: Any = None
        self.state: Optional[str] = None
        self.detail: Optional[str] = None
        self.initiated_at: Any = None
        self.estimated_completion: Any = None
        self.days_pending: Optional[int] = None
        self.estimated_cost: Optional[float] = None
        self.cost: Optional[float] = None
        # The domain as read (list object, with the detail merged where one was read).
        self.domain: Dict[str, Any] = {}
        self.warnings: List[str] = []

    def as_result(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "id": self.id,
            "state": self.state,
            "detail": self.detail,
            "initiated_at": self.initiated_at,
            "estimated_completion": self.estimated_completion,
            "days_pending": self.days_pending,
            "estimated_cost": self.estimated_cost,
            "cost": self.cost,
        }

    def __repr__(self) -> str:
        return f"InboundTransfer({self.name!r}, {self.state!r}, auth_code=<hidden>)"


def check_transfers(value: Any) -> List[InboundTransfer]:
    """The `transfers` option validated (strict keys, names unique); PolicyError names the entry, never the code.

    A code of the wrong form is not an error of the option: the domain is reported `refused` by the checks.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise PolicyError(f"transfers: must be a list of {{name, auth_code}} dictionaries, got {type(value).__name__}")
    entries: List[InboundTransfer] = []
    seen: Dict[str, int] = {}
    for index, item in enumerate(value):
        option = f"transfers[{index}]"
        if not isinstance(item, dict):
            raise PolicyError(f"{option}: must be a dictionary {{name, auth_code}}, got {type(item).__name__}")
        unknown = sorted(str(key) for key in item if key not in TRANSFER_KEYS)
        if unknown:
            raise PolicyError(f"{option}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(TRANSFER_KEYS)}")
        if item.get("name") is None:
            raise PolicyError(f"{option}: needs a name, like {{name: example.com, auth_code: ...}}")
        name = canonical_name(item["name"], option=f"{option}.name")
        if name in seen:
            raise PolicyError(f"{option}.name: {name} is listed twice (also transfers[{seen[name]}])")
        seen[name] = index
        code = item.get("auth_code")
        if code is None:
            raise PolicyError(f"{option}.auth_code: {name} has no auth code (the EPP code of its current registrar)")
        if not isinstance(code, str):
            raise PolicyError(
                f"{option}.auth_code: the auth code of {name} must be a string, got {type(code).__name__}"
            )
        try:
            checked: Optional[str] = check_auth_code(code)
            problem = None
        except ValueError as error:
            checked, problem = None, str(error)
        override = item.get("override_attempt")
        if override is not None and (not isinstance(override, str) or not override.strip()):
            raise PolicyError(f"{option}.override_attempt: must be the attempt quoted by a refusal, got {override!r}")
        entry = InboundTransfer(index, name, checked, problem, override.strip() if override else None)
        entry.secrets = tuple(sorted({code, code.strip()} - {""}, key=len, reverse=True))
        entries.append(entry)
    return entries


def transfer_secrets(entries: List[InboundTransfer], raw: Any) -> Tuple[str, ...]:
    """Every form of every code given: none of them may appear in anything returned."""
    codes = {entry.auth_code for entry in entries if entry.auth_code}
    for item in raw or ():
        if isinstance(item, dict) and isinstance(item.get("auth_code"), str):
            codes.update({item["auth_code"], item["auth_code"].strip()})
    return tuple(sorted(codes - {""}, key=len, reverse=True))


def tells_transfer_state(domain: Mapping[str, Any]) -> bool:
    """Whether a list object alone tells the transfer state (else the detail is read)."""
    status = domain.get("transfer_status")
    if status in _TRANSFER_STATUSES or is_at_vps(domain):
        return True
    return "transfer_status" in domain and status is None and bool(domain.get("registrar"))


def merge_detail(domain: Mapping[str, Any], detail: Mapping[str, Any]) -> Dict[str, Any]:
    """A list object with its detail laid over it; the list's id is the one the account knows."""
    return dict(engine.merge_domain(domain, detail), id=domain.get("id"))


def _days_since(value: Any, now: datetime) -> Optional[int]:
    moment = parse_api_time(value)
    if moment is None:
        return None
    return (now.astimezone(timezone.utc).date() - moment.date()).days


def decide_transfer(
    entry: InboundTransfer,
    domain: Dict[str, Any],
    *,
    restart_failed: bool = False,
    budgeted: bool = False,
    prices: Optional[Mapping[str, float]] = None,
    now: Optional[datetime] = None,
) -> None:
    """Set the entry's state from the domain as the API shows it now; pure (the decisions of `plan_transfer`).

    The checks run in the order of the documentation; the first that fails names itself in `detail`.
    """
    now = now or datetime.now(timezone.utc)
    name = entry.name
    entry.id = domain.get("id")
    entry.domain = domain
    entry.initiated_at = domain.get("transfer_initiated_at")
    entry.estimated_completion = domain.get("estimated_completion")
    status = domain.get("transfer_status")
    if status == "completed" or (is_at_vps(domain) and status != "pending"):
        entry.state = COMPLETED
        entry.detail = f"{name} is at VPS.org; the settings policy applies to it"
        return
    if status == "pending":
        entry.state = PENDING
        entry.days_pending = _days_since(entry.initiated_at, now)
        since = f" since {str(entry.initiated_at)[:10]}" if entry.initiated_at else ""
        entry.detail = f"the transfer is pending{since}; the current registrar must approve it"
        if entry.days_pending is not None and entry.days_pending > STUCK_TRANSFER_DAYS:
            entry.detail += f" (pending {entry.days_pending} days: ask the current registrar)"
        return
    attempt = f"transfers[{entry.index}].override_attempt"
    if status == "failed":
        # The API's sentence ends with its own full stop; this detail goes on after it.
        reason = (failure_reason(domain) or "the API gives no reason").rstrip(". ")
        mark = attempt_mark(domain)
        if not restart_failed:
            entry.state = FAILED
            entry.detail = (
                f"the transfer failed: {reason}; to start a new one (charged again), fix the cause, then set "
                f"restart_failed_transfers: true and {attempt}: {mark!r}"
            )
            return
        refusal = one_time_override(domain, "restart_failed_transfers", entry.override_attempt, {})
        if refusal is not None:
            entry.state = FAILED
            entry.detail = f"the transfer failed: {reason}; " + refusal.reason.replace("override_attempt", attempt, 1)
            return
    plan = plan_transfer(domain, restart_failed=restart_failed, override_attempt=entry.override_attempt, now=now)
    entry.warnings.extend(plan.warnings)
    if plan.action != ACTION_START:
        if "transfer_status" not in domain or (status is not None and status not in _TRANSFER_STATUSES):
            check = "transfer state"
            text = (
                f"the API does not tell whether a transfer of {name} is under way (transfer_status: "
                f"{status if 'transfer_status' in domain else 'not given'}); check in the VPS.org panel, then "
                "start it with vpsorg.domains.vps_domain_transfer"
            )
        else:
            check, text = "60-day rule", plan.reason
        entry.state, entry.detail = REFUSED, f"{check}: {text}; nothing was sent"
        return
    if entry.code_problem is not None:
        entry.state = REFUSED
        entry.detail = f"auth code: transfers[{entry.index}].{entry.code_problem}; nothing was sent"
        return
    if expires_within(domain.get("expiration_date"), EXPIRY_GUARD_DAYS, now):
        left = days_left(domain.get("expiration_date"), now)
        entry.state = REFUSED
        entry.detail = (
            f"expiry: {name} expires in {left} day(s), within {EXPIRY_GUARD_DAYS}: renew it at the current "
            "registrar first; nothing was sent"
        )
        return
    entry.estimated_cost = estimate(name, 1, prices if prices is not None else price_table())
    if entry.estimated_cost is None and budgeted:
        entry.state = REFUSED
        entry.detail = (
            f"price: no price is known for the TLD of {name} (add it to prices), so its transfer cannot be held to "
            "max_spend; nothing was sent"
        )
        return
    entry.state = WOULD_START
    entry.detail = f"a transfer of {name} to VPS.org will be started"


def plan_transfers(
    entries: List[InboundTransfer],
    account: List[Dict[str, Any]],
    *,
    restart_failed: bool = False,
    budgeted: bool = False,
    prices: Optional[Mapping[str, float]] = None,
    now: Optional[datetime] = None,
) -> None:
    """Decide every listed transfer from the account as read (details merged where read); pure, no HTTP."""
    by_name = group_by_name(account, key=account_name)
    for entry in entries:
        found = by_name.get(entry.name, [])
        if not found:
            entry.state = MISSING
            entry.detail = f"{entry.name} is not in the account: add it in the VPS.org panel, then run again"
        elif len(found) > 1:
            msg, _ids = duplicate_message(entry.name, found, "nothing was sent: remove the duplicates in the panel")
            entry.state, entry.detail = REFUSED, f"in the account: {msg}"
        else:
            decide_transfer(entry, found[0], restart_failed=restart_failed, budgeted=budgeted, prices=prices, now=now)


def _transfer_side(status: Any) -> Dict[str, Any]:
    """A transfer's change: only its state moves (the registrar changes once it completes, not when it starts)."""
    return {"transfer_status": status}


def _transfer(client: Any, change: DomainChange, budget: engine.Budget, grace_seconds: float) -> None:
    """Start one planned transfer through the engine's one transfer path; the entry records what became of it."""
    entry = change.transfer
    if entry is None or entry.auth_code is None:
        raise ValueError(f"{change.name}: a transfer was planned without its listed entry and auth code")
    domain = entry.domain
    auto_renew = change.after.get("auto_renew", True)
    try:
        outcome = engine.start_transfer(
            client,
            domain,
            entry.auth_code,
            bool(auto_renew) if isinstance(auto_renew, bool) else True,
            started=transfer_started,
            estimate=entry.estimated_cost,
            budget=budget,
            grace_seconds=grace_seconds,
        )
    except ApiError as error:
        # A definite refusal charged nothing; another run may have started the transfer meanwhile.
        now = _read_again(client, domain)
        if error.status in (400, 409) and now is not None and transfer_started(domain, now):
            _found_state(entry, now)
            return
        entry.state = REFUSED
        entry.detail = f"the API refused the transfer: {error}"
        raise
    except TaskError as error:
        now = _read_again(client, domain)
        if now is not None and transfer_started(domain, now):
            _found_state(entry, now)
            change.done = True
        else:
            entry.state = REFUSED
            entry.detail = error.msg
        raise
    change.done = True
    change.warnings.extend(redact_text(warning, entry.secrets) for warning in outcome.warnings)
    shown = outcome.answer if outcome.answer is not None else (outcome.found or {})
    entry.state = STARTED
    entry.initiated_at = shown.get("transfer_initiated_at")
    entry.estimated_completion = shown.get("estimated_completion")
    entry.days_pending = 0
    entry.cost = outcome.charged if outcome.charged is not None else entry.estimated_cost
    entry.detail = f"a transfer of {entry.name} to VPS.org was started"
    if outcome.cost_note:
        change.warnings.append(outcome.cost_note)


def _read_again(client: Any, domain: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    try:
        now = client.get_domain(domain["id"])
    except ApiError:
        return None
    return None if not isinstance(now, dict) or answer_for_another_id(now, domain["id"]) else dict(now, id=domain["id"])


def _found_state(entry: InboundTransfer, now: Dict[str, Any]) -> None:
    """The state of a transfer found started (by this run's unclear request or by another run)."""
    decide_transfer(entry, now)
    if entry.state == PENDING:
        entry.detail = f"a transfer of {entry.name} was found under way after the request (it was not sent again)"


def transfer_summary(entries: List[InboundTransfer]) -> Dict[str, int]:
    """The count of listed transfers in each state (every state present)."""
    counts = dict.fromkeys(TRANSFER_STATES, 0)
    for entry in entries:
        if entry.state in counts:
            counts[entry.state] += 1
    return counts


def over_transfer_budget(plan: PortfolioPlan, max_spend: Optional[float]) -> Optional[str]:
    """The failure when the planned transfers (with the planned registrations) may cost more than `max_spend`."""
    transfers = [change for change in plan.changes if change.action == TRANSFER]
    if max_spend is None or not transfers:
        return None
    total = estimated_spend(plan)
    if total <= max_spend:
        return None
    names = ", ".join(change.name for change in plan.changes if change.action in PAID_KINDS)
    return (
        f"max_spend: the transfers and registrations of {names} are estimated at {usd(total)} together, more than "
        f"max_spend {usd(max_spend)}; nothing was sent"
    )


# -- planning --------------------------------------------------------------------------------------------


def drift(current: Dict[str, Any], desired: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(before, after) of the desired settings that differ from the current ones; both empty when none do."""
    update = plan_update(current, desired)
    before = {setting: values[0] for setting, values in update.changes.items()}
    return before, update.body


def expiry_entry(name: str, domain: Dict[str, Any], days: int, now: datetime) -> Optional[Dict[str, Any]]:
    """The report line of a domain that expires within `days` of `now` or has expired; None otherwise."""
    if not expires_within(domain.get("expiration_date"), days, now):
        return None
    return _expiry_facts(domain, now, name=name)


def _skip(name: str, domain: Optional[Dict[str, Any]], reason: str) -> Dict[str, Any]:
    domain = domain or {}
    return {"name": name, "id": domain.get("id"), "status": domain.get("status"), "reason": reason}


def _ambiguous(name: str, found: List[Dict[str, Any]]) -> DomainChange:
    msg, ids = duplicate_message(
        name,
        found,
        "which one is meant is unclear, so none of them was changed: remove the duplicates in the VPS.org panel",
    )
    change = DomainChange(name, None, REFUSE, before={}, after={}, error=msg)
    change.ids = ids
    return change


def plan_portfolio(
    policy: Policy,
    account: List[Dict[str, Any]],
    *,
    register_missing: bool = False,
    expiry_warning_days: int = 30,
    now: Optional[datetime] = None,
    transfers: Optional[List[InboundTransfer]] = None,
) -> PortfolioPlan:
    """Compare every domain in scope with the policy; pure: no HTTP (and no clock when `now` is given).

    Listed transfers (decided by `plan_transfers`) are in scope: a completed one gets the policy in this run, one
    to start becomes a transfer action of the plan, and the others are left alone (a domain still at another
    registrar is not written: a lock set now would stop its transfer).
    """
    now = now or datetime.now(timezone.utc)
    plan = PortfolioPlan()
    plan.account = list(account)
    by_name = group_by_name(account, key=account_name)
    moving = {entry.name: entry for entry in transfers or () if entry.state != MISSING}

    scope: List[Tuple[str, Dict[str, Any]]] = []
    if policy.overrides is None:
        for name, found in by_name.items():
            if len(found) > 1 and not policy.excluded(name):
                plan.changes.append(_ambiguous(name, found))
            else:
                scope.extend((name, domain) for domain in found)
    else:
        for name in policy.overrides:
            found = by_name.get(name, [])
            if policy.excluded(name):
                plan.warnings.append(f"{name} is listed in domains but also excluded; it was left alone")
                plan.skipped.append(_skip(name, found[0] if len(found) == 1 else None, "excluded"))
            elif not found:
                plan.missing.append(name)
                if register_missing:
                    plan.changes.append(DomainChange(name, None, "register", before={}, after=policy.desired(name)))
            elif len(found) > 1:
                plan.changes.append(_ambiguous(name, found))
            else:
                scope.append((name, found[0]))
        for name in moving:
            found = by_name.get(name, [])
            if name not in policy.overrides and len(found) == 1:
                scope.append((name, found[0]))

    for name, domain in scope:
        if policy.excluded(name):
            plan.skipped.append(_skip(name, domain, "excluded"))
            continue
        entry = moving.get(name)
        if entry is not None and entry.state != COMPLETED:
            plan.domains.append((name, domain))
            plan.skipped.append(_skip(name, domain, f"transfer {entry.state}"))
            if entry.state == WOULD_START:
                change = DomainChange(
                    name,
                    domain.get("id"),
                    TRANSFER,
                    before=_transfer_side(domain.get("transfer_status")),
                    after=_transfer_side("pending"),
                )
                change.transfer = entry
                change.estimated_cost = entry.estimated_cost
                auto_renew = policy.desired(name).get("auto_renew")
                if auto_renew is not None:
                    change.after["auto_renew"] = auto_renew
                plan.changes.append(change)
            continue
        plan.domains.append((name, domain))
        entry = expiry_entry(name, domain, expiry_warning_days, now)
        if entry is not None:
            plan.expiring.append(entry)
        status = domain.get("status")
        if status not in policy.statuses:
            plan.skipped.append(_skip(name, domain, f"status {status}"))
            continue
        plan.checked.append(name)
        before, after = drift(domain, policy.desired(name))
        if after:
            plan.changes.append(DomainChange(name, domain.get("id"), "update", before=before, after=after))

    plan.changes.sort(key=lambda change: (change.name, str(change.id)))
    plan.skipped.sort(key=lambda item: (item["name"], str(item["id"])))
    plan.expiring.sort(key=lambda item: (str(item["expiration_date"]), item["name"]))
    plan.missing.sort()
    plan.domains.sort(key=lambda item: (item[0], str(item[1].get("id"))))
    return plan


def over_limit(plan: PortfolioPlan, max_changes: Optional[int]) -> Optional[str]:
    """The failure message when more domains would change than `max_changes` allows, else None."""
    writes = plan.writes
    if max_changes is None or len(writes) <= max_changes:
        return None
    names = ", ".join(change.name for change in writes)
    return f"{len(writes)} domains would change, more than max_changes ({max_changes}), so none was changed: {names}"


def estimate_registrations(plan: PortfolioPlan, table: Mapping[str, float]) -> None:
    """Set each planned registration's estimated cost (one year: the registration sends no `years`)."""
    for change in plan.changes:
        if change.action == "register":
            change.estimated_cost = estimate(change.name, 1, table)


def estimated_spend(plan: PortfolioPlan, kinds: Tuple[str, ...] = PAID_KINDS) -> float:
    """The sum of the known estimates of the planned registrations and transfers (or of `kinds`)."""
    return amount(sum(c.estimated_cost or 0.0 for c in plan.changes if c.action in kinds)) or 0.0


def over_budget(plan: PortfolioPlan, max_spend: Optional[float]) -> Optional[str]:
    """The failure message when the planned registrations may cost more than `max_spend`, else None.

    A registration whose TLD has no known price cannot be judged, so it fails too while a budget is set. A
    budget equal to the estimate passes.
    """
    registrations = [change for change in plan.changes if change.action == "register"]
    if max_spend is None or not registrations:
        return None
    names = ", ".join(change.name for change in registrations)
    unknown = [change.name for change in registrations if change.estimated_cost is None]
    if unknown:
        return (
            f"max_spend: the price of {', '.join(unknown)} is unknown (no price for its TLD; add it to prices), so "
            f"the registrations ({names}) cannot be held to max_spend {usd(max_spend)}; nothing was sent"
        )
    total = estimated_spend(plan, (REGISTER,))
    if total > max_spend:
        return (
            f"max_spend: registering {names} is estimated at {usd(total)}, more than max_spend {usd(max_spend)}; "
            "nothing was sent"
        )
    return None


# -- applying --------------------------------------------------------------------------------------------


def _update(client: Any, change: DomainChange, domain: Dict[str, Any]) -> None:
    _domain, warnings = engine.apply_update(client, domain, dict(change.after), change.name)
    change.warnings.extend(warnings)
    change.done = True


def _register(client: Any, change: DomainChange, budget: engine.Budget, grace_seconds: float) -> None:
    """Register once through the engine (the whole account was read: the name is proven absent), then follow up."""
    try:
        outcome = engine.register(
            client,
            change.name,
            registration_body(change.name, change.after),
            estimate=change.estimated_cost,
            budget=budget,
            grace_seconds=grace_seconds,
            proven_absent=True,
            settings=change.after,
        )
    except TaskError as error:
        if error.result.get("changed"):
            change.done = True
            change.registration = error.result.get("registration")
            change.id = (error.result.get("domain") or {}).get("id")
        raise
    change.id = outcome.domain.get("id")
    change.warnings.extend(outcome.warnings)
    change.done = True
    if outcome.registered:
        change.registration = outcome.registration


def apply_changes(
    client: Any,
    plan: PortfolioPlan,
    concurrency: int,
    *,
    grace_seconds: float = lookup_grace(None),
    max_spend: Optional[float] = None,
    account: Optional[Dict[str, Dict[str, Any]]] = None,
) -> None:
    """Send every write of the plan through the write engine from at most `concurrency` threads sharing one client.

    A failure is recorded on its change and never stops the others; a 429 pauses the whole pool because the
    client's back-off is shared by its threads. With `max_spend`, the registrations are sent first, one at a time
    in name order, each only when what the run spent so far plus its estimate stays within the budget.
    """
    budget = engine.Budget(max_spend, "max_spend")
    known = account or {}

    def _one(change: DomainChange) -> None:
        try:
            if change.action == "register":
                _register(client, change, budget, grace_seconds)
            elif change.action == TRANSFER:
                _transfer(client, change, budget, grace_seconds)
            else:
                _update(client, change, known.get(str(change.id), {"id": change.id}))
        except Exception as error:  # one domain's failure must not stop the others
            # Only this change's own code can be in what its requests answered: masking every code of a long list
            # in every answer would cost (codes x strings) for nothing.
            own = change.transfer.secrets if change.transfer is not None else ()
            change.error, change.failure = engine.error_result(error, own)
            if change.transfer is not None:
                change.transfer.detail = redact_text(change.transfer.detail or "", own) or None

    writes = plan.writes
    if max_spend is not None:
        engine.run_each([change for change in writes if change.action == "register"], _one, 1)
        writes = [change for change in writes if change.action != "register"]
    engine.run_each(writes, _one, concurrency)


# -- reporting -------------------------------------------------------------------------------------------


def summarise(
    plan: PortfolioPlan, *, check_mode: bool, transfers: Optional[List[InboundTransfer]] = None
) -> Dict[str, Any]:
    """The counts of the report; in check mode `changed` counts the domains that would change."""
    changed = len(plan.writes) if check_mode else sum(1 for change in plan.changes if change.done)
    return {
        "checked": len(plan.checked),
        "drifted": sum(1 for change in plan.changes if change.action == "update" and change.after),
        "changed": changed,
        "failed": sum(1 for change in plan.changes if change.error is not None),
        "missing": len(plan.missing),
        "skipped": len(plan.skipped),
        "expiring": len(plan.expiring),
        "estimated_spend": estimated_spend(plan),
        "spent": amount(sum(change.cost for change in plan.changes)) or 0.0,
        "transfers": transfer_summary(transfers or []),
    }


def errors(
    plan: PortfolioPlan, *, register_missing: bool, transfers: Optional[List[InboundTransfer]] = None
) -> List[str]:
    """Everything that makes the run fail, one line each."""
    problems = [f"{change.name}: {change.error}" for change in plan.changes if change.error is not None]
    if not register_missing:
        problems.extend(f"{name}: not in the account (register_missing is off)" for name in plan.missing)
    problems.extend(
        f"{entry.name}: listed in transfers but not in the account; add it in the VPS.org panel"
        for entry in sorted(transfers or [], key=lambda item: item.name)
        if entry.state == MISSING
    )
    return problems


def _expiring_after(plan: PortfolioPlan) -> List[Dict[str, Any]]:
    """The expiring domains with the auto-renew this run set, so the report says whether each renews now."""
    applied = {
        change.id: change.after["auto_renew"] for change in plan.changes if change.done and "auto_renew" in change.after
    }
    return [
        dict(entry, auto_renew=applied[entry["id"]]) if entry["id"] in applied else entry for entry in plan.expiring
    ]


def domains_after(plan: PortfolioPlan) -> List[Tuple[str, Dict[str, Any]]]:
    """The domains in scope as this run left them: the settings of every update applied merged in."""
    applied = {change.id: change.after for change in plan.changes if change.done and change.action == "update"}
    return [(name, dict(domain, **applied.get(domain.get("id"), {}))) for name, domain in plan.domains]


def duplicate_findings(plan: PortfolioPlan) -> List[Dict[str, Any]]:
    """The finding `duplicate_name` for every name several ids hold (none of them was written)."""
    return [
        {
            "name": change.name,
            "condition": "duplicate_name",
            "detail": f"held by ids {', '.join(map(str, change.ids))}; none of them was changed",
            "ids": change.ids,
        }
        for change in plan.duplicates
    ]


def _moving_left_unlocked(
    findings: List[Dict[str, Any]], transfers: Optional[List[InboundTransfer]]
) -> List[Dict[str, Any]]:
    """The findings without `unlocked` for a listed transfer that has not completed: the current registrar's
    lock must stay off until the transfer is done (the settings policy locks it then), so it is no finding."""
    moving = {entry.name for entry in transfers or () if entry.state != COMPLETED}
    return [f for f in findings if not (f["condition"] == "unlocked" and f["name"] in moving)]


def _skipped_after(plan: PortfolioPlan, transfers: Optional[List[InboundTransfer]]) -> List[Dict[str, Any]]:
    """The skipped domains, a listed transfer's reason naming its state after the run (started, not would_start)."""
    states = {entry.name: entry.state for entry in transfers or ()}
    return [
        dict(item, reason=f"transfer {states[item['name']]}")
        if item["name"] in states and str(item.get("reason", "")).startswith("transfer ")
        else item
        for item in plan.skipped
    ]


def report(
    plan: PortfolioPlan,
    *,
    check_mode: bool,
    register_missing: bool,
    prices: Optional[Mapping[str, float]] = None,
    expiry_warning_days: int = 30,
    now: Optional[datetime] = None,
    transfers: Optional[List[InboundTransfer]] = None,
) -> Dict[str, Any]:
    """Everything the module returns about the run, besides `changed` and `diff`.

    Findings and the forecast judge the domains as the run left them (in check mode: as they are).
    """
    now = now or datetime.now(timezone.utc)
    table = price_table() if prices is None else prices
    domains = domains_after(plan)
    charged = every_domain(plan.account, domains, account_name)
    calendar = expiry_calendar(charged, now)
    summary = summarise(plan, check_mode=check_mode, transfers=transfers)
    summary["renewal_cost_30d"] = renewal_cost_within(charged, 30, table, now)
    summary["renewal_cost_365d"] = renewal_cost_within(charged, 365, table, now)
    return {
        "summary": summary,
        "changes": [change.as_result() for change in plan.changes],
        "expiring": _expiring_after(plan),
        "skipped_domains": _skipped_after(plan, transfers),  # not "skipped": Ansible would take the task for skipped
        "missing": plan.missing,
        "errors": errors(plan, register_missing=register_missing, transfers=transfers),
        "findings": sorted(
            _moving_left_unlocked(find_all(domains, expiry_warning_days=expiry_warning_days, now=now), transfers)
            + duplicate_findings(plan),
            key=lambda finding: finding["name"],
        ),
        "renewals": renewal_forecast(calendar, table),
        "expiry_calendar": calendar,
        "transfers": [entry.as_result() for entry in sorted(transfers or [], key=lambda item: item.name)],
    }


def diffs(plan: PortfolioPlan, *, applied_only: bool = False) -> List[Dict[str, Any]]:
    """One diff per changing domain, in the one diff style of the collection (headers name the domain).

    After a real run (`applied_only`), a write that failed changed nothing, so it has no diff; its error is in
    the report instead.
    """
    return [
        diff_entry(
            change.name,
            change.before if change.action != "register" else None,
            change.after,
            paid_note(change.action, change.estimated_cost) if change.action in PAID_KINDS else None,
        )
        for change in plan.changes
        if change.after and (change.done or not applied_only)
    ]


# -- the task of vps_portfolio -----------------------------------------------------------------------------


class PortfolioRequest:
    """What a vps_portfolio task asks for, validated and canonical."""

    def __init__(
        self,
        policy: Policy,
        *,
        register_missing: bool = False,
        max_changes: Optional[int] = None,
        concurrency: int = 4,
        expiry_warning_days: int = 30,
        max_spend: Optional[float] = None,
        prices: Optional[Mapping[str, float]] = None,
        transfers: Optional[List[InboundTransfer]] = None,
        restart_failed_transfers: bool = False,
        secrets: Tuple[str, ...] = (),
    ) -> None:
        self.policy = policy
        self.transfers = list(transfers or [])
        self.restart_failed_transfers = restart_failed_transfers
        # Every form of the auth codes given: none of them may appear in anything returned.
        self.secrets = secrets
        self.register_missing = register_missing
        self.max_changes = max_changes
        self.concurrency = concurrency
        self.expiry_warning_days = expiry_warning_days
        self.max_spend = max_spend
        self.prices = dict(price_table() if prices is None else prices)


def portfolio_request(params: Mapping[str, Any]) -> PortfolioRequest:
    """The validated request from the module's options; InvalidValue names the option that is wrong."""
    policy = build_policy(params.get("settings"), params.get("domains"), params.get("exclude"), params.get("statuses"))
    concurrency = params.get("concurrency", 4)
    max_changes = params.get("max_changes")
    expiry_warning_days = params.get("expiry_warning_days", 30)
    check_limits(concurrency, max_changes, expiry_warning_days)
    transfers = check_transfers(params.get("transfers"))
    restart = params.get("restart_failed_transfers", False)
    if not isinstance(restart, bool):
        raise PolicyError(f"restart_failed_transfers: must be true or false, got {restart!r}")
    return PortfolioRequest(
        policy,
        register_missing=bool(params.get("register_missing")),
        max_changes=max_changes,
        concurrency=concurrency,
        expiry_warning_days=expiry_warning_days,
        max_spend=check_budget("max_spend", params.get("max_spend")),
        prices=price_table(params.get("prices"), "prices"),
        transfers=transfers,
        restart_failed_transfers=restart,
        secrets=transfer_secrets(transfers, params.get("transfers")),
    )


class PortfolioOperation(Operation):
    """Carries out one PortfolioRequest with a client: read once, plan, check the limits, then write.

    `run()` returns the module's result (with `warnings` and `diff`) or raises TaskError with the whole report;
    ApiError escapes only when reading the account failed, before anything was sent.
    """

    def _report(self, plan: PortfolioPlan) -> Dict[str, Any]:
        request = self.request
        return report(
            plan,
            check_mode=self.check_mode,
            register_missing=request.register_missing,
            prices=request.prices,
            expiry_warning_days=request.expiry_warning_days,
            now=self.now,
            transfers=request.transfers,
        )

    def _plan(self, account: List[Dict[str, Any]]) -> PortfolioPlan:
        request = self.request
        return plan_portfolio(
            request.policy,
            account,
            register_missing=request.register_missing,
            expiry_warning_days=request.expiry_warning_days,
            now=self.now,
            transfers=request.transfers,
        )

    def _with_transfer_details(self, account: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """The account with the details of the listed transfers merged in, read only where the list object
        cannot tell the transfer state (concurrently); then every listed transfer decided."""
        request = self.request
        listed = {entry.name for entry in request.transfers}
        unclear = [
            domain
            for domain in account
            if account_name(domain) in listed and not tells_transfer_state(domain) and domain.get("id") is not None
        ]
        read: Dict[str, Dict[str, Any]] = {}

        def _read(domain: Dict[str, Any]) -> None:
            detail = self.client.get_domain(domain["id"])
            if isinstance(detail, dict) and not answer_for_another_id(detail, domain["id"]):
                read[str(domain["id"])] = merge_detail(domain, detail)

        engine.run_each(unclear, _read, request.concurrency)
        account = [read.get(str(domain.get("id")), domain) for domain in account]
        plan_transfers(
            request.transfers,
            account,
            restart_failed=request.restart_failed_transfers,
            budgeted=request.max_spend is not None,
            prices=request.prices,
            now=self.now,
        )
        return account

    def _complete(self, account: List[Dict[str, Any]], changes: List[DomainChange]) -> List[Dict[str, Any]]:
        """The account with the details of these domains merged in (read concurrently)."""
        request = self.request
        wanted = {str(change.id): change.name for change in changes}
        read: Dict[str, Dict[str, Any]] = {}

        def _read(domain: Dict[str, Any]) -> None:
            name = wanted[str(domain.get("id"))]
            read[str(domain.get("id"))] = engine.complete_settings(self.client, domain, request.policy.desired(name))

        engine.run_each([domain for domain in account if str(domain.get("id")) in wanted], _read, request.concurrency)
        return [read.get(str(domain.get("id")), domain) for domain in account]

    def run(self) -> Dict[str, Any]:
        request = self.request
        account = self.client.list_domains(concurrency=request.concurrency)
        if request.transfers:
            account = self._with_transfer_details(account)
        plan = self._plan(account)
        # A list item may lack a setting the policy sets: read those domains' details before planning writes.
        incomplete = [
            change
            for change in plan.changes
            if change.action == "update" and any(read_setting(change.before, key) is None for key in change.before)
        ]
        if incomplete:
            account = self._complete(account, incomplete)
            plan = self._plan(account)
        estimate_registrations(plan, request.prices)
        warnings = list(plan.warnings)
        unknown = [
            change.name for change in plan.changes if change.action == "register" and change.estimated_cost is None
        ]
        if unknown and request.max_spend is None:
            warnings.append(
                f"no price is known for {', '.join(unknown)}: add it to prices; left out of estimated_spend"
            )
        no_price = unpriced(every_domain(plan.account, plan.domains, account_name), request.prices)
        if no_price:
            warnings.append(f"no price is known for {', '.join(no_price)}: left out of the renewal forecast")
        warnings.extend(unknown_expiry_warnings(find_all(plan.domains, now=self.now)))

        for entry in request.transfers:
            warnings.extend(entry.warnings)
        refusals = (
            over_limit(plan, request.max_changes),
            over_budget(plan, request.max_spend),
            over_transfer_budget(plan, request.max_spend),
        )
        for refusal in refusals:
            if refusal is not None:
                result = self._report(plan)
                result["errors"].insert(0, refusal)
                raise TaskError(refusal, changed=False, warnings=warnings, **result)

        if not self.check_mode:
            apply_changes(
                self.client,
                plan,
                request.concurrency,
                grace_seconds=self.grace_seconds,
                max_spend=request.max_spend,
                account={str(domain.get("id")): domain for domain in account},
            )
        for change in plan.changes:
            warnings.extend(change.warnings)
        result = self._report(plan)
        result["changed"] = result["summary"]["changed"] > 0
        result["diff"] = diffs(plan, applied_only=not self.check_mode)
        problems = result["errors"]
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            raise TaskError(f"{len(problems)} domain(s) failed: {shown}", warnings=warnings, **result)
        result["warnings"] = warnings
        return result
