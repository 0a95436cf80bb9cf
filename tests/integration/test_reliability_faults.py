# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault matrix: every endpoint under every kind of network or server failure, and never a double charge.

Each row of MATRIX is one cell: an endpoint, a fault armed on the sandbox for exactly one request, the outcome
the module must report and how many requests of the faulted kind the sandbox must see. All cells of one endpoint
run in one ansible-playbook run; `ansible.builtin.uri` tasks arm the fault right before the cell's task and read
the armed faults right after it, so each cell proves that its fault was consumed.
"""

from __future__ import annotations

import collections
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List

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
_SETTLE_SECONDS = 8.0
_CHARGE_KINDS = {"register": "registration", "transfer": "transfer"}


@pytest.mark.api_shape
def test_matrix_is_complete() -> None:
    cells = {(cell.endpoint, cell.fault) for cell in MATRIX}
    assert cells == {(endpoint, fault) for endpoint in ENDPOINTS for fault in FAULTS}
    assert len(cells) == len(MATRIX)
    assert set(FAULT_KINDS) == set(FAULTS)


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


# The module task of each endpoint; `cell_name` and `cell_auth_code` are the cell's host variables.
_CELL_TASKS: Dict[str, Dict[str, Any]] = {
    "list": {"vpsorg.domains.vps_domain_info": {"search": "{{ cell_name }}"}},
    "detail": {"vpsorg.domains.vps_domain_info": {"name": "{{ cell_name }}"}},
    "update": {"vpsorg.domains.vps_domain": {"name": "{{ cell_name }}", "auto_renew": False}},
    "remove": {"vpsorg.domains.vps_domain": {"name": "{{ cell_name }}", "state": "absent"}},
    "register": {"vpsorg.domains.vps_domain": {"name": "{{ cell_name }}", "allow_registration": True}},
    "transfer": {
        "vpsorg.domains.vps_domain_transfer": {"name": "{{ cell_name }}", "auth_code": "{{ cell_auth_code }}"}
    },
}
_METHODS = {"list": "GET", "detail": "GET", "update": "PUT", "remove": "DELETE", "register": "POST", "transfer": "POST"}


def _prepare(sandbox: Any, endpoint: str, fault: str, tag: str) -> Target:
    """Seed what the cell needs in the sandbox and say which request its fault hits."""
    name = f"{tag}-{endpoint}-{_slug(fault)}.com"
    if endpoint == "register":
        return Target(name, None, "POST", "/api/v1/domains/")
    if endpoint == "transfer":
        seeded = sandbox.seed_domain(
            domain_name=name,
            registrar="Other Registrar Inc.",
            auth_code=_auth_code(fault),
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


def _auth_code(fault: str) -> str:
    return f"EPP-{_slug(fault).upper()}-7731"


def _fault_spec(cell: Cell, target: Target) -> Dict[str, Any]:
    return dict(FAULTS[cell.fault], method=target.method, path_prefix=target.path_prefix, count=1)


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


def _write_playbook(sandbox: Any, tmp_path: Any, endpoint: str, cells: List[Cell], targets: Dict[str, Target]):
    """A play over one inventory host per cell: in parallel, or one host at a time for the shared paths."""
    import yaml

    serial = endpoint in SERIAL_ENDPOINTS
    hosts = {}
    for cell in cells:
        target = targets[cell.fault]
        host_vars: Dict[str, Any] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "cell_name": target.name,
            "cell_auth_code": _auth_code(cell.fault),
        }
        if serial:
            host_vars["cell_fault"] = _fault_spec(cell, target)
        hosts[f"cell_{cell.fault}"] = host_vars
    inventory = tmp_path / f"cells-{endpoint}.yml"
    inventory.write_text(yaml.safe_dump({"cells": {"hosts": hosts}}), encoding="utf-8")

    tasks: List[Dict[str, Any]] = []
    if serial:
        arm = _control_task(sandbox, "arm", "POST", "faults")
        arm["ansible.builtin.uri"]["body"] = "{{ cell_fault }}"
        arm["ansible.builtin.uri"]["body_format"] = "json"
        tasks.append(arm)
    module, args = next(iter(_CELL_TASKS[endpoint].items()))
    tasks.append({"name": "cell", module: dict(args, api_timeout=API_TIMEOUT), "ignore_errors": True})
    if endpoint in RERUN_ENDPOINTS:
        tasks.append({"name": "again", module: dict(args), "ignore_errors": True})
    play: Dict[str, Any] = {
        "name": f"Fault matrix: {endpoint}",
        "hosts": "cells",
        "gather_facts": False,
        "tasks": tasks,
    }
    if serial:
        play["serial"] = 1
    playbook = tmp_path / f"matrix-{endpoint}.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return playbook, inventory


def _results_by_name(run: Any, task: str) -> Dict[str, Dict[str, Any]]:
    """The results of one task of the play, keyed by the cell's domain name (from the module's arguments)."""
    found: Dict[str, Dict[str, Any]] = {}
    for record in run.results:
        if record["task"] != task:
            continue
        args = (record["result"].get("invocation") or {}).get("module_args") or {}
        key = args.get("name") or args.get("search")
        found[key] = dict(record["result"], _status=record["status"])
    return found


def _run_endpoint(sandbox: Any, run_playbook: Any, tmp_path: Any, endpoint: str, cells: List[Cell]):
    targets = {cell.fault: _prepare(sandbox, endpoint, cell.fault, "fm") for cell in cells}
    if endpoint not in SERIAL_ENDPOINTS:
        for cell in cells:
            sandbox.add_fault(**_fault_spec(cell, targets[cell.fault]))
    sandbox.clear_journal()
    playbook, inventory = _write_playbook(sandbox, tmp_path, endpoint, cells, targets)
    run = run_playbook(playbook=playbook, extra_args=["-i", str(inventory), "--forks", str(len(cells) + 1)])
    assert not [r for r in run.results if r["task"] == "arm" and r["status"] == "failed"], run.results
    # A delayed request may finish after its cell; wait until every faulted request is in the journal.
    deadline = time.monotonic() + _SETTLE_SECONDS
    while True:
        journal = sandbox.journal()
        met = {cell.fault for cell in cells if any(e["fault"] and targets[cell.fault].owns(e) for e in journal)}
        if len(met) >= len(cells) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return run, targets, journal


def _check_cell(
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
        problems.extend(_check_effect(sandbox, cell, target, result))
    if again is not None:
        expected = CHANGED if cell.outcome == UNKNOWN else OK
        if again["_status"] != expected:
            problems.append(f"the rerun should be {expected}, got {again['_status']}: {again.get('msg', '')}")
    return [f"{label}: {line}" for line in problems]


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


def _check_ledger(sandbox: Any, endpoint: str, targets: Dict[str, Target]) -> List[str]:
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


@pytest.mark.api_shape
@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_fault_matrix(sandbox: Any, run_playbook: Any, tmp_path: Any, endpoint: str) -> None:
    cells = [cell for cell in MATRIX if cell.endpoint == endpoint]
    run, targets, journal = _run_endpoint(sandbox, run_playbook, tmp_path, endpoint, cells)
    results = _results_by_name(run, "cell")
    reruns = _results_by_name(run, "again")
    problems: List[str] = []
    for cell in cells:
        target = targets[cell.fault]
        again = reruns.get(target.name) if endpoint in RERUN_ENDPOINTS else None
        if endpoint in RERUN_ENDPOINTS and again is None:
            problems.append(f"{endpoint} x {cell.fault}: the rerun has no result")
        problems.extend(_check_cell(sandbox, cell, target, journal, result=results.get(target.name), again=again))
    problems.extend(_check_ledger(sandbox, endpoint, targets))
    left = sandbox.faults()
    if left:
        problems.append(f"faults never met: {left}")
    if "Traceback" in run.output or "MODULE FAILURE" in run.output:
        problems.append("a module crashed:\n" + run.output[-3000:])
    assert not problems, "\n".join(problems)


@pytest.mark.api_shape
def test_retry_after_cap_and_non_retried_answers(sandbox: Any, run_playbook: Any) -> None:
    """Retry-After above the cap fails at once saying so; an HTTP-date Retry-After is honoured; a 403 HTML page
    from a proxy fails at once with a readable message."""
    shop = _domain_id(sandbox, "example-shop.com")
    blog = _domain_id(sandbox, "example-blog.net")
    labs = _domain_id(sandbox, "example-labs.io")
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 2))
    firewall_page = "<html><body><h1>Forbidden</h1><p>Request blocked by the firewall.</p></body></html>"
    # (task name, fault, task, the method and path whose requests are counted, how many there must be)
    cases = [
        (
            "cap on GET",
            {"method": "GET", "path_prefix": "/api/v1/domains/", "status": 429, "retry_after": 3600},
            {"vpsorg.domains.vps_domain_info": {"search": "example"}},
            ("GET", "/api/v1/domains/"),
            1,
        ),
        (
            "cap on PUT",
            {"method": "PUT", "path_prefix": f"/api/v1/domains/{shop}/", "status": 429, "retry_after": 3600},
            {"vpsorg.domains.vps_domain": {"name": "example-shop.com", "auto_renew": False}},
            ("PUT", f"/api/v1/domains/{shop}/"),
            1,
        ),
        (
            "cap on POST",
            {"method": "POST", "path_prefix": "/api/v1/domains/", "status": 429, "retry_after": 3600},
            {"vpsorg.domains.vps_domain": {"name": "capped-post.com", "allow_registration": True}},
            ("POST", "/api/v1/domains/"),
            1,
        ),
        (
            "http date",
            {"method": "PUT", "path_prefix": f"/api/v1/domains/{blog}/", "status": 429, "retry_after": http_date},
            {"vpsorg.domains.vps_domain": {"name": "example-blog.net", "auto_renew": True}},
            ("PUT", f"/api/v1/domains/{blog}/"),
            2,
        ),
        (
            "html 403",
            {
                "method": "GET",
                "path_prefix": f"/api/v1/domains/{labs}/",
                "status": 403,
                "body": firewall_page,
                "content_type": "text/html",
            },
            {"vpsorg.domains.vps_domain_info": {"name": "example-labs.io"}},
            ("GET", f"/api/v1/domains/{labs}/"),
            1,
        ),
    ]
    tasks: List[Dict[str, Any]] = []
    for name, fault, task, _request, _count in cases:
        tasks.append(_control_task(sandbox, f"arm {name}", "POST", "faults", dict({"count": 1}, **fault)))
        tasks.append(dict({"name": name}, **task))
    sandbox.clear_journal()
    run = run_playbook(tasks)
    journal = sandbox.journal()
    assert sandbox.faults() == [], "a fault was never met"
    for name, _fault, _task, (method, path), count in cases:
        sent = [e for e in journal if e["method"] == method and e["path"] == path]
        if name == "cap on GET":
            sent = [e for e in sent if e["query"].get("search") == "example"]
        assert len(sent) == count, (name, sent)
        assert [e["fault"] for e in sent].count("status") == 1, (name, sent)

    for name in ("cap on GET", "cap on PUT", "cap on POST"):
        result = run.result(name)
        assert run.status(name) == "failed", (name, result)
        assert "Retry-After" in result["msg"] and "3600" in result["msg"], (name, result["msg"])
    assert run.status("http date") == "changed", run.result("http date")
    html = run.result("html 403")
    assert run.status("html 403") == "failed", html
    assert "403" in html["msg"] and "HTML" in html["msg"], html["msg"]
    assert "<html" not in html["msg"].lower() and len(html["msg"]) < 600, html["msg"]
    assert "MODULE FAILURE" not in run.output and "Traceback" not in run.output
    assert sandbox.ledger() == []


@pytest.mark.api_shape
def test_retries_are_bounded(sandbox: Any, run_playbook: Any) -> None:
    """A GET answered 503 every time is given up after a bounded number of attempts, with a clear message."""
    transfer_me = _domain_id(sandbox, "transfer-me.org")
    path = f"/api/v1/domains/{transfer_me}/"
    sandbox.add_fault(method="GET", path_prefix=path, status=503, count=50)
    run = run_playbook([{"name": "always 503", "vpsorg.domains.vps_domain_info": {"name": "transfer-me.org"}}])
    result = run.result("always 503")
    assert run.status("always 503") == "failed", result
    assert "503" in result["msg"] and "gave up" in result["msg"], result["msg"]
    attempts = [e for e in sandbox.journal() if e["method"] == "GET" and e["path"] == path]
    assert 2 <= len(attempts) <= 10, attempts
    assert all(e["fault"] == "status" for e in attempts)
    assert sandbox.faults()[0]["count"] == 50 - len(attempts)


def _domain_id(sandbox: Any, name: str) -> int:
    status, _headers, body = sandbox.api("GET", "domains/", params={"search": name})
    assert status == 200, body
    return next(item["id"] for item in body["results"] if item["domain_name"] == name)
