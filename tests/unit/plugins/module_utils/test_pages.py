# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the page reader: numbered pages read concurrently, every fallback to next links, re-based links."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
import requests
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiClient, ApiError, RetryPolicy
from ansible_collections.vpsorg.domains.plugins.module_utils._pages import PageReader
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

BASE = "https://api.test/api/v1/"
LIST = "https://api.test/api/v1/domains/"
TOKEN = "pages-T0KEN"


class Failed(Exception):
    """What the stub's error factory builds; carries the path like ApiError does."""

    def __init__(self, summary: str, path: str, status: Optional[int] = None) -> None:
        super().__init__(f"GET {path}: {summary}")
        self.path = path
        self.status = status


def link(number: Optional[int], base: str = LIST, extra: str = "") -> Optional[str]:
    if number is None:
        return None
    return f"{base}?page={number}{extra}"


def numbered(ids_per_page: List[List[int]], count: Optional[int] = None, base: str = LIST) -> Dict[str, Any]:
    """URL -> body of a well-behaved numbered list (DRF PageNumberPagination)."""
    total = count if count is not None else sum(len(ids) for ids in ids_per_page)
    pages = {}
    for number, ids in enumerate(ids_per_page, start=1):
        url = LIST if number == 1 else f"{LIST}?page={number}"
        pages[url] = {
            "count": total,
            "next": link(number + 1, base) if number < len(ids_per_page) else None,
            "previous": None,
            "results": [{"id": i, "domain_name": f"d{i}.com"} for i in ids],
        }
    return pages


class Fetcher:
    """A stub of the client's fetch: answers from a URL -> body map and records every URL, thread-safely."""

    def __init__(self, pages: Dict[str, Any], *, on_fetch: Optional[Callable[[str], None]] = None) -> None:
        self.pages = pages
        self.fetched: List[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        self.on_fetch = on_fetch

    def __call__(self, url: str) -> Any:
        with self.lock:
            self.fetched.append(url)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.on_fetch is not None:
                self.on_fetch(url)
            answer = self.pages.get(url)
            if answer is None:
                raise Failed("not found (HTTP 404)", url, 404)
            if isinstance(answer, BaseException):
                raise answer
            if callable(answer):
                return answer()
            return json.loads(json.dumps(answer))
        finally:
            with self.lock:
                self.in_flight -= 1


def reader(fetch: Fetcher, concurrency: int = 4, **kwargs: Any) -> Tuple[PageReader, List[str]]:
    warnings: List[str] = []
    made = PageReader(
        fetch,
        base_url=BASE,
        error=Failed,
        # As the client's collection does: each warning once.
        warn=lambda text: None if text in warnings else warnings.append(text),
        concurrency=concurrency,
        **kwargs,
    )
    return made, warnings


def ids(items: List[Dict[str, Any]]) -> List[Any]:
    return [item["id"] for item in items]


def page_urls(*numbers: int) -> List[str]:
    return [f"{LIST}?page={number}" for number in numbers]


# -- the concurrent read -------------------------------------------------------------------------------------


def test_numbered_pages_are_read_concurrently_and_merged_in_page_order() -> None:
    # Later pages answer first: the merge must still be in page order.
    release = {f"{LIST}?page={n}": threading.Event() for n in range(2, 6)}

    def hold(url: str) -> None:
        if url in release:
            number = int(url.rsplit("=", 1)[1])
            if number < 5:
                release[f"{LIST}?page={number + 1}"].wait(5)
            release[url].set()

    fetch = Fetcher(numbered([[1, 2], [3, 4], [5, 6], [7, 8], [9]]), on_fetch=hold)
    pages, warnings = reader(fetch)
    assert ids(pages.read(LIST)) == list(range(1, 10))
    assert fetch.fetched[0] == LIST
    assert sorted(fetch.fetched[1:]) == page_urls(2, 3, 4, 5)
    assert fetch.most_in_flight == 4
    assert pages.fallback is None
    assert warnings == []


def test_the_burst_is_bounded_by_concurrency() -> None:
    gate = threading.Barrier(2, timeout=5)

    def pair_up(url: str) -> None:
        if url != LIST:
            gate.wait()

    fetch = Fetcher(numbered([[n] for n in range(1, 8)]), on_fetch=pair_up)
    pages, _warnings = reader(fetch, concurrency=2)
    assert ids(pages.read(LIST)) == list(range(1, 8))
    assert fetch.most_in_flight == 2
    assert sorted(fetch.fetched[1:]) == page_urls(2, 3, 4, 5, 6, 7)


def test_filters_of_the_first_request_are_kept_on_every_page() -> None:
    first = f"{LIST}?status=active"
    fetch = Fetcher(
        {
            first: {"count": 3, "next": f"{LIST}?page=2&status=active", "results": [{"id": 1}]},
            f"{LIST}?page=2&status=active": {
                "count": 3,
                "next": f"{LIST}?page=3&status=active",
                "results": [{"id": 2}],
            },
            f"{LIST}?page=3&status=active": {"count": 3, "next": None, "results": [{"id": 3}]},
        }
    )
    pages, _warnings = reader(fetch)
    assert ids(pages.read(first)) == [1, 2, 3]
    assert pages.fallback is None
    assert len(fetch.fetched) == 3


def test_concurrency_one_follows_next_links_in_turn() -> None:
    fetch = Fetcher(numbered([[1], [2], [3], [4]]))
    pages, _warnings = reader(fetch, concurrency=1)
    assert ids(pages.read(LIST)) == [1, 2, 3, 4]
    assert fetch.fetched == [LIST, *page_urls(2, 3, 4)]
    assert fetch.most_in_flight == 1


@pytest.mark.parametrize("concurrency", [0, -1, True, 1.5, "4"])
def test_concurrency_must_be_a_whole_number_from_one(concurrency: Any) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        reader(Fetcher({}), concurrency=concurrency)


def test_a_single_page_is_one_request() -> None:
    fetch = Fetcher(numbered([[1, 2, 3]]))
    pages, _warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2, 3]
    assert fetch.fetched == [LIST]


