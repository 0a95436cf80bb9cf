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
    When the registrar is already C(VPS.org) (however the API writes it; case, punctuation and a legal-form suffix
    such as C(LLC), C(Inc) or C(Ltd) do not matter, but C(VPS.org Reseller Services) is another registrar),
    nothing is done.
    When the last transfer completed (C(transfer_status) V(completed)), nothing is done either; a warning says so
    when the API still names another registrar.
    When a transfer is pending, nothing is done and its state and dates are returned.
    When the last transfer failed, the task fails with the reason unless O(restart_failed=true) (with
    O(override_attempt)).
    When no transfer was ever started, the module checks what it can before the fee is spent and starts one.
    When the API gives no C(transfer_status) at all, the task fails unless O(force=true) (with
    O(override_attempt)), because it cannot tell whether a transfer is already under way.
  - "Overrides are one-time: O(force) and O(restart_failed) pay for the one attempt a person decided about, named by
    O(override_attempt). The message that refuses without an override quotes the value to set: a failed
    attempt's C(transfer_initiated_at), or, when the API gives no transfer status, the registrar and the domain's
    last update date. A transfer started after that decision changes what the API shows, so a repeated run of the
    unchanged task reports instead of paying again; a transfer that failed again needs a new O(override_attempt)."
  - "Paid-write rules: the transfer request is sent again in the same run only when the connection was refused, or
    it was answered 429 and a look-up afterwards shows no transfer started. Any other unclear answer (timeout,
    reset, 5xx, cut-off body) is looked up for a grace period and never re-sent. A 2xx answer naming another
    domain or id, saying C(transfer_status) V(failed), or shaped as an error (C(detail), C(success) V(false)) fails
    the task, quoted with secrets masked, saying whether a charge may have happened."
  - A transfer costs the transfer fee of the domain's top-level domain (it includes a one-year renewal) and
    typically completes within 5 to 7 days, after the current registrar approves it. O(max_cost) caps what
    one transfer may cost.
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
  override_attempt:
    description:
      - The attempt an override (O(force), O(restart_failed)) is decided for, as the module's refusal message
        quotes it (for a failed transfer, its C(transfer_initiated_at)).
      - Required with O(force=true) or O(restart_failed=true) when the override is needed; when the API shows
        another attempt than this one, nothing is paid and the run reports (a transfer that failed again fails,
        asking for a new decision).
    type: str
    version_added: 0.3.0
  max_cost:
    description:
      - The most the transfer fee may be, in USD. The fee is estimated before anything is sent, as one year at the
        price of the domain's top-level domain (from O(prices) over the published price table).
      - When the estimate is above O(max_cost), or the price of the top-level domain is unknown, the task fails
        naming the domain, the estimate and the budget, and no transfer request is sent. An estimate equal to
        O(max_cost) passes.
      - Checked in check mode too, where C(transfer.estimated_cost) shows the estimate.
      - Unset, no budget is checked.
    type: float
  prices:
    description:
      - Yearly prices in USD by top-level domain (V(com), V(.io), V(app), in any case, with or without the dot),
        merged over the published price table the collection ships, for the estimate O(max_cost) is checked
        against and C(transfer.estimated_cost).
      - The estimate only guards the budget; what the API charges is the fee.
    type: dict
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

- name: Try again after a failed transfer (charged again, once for the attempt named)
  vpsorg.domains.vps_domain_transfer:
    name: transfer-me.org
    auth_code: "{{ transfer_codes['transfer-me.org'] }}"
    restart_failed: true
    # The failed attempt's transfer_initiated_at, as the refusal message quotes it; a later failure of the
    # restarted transfer needs a new value, so a nightly job never buys the transfer twice.
    override_attempt: "2026-01-16T16:30:00Z"

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
      description: The domain's id in the account (a number, or a string where the API uses opaque ids).
      returned: always
      type: raw
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
    estimated_cost:
      description:
        - In check mode, for a transfer that would be started, the estimated fee in USD (one year at the price
          of the top-level domain); V(null) when the price is unknown.
        - When O(max_cost) refused the transfer, the estimate that was refused.
      returned: in check mode when a transfer would be started, and when O(max_cost) refused one
      type: float
      sample: 13.99
    total_cost:
      description: What the transfer was charged, in USD, when the API's answer says (always a number).
      returned: when the API reports it
      type: float
      sample: 13.99
    cost:
      description:
        - What the transfer started by this run costs, in USD - the API's charge when its answer says
          (C(cost_source) V(api)), else the table's estimate (C(cost_source) V(estimate)).
      returned: when a transfer was started
      type: float
      sample: 13.99
      version_added: 0.3.0
    cost_source:
      description: Where C(cost) comes from, V(api) or V(estimate).
      returned: when a transfer was started
      type: str
      sample: api
      version_added: 0.3.0
    cost_note:
      description: Set when the API charged more than the estimate by more than a cent, saying both amounts.
      returned: when the charge exceeds the estimate
      type: str
      version_added: 0.3.0
    attempt:
      description: What identifies the attempt an override would apply to (the value for O(override_attempt)).
      returned: when an override was needed or refused
      type: str
      version_added: 0.3.0
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
  elements: raw
  sample: [104, 117]
diff:
  description: The domain's name, registrar and transfer status before and after.
  returned: in diff mode, when the domain was found
  type: dict
  sample:
    before: {"domain_name": "transfer-me.org", "registrar": "Other Registrar Inc.", "transfer_status": null}
    after: {"domain_name": "transfer-me.org", "registrar": "Other Registrar Inc.", "transfer_status": "pending"}
"""

from typing import Any, Dict

from ansible_collections.vpsorg.domains.plugins.module_utils._base import (
    create_client,
    create_module,
    run_module,
    task_options,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._transfer import TransferOperation, transfer_request

ARGUMENT_SPEC: Dict[str, Any] = {
    "name": {"type": "str", "required": True, "aliases": ["domain_name"]},
    "auth_code": {"type": "str", "required": True, "no_log": True},
    "auto_renew": {"type": "bool", "default": True},
    "restart_failed": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": False},
    "override_attempt": {"type": "str"},
    "max_cost": {"type": "float"},
    "prices": {"type": "dict"},
}


def main() -> None:
    module = create_module(ARGUMENT_SPEC, supports_check_mode=True)

    def task() -> Dict[str, Any]:
        request = transfer_request(module.params)
        # Ansible masks the value as given; the trimmed value that is sent is masked as well.
        module.no_log_values.add(request.auth_code)
        return TransferOperation(create_client(module), request, **task_options(module)).run()

    run_module(module, task)


if __name__ == "__main__":
    main()
