# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the write rules: the plan (current, desired) -> actions, lenient reading, answer checks, ids."""

from __future__ import annotations

import ast
import pathlib

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _write_rules as rules

VPS_NS = ["ns1.vps.org", "ns2.vps.org"]


def item(domain_id=101, name="example.com", **fields):
    base = {"id": domain_id, "domain_name": name, "auto_renew": True, "locked": True, "nameservers": VPS_NS}
    base.update(fields)
    return base


# -- the plan -------------------------------------------------------------------------------------------------
def test_plan_nothing_to_do_is_no_action():
    assert (
        rules.plan("example.com", [item()], {"auto_renew": True, "nameservers": ["NS2.vps.org.", "ns1.vps.org"]}) == []
    )


def test_plan_update_sends_only_what_differs():
    assert rules.plan("example.com", [item()], {"auto_renew": False, "locked": True}) == [
        rules.Action("update", "example.com", 101, body={"auto_renew": False})
    ]


def test_plan_register_only_when_allowed():
    refused = rules.plan("new.com", [], {"locked": True})
    assert [action.kind for action in refused] == ["refuse"]
    assert "allow_registration: true" in refused[0].reason
    assert rules.plan("new.com", [], {"locked": True}, allow_registration=True) == [
        rules.Action("register", "new.com", body={"locked": True})
    ]


def test_plan_remove_and_absent_no_op():
    assert rules.plan("example.com", [item()], {}, state="absent") == [rules.Action("remove", "example.com", 101)]
    assert rules.plan("example.com", [], {}, state="absent") == []


def test_plan_refuses_a_name_held_by_several_ids_naming_each_id_once():
    actions = rules.plan("example.com", [item(101), item("101"), item(230)], {"locked": False})
    assert len(actions) == 1 and actions[0].kind == "refuse"
    assert actions[0].ids == [101, 230]
    assert "(ids 101, 230)" in actions[0].reason


def test_the_same_id_as_number_and_string_is_one_domain():
    assert rules.plan("example.com", [item(101), item("101", locked=False)], {"locked": True}) == []
    assert rules.distinct_ids([item(101), item("101"), item(" 101 ")]) == [101]
    assert rules.same_id(101, "101") and not rules.same_id(101, None)


def test_an_action_kind_is_one_of_the_plan_kinds():
    with pytest.raises(ValueError):
        rules.Action("renew", "example.com")


# -- lenient reading -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "read"),
    [(True, True), ("true", True), ("TRUE", True), (1, True), ("1", True), ("on", True), (False, False),
     ("false", False), (0, False), ("0", False), (None, None), ("maybe", None), (2, None), ([], None)],
)  # fmt: skip
def test_read_bool(value, read):
    assert rules.read_bool(value) is read


def test_read_nameservers_as_a_list_or_a_comma_separated_string():
    assert rules.read_nameservers("ns1.vps.org, ns2.vps.org") == VPS_NS
    assert rules.read_nameservers(VPS_NS) == VPS_NS
    assert rules.read_nameservers(42) is None


def test_a_setting_missing_from_a_list_item_is_unreadable_and_named():
    listed = item()
    del listed["locked"]
    assert rules.unreadable_settings(listed, {"locked": False, "auto_renew": True}) == ["locked"]


def test_an_nfd_stored_name_has_the_canonical_name():
    decomposed = "mu\u0308nchen.de"
    assert rules.name_of({"domain_name": decomposed}) == "xn--mnchen-3ya.de"
    assert rules.group_by_name([item(1, decomposed), item(2, "MÜNCHEN.DE.")]) == {
        "xn--mnchen-3ya.de": [item(1, decomposed), item(2, "MÜNCHEN.DE.")]
    }


# -- answers --------------------------------------------------------------------------------------------------
GOOD = {"id": 205, "domain_name": "new.com", "status": "pending", "total_cost": 12.99}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"detail": "Invalid auth code."}, "error message"),
        ({"success": False}, "error message"),
        ({"success": "false", "id": 205}, "error message"),
        (dict(GOOD, status="failed"), "status: failed"),
        (dict(GOOD, domain_name="other.com"), "another domain (other.com)"),
        ("OK", "not an object"),
    ],
)
def test_a_registration_answer_that_is_no_success(answer, problem):
    assert problem in rules.paid_answer_problem("register", answer, "new.com")


def test_a_good_registration_answer_and_a_good_transfer_answer():
    assert rules.paid_answer_problem("register", GOOD, "new.com") is None
    assert rules.paid_answer_problem("register", dict(GOOD, domain_name="NEW.com."), "new.com") is None
    assert rules.paid_answer_problem("transfer", {"transfer_status": "pending"}, "new.com", 205) is None
    assert rules.paid_answer_problem("transfer", None, "new.com", 205) is None


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"id": 999, "transfer_status": "pending"}, "another domain id (999)"),
        ({"id": "205", "transfer_status": "failed"}, "transfer_status: failed"),
    ],
)
def test_a_transfer_answer_that_is_no_success(answer, problem):
    assert problem in rules.paid_answer_problem("transfer", answer, "new.com", 205)


def test_unchanged_settings_of_a_put_answer():
    assert rules.unchanged_settings(
        {"locked": False, "auto_renew": False}, {"locked": True, "auto_renew": "false"}
    ) == ["locked"]
    assert rules.unchanged_settings({"locked": False}, {"id": 1}) == []  # not shown: not judged
    assert rules.answer_for_another_id({"id": 2}, 1) and not rules.answer_for_another_id({"id": "1"}, 1)


# -- one-time overrides ---------------------------------------------------------------------------------------
def test_attempt_mark_from_what_the_api_shows():
    assert rules.attempt_mark({"transfer_initiated_at": "2026-01-01T00:00:00Z"}) == "2026-01-01T00:00:00Z"
    assert rules.attempt_mark({"registrar": "R", "whois_info": {"updated_date": "2026-02-01"}}) == "R@2026-02-01"
    assert rules.attempt_mark({"registrar": "R"}) is None


# -- the one diff style ---------------------------------------------------------------------------------------
def test_diff_entry_names_the_domain_and_the_estimated_cost():
    entry = rules.diff_entry("new.com", None, {"locked": True}, rules.paid_note("register", 12.99))
    assert entry == {
        "before_header": "new.com (not in the account)",
        "after_header": "new.com (registration, estimated 12.99 USD)",
        "before": "",
        "after": "locked: true\n",
    }
    assert rules.paid_note("transfer", None) == "transfer, price unknown"


def test_the_rules_import_no_engine_or_operation_module():
    source = pathlib.Path(rules.__file__).read_text(encoding="utf-8")
    imported = {
        node.module.rsplit(".", 1)[-1]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported.isdisjoint({"_engine", "_domain", "_transfer", "_portfolio", "_task", "_base", "_client", "_http"})
