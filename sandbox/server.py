# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP side: routing, the API endpoints, the control API, the journal and fault injection."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import re
import socket
import sqlite3
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from .profiles import Profile, Reply, profile_named
from .rules import ApiError, iso_ms, redact, utcnow, validate_transfer, validate_update
from .store import Store, checked_status

API_PREFIX = "/api/v1"
CONTROL_PREFIX = "/_sandbox"
_MAX_BODY = 1 << 20
_DOMAINS = re.compile(r"^/api/v1/domains/$")
_DOMAIN = re.compile(r"^/api/v1/domains/(\d+)/$")
_TRANSFER = re.compile(r"^/api/v1/domains/(\d+)/transfer/$")
_DROPS = ("before_commit", "after_commit", "mid_body")
_PHASES = ("before_commit", "after_commit")
_FAULT_KEYS = frozenset(
    (
        "method",
        "path_prefix",
        "count",
        "status",
        "retry_after",
        "body",
        "content_type",
        "delay_ms",
        "delay",
        "drop",
        "drip_ms",
    )
)
# The slowest drip: one byte a minute is already far slower than any client waits.
_MAX_DRIP_MS = 60_000


@dataclass
class Answer:
    """A response about to be sent."""

    status: int
    body: Any = None
    headers: Dict[str, str] = field(default_factory=dict)
    content_type: Optional[str] = None

    def payload(self) -> bytes:
        if self.status == 204 or self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str) and self.content_type is not None:
            return self.body.encode()
        return json.dumps(self.body).encode()

    def media_type(self) -> str:
        if self.content_type:
            return self.content_type
        return "application/json"


def _json_error(error: ApiError) -> Answer:
    return Answer(error.status, error.body, dict(error.headers))


def _reply(reply: Reply) -> Answer:
    status, body, headers, content_type = reply
    return Answer(status, body, dict(headers), content_type)


# -- faults ------------------------------------------------------------------------------------------
@dataclass
class Fault:
    """One armed misbehaviour for the next `count` matching requests."""

    id: int
    method: Optional[str]
    path_prefix: str
    count: int
    status: Optional[int]
    retry_after: Optional[str]
    body: Any
    content_type: Optional[str]
    delay_ms: int
    delay: str
    drop: Optional[str]
    # Send the answer one byte every `drip_ms` ms (headers at once): every gap is short, the whole is slow.
    drip_ms: int = 0

    @property
    def kind(self) -> str:
        if self.drop:
            return f"drop_{self.drop}"
        if self.drip_ms:
            return "drip"
        return "status" if self.status is not None else "delay"

    @property
    def commits(self) -> bool:
        """Whether the request is still carried out (its change stored) under this fault."""
        if self.status is not None:
            return self.delay == "after_commit"
        return self.drop != "before_commit"

    def answer(self, profile: Profile) -> Answer:
        if self.body is None:
            # Without a body of its own, a fault answers as the active profile's server would.
            return _reply(profile.fault(int(self.status or 500), self.retry_after))
        headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        body = self.body
        content_type = self.content_type
        if isinstance(body, str) and content_type is None:
            content_type = "text/plain; charset=utf-8"
        return Answer(int(self.status or 500), body, headers, content_type)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path_prefix": self.path_prefix,
            "count": self.count,
            "status": self.status,
            "retry_after": self.retry_after,
            "body": self.body,
            "content_type": self.content_type,
            "delay_ms": self.delay_ms,
            "delay": self.delay,
            "drop": self.drop,
            "drip_ms": self.drip_ms,
            "kind": self.kind,
        }


