# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault matrix: every endpoint under every kind of network or server failure, and never a double charge.

Each row of MATRIX is one cell: an endpoint, a fault armed on the sandbox for exactly one request, the outcome
the module must report and how many requests of the faulted kind the sandbox must see. All cells of one endpoint
run in one ansible-playbook run; `ansible.builtin.uri` tasks arm the fault right before the cell's task and read
the armed faults right after it, so each cell proves that its fault was consumed.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List

import pytest

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
    outcome: str  # ok: read succeeded; changed: the write is reported done; unknown: fails with UNKNOWN_MSG
    attempts: int  # requests with the faulted method and path the sandbox must journal
    why: str


# fmt: off
MATRIX: List[Cell] = [
    # GET list: safe to repeat; every failure is retried once and the second answer is used.
    Cell("list", "503_once",            OK, 2, "GET retried on 503"),
    Cell("list", "429_retry_after",     OK, 2, "GET retried after Retry-After"),
    Cell("list", "drop_before_commit",  OK, 2, "GET retried on a closed connection"),
    Cell("list", "drop_after_commit",   OK, 2, "GET retried on a closed connection"),
    Cell("list", "delay_before_commit", OK, 2, "GET retried after the read timeout"),
    Cell("list", "delay_after_commit",  OK, 2, "GET retried after the read timeout"),
    Cell("list", "html_error_page",     OK, 2, "a proxy's 502 HTML page is a gateway error: retried"),
    Cell("list", "cut_body",            OK, 2, "GET retried on a cut-off body"),
    # GET detail: the same policy.
    Cell("detail", "503_once",            OK, 2, "GET retried on 503"),
    Cell("detail", "429_retry_after",     OK, 2, "GET retried after Retry-After"),
    Cell("detail", "drop_before_commit",  OK, 2, "GET retried on a closed connection"),
    Cell("detail", "drop_after_commit",   OK, 2, "GET retried on a closed connection"),
    Cell("detail", "delay_before_commit", OK, 2, "GET retried after the read timeout"),
    Cell("detail", "delay_after_commit",  OK, 2, "GET retried after the read timeout"),
    Cell("detail", "html_error_page",     OK, 2, "a proxy's 502 HTML page is a gateway error: retried"),
    Cell("detail", "cut_body",            OK, 2, "GET retried on a cut-off body"),
    # PUT: idempotent (the same settings again), so retried like GET; the change is reported.
    Cell("update", "503_once",            CHANGED, 2, "PUT retried on 503"),
    Cell("update", "429_retry_after",     CHANGED, 2, "PUT retried after Retry-After"),
    Cell("update", "drop_before_commit",  CHANGED, 2, "PUT retried on a closed connection"),
    Cell("update", "drop_after_commit",   CHANGED, 2, "PUT applied, answer lost, sent again: same settings"),
    Cell("update", "delay_before_commit", CHANGED, 2, "PUT retried after the read timeout"),
    Cell("update", "delay_after_commit",  CHANGED, 2, "PUT applied, answer late, sent again: same settings"),
    Cell("update", "html_error_page",     CHANGED, 2, "a proxy's 502 HTML page is a gateway error: retried"),
    Cell("update", "cut_body",            CHANGED, 2, "PUT applied, body cut, sent again: same settings"),
    # DELETE: idempotent; a retry answered 404 after an attempt that may have been applied counts as done.
    Cell("remove", "503_once",            CHANGED, 2, "DELETE retried on 503"),
    Cell("remove", "429_retry_after",     CHANGED, 2, "DELETE retried after Retry-After"),
    Cell("remove", "drop_before_commit",  CHANGED, 2, "DELETE retried on a closed connection"),
    Cell("remove", "drop_after_commit",   CHANGED, 2, "DELETE applied, answer lost: the retry's 404 means done"),
    Cell("remove", "delay_before_commit", CHANGED, 2, "DELETE retried after the read timeout"),
    Cell("remove", "delay_after_commit",  CHANGED, 2, "DELETE applied, answer late: the retry's 404 means done"),
    Cell("remove", "html_error_page",     CHANGED, 2, "a proxy's 502 HTML page is a gateway error: retried"),
    Cell("remove", "cut_body",            CHANGED, 1, "a 204 has no body to cut: the first answer is complete"),
    # POST registration: costs money, never sent twice unless refused with 429; an unclear answer is looked up.
    Cell("register", "503_once",            UNKNOWN, 1, "5xx to a POST is ambiguous; not registered, lookup finds nothing"),
    Cell("register", "429_retry_after",     CHANGED, 2, "429 means not processed: the POST is sent again"),
    Cell("register", "drop_before_commit",  UNKNOWN, 1, "reset after sending is ambiguous; lookup finds nothing"),
    Cell("register", "drop_after_commit",   CHANGED, 1, "reset after sending; lookup finds the registration"),
    Cell("register", "delay_before_commit", CHANGED, 1, "timeout; the registration lands during the lookup"),
    Cell("register", "delay_after_commit",  CHANGED, 1, "timeout; lookup finds the registration"),
    Cell("register", "html_error_page",     UNKNOWN, 1, "a 502 to a POST is ambiguous; lookup finds nothing"),
    Cell("register", "cut_body",            CHANGED, 1, "cut-off answer; lookup finds the registration"),
    # POST transfer: the same rules, looked up through the domain's transfer_status.
    Cell("transfer", "503_once",            UNKNOWN, 1, "5xx to a POST is ambiguous; transfer_status stays null"),
    Cell("transfer", "429_retry_after",     CHANGED, 2, "429 means not processed: the POST is sent again"),
    Cell("transfer", "drop_before_commit",  UNKNOWN, 1, "reset after sending is ambiguous; no transfer shows up"),
    Cell("transfer", "drop_after_commit",   CHANGED, 1, "reset after sending; transfer_status shows pending"),
    Cell("transfer", "delay_before_commit", CHANGED, 1, "timeout; the transfer starts during the lookup"),
    Cell("transfer", "delay_after_commit",  CHANGED, 1, "timeout; transfer_status shows pending"),
    Cell("transfer", "html_error_page",     UNKNOWN, 1, "a 502 to a POST is ambiguous; no transfer shows up"),
    Cell("transfer", "cut_body",            CHANGED, 1, "cut-off answer; transfer_status shows pending"),
]
# fmt: on

