# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the tests of the modules' main(): no test here waits in real time."""

from __future__ import annotations

from typing import Iterator, List

import pytest
from ansible.module_utils.common import warnings as ansible_warnings
from ansible_collections.vpsorg.domains.plugins.module_utils import _base


class FakeTime:
    """A monotonic clock that only moves when the task sleeps: a grace period passes in no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: List[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


@pytest.fixture(autouse=True)
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """Every task built by a module's main() in these tests waits on a fake clock (see _base.TASK_SLEEP)."""
    fake = FakeTime()
    monkeypatch.setattr(_base, "TASK_SLEEP", fake.sleep)
    monkeypatch.setattr(_base, "TASK_CLOCK", fake.clock)
    return fake


@pytest.fixture(autouse=True)
def _no_leftover_warnings() -> Iterator[None]:
    """ansible-core keeps module warnings in a process-wide store: a test's warnings must not reach the next."""
    ansible_warnings._global_warnings.clear()
    yield
    ansible_warnings._global_warnings.clear()
