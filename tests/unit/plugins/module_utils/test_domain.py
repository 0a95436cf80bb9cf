# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the domain plans and rules: update plans, registration lookups, waiting, removal, filters."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _domain as dom
from ansible_collections.vpsorg.domains.plugins.module_utils import _engine as engine
from ansible_collections.vpsorg.domains.plugins.module_utils import _write_rules as rules
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError, OutcomeUnknown
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import yaml_text
from ansible_collections.vpsorg.domains.tests.unit.paid_posts import PaidPosts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def listed(**fields):
    """A list-shaped domain object of the account."""
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
        "dns_managed_by": "vps.org",
    }
    base.update(fields)
    return base


def detailed(**fields):
    """The detail object of the same domain."""
    base = listed(
        registrar="VPS.org",
        days_until_expiration=400,
        whois_info={"registrant": "Owner", "created_date": "2023-03-01T10:00:00Z"},
        dns_records_count=4,
        transfer_status=None,
    )
    base.update(fields)
    return base


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class FakeClient(PaidPosts):
    """Stands in for ApiClient: answers from scripted values and records every call in order."""

    def __init__(self, domains=None, *, register=None, lookups=None, details=None, update_error=None):
        self.domains = list(domains or [])
        self.register = register  # a dict answer or an exception to raise
        self.lookups = list(lookups or [])  # answers of successive find_domains calls, then self.domains
        self.details = list(details or [])  # answers of successive get_domain calls (dicts or exceptions)
        self.update_error = update_error
        self.calls: list = []

    def _answer(self, value):
        if isinstance(value, Exception):
            raise value
        return value

    def find_domains(self, name):
        self.calls.append(("find_domains", name))
        if self.lookups:
            return self._answer(self.lookups.pop(0))
        return [domain for domain in self.domains if domain["domain_name"] == name]

    def list_domains(self, **_options):
        self.calls.append(("list_domains",))
        return list(self.domains)

    def get_domain(self, domain_id):
        self.calls.append(("get_domain", domain_id))
        if self.details:
            return self._answer(self.details.pop(0))
        return detailed(**next(domain for domain in self.domains if domain["id"] == domain_id))

    def register_domain(self, body):
        self.calls.append(("register_domain", body))
        return self._answer(self.register)

    def update_domain(self, domain_id, changes):
        self.calls.append(("update_domain", domain_id, changes))
        if self.update_error is not None:
            raise self.update_error
        domain = next((domain for domain in self.domains if domain["id"] == domain_id), {"id": domain_id})
        answer = {key: domain.get(key) for key in ("id", "domain_name", "status", *dom.SETTINGS)}
        answer.update(changes)
        answer["message"] = "Nameserver changes may take up to 24 hours to propagate."
        return answer

    def remove_domain(self, domain_id):
        self.calls.append(("remove_domain", domain_id))

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in ("register_domain", "update_domain", "remove_domain")]


def api_error(status, detail="", field_errors=None, cls=ApiError, method="POST"):
    return cls(
        f"HTTP {status}", status=status, method=method, path="/api/v1/domains/", detail=detail,
        field_errors=field_errors or {},
    )  # fmt: skip


REGISTERED = {
    "id": 205,
    "domain_name": "new-shop.com",
    "status": "pending",
    "registration_date": "2026-03-01T12:00:00Z",
    "expiration_date": "2027-03-01T12:00:00Z",
    "auto_renew": True,
    "locked": False,
    "nameservers": ["ns1.vps.org", "ns2.vps.org"],
    "privacy_protection": True,
    "years": 1,
    "total_cost": 12.99,
    "message": "Domain registration initiated. Processing may take 5-10 minutes.",
}


# -- plan_update ---------------------------------------------------------------------------------------------
def test_nothing_set_means_nothing_changes():
    plan = dom.plan_update(listed(), dom.desired_settings())
    assert not plan.changed
    assert plan.changes == {}
    assert plan.body == {}
    assert plan.predicted == listed()
    assert plan.diff["before"] == plan.diff["after"]


