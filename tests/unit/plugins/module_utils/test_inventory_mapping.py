# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory plugin's mapping from account domains to hosts, host variables and default groups."""

from __future__ import annotations

from datetime import datetime, timezone

# The mapping is imported from module_utils: importing the controller's plugin classes here would change how
# in-process module tests in the same run report warnings.
from ansible_collections.vpsorg.domains.plugins.module_utils._inventory import (
    default_groups,
    group_part,
    host_vars,
    hosts_of,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SHOP = {
    "id": 101,
    "domain_name": "example-shop.com",
    "status": "active",
    "registration_date": "2023-01-15T10:30:00Z",
    "expiration_date": "2027-01-15T10:30:00Z",
    "auto_renew": True,
    "locked": True,
    "privacy_protection": False,
    "nameservers": ["ns1.vps.org", "ns2.vps.org"],
    "dns_managed_by": "vps.org",
}


def test_host_variables_of_a_domain():
    assert host_vars("example-shop.com", SHOP, NOW) == {
        "vps_id": 101,
        "vps_status": "active",
        "vps_registration_date": "2023-01-15T10:30:00Z",
        "vps_expiration_date": "2027-01-15T10:30:00Z",
        "vps_days_left": 320,
        "vps_auto_renew": True,
        "vps_locked": True,
        "vps_privacy_protection": False,
        "vps_nameservers": ["ns1.vps.org", "ns2.vps.org"],
        "vps_dns_managed_by": "vps.org",
        "vps_tld": "com",
        "vps_unicode_name": "example-shop.com",
    }


def test_host_variables_of_an_idn_and_a_sparse_domain():
    found = host_vars("xn--mnchen-3ya.xn--p1ai", {"id": 7, "status": "pending"}, NOW)
    assert found["vps_unicode_name"] == "münchen.рф"
    assert found["vps_tld"] == "xn--p1ai"
    assert found["vps_days_left"] is None
    assert found["vps_nameservers"] == []
    assert found["vps_dns_managed_by"] is None


def test_days_left_follows_the_one_expiry_rule():
    # A bare date lasts the whole day; past expiry is negative.
    assert host_vars("a.com", dict(SHOP, expiration_date="2026-03-01"), NOW)["vps_days_left"] == 0
    assert host_vars("a.com", dict(SHOP, expiration_date="2026-02-27T12:00:00Z"), NOW)["vps_days_left"] == -2


def test_default_groups():
    assert default_groups("example-shop.com", SHOP, 30, NOW) == ["vps_status_active", "vps_tld_com"]
    soon = dict(SHOP, expiration_date="2026-03-20T00:00:00Z", status="locked")
    assert default_groups("example.xn--p1ai", soon, 30, NOW) == [
        "vps_status_locked",
        "vps_tld_xn__p1ai",
        "vps_expiring",
    ]
    past = dict(SHOP, expiration_date="2025-12-01T00:00:00Z", status="expired")
    assert "vps_expiring" in default_groups("old.com", past, 0, NOW)
    assert "vps_expiring" not in default_groups("example-shop.com", SHOP, 319, NOW)
    assert "vps_expiring" in default_groups("example-shop.com", SHOP, 320, NOW)


def test_group_part_keeps_group_names_valid():
    assert group_part("VPS.org") == "vps_org"
    assert group_part("xn--p1ai") == "xn__p1ai"
    assert group_part(None) == "none"


def test_hosts_are_canonical_sorted_filtered_and_unique():
    account = [
        dict(SHOP, id=12, domain_name="B.com"),
        dict(SHOP, id=3, domain_name="b.com."),
        dict(SHOP, id=4, domain_name="a.com", status="pending"),
        dict(SHOP, id=5, domain_name="MÜNCHEN.de"),
    ]
    hosts, warnings = hosts_of(account, ("active",))
    assert [(name, domain["id"]) for name, domain in hosts] == [("b.com", 3), ("xn--mnchen-3ya.de", 5)]
    assert warnings == ["b.com matches several domains in the account (ids 3, 12); the host is id 3"]
    hosts, warnings = hosts_of(account, ("active", "pending"))
    assert [name for name, _domain in hosts] == ["a.com", "b.com", "xn--mnchen-3ya.de"]


def test_hosts_whose_expiry_cannot_be_read_are_named_in_a_warning():
    account = [
        dict(SHOP, id=1, domain_name="odd.com", expiration_date="06/01/2026"),
        dict(SHOP, id=2, domain_name="never.com", expiration_date="9999-12-31"),
        dict(SHOP, id=3, domain_name="ok.com"),
    ]
    hosts, warnings = hosts_of(account, ("active",))
    assert [name for name, _domain in hosts] == ["never.com", "odd.com", "ok.com"]
    assert len(warnings) == 1 and "odd.com" in warnings[0] and "never.com" not in warnings[0]
    assert host_vars("never.com", hosts[0][1], NOW)["vps_days_left"] is None
    assert "vps_expiring" not in default_groups("never.com", hosts[0][1], 10**6, NOW)
