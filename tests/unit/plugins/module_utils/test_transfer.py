# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of transfers: the state table, the registrar name, checks before spending, outcome lookup, the task."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _transfer as transfer
from ansible_collections.vpsorg.domains.tests.unit.paid_posts import PaidPosts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def detail(**fields):
    """A detail object of a domain at another registrar, old enough, no transfer ever started."""
    base = {
        "id": 104,
        "domain_name": "transfer-me.org",
        "status": "active",
        "registration_date": "2024-03-01T10:00:00Z",
        "expiration_date": "2026-12-26T10:00:00Z",
        "auto_renew": True,
        "locked": False,
        "registrar": "Other Registrar Inc.",
        "whois_info": {"registrant": "Owner", "created_date": "2024-03-01T10:00:00Z"},
        "transfer_status": None,
    }
    base.update(fields)
    return base


def without(key, **fields):
    value = detail(**fields)
    del value[key]
    return value


# -- the state table ---------------------------------------------------------------------------------------


def test_registrar_vps_is_a_noop_that_says_so():
    plan = transfer.plan_transfer(detail(registrar="VPS.org", transfer_status="completed"), now=NOW)
    assert plan.action == transfer.ACTION_NONE
    assert "already registered at VPS.org" in plan.reason
    assert plan.state["registrar"] == "VPS.org"
    assert plan.state["transfer_status"] == "completed"


@pytest.mark.parametrize("registrar", ["vps.org", " VPS.ORG "])
def test_registrar_compared_without_case(registrar):
    assert transfer.plan_transfer(detail(registrar=registrar), now=NOW).action == transfer.ACTION_NONE


def test_registrar_vps_without_transfer_status_needs_no_force():
    plan = transfer.plan_transfer(without("transfer_status", registrar="VPS.org"), now=NOW)
    assert plan.action == transfer.ACTION_NONE
    assert "transfer_status" not in plan.state


def test_registrar_vps_wins_over_restart_failed_and_force():
    plan = transfer.plan_transfer(
        detail(registrar="VPS.org", transfer_status="failed"), restart_failed=True, force=True, now=NOW
    )
    assert plan.action == transfer.ACTION_NONE


def test_pending_is_a_noop_with_state_and_dates():
    domain = detail(
        transfer_status="pending",
        transfer_initiated_at="2026-02-28T09:00:00Z",
        estimated_completion="2026-03-07T09:00:00Z",
    )
    plan = transfer.plan_transfer(domain, restart_failed=True, force=True, now=NOW)
    assert plan.action == transfer.ACTION_NONE
    assert "pending" in plan.reason
    assert "2026-02-28T09:00:00Z" in plan.reason and "2026-03-07T09:00:00Z" in plan.reason
    assert plan.state == {
        "id": 104,
        "domain_name": "transfer-me.org",
        "registrar": "Other Registrar Inc.",
        "transfer_status": "pending",
        "transfer_initiated_at": "2026-02-28T09:00:00Z",
        "estimated_completion": "2026-03-07T09:00:00Z",
    }


def test_pending_is_a_noop_even_when_too_young():
    young = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    plan = transfer.plan_transfer(
        detail(transfer_status="pending", whois_info={"created_date": young}, registration_date=young), now=NOW
    )
    assert plan.action == transfer.ACTION_NONE


def test_failed_fails_with_the_reason():
    plan = transfer.plan_transfer(
        detail(transfer_status="failed", transfer_failure_reason="The losing registrar rejected it"), now=NOW
    )
    assert plan.action == transfer.ACTION_FAIL
    assert "failed: The losing registrar rejected it" in plan.reason
    assert "restart_failed: true" in plan.reason
    assert plan.state["transfer_failure_reason"] == "The losing registrar rejected it"


def test_failed_without_a_reason_says_none_was_given():
    plan = transfer.plan_transfer(detail(transfer_status="failed"), now=NOW)
    assert plan.action == transfer.ACTION_FAIL
    assert "the API gives no reason" in plan.reason


