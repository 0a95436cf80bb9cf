# SPDX-License-Identifier: GPL-3.0-or-later
"""vps_domain against the sandbox: arguments, check mode, updates, registration, removal, errors, retries."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest

MODULE = "vpsorg.domains.vps_domain"
INFO = "vpsorg.domains.vps_domain_info"
DOMAINS_PATH = "/api/v1/domains/"
TAKEN_MESSAGE = "taken; to transfer it in, add it to the account in the VPS.org panel, then use vps_domain_transfer"


# -- helpers ------------------------------------------------------------------------------------------------
def task(title: str, module: str = MODULE, /, *, check_mode: Optional[bool] = None, **options: Any) -> dict:
    entry: Dict[str, Any] = {"name": title, module: options}
    if check_mode is not None:
        entry["check_mode"] = check_mode
    return entry


def requests(sandbox) -> List[tuple]:
    """The journal as (method, path, query, body) tuples, oldest first."""
    return [(e["method"], e["path"], e["query"] or {}, e["body"]) for e in sandbox.journal()]


def search(name: str) -> tuple:
    return ("GET", DOMAINS_PATH, {"search": name}, None)


# The whole account list, read when the searches find nothing, before anything is paid (proven absent).
LIST_ALL = ("GET", DOMAINS_PATH, {}, None)


def writes(sandbox) -> List[tuple]:
    return [entry for entry in requests(sandbox) if entry[0] != "GET"]


def domain_id(sandbox, name: str) -> int:
    status, _headers, body = sandbox.api("GET", "domains/", params={"search": name})
    assert status == 200, body
    ids = [item["id"] for item in body["results"] if item["domain_name"] == name]
    assert len(ids) == 1, body
    return ids[0]


def stored(sandbox, domain: int) -> Optional[dict]:
    status, _headers, body = sandbox.api("GET", f"domains/{domain}/")
    return body if status == 200 else None


def assert_failed(run, task_name: str, *fragments: str) -> dict:
    result = run.result(task_name)
    assert run.status(task_name) == "failed", result
    for fragment in fragments:
        assert fragment in result["msg"], result["msg"]
    return result


# -- the hcloud order: check mode, change, no change, update --------------------------------------------------
@pytest.mark.api_shape
def test_check_change_rerun_update(run_playbook, sandbox):
    run = run_playbook(
        [
            task("Check", name="example-shop.com", check_mode=True, locked=False, auto_renew=True),
            task("Change", name="example-shop.com", locked=False, auto_renew=True),
            task("Again", name="example-shop.com", locked=False, auto_renew=True),
            task(
                "Same nameservers in another order and case",
                name="EXAMPLE-SHOP.com.",
                nameservers=["NS2.vps.org.", "ns1.vps.org"],
            ),
            task(
                "Update check", name="example-shop.com", check_mode=True, nameservers=["ns1.a.example", "ns2.a.example"]
            ),
            task("Update", name="example-shop.com", nameservers=["ns1.a.example", "ns2.a.example"], locked=False),
        ],
        diff=True,
    )
    check = run.result("Check")
    assert run.status("Check") == "changed"
    assert check["domain"]["locked"] is False
    assert "locked: true\n" in check["diff"]["before"]
    assert "locked: false\n" in check["diff"]["after"]
    assert check["diff"]["before_header"] == check["diff"]["after_header"] == "example-shop.com"

    change = run.result("Change")
    assert run.status("Change") == "changed"
    assert change["domain"]["locked"] is False
    # Fields the update answer lacks survive from the list object read before it.
    assert change["domain"]["expiration_date"]
    assert change["domain"]["registration_date"]
    assert "message" not in change["domain"]
    assert change["diff"] == check["diff"]

    assert run.status("Again") == "ok"
    assert run.status("Same nameservers in another order and case") == "ok"
    assert run.status("Update check") == "changed"
    assert run.result("Update check")["domain"]["nameservers"] == ["ns1.a.example", "ns2.a.example"]
    update = run.result("Update")
    assert run.status("Update") == "changed"
    assert update["domain"]["nameservers"] == ["ns1.a.example", "ns2.a.example"]
    assert "nameservers:\n  - ns1.vps.org\n  - ns2.vps.org\n" in update["diff"]["before"]

    # Check mode wrote nothing, the change sent one PUT with the changed field only, a run without change
    # sent exactly one request, and the update sent only the nameservers.
    assert requests(sandbox) == [
        search("example-shop.com"),
        search("example-shop.com"),
        ("PUT", f"{DOMAINS_PATH}101/", {}, {"locked": False}),
        search("example-shop.com"),
        search("example-shop.com"),
        search("example-shop.com"),
        search("example-shop.com"),
        ("PUT", f"{DOMAINS_PATH}101/", {}, {"nameservers": ["ns1.a.example", "ns2.a.example"]}),
    ]
    assert stored(sandbox, 101)["nameservers"] == ["ns1.a.example", "ns2.a.example"]


@pytest.mark.api_shape
def test_whole_playbook_in_check_mode_writes_nothing(run_playbook, sandbox):
    run = run_playbook(
        [
            task("Update", name="example-labs.io", auto_renew=False, privacy_protection=False),
            task("Register", name="check-only-shop.com", allow_registration=True, years=3, locked=True),
            task("Remove", name="example-blog.net", state="absent"),
        ],
        check=True,
    )
    assert run.status("Update") == "changed"
    assert run.result("Update")["domain"]["privacy_protection"] is False
    register = run.result("Register")
    assert run.status("Register") == "changed"
    assert register["domain"]["id"] is None
    assert register["domain"]["domain_name"] == "check-only-shop.com"
    assert register["domain"]["locked"] is True
    # Check mode shows only the estimate: nothing was charged.
    assert register["registration"] == {"estimated_cost": 38.97}
    assert run.status("Remove") == "changed"
    assert writes(sandbox) == []
    assert sandbox.ledger() == []


# -- registration -------------------------------------------------------------------------------------------
@pytest.mark.api_shape
def test_registration_needs_allow_registration(run_playbook, sandbox):
    run = run_playbook(
        [
            task("Refused", name="fresh-shop.com", locked=True),
            task("Refused explicitly", name="fresh-shop.com", allow_registration=False),
            task(
                "Check",
                name="fresh-shop.com",
                check_mode=True,
                allow_registration=True,
                nameservers=["a.ns.example", "b.ns.example"],
            ),
        ],
        diff=True,
    )
    for name in ("Refused", "Refused explicitly"):
        result = assert_failed(run, name, "fresh-shop.com is not in the account", "allow_registration: true")
        assert not result.get("changed")
    check = run.result("Check")
    assert run.status("Check") == "changed"
    assert check["domain"]["id"] is None
    assert check["domain"]["status"] == "pending"
    assert check["domain"]["nameservers"] == ["a.ns.example", "b.ns.example"]
    # The diff names the domain and the estimated cost of the registration it would pay for.
    assert check["diff"]["before"] == ""
    assert check["diff"]["after_header"] == "fresh-shop.com (registration, estimated 12.99 USD)"
    assert "domain_name: fresh-shop.com\n" in check["diff"]["after"]
    assert requests(sandbox) == [search("fresh-shop.com"), LIST_ALL] * 3
    assert sandbox.ledger() == []


@pytest.mark.api_shape
def test_registration_wait_then_nothing_to_change(run_playbook, sandbox):
    options = {"name": "fresh-shop.com", "allow_registration": True, "years": 2, "locked": False, "wait": True}
    run = run_playbook(
        [
            task("Register", **options, wait_timeout=60),
            task("Again", **options),
        ]
    )
    register = run.result("Register")
    assert run.status("Register") == "changed", register
    assert register["registration"]["total_cost"] == 25.98
    assert register["registration"]["message"]
    domain = register["domain"]
    assert domain["status"] == "active"
    assert domain["domain_name"] == "fresh-shop.com"
    assert domain["locked"] is False
    # The detail read while waiting is merged in.
    assert domain["registrar"] == "VPS.org"
    assert "total_cost" not in domain
    new_id = domain["id"]

    assert run.status("Again") == "ok"
    assert "registration" not in run.result("Again")

    journal = requests(sandbox)
    assert journal[:2] == [search("fresh-shop.com"), LIST_ALL]
    assert journal[2] == ("POST", DOMAINS_PATH, {}, {"domain_name": "fresh-shop.com", "years": 2})
    # The registration locks the domain; the task asked for it unlocked, so one update follows.
    assert journal[3] == ("PUT", f"{DOMAINS_PATH}{new_id}/", {}, {"locked": False})
    polls = journal[4:-1]
    assert polls
    assert all(entry == ("GET", f"{DOMAINS_PATH}{new_id}/", {}, None) for entry in polls)
    assert journal[-1] == search("fresh-shop.com")

    ledger = sandbox.ledger()
    assert [(e["domain_name"], e["kind"], e["amount"], e["account"]) for e in ledger] == [
        ("fresh-shop.com", "registration", 25.98, "demo")
    ]
    assert stored(sandbox, new_id)["locked"] is False


@pytest.mark.api_shape
def test_registration_with_settings_in_the_post_needs_no_update(run_playbook, sandbox):
    run = run_playbook(
        [
            task(
                "Register",
                name="fresh-labs.io",
                allow_registration=True,
                auto_renew=False,
                privacy_protection=False,
                nameservers=["ns2.a.example", "ns1.a.example"],
                locked=True,
            )
        ]
    )
    register = run.result("Register")
    assert run.status("Register") == "changed", register
    assert register["registration"]["total_cost"] == 39.99
    assert register["domain"]["status"] == "pending"
    assert writes(sandbox) == [
        (
            "POST",
            DOMAINS_PATH,
            {},
            {
                "domain_name": "fresh-labs.io",
                "auto_renew": False,
                "privacy_protection": False,
                "nameservers": ["ns1.a.example", "ns2.a.example"],
            },
        )
    ]


@pytest.mark.api_shape
def test_idn_name_is_registered_as_punycode(run_playbook, sandbox):
    run = run_playbook(
        [
            task("Register", name="bücher-test.com", allow_registration=True),
            task("Again in another spelling", name="BÜCHER-Test.com.", auto_renew=True),
            task("Read", INFO, name="Bücher-test.com"),
        ]
    )
    register = run.result("Register")
    assert run.status("Register") == "changed", register
    assert register["domain"]["domain_name"] == "xn--bcher-test-9db.com"
    assert run.status("Again in another spelling") == "ok"
    assert [d["domain_name"] for d in run.result("Read")["domains"]] == ["xn--bcher-test-9db.com"]
    posts = [entry for entry in writes(sandbox) if entry[0] == "POST"]
    assert posts == [("POST", DOMAINS_PATH, {}, {"domain_name": "xn--bcher-test-9db.com"})]
    assert [e["domain_name"] for e in sandbox.ledger()] == ["xn--bcher-test-9db.com"]


@pytest.mark.api_shape
def test_taken_name_fails_with_the_transfer_hint(run_playbook, sandbox):
    run = run_playbook([task("Taken", name="google.com", allow_registration=True)])
    result = assert_failed(run, "Taken", f"google.com is {TAKEN_MESSAGE}")
    assert result["failure"]["status"] == 400
    assert not result.get("changed")
    # One POST, then one lookup that did not find it in the account; never a second POST.
    assert requests(sandbox) == [
        search("google.com"),
        LIST_ALL,
        ("POST", DOMAINS_PATH, {}, {"domain_name": "google.com"}),
        search("google.com"),
        LIST_ALL,
    ]
    assert sandbox.ledger() == []


@pytest.mark.api_shape
def test_insufficient_balance(run_playbook, sandbox):
    sandbox.add_account("low", "low-balance-token", "5.00")
    run = run_playbook(
        [task("Register", name="fresh-shop.com", allow_registration=True, api_token="low-balance-token")]
    )
    result = assert_failed(run, "Register", "Insufficient balance")
    assert "402" in result["msg"] or "balance" in result["msg"].lower()
    assert result["failure"]["status"] == 402
    assert result["failure"]["method"] == "POST"
    assert [e["method"] for e in sandbox.journal()] == ["GET", "GET", "POST"]
    assert sandbox.ledger() == []


@pytest.mark.api_shape
def test_wait_timeout_after_registration_fails_as_changed(run_playbook, sandbox):
    sandbox.configure(activation_delay=60)
    run = run_playbook(
        [task("Register", name="slow-shop.com", allow_registration=True, wait=True, wait_timeout=2, locked=True)]
    )
    result = assert_failed(run, "Register", "still pending after 2 seconds")
    assert result["changed"] is True
    assert result["registration"]["total_cost"] == 12.99
    assert result["domain"]["domain_name"] == "slow-shop.com"
    assert result["domain"]["id"]
    assert len(sandbox.ledger()) == 1


def test_wait_for_a_domain_already_pending(run_playbook, sandbox):
    # Seeded pending without an activation time, so it stays pending whatever the timing.
    pending = sandbox.seed_domain(domain_name="pending-shop.com", status="pending")
    run = run_playbook(
        [
            task("Check mode does not wait", name="pending-shop.com", check_mode=True, wait=True),
            task("Wait", name="pending-shop.com", wait=True, wait_timeout=2),
        ]
    )
    assert run.status("Check mode does not wait") == "ok"
    assert run.result("Check mode does not wait")["domain"]["status"] == "pending"
    result = assert_failed(run, "Wait", "pending-shop.com is still pending after 2 seconds", "wait_timeout")
    # Nothing was changed: waiting alone is no change.
    assert not result.get("changed")
    assert result["domain"]["id"] == pending["id"]
    journal = requests(sandbox)
    assert journal[:2] == [search("pending-shop.com")] * 2
    polls = journal[2:]
    assert polls
    assert all(entry == ("GET", f"{DOMAINS_PATH}{pending['id']}/", {}, None) for entry in polls)


@pytest.mark.api_shape
def test_failed_follow_up_update_after_registration_fails_as_changed(run_playbook, sandbox):
    sandbox.add_fault(method="PUT", path_prefix=DOMAINS_PATH, count=1, status=400, body={"locked": ["Not now."]})
    run = run_playbook([task("Register", name="fresh-shop.com", allow_registration=True, locked=False)])
    result = assert_failed(run, "Register", "fresh-shop.com was registered, but setting locked afterwards failed")
    assert result["changed"] is True
    assert result["registration"]["total_cost"] == 12.99
    assert result["domain"]["domain_name"] == "fresh-shop.com"
    assert result["failure"]["status"] == 400
    assert [e["method"] for e in sandbox.journal()] == ["GET", "GET", "POST", "PUT"]


def test_several_ids_for_one_name(run_playbook, sandbox):
    duplicate = sandbox.seed_domain(domain_name="example-shop.com", auto_renew=True)
    run = run_playbook(
        [
            task("Present", name="example-shop.com", auto_renew=False),
            task("Absent", name="example-shop.com", state="absent", auto_renew=False),
        ]
    )
    for name in ("Present", "Absent"):
        assert_failed(run, name, "example-shop.com matches several domains", f"ids 101, {duplicate['id']}")
    assert writes(sandbox) == []


# -- removal ------------------------------------------------------------------------------------------------
def test_absent_rules(run_playbook, sandbox):
    pending = sandbox.seed_domain(domain_name="pending-shop.com", status="pending", auto_renew=False)
    moving = sandbox.seed_domain(
        domain_name="moving-shop.com", registrar="Other Registrar Inc.", transfer_status="pending", auto_renew=False
    )
    shop, blog, labs = (
        domain_id(sandbox, name) for name in ("example-shop.com", "example-blog.net", "example-labs.io")
    )
    run = run_playbook(
        [
            task("Auto-renew on, no decision", name="example-shop.com", state="absent"),
            task("Pending", name="pending-shop.com", state="absent", auto_renew=False),
            task("Transfer under way", name="moving-shop.com", state="absent", auto_renew=False),
            task("Check mode", name="example-blog.net", state="absent", check_mode=True),
            task("Turn auto-renew off, then remove", name="example-labs.io", state="absent", auto_renew=False),
            task("Remove while it keeps renewing", name="example-shop.com", state="absent", auto_renew=True),
            task("Auto-renew already off", name="example-blog.net", state="absent"),
            task("Not in the account", name="example-labs.io", state="absent", auto_renew=False),
        ],
        diff=True,
    )
    result = assert_failed(
        run,
        "Auto-renew on, no decision",
        "example-shop.com has auto-renew on",
        "does not cancel the registration",
        "auto_renew: false",
        "auto_renew: true",
    )
    assert not result.get("changed")
    assert_failed(run, "Pending", "pending-shop.com is pending")
    assert_failed(run, "Transfer under way", "moving-shop.com has a transfer to VPS.org under way")
    assert run.status("Check mode") == "changed"
    labs_result = run.result("Turn auto-renew off, then remove")
    assert run.status("Turn auto-renew off, then remove") == "changed"
    assert labs_result["domain"]["auto_renew"] is False
    assert labs_result["domain"]["id"] == labs
    assert labs_result["diff"]["after"] == ""
    assert "auto_renew: true\n" in labs_result["diff"]["before"]
    assert labs_result["diff"]["after_header"].endswith("(removed from the account)")
    assert run.status("Remove while it keeps renewing") == "changed"
    assert run.status("Auto-renew already off") == "changed"
    not_there = run.result("Not in the account")
    assert run.status("Not in the account") == "ok"
    assert not_there["domain"] is None

    assert writes(sandbox) == [
        ("PUT", f"{DOMAINS_PATH}{labs}/", {}, {"auto_renew": False}),
        ("DELETE", f"{DOMAINS_PATH}{labs}/", {}, None),
        ("DELETE", f"{DOMAINS_PATH}{shop}/", {}, None),
        ("DELETE", f"{DOMAINS_PATH}{blog}/", {}, None),
    ]
    # The refusals read no more than they needed: the pending domain not even its detail.
    details = [entry[1] for entry in requests(sandbox) if entry[0] == "GET" and entry[1] != DOMAINS_PATH]
    assert f"{DOMAINS_PATH}{pending['id']}/" not in details
    assert f"{DOMAINS_PATH}{moving['id']}/" in details
    assert f"{DOMAINS_PATH}{shop}/" in details
    assert stored(sandbox, pending["id"]) is not None
    assert stored(sandbox, moving["id"]) is not None
    assert stored(sandbox, labs) is None


# -- connection and errors ------------------------------------------------------------------------------------
@pytest.mark.api_shape
def test_environment_credentials(run_playbook, sandbox):
    env = {"VPSORG_API_URL": sandbox.api_url, "VPSORG_API_TOKEN": sandbox.token, "VPSORG_API_TIMEOUT": "10"}
    run = run_playbook(
        [task("Update", name="example-blog.net", auto_renew=True), task("Read", INFO, name="example-blog.net")],
        connection_defaults=False,
        env=env,
    )
    assert run.status("Update") == "changed"
    assert run.result("Read")["domains"][0]["auto_renew"] is True
    journal = sandbox.journal()
    assert {entry["account"] for entry in journal} == {"demo"}
    assert all(entry["user_agent"].startswith("vpsorg.domains/") for entry in journal)
    assert sandbox.token not in run.output


@pytest.mark.api_shape
def test_module_defaults_group_reaches_both_modules(run_playbook, sandbox):
    # The harness sets the connection only through module_defaults: group/vpsorg.domains.all.
    run = run_playbook([task("Domain", name="example-labs.io"), task("Info", INFO, name="example-labs.io")])
    assert run.status("Domain") == "ok"
    assert run.status("Info") == "ok"
    assert len(sandbox.journal()) == 3


@pytest.mark.api_shape
def test_wrong_token(run_playbook, sandbox):
    # From the environment, so that the playbook source (which Ansible quotes around a failed task) lacks it.
    run = run_playbook(
        [task("Domain", name="example-shop.com"), task("Info", INFO)],
        connection_defaults=False,
        env={"VPSORG_API_URL": sandbox.api_url, "VPSORG_API_TOKEN": "wrong-token-7f3a9"},
    )
    for name in ("Domain", "Info"):
        result = assert_failed(run, name, "401")
        assert "token" in result["msg"].lower()
        assert result["failure"]["status"] == 401
    assert "wrong-token-7f3a9" not in run.output
    assert "wrong-token-7f3a9" not in json.dumps(run.results)
    assert [e["status"] for e in sandbox.journal()] == [401, 401]


@pytest.mark.api_shape
def test_not_found(run_playbook, sandbox):
    # The domain disappears between the lookup and the update.
    sandbox.add_fault(
        method="PUT", path_prefix=f"{DOMAINS_PATH}101/", count=1, status=404, body={"detail": "Not found."}
    )
    run = run_playbook(
        [
            task("Gone meanwhile", name="example-shop.com", locked=False),
            task("Wrong API path", INFO, api_url=f"{sandbox.root_url}/api/v9"),
        ]
    )
    result = assert_failed(run, "Gone meanwhile", "404", "Not found")
    assert result["failure"] == {
        "status": 404,
        "method": "PUT",
        "path": f"{DOMAINS_PATH}101/",
        "detail": "Not found.",
        "field_errors": {},
    }
    result = assert_failed(run, "Wrong API path", "404")
    assert result["failure"]["status"] == 404
    assert [e["fault"] is not None for e in sandbox.journal() if e["method"] == "PUT"] == [True]


@pytest.mark.api_shape
def test_429_and_503_on_reads_are_retried(run_playbook, sandbox):
    sandbox.add_fault(method="GET", path_prefix=DOMAINS_PATH, count=1, status=429, retry_after=1)
    sandbox.add_fault(method="GET", path_prefix=DOMAINS_PATH, count=1, status=503)
    run = run_playbook([task("Read with faults", name="example-shop.com", locked=True)])
    assert run.status("Read with faults") == "ok", run.result("Read with faults")
    journal = sandbox.journal()
    assert [(e["method"], e["status"]) for e in journal] == [("GET", 429), ("GET", 503), ("GET", 200)]
    assert journal[0]["fault"] and journal[1]["fault"]
    assert journal[2]["fault"] is None
    assert all(fault["count"] == 0 for fault in sandbox.faults()) or sandbox.faults() == []


@pytest.mark.api_shape
def test_unclear_registration_is_looked_up_not_sent_again(run_playbook, sandbox):
    # The server commits the registration but the answer never arrives.
    sandbox.add_fault(method="POST", path_prefix=DOMAINS_PATH, count=1, drop="after_commit")
    run = run_playbook([task("Register", name="fresh-shop.com", allow_registration=True, api_timeout=5)])
    result = run.result("Register")
    assert run.status("Register") == "changed", result
    assert result["domain"]["domain_name"] == "fresh-shop.com"
    assert result["registration"]["total_cost"] is None
    posts = [e for e in sandbox.journal() if e["method"] == "POST"]
    assert len(posts) == 1
    assert posts[0]["fault"]
    assert len(sandbox.ledger()) == 1


@pytest.mark.api_shape
def test_unclear_registration_not_found_says_outcome_unknown(run_playbook, sandbox):
    sandbox.add_fault(method="POST", path_prefix=DOMAINS_PATH, count=1, drop="before_commit")
    run = run_playbook([task("Register", name="fresh-shop.com", allow_registration=True, api_timeout=2)])
    result = assert_failed(run, "Register", "outcome unknown: check the account before running again")
    assert not result.get("changed")
    assert [e["method"] for e in sandbox.journal()].count("POST") == 1
    assert sandbox.ledger() == []
