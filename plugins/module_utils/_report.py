# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the portfolio report as one self-contained HTML page, a pure function of the report.

No external asset and no script: the styles are inline and the expiry calendar is an inline SVG chart, one
stacked bar per month (auto-renew on at the bottom, off on top), so the page opens anywhere, also as a mail
attachment. Every text from the account is escaped.

It is made to be opened on a phone from a notification: when, which account and which API first, then what
needs action (failures, expired domains, domains expiring without auto-renew, drift, missing domains), then the
rest. Nothing is wider than the screen: long names wrap, the chart scales, and the renewal table lists only the
months with renewals, with their total.
"""

from __future__ import annotations

from html import escape
from typing import Any, Dict, Iterable, List, Mapping

from ansible_collections.vpsorg.domains.plugins.module_utils._money import usd

# Chart geometry (SVG user units).
CHART_WIDTH = 720
CHART_HEIGHT = 260
PLOT_TOP = 20
PLOT_BOTTOM = 210  # the baseline of the bars
PLOT_LEFT = 40
BAR_GAP = 12
COLOR_ON = "#2f7d32"
COLOR_OFF = "#c62828"

# Text wraps anywhere so that nothing is wider than a phone; on a wider screen a domain name in a table's first
# column breaks at its hyphens only, since "anywhere" lets a long detail beside it squeeze the name to a few
# letters a line.
_STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;padding:0 1rem;color:#222;
max-width:60rem;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
h3{font-size:1rem;margin:1rem 0 .3rem} .sub{color:#555;margin:.2rem 0} .note{color:#555;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f6f6} td.num,th.num{text-align:right;white-space:nowrap} tfoot td{font-weight:bold}
.nw{white-space:nowrap;overflow-wrap:normal}
.cards{display:flex;flex-wrap:wrap;gap:.5rem} .card{border:1px solid #ddd;border-radius:6px;padding:.4rem .7rem}
.card b{display:block;font-size:1.2rem} .bad{color:#c62828} .none{color:#666;font-style:italic}
.action{border-left:4px solid #c62828;background:#fff6f6;padding:.2rem .8rem .4rem;margin:.6rem 0}
.action ul{margin:.2rem 0;padding-left:1.2rem} .ok{border-left:4px solid #2f7d32;background:#f5fbf5;padding:.5rem .8rem}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
svg.expiry-chart{width:100%;max-width:720px;height:auto}
@media (min-width:601px){td:first-child>b{overflow-wrap:break-word}}
@media (max-width:600px){body{margin:1rem auto;padding:0 .6rem} th,td{padding:.25rem .3rem} h1{font-size:1.25rem}}
"""


def _text(value: Any) -> str:
    return escape("" if value is None else str(value))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "null" if value is None else str(value)


