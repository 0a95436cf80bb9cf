# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the VPS.org Domains API (domains, transfers, pages) on the HTTP layer of `_http`.

Every module imports `ApiClient`, `ApiError` and `OutcomeUnknown` from here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import quote, urlsplit

from ansible_collections.vpsorg.domains.plugins.module_utils._http import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    MISSING_TOKEN,
    REQUESTS_IMPORT_ERROR,
    USER_AGENT,
    ApiError,
    HttpClient,
    OutcomeUnknown,
    RetryPolicy,
    _excerpt,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue, display_name
from ansible_collections.vpsorg.domains.plugins.module_utils._names import canonical_name as _canonical_name
from ansible_collections.vpsorg.domains.plugins.module_utils._pages import DEFAULT_CONCURRENCY, PageReader
from ansible_collections.vpsorg.domains.plugins.module_utils._version import COLLECTION_VERSION

__all__ = [
    "COLLECTION_VERSION",
    "DEFAULT_API_URL",
    "HAS_REQUESTS",
    "MISSING_TOKEN",
    "REQUESTS_IMPORT_ERROR",
    "USER_AGENT",
    "ApiClient",
    "ApiError",
    "OutcomeUnknown",
    "RetryPolicy",
]

# An object id as the API gives it: an integer or an opaque string (a UUID, a slug).
DomainId = Union[int, str]