FAILED_AT = "2026-01-10T08:00:00Z"


def test_failed_with_restart_failed_for_that_attempt_starts_and_warns():
    failed = detail(transfer_status="failed", transfer_initiated_at=FAILED_AT)
    plan = transfer.plan_transfer(failed, restart_failed=True, override_attempt=FAILED_AT, now=NOW)
    assert plan.action == transfer.ACTION_START
    assert any("restart_failed" in warning for warning in plan.warnings)


def test_restart_failed_without_naming_the_attempt_asks_for_it_and_sends_nothing():
    failed = detail(transfer_status="failed", transfer_initiated_at=FAILED_AT)
    plan = transfer.plan_transfer(failed, restart_failed=True, now=NOW)
    assert plan.action == transfer.ACTION_FAIL
    assert f"override_attempt: {FAILED_AT!r}" in plan.reason
    assert plan.state["attempt"] == FAILED_AT


def test_restart_failed_given_for_an_earlier_attempt_never_pays_for_a_newer_failure():
    # The nightly job keeps restart_failed: true; the restarted transfer failed again: a person decides anew.
    again = detail(transfer_status="failed", transfer_initiated_at="2026-02-20T08:00:00Z")
    plan = transfer.plan_transfer(again, restart_failed=True, override_attempt=FAILED_AT, now=NOW)
    assert plan.action == transfer.ACTION_FAIL
    assert "failed again" in plan.reason
    assert "override_attempt: '2026-02-20T08:00:00Z'" in plan.reason


def test_an_override_without_anything_identifying_the_attempt_is_refused():
    plan = transfer.plan_transfer(detail(transfer_status="failed"), restart_failed=True, override_attempt="x", now=NOW)
    assert plan.action == transfer.ACTION_FAIL
    assert "could not be kept to one attempt" in plan.reason


def test_failed_is_not_restarted_by_force_alone():
    plan = transfer.plan_transfer(detail(transfer_status="failed"), force=True, now=NOW)
    assert plan.action == transfer.ACTION_FAIL


def test_none_and_eligible_starts():
    plan = transfer.plan_transfer(detail(), now=NOW)
    assert plan.action == transfer.ACTION_START
    assert plan.warnings == []
    assert plan.state["transfer_status"] is None


def test_missing_transfer_status_fails_unless_forced():
    plan = transfer.plan_transfer(without("transfer_status"), now=NOW)
    assert plan.action == transfer.ACTION_FAIL
    assert "cannot tell whether a transfer is under way" in plan.reason
    assert "force: true" in plan.reason
    assert "transfer_status" not in plan.state


UPDATED = {"registrant": "Owner", "created_date": "2024-03-01T10:00:00Z", "updated_date": "2026-02-01T00:00:00Z"}
MARK = "Other Registrar Inc.@2026-02-01T00:00:00Z"


def test_missing_transfer_status_with_force_for_this_state_starts_and_warns():
    plan = transfer.plan_transfer(
        without("transfer_status", whois_info=UPDATED), force=True, override_attempt=MARK, now=NOW
    )
    assert plan.action == transfer.ACTION_START
    assert any("force" in warning for warning in plan.warnings)


def test_force_repeated_after_the_domain_changed_reports_instead_of_paying():
    # The forced transfer changed the domain's last update date: the unchanged task finds another state.
    later = without("transfer_status", whois_info=dict(UPDATED, updated_date="2026-03-01T12:00:00Z"))
    plan = transfer.plan_transfer(later, force=True, override_attempt=MARK, now=NOW)
    assert plan.action == transfer.ACTION_NONE
    assert "nothing was sent" in plan.reason
    assert plan.warnings == [plan.reason]


def test_missing_transfer_status_with_restart_failed_is_not_enough():
    plan = transfer.plan_transfer(without("transfer_status"), restart_failed=True, now=NOW)
    assert plan.action == transfer.ACTION_FAIL


