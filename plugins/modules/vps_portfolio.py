# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module vps_portfolio: one settings policy over many domains of a VPS.org account, in one run."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vps_portfolio
short_description: Apply one settings policy to many domains of a VPS.org account
version_added: 0.1.0
description:
  - Keeps the settings (auto-renew, WHOIS privacy, transfer lock, nameservers) of many domains of a VPS.org
    account in line with one policy, and reports drift, missing domains and domains that expire soon.
  - Reads the account once (every page of the domain list); a domain whose list object lacks a setting the
    policy sets (or shows it in a form that cannot be read) has its details read before anything is written.
    Settings are read leniently (booleans as V(true), V("true") or V(1), nameservers as a list or a
    comma-separated string), so a run with nothing to change sends no update. Then it plans every
    domain, and sends one update per drifted domain carrying only the settings that differ. The updates are
    sent from a bounded pool of O(concurrency) requests in flight; when the API rate-limits a request
    (HTTP 429 with C(Retry-After)), the whole pool pauses.
  - One canonical name held by several ids is refused, listed or not - none of the ids is written, the change
    is V(refuse) with its RV(changes[].ids), and RV(findings) reports C(duplicate_name).
  - Registrations go through the collection's one write path, as in M(vpsorg.domains.vps_domain) -
    looked up before any re-send, answers checked, the API's C(total_cost) added up against O(max_spend).
  - Only the settings given are compared; a setting left out (or V(null)) keeps each domain's current value.
    Per-domain overrides in O(domains) win over O(settings).
  - A write that fails for one domain does not stop the others. The task fails at the end when any domain
    failed or a listed domain is missing from the account (unless O(register_missing=true)), and still
    returns the whole report.
  - Names are compared in canonical form (lower case, no trailing dot, internationalised names as punycode).
  - Every option is checked before the first request; an error names the option.
  - Money is estimated with a price table (the published prices, overridable with O(prices)). With
    O(max_spend), a run whose planned registrations may cost more fails before any write, and a registration
    that would pass the budget during the run is not sent.
  - Also returns the renewal forecast of the next 365 days (RV(renewals)), an expiry calendar
    (RV(expiry_calendar)) and the findings of an audit (RV(findings)), all judged from the account as read.
    The forecast covers every domain of the account, also those out of scope or excluded, since the account is
    charged for their renewals all the same.
  - Brings domains in from other registrars (O(transfers)), see RV(transfers) for the states. Nothing is kept
    between runs; every run derives each listed domain's state from the account, so a run stopped at any point
    is resumed by running it again, and a nightly run shows the progress (V(started), then V(pending), then
    V(completed)). A completed transfer gets the settings policy in the run that first sees it completed.
  - Every check of every listed transfer runs before the first transfer request - the domain is in the account
    (exactly once), it is at least 60 days old, its auth code is well formed, it does not expire within 15 days
    (renew it at the current registrar first), its TLD's price is known when O(max_spend) is set, and the sum
    of every estimate (transfers and registrations) is within O(max_spend). A sum over the budget fails the task
    before any write, naming the domains and the sum; a domain failing another check is reported V(refused)
    and nothing is sent for it.
  - Transfer requests go through the collection's one write path - sent at most once per domain, an unclear
    answer looked up (the domain's C(transfer_status)) and never sent again, answers checked, O(concurrency)
    requests in flight, and a 429 pauses them all. The detail of a listed domain is read only when its list
    object cannot tell its transfer state.
  - Auth codes are never shown - not in the result, a warning, an error, a diff, at any verbosity - and are sent
    only to O(api_url).
author:
  - vpsorg.domains maintainers (@vpsorg)
extends_documentation_fragment:
  - vpsorg.domains.connection
attributes:
  check_mode:
    description: Plans and reports what would change, and sends no change.
    support: full
  diff_mode:
    description: Shows, for every domain that changes, the settings before and after; after a real run, only the
      writes that were applied (a failed write is reported in RV(changes) instead).
    support: full
options:
  settings:
    description:
      - The policy applied to every domain in scope.
      - Only the keys below are accepted; a misspelt key fails the task before any request.
      - A key left out or set to V(null) is not managed.
    type: dict
    default: {}
    suboptions:
      auto_renew:
        description: Whether the domains renew automatically.
        type: bool
      locked:
        description: Whether the transfer lock is on.
        type: bool
      privacy_protection:
        description: Whether WHOIS privacy protection is on.
        type: bool
      nameservers:
        description:
          - The nameservers, 2 to 4 hostnames, compared as a set after lower-casing, converting to punycode
            and dropping a trailing dot.
        type: list
        elements: str
  domains:
    description:
      - The domains the policy applies to, each with optional overrides of O(settings).
      - When omitted or V(null), every domain in the account is in scope.
      - An empty list means no domain is in scope (the task then only reads the account).
      - A listed domain that is not in the account is reported as missing and fails the task, unless
        O(register_missing=true).
      - Each name may appear only once (compared in canonical form).
    type: list
    elements: dict
    suboptions:
      name:
        description: The domain name; internationalised names are accepted.
        type: str
        required: true
      auto_renew:
        description: Overrides O(settings.auto_renew) for this domain.
        type: bool
      locked:
        description: Overrides O(settings.locked) for this domain.
        type: bool
      privacy_protection:
        description: Overrides O(settings.privacy_protection) for this domain.
        type: bool
      nameservers:
        description: Overrides O(settings.nameservers) for this domain (2 to 4 hostnames).
        type: list
        elements: str
  exclude:
    description:
      - Domains to leave alone, as names or shell-style patterns such as V(*.io) or V(legacy-*).
      - Patterns are matched against the canonical (punycode) form of the names.
      - An excluded domain is never changed, even when it is listed in O(domains) (then with a warning), and
        is not reported as expiring.
    type: list
    elements: str
    default: []
  statuses:
    description:
      - Only domains with one of these statuses are compared and changed. Domains in other states are
        reported in RV(skipped_domains) and never changed.
    type: list
    elements: str
    choices: [active, pending, expired, locked]
    default: [active]
  register_missing:
    description:
      - What to do with domains listed in O(domains) that are not in the account.
      - V(true) registers them with their settings (registration costs money; the registration request is
        sent at most once per domain and run). The transfer lock is set by an update after the registration.
      - When the answer to a registration is unclear (a timeout, a dropped connection, a server error), the
        name is looked up in the account for a grace period (twice O(api_timeout), at least 10 and at most
        120 seconds) instead of sending the request again.
      - V(false) reports them in RV(missing) and fails the task after the other domains were handled.
    type: bool
    default: false
  max_changes:
    description:
      - The most domains one run may change (updates, registrations and transfers together).
      - When more would change, the task fails before the first write and names the domains.
      - Not set means no limit.
    type: int
  max_spend:
    description:
      - The most this run may spend on registrations and transfers, in USD. Not set means no limit.
      - The transfers of O(transfers) count with the registrations - every transfer to start is estimated (price
        of its TLD x 1 year); a transfer whose TLD has no known price is reported V(refused), and a sum over the
        budget fails the task before any write. The transfers are then sent with O(concurrency).
      - Before the first write the estimates (price of the TLD x 1 year) of every planned registration are
        summed; when the sum is over O(max_spend), or a planned registration's TLD has no known price, the task
        fails before any request that writes (updates included), naming the domains and the sum. A budget equal
        to the estimate passes.
      - During the run the registrations are sent one at a time, in name order, and each only when what the
        API charged so far (its C(total_cost)) plus its estimate stays within the budget; a registration that
        would pass it is not sent and is reported failed.
    type: float
    version_added: 0.2.0
  prices:
    description:
      - Prices in USD per year by TLD, merged over the published price table of the collection, for the
        estimates, O(max_spend) and the renewal forecast.
      - Keys are TLDs with or without the leading dot (V(com), V(.shop)); values are numbers or numeric strings.
      - What the API charges stays the truth; the table only estimates.
    type: dict
    version_added: 0.2.0
  transfers:
    description:
      - Domains to bring in from other registrars, each with the auth (EPP) code of its current registrar.
      - The domain must be in the account already (added in the VPS.org panel); one that is not is reported
        V(missing) and fails the task at the end.
      - Listed domains are in scope whatever O(domains) says. While a transfer is not V(completed), the domain
        is left alone (a transfer lock set now would stop its transfer) and reported in RV(skipped_domains).
      - The transfer request carries O(settings.auto_renew) (or the domain's override) when it is set, else
        V(true).
      - Each name may appear only once (compared in canonical form); the keys are checked strictly.
      - A code that is not 6 to 255 printable ASCII characters without spaces is reported V(refused); the error
        never shows the code.
    type: list
    elements: dict
    default: []
    version_added: 0.3.0
    suboptions:
      name:
        description: The domain name; internationalised names are accepted.
        type: str
        required: true
      auth_code:
        description:
          - The auth (EPP) code from the current registrar. Never shown.
          - Needed for every entry; a missing one fails the task before any request, naming the entry.
        type: str
      override_attempt:
        description:
          - The failed attempt O(restart_failed_transfers) is decided for, as the V(failed) state's
            RV(transfers[].detail) quotes it (the attempt's C(transfer_initiated_at)).
          - Without it a failed transfer is not restarted; when the API shows another attempt than this one (a
            restarted transfer failed again), nothing is paid and the domain is reported V(failed) until a
            person sets the new value.
        type: str
  restart_failed_transfers:
    description:
      - Start a new transfer (charged again) for a listed domain whose last transfer failed.
      - "Overrides are one-time: the restart applies to the one attempt a person decided about, named by the
        entry's O(transfers[].override_attempt). A transfer restarted by this option and failed again changes
        that value, so a repeated run of the unchanged task reports V(failed) instead of paying again."
    type: bool
    default: false
    version_added: 0.3.0
  concurrency:
    description: How many requests are in flight at once while changes are applied, 1 to 32.
    type: int
    default: 4
  expiry_warning_days:
    description:
      - Domains in scope that expire within this many days (or have expired) are listed in RV(expiring).
    type: int
    default: 30
notes:
  - The account is read with the list endpoint only; fields that only the detail carries (registrar, WHOIS)
    are not used. So C(pending_transfer_stuck) is found only for domains whose list object carries
    C(transfer_status) and C(transfer_initiated_at), and for the domains of O(transfers) (whose detail is read
    when the list object cannot tell their transfer state); no other detail is read to find it.
  - Findings and the renewal forecast judge every domain in scope that is not excluded, whatever its status,
    as this run left it (in check mode, as it is).
  - A registration that succeeded when the update setting the transfer lock afterwards failed counts as both
    changed and failed.
  - The role C(vpsorg.domains.portfolio) runs this module once on the controller, validates its variables
    strictly, prints a readable report and publishes it for AWX workflows.
seealso:
  - module: vpsorg.domains.vps_domain
  - module: vpsorg.domains.vps_domain_info
"""

EXAMPLES = r"""
- name: Every active domain renews itself, is locked and has WHOIS privacy
  vpsorg.domains.vps_portfolio:
    settings:
      auto_renew: true
      locked: true
      privacy_protection: true
  register: portfolio

- name: Show the counts
  ansible.builtin.debug:
    var: portfolio.summary

- name: Audit only, nothing is changed
  vpsorg.domains.vps_portfolio:
    settings:
      nameservers: [ns1.vps.org, ns2.vps.org]
    exclude:
      - "*.io"
      - legacy-shop.com
  check_mode: true
  diff: true

- name: Register the missing domains, but spend at most 100 USD (a .shop priced by hand)
  vpsorg.domains.vps_portfolio:
    settings:
      auto_renew: true
    domains:
      - name: example-new-shop.com
      - name: example-new-shop.shop
    register_missing: true
    max_spend: 100
    prices:
      shop: 29.99
  register: bought

- name: Bring three domains in from other registrars (codes from a vault file), locked and renewing
  vpsorg.domains.vps_portfolio:
    settings:
      auto_renew: true
      locked: true
    domains: []
    transfers:
      - name: example-moving.com
        auth_code: "{{ vault_transfer_codes['example-moving.com'] }}"
      - name: example-moving.net
        auth_code: "{{ vault_transfer_codes['example-moving.net'] }}"
      - name: example-moving.org
        auth_code: "{{ vault_transfer_codes['example-moving.org'] }}"
    max_spend: 60
  register: moved

- name: Restart one failed transfer, for the attempt its detail quoted (charged again)
  vpsorg.domains.vps_portfolio:
    domains: []
    transfers:
      - name: example-moving.net
        auth_code: "{{ vault_new_code }}"
        override_attempt: "2026-01-16T16:30:00Z"
    restart_failed_transfers: true

- name: What the renewals of the next 365 days will cost
  ansible.builtin.debug:
    msg: "{{ bought.summary.renewal_cost_365d | vpsorg.domains.usd }}"

- name: A listed set of domains, one with its own nameservers; register the ones missing
  vpsorg.domains.vps_portfolio:
    settings:
      auto_renew: true
      nameservers: [ns1.vps.org, ns2.vps.org]
    domains:
      - name: example-shop.com
      - name: example-blog.net
        nameservers: [ns1.example-dns.net, ns2.example-dns.net]
      - name: example-new-shop.com
    register_missing: true
    max_changes: 10
"""

RETURN = r"""
summary:
  description: Counts of the run. In check mode, RV(summary.changed) counts the domains that would change.
  returned: always
  type: dict
  sample:
    checked: 3
    drifted: 1
    changed: 1
    failed: 0
    missing: 0
    skipped: 1
    expiring: 1
    estimated_spend: 12.99
    spent: 12.99
    renewal_cost_30d: 14.99
    renewal_cost_365d: 68.97
    transfers: {missing: 0, completed: 1, pending: 2, failed: 0, started: 3, would_start: 0, refused: 1}
  contains:
    checked:
      description: Domains compared with the policy (in scope, not excluded, with a status in O(statuses)).
      type: int
    drifted:
      description: Domains of the account whose settings differ from the policy.
      type: int
    changed:
      description: Domains updated, registered or whose transfer was started.
      type: int
    failed:
      description: Domains whose write failed, or whose name matches several domains of the account.
      type: int
    missing:
      description: Listed domains that are not in the account (registered when O(register_missing=true)).
      type: int
    skipped:
      description: Domains in scope left alone because they are excluded or have another status.
      type: int
    expiring:
      description: Domains in RV(expiring).
      type: int
    estimated_spend:
      description:
        - The estimated cost in USD of the registrations and transfers planned (in check mode) or planned and
          attempted, from the price table; registrations whose TLD has no known price are left out (with a
          warning).
      type: float
      version_added: 0.2.0
    spent:
      description:
        - What this run was charged in USD, the sum of the C(total_cost) the API reported for each registration
          and transfer started (its estimate where the API's answer did not say). V(0) in check mode.
      type: float
      version_added: 0.2.0
    renewal_cost_30d:
      description: The estimated cost in USD of renewing the domains with auto-renew on that expire within 30
        days (or have expired), every domain of the account included, whatever O(domains) and O(exclude).
      type: float
      version_added: 0.2.0
    renewal_cost_365d:
      description:
        - The same for 365 days, today (UTC) included and the 365th day included.
        - Always the sum of the RV(renewals) months' C(estimated_cost).
      type: float
      version_added: 0.2.0
    transfers:
      description: How many listed transfers are in each state of RV(transfers[].state) (every state present).
      type: dict
      version_added: 0.3.0
changes:
  description:
    - One entry per domain that drifted, was (or would be) registered, or could not be planned, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The domain name in canonical form.
      type: str
    id:
      description: The domain's id; V(null) for a registration not (yet) done.
      type: int
    action:
      description:
        - V(update), V(register), V(transfer) (a transfer of O(transfers) started), or V(refuse) for a name several
          ids hold (none of them is written; see
          RV(changes[].error) and RV(changes[].ids)).
      type: str
    ids:
      description: For V(refuse), the ids that hold the name, each once, lowest first.
      type: list
      elements: raw
      returned: when several ids hold the name
      version_added: 0.3.0
    before:
      description: The value of each changed setting before the change.
      type: dict
      sample: {locked: false}
    after:
      description: The value of each changed setting after the change (for a registration, its settings).
      type: dict
      sample: {locked: true}
    error:
      description: Why the change failed; V(null) when it did not.
      type: str
    failure:
      description: The API error behind RV(changes[].error), with C(status), C(method), C(path), C(detail) and
        C(field_errors).
      type: dict
      returned: when an API request failed
    registration:
      description:
        - The cost (C(total_cost), a number even when the API sends a string) and the API's C(message) of a
          registration.
      type: dict
      returned: when the domain was registered
    estimated_cost:
      description: What the registration or transfer is estimated to cost in USD (1 year); V(null) when the TLD
        has no known price.
      type: float
      returned: for a registration or a transfer
      version_added: 0.2.0
expiring:
  description: Domains in scope that expire within O(expiry_warning_days) days or have expired, soonest first.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The domain name.
      type: str
    id:
      description: The domain's id.
      type: int
    expiration_date:
      description: When the registration expires, as the API gives it.
      type: str
    days_left:
      description: Whole days until it expires (negative when it has expired).
      type: int
    auto_renew:
      description: Whether it renews itself, after the changes of this run (in check mode, as it is now).
      type: bool
    status:
      description: The domain's status.
      type: str
skipped_domains:
  description: Domains in scope that were left alone, with the reason (V(excluded) or V(status <status>)).
  returned: always
  type: list
  elements: dict
  sample: [{name: transfer-me.org, id: 104, status: active, reason: excluded}]
missing:
  description: Listed domains that are not in the account.
  returned: always
  type: list
  elements: str
errors:
  description: One line per problem that fails the task (failed writes, ambiguous names, missing domains).
  returned: always
  type: list
  elements: str
findings:
  description:
    - The findings of an audit of the domains in scope (not excluded, any status), as this run left them,
      sorted by name.
    - C(expired) (the expiration date has passed, whatever the status), C(expiring_without_auto_renew) (within
      O(expiry_warning_days), auto-renew off), C(unlocked) (not for a domain listed in O(transfers) whose transfer
      has not completed, as its lock must stay off until then), C(privacy_off), C(pending_transfer_stuck) (a transfer
      pending for more than 14 days), C(expiry_unknown) (the expiration date cannot be read; a warning names the
      domain), C(duplicate_name) (several ids hold the name; none of them was written; the finding has C(ids)).
  returned: always
  type: list
  elements: dict
  version_added: 0.2.0
  sample: [{name: example-blog.net, condition: unlocked, detail: the transfer lock is off}]
  contains:
    name:
      description: The domain name.
      type: str
    condition:
      description: What was found.
      type: str
      choices:
        - expired
        - expiring_without_auto_renew
        - unlocked
        - privacy_off
        - pending_transfer_stuck
        - expiry_unknown
        - duplicate_name
    detail:
      description: The finding in words, with the dates it is based on.
      type: str
renewals:
  description:
    - The renewal forecast of the next 365 days, one entry per calendar month those days touch (UTC), the current
      month first and the month of the 365th day last (13 months, 12 when the 365th day is in the current month
      of next year), also when none is due.
    - A domain with auto-renew on is due in the month of its expiration date; one whose date has passed is due
      in the current month. A domain that expires more than 365 days ahead is in no month, so the months add up
      to RV(summary.renewal_cost_365d).
    - It covers every domain of the account, also those out of scope or excluded.
  returned: always
  type: list
  elements: dict
  version_added: 0.2.0
  sample: [{month: "2027-01", domains: [example-blog.net], estimated_cost: 14.99}]
  contains:
    month:
      description: The month, C(YYYY-MM).
      type: str
    domains:
      description: The domains with auto-renew on due that month, sorted.
      type: list
      elements: str
    estimated_cost:
      description: What renewing them for a year is estimated to cost in USD (unknown prices left out).
      type: float
expiry_calendar:
  description:
    - The domains due in each month of RV(renewals) (the next 365 days), split by auto-renew, the data of the
      HTML report's chart (see the filter P(vpsorg.domains.portfolio_report_html#filter)).
  returned: always
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    month:
      description: The month, C(YYYY-MM).
      type: str
    auto_renew:
      description: The domains due that month with auto-renew on.
      type: list
      elements: str
    no_auto_renew:
      description: The domains due that month with auto-renew off.
      type: list
      elements: str
transfers:
  description:
    - One entry per domain of O(transfers), sorted by name, in the state the account shows now.
    - V(missing) - not in the account; nothing is done and the task fails at the end (add it in the VPS.org
      panel).
    - V(completed) - its registrar is VPS.org or its C(transfer_status) is V(completed); the settings policy is
      applied to it in this run.
    - V(pending) - a transfer is under way; RV(transfers[].days_pending) counts the days since it started, and
      more than 14 gives the finding C(pending_transfer_stuck).
    - V(failed) - the last transfer failed; RV(transfers[].detail) gives the reason. Restarted only under
      O(restart_failed_transfers).
    - V(started) - no transfer was under way and every check passed; one transfer request was sent (in check
      mode V(would_start), nothing sent).
    - V(refused) - a check failed (or the API refused the request); nothing is charged and
      RV(transfers[].detail) names the check (C(60-day rule), C(auth code), C(expiry), C(price), C(transfer
      state)).
  returned: always
  type: list
  elements: dict
  version_added: 0.3.0
  sample:
    - name: example-moving.com
      id: 131
      state: started
      detail: a transfer of example-moving.com to VPS.org was started
      initiated_at: "2026-01-16T16:30:00Z"
      estimated_completion: "2026-01-23T16:30:00Z"
      days_pending: 0
      estimated_cost: 12.99
      cost: 12.99
  contains:
    name:
      description: The domain name in canonical form.
      type: str
    id:
      description: The domain's id; V(null) when it is V(missing).
      type: raw
    state:
      description: The state, as above.
      type: str
      choices: [missing, completed, pending, failed, started, would_start, refused]
    detail:
      description: The state in words, with the reason of a failure or the check that refused.
      type: str
    initiated_at:
      description: When the transfer was started, as the API gives it; V(null) when none is known.
      type: str
    estimated_completion:
      description: When the API expects the transfer to complete; V(null) when none is known.
      type: str
    days_pending:
      description: Calendar days since the transfer started (UTC), for V(pending) and V(started).
      type: int
    estimated_cost:
      description: The transfer's estimated cost in USD (1 year at the TLD's price), for a transfer to start.
      type: float
    cost:
      description: What the transfer request was charged (the API's C(total_cost), else the estimate); V(null)
        when none was sent.
      type: float
failure:
  description: The API error when reading the account failed.
  returned: when reading the account failed
  type: dict
"""

from ansible_collections.vpsorg.domains.plugins.module_utils._base import (
    create_client,
    create_module,
    run_module,
    settings_argument_spec,
    task_options,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._portfolio import (
    STATUSES,
    PortfolioOperation,
    portfolio_request,
)

ARGUMENT_SPEC = {
    "settings": {"type": "dict", "default": {}, "options": settings_argument_spec()},
    "domains": {
        "type": "list",
        "elements": "dict",
        "options": {"name": {"type": "str", "required": True}, **settings_argument_spec()},
    },
    "exclude": {"type": "list", "elements": "str", "default": []},
    "statuses": {"type": "list", "elements": "str", "default": ["active"], "choices": list(STATUSES)},
    "register_missing": {"type": "bool", "default": False},
    "max_changes": {"type": "int"},
    "max_spend": {"type": "float"},
    "prices": {"type": "dict"},
    "transfers": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "name": {"type": "str", "required": True},
            "auth_code": {"type": "str", "no_log": True},
            "override_attempt": {"type": "str"},
        },
    },
    "restart_failed_transfers": {"type": "bool", "default": False},
    "concurrency": {"type": "int", "default": 4},
    "expiry_warning_days": {"type": "int", "default": 30},
}


def main() -> None:
    module = create_module(ARGUMENT_SPEC, supports_check_mode=True)

    def task() -> dict:
        request = portfolio_request(module.params)
        # One connection per worker, so the pool never waits for a free connection.
        client = create_client(module, pool_size=request.concurrency)
        return PortfolioOperation(client, request, **task_options(module)).run()

    # One auth code per listed transfer: masked in one pass at the end rather than by AnsibleModule's pass per code.
    run_module(module, task, bulk_secrets=[entry["auth_code"] for entry in module.params["transfers"] or ()])


if __name__ == "__main__":
    main()
