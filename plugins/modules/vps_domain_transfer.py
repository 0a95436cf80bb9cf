# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: start an inbound transfer of a domain to VPS.org, never twice."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vps_domain_transfer
short_description: Transfer a domain from another registrar to VPS.org
version_added: 0.1.0
description:
  - Starts an inbound transfer of a domain that is already in the VPS.org account but registered at another
    registrar, and recognises every later state of that transfer, so that a playbook can be run again and again
    without ordering a second transfer.
  - Reads the domain's details first, then acts on what it finds.
    When the registrar is already C(VPS.org), nothing is done.
    When a transfer is pending, nothing is done and its state and dates are returned.
    When the last transfer failed, the task fails with the reason unless O(restart_failed=true).
    When no transfer was ever started, the module checks what it can before the fee is spent and starts one.
    When the API gives no C(transfer_status) at all, the task fails unless O(force=true), because it cannot tell
    whether a transfer is already under way.
  - A transfer costs the transfer fee of the domain's top-level domain (it includes a one-year renewal) and
    typically completes within 5 to 7 days, after the current registrar approves it.
  - Before the fee is spent, the module checks that the domain is in the account (found by its canonical name,
    exactly once), that it is at least 60 days old (by its WHOIS creation date, else its registration date; when
    neither is known the API decides and a warning says so) and that the auth code is well formed (see
    O(auth_code)). A failed check fails the task without a write request.
  - When the answer to the transfer request is lost (a timeout, a dropped connection, a server error or a cut
    body), the request is never sent again in the same run. The module reads the domain for a grace period
    (twice O(api_timeout), at least 10 and at most 120 seconds) and reports the transfer when it shows up;
    otherwise the task fails with C(outcome unknown), and the account must be checked before running again.
author:
  - vpsorg.domains maintainers (@vpsorg)
extends_documentation_fragment:
  - vpsorg.domains.connection
options:
  name:
    description:
      - The domain to transfer, for example V(example.com).
      - Internationalised names are accepted and compared in their canonical form (lower-case punycode, no
        trailing dot).
      - The domain must already be in the account; domains registered elsewhere are added to the account in
        the VPS.org panel.
    type: str
    required: true
    aliases:
      - domain_name
  auth_code:
    description:
      - The EPP authorization code (also called auth code or transfer key) from the current registrar.
      - Never shown in any output, error or result, at any verbosity. Keep it in Ansible Vault.
      - Leading and trailing whitespace is ignored. What remains must be 6 to 255 printable ASCII characters
        without spaces; anything else fails the task before any request, without showing the value.
      - Only sent when a transfer is started; it is still required (and checked) on every run so that a task
        reads the same before and after its transfer.
    type: str
    required: true
  auto_renew:
    description:
      - Whether the domain renews automatically at VPS.org once transferred. Sent with the transfer request only.
    type: bool
    default: true
  restart_failed:
    description:
      - When the last transfer of the domain failed, start a new one instead of failing.
      - Each attempt is charged the transfer fee, so fix the cause (unlock the domain at the current registrar,
        get a fresh auth code, approve the request) first.
    type: bool
    default: false
  force:
    description:
      - Start a transfer even when the API does not say whether one is under way (the domain's details carry no
        C(transfer_status)), when a transfer completed earlier but the registrar is not C(VPS.org) any more, or
        when the API reports a transfer state this module does not know.
      - This may order a transfer while another is pending, and be charged for it. Check in the VPS.org panel first.
      - Does not restart a failed transfer (see O(restart_failed)) and does not skip the checks made before the
        fee is spent.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details:
      - Shows the domain's name, registrar and transfer status before and after.
notes:
  - The module reads the domain twice per run (a search by name, then its details) and writes at most once.
  - In check mode, no transfer request is sent; the result predicts a pending transfer without dates.
seealso:
  - module: vpsorg.domains.vps_domain
  - module: vpsorg.domains.vps_domain_info