def test_completed_is_done_and_warns_when_the_registrar_is_named_otherwise():
    domain = detail(transfer_status="completed")
    plan = transfer.plan_transfer(domain, now=NOW)
    assert plan.action == transfer.ACTION_NONE
    assert plan.reason == "a transfer of transfer-me.org to VPS.org has completed"
    assert len(plan.warnings) == 1
    assert "Other Registrar Inc." in plan.warnings[0] and "force: true" in plan.warnings[0]
    assert transfer.plan_transfer(domain, force=True, now=NOW).action == transfer.ACTION_FAIL
    domain["transfer_initiated_at"] = FAILED_AT
    forced = transfer.plan_transfer(domain, force=True, override_attempt=FAILED_AT, now=NOW)
    assert forced.action == transfer.ACTION_START
    assert any("completed earlier" in warning for warning in forced.warnings)


def test_unknown_status_fails_unless_forced():
    domain = detail(transfer_status="cancelled")
    plan = transfer.plan_transfer(domain, now=NOW)
    assert plan.action == transfer.ACTION_FAIL
    assert "'cancelled'" in plan.reason
    domain["transfer_initiated_at"] = FAILED_AT
    assert transfer.plan_transfer(domain, force=True, override_attempt=FAILED_AT, now=NOW).action == "start"


# -- the 60-day rule ----------------------------------------------------------------------------------------


def _stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_too_young_by_whois_created_date_even_when_registration_is_old():
    created = NOW - timedelta(days=10)
    domain = detail(whois_info={"created_date": _stamp(created)}, registration_date="2020-01-01T00:00:00Z")
    plan = transfer.plan_transfer(domain, now=NOW)
    assert plan.action == transfer.ACTION_FAIL
    assert "at least 60 days old" in plan.reason
    assert created.strftime("%Y-%m-%d") in plan.reason
    assert f"transferred from {(created + timedelta(days=60)).strftime('%Y-%m-%d')} (UTC)" in plan.reason


def test_whois_date_old_enough_wins_over_a_young_registration_date():
    domain = detail(whois_info={"created_date": "2020-01-01"}, registration_date=_stamp(NOW - timedelta(days=1)))
    assert transfer.plan_transfer(domain, now=NOW).action == transfer.ACTION_START


def test_registration_date_used_without_whois_created_date():
    young = _stamp(NOW - timedelta(days=59))
    for whois in ({}, None, {"created_date": None}, {"created_date": "not a date"}):
        plan = transfer.plan_transfer(detail(whois_info=whois, registration_date=young), now=NOW)
        assert plan.action == transfer.ACTION_FAIL, whois


def test_sixty_calendar_days_are_old_enough_whatever_the_time_of_day():
    def plan(created):
        return transfer.plan_transfer(detail(whois_info={"created_date": created}), now=NOW).action

    # NOW is 2026-03-01 12:00 UTC; 60 calendar days earlier is 2025-12-31.
    assert plan("2025-12-31T23:59:59Z") == "start"
    assert plan("2025-12-31T00:00:00Z") == "start"
    assert plan("2026-01-01T00:00:00Z") == "fail"
    # A creation date late on 1 January in a time zone west of UTC is 2 January in UTC.
    assert plan("2025-12-31T20:00:00-05:00") == "fail"


def test_unknown_creation_date_starts_with_a_warning():
    plan = transfer.plan_transfer(detail(whois_info=None, registration_date=None), now=NOW)
    assert plan.action == transfer.ACTION_START
    assert any("60-day rule was not checked" in warning for warning in plan.warnings)


def test_age_rule_applies_to_restarts_and_forced_starts():
    young = {"created_date": _stamp(NOW - timedelta(days=5))}
    assert (
        transfer.plan_transfer(detail(transfer_status="failed", whois_info=young), restart_failed=True, now=NOW).action
        == "fail"
    )
    assert transfer.plan_transfer(without("transfer_status", whois_info=young), force=True, now=NOW).action == "fail"


