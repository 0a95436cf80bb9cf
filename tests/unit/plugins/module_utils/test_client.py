# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the API client with every HTTP exchange scripted: requests, retries, errors, pages."""

from __future__ import annotations

import email.utils
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import requests
import yaml
from ansible_collections.vpsorg.domains.plugins.module_utils import _http as http
from ansible_collections.vpsorg.domains.plugins.module_utils._client import (
    COLLECTION_VERSION,
    DEFAULT_API_URL,
    ApiClient,
    ApiError,
    OutcomeUnknown,
    RetryPolicy,
)
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import (
    ConnectTimeoutError,
    IncompleteRead,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError

TOKEN = "s3cr3t-T0KEN-for-tests"
BASE = "https://api.test/api/v1"
REPO = Path(__file__).resolve().parents[4]


class Reply:
    """One scripted HTTP answer."""

    def __init__(
        self,
        status: int = 200,
        body: Any = None,
        *,
        raw: Optional[bytes] = None,
        headers: Optional[Dict[str, str]] = None,
        content_type: Optional[str] = "application/json",
    ) -> None:
        self.status = status
        self.content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.headers = CaseInsensitiveDict(headers or {})
        if content_type and self.content:
            self.headers.setdefault("Content-Type", content_type)


class Sent:
    """What the client handed to the transport."""

    def __init__(self, request: requests.PreparedRequest, kwargs: Dict[str, Any]) -> None:
        self.method = request.method
        self.url = request.url
        self.headers = dict(request.headers)
        self.body = request.body
        self.kwargs = kwargs

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedAdapter(BaseAdapter):
    """A transport that answers from a script and records every request."""

    def __init__(self, script: List[Any]) -> None:
        super().__init__()
        self.script = list(script)
        self.sent: List[Sent] = []
        self.lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        with self.lock:
            self.sent.append(Sent(request, kwargs))
            if not self.script:
                raise AssertionError(f"unexpected request {request.method} {request.url}")
            step = self.script.pop(0)
        if callable(step):
            step = step(request)
        if isinstance(step, BaseException):
            raise step
        response = requests.Response()
        response.status_code = step.status
        response.headers = step.headers
        response._content = step.content
        response.url = request.url
        response.request = request
        response.reason = "scripted"
        return response

    def close(self) -> None:
        """Nothing to release."""


class Clock:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: List[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(round(seconds, 6))
            self.now += seconds


_POLICY_OPTIONS = (
    "max_attempts",
    "max_total_time",
    "backoff_base",
    "backoff_cap",
    "retry_after_cap",
    "sleep",
    "clock",
    "wall_clock",
    "jitter",
)


def client_options(**kwargs: Any) -> Dict[str, Any]:
    """ApiClient keyword arguments with the retry settings among `kwargs` grouped in one RetryPolicy."""
    policy = {key: kwargs.pop(key) for key in _POLICY_OPTIONS if key in kwargs}
    return dict(kwargs, retry=RetryPolicy(**policy))


def make_client(script: List[Any], *, api_url: str = BASE, **kwargs: Any) -> tuple:
    clock = Clock()
    options: Dict[str, Any] = {"sleep": clock.sleep, "clock": clock, "jitter": lambda: 0.5}
    options.update(kwargs)
    client = ApiClient(TOKEN, api_url, **client_options(**options))
    adapter = ScriptedAdapter(script)
    client.session.mount("https://", adapter)
    client.session.mount("http://", adapter)
    return client, adapter, clock


def _urllib3_refused() -> Exception:
    return MaxRetryError(
        None, "/", NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
    )


def refused() -> Exception:
    return requests.exceptions.ConnectionError(_urllib3_refused())


def connect_timeout() -> Exception:
    return requests.exceptions.ConnectTimeout(MaxRetryError(None, "/", ConnectTimeoutError(None, "connect timed out")))


def read_timeout() -> Exception:
    return requests.exceptions.ReadTimeout(ReadTimeoutError(None, "/", "Read timed out. (read timeout=30)"))


def reset() -> Exception:
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    )


def cut_body() -> Exception:
    return requests.exceptions.ChunkedEncodingError(ProtocolError("Response ended prematurely", IncompleteRead(10, 90)))


def tls_failure() -> Exception:
    return requests.exceptions.SSLError(
        MaxRetryError(
            None,
            "/",
            Urllib3SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"),
        )
    )


DOMAIN = {"id": 101, "domain_name": "example-shop.com", "status": "active"}


# -- the request itself ------------------------------------------------------------------------------------------


def test_request_headers_url_body_and_transport_options() -> None:
    client, adapter, _clock = make_client([Reply(201, {"id": 7, "total_cost": 25.98})], timeout=12)
    result = client.register_domain({"domain_name": "example.com", "years": 2})
    assert result == {"id": 7, "total_cost": 25.98}
    (sent,) = adapter.sent
    assert sent.method == "POST"
    assert sent.url == "https://api.test/api/v1/domains/"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["User-Agent"] == f"vpsorg.domains/{COLLECTION_VERSION}"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == b'{"domain_name": "example.com", "years": 2}'
    assert sent.kwargs["timeout"] == (12, 12)
    assert sent.kwargs["stream"] is True
    assert sent.kwargs["verify"] is True


def test_each_domain_call_uses_its_method_and_path() -> None:
    client, adapter, _clock = make_client(
        [
            Reply(200, DOMAIN),
            Reply(200, {**DOMAIN, "auto_renew": False}),
            Reply(204),
            Reply(200, {"id": 101, "transfer_status": "pending"}),
        ]
    )
    assert client.get_domain(101) == DOMAIN
    assert client.update_domain("101", {"auto_renew": False})["auto_renew"] is False
    assert client.remove_domain(101) is None
    assert client.start_transfer(101, "EPP-1", True) == {"id": 101, "transfer_status": "pending"}
    assert [(s.method, s.url, s.body) for s in adapter.sent] == [
        ("GET", f"{BASE}/domains/101/", None),
        ("PUT", f"{BASE}/domains/101/", b'{"auto_renew": false}'),
        ("DELETE", f"{BASE}/domains/101/", None),
        ("POST", f"{BASE}/domains/101/transfer/", b'{"auth_code": "EPP-1", "auto_renew": true}'),
    ]
    assert all(s.headers["Authorization"] == f"Bearer {TOKEN}" for s in adapter.sent)


@pytest.mark.parametrize("domain_id", [True, False, None, "", "  ", ".", "..", 1.5, [], {}, (1,), {"id": 1}])
def test_unusable_domain_ids_are_api_errors_before_any_request(domain_id: Any) -> None:
    client, adapter, _clock = make_client([])
    for call in (
        lambda: client.get_domain(domain_id),
        lambda: client.update_domain(domain_id, {"locked": True}),
        lambda: client.remove_domain(domain_id),
        lambda: client.start_transfer(domain_id, "EPP-CODE-1", True),
    ):
        with pytest.raises(ApiError, match="unusable domain id") as caught:
            call()
        assert not isinstance(caught.value, OutcomeUnknown)
    assert adapter.sent == []


@pytest.mark.parametrize(
    ("domain_id", "path"),
    [
        (101, "domains/101/"),
        ("101", "domains/101/"),
        (-1, "domains/-1/"),
        ("3f2b6c1e-9a4d-4b8e-a1c2-7d5e4f3a2b10", "domains/3f2b6c1e-9a4d-4b8e-a1c2-7d5e4f3a2b10/"),
        ("example-shop-com", "domains/example-shop-com/"),
        ("1/../2", "domains/1%2F..%2F2/"),
        ("../admin", "domains/..%2Fadmin/"),
        ("a b?c#d", "domains/a%20b%3Fc%23d/"),
        ("bücher", "domains/b%C3%BCcher/"),
    ],
)
def test_opaque_domain_ids_are_url_quoted_into_one_path_segment(domain_id: Any, path: str) -> None:
    client, adapter, _clock = make_client([Reply(200, DOMAIN), Reply(200, {"transfer_status": "pending"})])
    client.get_domain(domain_id)
    client.start_transfer(domain_id, "EPP-CODE-1", True)
    assert [s.url for s in adapter.sent] == [f"{BASE}/{path}", f"{BASE}/{path}transfer/"]


def test_request_params_skip_none_and_path_must_be_relative() -> None:
    client, adapter, _clock = make_client([Reply(200, {"ok": 1})])
    assert client.request("get", "/domains/", params={"status": "active", "search": None}) == {"ok": 1}
    assert adapter.sent[0].url == f"{BASE}/domains/?status=active"
    for path in ("https://evil.test/api/v1/domains/", "//evil.test/x"):
        with pytest.raises(ValueError, match="relative"):
            client.request("GET", path)


@pytest.mark.parametrize(
    ("validate_certs", "ca_path", "expected"),
    [(True, None, True), (False, None, False), (True, "/etc/ca.pem", "/etc/ca.pem"), (False, "/etc/ca.pem", False)],
)
def test_certificate_verification_options(validate_certs: bool, ca_path: Optional[str], expected: Any) -> None:
    client, adapter, _clock = make_client([Reply(200, DOMAIN)], validate_certs=validate_certs, ca_path=ca_path)
    client.get_domain(101)
    assert adapter.sent[0].kwargs["verify"] == expected


def test_version_constant_matches_galaxy_yml() -> None:
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    assert galaxy["version"] == COLLECTION_VERSION


# -- api_url ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_url", "base"),
    [
        (DEFAULT_API_URL, "https://admin.vps.org/api/v1/"),
        ("https://admin.vps.org/api/v1/", "https://admin.vps.org/api/v1/"),
        ("https://API.example.net:8443/api/v1//", "https://api.example.net:8443/api/v1/"),
        ("http://127.0.0.1:8080/api/v1", "http://127.0.0.1:8080/api/v1/"),
        ("http://127.9.8.7/api/v1", "http://127.9.8.7/api/v1/"),
        ("http://[::1]:8080/api/v1", "http://[::1]:8080/api/v1/"),
        ("http://localhost:8080/api/v1", "http://localhost:8080/api/v1/"),
        ("HTTP://LOCALHOST/api/v1", "http://localhost/api/v1/"),
    ],
)
def test_api_url_accepted_and_normalised(api_url: str, base: str) -> None:
    assert ApiClient(TOKEN, api_url).base_url == base


