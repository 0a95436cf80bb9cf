# SPDX-License-Identifier: GPL-3.0-or-later
"""vps_domain and money against the sandbox: estimates, max_cost refusals that send and charge nothing, and
what was charged reported as a number (also when the API sends decimals as strings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest

POSTS = "POST"
PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


def register_task(title: str, name: str, **options: Any) -> Dict[str, Any]:
    return {"name": title, "vpsorg.domains.vps_domain": dict({"name": name, "allow_registration": True}, **options)}


def posts(journal: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [entry for entry in journal if entry["method"] == POSTS]


@pytest.mark.api_shape
def test_check_mode_shows_the_estimate_and_sends_no_write(run_playbook, sandbox):
    run = run_playbook(
        [
            register_task("Two years", "estimate-me.io", years=2),
            register_task("Priced by the user", "estimate-me.co", prices={"co": "20"}),
        ],
        check=True,
    )
    assert run.result("Two years")["registration"] == {"estimated_cost": 79.98}
    assert run.result("Priced by the user")["registration"] == {"estimated_cost": 20.0}
    assert run.status("Two years") == "changed"
    assert posts(sandbox.journal()) == []
    assert sandbox.ledger() == []


@pytest.mark.api_shape
def test_over_max_cost_or_an_unknown_price_is_refused_before_the_post(run_playbook, sandbox):
    run = run_playbook(
        [
            register_task("Over", "too-dear.io", years=2, max_cost=79.97),
            dict(register_task("Over in check mode", "too-dear.io", years=2, max_cost=50), check_mode=True),
            # The sandbox has no price for .shop (it would refuse the name); the budget stops it first.
            register_task("Unknown price", "no-price.shop", max_cost=1000),
            register_task("Bad budget", "too-dear.io", max_cost=-1),
            register_task("Bad prices", "too-dear.io", prices={"io": "a lot"}),
        ]
    )
    assert run.result("Over")["msg"] == (
        "max_cost: registering too-dear.io for 2 year(s) is estimated at 79.98 USD, more than max_cost 79.97 USD; "
        "nothing was sent"
    )
    assert run.result("Over")["changed"] is False
    assert run.result("Over in check mode")["msg"].startswith("max_cost: registering too-dear.io for 2 year(s)")
    assert run.result("Unknown price")["msg"].startswith("max_cost: the price of no-price.shop is unknown")
    assert run.result("Bad budget")["msg"].startswith("max_cost: ")
    assert run.result("Bad prices")["msg"].startswith("prices.io: ")
    assert all(
        run.status(title) == "failed"
        for title in ("Over", "Over in check mode", "Unknown price", "Bad budget", "Bad prices")
    )
    assert posts(sandbox.journal()) == []
    assert sandbox.ledger() == []


@pytest.mark.api_shape
def test_max_cost_equal_to_the_estimate_registers_and_reports_what_was_charged(run_playbook, sandbox):
    run = run_playbook([register_task("Register", "just-enough.com", years=2, max_cost=25.98)])
    assert run.status("Register") == "changed"
    registration = run.result("Register")["registration"]
    assert registration["total_cost"] == 25.98
    assert registration["estimated_cost"] == 25.98
    ledger = sandbox.ledger()
    assert [(entry["domain_name"], entry["amount"]) for entry in ledger] == [("just-enough.com", 25.98)]
    assert len(posts(sandbox.journal())) == 1


@pytest.mark.api_shape
def test_total_cost_sent_as_a_string_comes_back_as_a_number(run_playbook, sandbox):
    """Django REST Framework renders decimals as strings: the drf profile of the sandbox does the same."""
    status, answer = sandbox.control("POST", "config", {"profile": "drf"})
    if status != 200:
        pytest.skip(f"this sandbox has no drf profile (POST /_sandbox/config answered {status}: {answer!r})")
    run = run_playbook(
        playbook=PLAYBOOKS / "register.yml",
        extra_args=["-e", '{"register_domains": [{"name": "string-cost.com", "years": 2}], "register_wait": false}'],
    )
    assert run.rc == 0, run.output
    result = run.result("Register each domain that is not in the account yet")["results"][0]
    assert result["registration"]["total_cost"] == 25.98
    assert isinstance(result["registration"]["total_cost"], float)
    assert "string-cost.com: registered, 25.98 USD, status pending" in run.result("Show what was registered")["msg"]
    assert [entry["amount"] for entry in sandbox.ledger()] == [25.98]


@pytest.mark.api_shape
def test_the_register_playbook_shows_money_as_people_read_it(run_playbook, sandbox):
    run = run_playbook(
        playbook=PLAYBOOKS / "register.yml",
        extra_args=["-e", '{"register_domains": ["plain-cost.io", "example-shop.com"], "register_wait": false}'],
    )
    assert run.rc == 0, run.output
    assert run.result("Show what was registered")["msg"] == [
        "plain-cost.io: registered, 39.99 USD, status pending",
        "example-shop.com: already in the account, status active",
    ]
