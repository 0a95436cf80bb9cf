# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory plugin vpsorg.domains.domains: the domains of a VPS.org account as inventory hosts."""
# ruff: noqa: E402 - ansible-test wants the documentation before the imports, as in a module

from __future__ import annotations

DOCUMENTATION = r"""
---
name: domains
short_description: The domains of a VPS.org account as an inventory
version_added: 0.2.0
description:
  - An inventory source whose hosts are the domains of a VPS.org account, named by their canonical name (lower
    case, internationalised names as punycode, C(xn--...)), for targeting domains in plays, AWX smart inventories
    and job slicing.
  - Reads the account with the collection's API client (every page, retries as for the modules) and never
    changes anything.
  - Uses a YAML configuration file whose name ends in C(vps_domains.yml) or C(vps_domains.yaml).
  - "Every host gets the host variables C(vps_id), C(vps_status), C(vps_registration_date),
    C(vps_expiration_date), C(vps_days_left), C(vps_auto_renew), C(vps_locked), C(vps_privacy_protection),
    C(vps_nameservers), C(vps_dns_managed_by), C(vps_tld) and C(vps_unicode_name)."
  - C(vps_days_left) is the number of calendar days (UTC) from today to the expiration date, as a person counts
    them (0 on the expiration day, negative once it has passed); it is computed whenever the inventory is read,
    also from a cached account. It is null for a domain that never expires (an out-of-range date such as
    C(9999-12-31)) and for one whose expiration date cannot be read; the latter are named in a warning.
  - "Default groups: C(vps_status_<status>) (for example C(vps_status_active)), C(vps_tld_<tld>) (the top-level
    domain in punycode, characters other than letters, digits and C(_) replaced by C(_), for example
    C(vps_tld_com), C(vps_tld_xn__p1ai)) and C(vps_expiring): the domains that expire within
    O(expiry_warning_days) days or have expired already."
  - "The hosts are domains, not machines to log in to: every host gets C(ansible_connection: local), so a play
    that targets them (fact gathering included) runs its tasks on the controller and never opens a connection to
    the domain's name. To connect otherwise, set C(ansible_connection) through O(compose), which wins over this
    default."
author:
  - vpsorg.domains maintainers (@vpsorg)
extends_documentation_fragment:
  - vpsorg.domains.inventory_connection
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; marks the file as a P(vpsorg.domains.domains#inventory) configuration.
    required: true
    type: str
    choices: [vpsorg.domains.domains]
  statuses:
    description:
      - Only domains in these statuses become hosts.
    type: list
    elements: str
    choices: [active, pending, expired, locked]
    default: [active, pending, expired, locked]
  search:
    description:
      - Only domains whose name contains this text (case-insensitive), as stored in the account
        (internationalised names are stored as punycode, C(xn--...)). Filtered by the API.
    type: str
  expiry_warning_days:
    description:
      - Domains that expire within this many days, or have expired already, are in the group C(vps_expiring).
    type: int
    default: 30
notes:
  - The API token is used to read the account only; it is not a host variable and is not written to the cache.
  - With O(cache=true), the account is read from the cache while it is fresh (see O(cache_timeout)); run
    C(ansible-inventory --flush-cache) to read it again.
  - A name held by several domains of the account becomes one host (the domain with the lowest id), with a warning.
seealso:
  - module: vpsorg.domains.vps_domain_info
  - ref: ansible_collections.vpsorg.domains.docsite.guide_awx
    description: The inventory as an AWX inventory source, and sliced jobs over the domains.
"""

EXAMPLES = r"""
# Each example is a file of its own; the second, third and fourth are shown commented out.

# my.vps_domains.yml: every domain of the account; the token comes from VPSORG_API_TOKEN.
plugin: vpsorg.domains.domains

# prod.vps_domains.yml: active .com and .net domains, with extra groups and variables.
# plugin: vpsorg.domains.domains
# statuses: [active]
# compose:
#   renews_itself: vps_auto_renew
# groups:
#   unprotected: not vps_locked or not vps_privacy_protection
#   expiring_without_renewal: vps_days_left < 60 and not vps_auto_renew
# keyed_groups:
#   - key: vps_dns_managed_by
#     prefix: dns
#   - key: vps_nameservers
#     prefix: ns

# cached.vps_domains.yml: read the account at most once an hour.
# plugin: vpsorg.domains.domains
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: ~/.cache/vpsorg-domains-inventory
# cache_timeout: 3600

# sandbox.vps_domains.yml: a local sandbox instead of the real API.
# plugin: vpsorg.domains.domains
# api_url: http://127.0.0.1:8080/api/v1
# api_token: sandbox-demo-token
"""

