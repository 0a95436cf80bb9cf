# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading, bounded and lenient (DESIGN 0.3.0 "Reading"), with real ansible-playbook against the sandbox.

A dripped answer ends at api_timeout; a wrong api_url fails at once with a hint; odd dates never crash and a
date that cannot be read is reported, never dropped; days left are counted as a person counts them.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest

INFO = "vpsorg.domains.vps_domain_info"
PORTFOLIO = "vpsorg.domains.vps_portfolio"
LIST_PATH = "/api/v1/domains/"


def task(title: str, module: str, **options: Any) -> Dict[str, Any]:
    return {"name": title, module: options}


def list_page(items: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"count": len(items), "next": None, "previous": None, "results": items}


def item(domain_id: int, name: str, expiration_date: Any, **fields: Any) -> Dict[str, Any]:
    base = {
        "id": domain_id,
        "domain_name": name,
        "status": "active",
        "registration_date": "2020-01-01T00:00:00Z",
        "expiration_date": expiration_date,
        "auto_renew": True,
        "locked": True,
        "privacy_protection": True,
        "nameservers": ["ns1.vps.org", "ns2.vps.org"],
        "dns_managed_by": "vps.org",
    }
    base.update(fields)
    return base


def today_plus(days: int, time_of_day: str = "") -> str:
    day = (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%d")
    return f"{day}T{time_of_day}Z" if time_of_day else day


# -- a total deadline -------------------------------------------------------------------------------------------


@pytest.mark.api_shape
def test_a_dripped_answer_fails_at_the_deadline_with_a_clear_message(run_playbook, sandbox):
    """Each byte arrives well within api_timeout; the whole list page would take many minutes."""
    sandbox.add_fault(method="GET", path_prefix=LIST_PATH, drip_ms=400, count=10)
    run = run_playbook([task("Read", INFO, api_timeout=1)])
    assert run.status("Read") == "failed"
    msg = run.result("Read")["msg"]
    assert msg.startswith(f"GET {LIST_PATH}: no complete answer from ")
    assert "no complete answer within api_timeout (1 s)" in msg
    assert "gave up after 5 attempts" in msg
    journal = sandbox.journal()
    assert [(entry["method"], entry["path"], entry["fault"]) for entry in journal] == [("GET", LIST_PATH, "drip")] * 5
    # Five faults used, five left: no attempt beyond the bound.
    assert sandbox.faults()[0]["count"] == 5


# -- failing fast, with a hint --------------------------------------------------------------------------------


@pytest.mark.api_shape
def test_a_wrong_api_url_fails_at_once_naming_the_url(run_playbook, sandbox):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    no_api_path = sandbox.api_url.rsplit("/api/v1", 1)[0]
    run = run_playbook(
        [
            task("Nothing listens", INFO, api_url=f"http://127.0.0.1:{closed_port}/api/v1", api_token=sandbox.token),
            task("Unknown host", INFO, api_url="https://no-such-host.invalid/api/v1", api_token=sandbox.token),
            task("No API path", INFO, api_url=no_api_path, api_token=sandbox.token),
            task("No token", INFO, api_url=sandbox.api_url),
        ],
        connection_defaults=False,
    )
    refused = run.result("Nothing listens")["msg"]
    assert f"could not connect to http://127.0.0.1:{closed_port}/api/v1/domains/: connection refused" in refused
    assert "check api_url" in refused and "gave up" not in refused
    unknown = run.result("Unknown host")["msg"]
    assert "could not connect to https://no-such-host.invalid/api/v1/domains/" in unknown
    assert "does not resolve" in unknown and "gave up" not in unknown
    missing = run.result("No API path")["msg"]
    assert missing.startswith("GET /domains/: not found (HTTP 404); check api_url")
    assert "https://admin.vps.org/api/v1" in missing
    assert run.result("No token")["msg"] == (
        "api_token: no API token was given: set the api_token option or the VPSORG_API_TOKEN environment variable"
    )
    # Only the request to the sandbox without the API path reached it (once): nothing was retried.
    assert [(entry["method"], entry["path"], entry["status"]) for entry in sandbox.journal()] == [
        ("GET", "/domains/", 404)
    ]


# -- dates ------------------------------------------------------------------------------------------------------

ODD = [
    item(201, "forever.com", "9999-12-31"),
    item(202, "year-one.com", "0001-01-01T00:00:00+01:00"),
    item(203, "epoch.com", int((datetime.now(timezone.utc) + timedelta(days=12)).timestamp())),
    item(204, "epoch-text.com", str(int((datetime.now(timezone.utc) + timedelta(days=400)).timestamp()))),
    item(205, "us-format.com", "06/01/2026", auto_renew=False),
    item(206, "no-date.com", None),
    item(207, "garbage.com", {"when": "soon"}),
]


@pytest.mark.api_shape
def test_odd_dates_never_crash_and_an_unreadable_expiry_is_reported(run_playbook, sandbox):
    sandbox.add_fault(method="GET", path_prefix=LIST_PATH, status=200, body=list_page(ODD), count=3)
    run = run_playbook(
        [
            task("Expiring", INFO, expiring_within_days=30),
            task("Everything", INFO),
            task("Audit", PORTFOLIO, settings={"locked": True}),
        ],
        check=True,
    )
    for title in ("Expiring", "Everything", "Audit"):
        assert run.status(title) == "ok", run.result(title)
    expiring = run.result("Expiring")
    assert [(d["domain_name"], d["days_left"]) for d in expiring["domains"]] == [("epoch.com", 12)]
    unknown_names = "garbage.com, no-date.com, us-format.com"
    assert any(unknown_names in warning for warning in expiring["warnings"])
    assert len(run.result("Everything")["domains"]) == len(ODD)

    audit = run.result("Audit")
    unknown = [f for f in audit["findings"] if f["condition"] == "expiry_unknown"]
    assert [f["name"] for f in unknown] == ["garbage.com", "no-date.com", "us-format.com"]
    assert "'06/01/2026'" in unknown[2]["detail"]
    assert any(unknown_names in warning for warning in audit["warnings"])
    # "Never" is neither expiring nor unknown; epoch seconds are dates like any other.
    assert [entry["name"] for entry in audit["expiring"]] == ["epoch.com"]
    months = [entry for entry in audit["expiry_calendar"] if entry["auto_renew"] or entry["no_auto_renew"]]
    assert [name for entry in months for name in entry["auto_renew"]] == ["epoch.com"]
    assert not any(f["name"] in ("forever.com", "year-one.com") for f in audit["findings"])
    assert "unexpected error" not in run.output
    assert [entry["path"] for entry in sandbox.journal()] == [LIST_PATH] * 3


@pytest.mark.api_shape
def test_odd_creation_and_expiry_dates_in_a_detail(run_playbook, sandbox):
    detail = item(
        101,
        "example-shop.com",
        "9999-12-31",
        registrar="VPS.org",
        whois_info={"created_date": "9999-12-31"},
        days_until_expiration=None,
    )
    sandbox.add_fault(method="GET", path_prefix="/api/v1/domains/101/", status=200, body=detail)
    run = run_playbook([task("One", INFO, name="example-shop.com")])
    assert run.status("One") == "ok", run.result("One")
    (domain,) = run.result("One")["domains"]
    assert domain["days_left"] is None
    assert not run.result("One").get("warnings")


# -- days left ---------------------------------------------------------------------------------------------------


@pytest.mark.api_shape
def test_days_left_are_calendar_days_everywhere(run_playbook, sandbox):
    """An expiry 20 calendar days ahead shows 20 whatever the time of day on either side."""
    seeded = sandbox.seed_domain(domain_name="twenty.com", expiration_date=today_plus(20, "00:00:01"), auto_renew=False)
    run = run_playbook(
        [
            task("By name", INFO, name="twenty.com"),
            task("Expiring", INFO, expiring_within_days=20),
            task("Not yet", INFO, expiring_within_days=19),
            task("Audit", PORTFOLIO, settings={}, expiry_warning_days=20),
        ],
        check=True,
    )
    (by_name,) = run.result("By name")["domains"]
    assert (by_name["id"], by_name["days_left"]) == (seeded["id"], 20)
    assert {d["domain_name"]: d["days_left"] for d in run.result("Expiring")["domains"]}["twenty.com"] == 20
    assert "twenty.com" not in [d["domain_name"] for d in run.result("Not yet")["domains"]]
    audit = run.result("Audit")
    assert {e["name"]: e["days_left"] for e in audit["expiring"]}["twenty.com"] == 20
    (finding,) = [f for f in audit["findings"] if f["name"] == "twenty.com"]
    assert finding["condition"] == "expiring_without_auto_renew"
    assert "(in 20 days)" in finding["detail"]