def test_only_settings_that_differ_are_planned():
    plan = dom.plan_update(listed(), dom.desired_settings(auto_renew=False, locked=True, privacy_protection=True))
    assert plan.changes == {"auto_renew": (True, False)}
    assert plan.body == {"auto_renew": False}
    assert plan.predicted["auto_renew"] is False
    # What the update does not touch survives in the prediction.
    assert plan.predicted["expiration_date"] == "2027-04-05T10:00:00Z"


def test_every_setting_can_change_at_once():
    current = listed(auto_renew=False, locked=False, privacy_protection=False)
    desired = dom.desired_settings(
        auto_renew=True, privacy_protection=True, locked=True, nameservers=["ns2.example.net", "ns1.example.net"]
    )
    plan = dom.plan_update(current, desired)
    assert plan.body == {
        "auto_renew": True,
        "privacy_protection": True,
        "locked": True,
        "nameservers": ["ns1.example.net", "ns2.example.net"],
    }
    assert plan.changes["nameservers"] == (["ns1.vps.org", "ns2.vps.org"], ["ns1.example.net", "ns2.example.net"])


@pytest.mark.parametrize(
    "current",
    [
        ["ns2.vps.org", "ns1.vps.org"],
        ["NS1.VPS.ORG", "ns2.vps.org."],
        ["ns1.vps.org.", "Ns2.Vps.Org"],
    ],
)
def test_nameservers_compare_as_sets_of_canonical_names(current):
    plan = dom.plan_update(
        listed(nameservers=current), dom.desired_settings(nameservers=["ns1.vps.org", "ns2.vps.org"])
    )
    assert not plan.changed


def test_idn_nameservers_compare_equal_to_their_punycode():
    current = listed(nameservers=["ns1.bücher.example", "ns2.bücher.example"])
    desired = dom.desired_settings(nameservers=["ns1.xn--bcher-kva.example", "ns2.xn--bcher-kva.example"])
    assert not dom.plan_update(current, desired).changed


@pytest.mark.parametrize(
    "current",
    [["ns1.vps.org"], ["ns1.vps.org", "ns2.vps.org", "ns3.vps.org"], ["ns1.vps.org", "ns3.vps.org"], None, "x"],
)
def test_nameservers_differ(current):
    desired = dom.desired_settings(nameservers=["ns1.vps.org", "ns2.vps.org"])
    plan = dom.plan_update(listed(nameservers=current), desired)
    assert plan.body == {"nameservers": ["ns1.vps.org", "ns2.vps.org"]}


def test_a_setting_the_api_did_not_return_is_set():
    current = listed()
    del current["locked"]
    plan = dom.plan_update(current, dom.desired_settings(locked=False))
    assert plan.changes == {"locked": (None, False)}


@pytest.mark.parametrize("stored", [True, "true", "True", 1, "1", "yes"])
def test_settings_are_read_leniently_so_a_no_op_stays_a_no_op(stored):
    plan = dom.plan_update(listed(auto_renew=stored), dom.desired_settings(auto_renew=True))
    assert plan.body == {}


@pytest.mark.parametrize("stored", [None, "maybe", 2, [True]])
def test_an_unreadable_boolean_from_the_api_is_set(stored):
    plan = dom.plan_update(listed(auto_renew=stored), dom.desired_settings(auto_renew=True))
    assert plan.body == {"auto_renew": True}


def test_nameservers_as_a_comma_separated_string_are_read_as_a_list():
    current = listed(nameservers="NS2.vps.org., ns1.vps.org")
    assert dom.plan_update(current, dom.desired_settings(nameservers=["ns1.vps.org", "ns2.vps.org"])).body == {}


