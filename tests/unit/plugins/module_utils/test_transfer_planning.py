# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the pure planning of bulk inbound transfers: validation, the state of each listed domain, the
checks in their order, the budget, and how transfers join the portfolio plan."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _portfolio as portfolio
from ansible_collections.vpsorg.domains.plugins.module_utils._money import price_table
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import transfer_codes_from_csv

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
CODE = "EPP-UNIT-4711"


def when(days: float) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def foreign(domain_id: int, name: str, **fields: Any) -> Dict[str, Any]:
    """A detail-shaped domain at another registrar, old enough, no transfer ever started."""
    base: Dict[str, Any] = {
        "id": domain_id,
        "domain_name": name,
        "status": "active",
        "registration_date": when(-400),
        "expiration_date": when(200),
        "auto_renew": True,
        "locked": False,
        "privacy_protection": True,
        "nameservers": ["ns1.other.example", "ns2.other.example"],
        "registrar": "Other Registrar Inc.",
        "transfer_status": None,
        "whois_info": {"created_date": when(-400), "updated_date": when(-30)},
    }
    base.update(fields)
    return base


def entries(*names: str, code: str = CODE) -> List[portfolio.InboundTransfer]:
    return portfolio.check_transfers([{"name": name, "auth_code": code} for name in names])


def decide(domain: Dict[str, Any], code: str = CODE, **options: Any) -> portfolio.InboundTransfer:
    [entry] = portfolio.check_transfers([{"name": domain["domain_name"], "auth_code": code, **options.pop("item", {})}])
    portfolio.plan_transfers([entry], [domain], now=NOW, prices=price_table(), **options)
    return entry


# -- validation ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("example.com", "transfers: must be a list"),
        (["example.com"], "transfers[0]: must be a dictionary"),
        ([{"name": "a.com", "auth_code": CODE, "epp": "x"}], "transfers[0]: unknown key(s) epp"),
        ([{"auth_code": CODE}], "transfers[0]: needs a name"),
        ([{"name": "a.com"}], "transfers[0].auth_code: a.com has no auth code"),
        ([{"name": "a.com", "auth_code": 4711}], "transfers[0].auth_code: the auth code of a.com must be a string"),
        (
            [{"name": "a.com", "auth_code": CODE}, {"name": "A.COM.", "auth_code": CODE}],
            "transfers[1].name: a.com is listed twice (also transfers[0])",
        ),
        ([{"name": "a.com", "auth_code": CODE, "override_attempt": ""}], "transfers[0].override_attempt"),
    ],
)
def test_bad_entries_name_the_option_and_entry_never_the_code(value: Any, message: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        portfolio.check_transfers(value)
    assert str(raised.value).startswith(message), str(raised.value)
    assert CODE not in str(raised.value)


def test_a_bad_name_is_an_error_naming_the_entry() -> None:
    with pytest.raises(InvalidValue) as raised:
        portfolio.check_transfers([{"name": "not a name", "auth_code": CODE}])
    assert "transfers[0].name" in str(raised.value)


def test_a_code_of_the_wrong_form_is_not_an_option_error_but_a_refusal() -> None:
    [entry] = portfolio.check_transfers([{"name": "a.com", "auth_code": "  EPP 12  "}])
    assert entry.auth_code is None
    assert entry.code_problem == "auth_code is malformed: contains whitespace at position 4"
    assert "EPP" not in repr(entry)


def test_every_form_of_every_code_is_a_secret() -> None:
    raw = [{"name": "a.com", "auth_code": f" {CODE}\n"}]
    found = portfolio.check_transfers(raw)
    assert set(portfolio.transfer_secrets(found, raw)) == {CODE, f" {CODE}\n"}


# -- states ----------------------------------------------------------------------------------------------------
def test_missing_and_duplicates() -> None:
    listed = entries("gone.com", "twice.com")
    account = [foreign(1, "twice.com"), foreign(2, "TWICE.com")]
    portfolio.plan_transfers(listed, account, now=NOW)
    assert [(entry.state, entry.id) for entry in listed] == [("missing", None), ("refused", None)]
    assert "ids 1, 2" in listed[1].detail


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"registrar": "VPS.org, LLC", "transfer_status": None}, "completed"),
        ({"transfer_status": "completed"}, "completed"),
        ({"transfer_status": "pending", "transfer_initiated_at": when(-3)}, "pending"),
        ({"transfer_status": "failed", "transfer_initiated_at": when(-3)}, "failed"),
        ({}, "would_start"),
    ],
)
def test_the_state_follows_what_the_api_shows(fields: Dict[str, Any], state: str) -> None:
    assert decide(foreign(7, "moving.com", **fields)).state == state


