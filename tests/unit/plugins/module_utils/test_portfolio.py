# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the portfolio plan: validation, drift, scope, limits, the concurrent apply and the report."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _portfolio as portfolio
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._money import price_table
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue
from ansible_collections.vpsorg.domains.tests.unit.paid_posts import PaidPosts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
VPS_NS = ["ns1.vps.org", "ns2.vps.org"]


def when(days: float) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def domain(domain_id: int, name: str, **fields: Any) -> Dict[str, Any]:
    """A list-shaped domain that matches the strict policy below unless fields say otherwise."""
    base = {
        "id": domain_id,
        "domain_name": name,
        "status": "active",
        "registration_date": when(-400),
        "expiration_date": when(300),
        "auto_renew": True,
        "locked": True,
        "privacy_protection": True,
        "nameservers": list(VPS_NS),
        "dns_managed_by": "vps.org",
    }
    base.update(fields)
    return base


def account() -> List[Dict[str, Any]]:
    return [
        domain(101, "example-shop.com"),
        domain(102, "example-blog.net", auto_renew=False, locked=False, expiration_date=when(20)),
        domain(103, "example-labs.io", nameservers=["NS2.vps.org.", "ns1.VPS.org"]),
        domain(104, "transfer-me.org", locked=False, nameservers=["ns1.other.example", "ns2.other.example"]),
        domain(105, "fresh-one.dev", status="pending", locked=False),
    ]


STRICT = {"auto_renew": True, "locked": True, "privacy_protection": True, "nameservers": VPS_NS}


def plan_for(account_domains=None, *, register_missing=False, days=30, **options: Any) -> portfolio.PortfolioPlan:
    policy = portfolio.build_policy(
        options.get("settings", STRICT), options.get("domains"), options.get("exclude"), options.get("statuses")
    )
    return portfolio.plan_portfolio(
        policy,
        account() if account_domains is None else account_domains,
        register_missing=register_missing,
        expiry_warning_days=days,
        now=NOW,
    )


def by_name(plan: portfolio.PortfolioPlan) -> Dict[str, portfolio.DomainChange]:
    return {change.name: change for change in plan.changes}


# -- validation ------------------------------------------------------------------------------------------


class TestBuildPolicy:
    def test_canonical_forms(self):
        policy = portfolio.build_policy(
            {"nameservers": ["NS2.Example.", "ns1.example"], "auto_renew": None, "locked": False},
            [{"name": "Bücher.Example.", "auto_renew": True}],
            ["LEGACY-*.COM", "Old-Shop.com."],
            ["Active", "pending", "active"],
        )
        assert policy.settings == {"nameservers": ["ns1.example", "ns2.example"], "locked": False}
        assert policy.overrides == {"xn--bcher-kva.example": {"auto_renew": True}}
        assert policy.exclude == ("legacy-*.com", "old-shop.com")
        assert policy.statuses == ("active", "pending")

    def test_defaults(self):
        policy = portfolio.build_policy()
        assert policy.settings == {}
        assert policy.overrides is None
        assert policy.exclude == ()
        assert policy.statuses == ("active",)

    def test_empty_domain_list_means_none_not_every(self):
        assert portfolio.build_policy(domains=[]).overrides == {}

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"settings": {"auto_renwe": True}}, "settings: unknown key(s) auto_renwe"),
            ({"settings": {"locked": "yes"}}, "settings.locked: must be true or false"),
            ({"settings": ["locked"]}, "settings: must be a dictionary"),
            ({"settings": {"nameservers": ["ns1.vps.org"]}}, "settings.nameservers: "),
            ({"domains": [{"name": "a.com", "lock": True}]}, "domains[0]: unknown key(s) lock"),
            ({"domains": [{"name": "a.com"}, {"name": "b.com", "privacy_protection": 1}]}, "domains[1].privacy"),
            ({"domains": [{"auto_renew": True}]}, "domains[0]: needs a name"),
            ({"domains": [{"name": "bad_name.com"}]}, "domains[0].name: "),
            ({"domains": [{"name": "A.com"}, {"name": "a.com."}]}, "domains[1].name: a.com is listed twice"),
            ({"domains": [{"name": "a.com", "nameservers": ["x"]}]}, "domains[0].nameservers: "),
            ({"domains": "a.com"}, "domains: must be a list"),
            ({"exclude": [""]}, "exclude[0]: "),
            ({"exclude": ["ok.com", "not a name"]}, "exclude[1]: "),
            ({"exclude": "a.com"}, "exclude: must be a list"),
            ({"statuses": []}, "statuses: must be a non-empty list"),
            ({"statuses": ["active", "actve"]}, "statuses[1]: 'actve' is not one of"),
        ],
    )
    def test_errors_name_the_option(self, kwargs, message):
        with pytest.raises((portfolio.PolicyError, InvalidValue)) as caught:
            portfolio.build_policy(**kwargs)
        assert str(caught.value).startswith(message.split(":")[0])
        assert message in str(caught.value)

    @pytest.mark.parametrize(
        ("concurrency", "max_changes", "days", "option"),
        [
            (0, None, 30, "concurrency"),
            (33, None, 30, "concurrency"),
            (True, None, 30, "concurrency"),
            (4, -1, 30, "max_changes"),
            (4, None, -1, "expiry_warning_days"),
        ],
    )
    def test_limits(self, concurrency, max_changes, days, option):
        with pytest.raises(portfolio.PolicyError, match=rf"^{option}: "):
            portfolio.check_limits(concurrency, max_changes, days)

    def test_limits_accept_edges(self):
        portfolio.check_limits(1, 0, 0)
        portfolio.check_limits(32, None, 365)