def test_diff_shows_the_managed_settings_before_and_after():
    plan = dom.plan_update(listed(), dom.desired_settings(locked=False, nameservers=["b.example.net", "a.example.net"]))
    assert plan.diff == {
        "before": {
            "id": 101,
            "domain_name": "example-shop.com",
            "status": "active",
            "auto_renew": True,
            "privacy_protection": True,
            "locked": True,
            "nameservers": ["ns1.vps.org", "ns2.vps.org"],
        },
        "after": {
            "id": 101,
            "domain_name": "example-shop.com",
            "status": "active",
            "auto_renew": True,
            "privacy_protection": True,
            "locked": False,
            "nameservers": ["a.example.net", "b.example.net"],
        },
    }
    assert dom.diff_view(None) == {}


def test_plan_does_not_modify_its_input():
    current = listed()
    dom.plan_update(current, dom.desired_settings(auto_renew=False))
    assert current == listed()


def test_merge_keeps_what_the_update_answer_lacks_and_drops_its_message():
    answer = {"id": 101, "domain_name": "example-shop.com", "status": "active", "auto_renew": False, "message": "m"}
    merged = dom.merge_domain(listed(), answer)
    assert merged["auto_renew"] is False
    assert merged["expiration_date"] == "2027-04-05T10:00:00Z"
    assert "message" not in merged
    assert dom.merge_domain(listed(), None) == listed()


# -- registration body and prediction ------------------------------------------------------------------------
def test_registration_body_has_only_what_was_set_and_never_locked():
    desired = dom.desired_settings(locked=True, privacy_protection=False)
    assert dom.registration_body("new-shop.com", desired) == {
        "domain_name": "new-shop.com",
        "privacy_protection": False,
    }
    full = dom.desired_settings(auto_renew=False, nameservers=["ns2.example.net", "ns1.example.net"])
    assert dom.registration_body("new-shop.com", full, years=3) == {
        "domain_name": "new-shop.com",
        "years": 3,
        "auto_renew": False,
        "nameservers": ["ns1.example.net", "ns2.example.net"],
    }


def test_predicted_registration_has_no_id_and_the_api_defaults():
    predicted = dom.predict_registration("new-shop.com", dom.desired_settings(locked=True))
    assert predicted == {
        "id": None,
        "domain_name": "new-shop.com",
        "status": "pending",
        "registration_date": None,
        "expiration_date": None,
        "auto_renew": True,
        "privacy_protection": True,
        "locked": True,
        "nameservers": None,
    }


# -- lookups -------------------------------------------------------------------------------------------------
def test_single_match():
    assert dom.single_match([], "a.com") is None
    assert dom.single_match([listed()], "example-shop.com") == listed()


def test_several_ids_for_one_name_fail_listing_the_ids():
    with pytest.raises(dom.DomainError) as caught:
        dom.single_match([listed(id=230), listed(id=101)], "example-shop.com")
    assert "example-shop.com matches several domains in the account (ids 101, 230)" in caught.value.msg


# -- the engine's registration path --------------------------------------------------------------------------
def register(client, clock=None, grace=30):
    clock = clock or FakeClock()
    body = {"domain_name": "new-shop.com"}
    return engine.register(
        client, "new-shop.com", body, grace_seconds=grace, proven_absent=True, sleep=clock.sleep, clock=clock
    )


def test_registration_answer_is_split_into_domain_and_registration():
    client = FakeClient(register=dict(REGISTERED))
    outcome = register(client)
    assert outcome.registered
    assert outcome.registration == {
        "total_cost": 12.99,
        "message": "Domain registration initiated. Processing may take 5-10 minutes.",
        "estimated_cost": None,
    }
    assert outcome.domain["id"] == 205
    assert "total_cost" not in outcome.domain
    assert "message" not in outcome.domain
    assert "years" not in outcome.domain
    assert client.calls == [("register_domain", {"domain_name": "new-shop.com"})]