class Faults:
    """The armed faults, first armed first used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: List[Fault] = []
        self._next_id = 1

    def add(self, spec: Any) -> Fault:
        fault = self._check(spec)
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Optional[Fault]:
        """The first fault matching the request, with one use spent; None when none matches."""
        with self._lock:
            for fault in self._faults:
                if (fault.method is None or fault.method == method) and path.startswith(fault.path_prefix):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def listing(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @staticmethod
    def _check(spec: Any) -> Fault:
        if not isinstance(spec, dict):
            raise ApiError(400, {"detail": "Expected a JSON object."})
        errors: Dict[str, List[str]] = {}
        unknown = sorted(set(spec) - _FAULT_KEYS)
        if unknown:
            errors["non_field_errors"] = [f"Unknown fields: {', '.join(unknown)}."]
        method = spec.get("method")
        if method is not None and (not isinstance(method, str) or not method):
            errors["method"] = ["Null (any method) or an HTTP method."]
        prefix = spec.get("path_prefix", "/")
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            errors["path_prefix"] = ["A request path prefix starting with '/'."]
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            errors["count"] = ["A positive integer."]
        status = spec.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599):
            errors["status"] = ["An HTTP status code from 100 to 599."]
        retry_after = spec.get("retry_after")
        if retry_after is not None and (isinstance(retry_after, bool) or not isinstance(retry_after, (int, str))):
            errors["retry_after"] = ["Seconds (integer) or an HTTP date (string)."]
        content_type = spec.get("content_type")
        if content_type is not None and not isinstance(content_type, str):
            errors["content_type"] = ["A media type string."]
        delay_ms = spec.get("delay_ms", 0)
        if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or delay_ms < 0:
            errors["delay_ms"] = ["Milliseconds, 0 or more."]
        delay = spec.get("delay") or "before_commit"
        if delay not in _PHASES:
            errors["delay"] = [f"One of: {', '.join(_PHASES)}."]
        drop = spec.get("drop")
        if drop is not None and drop not in _DROPS:
            errors["drop"] = [f"Null or one of: {', '.join(_DROPS)}."]
        if drop in ("before_commit", "after_commit") and status is not None:
            errors["drop"] = ["A dropped connection sends no status: give `status` or this `drop`, not both."]
        drip_ms = spec.get("drip_ms", 0)
        if isinstance(drip_ms, bool) or not isinstance(drip_ms, int) or not 0 <= drip_ms <= _MAX_DRIP_MS:
            errors["drip_ms"] = [f"Milliseconds between two bytes of the answer, 0 (no drip) to {_MAX_DRIP_MS}."]
        elif drip_ms and drop in ("before_commit", "after_commit"):
            errors["drip_ms"] = ["A dropped connection sends nothing to drip: use `drop: mid_body` or no `drop`."]
        if not errors and status is None and drop is None and not delay_ms and not drip_ms:
            errors["non_field_errors"] = ["A fault needs a `status`, a `drop`, a `delay_ms` or a `drip_ms`."]
        if errors:
            raise ApiError(400, errors)
        return Fault(
            id=0,
            method=method.upper() if method else None,
            path_prefix=prefix,
            count=count,
            status=status,
            retry_after=None if retry_after is None else str(retry_after),
            body=spec.get("body"),
            content_type=content_type,
            delay_ms=delay_ms,
            delay=delay,
            drop=drop,
            drip_ms=drip_ms,
        )


# -- the server --------------------------------------------------------------------------------------
class SandboxServer(ThreadingHTTPServer):
    """A threading HTTP(S) server holding the store, the faults and the start configuration."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self,
        address: Tuple[str, int],
        store: Store,
        *,
        start_config: Dict[str, Any],
        tls: Optional[ssl.SSLContext] = None,
        control_token: Optional[str] = None,
        quiet: bool = False,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.store = store
        self.faults = Faults()
        self.start_config = dict(start_config)
        self.control_token = control_token
        self.tls = tls is not None
        self.quiet = quiet
        self._inflight = 0
        self._idle = threading.Condition()
        if tls is not None:
            # The handshake runs in the request's thread (Handler.setup), never in the accept loop.
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @contextlib.contextmanager
    def api_call(self) -> Iterator[None]:
        """Count an API request in flight (a delayed one may outlive its client)."""
        with self._idle:
            self._inflight += 1
        try:
            yield
        finally:
            with self._idle:
                self._inflight -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no API request is in flight, so a reset is not followed by a late write or journal entry."""
        with self._idle:
            return self._idle.wait_for(lambda: self._inflight == 0, timeout)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


class Handler(BaseHTTPRequestHandler):
    """One request: the fault layer around either the API or the control API."""

    server: SandboxServer
    protocol_version = "HTTP/1.1"
    server_version = "VPSorgSandbox/1.0"
    sys_version = ""
    timeout = 120
    # TCP_NODELAY on every accepted socket: with Nagle's algorithm a kept-alive connection's answers wait for
    # the client's delayed ACK (about 40 ms each). _send also writes each answer in one piece.
    disable_nagle_algorithm = True
    _handshake_failed = False

    def setup(self) -> None:
        super().setup()
        self._handshake_failed = False
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except OSError as error:  # ssl.SSLError is an OSError
                self._handshake_failed = True
                self.log_message("TLS handshake failed: %s", error)

    def handle(self) -> None:
        if self._handshake_failed:
            return
        try:
            super().handle()
        except OSError:
            # The client went away (reset, timeout, TLS error): nothing left to answer.
            self.close_connection = True

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        if self.server.quiet:
            return
        line = format % args
        try:
            tokens = self.server.store.tokens()
        except sqlite3.Error:  # the store is closed while the server shuts down
            tokens = []
        for token in tokens:
            line = line.replace(token, "***REDACTED***")
        sys.stderr.write(f"{self.log_date_time_string()} {self.address_string()} {line}\n")

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """Protocol-level errors (bad request line, unknown verb) as JSON too."""
        del explain
        self.close_connection = True
        text = message or HTTPStatus(code).phrase
        self._send(Answer(code, {"detail": text}))

    # -- plumbing -------------------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            raise ApiError(411, {"detail": "Send a Content-Length; chunked request bodies are not supported."})
        length_text = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_text)
        except ValueError as error:
            raise ApiError(400, {"detail": "Invalid Content-Length."}) from error
        if length < 0 or length > _MAX_BODY:
            raise ApiError(413, {"detail": "Request body too large."})
        return self.rfile.read(length) if length else b""

    def _send(self, answer: Answer, *, cut: bool = False, drip_ms: int = 0) -> None:
        """Send an answer; `cut` sends the headers and only half the body, then closes the connection; `drip_ms`
        sends the headers at once and then the body one byte every `drip_ms` milliseconds."""
        payload = answer.payload()
        payload_out = b"" if self.command == "HEAD" else payload
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.status != 204:
            self.send_header("Content-Type", answer.media_type())
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection or cut:
            self.send_header("Connection", "close")
        # Headers and body leave in one write (end_headers would send the headers alone first).
        if self.request_version != "HTTP/0.9":
            self._headers_buffer.append(b"\r\n")
        head = b"".join(getattr(self, "_headers_buffer", []))
        self._headers_buffer = []
        if drip_ms:
            self._drip(head, payload_out[: len(payload_out) // 2] if cut else payload_out, drip_ms)
            if cut:
                self._hard_close()
            return
        if cut:
            self.close_connection = True
            self.wfile.write(head + payload_out[: len(payload_out) // 2])
            self.wfile.flush()
            self._hard_close()
            return
        self.wfile.write(head + payload_out)
        self.wfile.flush()

    def _drip(self, head: bytes, body: bytes, drip_ms: int) -> None:
        """The headers, then the body a byte at a time; stops when the client has gone away."""
        try:
            self.wfile.write(head)
            self.wfile.flush()
            for index in range(len(body)):
                time.sleep(drip_ms / 1000)
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
        except OSError:
            # The client gave up waiting (as it should): nothing more to send on this connection.
            self.close_connection = True

    def _hard_close(self) -> None:
        """Close the connection now, with nothing more sent."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- dispatch -------------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        path = split.path
        try:
            raw = self._read_body()
        except ApiError as error:
            self.close_connection = True
            self._send(_json_error(error))
            return
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            self._control(path, raw)
        else:
            self._api(path, split.query, raw)

    def _token(self) -> Optional[str]:
        value = self.headers.get("Authorization") or ""
        scheme, _sep, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def _api(self, path: str, query: str, raw: bytes) -> None:
        with self.server.api_call():
            self._network_latency()
            self._faulted_api(path, query, raw)

    def _network_latency(self) -> None:
        """Wait `latency_ms` in this connection's own thread, so concurrent requests wait side by side."""
        latency_ms = self.server.store.config.latency_ms
        if latency_ms > 0:
            # Headers and body go out in separate writes: without this, Nagle's algorithm meeting the client's
            # delayed ACK would add its own ~40 ms to the round trip being imitated.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            time.sleep(latency_ms / 1000)

    def _faulted_api(self, path: str, query: str, raw: bytes) -> None:
        """An API request through the fault layer, then into the journal."""
        method = self.command
        store = self.server.store
        fault = self.server.faults.take(method, path)
        account = store.account_for_token(self._token())
        answer: Optional[Answer] = None
        if fault is not None and fault.delay == "before_commit" and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        if fault is None or fault.commits:
            answer = self._serve_api(path, query, raw, account)
        if fault is not None and fault.delay == "after_commit" and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        if fault is not None and fault.status is not None:
            answer = fault.answer(self._profile())
        dropped = fault is not None and fault.drop in ("before_commit", "after_commit")
        # The entry is written before the answer leaves (or the connection closes): a client that holds its
        # answer always finds its request journalled, in the order it sent it.
        store.record(
            {
                "time": iso_ms(utcnow()),
                "method": method,
                "path": path,
                "query": _query_dict(query),
                "body": _journal_body(raw),
                "status": None if dropped or answer is None else answer.status,
                "account": account,
                "user_agent": self.headers.get("User-Agent"),
                "fault": fault.kind if fault is not None else None,
            }
        )
        if dropped:
            self._hard_close()
            self.log_message('"%s" dropped without an answer (%s)', self.requestline, fault.kind)
        elif answer is not None:
            self._send(
                answer,
                cut=fault is not None and fault.drop == "mid_body",
                drip_ms=fault.drip_ms if fault is not None else 0,
            )

    def _profile(self) -> Profile:
        return profile_named(self.server.store.config.profile)

    def _serve_api(self, path: str, query: str, raw: bytes, account: Optional[str]) -> Answer:
        profile = self._profile()
        try:
            answer = self._route_api(path, query, raw, account)
        except ApiError as error:
            answer = _json_error(profile.error(error))
        if answer.content_type is None and answer.body is not None and not isinstance(answer.body, bytes):
            answer.body = profile.encode(profile.render(answer.body))
        return answer

    def _route_api(self, path: str, query: str, raw: bytes, account: Optional[str]) -> Answer:
        method = self.command
        routes: List[Tuple[re.Pattern, Dict[str, Callable[..., Answer]]]] = [
            (_DOMAINS, {"GET": self._list, "POST": self._register}),
            (_DOMAIN, {"GET": self._detail, "PUT": self._update, "DELETE": self._remove}),
            (_TRANSFER, {"POST": self._transfer}),
        ]
        for pattern, handlers in routes:
            match = pattern.match(path)
            if match is None:
                continue
            profile = self._profile()
            served = dict(handlers)
            if profile.drf:
                # Django answers HEAD with the GET view (the body left out); DRF answers OPTIONS with metadata.
                if "GET" in served:
                    served["HEAD"] = served["GET"]
                served["OPTIONS"] = self._options
            if account is None:
                answer = _reply(profile.unauthorized(token_given=self._token() is not None))
            elif method not in served:
                answer = _reply(profile.method_not_allowed(method, handlers))
            else:
                body = _parse_json(raw) if method in ("POST", "PUT") else None
                args = [int(group) for group in match.groups()]
                try:
                    answer = served[method](account, *args, body=body, query=query)
                except ApiError as error:
                    answer = _json_error(profile.error(error))
            for name, value in profile.headers(handlers).items():
                answer.headers.setdefault(name, value)
            return answer
        return _reply(self._profile().no_route(path))

    # -- API endpoints --------------------------------------------------------------------------------
    def _options(self, account: str, *ids: int, body: Any, query: str) -> Answer:
        del account, ids, body, query
        return Answer(200, self._profile().metadata())

    def _list(self, account: str, *, body: Any, query: str) -> Answer:
        del body
        params = dict(parse_qsl(query, keep_blank_values=True))
        status = checked_status(params.get("status") or None)
        search = params.get("search") or None
        page_text = params.get("page", "1")
        try:
            page = int(page_text)
        except ValueError:
            page = 0
        if page < 1:
            raise ApiError(404, {"detail": "Invalid page."})
        newest_first = self._profile().newest_first()
        count, results = self.server.store.list_domains(account, status, search, page, newest_first=newest_first)
        size = self.server.store.config.page_size
        last = max(1, -(-count // size))
        return Answer(
            200,
            {
                "count": count,
                "next": self._page_link(query, page + 1) if page < last else None,
                "previous": self._page_link(query, page - 1) if page > 1 else None,
                "results": results,
            },
        )

    def _page_link(self, query: str, page: int) -> str:
        """An absolute link to another page, as DRF builds it from the request (or from next_link_base)."""
        pairs = [(key, value) for key, value in parse_qsl(query, keep_blank_values=True) if key != "page"]
        if page > 1:
            pairs.append(("page", str(page)))
        path = urlsplit(self.path).path
        base = self._profile().link_base(self.server.store.config.next_link_base)
        if base is None:
            scheme = "https" if self.server.tls else "http"
            host = self.headers.get("Host") or f"127.0.0.1:{self.server.port}"
            base = f"{scheme}://{host}"
        return base + path + ("?" + urlencode(pairs) if pairs else "")

    def _register(self, account: str, *, body: Any, query: str) -> Answer:
        del query
        clean = self._profile().clean_registration(body)
        return Answer(201, self.server.store.register(account, clean))

    def _detail(self, account: str, domain_id: int, *, body: Any, query: str) -> Answer:
        del body, query
        return Answer(200, self.server.store.get_domain(account, domain_id))

    def _update(self, account: str, domain_id: int, *, body: Any, query: str) -> Answer:
        del query
        store = self.server.store
        # An unknown domain is 404 even when the body is invalid, as in DRF (object lookup comes first).
        store.get_domain(account, domain_id)
        return Answer(200, store.update(account, domain_id, validate_update(body)))

    def _remove(self, account: str, domain_id: int, *, body: Any, query: str) -> Answer:
        del body, query
        self.server.store.remove(account, domain_id)
        return Answer(204)

    def _transfer(self, account: str, domain_id: int, *, body: Any, query: str) -> Answer:
        del query
        store = self.server.store
        store.get_domain(account, domain_id)
        auth_code, auto_renew = validate_transfer(body)
        return Answer(200, store.transfer(account, domain_id, auth_code, auto_renew))

    # -- control API ----------------------------------------------------------------------------------
    def _control_allowed(self) -> bool:
        if _is_loopback(self.client_address[0]):
            return True
        expected = self.server.control_token
        if not expected:
            return False
        offered = self.headers.get("X-Sandbox-Token") or self._token() or ""
        return hmac.compare_digest(offered.encode(), expected.encode())

    def _control(self, path: str, raw: bytes) -> None:
        if not self._control_allowed():
            self._send(Answer(403, {"detail": "The control API needs the control token from this address."}))
            return
        try:
            answer = self._route_control(path.rstrip("/"), raw)
        except ApiError as error:
            answer = _json_error(error)
        self._send(answer)

    def _journal(self) -> Answer:
        # A request still in flight (a delayed fault) is journalled when its answer is due: let it land first.
        self.server.wait_idle(2.0)
        return Answer(200, self.server.store.journal())

    def _route_control(self, path: str, raw: bytes) -> Answer:
        server = self.server
        store = server.store
        method = self.command
        body = _parse_json(raw) if method in ("POST", "PUT", "PATCH") else None
        parts = path[len(CONTROL_PREFIX) :].strip("/").split("/")
        resource, rest = parts[0], parts[1:]
        routes: Dict[Tuple[str, str], Callable[[], Answer]] = {
            ("reset", "POST"): lambda: self._reset(body),
            ("config", "GET"): lambda: Answer(200, store.config.as_dict()),
            ("config", "POST"): lambda: self._configure(body),
            ("accounts", "GET"): lambda: Answer(200, store.accounts()),
            ("accounts", "POST"): lambda: Answer(201, store.add_account(body)),
            ("domains", "GET"): lambda: Answer(200, store.stored_domains()),
            ("domains", "POST"): lambda: Answer(201, store.seed_domain(body)),
            ("requests", "GET"): self._journal,
            ("requests", "DELETE"): lambda: self._cleared(store.clear_journal),
            ("faults", "GET"): lambda: Answer(200, server.faults.listing()),
            ("faults", "POST"): lambda: Answer(201, server.faults.add(body).as_dict()),
            ("faults", "DELETE"): lambda: self._cleared(server.faults.clear),
            ("ledger", "GET"): lambda: Answer(200, store.ledger()),
        }
        if not rest:
            route = routes.get((resource, method))
            if route is not None:
                return route()
            if any(key[0] == resource for key in routes):
                return Answer(405, {"detail": f'Method "{method}" not allowed.'})
        elif len(rest) == 1 and resource == "domains" and rest[0].isdigit():
            if method == "GET":
                return Answer(200, store.stored_domains(int(rest[0])))
            if method == "PATCH":
                return Answer(200, store.patch_domain(int(rest[0]), body))
            return Answer(405, {"detail": f'Method "{method}" not allowed.'})
        elif len(rest) == 1 and resource == "accounts":
            if method == "PATCH":
                return Answer(200, store.set_balance(rest[0], body))
            return Answer(405, {"detail": f'Method "{method}" not allowed.'})
        return Answer(404, {"detail": "Not found."})

    def _reset(self, body: Any) -> Answer:
        """Empty store, demo data, start config; the active profile stays unless the body names one."""
        server = self.server
        if body is not None and (not isinstance(body, dict) or set(body) - {"profile"}):
            raise ApiError(400, {"detail": 'Send nothing, or {"profile": "default" | "drf"}.'})
        restore = {key: value for key, value in server.start_config.items() if key != "profile"}
        restore.update(body or {})
        server.store.config.update({key: value for key, value in restore.items() if key == "profile"})
        server.faults.clear()
        server.wait_idle(timeout=30)
        server.store.config.update(restore)
        return Answer(200, server.store.reset())

    def _configure(self, body: Any) -> Answer:
        self.server.store.config.update(body)
        return Answer(200, self.server.store.config.as_dict())

    @staticmethod
    def _cleared(action: Callable[[], None]) -> Answer:
        action()
        return Answer(204)


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from error


def _journal_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return redact(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError):
        # Not JSON: keep it as text, with anything that looks like an auth code hidden.
        text = raw[:4096].decode("utf-8", "replace")
        return re.sub(r'("?auth_code"?\s*[:=]\s*)("[^"]*"|[^,}&\s]*)', r"\1" + '"***REDACTED***"', text)


def _query_dict(query: str) -> Dict[str, Any]:
    """Query parameters: a string each, or a list when repeated; token-like ones redacted."""
    result: Dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in result:
            previous = result[key]
            result[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            result[key] = value
    return redact(result)
