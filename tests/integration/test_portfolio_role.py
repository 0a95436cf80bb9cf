# SPDX-License-Identifier: GPL-3.0-or-later
"""The portfolio role and the ready-made playbooks, run by ansible-playbook against the sandbox."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO_ROOT / "playbooks"
VPS_NS = ["ns1.vps.org", "ns2.vps.org"]
STRICT = {"auto_renew": True, "locked": True, "privacy_protection": True, "nameservers": VPS_NS}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MODULE_TASK = "Apply the portfolio policy"
SHOW_TASK = "Show the report"
FAIL_TASK = "Fail when a domain failed, on a listed finding, or on drift in an audit"


def role(**role_vars: Any) -> List[Dict[str, Any]]:
    """The role, then a task that shows the fact it published."""
    return [
        {"name": "Portfolio", "ansible.builtin.include_role": {"name": "vpsorg.domains.portfolio"}, "vars": role_vars},
        {"name": "The fact", "ansible.builtin.debug": {"var": "portfolio_report"}},
    ]


def task(run, name: str) -> Dict[str, Any]:
    """The last record of a task whose name holds `name` (versions differ in the role prefix and the validation
    task's suffix): {"task", "status", "result"}."""
    for record in reversed(run.results):
        if name in record["task"]:
            return record
    raise AssertionError(f"no task {name!r}; tasks run: {[record['task'] for record in run.results]}")


def ran(run, name: str) -> bool:
    try:
        task(run, name)
    except AssertionError:
        return False
    return True


def report_lines(run) -> List[str]:
    return task(run, SHOW_TASK)["result"]["msg"]


def writes(journal: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [entry for entry in journal if entry["method"] in WRITES]


def puts(journal: List[Dict[str, Any]]) -> List[tuple]:
    return sorted((entry["path"], entry["body"]) for entry in journal if entry["method"] == "PUT")


def account(sandbox) -> Dict[str, Dict[str, Any]]:
    status, _headers, body = sandbox.api("GET", "domains/")
    assert status == 200
    return {domain["domain_name"]: domain for domain in body["results"]}


# -- the report ------------------------------------------------------------------------------------------


@pytest.mark.api_shape
def test_applies_the_policy_and_publishes_the_report(run_playbook, sandbox):
    run = run_playbook(role(portfolio_settings=STRICT), ignore_errors=False)
    assert run.rc == 0, run.output
    assert task(run, MODULE_TASK)["status"] == "changed"
    journal = sandbox.journal()
    assert [entry["path"] for entry in journal if entry["method"] == "GET"] == ["/api/v1/domains/"]
    assert puts(journal) == [
        (
            "/api/v1/domains/102/",
            {"auto_renew": True, "locked": True, "privacy_protection": True, "nameservers": VPS_NS},
        ),
        ("/api/v1/domains/104/", {"locked": True, "nameservers": VPS_NS}),
    ]

    report = task(run, "The fact")["result"]["portfolio_report"]
    assert report["summary"] == {
        "checked": 4,
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
        # After the run every domain renews itself: example-blog.net (.net, 20 days) within 30 days; with
        # example-labs.io (200) and transfer-me.org (300) within 365; example-shop.com (400) after that.
        "renewal_cost_30d": 14.99,
        "renewal_cost_365d": 68.97,
    }
    assert [(change["name"], change["id"], change["after"]) for change in report["changes"]] == [
        (
            "example-blog.net",
            102,
            {"auto_renew": True, "locked": True, "privacy_protection": True, "nameservers": VPS_NS},
        ),
        ("transfer-me.org", 104, {"locked": True, "nameservers": VPS_NS}),
    ]
    assert [(item["name"], item["auto_renew"]) for item in report["expiring"]] == [("example-blog.net", True)]
    assert (report["missing"], report["skipped"], report["errors"]) == ([], [], [])
    assert report["changed"] is True
    assert report["check_mode"] is False

    stats = task(run, "Publish the report for workflows")["result"]["ansible_stats"]
    assert stats["data"]["portfolio_report"]["summary"] == report["summary"]
    assert stats["per_host"] is False

    lines = report_lines(run)
    assert lines[0] == (
        "Portfolio run: 4 checked, 2 drifted, 2 changed, 0 failed, 0 missing, 0 skipped, 1 expiring within 30 days"
    )
    assert (
        "  transfer-me.org (id 104): locked false -> true, nameservers "
        '["ns1.other-registrar.example", "ns2.other-registrar.example"] -> ["ns1.vps.org", "ns2.vps.org"]'
    ) in lines
    assert "Expiring within 30 days:" in lines
    expiring = [line for line in lines if line.startswith("  example-blog.net: ")]
    assert expiring[-1].endswith(", renews itself")
    assert task(run, FAIL_TASK)["status"] == "skipped"


def test_the_report_names_what_is_skipped_missing_and_not_renewing(run_playbook, sandbox):
    sandbox.seed_domain(domain_name="still-pending.com", status="pending")
    run = run_playbook(
        role(
            portfolio_settings={"locked": True},
            portfolio_domains=[
                {"name": "example-blog.net", "locked": False},
                {"name": "transfer-me.org"},
                {"name": "still-pending.com"},
                {"name": "example-shop.com"},
                {"name": "not-mine.com"},
            ],
            portfolio_exclude=["example-shop.*"],
        ),
        ignore_errors=False,
    )
    assert run.rc != 0
    lines = report_lines(run)
    assert lines[0].startswith("Portfolio run: 2 checked, 1 drifted, 1 changed, 0 failed, 1 missing, 2 skipped")
    assert "  transfer-me.org (id 104): locked false -> true" in lines
    assert lines[lines.index("Missing from the account (not registered):") + 1] == "  not-mine.com"
    assert "  example-shop.com: excluded" in lines
    assert "  still-pending.com: status pending" in lines
    assert any(line.startswith("  example-blog.net: ") and "does NOT renew itself" in line for line in lines)
    assert "example-shop.com is listed in domains but also excluded" in run.output
    failure = task(run, FAIL_TASK)
    assert failure["status"] == "failed"
    assert "not-mine.com: not in the account" in failure["result"]["msg"]
    # The run still applied what it could before failing.
    assert puts(sandbox.journal()) == [("/api/v1/domains/104/", {"locked": True})]


@pytest.mark.api_shape
def test_expiry_warning_days_and_statuses_reach_the_module(run_playbook, sandbox):
    # Demo data: example-blog.net expires in 20 days, example-labs.io in 200; both renew themselves after this.
    expired = sandbox.seed_domain(domain_name="gone-already.com", status="expired", auto_renew=False)
    run = run_playbook(
        role(
            portfolio_settings={"auto_renew": True},
            portfolio_statuses=["active", "expired"],
            portfolio_expiry_warning_days=250,
        ),
        ignore_errors=False,
    )
    assert run.rc == 0, run.output
    # Judged by their effects: ansible-core 2.21 no longer returns the module's invocation.
    result = task(run, MODULE_TASK)["result"]
    expiring = [item["name"] for item in result["expiring"]]
    assert "example-labs.io" in expiring and "example-blog.net" in expiring
    assert "example-shop.com" not in expiring  # 400 days away
    assert result["skipped_domains"] == []
    lines = report_lines(run)
    assert lines[0].endswith(f"{len(expiring)} expiring within 250 days")
    assert "Expiring within 250 days:" in lines
    assert sorted(path for path, _body in puts(sandbox.journal())) == sorted(
        ["/api/v1/domains/102/", f"/api/v1/domains/{expired['id']}/"]
    )


def test_a_second_run_changes_nothing(run_playbook, sandbox):
    assert run_playbook(role(portfolio_settings=STRICT), ignore_errors=False).rc == 0
    sandbox.clear_journal()
    run = run_playbook(role(portfolio_settings=STRICT), ignore_errors=False)
    assert run.rc == 0, run.output
    assert task(run, MODULE_TASK)["status"] == "ok"
    assert writes(sandbox.journal()) == []
    assert len(sandbox.journal()) == 1
    assert "No drift: every checked domain follows the policy." in report_lines(run)
    assert task(run, "The fact")["result"]["portfolio_report"]["summary"]["changed"] == 0


# -- check mode and audits --------------------------------------------------------------------------------


def test_check_mode_reports_and_writes_nothing(run_playbook, sandbox):
    run = run_playbook(role(portfolio_settings=STRICT), check=True, ignore_errors=False)
    assert run.rc == 0, run.output
    assert writes(sandbox.journal()) == []
    assert report_lines(run)[0].startswith("Portfolio plan (check mode: nothing was changed): 4 checked, 2 drifted, 2 ")
    assert "Drifted (would be set to the policy):" in report_lines(run)
    assert task(run, "The fact")["result"]["portfolio_report"]["check_mode"] is True


def test_fail_on_drift_fails_an_audit_after_the_report(run_playbook, sandbox):
    run = run_playbook(role(portfolio_settings=STRICT, portfolio_fail_on_drift=True), check=True, ignore_errors=False)
    assert run.rc != 0
    assert task(run, SHOW_TASK)["status"] == "ok"
    failure = task(run, FAIL_TASK)
    assert failure["status"] == "failed"
    assert failure["result"]["msg"] == (
        "2 domain(s) differ from the policy (portfolio_fail_on_drift): example-blog.net, transfer-me.org"
    )
    assert writes(sandbox.journal()) == []


def test_fail_on_drift_passes_without_drift_and_does_nothing_outside_check_mode(run_playbook, sandbox):
    applied = run_playbook(role(portfolio_settings=STRICT, portfolio_fail_on_drift=True), ignore_errors=False)
    assert applied.rc == 0, applied.output
    assert len(puts(sandbox.journal())) == 2
    sandbox.clear_journal()
    audit = run_playbook(
        role(portfolio_settings=STRICT, portfolio_fail_on_drift="yes"), check=True, ignore_errors=False
    )
    assert audit.rc == 0, audit.output
    assert task(audit, FAIL_TASK)["status"] == "skipped"
    assert writes(sandbox.journal()) == []


# -- failures and limits ----------------------------------------------------------------------------------


@pytest.mark.api_shape
def test_a_failed_domain_fails_the_role_after_the_report(run_playbook, sandbox):
    sandbox.add_fault(
        method="PUT", path_prefix="/api/v1/domains/104/", status=400, body={"detail": "Registry says no."}
    )
    run = run_playbook(role(portfolio_settings={"locked": True}), ignore_errors=False)
    assert run.rc != 0
    # The module's own failure is held back until the report is out.
    assert task(run, MODULE_TASK)["status"] == "changed"
    lines = report_lines(run)
    assert lines[0].startswith("Portfolio run: 4 checked, 2 drifted, 1 changed, 1 failed")
    assert "  transfer-me.org (id 104): locked false -> true  FAILED" in lines
    assert any(line.startswith("  transfer-me.org: ") and "Registry says no." in line for line in lines)
    failure = task(run, FAIL_TASK)
    assert failure["status"] == "failed"
    assert failure["result"]["msg"].startswith("1 problem(s): transfer-me.org: ")
    assert not ran(run, "The fact")
    assert account(sandbox)["example-blog.net"]["locked"] is True
    assert account(sandbox)["transfer-me.org"]["locked"] is False


@pytest.mark.api_shape
def test_a_429_mid_run_still_applies_every_change(run_playbook, sandbox):
    for n in range(6):
        sandbox.seed_domain(domain_name=f"busy-{n}.com", privacy_protection=False)
    sandbox.add_fault(method="PUT", path_prefix="/api/v1/domains/", status=429, retry_after=1, count=1)
    run = run_playbook(role(portfolio_settings={"privacy_protection": True}), ignore_errors=False)
    assert run.rc == 0, run.output
    journal = sandbox.journal()
    assert [entry["status"] for entry in journal if entry["fault"]] == [429]
    assert sandbox.faults() == []
    assert task(run, "The fact")["result"]["portfolio_report"]["summary"]["changed"] == 7
    assert all(domain["privacy_protection"] for domain in account(sandbox).values())


def test_max_changes_stops_before_any_write_and_still_reports(run_playbook, sandbox):
    run = run_playbook(role(portfolio_settings=STRICT, portfolio_max_changes=1), ignore_errors=False)
    assert run.rc != 0
    assert writes(sandbox.journal()) == []
    failure = task(run, FAIL_TASK)
    assert "more than max_changes (1)" in failure["result"]["msg"]
    assert "example-blog.net, transfer-me.org" in failure["result"]["msg"]
    assert report_lines(run)[0].startswith("Portfolio run: 4 checked, 2 drifted, 0 changed")


# -- scope ------------------------------------------------------------------------------------------------


def test_an_empty_domain_list_means_none_and_omitted_or_null_means_every(run_playbook, sandbox):
    empty = run_playbook(role(portfolio_settings=STRICT, portfolio_domains=[]), ignore_errors=False)
    assert empty.rc == 0, empty.output
    assert task(empty, "The fact")["result"]["portfolio_report"]["summary"]["checked"] == 0
    assert writes(sandbox.journal()) == []

    null = run_playbook(role(portfolio_settings=STRICT, portfolio_domains=None), check=True, ignore_errors=False)
    assert task(null, "The fact")["result"]["portfolio_report"]["summary"]["checked"] == 4
    omitted = run_playbook(role(portfolio_settings=STRICT), check=True, ignore_errors=False)
    assert task(omitted, "The fact")["result"]["portfolio_report"]["summary"]["checked"] == 4
    assert writes(sandbox.journal()) == []


def test_overrides_and_string_values_from_extra_vars(run_playbook, sandbox, tmp_path):
    # Extra variables given as key=value arrive as strings; the role must take them as the types they mean.
    playbook = tmp_path / "policy.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Policy",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "roles": [{"role": "vpsorg.domains.portfolio"}],
                }
            ]
        ),
        encoding="utf-8",
    )
    run = run_playbook(
        playbook=playbook,
        extra_args=[
            "-e",
            json.dumps(
                {
                    "portfolio_settings": {"locked": True},
                    "portfolio_domains": [{"name": "EXAMPLE-BLOG.NET.", "locked": False, "auto_renew": True}],
                }
            ),
            "-e",
            "portfolio_register_missing=false portfolio_concurrency=2 portfolio_max_changes=5",
        ],
    )
    assert run.rc == 0, run.output
    assert puts(sandbox.journal()) == [("/api/v1/domains/102/", {"auto_renew": True})]