def test_unknown_outcome_found_in_the_account_counts_as_registered_without_a_second_post():
    found = listed(id=205, domain_name="new-shop.com", status="pending")
    client = FakeClient(register=api_error(504, "timeout", cls=OutcomeUnknown), lookups=[[], [], [found]])
    clock = FakeClock()
    outcome = register(client, clock)
    assert outcome.registered
    assert outcome.domain == found
    assert outcome.registration["total_cost"] is None
    assert "found in the account afterwards" in outcome.registration["message"]
    assert [call[0] for call in client.calls if call[0] != "list_domains"] == [
        "register_domain",
        "find_domains",
        "find_domains",
        "find_domains",
    ]
    assert clock.sleeps == [1.0, 2.0]


def test_unknown_outcome_not_found_fails_after_the_grace_period():
    client = FakeClient(register=api_error(None, cls=OutcomeUnknown))
    clock = FakeClock()
    with pytest.raises(dom.DomainError) as caught:
        register(client, clock, grace=12)
    assert "outcome unknown: check the account before running again" in caught.value.msg
    assert caught.value.api_error is not None
    assert caught.value.to_result()["failure"]["method"] == "POST"
    posts = [call for call in client.calls if call[0] == "register_domain"]
    assert len(posts) == 1
    # Looked up at the start and after each pause; pauses grow and stop at the end of the grace period.
    assert clock.sleeps == [1.0, 2.0, 4.0, 5.0]
    assert sum(clock.sleeps) == 12
    # Each look-up searches both name forms and, finding nothing, reads the whole list (a decomposed name).
    assert [call[0] for call in client.calls].count("find_domains") == 5
    assert [call[0] for call in client.calls].count("list_domains") == 5


def test_unknown_outcome_with_no_grace_still_looks_once():
    client = FakeClient(register=api_error(503, cls=OutcomeUnknown))
    with pytest.raises(dom.DomainError):
        register(client, grace=0)
    assert [call[0] for call in client.calls if call[0] != "list_domains"] == ["register_domain", "find_domains"]


def test_failing_lookups_are_retried_and_reported():
    client = FakeClient(
        register=api_error(None, cls=OutcomeUnknown),
        lookups=[api_error(503, "busy", method="GET"), api_error(503, "busy", method="GET")],
    )
    with pytest.raises(dom.DomainError) as caught:
        register(client, grace=1)
    assert "looking it up failed too" in caught.value.msg
    assert [call[0] for call in client.calls if call[0] != "list_domains"] == [
        "register_domain",
        "find_domains",
        "find_domains",
    ]


def test_lookup_error_then_found():
    found = listed(id=205, domain_name="new-shop.com")
    client = FakeClient(register=api_error(None, cls=OutcomeUnknown), lookups=[api_error(503, method="GET"), [found]])
    assert register(client).domain == found


@pytest.mark.parametrize(
    "error",
    [
        api_error(400, field_errors={"domain_name": ["This domain is already registered."]}),
        api_error(400, detail="Domain not available"),
        api_error(400, detail="new-shop.com is taken"),
    ],
)
def test_taken_and_not_in_the_account(error):
    client = FakeClient(register=error)
    with pytest.raises(dom.DomainError) as caught:
        register(client)
    assert caught.value.msg.startswith(
        "new-shop.com is taken; to transfer it in, add it to the account in the VPS.org panel, then use "
        "vps_domain_transfer (the API said: "
    )
    assert "  " not in caught.value.msg
    assert caught.value.to_result()["failure"]["status"] == 400
    assert [call[0] for call in client.calls if call[0] != "list_domains"] == ["register_domain", "find_domains"]


def test_already_registered_in_this_account_is_present_not_registered():
    found = listed(id=205, domain_name="new-shop.com")
    client = FakeClient(register=api_error(400, detail="Domain is already registered"), domains=[found])
    outcome = register(client)
    assert not outcome.registered
    assert outcome.registration is None
    assert outcome.domain == found


def test_other_400_not_in_the_account_is_the_api_error():
    error = api_error(400, detail="TLD .invalidtld is not supported")
    client = FakeClient(register=error)
    with pytest.raises(ApiError) as caught:
        register(client)
    assert caught.value is error
    assert [call[0] for call in client.calls if call[0] != "list_domains"] == ["register_domain", "find_domains"]


