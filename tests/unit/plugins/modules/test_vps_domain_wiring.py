# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the module wiring (vps_domain, vps_domain_info, vps_domain_transfer): docs against argument specs,
validation before any request, results."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible_collections.vpsorg.domains.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.vpsorg.domains.plugins.module_utils._base import connection_argument_spec
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError
from ansible_collections.vpsorg.domains.plugins.modules import vps_domain, vps_domain_info, vps_domain_transfer
from ansible_collections.vpsorg.domains.tests.unit.module_args import patch_module_args
from ansible_collections.vpsorg.domains.tests.unit.paid_posts import PaidPosts

CONNECTION = {"api_token": "unit-test-token", "api_url": "http://127.0.0.1:9/api/v1"}


def listed(**fields):
    base = {
        "id": 101,
        "domain_name": "example-shop.com",
        "status": "active",
        "registration_date": "2023-03-01T10:00:00Z",
        "expiration_date": "2027-04-05T10:00:00Z",
        "auto_renew": True,
        "locked": True,
        "nameservers": ["ns1.vps.org", "ns2.vps.org"],
        "privacy_protection": True,
    }
    base.update(fields)
    return base


class FakeClient(PaidPosts):
    """Answers from a list of domains and records every call."""

    def __init__(self, domains=(), error=None):
        self.domains = [dict(domain) for domain in domains]
        self.error = error
        self.calls = []

    def _maybe_fail(self):
        if self.error is not None:
            raise self.error

    def find_domains(self, name):
        self.calls.append(("find_domains", name))
        self._maybe_fail()
        return [domain for domain in self.domains if domain["domain_name"] == name]

    def list_domains(self, *, status=None, search=None, concurrency=4):
        self.calls.append(("list_domains", status, search))
        self._maybe_fail()
        return [
            domain
            for domain in self.domains
            if (status is None or domain["status"] == status) and (search is None or search in domain["domain_name"])
        ]

    def get_domain(self, domain_id):
        self.calls.append(("get_domain", domain_id))
        domain = next(domain for domain in self.domains if domain["id"] == domain_id)
        return dict(domain, registrar="VPS.org", whois_info={}, transfer_status=None)

    def update_domain(self, domain_id, changes):
        self.calls.append(("update_domain", domain_id, changes))
        return dict(id=domain_id, message="ok", **changes)

    def remove_domain(self, domain_id):
        self.calls.append(("remove_domain", domain_id))

    def register_domain(self, body):
        self.calls.append(("register_domain", body))
        return dict(body, id=300, status="pending", locked=False, total_cost=12.99, message="initiated")


@pytest.fixture
def run_module(monkeypatch, capsys):
    """Run a module's main() with arguments and a fake client; returns (result, client or None)."""

    def _run(module, args, client=None, *, check=False, diff=False):
        created = []

        def fake_create_client(_module, **_kwargs):
            created.append(client)
            return client

        monkeypatch.setattr(module, "create_client", fake_create_client)
        all_args = dict(CONNECTION, **args, _ansible_check_mode=check, _ansible_diff=diff)
        with patch_module_args(all_args), pytest.raises(SystemExit):
            module.main()
        result = json.loads(capsys.readouterr().out)
        return result, bool(created)

    return _run


# -- documentation against the argument spec --------------------------------------------------------------------
_SPEC_KEYS = ("type", "default", "aliases", "choices", "elements", "required", "no_log")


def _normalised_spec(spec):
    normal = {}
    for name, option in spec.items():
        entry = {key: option[key] for key in _SPEC_KEYS if option.get(key) not in (None, False, [])}
        entry.setdefault("type", "str")
        normal[name] = entry
    return normal


def _normalised_docs(options):
    normal = {}
    for name, option in options.items():
        entry = {key: option[key] for key in _SPEC_KEYS if option.get(key) not in (None, False, [])}
        normal[name] = entry
    return normal


@pytest.mark.parametrize(
    "module", [vps_domain, vps_domain_info, vps_domain_transfer], ids=lambda module: module.__name__.rsplit(".", 1)[1]
)
def test_documented_options_match_the_argument_spec(module):
    docs = yaml.safe_load(module.DOCUMENTATION)
    assert docs["extends_documentation_fragment"] == ["vpsorg.domains.connection"]
    fragment = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    documented = _normalised_docs(dict(fragment, **docs["options"]))
    spec = dict(connection_argument_spec(), **module.ARGUMENT_SPEC)
    expected = _normalised_spec(spec)
    # no_log is not a documentation key; the fragment says so in words and the spec carries it.
    for entry in expected.values():
        entry.pop("no_log", None)
    assert documented == expected
    for name, option in docs["options"].items():
        assert option["description"], name
        assert all(isinstance(line, str) for line in option["description"]), name


