# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault matrix end to end: a few of its cells through ansible-playbook, and the retry limits.

The whole matrix (tests/fault_matrix.py: six endpoints under eight faults) runs through the modules' own
operations in tests/process/test_fault_matrix.py. Here a handful of cells run through ansible-playbook, the
module and its result as a playbook sees them: each paid endpoint with an unknown outcome and with a lost answer
found by the look-up, and the removal whose retry is answered 404. Each endpoint's cells run in one
ansible-playbook run; `ansible.builtin.uri` tasks arm the fault right before the cell's task where the cells
share a path. Every cell is checked as in the process suite: outcome, its own fault fired, requests, ledger.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Dict, List

import pytest
from ansible_collections.vpsorg.domains.tests import fault_matrix as fm

# The cells run end to end, by endpoint (the rest of the matrix runs in tests/process/test_fault_matrix.py).
E2E_CELLS: Dict[str, List[str]] = {
    "register": ["503_once", "drop_after_commit", "delay_before_commit"],
    "transfer": ["html_error_page", "429_retry_after", "delay_before_commit"],
    "remove": ["drop_after_commit"],
}


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


def _write_playbook(sandbox: Any, tmp_path: Any, endpoint: str, cells: List[fm.Cell], targets: Dict[str, fm.Target]):
    """A play over one inventory host per cell: in parallel, or one host at a time for the shared paths."""
    import yaml

    serial = endpoint in fm.SERIAL_ENDPOINTS
    hosts = {}
    for cell in cells:
        target = targets[cell.fault]
        host_vars: Dict[str, Any] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "cell_name": target.name,
            "cell_auth_code": fm.auth_code(cell.fault),
        }
        if serial:
            host_vars["cell_fault"] = fm.fault_spec(cell, target)
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
    tasks.append({"name": "cell", module: dict(args, api_timeout=fm.API_TIMEOUT), "ignore_errors": True})
    if endpoint in fm.RERUN_ENDPOINTS:
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


def _run_endpoint(sandbox: Any, run_playbook: Any, tmp_path: Any, endpoint: str, cells: List[fm.Cell]):
    targets = {cell.fault: fm.prepare(sandbox, endpoint, cell.fault, "fm") for cell in cells}
    if endpoint not in fm.SERIAL_ENDPOINTS:
        for cell in cells:
            sandbox.add_fault(**fm.fault_spec(cell, targets[cell.fault]))
    sandbox.clear_journal()
    playbook, inventory = _write_playbook(sandbox, tmp_path, endpoint, cells, targets)
    run = run_playbook(playbook=playbook, extra_args=["-i", str(inventory), "--forks", str(len(cells) + 1)])
    assert not [r for r in run.results if r["task"] == "arm" and r["status"] == "failed"], run.results
    journal = fm.settle_journal(sandbox, cells, targets)
    return run, targets, journal


@pytest.mark.api_shape
@pytest.mark.slow
@pytest.mark.parametrize("endpoint", sorted(E2E_CELLS))
def test_fault_cells_end_to_end(sandbox: Any, run_playbook: Any, tmp_path: Any, endpoint: str) -> None:
    """The endpoint's end-to-end cells in one ansible-playbook run: each as the matrix says, journal and ledger."""
    cells = [cell for cell in fm.MATRIX if cell.endpoint == endpoint and cell.fault in E2E_CELLS[endpoint]]
    assert len(cells) == len(E2E_CELLS[endpoint]), "an end-to-end cell is not in the matrix"
    run, targets, journal = _run_endpoint(sandbox, run_playbook, tmp_path, endpoint, cells)
    results = _results_by_name(run, "cell")
    reruns = _results_by_name(run, "again")
    problems: List[str] = []
    for cell in cells:
        target = targets[cell.fault]
        again = reruns.get(target.name) if endpoint in fm.RERUN_ENDPOINTS else None
        if endpoint in fm.RERUN_ENDPOINTS and again is None:
            problems.append(f"{endpoint} x {cell.fault}: the rerun has no result")
        problems.extend(fm.check_cell(sandbox, cell, target, journal, result=results.get(target.name), again=again))
    problems.extend(fm.check_ledger(sandbox, endpoint, targets))
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
