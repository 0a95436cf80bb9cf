# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: reading every page of a list, numbered pages concurrently, anything else in turn.

Works with a callable that fetches one URL and returns its decoded JSON body (raising the client's own error
when the request fails), so it needs neither Ansible nor an HTTP library. The reader never sends a request off
the host of api_url: a `next` link pointing elsewhere (a proxy in front of the API) is re-based on the list path
that was requested first, with one warning.

Every read ends (DESIGN "Reading"): at most `ceil(count / page length) + 2` pages when the first page gives a
`count`, otherwise at most `page_cap` (2,000) pages; a `next` link already followed, or a page that brings no id
not seen before, ends it (with a warning); and no read takes longer than `max_seconds` (10 minutes). Past a
bound the read fails naming the last URL.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from ansible_collections.vpsorg.domains.plugins.module_utils._http import _excerpt as _text_excerpt

Fetch = Callable[[str], Any]
ErrorFactory = Callable[[str, str], Exception]
Warn = Callable[[str], None]

DEFAULT_CONCURRENCY = 4
# Without a count: 2,000 pages (100,000 domains at 50 a page). With one: the pages it takes, and 2 to spare.
DEFAULT_PAGE_CAP = 2000
SPARE_PAGES = 2
MAX_READ_SECONDS = 600
_EXCERPT = 120
_WEB_SCHEMES = ("http", "https")


class _Unexpected(Exception):
    """Internal: the numbered pages did not behave as numbered pages; read them one after another instead."""


def _excerpt(text: str, limit: int = _EXCERPT) -> str:
    return _text_excerpt(text, limit)


def _id_key(item: Dict[str, Any]) -> Any:
    """The item's id as a set key (None when it has none); an unhashable id is compared by its text."""
    key = item.get("id")
    if key is None:
        return None
    try:
        hash(key)
    except TypeError:
        return ("unhashable", repr(key))
    # 1 and "1" are different ids to the API; True is not an id of the same kind as 1.
    return (type(key).__name__, key)


def _page_number(url: str) -> Optional[int]:
    """The page number of a link whose query has exactly one `page` parameter; None otherwise."""
    values = [value for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True) if key == "page"]
    if len(values) != 1 or not values[0].isdigit():
        return None
    return int(values[0])


def _without_page(url: str) -> Tuple[str, List[Tuple[str, str]]]:
    parts = urlsplit(url)
    return parts.path, sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page")


def _with_page(url: str, number: int) -> str:
    parts = urlsplit(url)
    pairs = [(key, str(number) if key == "page" else value) for key, value in parse_qsl(parts.query, True)]
    return parts._replace(query=urlencode(pairs)).geturl()


