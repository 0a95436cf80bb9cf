# SPDX-License-Identifier: GPL-3.0-or-later
"""Server profiles: how the API's answers are written, beyond what the store decides.

`default` is the sandbox as documented in the API contract: money as JSON numbers, times as
`2026-01-15T10:30:00Z`, names lower-case ASCII (internationalised names as xn-- punycode), oldest first,
`next` links built from the request's Host, the sandbox's own error texts.

`drf` behaves as a stock Django REST Framework application behind nginx:

- decimals are strings (`"total_cost": "25.98"`), as DRF's DecimalField renders them;
- datetimes carry microseconds and an explicit `+00:00` offset (`2026-01-15T10:30:00.123456+00:00`), from
  `datetime.isoformat()` (stock DRF shortens a UTC offset to `Z`; projects with their own field or a
  non-UTC zone send an offset, and clients must read both);
- a registered name is stored and returned exactly as posted, Unicode included (`bücher.app` stays
  `bücher.app`); availability is still judged on the registry's ASCII form, so the punycode form of a
  stored Unicode name is "already registered";
- `search` is a case-insensitive substring match on the stored text (so the punycode form does not find a
  Unicode-stored name), lists are newest first;
- `next`/`previous` links are built from the upstream host the app sees behind its proxy
  (`http://web:8000` unless the `next_link_base` setting says otherwise);
- DRF's own error texts and headers: 401 "Authentication credentials were not provided." / "Invalid token."
  with `WWW-Authenticate: Bearer realm="api"`, 404 "No Domain matches the given query." for an unknown or
  foreign domain and Django's HTML page for an unknown URL, 405 `Method "PATCH" not allowed.` with DRF's
  `Allow` header, 429 "Request was throttled. Expected available in N seconds." with `Retry-After`, Django's
  HTML page on 500 and nginx's HTML page on 502 and 504 (for injected faults without a body of their own);
- JSON written as DRF writes it: compact, non-ASCII characters as they are (UTF-8), not \\u escapes.

The control API, the journal, the ledger and the fault layer behave the same under both profiles.

Choose with `python -m sandbox --profile drf`, or at run time with `POST /_sandbox/config {"profile": "drf"}`
(`GET /_sandbox/config` shows it). `POST /_sandbox/reset` keeps the active profile, since a reset is about the
data, not about which server is imitated; a reset body `{"profile": "default"}` switches as it resets.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Tuple

from .rules import ApiError, iso, parse_time, validate_registration

PROFILES = ("default", "drf")
DRF_LINK_BASE = "http://web:8000"
# Answer fields holding a date-time, and fields holding money, wherever they appear in an API answer.
DATE_KEYS = frozenset(
    (
        "registration_date",
        "expiration_date",
        "created_date",
        "updated_date",
        "transfer_initiated_at",
        "estimated_completion",
        "transfer_completed_at",
    )
)
MONEY_KEYS = frozenset(("total_cost", "cost", "price", "amount", "balance", "fee"))
# DRF lists the allowed methods in this order (Django's View.http_method_names), HEAD with GET, OPTIONS always.
_METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

# (status, body, headers, content type or None for JSON)
Reply = Tuple[int, Any, Dict[str, str], Optional[str]]


def registry_key(name: str) -> str:
    """The registry's form of a name: lower case, each label as IDNA ASCII (unchanged when it cannot be)."""
    text = name.strip().lower().rstrip(".")
    try:
        return text.encode("idna").decode("ascii")
    except UnicodeError:
        return text


def _walk(value: Any, convert: Any) -> Any:
    if isinstance(value, dict):
        return {key: convert(key, _walk(item, convert)) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, convert) for item in value]
    return value


# A page of a large account repeats few distinct times: each is written once.
@functools.lru_cache(maxsize=4096)
def _plain_time(value: str) -> str:
    return iso(parse_time(value)) or value


@functools.lru_cache(maxsize=4096)
def _drf_time(value: str) -> str:
    moment: datetime = parse_time(value)
    return moment.isoformat()


def _django_page(title: str, details: str) -> str:
    return (
        '\n<!doctype html>\n<html lang="en">\n<head>\n'
        f"  <title>{title}</title>\n</head>\n<body>\n  <h1>{title}</h1><p>{details}</p>\n</body>\n</html>\n"
    )


