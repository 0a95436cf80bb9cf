# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the sandbox's own contract tests."""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest


def _wait_until(condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1) -> Any:
    """Poll until `condition()` is truthy and return its value; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s (last value {value!r})")
        time.sleep(interval)


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    return _wait_until
