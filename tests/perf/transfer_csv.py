# SPDX-License-Identifier: GPL-3.0-or-later
"""A registrar's export of many domains with their auth codes, for the tests and the benchmark of bulk transfers.

`records(count)` gives the sandbox's stored domains (at another registrar, old enough, unlocked, each with its
own code; `outcomes` spreads transfer outcomes over them) and `write_csv(path, records)` the CSV a registrar
exports (a header with `Domain` and `Auth Code`, among other columns the reader ignores). The codes are fake.

    python tests/perf/transfer_csv.py 300 > export.csv
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, TextIO

REGISTRARS = ("GoDaddy.com, LLC", "NameCheap, Inc.", "Tucows Domains Inc.")
TLDS = ("com", "net", "org")


def records(
    count: int,
    *,
    prefix: str = "moving",
    account: Optional[str] = None,
    outcomes: Sequence[Optional[str]] = (None,),
    now: Optional[datetime] = None,
) -> List[Dict[str, Any]]:
    """`count` domains held at other registrars, ready for a transfer; the i-th gets outcomes[i % len]."""
    now = now or datetime.now(timezone.utc)
    created = (now - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expires = (now + timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    made = []
    for index in range(count):
        record: Dict[str, Any] = {
            "domain_name": f"{prefix}-{index:05d}.{TLDS[index % len(TLDS)]}",
            "registrar": REGISTRARS[index % len(REGISTRARS)],
            "registration_date": created,
            "expiration_date": expires,
            "auth_code": f"FAKE-EPP-{index:05d}-{(index * 7919) % 100000:05d}",
            "locked": False,
        }
        outcome = outcomes[index % len(outcomes)]
        if outcome is not None:
            record["transfer_outcome"] = outcome
        if account is not None:
            record["account"] = account
        made.append(record)
    return made


def write_csv(out: TextIO, made: List[Dict[str, Any]]) -> None:
    """The export: the columns a registrar gives, the code in `Auth Code`."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Domain", "Registrar", "Expires", "Auth Code", "Auto Renew"])
    for record in made:
        writer.writerow(
            [record["domain_name"], record["registrar"], record["expiration_date"][:10], record["auth_code"], "on"]
        )


def csv_text(made: List[Dict[str, Any]]) -> str:
    out = io.StringIO()
    write_csv(out, made)
    return out.getvalue()


def save(path: Path, made: List[Dict[str, Any]]) -> Path:
    path.write_text(csv_text(made), encoding="utf-8")
    return path


if __name__ == "__main__":
    write_csv(sys.stdout, records(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