@pytest.mark.parametrize(
    ("api_url", "problem"),
    [
        ("http://admin.vps.org/api/v1", "not loopback"),
        ("http://10.0.0.1/api/v1", "not loopback"),
        ("http://192.168.1.1:8080/api/v1", "not loopback"),
        ("http://localhost.example.com/api/v1", "not loopback"),
        ("http://127.0.0.1.nip.io/api/v1", "not loopback"),
        ("ftp://admin.vps.org/api/v1", "not an http(s) URL"),
        ("admin.vps.org/api/v1", "not an http(s) URL"),
        ("https:///api/v1", "not an http(s) URL"),
        ("", "must be an https:// URL"),
        (None, "must be an https:// URL"),
        ("https://admin.vps.org/api/v1?x=1", "query"),
        ("https://admin.vps.org:99999/api/v1", "invalid port"),
    ],
)
def test_api_url_refused(api_url: Any, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        ApiClient(TOKEN, api_url)
    assert str(caught.value).startswith("api_url: ")
    assert problem in str(caught.value)


def test_api_url_with_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="user name or password") as caught:
        ApiClient(TOKEN, "https://user:hunter2@admin.vps.org/api/v1")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("token", ["", "   ", None, "two words", "line\nbreak", "tab\there"])
def test_bad_tokens_are_refused_without_echo(token: Any) -> None:
    with pytest.raises(ValueError, match="api_token") as caught:
        ApiClient(token, BASE)
    if token and token.strip():
        assert token not in str(caught.value)


@pytest.mark.parametrize("timeout", [0, -1, True, "30", float("inf")])
def test_bad_timeouts_are_refused(timeout: Any) -> None:
    with pytest.raises(ValueError, match="api_timeout"):
        ApiClient(TOKEN, BASE, timeout=timeout)


def test_pool_size_sets_the_connection_pool() -> None:
    client = ApiClient(TOKEN, BASE, pool_size=9)
    assert client.session.get_adapter(BASE)._pool_maxsize == 9
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client.session.auth)


# -- auth: netrc, other hosts, proxies -------------------------------------------------------------------------


def test_netrc_never_replaces_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine api.test login intruder password from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    # The file is effective: a plain session would send it.
    plain = requests.Session().prepare_request(requests.Request("GET", f"{BASE}/domains/"))
    assert plain.headers["Authorization"].startswith("Basic ")
    client, adapter, _clock = make_client([Reply(200, DOMAIN)])
    client.get_domain(101)
    assert adapter.sent[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "url",
    ["https://evil.test/api/v1/domains/", "http://api.test/api/v1/domains/", "https://api.test:8443/api/v1/domains/"],
)
def test_authorization_is_only_attached_for_the_configured_origin(url: str) -> None:
    client, adapter, _clock = make_client([Reply(200, {})])
    client.session.get(url)
    assert "Authorization" not in adapter.sent[0].headers


def test_proxies_from_the_environment_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client, adapter, _clock = make_client([Reply(200, DOMAIN)])
    client.get_domain(101)
    assert adapter.sent[0].kwargs["proxies"].get("https") == "http://proxy.test:3128"


def test_requests_ca_bundle_applies_when_certificates_are_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/private-ca.pem")
    client, adapter, _clock = make_client([Reply(200, DOMAIN), Reply(200, DOMAIN)])
    client.get_domain(101)
    assert adapter.sent[0].kwargs["verify"] == "/etc/private-ca.pem"
    insecure, adapter, _clock = make_client([Reply(200, DOMAIN)], validate_certs=False)
    insecure.get_domain(101)
    assert adapter.sent[0].kwargs["verify"] is False