@pytest.mark.parametrize(
    "error",
    [
        api_error(400, field_errors={"nameservers": ["Enter at least 2 nameservers."]}),
        api_error(402, detail="Insufficient balance"),
        api_error(401, detail="Unauthorized"),
    ],
)
def test_errors_about_other_things_are_raised_without_a_lookup(error):
    client = FakeClient(register=error)
    with pytest.raises(ApiError) as caught:
        register(client)
    assert caught.value is error
    assert [call[0] for call in client.calls if call[0] != "list_domains"] == ["register_domain"]


def test_several_domains_found_after_an_unclear_answer_fail_listing_them():
    client = FakeClient(
        register=api_error(None, cls=OutcomeUnknown),
        lookups=[[listed(id=205, domain_name="new-shop.com"), listed(id=206, domain_name="new-shop.com")]],
    )
    with pytest.raises(dom.DomainError, match=r"ids 205, 206"):
        register(client)


# -- wait_until_active -------------------------------------------------------------------------------------------
def test_wait_polls_until_active():
    client = FakeClient(details=[detailed(status="pending"), detailed(status="pending"), detailed(status="active")])
    clock = FakeClock()
    domain = dom.wait_until_active(client, 101, 60, sleep=clock.sleep, clock=clock)
    assert domain["status"] == "active"
    assert client.calls == [("get_domain", 101)] * 3
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_wait_times_out_with_the_last_domain_read():
    client = FakeClient(details=[detailed(status="pending")] * 20)
    clock = FakeClock()
    with pytest.raises(dom.WaitTimeout) as caught:
        dom.wait_until_active(client, 101, 10, sleep=clock.sleep, clock=clock)
    assert "still pending after 10 seconds" in caught.value.msg
    assert caught.value.domain["status"] == "pending"
    assert sum(clock.sleeps) == 10
    assert clock.sleeps == [1.0, 2.0, 4.0, 3.0]


def test_wait_stops_when_the_domain_leaves_pending_for_another_status():
    client = FakeClient(details=[detailed(status="expired")])
    clock = FakeClock()
    with pytest.raises(dom.DomainError, match="from pending to 'expired'"):
        dom.wait_until_active(client, 101, 10, sleep=clock.sleep, clock=clock)


# -- plan_removal -------------------------------------------------------------------------------------------------
def test_removal_with_auto_renew_on_needs_a_decision():
    with pytest.raises(dom.DomainError) as caught:
        dom.plan_removal(listed(auto_renew=True), None)
    assert "has auto-renew on" in caught.value.msg
    assert "auto_renew: false" in caught.value.msg
    assert "auto_renew: true" in caught.value.msg


def test_removal_turning_auto_renew_off_first():
    removal = dom.plan_removal(detailed(auto_renew=True), False)
    assert removal.update == {"auto_renew": False}
    assert removal.predicted["auto_renew"] is False
    assert removal.warnings == []


def test_removal_keeping_auto_renew_on():
    assert dom.plan_removal(detailed(auto_renew=True), True).update is None


def test_removal_with_auto_renew_off():
    assert dom.plan_removal(detailed(auto_renew=False), None).update is None
    assert dom.plan_removal(detailed(auto_renew=False), False).update is None
    # The registration is left with the auto-renew the task names.
    assert dom.plan_removal(detailed(auto_renew=False), True).update == {"auto_renew": True}


def test_pending_domain_is_not_removed():
    with pytest.raises(dom.DomainError, match="is pending"):
        dom.plan_removal(listed(status="pending", auto_renew=False), False)


def test_pending_transfer_is_not_removed():
    with pytest.raises(dom.DomainError, match=r"transfer to VPS\.org under way"):
        dom.plan_removal(detailed(transfer_status="pending"), True)
    for status in (None, "completed", "failed"):
        assert dom.plan_removal(detailed(transfer_status=status), True).warnings == []


