# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: one policy over a whole account, planned without HTTP and applied concurrently."""

from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._domain import (
    SETTINGS,
    DomainError,
    plan_update,
    register_domain_safely,
    registration_body,
    several_matches,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._findings import find_all, unknown_expiry_warnings
from ansible_collections.vpsorg.domains.plugins.module_utils._forecast import (
    every_domain,
    expiry_calendar,
    renewal_cost_within,
    renewal_forecast,
    unpriced,
)
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
from ansible_collections.vpsorg.domains.plugins.module_utils._task import Task, TaskError, lookup_grace
from ansible_collections.vpsorg.domains.plugins.module_utils._time import expires_within
from ansible_collections.vpsorg.domains.plugins.module_utils._time import expiry_entry as _expiry_facts

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
        self.action = action  # "update", "register", or "none" for a name that could not be planned
        self.before = before
        self.after = after
        self.error = error
        self.failure: Optional[Dict[str, Any]] = None
        self.done = False
        self.registration: Optional[Dict[str, Any]] = None
        # For a registration: what the price table expects it to cost (None: the TLD has no known price).
        self.estimated_cost: Optional[float] = None

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
        if self.registration is not None:
            result["registration"] = self.registration
        if self.action == "register":
            result["estimated_cost"] = self.estimated_cost
        return result

    @property
    def cost(self) -> float:
        """What this change was charged: the API's total_cost of a registration done (its estimate if unknown)."""
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
        """The changes that need a request: a name the plan could not resolve (action "none") is not sent."""
        return [change for change in self.changes if change.action != "none"]


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
    msg, _ids = several_matches(
        name, found, "which one is meant is unclear, so it was left alone: remove the duplicates in the VPS.org panel"
    )
    return DomainChange(name, None, "none", before={}, after={}, error=msg)


def plan_portfolio(
    policy: Policy,
    account: List[Dict[str, Any]],
    *,
    register_missing: bool = False,
    expiry_warning_days: int = 30,
    now: Optional[datetime] = None,
) -> PortfolioPlan:
    """Compare every domain in scope with the policy; pure: no HTTP (and no clock when `now` is given)."""
    now = now or datetime.now(timezone.utc)
    plan = PortfolioPlan()
    plan.account = list(account)
    by_name: Dict[str, List[Dict[str, Any]]] = {}
    for domain in account:
        by_name.setdefault(account_name(domain), []).append(domain)

    scope: List[Tuple[str, Dict[str, Any]]] = []
    if policy.overrides is None:
        scope = [(name, domain) for name, found in by_name.items() for domain in found]
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

    for name, domain in scope:
        if policy.excluded(name):
            plan.skipped.append(_skip(name, domain, "excluded"))
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


def estimated_spend(plan: PortfolioPlan) -> float:
    """The sum of the known estimates of the planned registrations."""
    return amount(sum(c.estimated_cost or 0.0 for c in plan.changes if c.action == "register")) or 0.0


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
    total = estimated_spend(plan)
    if total > max_spend:
        return (
            f"max_spend: registering {names} is estimated at {usd(total)}, more than max_spend {usd(max_spend)}; "
            "nothing was sent"
        )
    return None


# -- applying --------------------------------------------------------------------------------------------


def _record_error(change: DomainChange, error: Exception) -> None:
    if isinstance(error, DomainError):
        change.error = error.msg
        if error.api_error is not None:
            change.failure = error.api_error.to_failure()
    elif isinstance(error, ApiError):
        change.error = str(error)
        change.failure = error.to_failure()
    else:
        change.error = f"{type(error).__name__}: {error}"


def _update(client: Any, change: DomainChange) -> None:
    client.update_domain(change.id, dict(change.after))
    change.done = True


def _register(client: Any, change: DomainChange, grace_seconds: float) -> None:
    """Register once (never a second POST), then set what the registration could not (such as `locked`)."""
    outcome = register_domain_safely(client, registration_body(change.name, change.after), change.name, grace_seconds)
    domain = outcome.domain
    change.id = domain.get("id")
    if outcome.registered:
        change.done = True
        change.registration = outcome.registration
    follow_up = plan_update(domain, change.after)
    if follow_up.changed:
        try:
            client.update_domain(change.id, follow_up.body)
        except ApiError as error:
            if not outcome.registered:
                raise
            raise DomainError(
                f"{change.name} was registered, but setting {', '.join(follow_up.changes)} afterwards failed: {error}",
                api_error=error,
            ) from None
        change.done = True


def _within_budget(plan: PortfolioPlan, change: DomainChange, max_spend: float) -> bool:
    """Whether this registration may be sent: what the run was charged so far plus its estimate fit the budget."""
    spent = sum(other.cost for other in plan.changes)
    expected = change.estimated_cost
    if expected is not None and amount(spent + expected) <= max_spend:  # type: ignore[operator]
        return True
    change.error = (
        f"not registered: its estimated {usd(expected)} on top of the {usd(spent)} this run spent already "
        f"would pass max_spend {usd(max_spend)} (nothing was sent for it)"
    )
    return False


def apply_changes(
    client: Any,
    plan: PortfolioPlan,
    concurrency: int,
    grace_seconds: float = lookup_grace(None),
    max_spend: Optional[float] = None,
) -> None:
    """Send every write of the plan from at most `concurrency` threads sharing one client.

    A failure is recorded on its change and never stops the others; a 429 pauses the whole pool because
    the client's back-off is shared by its threads. With `max_spend`, the registrations are sent first, one
    at a time in name order, each only when the actual costs so far plus its estimate stay within the budget.
    """
    writes = plan.writes
    if not writes:
        return
    if max_spend is not None:
        for change in writes:
            if change.action == "register" and _within_budget(plan, change, max_spend):
                try:
                    _register(client, change, grace_seconds)
                except Exception as error:  # one domain's failure must not stop the others
                    _record_error(change, error)
        writes = [change for change in writes if change.action != "register"]
        if not writes:
            return

    def _one(change: DomainChange) -> None:
        try:
            if change.action == "register":
                _register(client, change, grace_seconds)
            else:
                _update(client, change)
        except Exception as error:  # one domain's failure must not stop the others
            _record_error(change, error)

    with ThreadPoolExecutor(max_workers=min(concurrency, len(writes))) as pool:
        # Consuming the iterator waits for every write.
        list(pool.map(_one, writes))


# -- reporting -------------------------------------------------------------------------------------------


def summarise(plan: PortfolioPlan, *, check_mode: bool) -> Dict[str, Any]:
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
    }