def test_creation_date_reads_the_api_dates_with_the_one_parser():
    assert transfer.creation_date(detail()) == datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
    microseconds = detail(whois_info={"created_date": "2024-03-01T12:00:00.5+02:00"})
    assert transfer.creation_date(microseconds) == datetime(2024, 3, 1, 10, 0, 0, 500000, tzinfo=timezone.utc)
    fallback = detail(whois_info=None, registration_date="2024-03-02")
    assert transfer.creation_date(fallback) == datetime(2024, 3, 2, tzinfo=timezone.utc)
    # A registry date given but unreadable is not replaced by registration_date: the age cannot be checked.
    unreadable = detail(whois_info={"created_date": "06/01/2026"}, registration_date="2020-01-01")
    assert transfer.creation_date(unreadable) is None
    assert transfer.creation_date(detail(whois_info=None, registration_date=None)) is None


# -- the auth code ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("EPP-DEMO-1234", "EPP-DEMO-1234"),
        ("  EPP-DEMO-1234\n", "EPP-DEMO-1234"),
        ("a1b2c3", "a1b2c3"),
        ("x" * 255, "x" * 255),
        ("!#$%&'()*+,-./:;<=>?@[]^_`{|}~\"\\", "!#$%&'()*+,-./:;<=>?@[]^_`{|}~\"\\"),
    ],
)
def test_valid_auth_codes(value, sent):
    assert transfer.check_auth_code(value) == sent


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "auth_code is empty"),
        ("   \n\t", "auth_code is empty"),
        ("abc12", "shorter than 6 characters"),
        ("x" * 256, "longer than 255 characters"),
        ("SECRET CODE", "contains whitespace at position 7"),
        ("SECRET\tCODE", "contains whitespace at position 7"),
        ("SECRET\u00a0CODE", "contains whitespace at position 7"),
        ("SECRET\x00CODE", "contains a control character at position 7"),
        ("SECRET\x7fCODE", "contains a control character at position 7"),
        ("SECRET\u201cCODE", "contains a non-ASCII character at position 7"),
        ("SECRETÄCODE", "contains a non-ASCII character at position 7"),
        (None, "must be a string"),
        (123456, "must be a string"),
    ],
)
def test_invalid_auth_codes_say_why_without_the_code(value, problem):
    with pytest.raises(ValueError, match=problem) as caught:
        transfer.check_auth_code(value)
    message = str(caught.value)
    assert message.startswith("auth_code ")
    if isinstance(value, str) and value.strip():
        assert "SECRET" not in message and "CODE" not in message and "abc12" not in message


# -- outcome lookup after an unanswered POST ---------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_started_when_status_turns_pending():
    assert transfer.transfer_started(detail(), detail(transfer_status="pending"))


def test_started_when_registrar_turns_vps():
    assert transfer.transfer_started(detail(), detail(registrar="VPS.org", transfer_status="completed"))


def test_restart_seen_by_a_new_initiation_date():
    before = detail(transfer_status="failed", transfer_initiated_at="2026-01-01T00:00:00Z")
    same = detail(transfer_status="failed", transfer_initiated_at="2026-01-01T00:00:00Z")
    again = detail(transfer_status="failed", transfer_initiated_at="2026-03-01T12:00:00Z")
    assert not transfer.transfer_started(before, same)
    assert transfer.transfer_started(before, again)
    assert transfer.transfer_started(before, detail(transfer_status="pending"))


def test_nothing_started_when_nothing_changed():
    assert not transfer.transfer_started(detail(), detail())
    assert not transfer.transfer_started(without("transfer_status"), without("transfer_status"))