"""

EXAMPLES = r"""
- name: Transfer a domain to VPS.org (its auth code kept in a vault-encrypted vars file)
  vpsorg.domains.vps_domain_transfer:
    name: transfer-me.org
    auth_code: "{{ transfer_codes['transfer-me.org'] }}"

- name: Transfer several domains; the label keeps the loop output to the names
  vpsorg.domains.vps_domain_transfer:
    name: "{{ item }}"
    auth_code: "{{ transfer_codes[item] }}"
    auto_renew: false
  loop: "{{ transfer_codes.keys() | list }}"
  loop_control:
    label: "{{ item }}"

- name: Try again after a failed transfer (charged again)
  vpsorg.domains.vps_domain_transfer:
    name: transfer-me.org
    auth_code: "{{ transfer_codes['transfer-me.org'] }}"
    restart_failed: true

- name: Report the state of a transfer without starting one
  vpsorg.domains.vps_domain_transfer:
    name: transfer-me.org
    auth_code: "{{ transfer_codes['transfer-me.org'] }}"
  check_mode: true
  register: transfer_state

- name: Show it
  ansible.builtin.debug:
    msg: "{{ transfer_state.transfer.transfer_status }}"
"""

RETURN = r"""
msg:
  description: What was found or done, in words.
  returned: always
  type: str
  sample: a transfer of transfer-me.org to VPS.org was started
transfer:
  description:
    - After starting a transfer, the API's answer to the transfer request.
    - Otherwise the domain's current transfer state, read from its details (in check mode, for a transfer that
      would be started, a prediction with C(transfer_status) V(pending) and no dates).
    - Never contains the auth code.
  returned: when the domain was found in the account
  type: dict
  contains:
    id:
      description: The domain's id in the account.
      returned: always
      type: int
      sample: 104
    domain_name:
      description: The domain's name.
      returned: always
      type: str
      sample: transfer-me.org
    registrar:
      description: The domain's registrar when it was read (absent from the answer to a transfer request).
      returned: when the state was read from the domain's details
      type: str
      sample: Other Registrar Inc.
    transfer_status:
      description:
        - V(null) when no transfer was ever started, then V(pending), V(completed) or V(failed).
        - Absent when the API does not report it.
      returned: when the API reports it
      type: str
      sample: pending
    transfer_initiated_at:
      description: When the transfer was started (ISO 8601, UTC).
      returned: when a transfer was started or is known to the API
      type: str
      sample: "2026-01-16T16:30:00Z"
    estimated_completion:
      description: When the transfer is expected to complete (ISO 8601, UTC).
      returned: when a transfer was started or is known to the API
      type: str
      sample: "2026-01-23T16:30:00Z"
    message:
      description: The API's message about the transfer it started.
      returned: when a transfer was started
      type: str
      sample: Domain transfer initiated.
    next_steps:
      description: What to do next for the transfer to complete, from the API.
      returned: when a transfer was started
      type: list
      elements: str
      sample:
        - Check email for transfer authorization request
        - Approve transfer with current registrar
domain:
  description:
    - The domain's details as read before acting, with the transfer state merged in after a transfer was
      started. Keys as the API gives them (C(registrar), C(whois_info), C(expiration_date), ...).
    - Never contains the auth code.
  returned: when the domain was found in the account
  type: dict
  sample:
    id: 104
    domain_name: transfer-me.org
    status: active
    registrar: Other Registrar Inc.
    transfer_status: pending
failure:
  description: The API error that failed the task, with any echo of the auth code masked.
  returned: when an API request failed
  type: dict
  contains:
    status:
      description: The HTTP status, or V(null) when no answer arrived.
      type: int
      returned: always
      sample: 402
    method:
      description: The request's HTTP method.
      type: str
      returned: always
      sample: POST
    path:
      description: The request's path, relative to O(api_url).
      type: str
      returned: always
      sample: domains/104/transfer/
    detail:
      description: The API's error message.
      type: str
      returned: always
      sample: Insufficient balance for the transfer fee.
    field_errors:
      description: Errors per request field, as the API gives them.
      type: dict
      returned: always
      sample: {"auth_code": ["Invalid auth code."]}
