# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module against API answers that are legal JSON but not what the contract shows.

Each module runs its real main() with a real ApiClient whose HTTP is scripted per request. Whatever the answer,
the module must end in a result or in a failure it wrote itself: never a traceback ("MODULE FAILURE") and never
run_module's "unexpected error" catch-all, which is for defects, not for answers that are merely unexpected.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Tuple
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiClient, RetryPolicy
from ansible_collections.vpsorg.domains.plugins.modules import (
    vps_domain,
    vps_domain_info,
    vps_domain_transfer,
    vps_portfolio,
)
from ansible_collections.vpsorg.domains.tests.unit.module_args import patch_module_args
from requests.adapters import BaseAdapter

BASE = "http://127.0.0.1:9/api/v1"
CONNECTION = {"api_token": "unit-test-token", "api_url": BASE, "api_timeout": 1}
UUID = "3f2b6c1e-9a4d-4b8e-a1c2-7d5e4f3a2b10"
NAME = "odd-answer.com"
SECRET = "EPP-IN-ANSWER-31337"

Answer = Tuple[int, Any]


class World(BaseAdapter):
    """Answers every request from `answer(method, path, query, body)` and records it."""

    def __init__(self, answer: Callable[[str, str, Dict[str, List[str]], Any], Answer]) -> None:
        super().__init__()
        self.answer = answer
        self.sent: List[Tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, **_kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url)
        self.sent.append((request.method, parts.path))
        body = json.loads(request.body) if request.body else None
        status, payload = self.answer(request.method, parts.path, parse_qs(parts.query), body)
        response = requests.Response()
        response.status_code = status
        if payload is None:
            response._content = b""
        elif isinstance(payload, bytes):
            response._content = payload
        else:
            response._content = json.dumps(payload).encode()
            response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release."""


def domain(**fields: Any) -> Dict[str, Any]:
    base = {
        "id": UUID,
        "domain_name": NAME,
        "status": "active",
        "auto_renew": True,
        "locked": True,
        "privacy_protection": True,
        "nameservers": ["ns1.vps.org", "ns2.vps.org"],
        "expiration_date": "2027-01-01T00:00:00Z",
        "registration_date": "2020-01-01T00:00:00Z",
        "registrar": "Other Registrar Inc.",
        "transfer_status": None,
        "whois_info": {"created_date": "2020-01-01T00:00:00Z"},
    }
    base.update(fields)
    return base


def account_of(item: Any) -> Callable[[str, str, Dict[str, List[str]], Any], Answer]:
    """An account whose list holds `item` and whose every other answer echoes it (a domain object)."""

    def answer(method: str, path: str, _query: Dict[str, List[str]], body: Any) -> Answer:
        if method == "GET" and path == "/api/v1/domains/":
            return 200, {"count": 1, "next": None, "results": [item]}
        if method == "DELETE":
            return 204, None
        if method == "POST" and path == "/api/v1/domains/":
            return 201, dict(item if isinstance(item, dict) else {}, **(body or {}), total_cost="12.99")
        return 200, item

    return answer


# The odd answers: each is an account whose one domain (or whose answers) the contract does not show.
ODD = {
    "uuid ids": account_of(domain()),
    "slug ids": account_of(domain(id="odd-answer-com")),
    "numeric string ids": account_of(domain(id="104")),
    "missing id": account_of({k: v for k, v in domain().items() if k != "id"}),
    "null id": account_of(domain(id=None)),
    "container id": account_of(domain(id={"pk": 1})),
    "null fields": account_of(
        domain(
            status=None,
            auto_renew=None,
            locked=None,
            privacy_protection=None,
            nameservers=None,
            expiration_date=None,
            registration_date=None,
            registrar=None,
            whois_info=None,
        )
    ),
    "strings for bools": account_of(domain(auto_renew="true", locked="false", privacy_protection="yes")),
    "wrong types": account_of(domain(nameservers="ns1.vps.org", whois_info=["x"], expiration_date=20270101)),
    "unknown extra keys": account_of(domain(weird={"nested": [1, None]}, **{"x-foo": None, "": 3})),
    "secrets in objects": account_of(domain(auth_code=SECRET, epp_code=SECRET, authInfo=SECRET)),
    "vps under a legal name": account_of(domain(registrar="VPS.org, LLC", transfer_status="completed")),
    "name in unicode": account_of(domain(domain_name="odd-answer.com", registrar="vps.org")),
    "empty bodies": lambda method, path, _q, _b: (
        (200, {"count": 1, "next": None, "results": [domain()]})
        if method == "GET" and path == "/api/v1/domains/"
        else (200 if method != "POST" else 201, None)
    ),
    "list of lists": lambda method, path, _q, _b: (200, [[1, 2]]),
    # Writes answered 2xx with what is not a success: an error body, a failed status, another domain.
    "error-shaped write answers": lambda method, path, _q, _b: (
        (200, {"count": 1, "next": None, "results": [domain()]})
        if method == "GET" and path == "/api/v1/domains/"
        else (200, domain())
        if method == "GET"
        else (200, {"detail": "Not done.", "success": False})
    ),
    "failed status in write answers": lambda method, path, _q, body: (
        (200, {"count": 1, "next": None, "results": [domain()]})
        if method == "GET" and path == "/api/v1/domains/"
        else (200, domain())
        if method == "GET"
        else (201, domain(status="failed", transfer_status="failed", **(body or {})))
    ),
    "answers about another domain": lambda method, path, _q, _b: (
        (200, {"count": 1, "next": None, "results": [domain()]})
        if method == "GET" and path == "/api/v1/domains/"
        else (200 if method != "POST" else 201, domain(id="999", domain_name="other-answer.com", auto_renew=False))
    ),
    "list as a string": lambda method, path, _q, _b: (200, "not a list"),
    # Dates: placeholders for "never", epoch seconds, a legacy format, garbage: never a crash.
    "never-expires dates": account_of(
        domain(expiration_date="9999-12-31", whois_info={"created_date": "9999-12-31"}, registration_date="9999-12-31")
    ),
    "year one with an offset": account_of(
        domain(
            expiration_date="0001-01-01T00:00:00+01:00",
            whois_info={"created_date": "0001-01-01T00:00:00+01:00"},
            registration_date="0001-01-01",
        )
    ),
    "epoch dates": account_of(
        domain(expiration_date=1798761600, whois_info={"created_date": "1577836800"}, registration_date=1577836800.5)
    ),
    "huge epoch dates": account_of(domain(expiration_date=10**30, whois_info={"created_date": -(10**30)})),
    "us dates": account_of(domain(expiration_date="06/01/2026", whois_info={"created_date": "01/02/2020"})),
    "garbage dates": account_of(
        domain(expiration_date={"when": "soon"}, whois_info={"created_date": [2020]}, registration_date=True)
    ),
    "not-a-number dates": lambda method, path, _q, _b: (
        200,
        {"count": 1, "next": None, "results": [dict(domain(), expiration_date=float("nan"))]}
        if method == "GET" and path == "/api/v1/domains/"
        else dict(domain(), expiration_date=float("inf"), whois_info={"created_date": float("-inf")}),
    ),
    "json nested too deeply": lambda method, path, _q, _b: (200, b"[" * 5000 + b"]" * 5000),
    "token echoed in another case": lambda method, path, _q, _b: (
        401,
        {"detail": f"Invalid token {CONNECTION['api_token'].upper()} / {CONNECTION['api_token'].title()}"},
    ),
    "detail as a list": lambda method, path, _q, _b: (
        (200, {"count": 1, "next": None, "results": [domain()]})
        if method == "GET" and path == "/api/v1/domains/"
        else (200, ["not", "an", "object"])
    ),
}

RUNS = {
    "vps_domain settings": (
        vps_domain,
        {"name": NAME, "auto_renew": False, "locked": True, "nameservers": ["ns1.a.com", "ns2.a.com"]},
    ),
    "vps_domain register": (vps_domain, {"name": "new-" + NAME, "allow_registration": True, "wait": True}),
    "vps_domain absent": (vps_domain, {"name": NAME, "state": "absent", "auto_renew": False}),
    "vps_domain_info name": (vps_domain_info, {"name": NAME}),
    "vps_domain_info expiring": (vps_domain_info, {"expiring_within_days": 30}),
    "vps_domain_info list": (vps_domain_info, {}),
    "vps_domain_info as_policy": (vps_domain_info, {"as_policy": True}),
    "vps_domain_transfer": (vps_domain_transfer, {"name": NAME, "auth_code": "EPP-ODD-1234", "force": True}),
    "vps_domain_transfer forced for an attempt": (
        vps_domain_transfer,
        {"name": NAME, "auth_code": "EPP-ODD-1234", "force": True, "override_attempt": "Other Registrar Inc.@x"},
    ),
    "vps_portfolio": (vps_portfolio, {"settings": {"auto_renew": False}, "domains": [{"name": NAME}]}),
}


WORLDS = sorted(ODD)


@pytest.mark.parametrize("world_name", WORLDS)
@pytest.mark.parametrize("run_name", sorted(RUNS))
def test_odd_answers_end_in_a_result_or_a_clean_failure(monkeypatch, capsys, world_name, run_name):
    module, args = RUNS[run_name]
    world = World(ODD[world_name])
    client = ApiClient(
        CONNECTION["api_token"],
        BASE,
        retry=RetryPolicy(max_attempts=2, sleep=lambda _s: None, clock=lambda: 0.0, jitter=lambda: 0.0),
    )
    client.session.mount("http://", world)
    monkeypatch.setattr(module, "create_client", lambda _module, **_kwargs: client)
    with patch_module_args(dict(CONNECTION, **args)), pytest.raises(SystemExit):
        module.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert "unexpected error" not in result.get("msg", ""), result
    assert "exception" not in result, result
    assert SECRET not in out
    assert CONNECTION["api_token"].lower() not in out.lower()
    if result.get("failed"):
        assert isinstance(result["msg"], str) and result["msg"], result
    # Nothing is ever paid for twice, whatever the answers.
    posts = [sent for sent in world.sent if sent[0] == "POST"]
    assert len(posts) <= 1, world.sent


def test_the_odd_answers_are_really_served():
    """The scripted world answers as the test above assumes (so a passing run there means something)."""
    client = ApiClient("unit-test-token", BASE, retry=RetryPolicy(max_attempts=1, sleep=lambda _s: None))
    client.session.mount("http://", World(ODD["uuid ids"]))
    assert client.find_domains(NAME)[0]["id"] == UUID
    assert client.get_domain(UUID)["domain_name"] == NAME
    client.session.mount("http://", World(ODD["secrets in objects"]))
    assert "auth_code" not in client.get_domain(UUID)


def test_an_unclear_registration_is_looked_up_for_the_whole_grace_period_without_real_waiting(
    monkeypatch, capsys, fake_time
):
    """An empty 201 to the POST: the name is looked up until the grace period (10 s at api_timeout 1) is over.

    The task waits on the fake clock of conftest.py (injected through _base.TASK_SLEEP/TASK_CLOCK), so the whole
    grace period passes and no real second is slept.
    """
    world = World(ODD["empty bodies"])
    client = ApiClient(
        CONNECTION["api_token"],
        BASE,
        retry=RetryPolicy(max_attempts=2, sleep=lambda _s: None, clock=lambda: 0.0, jitter=lambda: 0.0),
    )
    client.session.mount("http://", world)
    monkeypatch.setattr(vps_domain, "create_client", lambda _module, **_kwargs: client)
    module, args = RUNS["vps_domain register"]
    with patch_module_args(dict(CONNECTION, **args)), pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert "within 10 seconds" in result["msg"], result
    assert fake_time.now >= 10
    assert fake_time.sleeps, "the look-up never waited"
    assert [sent for sent in world.sent if sent[0] == "POST"] == [("POST", "/api/v1/domains/")]


@pytest.mark.parametrize("world_name", WORLDS)
def test_odd_answers_through_the_inventory_mapping_and_the_report_filter(world_name):
    """The inventory's hosts and variables, and the report page, from whatever an odd account holds.

    The report filter is a check of its argument around render_html; importing it here would load the controller
    side of ansible-core into this process, which changes how later module runs record their warnings.
    """
    from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError
    from ansible_collections.vpsorg.domains.plugins.module_utils._findings import find_all
    from ansible_collections.vpsorg.domains.plugins.module_utils._forecast import expiry_calendar
    from ansible_collections.vpsorg.domains.plugins.module_utils._inventory import (
        STATUSES,
        default_groups,
        host_vars,
        hosts_of,
    )
    from ansible_collections.vpsorg.domains.plugins.module_utils._report import render_html
    from ansible_collections.vpsorg.domains.plugins.module_utils._time import expiry_entry

    client = ApiClient("unit-test-token", BASE, retry=RetryPolicy(max_attempts=1, sleep=lambda _s: None))
    client.session.mount("http://", World(ODD[world_name]))
    try:
        account = client.list_domains()
    except ApiError:
        return  # the inventory plugin turns this into its own clean error (tested with the plugin)
    hosts, _warnings = hosts_of(account, (*STATUSES, None))
    for name, found in hosts:
        host_vars(name, found)
        default_groups(name, found, 30)
    findings = find_all(hosts)
    report = {
        "summary": {"checked": len(hosts)},
        "expiring": [expiry_entry(found, name=name) for name, found in hosts],
        "findings": findings,
        "expiry_calendar": expiry_calendar(hosts),
    }
    assert render_html(report).startswith("<!DOCTYPE html>")