# -- planning --------------------------------------------------------------------------------------------


class TestPlan:
    def test_only_drifted_settings_of_drifted_domains(self):
        plan = plan_for()
        changes = by_name(plan)
        assert sorted(changes) == ["example-blog.net", "transfer-me.org"]
        assert changes["example-blog.net"].after == {"auto_renew": True, "locked": True}
        assert changes["example-blog.net"].before == {"auto_renew": False, "locked": False}
        assert changes["example-blog.net"].id == 102
        assert changes["transfer-me.org"].after == {"locked": True, "nameservers": VPS_NS}
        assert changes["transfer-me.org"].before["nameservers"] == ["ns1.other.example", "ns2.other.example"]
        # Order, case and a trailing dot of nameservers are no drift.
        assert "example-labs.io" not in changes
        assert plan.checked == ["example-shop.com", "example-blog.net", "example-labs.io", "transfer-me.org"]

    def test_unset_settings_are_not_compared(self):
        plan = plan_for(settings={"privacy_protection": True, "auto_renew": None})
        assert plan.changes == []
        assert len(plan.checked) == 4

    def test_empty_policy_changes_nothing_but_still_reports(self):
        plan = plan_for(settings={})
        assert plan.changes == []
        assert [entry["name"] for entry in plan.expiring] == ["example-blog.net"]

    def test_overrides_win_over_the_policy(self):
        plan = plan_for(
            domains=[
                {"name": "example-blog.net", "auto_renew": False, "locked": False},
                {"name": "EXAMPLE-SHOP.COM", "nameservers": ["ns1.shop.example", "ns2.shop.example"]},
            ]
        )
        changes = by_name(plan)
        assert sorted(changes) == ["example-shop.com"]
        assert changes["example-shop.com"].after == {"nameservers": ["ns1.shop.example", "ns2.shop.example"]}
        # Only listed domains are in scope.
        assert plan.checked == ["example-blog.net", "example-shop.com"]

    def test_override_of_a_setting_the_policy_leaves_alone(self):
        plan = plan_for(settings={}, domains=[{"name": "example-shop.com", "privacy_protection": False}])
        assert by_name(plan)["example-shop.com"].after == {"privacy_protection": False}

    def test_empty_domain_list_checks_nothing(self):
        plan = plan_for(domains=[])
        assert plan.checked == []
        assert plan.changes == []
        assert plan.expiring == []
        assert plan.skipped == []

    def test_excludes_by_name_and_pattern(self):
        plan = plan_for(exclude=["transfer-me.org", "*.net"])
        assert by_name(plan) == {}
        assert [(item["name"], item["reason"]) for item in plan.skipped] == [
            ("example-blog.net", "excluded"),
            ("fresh-one.dev", "status pending"),
            ("transfer-me.org", "excluded"),
        ]
        # An excluded domain is not reported as expiring either.
        assert plan.expiring == []
        assert plan.warnings == []

    def test_listed_but_excluded_is_left_alone_with_a_warning(self):
        plan = plan_for(domains=[{"name": "example-blog.net"}, {"name": "transfer-me.org"}], exclude=["transfer-*"])
        assert sorted(by_name(plan)) == ["example-blog.net"]
        assert plan.skipped == [{"name": "transfer-me.org", "id": 104, "status": "active", "reason": "excluded"}]
        assert plan.warnings == ["transfer-me.org is listed in domains but also excluded; it was left alone"]

    def test_other_statuses_are_skipped_never_changed(self):
        plan = plan_for()
        assert "fresh-one.dev" not in by_name(plan)
        assert plan.skipped == [{"name": "fresh-one.dev", "id": 105, "status": "pending", "reason": "status pending"}]

    def test_listed_statuses_are_touched(self):
        plan = plan_for(statuses=["active", "pending"])
        assert by_name(plan)["fresh-one.dev"].after == {"locked": True}
        assert plan.skipped == []

    def test_missing_without_registration(self):
        plan = plan_for(domains=[{"name": "example-shop.com"}, {"name": "Not-There.com"}])
        assert plan.missing == ["not-there.com"]
        assert plan.changes == []
        assert portfolio.errors(plan, register_missing=False) == [
            "not-there.com: not in the account (register_missing is off)"
        ]

    def test_missing_with_registration(self):
        plan = plan_for(domains=[{"name": "not-there.com", "privacy_protection": False}], register_missing=True)
        assert plan.missing == ["not-there.com"]
        change = by_name(plan)["not-there.com"]
        assert change.action == "register"
        assert change.id is None
        assert change.after == {"auto_renew": True, "locked": True, "privacy_protection": False, "nameservers": VPS_NS}
        assert portfolio.errors(plan, register_missing=True) == []

    def test_a_listed_name_with_several_ids_fails_that_domain_only(self):
        domains = [*account(), domain(201, "Example-Shop.com.", locked=False)]
        plan = plan_for(domains, domains=[{"name": "example-shop.com"}, {"name": "example-blog.net"}])
        changes = by_name(plan)
        assert changes["example-shop.com"].action == "refuse"
        assert "ids 101, 201" in changes["example-shop.com"].error
        assert changes["example-shop.com"].ids == [101, 201]
        assert [change.name for change in plan.writes] == ["example-blog.net"]

    def test_every_domain_with_duplicates_writes_none_of_them_and_finds_them(self):
        # The same refusal whether the name is listed or not: one name, several ids: none is written.
        domains = [*account(), domain(201, "example-shop.com", locked=False), domain("101", "example-shop.com")]
        plan = plan_for(domains)
        shop = [change for change in plan.changes if change.name == "example-shop.com"]
        assert [(change.action, change.ids) for change in shop] == [("refuse", [101, 201])]
        assert "(ids 101, 201);" in shop[0].error  # 101 and "101" are one id
        assert "example-shop.com" not in [change.name for change in plan.writes]
        assert portfolio.duplicate_findings(plan) == [
            {
                "name": "example-shop.com",
                "condition": "duplicate_name",
                "detail": "held by ids 101, 201; none of them was changed",
                "ids": [101, 201],
            }
        ]

    def test_idn_names_from_the_account_match_listed_unicode_names(self):
        domains = [domain(301, "xn--bcher-kva.example", auto_renew=False)]
        plan = plan_for(domains, domains=[{"name": "Bücher.example"}])
        assert by_name(plan)["xn--bcher-kva.example"].after == {"auto_renew": True}

    def test_expiring_soonest_first_with_expired_ones(self):
        domains = [
            domain(1, "later.com", expiration_date=when(29)),
            domain(2, "gone.com", status="expired", expiration_date=when(-3), auto_renew=False),
            domain(3, "far.com", expiration_date=when(31)),
            domain(4, "no-date.com", expiration_date=None),
        ]
        plan = plan_for(domains)
        assert [(item["name"], item["days_left"], item["auto_renew"]) for item in plan.expiring] == [
            ("gone.com", -3, False),
            ("later.com", 29, True),
        ]
        assert plan_for(domains, days=31).expiring[-1]["name"] == "far.com"


