# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault matrix: every endpoint under every kind of network or server failure, and never a double charge.

Each row of MATRIX is one cell: an endpoint, a fault armed on the sandbox for exactly one request, the outcome
a task must report and how many requests of the faulted kind the sandbox must see. Two suites run the cells:
tests/process/test_fault_matrix.py runs every cell through the modules' own operations (the real client over
real HTTP to the sandbox, both profiles); tests/integration/test_reliability_faults.py runs a few of them
through ansible-playbook end to end. Both check a cell the same way, here: its outcome, that its own fault fired
(and no other), how many requests it sent, what the sandbox holds afterwards and the ledger.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from typing import Any, Dict, List

# api_timeout of every cell: a delayed answer (DELAY_MS) outlives it, so the client sees a timeout.
API_TIMEOUT = 2
DELAY_MS = 3000
UNKNOWN_MSG = "outcome unknown: check the account before running again"
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
    "<p>The proxy server received an invalid response from an upstream server.</p></body></html>"
)

# The faults, as POST /_sandbox/faults bodies (method and path_prefix come from the endpoint).
FAULTS: Dict[str, Dict[str, Any]] = {
    "503_once": {"status": 503},
    "429_retry_after": {"status": 429, "retry_after": 1},
    "drop_before_commit": {"drop": "before_commit"},
    "drop_after_commit": {"drop": "after_commit"},
    "delay_before_commit": {"delay": "before_commit", "delay_ms": DELAY_MS},
    "delay_after_commit": {"delay": "after_commit", "delay_ms": DELAY_MS},
    "html_error_page": {"status": 502, "body": HTML_PAGE, "content_type": "text/html; charset=utf-8"},
    "cut_body": {"drop": "mid_body"},
}

OK, CHANGED, UNKNOWN = "ok", "changed", "unknown"


@dataclass(frozen=True)
class Cell:
    endpoint: str
    fault: str
    outcome: str  # ok: the read succeeded; changed: the write is reported done; unknown: fails with UNKNOWN_MSG
    attempts: int  # requests with the faulted method and path that the sandbox must journal


# The expected outcome of every cell, as outcome/attempts (requests of the faulted method and path).
# Columns: 503 once; 429 with Retry-After; connection dropped before the change is stored; dropped after it;
# answer later than api_timeout, delayed before the change; delayed after it; a proxy's HTML 502 page; body cut.
# Why:
# - GET, PUT and DELETE are safe to repeat: every failure is retried once and the second answer counts. A PUT
#   applied before its answer was lost is sent again with the same settings. A DELETE applied before its
#   answer was lost is answered 404 on the retry, which counts as done. A 204 has no body to cut.
# - A POST (registration, transfer) costs money: sent again only after a 429 (refused before doing anything).
#   Any other failure is ambiguous and is looked up instead: not found (the change was never stored) fails
#   with UNKNOWN_MSG; found (stored, or stored during the lookup after a late answer) is reported changed.
MATRIX_TABLE = """
            503        429        drop-before  drop-after  late-before  late-after  html       cut
list        ok/2       ok/2       ok/2         ok/2        ok/2         ok/2        ok/2       ok/2
detail      ok/2       ok/2       ok/2         ok/2        ok/2         ok/2        ok/2       ok/2
update      changed/2  changed/2  changed/2    changed/2   changed/2    changed/2   changed/2  changed/2
remove      changed/2  changed/2  changed/2    changed/2   changed/2    changed/2   changed/2  changed/1
register    unknown/1  changed/2  unknown/1    changed/1   changed/1    changed/1   unknown/1  changed/1
transfer    unknown/1  changed/2  unknown/1    changed/1   changed/1    changed/1   unknown/1  changed/1
"""
_COLUMNS = {
    "503": "503_once",
    "429": "429_retry_after",
    "drop-before": "drop_before_commit",
    "drop-after": "drop_after_commit",
    "late-before": "delay_before_commit",
    "late-after": "delay_after_commit",
    "html": "html_error_page",
    "cut": "cut_body",
}


def _parse_matrix(table: str) -> List[Cell]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    cells = []
    for endpoint, *entries in rows:
        for column, entry in zip(header, entries):
            outcome, attempts = entry.split("/")
            cells.append(Cell(endpoint, _COLUMNS[column], outcome, int(attempts)))
    return cells


