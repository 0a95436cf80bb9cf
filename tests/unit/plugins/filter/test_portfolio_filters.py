# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter plugin's own behaviour: what it refuses, and that each filter is the module_utils function."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.vpsorg.domains.plugins.filter.portfolio import FilterModule
from ansible_collections.vpsorg.domains.plugins.module_utils._summary import render_text

FILTERS = FilterModule().filters()


@pytest.mark.parametrize("name", ["portfolio_report_text", "portfolio_report_html"])
@pytest.mark.parametrize("value", [None, "report", ["a"]])
def test_anything_but_a_report_is_refused_naming_the_filter(name: str, value: Any) -> None:
    with pytest.raises(AnsibleFilterError, match=f"{name}: expects the portfolio report"):
        FILTERS[name](value)


def test_the_text_filter_prints_the_summary_lines() -> None:
    report = {"summary": {"checked": 0}, "check_mode": True, "findings": [], "renewals": []}
    assert FILTERS["portfolio_report_text"](report) == render_text(report)
    assert FILTERS["portfolio_report_text"](report)[0].startswith("Portfolio plan (check mode: nothing was changed)")


def test_a_bad_csv_names_the_filter() -> None:
    with pytest.raises(AnsibleFilterError, match=r"^transfer_codes_csv: "):
        FILTERS["transfer_codes_csv"]("no header at all")
