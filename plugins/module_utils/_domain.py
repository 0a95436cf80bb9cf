# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: plans and rules for one domain (vps_domain, vps_domain_info); no Ansible here."""

from __future__ import annotations

import re
import time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError, OutcomeUnknown
from ansible_collections.vpsorg.domains.plugins.module_utils._client import _id_order as id_order
from ansible_collections.vpsorg.domains.plugins.module_utils._money import (
    amount,
    check_budget,
    estimate,
    price_table,
    usd,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._names import (
    InvalidValue,
    canonical_name,
    canonical_nameservers,
    check_years,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._task import Task, TaskError

# The on/off settings of a domain, in the order they are shown.
BOOL_SETTINGS = ("auto_renew", "privacy_protection", "locked")
# The settings a user can manage on a domain (vps_domain, vps_portfolio, the policy), in the order they are shown.
SETTINGS = (*BOOL_SETTINGS, "nameservers")
# What API.md documents as the defaults of a registration when a field is not sent.
REGISTRATION_DEFAULTS = {"auto_renew": True, "privacy_protection": True}
# The fields shown in diff mode: enough to recognise the domain and every managed setting.
_DIFF_FIELDS = ("id", "domain_name", "status", *SETTINGS)

_FIRST_POLL = 1.0
_MAX_REGISTRATION_POLL = 5.0
_MAX_ACTIVATION_POLL = 15.0

# Words the API uses when a 400 to a registration means the name is held already (by anyone).
_TAKEN_WORDS = re.compile(r"already|taken|not available|unavailable|in use|exists", re.IGNORECASE)

Sleep = Callable[[float], Any]
Clock = Callable[[], float]


# The task error of vps_domain is the collection's one task error.
DomainError = TaskError


class WaitTimeout(DomainError):
    """The domain did not become active in time; `domain` is the last object read."""

    def __init__(self, msg: str, domain: Dict[str, Any]) -> None:
        super().__init__(msg)
        self.domain = domain


# -- names and lookups ------------------------------------------------------------------------------------
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
    """The domains lowest id first: numeric ids in numeric order, any other id after them (as the client sorts)."""
    return sorted(domains, key=id_order)


def several_matches(name: str, domains: Iterable[Mapping[str, Any]], consequence: str) -> Tuple[str, List[Any]]:
    """The message and the ids, lowest first, for a name that several domains of the account share."""
    ids = [domain.get("id") for domain in by_id(domains)]
    return f"{name} matches several domains in the account (ids {', '.join(map(str, ids))}); {consequence}", ids


def single_match(matches: List[Dict[str, Any]], name: str) -> Optional[Dict[str, Any]]:
    """The one domain of the account with this name, None when there is none; fails when there are several."""
    if len(matches) > 1:
        msg, _ids = several_matches(
            name,
            matches,
            "which one is meant is unclear, so nothing was changed: remove the duplicates in the VPS.org panel",
        )
        raise DomainError(msg)
    return matches[0] if matches else None


# -- plans -----------------------------------------------------------------------------------------------
def desired_settings(
    auto_renew: Optional[bool] = None,
    privacy_protection: Optional[bool] = None,
    locked: Optional[bool] = None,
    nameservers: Optional[List[str]] = None,
) -> Dict[str, Any]:
    """The settings the user asked for; None means "leave as is". Nameservers must be canonical already."""
    return {
        "auto_renew": auto_renew,
        "privacy_protection": privacy_protection,
        "locked": locked,
        "nameservers": None if nameservers is None else sorted(nameservers),
    }


def diff_view(domain: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """What diff mode shows of a domain: {} when it is not in the account."""
    if not domain:
        return {}
    view = {field: domain.get(field) for field in _DIFF_FIELDS}
    if isinstance(view["nameservers"], list):
        view["nameservers"] = sorted(view["nameservers"])
    return view


class UpdatePlan:
    """The settings that differ between a domain and the user's wishes, and the domain they would give."""

    def __init__(self, current: Dict[str, Any], changes: Dict[str, Tuple[Any, Any]]) -> None:
        self.current = current
        # setting -> (before, after), only for settings that change
        self.changes = changes
        self.predicted = dict(current)
        self.predicted.update(self.body)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def body(self) -> Dict[str, Any]:
        """The partial update to send: the changed settings only."""
        return {setting: after for setting, (_before, after) in self.changes.items()}

    @property
    def diff(self) -> Dict[str, Dict[str, Any]]:
        return {"before": diff_view(self.current), "after": diff_view(self.predicted)}

    def __repr__(self) -> str:
        return f"UpdatePlan({self.changes!r})"


def plan_update(current: Mapping[str, Any], desired: Mapping[str, Any]) -> UpdatePlan:
    """Compare only the settings the user set (not None); nameservers as sets of canonical names."""
    changes: Dict[str, Tuple[Any, Any]] = {}
    for setting in SETTINGS:
        wanted = desired.get(setting)
        if wanted is None:
            continue
        before = current.get(setting)
        if setting == "nameservers":
            if not isinstance(before, list) or nameserver_set(before) != nameserver_set(wanted):
                changes[setting] = (before, sorted(wanted))
        elif before is not wanted:
            changes[setting] = (before, wanted)
    return UpdatePlan(dict(current), changes)


def merge_domain(read: Mapping[str, Any], answer: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """What was read with an update's answer laid over it, so fields the answer lacks survive."""
    merged = dict(read)
    for key, value in (answer or {}).items():
        if key != "message":
            merged[key] = value
    return merged


def registration_body(name: str, desired: Mapping[str, Any], years: Optional[int] = None) -> Dict[str, Any]:
    """The POST body: only what the user set, so the API's defaults apply to the rest.

    `locked` is no registration field; it is applied afterwards by an update when the answer differs.
    """
    body: Dict[str, Any] = {"domain_name": name}
    if years is not None:
        body["years"] = years
    for setting in ("auto_renew", "privacy_protection", "nameservers"):
        if desired.get(setting) is not None:
            body[setting] = desired[setting]
    return body


def predict_registration(name: str, desired: Mapping[str, Any]) -> Dict[str, Any]:
    """The domain a registration would create, for check mode: no id yet, unknown fields None."""
    domain: Dict[str, Any] = {
        "id": None,
        "domain_name": name,
        "status": "pending",
        "registration_date": None,
        "expiration_date": None,
    }
    for setting in SETTINGS:
        value = desired.get(setting)
        domain[setting] = REGISTRATION_DEFAULTS.get(setting) if value is None else value
    return domain


# -- registration ----------------------------------------------------------------------------------------
class RegistrationOutcome:
    """What a registration attempt ended in.

    `registered` is True when this run's POST created the domain (or, after an unclear answer, the domain
    turned up in the account); False when the API refused because the account holds the name already.
    """

    def __init__(self, domain: Dict[str, Any], registered: bool, registration: Optional[Dict[str, Any]]) -> None:
        self.domain = domain
        self.registered = registered
        self.registration = registration

    def __repr__(self) -> str:
        return f"RegistrationOutcome(registered={self.registered!r}, id={self.domain.get('id')!r})"


def _concerns_name(error: ApiError) -> bool:
    """Whether a 400 is about the name itself (or unspecific), rather than about another field of the body."""
    fields = set(error.field_errors or {})
    return not fields or bool(fields & {"domain_name", "name", "non_field_errors", "detail", "message"})


def _error_text(error: ApiError) -> str:
    parts = [error.detail] if error.detail else []
    for messages in (error.field_errors or {}).values():
        parts.extend(str(message) for message in messages)
    return " ".join(parts)


def register_domain_safely(
    client: Any,
    body: Dict[str, Any],
    canonical: str,
    grace_seconds: float,
    *,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> RegistrationOutcome:
    """POST the registration once; when its outcome is unclear or the name is taken, look in the account.

    Never sends a second POST: a registration costs money and the API has no idempotency key. After an
    ambiguous failure the name is looked up until it appears or `grace_seconds` have passed (the server may
    still be working on the request); a 400 is looked up once, since the name is either in the account or not.
    """
    try:
        answer = client.register_domain(body)
    except OutcomeUnknown as error:
        return _look_up_after_unknown(client, canonical, error, grace_seconds, sleep=sleep, clock=clock)
    except ApiError as error:
        if error.status != 400 or not _concerns_name(error):
            raise
        found = single_match(client.find_domains(canonical), canonical)
        if found is not None:
            return RegistrationOutcome(found, registered=False, registration=None)
        if _TAKEN_WORDS.search(_error_text(error)):
            raise DomainError(
                f"{canonical} is taken; to transfer it in, add it to the account in the VPS.org panel, then use "
                f"vps_domain_transfer (the API said: {_error_text(error)})",
                api_error=error,
            ) from None
        raise
    # The answer is the domain plus facts about this registration, which belong in `registration`.
    domain = {key: value for key, value in answer.items() if key not in ("total_cost", "message", "years")}
    # Django REST Framework sends decimals as strings ("25.98"): every amount is a number from here on.
    registration = {"total_cost": amount(answer.get("total_cost")), "message": answer.get("message")}
    return RegistrationOutcome(domain, registered=True, registration=registration)


def _look_up_after_unknown(
    client: Any, canonical: str, error: OutcomeUnknown, grace_seconds: float, *, sleep: Sleep, clock: Clock
) -> RegistrationOutcome:
    deadline = clock() + max(grace_seconds, 0)
    delay = _FIRST_POLL
    lookup_problem = ""
    while True:
        try:
            matches = client.find_domains(canonical)
        except ApiError as lookup_error:
            lookup_problem = f"; looking it up failed too: {lookup_error}"
        else:
            lookup_problem = ""
            found = single_match(matches, canonical)
            if found is not None:
                registration = {
                    "total_cost": None,
                    "message": (
                        f"The registration request got no clear answer ({error.detail or error}); the domain was "
                        "found in the account afterwards, so it was registered. The cost is not known: check "
                        "the account's billing."
                    ),
                }
                return RegistrationOutcome(found, registered=True, registration=registration)
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sleep(min(delay, remaining))
        delay = min(delay * 2, _MAX_REGISTRATION_POLL)
    raise DomainError(
        f"Registering {canonical}: outcome unknown: check the account before running again (the request got no "
        f"clear answer: {error}; the name did not appear in the account within {grace_seconds:g} seconds"
        f"{lookup_problem})",
        api_error=error,
    )


def wait_until_active(
    client: Any,
    domain_id: Any,
    timeout: float,
    *,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> Dict[str, Any]:
    """Poll a pending domain's detail until it is active; WaitTimeout after `timeout` seconds.

    The caller has just seen the domain pending, so the first read comes after a short pause.
    """
    deadline = clock() + max(timeout, 0)
    delay = _FIRST_POLL
    domain: Optional[Dict[str, Any]] = None
    while True:
        remaining = deadline - clock()
        if domain is not None and remaining <= 0:
            raise WaitTimeout(
                f"{domain.get('domain_name', domain_id)} is still {domain.get('status')} after {timeout:g} seconds "
                "of waiting for it to become active; registrations can take 5-10 minutes (raise wait_timeout)",
                domain,
            )
        sleep(max(min(delay, remaining), 0))
        delay = min(delay * 2, _MAX_ACTIVATION_POLL)
        domain = client.get_domain(domain_id)
        status = domain.get("status")
        if status == "active":
            return domain
        if status != "pending":
            raise DomainError(
                f"{domain.get('domain_name', domain_id)} went from pending to {status!r} instead of active",
                domain=domain,
            )


# -- removal ---------------------------------------------------------------------------------------------
class RemovalPlan:
    """How to remove a domain: `update` is the partial update to send first (auto-renew), or None."""

    def __init__(self, domain: Dict[str, Any], update: Optional[Dict[str, Any]], warnings: List[str]) -> None:
        self.domain = domain
        self.update = update
        self.warnings = warnings

    @property
    def predicted(self) -> Dict[str, Any]:
        """The domain as it is left behind (with the auto-renew it keeps after removal)."""
        return merge_domain(self.domain, self.update)

    def __repr__(self) -> str:
        return f"RemovalPlan(update={self.update!r})"


def plan_removal(domain: Mapping[str, Any], auto_renew: Optional[bool]) -> RemovalPlan:
    """Check the rules for removing a domain from the account; DomainError when one refuses.

    Removing does not cancel the registration, which goes on renewing when auto-renew is on; so with
    auto-renew on the user must say what they want. Checks `transfer_status` when the object carries it (the
    detail does); without it, a warning says the check could not be made.
    """
    name = domain.get("domain_name")
    status = domain.get("status")
    if status == "pending":
        raise DomainError(
            f"{name} is pending (its registration is not finished) and cannot be removed from the account; run "
            "again once it is active",
            domain=dict(domain),
        )
    warnings: List[str] = []
    if "transfer_status" in domain:
        if domain.get("transfer_status") == "pending":
            raise DomainError(
                f"{name} has a transfer to VPS.org under way (transfer_status: pending) and cannot be removed "
                "from the account until the transfer is completed or has failed",
                domain=dict(domain),
            )
    elif "registrar" in domain:
        # The detail was read but the API reports no transfer state.
        warnings.append(f"The API does not report a transfer status for {name}; removed without that check.")
    current = domain.get("auto_renew")
    if auto_renew is None:
        if current is not False:
            raise DomainError(
                f"{name} has auto-renew on: removing it from the account does not cancel the registration, which "
                "keeps renewing (and being charged). Set auto_renew: false to turn auto-renew off first and then "
                "remove it, or auto_renew: true to remove it while it keeps renewing",
                domain=dict(domain),
            )
        return RemovalPlan(dict(domain), None, warnings)
    update = None if current is auto_renew else {"auto_renew": auto_renew}
    return RemovalPlan(dict(domain), update, warnings)


# -- reading the account ---------------------------------------------------------------------------------
def sort_domains(domains: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """By name, then id: the order vps_domain_info returns."""
    return sorted(
        (dict(domain) for domain in domains),
        key=lambda domain: (str(domain.get("domain_name") or ""), str(domain.get("id"))),
    )


# -- one task of vps_domain --------------------------------------------------------------------------------
class DomainRequest:
    """What a vps_domain task asks for, validated and canonical."""

    def __init__(
        self,
        name: str,
        *,
        state: str = "present",
        settings: Optional[Dict[str, Any]] = None,
        allow_registration: bool = False,
        years: Optional[int] = None,
        wait: bool = False,
        wait_timeout: float = 900,
        max_cost: Optional[float] = None,
        prices: Optional[Mapping[str, float]] = None,
    ) -> None:
        self.name = name
        # The most a registration may cost (None: no limit), judged with the price table `prices`.
        self.max_cost = max_cost
        self.prices = prices
        self.state = state
        self.settings = settings if settings is not None else desired_settings()
        self.allow_registration = allow_registration
        self.years = years
        self.wait = wait
        self.wait_timeout = wait_timeout


def domain_request(params: Mapping[str, Any]) -> DomainRequest:
    """The validated request from vps_domain's options; InvalidValue names the option that is wrong."""
    nameservers = params["nameservers"]
    if params["wait_timeout"] < 0:
        raise InvalidValue("wait_timeout", params["wait_timeout"], "must be 0 or more", "a valid number of seconds")
    return DomainRequest(
        canonical_name(params["name"], option="name"),
        state=params["state"],
        settings=desired_settings(
            auto_renew=params["auto_renew"],
            privacy_protection=params["privacy_protection"],
            locked=params["locked"],
            nameservers=None if nameservers is None else canonical_nameservers(nameservers, option="nameservers"),
        ),
        allow_registration=params["allow_registration"],
        years=None if params["years"] is None else check_years(params["years"], option="years"),
        wait=params["wait"],
        wait_timeout=params["wait_timeout"],
        max_cost=check_budget("max_cost", params["max_cost"]),
        prices=price_table(params["prices"], "prices"),
    )


class DomainTask(Task):
    """Carries out one DomainRequest with a client: reads, plans, then writes only outside check mode.

    Every method returns the task's result (changed, domain, diff, and registration or warnings where they
    apply) or raises DomainError with what the task returns on failure. ApiError escapes only before anything
    was changed.
    """

    def run(self) -> Dict[str, Any]:
        current = single_match(self.client.find_domains(self.request.name), self.request.name)
        if self.request.state == "absent":
            return self._absent(current)
        if current is None:
            return self._register()
        return self._present(current)

    # -- present --------------------------------------------------------------------------------------
    def _present(self, current: Dict[str, Any]) -> Dict[str, Any]:
        plan = plan_update(current, self.request.settings)
        domain = plan.predicted if self.check_mode else current
        if plan.changed and not self.check_mode:
            domain = merge_domain(current, self.client.update_domain(current["id"], plan.body))
        changed = plan.changed
        domain = self._wait(domain, {"changed": changed})
        return {
            "changed": changed,
            "domain": domain,
            "diff": {"before": diff_view(current), "after": diff_view(domain)},
        }

    def _register(self) -> Dict[str, Any]:
        name = self.request.name
        if not self.request.allow_registration:
            raise DomainError(
                f"{name} is not in the account; registering it costs money, so it is done only with "
                "allow_registration: true (nothing was sent)"
            )
        estimated = self._check_cost()
        if self.check_mode:
            predicted = predict_registration(name, self.request.settings)
            return {
                "changed": True,
                "domain": predicted,
                "registration": {"estimated_cost": estimated},
                "diff": {"before": {}, "after": diff_view(predicted)},
            }
        body = registration_body(name, self.request.settings, self.request.years)
        outcome = register_domain_safely(
            self.client, body, name, self.grace_seconds, sleep=self.sleep, clock=self.clock
        )
        if not outcome.registered:
            # The account holds the name already (registered by a run at the same time): treat it as present.
            return self._present(outcome.domain)
        if outcome.registration is not None:
            outcome.registration["estimated_cost"] = estimated
        return self._after_registration(outcome)

    def _check_cost(self) -> Optional[float]:
        """The registration's estimate (price x years); fails before any POST when it passes `max_cost`."""
        name, years, limit = self.request.name, self.request.years or 1, self.request.max_cost
        estimated = estimate(name, years, self.request.prices)
        if limit is None:
            return estimated
        if estimated is None:
            raise DomainError(
                f"max_cost: the price of {name} is unknown (no price for its TLD; add it to prices), so the "
                f"registration cannot be held to max_cost {usd(limit)}; nothing was sent",
                changed=False,
            )
        if estimated > limit:
            raise DomainError(
                f"max_cost: registering {name} for {years} year(s) is estimated at {usd(estimated)}, more than "
                f"max_cost {usd(limit)}; nothing was sent",
                changed=False,
            )
        return estimated

    def _after_registration(self, outcome: RegistrationOutcome) -> Dict[str, Any]:
        domain = outcome.domain
        spent = {"changed": True, "registration": outcome.registration}
        plan = plan_update(domain, self.request.settings)
        if plan.changed:
            # The POST has no `locked` field, and the API may not honour every field sent: set what differs.
            try:
                domain = merge_domain(domain, self.client.update_domain(domain["id"], plan.body))
            except ApiError as error:
                raise DomainError(
                    f"{self.request.name} was registered, but setting {', '.join(plan.changes)} afterwards "
                    f"failed: {error}",
                    api_error=error,
                    domain=domain,
                    **spent,
                ) from None
        domain = self._wait(domain, spent)
        return dict(spent, domain=domain, diff={"before": {}, "after": diff_view(domain)})

    def _wait(self, domain: Dict[str, Any], result: Dict[str, Any]) -> Dict[str, Any]:
        """Wait for a pending domain when asked to; failures carry `result` (what was done already)."""
        if not self.request.wait or self.check_mode or domain.get("status") != "pending":
            return domain
        try:
            detail = wait_until_active(
                self.client, domain["id"], self.request.wait_timeout, sleep=self.sleep, clock=self.clock
            )
        except WaitTimeout as error:
            raise DomainError(error.msg, domain=merge_domain(domain, error.domain), **result) from None
        except DomainError as error:
            raise DomainError(error.msg, domain=merge_domain(domain, error.result.get("domain")), **result) from None
        except ApiError as error:
            raise DomainError(
                f"Waiting for {self.request.name} to become active failed: {error}",
                api_error=error,
                domain=domain,
                **result,
            ) from None
        return merge_domain(domain, detail)

    # -- absent ---------------------------------------------------------------------------------------
    def _absent(self, current: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        if current is None:
            return {"changed": False, "domain": None, "diff": {"before": {}, "after": {}}}
        auto_renew = self.request.settings.get("auto_renew")
        # Refuse what the list object already shows before reading the detail for the transfer state.
        plan_removal(current, auto_renew)
        removal = plan_removal(merge_domain(current, self.client.get_domain(current["id"])), auto_renew)
        domain = removal.predicted
        if not self.check_mode:
            domain = removal.domain
            if removal.update:
                domain = merge_domain(domain, self.client.update_domain(domain["id"], removal.update))
            try:
                self.client.remove_domain(domain["id"])
            except ApiError as error:
                if not removal.update:
                    raise
                raise DomainError(
                    f"Auto-renew of {self.request.name} was turned off, but removing it from the account failed: "
                    f"{error}",
                    api_error=error,
                    changed=True,
                    domain=domain,
                ) from None
        return {
            "changed": True,
            "domain": domain,
            "diff": {"before": diff_view(current), "after": {}},
            "warnings": removal.warnings,
        }