def test_detail_without_transfer_status_warns():
    detail = detailed()
    del detail["transfer_status"]
    assert "does not report a transfer status" in dom.plan_removal(detail, True).warnings[0]
    # A list object has no transfer state to check yet; no warning for it.
    assert dom.plan_removal(listed(), True).warnings == []


def test_sort_by_name_then_id():
    domains = [listed(id=3, domain_name="b.com"), listed(id=2, domain_name="a.com"), listed(id=1, domain_name="b.com")]
    assert [(d["domain_name"], d["id"]) for d in rules.sort_domains(domains)] == [
        ("a.com", 2),
        ("b.com", 1),
        ("b.com", 3),
    ]


# -- DomainOperation: one vps_domain run with a fake client ---------------------------------------------
def run_task(client, name="example-shop.com", check_mode=False, clock=None, **options):
    settings = {key: options.pop(key) for key in list(options) if key in dom.SETTINGS}
    request = dom.DomainRequest(name, settings=dom.desired_settings(**settings), **options)
    clock = clock or FakeClock()
    task = dom.DomainOperation(client, request, check_mode=check_mode, grace_seconds=5, sleep=clock.sleep, clock=clock)
    return task.run()


def test_nothing_to_change_reads_once():
    client = FakeClient([listed()])
    result = run_task(client, auto_renew=True, locked=True, nameservers=["ns2.vps.org", "ns1.vps.org"])
    assert result["changed"] is False
    assert result["domain"] == listed()
    assert client.calls == [("find_domains", "example-shop.com")]


def test_update_sends_only_the_changed_setting_and_merges_the_answer():
    client = FakeClient([listed()])
    result = run_task(client, auto_renew=False, locked=True)
    assert result["changed"] is True
    assert client.calls == [("find_domains", "example-shop.com"), ("update_domain", 101, {"auto_renew": False})]
    assert result["domain"]["auto_renew"] is False
    assert result["domain"]["expiration_date"] == "2027-04-05T10:00:00Z"
    assert "message" not in result["domain"]
    assert "auto_renew: true\n" in result["diff"]["before"]
    assert "auto_renew: false\n" in result["diff"]["after"]
    assert result["diff"]["before_header"] == result["diff"]["after_header"] == "example-shop.com"


def test_update_in_check_mode_writes_nothing_and_predicts():
    client = FakeClient([listed()])
    result = run_task(client, check_mode=True, nameservers=["a.example.net", "b.example.net"])
    assert result["changed"] is True
    assert result["domain"]["nameservers"] == ["a.example.net", "b.example.net"]
    assert client.writes == []


def test_years_are_ignored_for_a_domain_already_in_the_account():
    client = FakeClient([listed()])
    result = run_task(client, allow_registration=True, years=5, auto_renew=True)
    assert result["changed"] is False
    assert "registration" not in result
    assert client.calls == [("find_domains", "example-shop.com")]
    client = FakeClient([listed()])
    result = run_task(client, allow_registration=True, years=5, auto_renew=False)
    assert client.writes == [("update_domain", 101, {"auto_renew": False})]
    assert "years" not in result["diff"]["after"]


def test_registration_needs_allow_registration():
    client = FakeClient(register=dict(REGISTERED))
    with pytest.raises(dom.DomainError) as caught:
        run_task(client, name="new-shop.com")
    assert "new-shop.com is not in the account" in caught.value.msg
    assert "allow_registration: true" in caught.value.msg
    assert client.writes == []


def test_registration_in_check_mode_predicts_without_a_post():
    client = FakeClient(register=dict(REGISTERED))
    result = run_task(client, name="new-shop.com", check_mode=True, allow_registration=True, years=2, locked=True)
    assert result["changed"] is True
    assert result["domain"]["id"] is None
    assert result["domain"]["locked"] is True
    # Check mode shows only the estimate (price x years); what is charged is known after the POST.
    assert result["registration"] == {"estimated_cost": 25.98}
    # The diff names the domain and the estimated cost of what would be paid.
    assert result["diff"]["before"] == ""
    assert result["diff"]["before_header"] == "new-shop.com (not in the account)"
    assert result["diff"]["after_header"] == "new-shop.com (registration, estimated 25.98 USD)"
    assert "domain_name: new-shop.com\n" in result["diff"]["after"]
    assert client.writes == []