MATRIX: List[Cell] = _parse_matrix(MATRIX_TABLE)

ENDPOINTS = ["list", "detail", "update", "remove", "register", "transfer"]
# The journal's name for each fault, to prove that each cell met its own fault and no other.
FAULT_KINDS = {
    "503_once": "status",
    "429_retry_after": "status",
    "drop_before_commit": "drop_before_commit",
    "drop_after_commit": "drop_after_commit",
    "delay_before_commit": "delay",
    "delay_after_commit": "delay",
    "html_error_page": "status",
    "cut_body": "drop_mid_body",
}
# Faults on these endpoints share a path with every other cell's request (the list and the registration are
# both /api/v1/domains/), so their cells run one after the other, each arming its fault just before it starts.
# The other endpoints have one path per domain: all their faults are armed first and the cells run at once.
SERIAL_ENDPOINTS = {"list", "register"}
# Endpoints whose cells are run a second time, without a fault, right after: the rerun must do the rest (an
# unknown outcome) or nothing (a write that was done), and the ledger must still show one charge per domain.
RERUN_ENDPOINTS = {"update", "remove", "register", "transfer"}
# A delayed request is journaled when its handler finishes, which may be after its cell's task.
SETTLE_SECONDS = 8.0
_CHARGE_KINDS = {"register": "registration", "transfer": "transfer"}


def _slug(fault: str) -> str:
    return fault.replace("_", "-")


@dataclass
class Target:
    """What one cell acts on: its domain, the faulted request and how to find the cell's journal entries."""

    name: str
    domain_id: Any
    method: str
    path_prefix: str

    def owns(self, entry: Dict[str, Any]) -> bool:
        """Whether a journal entry is a request of this cell of the faulted kind."""
        if entry["method"] != self.method or entry["path"] != self.path_prefix:
            return False
        if self.path_prefix == "/api/v1/domains/":
            if self.method == "GET":
                return entry["query"].get("search") == self.name
            return (entry.get("body") or {}).get("domain_name") == self.name
        return True


_METHODS = {"list": "GET", "detail": "GET", "update": "PUT", "remove": "DELETE", "register": "POST", "transfer": "POST"}


def prepare(sandbox: Any, endpoint: str, fault: str, tag: str) -> Target:
    """Seed what the cell needs in the sandbox and say which request its fault hits."""
    name = f"{tag}-{endpoint}-{_slug(fault)}.com"
    if endpoint == "register":
        return Target(name, None, "POST", "/api/v1/domains/")
    if endpoint == "transfer":
        seeded = sandbox.seed_domain(
            domain_name=name,
            registrar="Other Registrar Inc.",
            auth_code=auth_code(fault),
            auto_renew=False,
            locked=False,
            registration_date="2021-03-01T00:00:00Z",
        )
        return Target(name, seeded["id"], "POST", f"/api/v1/domains/{seeded['id']}/transfer/")
    # Removal needs auto_renew off, or the module refuses it.
    seeded = sandbox.seed_domain(domain_name=name, auto_renew=endpoint != "remove")
    if endpoint == "list":
        return Target(name, seeded["id"], "GET", "/api/v1/domains/")
    return Target(name, seeded["id"], _METHODS[endpoint], f"/api/v1/domains/{seeded['id']}/")


def auth_code(fault: str) -> str:
    return f"EPP-{_slug(fault).upper()}-7731"


def fault_spec(cell: Cell, target: Target) -> Dict[str, Any]:
    return dict(FAULTS[cell.fault], method=target.method, path_prefix=target.path_prefix, count=1)


