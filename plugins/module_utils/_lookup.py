# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the reads that come before a write (no Ansible here, and no write engine).

Finding a name in every form the API may store it, the one domain that holds it, and the settings a plan needs
read from the detail when the list item lacks them. A task that finds nothing to change needs only these, so
they live apart from the write engine (`_engine`), which such a task never loads.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.vpsorg.domains.plugins.module_utils._task import TaskError
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import (
    answer_for_another_id,
    duplicate_message,
    group_by_name,
    name_of,
    unreadable_settings,
)


def find_everywhere(client: Any, name: str) -> List[Dict[str, Any]]:
    """The account's domains with this canonical name, in every form the API may store it.

    The searches for the ASCII and the Unicode form first; when both find nothing, the whole account list,
    compared in canonical form (catches a name stored decomposed, which no search form matches).
    """
    matches = client.find_domains(name)
    if not matches:
        matches = [domain for domain in client.list_domains() if name_of(domain) == name]
    return group_by_name(matches, key=lambda _domain: name).get(name, [])


def one_domain(name: str, matches: List[Dict[str, Any]], consequence: str) -> Optional[Dict[str, Any]]:
    """The one domain holding the name, None when none does; TaskError naming the ids when several do."""
    found = group_by_name(matches, key=lambda _domain: name).get(name, [])
    if len(found) > 1:
        msg, ids = duplicate_message(name, found, consequence)
        raise TaskError(msg, ids=ids, changed=False)
    return found[0] if found else None


def merge_domain(read: Mapping[str, Any], answer: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """What was read with an update's answer laid over it, so fields the answer lacks survive."""
    merged = dict(read)
    for key, value in (answer or {}).items():
        if key != "message":
            merged[key] = value
    return merged


def complete_settings(client: Any, domain: Dict[str, Any], desired: Mapping[str, Any]) -> Dict[str, Any]:
    """The domain with every setting the user set readable: a list item lacking one is read from the detail."""
    if not unreadable_settings(domain, desired) or domain.get("id") is None:
        return domain
    detail = client.get_domain(domain["id"])
    if answer_for_another_id(detail, domain["id"]):
        return domain
    return merge_domain(domain, {key: value for key, value in detail.items() if key not in ("id",)})