ids:
  description: The ids of every domain in the account with the name, when there are several.
  returned: when the name matches several domains
  type: list
  elements: int
  sample: [104, 117]
diff:
  description: The domain's name, registrar and transfer status before and after.
  returned: in diff mode, when the domain was found
  type: dict
  sample:
    before: {"domain_name": "transfer-me.org", "registrar": "Other Registrar Inc.", "transfer_status": null}
    after: {"domain_name": "transfer-me.org", "registrar": "Other Registrar Inc.", "transfer_status": "pending"}
"""

from typing import Any, Dict, List

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vpsorg.domains.plugins.module_utils._base import create_client, create_module
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiClient, ApiError, OutcomeUnknown
from ansible_collections.vpsorg.domains.plugins.module_utils._names import canonical_name
from ansible_collections.vpsorg.domains.plugins.module_utils._transfer import (
    ACTION_FAIL,
    ACTION_NONE,
    check_auth_code,
    look_up_outcome,
    plan_transfer,
    predicted_transfer,
    public_domain,
    redact,
    transfer_started,
    transfer_state,
)

_MIN_GRACE = 10
_MAX_GRACE = 120


def _argument_spec() -> Dict[str, Any]:
    return {
        "name": {"type": "str", "required": True, "aliases": ["domain_name"]},
        "auth_code": {"type": "str", "required": True, "no_log": True},
        "auto_renew": {"type": "bool", "default": True},
        "restart_failed": {"type": "bool", "default": False},
        "force": {"type": "bool", "default": False},
    }


def _diff_side(domain: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "domain_name": domain.get("domain_name"),
        "registrar": domain.get("registrar"),
        "transfer_status": domain.get("transfer_status"),
    }


class _Done(Exception):
    """Ends the run with a result; `failed` says which of exit_json and fail_json reports it."""

    def __init__(self, msg: str, failed: bool = False, **result: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.failed = failed
        self.result = result


def _api_failure(error: ApiError, prefix: str = "", **result: Any) -> _Done:
    return _Done(prefix + str(error), failed=True, failure=error.to_failure(), **result)


class _Transfer:
    """One run: find the domain, decide, and send the transfer request at most once."""

    def __init__(self, module: AnsibleModule, client: ApiClient, name: str, auth_code: str) -> None:
        self.module = module
        self.client = client
        self.name = name
        self.auth_code = auth_code
        self.warnings: List[str] = []

    def diff(self, before: Dict[str, Any], after: Dict[str, Any]) -> Dict[str, Any]:
        return {"diff": {"before": before, "after": after}} if self.module._diff else {}

    def find(self) -> Dict[str, Any]:
        try:
            matches = self.client.find_domains(self.name)
        except ApiError as error:
            raise _api_failure(error, f"cannot look {self.name} up: ") from None
        if not matches:
            raise _Done(
                f"{self.name} is not in the account; add it in the VPS.org panel first (a domain registered "
                "elsewhere cannot be added through the API), then run this again",
                failed=True,
            )
        if len(matches) > 1:
            ids = sorted(match.get("id") for match in matches)
            raise _Done(
                f"{self.name} matches several domains in the account (ids {', '.join(map(str, ids))}); "
                "remove the extra ones in the VPS.org panel",
                failed=True,
                ids=ids,
            )
        try:
            return self.client.get_domain(matches[0]["id"])
        except ApiError as error:
            raise _api_failure(error, f"cannot read {self.name}: ") from None

    def run(self) -> _Done:
        params = self.module.params
        domain = self.find()
        plan = plan_transfer(domain, restart_failed=params["restart_failed"], force=params["force"])
        self.warnings.extend(plan.warnings)
        result: Dict[str, Any] = {"transfer": plan.state, "domain": public_domain(domain)}
        before = _diff_side(domain)
        if plan.action == ACTION_NONE:
            return _Done(plan.reason, **result, **self.diff(before, before))
        if plan.action == ACTION_FAIL:
            return _Done(plan.reason, failed=True, **result)
        if self.module.check_mode:
            predicted = predicted_transfer(domain)
            return _Done(
                f"a transfer of {self.name} to VPS.org would be started",
                changed=True,
                transfer=predicted,
                domain=dict(result["domain"], transfer_status="pending"),
                **self.diff(before, _diff_side(predicted)),
            )
        return self.start(domain, before)

    def start(self, domain: Dict[str, Any], before: Dict[str, Any]) -> _Done:
        try:
            answer = self.client.start_transfer(domain["id"], self.auth_code, self.module.params["auto_renew"])
        except OutcomeUnknown as error:
            return self.after_lost_answer(domain, before, error)
        except ApiError as error:
            return self.after_refusal(domain, error)
        answer = public_domain(answer or {})
        answer.setdefault("id", domain["id"])
        answer.setdefault("domain_name", domain.get("domain_name"))
        merged = public_domain(domain)
        merged.update(
            (key, value)
            for key, value in answer.items()
            if key.startswith("transfer_") or key == "estimated_completion"
        )
        return _Done(
            f"a transfer of {self.name} to VPS.org was started",
            changed=True,
            transfer=answer,
            domain=merged,
            **self.diff(before, _diff_side(merged)),
        )

    def after_lost_answer(self, domain: Dict[str, Any], before: Dict[str, Any], error: ApiError) -> _Done:
        """The request may or may not have started a transfer: look, and never send it again."""
        timeout = self.module.params.get("api_timeout") or 30
        grace = min(max(2 * timeout, _MIN_GRACE), _MAX_GRACE)
        found = look_up_outcome(lambda: self.client.get_domain(domain["id"]), domain, grace=grace)
        if found is None:
            return _api_failure(
                error,
                f"outcome unknown: check the account before running again (the transfer request for {self.name} "
                f"got no usable answer, and no transfer showed up within {grace} seconds): ",
                transfer=transfer_state(domain),
                domain=public_domain(domain),
            )
        self.warnings.append(
            f"the answer to the transfer request for {self.name} was lost ({error}); "
            "the transfer state returned was read back from the domain"
        )
        return _Done(
            f"a transfer of {self.name} to VPS.org was started",
            changed=True,
            transfer=transfer_state(found),
            domain=public_domain(found),
            **self.diff(before, _diff_side(found)),
        )

    def after_refusal(self, domain: Dict[str, Any], error: ApiError) -> _Done:
        """A refused request spent nothing; a transfer that another run started meanwhile is reported, not failed."""
        if error.status in (400, 409):
            try:
                now = self.client.get_domain(domain["id"])
            except ApiError:
                now = None
            if now is not None and transfer_started(domain, now):
                return _Done(
                    f"a transfer of {self.name} was started meanwhile by another run; "
                    f"transfer_status is {now.get('transfer_status')}",
                    transfer=transfer_state(now),
                    domain=public_domain(now),
                )
        return _api_failure(
            error,
            f"the transfer of {self.name} was refused: ",
            transfer=transfer_state(domain),
            domain=public_domain(domain),
        )


def main() -> None:
    module = create_module(_argument_spec(), supports_check_mode=True)
    raw_code = module.params["auth_code"]
    try:
        name = canonical_name(module.params["name"], option="name")
        auth_code = check_auth_code(raw_code)
    except ValueError as error:  # InvalidValue included; neither message shows an auth code
        module.fail_json(msg=str(error))
        return
    # Ansible masks the value as given; the trimmed value that is sent is masked as well.
    module.no_log_values.add(auth_code)
    run = _Transfer(module, create_client(module), name, auth_code)
    try:
        done = run.run()
    except _Done as stop:
        done = stop
    result = dict(done.result)
    result.setdefault("changed", False)
    # An API error may echo the code it was sent; nothing built here may carry it out.
    secrets = [raw_code, auth_code]
    for warning in run.warnings:
        module.warn(redact(warning, secrets))
    if done.failed:
        module.fail_json(msg=redact(done.msg, secrets), **redact(result, secrets))
    module.exit_json(msg=redact(done.msg, secrets), **redact(result, secrets))


if __name__ == "__main__":
    main()
