# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the HTTP layer of the API client (session, token, retries, errors, redaction).

Nothing here knows the VPS.org endpoints; `_client.ApiClient` builds them on `HttpClient.request()`, the one
entry point every call goes through.
"""

from __future__ import annotations

import errno
import json as _json
import math
import random as _random
import re
import socket
import threading
import time
import traceback
from datetime import timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Pattern, Sequence, Tuple
from urllib.parse import urlencode, urlsplit

from ansible_collections.vpsorg.domains.plugins.module_utils._version import COLLECTION_VERSION

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
    from urllib3.exceptions import HTTPError as _Urllib3Error
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: Optional[str] = traceback.format_exc()
    AuthBase = object
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

# The User-Agent names the collection's version (from _version, which the release bumps).
USER_AGENT = f"vpsorg.domains/{COLLECTION_VERSION}"
DEFAULT_API_URL = "https://admin.vps.org/api/v1"
MISSING_TOKEN = (
    "api_token: no API token was given: set the api_token option or the VPSORG_API_TOKEN environment variable"
)

# Methods whose repetition has the same effect as sending them once (RFC 9110 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})

# The largest answer read (the whole account of 100,000 domains is far less) and the deepest JSON nesting: an
# API object is a few levels deep, and deeper input would exhaust the stack of the parser or of what walks it.
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_JSON_DEPTH = 64
_READ_CHUNK = 64 * 1024

# What every secret is replaced with, wherever it might be shown.
REDACTED = "********"
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")
_EXCERPT_LENGTH = 200
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Keys that may hold a domain's transfer secret (its EPP/auth code) in an API object, compared lower-case and
# without `_` or `-`: `auth_code`, `authCode`, `authInfo`, `epp-code`, ... Never returned by the client.
_SECRET_KEYS = frozenset(
    ("authcode", "authinfo", "eppcode", "eppauthcode", "authorizationcode", "authorisationcode", "transfercode")
)

_STATUS_SUMMARIES = {
    400: "the API refused the request as invalid (HTTP 400)",
    401: "the API token was rejected (HTTP 401): check api_token / VPSORG_API_TOKEN",
    402: "insufficient account balance (HTTP 402): add funds to the VPS.org account",
    403: "access denied (HTTP 403): the API token may lack the permission",
    404: "not found (HTTP 404)",
    405: "method not allowed (HTTP 405): check api_url",
    409: "conflict (HTTP 409)",
    429: "rate limited (HTTP 429)",
}


def _status_summary(status: int) -> str:
    if status in _STATUS_SUMMARIES:
        return _STATUS_SUMMARIES[status]
    if status >= 500:
        return f"server error (HTTP {status})"
    return f"unexpected answer (HTTP {status})"


def _char_forms(char: str) -> str:
    """A pattern for one character of a secret in any form an answer may echo it: as is, HTML-escaped (named,
    decimal or hex entity), URL-encoded (UTF-8 %XX), JSON-escaped (\\uXXXX, \\" and the like)."""
    code = ord(char)
    forms = [re.escape(char), f"&#0*{code};", f"&#x0*{code:x};", "".join(f"%{byte:02x}" for byte in char.encode())]
    forms.append(re.escape(f"\\u{code:04x}"))
    if char in '"\\/':
        forms.append(re.escape("\\" + char))
    import html.entities  # noqa: PLC0415 - only when a secret is masked in a message

    name = html.entities.codepoint2name.get(code)
    if name:
        forms.append(f"&{name};")
    if char == " ":
        forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


_PATTERNS: Dict[str, Pattern[str]] = {}
_PATTERNS_LOCK = threading.Lock()


def _secret_pattern(secret: str) -> Pattern[str]:
    """The pattern that finds `secret` in any letter case and any of the forms of _char_forms, even mixed."""
    with _PATTERNS_LOCK:
        pattern = _PATTERNS.get(secret)
        if pattern is None:
            if len(_PATTERNS) > 64:
                _PATTERNS.clear()
            pattern = re.compile("".join(_char_forms(char) for char in secret), re.IGNORECASE)
            _PATTERNS[secret] = pattern
        return pattern


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (longest first) and any bearer token replaced by asterisks.

    A secret is found in any letter case and in every form an answer may echo it: HTML-escaped
    (`EPP&amp;Code&lt;9&gt;`), URL-encoded, JSON-escaped, or a mix of them.
    """
    lowered: Optional[str] = None
    for secret in sorted({secret for secret in secrets if secret}, key=len, reverse=True):
        anchor = _anchor(secret)
        if anchor:
            # The escapes above never touch letters and digits: without the secret's longest run of them, the text
            # cannot hold it in any form, and the costlier pattern need not run (a large list page, every time).
            lowered = text.lower() if lowered is None else lowered
            if anchor not in lowered:
                continue
        text = _secret_pattern(secret).sub(REDACTED, text)
        lowered = None
    if "bearer" in text.lower():
        text = _BEARER.sub(lambda match: match.group(1) + REDACTED, text)
    return text


def _anchor(secret: str) -> str:
    """The secret's longest run of ASCII letters and digits, lower-cased; "" when shorter than 4 characters."""
    runs = re.findall(r"[A-Za-z0-9]+", secret)
    longest = max(runs, key=len, default="")
    return longest.lower() if len(longest) >= 4 else ""


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """`value` with `redact_text` applied to every string in it, dictionary keys included (a copy)."""
    words = tuple(secrets)
    if isinstance(value, str):
        return redact_text(value, words)
    if isinstance(value, dict):
        return {redact_text(str(key), words): redact(item, words) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item, words) for item in value]
    return value


