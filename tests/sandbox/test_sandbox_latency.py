# SPDX-License-Identifier: GPL-3.0-or-later
"""The sandbox's latency knob: every API answer waits latency_ms, concurrent requests wait side by side."""

from __future__ import annotations

import http.client
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List
from urllib.parse import urlsplit

LATENCY_MS = 200
CONCURRENT = 8


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _list_once(sandbox: Any) -> None:
    status, _headers, body = sandbox.api("GET", "domains/")
    assert status == 200, body
    assert body["count"] == 4


def test_latency_is_configurable_checked_and_reset(sandbox: Any) -> None:
    assert sandbox.configure(latency_ms=LATENCY_MS)["latency_ms"] == LATENCY_MS
    for bad in (-1, 60001, True, 1.5, "200", None):
        status, body = sandbox.control("POST", "config", {"latency_ms": bad})
        assert status == 400, bad
        assert set(body) == {"latency_ms"}
    assert sandbox.control("GET", "config")[1]["latency_ms"] == LATENCY_MS
    sandbox.control("POST", "reset")
    assert sandbox.control("GET", "config")[1]["latency_ms"] == 0


def test_every_api_answer_waits_and_the_control_api_does_not(sandbox: Any) -> None:
    fast = min(_timed(lambda: _list_once(sandbox)) for _attempt in range(3))
    sandbox.configure(latency_ms=LATENCY_MS)
    slow = [_timed(lambda: _list_once(sandbox)) for _attempt in range(3)]
    control = min(_timed(sandbox.journal) for _attempt in range(3))
    # A lower bound: the delay is there on every answer (sleep never returns early).
    assert all(seconds >= LATENCY_MS / 1000 for seconds in slow), slow
    # The control API answers as the API did without the knob: faster than one delayed answer.
    assert control < min(slow) / 2, (control, slow, fast)
    assert [entry["status"] for entry in sandbox.journal()] == [200] * 6


def test_concurrent_requests_wait_side_by_side(sandbox: Any) -> None:
    """8 requests at once take about one delay, not eight: no lock serialises the waiting."""
    sandbox.configure(latency_ms=LATENCY_MS)
    single = min(_timed(lambda: _list_once(sandbox)) for _attempt in range(2))
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        started = time.perf_counter()
        list(pool.map(lambda _index: _list_once(sandbox), range(CONCURRENT)))
        together = time.perf_counter() - started
    # Serialised, the eight would take 8x one request; side by side about 1x (3x leaves room for a busy machine).
    assert together < 3 * single, (together, single)
    assert len(sandbox.journal()) == 2 + CONCURRENT


def test_kept_alive_requests_carry_the_latency_and_no_more(sandbox: Any) -> None:
    """On one kept-alive connection every answer carries the latency (not only the first)."""
    sandbox.configure(latency_ms=LATENCY_MS)
    parts = urlsplit(sandbox.api_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    times: List[float] = []
    try:
        for _attempt in range(4):
            started = time.perf_counter()
            connection.request("GET", parts.path + "/domains/", headers={"Authorization": f"Bearer {sandbox.token}"})
            response = connection.getresponse()
            assert response.status == 200
            response.read()
            times.append(time.perf_counter() - started)
    finally:
        connection.close()
    assert all(seconds >= LATENCY_MS / 1000 for seconds in times), times


def test_the_command_line_option_sets_the_start_latency(start_sandbox: Any) -> None:
    server = start_sandbox("--latency-ms", "150")
    assert server.control("GET", "config")[1]["latency_ms"] == 150
    assert _timed(lambda: _list_once(server)) >= 0.15
    server.control("POST", "reset")
    assert server.control("GET", "config")[1]["latency_ms"] == 150