@pytest.mark.parametrize(
    "module", [vps_domain, vps_domain_info, vps_domain_transfer], ids=lambda module: module.__name__.rsplit(".", 1)[1]
)
def test_examples_and_return_are_yaml(module):
    examples = yaml.safe_load(module.EXAMPLES)
    assert all(isinstance(task, dict) and task.get("name") for task in examples)
    returned = yaml.safe_load(module.RETURN)
    assert "failure" in returned


# -- validation before any request ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "not a domain"}, "name: 'not a domain' is not a valid domain name"),
        ({"name": "localhost"}, "name: 'localhost' is not a valid domain name"),
        ({"name": "example..com"}, "name: "),
        ({"name": ""}, "name: '' is not a valid domain name"),
        ({"name": "a.com", "nameservers": ["ns1.vps.org"]}, "nameservers: "),
        ({"name": "a.com", "nameservers": ["ns1.vps.org", "ns 2.vps.org"]}, "nameservers: 'ns 2.vps.org'"),
        ({"name": "a.com", "nameservers": ["a.b.c", "d.e.f", "g.h.i", "j.k.l", "m.n.o"]}, "nameservers: "),
        ({"name": "a.com", "years": 0}, "years: 0 is not a valid number of years"),
        ({"name": "a.com", "years": 11}, "years: 11 is not a valid number of years"),
        ({"name": "a.com", "wait_timeout": -1}, "wait_timeout: -1"),
        ({"name": "a.com", "years": "two"}, "years"),
        ({"name": "a.com", "auto_renew": "maybe"}, "auto_renew"),
        ({"name": "a.com", "state": "gone"}, "state"),
        ({"name": "a.com", "colour": "blue"}, "colour"),
        ({}, "name"),
    ],
)
def test_vps_domain_bad_arguments_fail_before_a_client_exists(run_module, args, message):
    client = FakeClient()
    result, created = run_module(vps_domain, args, client)
    assert result["failed"] is True
    assert message in result["msg"]
    assert not created
    assert client.calls == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "bad name"}, "name: 'bad name'"),
        ({"search": "  "}, "search: "),
        ({"expiring_within_days": -3}, "expiring_within_days: -3"),
        ({"status": "gone"}, "status"),
        ({"name": "a.com", "status": "active"}, "mutually exclusive"),
        ({"name": "a.com", "expiring_within_days": 3}, "mutually exclusive"),
    ],
)
def test_vps_domain_info_bad_arguments_fail_before_a_client_exists(run_module, args, message):
    result, created = run_module(vps_domain_info, args, FakeClient())
    assert result["failed"] is True
    assert message in result["msg"]
    assert not created


def test_idn_name_and_nameservers_are_canonical(run_module):
    client = FakeClient([listed(domain_name="xn--bcher-test-9db.com", nameservers=["a.example.net", "b.example.net"])])
    args = {"name": "Bücher-Test.COM.", "nameservers": ["B.Example.NET.", "a.example.net"]}
    result, _created = run_module(vps_domain, args, client)
    assert result["changed"] is False
    assert client.calls == [("find_domains", "xn--bcher-test-9db.com")]


def test_domain_name_alias(run_module):
    client = FakeClient([listed()])
    result, _created = run_module(vps_domain, {"domain_name": "example-shop.com"}, client)
    assert result["changed"] is False
    assert result["domain"]["id"] == 101


# -- results ----------------------------------------------------------------------------------------------------
def test_diff_only_in_diff_mode(run_module):
    client = FakeClient([listed()])
    result, _created = run_module(vps_domain, {"name": "example-shop.com", "locked": False}, client)
    assert "diff" not in result
    result, _created = run_module(
        vps_domain, {"name": "example-shop.com", "locked": False}, FakeClient([listed()]), diff=True
    )
    assert "locked: true\n" in result["diff"]["before"]
    assert "locked: false\n" in result["diff"]["after"]
    assert result["diff"]["before_header"] == "example-shop.com"