def is_secret_key(key: Any) -> bool:
    """Whether an object key names a transfer secret (`auth_code`, `epp_code`, `authInfo`, ...)."""
    return isinstance(key, str) and key.lower().replace("_", "").replace("-", "") in _SECRET_KEYS


def strip_secrets(value: Any) -> Any:
    """`value` without any key that may hold a transfer secret, at any depth; other values as they are."""
    if isinstance(value, dict):
        return {key: strip_secrets(item) for key, item in value.items() if not is_secret_key(key)}
    if isinstance(value, list):
        return [strip_secrets(item) for item in value]
    return value


class _TooDeep(Exception):
    """Internal: a decoded answer nests deeper than MAX_JSON_DEPTH."""


def _strip_secrets_within_depth(value: Any, depth: int = 1) -> Any:
    """strip_secrets that also enforces MAX_JSON_DEPTH in the same walk (an answer is walked once).

    A list page holds thousands of objects with the same few keys: each key is judged once per answer (`seen`),
    and scalars are copied as they are without a call of their own.
    """
    return _strip_walk(value, depth, {})


def _strip_walk(value: Any, depth: int, seen: Dict[Any, bool]) -> Any:
    if isinstance(value, dict):
        if depth > MAX_JSON_DEPTH:
            raise _TooDeep()
        kept: Dict[Any, Any] = {}
        for key, item in value.items():
            secret = seen.get(key)
            if secret is None:
                secret = seen[key] = is_secret_key(key)
            if secret:
                continue
            kept[key] = _strip_walk(item, depth + 1, seen) if isinstance(item, (dict, list)) else item
        return kept
    if isinstance(value, list):
        if depth > MAX_JSON_DEPTH:
            raise _TooDeep()
        return [_strip_walk(item, depth + 1, seen) if isinstance(item, (dict, list)) else item for item in value]
    return value