def errors(plan: PortfolioPlan, *, register_missing: bool) -> List[str]:
    """Everything that makes the run fail, one line each."""
    problems = [f"{change.name}: {change.error}" for change in plan.changes if change.error is not None]
    if not register_missing:
        problems.extend(f"{name}: not in the account (register_missing is off)" for name in plan.missing)
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


def report(
    plan: PortfolioPlan,
    *,
    check_mode: bool,
    register_missing: bool,
    prices: Optional[Mapping[str, float]] = None,
    expiry_warning_days: int = 30,
    now: Optional[datetime] = None,
) -> Dict[str, Any]:
    """Everything the module returns about the run, besides `changed` and `diff`.

    Findings and the forecast judge the domains as the run left them (in check mode: as they are).
    """
    now = now or datetime.now(timezone.utc)
    table = price_table() if prices is None else prices
    domains = domains_after(plan)
    charged = every_domain(plan.account, domains, account_name)
    calendar = expiry_calendar(charged, now)
    summary = summarise(plan, check_mode=check_mode)
    summary["renewal_cost_30d"] = renewal_cost_within(charged, 30, table, now)
    summary["renewal_cost_365d"] = renewal_cost_within(charged, 365, table, now)
    return {
        "summary": summary,
        "changes": [change.as_result() for change in plan.changes],
        "expiring": _expiring_after(plan),
        "skipped_domains": plan.skipped,  # not "skipped": Ansible would take the task for skipped
        "missing": plan.missing,
        "errors": errors(plan, register_missing=register_missing),
        "findings": find_all(domains, expiry_warning_days=expiry_warning_days, now=now),
        "renewals": renewal_forecast(calendar, table),
        "expiry_calendar": calendar,
    }


def diffs(plan: PortfolioPlan, *, applied_only: bool = False) -> List[Dict[str, Any]]:
    """One diff per changing domain, in the form Ansible's diff mode shows.

    After a real run (`applied_only`), a write that failed changed nothing, so it has no diff; its error is in
    the report instead.
    """
    return [
        {
            "before_header": f"{change.name} (not in the account)" if change.action == "register" else change.name,
            "after_header": f"{change.name} (registered)" if change.action == "register" else change.name,
            "before": _yaml_text(change.before),
            "after": _yaml_text(change.after),
        }
        for change in plan.changes
        if change.after and (change.done or not applied_only)
    ]


def _yaml_text(values: Dict[str, Any]) -> str:
    lines = []
    for key in sorted(values):
        value = values[key]
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"  - {item}" for item in value)
        elif isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        else:
            lines.append(f"{key}: {'null' if value is None else value}")
    return "".join(line + "\n" for line in lines)


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
    ) -> None:
        self.policy = policy
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
    return PortfolioRequest(
        policy,
        register_missing=bool(params.get("register_missing")),
        max_changes=max_changes,
        concurrency=concurrency,
        expiry_warning_days=expiry_warning_days,
        max_spend=check_budget("max_spend", params.get("max_spend")),
        prices=price_table(params.get("prices"), "prices"),
    )


class PortfolioTask(Task):
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
        )

    def run(self) -> Dict[str, Any]:
        request = self.request
        account = self.client.list_domains(concurrency=request.concurrency)
        plan = plan_portfolio(
            request.policy,
            account,
            register_missing=request.register_missing,
            expiry_warning_days=request.expiry_warning_days,
            now=self.now,
        )
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

        for refusal in (over_limit(plan, request.max_changes), over_budget(plan, request.max_spend)):
            if refusal is not None:
                result = self._report(plan)
                result["errors"].insert(0, refusal)
                raise TaskError(refusal, changed=False, warnings=warnings, **result)

        if not self.check_mode:
            apply_changes(
                self.client, plan, request.concurrency, grace_seconds=self.grace_seconds, max_spend=request.max_spend
            )
        result = self._report(plan)
        result["changed"] = result["summary"]["changed"] > 0
        result["diff"] = diffs(plan, applied_only=not self.check_mode)
        problems = result["errors"]
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            raise TaskError(f"{len(problems)} domain(s) failed: {shown}", warnings=warnings, **result)
        result["warnings"] = warnings
        return result
