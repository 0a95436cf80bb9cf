# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the module_utils unit tests."""

from __future__ import annotations

from typing import Iterator

import pytest
from ansible.module_utils.common import warnings as ansible_warnings


@pytest.fixture(autouse=True)
def _clean_environment(clean_client_environment: None) -> None:
    """Proxy, CA bundle and netrc settings of the machine running the tests must not leak in (tests/conftest.py)."""


@pytest.fixture(autouse=True)
def _no_leftover_warnings() -> Iterator[None]:
    """ansible-core keeps module warnings in a process-wide store: a test's warnings must not reach the next."""
    ansible_warnings._global_warnings.clear()
    yield
    ansible_warnings._global_warnings.clear()
