# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the module_utils unit tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(clean_client_environment: None) -> None:
    """Proxy, CA bundle and netrc settings of the machine running the tests must not leak in (tests/conftest.py)."""
