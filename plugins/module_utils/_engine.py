# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the one write engine every module sends its writes through.

One polling loop (`poll`), one budget guard (`Budget`), one send-once-then-look-up helper for paid requests
(`send_paid`, with the one answer check), one registration path (`register`), one transfer path
(`start_transfer`), one settings write (`apply_update`), one removal (`remove`), one way an error becomes a
result (`error_result`) and one executor for many items (`run_each`). The rules it applies live in
`_write_rules`; vps_domain, vps_domain_transfer and vps_portfolio call it. No Ansible here.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, TypeVar
from urllib.parse import quote

from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError, OutcomeUnknown
from ansible_collections.vpsorg.domains.plugins.module_utils._http import RateLimited, redact, redact_text
from ansible_collections.vpsorg.domains.plugins.module_utils._lookup import (
    complete_settings,
    find_everywhere,
    merge_domain,
    one_domain,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._money import amount, usd
from ansible_collections.vpsorg.domains.plugins.module_utils._task import TaskError
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import (
    REGISTER,
    TRANSFER,
    answer_for_another_id,
    name_of,
    paid_answer_problem,
    quote_answer,
    read_bool,
    same_id,
    setting_changes,
    unchanged_settings,
)

Sleep = Callable[[float], Any]
Clock = Callable[[], float]
T = TypeVar("T")

FIRST_POLL = 1.0
MAX_POLL = 5.0
# How often a paid POST answered 429 is sent again (each time only after a look-up showed it did not take effect).
MAX_SENDS = 3
# The longest wait after a 429 before looking up; a longer Retry-After fails (try again later).
MAX_RATE_LIMIT_WAIT = 60.0
# A charge above the estimate by more than this is reported.
COST_TOLERANCE = 0.01
# Words the API uses when a 400 to a registration means the name is held already (by anyone).
_TAKEN_WORDS = re.compile(r"already|taken|not available|unavailable|in use|exists", re.IGNORECASE)


# -- the one polling loop -------------------------------------------------------------------------------------
def poll(
    read: Callable[[], T],
    until: Callable[[T], bool],
    seconds: float,
    *,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    first: float = FIRST_POLL,
    cap: float = MAX_POLL,
    wait_first: bool = False,
    tolerate_errors: bool = True,
) -> Tuple[Optional[T], bool, Optional[ApiError]]:
    """Read until `until(value)` holds or `seconds` pass: (last value read, whether it held, last read error).

    With `tolerate_errors` an ApiError while reading counts as "not yet" (the point is to find out); otherwise
    it escapes. With `wait_first` the first read comes after a pause (the caller has just looked).
    """
    deadline = clock() + max(seconds, 0)
    delay = first
    last: Optional[T] = None
    problem: Optional[ApiError] = None
    if wait_first:
        sleep(max(min(delay, deadline - clock()), 0))
        delay = min(delay * 2, cap)
    while True:
        try:
            value = read()
        except ApiError as error:
            if not tolerate_errors:
                raise
            problem = error
        else:
            problem = None
            last = value
            if value is not None and until(value):
                return value, True, None
        remaining = deadline - clock()
        if remaining <= 0:
            return last, False, problem
        sleep(min(delay, remaining))
        delay = min(delay * 2, cap)


# -- the one budget guard -------------------------------------------------------------------------------------
class Budget:
    """The most a run may spend (`max_cost` of one request, `max_spend` of a portfolio run); shared by threads.

    `admit` compares the table's estimate before a POST (an unknown price fails while a limit is set);
    `settle` adds what the API says it charged (`total_cost`, else the estimate) and reports a charge above
    the estimate by more than a cent.
    """

    def __init__(self, limit: Optional[float], option: str) -> None:
        self.limit = limit
        self.option = option
        self.spent = 0.0
        self._lock = threading.Lock()

    def admit(self, name: str, what: str, estimate: Optional[float]) -> None:
        """TaskError (nothing sent) when `what` (about `name`), estimated at `estimate`, may pass the limit."""
        if self.limit is None:
            return
        with self._lock:
            spent = self.spent
        if estimate is None:
            raise TaskError(
                f"{self.option}: the price of {name} is unknown (no price for its TLD; add it to prices), so {what} "
                f"cannot be held to {self.option} {usd(self.limit)}; nothing was sent",
                changed=False,
            )
        if amount(spent + estimate) > self.limit:  # type: ignore[operator]
            so_far = f" on top of the {usd(spent)} this run spent already" if spent else ""
            raise TaskError(
                f"{self.option}: {what} is estimated at {usd(estimate)}{so_far}, more than {self.option} "
                f"{usd(self.limit)}; nothing was sent",
                changed=False,
            )

    def settle(self, what: str, estimate: Optional[float], charged: Optional[float]) -> Optional[str]:
        """Count a paid request done; the note when the API charged more than the estimate."""
        with self._lock:
            self.spent = amount(self.spent + (charged if charged is not None else (estimate or 0.0))) or 0.0
        if charged is not None and estimate is not None and charged > estimate + COST_TOLERANCE:
            return f"{what} was charged {usd(charged)} (the API's total_cost), more than the estimated {usd(estimate)}"
        return None


# -- the one send-once-then-look-up helper --------------------------------------------------------------------
class PaidRequest:
    """One paid POST: what it is (`kind`: register or transfer), where it goes, and its estimate."""

    def __init__(
        self,
        kind: str,
        name: str,
        path: str,
        body: Dict[str, Any],
        *,
        domain_id: Any = None,
        estimate: Optional[float] = None,
        secrets: Sequence[str] = (),
        what: str = "",
    ) -> None:
        self.kind = kind
        self._what = what
        self.name = name
        self.path = path
        self.body = body
        self.domain_id = domain_id
        self.estimate = estimate
        self.secrets = tuple(secrets)

    @property
    def what(self) -> str:
        if self._what:
            return self._what
        return f"registering {self.name}" if self.kind == REGISTER else f"the transfer of {self.name}"

    def __repr__(self) -> str:
        return f"PaidRequest({self.kind!r}, {self.name!r}, id={self.domain_id!r})"


class PaidOutcome:
    """A paid request that took effect: the checked `answer`, or what a look-up `found` when the answer was unclear.

    `charged` is the API's total_cost (None when the API gave none); `warnings` and `notes` say what the result
    should tell the user (a lost answer, a charge above the estimate).
    """

    def __init__(
        self,
        answer: Optional[Dict[str, Any]],
        found: Optional[Dict[str, Any]],
        *,
        charged: Optional[float],
        sends: int,
        warnings: List[str],
        cost_note: Optional[str] = None,
    ) -> None:
        self.answer = answer
        self.found = found
        self.charged = charged
        self.sends = sends
        self.warnings = warnings
        self.cost_note = cost_note

    def __repr__(self) -> str:
        return f"PaidOutcome(sends={self.sends}, charged={self.charged!r}, found={self.found is not None})"


def _look_once(look_up: Callable[[], Optional[Dict[str, Any]]]) -> Tuple[Optional[Dict[str, Any]], bool]:
    """(what a single look-up found, whether the look-up itself worked)."""
    try:
        return look_up(), True
    except ApiError:
        return None, False


def send_paid(
    client: Any,
    request: PaidRequest,
    look_up: Callable[[], Optional[Dict[str, Any]]],
    *,
    budget: Optional[Budget] = None,
    grace_seconds: float = 10,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> PaidOutcome:
    """Send a paid POST at most once per proven non-effect, and check what came back.

    `look_up()` returns the evidence that the request took effect (the domain in the account, the transfer
    under way) or None. The POST is sent again only after a 429 whose look-up shows no effect (a refused
    connection is retried by the client, since nothing reached the server); every other unclear answer is looked
    up for `grace_seconds` and never re-sent. A 2xx answer that fails the answer check fails the task, quoting
    the answer and saying whether a charge may have happened. Definite refusals (ApiError) escape to the caller.
    """
    budget = budget or Budget(None, "max_cost")
    budget.admit(request.name, request.what, request.estimate)
    secrets = (*request.secrets, request.body.get("auth_code") or "")
    secrets = tuple(secret for secret in secrets if secret)
    sends = 0

    def unknown(error: ApiError) -> PaidOutcome:
        """The outcome of an unclear answer: looked up for the grace period, never sent again."""
        return _unknown(
            request,
            error,
            look_up=look_up,
            grace_seconds=grace_seconds,
            sleep=sleep,
            clock=clock,
            budget=budget,
            sends=sends,
        )

    while True:
        sends += 1
        try:
            answer = client.request("POST", request.path, json=request.body, secrets=request.secrets)
        except RateLimited as error:
            wait = error.retry_after if error.retry_after is not None else FIRST_POLL * 2**sends
            if wait > MAX_RATE_LIMIT_WAIT:
                found, _worked = _look_once(look_up)
                if found is not None:
                    return _found(request, found, sends=sends, budget=budget, how="it was answered 429 (rate limited)")
                raise TaskError(
                    f"{request.what}: {error}; a look-up shows it did not take effect, so nothing was charged for it "
                    "and it was not sent again: try again later",
                    api_error=error,
                    changed=False,
                ) from None
            sleep(wait)
            found, worked = _look_once(look_up)
            if found is not None:
                return _found(request, found, sends=sends, budget=budget, how="it was answered 429 (rate limited)")
            if not worked:
                # Without a look-up the 429 cannot be told from a charge-then-429: never send it blind.
                return unknown(error)
            if sends >= MAX_SENDS:
                raise TaskError(
                    f"{request.what}: the API answered 429 (rate limited) {sends} times; look-ups show it did not "
                    "take effect, so nothing was charged for it: try again later",
                    api_error=error,
                    changed=False,
                ) from None
            continue
        except OutcomeUnknown as error:
            return unknown(error)
        problem = paid_answer_problem(request.kind, answer, request.name, request.domain_id)
        if problem is None and request.kind == REGISTER and _no_id(answer):
            error = OutcomeUnknown(
                "outcome unknown: the API accepted the registration but its answer names no domain id",
                method="POST",
                path=request.path,
                detail=redact_text(quote_answer(answer), secrets),
            )
            return unknown(error)
        if problem is not None:
            raise _bad_answer(request, answer, problem, look_up, secrets)
        answer = answer if isinstance(answer, dict) else {}
        charged = amount(answer.get("total_cost"))
        if charged is None and request.kind == TRANSFER:
            charged = next((amount(answer.get(key)) for key in ("cost", "fee", "transfer_fee") if key in answer), None)
        note = budget.settle(request.what, request.estimate, charged)
        return PaidOutcome(answer, None, charged=charged, sends=sends, warnings=[], cost_note=note)


def _no_id(answer: Any) -> bool:
    key = answer.get("id") if isinstance(answer, dict) else None
    return key is None or isinstance(key, bool) or (isinstance(key, str) and not key.strip())


def _found(request: PaidRequest, found: Dict[str, Any], *, sends: int, budget: Budget, how: str) -> PaidOutcome:
    budget.settle(request.what, request.estimate, None)
    warning = (
        f"{request.what}: {how}, but a look-up shows it took effect; it was not sent again. The API gave no cost: "
        "check the account's billing"
    )
    return PaidOutcome(None, found, charged=None, sends=sends, warnings=[warning])


def _unknown(
    request: PaidRequest,
    error: ApiError,
    *,
    look_up: Callable[[], Optional[Dict[str, Any]]],
    grace_seconds: float,
    sleep: Sleep,
    clock: Clock,
    budget: Budget,
    sends: int,
) -> PaidOutcome:
    found, seen, problem = poll(look_up, lambda value: value is not None, grace_seconds, sleep=sleep, clock=clock)
    if seen and found is not None:
        return _found(request, found, sends=sends, budget=budget, how=f"the answer was unclear ({error})")
    trouble = f"; looking it up failed too: {problem}" if problem is not None else ""
    raise TaskError(
        f"outcome unknown: check the account before running again ({request.what}: the request got no clear "
        f"answer: {error}; it did not show up in the account within {grace_seconds:g} seconds{trouble}); it was not "
        "sent again",
        api_error=error,
        changed=False,
    )


def _bad_answer(
    request: PaidRequest,
    answer: Any,
    problem: str,
    look_up: Callable[[], Optional[Dict[str, Any]]],
    secrets: Sequence[str],
) -> TaskError:
    """The failure for a 2xx answer that is not a success: quoted (secrets masked), with what a look-up shows."""
    found, worked = _look_once(look_up)
    if found is not None:
        charge = "a look-up shows it took effect, so it was probably charged: check the account's billing"
    elif worked:
        charge = "a look-up shows no effect, but a charge may still have happened: check the account's billing"
    else:
        charge = "the look-up failed, so a charge may have happened: check the account's billing"
    quoted = redact_text(quote_answer(redact(answer, secrets)), secrets)
    return TaskError(
        f"{request.what} did not succeed: {problem}; the API answered {quoted}; {charge}; it was not sent again",
        changed=found is not None,
        answer=redact(answer, secrets),
    )


# -- settings writes --------------------------------------------------------------------------------------
def apply_update(
    client: Any, domain: Dict[str, Any], body: Dict[str, Any], name: str
) -> Tuple[Dict[str, Any], List[str]]:
    """PUT the changed settings; (the domain with the answer merged, warnings for settings shown unchanged).

    An answer about another id is an error and is never merged into the domain.
    """
    domain_id = domain.get("id")
    answer = client.update_domain(domain_id, body)
    if answer_for_another_id(answer, domain_id):
        raise TaskError(
            f"the API answered the update of {name} (id {domain_id}) with another domain (id {answer.get('id')}); "
            "that answer was not used: check the domain in the VPS.org panel",
            changed=True,
            domain=domain,
        )
    warnings = [
        f"{name}: the API accepted the update but its answer still shows {setting} as {answer.get(setting)!r} "
        f"(asked: {body[setting]!r}); check the domain, the setting may not have been applied"
        for setting in unchanged_settings(body, answer)
    ]
    return merge_domain(domain, answer), warnings


def remove(
    client: Any, domain: Dict[str, Any], update: Optional[Dict[str, Any]], name: str
) -> Tuple[Dict[str, Any], List[str]]:
    """Turn auto-renew as asked first, then remove the domain; no DELETE unless auto-renew off was seen.

    Returns the domain as it was left behind and warnings.
    """
    warnings: List[str] = []
    if update:
        domain, warnings = apply_update(client, domain, update, name)
        if update.get("auto_renew") is False:
            seen = read_bool(domain.get("auto_renew"))
            if seen is None or "auto_renew" not in (domain or {}):
                detail = client.get_domain(domain["id"])
                if not answer_for_another_id(detail, domain["id"]):
                    seen = read_bool(detail.get("auto_renew"))
            if seen is not False:
                raise TaskError(
                    f"{name}: auto-renew was asked off, but the API still shows it "
                    f"{'on' if seen else 'unknown'} after the update; {name} was not removed (removed, it would keep "
                    "renewing and being charged): check the domain in the VPS.org panel",
                    changed=False,
                    domain=domain,
                    warnings=warnings,
                )
    try:
        client.remove_domain(domain["id"])
    except ApiError as error:
        if not update:
            raise
        raise TaskError(
            f"Auto-renew of {name} was turned off, but removing it from the account failed: {error}",
            api_error=error,
            changed=True,
            domain=domain,
            warnings=warnings,
        ) from None
    return domain, warnings


# -- the one registration path ----------------------------------------------------------------------------
class Registered:
    """A registration's end: `registered` False when the account held the name already (nothing was paid)."""

    def __init__(
        self, domain: Dict[str, Any], registered: bool, registration: Optional[Dict[str, Any]], warnings: List[str]
    ) -> None:
        self.domain = domain
        self.registered = registered
        self.registration = registration
        self.warnings = warnings

    def __repr__(self) -> str:
        return f"Registered(registered={self.registered!r}, id={self.domain.get('id')!r})"


def _concerns_name(error: ApiError) -> bool:
    fields = set(error.field_errors or {})
    return not fields or bool(fields & {"domain_name", "name", "non_field_errors", "detail", "message"})


def _error_text(error: ApiError) -> str:
    parts = [error.detail] if error.detail else []
    for messages in (error.field_errors or {}).values():
        parts.extend(str(message) for message in messages)
    return " ".join(parts)


def register(
    client: Any,
    name: str,
    body: Dict[str, Any],
    *,
    estimate: Optional[float] = None,
    budget: Optional[Budget] = None,
    grace_seconds: float = 10,
    proven_absent: bool = False,
    settings: Optional[Mapping[str, Any]] = None,
    what: str = "",
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> Registered:
    """Register a name proven absent, once; then apply the settings the registration could not set (`locked`).

    Without `proven_absent` (the caller read the whole account already) the name is first looked up in every
    form the API may store it. A failure after the registration took effect carries `changed: true`,
    `domain` and `registration`.
    """
    consequence = "which one is meant is unclear, so nothing was changed: remove the duplicates in the VPS.org panel"
    if not proven_absent:
        existing = one_domain(name, find_everywhere(client, name), consequence)
        if existing is not None:
            return Registered(existing, False, None, [])
    request = PaidRequest(REGISTER, name, "domains/", body, estimate=estimate, what=what)

    def look_up() -> Optional[Dict[str, Any]]:
        return one_domain(name, find_everywhere(client, name), consequence)

    try:
        outcome = send_paid(
            client, request, look_up, budget=budget, grace_seconds=grace_seconds, sleep=sleep, clock=clock
        )
    except ApiError as error:
        if error.status != 400 or not _concerns_name(error):
            raise
        existing = one_domain(name, find_everywhere(client, name), consequence)
        if existing is not None:
            return Registered(existing, False, None, [])
        if _TAKEN_WORDS.search(_error_text(error)):
            raise TaskError(
                f"{name} is taken; to transfer it in, add it to the account in the VPS.org panel, then use "
                f"vps_domain_transfer (the API said: {_error_text(error)})",
                api_error=error,
            ) from None
        raise
    if outcome.answer is not None:
        answer = outcome.answer
        domain = {key: value for key, value in answer.items() if key not in ("total_cost", "message", "years")}
        registration: Dict[str, Any] = {"total_cost": outcome.charged, "message": answer.get("message")}
    else:
        domain = dict(outcome.found or {})
        registration = {
            "total_cost": None,
            "message": "The registration request got no clear answer; the domain was found in the account "
            "afterwards, so it was registered. The cost is not known: check the account's billing.",
        }
    registration["estimated_cost"] = estimate
    if outcome.cost_note:
        registration["cost_note"] = outcome.cost_note
    warnings = list(outcome.warnings)
    if outcome.cost_note:
        warnings.append(outcome.cost_note)
    changes = setting_changes(domain, settings or {})
    if changes:
        # The POST has no `locked` field, and the API may not honour every field sent: set what differs.
        try:
            domain, more = apply_update(client, domain, {key: after for key, (_b, after) in changes.items()}, name)
        except (ApiError, TaskError) as error:
            text = error.msg if isinstance(error, TaskError) else str(error)
            raise TaskError(
                f"{name} was registered, but setting {', '.join(changes)} afterwards failed: {text}",
                api_error=error if isinstance(error, ApiError) else None,
                changed=True,
                domain=domain,
                registration=registration,
                warnings=warnings,
            ) from None
        warnings.extend(more)
    return Registered(domain, True, registration, warnings)


# -- the one transfer path -------------------------------------------------------------------------------
def start_transfer(
    client: Any,
    domain: Dict[str, Any],
    auth_code: str,
    auto_renew: bool,
    *,
    started: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
    estimate: Optional[float] = None,
    budget: Optional[Budget] = None,
    grace_seconds: float = 10,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> PaidOutcome:
    """Send one transfer request for a domain whose detail showed none under way; `started(before, after)` tells
    whether a detail read afterwards shows the transfer started (the look-up)."""
    name = name_of(domain)
    path = f"domains/{quote(str(domain['id']), safe='')}/transfer/"
    request = PaidRequest(
        TRANSFER,
        name,
        path,
        {"auth_code": auth_code, "auto_renew": auto_renew},
        domain_id=domain["id"],
        estimate=estimate,
        secrets=(auth_code,),
    )

    def look_up() -> Optional[Dict[str, Any]]:
        after = client.get_domain(domain["id"])
        if answer_for_another_id(after, domain["id"]):
            return None
        return after if started(domain, after) else None

    return send_paid(client, request, look_up, budget=budget, grace_seconds=grace_seconds, sleep=sleep, clock=clock)


# -- errors and many items ---------------------------------------------------------------------------------
def error_result(error: BaseException, secrets: Sequence[str] = ()) -> Tuple[str, Optional[Dict[str, Any]]]:
    """(message, failure) of any error a write may raise: the one conversion of errors into results."""
    if isinstance(error, TaskError):
        failure = error.api_error.to_failure() if error.api_error is not None else None
        return redact_text(error.msg, secrets), redact(failure, secrets)
    if isinstance(error, ApiError):
        return redact_text(str(error), secrets), redact(error.to_failure(), secrets)
    return redact_text(f"{type(error).__name__}: {error}", secrets), None


def run_each(items: Sequence[T], perform: Callable[[T], None], concurrency: int) -> None:
    """Perform every item from at most `concurrency` threads; `perform` records its own failures."""
    if not items:
        return
    if concurrency <= 1 or len(items) == 1:
        for item in items:
            perform(item)
        return
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        list(pool.map(perform, items))


__all__ = [
    "Budget",
    "PaidOutcome",
    "PaidRequest",
    "Registered",
    "apply_update",
    "complete_settings",
    "error_result",
    "find_everywhere",
    "merge_domain",
    "one_domain",
    "poll",
    "register",
    "remove",
    "run_each",
    "same_id",
    "send_paid",
    "start_transfer",
]
