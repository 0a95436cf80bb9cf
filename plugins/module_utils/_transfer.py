# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: inbound transfers (vps_domain_transfer): the decisions, free of HTTP, and the run.

`plan_transfer` decides from a domain's details alone (with the one-time override rule); `TransferOperation`
reads the domain through the client and starts the transfer through the write engine (`_engine.start_transfer`:
the budget guard, the answer check, the look-up before any re-send). No Ansible here.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.vpsorg.domains.plugins.module_utils import _engine as engine
from ansible_collections.vpsorg.domains.plugins.module_utils import _money
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._http import redact, redact_text
from ansible_collections.vpsorg.domains.plugins.module_utils._names import canonical_name
from ansible_collections.vpsorg.domains.plugins.module_utils._task import Operation, TaskError
from ansible_collections.vpsorg.domains.plugins.module_utils._time import read_creation_date
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import (
    TRANSFER,
    answer_for_another_id,
    attempt_mark,
    diff_entry,
    paid_note,
    several_matches,
)

VPS_REGISTRAR = "VPS.org"
MIN_AGE_DAYS = 60
AUTH_CODE_MIN_LENGTH = 6
AUTH_CODE_MAX_LENGTH = 255

ACTION_NONE = "none"
ACTION_FAIL = "fail"
ACTION_START = "start"

# A detail object carries these beside `transfer_status` when the API reports a transfer's dates or outcome;
# any other `transfer_*` key is kept as well, so a field the API adds later still reaches the user.
_STATE_KEYS = ("transfer_status", "transfer_initiated_at", "estimated_completion", "transfer_completed_at")
# Where a failed transfer's reason may be found, most specific first.
_REASON_KEYS = ("transfer_failure_reason", "transfer_error", "transfer_message", "transfer_status_reason")
# A registrar name reduced to its words: legal-form suffixes at the end are not part of the name.
_LEGAL_FORMS = re.compile(
    r"(?:\s+(?:llc|l\s?l\s?c|inc|incorporated|ltd|limited|corp|corporation|co|company|gmbh|plc|llp|pty))+$"
)
# Money an answer to a transfer request may carry; each goes through _money.amount.
_MONEY_KEYS = ("total_cost", "cost", "fee", "transfer_fee", "price", "amount")


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


def creation_date(domain: Mapping[str, Any]) -> Optional[datetime]:
    """When the domain was created at the registry: WHOIS `created_date`, else `registration_date` (see
    `read_creation_date`); None when the API gives none or it cannot be read."""
    return read_creation_date(domain).moment


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
        if key.startswith("transfer_"):
            state[key] = value
    return state


def registrar_key(name: Any) -> str:
    """A registrar's name as compared: lower case, punctuation as spaces, legal-form suffixes dropped.

    "VPS.org", "vps.org", "VPS.org, LLC", "VPS.ORG Inc." and "VPS.org Ltd." all give "vps org"; "notvps.org"
    and "VPS.org Reseller Services" do not (another company's name that contains ours is another registrar).
    """
    if not isinstance(name, str):
        return ""
    words = " ".join(re.sub(r"[^0-9a-z]+", " ", name.lower()).split())
    return _LEGAL_FORMS.sub("", words)


_VPS_KEY = registrar_key(VPS_REGISTRAR)


