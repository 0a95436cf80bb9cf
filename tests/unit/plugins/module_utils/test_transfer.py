# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the transfer decisions: state table, checks before spending, outcome lookup, redaction."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _transfer as transfer

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


def test_failed_with_restart_failed_starts_and_warns():
    plan = transfer.plan_transfer(detail(transfer_status="failed"), restart_failed=True, now=NOW)
    assert plan.action == transfer.ACTION_START
    assert any("restart_failed" in warning for warning in plan.warnings)


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


def test_missing_transfer_status_with_force_starts_and_warns():
    plan = transfer.plan_transfer(without("transfer_status"), force=True, now=NOW)
    assert plan.action == transfer.ACTION_START
    assert any("force" in warning for warning in plan.warnings)


def test_missing_transfer_status_with_restart_failed_is_not_enough():
    plan = transfer.plan_transfer(without("transfer_status"), restart_failed=True, now=NOW)
    assert plan.action == transfer.ACTION_FAIL


def test_completed_elsewhere_fails_unless_forced():
    domain = detail(transfer_status="completed")
    assert transfer.plan_transfer(domain, now=NOW).action == transfer.ACTION_FAIL
    assert transfer.plan_transfer(domain, force=True, now=NOW).action == transfer.ACTION_START


def test_unknown_status_fails_unless_forced():
    domain = detail(transfer_status="cancelled")
    plan = transfer.plan_transfer(domain, now=NOW)
    assert plan.action == transfer.ACTION_FAIL
    assert "'cancelled'" in plan.reason
    assert transfer.plan_transfer(domain, force=True, now=NOW).action == transfer.ACTION_START


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)),
        ("2024-03-01T10:00:00.123456Z", datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)),
        ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)),
        ("2024-03-01T05:30:00-0430", datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)),
        ("2024-03-01T10:00", datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)),
        ("2024-03-01 10:00:00", datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)),
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=timezone.utc)),
        ("2024-02-30", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        (20240301, None),
    ],
)
def test_parse_date(text, expected):
    assert transfer.parse_date(text) == expected


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


def test_look_up_finds_a_transfer_that_committed_late():
    answers = [detail(), RuntimeError("reset"), detail(transfer_status="pending")]
    fake = FakeClock()

    def read():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    found = transfer.look_up_outcome(read, detail(), grace=30, clock=fake.clock, sleep=fake.sleep)
    assert found is not None and found["transfer_status"] == "pending"
    assert answers == []
    assert fake.sleeps == [0.5, 1.0]


def test_look_up_gives_up_after_the_grace_period():
    fake = FakeClock()
    reads = []

    def read():
        reads.append(fake.now)
        return detail()

    assert transfer.look_up_outcome(read, detail(), grace=10, interval=2, clock=fake.clock, sleep=fake.sleep) is None
    assert fake.now == pytest.approx(10)
    assert reads[0] == 0 and reads[-1] == pytest.approx(10)
    assert max(fake.sleeps) <= 2


def test_look_up_reads_once_with_no_grace():
    fake = FakeClock()
    reads = []
    assert transfer.look_up_outcome(lambda: reads.append(1) or detail(), detail(), grace=0, sleep=fake.sleep) is None
    assert reads == [1] and fake.sleeps == []


# -- what the user sees ------------------------------------------------------------------------------------


def test_public_domain_drops_secrets():
    domain = detail(auth_code="EPP-DEMO-1234", AuthCode="x", epp_code="y")
    public = transfer.public_domain(domain)
    assert "auth_code" not in public and "AuthCode" not in public and "epp_code" not in public
    assert public["domain_name"] == "transfer-me.org"
    assert "auth_code" not in transfer.transfer_state(domain)


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


def test_redact_replaces_every_occurrence_in_nested_values():
    code = "EPP-SECRET-9"
    failure = {
        "detail": f"Invalid auth code {code}.",
        "field_errors": {"auth_code": [f"'{code}' is not valid", "other"]},
        code: [1, (f"x{code}x", None)],
        "status": 400,
    }
    redacted = transfer.redact(failure, [code, "  " + code + "\n", ""])
    assert code not in repr(redacted)
    assert redacted["detail"] == "Invalid auth code ********."
    assert redacted["field_errors"]["auth_code"] == ["'********' is not valid", "other"]
    assert redacted["********"] == [1, ["x********x", None]]
    assert redacted["status"] == 400


def test_redact_without_secrets_returns_the_value():
    value = {"a": "b"}
    assert transfer.redact(value, []) is value
    assert transfer.redact(value, [""]) is value
