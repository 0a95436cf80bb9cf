# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module vps_domain: one domain in a VPS.org account (settings, registration, removal)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vps_domain
short_description: Manage one domain in a VPS.org account
version_added: 0.1.0
description:
  - Keeps the settings of one domain in a VPS.org account (auto-renew, WHOIS privacy, transfer lock,
    nameservers) as the task says, registers the domain when it is not in the account and
    O(allow_registration=true), or removes it from the account.
  - Only the settings given are compared and changed; a setting left out keeps its current value. An update
    sends only the settings that differ.
  - A domain is found by its name. Names are compared in canonical form (lower case, no trailing dot,
    internationalised names as punycode), so V(Bücher.example) and V(xn--bcher-kva.example) are the same
    domain. When one name matches several domains in the account, the task fails and lists their ids.
  - Registering a domain costs money. It is registered only when the name is proven absent from the account,
    compared in canonical form (Unicode NFC, IDNA, lower case, no trailing dot) with the results of the searches
    for its ASCII and its Unicode form and, when both find nothing, with the whole account list.
  - The registration request is sent again in the same run only when the connection was refused, or it was
    answered 429 and a look-up afterwards shows it did not take effect. When its outcome is unclear (a
    timeout, a dropped connection, a server error, a cut-off body) the module looks the name up in the account
    for a grace period (twice O(api_timeout), at least 10 and at most 120 seconds) and reports what it finds
    instead of sending it again.
  - "Answers are checked: a 2xx answer to the registration that names another domain, says C(status: failed) or
    is an error message (C(detail), C(success: false)) fails the task, quoting the answer and saying whether a
    look-up shows the domain registered. An update answer that shows a requested setting unchanged gives a
    warning naming it; an answer about another id fails the task and is never merged into RV(domain)."
  - "Settings are read leniently: booleans as V(true), V('true') or V(1), nameservers as a list or a
    comma-separated string; a setting missing from the list object is read from the domain's details before
    anything is written, so a run with nothing to change sends no update."
  - With O(state=absent) and O(auto_renew=false), the domain is removed only after auto-renew was seen off
    (in the update's answer or the details read after it).
  - A run with nothing to change sends a single request (the name lookup) when the lookup fits on one page.
author:
  - vpsorg.domains maintainers (@vpsorg)
extends_documentation_fragment:
  - vpsorg.domains.connection
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and the predicted domain without
      sending any change.
    support: full
  diff_mode:
    description: Returns the domain's settings before and after the change, with headers naming the domain;
      a registration's header shows its estimated cost.
    support: full
options:
  name:
    description:
      - The domain name, for example V(example.com).
      - Internationalised names are accepted and stored as lower-case punycode
        (V(bücher-test.com) becomes V(xn--bcher-test-9db.com)); a trailing dot is dropped.
    type: str
    required: true
    aliases: [domain_name]
  state:
    description:
      - V(present) makes sure the domain is in the account with the settings given. A domain not in the
        account is registered only when O(allow_registration=true); otherwise the task fails.
      - V(absent) removes the domain from the account. This does B(not) cancel the registration, which
        continues and renews if auto-renew is on. So when the domain's auto-renew is on, the task must set
        O(auto_renew=false) (auto-renew is turned off first, then the domain is removed) or
        O(auto_renew=true) (removed while it keeps renewing); otherwise it fails. With V(absent),
        O(auto_renew) is the auto-renew setting the registration is left with, and the other settings are
        ignored.
      - V(absent) refuses a domain whose registration is still pending or which has a transfer under way.
        A domain not in the account is left alone (no change).
      - To cancel a registration, keep the domain V(present) with O(auto_renew=false) and let it expire.
    type: str
    choices: [present, absent]
    default: present
  allow_registration:
    description:
      - Whether a domain that is not in the account may be registered (which costs money).
      - When V(false) and the domain is not in the account, the task fails naming the domain, and nothing is
        sent.
      - A name held by someone else cannot be registered; the task then fails and says how to transfer it in
        (see M(vpsorg.domains.vps_domain_transfer)).
    type: bool
    default: false
  years:
    description:
      - The registration period in years, 1 to 10.
      - Used only when the domain is registered; ignored for a domain already in the account.
      - When not set, the API's default (one year) applies.
    type: int
  auto_renew:
    description:
      - Whether the domain renews automatically before it expires.
      - When not set, the current value is left as it is (on registration, the API's default, V(true)).
      - With O(state=absent), see O(state).
    type: bool
  privacy_protection:
    description:
      - Whether WHOIS privacy protection is on.
      - When not set, the current value is left as it is (on registration, the API's default, V(true)).
    type: bool
  locked:
    description:
      - Whether the transfer lock is on.
      - When not set, the current value is left as it is.
      - On registration, it is applied by an update right after the registration when it differs from what
        the registration returned.
    type: bool
  nameservers:
    description:
      - The domain's nameservers, 2 to 4 hostnames.
      - Compared as a set after lower-casing, converting to punycode and dropping a trailing dot, so their
        order and case do not matter.
      - When not set, the current nameservers are left as they are (on registration, the VPS.org
        nameservers).
    type: list
    elements: str
  wait:
    description:
      - Wait until the domain's status is V(active), after registering it or when it is already pending.
      - Registrations usually take 5 to 10 minutes. Nothing is waited for in check mode.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds to wait with O(wait=true) before failing.
      - A timeout after a successful registration fails the task with C(changed=true), RV(domain) and
        RV(registration).
    type: int
    default: 900
  max_cost:
    description:
      - The most a registration may cost, in USD.
      - The registration's estimate is the yearly price of its TLD (from the price table, see O(prices)) times
        O(years). When it is over O(max_cost), or the TLD has no known price, the task fails before the
        registration request (also in check mode), naming the domain, the estimate and the budget. An estimate
        equal to O(max_cost) passes.
      - Not set means no limit. Ignored for a domain already in the account.
    type: float
    version_added: 0.2.0
  prices:
    description:
      - Prices in USD per year by TLD, merged over the published price table of the collection, for the
        estimate and O(max_cost).
      - Keys are TLDs with or without the leading dot (V(com), V(.shop)); values are numbers or numeric strings.
    type: dict
    version_added: 0.2.0
notes:
  - Anything that fails after a successful registration (the update that sets O(locked), a wait timeout)
    returns C(failed) and C(changed=true) together, with RV(domain) and RV(registration), so the registration
    is never lost from view.
seealso:
  - module: vpsorg.domains.vps_domain_info
  - module: vpsorg.domains.vps_domain_transfer
  - module: vpsorg.domains.vps_portfolio
"""

EXAMPLES = r"""
- name: Keep the settings of a domain in the account
  vpsorg.domains.vps_domain:
    name: example-shop.com
    auto_renew: true
    locked: true
    nameservers:
      - ns1.vps.org
      - ns2.vps.org

- name: Register a domain for two years and wait until it is active
  vpsorg.domains.vps_domain:
    name: example-new-shop.com
    allow_registration: true
    years: 2
    locked: true
    wait: true
  register: registered

- name: Show what the registration cost
  ansible.builtin.debug:
    msg: "{{ registered.domain.domain_name }} cost {{ registered.registration.total_cost | vpsorg.domains.usd }}"
  when: registered.registration is defined

- name: Register a domain only when it costs at most 40 USD
  vpsorg.domains.vps_domain:
    name: example-new-lab.io
    allow_registration: true
    max_cost: 40

- name: Register an internationalised name (stored as xn--bcher-test-9db.com)
  vpsorg.domains.vps_domain:
    name: bücher-test.com
    allow_registration: true

- name: Stop managing a domain and let it expire
  vpsorg.domains.vps_domain:
    name: example-blog.net
    state: absent
    auto_renew: false

- name: Connection given per task instead of through module_defaults
  vpsorg.domains.vps_domain:
    name: example-labs.io
    privacy_protection: true
    api_token: "{{ vault_vpsorg_api_token }}"
"""

RETURN = r"""
domain:
  description:
    - The domain as read from the account, with any update merged into it (so fields such as
      C(expiration_date) are kept after a change).
    - In check mode, the predicted domain; for a registration C(id) is V(null).
    - V(null) with O(state=absent) when the domain was not in the account.
    - With O(state=absent), the domain as it was when it was removed.
  returned: always
  type: dict
  sample:
    id: 101
    domain_name: example-shop.com
    status: active
    registration_date: "2023-01-15T10:30:00Z"
    expiration_date: "2027-01-15T10:30:00Z"
    auto_renew: true
    locked: true
    privacy_protection: true
    nameservers: [ns1.vps.org, ns2.vps.org]
    dns_managed_by: vps.org
  contains:
    id:
      description: The domain's id in the account; V(null) for a registration in check mode.
      type: int
      returned: always
    domain_name:
      description: The name in canonical form (lower case, punycode).
      type: str
      returned: always
    status:
      description: V(active), V(pending), V(expired) or V(locked).
      type: str
      returned: always
    registration_date:
      description: When the domain was registered.
      type: str
      returned: when known
    expiration_date:
      description: When the registration expires.
      type: str
      returned: when known
    auto_renew:
      description: Whether the domain renews automatically.
      type: bool
      returned: always
    locked:
      description: Whether the transfer lock is on; V(null) for a registration in check mode when not set.
      type: bool
      returned: always
    privacy_protection:
      description: Whether WHOIS privacy is on.
      type: bool
      returned: always
    nameservers:
      description: The nameservers; V(null) for a registration in check mode when not set.
      type: list
      elements: str
      returned: always
registration:
  description:
    - What the registration cost and what the API said about it.
    - In check mode, only its RV(registration.estimated_cost).
  returned: when the domain was registered by this task, or would be in check mode
  type: dict
  contains:
    estimated_cost:
      description:
        - What the registration was estimated to cost in USD (price of the TLD x O(years)); V(null) when the TLD
          has no known price.
      type: float
      sample: 25.98
      version_added: 0.2.0
    total_cost:
      description:
        - The total cost in USD as the API reported it, always a number (the API may send it as a string).
        - Not returned in check mode.
        - V(null) when the registration request got no clear answer and the domain was found in the account
          afterwards.
      type: float
      sample: 25.98
    cost_note:
      description: Set when the API charged more than the estimate by more than a cent, saying both amounts.
      type: str
      returned: when the charge exceeds the estimate
      version_added: 0.3.0
    message:
      description: The API's message about the registration.
      type: str
      sample: Domain registration initiated. Processing may take 5-10 minutes.
failure:
  description: The API error behind a failure.
  returned: when the task failed because of an API error
  type: dict
  contains:
    status:
      description: The HTTP status, V(null) when there was no answer.
      type: int
    method:
      description: The HTTP method of the request.
      type: str
    path:
      description: The request path.
      type: str
    detail:
      description: The API's message.
      type: str
    field_errors:
      description: Errors per request field, as the API returned them.
      type: dict
"""

from ansible_collections.vpsorg.domains.plugins.module_utils._base import (
    create_client,
    create_module,
    run_module,
    settings_argument_spec,
    task_options,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._domain import DomainOperation, domain_request

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["domain_name"]},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "allow_registration": {"type": "bool", "default": False},
    "years": {"type": "int"},
    **settings_argument_spec(),
    "wait": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": 900},
    "max_cost": {"type": "float"},
    "prices": {"type": "dict"},
}


def main() -> None:
    module = create_module(ARGUMENT_SPEC, supports_check_mode=True)

    def task() -> dict:
        request = domain_request(module.params)
        return DomainOperation(create_client(module), request, **task_options(module)).run()

    run_module(module, task)


if __name__ == "__main__":
    main()