def test_check_mode_sends_no_write(run_module):
    client = FakeClient([listed()])
    result, _created = run_module(vps_domain, {"name": "example-shop.com", "locked": False}, client, check=True)
    assert result["changed"] is True
    assert result["domain"]["locked"] is False
    assert client.calls == [("find_domains", "example-shop.com")]


def test_registration_result(run_module):
    client = FakeClient()
    args = {"name": "new-shop.com", "allow_registration": True, "years": 2, "locked": True}
    result, _created = run_module(vps_domain, args, client)
    assert result["changed"] is True
    # total_cost is what the API said; estimated_cost the price table's 2 x 12.99.
    assert result["registration"] == {"total_cost": 12.99, "message": "initiated", "estimated_cost": 25.98}
    assert result["domain"]["locked"] is True
    # Not found by the searches of both name forms, then not in the whole list either: proven absent.
    assert client.calls[1][0] == "list_domains"
    assert client.calls[2:] == [
        ("register_domain", {"domain_name": "new-shop.com", "years": 2}),
        ("update_domain", 300, {"locked": True}),
    ]


def test_rule_failures_carry_their_result(run_module):
    result, _created = run_module(vps_domain, {"name": "example-shop.com", "state": "absent"}, FakeClient([listed()]))
    assert result["failed"] is True
    assert "auto-renew on" in result["msg"]
    assert result["domain"]["id"] == 101
    assert "failure" not in result


def test_api_errors_give_a_failure_dict(run_module):
    error = ApiError(
        "the API token was rejected", status=401, method="GET", path="/api/v1/domains/", detail="Unauthorized"
    )
    result, _created = run_module(vps_domain, {"name": "example-shop.com"}, FakeClient(error=error))
    assert result["failed"] is True
    assert result["msg"] == str(error)
    assert result["failure"] == {
        "status": 401,
        "method": "GET",
        "path": "/api/v1/domains/",
        "detail": "Unauthorized",
        "field_errors": {},
    }
    result, _created = run_module(vps_domain_info, {}, FakeClient(error=error))
    assert result["failure"]["status"] == 401
    assert result["domains"] == []


def test_absent_warns_when_the_transfer_state_is_unknown(run_module):
    class NoTransferStatus(FakeClient):
        def get_domain(self, domain_id):
            detail = super().get_domain(domain_id)
            del detail["transfer_status"]
            return detail

    client = NoTransferStatus([listed()])
    result, _created = run_module(
        vps_domain, {"name": "example-shop.com", "state": "absent", "auto_renew": True}, client
    )
    assert result["changed"] is True
    # ansible-core 2.19 returns warnings as structured events; the text is inside.
    assert "does not report a transfer status" in json.dumps(result["warnings"])
    assert client.calls[-1] == ("remove_domain", 101)


# -- vps_domain_info ----------------------------------------------------------------------------------------------
INFO_DOMAINS = [
    listed(id=103, domain_name="example-labs.io", expiration_date="2099-01-01T00:00:00Z"),
    listed(id=101, domain_name="example-shop.com", status="pending"),
    listed(id=102, domain_name="example-blog.net", expiration_date="2000-01-01T00:00:00Z"),
]


def test_info_lists_everything_sorted_by_name(run_module):
    client = FakeClient(INFO_DOMAINS)
    result, _created = run_module(vps_domain_info, {}, client, check=True)
    assert result["changed"] is False
    assert [domain["domain_name"] for domain in result["domains"]] == [
        "example-blog.net",
        "example-labs.io",
        "example-shop.com",
    ]
    assert client.calls == [("list_domains", None, None)]


def test_info_passes_filters_to_the_api(run_module):
    client = FakeClient(INFO_DOMAINS)
    result, _created = run_module(vps_domain_info, {"status": "pending", "search": "shop"}, client)
    assert [domain["id"] for domain in result["domains"]] == [101]
    assert client.calls == [("list_domains", "pending", "shop")]


def test_info_expiring_within_days_filters_locally(run_module):
    domains = [
        *INFO_DOMAINS,
        listed(id=104, domain_name="soon.com", expiration_date="2000-01-01T00:00:00Z"),
    ]
    # Far in the future is in range of a large window; the past always is (expired, with negative days_left).
    result, _created = run_module(vps_domain_info, {"expiring_within_days": 40000}, FakeClient(domains))
    assert [domain["domain_name"] for domain in result["domains"]] == [
        "example-blog.net",
        "example-labs.io",
        "example-shop.com",
        "soon.com",
    ]
    result, _created = run_module(vps_domain_info, {"expiring_within_days": 0}, FakeClient(domains))
    assert [(domain["domain_name"], domain["days_left"] < 0) for domain in result["domains"]] == [
        ("example-blog.net", True),
        ("soon.com", True),
    ]


