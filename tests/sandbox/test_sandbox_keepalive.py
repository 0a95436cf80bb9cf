# SPDX-License-Identifier: GPL-3.0-or-later
"""The sandbox answers a kept-alive connection as fast as a fresh one (no Nagle / delayed-ACK stall).

With Nagle's algorithm on the server socket and headers and body written separately, every answer on a
kept-alive connection waited for the client's delayed ACK (about 40 ms, against about 1 ms on a fresh
connection). The check is a ratio of medians over many requests, never a wall-clock limit.
"""

from __future__ import annotations

import http.client
import statistics
import time
from typing import Any, List

import pytest

# The drf profile renders its answers in another way: `make pytest-drf` runs this file against it too.
pytestmark = pytest.mark.api_shape
ROUNDS = 50
# A kept-alive request skips the TCP handshake, so it should be faster; 3x leaves room for a busy machine
# and still fails by an order of magnitude when answers stall.
MAX_RATIO = 3.0


def _timed_get(connection: http.client.HTTPConnection, path: str, token: str) -> float:
    start = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    assert response.status == 200
    return elapsed


@pytest.mark.parametrize("path", ["/api/v1/domains/101/", "/api/v1/domains/", "/_sandbox/config"])
def test_kept_alive_requests_are_not_slower_than_fresh_connections(sandbox: Any, path: str) -> None:
    kept = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=15)
    keep_alive: List[float] = []
    fresh: List[float] = []
    try:
        _timed_get(kept, path, sandbox.token)  # connect and warm up
        socket_used = kept.sock
        # Interleaved, so both kinds of request meet the same load on the machine.
        for _round in range(ROUNDS):
            keep_alive.append(_timed_get(kept, path, sandbox.token))
            connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=15)
            try:
                fresh.append(_timed_get(connection, path, sandbox.token))
            finally:
                connection.close()
        # One socket served every kept-alive request: the server did keep the connection alive.
        assert kept.sock is socket_used
    finally:
        kept.close()
    keep_median, fresh_median = statistics.median(keep_alive), statistics.median(fresh)
    assert keep_median <= MAX_RATIO * fresh_median, (
        f"kept-alive median {keep_median * 1000:.1f} ms vs fresh-connection median {fresh_median * 1000:.1f} ms"
    )
