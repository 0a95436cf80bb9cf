# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of amounts of money, the price table and estimates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _money
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (25.98, 25.98),
        (25, 25.0),
        ("25.98", 25.98),  # Django REST Framework renders DecimalField as a string
        (" 12.990 ", 12.99),
        (Decimal("39.99"), 39.99),
        ("0.005", 0.01),
        ("free", None),
        ("NaN", None),
        ("Infinity", None),
        (float("inf"), None),
        (None, None),
        (True, None),
        ([1], None),
    ],
)
def test_amount(value, expected):
    assert _money.amount(value) == expected


def test_usd():
    assert _money.usd("25.98") == "25.98 USD"
    assert _money.usd(1234.5) == "1,234.50 USD"
    assert _money.usd(None) == "unknown"


def test_price_table_and_estimates():
    assert _money.estimate("example.com", 2) == 25.98
    assert _money.estimate("example.io") == 39.99
    assert _money.estimate("example.xyz") is None
    table = _money.price_table({".XYZ": "1.50", "com": 10, "рф": 5})
    assert table["xyz"] == 1.5
    assert table["com"] == 10.0
    assert table["xn--p1ai"] == 5.0
    assert table["io"] == 39.99
    assert _money.estimate("a.xyz", 3, table) == 4.5
    # The published table is not changed by an override.
    assert _money.PRICES["com"] == 12.99


@pytest.mark.parametrize(
    ("overrides", "option"),
    [
        ("cheap", "prices"),
        ({"com": -1}, "prices.com"),
        ({"com": "ten"}, "prices.com"),
        ({"": 1}, "prices"),
        ({"bad_tld": 1}, "prices.bad_tld"),
    ],
)
def test_price_table_refuses_bad_entries(overrides, option):
    with pytest.raises(InvalidValue) as caught:
        _money.price_table(overrides)
    assert str(caught.value).startswith(option + ":")


def test_check_budget():
    assert _money.check_budget("max_cost", None) is None
    assert _money.check_budget("max_cost", 0) == 0.0
    assert _money.check_budget("max_cost", "30") == 30.0
    with pytest.raises(InvalidValue, match="max_spend"):
        _money.check_budget("max_spend", -1)