class TestLimit:
    def test_over_the_limit_names_the_domains(self):
        plan = plan_for()
        message = portfolio.over_limit(plan, 1)
        assert message.startswith("2 domains would change, more than max_changes (1)")
        assert "example-blog.net, transfer-me.org" in message

    @pytest.mark.parametrize("limit", [None, 2, 10])
    def test_within_the_limit(self, limit):
        assert portfolio.over_limit(plan_for(), limit) is None

    def test_registrations_count(self):
        plan = plan_for(domains=[{"name": "new-one.com"}], register_missing=True)
        assert portfolio.over_limit(plan, 0) is not None


# -- applying --------------------------------------------------------------------------------------------


class FakeClient(PaidPosts):
    """Records writes; thread-safe; optional failures per id and a barrier proving concurrency."""

    def __init__(self, *, fail_ids=(), barrier: Optional[threading.Barrier] = None, registered: Optional[dict] = None):
        self.lock = threading.Lock()
        self.calls: List[tuple] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.fail_ids = set(fail_ids)
        self.barrier = barrier
        self.registered = registered or {}

    def _enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.barrier is not None:
            self.barrier.wait(timeout=10)

    def _leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def update_domain(self, domain_id, changes):
        self._enter()
        try:
            with self.lock:
                self.calls.append(("PUT", domain_id, dict(changes)))
            if domain_id in self.fail_ids:
                raise ApiError(
                    "the API refused the request (HTTP 400)",
                    status=400,
                    method="PUT",
                    path=f"/api/v1/domains/{domain_id}/",
                    field_errors={"nameservers": ["bad"]},
                )
            return {"id": domain_id, **changes, "message": "ok"}
        finally:
            self._leave()

    def register_domain(self, body):
        with self.lock:
            self.calls.append(("POST", None, dict(body)))
        answer = {
            "id": 900,
            "domain_name": body["domain_name"],
            "status": "pending",
            "auto_renew": body.get("auto_renew", True),
            "privacy_protection": body.get("privacy_protection", True),
            "locked": False,
            "nameservers": body.get("nameservers", VPS_NS),
            "total_cost": 12.99,
            "message": "Domain registration initiated.",
        }
        answer.update(self.registered)
        return answer

    def find_domains(self, name):
        raise AssertionError("no lookup expected")


