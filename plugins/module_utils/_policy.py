# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the smallest portfolio policy an account already follows; pure, no HTTP, no Ansible.

The policy has the shape of the `vps_portfolio` options (`settings`, `domains`) and is built so that applying it
to the account it was read from changes nothing, whatever `statuses` the run uses:

- `settings` holds, per setting, the value most domains have. A tie goes to the more protective value (auto-renew
  on, locked, privacy on); a tie between nameserver sets goes to the set that sorts first, so an export is the
  same every time.
- `domains` lists every domain of the account, whatever its status, by canonical name and sorted, each with only
  the settings where it differs from `settings` (nameservers compared as sets). Listing pending or expired
  domains too means none of them is reported missing, and a run that includes their status still writes nothing.
- A setting that some domain has no usable value for (the API sent none, or nameservers that no policy can state,
  such as a single one) is not put in `settings`: it would change that domain. It is written per domain instead,
  for the domains that have a usable value, and the others are named in `warnings`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, Iterable, List, Mapping, Tuple

from ansible_collections.vpsorg.domains.plugins.module_utils._names import (
    InvalidValue,
    account_name,
    canonical_nameservers,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import (
    BOOL_SETTINGS,
    SETTINGS,
    by_id,
    nameserver_set,
    several_matches,
)

# The value a tie between true and false goes to: the one that protects the domain.
PROTECTIVE = {"auto_renew": True, "locked": True, "privacy_protection": True}


def _usable(setting: str, value: Any) -> Any:
    """The value as a policy states it (nameservers: sorted canonical list); None when no policy can state it."""
    if setting in BOOL_SETTINGS:
        return value if isinstance(value, bool) else None
    try:
        return canonical_nameservers(value, option="nameservers")
    except InvalidValue:
        return None


def _same(setting: str, left: Any, right: Any) -> bool:
    if setting == "nameservers":
        return nameserver_set(left) == nameserver_set(right)
    return left is right


def _majority(setting: str, values: List[Any]) -> Any:
    """The most common value; ties to the protective boolean, or to the first nameserver set in sort order."""
    if setting in BOOL_SETTINGS:
        on = sum(1 for value in values if value is True)
        off = len(values) - on
        if on == off:
            return PROTECTIVE[setting]
        return on > off
    counts = Counter(tuple(value) for value in values)
    best = min(counts.items(), key=lambda item: (-item[1], item[0]))
    return list(best[0])


def _unique_by_name(account: Iterable[Mapping[str, Any]]) -> Tuple[List[Tuple[str, Mapping[str, Any]]], List[str]]:
    """(name, domain) per canonical name, lowest id first; and warnings for names held by several ids."""
    by_name: Dict[str, List[Mapping[str, Any]]] = {}
    for domain in account:
        by_name.setdefault(account_name(dict(domain)), []).append(domain)
    warnings = []
    unique = []
    for name in sorted(by_name):
        found = by_id(by_name[name])
        if len(found) > 1:
            msg, _ids = several_matches(
                name,
                found,
                f"the policy lists it once, with the settings of id {found[0].get('id')}, and the portfolio run will "
                "report it until the duplicates are removed in the VPS.org panel",
            )
            warnings.append(msg)
        unique.append((name, found[0]))
    return unique, warnings


def account_policy(account: Iterable[Mapping[str, Any]]) -> Dict[str, Any]:
    """{settings, domains, warnings}: the smallest policy the account follows (see the module docstring)."""
    domains, warnings = _unique_by_name(account)
    values: Dict[str, Dict[str, Any]] = {
        name: {setting: _usable(setting, domain.get(setting)) for setting in SETTINGS} for name, domain in domains
    }
    settings: Dict[str, Any] = {}
    for setting in SETTINGS:
        known = [own[setting] for own in values.values() if own[setting] is not None]
        unknown = [name for name, own in values.items() if own[setting] is None]
        if unknown:
            warnings.append(
                f"{setting} is left out of settings because {len(unknown)} domain(s) have no value a policy can "
                f"state ({', '.join(unknown)}); the policy keeps it per domain, and leaves theirs as it is"
            )
        elif known:
            settings[setting] = _majority(setting, known)

    entries = []
    for name, own in values.items():
        entry: Dict[str, Any] = {"name": name}
        for setting in SETTINGS:
            value = own[setting]
            if value is None:
                continue
            if setting not in settings or not _same(setting, value, settings[setting]):
                entry[setting] = value
        entries.append(entry)
    return {"settings": settings, "domains": entries, "warnings": warnings}
