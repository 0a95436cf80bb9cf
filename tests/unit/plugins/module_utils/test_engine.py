# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the write engine without HTTP: the send-once-then-look-up helper, the budget, the one poll loop.

The property test drives `send_paid` with every sequence of answers a misbehaving server can give (a fault
model) and checks that a paid action is charged at most once, and that a success means it was charged.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _engine as engine
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError, OutcomeUnknown
from ansible_collections.vpsorg.domains.plugins.module_utils._http import RateLimited
from ansible_collections.vpsorg.domains.plugins.module_utils._task import TaskError
from hypothesis import given, settings
from hypothesis import strategies as st

NAME = "new-shop.com"
GOOD = {"id": 205, "domain_name": NAME, "status": "pending", "total_cost": "12.99", "message": "initiated"}
BAD_ANSWERS = {
    "detail": {"detail": "Invalid auth code."},
    "success false": {"success": False, "id": 205, "domain_name": NAME},
    "status failed": dict(GOOD, status="failed"),
    "another name": dict(GOOD, domain_name="other-shop.com"),
}

# What a server may do with one POST: (charges it?, then what the client sees).
FAULTS = {
    "refused": (False, "refused"),
    "429 without effect": (False, "429"),
    "429 after charging": (True, "429"),
    "timeout before commit": (False, "unknown"),
    "timeout after commit": (True, "unknown"),
    "reset after commit": (True, "unknown"),
    "5xx after commit": (True, "unknown"),
    "5xx before commit": (False, "unknown"),
    "cut body after commit": (True, "unknown"),
    "2xx good": (True, "good"),
    "2xx without id": (True, "no id"),
    "2xx error-shaped": (True, "bad"),
    "2xx error-shaped, not charged": (False, "bad"),
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: List[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Server:
    """A paid endpoint scripted by a list of faults; `charges` counts what it billed; look-ups may fail."""

    def __init__(self, faults: List[str], lookup_failures: Optional[List[bool]] = None) -> None:
        self.faults = list(faults)
        self.lookup_failures = list(lookup_failures or [])
        self.charges = 0
        self.posts = 0
        self.lookups = 0

    def request(self, method: str, path: str, *, json: Any = None, secrets: Any = ()) -> Any:
        assert method == "POST"
        self.posts += 1
        fault = self.faults.pop(0) if self.faults else "2xx good"
        charges, seen = FAULTS[fault]
        if charges:
            self.charges += 1
        if seen == "refused":
            raise ApiError("could not connect to the API: connection refused", method="POST", path="/api/v1/domains/")
        if seen == "429":
            error = RateLimited("rate limited (HTTP 429)", status=429, method="POST", path="/api/v1/domains/")
            error.retry_after = 1.0
            raise error
        if seen == "unknown":
            raise OutcomeUnknown("outcome unknown: no answer", method="POST", path="/api/v1/domains/")
        if seen == "no id":
            return {"message": "accepted"}
        if seen == "bad":
            return {"detail": "Something went wrong."}
        return dict(GOOD)

    def look_up(self) -> Optional[Dict[str, Any]]:
        self.lookups += 1
        if self.lookup_failures and self.lookup_failures.pop(0):
            raise ApiError("busy", status=503, method="GET", path="/api/v1/domains/")
        return {"id": 205, "domain_name": NAME} if self.charges else None


def send(server: Server, *, budget: Optional[engine.Budget] = None, grace: float = 6, estimate: float = 12.99):
    clock = Clock()
    request = engine.PaidRequest("register", NAME, "domains/", {"domain_name": NAME}, estimate=estimate)
    outcome = engine.send_paid(
        server, request, server.look_up, budget=budget, grace_seconds=grace, sleep=clock.sleep, clock=clock
    )
    return outcome, clock


@settings(max_examples=300, deadline=None)
@given(
    faults=st.lists(st.sampled_from(sorted(FAULTS)), min_size=1, max_size=6),
    lookup_failures=st.lists(st.booleans(), max_size=8),
)
def test_a_paid_action_is_charged_at_most_once_whatever_the_answers(faults, lookup_failures):
    server = Server(faults, lookup_failures)
    try:
        outcome, _clock = send(server)
    except (TaskError, ApiError):
        succeeded = False
    else:
        succeeded = True
        assert outcome.answer is not None or outcome.found is not None
    assert server.charges <= 1, (faults, server.posts)
    if succeeded:
        assert server.charges == 1
    # Only a refused connection or a 429 whose look-up showed no effect leads to another POST.
    assert server.posts <= engine.MAX_SENDS


def test_charge_then_429_is_looked_up_and_not_sent_again():
    server = Server(["429 after charging"])
    outcome, clock = send(server)
    assert (server.posts, server.charges) == (1, 1)
    assert outcome.answer is None and outcome.found["id"] == 205
    assert "took effect" in outcome.warnings[0]
    assert clock.sleeps[0] == 1.0  # the Retry-After, before the look-up


def test_429_without_effect_is_sent_again_after_a_look_up():
    server = Server(["429 without effect", "2xx good"])
    outcome, _clock = send(server)
    assert (server.posts, server.charges, server.lookups) == (2, 1, 1)
    assert outcome.charged == 12.99


def test_429_whose_look_up_fails_is_never_sent_blind():
    server = Server(["429 without effect"], lookup_failures=[True] * 20)
    with pytest.raises(TaskError, match="outcome unknown"):
        send(server)
    assert server.posts == 1


def test_429_every_time_gives_up_without_a_charge():
    server = Server(["429 without effect"] * 5)
    with pytest.raises(TaskError, match="429"):
        send(server)
    assert server.posts == engine.MAX_SENDS
    assert server.charges == 0


@pytest.mark.parametrize("fault", ["timeout after commit", "5xx after commit", "cut body after commit"])
def test_an_unclear_answer_is_looked_up_never_re_sent(fault):
    server = Server([fault])
    outcome, _clock = send(server)
    assert server.posts == 1
    assert outcome.found is not None


def test_an_unclear_answer_not_found_within_the_grace_period_fails_unknown():
    server = Server(["timeout before commit"])
    with pytest.raises(TaskError) as caught:
        send(server, grace=6)
    assert "outcome unknown: check the account before running again" in caught.value.msg
    assert server.posts == 1
    assert server.lookups >= 3


@pytest.mark.parametrize("kind", sorted(BAD_ANSWERS))
def test_a_2xx_that_is_not_a_success_fails_quoting_the_answer(kind):
    class Answering(Server):
        def request(self, method, path, *, json=None, secrets=()):
            self.posts += 1
            self.charges += 1
            return dict(BAD_ANSWERS[kind])

    server = Answering([])
    with pytest.raises(TaskError) as caught:
        send(server)
    assert server.posts == 1
    assert "did not succeed" in caught.value.msg
    assert "the API answered {" in caught.value.msg
    assert "probably charged" in caught.value.msg  # the look-up found it
    assert caught.value.result["changed"] is True


def test_a_bad_answer_without_effect_says_a_charge_may_still_have_happened():
    server = Server(["2xx error-shaped, not charged"])
    with pytest.raises(TaskError) as caught:
        send(server)
    assert "a charge may still have happened" in caught.value.msg
    assert caught.value.result["changed"] is False


def test_secrets_in_a_bad_answer_are_masked():
    class Echo(Server):
        def request(self, method, path, *, json=None, secrets=()):
            self.posts += 1
            return {"detail": "Invalid auth code EPP-SECRET-123456.", "auth_code": "EPP-SECRET-123456"}

    server = Echo([])
    clock = Clock()
    request = engine.PaidRequest(
        "transfer",
        NAME,
        "domains/205/transfer/",
        {"auth_code": "EPP-SECRET-123456", "auto_renew": True},
        domain_id=205,
        secrets=("EPP-SECRET-123456",),
    )
    with pytest.raises(TaskError) as caught:
        engine.send_paid(server, request, lambda: None, grace_seconds=0, sleep=clock.sleep, clock=clock)
    assert "EPP-SECRET-123456" not in caught.value.msg + repr(caught.value.result)


# -- the budget ----------------------------------------------------------------------------------------------
def test_budget_refuses_before_the_post_and_reports_a_charge_above_the_estimate():
    budget = engine.Budget(20.0, "max_spend")
    server = Server(["2xx good"])
    outcome, _clock = send(server, budget=budget, estimate=10.0)
    assert outcome.cost_note == (
        "registering new-shop.com was charged 12.99 USD (the API's total_cost), more than the estimated 10.00 USD"
    )
    assert budget.spent == 12.99
    with pytest.raises(TaskError, match=r"on top of the 12\.99 USD this run spent already"):
        send(Server([]), budget=budget, estimate=10.0)


def test_budget_within_a_cent_says_nothing_and_unknown_prices_fail_only_with_a_limit():
    assert engine.Budget(None, "max_cost").settle("x", 12.99, 12.995) is None
    assert engine.Budget(None, "max_cost").settle("x", 12.99, 13.00) is None
    engine.Budget(None, "max_cost").admit("a.zz", "registering a.zz", None)
    with pytest.raises(TaskError, match=r"the price of a\.zz is unknown"):
        engine.Budget(5.0, "max_cost").admit("a.zz", "registering a.zz", None)


# -- the one poll loop ----------------------------------------------------------------------------------------
def test_poll_reads_until_the_condition_and_tolerates_read_errors():
    answers: List[Any] = [ApiError("busy"), {"status": "pending"}, {"status": "active"}]
    clock = Clock()

    def read():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    value, held, problem = engine.poll(
        read, lambda item: item["status"] == "active", 30, sleep=clock.sleep, clock=clock
    )
    assert (value, held, problem) == ({"status": "active"}, True, None)
    assert clock.sleeps == [1.0, 2.0]


def test_poll_gives_up_at_the_deadline_and_reads_once_without_time():
    clock = Clock()
    reads: List[int] = []
    value, held, _problem = engine.poll(lambda: reads.append(1), lambda _v: True, 0, sleep=clock.sleep, clock=clock)
    assert (value, held, reads, clock.sleeps) == (None, False, [1], [])


# -- settings writes ------------------------------------------------------------------------------------------
class SettingsClient:
    def __init__(self, answer: Dict[str, Any], detail: Optional[Dict[str, Any]] = None) -> None:
        self.answer = answer
        self.detail = detail or {}
        self.calls: List[Any] = []

    def update_domain(self, domain_id, body):
        self.calls.append(("PUT", domain_id, body))
        return dict(self.answer)

    def get_domain(self, domain_id):
        self.calls.append(("GET", domain_id))
        return dict(self.detail)

    def remove_domain(self, domain_id):
        self.calls.append(("DELETE", domain_id))


def test_an_ignored_put_warns_naming_the_setting():
    client = SettingsClient({"id": 101, "locked": True, "auto_renew": False})
    domain, warnings = engine.apply_update(client, {"id": 101}, {"locked": False, "auto_renew": False}, "a.com")
    assert len(warnings) == 1 and "still shows locked as True (asked: False)" in warnings[0]
    assert domain["locked"] is True


def test_an_answer_for_another_id_is_an_error_and_never_merged():
    client = SettingsClient({"id": 999, "domain_name": "other.com", "locked": False})
    with pytest.raises(TaskError, match="another domain \\(id 999\\)") as caught:
        engine.apply_update(client, {"id": 101, "domain_name": "a.com"}, {"locked": False}, "a.com")
    assert caught.value.result["domain"] == {"id": 101, "domain_name": "a.com"}


def test_removal_sends_no_delete_unless_auto_renew_was_seen_off():
    ignored = SettingsClient({"id": 101, "auto_renew": True})
    with pytest.raises(TaskError, match="was not removed"):
        engine.remove(ignored, {"id": 101}, {"auto_renew": False}, "a.com")
    assert [call[0] for call in ignored.calls] == ["PUT"]
    # An answer without the setting: the detail decides.
    silent = SettingsClient({"id": 101}, detail={"id": 101, "auto_renew": "false"})
    engine.remove(silent, {"id": 101}, {"auto_renew": False}, "a.com")
    assert [call[0] for call in silent.calls] == ["PUT", "GET", "DELETE"]
