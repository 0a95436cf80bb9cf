# SPDX-License-Identifier: GPL-3.0-or-later
"""Adopting an account: playbooks/export_policy.yml, then the portfolio role with the exported file, for real.

The property: for any account the sandbox can hold, the exported policy applied by the role sends no write;
then a domain changed by hand is exactly one drift and a domain removed by hand exactly one missing.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Dict, List

import idna
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPORT = REPO_ROOT / "playbooks" / "export_policy.yml"
MODULE_TASK = "Apply the portfolio policy"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
VPS_NS = ["ns1.vps.org", "ns2.vps.org"]
_accounts = itertools.count(1)


def apply_playbook(directory: Path, policy_file: Path) -> Path:
    """A nightly-job playbook that takes its policy from the exported vars file."""
    play = {
        "name": "Nightly job",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars_files": [str(policy_file)],
        "roles": ["vpsorg.domains.portfolio"],
    }
    path = directory / "nightly.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return path


def module_result(run) -> Dict[str, Any]:
    for record in reversed(run.results):
        if MODULE_TASK in record["task"]:
            return record["result"]
    raise AssertionError(f"the role did not run; tasks: {[record['task'] for record in run.results]}\n{run.output}")


def writes(journal: List[Dict[str, Any]], account: str) -> List[Dict[str, Any]]:
    return [entry for entry in journal if entry["method"] in WRITES and entry["account"] == account]


def export(run_playbook, tmp_path: Path, name: str, **env: str):
    dest = tmp_path / name
    run = run_playbook(playbook=EXPORT, extra_args=["-e", f"export_dest={dest}"], env=env)
    assert run.rc == 0, run.output
    return run, dest


@pytest.mark.api_shape
def test_export_writes_a_commented_vars_file_that_changes_nothing(run_playbook, sandbox, tmp_path):
    sandbox.seed_domain(domain_name="xn--mnchen-3ya.de", status="pending", locked=False)
    sandbox.seed_domain(domain_name="expired-shop.com", status="expired", auto_renew=False)
    _run, dest = export(run_playbook, tmp_path, "policy.yml")
    text = dest.read_text(encoding="utf-8")
    assert text.startswith(f"# Portfolio policy exported from {sandbox.api_url}\n# on 20")
    data = yaml.safe_load(text)
    assert list(data) == ["portfolio_settings", "portfolio_domains"]
    assert data["portfolio_settings"] == {
        "auto_renew": True,
        "locked": True,
        "privacy_protection": True,
        "nameservers": VPS_NS,
    }
    by_name = {entry.pop("name"): entry for entry in data["portfolio_domains"]}
    assert list(by_name) == sorted(by_name)
    assert by_name["xn--mnchen-3ya.de"] == {"locked": False}
    assert by_name["expired-shop.com"] == {"auto_renew": False}
    assert by_name["example-shop.com"] == {}
    assert len(by_name) == 6
    # Reading is all it did.
    assert {entry["method"] for entry in sandbox.journal()} == {"GET"}

    # A second export differs only in the header's time: the policy is written in a stable order.
    _again, second = export(run_playbook, tmp_path, "again.yml")
    body = [line for line in text.splitlines() if not line.startswith("# on ")]
    assert [line for line in second.read_text(encoding="utf-8").splitlines() if not line.startswith("# on ")] == body

    sandbox.clear_journal()
    nightly = run_playbook(playbook=apply_playbook(tmp_path, dest))
    assert nightly.rc == 0, nightly.output
    result = module_result(nightly)
    assert result["changed"] is False
    assert result["missing"] == []
    assert result["summary"]["checked"] == 4  # the active ones; pending and expired are skipped, not missing
    assert {item["name"] for item in result["skipped_domains"]} == {"xn--mnchen-3ya.de", "expired-shop.com"}
    assert writes(sandbox.journal(), "demo") == []
    assert sandbox.ledger() == []


# -- the property, for real -----------------------------------------------------------------------------------

_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=3, max_size=12).filter(
    lambda label: not label.startswith("xn")
)
_UNICODE_LABEL = st.sampled_from(["münchen", "bücher", "straße", "café", "日本語", "пример"])
_NAME = st.tuples(st.one_of(_LABEL, _UNICODE_LABEL), st.sampled_from(["com", "net", "org", "de", "io"])).map(
    lambda parts: idna.encode(".".join(parts), uts46=True).decode("ascii")
)
_HOSTS = ["ns1.vps.org", "ns2.vps.org", "ns1.example.net", "ns2.example.net", "ns3.vps.org"]


@st.composite
def accounts(draw) -> List[Dict[str, Any]]:
    names = draw(st.lists(_NAME, min_size=2, max_size=12, unique=True))
    domains = [
        {
            "domain_name": name,
            # The first two are active, so one can drift and one can go; the rest may be in any state.
            "status": "active" if index < 2 else draw(st.sampled_from(["active", "pending", "expired", "locked"])),
            "auto_renew": draw(st.booleans()),
            "locked": draw(st.booleans()),
            "privacy_protection": draw(st.booleans()),
            "nameservers": draw(st.lists(st.sampled_from(_HOSTS), min_size=2, max_size=4, unique=True)),
        }
        for index, name in enumerate(names)
    ]
    return draw(st.permutations(domains))


# Two examples end to end (each one export and three playbook runs): every setting drifts at once on the changed
# domain, so both examples prove the drift of all four through the real API. The breadth (any account, each
# setting alone is exactly one drift and nothing else) is the unit property tests' in
# tests/unit/plugins/module_utils/test_policy.py (hundreds of examples, no playbook).
_SETTINGS = ["auto_renew", "locked", "privacy_protection", "nameservers"]


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(account=accounts())
def test_any_account_is_adopted_with_zero_writes(run_playbook, sandbox, tmp_path_factory, account):
    sandbox.reset()
    number = next(_accounts)
    label, token = f"adopt{number}", f"adopt-token-{number}"
    sandbox.add_account(label, token, "100.00")
    seeded = sandbox._ok("POST", "domains", [dict(domain, account=label) for domain in account])
    workdir = tmp_path_factory.mktemp("adopt")
    env = {"VPSORG_API_TOKEN": token}

    _run, dest = export(run_playbook, workdir, "policy.yml", **env)
    exported = yaml.safe_load(dest.read_text(encoding="utf-8"))
    assert sorted(entry["name"] for entry in exported["portfolio_domains"]) == sorted(d["domain_name"] for d in seeded)

    nightly = apply_playbook(workdir, dest)
    first = run_playbook(playbook=nightly, env=env)
    assert first.rc == 0, first.output
    assert module_result(first)["changed"] is False
    assert writes(sandbox.journal(), label) == []

    # By hand, through the API: one active domain changed, another removed.
    active = [domain for domain in seeded if domain["status"] == "active"]
    changed, removed = active[0], active[1]
    values = {
        setting: ["ns1.elsewhere.test", "ns2.elsewhere.test"] if setting == "nameservers" else not changed[setting]
        for setting in _SETTINGS
    }
    status, _headers, _body = sandbox.api("PUT", f"domains/{changed['id']}/", values, token=token)
    assert status == 200
    status, _headers, _body = sandbox.api("DELETE", f"domains/{removed['id']}/", token=token)
    assert status in (200, 204)

    audit = run_playbook(playbook=nightly, env=env, check=True)
    result = module_result(audit)
    assert [change["name"] for change in result["changes"]] == [changed["domain_name"]]
    assert set(result["changes"][0]["after"]) == set(_SETTINGS)
    assert result["missing"] == [removed["domain_name"]]
    assert result["summary"]["drifted"] == 1
    assert result["summary"]["missing"] == 1