# -- every fallback to next links ----------------------------------------------------------------------------


def _burst_then_in_turn(fetched: List[str], burst: List[str], in_turn: List[str]) -> None:
    """The first page, the concurrent burst (any order), then the sequential part in exactly this order."""
    assert fetched[0] == LIST
    assert sorted(fetched[1 : 1 + len(burst)]) == sorted(burst)
    assert fetched[1 + len(burst) :] == in_turn


def test_count_changed_between_pages_falls_back_to_next_links() -> None:
    served = numbered([[1, 2], [3, 4], [5, 6]])
    # A domain was added after the first page was read: page 3 now says 7 and leads to a page 4.
    served[f"{LIST}?page=3"] = {"count": 7, "next": f"{LIST}?page=4", "results": [{"id": 5}, {"id": 6}]}
    served[f"{LIST}?page=4"] = {"count": 7, "next": None, "results": [{"id": 7}]}
    fetch = Fetcher(served)
    pages, _warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2, 3, 4, 5, 6, 7]
    assert pages.fallback == "the count changed from 6 to 7 on page 3"
    _burst_then_in_turn(fetch.fetched, page_urls(2, 3), page_urls(2, 3, 4))


def test_a_short_page_before_the_last_falls_back_to_next_links() -> None:
    served = numbered([[1, 2], [3, 4], [5, 6]])
    served[f"{LIST}?page=2"]["results"] = [{"id": 3}]
    fetch = Fetcher(served)
    pages, _warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2, 3, 5, 6]
    assert pages.fallback == "page 2 holds 1 items, 2 expected"
    _burst_then_in_turn(fetch.fetched, page_urls(2, 3), page_urls(2, 3))


def test_a_last_page_of_the_wrong_length_falls_back_to_next_links() -> None:
    served = numbered([[1, 2], [3, 4], [5]])
    served[f"{LIST}?page=3"]["results"] = []
    fetch = Fetcher(served)
    pages, _warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2, 3, 4]
    assert pages.fallback == "page 3 holds 0 items, 1 expected"


def test_duplicate_ids_across_pages_fall_back_to_next_links() -> None:
    served = numbered([[1, 2], [2, 3], [4, 5]])
    fetch = Fetcher(served)
    pages, _warnings = reader(fetch)
    # Read in turn, the first of each id is kept.
    assert ids(pages.read(LIST)) == [1, 2, 3, 4, 5]
    assert pages.fallback == "id 2 is on two pages (page 2 and an earlier one)"
    _burst_then_in_turn(fetch.fetched, page_urls(2, 3), page_urls(2, 3))


def test_a_page_gone_during_the_burst_falls_back_to_next_links() -> None:
    served = numbered([[1, 2], [3, 4], [5, 6]])
    # Two domains were removed: DRF answers 404 "Invalid page." for page 3, and page 2 is now the last.
    del served[f"{LIST}?page=3"]
    served[f"{LIST}?page=2"] = {"count": 4, "next": None, "results": [{"id": 3}, {"id": 4}]}
    fetch = Fetcher(served)
    pages, _warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2, 3, 4]
    assert pages.fallback in ("page 3 is gone (HTTP 404)", "the count changed from 6 to 4 on page 2")
    _burst_then_in_turn(fetch.fetched, page_urls(2, 3), page_urls(2))