def _usable_id(value: Any) -> bool:
    """Whether `value` can name an object in a URL path: an int, or a string that is not blank, `.` or `..`."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip() not in ("", ".", "..")


def _require_id(item: Mapping[str, Any], page_path: str) -> DomainId:
    """The id of a list item; ApiError naming the list page when the item has none that can be used."""
    key = item.get("id")
    if not _usable_id(key):
        problem = "without an id" if key is None else f"with an unusable id {_excerpt(repr(key), 60)}"
        name = item.get("domain_name")
        shown = f" ({_excerpt(str(name), 80)})" if isinstance(name, str) and name else ""
        raise ApiError(f"the API answered with a list item{shown} {problem}", method="GET", path=page_path)
    return key


class ApiClient(HttpClient):
    """The VPS.org Domains API; one instance may be shared by worker threads.

    Every method goes through `request()`; every object returned is free of transfer secrets (`_http`).
    """

    def __init__(self, api_token: str, api_url: str = DEFAULT_API_URL, *, page_cap: int = 2000, **options: Any) -> None:
        """`options` are HttpClient's: validate_certs, ca_path, timeout, pool_size and retry (a RetryPolicy)."""
        if isinstance(page_cap, bool) or not isinstance(page_cap, int) or page_cap < 1:
            raise ValueError("page_cap must be at least 1")
        super().__init__(api_token, api_url, **options)
        self._page_cap = page_cap

    # -- pages ------------------------------------------------------------------------------------------------

    def _get_all(
        self, path: str, params: Optional[Dict[str, Any]] = None, concurrency: int = DEFAULT_CONCURRENCY
    ) -> List[Dict[str, Any]]:
        """Every item of a list (all pages): numbered pages `concurrency` at a time, other pages one by one."""
        reader = PageReader(
            lambda url: self._request("GET", url),
            base_url=self.base_url,
            error=lambda summary, page_path: self._error(summary, "GET", page_path),
            warn=self.warn,
            concurrency=self.fit_pool(concurrency),
            page_cap=self._page_cap,
            clock=self.retry.clock,
        )
        first_url = self._url(path, params)
        try:
            return reader.read(first_url)
        except ApiError as error:
            if error.status == 404 and error.path == urlsplit(first_url).path:
                # A list path that does not exist: api_url most likely lacks the API's path.
                error.summary += f"; check api_url: it must be the API's base URL, such as {DEFAULT_API_URL}"
            raise

    # -- domains ------------------------------------------------------------------------------------------

    def _domain_path(self, domain_id: Any, suffix: str = "") -> str:
        """The path of one domain; its id URL-quoted (ids are opaque). ApiError for an id that names nothing."""
        if not _usable_id(domain_id):
            raise self._error(
                f"the API gave an unusable domain id {_excerpt(repr(domain_id), 60)}; expected a number or a string",
                "",
                self._path_of("domains/"),
            )
        return f"domains/{quote(str(domain_id), safe='')}/{suffix}"

    def _path_of(self, path: str) -> str:
        """The URL path of an API path, as errors name it (`/api/v1/domains/`)."""
        return urlsplit(self._url(path)).path

    def _object(self, answer: Any, method: str, path: str) -> Dict[str, Any]:
        """A detail answer that must be an object."""
        if not isinstance(answer, dict):
            shown = "no body" if answer is None else f"a {type(answer).__name__}"
            raise self._error(
                f"the API answered with {shown} where a domain object was expected", method, self._path_of(path)
            )
        return answer

    def list_domains(
        self, *, status: Optional[str] = None, search: Optional[str] = None, concurrency: int = DEFAULT_CONCURRENCY
    ) -> List[Dict[str, Any]]:
        """Every domain of the account (all pages, numbered pages `concurrency` at a time), optionally filtered by
        the API; each item has a usable id."""
        items = self._get_all("domains/", {"status": status, "search": search}, concurrency)
        page_path = self._path_of("domains/")
        for item in items:
            _require_id(item, page_path)
        return items

    def find_domains(self, canonical_name: str) -> List[Dict[str, Any]]:
        """The domains whose canonical name is exactly this one (0..n of them), by id.

        The API may store an internationalised name as punycode or as posted (Unicode), and its search is a
        substring match on what it stores: so the name is searched in both forms (once when they are the same),
        the answers merged by id, and each name compared in canonical form here.
        """
        wanted = _canonical_name(canonical_name)
        forms = [wanted]
        unicode_form = display_name(wanted)
        if unicode_form != wanted:
            forms.append(unicode_form)
        found: Dict[Tuple[str, str], Dict[str, Any]] = {}
        for form in forms:
            for item in self.list_domains(search=form):
                try:
                    name = _canonical_name(item.get("domain_name"))
                except InvalidValue:
                    continue
                key = (type(item["id"]).__name__, str(item["id"]))
                if name == wanted and key not in found:
                    found[key] = item
        return sorted(found.values(), key=_id_order)

    def get_domain(self, domain_id: Any) -> Dict[str, Any]:
        path = self._domain_path(domain_id)
        return self._object(self.request("GET", path), "GET", path)

    def register_domain(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """POST domains/: costs money; never retried once it may have reached the server.

        A success whose answer names no domain is OutcomeUnknown: the caller looks the name up instead of
        trusting an answer it cannot use (and never sends the POST again).
        """
        answer = self.request("POST", "domains/", json=body)
        if not isinstance(answer, dict) or not _usable_id(answer.get("id")):
            raise OutcomeUnknown(
                "outcome unknown: the API accepted the registration but its answer names no domain id",
                method="POST",
                path=self._path_of("domains/"),
                detail=_excerpt(repr(answer)),
                secrets=(self._token,),
            )
        return answer

    def update_domain(self, domain_id: Any, changes: Dict[str, Any]) -> Dict[str, Any]:
        """PUT the changes; the answer object, or {} when the API answered without one (nothing to merge)."""
        answer = self.request("PUT", self._domain_path(domain_id), json=changes)
        return answer if isinstance(answer, dict) else {}

    def remove_domain(self, domain_id: Any) -> None:
        self.request("DELETE", self._domain_path(domain_id), gone_ok=True)

    def start_transfer(self, domain_id: Any, auth_code: str, auto_renew: bool) -> Dict[str, Any]:
        """POST domains/{id}/transfer/: costs money; the auth code is kept out of every error.

        The answer object, or {} when a success came without one (the transfer was accepted all the same).
        """
        answer = self.request(
            "POST",
            self._domain_path(domain_id, "transfer/"),
            json={"auth_code": auth_code, "auto_renew": auto_renew},
            secrets=(auth_code,),
        )
        return answer if isinstance(answer, dict) else {}


def _id_order(item: Dict[str, Any]) -> Tuple[int, int, str]:
    """Numeric ids in numeric order, anything else after them."""
    key = item.get("id")
    if isinstance(key, int) and not isinstance(key, bool):
        return 0, key, ""
    return 1, 0, str(key)