# -- redirects -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "status"), [("GET", 301), ("PUT", 302), ("POST", 307), ("DELETE", 308)])
def test_redirects_are_errors_never_followed(method: str, status: int) -> None:
    location = "https://elsewhere.test/api/v1/domains/"
    client, adapter, clock = make_client([Reply(status, headers={"Location": location})])
    with pytest.raises(ApiError) as caught:
        client.request(method, "domains/", json={"a": 1} if method in ("PUT", "POST") else None)
    assert not isinstance(caught.value, OutcomeUnknown)
    assert caught.value.status == status
    assert location in str(caught.value)
    assert "never followed" in str(caught.value)
    assert len(adapter.sent) == 1
    assert clock.sleeps == []


# -- error shapes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "status", "in_message", "detail", "field_errors"),
    [
        (
            Reply(401, {"detail": "Invalid token."}),
            401,
            "GET /api/v1/domains/101/: the API token was rejected (HTTP 401): check api_token / VPSORG_API_TOKEN",
            "Invalid token.",
            {},
        ),
        (
            Reply(402, {"message": "Balance 3.00 is below 12.99"}),
            402,
            "insufficient account balance (HTTP 402)",
            "Balance 3.00 is below 12.99",
            {},
        ),
        (
            Reply(400, {"nameservers": ["Between 2 and 4 nameservers are required."], "years": ["Too many."]}),
            400,
            "(HTTP 400): nameservers: Between 2 and 4 nameservers are required.; years: Too many.",
            "",
            {"nameservers": ["Between 2 and 4 nameservers are required."], "years": ["Too many."]},
        ),
        (
            Reply(400, {"non_field_errors": ["Domain already registered."]}),
            400,
            "(HTTP 400): Domain already registered.",
            "Domain already registered.",
            {},
        ),
        (Reply(404, {"detail": "Not found."}), 404, "not found (HTTP 404): Not found.", "Not found.", {}),
        (
            Reply(
                403,
                raw=b"<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>",
                content_type="text/html",
            ),
            403,
            "the API answered with HTML instead of JSON: 403 Forbidden Forbidden",
            "the API answered with HTML instead of JSON: 403 Forbidden Forbidden",
            {},
        ),
        (
            Reply(400, raw=b"Bad request: domain_name missing", content_type="text/plain"),
            400,
            "the API answered with text instead of JSON: Bad request: domain_name missing",
            "the API answered with text instead of JSON: Bad request: domain_name missing",
            {},
        ),
        (Reply(401), 401, "the API token was rejected (HTTP 401)", "", {}),
        (Reply(500, {"detail": "boom"}), 500, "server error (HTTP 500)", "boom", {}),
        (Reply(418, ["first", "second"]), 418, "unexpected answer (HTTP 418): first; second", "first; second", {}),
        (
            Reply(400, {"whois": {"email": ["Enter a valid e-mail."]}}),
            400,
            "whois: email: Enter a valid e-mail.",
            "",
            {"whois": ["email: Enter a valid e-mail."]},
        ),
    ],
)
def test_error_shapes(reply: Reply, status: int, in_message: str, detail: str, field_errors: dict) -> None:
    client, adapter, _clock = make_client([reply])
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    error = caught.value
    assert not isinstance(error, OutcomeUnknown)
    assert in_message in str(error)
    assert str(error).startswith("GET /api/v1/domains/101/: ")
    assert error.to_failure() == {
        "status": status,
        "method": "GET",
        "path": "/api/v1/domains/101/",
        "detail": detail,
        "field_errors": field_errors,
    }
    assert len(adapter.sent) == 1


def test_long_html_pages_are_cut_to_an_excerpt() -> None:
    page = b"<html><style>body{color:red}</style><script>var x=1;</script><p>" + b"word " * 2000 + b"</p></html>"
    client, _adapter, _clock = make_client([Reply(500, raw=page, content_type="text/html")])
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    assert "color:red" not in str(caught.value)
    assert "var x" not in str(caught.value)
    assert len(str(caught.value)) < 400


def test_html_answer_to_a_read_is_an_error_not_retried() -> None:
    client, adapter, _clock = make_client(
        [Reply(200, raw=b"<!DOCTYPE html><title>Login</title>", content_type="text/html")]
    )
    with pytest.raises(ApiError, match="HTML instead of JSON: Login"):
        client.list_domains()
    assert len(adapter.sent) == 1


# -- secrets ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Reply(401, {"detail": f"Token {TOKEN} is invalid"}),
        Reply(400, {"auth": [f"Bearer {TOKEN}"], TOKEN: ["echoed as a key"]}),
        Reply(401, raw=f"<html><body>Authorization: Bearer {TOKEN}</body></html>".encode(), content_type="text/html"),
        Reply(500, raw=f"token={TOKEN}".encode(), content_type="text/plain"),
        Reply(302, headers={"Location": f"https://api.test/login?token={TOKEN}"}),
    ],
)
def test_token_never_appears_in_errors_even_when_echoed(reply: Reply) -> None:
    client, _adapter, _clock = make_client([reply])
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    error = caught.value
    assert TOKEN not in str(error)
    assert TOKEN not in json.dumps(error.to_failure())
    assert TOKEN not in repr(error.args)
    assert "********" in str(error) + json.dumps(error.to_failure())


def test_other_bearer_values_are_redacted_too() -> None:
    client, _adapter, _clock = make_client([Reply(401, {"detail": "got Authorization: Bearer someone-elses-token"})])
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    assert "someone-elses-token" not in str(caught.value)


def test_auth_code_never_appears_in_transfer_errors() -> None:
    auth_code = "EPP-VERY-SECRET-42"
    client, _adapter, _clock = make_client([Reply(400, {"auth_code": [f"{auth_code} is not valid for this domain"]})])
    with pytest.raises(ApiError) as caught:
        client.start_transfer(104, auth_code, True)
    assert auth_code not in str(caught.value)
    assert auth_code not in json.dumps(caught.value.to_failure())
    assert caught.value.field_errors == {"auth_code": ["******** is not valid for this domain"]}


# -- retry decisions -------------------------------------------------------------------------------------------

RETRIED = "retried"
UNKNOWN = "unknown"
FAILED = "failed"

OUTCOMES = {
    "429": lambda: Reply(429, {"detail": "slow down"}),
    "502": lambda: Reply(502, raw=b"<html>Bad Gateway</html>", content_type="text/html"),
    "503": lambda: Reply(503, {"detail": "unavailable"}),
    "504": lambda: Reply(504),
    "500": lambda: Reply(500, {"detail": "oops"}),
    "400": lambda: Reply(400, {"domain_name": ["invalid"]}),
    "401": lambda: Reply(401, {"detail": "bad token"}),
    "402": lambda: Reply(402, {"detail": "no money"}),
    "404": lambda: Reply(404, {"detail": "Not found."}),
    "refused": refused,
    "connect-timeout": connect_timeout,
    "read-timeout": read_timeout,
    "reset": reset,
    "cut-body": cut_body,
    "cut-json": lambda: Reply(200, raw=b'{"id": 101, "domain_na'),
    "tls": tls_failure,
}
# What happens after each outcome: per idempotent method, and for POST (registration and transfer cost money).
DECISIONS = {
    # A POST answered 429 is not re-sent by the client: the write engine looks it up first (charge-then-429).
    "429": (RETRIED, FAILED),
    "502": (RETRIED, UNKNOWN),
    "503": (RETRIED, UNKNOWN),
    "504": (RETRIED, UNKNOWN),
    "500": (FAILED, UNKNOWN),
    "400": (FAILED, FAILED),
    "401": (FAILED, FAILED),
    "402": (FAILED, FAILED),
    "404": (FAILED, FAILED),
    "refused": (RETRIED, RETRIED),
    "connect-timeout": (RETRIED, RETRIED),
    "read-timeout": (RETRIED, UNKNOWN),
    "reset": (RETRIED, UNKNOWN),
    "cut-body": (RETRIED, UNKNOWN),
    "cut-json": (RETRIED, UNKNOWN),
    "tls": (FAILED, FAILED),
}
CASES = [
    (method, outcome, DECISIONS[outcome][method == "POST"])
    for method in ("GET", "PUT", "DELETE", "POST")
    for outcome in OUTCOMES
]


