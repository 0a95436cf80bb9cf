# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module vps_domain_info: read the domains of a VPS.org account."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vps_domain_info
short_description: Read the domains of a VPS.org account
version_added: 0.1.0
description:
  - Reads one domain of a VPS.org account in detail, or lists the account's domains, optionally filtered.
  - With O(name), returns that domain's detail object (with C(registrar), C(whois_info),
    C(days_until_expiration) and more). Without it, returns the list objects of every domain that matches the
    filters O(status), O(search) and O(expiring_within_days) (all of them when none is given).
  - Never changes anything.
author:
  - vpsorg.domains maintainers (@vpsorg)
extends_documentation_fragment:
  - vpsorg.domains.connection
attributes:
  check_mode:
    description: Runs in check mode and reads as usual, since it never changes anything.
    support: full
  diff_mode:
    description: Changes nothing, so there is never a diff.
    support: none
options:
  name:
    description:
      - One domain to read in detail, for example V(example.com).
      - Compared in canonical form (lower case, no trailing dot, internationalised names as punycode).
      - When the domain is not in the account, RV(domains) is empty.
      - Mutually exclusive with O(status), O(search) and O(expiring_within_days).
    type: str
  status:
    description:
      - Only domains in this status.
    type: str
    choices: [active, pending, expired, locked]
  search:
    description:
      - Only domains whose name contains this text (case-insensitive), as stored in the account
        (internationalised names are stored as punycode, C(xn--...)).
    type: str
  expiring_within_days:
    description:
      - Only domains whose expiration date falls within this many days from now.
      - Domains that have expired already are not included; use O(status=expired) for them.
    type: int
notes:
  - A list is read completely, following every page the API returns.
seealso:
  - module: vpsorg.domains.vps_domain
  - module: vpsorg.domains.vps_portfolio
"""

EXAMPLES = r"""
- name: Read one domain in detail
  vpsorg.domains.vps_domain_info:
    name: example-shop.com
  register: shop

- name: Show its registrar and when it expires
  ansible.builtin.debug:
    msg: "{{ shop.domains[0].registrar }}, {{ shop.domains[0].days_until_expiration }} days left"
  when: shop.domains | length > 0

- name: List every domain of the account
  vpsorg.domains.vps_domain_info:
  register: everything

- name: Active domains expiring within 30 days
  vpsorg.domains.vps_domain_info:
    status: active
    expiring_within_days: 30
  register: expiring

- name: Warn about domains that will not renew themselves
  ansible.builtin.debug:
    msg: "{{ item.domain_name }} expires on {{ item.expiration_date }} and auto-renew is off"
  loop: "{{ expiring.domains | rejectattr('auto_renew') }}"
  loop_control:
    label: "{{ item.domain_name }}"

- name: Domains whose name contains "shop"
  vpsorg.domains.vps_domain_info:
    search: shop
"""

RETURN = r"""
domains:
  description:
    - The matching domains, sorted by name (then id). Always a list, empty when nothing matches.
    - With O(name), detail objects; otherwise list objects (without the detail-only keys).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 101
      domain_name: example-shop.com
      status: active
      registration_date: "2023-01-15T10:30:00Z"
      expiration_date: "2027-01-15T10:30:00Z"
      auto_renew: true
      locked: true
      nameservers: [ns1.vps.org, ns2.vps.org]
      privacy_protection: true
      dns_managed_by: vps.org
  contains:
    id:
      description: The domain's id in the account.
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
      returned: always
    expiration_date:
      description: When the registration expires.
      type: str
      returned: always
    auto_renew:
      description: Whether the domain renews automatically.
      type: bool
      returned: always
    locked:
      description: Whether the transfer lock is on.
      type: bool
      returned: always
    nameservers:
      description: The nameservers.
      type: list
      elements: str
      returned: always
    privacy_protection:
      description: Whether WHOIS privacy is on.
      type: bool
      returned: always
    dns_managed_by:
      description: Who runs the domain's DNS.
      type: str
      returned: when the API reports it
    registrar:
      description: The current registrar, V(VPS.org) once a domain is with VPS.org.
      type: str
      returned: with name
    days_until_expiration:
      description: Days left until the registration expires.
      type: int
      returned: with name
    whois_info:
      description: The WHOIS record (C(registrant), C(admin_contact), C(tech_contact), C(created_date),
        C(updated_date)).
      type: dict
      returned: with name
    dns_records_count:
      description: How many DNS records the domain has.
      type: int
      returned: with name
    transfer_status:
      description: V(null) when no transfer was ever started, then V(pending), V(completed) or V(failed).
      type: str
      returned: with name, when the API reports it
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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vpsorg.domains.plugins.module_utils._base import (
    create_client,
    create_module,
    fail_from_api_error,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._domain import sort_domains
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue, canonical_name
from ansible_collections.vpsorg.domains.plugins.module_utils._time import expiring_within

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "status": {"type": "str", "choices": ["active", "pending", "expired", "locked"]},
    "search": {"type": "str"},
    "expiring_within_days": {"type": "int"},
}
MUTUALLY_EXCLUSIVE = [["name", "status"], ["name", "search"], ["name", "expiring_within_days"]]


def _check(params: dict) -> None:
    """Validate what the argument spec cannot; InvalidValue names the option."""
    if params["name"] is not None:
        params["name"] = canonical_name(params["name"], option="name")
    if params["search"] is not None and not params["search"].strip():
        raise InvalidValue("search", params["search"], "must not be empty", "a search text")
    days = params["expiring_within_days"]
    if days is not None and days < 0:
        raise InvalidValue("expiring_within_days", days, "must be 0 or more", "a valid number of days")


def _run(module: AnsibleModule) -> list:
    params = module.params
    _check(params)
    client = create_client(module)
    if params["name"] is not None:
        return [client.get_domain(found["id"]) for found in client.find_domains(params["name"])]
    domains = client.list_domains(status=params["status"], search=params["search"])
    if params["expiring_within_days"] is not None:
        domains = expiring_within(domains, params["expiring_within_days"])
    return domains


def main() -> None:
    module = create_module(ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE, supports_check_mode=True)
    try:
        domains = _run(module)
    except InvalidValue as error:
        module.fail_json(msg=str(error))
    except ApiError as error:
        fail_from_api_error(module, error, domains=[])
    else:
        module.exit_json(changed=False, domains=sort_domains(domains))


if __name__ == "__main__":
    main()