# -- the argument specification ---------------------------------------------------------------------------


def test_runs_once_on_the_controller_whatever_the_hosts(run_playbook, sandbox, tmp_path):
    inventory = tmp_path / "inventory.ini"
    # Hosts that cannot be reached, with an interpreter that does not exist: only the controller can run it.
    inventory.write_text(
        "[webservers]\n"
        "web1 ansible_host=192.0.2.1 ansible_connection=ssh ansible_python_interpreter=/nonexistent/python\n"
        "web2 ansible_host=192.0.2.2 ansible_connection=ssh ansible_python_interpreter=/nonexistent/python\n",
        encoding="utf-8",
    )
    playbook = tmp_path / "fleet.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Fleet",
                    "hosts": "webservers",
                    "gather_facts": False,
                    "vars": {"portfolio_settings": {"locked": True}},
                    "tasks": [
                        {"name": "Portfolio", "ansible.builtin.include_role": {"name": "vpsorg.domains.portfolio"}},
                        {"name": "Every host sees it", "ansible.builtin.debug": {"var": "portfolio_report.summary"}},
                    ],
                }
            ]
        ),
        encoding="utf-8",
    )
    run = run_playbook(playbook=playbook, extra_args=["-i", str(inventory)])
    assert run.rc == 0, run.output
    assert [record["status"] for record in run.results if record["task"].endswith(MODULE_TASK)] == ["changed"]
    assert [entry["method"] for entry in sandbox.journal()] == ["GET", "PUT", "PUT"]
    seen = [record for record in run.results if record["task"] == "Every host sees it"]
    assert len(seen) == 2
    assert all(record["result"]["portfolio_report.summary"]["changed"] == 2 for record in seen)


