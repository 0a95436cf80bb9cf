# SPDX-License-Identifier: GPL-3.0-or-later
"""A catalogue of invalid inputs: each fails with a message naming the option, and not one request is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

import pytest

DOMAIN = "vpsorg.domains.vps_domain"
INFO = "vpsorg.domains.vps_domain_info"
TRANSFER = "vpsorg.domains.vps_domain_transfer"
PORTFOLIO = "vpsorg.domains.vps_portfolio"
ROLE = "role"
SHOP = "example-shop.com"
# ansible-core rejects a string where an option with suboptions wants a dict before the module runs, with this
# message, which does not name the option (ansible.module_utils.common.parameters._list_no_log_values). The module
# cannot improve it; such cases must fail with either the option named or exactly this message.
CORE_DICT = "dictionary requested, could not parse JSON or key=value"


@dataclass(frozen=True)
class Case:
    id: str
    module: str  # a module, or ROLE for the portfolio role (args are then the role's variables)
    args: Dict[str, Any]
    expect: Tuple[str, ...]  # every fragment must be in the failure message
    note: str = field(default="", compare=False)  # why the input is wrong, when not obvious; or CORE_DICT


# fmt: off
CATALOGUE: List[Case] = [
    # vps_domain: names
    Case("empty name", DOMAIN, {"name": ""}, ("name:",)),
    Case("whitespace in name", DOMAIN, {"name": "exa mple.com"}, ("name:", "whitespace")),
    Case("leading hyphen", DOMAIN, {"name": "-bad.com"}, ("name:", "hyphen")),
    Case("empty label", DOMAIN, {"name": "a..com"}, ("name:", "empty label")),
    Case("label over 63", DOMAIN, {"name": "a" * 64 + ".com"}, ("name:", "63")),
    Case("name over 253", DOMAIN, {"name": ".".join(["a" * 60] * 5) + ".com"}, ("name:", "253")),
    Case("underscore", DOMAIN, {"name": "ex_ample.com"}, ("name:", "underscore")),
    Case("path in name", DOMAIN, {"name": "example.com/../../accounts"}, ("name:",)),
    Case("query in name", DOMAIN, {"name": "example.com?search=x"}, ("name:",)),
    Case("port in name", DOMAIN, {"name": "example.com:8080"}, ("name:",)),
    Case("single label", DOMAIN, {"name": "localhost"}, ("name:", "two labels")),
    Case("numeric tld", DOMAIN, {"name": "example.123"}, ("name:",)),
    Case("reserved hyphens", DOMAIN, {"name": "ab--cd.com"}, ("name:",)),
    Case("name as a list", DOMAIN, {"name": ["a.com", "b.com"]}, ("name",)),
    Case("name missing", DOMAIN, {"auto_renew": True}, ("name",)),
    # vps_domain: IDN edge cases
    Case("idn symbol", DOMAIN, {"name": "\u2603.com"}, ("name:",), "not allowed in IDNA 2008"),
    Case("idn bad punycode", DOMAIN, {"name": "xn--zz.com"}, ("name:", "punycode")),
    Case("idn empty punycode", DOMAIN, {"name": "xn--.com"}, ("name:",)),
    Case("idn joiner", DOMAIN, {"name": "b\u00fccher\u200d.com"}, ("name:",), "ZWJ out of context"),
    Case("idn bidi", DOMAIN, {"name": "\u05e9\u05dc\u05d5\u05dd1a.com"}, ("name:",), "bidi rule"),
    Case("idn combining first", DOMAIN, {"name": "\u0300a.com"}, ("name:",)),
    # vps_domain: years, nameservers, other options
    Case("years zero", DOMAIN, {"name": "new.com", "years": 0}, ("years",)),
    Case("years eleven", DOMAIN, {"name": "new.com", "years": 11}, ("years",)),
    Case("years negative", DOMAIN, {"name": "new.com", "years": -1}, ("years",)),
    Case("years text", DOMAIN, {"name": "new.com", "years": "two"}, ("years",)),
    Case("years fraction", DOMAIN, {"name": "new.com", "years": 1.5}, ("years",)),
    Case("one nameserver", DOMAIN, {"name": "example-shop.com", "nameservers": ["ns1.vps.org"]},
         ("nameservers",)),
    Case("duplicate nameservers", DOMAIN, {"name": SHOP, "nameservers": ["ns1.vps.org", "NS1.VPS.org."]},
         ("nameservers",), "the same host twice is one"),
    Case("five nameservers", DOMAIN, {"name": SHOP, "nameservers": [f"ns{i}.vps.org" for i in "12345"]},
         ("nameservers",)),
    Case("bad nameserver", DOMAIN, {"name": "example-shop.com", "nameservers": ["ns1.vps.org", "ns_2..org"]},
         ("nameservers",)),
    Case("empty nameserver", DOMAIN, {"name": "example-shop.com", "nameservers": ["ns1.vps.org", ""]},
         ("nameservers",)),
    Case("no nameservers", DOMAIN, {"name": "example-shop.com", "nameservers": []}, ("nameservers",)),
    Case("unknown state", DOMAIN, {"name": "example-shop.com", "state": "gone"}, ("state",)),
    Case("bool as text", DOMAIN, {"name": "example-shop.com", "auto_renew": "maybe"}, ("auto_renew",)),
    Case("allow_registration text", DOMAIN, {"name": "new.com", "allow_registration": "perhaps"},
         ("allow_registration",)),
    Case("wait_timeout text", DOMAIN, {"name": "example-shop.com", "wait_timeout": "soon"}, ("wait_timeout",)),
    Case("wait_timeout negative", DOMAIN, {"name": "example-shop.com", "wait_timeout": -5}, ("wait_timeout",)),
    Case("unknown option", DOMAIN, {"name": "example-shop.com", "colour": "red"}, ("colour",)),
    # connection options (shared by every module)
    Case("api_url not http", DOMAIN, {"name": "example-shop.com", "api_url": "ftp://admin.vps.org/api/v1"},
         ("api_url",)),
    Case("api_url empty", INFO, {"api_url": ""}, ("api_url",)),
    Case("api_url with password", INFO, {"api_url": "https://user:pw@admin.vps.org/api/v1"}, ("api_url",)),
    Case("api_timeout text", INFO, {"api_timeout": "slow"}, ("api_timeout",)),
    Case("api_timeout zero", INFO, {"api_timeout": 0}, ("api_timeout",)),
    Case("ca_path missing file", INFO, {"ca_path": "/nonexistent/ca-bundle.pem"}, ("ca_path",)),
    Case("api_token empty", INFO, {"api_token": ""}, ("api_token",)),
    Case("validate_certs text", INFO, {"validate_certs": "sometimes"}, ("validate_certs",)),
    # vps_domain_info
    Case("name and status", INFO, {"name": "example-shop.com", "status": "active"}, ("name", "status")),
    Case("unknown status", INFO, {"status": "deleted"}, ("status",)),
    Case("days as text", INFO, {"expiring_within_days": "soon"}, ("expiring_within_days",)),
    Case("days negative", INFO, {"expiring_within_days": -1}, ("expiring_within_days",)),
    Case("info bad name", INFO, {"name": "bad name.com"}, ("name:",)),
    # vps_domain_transfer
    Case("empty auth code", TRANSFER, {"name": "transfer-me.org", "auth_code": ""}, ("auth_code",)),
    Case("blank auth code", TRANSFER, {"name": "transfer-me.org", "auth_code": "   "}, ("auth_code",)),
    Case("auth code line break", TRANSFER, {"name": "transfer-me.org", "auth_code": "EPP-DE\nMO-1234"},
         ("auth_code",)),
    Case("auth code quote", TRANSFER, {"name": "transfer-me.org", "auth_code": "\u201cEPP-DEMO-1234\u201d"},
         ("auth_code",), "typographic quotes pasted from a document"),
    Case("auth code missing", TRANSFER, {"name": "transfer-me.org"}, ("auth_code",)),
    Case("transfer bad name", TRANSFER, {"name": "transfer..me.org", "auth_code": "EPP-DEMO-1234"}, ("name:",)),
    Case("transfer bool text", TRANSFER, {"name": "transfer-me.org", "auth_code": "EPP-DEMO-12", "force": "yes!"},
         ("force",)),
    # vps_portfolio
    Case("unknown setting", PORTFOLIO, {"settings": {"autorenew": True}}, ("autorenew",)),
    Case("setting not bool", PORTFOLIO, {"settings": {"locked": "perhaps"}}, ("locked",)),
    Case("policy one nameserver", PORTFOLIO, {"settings": {"nameservers": ["ns1.vps.org"]}}, ("nameservers",)),
    Case("unknown domain key", PORTFOLIO, {"domains": [{"name": "example-shop.com", "colour": "red"}]},
         ("colour",)),
    Case("domain without name", PORTFOLIO, {"domains": [{"auto_renew": True}]}, ("name",)),
    Case("domain bad name", PORTFOLIO, {"domains": [{"name": "bad..name"}]}, ("name",)),
    Case("domains not a list", PORTFOLIO, {"domains": "example-shop.com"}, ("domains",), CORE_DICT),
    Case("unknown status filter", PORTFOLIO, {"statuses": ["active", "deleted"]}, ("statuses",)),
    Case("concurrency zero", PORTFOLIO, {"concurrency": 0}, ("concurrency",)),
    Case("max_changes negative", PORTFOLIO, {"max_changes": -1}, ("max_changes",)),
    Case("warning days text", PORTFOLIO, {"expiry_warning_days": "soon"}, ("expiry_warning_days",)),
    Case("settings not a dict", PORTFOLIO, {"settings": ["auto_renew"]}, ("settings",), CORE_DICT),
    # the portfolio role (its argument_specs, then the module's own checks)
    Case("role unknown setting", ROLE, {"portfolio_settings": {"autorenew": True}}, ("autorenew",)),
    Case("role setting not bool", ROLE, {"portfolio_settings": {"privacy_protection": "perhaps"}},
         ("privacy_protection",)),
    Case("role unknown domain key", ROLE, {"portfolio_domains": [{"name": "example-shop.com", "privacy": True}]},
         ("privacy",)),
    Case("role domain without name", ROLE, {"portfolio_domains": [{"locked": True}]}, ("name",)),
    Case("role concurrency text", ROLE, {"portfolio_concurrency": "fast"}, ("portfolio_concurrency",)),
    Case("role fail_on_drift text", ROLE, {"portfolio_fail_on_drift": "maybe"}, ("portfolio_fail_on_drift",)),
    Case("role unknown status", ROLE, {"portfolio_statuses": ["archived"]}, ("portfolio_statuses",)),
    Case("role settings not dict", ROLE, {"portfolio_settings": ["auto_renew"]}, ("portfolio_settings",)),
    Case("role one nameserver", ROLE, {"portfolio_settings": {"nameservers": ["ns1.vps.org"]}}, ("nameservers",)),
    Case("role concurrency zero", ROLE, {"portfolio_concurrency": 0}, ("concurrency",)),
    Case("role bad domain name", ROLE, {"portfolio_domains": [{"name": "-bad-.com"}]}, ("name",)),
]
# fmt: on


def test_catalogue_is_large_and_unique() -> None:
    assert len(CATALOGUE) >= 30
    assert len({case.id for case in CATALOGUE}) == len(CATALOGUE)
    assert {case.module for case in CATALOGUE} == {DOMAIN, INFO, TRANSFER, PORTFOLIO, ROLE}


def _task(case: Case) -> Dict[str, Any]:
    if case.module != ROLE:
        return {"name": case.id, case.module: case.args, "ignore_errors": True}
    # A failed role validation ends the host's play unless rescued; the rescue records the failure.
    return {
        "name": f"block {case.id}",
        "block": [
            {"name": case.id, "ansible.builtin.include_role": {"name": "vpsorg.domains.portfolio"}, "vars": case.args}
        ],
        "rescue": [{"name": f"rescued {case.id}", "ansible.builtin.debug": {"var": "ansible_failed_result"}}],
    }


def _failure_message(run: Any, case: Case) -> Tuple[bool, str]:
    """(whether the case failed, its message)."""
    if case.module != ROLE:
        return run.status(case.id) == "failed", str(run.result(case.id).get("msg", ""))
    rescued = [record for record in run.results if record["task"] == f"rescued {case.id}"]
    if not rescued:
        return False, "the role did not fail"
    failure = rescued[-1]["result"].get("ansible_failed_result") or {}
    return True, str(failure.get("msg", "")) + " " + str(failure.get("argument_errors", ""))


# Two playbook runs (one per group) so that parallel test workers share the catalogue.
GROUPS = {"vps_domain": (DOMAIN,), "others": (INFO, TRANSFER, PORTFOLIO, ROLE)}


@pytest.mark.slow
@pytest.mark.parametrize("group", list(GROUPS))
def test_invalid_input_is_refused_before_any_request(sandbox: Any, run_playbook: Any, group: str) -> None:
    cases = [case for case in CATALOGUE if case.module in GROUPS[group]]
    run = run_playbook([_task(case) for case in cases], ignore_errors=False)
    problems = []
    for case in cases:
        try:
            failed, message = _failure_message(run, case)
        except AssertionError as error:
            problems.append(f"{case.id}: no result ({error})")
            continue
        if not failed:
            problems.append(f"{case.id}: did not fail ({message[:300]})")
            continue
        missing = [fragment for fragment in case.expect if fragment not in message]
        if missing and not (case.note == CORE_DICT and message.strip() == CORE_DICT):
            problems.append(f"{case.id}: message lacks {missing}: {message[:400]}")
        if "Traceback" in message or "MODULE FAILURE" in message:
            problems.append(f"{case.id}: crashed: {message[:400]}")
    journal = sandbox.journal()
    if journal:
        problems.append(
            f"{len(journal)} request(s) sent: {[(e['method'], e['path'], e['query'], e['body']) for e in journal]}"
        )
    if sandbox.ledger():
        problems.append(f"charges: {sandbox.ledger()}")
    assert not problems, "\n".join(problems)