def _nginx_page(status: int, phrase: str) -> str:
    head = f"{status} {phrase}"
    return (
        f"<html>\r\n<head><title>{head}</title></head>\r\n<body>\r\n<center><h1>{head}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )


_HTML = "text/html; charset=utf-8"
_NGINX_HTML = "text/html"
_NGINX_PHRASES = {502: "Bad Gateway", 504: "Gateway Time-out"}
# APIException.default_detail of DRF for the statuses a fault may give without a body.
_DRF_DETAILS = {
    400: "Malformed request.",
    401: "Incorrect authentication credentials.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    406: "Could not satisfy the request Accept header.",
    415: 'Unsupported media type "application/json" in request.',
    503: "Service temporarily unavailable, try again later.",
}


@dataclass(frozen=True)
class Profile:
    """One way of writing answers; `default` and `drf` are the two instances."""

    name: str

    @property
    def drf(self) -> bool:
        return self.name == "drf"

    # -- answers ----------------------------------------------------------------------------------------
    def render(self, body: Any) -> Any:
        """An API answer's body with its times and money written the profile's way."""

        drf = self.drf
        as_time = _drf_time if drf else _plain_time

        def convert(key: str, value: Any) -> Any:
            if key in DATE_KEYS and isinstance(value, str):
                return as_time(value)
            if drf and key in MONEY_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
                return f"{value:.2f}"
            return value

        return _walk(body, convert)

    def encode(self, body: Any) -> bytes:
        if self.drf:
            return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return json.dumps(body).encode("utf-8")

    def headers(self, allowed: Iterable[str]) -> Dict[str, str]:
        """Headers every API answer carries (DRF: Allow, Vary and Django's security middleware)."""
        if not self.drf:
            return {}
        return {
            "Allow": self.allow(allowed),
            "Vary": "Accept",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cross-Origin-Opener-Policy": "same-origin",
        }

    @staticmethod
    def allow(allowed: Iterable[str]) -> str:
        methods = set(allowed)
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        return ", ".join(method for method in _METHOD_ORDER if method in methods)

    @staticmethod
    def metadata() -> Dict[str, Any]:
        """DRF's OPTIONS answer (SimpleMetadata) for a view."""
        return {
            "name": "Domain",
            "description": "",
            "renders": ["application/json"],
            "parses": ["application/json"],
        }

    def link_base(self, configured: Optional[str]) -> Optional[str]:
        """Where `next`/`previous` links point: the setting, else the profile's upstream (None: the request)."""
        if configured:
            return configured
        return DRF_LINK_BASE if self.drf else None

    def newest_first(self) -> bool:
        return self.drf

    # -- errors -----------------------------------------------------------------------------------------
    def unauthorized(self, token_given: bool) -> Reply:
        headers = {"WWW-Authenticate": 'Bearer realm="api"'}
        if not self.drf:
            return 401, {"detail": "Unauthorized - invalid or missing authentication token"}, headers, None
        detail = "Invalid token." if token_given else "Authentication credentials were not provided."
        return 401, {"detail": detail}, headers, None

    def method_not_allowed(self, method: str, allowed: Iterable[str]) -> Reply:
        allowed = list(allowed)
        allow = self.allow(allowed) if self.drf else ", ".join(sorted(allowed))
        return 405, {"detail": f'Method "{method}" not allowed.'}, {"Allow": allow}, None

    def no_route(self, path: str) -> Reply:
        """A URL no view answers: DRF's JSON in the sandbox, Django's own HTML page in a DRF app."""
        del path
        if not self.drf:
            return 404, {"detail": "Not found."}, {}, None
        return 404, _django_page("Not Found", "The requested resource was not found on this server."), {}, _HTML

    def error(self, error: ApiError) -> ApiError:
        """A store or validation error, in the profile's words (an unknown domain is DRF's Http404 text)."""
        if self.drf and error.status == 404 and error.body == {"detail": "Not found."}:
            return ApiError(404, {"detail": "No Domain matches the given query."}, error.headers)
        return error

    def fault(self, status: int, retry_after: Optional[str]) -> Reply:
        """The answer of an injected fault that brings no body of its own."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        if not self.drf:
            return status, {"detail": f"Injected fault: HTTP {status}."}, headers, None
        if status in _NGINX_PHRASES:
            return status, _nginx_page(status, _NGINX_PHRASES[status]), headers, _NGINX_HTML
        if status == 500:
            return status, _django_page("Server Error (500)", ""), headers, _HTML
        if status == 429:
            detail = "Request was throttled."
            if retry_after is not None and retry_after.isdigit():
                wait = int(retry_after)
                detail += f" Expected available in {wait} second{'' if wait == 1 else 's'}."
            return status, {"detail": detail}, headers, None
        return status, {"detail": _DRF_DETAILS.get(status, f"Request failed with status {status}.")}, headers, None

    # -- requests ---------------------------------------------------------------------------------------
    def clean_registration(self, body: Any) -> Dict[str, Any]:
        """The checked registration request; under drf the name is kept as posted (trimmed, as CharField does)."""
        if not self.drf or not isinstance(body, dict) or not isinstance(body.get("domain_name"), str):
            return validate_registration(body)
        posted = body["domain_name"].strip()
        try:
            ascii_name = posted.lower().rstrip(".").encode("idna").decode("ascii") if posted else posted
        except UnicodeError as error:
            problem: List[str] = [f"Enter a valid domain name: {posted!r} is not a valid internationalised name."]
            raise ApiError(400, {"domain_name": problem}) from error
        clean = validate_registration({**body, "domain_name": ascii_name})
        clean["domain_name"] = posted
        return clean


_BY_NAME = {name: Profile(name) for name in PROFILES}


def profile_named(name: str) -> Profile:
    return _BY_NAME.get(name, _BY_NAME["default"])