import os
from typing import Any, Dict, List, Tuple

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible_collections.vpsorg.domains.plugins.module_utils._client import HAS_REQUESTS, ApiClient, ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._info import list_account
from ansible_collections.vpsorg.domains.plugins.module_utils._inventory import (
    CACHED_FIELDS,
    STATUSES,
    default_groups,
    host_vars,
    hosts_of,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._names import HAS_IDNA
from ansible_collections.vpsorg.domains.plugins.module_utils._time import utc_now


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """The domains of a VPS.org account as inventory hosts."""

    NAME = "vpsorg.domains.domains"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(("vps_domains.yml", "vps_domains.yaml"))

    def _client(self) -> ApiClient:
        if not HAS_REQUESTS:
            raise AnsibleError(f"{self.NAME}: the Python library requests is required; install it on the controller")
        if not HAS_IDNA:
            raise AnsibleError(f"{self.NAME}: the Python library idna is required; install it on the controller")
        token = self.get_option("api_token")
        if isinstance(token, str) and self.templar.is_template(token):
            token = self.templar.template(token)
        try:
            return ApiClient(
                api_token=token,
                api_url=self.get_option("api_url"),
                validate_certs=self.get_option("validate_certs"),
                ca_path=self.get_option("ca_path"),
                timeout=self.get_option("api_timeout"),
            )
        except (ValueError, RuntimeError) as error:
            raise AnsibleParserError(f"{self.NAME}: {to_native(error)}") from None

    def _query(self, statuses: Tuple[str, ...]) -> Dict[str, Any]:
        """What is asked of the API: one status is filtered there; several (or all) are one read of every domain."""
        return {
            "api_url": self.get_option("api_url"),
            "status": statuses[0] if len(statuses) == 1 else None,
            "search": self.get_option("search"),
        }

    def _read_account(self, query: Dict[str, Any]) -> List[Dict[str, Any]]:
        ca_path = self.get_option("ca_path")
        if ca_path and not os.path.exists(ca_path):
            raise AnsibleParserError(f"{self.NAME}: ca_path: {ca_path!r} does not exist")
        client = self._client()
        try:
            with client:
                account = list_account(client, status=query["status"], search=query["search"])
        except ApiError as error:
            raise AnsibleError(f"{self.NAME}: {to_native(error)}") from None
        finally:
            # What the client noticed without failing (next links re-based behind a proxy), shown once, here.
            for warning in client.warnings:
                self.display.warning(f"{self.NAME}: {warning}")
        return [{field: domain.get(field) for field in CACHED_FIELDS if field in domain} for domain in account]

    def _check_options(self) -> Tuple[str, ...]:
        statuses = self.get_option("statuses")
        if not statuses:
            raise AnsibleParserError(f"{self.NAME}: statuses: must list at least one of {', '.join(STATUSES)}")
        unknown = [status for status in statuses if status not in STATUSES]
        if unknown:
            raise AnsibleParserError(
                f"{self.NAME}: statuses: {', '.join(map(str, unknown))} is not one of {', '.join(STATUSES)}"
            )
        search = self.get_option("search")
        if search is not None and not str(search).strip():
            raise AnsibleParserError(f"{self.NAME}: search: must not be empty")
        days = self.get_option("expiry_warning_days")
        if days is None or days < 0:
            raise AnsibleParserError(f"{self.NAME}: expiry_warning_days: must be 0 or more, got {days!r}")
        return tuple(statuses)

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        statuses = self._check_options()

        # `cache` is false for --flush-cache and meta: refresh_inventory; the cache option is the user's choice.
        use_cache = bool(self.get_option("cache"))
        cache_key = self.get_cache_key(path)
        query = self._query(statuses)
        account = None
        if use_cache and cache:
            try:
                cached = self._cache[cache_key]
            except KeyError:
                cached = None
            # An entry written for other filters or another API is not this inventory's account.
            if isinstance(cached, dict) and cached.get("query") == query and isinstance(cached.get("domains"), list):
                account = cached["domains"]
        if account is None:
            account = self._read_account(query)
            if use_cache:
                self._cache[cache_key] = {"query": query, "domains": account}
        self._populate(account, statuses)

    def _populate(self, account: List[Dict[str, Any]], statuses: Tuple[str, ...]) -> None:
        now = utc_now()
        strict = self.get_option("strict")
        days = self.get_option("expiry_warning_days")
        hosts, warnings = hosts_of(account, statuses)
        for warning in warnings:
            self.display.warning(f"{self.NAME}: {warning}")
        for name, domain in hosts:
            self.inventory.add_host(name)
            # A host is a domain, not a machine: without this, a play over the inventory would SSH to the domain's
            # web server. Set before compose, so that compose can override it.
            self.inventory.set_variable(name, "ansible_connection", "local")
            for key, value in host_vars(name, domain, now).items():
                self.inventory.set_variable(name, key, value)
            for group in default_groups(name, domain, days, now):
                self.inventory.add_group(group)
                self.inventory.add_child(group, name)
            self._set_composite_vars(
                self.get_option("compose"), self.inventory.get_host(name).get_vars(), name, strict=strict
            )
            # With no variables given, the host's own (the composed ones included) are what the conditions see.
            self._add_host_to_composed_groups(self.get_option("groups"), {}, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), {}, name, strict=strict)