def test_a_forced_transfer_without_status_fields_is_seen_by_the_update_date():
    before = without("transfer_status", whois_info=UPDATED)
    after = without("transfer_status", whois_info=dict(UPDATED, updated_date="2026-03-01T12:00:00Z"))
    assert transfer.transfer_started(before, after)
    assert not transfer.transfer_started(before, without("transfer_status", whois_info=UPDATED))


# -- what the user sees ------------------------------------------------------------------------------------


def test_transfer_state_keeps_unknown_transfer_fields():
    state = transfer.transfer_state(detail(transfer_status="failed", transfer_attempts=2))
    assert state["transfer_attempts"] == 2
    assert "whois_info" not in state and "auto_renew" not in state


def test_predicted_transfer_is_pending_without_dates():
    predicted = transfer.predicted_transfer(detail(transfer_status="failed", transfer_initiated_at="2026-01-01"))
    assert predicted["transfer_status"] == "pending"
    assert predicted["transfer_initiated_at"] is None
    assert predicted["estimated_completion"] is None
    assert predicted["id"] == 104


# -- the registrar's name -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "VPS.org",
        "vps.org",
        "VPS.ORG",
        " VPS.org ",
        "VPS.org, LLC",
        "VPS.org LLC.",
        "VPS.org L.L.C.",
        "vps.org inc",
        "VPS.ORG Inc.",
        "VPS.org Ltd",
        "VPS.org Limited",
        "VPS.org, Inc., LLC",
        "VPS org",
    ],
)
def test_registrar_names_that_are_vps(name):
    assert transfer.registrar_key(name) == "vps org"
    assert transfer.is_at_vps(detail(registrar=name))


@pytest.mark.parametrize(
    "name",
    [
        "notvps.org",
        "VPS.org Reseller Services",
        "Reseller of VPS.org",
        "vps.org.example",
        "VPS",
        "vpsorg",
        "",
        None,
        12,
        "Other Registrar Inc.",
        "VPS.net LLC",
    ],
)
def test_registrar_names_that_are_not_vps(name):
    assert not transfer.is_at_vps(detail(registrar=name))


def test_a_domain_at_vps_under_a_legal_name_needs_no_transfer():
    plan = transfer.plan_transfer(detail(registrar="VPS.org, LLC"), now=NOW)
    assert plan.action == transfer.ACTION_NONE
    assert plan.reason == "transfer-me.org is already registered at VPS.org"


# -- the task -------------------------------------------------------------------------------------------------
CODE = "EPP-TASK-5150"


class FakeClient(PaidPosts):
    """The client calls the task makes, answered from scripts and recorded."""

    def __init__(self, listed=None, details=None, transfer_answer=None):
        self.listed = [{"id": 104, "domain_name": "transfer-me.org"}] if listed is None else listed
        self.details = list(details or [detail()])
        self.transfer_answer = transfer_answer if transfer_answer is not None else {"transfer_status": "pending"}
        self.calls = []

    def find_domains(self, name):
        self.calls.append(("find", name))
        if isinstance(self.listed, Exception):
            raise self.listed
        return self.listed

    def list_domains(self, **_options):
        self.calls.append(("list",))
        return [] if isinstance(self.listed, Exception) else list(self.listed)

    def get_domain(self, domain_id):
        self.calls.append(("get", domain_id))
        return self.details.pop(0) if len(self.details) > 1 else self.details[0]

    def start_transfer(self, domain_id, auth_code, auto_renew):
        self.calls.append(("transfer", domain_id, auth_code, auto_renew))
        if isinstance(self.transfer_answer, Exception):
            raise self.transfer_answer
        return self.transfer_answer

    @property
    def posts(self):
        return [call for call in self.calls if call[0] == "transfer"]


def task(client, *, check_mode=False, **options):
    request = transfer.TransferRequest("transfer-me.org", CODE, secrets=("  " + CODE + "\n",), **options)
    fake = FakeClock()
    return transfer.TransferOperation(
        client, request, check_mode=check_mode, grace_seconds=10, sleep=fake.sleep, clock=fake.clock, now=NOW
    )


