# SPDX-License-Identifier: GPL-3.0-or-later
"""Every playbook shipped in playbooks/ runs in check mode and for real against the sandbox, with the variables
its header documents: the result, and the sandbox's journal and ledger (check mode writes nothing).

A playbook added to playbooks/ without a case here fails test_every_shipped_playbook_has_a_case.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO_ROOT / "playbooks"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The extra variables the AWX playbooks' headers give as the job template's.
AWX_POLICY = {
    "portfolio_settings": {"auto_renew": True, "locked": True, "privacy_protection": True},
    "portfolio_exclude": ["parked-*"],
    "portfolio_max_changes": 20,
}
DEMO_NAMES = ["example-blog.net", "example-labs.io", "example-shop.com", "transfer-me.org"]


def writes(journal: List[Dict[str, Any]]) -> List[str]:
    return [f"{entry['method']} {entry['path']}" for entry in journal if entry["method"] in WRITE_METHODS]


def ending(run, suffix: str) -> Dict[str, Any]:
    """The last record of a task whose name ends with `suffix` (role tasks carry the role's prefix)."""
    for record in reversed(run.results):
        if record["task"].endswith(suffix):
            return record
    raise AssertionError(f"no task ending in {suffix!r}; tasks run: {[r['task'] for r in run.results]}")


def printed_renewals_add_up(lines: List[str]) -> float:
    """The role's printed 365-day renewal total, asserted equal to the sum of the month rows below it."""
    header = next(i for i, line in enumerate(lines) if line.startswith("Renewals due within 365 days"))
    total = float(re.search(r": ([\d,]+\.\d\d) USD", lines[header]).group(1).replace(",", ""))
    rows = []
    for line in lines[header + 1 :]:
        match = re.fullmatch(r"  \d{4}-\d{2}: ([\d,]+\.\d\d) USD for .+", line)
        if not match:
            break
        rows.append(float(match.group(1).replace(",", "")))
    assert round(sum(rows), 2) == total, lines
    return total


class Harness:
    """Runs one shipped playbook, as its header says, against the test's sandbox."""

    def __init__(self, run_playbook, sandbox, tmp_path: Path, request) -> None:
        self.run_playbook = run_playbook
        self.sandbox = sandbox
        self.tmp_path = tmp_path
        self.request = request

    def play(self, name: str, check: bool, *extra: str, env: Dict[str, str] | None = None):
        return self.run_playbook(playbook=PLAYBOOKS / name, check=check, extra_args=list(extra), env=env)

    def with_inventory(self, name: str, inventory: Path, check: bool, *extra: str):
        """ansible-playbook -i <inventory> <playbook>: the play's hosts come from the inventory alone."""
        plugins = self.request.config.pluginmanager.get_plugins()
        conftest = next(plugin for plugin in plugins if callable(getattr(plugin, "base_environment", None)))
        run_dir = self.tmp_path / f"inventory-run-{'check' if check else 'real'}"
        run_dir.mkdir()
        env = conftest.base_environment(run_dir)
        env.update({"VPSORG_API_URL": self.sandbox.api_url, "VPSORG_API_TOKEN": self.sandbox.token})
        command = [str(conftest.BIN_DIR / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOKS / name), *extra]
        if check:
            command.append("--check")
        completed = subprocess.run(
            command, env=env, cwd=str(run_dir), capture_output=True, text=True, timeout=300, check=False
        )
        results_file = Path(env["RECORD_RESULTS_FILE"])
        results = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else []
        return conftest.PlaybookRun(completed.returncode, completed.stdout, completed.stderr, results)


# -- one case per playbook: (harness, check) -> None, asserting the run, the journal and the ledger ------------


def case_awx_portfolio_audit(h: Harness, check: bool) -> None:
    run = h.play("awx_portfolio_audit.yml", check, "-e", json.dumps(AWX_POLICY))
    assert run.rc != 0, run.output
    if check:
        # The demo account has drifted domains: the audit plans, writes nothing and fails naming them.
        failure = ending(run, "or on drift in an audit")
        assert failure["status"] == "failed"
        assert "differ from the policy (portfolio_fail_on_drift): example-blog.net" in failure["result"]["msg"]
        assert writes(h.sandbox.journal()) == []
    else:
        # Run other than in check mode, it stops before its first request.
        assert ending(run, "Refuse to run other than in check mode")["status"] == "failed"
        assert h.sandbox.journal() == []


def case_awx_portfolio_nightly(h: Harness, check: bool) -> None:
    run = h.play("awx_portfolio_nightly.yml", check, "-e", json.dumps(AWX_POLICY))
    assert run.rc == 0, run.output
    report = ending(run, "Apply the portfolio policy")["result"]
    assert report["summary"]["changed"] == 2
    printed_renewals_add_up(ending(run, "Show the report")["result"]["msg"])
    if check:
        assert writes(h.sandbox.journal()) == []
    else:
        assert sorted(writes(h.sandbox.journal())) == ["PUT /api/v1/domains/102/", "PUT /api/v1/domains/104/"]
        _status, _headers, body = h.sandbox.api("GET", "domains/")
        assert all(d["locked"] and d["auto_renew"] for d in body["results"] if d["status"] == "active")


def case_demo(h: Harness, check: bool) -> None:
    run = h.play("demo.yml", check)
    assert run.rc == 0, run.output
    shown = ending(run, "Step 4 - run the same policy again")  # the include itself
    assert shown["status"] == "ok"
    final_report = ending(run, "Show the report")["result"]["msg"]
    total = printed_renewals_add_up(final_report)
    if check:
        assert ending(run, "Step 3 - the new domain (check mode)")["result"]["msg"] == (
            "my-first-shop.dev: would be registered, estimated 14.99 USD; check mode sent nothing."
        )
        assert writes(h.sandbox.journal()) == []
        assert h.sandbox.ledger() == []
    else:
        # Registered once, charged once; the second policy run changed nothing.
        assert writes(h.sandbox.journal()).count("POST /api/v1/domains/") == 1
        assert [entry.get("domain_name") for entry in h.sandbox.ledger()] == ["my-first-shop.dev"]
        assert ending(run, "Step 4 - a second run changes nothing")["status"] == "ok"
        # Registered today for a year: it expires 365 days ahead, inside the total and in a row of the table.
        assert any(
            re.fullmatch(r"  \d{4}-\d{2}: [\d.,]+ USD for .*my-first-shop\.dev.*", line) for line in final_report
        )
        assert total >= 14.99


def case_domain_checks(h: Harness, check: bool) -> None:
    inventory = PLAYBOOKS / "inventory" / "demo.vps_domains.yml"
    run = h.with_inventory("domain_checks.yml", inventory, check)
    assert run.rc == 0, run.output
    judged = {
        r["result"]["ansible_facts"]["domain_check"]["name"]
        for r in run.results
        if r["task"] == "Judge expiry and lock state"
    }
    assert sorted(judged) == DEMO_NAMES
    assert writes(h.sandbox.journal()) == []


def case_expiry_report(h: Harness, check: bool) -> None:
    run = h.play("expiry_report.yml", check, "-e", "expiry_days=365")
    assert run.rc == 0, run.output
    table = ending(run, "Show the table")["result"]["msg"]
    assert table[0].split() == ["DOMAIN", "EXPIRES", "DAYS", "LEFT", "AUTO-RENEW"]
    # Soonest first: example-blog.net expires within the month.
    assert table[1].split()[0] == "example-blog.net"
    assert writes(h.sandbox.journal()) == []


def case_export_policy(h: Harness, check: bool) -> None:
    run = h.play("export_policy.yml", check)
    assert run.rc == 0, run.output
    written = list(h.tmp_path.glob("run*/portfolio_policy.yml"))
    if check:
        assert written == []
    else:
        # The default export_dest: portfolio_policy.yml in the directory ansible-playbook started in.
        assert len(written) == 1
        assert "portfolio_settings:" in written[0].read_text(encoding="utf-8")
    assert writes(h.sandbox.journal()) == []


def case_portfolio(h: Harness, check: bool) -> None:
    run = h.play("portfolio.yml", check)
    assert run.rc == 0, run.output
    printed_renewals_add_up(ending(run, "Show the report")["result"]["msg"])
    if check:
        assert writes(h.sandbox.journal()) == []
    else:
        assert writes(h.sandbox.journal()) and all(w.startswith("PUT ") for w in writes(h.sandbox.journal()))


def case_register(h: Harness, check: bool) -> None:
    run = h.play("register.yml", check, "-e", '{"register_domains": ["example-new-shop.com", "example-shop.com"]}')
    assert run.rc == 0, run.output
    lines = ending(run, "Show what was registered")["result"]["msg"]
    if check:
        assert lines == [
            "example-new-shop.com: would be registered (check mode), estimated 12.99 USD",
            "example-shop.com: already in the account, status active",
        ]
        assert writes(h.sandbox.journal()) == []
        assert h.sandbox.ledger() == []
    else:
        assert lines == [
            "example-new-shop.com: registered, 12.99 USD, status active",
            "example-shop.com: already in the account, status active",
        ]
        assert writes(h.sandbox.journal()).count("POST /api/v1/domains/") == 1
        assert [entry.get("domain_name") for entry in h.sandbox.ledger()] == ["example-new-shop.com"]


def case_transfer(h: Harness, check: bool) -> None:
    run = h.play("transfer.yml", check, "-e", "transfer_codes_file=vars/transfer_codes.example.yml")
    assert run.rc == 0, run.output
    assert "EPP-DEMO-1234" not in run.output
    if check:
        assert writes(h.sandbox.journal()) == []
        assert h.sandbox.ledger() == []
    else:
        assert writes(h.sandbox.journal()) == ["POST /api/v1/domains/104/transfer/"]
        assert [entry.get("domain_name") for entry in h.sandbox.ledger()] == ["transfer-me.org"]


def case_transfer_in(h: Harness, check: bool) -> None:
    csv = "transfer_in_csv=vars/transfer_codes.example.csv"
    codes = ("EPP-DEMO-1234", "EPP-FAKE,5678")
    # Without confirm: the plan only, whatever the mode.
    plan = h.play("transfer_in.yml", check, "-e", csv)
    assert plan.rc == 0, plan.output
    shown = ending(plan, "Show the plan")["result"]["msg"]
    assert shown[0] == (
        "1 transfer(s) to start, estimated 13.99 USD; 1 completed, 0 pending, 0 failed, 0 refused, 0 missing"
    ), shown
    assert shown[1] == "Nothing was sent. To start them: run again with -e confirm=true"
    lines = ending(plan, "Show the report")["result"]["msg"]
    assert "Transfers in (2): 1 completed, 1 would start" in lines, lines
    assert writes(h.sandbox.journal()) == []
    run = h.play("transfer_in.yml", check, "-e", csv, "-e", "confirm=true", "-vvvv")
    assert run.rc == 0, run.output
    assert not any(code in run.output for code in codes)
    if check:
        assert writes(h.sandbox.journal()) == []
        assert h.sandbox.ledger() == []
    else:
        assert ending(run, "Show the plan")["result"]["msg"][1] == "Starting them now (confirm=true)."
        assert writes(h.sandbox.journal()) == ["POST /api/v1/domains/104/transfer/"]
        assert [entry.get("domain_name") for entry in h.sandbox.ledger()] == ["transfer-me.org"]
        report = ending(run, "Publish the report as a fact")["result"]["ansible_facts"]["portfolio_report"]
        assert [(t["name"], t["state"]) for t in report["transfers"]] == [
            ("example-shop.com", "completed"),
            ("transfer-me.org", "started"),
        ]
    # The vault-file form: the shipped example codes file (not encrypted here), the same plan.
    vault = h.play("transfer_in.yml", True, "-e", "transfer_in_codes_file=vars/transfer_codes.example.yml")
    assert vault.rc == 0, vault.output
    assert "transfer-me.org" in str(ending(vault, "Show the report")["result"]["msg"])


def case_remediate(h: Harness, check: bool) -> None:
    # By hand, without a policy: the unlocked example-blog.net is locked again, nothing else is touched.
    run = h.play("remediate.yml", check, "-e", "remediate_domain=example-blog.net")
    assert run.rc == 0, run.output
    report = ending(run, "Report what was done")["result"]["msg"]
    assert report.startswith("example-blog.net: changed "), report
    assert '"locked": true' in report
    if check:
        assert writes(h.sandbox.journal()) == []
    else:
        assert writes(h.sandbox.journal()) == ["PUT /api/v1/domains/102/"]
        assert [entry["body"] for entry in h.sandbox.journal() if entry["method"] == "PUT"] == [{"locked": True}]


def case_notify_expiry(h: Harness, check: bool) -> None:
    notices = h.tmp_path / f"expiry-{'check' if check else 'real'}.log"
    run = h.play(
        "notify_expiry.yml", check, "-e", "notify_domain=example-blog.net", "-e", f"notify_expiry_file={notices}"
    )
    assert run.rc == 0, run.output
    message = ending(run, "Print the message")["result"]["msg"]
    assert message.startswith("example-blog.net expires soon and auto-renew is off"), message
    # It tells; it never talks to the API.
    assert h.sandbox.journal() == []
    if check:
        assert not notices.exists()
    else:
        assert notices.read_text(encoding="utf-8").rstrip("\n").endswith(message)


CASES: Dict[str, Callable[[Harness, bool], None]] = {
    "awx_portfolio_audit.yml": case_awx_portfolio_audit,
    "awx_portfolio_nightly.yml": case_awx_portfolio_nightly,
    "demo.yml": case_demo,
    "domain_checks.yml": case_domain_checks,
    "expiry_report.yml": case_expiry_report,
    "export_policy.yml": case_export_policy,
    "notify_expiry.yml": case_notify_expiry,
    "portfolio.yml": case_portfolio,
    "register.yml": case_register,
    "remediate.yml": case_remediate,
    "transfer.yml": case_transfer,
    "transfer_in.yml": case_transfer_in,
}


def test_every_shipped_playbook_has_a_case():
    shipped = sorted(path.name for path in PLAYBOOKS.glob("*.yml"))
    missing = [name for name in shipped if name not in CASES]
    assert missing == [], f"playbooks without a check-mode and real-run case in {Path(__file__).name}: {missing}"
    assert sorted(CASES) == shipped


@pytest.mark.parametrize("check", [True, False], ids=["check", "real"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_shipped_playbook_runs(name, check, run_playbook, sandbox, request):
    CASES[name](Harness(run_playbook, sandbox, request.getfixturevalue("tmp_path"), request), check)
