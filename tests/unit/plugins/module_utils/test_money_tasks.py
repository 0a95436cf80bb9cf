# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of money in the tasks: max_cost, max_spend, estimates, and amounts sent as strings (DRF decimals)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _domain as dom
from ansible_collections.vpsorg.domains.plugins.module_utils import _portfolio as portfolio
from ansible_collections.vpsorg.domains.plugins.module_utils._money import price_table
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue
from ansible_collections.vpsorg.domains.plugins.module_utils._task import TaskError
from ansible_collections.vpsorg.domains.tests.unit.paid_posts import PaidPosts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def when(days: float) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeClient(PaidPosts):
    """An account in memory: registrations answer with `total_cost` as DRF renders it (a string)."""

    def __init__(self, domains: Optional[List[Dict[str, Any]]] = None, prices: Optional[Dict[str, str]] = None):
        self.domains = list(domains or [])
        self.prices = prices or {"com": "12.99", "net": "14.99", "io": "39.99", "shop": "30.00"}
        self.calls: List[tuple] = []
        self.next_id = 500

    def list_domains(self, *, concurrency=4):
        self.calls.append(("list_domains",))
        return [dict(domain) for domain in self.domains]

    def find_domains(self, name):
        self.calls.append(("find_domains", name))
        return [dict(domain) for domain in self.domains if domain["domain_name"] == name]

    def register_domain(self, body):
        self.calls.append(("register_domain", body["domain_name"]))
        self.next_id += 1
        years = body.get("years", 1)
        tld = body["domain_name"].rsplit(".", 1)[1]
        cost = f"{float(self.prices[tld]) * years:.2f}"
        domain = {
            "id": self.next_id,
            "domain_name": body["domain_name"],
            "status": "pending",
            "expiration_date": when(365 * years),
            "auto_renew": body.get("auto_renew", True),
            "locked": False,
            "privacy_protection": body.get("privacy_protection", True),
            "nameservers": ["ns1.vps.org", "ns2.vps.org"],
        }
        self.domains.append(domain)
        return dict(domain, total_cost=cost, message="Domain registration initiated.")

    def update_domain(self, domain_id, changes):
        self.calls.append(("update_domain", domain_id, changes))
        return dict({"id": domain_id}, **changes)

    @property
    def posts(self) -> List[str]:
        return [call[1] for call in self.calls if call[0] == "register_domain"]


# -- vps_domain: max_cost ---------------------------------------------------------------------------------


def register(client, name, *, check_mode=False, **options):
    request = dom.DomainRequest(name, allow_registration=True, **options)
    return dom.DomainOperation(client, request, check_mode=check_mode, grace_seconds=0).run()


def test_a_registration_reports_total_cost_as_a_number_when_the_api_sends_a_string():
    result = register(FakeClient(), "new-shop.com", years=2)
    assert result["registration"]["total_cost"] == 25.98
    assert isinstance(result["registration"]["total_cost"], float)
    assert result["registration"]["estimated_cost"] == 25.98


def test_check_mode_shows_the_estimate_and_sends_nothing():
    client = FakeClient()
    result = register(client, "new-shop.io", check_mode=True, years=3)
    assert result["registration"] == {"estimated_cost": 119.97}
    assert client.posts == []


def test_max_cost_equal_to_the_estimate_passes():
    client = FakeClient()
    result = register(client, "new-shop.com", years=2, max_cost=25.98)
    assert result["changed"] is True
    assert client.posts == ["new-shop.com"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_max_cost_below_the_estimate_fails_before_the_post(check_mode):
    client = FakeClient()
    with pytest.raises(TaskError) as caught:
        register(client, "new-shop.com", check_mode=check_mode, years=2, max_cost=25.97)
    assert caught.value.msg == (
        "max_cost: registering new-shop.com for 2 year(s) is estimated at 25.98 USD, more than max_cost 25.97 USD; "
        "nothing was sent"
    )
    assert caught.value.result == {"changed": False}
    assert client.posts == []


def test_an_unknown_price_fails_only_while_max_cost_is_set():
    client = FakeClient()
    with pytest.raises(TaskError, match=r"^max_cost: the price of new\.shop is unknown"):
        register(client, "new.shop", max_cost=100)
    assert client.posts == []
    # Without a budget the registration goes ahead, with no estimate; a price from `prices` makes it known.
    assert register(client, "new.shop")["registration"]["estimated_cost"] is None
    other = FakeClient()
    result = register(other, "other.shop", max_cost=30, prices=price_table({".SHOP": "30"}))
    assert result["registration"] == {
        "total_cost": 30.0,
        "message": "Domain registration initiated.",
        "estimated_cost": 30.0,
    }


# -- vps_portfolio: max_spend -----------------------------------------------------------------------------


def portfolio_run(client, *, check_mode=False, **params):
    params.setdefault("settings", {"auto_renew": True})
    params.setdefault("register_missing", True)
    request = portfolio.portfolio_request(params)
    return portfolio.PortfolioOperation(client, request, check_mode=check_mode, grace_seconds=0, now=NOW).run()


def names(*items: str) -> List[Dict[str, str]]:
    return [{"name": item} for item in items]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"max_spend": -1}, "max_spend: "),
        ({"max_spend": "lots"}, "max_spend: "),
        ({"prices": {"com": "cheap"}}, "prices.com: "),
        ({"prices": {"not a tld": 1}}, "prices.not a tld: "),
    ],
)
def test_bad_money_options_name_the_option(params, message):
    with pytest.raises(InvalidValue) as caught:
        portfolio.portfolio_request(dict({"settings": {}}, **params))
    assert str(caught.value).startswith(message)