def _excerpt(text: str, limit: int = _EXCERPT_LENGTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ApiError(Exception):
    """An API call that failed; str() is a message a user can act on and never holds the token."""

    def __init__(
        self,
        summary: str,
        *,
        status: Optional[int] = None,
        method: str = "",
        path: str = "",
        detail: str = "",
        field_errors: Optional[Dict[str, List[str]]] = None,
        secrets: Sequence[str] = (),
    ) -> None:
        self.summary = redact_text(summary, secrets)
        self.status = status
        self.method = method
        self.path = redact_text(path, secrets)
        self.detail = redact_text(detail, secrets)
        self.field_errors: Dict[str, List[str]] = redact(field_errors or {}, secrets)
        super().__init__(self.summary)

    def __str__(self) -> str:
        text = f"{self.method} {self.path}: {self.summary}" if self.method else self.summary
        parts = []
        if self.detail:
            parts.append(self.detail)
        parts.extend(f"{field}: {' '.join(messages)}" for field, messages in self.field_errors.items())
        if parts:
            # A summary that already carries advice after a colon reads better with the details after a semicolon.
            text += ("; " if ":" in self.summary else ": ") + "; ".join(parts)
        return text

    def to_failure(self) -> Dict[str, Any]:
        """The structured form modules return as `failure`."""
        return {
            "status": self.status,
            "method": self.method,
            "path": self.path,
            "detail": self.detail,
            "field_errors": {field: list(messages) for field, messages in self.field_errors.items()},
        }


class OutcomeUnknown(ApiError):
    """A write that may or may not have been applied (timeout or reset after sending, 5xx, cut-off body)."""


class RateLimited(ApiError):
    """A paid POST answered 429: never re-sent here; the write engine looks its outcome up first (`retry_after`)."""

    retry_after: Optional[float] = None


class _Retryable(Exception):
    """Internal: an attempt that failed in a way the retry policy may repeat."""

    def __init__(self, error: ApiError, delay: Optional[float] = None, *, maybe_applied: bool, shared: bool = False):
        super().__init__(str(error))
        self.error = error
        self.delay = delay
        self.maybe_applied = maybe_applied
        self.shared = shared


def _is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    import ipaddress  # noqa: PLC0415 - only for an http:// URL, which needs a loopback host

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin_of(url: str) -> Tuple[str, str, Optional[int]]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").rstrip("."), port or _DEFAULT_PORTS.get(scheme)


def _parse_api_url(api_url: Any) -> Tuple[str, str]:
    """(base URL ending in a slash, origin) of a validated api_url; ValueError naming api_url otherwise."""
    if not isinstance(api_url, str) or not api_url.strip():
        raise ValueError("api_url: must be an https:// URL such as " + DEFAULT_API_URL)
    parts = urlsplit(api_url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"api_url: {api_url!r} is not an http(s) URL; expected something like {DEFAULT_API_URL}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("api_url: must not contain a user name or password; the token goes in api_token")
    if parts.query or parts.fragment:
        raise ValueError(f"api_url: {api_url!r} must not carry a query or fragment")
    try:
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        raise ValueError(f"api_url: {api_url!r} has an invalid port") from None
    if scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"api_url: {api_url!r} uses plain http:// to a host that is not loopback, which would expose the "
            "token; use https:// (http:// is allowed only to 127.0.0.1, ::1 or localhost)"
        )
    origin = f"{scheme}://{parts.netloc.lower()}"
    return origin + parts.path.rstrip("/") + "/", origin


def _exception_chain(exc: BaseException) -> List[BaseException]:
    """The exception and everything it wraps (urllib3 keeps causes in .reason and args)."""
    chain: List[BaseException] = []
    pending: List[Any] = [exc]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is seen for seen in chain):
            continue
        chain.append(current)
        pending.append(getattr(current, "reason", None))
        pending.extend(current.args)
        pending.extend((current.__cause__, current.__context__))
    return chain


def _never_sent(exc: BaseException) -> bool:
    """True when the failure happened before a connection existed, so no byte of the request left."""
    return any(isinstance(item, (NewConnectionError, ConnectTimeoutError)) for item in _exception_chain(exc))


def _refused(exc: BaseException) -> bool:
    """True when the server's host refused the connection: nothing listens on that port."""
    return any(
        isinstance(item, ConnectionRefusedError)
        or (isinstance(item, OSError) and item.errno == errno.ECONNREFUSED)
        or "connection refused" in str(item).lower()
        for item in _exception_chain(exc)
    )


def _unresolved(exc: BaseException) -> bool:
    """True when the host name of api_url could not be resolved (an unknown host, or no DNS at all)."""
    return any(
        isinstance(item, socket.gaierror) or type(item).__name__ == "NameResolutionError"
        for item in _exception_chain(exc)
    )


def _json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a decoded JSON value (iteratively: the value may be deep)."""
    deepest = 0
    pending: List[Tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            items: Iterable[Any] = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        # Only containers nest: the scalars of a large list page are never put on the stack.
        pending.extend((child, depth + 1) for child in items if isinstance(child, (dict, list)))
    return deepest


class _Deadline(Exception):
    """Internal: the answer did not arrive whole within the request's deadline."""


class _TooLarge(Exception):
    """Internal: the answer is larger than MAX_BODY_BYTES."""