# -- the ready-made playbooks -----------------------------------------------------------------------------


def test_demo_playbook(run_playbook, sandbox):
    run = run_playbook(playbook=PLAYBOOKS / "demo.yml", timeout=300)
    assert run.rc == 0, run.output
    assert [entry["domain_name"] for entry in sandbox.ledger()] == ["my-first-shop.dev"]
    assert account(sandbox)["my-first-shop.dev"]["status"] == "active"
    assert task(run, "Step 4 - a second run changes nothing")["status"] == "ok"
    assert "The second run checked 4 domains" in run.stdout


def test_demo_playbook_refuses_a_remote_api(run_playbook, sandbox):
    run = run_playbook(playbook=PLAYBOOKS / "demo.yml", env={"VPSORG_API_URL": "https://admin.vps.org/api/v1"})
    assert run.rc != 0
    assert "costs money on the real API" in run.output
    assert sandbox.journal() == []


def test_portfolio_playbook_in_check_mode_then_for_real(run_playbook, sandbox):
    check = run_playbook(playbook=PLAYBOOKS / "portfolio.yml", check=True)
    assert check.rc == 0, check.output
    assert writes(sandbox.journal()) == []
    real = run_playbook(playbook=PLAYBOOKS / "portfolio.yml")
    assert real.rc == 0, real.output
    assert all(domain["locked"] and domain["auto_renew"] for domain in account(sandbox).values())