@pytest.mark.parametrize(("method", "outcome", "decision"), CASES)
def test_retry_decision(method: str, outcome: str, decision: str) -> None:
    success = Reply(204) if method == "DELETE" else Reply(200, DOMAIN)
    client, adapter, clock = make_client([OUTCOMES[outcome](), success])
    body = {"auto_renew": True} if method in ("PUT", "POST") else None
    if decision == RETRIED:
        result = client.request(method, "domains/101/", json=body)
        assert result == (None if method == "DELETE" else DOMAIN)
        assert len(adapter.sent) == 2
        assert len(clock.sleeps) == 1
        assert adapter.sent[0].body == adapter.sent[1].body
        return
    with pytest.raises(ApiError) as caught:
        client.request(method, "domains/101/", json=body)
    assert len(adapter.sent) == 1
    assert clock.sleeps == []
    if decision == UNKNOWN:
        assert isinstance(caught.value, OutcomeUnknown)
        assert "outcome unknown" in str(caught.value)
    else:
        assert not isinstance(caught.value, OutcomeUnknown)
    assert str(caught.value).startswith(f"{method} /api/v1/domains/101/: ")


def test_tls_failure_message_names_the_options() -> None:
    client, _adapter, _clock = make_client([tls_failure()])
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    message = str(caught.value)
    assert "certificate verification failed for https://api.test" in message
    assert "ca_path" in message
    assert "validate_certs" in message
    assert caught.value.status is None


def test_backoff_is_capped_jittered_and_attempts_are_bounded() -> None:
    client, adapter, clock = make_client(
        [Reply(503) for _attempt in range(6)], max_attempts=6, backoff_base=1.0, backoff_cap=5.0, jitter=lambda: 1.0
    )
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    assert len(adapter.sent) == 6
    # Full ceiling with jitter 1.0: 1, 2, 4, then capped at 5.
    assert clock.sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert "gave up after 6 attempts" in str(caught.value)
    assert caught.value.status == 503


def test_jitter_spreads_the_delay_between_half_and_full() -> None:
    client, _adapter, clock = make_client([Reply(503), Reply(503), Reply(200, DOMAIN)], jitter=lambda: 0.0)
    client.get_domain(101)
    assert clock.sleeps == [0.5, 1.0]


def test_total_retry_time_is_bounded() -> None:
    script = [Reply(503, headers={"Retry-After": "40"}) for _attempt in range(5)]
    client, adapter, clock = make_client(script, max_total_time=100)
    with pytest.raises(ApiError, match="retry budget") as caught:
        client.get_domain(101)
    assert len(adapter.sent) == 3
    assert clock.sleeps == [40.0, 40.0]
    assert "gave up after 3 attempts" in str(caught.value)


def test_post_refused_until_the_attempts_run_out_is_not_an_unknown_outcome() -> None:
    client, adapter, _clock = make_client([refused() for _attempt in range(3)], max_attempts=3)
    with pytest.raises(ApiError) as caught:
        client.register_domain({"domain_name": "example.com"})
    assert not isinstance(caught.value, OutcomeUnknown)
    assert "could not connect to https://api.test" in str(caught.value)
    assert len(adapter.sent) == 3


def test_post_reset_after_refusal_is_unknown_and_not_repeated() -> None:
    client, adapter, _clock = make_client([refused(), reset()])
    with pytest.raises(OutcomeUnknown, match="Connection reset by peer"):
        client.register_domain({"domain_name": "example.com"})
    assert len(adapter.sent) == 2


def test_post_empty_success_body_is_unknown() -> None:
    client, _adapter, _clock = make_client([Reply(201)])
    with pytest.raises(OutcomeUnknown, match="empty body"):
        client.register_domain({"domain_name": "example.com"})


def test_post_html_success_body_is_unknown() -> None:
    client, _adapter, _clock = make_client([Reply(200, raw=b"<html>maintenance</html>", content_type="text/html")])
    with pytest.raises(OutcomeUnknown, match="HTML instead of JSON"):
        client.start_transfer(104, "EPP-1", True)


# -- Retry-After -----------------------------------------------------------------------------------------------


def test_retry_after_seconds_are_honoured() -> None:
    client, adapter, clock = make_client([Reply(429, headers={"Retry-After": "7"}), Reply(200, DOMAIN)])
    assert client.get_domain(101) == DOMAIN
    assert clock.sleeps == [7.0]
    assert len(adapter.sent) == 2


def test_retry_after_http_date_is_honoured() -> None:
    wall = datetime(2026, 1, 16, 16, 30, 0, tzinfo=timezone.utc).timestamp()
    later = email.utils.format_datetime(datetime(2026, 1, 16, 16, 30, 12, tzinfo=timezone.utc), usegmt=True)
    client, _adapter, clock = make_client(
        [Reply(503, headers={"Retry-After": later}), Reply(200, DOMAIN)], wall_clock=lambda: wall
    )
    client.get_domain(101)
    assert clock.sleeps == [12.0]


def test_retry_after_in_the_past_means_no_wait() -> None:
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    client, adapter, clock = make_client([Reply(429, headers={"Retry-After": past}), Reply(200, DOMAIN)])
    client.get_domain(101)
    assert clock.sleeps == []
    assert len(adapter.sent) == 2


@pytest.mark.parametrize("value", ["soon", "", "nan", "-"])
def test_unreadable_retry_after_falls_back_to_backoff(value: str) -> None:
    client, _adapter, clock = make_client([Reply(429, headers={"Retry-After": value}), Reply(200, DOMAIN)])
    client.get_domain(101)
    assert clock.sleeps == [0.75]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("value", ["3600", "61", "Fri, 31 Dec 2100 23:59:59 GMT"])
def test_retry_after_above_the_cap_fails_at_once(method: str, value: str) -> None:
    client, adapter, clock = make_client([Reply(429, headers={"Retry-After": value})])
    with pytest.raises(ApiError) as caught:
        client.request(method, "domains/", json={} if method == "POST" else None)
    assert not isinstance(caught.value, OutcomeUnknown)
    message = str(caught.value)
    assert "rate limited (HTTP 429)" in message
    assert "Retry-After" in message
    assert "more than the 60 s" in message
    assert len(adapter.sent) == 1
    assert clock.sleeps == []