def test_registration_then_follow_up_update_for_locked():
    client = FakeClient(register=dict(REGISTERED))
    result = run_task(client, name="new-shop.com", allow_registration=True, years=2, locked=True, auto_renew=True)
    assert client.writes == [
        ("register_domain", {"domain_name": "new-shop.com", "years": 2, "auto_renew": True}),
        ("update_domain", 205, {"locked": True}),
    ]
    assert result["changed"] is True
    assert result["registration"]["total_cost"] == 12.99
    assert result["domain"]["locked"] is True
    assert result["domain"]["expiration_date"] == "2027-03-01T12:00:00Z"


def test_registration_without_a_differing_setting_sends_no_update():
    client = FakeClient(register=dict(REGISTERED))
    run_task(client, name="new-shop.com", allow_registration=True, locked=False)
    assert [call[0] for call in client.writes] == ["register_domain"]


def test_failed_follow_up_update_still_reports_the_registration():
    client = FakeClient(register=dict(REGISTERED), update_error=api_error(400, field_errors={"locked": ["no"]}))
    with pytest.raises(dom.DomainError) as caught:
        run_task(client, name="new-shop.com", allow_registration=True, locked=True)
    result = caught.value.to_result()
    assert result["changed"] is True
    assert result["domain"]["id"] == 205
    assert result["registration"]["total_cost"] == 12.99
    assert result["failure"]["status"] == 400
    assert "was registered, but setting locked afterwards failed" in result["msg"]


def test_registration_and_wait_until_active():
    client = FakeClient(
        register=dict(REGISTERED), details=[detailed(id=205, domain_name="new-shop.com", status="active")]
    )
    result = run_task(client, name="new-shop.com", allow_registration=True, wait=True)
    assert result["domain"]["status"] == "active"
    assert result["domain"]["registrar"] == "VPS.org"
    assert [call[0] for call in client.calls if call[0] != "list_domains"] == [
        "find_domains",
        "register_domain",
        "get_domain",
    ]


def test_wait_timeout_after_registration_fails_as_changed():
    client = FakeClient(register=dict(REGISTERED), details=[detailed(id=205, status="pending")] * 10)
    with pytest.raises(dom.DomainError) as caught:
        run_task(client, name="new-shop.com", allow_registration=True, wait=True, wait_timeout=3)
    result = caught.value.to_result()
    assert result["changed"] is True
    assert result["registration"]["total_cost"] == 12.99
    assert result["domain"]["id"] == 205
    assert "still pending after 3 seconds" in result["msg"]


def test_api_error_while_waiting_after_registration_fails_as_changed():
    client = FakeClient(register=dict(REGISTERED), details=[api_error(401, "Unauthorized", method="GET")])
    with pytest.raises(dom.DomainError) as caught:
        run_task(client, name="new-shop.com", allow_registration=True, wait=True)
    assert caught.value.to_result()["changed"] is True
    assert caught.value.to_result()["failure"]["status"] == 401


def test_wait_for_a_domain_already_pending():
    client = FakeClient([listed(status="pending")], details=[detailed(status="active")])
    result = run_task(client, wait=True)
    assert result["changed"] is False
    assert result["domain"]["status"] == "active"
    assert client.writes == []


def test_no_wait_in_check_mode_or_for_an_active_domain():
    client = FakeClient([listed(status="pending")])
    run_task(client, wait=True, check_mode=True)
    client = FakeClient([listed()])
    run_task(client, wait=True)
    assert client.calls == [("find_domains", "example-shop.com")]