@pytest.mark.api_shape
def test_expiry_report_playbook(run_playbook, sandbox):
    sandbox.seed_domain(domain_name="lapsed-one.com", status="expired", expiration_date="2020-01-01T00:00:00Z")
    # Registrars keep a domain active through its grace period: past its expiry, it is listed all the same.
    sandbox.seed_domain(
        domain_name="in-grace.com",
        status="active",
        expiration_date=(datetime.now(timezone.utc) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    run = run_playbook(playbook=PLAYBOOKS / "expiry_report.yml")
    assert run.rc == 0, run.output
    lines = task(run, "Show the table")["result"]["msg"]
    assert lines[0].split() == ["DOMAIN", "EXPIRES", "DAYS", "LEFT", "AUTO-RENEW"]
    assert [line.split()[0] for line in lines[1:]] == ["lapsed-one.com", "in-grace.com", "example-blog.net"]
    assert int(lines[1].split()[2]) < -2000
    assert int(lines[2].split()[2]) in (-2, -3)
    assert lines[3].split()[-1] == "OFF"
    assert 19 <= int(lines[3].split()[2]) <= 20
    assert writes(sandbox.journal()) == []


def test_register_playbook(run_playbook, sandbox):
    nothing = run_playbook(playbook=PLAYBOOKS / "register.yml")
    assert nothing.rc != 0
    assert "No domain to register" in nothing.output

    run = run_playbook(
        playbook=PLAYBOOKS / "register.yml",
        extra_args=[
            "-e",
            json.dumps({"register_domains": ["new-shop.com", {"name": "example-shop.com"}], "register_wait": False}),
        ],
    )
    assert run.rc == 0, run.output
    assert [entry["domain_name"] for entry in sandbox.ledger()] == ["new-shop.com"]
    lines = task(run, "Show what was registered")["result"]["msg"]
    assert lines[0] == "new-shop.com: registered, 12.99 USD, status pending"
    assert lines[1] == "example-shop.com: already in the account, status active"