ENDPOINTS = ["list", "detail", "update", "remove", "register", "transfer"]
# A delayed request is journaled when its handler finishes, which may be after its cell's task.
_SETTLE_SECONDS = 8.0


def test_matrix_is_complete() -> None:
    cells = {(cell.endpoint, cell.fault) for cell in MATRIX}
    assert cells == {(endpoint, fault) for endpoint in ENDPOINTS for fault in FAULTS}
    assert len(cells) == len(MATRIX)


def _slug(fault: str) -> str:
    return fault.replace("_", "-")


@dataclass
class Target:
    """What one cell acts on: the domain, the task, the faulted request and how to find its journal entries."""

    name: str
    domain_id: Any
    method: str
    path_prefix: str
    task: Dict[str, Any]
    path: Callable[[Dict[str, Any]], bool]


def _prepare(sandbox: Any, endpoint: str, fault: str, tag: str) -> Target:
    """Seed what the cell needs in the sandbox and describe its task."""
    name = f"{tag}-{endpoint}-{_slug(fault)}.com"
    common = {"api_timeout": API_TIMEOUT}
    if endpoint == "register":
        task = {"vpsorg.domains.vps_domain": dict(common, name=name, allow_registration=True)}
        return Target(name, None, "POST", "/api/v1/domains/", task, lambda e: e["path"] == "/api/v1/domains/")
    if endpoint == "transfer":
        seeded = sandbox.seed_domain(
            domain_name=name,
            registrar="Other Registrar Inc.",
            auth_code=f"EPP-{fault.upper()}",
            auto_renew=False,
            locked=False,
            registration_date="2021-03-01T00:00:00Z",
        )
        task = {"vpsorg.domains.vps_domain_transfer": dict(common, name=name, auth_code=f"EPP-{fault.upper()}")}
        path = f"/api/v1/domains/{seeded['id']}/transfer/"
        return Target(name, seeded["id"], "POST", path, task, lambda e: e["path"] == path)
    # remove needs auto_renew off, so the module does not refuse the removal.
    seeded = sandbox.seed_domain(domain_name=name, auto_renew=endpoint != "remove")
    detail_path = f"/api/v1/domains/{seeded['id']}/"
    if endpoint == "list":
        task = {"vpsorg.domains.vps_domain_info": dict(common, search=name)}
        return Target(
            name,
            seeded["id"],
            "GET",
            "/api/v1/domains/",
            task,
            lambda e: e["path"] == "/api/v1/domains/" and e["query"].get("search") == name,
        )
    if endpoint == "detail":
        task = {"vpsorg.domains.vps_domain_info": dict(common, name=name)}
    elif endpoint == "update":
        task = {"vpsorg.domains.vps_domain": dict(common, name=name, auto_renew=False)}
    else:
        task = {"vpsorg.domains.vps_domain": dict(common, name=name, state="absent")}
    return Target(name, seeded["id"], _METHODS[endpoint], detail_path, task, lambda e: e["path"] == detail_path)


