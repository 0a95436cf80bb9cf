# SPDX-License-Identifier: GPL-3.0-or-later
"""A catalogue of invalid inputs: each fails with a message naming the option, and not one request is sent.

Each case runs the module's real main(): its argument spec (AnsibleModule), its request builder
(domain_request, check_info_request, transfer_request, portfolio_request) and the real create_client, with every
way out to the network closed (an HTTP adapter and a socket that fail the test when used). The portfolio role's
cases go through the role's own meta/argument_specs.yml the way ansible-core validates it, then, when that
passes, through vps_portfolio with the arguments the role's task gives it. A few of these cases run end to end
through ansible-playbook in tests/integration/test_bad_input.py.
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import requests.adapters
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.vpsorg.domains.plugins.modules import (
    vps_domain,
    vps_domain_info,
    vps_domain_transfer,
    vps_portfolio,
)
from ansible_collections.vpsorg.domains.tests.unit.module_args import patch_module_args

COLLECTION_ROOT = Path(__file__).resolve().parents[4]
ROLE_DIR = COLLECTION_ROOT / "roles" / "portfolio"
DOMAIN = "vpsorg.domains.vps_domain"
INFO = "vpsorg.domains.vps_domain_info"
TRANSFER = "vpsorg.domains.vps_domain_transfer"
PORTFOLIO = "vpsorg.domains.vps_portfolio"
ROLE = "role"
MODULES = {DOMAIN: vps_domain, INFO: vps_domain_info, TRANSFER: vps_domain_transfer, PORTFOLIO: vps_portfolio}
SHOP = "example-shop.com"
# What the integration tests set through module_defaults: an address nothing listens on (no request may leave).
CONNECTION = {"api_url": "http://127.0.0.1:9/api/v1", "api_token": "unit-test-token"}
# ansible-core rejects a string where an option with suboptions wants a dict before the module runs, with this
# message, which does not name the option (ansible.module_utils.common.parameters._list_no_log_values). The module
# cannot improve it; such cases must fail with either the option named or exactly this message.
CORE_DICT = "dictionary requested, could not parse JSON or key=value"
# The role's variables and the vps_portfolio options its task passes them to (roles/portfolio/tasks/main.yml;
# test_the_role_passes_its_variables_as_these_options checks the list against the task).
ROLE_OPTIONS = {
    "portfolio_settings": "settings",
    "portfolio_domains": "domains",
    "portfolio_exclude": "exclude",
    "portfolio_statuses": "statuses",
    "portfolio_register_missing": "register_missing",
    "portfolio_max_changes": "max_changes",
    "portfolio_max_spend": "max_spend",
    "portfolio_prices": "prices",
    "portfolio_concurrency": "concurrency",
    "portfolio_expiry_warning_days": "expiry_warning_days",
    "portfolio_transfers": "transfers",
    "portfolio_restart_failed_transfers": "restart_failed_transfers",
}


@dataclass(frozen=True)
class Case:
    id: str
    module: str  # a module, or ROLE for the portfolio role (args are then the role's variables)
    args: Dict[str, Any]
    expect: Tuple[str, ...]  # every fragment must be in the failure message
    note: str = field(default="", compare=False)  # why the input is wrong, when not obvious; or CORE_DICT
    starts: str = ""  # the message starts with this
    equals: str = ""  # the message is exactly this


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

# Cases that ran end to end in the modules' and the role's integration files; the id says which test they came
# from (tests/integration/<file>::<test>) and they assert the same messages.
VALIDATION = "Validation of arguments failed"  # the role's argument_specs refused it: the module never ran
_TRANSFER = {"name": "transfer-me.org", "auth_code": "EPP-DEMO-1234"}
# fmt: off
CATALOGUE += [
    # test_vps_domain.py::test_bad_arguments_fail_before_any_request
    Case("vps_domain bad name", DOMAIN, {"name": "not a domain"},
         ("name: 'not a domain' is not a valid domain name",)),
    Case("vps_domain bad idn", DOMAIN, {"name": "xn--zz.com"}, ("name: 'xn--zz.com'",)),
    Case("vps_domain one nameserver", DOMAIN, {"name": SHOP, "nameservers": ["ns1.vps.org"]},
         ("nameservers: ", "2 to 4")),
    Case("vps_domain bad nameserver", DOMAIN, {"name": SHOP, "nameservers": ["ns1.vps.org", "ns_2.vps.org"]},
         ("nameservers: 'ns_2.vps.org'", "underscore")),
    Case("vps_domain too many years", DOMAIN, {"name": "fresh-name.com", "allow_registration": True, "years": 11},
         ("years: 11", "between 1 and 10")),
    Case("vps_domain negative wait", DOMAIN, {"name": SHOP, "wait": True, "wait_timeout": -5}, ("wait_timeout: -5",)),
    Case("vps_domain wrong type", DOMAIN, {"name": SHOP, "auto_renew": "sometimes"}, ("auto_renew",)),
    Case("vps_domain unknown option", DOMAIN, {"name": SHOP, "colour": "blue"}, ("colour",)),
    Case("vps_domain missing name", DOMAIN, {"state": "present"}, ("name",)),
    Case("vps_domain plain http elsewhere", DOMAIN, {"name": SHOP, "api_url": "http://api.example.net/api/v1"},
         ("http",)),
    Case("vps_domain info name and filter", INFO, {"name": SHOP, "status": "active"},
         ("mutually exclusive", "name", "status")),
    Case("vps_domain info negative days", INFO, {"expiring_within_days": -1}, ("expiring_within_days: -1",)),
    # test_vps_domain.py::test_no_credentials_fail_before_any_request (no api_token and no VPSORG_API_TOKEN)
    Case("vps_domain no token", DOMAIN, {"name": SHOP, "api_token": None}, ("api_token",)),
    # test_vps_domain_info.py::test_bad_arguments_fail_before_any_request
    Case("info name and search", INFO, {"name": SHOP, "search": "shop"}, ("mutually exclusive",)),
    Case("info name and days", INFO, {"name": SHOP, "expiring_within_days": 3}, ("mutually exclusive",)),
    Case("info unknown status", INFO, {"status": "sleeping"}, ("status",)),
    Case("info bad name -bad-", INFO, {"name": "-bad-.com"}, ("name: '-bad-.com'",)),
    Case("info empty search", INFO, {"search": ""}, ("search: ",)),
    Case("info days not a number", INFO, {"expiring_within_days": "soon"}, ("expiring_within_days",)),
    # test_export_policy.py::test_as_policy_with_a_filter_fails_before_any_request
    Case("as_policy with name", INFO, {"as_policy": True, "name": SHOP}, ("name",), starts="as_policy: "),
    Case("as_policy with search", INFO, {"as_policy": True, "search": "shop"}, ("search",)),
    # test_vps_portfolio.py::test_a_misspelt_setting_fails_before_any_request, ..._override_..., test_bad_values_...
    Case("portfolio misspelt setting", PORTFOLIO, {"settings": {"auto_renwe": True}}, ("settings.auto_renwe",)),
    Case("portfolio misspelt override", PORTFOLIO, {"domains": [{"name": SHOP, "lock": True}]}, ("domains.lock",)),
    Case("portfolio nameservers", PORTFOLIO, {"settings": {"nameservers": ["ns1.vps.org"]}}, (),
         starts="settings.nameservers: "),
    Case("portfolio twice", PORTFOLIO, {"domains": [{"name": "a-shop.com"}, {"name": "A-Shop.com."}]}, (),
         starts="domains[1].name: a-shop.com is listed twice"),
    Case("portfolio pattern", PORTFOLIO, {"exclude": ["not a name"]}, (), starts="exclude[0]: "),
    Case("portfolio concurrency", PORTFOLIO, {"concurrency": 0}, (), starts="concurrency: "),
    Case("portfolio status", PORTFOLIO, {"statuses": ["actve"]}, ("statuses",)),
    # test_vps_domain_transfer.py::test_empty_or_malformed_auth_code_fails_before_any_request
    Case("transfer code empty", TRANSFER, dict(_TRANSFER, auth_code=""), (), equals="auth_code is empty"),
    Case("transfer code blank", TRANSFER, dict(_TRANSFER, auth_code=" \n "), (), equals="auth_code is empty"),
    Case("transfer code space", TRANSFER, dict(_TRANSFER, auth_code="EPP 12345"), (),
         equals="auth_code is malformed: contains whitespace at position 4"),
    Case("transfer code short", TRANSFER, dict(_TRANSFER, auth_code="SHORT"), (),
         equals="auth_code is malformed: shorter than 6 characters"),
    Case("transfer code long", TRANSFER, dict(_TRANSFER, auth_code="X" * 256), (),
         equals="auth_code is malformed: longer than 255 characters"),
    Case("transfer code non-ascii", TRANSFER, dict(_TRANSFER, auth_code="EPP-\u201c12345"), (),
         equals="auth_code is malformed: contains a non-ASCII character at position 5"),
    # test_vps_domain_transfer.py::test_missing_auth_code_fails_before_any_request
    Case("transfer code missing", TRANSFER, {"name": "transfer-me.org"}, (),
         equals="missing required arguments: auth_code"),
    # test_vps_domain_transfer.py::test_bad_budget_options_fail_before_any_request
    Case("transfer max_cost negative", TRANSFER, dict(_TRANSFER, max_cost=-1),
         ("max_cost: -1.0 is not a valid budget: must be an amount in USD of 0 or more",)),
    Case("transfer price text", TRANSFER, dict(_TRANSFER, prices={"org": "cheap"}),
         ("prices.org: 'cheap' is not a valid price",)),
    Case("transfer price bad tld", TRANSFER, dict(_TRANSFER, prices={"not a tld!": 5}),
         ("is not a valid top-level domain",)),
    # test_portfolio_role.py::test_argument_specs_refuse_misspelt_keys_before_any_request
    Case("role spec auto_renwe", ROLE, {"portfolio_settings": {"auto_renwe": True}}, (VALIDATION, "auto_renwe")),
    Case("role spec lock", ROLE, {"portfolio_domains": [{"name": SHOP, "lock": True}]}, (VALIDATION, "lock")),
    Case("role spec no name", ROLE, {"portfolio_domains": [{"locked": True}]}, (VALIDATION, "name")),
    Case("role spec actve", ROLE, {"portfolio_statuses": ["actve"]}, (VALIDATION, "actve")),
    Case("role spec concurrency many", ROLE, {"portfolio_concurrency": "many"},
         (VALIDATION, "portfolio_concurrency")),
    Case("role spec locked perhaps", ROLE, {"portfolio_settings": {"locked": "perhaps"}},
         (VALIDATION, "'locked' is of type")),
    # test_portfolio_money.py::test_fail_on_rejects_an_unknown_condition_before_any_request
    Case("role fail_on unknown", ROLE, {"portfolio_fail_on": ["expird"]}, (VALIDATION, "expird")),
]
# fmt: on


def test_catalogue_is_large_and_unique() -> None:
    assert len(CATALOGUE) >= 30
    assert len({case.id for case in CATALOGUE}) == len(CATALOGUE)
    assert {case.module for case in CATALOGUE} == {DOMAIN, INFO, TRANSFER, PORTFOLIO, ROLE}


class NetworkUsed(AssertionError):
    """A request was about to leave: bad input must be refused before any."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Every way out is closed: the HTTP adapter and the socket record the attempt and fail."""
    attempts: List[str] = []

    def send(_adapter: Any, request: Any, *_args: Any, **_kwargs: Any) -> Any:
        attempts.append(f"{request.method} {request.url}")
        raise NetworkUsed(f"request sent: {request.method} {request.url}")

    def connect(_socket: Any, address: Any) -> None:
        attempts.append(f"connect {address}")
        raise NetworkUsed(f"connection opened to {address}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    monkeypatch.setattr(socket.socket, "connect", connect)
    for name in ("VPSORG_API_URL", "VPSORG_API_TOKEN", "VPSORG_CA_PATH", "VPSORG_API_TIMEOUT", "VPSORG_VALIDATE_CERTS"):
        monkeypatch.delenv(name, raising=False)
    return attempts


def _run_main(module: Any, args: Dict[str, Any], capsys: pytest.CaptureFixture) -> Dict[str, Any]:
    with patch_module_args(dict(CONNECTION, **args)), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def _role_spec() -> Dict[str, Any]:
    specs = yaml.safe_load((ROLE_DIR / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return specs["argument_specs"]["main"]["options"]


def _role_failure(args: Dict[str, Any], capsys: pytest.CaptureFixture) -> Tuple[bool, str]:
    """What the role does with these variables: its argument_specs first, then vps_portfolio with its options."""
    defaults = yaml.safe_load((ROLE_DIR / "defaults" / "main.yml").read_text(encoding="utf-8"))
    variables = dict(defaults, **args)
    # As ansible.builtin.validate_argument_spec does for a role: the role's variables against its spec.
    validation = ArgumentSpecValidator(_role_spec()).validate(variables)
    if validation.error_messages:
        return True, "Validation of arguments failed: " + " ".join(validation.error_messages)
    # The task omits the options whose variable is null.
    options = {option: variables[var] for var, option in ROLE_OPTIONS.items() if variables.get(var) is not None}
    result = _run_main(vps_portfolio, options, capsys)
    return bool(result.get("failed")), str(result.get("msg", ""))


@pytest.mark.parametrize("case", CATALOGUE, ids=lambda case: case.id)
def test_invalid_input_is_refused_before_any_request(
    case: Case, no_network: List[str], capsys: pytest.CaptureFixture
) -> None:
    if case.module == ROLE:
        failed, message = _role_failure(case.args, capsys)
    else:
        result = _run_main(MODULES[case.module], case.args, capsys)
        failed, message = bool(result.get("failed")), str(result.get("msg", ""))
        assert "exception" not in result, result
    assert failed, f"{case.id}: did not fail ({message[:300]})"
    if case.equals:
        assert message == case.equals, case.id
    assert message.startswith(case.starts), (case.id, message)
    missing = [fragment for fragment in case.expect if fragment not in message]
    assert not missing or (case.note == CORE_DICT and message.strip() == CORE_DICT), (
        f"{case.id}: message lacks {missing}: {message[:400]}"
    )
    assert "unexpected error" not in message and "Traceback" not in message, message
    assert no_network == []


def test_the_closed_network_fails_a_request(no_network: List[str]) -> None:
    """The guard above really catches a request (so a pass there means none was sent)."""
    with pytest.raises(NetworkUsed):
        requests.get(CONNECTION["api_url"] + "/domains/", timeout=1)
    assert no_network == ["GET http://127.0.0.1:9/api/v1/domains/"]


def test_the_role_passes_its_variables_as_these_options() -> None:
    """ROLE_OPTIONS is what the role's task passes to vps_portfolio, variable for option."""
    tasks = yaml.safe_load((ROLE_DIR / "tasks" / "main.yml").read_text(encoding="utf-8"))
    module_args = next(
        task["vpsorg.domains.vps_portfolio"]
        for block in tasks
        for task in block.get("block", [block])
        if "vpsorg.domains.vps_portfolio" in task
    )
    passed = {}
    for option, template in module_args.items():
        variables = set(re.findall(r"\bportfolio_[a-z_]+\b", str(template)))
        assert len(variables) == 1, (option, template)
        passed[variables.pop()] = option
    assert passed == ROLE_OPTIONS
    assert set(ROLE_OPTIONS) <= set(_role_spec())