def test_info_by_name_is_detail_shaped(run_module):
    client = FakeClient(INFO_DOMAINS)
    result, _created = run_module(vps_domain_info, {"name": "Example-Shop.com."}, client)
    assert [domain["id"] for domain in result["domains"]] == [101]
    assert result["domains"][0]["registrar"] == "VPS.org"
    assert client.calls == [("find_domains", "example-shop.com"), ("get_domain", 101)]


def test_info_by_name_not_in_the_account_is_an_empty_list(run_module):
    result, _created = run_module(vps_domain_info, {"name": "absent.com"}, FakeClient(INFO_DOMAINS))
    assert result["domains"] == []
    assert result["changed"] is False


# -- vps_domain_transfer ----------------------------------------------------------------------------------------
TRANSFER_ARGS = {"name": "transfer-me.org", "auth_code": "EPP-WIRING-1234"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "not a domain"}, "name: 'not a domain' is not a valid domain name"),
        ({"auth_code": "xy12"}, "auth_code is malformed: shorter than 6 characters"),
        ({"auth_code": "EPP CODE 1234"}, "auth_code is malformed: contains whitespace at position 4"),
        ({"max_cost": -5}, "max_cost: -5.0 is not a valid budget: must be an amount in USD of 0 or more"),
        ({"max_cost": "a lot"}, "max_cost"),
        ({"prices": {"org": -1}}, "prices.org: -1 is not a valid price: must be a price in USD of 0 or more"),
        ({"prices": {"": 3}}, "prices: '' is not a valid price table"),
    ],
)
def test_vps_domain_transfer_bad_arguments_fail_before_a_client_exists(run_module, args, message):
    result, created = run_module(vps_domain_transfer, dict(TRANSFER_ARGS, **args))
    assert result["failed"] is True
    assert message in result["msg"]
    assert created is False
    for code in ("xy12", "EPP CODE 1234"):
        if args.get("auth_code") == code:
            assert code not in json.dumps({k: v for k, v in result.items() if k != "invocation"})


class TransferClient(FakeClient):
    def get_domain(self, domain_id):
        self.calls.append(("get_domain", domain_id))
        domain = next(domain for domain in self.domains if domain["id"] == domain_id)
        return dict(domain, registrar="Other Registrar Inc.", whois_info={}, transfer_status=None)

    def start_transfer(self, domain_id, auth_code, auto_renew):
        self.calls.append(("start_transfer", domain_id, auth_code, auto_renew))
        return {"transfer_status": "pending", "total_cost": "13.99", "message": "Domain transfer initiated."}


def test_vps_domain_transfer_runs_its_task_through_run_module(run_module):
    domains = [listed(id=104, domain_name="transfer-me.org")]
    result, created = run_module(vps_domain_transfer, dict(TRANSFER_ARGS, max_cost=13.99), TransferClient(domains))
    assert created is True
    assert result["changed"] is True
    assert result["transfer"]["total_cost"] == 13.99
    assert "diff" not in result
    result, _created = run_module(vps_domain_transfer, TRANSFER_ARGS, TransferClient(domains), check=True, diff=True)
    assert result["transfer"]["estimated_cost"] == 13.99
    assert "transfer_status: pending\n" in result["diff"]["after"]
    assert result["diff"]["after_header"] == "transfer-me.org (transfer, estimated 13.99 USD)"
    result, _created = run_module(vps_domain_transfer, dict(TRANSFER_ARGS, max_cost=1), TransferClient(domains))
    assert result["failed"] is True
    assert "more than max_cost 1.00 USD" in result["msg"]


def test_vps_domain_transfer_api_errors_give_a_failure_dict(run_module):
    error = ApiError("the API token was rejected", status=401, method="GET", path="/api/v1/domains/")
    result, _created = run_module(vps_domain_transfer, TRANSFER_ARGS, FakeClient(error=error))
    assert result["failed"] is True
    assert result["msg"] == f"cannot look transfer-me.org up: {error}"
    assert result["failure"]["status"] == 401