class PageReader:
    """Reads all pages of one list through `fetch`; its warnings go to `warn` (the client's one collection)."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        base_url: str,
        error: ErrorFactory,
        warn: Optional[Warn] = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        page_cap: int = DEFAULT_PAGE_CAP,
        max_seconds: float = MAX_READ_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency: must be a whole number, 1 or more, got {concurrency!r}")
        parts = urlsplit(base_url)
        self._fetch = fetch
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._host = (parts.hostname or "").rstrip(".").lower()
        self._base_path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self._error = error
        # The client's one collection of warnings (HttpClient.warn), which keeps each warning once.
        self._warn = warn
        self.concurrency = concurrency
        self.page_cap = page_cap
        self.max_seconds = max_seconds
        self._clock = clock
        self._started = 0.0
        # Why the last read left numbered pages for the next links (None when it did not): for tests and debugging.
        self.fallback: Optional[str] = None

    # -- links ------------------------------------------------------------------------------------------------

    def rebase(self, link: Any, current_url: str, list_path: str, path: str) -> str:
        """The URL to request for a `next` link: on api_url's origin always, re-based (with a warning) if needed."""
        if not isinstance(link, str) or not link.strip():
            raise self._error("the API answered with an invalid next link", path)
        joined = urljoin(current_url, link.strip())
        parts = urlsplit(joined)
        if parts.scheme.lower() not in _WEB_SCHEMES:
            raise self._error(f"refused a next link that is not http(s): {_excerpt(link)}", path)
        same_host = (parts.hostname or "").rstrip(".").lower() == self._host
        if same_host and parts.path.startswith(self._base_path):
            # Same host, e.g. http:// from a TLS-terminating proxy: the path is ours, the scheme and port are api_url's.
            return self._origin + parts.path + (f"?{parts.query}" if parts.query else "")
        where = link.strip().split("?", 1)[0].split("#", 1)[0]
        self._warn_once(
            f"the API's next links point at {_excerpt(where)}; followed them on api_url's host instead "
            f"({self._origin}{list_path}, the same query): the API may be behind a proxy that does not pass "
            "its public address on"
        )
        return self._origin + list_path + (f"?{parts.query}" if parts.query else "")

    def _warn_once(self, text: str) -> None:
        """Hand a warning to the client's collection, which shows each one once."""
        if self._warn is not None:
            self._warn(text)

    # -- pages -----------------------------------------------------------------------------------------------

    def _page(self, body: Any, path: str) -> Tuple[List[Dict[str, Any]], Any]:
        """(items, next link) of one answer; the client's error when it is not a list page."""
        if isinstance(body, list):
            results, next_link = body, None
        elif isinstance(body, dict) and isinstance(body.get("results"), list):
            results, next_link = body["results"], body.get("next")
        else:
            raise self._error("the API answered with an unexpected list shape", path)
        for item in results:
            if not isinstance(item, dict):
                raise self._error("the API answered with a list item that is not an object", path)
        return results, next_link

    def read(self, first_url: str) -> List[Dict[str, Any]]:
        """Every item of the list at `first_url` (all pages, in page order, the first of each id kept)."""
        self.fallback = None
        self._started = self._clock()
        list_path = urlsplit(first_url).path
        body = self._fetch(first_url)
        first, next_link = self._page(body, list_path)
        if not next_link:
            return _merge([first])
        next_url = self.rebase(next_link, first_url, list_path, list_path)
        numbered = self._numbered(first_url, body, first, next_url)
        if numbered is not None and self.concurrency > 1:
            try:
                return self._read_numbered(first, *numbered, list_path=list_path)
            except _Unexpected as why:
                self.fallback = str(why)
        return self._follow(first, first_url, next_url, list_path, self._max_pages(body, first))

    def _max_pages(self, body: Any, first: List[Dict[str, Any]]) -> int:
        """The most pages this list may take: from the first page's count when it gives one, else page_cap."""
        count = body.get("count") if isinstance(body, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0 and first:
            return min(self.page_cap, math.ceil(count / len(first)) + SPARE_PAGES)
        return self.page_cap

    def _check_time(self, url: str, path: str, pages: int) -> None:
        if self._clock() - self._started > self.max_seconds:
            raise self._error(
                f"stopped reading the list after {self.max_seconds / 60:g} minutes ({pages} pages); the last page "
                f"read was {_excerpt(url, 200)}",
                path,
            )

    def _numbered(
        self, first_url: str, body: Any, first: List[Dict[str, Any]], next_url: str
    ) -> Optional[Tuple[List[str], int]]:
        """(URLs of pages 2..n, count) when the first page shows numbered pages; None for any other shape."""
        count = body.get("count") if isinstance(body, dict) else None
        if isinstance(count, bool) or not isinstance(count, int):
            self.fallback = "the first page has no count"
            return None
        if _page_number(first_url) is not None or _page_number(next_url) != 2:
            self.fallback = "the next link is not a numbered page"
            return None
        if _without_page(first_url) != _without_page(next_url):
            self.fallback = "the next link changes the list's path or filters"
            return None
        per_page = len(first)
        if per_page == 0 or count <= per_page:
            self.fallback = f"the first page holds {per_page} of {count} items and has a next link"
            return None
        pages = (count + per_page - 1) // per_page
        if pages > self.page_cap:
            self.fallback = f"{pages} pages is more than the page cap"
            return None
        return [_with_page(next_url, number) for number in range(2, pages + 1)], count

    def _read_numbered(
        self, first: List[Dict[str, Any]], urls: List[str], count: int, *, list_path: str
    ) -> List[Dict[str, Any]]:
        per_page = len(first)
        last = len(urls) + 1
        bodies = self._fetch_all(urls)
        pages = [first]
        for number, (url, body) in enumerate(zip(urls, bodies), start=2):
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise _Unexpected(f"page {number} is not a numbered page")
            results, next_link = self._page(body, list_path)
            if body.get("count") != count:
                raise _Unexpected(f"the count changed from {count} to {body.get('count')!r} on page {number}")
            expected = per_page if number < last else count - per_page * (last - 1)
            if len(results) != expected:
                raise _Unexpected(f"page {number} holds {len(results)} items, {expected} expected")
            if number < last:
                if not next_link or _page_number(self.rebase(next_link, url, list_path, list_path)) != number + 1:
                    raise _Unexpected(f"the next link of page {number} does not lead to page {number + 1}")
            elif next_link:
                raise _Unexpected(f"the last page ({number}) has a next link")
            pages.append(results)
        return _merge(pages, strict=True)

    def _fetch_all(self, urls: List[str]) -> List[Any]:
        """The bodies of `urls` in their order, at most `concurrency` in flight; a missing page is unexpected."""
        # Imported here: a read of one page (the usual search of a loop item) needs no thread pool.
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        workers = min(self.concurrency, len(urls))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vpsorg-pages")
        futures = [pool.submit(self._fetch, url) for url in urls]
        try:
            bodies = []
            for number, future in enumerate(futures, start=2):
                try:
                    bodies.append(future.result())
                    self._check_time(urls[number - 2], urlsplit(urls[number - 2]).path, number)
                except Exception as error:
                    # DRF answers 404 "Invalid page." for a page beyond the end: the list shrank while read.
                    if getattr(error, "status", None) == 404:
                        raise _Unexpected(f"page {number} is gone (HTTP 404)") from error
                    raise
            return bodies
        finally:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True)

    def _follow(
        self, first: List[Dict[str, Any]], first_url: str, next_url: str, list_path: str, max_pages: int
    ) -> List[Dict[str, Any]]:
        """Follow `next` one page at a time from page 2, within the bounds of the module docstring."""
        pages = [first]
        seen_links = {first_url}
        seen_ids = {_id_key(item) for item in first} - {None}
        url: Optional[str] = next_url
        last_url = first_url
        while url:
            path = urlsplit(url).path
            if url in seen_links:
                self._warn_once(
                    f"the API's list links back to a page already read ({_excerpt(url, 200)}): stopped reading there"
                )
                break
            if len(pages) >= max_pages:
                raise self._error(
                    f"stopped reading the list after {len(pages)} pages, more than it can hold; the last page read "
                    f"was {_excerpt(last_url, 200)}, the next would have been {_excerpt(url, 200)}",
                    path,
                )
            self._check_time(last_url, path, len(pages))
            seen_links.add(url)
            results, next_link = self._page(self._fetch(url), path)
            last_url = url
            new_ids = {_id_key(item) for item in results} - {None} - seen_ids
            if not new_ids:
                # An API that repeats its last page under new links would otherwise be read until a bound.
                self._warn_once(
                    f"a page of the API's list brought no domain not already read ({_excerpt(url, 200)}): stopped "
                    "reading there"
                )
                break
            seen_ids |= new_ids
            pages.append(results)
            url = self.rebase(next_link, url, list_path, path) if next_link else None
        return _merge(pages)


def _merge(pages: List[List[Dict[str, Any]]], *, strict: bool = False) -> List[Dict[str, Any]]:
    """The items of the pages in order, the first of each id kept; `strict`: an id seen on two pages is unexpected."""
    seen: Set[Any] = set()
    items: List[Dict[str, Any]] = []
    for number, results in enumerate(pages, start=1):
        on_this_page: Set[Any] = set()
        for item in results:
            key = _id_key(item)
            if key is not None:
                if key in seen:
                    if strict and key not in on_this_page:
                        raise _Unexpected(f"id {item.get('id')!r} is on two pages (page {number} and an earlier one)")
                    continue
                seen.add(key)
                on_this_page.add(key)
            items.append(item)
    return items
