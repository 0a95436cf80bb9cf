# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: prices, amounts of money and estimates, free of HTTP and of Ansible.

Every number that means money goes through `amount()` (the API may send `total_cost` as a number or, as Django
REST Framework renders decimals, as a string) and is shown to people through `usd()`. The price table only
estimates; what the API reports as charged stays the truth.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Mapping, Optional

from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue, canonical_name

CURRENCY = "USD"
# The published prices of the VPS.org Domains API (USD per year; registration = renewal = transfer).
PRICES: Dict[str, float] = {
    "com": 12.99,
    "net": 14.99,
    "org": 13.99,
    "io": 39.99,
    "dev": 14.99,
    "app": 14.99,
    "co": 24.99,
}
# When the table above was read from the API's published price list.
PRICES_AS_OF = "2026-12-02"


def amount(value: Any) -> Optional[float]:
    """A sum of money as a float rounded to cents: a number, a numeric string or a Decimal; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    result = float(number)
    if not math.isfinite(result):
        return None
    return round(result, 2)


def usd(value: Any) -> str:
    """A sum of money as people read it: two decimals and the currency ("25.98 USD"); "unknown" when it is none."""
    number = amount(value)
    return "unknown" if number is None else f"{number:,.2f} {CURRENCY}"


def tld_of(name: str) -> str:
    """The top-level domain of a canonical name (punycode, lower case, no dot)."""
    return name.rsplit(".", 1)[-1]


def price_table(overrides: Any = None, option: str = "prices") -> Dict[str, float]:
    """The published prices with `overrides` (TLD -> USD per year) merged over them; InvalidValue names a bad entry.

    A TLD may be written with or without its leading dot, in any case, in Unicode or punycode.
    """
    table = dict(PRICES)
    if overrides is None:
        return table
    if not isinstance(overrides, Mapping):
        raise InvalidValue(option, overrides, "must be a dictionary of TLD to price in USD", "a valid price table")
    for key, value in overrides.items():
        shown = f"{option}.{key}"
        if not isinstance(key, str) or not key.strip().lstrip("."):
            raise InvalidValue(option, key, "a TLD must be a non-empty string such as com", "a valid price table")
        try:
            tld = canonical_name("x." + key.strip().lstrip("."), option=shown).split(".", 1)[1]
        except InvalidValue:
            raise InvalidValue(shown, key, "is not a valid top-level domain", "a valid price table") from None
        price = amount(value)
        if price is None or price < 0:
            raise InvalidValue(shown, value, "must be a price in USD of 0 or more", "a valid price")
        table[tld] = price
    return table


def price_of(name: str, table: Optional[Mapping[str, float]] = None) -> Optional[float]:
    """The yearly price of a canonical name's TLD; None when the table does not know it."""
    table = PRICES if table is None else table
    return table.get(tld_of(name))


def estimate(name: str, years: int = 1, table: Optional[Mapping[str, float]] = None) -> Optional[float]:
    """What registering (or transferring, years=1) a canonical name is expected to cost; None for an unknown TLD."""
    price = price_of(name, table)
    return None if price is None else round(price * years, 2)


def check_budget(option: str, limit: Any) -> Optional[float]:
    """A validated budget option (`max_cost`, `max_spend`): None when unset, else a sum of 0 or more."""
    if limit is None:
        return None
    number = amount(limit)
    if number is None or number < 0:
        raise InvalidValue(option, limit, "must be an amount in USD of 0 or more", "a valid budget")
    return number
