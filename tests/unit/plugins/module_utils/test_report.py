# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the HTML report: self-contained, escaped, and a chart whose bars match the data."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any, Dict, List

from ansible_collections.vpsorg.domains.plugins.module_utils import _report as report_html
from ansible_collections.vpsorg.domains.plugins.module_utils._forecast import months_ahead

MONTHS = months_ahead()


def calendar(**counts: tuple) -> List[Dict[str, Any]]:
    """12 months; counts maps a month index (m0..m11) to (auto-renew on, off)."""
    result = []
    for index, month in enumerate(MONTHS):
        on, off = counts.get(f"m{index}", (0, 0))
        result.append(
            {
                "month": month,
                "auto_renew": [f"on{i}.com" for i in range(on)],
                "no_auto_renew": [f"off{i}.net" for i in range(off)],
            }
        )
    return result


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: List[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def parse(page: str) -> List[tuple]:
    parser = Elements()
    parser.feed(page)
    return parser.elements


REPORT = {
    "check_mode": True,
    "summary": {
        "checked": 3,
        "changed": 1,
        "failed": 0,
        "missing": 0,
        "expiring": 1,
        "estimated_spend": "12.99",
        "spent": 0,
        "renewal_cost_30d": 14.99,
        "renewal_cost_365d": 1025.5,
    },
    "changes": [
        {"name": "a.com", "action": "update", "before": {"locked": False}, "after": {"locked": True}},
        {"name": "new.com", "action": "register", "before": {}, "after": {"auto_renew": True}, "estimated_cost": 12.99},
    ],
    "findings": [{"name": "<b>x.com</b>", "condition": "unlocked", "detail": "the transfer lock is off"}],
    "renewals": [{"month": MONTHS[0], "domains": ["a.com"], "estimated_cost": 12.99}],
    "expiry_calendar": calendar(m0=(2, 1), m3=(0, 4), m11=(1, 0)),
    "errors": [],
}


def test_bars_match_the_calendar_and_scale_to_the_tallest_month():
    bars = report_html.bar_geometry(REPORT["expiry_calendar"])
    assert [entry["month"] for entry in bars] == MONTHS
    assert [(entry["on"]["count"], entry["off"]["count"]) for entry in bars][:4] == [(2, 1), (0, 0), (0, 0), (0, 4)]
    plot = report_html.PLOT_BOTTOM - report_html.PLOT_TOP
    # The tallest month (4 domains) fills the plot; 3 domains fill three quarters.
    assert bars[3]["off"]["height"] == plot and bars[3]["off"]["y"] == report_html.PLOT_TOP
    assert bars[0]["on"]["height"] + bars[0]["off"]["height"] == plot * 3 / 4
    # Stacked: auto-renew off sits on top of on.
    assert bars[0]["off"]["y"] + bars[0]["off"]["height"] == bars[0]["on"]["y"]
    assert bars[0]["on"]["y"] + bars[0]["on"]["height"] == report_html.PLOT_BOTTOM
    # Months do not overlap and stay inside the chart.
    assert all(left["x"] + left["width"] < right["x"] for left, right in zip(bars, bars[1:]))
    assert bars[-1]["x"] + bars[-1]["width"] <= report_html.CHART_WIDTH


def test_the_svg_has_one_group_per_month_and_one_rect_per_non_empty_segment():
    elements = parse(report_html.expiry_chart(REPORT["expiry_calendar"]))
    groups = [attrs["data-month"] for tag, attrs in elements if tag == "g"]
    assert groups == MONTHS
    rects = [attrs for tag, attrs in elements if tag == "rect"]
    assert [(r["class"], r["data-count"]) for r in rects] == [
        ("bar bar-on", "2"),
        ("bar bar-off", "1"),
        ("bar bar-off", "4"),
        ("bar bar-on", "1"),
    ]


def test_an_empty_calendar_draws_no_bar():
    elements = parse(report_html.expiry_chart(calendar()))
    assert [element[0] for element in elements].count("rect") == 0
    assert [element[0] for element in elements].count("g") == len(MONTHS)


def test_the_page_is_self_contained_and_escapes_account_text():
    page = report_html.render_html(REPORT)
    elements = parse(page)
    assert not [element[0] for element in elements if element[0] in ("script", "link", "img", "iframe")]
    assert not any(key in ("src", "href") for element in elements for key in element[1])
    assert "&lt;b&gt;x.com&lt;/b&gt;" in page and "<b>x.com</b>" not in page
    # Money as people read it, also when it came as a string.
    for text in ("12.99 USD", "1,025.50 USD", "14.99 USD", "0.00 USD"):
        assert text in page
    assert "locked: false &rarr; true" in page
    assert "check mode: nothing was changed" in page
    assert page.startswith("<!DOCTYPE html>")


def test_a_registration_shows_its_settings_and_cost_without_a_before():
    page = report_html.render_html(REPORT)
    assert "auto_renew: true</td>" in page
    assert "null &rarr;" not in page


OWNER_REPORT = {
    "check_mode": True,
    "generated_at": "2026-12-03 06:10 UTC",
    "account": "acme-prod",
    "api_url": "https://admin.vps.org/api/v1",
    "expiry_warning_days": 30,
    "summary": {
        "checked": 4,
        "changed": 1,
        "failed": 1,
        "missing": 0,
        "skipped": 1,
        "expiring": 2,
        "estimated_spend": 0,
        "spent": 0,
        "renewal_cost_30d": 0,
        "renewal_cost_365d": 53.98,
    },
    "changes": [
        {
            "name": "drift.com",
            "action": "update",
            "before": {"locked": False},
            "after": {"locked": True},
            "error": None,
        },
    ],
    "errors": ["broken.net: not found (HTTP 404)"],
    "expiring": [
        {"name": "gone.org", "expiration_date": "2026-11-28T00:00:00Z", "days_left": -5, "auto_renew": False},
        {"name": "soon.net", "expiration_date": "2026-12-20T00:00:00Z", "days_left": 17, "auto_renew": False},
    ],
    "skipped": [{"name": "parked.io", "id": 9, "status": "active", "reason": "excluded"}],
    "missing": [],
    "findings": [
        {"name": "gone.org", "condition": "expired", "detail": "expired on 2026-11-28 (5 days ago)"},
        {"name": "soon.net", "condition": "expiring_without_auto_renew", "detail": "expires on 2026-12-20"},
        {"name": "open.com", "condition": "unlocked", "detail": "the transfer lock is off"},
    ],
    "renewals": [
        {"month": MONTHS[0], "domains": [], "estimated_cost": 0.0},
        {"month": MONTHS[6], "domains": ["parked.io"], "estimated_cost": 39.99},
        {"month": MONTHS[9], "domains": ["open.com", "x.org"], "estimated_cost": 13.99},
        {"month": MONTHS[12], "domains": [], "estimated_cost": 0.0},
    ],
    "expiry_calendar": calendar(m6=(1, 0)),
}


def _section(page: str, heading: str) -> str:
    """The page from a heading to the next h2."""
    start = page.index(f"<h2>{heading}")
    following = page.find("<h2>", start + 4)
    return page[start : following if following != -1 else len(page)]


def test_the_page_says_when_which_account_and_which_api():
    page = report_html.render_html(OWNER_REPORT)
    header = page[: page.index("<h2>")]
    for text in ("2026-12-03 06:10 UTC", "acme-prod", "https://admin.vps.org/api/v1", "check mode"):
        assert text in header


def test_what_needs_action_comes_first_in_order_of_urgency():
    page = report_html.render_html(OWNER_REPORT)
    assert page.index("<h2>Needs action") < page.index("<h2>Summary")
    action = _section(page, "Needs action")
    order = [action.index(text) for text in ("Failed (1)", "Expired (1)", "Expiring without auto-renew (1)", "Drifted")]
    assert order == sorted(order)
    for name in ("broken.net", "gone.org", "soon.net", "drift.com"):
        assert name in action
    # A finding that is not urgent waits below.
    assert "open.com" not in action and "open.com" in _section(page, "Other findings")


def test_nothing_to_do_says_so():
    calm = dict(OWNER_REPORT, errors=[], findings=[], changes=[], check_mode=False)
    assert "Nothing needs action" in _section(report_html.render_html(calm), "Needs action")


def test_the_expiring_and_skipped_domains_are_named():
    page = report_html.render_html(OWNER_REPORT)
    expiring = _section(page, "Expiring within 30 days")
    assert "gone.org" in expiring and "soon.net" in expiring and "-5" in expiring
    skipped = _section(page, "Skipped")
    assert "parked.io" in skipped and "excluded" in skipped
    # The module's own key for them works too.
    raw = {k: v for k, v in OWNER_REPORT.items() if k != "skipped"}
    raw["skipped_domains"] = OWNER_REPORT["skipped"]
    assert "parked.io" in _section(report_html.render_html(raw), "Skipped")


def test_renewals_show_only_months_with_renewals_and_a_total_that_is_their_sum():
    renewals = _section(report_html.render_html(OWNER_REPORT), "Renewals")
    rows = [element for element in parse(renewals) if element[0] == "tr"]
    # The header, the two months with renewals, the total.
    assert len(rows) == 4
    assert MONTHS[0] not in renewals and MONTHS[12] not in renewals
    assert "39.99 USD" in renewals and "13.99 USD" in renewals
    assert "<td>total</td><td></td><td class=num>53.98 USD</td>" in renewals
    assert round(39.99 + 13.99, 2) == OWNER_REPORT["summary"]["renewal_cost_365d"]
    assert "The total is the sum of the months listed" in renewals


def test_updates_have_no_empty_cost_or_error_column():
    changes = _section(report_html.render_html(OWNER_REPORT), "Changes")
    headers = [element for element in parse(changes) if element[0] == "th"]
    assert len(headers) == 3
    assert ">cost<" not in changes and ">error<" not in changes


def test_registration_spending_is_explained_beside_the_renewals():
    page = report_html.render_html(REPORT)
    renewals = _section(page, "Renewals")
    assert "<b>Estimated spend</b> 12.99 USD" in renewals
    assert "<b>spent</b> 0.00 USD" in renewals
    assert ">cost<" in _section(page, "Changes")


def test_transfers_show_counts_and_the_table_of_those_not_completed():
    counts = {"missing": 1, "completed": 2, "pending": 1, "failed": 0, "started": 0, "would_start": 0, "refused": 1}
    transfers = [
        {"name": "done-a.com", "state": "completed", "detail": "at VPS.org", "initiated_at": None},
        {"name": "done-b.com", "state": "completed", "detail": "at VPS.org", "initiated_at": None},
        {"name": "gone.com", "state": "missing", "detail": "not in the account"},
        {"name": "slow.org", "state": "pending", "detail": "pending", "initiated_at": "2026-01-02T03:04:05Z",
         "days_pending": 20},
        {"name": "<young>.com", "state": "refused", "detail": "60-day rule: too young"},
    ]  # fmt: skip
    page = report_html.render_html({"summary": {"transfers": counts}, "transfers": transfers})
    section = page.split("<h2>Transfers in (5)</h2>", 1)[1].split("<h2>", 1)[0]
    assert "done-a.com" not in section and "done-b.com" not in section
    assert "gone.com" in section and "slow.org" in section and "2026-01-02" in section
    assert "&lt;young&gt;.com" in section and "<young>" not in section
    assert "completed<b>2</b>" in section and "refused<b>1</b>" in section and "started<b>" not in section


def test_no_transfers_section_without_transfers():
    assert "Transfers in" not in report_html.render_html({"summary": {}})