@pytest.mark.parametrize(
    ("next_link", "reason"),
    [
        (f"{LIST}?cursor=cD0yMDI2", "the next link is not a numbered page"),
        (f"{LIST}?limit=2&offset=2", "the next link is not a numbered page"),
        (f"{LIST}?page=3", "the next link is not a numbered page"),
        (f"{LIST}?page=two", "the next link is not a numbered page"),
        (f"{LIST}?page=2&page=3", "the next link is not a numbered page"),
        (f"{LIST}?page=2&ordering=-id", "the next link changes the list's path or filters"),
        (f"{BASE}domains/archive/?page=2", "the next link changes the list's path or filters"),
    ],
)
def test_a_link_of_another_shape_is_followed_in_turn(next_link: str, reason: str) -> None:
    fetch = Fetcher(
        {
            LIST: {"count": 6, "next": next_link, "results": [{"id": 1}, {"id": 2}]},
            next_link: {"count": 6, "next": f"{LIST}?cursor=end", "results": [{"id": 3}, {"id": 4}]},
            f"{LIST}?cursor=end": {"count": 6, "next": None, "results": [{"id": 5}, {"id": 6}]},
        }
    )
    pages, _warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2, 3, 4, 5, 6]
    assert pages.fallback == reason
    assert fetch.fetched == [LIST, next_link, f"{LIST}?cursor=end"]


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        ({"next": f"{LIST}?page=2", "results": [{"id": 1}]}, "the first page has no count"),
        ({"count": "2", "next": f"{LIST}?page=2", "results": [{"id": 1}]}, "the first page has no count"),
        ({"count": 1, "next": f"{LIST}?page=2", "results": [{"id": 1}]}, "the first page holds 1 of 1 items"),
        ({"count": 2, "next": f"{LIST}?page=2", "results": []}, "the first page holds 0 of 2 items"),
    ],
)
def test_a_first_page_that_does_not_add_up_is_followed_in_turn(first: Dict[str, Any], reason: str) -> None:
    fetch = Fetcher({LIST: first, f"{LIST}?page=2": {"count": 2, "next": None, "results": [{"id": 2}]}})
    pages, _warnings = reader(fetch)
    assert ids(pages.read(LIST)) == ([1, 2] if first["results"] else [2])
    assert (pages.fallback or "").startswith(reason)
    assert fetch.fetched == [LIST, f"{LIST}?page=2"]


def test_a_middle_page_whose_next_link_skips_falls_back() -> None:
    served = numbered([[1], [2], [3], [4]])
    served[f"{LIST}?page=2"]["next"] = f"{LIST}?page=4"
    fetch = Fetcher(served)
    pages, _warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2, 4]
    assert pages.fallback == "the next link of page 2 does not lead to page 3"
    _burst_then_in_turn(fetch.fetched, page_urls(2, 3, 4), page_urls(2, 4))


def test_a_last_page_with_a_next_link_falls_back() -> None:
    served = numbered([[1], [2], [3]])
    served[f"{LIST}?page=3"]["next"] = f"{LIST}?page=4"
    served[f"{LIST}?page=4"] = {"count": 3, "next": None, "results": []}
    fetch = Fetcher(served)
    pages, _warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2, 3]
    assert pages.fallback == "the last page (3) has a next link"
    _burst_then_in_turn(fetch.fetched, page_urls(2, 3), page_urls(2, 3, 4))


def test_a_page_of_another_shape_in_the_burst_falls_back_and_then_fails_clearly() -> None:
    served = numbered([[1], [2], [3]])
    served[f"{LIST}?page=2"] = [{"id": 2}]
    fetch = Fetcher(served)
    pages, _warnings = reader(fetch)
    # Followed in turn, a bare list is the last page: nothing is invented, nothing fails.
    assert ids(pages.read(LIST)) == [1, 2]
    assert pages.fallback == "page 2 is not a numbered page"


def test_more_pages_than_the_cap_are_read_in_turn_up_to_the_cap() -> None:
    fetch = Fetcher(numbered([[n] for n in range(1, 8)]))
    pages, _warnings = reader(fetch, page_cap=3)
    with pytest.raises(Failed, match="stopped reading the list after 3 pages"):
        pages.read(LIST)
    assert pages.fallback == "7 pages is more than the page cap"
    assert fetch.fetched == [LIST, *page_urls(2, 3)]