def test_retry_after_cap_is_configurable() -> None:
    client, _adapter, clock = make_client(
        [Reply(429, headers={"Retry-After": "90"}), Reply(200, DOMAIN)], retry_after_cap=120
    )
    client.get_domain(101)
    assert clock.sleeps == [90.0]


def test_rate_limit_exhausted_says_so() -> None:
    client, adapter, _clock = make_client([Reply(429, headers={"Retry-After": "1"}) for _attempt in range(5)])
    with pytest.raises(ApiError, match=r"rate limited \(HTTP 429\).*gave up after 5 attempts"):
        client.get_domain(101)
    assert len(adapter.sent) == 5


def test_a_429_pauses_every_thread_sharing_the_client() -> None:
    clock = Clock()
    seen_by_other: List[Any] = []
    other_done = threading.Event()

    def sleep(seconds: float) -> None:
        # The first wait is the thread that got the 429; meanwhile another worker starts a request.
        first = not clock.sleeps
        clock.sleeps.append((threading.current_thread().name, round(seconds, 6)))
        if first:
            worker = threading.Thread(target=lambda: seen_by_other.append(client.get_domain(102)), name="worker-2")
            worker.start()
            worker.join(timeout=10)
            other_done.set()
        clock.now = max(clock.now, 1000.0 + 7)

    client = ApiClient(TOKEN, BASE, retry=RetryPolicy(sleep=sleep, clock=clock, jitter=lambda: 0.5))
    adapter = ScriptedAdapter([Reply(429, headers={"Retry-After": "7"}), Reply(200, {"id": 102}), Reply(200, DOMAIN)])
    client.session.mount("https://", adapter)
    result: List[Any] = []
    first = threading.Thread(target=lambda: result.append(client.get_domain(101)), name="worker-1")
    first.start()
    first.join(timeout=10)
    assert other_done.is_set()
    assert result == [DOMAIN]
    assert seen_by_other == [{"id": 102}]
    # worker-2 started during worker-1's pause and waited for the same deadline before sending anything.
    assert clock.sleeps == [("worker-1", 7.0), ("worker-2", 7.0)]
    assert [s.url for s in adapter.sent] == [f"{BASE}/domains/101/", f"{BASE}/domains/102/", f"{BASE}/domains/101/"]


def test_a_503_without_retry_after_does_not_pause_other_threads() -> None:
    client, _adapter, clock = make_client([Reply(503), Reply(200, DOMAIN)])
    client.get_domain(101)
    assert client._paused_until < clock.now


def test_many_threads_share_one_client() -> None:
    from concurrent.futures import ThreadPoolExecutor

    script = [Reply(429, headers={"Retry-After": "2"})] + [Reply(200, {"ok": True}) for _attempt in range(20)]
    client, adapter, clock = make_client(script, pool_size=4)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(client.get_domain, range(1, 21)))
    assert results == [{"ok": True}] * 20
    assert len(adapter.sent) == 21
    assert clock.now >= 1002.0


# -- DELETE after an ambiguous failure ---------------------------------------------------------------------------


@pytest.mark.parametrize("first", [read_timeout, reset, lambda: Reply(503), lambda: Reply(504)])
def test_remove_retried_into_404_counts_as_done(first: Any) -> None:
    client, adapter, _clock = make_client([first(), Reply(404, {"detail": "Not found."})])
    assert client.remove_domain(101) is None
    assert [s.method for s in adapter.sent] == ["DELETE", "DELETE"]


@pytest.mark.parametrize("first", [refused, connect_timeout, lambda: Reply(429)])
def test_remove_retried_into_404_after_a_failure_that_never_reached_the_server_is_an_error(first: Any) -> None:
    client, _adapter, _clock = make_client([first(), Reply(404, {"detail": "Not found."})])
    with pytest.raises(ApiError) as caught:
        client.remove_domain(101)
    assert caught.value.status == 404


def test_remove_answered_404_at_once_is_an_error() -> None:
    client, adapter, _clock = make_client([Reply(404, {"detail": "Not found."})])
    with pytest.raises(ApiError, match=r"^DELETE /api/v1/domains/101/: not found \(HTTP 404\)") as caught:
        client.remove_domain(101)
    assert caught.value.status == 404
    assert len(adapter.sent) == 1


def test_get_404_after_a_retry_is_still_an_error() -> None:
    client, _adapter, _clock = make_client([reset(), Reply(404, {"detail": "Not found."})])
    with pytest.raises(ApiError):
        client.get_domain(101)


# -- pagination ------------------------------------------------------------------------------------------------


def page(ids: List[int], next_link: Optional[str], count: Optional[int] = None) -> Reply:
    results = [{"id": i, "domain_name": f"d{i}.com"} for i in ids]
    return Reply(200, {"count": count or len(ids), "next": next_link, "previous": None, "results": results})


def test_pagination_follows_next_and_drops_duplicate_ids() -> None:
    """One page after another (concurrency 1, the sequential mode): duplicates across pages are dropped."""
    client, adapter, _clock = make_client(
        [
            page([1, 2], f"{BASE}/domains/?page=2&status=active", 5),
            page([2, 3], f"{BASE}/domains/?page=3&status=active", 5),
            page([4, 1, 5], None, 5),
        ]
    )
    items = client.list_domains(status="active", concurrency=1)
    assert [item["id"] for item in items] == [1, 2, 3, 4, 5]
    assert [s.url for s in adapter.sent] == [
        f"{BASE}/domains/?status=active",
        f"{BASE}/domains/?page=2&status=active",
        f"{BASE}/domains/?page=3&status=active",
    ]
    assert all(s.headers["Authorization"] == f"Bearer {TOKEN}" for s in adapter.sent)


def test_duplicate_ids_keep_the_first_item() -> None:
    client, _adapter, _clock = make_client(
        [Reply(200, {"count": 2, "next": None, "results": [{"id": 1, "v": "first"}, {"id": 1, "v": "second"}]})]
    )
    assert client.list_domains() == [{"id": 1, "v": "first"}]