def many(count: int, drifted: int) -> List[Dict[str, Any]]:
    return [domain(1000 + n, f"d{n:04d}.com", locked=n >= drifted) for n in range(count)]


class TestApply:
    def test_sends_exactly_the_drifted_fields(self):
        plan = plan_for()
        client = FakeClient()
        portfolio.apply_changes(client, plan, 4)
        assert sorted(client.calls, key=lambda call: call[1]) == [
            ("PUT", 102, {"auto_renew": True, "locked": True}),
            ("PUT", 104, {"locked": True, "nameservers": VPS_NS}),
        ]
        assert all(change.done and change.error is None for change in plan.changes)
        assert portfolio.summarise(plan, check_mode=False) == {
            "checked": 4,
            "drifted": 2,
            "changed": 2,
            "failed": 0,
            "missing": 0,
            "skipped": 1,
            "expiring": 1,
            "estimated_spend": 0.0,
            "spent": 0.0,
            "transfers": dict.fromkeys(
                ("missing", "completed", "pending", "failed", "started", "would_start", "refused"), 0
            ),
        }

    def test_expiring_domains_show_the_auto_renew_this_run_set(self):
        plan = plan_for()
        assert portfolio.report(plan, check_mode=True, register_missing=False)["expiring"][0]["auto_renew"] is False
        portfolio.apply_changes(FakeClient(), plan, 4)
        expiring = portfolio.report(plan, check_mode=False, register_missing=False)["expiring"]
        assert [(item["name"], item["auto_renew"]) for item in expiring] == [("example-blog.net", True)]

    def test_a_failed_update_leaves_the_reported_auto_renew_as_it_was(self):
        plan = plan_for()
        portfolio.apply_changes(FakeClient(fail_ids={102}), plan, 4)
        assert portfolio.report(plan, check_mode=False, register_missing=False)["expiring"][0]["auto_renew"] is False

    def test_the_pool_is_bounded_and_used(self):
        plan = plan_for(many(39, 39))
        # Every write waits until three are in flight together (39 = 13 rounds): proves three run at once.
        client = FakeClient(barrier=threading.Barrier(3))
        portfolio.apply_changes(client, plan, 3)
        assert len(client.calls) == 39
        assert all(change.error is None for change in plan.changes)
        assert client.most_in_flight == 3

    def test_one_failure_does_not_stop_the_others(self):
        plan = plan_for(many(10, 10))
        client = FakeClient(fail_ids={1003})
        portfolio.apply_changes(client, plan, 4)
        assert len(client.calls) == 10
        failed = [change for change in plan.changes if change.error]
        assert [change.id for change in failed] == [1003]
        assert failed[0].failure["status"] == 400
        assert failed[0].failure["field_errors"] == {"nameservers": ["bad"]}
        assert "PUT /api/v1/domains/1003/" in failed[0].error
        summary = portfolio.summarise(plan, check_mode=False)
        assert (summary["changed"], summary["failed"], summary["drifted"]) == (9, 1, 10)
        assert portfolio.errors(plan, register_missing=False) == [f"d0003.com: {failed[0].error}"]

    def test_planning_errors_are_not_sent(self):
        domains = [domain(1, "a.com", locked=False), domain(2, "a.com", locked=False), domain(3, "b.com", locked=False)]
        plan = plan_for(domains, domains=[{"name": "a.com"}, {"name": "b.com"}])
        client = FakeClient()
        portfolio.apply_changes(client, plan, 4)
        assert client.calls == [("PUT", 3, {"locked": True})]
        assert portfolio.summarise(plan, check_mode=False)["failed"] == 1

    def test_nothing_to_do_sends_nothing(self):
        client = FakeClient()
        portfolio.apply_changes(client, plan_for(settings={}), 4)
        assert client.calls == []

    def test_registration_then_the_lock(self):
        plan = plan_for(domains=[{"name": "new-one.com"}], register_missing=True)
        client = FakeClient()
        portfolio.apply_changes(client, plan, 4)
        assert client.calls == [
            (
                "POST",
                None,
                {"domain_name": "new-one.com", "auto_renew": True, "privacy_protection": True, "nameservers": VPS_NS},
            ),
            ("PUT", 900, {"locked": True}),
        ]
        change = plan.changes[0]
        assert (change.done, change.id, change.error) == (True, 900, None)
        assert change.registration == {
            "total_cost": 12.99,
            "message": "Domain registration initiated.",
            "estimated_cost": None,
        }
        summary = portfolio.summarise(plan, check_mode=False)
        assert (summary["changed"], summary["missing"], summary["drifted"]) == (1, 1, 0)

    def test_registration_without_a_follow_up(self):
        plan = plan_for(settings={"auto_renew": False}, domains=[{"name": "new-one.com"}], register_missing=True)
        client = FakeClient(registered={"auto_renew": False})
        portfolio.apply_changes(client, plan, 4)
        assert client.calls == [("POST", None, {"domain_name": "new-one.com", "auto_renew": False})]

    def test_registered_but_the_lock_failed_is_changed_and_failed(self):
        plan = plan_for(domains=[{"name": "new-one.com"}], register_missing=True)
        client = FakeClient(fail_ids={900})
        portfolio.apply_changes(client, plan, 4)
        change = plan.changes[0]
        assert change.done
        assert change.error.startswith("new-one.com was registered, but setting locked afterwards failed")
        assert change.failure["status"] == 400
        summary = portfolio.summarise(plan, check_mode=False)
        assert (summary["changed"], summary["failed"]) == (1, 1)