def test_pending_reports_days_and_a_stuck_transfer() -> None:
    entry = decide(foreign(7, "moving.com", transfer_status="pending", transfer_initiated_at=when(-20)))
    assert (entry.days_pending, entry.initiated_at) == (20, when(-20))
    assert "pending 20 days" in entry.detail


def test_failed_reports_the_reason_and_the_attempt_to_name() -> None:
    domain = foreign(
        7, "moving.com", transfer_status="failed", transfer_initiated_at=when(-3), transfer_failure_reason="Refused"
    )
    entry = decide(domain)
    assert entry.state == "failed"
    assert "Refused" in entry.detail
    assert f"transfers[0].override_attempt: {when(-3)!r}" in entry.detail
    # restart_failed_transfers without naming the attempt restarts nothing.
    assert decide(domain, restart_failed=True).state == "failed"
    # Named: it starts (one more paid attempt).
    assert decide(domain, restart_failed=True, item={"override_attempt": when(-3)}).state == "would_start"
    # Named for an older attempt: a restarted transfer failed again; nothing is paid.
    again = decide(domain, restart_failed=True, item={"override_attempt": when(-30)})
    assert again.state == "failed"
    assert "nothing was sent" in again.detail


@pytest.mark.parametrize(
    ("fields", "code", "budgeted", "check"),
    [
        ({"registration_date": when(-20), "whois_info": {"created_date": when(-20)}}, CODE, False, "60-day rule:"),
        ({"whois_info": {"created_date": "soon"}}, CODE, False, "60-day rule:"),
        ({}, "abc", False, "auth code:"),
        ({"expiration_date": when(15)}, CODE, False, "expiry:"),
        ({}, CODE, True, "price:"),
        ({"transfer_status": "cancelled"}, CODE, False, "transfer state:"),
    ],
)
def test_each_check_refuses_naming_itself(fields: Dict[str, Any], code: str, budgeted: bool, check: str) -> None:
    name = "moving.shop" if check == "price:" else "moving.com"
    entry = decide(foreign(7, name, **fields), code, budgeted=budgeted)
    assert entry.state == "refused"
    assert entry.detail.startswith(check), entry.detail
    assert entry.detail.endswith("nothing was sent")


def test_the_checks_run_in_the_documented_order() -> None:
    # Too young and a bad code: the 60-day rule is named first.
    young = foreign(7, "moving.com", registration_date=when(-20), whois_info={"created_date": when(-20)})
    assert decide(young, "abc").detail.startswith("60-day rule:")
    # A bad code and near expiry: the code first.
    assert decide(foreign(7, "moving.com", expiration_date=when(3)), "abc").detail.startswith("auth code:")


def test_sixteen_days_left_is_not_near_expiry() -> None:
    assert decide(foreign(7, "moving.com", expiration_date=when(16))).state == "would_start"


def test_unknown_price_without_a_budget_starts_with_no_estimate() -> None:
    entry = decide(foreign(7, "moving.shop"))
    assert (entry.state, entry.estimated_cost) == ("would_start", None)


@pytest.mark.parametrize(
    ("domain", "tells"),
    [
        ({"transfer_status": "pending"}, True),
        ({"registrar": "VPS.org"}, True),
        ({"transfer_status": None, "registrar": "Other"}, True),
        ({"transfer_status": None}, False),
        ({"domain_name": "a.com"}, False),
    ],
)
def test_the_detail_is_read_only_when_the_list_object_cannot_tell(domain: Dict[str, Any], tells: bool) -> None:
    assert portfolio.tells_transfer_state(domain) is tells


# -- the plan --------------------------------------------------------------------------------------------------
def plan_with(listed: List[portfolio.InboundTransfer], account: List[Dict[str, Any]]) -> portfolio.PortfolioPlan:
    portfolio.plan_transfers(listed, account, now=NOW, prices=price_table())
    policy = portfolio.build_policy({"locked": True, "auto_renew": False}, [])
    return portfolio.plan_portfolio(policy, account, now=NOW, transfers=listed)


