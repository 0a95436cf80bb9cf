# SPDX-License-Identifier: GPL-3.0-or-later
"""Two playbooks registering the same name at the same moment: one registration, one charge, a clear loser."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

NAME = "race-for-it.com"
RIVAL_TOKEN = "rival-account-token"
# Both registrations are held this long before the sandbox stores them, so both requests are in flight at once
# and both runs have looked the name up (and not found it) before either registration lands. The look-up before a
# registration reads the whole account when the searches find nothing, and a busy machine starts the two module
# runs seconds apart: 8 s leaves room for both.
POST_DELAY_MS = 8000


def _run_both(sandbox: Any, run_playbook: Any, tmp_path: Path, tokens: List[Optional[str]]) -> List[Any]:
    """Run one playbook per token at once; each waits at a barrier so both reach the registration together."""
    go = tmp_path / "go"
    runs: List[Any] = [None, None]
    errors: List[BaseException] = []

    def play(index: int) -> None:
        task_args: Dict[str, Any] = {"name": NAME, "allow_registration": True}
        if tokens[index] is not None:
            task_args["api_token"] = tokens[index]
        tasks = [
            {"name": "ready", "ansible.builtin.file": {"path": str(tmp_path / f"ready{index}"), "state": "touch"}},
            {"name": "wait for the other", "ansible.builtin.wait_for": {"path": str(go), "timeout": 120, "sleep": 1}},
            {"name": "register", "vpsorg.domains.vps_domain": task_args},
        ]
        try:
            runs[index] = run_playbook(tasks, ignore_errors=False)
        except Exception as error:  # pylint: disable=broad-exception-caught  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=play, args=(index,)) for index in (0, 1)]
    threads[0].start()
    # run_playbook numbers its run directories; start the second once the first has taken its number.
    _wait_for(lambda: (tmp_path / "run1").exists() or bool(errors))
    threads[1].start()
    _wait_for(lambda: all((tmp_path / f"ready{index}").exists() for index in (0, 1)) or bool(errors))
    go.touch()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    return runs


def _wait_for(condition: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for both playbooks")
        time.sleep(0.05)


def _registration_posts(sandbox: Any) -> List[Dict[str, Any]]:
    return [
        entry
        for entry in sandbox.journal()
        if entry["method"] == "POST"
        and entry["path"] == "/api/v1/domains/"
        and (entry.get("body") or {}).get("domain_name") == NAME
    ]


def _holders(sandbox: Any, tokens: Dict[str, str]) -> Dict[str, List[int]]:
    """The ids under which each account holds NAME."""
    held = {}
    for label, token in tokens.items():
        status, _headers, body = sandbox.api("GET", "domains/", token=token, params={"search": NAME})
        assert status == 200, body
        held[label] = [item["id"] for item in body["results"] if item["domain_name"] == NAME]
    return held


@pytest.mark.api_shape
@pytest.mark.slow
def test_same_account_registers_once(sandbox: Any, run_playbook: Any, tmp_path: Path) -> None:
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", delay_ms=POST_DELAY_MS, count=2)
    runs = _run_both(sandbox, run_playbook, tmp_path, [None, None])

    posts = _registration_posts(sandbox)
    assert [entry["fault"] for entry in posts] == ["delay", "delay"], "both runs must have raced to the POST"
    charges = [entry for entry in sandbox.ledger() if entry["domain_name"] == NAME]
    assert len(charges) == 1, charges
    held = _holders(sandbox, {"demo": sandbox.token})
    assert len(held["demo"]) == 1, held

    statuses = sorted(run.status("register") for run in runs)
    assert statuses == ["changed", "ok"], [run.results for run in runs]
    winner = next(run.result("register") for run in runs if run.status("register") == "changed")
    loser = next(run.result("register") for run in runs if run.status("register") == "ok")
    assert winner["registration"]["total_cost"] == charges[0]["amount"]
    assert winner["domain"]["id"] == loser["domain"]["id"] == held["demo"][0]
    assert "registration" not in loser or not loser["registration"]


@pytest.mark.api_shape
@pytest.mark.slow
def test_other_account_is_told_the_name_is_taken(sandbox: Any, run_playbook: Any, tmp_path: Path) -> None:
    sandbox.add_account("rival", RIVAL_TOKEN, 1000)
    sandbox.add_fault(method="POST", path_prefix="/api/v1/domains/", delay_ms=POST_DELAY_MS, count=2)
    runs = _run_both(sandbox, run_playbook, tmp_path, [None, RIVAL_TOKEN])

    posts = _registration_posts(sandbox)
    assert [entry["fault"] for entry in posts] == ["delay", "delay"], "both runs must have raced to the POST"
    assert sorted(entry["account"] for entry in posts) == ["demo", "rival"]
    charges = [entry for entry in sandbox.ledger() if entry["domain_name"] == NAME]
    assert len(charges) == 1, charges
    held = _holders(sandbox, {"demo": sandbox.token, "rival": RIVAL_TOKEN})
    assert sorted(len(ids) for ids in held.values()) == [0, 1], held

    statuses = sorted(run.status("register") for run in runs)
    assert statuses == ["changed", "failed"], [run.results for run in runs]
    winner_index = next(index for index, run in enumerate(runs) if run.status("register") == "changed")
    loser = runs[1 - winner_index].result("register")
    assert "taken" in loser["msg"] and "vps_domain_transfer" in loser["msg"], loser["msg"]
    assert not loser.get("changed"), loser
    assert charges[0]["account"] == ("demo", "rival")[winner_index]
    assert held[("demo", "rival")[winner_index]] == [runs[winner_index].result("register")["domain"]["id"]]