# -- reporting -------------------------------------------------------------------------------------------


class TestReport:
    def test_check_mode_counts_what_would_change(self):
        plan = plan_for(domains=[{"name": "example-blog.net"}, {"name": "new-one.com"}], register_missing=True)
        portfolio.estimate_registrations(plan, price_table())
        result = portfolio.report(plan, check_mode=True, register_missing=True)
        counts = (
            "checked",
            "drifted",
            "changed",
            "failed",
            "missing",
            "skipped",
            "expiring",
            "estimated_spend",
            "spent",
        )
        assert {key: result["summary"][key] for key in counts} == {
            "checked": 1,
            "drifted": 1,
            "changed": 2,
            "failed": 0,
            "missing": 1,
            "skipped": 0,
            "expiring": 1,
            "estimated_spend": 12.99,
            "spent": 0.0,
        }
        assert [(change["name"], change["action"], change["id"]) for change in result["changes"]] == [
            ("example-blog.net", "update", 102),
            ("new-one.com", "register", None),
        ]
        assert result["changes"][0] == {
            "name": "example-blog.net",
            "id": 102,
            "action": "update",
            "before": {"auto_renew": False, "locked": False},
            "after": {"auto_renew": True, "locked": True},
            "error": None,
        }
        assert result["expiring"] == [
            {
                "name": "example-blog.net",
                "id": 102,
                "expiration_date": when(20),
                "days_left": 20,
                "auto_renew": False,
                "status": "active",
            }
        ]
        assert result["missing"] == ["new-one.com"]
        assert result["errors"] == []

    def test_nothing_done_outside_check_mode_counts_nothing(self):
        result = portfolio.report(plan_for(), check_mode=False, register_missing=False)
        assert result["summary"]["changed"] == 0
        assert result["summary"]["drifted"] == 2

    def test_diffs_show_every_change(self):
        plan = plan_for(domains=[{"name": "transfer-me.org"}, {"name": "new-one.com"}], register_missing=True)
        assert portfolio.diffs(plan) == [
            {
                "before_header": "new-one.com (not in the account)",
                "after_header": "new-one.com (registration, price unknown)",
                "before": "",
                "after": (
                    "auto_renew: true\nlocked: true\nnameservers:\n  - ns1.vps.org\n  - ns2.vps.org\n"
                    "privacy_protection: true\n"
                ),
            },
            {
                "before_header": "transfer-me.org",
                "after_header": "transfer-me.org",
                "before": "locked: false\nnameservers:\n  - ns1.other.example\n  - ns2.other.example\n",
                "after": "locked: true\nnameservers:\n  - ns1.vps.org\n  - ns2.vps.org\n",
            },
        ]

    def test_diffs_after_a_real_run_leave_out_failed_writes(self):
        plan = plan_for(domains=[{"name": "transfer-me.org"}, {"name": "example-blog.net"}])
        changes = by_name(plan)
        changes["transfer-me.org"].done = True
        changes["example-blog.net"].error = "refused"
        assert [diff["before_header"] for diff in portfolio.diffs(plan, applied_only=True)] == ["transfer-me.org"]
        # Check mode applies nothing and still shows every planned change.
        assert len(portfolio.diffs(plan)) == 2