def test_task_starts_a_transfer_and_returns_the_answer_with_money_as_numbers():
    client = FakeClient(transfer_answer={"transfer_status": "pending", "total_cost": "13.99", "fee": "n/a"})
    result = task(client).run()
    assert client.posts == [("transfer", 104, CODE, True)]
    assert result["changed"] is True
    assert result["msg"] == "a transfer of transfer-me.org to VPS.org was started"
    assert result["transfer"] == {
        "transfer_status": "pending",
        "total_cost": 13.99,
        "fee": None,
        "id": 104,
        "domain_name": "transfer-me.org",
        "estimated_cost": 13.99,
        "cost": 13.99,
        "cost_source": "api",
    }
    assert result["domain"]["transfer_status"] == "pending"
    assert "transfer_status: pending\n" in result["diff"]["after"]
    assert result["diff"]["after_header"] == "transfer-me.org (transfer, estimated 13.99 USD)"
    assert result["warnings"] == []


def test_task_uses_the_list_id_when_the_detail_lacks_it():
    opaque = "3f2b6c1e-9a4d-4b8e"
    client = FakeClient(listed=[{"id": opaque, "domain_name": "transfer-me.org"}], details=[without("id")])
    result = task(client).run()
    assert client.calls[1] == ("get", opaque)
    assert client.posts == [("transfer", opaque, CODE, True)]
    assert result["transfer"]["id"] == opaque


def test_task_fails_cleanly_when_the_domain_is_missing_or_ambiguous():
    with pytest.raises(transfer.TaskError, match="is not in the account"):
        task(FakeClient(listed=[])).run()
    two = [{"id": 104, "domain_name": "transfer-me.org"}, {"id": "x7", "domain_name": "transfer-me.org"}]
    with pytest.raises(transfer.TaskError, match=r"ids 104, x7") as caught:
        task(FakeClient(listed=two)).run()
    assert caught.value.result["ids"] == [104, "x7"]


def test_task_refusals_carry_the_state_and_send_nothing():
    client = FakeClient(details=[detail(transfer_status="failed", transfer_failure_reason="locked")])
    with pytest.raises(transfer.TaskError, match="failed: locked") as caught:
        task(client).run()
    assert caught.value.result["transfer"]["transfer_status"] == "failed"
    assert caught.value.result["changed"] is False
    assert client.posts == []


def test_task_in_check_mode_predicts_and_estimates():
    client = FakeClient()
    result = task(client, check_mode=True).run()
    assert client.posts == []
    assert result["changed"] is True
    assert result["transfer"]["transfer_status"] == "pending"
    assert result["transfer"]["estimated_cost"] == 13.99
    cheap = task(FakeClient(), check_mode=True, prices={"org": 9.5}).run()
    assert cheap["transfer"]["estimated_cost"] == 9.5
    unknown = transfer.TransferOperation(
        FakeClient(listed=[{"id": 1, "domain_name": "x.zz"}], details=[detail(id=1, domain_name="x.zz")]),
        transfer.TransferRequest("x.zz", CODE),
        check_mode=True,
        now=NOW,
    ).run()
    assert unknown["transfer"]["estimated_cost"] is None


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_budget_below_the_estimate_refuses_before_the_request(check_mode):
    client = FakeClient()
    with pytest.raises(transfer.TaskError) as caught:
        task(client, check_mode=check_mode, max_cost=13.98).run()
    assert caught.value.msg == (
        "max_cost: the transfer of transfer-me.org is estimated at 13.99 USD, more than max_cost 13.98 USD; "
        "nothing was sent"
    )
    assert caught.value.result["transfer"]["estimated_cost"] == 13.99
    assert client.posts == []


def test_a_budget_equal_to_the_estimate_passes():
    client = FakeClient()
    result = task(client, max_cost=13.99).run()
    assert result["changed"] is True
    assert len(client.posts) == 1