def test_http_next_link_behind_a_tls_proxy_is_rebased_on_api_url() -> None:
    client, adapter, _clock = make_client(
        [page([1], "http://api.test/api/v1/domains/?page=2"), page([2], None)], api_url="https://api.test:8443/api/v1"
    )
    assert [item["id"] for item in client.list_domains()] == [1, 2]
    assert adapter.sent[1].url == "https://api.test:8443/api/v1/domains/?page=2"
    assert adapter.sent[1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_relative_next_link_is_followed() -> None:
    client, adapter, _clock = make_client([page([1], "/api/v1/domains/?page=2"), page([2], None)])
    assert len(client.list_domains()) == 2
    assert adapter.sent[1].url == f"{BASE}/domains/?page=2"


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("ftp://api.test/api/v1/domains/?page=2", "not http(s)"),
        ("javascript:alert(1)", "not http(s)"),
        ("file:///etc/passwd?page=2", "not http(s)"),
        (42, "invalid next link"),
        ("   ", "invalid next link"),
    ],
)
def test_bad_next_links_are_refused(link: Any, problem: str) -> None:
    client, adapter, _clock = make_client([page([1], link)])
    with pytest.raises(ApiError, match=r"refused|invalid") as caught:
        client.list_domains()
    assert problem in str(caught.value)
    assert len(adapter.sent) == 1
    assert client.warnings == []


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.test/api/v1/domains/?page=2",
        "https://api.test.evil.test/api/v1/domains/?page=2",
        "http://web:8000/api/v1/domains/?page=2",
        "//evil.test/api/v1/domains/?page=2",
        "https://api.test/admin/export/?page=2",
        "/domains/?page=2",
    ],
)
def test_next_links_to_another_host_or_path_are_rebased_on_the_list_path_with_one_warning(link: str) -> None:
    """Behind a proxy: the link's query on api_url's list path; the token never leaves api_url's host."""
    client, adapter, _clock = make_client(
        [
            page([1], link, 3),
            page([2], link.replace("page=2", "page=3"), 3),
            page([3], None, 3),
        ]
    )
    assert [item["id"] for item in client.list_domains(concurrency=1)] == [1, 2, 3]
    assert [s.url for s in adapter.sent] == [
        f"{BASE}/domains/",
        f"{BASE}/domains/?page=2",
        f"{BASE}/domains/?page=3",
    ]
    assert all(s.headers["Authorization"] == f"Bearer {TOKEN}" for s in adapter.sent)
    where = link.split("?", maxsplit=1)[0]
    assert client.warnings == [
        f"the API's next links point at {where}; followed them on api_url's host instead "
        "(https://api.test/api/v1/domains/, the same query): the API may be behind a proxy that does not pass "
        "its public address on"
    ]


def test_a_rebased_link_keeps_its_filters_and_reaches_module_warn_once() -> None:
    client, adapter, _clock = make_client(
        [
            page([1], "http://web:8000/api/v1/domains/?page=2&status=active", 3),
            page([2], "http://web:8000/api/v1/domains/?page=3&status=active", 3),
            page([3], None, 3),
        ]
    )
    seen: List[str] = []
    client.on_warning = seen.append
    assert len(client.list_domains(status="active")) == 3
    assert sorted(s.url for s in adapter.sent) == sorted(
        [
            f"{BASE}/domains/?status=active",
            f"{BASE}/domains/?page=2&status=active",
            f"{BASE}/domains/?page=3&status=active",
        ]
    )
    assert len(seen) == 1
    assert "http://web:8000/api/v1/domains/" in seen[0]
    assert client.warnings == seen


def test_repeated_next_link_stops_the_loop() -> None:
    client, adapter, _clock = make_client(
        [
            page([1], f"{BASE}/domains/?page=2"),
            page([2], f"{BASE}/domains/?page=3"),
            page([3], f"{BASE}/domains/?page=2"),
        ]
    )
    assert [item["id"] for item in client.list_domains()] == [1, 2, 3]
    assert len(adapter.sent) == 3
    assert any("already read" in warning for warning in client.warnings)


def test_next_link_back_to_the_first_page_stops_the_loop() -> None:
    client, adapter, _clock = make_client([page([1], f"{BASE}/domains/")])
    assert [item["id"] for item in client.list_domains()] == [1]
    assert len(adapter.sent) == 1
    assert any("already read" in warning for warning in client.warnings)


def test_page_cap_stops_an_endless_list() -> None:
    client, adapter, _clock = make_client(
        [page([i], f"{BASE}/domains/?page={i + 1}") for i in range(1, 10)], page_cap=3
    )
    with pytest.raises(ApiError, match=r"stopped reading the list after 3 pages.*page=3"):
        client.list_domains()
    assert len(adapter.sent) == 3


def test_a_plain_list_answer_is_one_page() -> None:
    client, _adapter, _clock = make_client([Reply(200, [{"id": 1}, {"id": 2}])])
    assert client.list_domains() == [{"id": 1}, {"id": 2}]


@pytest.mark.parametrize("body", [{"count": 1}, {"results": "nope"}, "text", [1, 2]])
def test_unexpected_list_shapes_are_errors(body: Any) -> None:
    client, _adapter, _clock = make_client([Reply(200, body)])
    with pytest.raises(ApiError, match=r"unexpected list shape|not an object"):
        client.list_domains()


def test_a_page_is_retried_on_its_own() -> None:
    client, adapter, _clock = make_client([page([1], f"{BASE}/domains/?page=2"), Reply(503), page([2], None)])
    assert [item["id"] for item in client.list_domains()] == [1, 2]
    assert [s.url for s in adapter.sent][1:] == [f"{BASE}/domains/?page=2"] * 2


# -- lookup by name ----------------------------------------------------------------------------------------------


def test_find_domains_matches_the_canonical_name_exactly() -> None:
    ascii_results = [
        {"id": 9, "domain_name": "XN--BCHER-KVA.EXAMPLE."},
        {"id": 5, "domain_name": "shop-xn--bcher-kva.example"},
        {"id": 3, "domain_name": "xn--bcher-kva.example"},
        {"id": 4, "domain_name": "xn--bcher-kva.example.org"},
        {"id": 6, "domain_name": "not a name"},
        {"id": 7},
    ]
    unicode_results = [
        {"id": 9, "domain_name": "xn--bcher-kva.example"},
        {"id": 12, "domain_name": "Bücher.example"},
        {"id": 13, "domain_name": "bücher.example.org"},
        {"id": 14, "domain_name": "altbücher.example"},
    ]
    client, adapter, _clock = make_client(
        [
            Reply(200, {"count": 6, "next": None, "results": ascii_results}),
            Reply(200, {"count": 4, "next": None, "results": unicode_results}),
        ]
    )
    found = client.find_domains("xn--bcher-kva.example")
    assert [item["id"] for item in found] == [3, 9, 12]
    # Both forms are searched: the API may store the name as posted; id 9 is merged, not listed twice.
    assert [s.url for s in adapter.sent] == [
        f"{BASE}/domains/?search=xn--bcher-kva.example",
        f"{BASE}/domains/?search=b%C3%BCcher.example",
    ]


def test_find_domains_canonicalises_its_argument_and_may_find_nothing() -> None:
    empty = Reply(200, {"count": 0, "next": None, "results": []})
    client, adapter, _clock = make_client([empty, Reply(200, {"count": 0, "next": None, "results": []})])
    assert client.find_domains("Bücher.Example.") == []
    assert [s.url for s in adapter.sent] == [
        f"{BASE}/domains/?search=xn--bcher-kva.example",
        f"{BASE}/domains/?search=b%C3%BCcher.example",
    ]


def test_find_domains_searches_once_when_both_forms_are_the_same() -> None:
    results = [{"id": 1, "domain_name": "example.com"}]
    client, adapter, _clock = make_client([Reply(200, {"count": 1, "next": None, "results": results})])
    assert client.find_domains("Example.COM.") == results
    assert [s.url for s in adapter.sent] == [f"{BASE}/domains/?search=example.com"]