# -- what is not a fallback: errors stay errors ----------------------------------------------------------------


def test_an_item_that_is_not_an_object_in_the_burst_is_an_error() -> None:
    served = numbered([[1], [2], [3]])
    served[f"{LIST}?page=3"]["results"] = ["d3.com"]
    pages, _warnings = reader(Fetcher(served))
    with pytest.raises(Failed, match="not an object"):
        pages.read(LIST)


def test_an_api_error_during_the_burst_is_raised_and_the_rest_cancelled() -> None:
    served: Dict[str, Any] = numbered([[n] for n in range(1, 11)])
    served[f"{LIST}?page=2"] = Failed("server error (HTTP 500)", "/api/v1/domains/", 500)
    fetch = Fetcher(served)
    pages, _warnings = reader(fetch, concurrency=2)
    with pytest.raises(Failed, match="HTTP 500"):
        pages.read(LIST)
    assert pages.fallback is None


def test_repeated_next_link_in_turn_ends_the_read_with_a_warning() -> None:
    fetch = Fetcher(
        {
            LIST: {"next": f"{LIST}?cursor=a", "results": [{"id": 1}]},
            f"{LIST}?cursor=a": {"next": f"{LIST}?cursor=b", "results": [{"id": 2}]},
            f"{LIST}?cursor=b": {"next": f"{LIST}?cursor=a", "results": [{"id": 3}]},
        }
    )
    pages, warnings = reader(fetch)
    assert [item["id"] for item in pages.read(LIST)] == [1, 2, 3]
    assert fetch.fetched == [LIST, f"{LIST}?cursor=a", f"{LIST}?cursor=b"]
    assert len(warnings) == 1 and "already read" in warnings[0] and "cursor=a" in warnings[0]


# -- next links from behind a proxy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "upstream",
    ["http://web:8000/api/v1/domains/", "/domains/", "https://evil.test/api/v1/domains/", "//evil.test/x/"],
)
def test_links_from_behind_a_proxy_are_rebased_and_still_read_concurrently(upstream: str) -> None:
    served = numbered([[1], [2], [3], [4]], base=upstream)
    fetch = Fetcher(served)
    pages, warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2, 3, 4]
    assert pages.fallback is None
    assert all(url.startswith(LIST) for url in fetch.fetched)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"the API's next links point at {upstream}; followed them on api_url's host")


def test_a_same_host_link_over_http_is_followed_on_api_url_without_a_warning() -> None:
    fetch = Fetcher(numbered([[1], [2]], base="http://api.test/api/v1/domains/"))
    pages, warnings = reader(fetch)
    assert ids(pages.read(LIST)) == [1, 2]
    assert fetch.fetched == [LIST, f"{LIST}?page=2"]
    assert warnings == []


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "ftp://web/api/v1/domains/?page=2", "data:,x", 7, " "])
def test_a_link_with_another_scheme_is_refused(bad: Any) -> None:
    fetch = Fetcher({LIST: {"count": 2, "next": bad, "results": [{"id": 1}]}})
    pages, warnings = reader(fetch)
    with pytest.raises(Failed, match=r"refused a next link that is not http\(s\)|invalid next link"):
        pages.read(LIST)
    assert fetch.fetched == [LIST]
    assert warnings == []


# -- a 429 during the burst pauses every worker (the client's shared pause) ------------------------------------