def test_already_registered_by_this_account_meanwhile_is_updated_like_present():
    found = listed(id=205, domain_name="new-shop.com", locked=False)
    client = FakeClient(register=api_error(400, "Domain is already registered"), lookups=[[], [found]], domains=[found])
    result = run_task(client, name="new-shop.com", allow_registration=True, locked=True)
    assert result["changed"] is True
    assert "registration" not in result
    assert client.writes[-1] == ("update_domain", 205, {"locked": True})


def test_several_ids_fail_before_anything_else():
    client = FakeClient([listed(id=101), listed(id=230)])
    with pytest.raises(dom.DomainError, match="ids 101, 230"):
        run_task(client, auto_renew=False)
    assert client.writes == []


def test_absent_not_in_the_account_is_a_no_op():
    client = FakeClient([])
    result = run_task(client, name="gone.com", state="absent")
    assert result["changed"] is False
    assert result["domain"] is None
    assert result["diff"]["before"] == result["diff"]["after"] == ""
    assert client.calls == [("find_domains", "gone.com"), ("list_domains",)]


def test_absent_with_auto_renew_on_and_no_decision_reads_nothing_more():
    client = FakeClient([listed()])
    with pytest.raises(dom.DomainError, match="auto-renew on"):
        run_task(client, state="absent")
    assert client.calls == [("find_domains", "example-shop.com")]


def test_absent_turns_auto_renew_off_then_removes():
    client = FakeClient([listed()])
    result = run_task(client, state="absent", auto_renew=False)
    assert client.calls == [
        ("find_domains", "example-shop.com"),
        ("get_domain", 101),
        ("update_domain", 101, {"auto_renew": False}),
        ("remove_domain", 101),
    ]
    assert result["changed"] is True
    assert result["domain"]["auto_renew"] is False
    assert result["diff"]["before"] == yaml_text(dom.diff_view(listed()))
    assert result["diff"]["after"] == ""
    assert result["diff"]["after_header"] == "example-shop.com (removed from the account)"


def test_absent_keeping_auto_renew_removes_only():
    client = FakeClient([listed()])
    run_task(client, state="absent", auto_renew=True)
    assert client.writes == [("remove_domain", 101)]


def test_absent_in_check_mode_reads_but_writes_nothing():
    client = FakeClient([listed()])
    result = run_task(client, state="absent", auto_renew=False, check_mode=True)
    assert result["changed"] is True
    assert result["domain"]["auto_renew"] is False
    assert client.writes == []
    assert [call[0] for call in client.calls if call[0] != "list_domains"] == ["find_domains", "get_domain"]


def test_absent_refuses_a_pending_transfer_found_in_the_detail():
    client = FakeClient([listed()], details=[detailed(transfer_status="pending")])
    with pytest.raises(dom.DomainError, match="transfer"):
        run_task(client, state="absent", auto_renew=False)
    assert client.writes == []


def test_absent_refuses_a_pending_domain_without_reading_the_detail():
    client = FakeClient([listed(status="pending", auto_renew=False)])
    with pytest.raises(dom.DomainError, match="pending"):
        run_task(client, state="absent")
    assert client.calls == [("find_domains", "example-shop.com")]


def test_absent_delete_failing_after_auto_renew_was_turned_off_reports_the_change():
    class FailingDelete(FakeClient):
        def remove_domain(self, domain_id):
            super().remove_domain(domain_id)
            raise api_error(500, "oops", method="DELETE")

    client = FailingDelete([listed()])
    with pytest.raises(dom.DomainError) as caught:
        run_task(client, state="absent", auto_renew=False)
    assert caught.value.to_result()["changed"] is True
    client = FailingDelete([listed()])
    with pytest.raises(ApiError):
        run_task(client, state="absent", auto_renew=True)


def test_a_detail_about_another_id_while_waiting_is_an_error_never_merged():
    client = FakeClient(details=[detailed(id=999, domain_name="other.com", status="active")])
    clock = FakeClock()
    with pytest.raises(dom.DomainError, match="another domain \\(id 999\\)") as caught:
        dom.wait_until_active(client, 101, 10, sleep=clock.sleep, clock=clock)
    assert "domain" not in caught.value.result
