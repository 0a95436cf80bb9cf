# SPDX-License-Identifier: GPL-3.0-or-later
"""The policy an account already follows: majorities, protective ties, exceptions, and the zero-write property."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _portfolio as portfolio
from ansible_collections.vpsorg.domains.plugins.module_utils._policy import account_policy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

VPS_NS = ["ns1.vps.org", "ns2.vps.org"]
OWN_NS = ["ns1.example.net", "ns2.example.net"]
STATUSES = ["active", "pending", "expired", "locked"]


def domain(domain_id: int, name: str, **fields: Any) -> Dict[str, Any]:
    base = {
        "id": domain_id,
        "domain_name": name,
        "status": "active",
        "expiration_date": "2030-01-01T00:00:00Z",
        "auto_renew": True,
        "locked": True,
        "privacy_protection": True,
        "nameservers": list(VPS_NS),
    }
    base.update(fields)
    return base


def entries(policy: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {entry["name"]: {k: v for k, v in entry.items() if k != "name"} for entry in policy["domains"]}


def test_majority_settings_and_only_the_exceptions():
    account = [
        domain(1, "a.com"),
        domain(2, "b.com", auto_renew=False),
        domain(3, "c.com", nameservers=["NS2.vps.org.", "ns1.vps.org"]),
        domain(4, "d.com", nameservers=list(OWN_NS), privacy_protection=False),
    ]
    policy = account_policy(account)
    assert policy["settings"] == {
        "auto_renew": True,
        "locked": True,
        "privacy_protection": True,
        "nameservers": VPS_NS,
    }
    # c.com's nameservers are the same set in another spelling: no exception.
    assert entries(policy) == {
        "a.com": {},
        "b.com": {"auto_renew": False},
        "c.com": {},
        "d.com": {"nameservers": OWN_NS, "privacy_protection": False},
    }
    assert [entry["name"] for entry in policy["domains"]] == ["a.com", "b.com", "c.com", "d.com"]
    assert policy["warnings"] == []


def test_the_majority_wins_against_the_protective_value():
    account = [domain(n, f"d{n}.com", locked=False, auto_renew=False) for n in range(1, 4)] + [domain(9, "z.com")]
    policy = account_policy(account)
    assert policy["settings"]["locked"] is False
    assert policy["settings"]["auto_renew"] is False
    assert entries(policy)["z.com"] == {"auto_renew": True, "locked": True}


@pytest.mark.parametrize("setting", ["auto_renew", "locked", "privacy_protection"])
def test_a_tie_goes_to_the_protective_value(setting):
    policy = account_policy([domain(1, "a.com", **{setting: False}), domain(2, "b.com")])
    assert policy["settings"][setting] is True
    assert entries(policy)["a.com"] == {setting: False}


def test_a_tie_between_nameserver_sets_is_broken_the_same_way_in_any_order():
    one = [domain(1, "a.com", nameservers=list(OWN_NS)), domain(2, "b.com")]
    first = account_policy(one)
    second = account_policy(list(reversed(one)))
    assert first == second
    assert first["settings"]["nameservers"] == OWN_NS  # "ns1.example.net" sorts before "ns1.vps.org"


def test_every_status_is_listed_and_idn_names_are_canonical():
    account = [
        domain(1, "MÜNCHEN.de", status="pending", locked=False),
        domain(2, "b.com", status="expired"),
        domain(3, "c.com", status="locked"),
    ]
    policy = account_policy(account)
    assert entries(policy) == {"b.com": {}, "c.com": {}, "xn--mnchen-3ya.de": {"locked": False}}


def test_an_unstateable_setting_stays_per_domain_with_a_warning():
    account = [
        domain(1, "a.com", nameservers=["ns1.vps.org"]),
        domain(2, "b.com"),
        domain(3, "c.com", privacy_protection=None),
    ]
    policy = account_policy(account)
    assert "nameservers" not in policy["settings"]
    assert "privacy_protection" not in policy["settings"]
    assert entries(policy) == {
        "a.com": {"privacy_protection": True},
        "b.com": {"nameservers": VPS_NS, "privacy_protection": True},
        "c.com": {"nameservers": VPS_NS},
    }
    assert any("nameservers" in warning and "a.com" in warning for warning in policy["warnings"])
    assert any("privacy_protection" in warning and "c.com" in warning for warning in policy["warnings"])


def test_a_name_held_by_several_ids_is_listed_once_with_a_warning():
    policy = account_policy([domain(12, "a.com", locked=False), domain(7, "A.com.")])
    assert [entry["name"] for entry in policy["domains"]] == ["a.com"]
    assert "ids 7, 12" in policy["warnings"][0]
    assert policy["settings"]["locked"] is True  # the lowest id's settings


def test_an_empty_account_gives_an_empty_policy():
    assert account_policy([]) == {"settings": {}, "domains": [], "warnings": []}


# -- the property: the exported policy, fed back to the portfolio plan, writes nothing -------------------------

_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10).filter(
    lambda label: not label.startswith("xn")
)
_UNICODE_LABEL = st.sampled_from(["münchen", "bücher", "straße", "café", "日本", "пример"])
_NAME = st.tuples(st.one_of(_LABEL, _UNICODE_LABEL), st.sampled_from(["com", "net", "org", "de", "io"])).map(".".join)
_HOSTS = ["ns1.vps.org", "ns2.vps.org", "ns1.example.net", "ns2.example.net", "dns.bücher.de", "ns3.vps.org"]
_NAMESERVERS = st.lists(st.sampled_from(_HOSTS), min_size=2, max_size=4, unique=True).flatmap(
    # Any spelling of the same set: case, trailing dot, order.
    lambda hosts: st.permutations([host.upper() if len(host) % 2 else host + "." for host in hosts])
)


@st.composite
def accounts(draw) -> List[Dict[str, Any]]:
    names = draw(
        st.lists(_NAME, min_size=0, max_size=25, unique_by=lambda name: portfolio.account_name({"domain_name": name}))
    )
    return [
        domain(
            index + 1,
            name,
            status=draw(st.sampled_from(STATUSES)),
            auto_renew=draw(st.booleans()),
            locked=draw(st.booleans()),
            privacy_protection=draw(st.booleans()),
            nameservers=draw(_NAMESERVERS),
        )
        for index, name in enumerate(names)
    ]


def _plan(policy: Dict[str, Any], account: List[Dict[str, Any]], statuses: List[str]) -> portfolio.PortfolioPlan:
    built = portfolio.build_policy(settings=policy["settings"], domains=policy["domains"], statuses=statuses)
    return portfolio.plan_portfolio(built, account)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(account=accounts(), statuses=st.sampled_from([["active"], STATUSES]))
def test_the_policy_of_any_account_plans_no_write_and_misses_nothing(account, statuses):
    policy = account_policy(account)
    plan = _plan(policy, account, statuses)
    assert plan.writes == []
    assert plan.missing == []
    assert len(policy["domains"]) == len(account)
    assert len(plan.checked) + len(plan.skipped) == len(account)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(account=accounts().filter(lambda account: len(account) >= 2), data=st.data())
def test_one_domain_changed_is_one_drift_and_one_removed_is_one_missing(account, data):
    policy = account_policy(account)
    changed, removed = data.draw(st.permutations(range(len(account))))[:2]
    setting = data.draw(st.sampled_from(["auto_renew", "locked", "privacy_protection", "nameservers"]))
    after = [dict(item) for item in account]
    if setting == "nameservers":
        current = portfolio.canonical_nameservers(after[changed]["nameservers"])
        after[changed]["nameservers"] = (
            ["ns9.elsewhere.test", "ns8.elsewhere.test"]
            if current
            != [
                "ns8.elsewhere.test",
                "ns9.elsewhere.test",
            ]
            else list(VPS_NS)
        )
    else:
        after[changed][setting] = not after[changed][setting]
    gone = portfolio.account_name(after[removed])
    del after[removed]
    plan = _plan(policy, after, STATUSES)
    assert [change.name for change in plan.writes] == [portfolio.account_name(account[changed])]
    assert set(plan.writes[0].after) == {setting}
    assert plan.missing == [gone]
