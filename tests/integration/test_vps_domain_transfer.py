# SPDX-License-Identifier: GPL-3.0-or-later
"""vps_domain_transfer against the sandbox: every state of a transfer, the checks before spending, no leaks."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULE = "vpsorg.domains.vps_domain_transfer"
DEMO_NAME = "transfer-me.org"
DEMO_CODE = "EPP-DEMO-1234"
OTHER_REGISTRAR = "Other Registrar Inc."
TASK = "Transfer"


# -- helpers ------------------------------------------------------------------------------------------------


def transfer_task(name: str = DEMO_NAME, auth_code: str = DEMO_CODE, task: str = TASK, **options: Any) -> dict:
    return {"name": task, MODULE: {"name": name, "auth_code": auth_code, **options}}


def iso_days_ago(days: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def domain_id(sandbox, name: str, token: Optional[str] = None) -> int:
    kwargs = {} if token is None else {"token": token}
    status, _headers, body = sandbox.api("GET", "domains/", params={"search": name}, **kwargs)
    assert status == 200, body
    ids = [item["id"] for item in body["results"] if item["domain_name"] == name]
    assert len(ids) == 1, body
    return ids[0]


def detail(sandbox, name: str, token: Optional[str] = None) -> dict:
    kwargs = {} if token is None else {"token": token}
    status, _headers, body = sandbox.api("GET", f"domains/{domain_id(sandbox, name, token)}/", **kwargs)
    assert status == 200, body
    return body


def seed_foreign(sandbox, name: str, code: str, account: str = "demo", **fields: Any) -> dict:
    """A domain at another registrar, two years old, never transferred, with its auth code."""
    values = {
        "domain_name": name,
        "registrar": OTHER_REGISTRAR,
        "registration_date": iso_days_ago(730),
        "auth_code": code,
        "locked": False,
    }
    values.update(fields)
    return sandbox.seed_domain(account=account, **values)


def transfer_posts(sandbox) -> List[dict]:
    return [e for e in sandbox.journal() if e["method"] == "POST" and e["path"].endswith("/transfer/")]


def writes(sandbox) -> List[dict]:
    return [e for e in sandbox.journal() if e["method"] != "GET"]


def fees(sandbox, name: Optional[str] = None) -> List[dict]:
    return [e for e in sandbox.ledger() if e["kind"] == "transfer" and (name is None or e["domain_name"] == name)]


def assert_absent(secret: str, run, *more: Any) -> None:
    """The secret is nowhere in the run's output, its recorded results or anything else given."""
    assert secret not in run.output
    assert secret not in json.dumps(run.results)
    for value in more:
        assert secret not in json.dumps(value)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2) -> None:
    """Wait for the sandbox to reach a state (a wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the sandbox did not reach the expected state")
        time.sleep(interval)


# -- registrar is VPS.org ---------------------------------------------------------------------------------


def test_already_at_vps_is_a_noop(sandbox, run_playbook):
    run = run_playbook([transfer_task("example-shop.com", "ANY-CODE-123")], diff=True)
    result = run.result(TASK)
    assert run.status(TASK) == "ok", result
    assert result["changed"] is False
    assert result["msg"] == "example-shop.com is already registered at VPS.org"
    assert result["transfer"]["registrar"] == "VPS.org"
    assert result["domain"]["domain_name"] == "example-shop.com"
    assert result["diff"]["before"] == result["diff"]["after"]
    assert writes(sandbox) == []
    assert fees(sandbox) == []


# -- no transfer, eligible: start once, then rerun ---------------------------------------------------------


@pytest.mark.api_shape
def test_start_once_then_rerun_is_a_noop(sandbox, run_playbook):
    sandbox.configure(transfer_delay=3600)  # stays pending for the rerun
    domain = domain_id(sandbox, DEMO_NAME)
    assert detail(sandbox, DEMO_NAME)["auto_renew"] is True
    sandbox.clear_journal()  # the lookups above are journaled too

    first = run_playbook([transfer_task(auto_renew=False)], diff=True)
    result = first.result(TASK)
    assert first.status(TASK) == "changed", result
    assert result["changed"] is True
    assert result["msg"] == "a transfer of transfer-me.org to VPS.org was started"
    transfer = result["transfer"]
    assert transfer["id"] == domain
    assert transfer["domain_name"] == DEMO_NAME
    assert transfer["transfer_status"] == "pending"
    assert transfer["transfer_initiated_at"] and transfer["estimated_completion"]
    assert transfer["message"].startswith("Domain transfer initiated.")
    assert "Approve transfer with current registrar" in transfer["next_steps"]
    assert result["domain"]["transfer_status"] == "pending"
    assert result["domain"]["registrar"] == OTHER_REGISTRAR
    # One diff style: headers naming the domain and the estimated cost, YAML sides.
    assert result["diff"] == {
        "before_header": DEMO_NAME,
        "after_header": f"{DEMO_NAME} (transfer, estimated 13.99 USD)",
        "before": f"domain_name: {DEMO_NAME}\nregistrar: {OTHER_REGISTRAR}\ntransfer_status: null\n",
        "after": f"domain_name: {DEMO_NAME}\nregistrar: {OTHER_REGISTRAR}\ntransfer_status: pending\n",
    }
    assert "auth_code" not in result["domain"]
    assert result["invocation"]["module_args"]["auth_code"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

    # The requests: the name lookup, the details, one transfer request with auto_renew as given.
    journal = sandbox.journal()
    assert [(e["method"], e["path"]) for e in journal] == [
        ("GET", "/api/v1/domains/"),
        ("GET", f"/api/v1/domains/{domain}/"),
        ("POST", f"/api/v1/domains/{domain}/transfer/"),
    ]
    assert journal[0]["query"] == {"search": DEMO_NAME} or journal[0]["query"] == {"search": [DEMO_NAME]}
    post = journal[2]
    assert post["status"] == 200
    assert post["body"]["auto_renew"] is False
    assert post["body"]["auth_code"] != DEMO_CODE  # the journal redacts it; the server received the real one
    assert detail(sandbox, DEMO_NAME)["auto_renew"] is False
    [fee] = fees(sandbox)
    assert fee["domain_name"] == DEMO_NAME and fee["account"] == "demo" and fee["amount"] == pytest.approx(13.99)

    second = run_playbook([transfer_task(auto_renew=False)], diff=True)
    again = second.result(TASK)
    assert second.status(TASK) == "ok", again
    assert again["changed"] is False
    assert again["msg"].startswith("a transfer of transfer-me.org is pending (initiated ")
    assert again["transfer"]["transfer_status"] == "pending"
    assert again["transfer"]["transfer_initiated_at"] == transfer["transfer_initiated_at"]
    assert again["transfer"]["estimated_completion"] == transfer["estimated_completion"]
    assert again["diff"]["before"] == again["diff"]["after"]
    assert len(transfer_posts(sandbox)) == 1
    assert len(fees(sandbox)) == 1
    assert_absent(DEMO_CODE, first)
    assert_absent(DEMO_CODE, second)


def test_pending_completes_after_the_delay_then_rerun_is_a_noop(sandbox, run_playbook):
    sandbox.configure(transfer_delay=1)
    first = run_playbook([transfer_task()])
    assert first.result(TASK)["changed"] is True
    wait_for(lambda: detail(sandbox, DEMO_NAME).get("transfer_status") == "completed")

    second = run_playbook([transfer_task()])
    result = second.result(TASK)
    assert second.status(TASK) == "ok", result
    assert result["changed"] is False
    assert result["msg"] == "transfer-me.org is already registered at VPS.org"
    assert result["transfer"]["registrar"] == "VPS.org"
    assert result["transfer"]["transfer_status"] == "completed"
    assert result["transfer"]["transfer_completed_at"]
    assert len(transfer_posts(sandbox)) == 1
    assert len(fees(sandbox, DEMO_NAME)) == 1


@pytest.mark.api_shape
def test_pending_seeded_with_dates_is_reported(sandbox, run_playbook):
    seed_foreign(
        sandbox,
        "in-flight.org",
        "EPP-FLIGHT-42",
        transfer_status="pending",
        transfer_initiated_at="2026-01-16T16:30:00Z",
        estimated_completion="2026-01-23T16:30:00Z",
    )
    sandbox.clear_journal()
    run = run_playbook([transfer_task("in-flight.org", "EPP-FLIGHT-42", restart_failed=True)])
    result = run.result(TASK)
    assert run.status(TASK) == "ok", result
    assert result["changed"] is False
    # The times as the API wrote them (default: 2026-01-16T16:30:00Z, drf: 2026-01-16T16:30:00+00:00).
    initiated, estimated = sandbox.api_time("2026-01-16T16:30:00Z"), sandbox.api_time("2026-01-23T16:30:00Z")
    assert result["msg"] == (
        f"a transfer of in-flight.org is pending (initiated {initiated}, estimated completion {estimated})"
    )
    assert result["transfer"]["transfer_initiated_at"] == initiated
    assert result["transfer"]["estimated_completion"] == estimated
    assert writes(sandbox) == []


# -- failed --------------------------------------------------------------------------------------------------


def test_failed_fails_with_the_reason_then_restart_failed_starts_again(sandbox, run_playbook):
    domain = domain_id(sandbox, DEMO_NAME)
    sandbox.patch_domain(
        domain, transfer_status="failed", transfer_failure_reason="The current registrar rejected the transfer."
    )
    sandbox.clear_journal()

    refused = run_playbook([transfer_task()])
    result = refused.result(TASK)
    assert refused.status(TASK) == "failed"
    assert result["changed"] is False
    assert "the last transfer of transfer-me.org failed: The current registrar rejected the transfer." in result["msg"]
    assert "restart_failed: true" in result["msg"]
    assert result["transfer"]["transfer_status"] == "failed"
    assert result["transfer"]["transfer_failure_reason"] == "The current registrar rejected the transfer."
    assert writes(sandbox) == []
    assert fees(sandbox) == []

    # restart_failed pays for the one failed attempt a person decided about, named by override_attempt.
    attempt = detail(sandbox, DEMO_NAME)["transfer_initiated_at"]
    asked = run_playbook([transfer_task(restart_failed=True)])
    assert asked.status(TASK) == "failed"
    assert f"override_attempt: {attempt!r}" in asked.result(TASK)["msg"]
    assert transfer_posts(sandbox) == []
    restarted = run_playbook([transfer_task(restart_failed=True, override_attempt=attempt)])
    result = restarted.result(TASK)
    assert restarted.status(TASK) == "changed", result
    assert result["transfer"]["transfer_status"] == "pending"
    assert any("restart_failed is true" in warning for warning in result.get("warnings", []))
    assert len(transfer_posts(sandbox)) == 1
    assert len(fees(sandbox, DEMO_NAME)) == 1
    assert_absent(DEMO_CODE, refused)
    assert_absent(DEMO_CODE, restarted)


def test_failed_without_a_reason_says_so(sandbox, run_playbook):
    sandbox.patch_domain(domain_id(sandbox, DEMO_NAME), transfer_status="failed")
    run = run_playbook([transfer_task(force=True)])
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert "failed (the API gives no reason)" in result["msg"]
    assert transfer_posts(sandbox) == []


# -- no transfer_status at all ----------------------------------------------------------------------------


@pytest.mark.api_shape
def test_no_transfer_status_fails_then_force_starts(sandbox, run_playbook):
    sandbox.configure(expose_transfer_status=False, transfer_delay=3600)
    refused = run_playbook([transfer_task()])
    result = refused.result(TASK)
    assert refused.status(TASK) == "failed"
    assert result["msg"].startswith("cannot tell whether a transfer is under way")
    assert "force: true" in result["msg"]
    assert "transfer_status" not in result["transfer"]
    assert writes(sandbox) == []

    attempt = result["transfer"]["attempt"]
    forced = run_playbook([transfer_task(force=True, override_attempt=attempt)])
    result = forced.result(TASK)
    assert forced.status(TASK) == "changed", result
    assert result["transfer"]["transfer_status"] == "pending"  # the transfer request's own answer
    assert any("force is true" in warning for warning in result.get("warnings", []))
    assert len(transfer_posts(sandbox)) == 1
    assert len(fees(sandbox)) == 1

    # The same task again (a nightly job): the override was for the state before that transfer: no POST at all.
    again = run_playbook([transfer_task(force=True, override_attempt=attempt)])
    result = again.result(TASK)
    assert again.status(TASK) == "ok", result
    assert "nothing was sent" in result["msg"]
    assert len(transfer_posts(sandbox)) == 1
    assert len(fees(sandbox)) == 1


# -- checks before spending ---------------------------------------------------------------------------------


@pytest.mark.api_shape
def test_too_young_by_whois_creation_date(sandbox, run_playbook):
    # Registered in the account long ago, but created at the registry ten days ago: the WHOIS date counts.
    seed_foreign(sandbox, "young-domain.org", "EPP-YOUNG-77", whois_created_date=iso_days_ago(10))
    sandbox.clear_journal()
    run = run_playbook([transfer_task("young-domain.org", "EPP-YOUNG-77", restart_failed=True, force=True)])
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert result["msg"].startswith("young-domain.org cannot be transferred yet: it was created on ")
    assert "at least 60 days old" in result["msg"]
    eligible = (datetime.now(timezone.utc) - timedelta(days=10) + timedelta(days=60)).strftime("%Y-%m-%d")
    assert f"transferred from {eligible}" in result["msg"]
    assert [e["method"] for e in sandbox.journal()] == ["GET", "GET"]
    assert fees(sandbox) == []


def test_not_in_the_account_fails_before_any_write(sandbox, run_playbook):
    run = run_playbook([transfer_task("taken-elsewhere.com", "EPP-NOPE-123")])
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert result["msg"].startswith("taken-elsewhere.com is not in the account; add it in the VPS.org panel first")
    assert "transfer" not in result
    # The search, then the whole list (a name stored in another form is found there): nothing else.
    assert [(e["method"], e["path"]) for e in sandbox.journal()] == [("GET", "/api/v1/domains/")] * 2


@pytest.mark.api_shape
def test_idn_name_is_found_by_its_canonical_name(sandbox, run_playbook):
    seed_foreign(sandbox, "xn--bcher-kva.org", "EPP-IDN-4242")
    sandbox.clear_journal()
    task = {"name": TASK, MODULE: {"domain_name": "Bücher.ORG.", "auth_code": "EPP-IDN-4242"}}  # the alias
    run = run_playbook([task], check=True)
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    assert result["transfer"]["domain_name"] == "xn--bcher-kva.org"
    assert writes(sandbox) == []


def test_several_ids_for_one_name_fail_listing_them(sandbox, run_playbook):
    first = seed_foreign(sandbox, "twice.org", "EPP-TWICE-11")
    try:
        second = seed_foreign(sandbox, "twice.org", "EPP-TWICE-11")
    except AssertionError as error:
        pytest.skip(f"the sandbox refuses a second domain of the same name: {error}")
    sandbox.clear_journal()
    run = run_playbook([transfer_task("twice.org", "EPP-TWICE-11")])
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    ids = sorted([first["id"], second["id"]])
    assert result["ids"] == ids
    assert f"(ids {ids[0]}, {ids[1]})" in result["msg"]
    assert writes(sandbox) == []


# -- refusals by the API ------------------------------------------------------------------------------------


@pytest.mark.api_shape
def test_insufficient_balance_402(sandbox, run_playbook):
    sandbox.add_account("poor", "poor-token-5150", "1.00")
    seed_foreign(sandbox, "poor-transfer.org", "EPP-POOR-5150", account="poor")
    sandbox.clear_journal()
    run = run_playbook([transfer_task("poor-transfer.org", "EPP-POOR-5150", api_token="poor-token-5150")])
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert result["changed"] is False
    assert result["failure"]["status"] == 402
    assert result["failure"]["method"] == "POST"
    assert "Insufficient balance" in result["msg"]
    assert result["transfer"]["transfer_status"] is None
    [post] = transfer_posts(sandbox)
    assert post["status"] == 402 and post["account"] == "poor"
    assert fees(sandbox) == []
    assert detail(sandbox, "poor-transfer.org", token="poor-token-5150")["transfer_status"] is None
    assert_absent("EPP-POOR-5150", run)
    assert_absent("poor-token-5150", run)


@pytest.mark.api_shape
def test_wrong_auth_code_fails_without_showing_it(sandbox, run_playbook):
    wrong = "Wq8-WRONG-AUTH-6631"
    run = run_playbook([transfer_task(auth_code=wrong)], verbosity=4)
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert result["failure"]["status"] == 400
    assert result["failure"]["field_errors"] == {"auth_code": ["Invalid authorization code."]}
    assert "Invalid authorization code." in result["msg"]
    [post] = transfer_posts(sandbox)
    assert post["status"] == 400
    assert fees(sandbox) == []
    assert_absent(wrong, run, sandbox.journal())


@pytest.mark.api_shape
def test_an_api_error_echoing_the_code_is_masked(sandbox, run_playbook):
    code = "Yr5-ECHOED-CODE-9044"
    domain = seed_foreign(sandbox, "echo-me.org", code)
    sandbox.add_fault(
        method="POST",
        path_prefix=f"/api/v1/domains/{domain['id']}/transfer/",
        count=1,
        status=400,
        body={"auth_code": [f"'{code}' is not a valid authorization code."], "detail": f"Rejected {code}."},
    )
    # Padded the way a YAML block scalar pads it: the trimmed code that is sent must be masked too.
    run = run_playbook([transfer_task("echo-me.org", f"  {code}\n")], verbosity=4)
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    [post] = transfer_posts(sandbox)
    assert post["fault"] == "status" and post["status"] == 400  # the fault fired
    assert result["failure"]["status"] == 400
    assert code not in json.dumps(result)
    assert "is not a valid authorization code" in result["msg"]
    assert_absent(code, run)
    assert fees(sandbox) == []


# -- check mode ------------------------------------------------------------------------------------------


@pytest.mark.api_shape
def test_check_mode_predicts_without_posting(sandbox, run_playbook):
    run = run_playbook([transfer_task()], check=True, diff=True)
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    assert result["msg"] == "a transfer of transfer-me.org to VPS.org would be started"
    assert result["transfer"]["transfer_status"] == "pending"
    assert result["transfer"]["transfer_initiated_at"] is None
    # One diff style: headers naming the domain and the estimated cost, YAML sides.
    assert result["diff"] == {
        "before_header": DEMO_NAME,
        "after_header": f"{DEMO_NAME} (transfer, estimated 13.99 USD)",
        "before": f"domain_name: {DEMO_NAME}\nregistrar: {OTHER_REGISTRAR}\ntransfer_status: null\n",
        "after": f"domain_name: {DEMO_NAME}\nregistrar: {OTHER_REGISTRAR}\ntransfer_status: pending\n",
    }
    # The diff is shown.
    assert "-transfer_status: null" in run.stdout and "+transfer_status: pending" in run.stdout
    assert "transfer-me.org (transfer, estimated 13.99 USD)" in run.stdout
    assert writes(sandbox) == []
    assert fees(sandbox) == []
    assert detail(sandbox, DEMO_NAME)["transfer_status"] is None


@pytest.mark.api_shape
def test_check_mode_reports_refusals_like_a_real_run(sandbox, run_playbook):
    seed_foreign(sandbox, "young-check.org", "EPP-YOUNG-CHECK", whois_created_date=iso_days_ago(3))
    run = run_playbook([transfer_task("young-check.org", "EPP-YOUNG-CHECK")], check=True)
    assert run.status(TASK) == "failed"
    assert "cannot be transferred yet" in run.result(TASK)["msg"]
    assert writes(sandbox) == []


# -- the auth code at -vvvv -----------------------------------------------------------------------------------


def test_auth_code_absent_from_vvvv_output_on_success(sandbox, run_playbook):
    code = "Zq7-LEAKCHECK-5521"
    seed_foreign(sandbox, "leak-check.org", code)
    run = run_playbook(
        [
            dict(transfer_task("leak-check.org", code), register="transferred"),
            {"name": "Show the result", "ansible.builtin.debug": {"var": "transferred"}},
        ],
        verbosity=4,
        diff=True,
    )
    assert run.status(TASK) == "changed", run.result(TASK)
    assert "leak-check.org" in run.stdout and "<localhost> ESTABLISH LOCAL CONNECTION" in run.stdout
    assert_absent(code, run, sandbox.journal())
    assert len(fees(sandbox, "leak-check.org")) == 1


# -- lost answers: looked up, never sent twice ----------------------------------------------------------------


# One run, one task per fault, each on its own domain (its own faulted path): each asserted on its own.
_LOST_AFTER_COMMIT = [
    ("lost-drop.org", {"drop": "after_commit"}, "drop_after_commit"),
    ("lost-cut.org", {"drop": "mid_body"}, "drop_mid_body"),
    ("lost-500.org", {"status": 500, "delay": "after_commit"}, "status"),
]


@pytest.mark.api_shape
@pytest.mark.slow
def test_answer_lost_after_commit_is_found_and_not_resent(sandbox, run_playbook):
    sandbox.configure(transfer_delay=3600)
    codes = {}
    for name, fault, _kind in _LOST_AFTER_COMMIT:
        codes[name] = f"EPP-{name.split('.', maxsplit=1)[0].upper()}-4321"
        domain = seed_foreign(sandbox, name, codes[name])["id"]
        sandbox.add_fault(method="POST", path_prefix=f"/api/v1/domains/{domain}/transfer/", count=1, **fault)
    run = run_playbook([transfer_task(name, codes[name], task=name) for name, _fault, _kind in _LOST_AFTER_COMMIT])
    for name, _fault, kind in _LOST_AFTER_COMMIT:
        result = run.result(name)
        assert run.status(name) == "changed", (kind, result)
        assert result["msg"] == f"a transfer of {name} to VPS.org was started"
        assert result["transfer"]["transfer_status"] == "pending"
        assert result["transfer"]["transfer_initiated_at"]
        assert any("it was not sent again" in warning for warning in result.get("warnings", [])), (kind, result)
        [post] = [
            e for e in transfer_posts(sandbox) if e["path"] == f"/api/v1/domains/{domain_id(sandbox, name)}/transfer/"
        ]
        assert post["fault"] == kind
        assert len(fees(sandbox, name)) == 1, kind
        assert_absent(codes[name], run)
    assert len(transfer_posts(sandbox)) == len(_LOST_AFTER_COMMIT)


@pytest.mark.api_shape
def test_refused_because_another_run_started_it_meanwhile_is_reported(sandbox, run_playbook):
    # The fault stores the transfer, then answers as the API does to a second request: as if another run had
    # started the transfer between this run's read and its request.
    domain = domain_id(sandbox, DEMO_NAME)
    sandbox.configure(transfer_delay=3600)
    sandbox.add_fault(
        method="POST",
        path_prefix=f"/api/v1/domains/{domain}/transfer/",
        count=1,
        status=400,
        delay="after_commit",
        body={"detail": "A transfer of transfer-me.org is already pending."},
    )
    run = run_playbook([transfer_task()])
    result = run.result(TASK)
    assert run.status(TASK) == "ok", result
    assert result["changed"] is False
    assert result["msg"] == (
        "a transfer of transfer-me.org was started meanwhile by another run; transfer_status is pending"
    )
    assert result["transfer"]["transfer_status"] == "pending"
    [post] = transfer_posts(sandbox)
    assert post["fault"] == "status" and post["status"] == 400
    assert len(fees(sandbox)) == 1


@pytest.mark.api_shape
@pytest.mark.slow
def test_answer_lost_before_commit_fails_as_unknown_and_is_not_resent(sandbox, run_playbook):
    domain = domain_id(sandbox, DEMO_NAME)
    sandbox.add_fault(method="POST", path_prefix=f"/api/v1/domains/{domain}/transfer/", count=1, status=503)
    run = run_playbook([transfer_task(api_timeout=2)])
    result = run.result(TASK)
    assert run.status(TASK) == "failed"
    assert result["msg"].startswith("outcome unknown: check the account before running again")
    [post] = transfer_posts(sandbox)
    assert post["fault"] == "status" and post["status"] == 503
    gets = [e for e in sandbox.journal() if e["method"] == "GET" and e["path"] == f"/api/v1/domains/{domain}/"]
    assert len(gets) >= 2  # the details once before, then looked up after the lost answer
    assert fees(sandbox) == []


@pytest.mark.api_shape
@pytest.mark.slow
def test_timeout_then_late_commit_is_found(sandbox, run_playbook):
    domain = domain_id(sandbox, DEMO_NAME)
    sandbox.configure(transfer_delay=3600)
    sandbox.add_fault(
        method="POST",
        path_prefix=f"/api/v1/domains/{domain}/transfer/",
        count=1,
        delay_ms=4000,
        delay="before_commit",
    )
    run = run_playbook([transfer_task(api_timeout=1)])
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    assert result["transfer"]["transfer_status"] == "pending"
    assert len(transfer_posts(sandbox)) == 1
    assert len(fees(sandbox)) == 1


# -- playbooks/transfer.yml with a vault-encrypted codes file --------------------------------------------------


def _vault_codes(tmp_path: Path, codes: Dict[str, str]) -> tuple:
    password = tmp_path / "vault-password"
    password.write_text("correct horse battery staple\n", encoding="utf-8")
    password.chmod(0o600)
    codes_file = tmp_path / "transfer_codes.yml"
    codes_file.write_text(yaml.safe_dump({"transfer_codes": codes}), encoding="utf-8")
    subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-vault"),
            "encrypt",
            "--vault-password-file",
            str(password),
            str(codes_file),
        ],
        check=True,
        capture_output=True,
    )
    text = codes_file.read_text(encoding="utf-8")
    assert text.startswith("$ANSIBLE_VAULT;")
    for code in codes.values():
        assert code not in text
    return password, codes_file


def test_transfer_playbook_with_vault_codes_at_vvvv(sandbox, run_playbook, tmp_path):
    codes = {DEMO_NAME: DEMO_CODE, "vault-two.org": "Kp3-VAULT-TWO-8817", "example-shop.com": "Kp3-AT-VPS-0001"}
    seed_foreign(sandbox, "vault-two.org", codes["vault-two.org"])
    sandbox.configure(transfer_delay=3600)
    sandbox.clear_journal()
    password, codes_file = _vault_codes(tmp_path, codes)
    args = ["--vault-password-file", str(password), "-e", f"transfer_codes_file={codes_file}"]
    playbook = REPO_ROOT / "playbooks" / "transfer.yml"

    run = run_playbook(playbook=playbook, verbosity=4, extra_args=args)
    assert run.rc == 0, run.output[-3000:]
    loop = run.result("Start or check each transfer")
    by_name = {item["item"]: item for item in loop["results"]}
    assert set(by_name) == set(codes)
    assert by_name[DEMO_NAME]["changed"] is True
    assert by_name["vault-two.org"]["changed"] is True
    assert by_name["example-shop.com"]["changed"] is False
    assert by_name["vault-two.org"]["transfer"]["transfer_status"] == "pending"
    for code in codes.values():
        assert_absent(code, run, sandbox.journal())
    assert "(item=vault-two.org)" in run.stdout
    assert sorted(e["domain_name"] for e in fees(sandbox)) == [DEMO_NAME, "vault-two.org"]
    assert len(transfer_posts(sandbox)) == 2

    rerun = run_playbook(playbook=playbook, verbosity=4, extra_args=args)
    assert rerun.rc == 0, rerun.output[-3000:]
    assert all(item["changed"] is False for item in rerun.result("Start or check each transfer")["results"])
    for code in codes.values():
        assert_absent(code, rerun)
    assert len(transfer_posts(sandbox)) == 2
    assert len(fees(sandbox)) == 2


@pytest.mark.api_shape
def test_transfer_playbook_failure_at_vvvv_hides_codes(sandbox, run_playbook, tmp_path):
    codes = {DEMO_NAME: "Mn4-WRONG-PLAY-3390", "young-play.org": "Mn4-YOUNG-PLAY-1207"}
    seed_foreign(sandbox, "young-play.org", codes["young-play.org"], whois_created_date=iso_days_ago(5))
    sandbox.clear_journal()
    password, codes_file = _vault_codes(tmp_path, codes)
    run = run_playbook(
        playbook=REPO_ROOT / "playbooks" / "transfer.yml",
        verbosity=4,
        extra_args=["--vault-password-file", str(password), "-e", f"transfer_codes_file={codes_file}"],
    )
    assert run.rc != 0
    loop = run.result("Start or check each transfer")
    by_name = {item["item"]: item for item in loop["results"]}
    assert by_name[DEMO_NAME]["failed"] is True and by_name[DEMO_NAME]["failure"]["status"] == 400
    assert "cannot be transferred yet" in by_name["young-play.org"]["msg"]
    assert run.status("Report each domain's transfer state") == "ok"
    for code in codes.values():
        assert_absent(code, run, sandbox.journal())
    assert fees(sandbox) == []


def test_transfer_playbook_refuses_a_domain_without_code(sandbox, run_playbook, tmp_path):
    password, codes_file = _vault_codes(tmp_path, {DEMO_NAME: DEMO_CODE})
    run = run_playbook(
        playbook=REPO_ROOT / "playbooks" / "transfer.yml",
        extra_args=[
            "--vault-password-file",
            str(password),
            "-e",
            f"transfer_codes_file={codes_file}",
            "-e",
            json.dumps({"transfer_domains": [DEMO_NAME, "no-code.org"]}),
        ],
    )
    assert run.rc != 0
    assert run.status("Check that every domain has an auth code") == "failed"
    assert (
        "No auth code in transfer_codes for: no-code.org"
        in run.result("Check that every domain has an auth code")["msg"]
    )
    assert sandbox.journal() == []
    assert_absent(DEMO_CODE, run)


# -- the registrar's name and completed transfers --------------------------------------------------------------


def test_vps_under_another_spelling_sends_no_transfer(sandbox, run_playbook):
    # One run, one task per spelling (each on its own domain): each is asserted on its own.
    spellings = {"spelled-1.org": "VPS.org, LLC", "spelled-2.org": "vps.org inc", "spelled-3.org": "VPS.ORG Ltd."}
    for name, registrar in spellings.items():
        seed_foreign(sandbox, name, "EPP-SPELL-1234", registrar=registrar)
    sandbox.clear_journal()
    run = run_playbook([transfer_task(name, "EPP-SPELL-1234", task=name) for name in spellings])
    for name, registrar in spellings.items():
        result = run.result(name)
        assert run.status(name) == "ok", (registrar, result)
        assert result["msg"] == f"{name} is already registered at VPS.org"
        assert result["transfer"]["registrar"] == registrar
    assert writes(sandbox) == []
    assert fees(sandbox) == []


def test_another_company_named_like_vps_is_not_vps(sandbox, run_playbook):
    seed_foreign(sandbox, "reseller.org", "EPP-RESELL-1234", registrar="VPS.org Reseller Services")
    run = run_playbook([transfer_task("reseller.org", "EPP-RESELL-1234")], check=True)
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    assert result["msg"] == "a transfer of reseller.org to VPS.org would be started"
    assert writes(sandbox) == []


def test_a_completed_transfer_is_done_even_when_the_registrar_lags(sandbox, run_playbook):
    seed_foreign(sandbox, "completed.org", "EPP-DONE-1234", transfer_status="completed")
    sandbox.clear_journal()
    run = run_playbook([transfer_task("completed.org", "EPP-DONE-1234")])
    result = run.result(TASK)
    assert run.status(TASK) == "ok", result
    assert result["changed"] is False
    assert result["msg"] == "a transfer of completed.org to VPS.org has completed"
    assert result["transfer"]["transfer_status"] == "completed"
    assert any("names its registrar as Other Registrar Inc." in warning for warning in result["warnings"])
    assert writes(sandbox) == []
    assert fees(sandbox) == []


# -- the budget: max_cost and prices ---------------------------------------------------------------------------


@pytest.mark.api_shape
def test_check_mode_returns_the_estimated_cost(sandbox, run_playbook):
    run = run_playbook(
        [
            transfer_task(task="Published price"),
            transfer_task(task="Own price", prices={".ORG": "9.50"}),
        ],
        check=True,
    )
    assert run.result("Published price")["transfer"]["estimated_cost"] == 13.99
    assert run.result("Own price")["transfer"]["estimated_cost"] == 9.5
    assert writes(sandbox) == []


@pytest.mark.api_shape
@pytest.mark.parametrize("check", [False, True])
def test_over_budget_refuses_before_the_request(sandbox, run_playbook, check):
    sandbox.clear_journal()
    run = run_playbook([transfer_task(max_cost=13.98)], check=check)
    result = run.result(TASK)
    assert run.status(TASK) == "failed", result
    assert result["msg"] == (
        "max_cost: the transfer of transfer-me.org is estimated at 13.99 USD, more than max_cost 13.98 USD; "
        "nothing was sent"
    )
    assert result["transfer"]["estimated_cost"] == 13.99
    assert transfer_posts(sandbox) == []
    assert writes(sandbox) == []
    assert fees(sandbox) == []
    assert_absent(DEMO_CODE, run)


@pytest.mark.api_shape
def test_an_unknown_price_with_a_budget_refuses_before_the_request(sandbox, run_playbook):
    seed_foreign(sandbox, "unpriced.zz", "EPP-ZZ-123456")
    sandbox.clear_journal()
    run = run_playbook([transfer_task("unpriced.zz", "EPP-ZZ-123456", max_cost=1000)])
    result = run.result(TASK)
    assert run.status(TASK) == "failed", result
    assert result["msg"].startswith("max_cost: the price of unpriced.zz is unknown (no price for its TLD")
    assert "1,000.00 USD" in result["msg"]
    assert writes(sandbox) == []
    assert fees(sandbox) == []


@pytest.mark.api_shape
def test_a_budget_equal_to_the_estimate_passes_and_is_charged_once(sandbox, run_playbook):
    run = run_playbook([transfer_task(max_cost="13.99")])
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    assert len(transfer_posts(sandbox)) == 1
    charged = fees(sandbox, DEMO_NAME)
    assert [entry["amount"] for entry in charged] == [13.99]


# -- names stored in Unicode, secrets in the API's answers ---------------------------------------------------


@pytest.mark.api_shape
def test_a_name_the_api_stores_in_unicode_is_found_and_transferred_once(sandbox, run_playbook):
    seed_foreign(sandbox, "bücher.app", "EPP-UNICODE-77")
    sandbox.clear_journal()
    run = run_playbook([transfer_task("xn--bcher-kva.app", "EPP-UNICODE-77")])
    result = run.result(TASK)
    assert run.status(TASK) == "changed", result
    assert result["domain"]["domain_name"] == "bücher.app"
    searches = [e["query"] for e in sandbox.journal() if e["method"] == "GET" and e["path"] == "/api/v1/domains/"]
    assert len(searches) == 2, searches
    assert len(transfer_posts(sandbox)) == 1
    assert len(fees(sandbox)) == 1
