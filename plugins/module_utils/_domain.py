# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: one domain (vps_domain): its plans and rules, and the operation that applies them.

The plan comes from `_write_rules.plan`; every write goes through the write engine (`_engine`). No Ansible here.
The reads before a write come from `_lookup`: a task that finds nothing to change never loads the engine (a no-op
loop item pays for no more code than it runs).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils import _lookup as lookup
from ansible_collections.vpsorg.domains.plugins.module_utils import _write_rules as rules
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._money import (
    check_budget,
    estimate,
    price_table,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._names import (
    InvalidValue,
    canonical_name,
    canonical_nameservers,
    check_years,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._task import Operation, TaskError
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import (
    BOOL_SETTINGS,
    REFUSE,
    REGISTER,
    REMOVE,
    SETTINGS,
    UPDATE,
    answer_for_another_id,
    diff_entry,
    paid_note,
    read_bool,
    setting_changes,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import plan as plan_actions

__all__ = ["BOOL_SETTINGS", "SETTINGS"]

# What API.md documents as the defaults of a registration when a field is not sent.
REGISTRATION_DEFAULTS = {"auto_renew": True, "privacy_protection": True}
# The fields shown in diff mode: enough to recognise the domain and every managed setting.
_DIFF_FIELDS = ("id", "domain_name", "status", *SETTINGS)

_MAX_ACTIVATION_POLL = 15.0

Sleep = Callable[[float], Any]
Clock = Callable[[], float]


def _engine() -> Any:
    """The write engine, loaded by the first write: a task with nothing to change never compiles it."""
    from ansible_collections.vpsorg.domains.plugins.module_utils import _engine as engine  # noqa: PLC0415 - only when the task writes

    return engine


# The error of vps_domain is the collection's one error of a module run.
DomainError = TaskError


# -- names and lookups ------------------------------------------------------------------------------------
# The name and id rules live in the rules module; imported here for the modules that look for them here.
nameserver_key = rules.nameserver_key
nameserver_set = rules.nameserver_set
by_id = rules.by_id
several_matches = rules.several_matches


_DUPLICATES = "which one is meant is unclear, so nothing was changed: remove the duplicates in the VPS.org panel"


def single_match(matches: List[Dict[str, Any]], name: str) -> Optional[Dict[str, Any]]:
    """The one domain of the account with this name, None when there is none; fails when there are several."""
    return lookup.one_domain(name, matches, _DUPLICATES)


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
    """Compare only the settings the user set (not None), read leniently; nameservers as sets of canonical names."""
    return UpdatePlan(dict(current), setting_changes(current, desired))


merge_domain = lookup.merge_domain


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
    current = read_bool(domain.get("auto_renew"))
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


class WaitTimeout(DomainError):
    """The domain did not become active in time; `domain` is the last object read."""

    def __init__(self, msg: str, domain: Dict[str, Any]) -> None:
        super().__init__(msg, domain=domain)
        self.domain = domain


def wait_until_active(
    client: Any,
    domain_id: Any,
    timeout: float,
    *,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> Dict[str, Any]:
    """Poll a pending domain's detail (the engine's one polling loop) until it is active.

    WaitTimeout after `timeout` seconds; DomainError when it leaves pending for another status. The caller has
    just seen the domain pending, so the first read comes after a short pause.
    """
    last, settled, _problem = _engine().poll(
        lambda: client.get_domain(domain_id),
        lambda detail: detail.get("status") != "pending",
        timeout,
        sleep=sleep,
        clock=clock,
        cap=_MAX_ACTIVATION_POLL,
        wait_first=True,
        tolerate_errors=False,
    )
    last = dict(last or {})
    if answer_for_another_id(last, domain_id):
        # Never merged into the domain: the answer is about something else.
        raise DomainError(
            f"the API answered the detail of domain id {domain_id} with another domain (id {last.get('id')}) while "
            "waiting for it to become active; check the domain in the VPS.org panel"
        )
    name = last.get("domain_name", domain_id)
    if not settled:
        raise WaitTimeout(
            f"{name} is still {last.get('status', 'pending')} after {timeout:g} seconds of waiting for it to become "
            "active; registrations can take 5-10 minutes (raise wait_timeout)",
            last,
        )
    if last.get("status") != "active":
        raise DomainError(f"{name} went from pending to {last.get('status')!r} instead of active", domain=last)
    return last


class DomainOperation(Operation):
    """Carries out one DomainRequest with a client: reads, plans, then writes through the engine outside check mode.

    `run()` returns the result (changed, domain, diff, and registration or warnings where they apply) or raises
    DomainError with what the run returns on failure. ApiError escapes only before anything was changed.
    """

    def run(self) -> Dict[str, Any]:
        request = self.request
        self.warnings: List[str] = []
        matches = lookup.find_everywhere(self.client, request.name)
        actions = self._plan(matches)
        if actions and actions[0].kind == UPDATE:
            # A list item may lack a setting the user set: read it from the detail before anything is written.
            matches = [lookup.complete_settings(self.client, matches_of(matches, request.name), request.settings)]
            actions = self._plan(matches)
        if not actions:
            current = matches_of(matches, request.name) if matches else None
            if request.state == "absent" or current is None:
                return self._result(False, None, None)
            return self._present(current, None)
        action = actions[0]
        if action.kind == REFUSE:
            raise (
                DomainError(action.reason, ids=action.ids, changed=False) if action.ids else DomainError(action.reason)
            )
        if action.kind == REMOVE:
            return self._absent(matches_of(matches, request.name))
        if action.kind == REGISTER:
            return self._register()
        return self._present(matches_of(matches, request.name), action.body)

    def _plan(self, matches: List[Dict[str, Any]]) -> list:
        request = self.request
        return plan_actions(
            request.name,
            matches,
            request.settings,
            state=request.state,
            allow_registration=request.allow_registration,
        )

    def _result(self, changed: bool, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]], **more: Any):
        note = more.pop("diff_note", None)
        result = dict(more, changed=changed)
        result.setdefault("domain", after)
        result["diff"] = diff_entry(self.request.name, diff_view(before), diff_view(after), note)
        result["warnings"] = self.warnings
        return result

    # -- present --------------------------------------------------------------------------------------
    def _present(self, current: Dict[str, Any], body: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        domain = current
        if body:
            if self.check_mode:
                domain = merge_domain(current, body)
            else:
                domain, warnings = _engine().apply_update(self.client, current, body, self.request.name)
                self.warnings.extend(warnings)
        changed = bool(body)
        domain = self._wait(domain, {"changed": changed})
        return self._result(changed, current, domain)

    def _register(self) -> Dict[str, Any]:
        request = self.request
        name, years = request.name, request.years or 1
        estimated = estimate(name, years, request.prices)
        budget = _engine().Budget(request.max_cost, "max_cost")
        what = f"registering {name} for {years} year(s)"
        budget.admit(name, what, estimated)
        note = paid_note(REGISTER, estimated)
        if self.check_mode:
            predicted = predict_registration(name, request.settings)
            return self._result(True, None, predicted, registration={"estimated_cost": estimated}, diff_note=note)
        body = registration_body(name, request.settings, request.years)
        outcome = _engine().register(
            self.client,
            name,
            body,
            estimate=estimated,
            budget=budget,
            what=what,
            grace_seconds=self.grace_seconds,
            proven_absent=True,
            settings=request.settings,
            sleep=self.sleep,
            clock=self.clock,
        )
        self.warnings.extend(outcome.warnings)
        if not outcome.registered:
            # The account holds the name already (registered by a run at the same time): treat it as present.
            return self.run_present_again(outcome.domain)
        spent = {"changed": True, "registration": outcome.registration}
        domain = self._wait(outcome.domain, spent)
        return self._result(True, None, domain, registration=outcome.registration, diff_note=note)

    def run_present_again(self, domain: Dict[str, Any]) -> Dict[str, Any]:
        changes = setting_changes(domain, self.request.settings)
        return self._present(domain, {key: after for key, (_b, after) in changes.items()} or None)

    def _wait(self, domain: Dict[str, Any], result: Dict[str, Any]) -> Dict[str, Any]:
        """Wait for a pending domain when asked to; failures carry `result` (what was done already)."""
        if not self.request.wait or self.check_mode or domain.get("status") != "pending":
            return domain
        try:
            detail = wait_until_active(
                self.client, domain["id"], self.request.wait_timeout, sleep=self.sleep, clock=self.clock
            )
        except DomainError as error:
            raise DomainError(
                error.msg, domain=merge_domain(domain, error.result.get("domain")), warnings=self.warnings, **result
            ) from None
        except ApiError as error:
            raise DomainError(
                f"Waiting for {self.request.name} to become active failed: {error}",
                api_error=error,
                domain=domain,
                warnings=self.warnings,
                **result,
            ) from None
        return merge_domain(domain, detail)

    # -- absent ---------------------------------------------------------------------------------------
    def _absent(self, current: Dict[str, Any]) -> Dict[str, Any]:
        auto_renew = self.request.settings.get("auto_renew")
        # Refuse what the list object already shows before reading the detail for the transfer state.
        plan_removal(current, auto_renew)
        detail = self.client.get_domain(current["id"])
        if answer_for_another_id(detail, current["id"]):
            raise DomainError(
                f"the API answered the detail of {self.request.name} (id {current['id']}) with another domain "
                f"(id {detail.get('id')}); nothing was changed",
                changed=False,
            )
        removal = plan_removal(merge_domain(current, detail), auto_renew)
        self.warnings.extend(removal.warnings)
        domain = removal.predicted
        if not self.check_mode:
            domain, warnings = _engine().remove(self.client, removal.domain, removal.update, self.request.name)
            self.warnings.extend(warnings)
        return self._result(True, current, None, domain=domain)


def matches_of(matches: List[Dict[str, Any]], name: str) -> Dict[str, Any]:
    """The one domain holding the name (the plan refused several already)."""
    found = lookup.one_domain(name, matches, _DUPLICATES)
    if found is None:  # pragma: no cover - the plan asked for this domain because it was found
        raise DomainError(f"{name} is not in the account")
    return found