def _table(
    headers: Iterable[str], rows: List[List[str]], numeric: Iterable[int] = (), short: Iterable[int] = ()
) -> str:
    """A table; `numeric` columns align right, `short` ones (a date, a word) never wrap, the rest wrap anywhere."""
    numeric = set(numeric)
    short = set(short)

    def cls(index: int) -> str:
        return " class=num" if index in numeric else (" class=nw" if index in short else "")

    head = "".join(f"<th{cls(i)}>{_text(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{cell}</td>" for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bar_geometry(calendar: List[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Per month: x, width and the (y, height) of the auto-renew on and off segments; the chart's one source."""
    months = len(calendar) or 1
    slot = (CHART_WIDTH - PLOT_LEFT) / months
    width = slot - BAR_GAP
    tallest = max((len(e.get("auto_renew", [])) + len(e.get("no_auto_renew", [])) for e in calendar), default=0)
    unit = (PLOT_BOTTOM - PLOT_TOP) / max(tallest, 1)
    bars = []
    for index, entry in enumerate(calendar):
        on = len(entry.get("auto_renew", []))
        off = len(entry.get("no_auto_renew", []))
        x = PLOT_LEFT + index * slot + BAR_GAP / 2
        on_height = on * unit
        off_height = off * unit
        bars.append(
            {
                "month": entry.get("month"),
                "x": round(x, 2),
                "width": round(width, 2),
                "on": {"count": on, "y": round(PLOT_BOTTOM - on_height, 2), "height": round(on_height, 2)},
                "off": {
                    "count": off,
                    "y": round(PLOT_BOTTOM - on_height - off_height, 2),
                    "height": round(off_height, 2),
                },
            }
        )
    return bars


def expiry_chart(calendar: List[Mapping[str, Any]]) -> str:
    """The inline SVG chart: one `g.month` per month, a `rect.bar-on` / `rect.bar-off` per non-empty segment."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="expiry-chart" width="{CHART_WIDTH}" height="{CHART_HEIGHT}"'
        f' viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" aria-label="Domains expiring per month">',
        f'<line x1="{PLOT_LEFT}" y1="{PLOT_BOTTOM}" x2="{CHART_WIDTH}" y2="{PLOT_BOTTOM}" stroke="#999"/>',
    ]
    for month_bar in bar_geometry(calendar):
        month = _text(month_bar["month"])
        parts.append(f'<g class="month" data-month="{month}">')
        for kind, color, label in (("on", COLOR_ON, "auto-renew on"), ("off", COLOR_OFF, "auto-renew off")):
            segment = month_bar[kind]
            if segment["count"]:
                parts.append(
                    f'<rect class="bar bar-{kind}" data-count="{segment["count"]}" x="{month_bar["x"]}"'
                    f' y="{segment["y"]}"'
                    f' width="{month_bar["width"]}" height="{segment["height"]}" fill="{color}">'
                    f"<title>{month}: {segment['count']} {label}</title></rect>"
                )
        total = month_bar["on"]["count"] + month_bar["off"]["count"]
        centre = round(month_bar["x"] + month_bar["width"] / 2, 2)
        if total:
            parts.append(
                f'<text x="{centre}" y="{month_bar["off"]["y"] - 4}" text-anchor="middle" font-size="12">{total}</text>'
            )
        parts.append(
            f'<text x="{centre}" y="{PLOT_BOTTOM + 18}" text-anchor="middle" font-size="11">{month}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _registrations(changes: List[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    return [change for change in changes if change.get("action") == "register"]


def _settings(change: Mapping[str, Any]) -> str:
    before = change.get("before") or {}
    after = change.get("after") or {}
    if change.get("action") == "register":
        # A new domain has no "before": show the settings it is registered with.
        return "<br>".join(f"{_text(key)}: {_text(_value(after[key]))}" for key in sorted(after))
    return "<br>".join(
        f"{_text(key)}: {_text(_value(before.get(key)))} &rarr; {_text(_value(after[key]))}" for key in sorted(after)
    )


def _action_group(heading: str, items: List[str]) -> str:
    if not items:
        return ""
    return f'<section class="action"><h3>{_text(heading)} ({len(items)})</h3><ul>{"".join(items)}</ul></section>'


def _needs_action(report: Mapping[str, Any], check: bool) -> str:
    """What an owner must look at first: failures, expired domains, expiring ones that will not renew, drift."""
    findings = list(report.get("findings") or [])
    changes = list(report.get("changes") or [])

    def of(condition: str) -> List[str]:
        return [
            f"<li><b>{_text(f.get('name'))}</b>: {_text(f.get('detail'))}</li>"
            for f in findings
            if f.get("condition") == condition
        ]

    drifted = [c for c in changes if c.get("action") == "update" and (check or c.get("error"))]
    registered = {c.get("name") for c in _registrations(changes) if not c.get("error")}
    groups = [
        _action_group("Failed", [f'<li class="bad">{_text(error)}</li>' for error in report.get("errors") or []]),
        _action_group("Expired", of("expired")),
        _action_group("Expiring without auto-renew", of("expiring_without_auto_renew")),
        _action_group(
            "Drifted from the policy" + (" (would be set to it without check mode)" if check else " (not corrected)"),
            # Names only: the settings are in Changes below, and a phone screen is short.
            [
                f"<li><b>{_text(c.get('name'))}</b>: {_text(', '.join(sorted(c.get('after') or {})))}"
                + (f' <span class="bad">{_text(c.get("error"))}</span>' if c.get("error") else "")
                + "</li>"
                for c in drifted
            ],
        ),
        _action_group(
            "Missing from the account",
            [f"<li><b>{_text(name)}</b></li>" for name in report.get("missing") or [] if name not in registered],
        ),
    ]
    body = "".join(groups)
    return (
        body
        or '<p class="ok">Nothing needs action: no failure, no expired domain, none expiring without '
        "auto-renew, no drift.</p>"
    )


def _expiring(report: Mapping[str, Any], days: Any) -> str:
    rows = [
        [
            f"<b>{_text(item.get('name'))}</b>",
            _text(str(item.get("expiration_date") or "")[:10]),
            _text(item.get("days_left")),
            "yes" if item.get("auto_renew") else '<span class="bad">no</span>',
        ]
        for item in report.get("expiring") or []
    ]
    if not rows:
        return f'<p class="none">No domain expires within {_text(days)} days, and none has expired.</p>'
    return _table(["domain", "expires", "days left", "renews itself"], rows, numeric=[2], short=[1, 3])


def _changes(changes: List[Mapping[str, Any]], check: bool) -> str:
    if not changes:
        return '<p class="none">No change: every checked domain follows the policy.</p>'
    # Only the columns that say something: a cost for registrations, an error when one failed.
    with_cost = bool(_registrations(changes))
    with_error = any(change.get("error") for change in changes)
    headers = ["domain", "action", "before → after"]
    headers += ["cost"] if with_cost else []
    headers += ["error"] if with_error else []
    rows = []
    for change in changes:
        row = [f"<b>{_text(change.get('name'))}</b>", _text(change.get("action")), _settings(change)]
        if with_cost:
            registration = change.get("registration") or {}
            charged = registration.get("total_cost")
            cost = (
                (usd(charged) if charged is not None else usd(change.get("estimated_cost")) + " estimated")
                if change.get("action") == "register"
                else ""
            )
            row.append(_text(cost))
        if with_error:
            row.append(f'<span class="bad">{_text(change.get("error"))}</span>' if change.get("error") else "")
        rows.append(row)
    caption = '<p class="note">Check mode: planned, not sent.</p>' if check else ""
    return caption + _table(headers, rows, numeric=[3] if with_cost else [], short=[1])


def _renewals(report: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    renewals = [r for r in report.get("renewals") or [] if r.get("domains")]
    rows = [
        [_text(r.get("month")), _text(", ".join(r.get("domains") or [])), _text(usd(r.get("estimated_cost")))]
        for r in renewals
    ]
    explained = (
        '<p class="note">What the account will be charged when the domains with auto-renew on renew, over the '
        "next 365 days (every domain of the account, excluded ones too; a domain past its expiration date counts "
        "now), by month of expiry, at the price table's yearly prices. The total is the sum of the months listed. "
        f"Due within 30 days: {_text(usd(summary.get('renewal_cost_30d')))}.</p>"
    )
    table = (
        "<table><thead><tr><th>month</th><th>domains renewing</th><th class=num>estimated cost</th></tr></thead>"
        "<tbody>"
        + "".join(f"<tr><td class=nw>{m}</td><td>{names}</td><td class=num>{cost}</td></tr>" for m, names, cost in rows)
        + "</tbody><tfoot><tr><td>total</td><td></td>"
        f"<td class=num>{_text(usd(summary.get('renewal_cost_365d')))}</td></tr></tfoot></table>"
        if rows
        else '<p class="none">No domain with auto-renew on is due within 365 days.</p>'
    )
    spending = (
        '<p class="note">Not renewals: this run\'s registrations. <b>Estimated spend</b> '
        f"{_text(usd(summary.get('estimated_spend')))} is what the registrations it planned cost at the price "
        f"table; <b>spent</b> {_text(usd(summary.get('spent')))} is what the API charged for the ones it "
        "made.</p>"
        if _registrations(list(report.get("changes") or [])) or summary.get("spent")
        else ""
    )
    return explained + table + spending


# The states of a listed transfer, in the order the report counts them.
TRANSFER_STATES = ("missing", "completed", "pending", "failed", "started", "would_start", "refused")


def _transfers(report: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    """The inbound transfers: a count per state, then the table of those not completed (what still needs time
    or a person). Empty when the run listed none, so a report without transfers stays as it was."""
    transfers = list(report.get("transfers") or [])
    if not transfers:
        return ""
    counts = summary.get("transfers") or {}
    cards = "".join(
        f'<div class="card">{_text(state.replace("_", " "))}<b>{_text(counts.get(state, 0))}</b></div>'
        for state in TRANSFER_STATES
        if counts.get(state) or state in ("completed", "pending")
    )
    open_rows = [
        [
            f"<b>{_text(t.get('name'))}</b>",
            (f'<span class="bad">{_text(t.get("state"))}</span>' if t.get("state") in ("missing", "failed", "refused")
             else _text(t.get("state"))),
            _text(str(t.get("initiated_at") or "")[:10]),
            _text("" if t.get("days_pending") is None else t.get("days_pending")),
            _text(t.get("detail")),
        ]
        for t in transfers
        if t.get("state") != "completed"
    ]  # fmt: skip
    table = (
        _table(["domain", "state", "started", "days pending", "detail"], open_rows, numeric=[3], short=[1, 2])
        if open_rows
        else '<p class="ok">Every listed transfer has completed.</p>'
    )
    return f'<h2>Transfers in ({len(transfers)})</h2><div class="cards">{cards}</div>{table}'


def render_html(report: Mapping[str, Any], title: str = "Domain portfolio report") -> str:
    """The whole page for a portfolio report (the role's `portfolio_report`, or a vps_portfolio result)."""
    summary = report.get("summary") or {}
    check = bool(report.get("check_mode"))
    calendar = list(report.get("expiry_calendar") or [])
    findings = list(report.get("findings") or [])
    changes = list(report.get("changes") or [])
    skipped = list(report.get("skipped", report.get("skipped_domains")) or [])
    days = report.get("expiry_warning_days", 30)

    counts = [
        ("checked", summary.get("checked")),
        ("would change" if check else "changed", summary.get("changed")),
        ("failed", summary.get("failed")),
        ("missing", summary.get("missing")),
        (f"expiring within {days} days", summary.get("expiring")),
        ("skipped", summary.get("skipped", len(skipped))),
        ("findings", len(findings)),
        ("renewals, 365 days", usd(summary.get("renewal_cost_365d"))),
    ]
    cards = "".join(f'<div class="card">{_text(label)}<b>{_text(value)}</b></div>' for label, value in counts)

    shown_first = ("expired", "expiring_without_auto_renew")
    other_rows = [
        [f"<b>{_text(f.get('name'))}</b>", _text(f.get("condition")), _text(f.get("detail"))]
        for f in findings
        if f.get("condition") not in shown_first
    ]
    findings_html = (
        _table(["domain", "condition", "detail"], other_rows) if other_rows else '<p class="none">No other finding.</p>'
    )
    skipped_html = (
        _table(
            ["domain", "status", "why"],
            [[f"<b>{_text(i.get('name'))}</b>", _text(i.get("status")), _text(i.get("reason"))] for i in skipped],
            short=[1],
        )
        if skipped
        else '<p class="none">No domain was skipped.</p>'
    )
    mode = "Plan, check mode: nothing was changed" if check else "Run: changes applied"
    facts = [
        ("generated", report.get("generated_at")),
        ("account", report.get("account")),
        ("API", report.get("api_url")),
    ]
    meta = " · ".join(f"{_text(label)} {_text(value)}" for label, value in facts if value)
    months = f"{calendar[0]['month']} to {calendar[-1]['month']}" if calendar else "none"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_text(title)}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{_text(title)}</h1><p class="sub">{_text(mode)}</p>'
        + (f'<p class="sub">{meta}</p>' if meta else "")
        + f"<h2>Needs action</h2>{_needs_action(report, check)}"
        f'<h2>Summary</h2><div class="cards">{cards}</div>'
        f"<h2>Expiring within {_text(days)} days</h2>{_expiring(report, days)}"
        f"{_transfers(report, summary)}"
        f"<h2>Changes</h2>{_changes(changes, check)}"
        f"<h2>Renewals in the next 365 days</h2>{_renewals(report, summary)}"
        f"<h2>Other findings</h2>{findings_html}"
        f"<h2>Skipped (left alone)</h2>{skipped_html}"
        f"<h2>Expiry calendar, {_text(months)}</h2>"
        '<p class="note">Every domain of the account due each month of the next 365 days.</p>'
        f'<p class="legend"><span style="background:{COLOR_ON}"></span>auto-renew on'
        f'<span style="background:{COLOR_OFF}"></span>auto-renew off</p>'
        f"{expiry_chart(calendar)}"
        "</body></html>\n"
    )
