# SPDX-License-Identifier: GPL-3.0-or-later
"""The money adds up in a real role run: the 365-day total is the sum of the months printed below it, at the
window's edges, and the forecast covers the domains a run excludes (they are charged all the same)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest

SHOW = "Show the report"
MODULE = "Apply the portfolio policy"
PRICES = {"com": 12.99, "net": 14.99, "org": 13.99, "io": 39.99, "dev": 14.99}


def _task(run, suffix: str) -> Dict[str, Any]:
    for record in reversed(run.results):
        if record["task"].endswith(suffix):
            return record["result"]
    raise AssertionError(f"no task ending in {suffix!r}: {[r['task'] for r in run.results]}")


def _role(**role_vars: Any) -> List[Dict[str, Any]]:
    return [
        {"name": "Portfolio", "ansible.builtin.include_role": {"name": "vpsorg.domains.portfolio"}, "vars": role_vars}
    ]


def _usd(text: str) -> float:
    return float(text.replace(",", ""))


def _printed_renewals(lines: List[str]) -> tuple:
    """(the printed 365-day total, the amounts of the month rows below it)."""
    header = next(i for i, line in enumerate(lines) if line.startswith("Renewals due within 365 days"))
    total = _usd(re.search(r": ([\d,]+\.\d\d) USD", lines[header]).group(1))
    rows = []
    for line in lines[header + 1 :]:
        match = re.fullmatch(r"  \d{4}-\d{2}: ([\d,]+\.\d\d) USD for .+", line)
        if not match:
            break
        rows.append(_usd(match.group(1)))
    return total, rows


@pytest.mark.parametrize(("days", "inside"), [(0, True), (364, True), (365, True), (366, False)])
@pytest.mark.api_shape
def test_the_printed_total_is_the_sum_of_the_printed_months(run_playbook, sandbox, days, inside):
    """A domain registered today for a year expires 365 days ahead: in the total, and in a month of the table."""
    # Inside: the first second of that calendar day; outside: its last second. Either way the domain is that
    # many calendar days ahead, whether days are counted by the calendar or in whole 24-hour days.
    clock = "00:00:00" if inside else "23:59:59"
    expiry = (datetime.now(timezone.utc) + timedelta(days=days)).strftime(f"%Y-%m-%dT{clock}Z")
    if days == 0:
        expiry = datetime.now(timezone.utc).strftime("%Y-%m-%dT23:59:59Z")
    sandbox.seed_domain(domain_name="edge-case.dev", status="active", auto_renew=True, expiration_date=expiry)
    run = run_playbook(_role(portfolio_settings={}), check=True, ignore_errors=False)
    assert run.rc == 0, run.output
    result = _task(run, MODULE)
    months = result["renewals"]
    assert result["summary"]["renewal_cost_365d"] == round(sum(m["estimated_cost"] for m in months), 2)
    renewing = [name for month in months for name in month["domains"]]
    assert ("edge-case.dev" in renewing) is inside
    total, rows = _printed_renewals(_task(run, SHOW)["msg"])
    assert total == result["summary"]["renewal_cost_365d"]
    assert round(sum(rows), 2) == total
    assert all(entry["method"] == "GET" for entry in sandbox.journal())


def test_excluded_domains_stay_in_the_forecast(run_playbook, sandbox):
    """Excluding *.io keeps the run off example-labs.io, not its 39.99 USD renewal out of the forecast."""
    everything = run_playbook(_role(portfolio_settings={"locked": True}), check=True, ignore_errors=False)
    without_io = run_playbook(
        _role(portfolio_settings={"locked": True}, portfolio_exclude=["*.io"]), check=True, ignore_errors=False
    )
    assert everything.rc == 0 and without_io.rc == 0, without_io.output
    full, excluded = _task(everything, MODULE), _task(without_io, MODULE)
    assert [item["name"] for item in excluded["skipped_domains"]] == ["example-labs.io"]
    assert excluded["renewals"] == full["renewals"]
    assert excluded["summary"]["renewal_cost_365d"] == full["summary"]["renewal_cost_365d"]
    assert "example-labs.io" in [name for month in excluded["renewals"] for name in month["domains"]]
    assert all(entry["method"] == "GET" for entry in sandbox.journal())