def is_at_vps(domain: Mapping[str, Any]) -> bool:
    """Whether the domain's registrar is VPS.org, however the API writes the name."""
    return registrar_key(domain.get("registrar")) == _VPS_KEY


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
    override_attempt: Optional[str] = None,
    now: Optional[datetime] = None,
) -> TransferPlan:
    """Decide from the detail object alone; the order follows the state table of the module's documentation.

    A plan to start has passed every check that can be made before the fee is spent, except the auth code,
    which `check_auth_code` validates before the domain is even read. An override (`force`, `restart_failed`)
    applies once: to the attempt `override_attempt` names (see `one_time_override`).
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
    if "transfer_status" not in domain or status not in (None, "pending"):
        # What an override (force, restart_failed) would be decided for: shown, so a person can name it.
        state["attempt"] = attempt_mark(domain)
    if "transfer_status" not in domain:
        if not force:
            return TransferPlan(
                ACTION_FAIL,
                f"cannot tell whether a transfer is under way: the API gives no transfer_status for {name} "
                "(registrar: {registrar}); check in the VPS.org panel, then set force: true with override_attempt: "
                "{attempt!r} to start one".format(
                    registrar=domain.get("registrar") or "unknown", attempt=state["attempt"]
                ),
                state,
            )
        refusal = one_time_override(domain, "force", override_attempt, state)
        if refusal is not None:
            return refusal
        warnings.append(f"the API gives no transfer_status for {name}; starting a transfer because force is true")
    elif status == "pending":
        return TransferPlan(ACTION_NONE, f"a transfer of {name} is pending{_dates(domain)}", state)
    elif status == "failed":
        reason = failure_reason(domain)
        said = f": {reason}" if reason else " (the API gives no reason)"
        if not restart_failed:
            return TransferPlan(
                ACTION_FAIL,
                f"the last transfer of {name} failed{said}; fix the cause, then set restart_failed: true with "
                f"override_attempt: {state['attempt']!r} to start a new one (each attempt is charged)",
                state,
            )
        refusal = one_time_override(domain, "restart_failed", override_attempt, state)
        if refusal is not None:
            return refusal
        warnings.append(f"the last transfer of {name} failed{said}; starting a new one because restart_failed is true")
    elif status == "completed":
        # The transfer is done; the registrar field may lag behind it, or use a name this module does not know.
        if not force:
            return TransferPlan(
                ACTION_NONE,
                f"a transfer of {name} to {VPS_REGISTRAR} has completed",
                state,
                [
                    f"the API reports the transfer of {name} as completed but names its registrar as "
                    f"{domain.get('registrar') or 'unknown'}; if the domain has moved away since, set force: true "
                    "to start a new transfer (charged)"
                ],
            )
        refusal = one_time_override(domain, "force", override_attempt, state)
        if refusal is not None:
            return refusal
        warnings.append(f"a transfer of {name} completed earlier; starting a new one because force is true")
    elif status is not None:
        if not force:
            return TransferPlan(
                ACTION_FAIL,
                f"unknown transfer_status {status!r} for {name}; set force: true to start a transfer anyway",
                state,
            )
        refusal = one_time_override(domain, "force", override_attempt, state)
        if refusal is not None:
            return refusal
        warnings.append(f"unknown transfer_status {status!r} for {name}; starting a transfer because force is true")

    created = read_creation_date(domain)
    if created.unreadable:
        # The 60-day rule cannot be checked: a fee the registry may refuse is not paid on a guess.
        problem = (
            f"the creation date of {name} cannot be read ({created.source}: {created.value!r}), so the "
            f"{MIN_AGE_DAYS}-day rule cannot be checked"
        )
        if not force:
            return TransferPlan(
                ACTION_FAIL, f"{problem}; nothing was sent: set force: true to start the transfer anyway", state
            )
        warnings.append(f"{problem}; starting a transfer because force is true")
    too_young = _age_problem(domain, now or datetime.now(timezone.utc))
    if too_young:
        return TransferPlan(ACTION_FAIL, too_young, state, warnings)
    if created.moment is None and not created.unreadable:
        warnings.append(
            f"the creation date of {name} is unknown, so the {MIN_AGE_DAYS}-day rule was not checked before the request"
        )
    return TransferPlan(ACTION_START, f"a transfer of {name} to {VPS_REGISTRAR} will be started", state, warnings)


def one_time_override(
    domain: Mapping[str, Any], option: str, override_attempt: Optional[str], state: Dict[str, Any]
) -> Optional[TransferPlan]:
    """None when the override may pay for this attempt; otherwise the plan that reports or fails instead.

    An override is a person's decision about one attempt, named by `override_attempt`: the mark the API shows
    for the situation decided about (`attempt_mark`: a failed attempt's `transfer_initiated_at`; without a
    transfer status, the registrar and the domain's last update date). A transfer started after the decision
    changes the mark, so a repeated run of the unchanged task reports instead of paying again.
    """
    name = domain.get("domain_name") or "the domain"
    mark = attempt_mark(domain)
    state = dict(state, attempt=mark)
    if mark is None:
        return TransferPlan(
            ACTION_FAIL,
            f"{option}: the API shows nothing that identifies the current transfer situation of {name} (no "
            "transfer_initiated_at, no whois_info.updated_date), so the override could not be kept to one attempt; "
            "start the transfer in the VPS.org panel (nothing was sent)",
            state,
        )
    if override_attempt is None:
        return TransferPlan(
            ACTION_FAIL,
            f"{option}: an override pays for one attempt only: set override_attempt: {mark!r} (the attempt of {name} "
            f"it is decided for) together with {option}: true; a later run then reports instead of paying again "
            "(nothing was sent)",
            state,
        )
    if override_attempt.strip() != mark:
        what = "failed again" if option == "restart_failed" and domain.get("transfer_status") == "failed" else "changed"
        msg = (
            f"{option} was given for the attempt {override_attempt!r} of {name}, but the API now shows {mark!r}: the "
            f"situation has {what} since that decision (a transfer was started after it), so nothing was sent; "
            f"to pay for another attempt, a person sets override_attempt: {mark!r}"
        )
        if what == "failed again":
            return TransferPlan(ACTION_FAIL, msg, state)
        return TransferPlan(ACTION_NONE, msg, state, [msg])
    return None


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
    if initiated:
        return initiated != before.get("transfer_initiated_at")
    # Without any transfer field, the domain's last update date is the only trace a transfer leaves.
    return "transfer_status" not in after and attempt_mark(after) not in (None, attempt_mark(before))


def answer_money(answer: Mapping[str, Any]) -> Dict[str, Any]:
    """The answer to a transfer request with every sum of money in it as a number (None when it is not one)."""
    return {key: _money.amount(value) if key in _MONEY_KEYS else value for key, value in answer.items()}


def _diff_side(domain: Mapping[str, Any]) -> Dict[str, Any]:
    return {
        "domain_name": domain.get("domain_name"),
        "registrar": domain.get("registrar"),
        "transfer_status": domain.get("transfer_status"),
    }


class TransferRequest:
    """What a vps_domain_transfer task asks for, validated: canonical name, checked auth code, budget."""

    def __init__(
        self,
        name: str,
        auth_code: str,
        *,
        auto_renew: bool = True,
        restart_failed: bool = False,
        force: bool = False,
        override_attempt: Optional[str] = None,
        max_cost: Optional[float] = None,
        prices: Optional[Mapping[str, float]] = None,
        secrets: Sequence[str] = (),
    ) -> None:
        self.name = name
        # The attempt an override (force, restart_failed) is decided for: it pays for that attempt only.
        self.override_attempt = override_attempt
        self.auth_code = auth_code
        self.auto_renew = auto_renew
        self.restart_failed = restart_failed
        self.force = force
        self.max_cost = max_cost
        self.prices = dict(_money.PRICES if prices is None else prices)
        # Every form of the code the user gave: none of them may appear in anything returned.
        self.secrets = tuple(sorted({auth_code, *secrets} - {""}, key=len, reverse=True))

    def __repr__(self) -> str:
        return f"TransferRequest({self.name!r}, auth_code=<hidden>)"


def transfer_request(params: Mapping[str, Any]) -> TransferRequest:
    """The validated request from the module's options; InvalidValue names a wrong option, TaskError a bad auth code.

    The auth code is never shown, not even in the error.
    """
    name = canonical_name(params["name"], option="name")
    try:
        auth_code = check_auth_code(params["auth_code"])
    except ValueError as error:
        raise TaskError(str(error)) from None
    return TransferRequest(
        name,
        auth_code,
        auto_renew=params["auto_renew"],
        restart_failed=params["restart_failed"],
        force=params["force"],
        override_attempt=params.get("override_attempt"),
        max_cost=_money.check_budget("max_cost", params["max_cost"]),
        prices=_money.price_table(params["prices"], "prices"),
        secrets=(params["auth_code"],),
    )


class TransferOperation(Operation):
    """One run of vps_domain_transfer: find the domain, decide, and start the transfer through the write engine.

    `run()` returns the result (msg, changed, transfer, domain, diff, warnings) or raises TaskError; nothing it
    returns or raises carries the auth code. ApiError escapes only from the look-up, before anything was sent.
    """

    def run(self) -> Dict[str, Any]:
        secrets = self.request.secrets
        self.warnings: List[str] = []
        try:
            result = self._run()
        except TaskError as error:
            msg, failure = engine.error_result(error, secrets)
            result = dict(error.result)
            if failure is not None:
                result["failure"] = failure
            result.setdefault("changed", False)
            warnings = [*result.pop("warnings", []), *self.warnings]
            if warnings:
                result["warnings"] = [redact_text(warning, secrets) for warning in warnings]
            raise TaskError(msg, **redact(result, secrets)) from None
        result.setdefault("changed", False)
        result["warnings"] = [redact_text(warning, secrets) for warning in self.warnings]
        return redact(result, secrets)

    # -- steps ------------------------------------------------------------------------------------------------
    def _find(self) -> Dict[str, Any]:
        name = self.request.name
        try:
            matches = engine.find_everywhere(self.client, name)
        except ApiError as error:
            raise TaskError(f"cannot look {name} up: {error}", error) from None
        if not matches:
            raise TaskError(
                f"{name} is not in the account; add it in the VPS.org panel first (a domain registered "
                "elsewhere cannot be added through the API), then run this again"
            )
        if len(matches) > 1:
            msg, ids = several_matches(name, matches, "remove the extra ones in the VPS.org panel")
            raise TaskError(msg, ids=ids)
        domain_id = matches[0]["id"]
        try:
            domain = dict(self.client.get_domain(domain_id))
        except ApiError as error:
            raise TaskError(f"cannot read {name}: {error}", error) from None
        if answer_for_another_id(domain, domain_id):
            raise TaskError(
                f"the API answered the detail of {name} (id {domain_id}) with another domain (id {domain.get('id')}); "
                "nothing was sent"
            )
        # The list's id is the one the account knows.
        domain["id"] = domain_id
        domain.setdefault("domain_name", matches[0].get("domain_name"))
        return domain

    def _run(self) -> Dict[str, Any]:
        request = self.request
        name = request.name
        domain = self._find()
        plan = plan_transfer(
            domain,
            restart_failed=request.restart_failed,
            force=request.force,
            override_attempt=request.override_attempt,
            now=self.now,
        )
        self.warnings.extend(plan.warnings)
        before = _diff_side(domain)
        if plan.action == ACTION_NONE:
            return {
                "msg": plan.reason,
                "transfer": plan.state,
                "domain": domain,
                "diff": diff_entry(name, before, before),
            }
        if plan.action == ACTION_FAIL:
            raise TaskError(plan.reason, transfer=plan.state, domain=domain)
        estimated = _money.estimate(name, 1, request.prices)
        budget = engine.Budget(request.max_cost, "max_cost")
        try:
            budget.admit(name, f"the transfer of {name}", estimated)
        except TaskError as error:
            raise TaskError(error.msg, transfer=dict(plan.state, estimated_cost=estimated), domain=domain) from None
        note = paid_note(TRANSFER, estimated)
        if self.check_mode:
            predicted = predicted_transfer(domain)
            predicted["estimated_cost"] = estimated
            return {
                "msg": f"a transfer of {name} to {VPS_REGISTRAR} would be started",
                "changed": True,
                "transfer": predicted,
                "domain": dict(domain, transfer_status="pending"),
                "diff": diff_entry(name, before, _diff_side(predicted), note),
            }
        try:
            outcome = engine.start_transfer(
                self.client,
                domain,
                request.auth_code,
                request.auto_renew,
                started=transfer_started,
                estimate=estimated,
                budget=budget,
                grace_seconds=self.grace_seconds,
                sleep=self.sleep,
                clock=self.clock,
            )
        except TaskError as error:
            error.result.setdefault("transfer", transfer_state(domain))
            error.result.setdefault("domain", domain)
            raise
        except ApiError as error:
            return self._after_refusal(domain, error)
        self.warnings.extend(outcome.warnings)
        if outcome.answer is not None:
            transfer = answer_money(outcome.answer)
            transfer.setdefault("id", domain["id"])
            transfer.setdefault("domain_name", domain.get("domain_name"))
            merged = dict(domain)
            merged.update(
                (key, value)
                for key, value in transfer.items()
                if key.startswith("transfer_") or key == "estimated_completion"
            )
        else:
            merged = dict(outcome.found or {}, id=domain["id"])
            transfer = transfer_state(merged)
        transfer["estimated_cost"] = estimated
        # What the transfer cost: the API's charge when it says, else the table's estimate (cost_source says which).
        transfer["cost"] = outcome.charged if outcome.charged is not None else estimated
        transfer["cost_source"] = "api" if outcome.charged is not None else "estimate"
        if outcome.cost_note:
            transfer["cost_note"] = outcome.cost_note
            self.warnings.append(outcome.cost_note)
        return {
            "msg": f"a transfer of {name} to {VPS_REGISTRAR} was started",
            "changed": True,
            "transfer": transfer,
            "domain": merged,
            "diff": diff_entry(name, before, _diff_side(merged), note),
        }

    def _after_refusal(self, domain: Dict[str, Any], error: ApiError) -> Dict[str, Any]:
        """A refused request spent nothing; a transfer that another run started meanwhile is reported, not failed."""
        name = self.request.name
        if error.status in (400, 409):
            try:
                now: Optional[Dict[str, Any]] = self.client.get_domain(domain["id"])
            except ApiError:
                now = None
            if now is not None and not answer_for_another_id(now, domain["id"]) and transfer_started(domain, now):
                now = dict(now, id=domain["id"])
                return {
                    "msg": f"a transfer of {name} was started meanwhile by another run; "
                    f"transfer_status is {now.get('transfer_status')}",
                    "transfer": transfer_state(now),
                    "domain": now,
                }
        raise TaskError(
            f"the transfer of {name} was refused: {error}",
            error,
            transfer=transfer_state(domain),
            domain=domain,
        )