class TestLenientReading:
    """A run with nothing to change stays a no-op whatever shape the settings arrive in."""

    class Account:
        def __init__(self, listed: List[Dict[str, Any]], details: Dict[Any, Dict[str, Any]]) -> None:
            self.listed = listed
            self.details = details
            self.calls: List[tuple] = []

        def list_domains(self, *, concurrency: int = 4) -> List[Dict[str, Any]]:
            self.calls.append(("list",))
            return [dict(item) for item in self.listed]

        def get_domain(self, domain_id: Any) -> Dict[str, Any]:
            self.calls.append(("detail", domain_id))
            return dict(self.details[domain_id])

        def update_domain(self, domain_id: Any, changes: Dict[str, Any]) -> Dict[str, Any]:
            self.calls.append(("PUT", domain_id, changes))
            return {"id": domain_id, **changes}

    def run(self, client: Any, **settings: Any) -> Dict[str, Any]:
        request = portfolio.portfolio_request({"settings": settings})
        return portfolio.PortfolioOperation(client, request).run()

    def test_strings_numbers_and_comma_separated_nameservers_are_no_drift(self):
        quirky = domain(101, "example-shop.com", auto_renew="true", locked=1, nameservers="ns2.vps.org, NS1.vps.org.")
        client = self.Account([quirky], {})
        result = self.run(client, auto_renew=True, locked=True, nameservers=VPS_NS)
        assert result["changed"] is False
        assert client.calls == [("list",)]

    def test_a_setting_missing_from_the_list_is_read_from_the_detail_before_writing(self):
        listed = domain(101, "example-shop.com")
        del listed["locked"]
        client = self.Account([listed, domain(102, "example-blog.net", locked=False)], {101: dict(listed, locked=True)})
        result = self.run(client, locked=True)
        # 101 was locked already (its detail says so): only 102 is written.
        assert [call for call in client.calls if call[0] != "list"] == [
            ("detail", 101),
            ("PUT", 102, {"locked": True}),
        ]
        assert result["summary"]["changed"] == 1