def _describe(exc: BaseException) -> str:
    """The innermost reason of a transport failure, without object addresses and pool details."""
    chain = _exception_chain(exc)
    inner = next(
        (item for item in reversed(chain) if not type(item).__module__.startswith("requests") and str(item)),
        exc,
    )
    text = re.sub(r"<[^<>]*>:?\s*", "", str(inner))
    text = re.sub(r"\w*ConnectionPool\([^)]*\):\s*", "", text)
    text = re.sub(r"^None:\s*", "", text)
    return _excerpt(text or type(inner).__name__)


def _strip_html(text: str) -> str:
    text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", text)
    return re.sub(r"(?s)<[^>]*>", " ", text)


class _BearerAuth(AuthBase):
    """Adds the token only to requests for the configured origin; being set, it also keeps ~/.netrc out."""

    def __init__(self, token: str, origin: str) -> None:
        self._token = token
        self._origin = _origin_of(origin)

    def __call__(self, request: Any) -> Any:
        if _origin_of(request.url) == self._origin:
            request.headers["Authorization"] = f"Bearer {self._token}"
        else:
            request.headers.pop("Authorization", None)
        return request

    def __repr__(self) -> str:
        return "<bearer token>"


class RetryPolicy:
    """When a failed request is tried again and how long the client waits in between.

    `max_attempts` bounds the attempts of one request and `max_total_time` (seconds) the time spent on them (an
    attempt never runs past it; HttpClient's default is 4 x its timeout, 60 to 300 s);
    back-off doubles from `backoff_base` up to `backoff_cap`, half fixed and half random; a `Retry-After`
    longer than `retry_after_cap` fails at once. `sleep`, `clock` (monotonic), `wall_clock` (for HTTP dates)
    and `jitter` (0..1) are injectable so that tests never wait.
    """

    def __init__(
        self,
        *,
        max_attempts: int = 5,
        max_total_time: float = 120.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        retry_after_cap: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = _random.random,
    ) -> None:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be an integer of at least 1, got {max_attempts!r}")
        for label, seconds in (
            ("max_total_time", max_total_time),
            ("backoff_base", backoff_base),
            ("backoff_cap", backoff_cap),
            ("retry_after_cap", retry_after_cap),
        ):
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < math.inf:
                raise ValueError(f"{label} must be a number of seconds, 0 or more, got {seconds!r}")
        self.max_attempts = max_attempts
        self.max_total_time = max_total_time
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.sleep = sleep
        self.clock = clock
        self.wall_clock = wall_clock
        self.jitter = jitter

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(max_attempts={self.max_attempts}, max_total_time={self.max_total_time}, "
            f"backoff_base={self.backoff_base}, backoff_cap={self.backoff_cap}, "
            f"retry_after_cap={self.retry_after_cap})"
        )

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based) when the API did not say."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        # Half fixed, half random: spreads a pool of workers without ever retrying at once.
        return ceiling / 2 + self.jitter() * ceiling / 2

    def retry_after(self, value: Optional[str]) -> Optional[float]:
        """Seconds to wait from a Retry-After header (delta seconds or HTTP date); None when absent or unreadable."""
        if not value or not value.strip():
            return None
        value = value.strip()
        try:
            seconds = float(value)
        except ValueError:
            import email.utils  # noqa: PLC0415 - only for a Retry-After given as an HTTP date

            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when is None:
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            seconds = when.timestamp() - self.wall_clock()
        if math.isnan(seconds):
            return None
        return max(0.0, seconds)