def test_transfers_join_the_plan_completed_ones_get_the_policy_the_others_are_left_alone() -> None:
    account = [
        foreign(1, "here.com", registrar="VPS.org"),
        foreign(2, "start.com"),
        foreign(3, "waiting.com", transfer_status="pending", transfer_initiated_at=when(-2)),
    ]
    plan = plan_with(entries("here.com", "start.com", "waiting.com"), account)
    assert [(c.name, c.action, c.after) for c in plan.changes] == [
        ("here.com", "update", {"auto_renew": False, "locked": True}),
        ("start.com", "transfer", {"transfer_status": "pending", "auto_renew": False}),
    ]
    # Only the transfer's state moves: the registrar changes when the transfer completes, not when it starts.
    assert plan.changes[1].before == {"transfer_status": None}
    assert plan.changes[1].estimated_cost == 12.99
    assert [(item["name"], item["reason"]) for item in plan.skipped] == [
        ("start.com", "transfer would_start"),
        ("waiting.com", "transfer pending"),
    ]
    # After the run, a skipped transfer's reason names the state the run left it in.
    started = entries("start.com", "waiting.com")
    started[0].state, started[1].state = "started", "pending"
    assert [(i["name"], i["reason"]) for i in portfolio._skipped_after(plan, started)] == [
        ("start.com", "transfer started"),
        ("waiting.com", "transfer pending"),
    ]
    assert portfolio.estimated_spend(plan) == 12.99
    assert portfolio.over_transfer_budget(plan, 12.99) is None
    assert portfolio.over_transfer_budget(plan, 12.98) == (
        "max_spend: the transfers and registrations of start.com are estimated at 12.99 USD together, more than "
        "max_spend 12.98 USD; nothing was sent"
    )
    assert portfolio.over_limit(plan, 1) is not None


def test_summary_and_result_of_the_transfers() -> None:
    account = [foreign(2, "start.com"), foreign(3, "young.com", whois_info={"created_date": when(-5)})]
    listed = entries("young.com", "start.com", "gone.com")
    plan = plan_with(listed, account)
    result = portfolio.report(plan, check_mode=True, register_missing=False, now=NOW, transfers=listed)
    assert [entry["name"] for entry in result["transfers"]] == ["gone.com", "start.com", "young.com"]
    assert result["summary"]["transfers"] == {
        "missing": 1,
        "completed": 0,
        "pending": 0,
        "failed": 0,
        "started": 0,
        "would_start": 1,
        "refused": 1,
    }
    assert result["errors"] == ["gone.com: listed in transfers but not in the account; add it in the VPS.org panel"]
    assert set(result["transfers"][1]) == {
        "name",
        "id",
        "state",
        "detail",
        "initiated_at",
        "estimated_completion",
        "days_pending",
        "estimated_cost",
        "cost",
    }
    [diff] = [d for d in portfolio.diffs(plan) if d["before_header"] == "start.com"]
    assert diff["after_header"] == "start.com (transfer, estimated 12.99 USD)"
    assert CODE not in str(result) and CODE not in str(diff)


# -- the CSV filter --------------------------------------------------------------------------------------------
def test_csv_export_with_other_columns_and_quotes() -> None:
    text = '\ufeffDomain,Expires,"Auth Code",Registrar\nalpha.com,2027-01-01,"EPP,1234",X\n\nbeta.net,2027,EPP-99,Y\n'
    assert transfer_codes_from_csv(text) == [
        {"name": "alpha.com", "auth_code": "EPP,1234"},
        {"name": "beta.net", "auth_code": "EPP-99"},
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the CSV is empty"),
        ("name,code\na.com,EPP-SECRET-1\n", "no auth_code column (columns: name, code)"),
        ("registrar,auth_code\nX,EPP-SECRET-1\n", "no domain column"),
        ("domain,auth_code\n,EPP-SECRET-1\n", "record 2 has no domain"),
        ("domain,auth_code\na.com,EPP-SECRET-1\nb.com,\n", "record 3 (b.com) has no auth_code"),
    ],
)
def test_csv_errors_name_the_record_never_the_code(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        transfer_codes_from_csv(text)
    assert message in str(raised.value)
    assert "EPP-SECRET-1" not in str(raised.value)


def test_a_domain_still_moving_is_no_unlocked_finding_once_here_it_is() -> None:
    """The current registrar's lock must stay off until a transfer completes; once at VPS.org it is a finding."""
    account = [
        foreign(1, "here.com", registrar="VPS.org"),
        foreign(2, "start.com"),
        foreign(3, "waiting.com", transfer_status="pending", transfer_initiated_at=when(-2)),
    ]
    listed = entries("here.com", "start.com", "waiting.com")
    plan = plan_with(listed, account)

    def unlocked(transfers: Any) -> List[str]:
        found = portfolio.report(plan, check_mode=True, register_missing=False, now=NOW, transfers=transfers)
        return sorted(f["name"] for f in found["findings"] if f["condition"] == "unlocked")

    assert unlocked(listed) == ["here.com"]
    # The same domains, were they not listed as transfers, are findings.
    assert unlocked(None) == ["here.com", "start.com", "waiting.com"]