def settle_journal(sandbox: Any, cells: List[Cell], targets: Dict[str, Target]) -> List[Dict[str, Any]]:
    """The journal once every cell's faulted request is in it (a delayed request may finish after its cell)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        journal = sandbox.journal()
        met = {cell.fault for cell in cells if any(e["fault"] and targets[cell.fault].owns(e) for e in journal)}
        if len(met) >= len(cells) or time.monotonic() > deadline:
            return journal
        time.sleep(0.2)


def check_cell(
    sandbox: Any, cell: Cell, target: Target, journal: List[Dict[str, Any]], *, result: Any, again: Any
) -> List[str]:
    """Every way this cell differs from the table, as readable lines (empty when it behaves)."""
    label = f"{cell.endpoint} x {cell.fault}"
    if result is None:
        return [f"{label}: the cell's task has no result"]
    problems: List[str] = []
    entries = [e for e in journal if target.owns(e)]
    kinds = [e["fault"] for e in entries if e["fault"]]
    if kinds != [FAULT_KINDS[cell.fault]]:
        problems.append(f"expected exactly one request hit by a {FAULT_KINDS[cell.fault]} fault, journal: {kinds}")
    rerun_sends = 1 if again is not None and cell.outcome == UNKNOWN else 0
    if len(entries) != cell.attempts + rerun_sends:
        shown = [(e["method"], e["path"], e["status"], e["fault"]) for e in entries]
        problems.append(
            f"expected {cell.attempts} {target.method} request(s) (+{rerun_sends} by the rerun), journal: {shown}"
        )
    if cell.endpoint == "remove" and cell.fault in ("drop_after_commit", "delay_after_commit"):
        # The point of these cells: the retry meets a domain already removed, and that 404 counts as done.
        retried = [e["status"] for e in entries if not e["fault"]]
        if retried != [404]:
            problems.append(f"expected the retried DELETE to be answered 404, journal statuses: {retried}")
    failed = result["_status"] == "failed"
    msg = str(result.get("msg", ""))
    if cell.outcome == UNKNOWN:
        if not failed or UNKNOWN_MSG not in msg:
            problems.append(f"expected a failure saying {UNKNOWN_MSG!r}, got {result['_status']}: {msg!r}")
    elif failed:
        problems.append(f"expected {cell.outcome}, the task failed: {msg}")
    else:
        if result["_status"] != cell.outcome:
            problems.append(f"expected {cell.outcome}, got {result['_status']}")
        problems.extend(check_effect(sandbox, cell, target, result))
    if again is not None:
        expected = CHANGED if cell.outcome == UNKNOWN else OK
        if again["_status"] != expected:
            problems.append(f"the rerun should be {expected}, got {again['_status']}: {again.get('msg', '')}")
    return [f"{label}: {line}" for line in problems]


def check_effect(sandbox: Any, cell: Cell, target: Target, result: Dict[str, Any]) -> List[str]:
    """The module's result and the sandbox's state agree with a successful cell."""
    if cell.endpoint in ("list", "detail"):
        names = [item.get("domain_name") for item in result.get("domains") or []]
        if names != [target.name]:
            return [f"domains returned {names}, expected [{target.name}]"]
        if cell.endpoint == "detail" and "registrar" not in result["domains"][0]:
            return ["the detail lookup returned a list-shaped item"]
        return []
    if cell.endpoint == "update":
        status, _headers, body = sandbox.api("GET", f"domains/{target.domain_id}/")
        if status != 200 or body.get("auto_renew") is not False:
            return [f"auto_renew not off in the sandbox: {status} {body}"]
        if (result.get("domain") or {}).get("auto_renew") is not False:
            return [f"result domain does not show auto_renew off: {result.get('domain')}"]
        return []
    if cell.endpoint == "remove":
        status, _headers, _body = sandbox.api("GET", f"domains/{target.domain_id}/")
        return [] if status == 404 else [f"the domain is still in the account ({status})"]
    if cell.endpoint == "register":
        if (result.get("domain") or {}).get("domain_name") != target.name:
            return [f"result has no registered domain: {result.get('domain')}"]
        return []
    transfer = result.get("transfer") or {}
    if transfer.get("transfer_status") not in ("pending", "completed"):
        return [f"result transfer does not show the started transfer: {transfer}"]
    return []


def check_ledger(sandbox: Any, endpoint: str, targets: Dict[str, Target]) -> List[str]:
    """No domain charged twice; each register/transfer cell charged exactly once once its rerun is done."""
    ledger = sandbox.ledger()
    per_name = collections.Counter((entry["domain_name"], entry["kind"]) for entry in ledger)
    problems = [f"DOUBLE CHARGE: {key} charged {count} times" for key, count in per_name.items() if count > 1]
    if endpoint in _CHARGE_KINDS:
        for fault, target in targets.items():
            charged = per_name.get((target.name, _CHARGE_KINDS[endpoint]), 0)
            if charged != 1:
                problems.append(f"{endpoint} x {fault}: {charged} charge(s) after the rerun, expected 1")
    elif ledger:
        problems.append(f"the {endpoint} cells charged: {ledger}")
    return problems
