# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module against API answers the sandbox does not give by default: names stored in Unicode, opaque or
missing ids, and transfer secrets inside domain objects (served through the sandbox's fault injection)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

DOMAIN = "vpsorg.domains.vps_domain"
INFO = "vpsorg.domains.vps_domain_info"
TRANSFER = "vpsorg.domains.vps_domain_transfer"
PORTFOLIO = "vpsorg.domains.vps_portfolio"
LIST_PATH = "/api/v1/domains/"
SECRETS = {
    "auth_code": "LEAK-AUTH-CODE-1",
    "epp_code": "LEAK-EPP-CODE-2",
    "authInfo": "LEAK-AUTHINFO-3",
}


def writes(sandbox) -> List[dict]:
    return [e for e in sandbox.journal() if e["method"] != "GET"]


def page(*items: Dict[str, Any]) -> Dict[str, Any]:
    return {"count": len(items), "next": None, "previous": None, "results": list(items)}


def serve(sandbox, path_prefix: str, body: Any, count: int = 50) -> None:
    """Answer GETs under `path_prefix` with `body` (200) instead of the sandbox's own answer."""
    sandbox.add_fault(method="GET", path_prefix=path_prefix, status=200, body=body, count=count)


def assert_clean(run) -> None:
    """No task ended in a traceback: every failure is a message the module wrote."""
    assert "MODULE FAILURE" not in run.output
    assert "Traceback" not in run.output
    for result in run.results:
        assert "exception" not in result or "unexpected error" not in result.get("msg", ""), result


@pytest.mark.api_shape
def test_a_name_stored_in_unicode_is_found_by_every_module(sandbox, run_playbook):
    stored = sandbox.seed_domain(domain_name="bücher.app")
    assert stored["domain_name"] == "bücher.app"
    sandbox.clear_journal()
    run = run_playbook(
        [
            {
                "name": "Settings by punycode",
                DOMAIN: {"name": "xn--bcher-kva.app", "auto_renew": True, "allow_registration": True},
            },
            {"name": "Info by Unicode", INFO: {"name": "Bücher.APP"}},
            {"name": "Info by punycode", INFO: {"name": "xn--bcher-kva.app"}},
        ]
    )
    settings = run.result("Settings by punycode")
    assert run.status("Settings by punycode") == "ok", settings
    assert settings["changed"] is False
    assert settings["domain"]["domain_name"] == "bücher.app"
    for title in ("Info by Unicode", "Info by punycode"):
        assert run.status(title) == "ok", run.result(title)
        assert [d["domain_name"] for d in run.result(title)["domains"]] == ["bücher.app"]
    # Found, so nothing was registered: no POST, no charge.
    assert writes(sandbox) == []
    assert sandbox.ledger() == []
    searches = [e["query"].get("search") for e in sandbox.journal() if e["path"] == LIST_PATH]
    assert searches.count("xn--bcher-kva.app") == 3
    assert searches.count("bücher.app") == 3


@pytest.mark.api_shape
def test_transfer_secrets_in_api_answers_never_reach_any_output(sandbox, run_playbook):
    seeded = sandbox.seed_domain(domain_name="epp-leak.org")
    detail = sandbox.api("GET", f"domains/{seeded['id']}/")[2]
    item = {key: detail[key] for key in ("id", "domain_name", "status", "auto_renew", "locked", "nameservers")}
    whois = dict(detail["whois_info"], auth_info="LEAK-WHOIS-4")
    serve(sandbox, f"{LIST_PATH}{seeded['id']}/", dict(detail, whois_info=whois, **SECRETS))
    serve(sandbox, LIST_PATH, page(dict(item, **SECRETS)))
    run = run_playbook(
        [
            {"name": "Info by name", INFO: {"name": "epp-leak.org"}, "register": "by_name"},
            {"name": "Info list", INFO: {}, "register": "listed"},
            {"name": "Domain", DOMAIN: {"name": "epp-leak.org", "locked": True}, "register": "domain"},
            {"name": "Transfer", TRANSFER: {"name": "epp-leak.org", "auth_code": "OWN-CODE-99"}, "register": "t"},
            {"name": "Show", "ansible.builtin.debug": {"msg": "{{ [by_name, listed, domain, t] }}"}},
        ],
        verbosity=4,
        diff=True,
    )
    for title in ("Info by name", "Info list", "Domain", "Transfer"):
        assert run.status(title) == "ok", run.result(title)
    assert run.result("Info by name")["domains"][0]["whois_info"]["created_date"]
    assert run.result("Transfer")["msg"] == "epp-leak.org is already registered at VPS.org"
    recorded = json.dumps(run.results)
    for secret in (*SECRETS.values(), "LEAK-WHOIS-4", "OWN-CODE-99"):
        assert secret not in run.output
        assert secret not in recorded
    assert_clean(run)


@pytest.mark.api_shape
def test_opaque_and_missing_ids_end_in_a_result_or_a_clean_failure(sandbox, run_playbook):
    opaque = {"id": "3f2b6c1e-9a4d", "domain_name": "opaque-id.com", "status": "active", "auto_renew": True}
    serve(sandbox, f"{LIST_PATH}3f2b6c1e-9a4d/", dict(opaque, registrar="VPS.org", whois_info=None, extra=[1]), 1)
    serve(sandbox, LIST_PATH, page(opaque), count=1)
    run = run_playbook(
        [
            {"name": "Info with an opaque id", INFO: {"name": "opaque-id.com"}},
        ]
    )
    assert run.status("Info with an opaque id") == "ok", run.result("Info with an opaque id")
    assert run.result("Info with an opaque id")["domains"][0]["id"] == "3f2b6c1e-9a4d"
    detail_paths = [e["path"] for e in sandbox.journal() if e["path"] != LIST_PATH]
    assert detail_paths == ["/api/v1/domains/3f2b6c1e-9a4d/"]
    assert sandbox.faults() == []

    serve(sandbox, LIST_PATH, page({"domain_name": "no-id.com", "status": "active"}), count=3)
    sandbox.clear_journal()
    run = run_playbook(
        [
            {"name": "Domain", DOMAIN: {"name": "no-id.com", "locked": True, "allow_registration": True}},
            {"name": "Info", INFO: {"name": "no-id.com"}},
            {"name": "Transfer", TRANSFER: {"name": "no-id.com", "auth_code": "SOME-CODE-1"}},
        ]
    )
    for title in ("Domain", "Info", "Transfer"):
        result = run.result(title)
        assert run.status(title) == "failed", result
        assert "the API answered with a list item (no-id.com) without an id" in result["msg"], result
        assert "/api/v1/domains/" in result["msg"]
    assert writes(sandbox) == []
    assert sandbox.ledger() == []
    assert_clean(run)


@pytest.mark.api_shape
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"detail": "ok"}, "cannot tell whether a transfer is under way"),
        (["a", "b"], "cannot read odd-detail.org: GET /api/v1/domains/"),
        ("plain text", "cannot read odd-detail.org: GET /api/v1/domains/"),
    ],
)
def test_a_detail_without_the_expected_fields_fails_cleanly(sandbox, run_playbook, answer, message):
    seeded = sandbox.seed_domain(domain_name="odd-detail.org", registrar="Other Registrar Inc.")
    serve(sandbox, f"{LIST_PATH}{seeded['id']}/", answer)
    run = run_playbook([{"name": "Transfer", TRANSFER: {"name": "odd-detail.org", "auth_code": "SOME-CODE-1"}}])
    result = run.result("Transfer")
    assert run.status("Transfer") == "failed", result
    assert result["msg"].startswith(message), result["msg"]
    assert writes(sandbox) == []
    assert_clean(run)
