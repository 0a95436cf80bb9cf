# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: reading the account (vps_domain_info, the inventory plugin); no Ansible here."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue, canonical_name
from ansible_collections.vpsorg.domains.plugins.module_utils._policy import account_policy
from ansible_collections.vpsorg.domains.plugins.module_utils._task import TaskError
from ansible_collections.vpsorg.domains.plugins.module_utils._time import (
    days_left,
    expiring_within,
    expiry_unknown,
    unknown_expiry_warning,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import sort_domains

# Pages in flight at once when the client can read numbered pages concurrently (DESIGN.md: 4 outside vps_portfolio).
READ_CONCURRENCY = 4


def list_account(client: Any, *, status: Optional[str] = None, search: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every domain of the account (all pages, numbered pages concurrently), optionally filtered by the API."""
    return client.list_domains(status=status, search=search, concurrency=READ_CONCURRENCY)


def check_info_request(params: Dict[str, Any]) -> Dict[str, Any]:
    """The validated request of vps_domain_info; InvalidValue names the option."""
    request = dict(params)
    if request.get("name") is not None:
        request["name"] = canonical_name(request["name"], option="name")
    search = request.get("search")
    if search is not None and not search.strip():
        raise InvalidValue("search", search, "must not be empty", "a search text")
    days = request.get("expiring_within_days")
    if days is not None and days < 0:
        raise InvalidValue("expiring_within_days", days, "must be 0 or more", "a valid number of days")
    if request.get("as_policy") and request.get("name") is not None:
        raise InvalidValue(
            "as_policy", True, "a policy describes the whole account; leave name out", "usable together with name"
        )
    if request.get("as_policy") and (search is not None or request.get("status") is not None or days is not None):
        # A policy from a filtered list would leave the other domains out and report them missing every night.
        problem = "a policy describes the whole account; a filtered one would report the other domains missing"
        raise InvalidValue("as_policy", True, problem, "usable together with status, search or expiring_within_days")
    return request


def read_info(client: Any, request: Mapping[str, Any], now: Optional[datetime] = None) -> Dict[str, Any]:
    """The result of vps_domain_info: `domains`, and with `as_policy` also `policy` and `policy_source`.

    A failed read still returns `domains` (empty), so a play that ignores the error can loop over it.
    """
    try:
        return _read(client, request, now)
    except ApiError as error:
        raise TaskError(str(error), api_error=error, domains=[]) from None


def _read(client: Any, request: Mapping[str, Any], now: Optional[datetime]) -> Dict[str, Any]:
    if request.get("name") is not None:
        domains = [client.get_domain(found["id"]) for found in client.find_domains(request["name"])]
        # The collection's own expiry rule, beside the API's days_until_expiration.
        domains = [dict(domain, days_left=days_left(domain.get("expiration_date"), now)) for domain in domains]
        return _with_unknown_expiry({"changed": False, "domains": sort_domains(domains)}, domains)
    domains = list_account(client, status=request.get("status"), search=request.get("search"))
    # An expiry report must name what it cannot place; a plain listing shows every domain anyway.
    read: List[Dict[str, Any]] = []
    if request.get("expiring_within_days") is not None:
        read = domains
        domains = expiring_within(domains, request["expiring_within_days"], now)
    result: Dict[str, Any] = {"changed": False, "domains": sort_domains(domains), "warnings": []}
    if request.get("as_policy"):
        policy = account_policy(domains)
        result["warnings"] = policy.pop("warnings")
        result["policy"] = policy
        result["policy_source"] = {
            "api_url": str(request.get("api_url") or "").rstrip("/"),
            "read_at": (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "domains": len(domains),
        }
    return _with_unknown_expiry(result, read)


def _with_unknown_expiry(result: Dict[str, Any], domains: List[Mapping[str, Any]]) -> Dict[str, Any]:
    """The result with a warning naming the domains whose expiration date cannot be read (none left silently)."""
    names = [str(domain.get("domain_name")) for domain in domains if expiry_unknown(domain.get("expiration_date"))]
    warning = unknown_expiry_warning(names)
    if warning is not None:
        result.setdefault("warnings", []).append(warning)
    if not result.get("warnings"):
        result.pop("warnings", None)
    return result
