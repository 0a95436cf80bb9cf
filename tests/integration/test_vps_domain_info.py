# SPDX-License-Identifier: GPL-3.0-or-later
"""vps_domain_info against the sandbox: filters, sort order, the detail shape, empty lists, read-only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional

import pytest

INFO = "vpsorg.domains.vps_domain_info"
DOMAINS_PATH = "/api/v1/domains/"
DEMO_NAMES = ["example-blog.net", "example-labs.io", "example-shop.com", "transfer-me.org"]
DETAIL_KEYS = {"registrar", "days_until_expiration", "whois_info", "dns_records_count"}


def info(title: str, /, *, check_mode: Optional[bool] = None, **options: Any) -> dict:
    entry: Dict[str, Any] = {"name": title, INFO: options}
    if check_mode is not None:
        entry["check_mode"] = check_mode
    return entry


def names(run, title: str) -> list:
    assert run.status(title) == "ok", run.result(title)
    return [domain["domain_name"] for domain in run.result(title)["domains"]]


def in_days(days: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.api_shape
def test_filters_sort_and_shapes(run_playbook, sandbox):
    sandbox.seed_domain(domain_name="aaa-pending.dev", status="pending", expiration_date=in_days(10))
    sandbox.seed_domain(domain_name="expired-shop.com", status="expired", expiration_date=in_days(-3))
    run = run_playbook(
        [
            info("Everything"),
            info("Everything in check mode", check_mode=True),
            info("Pending", status="pending"),
            info("Search", search="EXAMPLE-S"),
            info("Search and status", search="example", status="active"),
            info("Within 30 days", expiring_within_days=30),
            info("Within 30 days and active", expiring_within_days=30, status="active"),
            info("Within 365 days", expiring_within_days=365),
            info("Within 0 days", expiring_within_days=0),
            info("Nothing matches", search="no-such-domain"),
            info("One by name", name="Example-Shop.COM."),
            info("Name not in the account", name="not-in-the-account.com"),
        ]
    )
    everything = names(run, "Everything")
    assert everything == sorted([*DEMO_NAMES, "aaa-pending.dev", "expired-shop.com"])
    assert run.result("Everything in check mode")["domains"] == run.result("Everything")["domains"]
    # List-shaped: no detail keys.
    assert all(not DETAIL_KEYS & set(domain) for domain in run.result("Everything")["domains"])
    assert names(run, "Pending") == ["aaa-pending.dev"]
    assert names(run, "Search") == ["example-shop.com"]
    assert names(run, "Search and status") == ["example-blog.net", "example-labs.io", "example-shop.com"]
    # example-blog.net expires in 20 days, example-labs.io in 200; a domain past its expiry is the most urgent of
    # all, so every window includes it, with a negative days_left.
    assert names(run, "Within 30 days") == ["aaa-pending.dev", "example-blog.net", "expired-shop.com"]
    assert {d["domain_name"]: d["days_left"] for d in run.result("Within 30 days")["domains"]}["expired-shop.com"] < 0
    assert names(run, "Within 30 days and active") == ["example-blog.net"]
    assert names(run, "Within 365 days") == [
        "aaa-pending.dev",
        "example-blog.net",
        "example-labs.io",
        "expired-shop.com",
        "transfer-me.org",
    ]
    assert names(run, "Within 0 days") == ["expired-shop.com"]
    assert run.result("Nothing matches")["domains"] == []

    one = run.result("One by name")["domains"]
    assert [domain["domain_name"] for domain in one] == ["example-shop.com"]
    assert set(one[0]) >= DETAIL_KEYS
    assert one[0]["registrar"] == "VPS.org"
    assert run.result("Name not in the account")["domains"] == []
    assert all(not run.result(record["task"]).get("changed") for record in run.results)

    journal = sandbox.journal()
    assert {entry["method"] for entry in journal} == {"GET"}
    queries = [entry["query"] or {} for entry in journal if entry["path"] == DOMAINS_PATH]
    assert {"status": "pending"} in queries
    assert {"search": "EXAMPLE-S"} in queries
    assert {"search": "example", "status": "active"} in queries
    assert {"search": "example-shop.com"} in queries
    # The name is read in detail only when it is in the account.
    details = [entry["path"] for entry in journal if entry["path"] != DOMAINS_PATH]
    assert details == [f"{DOMAINS_PATH}101/"]


@pytest.mark.api_shape
def test_every_page_is_read(run_playbook, sandbox):
    sandbox.configure(page_size=2)
    for number in range(5):
        sandbox.seed_domain(domain_name=f"paged-{number}.com")
    run = run_playbook([info("Everything"), info("Paged", search="paged-")])
    assert len(names(run, "Everything")) == len(DEMO_NAMES) + 5
    assert names(run, "Paged") == [f"paged-{number}.com" for number in range(5)]
    pages = [entry for entry in sandbox.journal() if (entry["query"] or {}).get("page")]
    assert pages, "the lists span several pages"


def test_several_ids_for_one_name_are_all_returned(run_playbook, sandbox):
    duplicate = sandbox.seed_domain(domain_name="example-labs.io")
    run = run_playbook([info("By name", name="example-labs.io")])
    ids = [domain["id"] for domain in run.result("By name")["domains"]]
    assert sorted(ids) == sorted([103, duplicate["id"]])


@pytest.mark.api_shape
def test_as_policy_reads_the_whole_account_once(run_playbook, sandbox):
    sandbox.seed_domain(
        domain_name="xn--mnchen-3ya.de", status="pending", nameservers=["ns1.other.example", "ns2.other.example"]
    )
    run = run_playbook([info("Policy", as_policy=True), info("Detail", name="münchen.de")])
    result = run.result("Policy")
    assert run.status("Policy") == "ok"
    assert [entry["name"] for entry in result["policy"]["domains"]] == sorted([*DEMO_NAMES, "xn--mnchen-3ya.de"])
    assert result["policy"]["settings"]["nameservers"] == ["ns1.vps.org", "ns2.vps.org"]
    exceptions = {entry["name"]: entry for entry in result["policy"]["domains"]}
    assert exceptions["xn--mnchen-3ya.de"]["nameservers"] == ["ns1.other.example", "ns2.other.example"]
    assert result["policy_source"] == {
        "api_url": sandbox.api_url,
        "read_at": result["policy_source"]["read_at"],
        "domains": 5,
    }
    assert [domain["domain_name"] for domain in result["domains"]] == sorted([*DEMO_NAMES, "xn--mnchen-3ya.de"])
    # The collection's expiry rule beside the API's count.
    detail = run.result("Detail")["domains"][0]
    assert detail["days_left"] in (detail["days_until_expiration"], detail["days_until_expiration"] - 1)
    # One read of the account (one page) for the policy; the detail searches both forms of the IDN name (the API
    # may store either) and GETs the domain once.
    assert [entry["query"] for entry in sandbox.journal() if entry["path"] == DOMAINS_PATH] == [
        {},
        {"search": "xn--mnchen-3ya.de"},
        {"search": "münchen.de"},
    ]
    assert {entry["method"] for entry in sandbox.journal()} == {"GET"}