def test_estimated_spend_in_check_mode_and_nothing_sent():
    client = FakeClient()
    result = portfolio_run(client, check_mode=True, domains=names("a.com", "b.io"))
    assert result["summary"]["estimated_spend"] == 52.98
    assert result["summary"]["spent"] == 0.0
    assert [change["estimated_cost"] for change in result["changes"]] == [12.99, 39.99]
    assert client.posts == []


def test_a_budget_equal_to_the_estimate_passes_and_spent_sums_string_costs():
    client = FakeClient()
    result = portfolio_run(client, domains=names("a.com", "b.io"), max_spend=52.98)
    assert client.posts == ["a.com", "b.io"]
    assert result["summary"]["spent"] == 52.98
    assert [change["registration"]["total_cost"] for change in result["changes"]] == [12.99, 39.99]


@pytest.mark.parametrize("check_mode", [False, True])
def test_over_budget_fails_before_any_write(check_mode):
    client = FakeClient([{"id": 1, "domain_name": "old.com", "status": "active", "auto_renew": False}])
    with pytest.raises(TaskError) as caught:
        portfolio_run(client, check_mode=check_mode, domains=names("old.com", "a.com", "b.io"), max_spend=52.97)
    assert caught.value.msg == (
        "max_spend: registering a.com, b.io is estimated at 52.98 USD, more than max_spend 52.97 USD; nothing was sent"
    )
    assert caught.value.result["changed"] is False
    assert caught.value.result["errors"][0] == caught.value.msg
    # Not even the update of old.com was sent.
    assert [call[0] for call in client.calls] == ["list_domains"]


def test_an_unknown_price_with_a_budget_fails_before_any_write():
    client = FakeClient()
    with pytest.raises(TaskError, match=r"^max_spend: the price of b\.shop is unknown .*\(a\.com, b\.shop\)"):
        portfolio_run(client, domains=names("a.com", "b.shop"), max_spend=1000)
    assert client.posts == []


def test_the_run_stops_at_the_budget_when_actual_costs_exceed_the_estimates():
    # The price table says .com costs 5; the API charges 12.99: the third registration would pass the budget.
    client = FakeClient()
    with pytest.raises(TaskError) as caught:
        portfolio_run(client, domains=names("a.com", "b.com", "c.com"), max_spend=30, prices={"com": 5})
    result = caught.value.result
    assert client.posts == ["a.com", "b.com"]
    assert result["summary"]["spent"] == 25.98
    assert result["summary"]["estimated_spend"] == 15.0
    failed = {change["name"]: change["error"] for change in result["changes"] if change["error"]}
    assert list(failed) == ["c.com"]
    assert failed["c.com"].startswith(
        "max_spend: registering c.com is estimated at 5.00 USD on top of the 25.98 USD this run spent already"
    )
    assert failed["c.com"].endswith("nothing was sent")
    assert "c.com: max_spend" in caught.value.msg
    # The API charged more than the table's estimate: said, per registration.
    assert any("was charged 12.99 USD" in warning for warning in caught.value.result["warnings"])


def test_without_a_budget_an_unknown_price_only_warns():
    client = FakeClient()
    result = portfolio_run(client, check_mode=True, domains=names("b.shop"))
    assert result["summary"]["estimated_spend"] == 0.0
    assert any("b.shop" in warning and "prices" in warning for warning in result["warnings"])


def test_forecast_findings_and_calendar_are_returned():
    client = FakeClient(
        [
            {
                "id": 1,
                "domain_name": "a.com",
                "status": "active",
                "expiration_date": when(10),
                "auto_renew": True,
                "locked": False,
                "privacy_protection": True,
            },
            {
                "id": 2,
                "domain_name": "b.net",
                "status": "expired",
                "expiration_date": when(-3),
                "auto_renew": False,
                "locked": True,
                "privacy_protection": False,
            },
        ]
    )
    result = portfolio_run(client, check_mode=True, settings={}, register_missing=False)
    assert [(f["name"], f["condition"]) for f in result["findings"]] == [
        ("a.com", "unlocked"),
        ("b.net", "expired"),
        ("b.net", "privacy_off"),
    ]
    assert result["renewals"][0] == {"month": "2026-03", "domains": ["a.com"], "estimated_cost": 12.99}
    assert result["expiry_calendar"][0] == {"month": "2026-03", "auto_renew": ["a.com"], "no_auto_renew": ["b.net"]}
    assert (result["summary"]["renewal_cost_30d"], result["summary"]["renewal_cost_365d"]) == (12.99, 12.99)


def test_findings_judge_the_domains_as_the_run_left_them():
    client = FakeClient(
        [
            {
                "id": 1,
                "domain_name": "a.com",
                "status": "active",
                "expiration_date": when(10),
                "auto_renew": False,
                "locked": False,
                "privacy_protection": True,
            }
        ]
    )
    planned = portfolio_run(client, check_mode=True, settings={"locked": True}, register_missing=False)
    assert [f["condition"] for f in planned["findings"]] == ["expiring_without_auto_renew", "unlocked"]
    applied = portfolio_run(client, settings={"locked": True, "auto_renew": True}, register_missing=False)
    assert applied["findings"] == []
    assert applied["summary"]["renewal_cost_30d"] == 12.99


def test_concurrency_is_passed_to_a_client_that_reads_pages_concurrently():
    class PagedClient(FakeClient):
        def list_domains(self, *, concurrency=4):
            self.calls.append(("list_domains", concurrency))
            return []

    client = PagedClient()
    portfolio_run(client, check_mode=True, settings={}, concurrency=7)
    assert client.calls == [("list_domains", 7)]
