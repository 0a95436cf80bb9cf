# SPDX-License-Identifier: GPL-3.0-or-later
"""vps_domain_info's task: request checks, the reads it makes, and as_policy."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils._info import check_info_request, list_account, read_info
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
REQUEST = {"name": None, "status": None, "search": None, "expiring_within_days": None, "as_policy": False}


def domain(domain_id: int, name: str, **fields: Any) -> Dict[str, Any]:
    base = {
        "id": domain_id,
        "domain_name": name,
        "status": "active",
        "expiration_date": "2026-03-10T00:00:00Z",
        "auto_renew": True,
        "locked": True,
        "privacy_protection": True,
        "nameservers": ["ns1.vps.org", "ns2.vps.org"],
    }
    base.update(fields)
    return base


class Client:
    """Records the reads; list_domains without a concurrency parameter, like the client of 0.1.0."""

    def __init__(self, account: List[Dict[str, Any]]) -> None:
        self.account = account
        self.calls: List[tuple] = []

    def list_domains(
        self, *, status: Optional[str] = None, search: Optional[str] = None, concurrency: int = 1
    ) -> List[Dict[str, Any]]:
        self.calls.append(("list", status, search, concurrency))
        return list(self.account)


def test_pages_are_read_four_at_a_time():
    client = Client([])
    list_account(client, status="active")
    list_account(client, search="x")
    assert client.calls == [("list", "active", None, 4), ("list", None, "x", 4)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "-bad-.com"}, "name: "),
        ({"search": "  "}, "search: "),
        ({"expiring_within_days": -1}, "expiring_within_days: -1"),
        ({"as_policy": True, "name": "a.com"}, "as_policy: True is not usable together with name"),
        ({"as_policy": True, "status": "active"}, "as_policy: True is not usable together with status"),
        ({"as_policy": True, "expiring_within_days": 3}, "as_policy: True is not usable together with status"),
    ],
)
def test_bad_requests_name_the_option(changes, message):
    with pytest.raises(InvalidValue) as error:
        check_info_request(dict(REQUEST, **changes))
    assert str(error.value).startswith(message)


def test_the_name_is_canonical():
    assert check_info_request(dict(REQUEST, name="MÜNCHEN.de."))["name"] == "xn--mnchen-3ya.de"


def test_as_policy_returns_the_policy_and_where_it_came_from():
    client = Client([domain(2, "b.com", locked=False), domain(1, "a.com")])
    request = dict(REQUEST, as_policy=True, api_url="https://admin.vps.org/api/v1/")
    result = read_info(client, request, NOW)
    assert [item["domain_name"] for item in result["domains"]] == ["a.com", "b.com"]
    assert result["policy"]["domains"] == [{"name": "a.com"}, {"name": "b.com", "locked": False}]
    assert result["policy_source"] == {
        "api_url": "https://admin.vps.org/api/v1",
        "read_at": "2026-03-01T12:00:00Z",
        "domains": 2,
    }
    assert result.get("warnings", []) == []
    assert result["changed"] is False
    assert client.calls == [("list", None, None, 4)]


def test_without_as_policy_there_is_no_policy():
    result = read_info(Client([domain(1, "a.com")]), REQUEST, NOW)
    assert set(result) == {"changed", "domains"}


def test_expiring_within_days_includes_past_expiry_with_negative_days_left():
    client = Client(
        [
            domain(1, "a.com"),
            domain(2, "old.com", expiration_date="2026-02-01"),
            domain(3, "z.com", expiration_date="2027-01-01"),
        ]
    )
    result = read_info(client, dict(REQUEST, expiring_within_days=10), NOW)
    assert [(item["domain_name"], item["days_left"]) for item in result["domains"]] == [("a.com", 9), ("old.com", -28)]


def test_an_expiry_report_names_the_domains_it_cannot_place():
    client = Client(
        [
            domain(1, "a.com"),
            domain(2, "legacy.com", expiration_date="06/01/2026"),
            domain(3, "null.com", expiration_date=None),
            domain(4, "forever.com", expiration_date="9999-12-31"),
        ]
    )
    result = read_info(client, dict(REQUEST, expiring_within_days=10), NOW)
    assert [item["domain_name"] for item in result["domains"]] == ["a.com"]
    (warning,) = result["warnings"]
    assert "legacy.com, null.com" in warning and "forever.com" not in warning