def test_find_domains_finds_a_name_stored_in_unicode_only() -> None:
    stored = {"id": "3f2b6c1e-9a4d", "domain_name": "bücher.app"}
    client, adapter, _clock = make_client(
        [
            Reply(200, {"count": 0, "next": None, "results": []}),
            Reply(200, {"count": 1, "next": None, "results": [stored]}),
        ]
    )
    assert client.find_domains("xn--bcher-kva.app") == [stored]
    assert len(adapter.sent) == 2


def test_find_domains_merges_ids_by_type_and_value_and_orders_numbers_first() -> None:
    client, _adapter, _clock = make_client(
        [
            Reply(200, {"count": 2, "next": None, "results": [{"id": "b", "domain_name": "xn--bcher-kva.app"}]}),
            Reply(
                200,
                {
                    "count": 2,
                    "next": None,
                    "results": [{"id": 7, "domain_name": "bücher.app"}, {"id": "b", "domain_name": "bücher.app"}],
                },
            ),
        ]
    )
    assert [item["id"] for item in client.find_domains("bücher.app")] == [7, "b"]


@pytest.mark.parametrize(
    "item", [{"domain_name": "a.com"}, {"id": None, "domain_name": "a.com"}, {"id": ""}, {"id": True}]
)
def test_a_list_item_without_a_usable_id_is_an_api_error_naming_the_page(item: Dict[str, Any]) -> None:
    client, _adapter, _clock = make_client([Reply(200, {"count": 1, "next": None, "results": [item]})])
    with pytest.raises(ApiError) as caught:
        client.list_domains()
    assert caught.value.path == "/api/v1/domains/"
    assert caught.value.method == "GET"
    assert "list item" in str(caught.value)
    assert "id" in caught.value.summary


SECRET_DETAIL = {
    **DOMAIN,
    "auth_code": "EPP-SECRET-1",
    "epp_code": "EPP-SECRET-2",
    "authInfo": "EPP-SECRET-3",
    "AuthCode": "EPP-SECRET-4",
    "whois_info": {"created_date": "2020-01-01", "auth-info": "EPP-SECRET-5"},
    "contacts": [{"name": "x", "eppCode": "EPP-SECRET-6"}],
    "transfer_code": "EPP-SECRET-7",
}


def test_no_object_the_client_returns_carries_a_transfer_secret() -> None:
    page_body = {"count": 1, "next": None, "results": [SECRET_DETAIL]}
    client, _adapter, _clock = make_client(
        [
            Reply(200, SECRET_DETAIL),
            Reply(200, page_body),
            Reply(200, SECRET_DETAIL),
            Reply(201, SECRET_DETAIL),
            Reply(200, SECRET_DETAIL),
            Reply(200, SECRET_DETAIL),
        ]
    )
    answers = [
        client.get_domain(101),
        client.list_domains(),
        client.update_domain(101, {"locked": True}),
        client.register_domain({"domain_name": "example-shop.com"}),
        client.start_transfer(101, "EPP-SENT-0", True),
        client.request("GET", "domains/101/"),
    ]
    text = json.dumps(answers)
    assert "EPP-SECRET" not in text
    assert "EPP-SENT" not in text
    # Everything else survives.
    assert answers[0]["whois_info"] == {"created_date": "2020-01-01"}
    assert answers[0]["contacts"] == [{"name": "x"}]
    assert answers[1][0]["domain_name"] == "example-shop.com"


def test_a_registration_answer_without_a_domain_id_is_an_unknown_outcome() -> None:
    for answer in (Reply(201, {"message": "ok"}), Reply(201, ["x"]), Reply(204), Reply(201, {"id": None})):
        client, adapter, _clock = make_client([answer])
        with pytest.raises(OutcomeUnknown, match="names no domain id"):
            client.register_domain({"domain_name": "example.com"})
        assert len(adapter.sent) == 1


def test_answers_that_are_no_object_are_handled_per_call() -> None:
    client, _adapter, _clock = make_client(
        [Reply(200, ["not", "a", "domain"]), Reply(204), Reply(204), Reply(200, "ok")]
    )
    with pytest.raises(ApiError, match="a list where a domain object was expected"):
        client.get_domain(101)
    with pytest.raises(ApiError, match="no body where a domain object was expected"):
        client.get_domain(101)
    assert client.update_domain(101, {"locked": True}) == {}
    assert client.start_transfer(101, "EPP-CODE-1", True) == {}


def test_a_token_with_a_trailing_line_break_is_trimmed() -> None:
    client = ApiClient(f"  {TOKEN}\n", BASE)
    adapter = ScriptedAdapter([Reply(200, DOMAIN)])
    client.session.mount("https://", adapter)
    client.get_domain(101)
    assert adapter.sent[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_server_error_to_a_post_says_the_outcome_is_unknown() -> None:
    client, _adapter, _clock = make_client([Reply(503, {"detail": "down for maintenance"})])
    with pytest.raises(OutcomeUnknown) as caught:
        client.register_domain({"domain_name": "example.com"})
    assert str(caught.value) == (
        "POST /api/v1/domains/: outcome unknown: server error (HTTP 503), the request may or may not have been "
        "applied; down for maintenance"
    )
    assert caught.value.status == 503


def test_find_domains_orders_several_matches_by_numeric_id() -> None:
    results = [
        {"id": 1000, "domain_name": "a.com"},
        {"id": 99, "domain_name": "A.com"},
        {"id": 101, "domain_name": "a.com."},
    ]
    client, _adapter, _clock = make_client([Reply(200, {"count": 3, "next": None, "results": results})])
    assert [item["id"] for item in client.find_domains("a.com")] == [99, 101, 1000]


# -- the retry policy and the redaction helpers ------------------------------------------------------------------


def test_retry_policy_defaults_and_validation() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.max_total_time, policy.backoff_base, policy.backoff_cap) == (
        5,
        120.0,
        1.0,
        30.0,
    )
    assert policy.retry_after_cap == 60.0
    assert "max_attempts=5" in repr(policy)
    for bad in ({"max_attempts": 0}, {"max_attempts": True}, {"max_attempts": 2.5}):
        with pytest.raises(ValueError, match="max_attempts"):
            RetryPolicy(**bad)
    for option in ("max_total_time", "backoff_base", "backoff_cap", "retry_after_cap"):
        with pytest.raises(ValueError, match=option):
            RetryPolicy(**{option: -1})
    with pytest.raises(TypeError):
        RetryPolicy(3)  # type: ignore[misc]  # keyword-only: a bare number says nothing


def test_a_client_without_a_policy_gets_the_default_one() -> None:
    client = ApiClient(TOKEN, BASE)
    assert isinstance(client.retry, RetryPolicy)
    assert client.retry.max_attempts == 5
    with pytest.raises(ValueError, match="page_cap"):
        ApiClient(TOKEN, BASE, page_cap=0)


