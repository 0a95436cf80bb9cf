# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of vpsorg.domains: money as people read it, the portfolio report as one HTML page, and the transfer
list of a registrar's CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any, Callable, Dict, List, Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.vpsorg.domains.plugins.module_utils._money import usd
from ansible_collections.vpsorg.domains.plugins.module_utils._report import render_html


def portfolio_report_html(report: Any, title: str = "Domain portfolio report") -> str:
    """The portfolio report (the role's portfolio_report fact) as one self-contained HTML page."""
    if not isinstance(report, Mapping):
        raise AnsibleFilterError(
            f"portfolio_report_html: expects the portfolio report (a dictionary), got {type(report).__name__}"
        )
    return render_html(report, title=str(title))


# Header names a registrar's export may use for the two columns read (compared lower case, spaces as "_").
_DOMAIN_COLUMNS = ("domain", "domain_name", "name")
_CODE_COLUMNS = ("auth_code", "authcode", "epp_code", "epp", "transfer_code")


def _column(header: List[str], names: tuple, what: str) -> int:
    keys = ["_".join(str(cell).strip().lstrip("\ufeff").lower().split()) for cell in header]
    for name in names:
        if name in keys:
            return keys.index(name)
    shown = ", ".join(cell.strip() for cell in header) or "none"
    raise AnsibleFilterError(f"transfer_codes_csv: the header has no {what} column (columns: {shown})")


def transfer_codes_csv(text: Any) -> List[Dict[str, str]]:
    """The `transfers` list ({name, auth_code}) of a CSV export with a header; other columns are ignored.

    An error names the line and the column, never a code.
    """
    if not isinstance(text, str):
        raise AnsibleFilterError(f"transfer_codes_csv: expects the CSV file's text, got {type(text).__name__}")
    rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(cell.strip() for cell in row)]
    if not rows:
        raise AnsibleFilterError("transfer_codes_csv: the CSV is empty (a header with domain and auth_code is needed)")
    header, records = rows[0], rows[1:]
    name_at = _column(header, _DOMAIN_COLUMNS, "domain")
    code_at = _column(header, _CODE_COLUMNS, "auth_code")
    transfers = []
    for number, row in enumerate(records, start=2):
        name = row[name_at].strip() if len(row) > name_at else ""
        code = row[code_at].strip() if len(row) > code_at else ""
        if not name:
            raise AnsibleFilterError(f"transfer_codes_csv: record {number} has no domain")
        if not code:
            raise AnsibleFilterError(f"transfer_codes_csv: record {number} ({name}) has no auth_code")
        transfers.append({"name": name, "auth_code": code})
    return transfers


class FilterModule:
    """The filters of vpsorg.domains."""

    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {
            "usd": usd,
            "portfolio_report_html": portfolio_report_html,
            "transfer_codes_csv": transfer_codes_csv,
        }
