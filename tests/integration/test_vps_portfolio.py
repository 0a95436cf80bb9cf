# SPDX-License-Identifier: GPL-3.0-or-later
"""vps_portfolio against the sandbox: one read, only the drifted fields written, scope, limits, failures, modes."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest

VPS_NS = ["ns1.vps.org", "ns2.vps.org"]
STRICT = {"auto_renew": True, "locked": True, "privacy_protection": True, "nameservers": VPS_NS}
TASK = "Apply the policy"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def portfolio_task(title: str = TASK, **options: Any) -> Dict[str, Any]:
    return {"name": title, "vpsorg.domains.vps_portfolio": options}


def puts(journal: List[Dict[str, Any]]) -> List[Tuple[str, Any]]:
    """The PUTs the sandbox answered, as (path, body), sorted by path (the pool sends them in any order)."""
    return sorted((entry["path"], entry["body"]) for entry in journal if entry["method"] == "PUT")


def writes(journal: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [entry for entry in journal if entry["method"] in WRITES]


def reads(journal: List[Dict[str, Any]]) -> List[str]:
    return [entry["path"] for entry in journal if entry["method"] == "GET"]


def domains_by_name(sandbox) -> Dict[str, Dict[str, Any]]:
    status, _headers, body = sandbox.api("GET", "domains/")
    assert status == 200
    return {domain["domain_name"]: domain for domain in body["results"]}


def change(result: Dict[str, Any], name: str) -> Optional[Dict[str, Any]]:
    for entry in result["changes"]:
        if entry["name"] == name:
            return entry
    return None


# -- drift ------------------------------------------------------------------------------------------------


@pytest.mark.api_shape
def test_only_drifted_fields_of_drifted_domains_are_written(run_playbook, sandbox):
    # Nameservers in another order and case, with a trailing dot, are no drift.
    sandbox.seed_domain(domain_name="order-only.com", nameservers=["NS2.vps.org.", "ns1.VPS.org"])
    run = run_playbook([portfolio_task(settings=STRICT)])
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    journal = sandbox.journal()
    assert reads(journal) == ["/api/v1/domains/"]
    assert puts(journal) == [
        (
            "/api/v1/domains/102/",
            {"auto_renew": True, "locked": True, "privacy_protection": True, "nameservers": VPS_NS},
        ),
        ("/api/v1/domains/104/", {"locked": True, "nameservers": VPS_NS}),
    ]
    assert result["summary"] == {
        "checked": 5,
        "drifted": 2,
        "changed": 2,
        "failed": 0,
        "missing": 0,
        "skipped": 0,
        "expiring": 1,
        "estimated_spend": 0.0,
        "spent": 0.0,
        "transfers": dict.fromkeys(
            ("missing", "completed", "pending", "failed", "started", "would_start", "refused"), 0
        ),
        # Every domain renews itself after the run: example-blog.net (20 days) within 30 days; with the .io
        # (200), transfer-me.org (300) and the seeded order-only.com (within a year) within 365.
        "renewal_cost_30d": 14.99,
        "renewal_cost_365d": 81.96,
    }
    assert change(result, "transfer-me.org") == {
        "name": "transfer-me.org",
        "id": 104,
        "action": "update",
        "before": {"locked": False, "nameservers": ["ns1.other-registrar.example", "ns2.other-registrar.example"]},
        "after": {"locked": True, "nameservers": VPS_NS},
        "error": None,
    }
    # The report says whether each expiring domain renews itself after this run.
    assert [(item["name"], item["auto_renew"]) for item in result["expiring"]] == [("example-blog.net", True)]
    assert result["errors"] == []
    account = domains_by_name(sandbox)
    assert account["transfer-me.org"]["locked"] is True
    assert account["example-blog.net"]["nameservers"] == VPS_NS


def test_a_second_run_changes_nothing_and_only_reads(run_playbook, sandbox):
    assert run_playbook([portfolio_task(settings=STRICT)]).status(TASK) == "changed"
    sandbox.clear_journal()
    run = run_playbook([portfolio_task(settings=STRICT)])
    result = run.result(TASK)
    assert run.status(TASK) == "ok"
    assert result["changed"] is False
    assert result["changes"] == []
    assert (result["summary"]["drifted"], result["summary"]["changed"]) == (0, 0)
    assert writes(sandbox.journal()) == []


@pytest.mark.api_shape
def test_the_account_is_read_once_across_pages(run_playbook, sandbox):
    sandbox.configure(page_size=2)
    run = run_playbook([portfolio_task(settings={"locked": True})])
    assert run.result(TASK)["summary"]["checked"] == 4
    journal = sandbox.journal()
    # Two pages of the list and nothing else read: no per-domain GET.
    assert reads(journal) == ["/api/v1/domains/", "/api/v1/domains/"]
    assert [entry["query"] for entry in journal if entry["method"] == "GET"][1] == {"page": "2"}
    assert puts(journal) == [
        ("/api/v1/domains/102/", {"locked": True}),
        ("/api/v1/domains/104/", {"locked": True}),
    ]


def test_unset_settings_are_left_alone(run_playbook, sandbox):
    run = run_playbook([portfolio_task(settings={"privacy_protection": None, "auto_renew": True})])
    assert puts(sandbox.journal()) == [("/api/v1/domains/102/", {"auto_renew": True})]
    assert run.result(TASK)["summary"]["drifted"] == 1


# -- check and diff ---------------------------------------------------------------------------------------


def test_check_mode_plans_and_writes_nothing(run_playbook, sandbox):
    run = run_playbook([portfolio_task(settings=STRICT)], check=True, diff=True)
    result = run.result(TASK)
    assert run.status(TASK) == "changed"
    assert result["summary"]["changed"] == 2
    assert [entry["name"] for entry in result["changes"]] == ["example-blog.net", "transfer-me.org"]
    assert writes(sandbox.journal()) == []
    diffs = {diff["before_header"]: diff for diff in result["diff"]}
    assert sorted(diffs) == ["example-blog.net", "transfer-me.org"]
    assert diffs["transfer-me.org"]["before"].startswith("locked: false\n")
    assert diffs["transfer-me.org"]["after"].startswith("locked: true\n")
    assert "+locked: true" in run.stdout
    assert domains_by_name(sandbox)["transfer-me.org"]["locked"] is False


# -- scope ------------------------------------------------------------------------------------------------


def test_overrides_win_and_only_listed_domains_are_in_scope(run_playbook, sandbox):
    run = run_playbook(
        [
            portfolio_task(
                settings=STRICT,
                domains=[
                    {"name": "Example-Blog.NET.", "auto_renew": False, "privacy_protection": False},
                    {
                        "name": "transfer-me.org",
                        "nameservers": ["ns2.other-registrar.example", "ns1.other-registrar.example"],
                    },
                ],
            )
        ]
    )
    result = run.result(TASK)
    assert puts(sandbox.journal()) == [
        ("/api/v1/domains/102/", {"locked": True, "nameservers": VPS_NS}),
        ("/api/v1/domains/104/", {"locked": True}),
    ]
    assert result["summary"]["checked"] == 2
    assert domains_by_name(sandbox)["example-blog.net"]["auto_renew"] is False


def test_an_empty_domain_list_means_none_and_omitted_means_every(run_playbook, sandbox):
    run = run_playbook(
        [
            portfolio_task("None", settings=STRICT, domains=[]),
            portfolio_task("Every", settings={"privacy_protection": True}),
        ],
        check=True,
    )
    assert run.result("None")["summary"]["checked"] == 0
    assert run.result("None")["changed"] is False
    assert run.result("Every")["summary"]["checked"] == 4


@pytest.mark.api_shape
def test_excluded_names_and_patterns_are_left_alone(run_playbook, sandbox):
    run = run_playbook([portfolio_task(settings=STRICT, exclude=["transfer-*", "EXAMPLE-BLOG.NET"])])
    result = run.result(TASK)
    assert run.status(TASK) == "ok"
    assert writes(sandbox.journal()) == []
    assert [(item["name"], item["reason"]) for item in result["skipped_domains"]] == [
        ("example-blog.net", "excluded"),
        ("transfer-me.org", "excluded"),
    ]
    assert result["summary"]["skipped"] == 2
    assert result["expiring"] == []


def test_a_listed_but_excluded_domain_is_left_alone_with_a_warning(run_playbook, sandbox):
    run = run_playbook(
        [
            portfolio_task(
                settings=STRICT,
                domains=[{"name": "transfer-me.org"}, {"name": "example-blog.net"}],
                exclude=["transfer-me.org"],
            )
        ]
    )
    result = run.result(TASK)
    assert puts(sandbox.journal())[0][0] == "/api/v1/domains/102/"
    assert len(puts(sandbox.journal())) == 1
    assert result["warnings"] == ["transfer-me.org is listed in domains but also excluded; it was left alone"]
    assert "listed in domains but also excluded" in run.output


@pytest.mark.api_shape
def test_other_statuses_are_skipped_and_never_changed(run_playbook, sandbox):
    pending = sandbox.seed_domain(domain_name="still-pending.com", status="pending", locked=False)
    expired = sandbox.seed_domain(domain_name="gone-already.com", status="expired", locked=False)
    run = run_playbook([portfolio_task(settings={"locked": True})])
    result = run.result(TASK)
    paths = [path for path, _body in puts(sandbox.journal())]
    assert f"/api/v1/domains/{pending['id']}/" not in paths
    assert f"/api/v1/domains/{expired['id']}/" not in paths
    assert {(item["name"], item["reason"]) for item in result["skipped_domains"]} == {
        ("still-pending.com", "status pending"),
        ("gone-already.com", "status expired"),
    }

    sandbox.clear_journal()
    run = run_playbook([portfolio_task(settings={"locked": True}, statuses=["active", "expired"])])
    assert puts(sandbox.journal()) == [(f"/api/v1/domains/{expired['id']}/", {"locked": True})]
    assert [item["name"] for item in run.result(TASK)["skipped_domains"]] == ["still-pending.com"]


# -- missing domains --------------------------------------------------------------------------------------


def test_missing_names_are_reported_and_fail_at_the_end(run_playbook, sandbox):
    run = run_playbook(
        [portfolio_task(settings={"locked": True}, domains=[{"name": "transfer-me.org"}, {"name": "not-mine.com"}])]
    )
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert result["missing"] == ["not-mine.com"]
    assert result["errors"] == ["not-mine.com: not in the account (register_missing is off)"]
    assert "not-mine.com" in result["msg"]
    # The listed domain that is there was still handled; nothing was registered.
    assert puts(sandbox.journal()) == [("/api/v1/domains/104/", {"locked": True})]
    assert result["changed"] is True
    assert [entry["method"] for entry in writes(sandbox.journal())] == ["PUT"]
    assert sandbox.ledger() == []


@pytest.mark.api_shape
def test_missing_names_are_registered_when_asked(run_playbook, sandbox):
    run = run_playbook(
        [
            portfolio_task(
                # The sandbox registers domains locked: the policy's unlocked needs an update afterwards.
                settings={"auto_renew": True, "locked": False},
                domains=[
                    {"name": "example-shop.com", "locked": True},
                    {"name": "Brand-New-Shop.com", "privacy_protection": False},
                ],
                register_missing=True,
            )
        ]
    )
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    journal = writes(sandbox.journal())
    assert [(entry["method"], entry["path"]) for entry in journal] == [
        ("POST", "/api/v1/domains/"),
        ("PUT", f"/api/v1/domains/{change(result, 'brand-new-shop.com')['id']}/"),
    ]
    assert journal[0]["body"] == {"domain_name": "brand-new-shop.com", "auto_renew": True, "privacy_protection": False}
    assert journal[1]["body"] == {"locked": False}
    registered = change(result, "brand-new-shop.com")
    assert registered["action"] == "register"
    assert registered["registration"]["total_cost"] == 12.99
    assert result["summary"]["missing"] == 1
    assert result["summary"]["changed"] == 1
    assert [entry["domain_name"] for entry in sandbox.ledger()] == ["brand-new-shop.com"]

    sandbox.clear_journal()
    again = run_playbook(
        [
            portfolio_task(
                settings={"auto_renew": True, "locked": False},
                domains=[
                    {"name": "example-shop.com", "locked": True},
                    {"name": "brand-new-shop.com", "privacy_protection": False},
                ],
                register_missing=True,
                statuses=["active", "pending"],
            )
        ]
    )
    assert again.result(TASK)["changed"] is False
    assert writes(sandbox.journal()) == []
    assert len(sandbox.ledger()) == 1


@pytest.mark.api_shape
def test_check_mode_predicts_a_registration_without_spending(run_playbook, sandbox):
    task = portfolio_task(settings={"locked": True}, domains=[{"name": "brand-new-shop.com"}], register_missing=True)
    run = run_playbook([task], check=True, diff=True)
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    assert result["summary"]["changed"] == 1
    assert result["summary"]["missing"] == 1
    planned = change(result, "brand-new-shop.com")
    assert (planned["action"], planned["id"], planned["after"]) == ("register", None, {"locked": True})
    assert [diff["after_header"] for diff in result["diff"]] == [
        "brand-new-shop.com (registration, estimated 12.99 USD)"
    ]
    assert writes(sandbox.journal()) == []
    assert sandbox.ledger() == []


def test_a_name_taken_elsewhere_fails_that_domain_only(run_playbook, sandbox):
    run = run_playbook(
        [
            portfolio_task(
                settings={"locked": True},
                domains=[{"name": "taken-elsewhere.com"}, {"name": "transfer-me.org"}],
                register_missing=True,
            )
        ]
    )
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert "taken-elsewhere.com is taken" in change(result, "taken-elsewhere.com")["error"]
    assert change(result, "transfer-me.org")["error"] is None
    assert ("/api/v1/domains/104/", {"locked": True}) in puts(sandbox.journal())
    assert sandbox.ledger() == []


# -- limits and failures ----------------------------------------------------------------------------------


def test_max_changes_stops_before_the_first_write(run_playbook, sandbox):
    run = run_playbook([portfolio_task(settings=STRICT, max_changes=1)])
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert result["msg"].startswith("2 domains would change, more than max_changes (1)")
    assert "example-blog.net, transfer-me.org" in result["msg"]
    assert result["changed"] is False
    assert result["summary"]["changed"] == 0
    assert writes(sandbox.journal()) == []

    sandbox.clear_journal()
    assert run_playbook([portfolio_task(settings=STRICT, max_changes=2)]).status(TASK) == "changed"
    assert len(puts(sandbox.journal())) == 2


@pytest.mark.api_shape
def test_one_failed_write_does_not_stop_the_others(run_playbook, sandbox):
    extra = [sandbox.seed_domain(domain_name=f"more-{n}.com", locked=False)["id"] for n in range(6)]
    sandbox.add_fault(
        method="PUT", path_prefix="/api/v1/domains/104/", status=400, body={"locked": ["Refused by the registry."]}
    )
    run = run_playbook([portfolio_task(settings={"locked": True}, concurrency=3)])
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    failed = change(result, "transfer-me.org")
    assert "Refused by the registry." in failed["error"]
    assert failed["failure"]["status"] == 400
    assert failed["failure"]["path"] == "/api/v1/domains/104/"
    assert result["summary"]["failed"] == 1
    assert result["summary"]["changed"] == 7
    assert result["changed"] is True
    assert result["errors"] == [f"transfer-me.org: {failed['error']}"]
    assert "transfer-me.org" in result["msg"]
    done = {path for path, _body in puts(sandbox.journal())}
    assert done == {f"/api/v1/domains/{domain_id}/" for domain_id in [102, 104, *extra]}
    account = domains_by_name(sandbox)
    assert account["transfer-me.org"]["locked"] is False
    assert all(account[f"more-{n}.com"]["locked"] for n in range(6))


@pytest.mark.api_shape
def test_diff_of_a_real_run_shows_only_the_applied_writes(run_playbook, sandbox):
    sandbox.add_fault(
        method="PUT", path_prefix="/api/v1/domains/104/", status=400, body={"locked": ["Refused by the registry."]}
    )
    run = run_playbook([portfolio_task(settings={"locked": True})], diff=True)
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert sandbox.faults() == []
    assert sorted(path for path, _body in puts(sandbox.journal())) == ["/api/v1/domains/102/", "/api/v1/domains/104/"]
    # The refused write changed nothing, so only the applied one is shown as a change.
    shown = [(diff["before_header"], diff["after"]) for diff in result["diff"]]
    assert shown == [("example-blog.net", "locked: true\n")]
    assert change(result, "transfer-me.org")["error"]
    assert domains_by_name(sandbox)["transfer-me.org"]["locked"] is False


@pytest.mark.api_shape
def test_a_429_mid_run_pauses_and_every_change_is_still_applied(run_playbook, sandbox):
    for n in range(8):
        sandbox.seed_domain(domain_name=f"busy-{n}.com", auto_renew=False)
    sandbox.add_fault(method="PUT", path_prefix="/api/v1/domains/", status=429, retry_after=1, count=1)
    run = run_playbook([portfolio_task(settings={"auto_renew": True}, concurrency=4)])
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    journal = sandbox.journal()
    limited = [entry for entry in journal if entry["status"] == 429]
    assert len(limited) == 1
    assert limited[0]["fault"]
    assert sandbox.faults() == []
    assert result["summary"]["changed"] == 9
    assert result["summary"]["failed"] == 0
    # The refused PUT was sent again: every drifted domain got exactly one successful PUT.
    answered = sorted(entry["path"] for entry in journal if entry["method"] == "PUT" and entry["status"] == 200)
    assert len(answered) == len(set(answered)) == 9
    assert all(domain["auto_renew"] for domain in domains_by_name(sandbox).values())
