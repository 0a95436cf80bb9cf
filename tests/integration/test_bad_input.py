# SPDX-License-Identifier: GPL-3.0-or-later
"""Invalid inputs end to end: each fails with a message naming the option, and not one request is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

DOMAIN = "vpsorg.domains.vps_domain"
INFO = "vpsorg.domains.vps_domain_info"
TRANSFER = "vpsorg.domains.vps_domain_transfer"
PORTFOLIO = "vpsorg.domains.vps_portfolio"
ROLE = "role"
SHOP = "example-shop.com"
# ansible-core rejects a string where an option with suboptions wants a dict before the module runs, with this
# message, which does not name the option (ansible.module_utils.common.parameters._list_no_log_values). The module
# cannot improve it; such cases must fail with either the option named or exactly this message.
CORE_DICT = "dictionary requested, could not parse JSON or key=value"


@dataclass(frozen=True)
class Case:
    id: str
    module: str  # a module, or ROLE for the portfolio role (args are then the role's variables)
    args: Dict[str, Any]
    expect: Tuple[str, ...]  # every fragment must be in the failure message
    note: str = field(default="", compare=False)  # why the input is wrong, when not obvious; or CORE_DICT


# A handful, one per way in: the whole catalogue runs through each module's main() in
# tests/unit/plugins/modules/test_bad_input_unit.py; these prove the same refusals hold through ansible-playbook
# (templating, module_defaults, the AnsiballZ payload, the role's argument_specs) with an empty journal.
# fmt: off
CATALOGUE: List[Case] = [
    Case("idn bad punycode", DOMAIN, {"name": "xn--zz.com"}, ("name:", "punycode")),
    Case("api_url with password", INFO, {"api_url": "https://user:pw@admin.vps.org/api/v1"}, ("api_url",)),
    Case("auth code line break", TRANSFER, {"name": "transfer-me.org", "auth_code": "EPP-DE\nMO-1234"},
         ("auth_code",)),
    Case("unknown domain key", PORTFOLIO, {"domains": [{"name": "example-shop.com", "colour": "red"}]},
         ("colour",)),
    Case("role unknown setting", ROLE, {"portfolio_settings": {"autorenew": True}}, ("autorenew",)),
    Case("role concurrency zero", ROLE, {"portfolio_concurrency": 0}, ("concurrency",)),
]
# fmt: on


def test_catalogue_covers_every_way_in() -> None:
    assert len({case.id for case in CATALOGUE}) == len(CATALOGUE)
    assert {case.module for case in CATALOGUE} == {DOMAIN, INFO, TRANSFER, PORTFOLIO, ROLE}


def _task(case: Case) -> Dict[str, Any]:
    if case.module != ROLE:
        return {"name": case.id, case.module: case.args, "ignore_errors": True}
    # A failed role validation ends the host's play unless rescued; the rescue records the failure.
    return {
        "name": f"block {case.id}",
        "block": [
            {"name": case.id, "ansible.builtin.include_role": {"name": "vpsorg.domains.portfolio"}, "vars": case.args}
        ],
        "rescue": [{"name": f"rescued {case.id}", "ansible.builtin.debug": {"var": "ansible_failed_result"}}],
    }


def _failure_message(run: Any, case: Case) -> Tuple[bool, str]:
    """(whether the case failed, its message)."""
    if case.module != ROLE:
        return run.status(case.id) == "failed", str(run.result(case.id).get("msg", ""))
    rescued = [record for record in run.results if record["task"] == f"rescued {case.id}"]
    if not rescued:
        return False, "the role did not fail"
    failure = rescued[-1]["result"].get("ansible_failed_result") or {}
    return True, str(failure.get("msg", "")) + " " + str(failure.get("argument_errors", ""))


def test_invalid_input_is_refused_before_any_request(sandbox: Any, run_playbook: Any) -> None:
    cases = CATALOGUE
    run = run_playbook([_task(case) for case in cases], ignore_errors=False)
    problems = []
    for case in cases:
        try:
            failed, message = _failure_message(run, case)
        except AssertionError as error:
            problems.append(f"{case.id}: no result ({error})")
            continue
        if not failed:
            problems.append(f"{case.id}: did not fail ({message[:300]})")
            continue
        missing = [fragment for fragment in case.expect if fragment not in message]
        if missing and not (case.note == CORE_DICT and message.strip() == CORE_DICT):
            problems.append(f"{case.id}: message lacks {missing}: {message[:400]}")
        if "Traceback" in message or "MODULE FAILURE" in message:
            problems.append(f"{case.id}: crashed: {message[:400]}")
    journal = sandbox.journal()
    assert len(run.results) >= len(cases), run.output[-2000:]
    if journal:
        problems.append(
            f"{len(journal)} request(s) sent: {[(e['method'], e['path'], e['query'], e['body']) for e in journal]}"
        )
    if sandbox.ledger():
        problems.append(f"charges: {sandbox.ledger()}")
    assert not problems, "\n".join(problems)
