# SPDX-License-Identifier: GPL-3.0-or-later
"""Bulk inbound transfers through vps_portfolio against the sandbox: real ansible-playbook, journal and ledger.

A mixed list (eligible, too young, already here, pending, failed, missing, bad code, near expiry, unknown price
under a budget) reports the states of the design's table; every check runs before the first POST; each domain
is paid at most once across runs and under faults; the policy lands on a transfer in the run that first sees it
completed; the auth codes appear in no output.
"""

from __future__ import annotations

import contextlib
import os
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest

# Dates, money and error answers everywhere: run under the drf profile too.
pytestmark = pytest.mark.api_shape

TASK = "Bring the domains in"
OTHER = "Other Registrar Inc."
CODES = {
    "eligible.com": "EPP-ELIG-1111",
    "eligible-two.net": "EPP-ELIG-2222",
    "young.com": "EPP-YOUNG-333",
    "example-shop.com": "EPP-HERE-4444",
    "pending-move.org": "EPP-PEND-5555",
    "failed-move.org": "EPP-FAIL-6666",
    "not-added.com": "EPP-MISS-7777",
    "bad-code.com": "abc",
    "near-expiry.com": "EPP-NEAR-8888",
    "unpriced.shop": "EPP-SHOP-9999",
}
WRITES = ("POST", "PUT", "DELETE")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def days_from_now(days: float) -> str:
    return _iso(datetime.now(timezone.utc) + timedelta(days=days))


def seed_foreign(sandbox: Any, name: str, **fields: Any) -> dict:
    values = {
        "domain_name": name,
        "registrar": OTHER,
        "registration_date": days_from_now(-730),
        "auth_code": CODES.get(name, "EPP-DEFAULT-00"),
        "locked": False,
    }
    values.update(fields)
    return sandbox.seed_domain(**values)


def seed_mixed(sandbox: Any) -> None:
    seed_foreign(sandbox, "eligible.com")
    seed_foreign(sandbox, "eligible-two.net")
    seed_foreign(sandbox, "young.com", registration_date=days_from_now(-20))
    seed_foreign(sandbox, "pending-move.org", transfer_status="pending", transfer_initiated_at=days_from_now(-20))
    seed_foreign(
        sandbox,
        "failed-move.org",
        transfer_status="failed",
        transfer_initiated_at=days_from_now(-9),
        transfer_failure_reason="The losing registrar refused the transfer.",
    )
    seed_foreign(sandbox, "bad-code.com")
    seed_foreign(sandbox, "near-expiry.com", expiration_date=days_from_now(10))
    seed_foreign(sandbox, "unpriced.shop")


def transfers_var(names: List[str]) -> List[Dict[str, str]]:
    return [{"name": name, "auth_code": CODES[name]} for name in names]


def portfolio_task(**options: Any) -> dict:
    # The codes come from a variable: Ansible may print a failed task's source lines.
    return {"name": TASK, "vpsorg.domains.vps_portfolio": {"transfers": "{{ moving }}", **options}}


def states(result: Dict[str, Any]) -> Dict[str, str]:
    return {entry["name"]: entry["state"] for entry in result["transfers"]}


