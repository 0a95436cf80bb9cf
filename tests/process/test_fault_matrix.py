# SPDX-License-Identifier: GPL-3.0-or-later
"""Every cell of the fault matrix (tests/fault_matrix.py) through the modules' own operations, without Ansible.

Each cell runs what the module's `main()` runs after its argument spec: the request builder (`domain_request`,
`transfer_request`, `check_info_request`), then `DomainOperation`, `TransferOperation` or `read_info` with a
real ApiClient over real HTTP to the sandbox process; a TaskError or ApiError is the module's failure, as in
`run_module`. The journal and the ledger are asserted per cell, both sandbox profiles. A few cells run again
end to end through ansible-playbook in tests/integration/test_reliability_faults.py.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Dict, Iterator, List, Optional

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils._base import connection_argument_spec
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiClient, ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._domain import DomainOperation, domain_request
from ansible_collections.vpsorg.domains.plugins.module_utils._info import check_info_request, read_info
from ansible_collections.vpsorg.domains.plugins.module_utils._task import TaskError
from ansible_collections.vpsorg.domains.plugins.module_utils._transfer import TransferOperation, transfer_request
from ansible_collections.vpsorg.domains.plugins.modules import vps_domain, vps_domain_info, vps_domain_transfer
from ansible_collections.vpsorg.domains.tests import fault_matrix as fm

# The look-up after an unclear answer: the modules use lookup_grace(api_timeout), 10 s for the cells' 2 s (the
# end-to-end cells keep that). Here 8 s: still well past a delayed request's commit (DELAY_MS after it arrived,
# 1 s after the client gave up), so a change stored late is found, and an unknown cell ends sooner.
GRACE_SECONDS = 8
_WAIT_FOR_CELL = 60


def test_matrix_is_complete() -> None:
    cells = {(cell.endpoint, cell.fault) for cell in fm.MATRIX}
    assert cells == {(endpoint, fault) for endpoint in fm.ENDPOINTS for fault in fm.FAULTS}
    assert len(cells) == len(fm.MATRIX)
    assert set(fm.FAULT_KINDS) == set(fm.FAULTS)


@pytest.fixture(params=["default", "drf"])
def profiled_sandbox(request: pytest.FixtureRequest, sandbox: Any) -> Iterator[Any]:
    """The session's sandbox reset to the given profile; put back to the session's profile afterwards."""
    session_profile = sandbox.profile
    sandbox.profile = request.param
    sandbox.reset()
    try:
        yield sandbox
    finally:
        sandbox.profile = session_profile
        sandbox.reset()


def _params(module: Any, sandbox: Any, **given: Any) -> Dict[str, Any]:
    """The module's parameters as its argument spec fills them in: the defaults, the connection and `given`."""
    spec = dict(connection_argument_spec(), **module.ARGUMENT_SPEC)
    params = {key: option.get("default") for key, option in spec.items()}
    params.update(api_url=sandbox.api_url, api_token=sandbox.token, **given)
    return params


def _run_task(sandbox: Any, endpoint: str, target: fm.Target, fault: str, api_timeout: Optional[int]) -> Dict[str, Any]:
    """One task of the endpoint as its module runs it: the result with `_status` ok, changed or failed."""
    timeout = {} if api_timeout is None else {"api_timeout": api_timeout}
    options = {"grace_seconds": GRACE_SECONDS, "sleep": time.sleep, "clock": time.monotonic}
    try:
        if endpoint in ("list", "detail"):
            key = "search" if endpoint == "list" else "name"
            params = _params(vps_domain_info, sandbox, **{key: target.name}, **timeout)
            client = ApiClient(params["api_token"], params["api_url"], timeout=params["api_timeout"], pool_size=4)
            result = read_info(client, check_info_request(params))
        elif endpoint == "transfer":
            params = _params(vps_domain_transfer, sandbox, name=target.name, auth_code=fm.auth_code(fault), **timeout)
            client = ApiClient(params["api_token"], params["api_url"], timeout=params["api_timeout"], pool_size=4)
            result = TransferOperation(client, transfer_request(params), **options).run()
        else:
            given: Dict[str, Any] = {
                "update": {"auto_renew": False},
                "remove": {"state": "absent"},
                "register": {"allow_registration": True},
            }[endpoint]
            params = _params(vps_domain, sandbox, name=target.name, **given, **timeout)
            client = ApiClient(params["api_token"], params["api_url"], timeout=params["api_timeout"], pool_size=4)
            result = DomainOperation(client, domain_request(params), **options).run()
    except TaskError as error:
        return dict(error.to_result(), _status="failed")
    except ApiError as error:
        return {"_status": "failed", "msg": str(error), "failure": error.to_failure()}
    return dict(result, _status="changed" if result.get("changed") else "ok")


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", fm.ENDPOINTS)
def test_fault_matrix(profiled_sandbox: Any, endpoint: str) -> None:
    """Every fault on this endpoint: the cell's outcome, its own fault fired, the requests sent, no double charge.

    The cells of an endpoint run side by side, like the hosts of a play; the cells of `list` and `register` share
    one faulted path, so each of them runs alone with its fault armed just before it. Every cell of a writing
    endpoint then runs again without a fault (the module's default api_timeout): it must do the rest of an
    unknown outcome, or nothing.
    """
    sandbox = profiled_sandbox
    cells = [cell for cell in fm.MATRIX if cell.endpoint == endpoint]
    targets = {cell.fault: fm.prepare(sandbox, endpoint, cell.fault, "fm") for cell in cells}
    serial = endpoint in fm.SERIAL_ENDPOINTS
    if not serial:
        for cell in cells:
            sandbox.add_fault(**fm.fault_spec(cell, targets[cell.fault]))
    sandbox.clear_journal()
    results: Dict[str, Dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=len(cells)) as pool:
        running: Dict[str, Future] = {}
        for cell in cells:
            if serial:
                sandbox.add_fault(**fm.fault_spec(cell, targets[cell.fault]))
            running[cell.fault] = pool.submit(
                _run_task, sandbox, endpoint, targets[cell.fault], cell.fault, fm.API_TIMEOUT
            )
            if serial:
                results[cell.fault] = running[cell.fault].result(timeout=_WAIT_FOR_CELL)
        for fault, future in running.items():
            results[fault] = future.result(timeout=_WAIT_FOR_CELL)
    journal = fm.settle_journal(sandbox, cells, targets)
    reruns: Dict[str, Dict[str, Any]] = {}
    if endpoint in fm.RERUN_ENDPOINTS:
        for cell in cells:
            reruns[cell.fault] = _run_task(sandbox, endpoint, targets[cell.fault], cell.fault, None)
        journal = sandbox.journal()
    problems: List[str] = []
    for cell in cells:
        problems.extend(
            fm.check_cell(
                sandbox, cell, targets[cell.fault], journal, result=results[cell.fault], again=reruns.get(cell.fault)
            )
        )
    problems.extend(fm.check_ledger(sandbox, endpoint, targets))
    left = sandbox.faults()
    if left:
        problems.append(f"faults never met: {left}")
    assert not problems, "\n".join(problems)