def test_redact_replaces_every_occurrence_in_nested_values() -> None:
    code = "EPP-XYZ-987654"
    failure = {
        "detail": f"Invalid auth code {code}.",
        "field_errors": {"auth_code": [f"'{code}' is not valid", "other"]},
        code: [1, ("x" + code + "x", None)],
        "status": 400,
        "header": "Authorization: Bearer abc.def",
    }
    redacted = http.redact(failure, [code, "  " + code + "\n", ""])
    assert code not in repr(redacted)
    assert redacted["detail"] == "Invalid auth code ********."
    assert redacted["field_errors"]["auth_code"] == ["'********' is not valid", "other"]
    assert redacted["********"] == [1, ["x********x", None]]
    assert redacted["status"] == 400
    assert redacted["header"] == "Authorization: Bearer ********"


def test_redact_without_secrets_returns_an_equal_value() -> None:
    value = {"a": ["b", 1, None]}
    assert http.redact(value, []) == value
    assert http.redact(value, [""]) == value
    # The longest secret goes first, so a secret inside a longer one never leaves a piece behind.
    assert http.redact_text("code ABCDEF-1", ["ABCDEF", "ABCDEF-1"]) == "code ********"


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("auth_code", True),
        ("AUTH_CODE", True),
        ("authCode", True),
        ("authInfo", True),
        ("auth_info", True),
        ("epp_code", True),
        ("epp-code", True),
        ("eppAuthCode", True),
        ("transfer_code", True),
        ("authorization_code", True),
        ("transfer_status", False),
        ("auto_renew", False),
        ("author", False),
        ("code", False),
        (3, False),
    ],
)
def test_secret_keys(key: Any, secret: bool) -> None:
    assert http.is_secret_key(key) is secret


# -- bounded answers, masked secrets, hints ---------------------------------------------------------------------


def test_an_answer_larger_than_32_mib_is_not_read() -> None:
    client, adapter, _clock = make_client([Reply(200, raw=b" " * (32 * 1024 * 1024 + 1))])
    with pytest.raises(ApiError, match="larger than 32 MiB") as caught:
        client.get_domain(101)
    assert not isinstance(caught.value, OutcomeUnknown)
    assert len(adapter.sent) == 1


@pytest.mark.parametrize("depth", [65, 100_000])
def test_json_nested_too_deeply_fails_clearly(depth: int) -> None:
    client, adapter, _clock = make_client([Reply(200, raw=b"[" * depth + b"]" * depth)])
    with pytest.raises(ApiError, match="nested more than 64 levels deep"):
        client.get_domain(101)
    assert len(adapter.sent) == 1


def test_json_nested_to_the_limit_is_read() -> None:
    client, _adapter, _clock = make_client([Reply(200, raw=b'{"id": 1, "x": ' + b"[" * 63 + b"]" * 63 + b"}")])
    assert client.get_domain(1)["id"] == 1


@pytest.mark.parametrize(
    "echo",
    [
        "EPP&Code<9>",
        "epp&code<9>",
        "EPP&amp;Code&lt;9&gt;",
        "EPP%26Code%3C9%3E",
        "epp%26code%3c9%3e",
        "EPP\\u0026Code\\u003c9\\u003e",
        "&#69;PP&amp;Code&#x3c;9&gt;",
    ],
)
def test_an_auth_code_echoed_in_any_form_is_masked(echo: str) -> None:
    body = '{"id": 104, "message": "transfer started with code ' + echo + '"}'
    client, _adapter, _clock = make_client([Reply(200, raw=body.encode())])
    answer = client.start_transfer(104, "EPP&Code<9>", True)
    assert answer["message"] == "transfer started with code ********"
    client, _adapter, _clock = make_client([Reply(400, raw=body.encode())])
    with pytest.raises(ApiError) as caught:
        client.start_transfer(104, "EPP&Code<9>", True)
    assert "********" in str(caught.value) and "9" not in str(caught.value).rsplit("code", maxsplit=1)[-1]


@pytest.mark.parametrize("form", [str.upper, str.title, lambda text: text.replace("-", "%2D")])
def test_a_401_echoing_the_token_in_another_form_does_not_show_it(form: Any) -> None:
    client, _adapter, _clock = make_client([Reply(401, {"detail": f"Invalid token {form(TOKEN)}."})])
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    text = str(caught.value) + repr(caught.value.to_failure())
    assert form(TOKEN) not in text and TOKEN.lower() not in text.lower()
    assert "Invalid token ********." in text


def test_a_404_on_the_list_path_hints_at_api_url() -> None:
    client, _adapter, _clock = make_client([Reply(404, {"detail": "Not found."})], api_url="https://api.test/")
    with pytest.raises(ApiError, match=r"GET /domains/: not found \(HTTP 404\); check api_url: .*/api/v1"):
        client.list_domains()
    client, _adapter, _clock = make_client([Reply(404, {"detail": "Not found."})])
    with pytest.raises(ApiError) as caught:
        client.get_domain(101)
    assert "check api_url" not in str(caught.value)


def test_the_user_agent_names_the_version_of_galaxy_yml() -> None:
    galaxy = (Path(__file__).resolve().parents[4] / "galaxy.yml").read_text(encoding="utf-8")
    (version,) = [line.split(":", 1)[1].strip() for line in galaxy.splitlines() if line.startswith("version:")]
    assert version == COLLECTION_VERSION
    assert f"vpsorg.domains/{version}" == http.USER_AGENT


def test_the_pool_is_sized_once_and_reads_stay_within_it() -> None:
    client = ApiClient(TOKEN, BASE, pool_size=3)
    adapter = client.session.get_adapter(BASE)
    assert client.fit_pool(8) == 3 and client.fit_pool(2) == 2
    assert client.session.get_adapter(BASE) is adapter


def test_a_request_error_that_is_not_a_transport_failure_is_sent_once() -> None:
    client, adapter, _clock = make_client([requests.exceptions.InvalidHeader("bad header value")])
    with pytest.raises(ApiError, match="request failed: bad header value"):
        client.get_domain(101)
    assert len(adapter.sent) == 1


def test_a_socket_error_while_reading_is_a_transport_failure() -> None:
    client, adapter, _clock = make_client(
        [ConnectionResetError(104, "Connection reset by peer"), Reply(200, {"id": 1})]
    )
    assert client.get_domain(1) == {"id": 1}
    assert len(adapter.sent) == 2


def test_a_list_page_loses_a_secret_key_on_any_item_not_only_the_first() -> None:
    # The walk judges each key once per answer: a key first seen on a clean item must still be judged by its
    # name on the later items, and a secret key first seen late must still be dropped everywhere after.
    clean = dict(DOMAIN, id=1)
    results = [clean, dict(DOMAIN, id=2, auth_code="EPP-LATE-1"), dict(DOMAIN, id=3, authCode="EPP-LATE-2")]
    results.append(dict(DOMAIN, id=4, whois={"auth_code": "EPP-LATE-3", "nested": [{"epp_code": "EPP-LATE-4"}]}))
    stripped = http._strip_secrets_within_depth({"count": 4, "next": None, "results": results})
    assert "EPP-LATE" not in json.dumps(stripped)
    assert stripped["results"][0] == clean
    assert stripped["results"][3]["whois"] == {"nested": [{}]}
    assert stripped == http.strip_secrets({"count": 4, "next": None, "results": results})
