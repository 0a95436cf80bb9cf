# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the account's domains as inventory hosts, variables and groups; no HTTP, no Ansible.

The inventory plugin is the only user; the mapping lives here so it is tested without the controller loaded.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils._money import tld_of
from ansible_collections.vpsorg.domains.plugins.module_utils._names import account_name, display_name
from ansible_collections.vpsorg.domains.plugins.module_utils._time import (
    days_left,
    expires_within,
    expiry_unknown,
    unknown_expiry_warning,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import by_id, several_matches

STATUSES = ("active", "pending", "expired", "locked")
# The fields of a list item that the cache keeps: what the host variables are made of, nothing else.
CACHED_FIELDS = (
    "id",
    "domain_name",
    "status",
    "registration_date",
    "expiration_date",
    "auto_renew",
    "locked",
    "privacy_protection",
    "nameservers",
    "dns_managed_by",
)
_UNSAFE_GROUP_CHARS = re.compile(r"[^A-Za-z0-9_]")


def group_part(value: Any) -> str:
    """A value as part of a group name: characters other than letters, digits and _ become _."""
    return _UNSAFE_GROUP_CHARS.sub("_", str(value).lower())


def host_vars(name: str, domain: Mapping[str, Any], now: Optional[datetime] = None) -> Dict[str, Any]:
    """The vps_* host variables of a domain read from the account."""
    return {
        "vps_id": domain.get("id"),
        "vps_status": domain.get("status"),
        "vps_registration_date": domain.get("registration_date"),
        "vps_expiration_date": domain.get("expiration_date"),
        "vps_days_left": days_left(domain.get("expiration_date"), now),
        "vps_auto_renew": domain.get("auto_renew"),
        "vps_locked": domain.get("locked"),
        "vps_privacy_protection": domain.get("privacy_protection"),
        "vps_nameservers": list(domain.get("nameservers") or []),
        "vps_dns_managed_by": domain.get("dns_managed_by"),
        "vps_tld": tld_of(name),
        "vps_unicode_name": display_name(name),
    }


def default_groups(
    name: str, domain: Mapping[str, Any], expiry_warning_days: int, now: Optional[datetime] = None
) -> List[str]:
    """The groups every domain is put in: its status, its TLD, and vps_expiring when it expires soon or has."""
    groups = [f"vps_status_{group_part(domain.get('status') or 'unknown')}", f"vps_tld_{group_part(tld_of(name))}"]
    if expires_within(domain.get("expiration_date"), expiry_warning_days, now):
        groups.append("vps_expiring")
    return groups


def hosts_of(
    account: List[Mapping[str, Any]], statuses: Tuple[str, ...]
) -> Tuple[List[Tuple[str, Mapping[str, Any]]], List[str]]:
    """(canonical name, domain) per host, sorted; and warnings for names that several domains share and for
    expiration dates that cannot be read."""
    by_name: Dict[str, List[Mapping[str, Any]]] = {}
    for domain in account:
        if domain.get("status") in statuses:
            by_name.setdefault(account_name(dict(domain)), []).append(domain)
    hosts, warnings = [], []
    for name in sorted(by_name):
        found = by_id(by_name[name])
        if len(found) > 1:
            warnings.append(several_matches(name, found, f"the host is id {found[0]['id']}")[0])
        hosts.append((name, found[0]))
    # vps_days_left is null and the host is in no vps_expiring group: say which hosts that is, and why.
    unknown = unknown_expiry_warning(name for name, domain in hosts if expiry_unknown(domain.get("expiration_date")))
    if unknown is not None:
        warnings.append(unknown)
    return hosts, warnings
