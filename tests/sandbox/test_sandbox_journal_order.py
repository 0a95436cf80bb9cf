# SPDX-License-Identifier: GPL-3.0-or-later
"""The journal holds a request before its answer leaves: the order a client sent in is the order journalled."""

from __future__ import annotations

import http.client
import threading
from typing import Any, Dict, List

THREADS = 4
REQUESTS_PER_THREAD = 40


def _send_sequence(sandbox: Any, label: str, errors: List[str]) -> None:
    """Half the requests on one kept-alive connection, half each on a fresh one, strictly one after another."""
    kept = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=15)
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    try:
        for number in range(REQUESTS_PER_THREAD):
            connection = kept if number % 2 else http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=15)
            connection.request("GET", f"/api/v1/domains/?search={label}-{number:03d}", headers=headers)
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                errors.append(f"{label}-{number}: HTTP {answer.status}")
            if connection is not kept:
                connection.close()
    except OSError as error:  # pragma: no cover - reported by the assertion below
        errors.append(f"{label}: {error}")
    finally:
        kept.close()


def test_each_sender_finds_its_requests_journalled_in_the_order_it_sent_them(sandbox: Any) -> None:
    errors: List[str] = []
    threads = [threading.Thread(target=_send_sequence, args=(sandbox, f"t{index}", errors)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    seen: Dict[str, List[str]] = {f"t{index}": [] for index in range(THREADS)}
    for entry in sandbox.journal():
        label, _dash, number = entry["query"]["search"].partition("-")
        seen[label].append(number)
    expected = [f"{number:03d}" for number in range(REQUESTS_PER_THREAD)]
    assert seen == dict.fromkeys(seen, expected)


def test_a_client_holding_its_answer_always_finds_the_entry(sandbox: Any) -> None:
    """Each answer is followed at once by a journal read on another connection; the entry must be there."""
    for number in range(40):
        method, path, body = (
            ("PUT", "domains/101/", {"auto_renew": bool(number % 2)})
            if number % 3
            else (
                "GET",
                "domains/999/",
                None,
            )
        )
        status, _headers, _payload = sandbox.api(method, path, body)
        assert status in (200, 404)
        last = sandbox.journal()[-1]
        assert (last["method"], last["path"], last["status"]) == (method, f"/api/v1/{path}", status)
        assert len(sandbox.journal()) == number + 1


def test_a_charge_is_in_the_ledger_when_its_answer_arrives(sandbox: Any) -> None:
    for number in range(5):
        status, _headers, _payload = sandbox.api("POST", "domains/", {"domain_name": f"ledger-order-{number}.com"})
        assert status == 201
        assert [entry["domain_name"] for entry in sandbox.ledger()][-1] == f"ledger-order-{number}.com"
        assert sandbox.journal()[-1]["status"] == 201
