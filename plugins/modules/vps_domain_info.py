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
  - With O(as_policy=true), also returns RV(policy), the smallest portfolio policy the account already follows,
    ready to be used as C(portfolio_settings) and C(portfolio_domains) of the C(vpsorg.domains.portfolio) role,
    or as O(vpsorg.domains.vps_portfolio#module:settings) and O(vpsorg.domains.vps_portfolio#module:domains).
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
      - Mutually exclusive with O(status), O(search), O(expiring_within_days) and O(as_policy).
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
      - Only domains whose expiration date falls within this many days from now, B(and every domain whose
        expiration date has passed already), whatever its status. Expired domains are the most urgent, since
        registrars keep them through grace and redemption periods.
      - Each returned domain then has C(days_left), the calendar days (UTC) from today to its expiration date, as a
        person counts them (whatever the time of day of either); V(0) on the expiration day, negative once it has
        passed (V(-1) on the first day after).
      - V(0) returns the domains that expire today or have expired.
      - A domain whose expiration date cannot be read (null, or a format such as C(06/01/2026)) is not returned,
        and a warning names it; an out-of-range date such as C(9999-12-31) means it never expires.
    type: int
  as_policy:
    description:
      - Also return RV(policy), the smallest policy the account already follows, built from every domain of the
        account, whatever its status.
      - RV(policy.settings) holds, per setting, the value most domains have. A tie goes to the more protective value
        (auto-renew on, locked, privacy on); a tie between nameserver sets goes to the set that sorts first, so
        the same account always gives the same policy.
      - RV(policy.domains) lists every domain by canonical name, sorted, with a setting only where the domain differs
        from RV(policy.settings) (nameservers compared as sets).
      - Pending, expired and locked domains are listed too, with their own exceptions, so a portfolio run that
        skips them (the default C(statuses) is V([active])) does not report them missing, and a run that includes
        them changes nothing either.
      - A setting that some domain has no usable value for (for example a single nameserver, which no policy can
        state) is left out of RV(policy.settings) and kept per domain for the others; a warning names the domains.
      - A name that several domains of the account share is listed once, with a warning.
      - Cannot be combined with O(name), O(status), O(search) or O(expiring_within_days), since a policy of part
        of the account would report the rest missing.
    type: bool
    default: false
    version_added: 0.2.0
notes:
  - A list is read completely, following every page the API returns.
  - C(playbooks/export_policy.yml) writes RV(policy) to a YAML vars file ready to commit; see the guide
    R(Adopting an existing account, ansible_collections.vpsorg.domains.docsite.guide_adopting).
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

- name: The policy the account already follows
  vpsorg.domains.vps_domain_info:
    as_policy: true
  register: adopted

- name: Keep the account there from now on
  ansible.builtin.include_role:
    name: vpsorg.domains.portfolio
  vars:
    portfolio_settings: "{{ adopted.policy.settings }}"
    portfolio_domains: "{{ adopted.policy.domains }}"
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
    days_left:
      description:
        - Calendar days (UTC) from today to the expiration date, as a person counts them; V(0) on the expiration
          day, negative once it has passed. Null when the domain never expires (an out-of-range date such as
          C(9999-12-31)) or its expiration date cannot be read. The same rule judges expiry everywhere in the
          collection.
      type: int
      returned: with name or expiring_within_days
      version_added: 0.2.0
policy:
  description:
    - The smallest policy the account already follows; applied to the account, it changes nothing.
    - Use RV(policy.settings) as C(portfolio_settings) and RV(policy.domains) as C(portfolio_domains).
  returned: with as_policy
  type: dict
  version_added: 0.2.0
  sample:
    settings:
      auto_renew: true
      locked: true
      privacy_protection: true
      nameservers: [ns1.vps.org, ns2.vps.org]
    domains:
      - name: example-blog.net
        auto_renew: false
      - name: example-shop.com
      - name: xn--mnchen-3ya.de
        nameservers: [ns1.example.net, ns2.example.net]
  contains:
    settings:
      description:
        - Per setting (C(auto_renew), C(locked), C(privacy_protection), C(nameservers)), the value most domains
          have. A setting that some domain has no usable value for is left out.
      type: dict
      returned: always
    domains:
      description:
        - Every domain of the account, sorted by canonical name, as C(name) plus the settings where it differs
          from RV(policy.settings).
      type: list
      elements: dict
      returned: always
policy_source:
  description: Where and when the policy was read, for the header of an exported file.
  returned: with as_policy
  type: dict
  version_added: 0.2.0
  sample:
    api_url: https://admin.vps.org/api/v1
    read_at: "2026-12-02T15:30:00Z"
    domains: 4
  contains:
    api_url:
      description: The API URL of the account.
      type: str
      returned: always
    read_at:
      description: When the account was read (UTC).
      type: str
      returned: always
    domains:
      description: How many domains the account holds.
      type: int
      returned: always
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

from ansible_collections.vpsorg.domains.plugins.module_utils._base import create_client, create_module, run_module
from ansible_collections.vpsorg.domains.plugins.module_utils._info import check_info_request, read_info

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "status": {"type": "str", "choices": ["active", "pending", "expired", "locked"]},
    "search": {"type": "str"},
    "expiring_within_days": {"type": "int"},
    "as_policy": {"type": "bool", "default": False},
}
MUTUALLY_EXCLUSIVE = [["name", "status"], ["name", "search"], ["name", "expiring_within_days"]]


def main() -> None:
    module = create_module(ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE, supports_check_mode=True)

    def task() -> dict:
        request = check_info_request(module.params)  # before the client: bad input sends nothing
        return read_info(create_client(module), request)

    run_module(module, task)


if __name__ == "__main__":
    main()