_METHODS = {"detail": "GET", "update": "PUT", "remove": "DELETE"}


def _control_task(sandbox: Any, name: str, method: str, path: str, body: Any = None) -> Dict[str, Any]:
    """A uri task calling the sandbox's control API from inside the playbook."""
    args: Dict[str, Any] = {
        "url": f"{sandbox.root_url}/_sandbox/{path}",
        "method": method,
        "status_code": [200, 201, 204],
        "return_content": True,
    }
    if body is not None:
        args.update(body_format="json", body=body)
    return {"name": name, "ansible.builtin.uri": args}


def _run_cells(sandbox: Any, run_playbook: Any, cells: List[Cell], tag: str):
    targets = {cell.fault: _prepare(sandbox, cell.endpoint, cell.fault, tag) for cell in cells}
    sandbox.clear_journal()
    tasks: List[Dict[str, Any]] = []
    for cell in cells:
        target = targets[cell.fault]
        spec = dict(FAULTS[cell.fault], method=target.method, path_prefix=target.path_prefix, count=1)
        tasks.append(_control_task(sandbox, f"arm {cell.fault}", "POST", "faults", spec))
        tasks.append(dict({"name": f"cell {cell.fault}"}, **target.task))
        tasks.append(_control_task(sandbox, f"armed after {cell.fault}", "GET", "faults"))
        tasks.append(_control_task(sandbox, f"disarm {cell.fault}", "DELETE", "faults"))
    run = run_playbook(tasks)
    assert run.rc in (0, 2), run.output
    # A delayed request may finish after its cell; wait until every faulted request is in the journal.
    deadline = time.monotonic() + _SETTLE_SECONDS
    while True:
        journal = sandbox.journal()
        faulted = {cell.fault for cell in cells if any(e["fault"] and targets[cell.fault].path(e) for e in journal)}
        if len(faulted) >= len(cells) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return run, targets, journal


def _check_cell(sandbox: Any, run: Any, cell: Cell, target: Target, journal: List[Dict[str, Any]]) -> List[str]:
    """Every way this cell differs from the table, as readable lines (empty when it behaves)."""
    problems: List[str] = []
    label = f"{cell.endpoint} x {cell.fault}"
    armed = run.result(f"arm {cell.fault}")
    if run.status(f"arm {cell.fault}") == "failed":
        return [f"{label}: the fault could not be armed: {armed.get('msg')} {armed.get('json')}"]
    left = run.result(f"armed after {cell.fault}").get("json") or []
    if left:
        problems.append(f"{label}: the fault did not fire (still armed: {left})")
    entries = [e for e in journal if e["method"] == target.method and target.path(e)]
    if cell.endpoint == "register":
        entries = [e for e in entries if (e.get("body") or {}).get("domain_name") == target.name]
    if not any(e["fault"] for e in entries):
        problems.append(f"{label}: no journal entry shows the fault: {entries}")
    if len(entries) != cell.attempts:
        shown = [(e["method"], e["path"], e["status"], e["fault"]) for e in entries]
        problems.append(f"{label}: expected {cell.attempts} {target.method} request(s), journal has {shown}")

    result = run.result(f"cell {cell.fault}")
    failed = run.status(f"cell {cell.fault}") == "failed"
    msg = str(result.get("msg", ""))
    if cell.outcome == UNKNOWN:
        if not failed or UNKNOWN_MSG not in msg:
            problems.append(f"{label}: expected a failure saying {UNKNOWN_MSG!r}, got failed={failed} msg={msg!r}")
        return problems
    if failed:
        return [*problems, f"{label}: expected {cell.outcome}, the task failed: {msg}"]
    if bool(result.get("changed")) != (cell.outcome == CHANGED):
        problems.append(f"{label}: expected changed={cell.outcome == CHANGED}, got {result.get('changed')}")
    problems.extend(f"{label}: {line}" for line in _check_effect(sandbox, cell, target, result))
    return problems