def by_name(result: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {entry["name"]: entry for entry in result["transfers"]}


def writes(sandbox: Any) -> List[dict]:
    return [entry for entry in sandbox.journal() if entry["method"] in WRITES]


def transfer_posts(sandbox: Any) -> List[dict]:
    return [e for e in sandbox.journal() if e["method"] == "POST" and e["path"].endswith("/transfer/")]


def charges(sandbox: Any) -> Dict[str, int]:
    counted: Dict[str, int] = {}
    for entry in sandbox.ledger():
        counted[entry["domain_name"]] = counted.get(entry["domain_name"], 0) + 1
    return counted


# /proc/net/tcp states: a connection the server holds open (ESTABLISHED, SYN_RECV) or whose client has gone but
# whose request thread has not finished with it (CLOSE_WAIT).
_OPEN_TCP_STATES = {"01", "03", "08"}


def open_connections(port: int) -> int:
    """The TCP connections the local server on `port` still holds open (read from /proc/net/tcp and tcp6)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] in _OPEN_TCP_STATES:
                    count += 1
    return count


def descendants(root: int) -> List[int]:
    """The ids of every process under `root` (read from /proc), children before grandchildren."""
    parents: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found: List[int] = []
    level = [root]
    while level:
        level = [pid for pid, parent in parents.items() if parent in level]
        found.extend(level)
    return found


def no_code_in(run: Any) -> None:
    for code in CODES.values():
        if len(code) >= 6:
            assert code not in run.output, f"an auth code appears in the output ({code[:4]}...)"


MIXED = list(CODES)
EXPECTED = {
    "bad-code.com": "refused",
    "example-shop.com": "completed",
    "failed-move.org": "failed",
    "near-expiry.com": "refused",
    "not-added.com": "missing",
    "pending-move.org": "pending",
    "unpriced.shop": "refused",
    "young.com": "refused",
}


@pytest.mark.parametrize("list_shows_state", [False, True], ids=["detail-read", "list-tells"])
def test_check_mode_reports_every_state_and_sends_nothing(sandbox, run_playbook, list_shows_state):
    seed_mixed(sandbox)
    # The documented list object does not tell the transfer state, so the listed domains' details are read;
    # an API whose list objects carry it costs no detail read at all, and the outcome is the same.
    sandbox.configure(list_transfer_state=list_shows_state)
    sandbox.clear_journal()
    run = run_playbook(
        [portfolio_task(settings={"locked": True}, domains=[], max_spend=500)],
        play_vars={"moving": transfers_var(MIXED)},
        check=True,
        diff=True,
    )
    result = run.result(TASK)
    # A listed domain missing from the account fails the run at the end, after the whole report.
    assert run.status(TASK) == "failed", result
    assert "not-added.com: listed in transfers but not in the account" in result["msg"]
    assert states(result) == dict(EXPECTED, **{"eligible.com": "would_start", "eligible-two.net": "would_start"})
    assert [entry["name"] for entry in result["transfers"]] == sorted(MIXED)
    entries = by_name(result)
    assert entries["young.com"]["detail"].startswith("60-day rule:")
    assert entries["bad-code.com"]["detail"].startswith("auth code:")
    assert "shorter than 6 characters" in entries["bad-code.com"]["detail"]
    assert entries["near-expiry.com"]["detail"].startswith("expiry:")
    assert "renew it at the current registrar first" in entries["near-expiry.com"]["detail"]
    assert entries["unpriced.shop"]["detail"].startswith("price:")
    assert "The losing registrar refused the transfer; to start a new one" in entries["failed-move.org"]["detail"]
    assert "restart_failed_transfers" in entries["failed-move.org"]["detail"]
    assert entries["pending-move.org"]["days_pending"] == 20
    assert entries["eligible.com"]["estimated_cost"] == 12.99
    assert entries["eligible-two.net"]["estimated_cost"] == 14.99
    assert result["summary"]["transfers"] == {
        "missing": 1,
        "completed": 1,
        "pending": 1,
        "failed": 1,
        "started": 0,
        "would_start": 2,
        "refused": 4,
    }
    assert result["summary"]["estimated_spend"] == 27.98
    stuck = [f for f in result["findings"] if f["condition"] == "pending_transfer_stuck"]
    assert [f["name"] for f in stuck] == ["pending-move.org"]
    # The completed domain gets the policy (in check mode: would), the others are left alone.
    assert [(c["name"], c["action"], c["estimated_cost"]) for c in result["changes"]] == [
        ("eligible-two.net", "transfer", 14.99),
        ("eligible.com", "transfer", 12.99),
    ]
    skipped = {item["name"]: item["reason"] for item in result["skipped_domains"]}
    assert skipped["young.com"] == "transfer refused"
    assert skipped["pending-move.org"] == "transfer pending"
    assert writes(sandbox) == []
    assert sandbox.ledger() == []
    details = sorted(e["path"] for e in sandbox.journal() if e["method"] == "GET" and e["path"] != "/api/v1/domains/")
    if list_shows_state:
        assert details == []
    else:
        # Every listed domain in the account, once each; none that is not listed.
        assert details == sorted(f"/api/v1/domains/{e['id']}/" for e in result["transfers"] if e["id"] is not None)
    no_code_in(run)


def test_real_run_starts_the_eligible_once_and_a_second_run_charges_nothing(sandbox, run_playbook):
    sandbox.configure(transfer_delay=600)
    seed_mixed(sandbox)
    sandbox.patch_domain(101, locked=False)  # example-shop.com, at VPS.org: the policy must lock it
    sandbox.clear_journal()
    tasks = [portfolio_task(settings={"locked": True}, domains=[], max_spend=500, concurrency=4)]
    first = run_playbook(tasks, play_vars={"moving": transfers_var(MIXED)})
    result = first.result(TASK)
    assert first.status(TASK) == "failed", result  # not-added.com is missing
    assert states(result) == dict(EXPECTED, **{"eligible.com": "started", "eligible-two.net": "started"})
    entries = by_name(result)
    assert entries["eligible.com"]["cost"] == 12.99
    assert entries["eligible.com"]["initiated_at"]
    assert entries["eligible.com"]["days_pending"] == 0
    assert result["summary"]["spent"] == 27.98
    assert charges(sandbox) == {"eligible.com": 1, "eligible-two.net": 1}
    # Left alone by the settings policy, each for the state the run left it in; a transfer's change is its state.
    skipped = {item["name"]: item["reason"] for item in result["skipped_domains"]}
    assert skipped["eligible.com"] == "transfer started" and skipped["pending-move.org"] == "transfer pending"
    moved = {c["name"]: (c["before"], c["after"]) for c in result["changes"] if c["action"] == "transfer"}
    assert moved["eligible.com"] == ({"transfer_status": None}, {"transfer_status": "pending"})
    assert sorted(e["path"] for e in transfer_posts(sandbox)) == sorted(
        f"/api/v1/domains/{entry['id']}/transfer/" for entry in result["transfers"] if entry["state"] == "started"
    )
    # The policy lands on the completed domain in the same run; nothing is written to the domains still moving.
    assert [(e["method"], e["path"], e["body"]) for e in writes(sandbox) if e["method"] == "PUT"] == [
        ("PUT", "/api/v1/domains/101/", {"locked": True})
    ]
    no_code_in(first)

    sandbox.clear_journal()
    second = run_playbook(tasks, play_vars={"moving": transfers_var(MIXED)})
    again = second.result(TASK)
    assert states(again) == dict(EXPECTED, **{"eligible.com": "pending", "eligible-two.net": "pending"})
    assert transfer_posts(sandbox) == []
    assert charges(sandbox) == {"eligible.com": 1, "eligible-two.net": 1}
    assert again["summary"]["spent"] == 0.0


def test_policy_lands_on_a_transfer_in_the_run_that_first_sees_it_completed(sandbox, run_playbook):
    sandbox.configure(transfer_delay=1)
    seed_foreign(sandbox, "eligible.com", auto_renew=False, privacy_protection=False)
    tasks = [portfolio_task(settings={"locked": True, "privacy_protection": True}, domains=[])]
    moving = {"moving": transfers_var(["eligible.com"])}
    first = run_playbook(tasks, play_vars=moving)
    assert states(first.result(TASK)) == {"eligible.com": "started"}, first.result(TASK)
    domain_id = first.result(TASK)["transfers"][0]["id"]
    # The transfer request carries auto_renew true (no policy for it); the settings wait for the completion.
    [post] = transfer_posts(sandbox)
    assert post["body"]["auto_renew"] is True
    assert [e for e in writes(sandbox) if e["method"] == "PUT"] == []
    deadline = time.monotonic() + 15
    while sandbox.api("GET", f"domains/{domain_id}/")[2]["transfer_status"] != "completed":
        assert time.monotonic() < deadline, "the sandbox's transfer did not complete"
        time.sleep(0.2)
    sandbox.clear_journal()
    second = run_playbook(tasks, play_vars=moving)
    result = second.result(TASK)
    assert second.status(TASK) == "changed", result
    assert states(result) == {"eligible.com": "completed"}
    assert [(e["path"], e["body"]) for e in writes(sandbox)] == [
        (f"/api/v1/domains/{domain_id}/", {"locked": True, "privacy_protection": True})
    ]
    assert len(sandbox.ledger()) == 1


def test_transfers_that_fail_later_and_stay_pending_are_reported_from_the_account(sandbox, run_playbook):
    sandbox.configure(transfer_delay=0.5)
    seed_foreign(sandbox, "eligible.com", transfer_outcome="fail", transfer_fail_reason="Wrong authorization code")
    seed_foreign(sandbox, "eligible-two.net", transfer_outcome="stay")
    moving = {"moving": transfers_var(["eligible.com", "eligible-two.net"])}
    first = run_playbook([portfolio_task(domains=[])], play_vars=moving)
    assert states(first.result(TASK)) == {"eligible.com": "started", "eligible-two.net": "started"}
    time.sleep(1.5)
    second = run_playbook([portfolio_task(domains=[])], play_vars=moving)
    result = second.result(TASK)
    assert states(result) == {"eligible.com": "failed", "eligible-two.net": "pending"}
    assert "Wrong authorization code" in by_name(result)["eligible.com"]["detail"]
    assert charges(sandbox) == {"eligible.com": 1, "eligible-two.net": 1}


def test_restart_failed_transfers_pays_for_the_named_attempt_once(sandbox, run_playbook):
    sandbox.configure(transfer_delay=0.5)
    seed_foreign(
        sandbox,
        "eligible.com",
        transfer_status="failed",
        transfer_initiated_at="2026-01-16T16:30:00Z",
        transfer_failure_reason="Wrong authorization code",
        transfer_outcome="fail",
    )
    # The attempt as the API writes its date (the drf profile writes another form of the same time).
    attempt = sandbox.api_time("2026-01-16T16:30:00Z")
    entry = {"name": "eligible.com", "auth_code": CODES["eligible.com"]}
    # Without naming the attempt, the option alone restarts nothing.
    run = run_playbook([portfolio_task(domains=[], restart_failed_transfers=True)], play_vars={"moving": [entry]})
    result = run.result(TASK)
    assert states(result) == {"eligible.com": "failed"}
    assert repr(attempt) in result["transfers"][0]["detail"]
    assert transfer_posts(sandbox) == []
    named = [dict(entry, override_attempt=attempt)]
    run = run_playbook([portfolio_task(domains=[], restart_failed_transfers=True)], play_vars={"moving": named})
    assert states(run.result(TASK)) == {"eligible.com": "started"}, run.result(TASK)
    time.sleep(1.5)  # the restarted transfer fails again (its stored outcome)
    run = run_playbook([portfolio_task(domains=[], restart_failed_transfers=True)], play_vars={"moving": named})
    result = run.result(TASK)
    assert states(result) == {"eligible.com": "failed"}, result
    detail = result["transfers"][0]["detail"]
    assert f"restart_failed_transfers was given for the attempt {attempt!r}" in detail
    assert "nothing was sent" in detail and "transfers[0].override_attempt" in detail
    assert len(transfer_posts(sandbox)) == 1
    assert charges(sandbox) == {"eligible.com": 1}


def test_a_sum_over_max_spend_fails_before_any_write_naming_domains_and_sum(sandbox, run_playbook):
    seed_foreign(sandbox, "eligible.com")
    seed_foreign(sandbox, "eligible-two.net")
    sandbox.patch_domain(101, locked=False)
    sandbox.clear_journal()
    run = run_playbook(
        [portfolio_task(settings={"locked": True}, domains=[], max_spend=27.97)],
        play_vars={"moving": transfers_var(["eligible.com", "eligible-two.net"])},
    )
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert result["msg"] == (
        "max_spend: the transfers and registrations of eligible-two.net, eligible.com are estimated at 27.98 USD "
        "together, more than max_spend 27.97 USD; nothing was sent"
    )
    assert writes(sandbox) == []
    assert sandbox.ledger() == []


@pytest.mark.parametrize(
    ("moving", "message"),
    [
        ([{"name": "eligible.com"}], "transfers[0].auth_code"),
        ([{"name": "eligible.com", "auth_code": "EPP-ELIG-1111", "code": "x"}], "code"),
        (
            [{"name": "eligible.com", "auth_code": "EPP-ELIG-1111"}, {"name": "ELIGIBLE.com.", "auth_code": "x"}],
            "transfers[1].name: eligible.com is listed twice (also transfers[0])",
        ),
        ([{"name": "not a name", "auth_code": "EPP-ELIG-1111"}], "transfers[0].name"),
    ],
)
def test_bad_transfers_fail_before_any_request_naming_the_entry(sandbox, run_playbook, moving, message):
    sandbox.clear_journal()
    run = run_playbook([portfolio_task(domains=[])], play_vars={"moving": moving})
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert message in result["msg"], result["msg"]
    assert "EPP-ELIG-1111" not in run.output
    assert sandbox.journal() == []


def test_charge_then_429_and_a_lost_answer_charge_once_per_domain(sandbox, run_playbook):
    sandbox.configure(transfer_delay=600)
    one = seed_foreign(sandbox, "eligible.com")
    two = seed_foreign(sandbox, "eligible-two.net")
    sandbox.add_fault(
        method="POST", path_prefix=f"/api/v1/domains/{one['id']}/transfer/", status=429, retry_after=1,
        delay="after_commit",
    )  # fmt: skip
    sandbox.add_fault(method="POST", path_prefix=f"/api/v1/domains/{two['id']}/transfer/", drop="after_commit")
    sandbox.clear_journal()
    run = run_playbook(
        [portfolio_task(domains=[], concurrency=2)],
        play_vars={"moving": transfers_var(["eligible.com", "eligible-two.net"])},
        verbosity=4,
    )
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    assert states(result) == {"eligible.com": "started", "eligible-two.net": "started"}
    assert len(transfer_posts(sandbox)) == 2
    assert charges(sandbox) == {"eligible.com": 1, "eligible-two.net": 1}
    # Both were looked up through the domain's transfer_status before anything was sent again.
    details = [e["path"] for e in sandbox.journal() if e["method"] == "GET" and e["path"] != "/api/v1/domains/"]
    assert f"/api/v1/domains/{one['id']}/" in details and f"/api/v1/domains/{two['id']}/" in details
    assert "it was not sent again" in " ".join(str(w) for w in result.get("warnings", []))
    no_code_in(run)
    second = run_playbook(
        [portfolio_task(domains=[])], play_vars={"moving": transfers_var(["eligible.com", "eligible-two.net"])}
    )
    assert states(second.result(TASK)) == {"eligible.com": "pending", "eligible-two.net": "pending"}
    assert charges(sandbox) == {"eligible.com": 1, "eligible-two.net": 1}


def test_codes_never_appear_at_any_verbosity_even_when_the_api_refuses(sandbox, run_playbook):
    # A wrong code is refused by the API (400): the detail quotes the API, never the code.
    seed_foreign(sandbox, "eligible.com", auth_code="EPP-SOMETHING-ELSE")
    seed_foreign(sandbox, "eligible-two.net")
    run = run_playbook(
        [portfolio_task(domains=[])],
        play_vars={"moving": transfers_var(["eligible.com", "eligible-two.net", "bad-code.com"])},
        verbosity=4,
        diff=True,
    )
    result = run.result(TASK)
    assert run.status(TASK) == "failed", result
    entries = by_name(result)
    assert entries["eligible.com"]["state"] == "refused"
    assert "Invalid authorization code" in entries["eligible.com"]["detail"]
    assert entries["eligible-two.net"]["state"] == "started"
    assert entries["bad-code.com"]["state"] == "missing"
    assert charges(sandbox) == {"eligible-two.net": 1}
    no_code_in(run)
    assert "abc" not in str(result["transfers"])


def test_the_role_reports_transfers_in_text_and_html_and_prints_no_code(sandbox, run_playbook, tmp_path):
    seed_mixed(sandbox)
    page = tmp_path / "moving.html"
    role = {
        "name": "Portfolio",
        "ansible.builtin.include_role": {"name": "vpsorg.domains.portfolio"},
        "vars": {
            "portfolio_domains": [],
            "portfolio_settings": {"locked": True},
            "portfolio_transfers": "{{ moving }}",
            "portfolio_max_spend": 500,
            "portfolio_report_html": str(page),
        },
    }
    run = run_playbook([role], play_vars={"moving": transfers_var(MIXED)}, check=True, verbosity=4)
    no_code_in(run)
    lines = next(r for r in reversed(run.results) if r["task"].endswith("Show the report"))["result"]["msg"]
    assert "Transfers in (10): 1 completed, 1 pending, 2 would start, 1 failed, 4 refused, 1 missing" in lines
    assert any(line.startswith("  pending-move.org: pending, 20 day(s) pending, ") for line in lines), lines
    assert any(line.startswith("  eligible.com: would_start, estimated 12.99 USD, ") for line in lines), lines
    assert not any(line.startswith("  example-shop.com:") and "would_start" in line for line in lines)
    assert "Spending: 27.98 USD estimated, 0.00 USD spent" in lines
    html = page.read_text(encoding="utf-8")
    assert "<h2>Transfers in (10)</h2>" in html
    assert "young.com" in html and "60-day rule" in html
    # The table lists the transfers not completed: the completed example-shop.com is counted, not listed.
    table = html.split("<h2>Transfers in (10)</h2>", 1)[1].split("<h2>", 1)[0]
    assert "example-shop.com" not in table
    assert not any(code in html for code in CODES.values() if len(code) >= 6)
    assert writes(sandbox) == []


def test_a_run_killed_while_posts_are_in_flight_is_resumed_by_running_it_again(sandbox, run_playbook, tmp_path):
    """SIGKILL of ansible-playbook once some POSTs reached the sandbox, then the same run again: one charge per
    domain, and every domain's true state."""
    import signal
    import subprocess
    import sys

    import yaml

    from tests.integration.conftest import BIN_DIR, base_environment

    sandbox.configure(transfer_delay=600)
    names = [f"moving-{index:02d}.com" for index in range(50)]
    codes = {name: f"EPP-KILL-{index:04d}" for index, name in enumerate(names)}
    sandbox.control(
        "POST",
        "domains",
        [
            {
                "domain_name": name,
                "registrar": OTHER,
                "registration_date": days_from_now(-400),
                "auth_code": codes[name],
                "locked": False,
            }
            for name in names
        ],
    )
    sandbox.configure(latency_ms=200)
    sandbox.clear_journal()
    play = {
        "name": "Bulk",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"moving": [{"name": name, "auth_code": codes[name]} for name in names]},
        "module_defaults": {"group/vpsorg.domains.all": {"api_url": sandbox.api_url, "api_token": sandbox.token}},
        "tasks": [portfolio_task(domains=[], concurrency=8)],
    }
    run_dir = tmp_path / "killed"
    run_dir.mkdir()
    playbook = run_dir / "playbook.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    process = subprocess.Popen(
        [str(BIN_DIR / "ansible-playbook"), "-i", "localhost,", str(playbook)],
        env=base_environment(run_dir),
        cwd=str(run_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        # The ledger, not the journal: reading the journal waits for the requests in flight to land.
        while len(sandbox.ledger()) < 5:
            assert process.poll() is None, "the run ended before it was killed"
            assert time.monotonic() < deadline, "no transfer request reached the sandbox"
            time.sleep(0.1)
        # ansible-playbook and every process under it (its worker starts a session of its own, and the module
        # runs under the worker), at once: nothing of the run survives to finish its requests.
        for pid in [process.pid, *descendants(process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    # A request the killed run sent just before it died may still be in the sandbox's socket buffer, its thread
    # not yet scheduled on a loaded machine: wait until the sandbox has closed every connection of the killed
    # run. Each request thread reads what was sent, answers it and journals it, then meets the end of the
    # connection, so the journal then holds all the server really did, and the second run starts from it.
    deadline = time.monotonic() + 60
    while open_connections(sandbox.port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert open_connections(sandbox.port) == 0, "the sandbox still holds a connection of the killed run"
    killed_posts = len(transfer_posts(sandbox))
    assert 5 <= killed_posts < 50, killed_posts
    sandbox.configure(latency_ms=0)
    run = run_playbook([portfolio_task(domains=[], concurrency=8)], play_vars=play["vars"])
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    found = states(result)
    assert set(found) == set(names)
    charged = charges(sandbox)
    assert charged == dict.fromkeys(names, 1), charged
    # A domain the killed run charged is pending now; the rest were started by the second run.
    assert set(found.values()) <= {"pending", "started"}
    assert sum(1 for state in found.values() if state == "started") == 50 - sum(
        1 for state in found.values() if state == "pending"
    )
    assert len(transfer_posts(sandbox)) == 50
    assert sys.executable  # the harness ran with this interpreter
    no_code_in(run)
    assert not any(code in run.output for code in codes.values())
