# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the portfolio report as one self-contained HTML page, a pure function of the report.

No external asset and no script: the styles are inline and the expiry calendar is an inline SVG chart, one
stacked bar per month (auto-renew on at the bottom, off on top), so the page opens anywhere, also as a mail
attachment. Every text from the account is escaped.
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

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:60rem}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.sub{color:#666;margin-top:0} table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f6f6} td.num,th.num{text-align:right;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:.6rem} .card{border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem}
.card b{display:block;font-size:1.2rem} .bad{color:#c62828} .none{color:#666;font-style:italic}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
"""


def _text(value: Any) -> str:
    return escape("" if value is None else str(value))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "null" if value is None else str(value)


def _table(headers: Iterable[str], rows: List[List[str]], numeric: Iterable[int] = ()) -> str:
    numeric = set(numeric)
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{_text(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
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


def render_html(report: Mapping[str, Any], title: str = "Domain portfolio report") -> str:
    """The whole page for a portfolio report (the role's `portfolio_report`)."""
    summary = report.get("summary") or {}
    check = bool(report.get("check_mode"))
    calendar = list(report.get("expiry_calendar") or [])
    renewals = list(report.get("renewals") or [])
    findings = list(report.get("findings") or [])
    changes = list(report.get("changes") or [])
    errors = list(report.get("errors") or [])

    counts = [
        ("checked", summary.get("checked")),
        ("would change" if check else "changed", summary.get("changed")),
        ("failed", summary.get("failed")),
        ("missing", summary.get("missing")),
        ("expiring", summary.get("expiring")),
        ("findings", len(findings)),
        ("estimated spend", usd(summary.get("estimated_spend"))),
        ("spent", usd(summary.get("spent"))),
        ("renewals, 30 days", usd(summary.get("renewal_cost_30d"))),
        ("renewals, 365 days", usd(summary.get("renewal_cost_365d"))),
    ]
    cards = "".join(f'<div class="card">{_text(label)}<b>{_text(value)}</b></div>' for label, value in counts)

    change_rows = []
    for change in changes:
        before = change.get("before") or {}
        after = change.get("after") or {}
        if change.get("action") == "register":
            # A new domain has no "before": show the settings it is registered with.
            settings = "<br>".join(f"{_text(key)}: {_text(_value(after[key]))}" for key in sorted(after))
        else:
            settings = "<br>".join(
                f"{_text(key)}: {_text(_value(before.get(key)))} &rarr; {_text(_value(after[key]))}"
                for key in sorted(after)
            )
        cost = (change.get("registration") or {}).get("total_cost", change.get("estimated_cost"))
        state = f'<span class="bad">{_text(change.get("error"))}</span>' if change.get("error") else ""
        money = usd(cost) if change.get("action") == "register" else ""
        change_rows.append([_text(change.get("name")), _text(change.get("action")), settings, _text(money), state])
    changes_html = (
        _table(["domain", "action", "before → after", "cost", "error"], change_rows, numeric=[3])
        if change_rows
        else '<p class="none">No change: every checked domain follows the policy.</p>'
    )

    finding_rows = [[_text(f.get("name")), _text(f.get("condition")), _text(f.get("detail"))] for f in findings]
    findings_html = (
        _table(["domain", "condition", "detail"], finding_rows) if finding_rows else '<p class="none">No finding.</p>'
    )
    renewal_rows = [
        [
            _text(r.get("month")),
            str(len(r.get("domains") or [])),
            _text(", ".join(r.get("domains") or [])),
            _text(usd(r.get("estimated_cost"))),
        ]
        for r in renewals
    ]
    errors_html = (
        "<h2>Problems</h2><ul>" + "".join(f'<li class="bad">{_text(e)}</li>' for e in errors) + "</ul>"
        if errors
        else ""
    )
    mode = "check mode: nothing was changed" if check else "changes applied"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_text(title)}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{_text(title)}</h1><p class="sub">{_text(mode)}</p>'
        f'<h2>Summary</h2><div class="cards">{cards}</div>{errors_html}'
        f"<h2>Changes</h2>{changes_html}"
        f"<h2>Findings</h2>{findings_html}"
        "<h2>Expiry calendar, next 12 months</h2>"
        f'<p class="legend"><span style="background:{COLOR_ON}"></span>auto-renew on'
        f'<span style="background:{COLOR_OFF}"></span>auto-renew off</p>'
        f"{expiry_chart(calendar)}"
        "<h2>Renewal spend per month</h2>"
        f"{_table(['month', 'domains', 'names', 'estimated cost'], renewal_rows, numeric=[1, 3])}"
        "</body></html>\n"
    )