class UrlAdapter(BaseAdapter):
    """A transport answering by URL (a list of answers per URL, used in turn), recording (thread, url)."""

    def __init__(self, answers: Dict[str, List[Tuple[int, Any, Dict[str, str]]]], hold: Callable[[str], None]):
        super().__init__()
        self.answers = answers
        self.hold = hold
        self.sent: List[Tuple[int, str, Optional[str]]] = []
        self.lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        del kwargs
        with self.lock:
            self.sent.append((threading.get_ident(), request.url, request.headers.get("Authorization")))
            status, body, headers = self.answers[request.url].pop(0)
        self.hold(request.url)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(dict(headers, **{"Content-Type": "application/json"}))
        response._content = json.dumps(body).encode()
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release."""


def test_a_429_during_the_burst_pauses_every_worker() -> None:
    served = numbered([[n] for n in range(1, 7)])
    answers: Dict[str, List[Tuple[int, Any, Dict[str, str]]]] = {url: [(200, body, {})] for url, body in served.items()}
    answers[f"{LIST}?page=2"].insert(0, (429, {"detail": "Request was throttled."}, {"Retry-After": "0.2"}))
    paused = threading.Event()
    sleeps: List[Tuple[int, float]] = []
    sleeps_lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with sleeps_lock:
            sleeps.append((threading.get_ident(), seconds))
        paused.set()
        time.sleep(seconds)

    def hold(url: str) -> None:
        # Page 3's worker answers only once page 2's worker has been told to pause, so that its next page
        # (page 4) starts inside the pause.
        if url == f"{LIST}?page=3":
            assert paused.wait(5)

    client = ApiClient(TOKEN, BASE.rstrip("/"), retry=RetryPolicy(sleep=sleep, jitter=lambda: 0.5))
    adapter = UrlAdapter(answers, hold)
    client.session.mount("https://", adapter)
    assert ids(client.list_domains(concurrency=2)) == [1, 2, 3, 4, 5, 6]
    urls = [url for _thread, url, _auth in adapter.sent]
    assert urls.count(f"{LIST}?page=2") == 2
    assert sorted(set(urls)) == sorted(served)
    workers = {thread for thread, url, _auth in adapter.sent if url != LIST}
    assert len(workers) == 2
    # Both workers waited out the pause: the one that got the 429 and the one that did not.
    assert {thread for thread, _seconds in sleeps} == workers
    assert all(0 < seconds <= 0.2 for _thread, seconds in sleeps)
    assert all(auth == f"Bearer {TOKEN}" for _thread, _url, auth in adapter.sent)


def test_an_api_error_from_the_client_keeps_its_page_path() -> None:
    served = numbered([[1], [2], [3]])
    answers = {url: [(200, body, {})] for url, body in served.items()}
    answers[f"{LIST}?page=3"] = [(401, {"detail": "Invalid token."}, {})]
    client = ApiClient(TOKEN, BASE.rstrip("/"))
    client.session.mount("https://", UrlAdapter(answers, lambda url: None))
    with pytest.raises(ApiError, match=r"^GET /api/v1/domains/: the API token was rejected") as caught:
        client.list_domains()
    assert TOKEN not in str(caught.value)


# -- every read ends -------------------------------------------------------------------------------------------


def endless(count: Optional[int], *, repeat_ids: bool = False) -> Fetcher:
    """A cursor list that never ends: each page links to the next; new ids on every page unless `repeat_ids`."""

    class Endless(Fetcher):
        def __call__(self, url: str) -> Any:
            with self.lock:
                self.fetched.append(url)
                number = len(self.fetched)
            body: Dict[str, Any] = {
                "next": f"{LIST}?cursor={number}",
                "results": [{"id": 1 if repeat_ids and number > 1 else number}],
            }
            if count is not None:
                body["count"] = count
            return body

    return Endless({})


def test_with_a_count_a_read_takes_at_most_the_pages_it_needs_and_two_more() -> None:
    fetch = endless(count=3)
    pages, _warnings = reader(fetch)
    with pytest.raises(Failed, match=r"after 5 pages.*last page read was .*cursor=4.*cursor=5") as caught:
        pages.read(LIST)
    assert caught.value.path == "/api/v1/domains/"
    # 3 items at 1 a page: 3 pages, and 2 to spare.
    assert len(fetch.fetched) == 5


def test_without_a_count_a_read_takes_at_most_the_page_cap() -> None:
    assert PageReader(lambda url: None, base_url=BASE, error=Failed).page_cap == 2000
    fetch = endless(count=None)
    pages, _warnings = reader(fetch, page_cap=7)
    with pytest.raises(Failed, match="after 7 pages"):
        pages.read(LIST)
    assert len(fetch.fetched) == 7


def test_a_page_that_brings_no_new_id_ends_the_read() -> None:
    fetch = endless(count=None, repeat_ids=True)
    pages, warnings = reader(fetch)
    assert pages.read(LIST) == [{"id": 1}]
    assert len(fetch.fetched) == 2
    assert len(warnings) == 1 and "no domain not already read" in warnings[0] and "cursor=1" in warnings[0]


def test_no_read_takes_longer_than_ten_minutes() -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    fetch = endless(count=None)
    original = fetch.__call__

    def slow(url: str) -> Any:
        now[0] += 61.0  # every page takes a minute
        return original(url)

    pages, _warnings = reader(Fetcher.__new__(Fetcher), clock=clock)
    pages._fetch = slow
    assert pages.max_seconds == 600
    with pytest.raises(Failed, match=r"after 10 minutes \(10 pages\); the last page read was .*cursor=9"):
        pages.read(LIST)
