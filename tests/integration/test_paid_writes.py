# SPDX-License-Identifier: GPL-3.0-or-later
"""The paid-write rules against a sandbox that misbehaves: real ansible-playbook, the journal and the ledger.

Each test arms `/_sandbox/faults` (commit then answer anything; answer without committing) or seeds stored
fields, runs the modules, and checks what was sent and what was charged.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest

# Every rule here is about what an API answers (errors, money, names, dates): run under the drf profile too.
pytestmark = pytest.mark.api_shape

DOMAINS = "/api/v1/domains/"
CODE = "EPP-PAID-4711"
OTHER_REGISTRAR = "Other Registrar Inc."


def posts(sandbox: Any, path: str = DOMAINS) -> List[dict]:
    return [e for e in sandbox.journal() if e["method"] == "POST" and e["path"] == path]


def methods(sandbox: Any, method: str, path: Optional[str] = None) -> List[dict]:
    return [e for e in sandbox.journal() if e["method"] == method and (path is None or e["path"] == path)]


def charges(sandbox: Any, name: Optional[str] = None) -> List[dict]:
    return [e for e in sandbox.ledger() if name is None or e["domain_name"] == name]


def warnings_of(result: Dict[str, Any]) -> str:
    shown = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
    return "\n".join(shown)


def domain_task(task: str, **options: Any) -> dict:
    return {"name": task, "vpsorg.domains.vps_domain": options}


def transfer_task(task: str, name: str, **options: Any) -> dict:
    # The code comes from a variable, as the module docs advise: Ansible may print a failed task's source lines.
    return {
        "name": task,
        "vpsorg.domains.vps_domain_transfer": {"name": name, "auth_code": "{{ transfer_code }}", **options},
    }


CODE_VARS = {"transfer_code": CODE}


def seed_foreign(sandbox: Any, name: str, **fields: Any) -> dict:
    old = (datetime.now(timezone.utc) - timedelta(days=730)).strftime("%Y-%m-%dT%H:%M:%SZ")
    values = {"domain_name": name, "registrar": OTHER_REGISTRAR, "registration_date": old, "auth_code": CODE}
    values.update(locked=False, **fields)
    return sandbox.seed_domain(**values)


def stored_id(sandbox: Any, name: str) -> Any:
    status, _headers, body = sandbox.api("GET", "domains/", params={"search": name})
    assert status == 200, body
    [found] = [item["id"] for item in body["results"] if item["domain_name"] == name]
    return found


# -- looked up before any re-send -------------------------------------------------------------------------
def test_charge_then_429_registration_is_sent_once_and_charged_once(sandbox, run_playbook):
    sandbox.add_fault(method="POST", path_prefix=DOMAINS, status=429, retry_after=1, delay="after_commit")
    run = run_playbook([domain_task("Register", name="charged-then-limited.com", allow_registration=True)])
    result = run.result("Register")
    assert run.status("Register") == "changed", result
    assert result["domain"]["domain_name"] == "charged-then-limited.com"
    assert "took effect" in warnings_of(result)
    assert len(posts(sandbox)) == 1
    assert [(e["domain_name"], e["kind"]) for e in charges(sandbox)] == [("charged-then-limited.com", "registration")]


def test_429_without_effect_is_sent_again_once_the_look_up_shows_nothing(sandbox, run_playbook):
    sandbox.add_fault(method="POST", path_prefix=DOMAINS, status=429, retry_after=1)
    run = run_playbook([domain_task("Register", name="limited-only.com", allow_registration=True)])
    assert run.status("Register") == "changed", run.result("Register")
    assert len(posts(sandbox)) == 2
    assert len(charges(sandbox)) == 1


def test_charge_then_429_transfer_is_sent_once_and_its_cost_shown(sandbox, run_playbook):
    seed_foreign(sandbox, "limited-move.org")
    domain_id = stored_id(sandbox, "limited-move.org")
    path = f"{DOMAINS}{domain_id}/transfer/"
    sandbox.add_fault(method="POST", path_prefix=path, status=429, retry_after=1, delay="after_commit")
    run = run_playbook(play_vars=CODE_VARS, tasks=[transfer_task("Transfer", "limited-move.org")])
    result = run.result("Transfer")
    assert run.status("Transfer") == "changed", result
    assert len(posts(sandbox, path)) == 1
    assert len(charges(sandbox, "limited-move.org")) == 1
    # The API's answer was a 429, so the cost shown is the estimate, and says so.
    assert (result["transfer"]["cost"], result["transfer"]["cost_source"]) == (13.99, "estimate")
    assert CODE not in run.output


# -- answers are checked ---------------------------------------------------------------------------------------
def test_a_2xx_transfer_answer_that_is_not_a_success_fails_quoting_it(sandbox, run_playbook):
    answers = {
        "detail.org": {"detail": "Invalid auth code."},
        "nosuccess.org": {"success": False},
        "failedstatus.org": {"transfer_status": "failed", "message": "Rejected by the registry."},
    }
    tasks = []
    for name, body in answers.items():
        seed_foreign(sandbox, name)
        path = f"{DOMAINS}{stored_id(sandbox, name)}/transfer/"
        sandbox.add_fault(method="POST", path_prefix=path, status=200, body=body, delay="after_commit")
        tasks.append(transfer_task(name, name))
    sandbox.clear_journal()
    run = run_playbook(tasks, play_vars=CODE_VARS)
    for name in answers:
        result = run.result(name)
        assert run.status(name) == "failed", result
        assert "did not succeed" in result["msg"] and "the API answered {" in result["msg"], result["msg"]
        # The sandbox committed the transfer before answering: the look-up finds it, so it says so.
        assert "probably charged" in result["msg"], result["msg"]
        assert "unexpected error" not in result["msg"]
    assert len([e for e in sandbox.journal() if e["method"] == "POST"]) == 3
    assert len(charges(sandbox)) == 3
    assert CODE not in run.output


def test_a_201_registration_saying_failed_is_no_success(sandbox, run_playbook):
    body = {"id": 987654, "domain_name": "said-failed.com", "status": "failed", "total_cost": "12.99"}
    sandbox.add_fault(method="POST", path_prefix=DOMAINS, status=201, body=body, delay="after_commit")
    run = run_playbook([domain_task("Register", name="said-failed.com", allow_registration=True)])
    result = run.result("Register")
    assert run.status("Register") == "failed", result
    assert "status: failed" in result["msg"] and "probably charged" in result["msg"]
    assert len(posts(sandbox)) == 1


def test_an_ignored_put_warns_and_a_removal_is_not_sent_while_auto_renew_stays_on(sandbox, run_playbook):
    labs = stored_id(sandbox, "example-labs.io")
    path = f"{DOMAINS}{labs}/"
    # Answered 200 without storing anything: the answer shows the old value.
    old = {"id": labs, "domain_name": "example-labs.io", "status": "active", "auto_renew": True, "locked": True}
    sandbox.add_fault(method="PUT", path_prefix=path, status=200, body=old, count=2)
    run = run_playbook(
        [
            domain_task("Ignored", name="example-labs.io", auto_renew=False),
            domain_task("Remove", name="example-labs.io", state="absent", auto_renew=False),
        ]
    )
    ignored = run.result("Ignored")
    assert run.status("Ignored") == "changed", ignored
    assert "still shows auto_renew as True" in warnings_of(ignored)
    removal = run.result("Remove")
    assert run.status("Remove") == "failed", removal
    assert "was not removed" in removal["msg"]
    assert methods(sandbox, "DELETE") == []


# -- proven absent ---------------------------------------------------------------------------------------------
def test_a_name_stored_decomposed_is_found_before_paying(start_sandbox, run_playbook, sandbox):
    # The drf profile stores names as posted: "münchen.de" with a combining diaeresis, which no search matches.
    private = start_sandbox(profile="drf")
    private.seed_domain(domain_name="mu\u0308nchen.de")
    private.clear_journal()
    run = run_playbook([domain_task("Register", name="münchen.de", allow_registration=True, api_url=private.api_url)])
    result = run.result("Register")
    assert run.status("Register") == "ok", result
    assert [e["method"] for e in private.journal()].count("POST") == 0
    assert private.ledger() == []


# -- settings read leniently; a no-op stays a no-op --------------------------------------------------------------
def test_settings_in_other_shapes_send_no_put(sandbox, run_playbook):
    shop = stored_id(sandbox, "example-shop.com")
    quirky = {
        "id": shop,
        "domain_name": "example-shop.com",
        "status": "active",
        "auto_renew": "true",
        "privacy_protection": 1,
        "nameservers": "ns1.vps.org, ns2.vps.org",
        "expiration_date": "2030-01-01T00:00:00Z",
    }  # no "locked": read from the detail before anything is written
    sandbox.add_fault(
        method="GET", path_prefix=DOMAINS, status=200, body={"count": 1, "next": None, "results": [quirky]}, count=1
    )
    run = run_playbook(
        [
            domain_task(
                "Same",
                name="example-shop.com",
                auto_renew=True,
                privacy_protection=True,
                locked=True,
                nameservers=["ns2.vps.org", "ns1.vps.org"],
            )
        ]
    )
    assert run.status("Same") == "ok", run.result("Same")
    assert methods(sandbox, "PUT") == []
    assert methods(sandbox, "GET", f"{DOMAINS}{shop}/")  # the detail was read for "locked"


# -- duplicates refused the same way everywhere ------------------------------------------------------------
def test_one_name_held_by_several_ids_is_refused_everywhere(sandbox, run_playbook):
    duplicate = sandbox.seed_domain(domain_name="example-shop.com", locked=False)
    shop = stored_id(sandbox, "example-blog.net")  # any other domain, to show the others are still written
    run = run_playbook(
        [
            domain_task("One domain", name="example-shop.com", locked=True),
            {"name": "Portfolio", "vpsorg.domains.vps_portfolio": {"settings": {"locked": True}}},
        ]
    )
    one = run.result("One domain")
    assert run.status("One domain") == "failed"
    assert f"(ids 101, {duplicate['id']})" in one["msg"]
    portfolio = run.result("Portfolio")
    assert run.status("Portfolio") == "failed"
    found = [f for f in portfolio["findings"] if f["condition"] == "duplicate_name"]
    assert [(f["name"], f["ids"]) for f in found] == [("example-shop.com", [101, duplicate["id"]])]
    written = {e["path"] for e in methods(sandbox, "PUT")}
    assert f"{DOMAINS}101/" not in written and f"{DOMAINS}{duplicate['id']}/" not in written
    assert shop is not None


# -- overrides are one-time ------------------------------------------------------------------------------------
def test_restart_failed_left_in_a_nightly_job_never_buys_a_second_transfer(sandbox, run_playbook):
    seed_foreign(sandbox, "nightly.org")
    domain_id = stored_id(sandbox, "nightly.org")
    sandbox.patch_domain(domain_id, transfer_status="failed", transfer_failure_reason="Rejected.")
    refused = run_playbook(play_vars=CODE_VARS, tasks=[transfer_task("Nightly", "nightly.org", restart_failed=True)])
    attempt = refused.result("Nightly")["transfer"]["attempt"]
    assert attempt and refused.status("Nightly") == "failed"
    decided = run_playbook(
        play_vars=CODE_VARS,
        tasks=[transfer_task("Nightly", "nightly.org", restart_failed=True, override_attempt=attempt)],
    )
    assert decided.status("Nightly") == "changed", decided.result("Nightly")
    # The restarted transfer fails again (a new attempt, a new date); the unchanged nightly task runs again.
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sandbox.patch_domain(domain_id, transfer_status="failed", transfer_initiated_at=later)
    again = run_playbook(
        play_vars=CODE_VARS,
        tasks=[transfer_task("Nightly", "nightly.org", restart_failed=True, override_attempt=attempt)],
    )
    result = again.result("Nightly")
    assert again.status("Nightly") == "failed", result
    assert "failed again" in result["msg"] and "nothing was sent" in result["msg"]
    assert len(posts(sandbox, f"{DOMAINS}{domain_id}/transfer/")) == 1
    assert len(charges(sandbox, "nightly.org")) == 1


# -- budgets: the API's total_cost after the POST --------------------------------------------------------------
def test_a_charge_above_the_estimate_is_reported(sandbox, run_playbook):
    run = run_playbook(
        [domain_task("Register", name="dearer.com", allow_registration=True, prices={"com": 1.0}, max_cost=5)]
    )
    result = run.result("Register")
    assert run.status("Register") == "changed", result
    assert result["registration"]["estimated_cost"] == 1.0
    assert result["registration"]["total_cost"] == 12.99
    assert "more than the estimated 1.00 USD" in result["registration"]["cost_note"]
    assert "was charged 12.99 USD" in warnings_of(result)
    assert len(charges(sandbox)) == 1


def test_the_portfolio_registers_through_the_same_path_charge_then_429_once(sandbox, run_playbook):
    sandbox.add_fault(method="POST", path_prefix=DOMAINS, status=429, retry_after=1, delay="after_commit")
    run = run_playbook(
        [
            {
                "name": "Portfolio",
                "vpsorg.domains.vps_portfolio": {
                    "settings": {"auto_renew": True},
                    "domains": [{"name": "portfolio-limited.com"}, {"name": "portfolio-plain.com"}],
                    "register_missing": True,
                    "max_spend": 100,
                },
            }
        ],
        diff=True,
    )
    result = run.result("Portfolio")
    assert run.status("Portfolio") == "changed", result
    registered = {c["name"]: c for c in result["changes"] if c["action"] == "register"}
    assert sorted(registered) == ["portfolio-limited.com", "portfolio-plain.com"]
    assert all(change["error"] is None for change in registered.values())
    sent = sorted(e["body"]["domain_name"] for e in posts(sandbox))
    assert sent == ["portfolio-limited.com", "portfolio-plain.com"]  # one POST each, never two
    assert sorted(e["domain_name"] for e in charges(sandbox)) == sent
    assert "took effect" in warnings_of(result)
