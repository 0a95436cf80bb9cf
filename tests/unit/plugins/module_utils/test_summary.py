# SPDX-License-Identifier: GPL-3.0-or-later
"""The lines the portfolio role prints (filter vpsorg.domains.portfolio_report_text), from whole reports.

The filter plugin itself is controller code: its own tests are in tests/unit/plugins/filter/.
"""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.vpsorg.domains.plugins.module_utils._summary import render_text


def report(**fields: Any) -> Dict[str, Any]:
    base: Dict[str, Any] = {
        "check_mode": False,
        "summary": {
            "checked": 3,
            "drifted": 0,
            "changed": 0,
            "failed": 0,
            "missing": 0,
            "skipped": 0,
            "expiring": 0,
            "estimated_spend": 0.0,
            "spent": 0.0,
            "renewal_cost_30d": 0.0,
            "renewal_cost_365d": 0.0,
        },
        "changes": [],
        "expiring": [],
        "skipped": [],
        "missing": [],
        "errors": [],
        "findings": [],
        "renewals": [],
        "expiry_warning_days": 30,
    }
    summary = fields.pop("summary", {})
    base.update(fields)
    base["summary"] = dict(base["summary"], **summary)
    return base


def test_a_quiet_run_prints_the_counts_no_drift_the_renewals_and_no_findings() -> None:
    assert render_text(report()) == [
        "Portfolio run: 3 checked, 0 drifted, 0 changed, 0 failed, 0 missing, 0 skipped, 0 expiring within 30 days",
        "No drift: every checked domain follows the policy.",
        "Renewals due within 30 days (auto-renew on): 0.00 USD",
        "Renewals due within 365 days (auto-renew on, every domain of the account): 0.00 USD",
        "No findings.",
    ]


def test_check_mode_drift_registrations_spending_and_failures() -> None:
    lines = render_text(
        report(
            check_mode="true",
            summary={"drifted": 1, "changed": 2, "estimated_spend": 12.99},
            changes=[
                {
                    "name": "a.com",
                    "id": 7,
                    "action": "update",
                    "before": {"locked": False, "nameservers": ["ns1.x.net", "ns2.x.net"]},
                    "after": {"nameservers": ["ns1.vps.org", "ns2.vps.org"], "locked": True},
                    "error": None,
                },
                {"name": "b.com", "id": None, "action": "update", "before": None, "after": {"auto_renew": True}},
                {"name": "new.com", "id": None, "action": "register", "estimated_cost": 12.99},
                {
                    "name": "paid.net",
                    "id": 9,
                    "action": "register",
                    "registration": {"total_cost": 14.99},
                    "error": "x",
                },
            ],
            errors=["c.com: HTTP 500"],
        )
    )
    assert lines == [
        "Portfolio plan (check mode: nothing was changed): 3 checked, 1 drifted, 2 would change, 0 failed, "
        "0 missing, 0 skipped, 0 expiring within 30 days",
        "Drifted (would be set to the policy):",
        '  a.com (id 7): locked false -> true, nameservers ["ns1.x.net", "ns2.x.net"] -> '
        '["ns1.vps.org", "ns2.vps.org"]',
        "  b.com (id None): auto_renew null -> true",
        "To register (missing from the account):",
        "  new.com, estimated 12.99 USD",
        "  paid.net (id 9), cost 14.99 USD  FAILED",
        "Spending: 12.99 USD estimated, 0.00 USD spent",
        "Failed:",
        "  c.com: HTTP 500",
        "Renewals due within 30 days (auto-renew on): 0.00 USD",
        "Renewals due within 365 days (auto-renew on, every domain of the account): 0.00 USD",
        "No findings.",
    ]


def test_transfers_missing_skipped_expiring_renewals_and_findings() -> None:
    lines = render_text(
        report(
            summary={
                "checked": 0,
                "transfers": {"completed": 1, "pending": 1, "would_start": 0, "failed": 1, "started": 1},
                "estimated_spend": 9.99,
                "spent": 9.99,
                "renewal_cost_365d": 25.98,
            },
            missing=["gone.com"],
            transfers=[
                {"name": "done.com", "state": "completed", "cost": None, "detail": "at VPS.org"},
                {"name": "slow.org", "state": "pending", "days_pending": 4, "cost": None, "detail": "waiting"},
                {"name": "no.net", "state": "failed", "days_pending": None, "cost": None, "detail": "refused\nby them"},
                {"name": "new.io", "state": "started", "cost": 9.99, "detail": "started"},
            ],
            skipped=[{"name": "slow.org", "reason": "transfer pending"}],
            expiring=[
                {"name": "old.com", "expiration_date": "2026-11-30T00:00:00Z", "days_left": -3, "auto_renew": "no"},
                {"name": "soon.com", "expiration_date": "2026-12-10", "days_left": 7, "auto_renew": True},
            ],
            renewals=[
                {"month": "2027-01", "estimated_cost": 12.99, "domains": ["a.com", "b.com"]},
                {"month": "2027-02", "estimated_cost": 0.0, "domains": []},
            ],
            findings=[{"name": "old.com", "condition": "expired", "detail": "expired 3 days ago"}],
        )
    )
    assert lines == [
        "Portfolio run: 0 checked, 0 drifted, 0 changed, 0 failed, 0 missing, 0 skipped, 0 expiring within 30 days",
        "Missing from the account (not registered):",
        "  gone.com",
        "Transfers in (4): 1 completed, 1 pending, 1 started, 1 failed",
        "  slow.org: pending, 4 day(s) pending, waiting",
        "  no.net: failed, refused",
        "by them",
        "  new.io: started, cost 9.99 USD, started",
        "Spending: 9.99 USD estimated, 9.99 USD spent",
        "Skipped (left alone):",
        "  slow.org: transfer pending",
        "Expiring within 30 days:",
        "  old.com: 2026-11-30, expired 3 days ago, does NOT renew itself (auto_renew off)",
        "  soon.com: 2026-12-10, in 7 days, renews itself",
        "Renewals due within 30 days (auto-renew on): 0.00 USD",
        "Renewals due within 365 days (auto-renew on, every domain of the account): 25.98 USD, by month:",
        "  2027-01: 12.99 USD for a.com, b.com",
        "Findings (1):",
        "  old.com: expired, expired 3 days ago",
    ]


def test_a_check_mode_transfer_shows_its_estimate() -> None:
    lines = render_text(
        report(
            check_mode=True,
            summary={"transfers": {"would_start": 1}},
            transfers=[{"name": "x.com", "state": "would_start", "estimated_cost": 12.99, "cost": None, "detail": "d"}],
        )
    )
    assert "Transfers in (1): 1 would start" in lines
    assert "  x.com: would_start, estimated 12.99 USD, d" in lines
    assert "Spending: 0.00 USD estimated, 0.00 USD spent" in lines
