# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX job-template playbooks, run the way AWX runs them: connection only from the credential's injectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO_ROOT = Path(__file__).resolve().parents[2]
NIGHTLY = REPO_ROOT / "playbooks" / "awx_portfolio_nightly.yml"
AUDIT = REPO_ROOT / "playbooks" / "awx_portfolio_audit.yml"
CREDENTIAL_TYPE = REPO_ROOT / "extensions" / "awx" / "credential_type_vpsorg.yml"
POLICY = {"portfolio_settings": {"auto_renew": True, "locked": True, "privacy_protection": True}}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _awx_environment(inputs: Dict[str, str]) -> Dict[str, str]:
    """The environment AWX gives a job with a credential of our type: every injector rendered with the inputs."""
    credential_type = yaml.safe_load(CREDENTIAL_TYPE.read_text(encoding="utf-8"))
    jinja = ImmutableSandboxedEnvironment()
    return {
        name: jinja.from_string(template).render(**inputs)
        for name, template in credential_type["injectors"]["env"].items()
    }


def _writes(journal: List[Dict[str, Any]]) -> List[str]:
    return [f"{entry['method']} {entry['path']}" for entry in journal if entry["method"] in WRITE_METHODS]


def _task_result(run, suffix: str) -> Dict[str, Any]:
    """The result of a role task, whatever prefix the callback gives role task names."""
    for record in reversed(run.results):
        if record["task"].endswith(suffix):
            return record["result"]
    raise AssertionError(f"no task ending in {suffix!r}; tasks run: {[r['task'] for r in run.results]}")


@pytest.fixture
def awx_run(run_playbook, sandbox):
    """Run a job-template playbook with only the credential's environment and the template's extra vars."""

    def _run(playbook: Path, *, check: bool = False, extra_vars: Dict[str, Any] | None = None):
        # ca_path is left empty, as most credentials will leave it: AWX then injects an empty VPSORG_CA_PATH.
        environment = _awx_environment({"api_token": sandbox.token, "api_url": sandbox.api_url})
        assert environment["VPSORG_CA_PATH"] == ""
        return run_playbook(
            playbook=playbook,
            check=check,
            env=environment,
            extra_args=["-e", json.dumps(extra_vars if extra_vars is not None else POLICY)],
        )

    return _run


def test_nightly_applies_the_policy_then_changes_nothing(awx_run, sandbox):
    first = awx_run(NIGHTLY)
    assert first.rc == 0, first.output
    writes = _writes(sandbox.journal())
    assert writes, "the demo account has drifted domains; the nightly run must correct them"
    assert all(write.startswith("PUT /api/v1/domains/") for write in writes), writes
    status, _headers, body = sandbox.api("GET", "domains/")
    assert status == 200
    for domain in body["results"]:
        if domain["status"] == "active":
            assert (domain["auto_renew"], domain["locked"], domain["privacy_protection"]) == (True, True, True)
    report = _task_result(first, "Apply the portfolio policy")
    assert report["summary"]["failed"] == 0

    sandbox.clear_journal()
    second = awx_run(NIGHTLY)
    assert second.rc == 0, second.output
    assert _writes(sandbox.journal()) == []
    assert _task_result(second, "Apply the portfolio policy")["changed"] is False


def test_audit_fails_on_drift_and_writes_nothing(awx_run, sandbox):
    run = awx_run(AUDIT, check=True)
    assert run.rc != 0, run.output
    assert "example-blog.net" in run.output
    assert "differ from the policy" in run.output
    assert _writes(sandbox.journal()) == []


def test_audit_passes_once_the_nightly_run_has_applied_the_policy(awx_run, sandbox):
    assert awx_run(NIGHTLY).rc == 0
    sandbox.clear_journal()
    run = awx_run(AUDIT, check=True)
    assert run.rc == 0, run.output
    assert _writes(sandbox.journal()) == []


def test_audit_refuses_to_run_outside_check_mode(awx_run, sandbox):
    run = awx_run(AUDIT, check=False)
    assert run.rc != 0
    assert "run it in check mode" in run.output
    assert sandbox.journal() == []


@pytest.mark.api_shape
def test_a_compliance_audit_fails_on_the_listed_findings_even_without_drift(awx_run, sandbox, tmp_path):
    # A policy that manages only auto-renew: after the nightly run nothing drifts, but two domains stay unlocked.
    policy = {"portfolio_settings": {"auto_renew": True}}
    assert awx_run(NIGHTLY, extra_vars=policy).rc == 0
    sandbox.clear_journal()
    page = tmp_path / "audit.html"
    compliance = dict(
        policy,
        portfolio_fail_on=["expired", "expiring_without_auto_renew", "unlocked"],
        portfolio_report_html=str(page),
    )
    run = awx_run(AUDIT, check=True, extra_vars=compliance)
    assert run.rc != 0, run.output
    message = _task_result(run, "Fail when a domain failed, on a listed finding, or on drift in an audit")["msg"]
    assert message == (
        "2 finding(s) listed in portfolio_fail_on: example-blog.net unlocked (the transfer lock is off), "
        "transfer-me.org unlocked (the transfer lock is off)"
    )
    assert "example-blog.net" in page.read_text(encoding="utf-8")
    assert _writes(sandbox.journal()) == []
    # The same audit without the compliance list passes: nothing drifted.
    assert awx_run(AUDIT, check=True, extra_vars=policy).rc == 0
