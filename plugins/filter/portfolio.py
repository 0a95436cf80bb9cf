# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of vpsorg.domains: money as people read it, the portfolio report as one HTML page or as the lines the
role prints, and the transfer list of a registrar's CSV export."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.vpsorg.domains.plugins.module_utils._money import usd
from ansible_collections.vpsorg.domains.plugins.module_utils._report import render_html
from ansible_collections.vpsorg.domains.plugins.module_utils._summary import render_text
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import transfer_codes_from_csv


def portfolio_report_html(report: Any, title: str = "Domain portfolio report") -> str:
    """The portfolio report (the role's portfolio_report fact) as one self-contained HTML page."""
    if not isinstance(report, Mapping):
        raise AnsibleFilterError(
            f"portfolio_report_html: expects the portfolio report (a dictionary), got {type(report).__name__}"
        )
    return render_html(report, title=str(title))


def portfolio_report_text(report: Any) -> List[str]:
    """The portfolio report (the role's portfolio_report fact) as the lines of text the role prints."""
    if not isinstance(report, Mapping):
        raise AnsibleFilterError(
            f"portfolio_report_text: expects the portfolio report (a dictionary), got {type(report).__name__}"
        )
    return render_text(report)


# Header names a registrar's export may use for the two columns read (compared lower case, spaces as "_").
def transfer_codes_csv(text: Any) -> List[Dict[str, str]]:
    """The `transfers` list ({name, auth_code}) of a CSV export with a header (see _write_rules)."""
    try:
        return transfer_codes_from_csv(text)
    except ValueError as error:
        raise AnsibleFilterError(f"transfer_codes_csv: {error}") from None


class FilterModule:
    """The filters of vpsorg.domains."""

    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {
            "usd": usd,
            "portfolio_report_html": portfolio_report_html,
            "portfolio_report_text": portfolio_report_text,
            "transfer_codes_csv": transfer_codes_csv,
        }