def test_an_unknown_price_with_a_budget_refuses_before_the_request():
    client = FakeClient(listed=[{"id": 1, "domain_name": "x.zz"}], details=[detail(id=1, domain_name="x.zz")])
    request = transfer.TransferRequest("x.zz", CODE, max_cost=100.0)
    with pytest.raises(
        transfer.TaskError, match=r"max_cost: the price of x\.zz is unknown \(no price for its TLD"
    ) as caught:
        transfer.TransferOperation(client, request, now=NOW).run()
    assert "100.00 USD" in caught.value.msg
    assert client.posts == []
    priced = transfer.TransferRequest("x.zz", CODE, max_cost=100.0, prices={"zz": 50})
    assert transfer.TransferOperation(FakeClient(listed=client.listed, details=client.details), priced, now=NOW).run()[
        "changed"
    ]


def test_a_budget_is_not_checked_when_nothing_would_be_spent():
    client = FakeClient(details=[detail(transfer_status="pending")])
    result = task(client, max_cost=0).run()
    assert result["changed"] is False


def test_task_never_returns_the_auth_code():
    from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError

    echo = ApiError(
        "the API refused the request as invalid (HTTP 400)",
        status=400,
        method="POST",
        path="/api/v1/domains/104/transfer/",
        detail=f"bad code {CODE}",
        field_errors={"auth_code": [f"{CODE} is wrong"]},
    )
    client = FakeClient(transfer_answer=echo, details=[detail(), detail()])
    with pytest.raises(transfer.TaskError) as caught:
        task(client).run()
    text = repr(caught.value.msg) + repr(caught.value.to_result())
    assert CODE not in text
    assert "********" in caught.value.to_result()["failure"]["detail"]
    assert caught.value.msg.startswith("the transfer of transfer-me.org was refused")


def test_a_lost_answer_is_looked_up_and_never_sent_again():
    from ansible_collections.vpsorg.domains.plugins.module_utils._client import OutcomeUnknown

    lost = OutcomeUnknown("outcome unknown: timed out", method="POST", path="/api/v1/domains/104/transfer/")
    client = FakeClient(transfer_answer=lost, details=[detail(), detail(), detail(transfer_status="pending")])
    result = task(client).run()
    assert len(client.posts) == 1
    assert result["changed"] is True
    assert result["transfer"]["transfer_status"] == "pending"
    assert "the answer was unclear" in result["warnings"][0] and "it was not sent again" in result["warnings"][0]
    assert result["transfer"]["cost"] == 13.99 and result["transfer"]["cost_source"] == "estimate"
    never = FakeClient(transfer_answer=lost)
    with pytest.raises(transfer.TaskError, match="outcome unknown: check the account") as caught:
        task(never).run()
    assert len(never.posts) == 1
    assert caught.value.result["failure"]["method"] == "POST"


def test_an_unreadable_creation_date_blocks_the_transfer_unless_forced():
    unreadable = detail(whois_info={"created_date": "06/01/2026"}, registration_date="2020-01-01T00:00:00Z")
    refused = transfer.plan_transfer(unreadable, now=NOW)
    assert refused.action == "fail"
    assert "cannot be read (whois_info.created_date: '06/01/2026')" in refused.reason
    assert "60-day rule cannot be checked" in refused.reason and "nothing was sent" in refused.reason
    forced = transfer.plan_transfer(unreadable, force=True, now=NOW)
    assert forced.action == "start"
    assert any("because force is true" in warning for warning in forced.warnings)
    # An epoch creation date is a date: three days old is too young, whatever registration_date says.
    epoch = detail(
        whois_info={"created_date": int((NOW - timedelta(days=3)).timestamp())}, registration_date="2020-01-01"
    )
    assert transfer.plan_transfer(epoch, now=NOW).action == "fail"