def _check_effect(sandbox: Any, cell: Cell, target: Target, result: Dict[str, Any]) -> List[str]:
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


def _check_ledger(sandbox: Any, cells: List[Cell], targets: Dict[str, Target]) -> List[str]:
    problems = []
    ledger = sandbox.ledger()
    per_name = collections.Counter((entry["domain_name"], entry["kind"]) for entry in ledger)
    doubles = {key: count for key, count in per_name.items() if count > 1}
    if doubles:
        problems.append(f"DOUBLE CHARGES: {doubles}")
    kind = {"register": "registration", "transfer": "transfer"}
    for cell in cells:
        if cell.endpoint not in kind:
            continue
        charged = per_name.get((targets[cell.fault].name, kind[cell.endpoint]), 0)
        expected = 1 if cell.outcome == CHANGED else 0
        if charged != expected:
            problems.append(f"{cell.endpoint} x {cell.fault}: {charged} charge(s) in the ledger, expected {expected}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_fault_matrix(sandbox: Any, run_playbook: Any, endpoint: str) -> None:
    cells = [cell for cell in MATRIX if cell.endpoint == endpoint]
    run, targets, journal = _run_cells(sandbox, run_playbook, cells, "fm")
    problems: List[str] = []
    for cell in cells:
        problems.extend(_check_cell(sandbox, run, cell, targets[cell.fault], journal))
    problems.extend(_check_ledger(sandbox, cells, targets))
    assert not problems, "\n".join(problems)


def test_no_double_charge_anywhere_after_a_rerun(sandbox: Any, run_playbook: Any) -> None:
    """A rerun after every kind of lost answer registers nothing twice: the second run finds the domain."""
    names = [f"rerun-{_slug(fault)}.com" for fault in FAULTS]
    tasks: List[Dict[str, Any]] = []
    for fault, name in zip(FAULTS, names):
        spec = dict(FAULTS[fault], method="POST", path_prefix="/api/v1/domains/", count=1)
        tasks.append(_control_task(sandbox, f"arm {fault}", "POST", "faults", spec))
        tasks.append(
            {
                "name": f"first {fault}",
                "vpsorg.domains.vps_domain": {"name": name, "allow_registration": True, "api_timeout": API_TIMEOUT},
            }
        )
        tasks.append(_control_task(sandbox, f"disarm {fault}", "DELETE", "faults"))
    for fault, name in zip(FAULTS, names):
        tasks.append({"name": f"again {fault}", "vpsorg.domains.vps_domain": {"name": name, "allow_registration": True}})
    run = run_playbook(tasks)
    assert run.rc in (0, 2), run.output
    ledger = sandbox.ledger()
    charges = collections.Counter(entry["domain_name"] for entry in ledger if entry["kind"] == "registration")
    assert all(count == 1 for count in charges.values()), charges
    # Every name is registered exactly once in the end, and the second run never spends twice.
    assert set(charges) == set(names), charges
    for fault, name in zip(FAULTS, names):
        again = run.result(f"again {fault}")
        first = run.result(f"first {fault}")
        assert run.status(f"again {fault}") != "failed", (fault, again)
        assert again["domain"]["domain_name"] == name
        # Whichever run registered it reports changed; never both.
        assert bool(first.get("changed")) + bool(again.get("changed")) == 1, (fault, first, again)


def test_retry_limits_and_non_retried_answers(sandbox: Any, run_playbook: Any) -> None:
    """Retry-After above the cap fails at once saying so; a 4xx HTML page fails at once; retries are bounded."""
    shop = _domain_id(sandbox, "example-shop.com")
    blog = _domain_id(sandbox, "example-blog.net")
    labs = _domain_id(sandbox, "example-labs.io")
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 2))
    cases = [
        # (name, fault, task, expectation)
        (
            "cap on GET",
            {"method": "GET", "path_prefix": "/api/v1/domains/", "status": 429, "retry_after": 3600},
            {"vpsorg.domains.vps_domain_info": {"search": "example"}},
        ),
        (
            "cap on PUT",
            {"method": "PUT", "path_prefix": f"/api/v1/domains/{shop}/", "status": 429, "retry_after": 3600},
            {"vpsorg.domains.vps_domain": {"name": "example-shop.com", "auto_renew": False}},
        ),
        (
            "cap on POST",
            {"method": "POST", "path_prefix": "/api/v1/domains/", "status": 429, "retry_after": 3600},
            {"vpsorg.domains.vps_domain": {"name": "capped-post.com", "allow_registration": True}},
        ),
        (
            "http date",
            {"method": "PUT", "path_prefix": f"/api/v1/domains/{blog}/", "status": 429, "retry_after": http_date},
            {"vpsorg.domains.vps_domain": {"name": "example-blog.net", "auto_renew": True}},
        ),
        (
            "html 403",
            {
                "method": "GET",
                "path_prefix": f"/api/v1/domains/{labs}/",
                "status": 403,
                "body": "<html><body><h1>Forbidden</h1><p>Request blocked by the firewall.</p></body></html>",
                "content_type": "text/html",
            },
            {"vpsorg.domains.vps_domain_info": {"name": "example-labs.io"}},
        ),
        (
            "persistent 503",
            {"method": "GET", "path_prefix": f"/api/v1/domains/{labs}/", "status": 503, "count": 20},
            {"vpsorg.domains.vps_domain_info": {"name": "example-labs.io"}},
        ),
    ]
    tasks: List[Dict[str, Any]] = []
    for name, fault, task in cases:
        tasks.append(_control_task(sandbox, f"arm {name}", "POST", "faults", dict({"count": 1}, **fault)))
        tasks.append(_control_task(sandbox, f"clear journal before {name}", "DELETE", "requests"))
        tasks.append(dict({"name": name}, **task))
        tasks.append(_control_task(sandbox, f"journal after {name}", "GET", "requests"))
        tasks.append(_control_task(sandbox, f"disarm {name}", "DELETE", "faults"))
    run = run_playbook(tasks)

    def requests_of(name: str, method: str, path: str) -> List[Dict[str, Any]]:
        entries = run.result(f"journal after {name}").get("json") or []
        return [e for e in entries if e["method"] == method and e["path"] == path]

    for name in ("cap on GET", "cap on PUT", "cap on POST"):
        result = run.result(name)
        assert run.status(name) == "failed", (name, result)
        assert "Retry-After" in result["msg"] and "3600" in result["msg"], (name, result["msg"])
    assert len(requests_of("cap on GET", "GET", "/api/v1/domains/")) == 1
    assert len(requests_of("cap on PUT", "PUT", f"/api/v1/domains/{shop}/")) == 1
    assert len(requests_of("cap on POST", "POST", "/api/v1/domains/")) == 1

    dated = run.result("http date")
    assert run.status("http date") == "changed", dated
    assert len(requests_of("http date", "PUT", f"/api/v1/domains/{blog}/")) == 2

    html = run.result("html 403")
    assert run.status("html 403") == "failed", html
    assert "403" in html["msg"] and "HTML" in html["msg"], html["msg"]
    assert "<html" not in html["msg"].lower() and len(html["msg"]) < 600, html["msg"]
    assert len(requests_of("html 403", "GET", f"/api/v1/domains/{labs}/")) == 1

    persistent = run.result("persistent 503")
    assert run.status("persistent 503") == "failed", persistent
    assert "503" in persistent["msg"], persistent["msg"]
    attempts = len(requests_of("persistent 503", "GET", f"/api/v1/domains/{labs}/"))
    assert 2 <= attempts <= 10, attempts
    assert "MODULE FAILURE" not in run.output and "Traceback" not in run.output
    assert sandbox.ledger() == []


def _domain_id(sandbox: Any, name: str) -> int:
    status, _headers, body = sandbox.api("GET", "domains/", params={"search": name})
    assert status == 200, body
    return next(item["id"] for item in body["results"] if item["domain_name"] == name)