class HttpClient:
    """Authenticated JSON over HTTP to one API base URL, with the retry policy; one instance may be shared by threads.

    Every call goes through `request()`. Each attempt has a total deadline of `timeout` (connecting, sending and
    the whole answer), and all attempts of one call end within the retry policy's `max_total_time`. Answers come
    back decoded, at most MAX_BODY_BYTES and MAX_JSON_DEPTH deep, without any key that may hold a transfer
    secret and with the token and the call's secrets masked in any form; failures are `ApiError` (or
    `OutcomeUnknown` for a write that may have been applied), their text never holding the token or the secrets
    a call names. What the client notices without failing is collected once in `warnings` (see `warn`).
    """

    def __init__(
        self,
        api_token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        validate_certs: bool = True,
        ca_path: Optional[str] = None,
        timeout: float = 30,
        pool_size: int = 4,
        retry: Optional[RetryPolicy] = None,
    ) -> None:
        if not HAS_REQUESTS:
            raise RuntimeError("the Python library requests is required to talk to the VPS.org API")
        if not isinstance(api_token, str) or not api_token.strip():
            raise ValueError(MISSING_TOKEN)
        # A line break copied along with the token is harmless; whitespace inside it is a wrong value.
        api_token = api_token.strip()
        if any(ch.isspace() for ch in api_token):
            raise ValueError("api_token: must not contain whitespace or line breaks")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
            raise ValueError(f"api_timeout: must be a positive number of seconds, got {timeout!r}")
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.base_url, self.origin = _parse_api_url(api_url)
        self._token = api_token
        self._timeout = timeout
        # verify=True (not a path) lets REQUESTS_CA_BUNDLE apply, as requests does for any client.
        self._verify: Any = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        # Retries end within a total time too: a few attempts of api_timeout each, never more than 5 minutes.
        self.retry = retry if retry is not None else RetryPolicy(max_total_time=min(300.0, max(60.0, 4.0 * timeout)))
        self._pause_lock = threading.Lock()
        self._paused_until = -math.inf
        # Whether any answer came from the server yet: before that, a refused connection or a host name that does
        # not resolve means a wrong api_url (or a server that is not running), which retrying will not change.
        self._reached = False
        # Sized once, here: swapping the adapter later would pull the pool from under threads using it.
        self.pool_size = pool_size
        # What the client noticed without failing (e.g. next links re-based), in order, each once: the one
        # collection of warnings. `on_warning`, when set, is told each one as it is collected (modules point it
        # at module.warn, which shows them with the module's result, on success and on failure alike).
        self.warnings: List[str] = []
        self.on_warning: Optional[Callable[[str], None]] = None

        session = requests.Session()
        # trust_env stays on so proxy variables work; netrc cannot apply because session.auth is set.
        session.auth = _BearerAuth(api_token, self.origin)
        session.headers.update(
            {"User-Agent": USER_AGENT, "Accept": "application/json", "Content-Type": "application/json"}
        )
        # Retries are decided in _request(), never inside urllib3.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        self.session = session

    def fit_pool(self, size: int) -> int:
        """How many requests may be in flight at once: `size`, at most the pool's size (fixed at construction)."""
        return max(1, min(size, self.pool_size))

    def warn(self, text: str) -> None:
        """Collect a warning once (thread-safe); `on_warning` is told of it as it arrives."""
        with self._pause_lock:
            if text in self.warnings:
                return
            self.warnings.append(text)
        if self.on_warning is not None:
            self.on_warning(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # -- URLs ---------------------------------------------------------------------------------------------------

    def _url(self, path: str, params: Optional[Dict[str, Any]] = None) -> str:
        if not isinstance(path, str) or "://" in path or path.startswith("//"):
            raise ValueError(f"path must be relative to api_url, got {path!r}")
        url = self.base_url + path.lstrip("/")
        query = {key: value for key, value in (params or {}).items() if value is not None}
        if query:
            url += "?" + urlencode(query, doseq=True)
        return url

    def _error(self, summary: str, method: str, path: str) -> ApiError:
        return ApiError(summary, method=method, path=path, secrets=(self._token,))

    # -- the one request entry point ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Dict[str, Any]] = None,
        json: Any = None,
        secrets: Sequence[str] = (),
        gone_ok: bool = False,
    ) -> Any:
        """Send one API call with the retry policy of its method; the decoded JSON answer, None for no content.

        `path` is relative to api_url. `secrets` are values sent in the call (an auth code) that no error may
        show. With `gone_ok`, a 404 after an attempt that may have been applied counts as done (a DELETE).
        """
        return self._request(method, self._url(path, params), json=json, secrets=secrets, gone_ok=gone_ok)

    def _request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        secrets: Sequence[str] = (),
        gone_ok: bool = False,
    ) -> Any:
        """`request()` for a URL already built from api_url (a list's checked next link); the retry loop."""
        method = method.upper()
        secrets = (self._token, *secrets)
        data = None if json is None else _json.dumps(json).encode("utf-8")
        policy = self.retry
        started = policy.clock()
        maybe_applied = False
        attempt = 0
        while True:
            attempt += 1
            self._wait_while_paused()
            # Each attempt has the whole of api_timeout, but never runs past the retry budget.
            budget_left = policy.max_total_time - (policy.clock() - started)
            deadline = policy.clock() + max(min(self._timeout, budget_left), 0.001)
            try:
                answer = self._attempt(method, url, data, secrets, gone_ok=gone_ok and maybe_applied, deadline=deadline)
            except _Retryable as retry:
                error = retry.error
                maybe_applied = maybe_applied or retry.maybe_applied
                delay = retry.delay if retry.delay is not None else policy.backoff(attempt)
                if attempt >= policy.max_attempts:
                    error.summary += f" (gave up after {attempt} attempts)"
                    raise error from None
                elapsed = policy.clock() - started
                if elapsed + delay > policy.max_total_time:
                    error.summary += (
                        f" (gave up after {attempt} attempts: waiting {delay:.0f} s more would exceed the "
                        f"{policy.max_total_time:.0f} s retry budget)"
                    )
                    raise error from None
                if retry.shared:
                    self._pause_all(delay)
                else:
                    policy.sleep(delay)
            else:
                # Decoded answers were stripped of secret keys already (_decode_json); None needs nothing.
                return answer

    def _attempt(
        self, method: str, url: str, data: Optional[bytes], secrets: Sequence[str], *, gone_ok: bool, deadline: float
    ) -> Any:
        path = urlsplit(url).path
        idempotent = method in IDEMPOTENT_METHODS
        info = {"method": method, "path": path, "secrets": secrets}
        clock = self.retry.clock
        try:
            remaining = max(deadline - clock(), 0.001)
            # stream=True: the body is read below against the deadline, not only between two reads.
            response = self.session.request(
                method,
                url,
                data=data,
                timeout=(remaining, remaining),
                verify=self._verify,
                allow_redirects=False,
                stream=True,
            )
            self._reached = True
            try:
                content = self._read_body(response, deadline)
            finally:
                response.close()
        except requests.exceptions.SSLError as exc:
            raise ApiError(self._tls_summary(exc), **info) from exc
        except _TooLarge:
            raise ApiError(
                f"the API's answer is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB: not read; check api_url",
                **info,
            ) from None
        except (
            _Deadline,
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            _Urllib3Error,
        ) as exc:
            self._transport_failure(exc, url, idempotent, info)
        except requests.exceptions.RequestException as exc:
            raise ApiError(f"request failed: {_describe(exc)}", **info) from exc
        except OSError as exc:  # a socket error while the body was read (requests' own are RequestExceptions)
            self._transport_failure(exc, url, idempotent, info)
        return self._handle(response, method, idempotent, gone_ok, info, content=content)

    def _transport_failure(self, exc: BaseException, url: str, idempotent: bool, info: Dict[str, Any]) -> None:
        """Raise what a failure on the wire means: fail at once, retry, or an unknown outcome."""
        shown = urlsplit(url)._replace(query="", fragment="").geturl()
        if isinstance(exc, (_Deadline, requests.exceptions.ReadTimeout)):
            reason = f"no complete answer within api_timeout ({self._timeout:g} s)"
        else:
            reason = _describe(exc)
        if not self._reached and _unresolved(exc):
            raise ApiError(
                f"could not connect to {shown}: the host name does not resolve ({reason}); check api_url", **info
            ) from exc
        if _never_sent(exc):
            if not self._reached and _refused(exc):
                # Nothing listens there (a wrong port or host, or the API is down): retrying would only wait.
                raise ApiError(
                    f"could not connect to {shown}: connection refused; check api_url (host and port) and that "
                    "the API is running",
                    **info,
                ) from exc
            raise _Retryable(
                ApiError(f"could not connect to {self.origin}: {reason}", **info), maybe_applied=False
            ) from exc
        if idempotent:
            raise _Retryable(
                ApiError(f"no complete answer from {self.origin}: {reason}", **info), maybe_applied=True
            ) from exc
        raise OutcomeUnknown(
            f"outcome unknown: the request was sent but no complete answer came back ({reason}); "
            "it may or may not have been applied",
            **info,
        ) from exc

    def _read_body(self, response: Any, deadline: float) -> bytes:
        """The whole body by `deadline`, at most MAX_BODY_BYTES; _Deadline or _TooLarge otherwise."""
        if response._content is not False:  # already read (a test's stand-in for the network)
            content = response.content or b""
            if len(content) > MAX_BODY_BYTES:
                raise _TooLarge()
            return content
        length = response.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > MAX_BODY_BYTES:
            raise _TooLarge()
        raw = response.raw
        # read1 returns what has arrived (at least a byte); read would wait for a whole chunk of a dripped body.
        read_some = getattr(raw, "read1", None) or raw.read
        if hasattr(raw, "decode_content"):  # urllib3's response: gzip and deflate are undone while reading

            def read(amount: int) -> bytes:
                return read_some(amount, decode_content=True)

        else:
            read = read_some
        sock = getattr(getattr(raw, "connection", None) or getattr(raw, "_connection", None), "sock", None)
        clock = self.retry.clock
        chunks: List[bytes] = []
        size = 0
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                raise _Deadline()
            if sock is not None:
                try:
                    sock.settimeout(remaining)
                except OSError:
                    sock = None
            try:
                chunk = read(_READ_CHUNK)
            except socket.timeout:
                raise _Deadline() from None
            except _Urllib3Error as exc:
                if any(isinstance(item, socket.timeout) for item in _exception_chain(exc)) or (
                    type(exc).__name__ == "ReadTimeoutError"
                ):
                    raise _Deadline() from None
                raise
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _TooLarge()
            chunks.append(chunk)
        content = b"".join(chunks)
        # requests' own accessors (response.content, .text) see the body that was read.
        response._content = content
        response._content_consumed = True
        return content

    def _handle(
        self, response: Any, method: str, idempotent: bool, gone_ok: bool, info: Dict[str, Any], *, content: bytes
    ) -> Any:
        status = response.status_code
        if gone_ok and status == 404:
            # An earlier attempt of this DELETE may have been applied without its answer arriving.
            return None
        if 300 <= status < 400:
            location = response.headers.get("Location") or "(no Location header)"
            raise ApiError(
                f"the API answered with a redirect (HTTP {status}) to {_excerpt(location)}; redirects are never "
                "followed: check api_url (https:// and the /api/v1 path)",
                status=status,
                **info,
            )
        if status in RETRY_STATUSES and (idempotent or status == 429):
            error = self._error_from_response(response, cls=ApiError if idempotent else RateLimited, **info)
            retry_after = self.retry.retry_after(response.headers.get("Retry-After"))
            if isinstance(error, RateLimited):
                error.retry_after = retry_after
            if retry_after is not None and retry_after > self.retry.retry_after_cap:
                error.summary += (
                    f"; the API asked to wait {retry_after:.0f} s (Retry-After), more than the "
                    f"{self.retry.retry_after_cap:.0f} s this client waits: not retried, try again later"
                )
                raise error
            if isinstance(error, RateLimited):
                # A server may charge and then answer 429: the write engine looks it up before any re-send.
                raise error
            raise _Retryable(
                error,
                retry_after,
                # A 429 was refused before doing anything; a gateway error may hide an applied request.
                maybe_applied=status != 429,
                shared=status == 429 or retry_after is not None,
            )
        if status >= 500 and not idempotent:
            raise self._error_from_response(
                response,
                cls=OutcomeUnknown,
                summary=f"outcome unknown: server error (HTTP {status}), the request may or may not have been applied",
                **info,
            )
        if status >= 400:
            raise self._error_from_response(response, **info)
        return self._decode_success(response, method, idempotent, info, content)

    def _decode_success(
        self, response: Any, method: str, idempotent: bool, info: Dict[str, Any], content: bytes
    ) -> Any:
        status = response.status_code
        if status == 204 or (not content and method == "DELETE"):
            return None
        detail = ""
        if not content:
            problem = "an empty body"
        else:
            try:
                return self._decode_json(content, info)
            except ValueError:
                content_type = response.headers.get("Content-Type", "")
                if "json" in content_type or not content_type:
                    problem = "a cut-off or undecodable JSON body"
                else:
                    detail = self._non_json_note(response, info["secrets"])
                    if idempotent:
                        # A proxy page is not a transient fault: asking again would get the same page.
                        raise ApiError(
                            f"unexpected answer (HTTP {status})", status=status, detail=detail, **info
                        ) from None
                    problem = "a body that is not JSON"
        if idempotent:
            raise _Retryable(
                ApiError(f"the API answered HTTP {status} with {problem}", status=status, **info), maybe_applied=True
            )
        raise OutcomeUnknown(
            f"outcome unknown: the API answered HTTP {status} with {problem}", status=status, detail=detail, **info
        )

    def _decode_json(self, content: bytes, info: Dict[str, Any]) -> Any:
        """A success body decoded, every secret of the call masked in it; ValueError when it is no JSON."""
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
        # An answer echoing the token or an auth code in any form would reach a result or a log: masked here.
        text = redact_text(text, info["secrets"])
        try:
            # An auth code in an answer would reach a module's result and its log: its key never leaves here.
            return _strip_secrets_within_depth(_json.loads(text))
        except (RecursionError, _TooDeep):
            raise ApiError(
                f"the API answered with JSON nested more than {MAX_JSON_DEPTH} levels deep: not read", **info
            ) from None

    # -- errors ---------------------------------------------------------------------------------------------------

    def _tls_summary(self, exc: BaseException) -> str:
        reason = _describe(exc)
        if "certificate" in str(exc).lower():
            return (
                f"TLS certificate verification failed for {self.origin}: {reason}; if the API uses a private CA, "
                "set ca_path (or REQUESTS_CA_BUNDLE), or set validate_certs: false (insecure)"
            )
        return f"TLS connection to {self.origin} failed: {reason}; check api_url, validate_certs and ca_path"

    @staticmethod
    def _non_json_note(response: Any, secrets: Sequence[str]) -> str:
        # Redacted before the excerpt: a secret cut in half by the excerpt could no longer be found and hidden.
        text = redact_text(response.content.decode("utf-8", "replace"), secrets)
        content_type = response.headers.get("Content-Type", "").lower()
        if "html" in content_type or text.lstrip()[:1] == "<":
            return f"the API answered with HTML instead of JSON: {_excerpt(_strip_html(text))}"
        return f"the API answered with text instead of JSON: {_excerpt(text)}"

    def _error_from_response(
        self,
        response: Any,
        *,
        method: str,
        path: str,
        secrets: Sequence[str],
        cls: type = ApiError,
        summary: str = "",
    ) -> ApiError:
        status = response.status_code
        detail, field_errors = "", {}
        if response.content:
            # Redacted before anything is cut short to an excerpt, for the same reason as in _non_json_note.
            text = redact_text(response.content.decode("utf-8", "replace"), secrets)
            try:
                body = _json.loads(text)
                if _json_depth(body) > MAX_JSON_DEPTH:
                    body = f"an error body nested more than {MAX_JSON_DEPTH} levels deep"
            except (ValueError, RecursionError):
                detail = self._non_json_note(response, secrets)
            else:
                detail, field_errors = _error_body(body)
        if not summary:
            summary = _status_summary(status)
        return cls(
            summary,
            status=status,
            method=method,
            path=path,
            detail=detail,
            field_errors=field_errors,
            secrets=secrets,
        )

    # -- pauses shared by threads ---------------------------------------------------------------------------

    def _pause_all(self, seconds: float) -> None:
        with self._pause_lock:
            self._paused_until = max(self._paused_until, self.retry.clock() + seconds)

    def _wait_while_paused(self) -> None:
        while True:
            with self._pause_lock:
                remaining = self._paused_until - self.retry.clock()
            if remaining <= 0:
                return
            self.retry.sleep(remaining)


def _error_body(body: Any) -> Tuple[str, Dict[str, List[str]]]:
    """(detail, field errors) from the Django REST Framework error shapes."""
    if isinstance(body, str):
        return _excerpt(body, 500), {}
    if isinstance(body, list):
        return _excerpt("; ".join(str(item) for item in body), 500), {}
    if not isinstance(body, dict):
        return "", {}
    details = []
    field_errors: Dict[str, List[str]] = {}
    for key, value in body.items():
        if key in ("detail", "message", "error", "non_field_errors"):
            details.extend(_messages(value))
        else:
            field_errors[str(key)] = _messages(value)
    return _excerpt(" ".join(details), 500), field_errors


def _messages(value: Any) -> List[str]:
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, item in value.items() for message in _messages(item)]
    return [_excerpt(str(value), 300)]
