# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets never shown, transport rules enforced: plain http, certificates, redirects, foreign hosts, proxies."""

from __future__ import annotations

import datetime
import html
import http.client
import http.server
import ipaddress
import json
import select
import socket
import ssl
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import pytest

TOKEN = "tok-Leak7Qz9Vx31Mw"
WRONG_TOKEN = "tok-Wrong4Hs8Kp62Ra"
CODES = {
    "ok": "EPP-Ok5Tn8Wq-31",
    "loop_a": "EPP-LoopA4Xe7-52",
    "loop_b": "EPP-LoopB8Mc3-73",
    "bad": "EPP-Bad3Yu6Ie-94",
    "young": "EPP-Young9Rf2-15",
    "absent": "EPP-Absent1Zc7-36",
    "drop": "EPP-Drop6Gv4-57",
    "echo": "EPP-Echo2Ln5-78",
}
# Substrings that identify each secret even when it is cut short, quoted or wrapped.
FRAGMENTS = ["Leak7Qz9", "Wrong4Hs8", *(code.split("-")[1] for code in CODES.values())]


def _leaks(text: str) -> List[str]:
    return [fragment for fragment in FRAGMENTS if fragment in text]


# -- small servers the tests need ------------------------------------------------------------------------------
class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(handler: type, host: str = "127.0.0.1") -> _Server:
    server = _Server((host, 0), handler)
    server.seen = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _url_of(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Answers 404 to everything and remembers every request it saw (method, target, headers)."""

    def _record_and_refuse(self) -> None:
        self.server.seen.append((self.command, self.path, dict(self.headers)))  # type: ignore[attr-defined]
        body = b'{"detail": "Not found."}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_CONNECT = _record_and_refuse

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        return


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """A forward proxy: absolute-form requests are relayed, CONNECT opens a tunnel; every request is recorded."""

    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        self.server.seen.append((self.command, self.path, dict(self.headers)))  # type: ignore[attr-defined]
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in ("proxy-connection", "proxy-authorization", "connection", "keep-alive")
        }
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            connection.request(self.command, path, body=body, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        finally:
            connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def do_CONNECT(self) -> None:
        self.server.seen.append((self.command, self.path, dict(self.headers)))  # type: ignore[attr-defined]
        host, _sep, port = self.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=30)
        self.send_response(200, "Connection established")
        self.end_headers()
        _pipe(self.connection, upstream)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        return


def _pipe(left: socket.socket, right: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    try:
        while True:
            readable, _writable, _errored = select.select([left, right], [], [], 30)
            if not readable:
                return
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                (right if sock is left else left).sendall(data)
    except OSError:
        return
    finally:
        right.close()


class _Relay:
    """A TCP relay to a port, counting the connections made through it (a TLS handshake shows as one)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=30)
            threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()

    def close(self) -> None:
        self.listener.close()


def _redirector(sandbox: Any) -> _Server:
    """Relays GETs to the sandbox; answers every write with a redirect to the same API path on the sandbox."""
    codes = {"PUT": 307, "DELETE": 301, "POST": 303}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.server.seen.append((self.command, self.path, {}))  # type: ignore[attr-defined]
            connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=30)
            try:
                connection.request("GET", self.path, headers=dict(self.headers))
                answer = connection.getresponse()
                payload = answer.read()
            finally:
                connection.close()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.getheader("Content-Type") or "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _redirect(self) -> None:
            self.server.seen.append((self.command, self.path, {}))  # type: ignore[attr-defined]
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            code = 308 if self.path.endswith("/transfer/") else codes[self.command]
            self.send_response(code)
            self.send_header("Location", sandbox.root_url + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT = do_DELETE = _redirect

        def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
            return

    return _serve(Handler)


def _stop(server: _Server) -> None:
    server.shutdown()
    server.server_close()


def _non_loopback_address() -> Optional[str]:
    """An address of this machine that is not loopback (none on an isolated machine)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if ipaddress.ip_address(address).is_loopback else address


def _conn(url: str, token: str = TOKEN, **extra: Any) -> Dict[str, Any]:
    return dict({"api_url": url, "api_token": token}, **extra)


# -- secrets -------------------------------------------------------------------------------------------------------
@pytest.fixture
def leaky_account(sandbox: Any) -> Dict[str, Any]:
    """An account with a distinctive token and domains to transfer with distinctive auth codes."""
    sandbox.add_account("leaky", TOKEN, 500)
    ids = {}
    for key, name in (
        ("ok", "leak-ok.com"),
        ("loop_a", "leak-loop-a.com"),
        ("loop_b", "leak-loop-b.com"),
        ("bad", "leak-bad.com"),
        ("drop", "leak-drop.com"),
        ("echo", "leak-echo.com"),
    ):
        seeded = sandbox.seed_domain(
            account="leaky",
            domain_name=name,
            registrar="Other Registrar Inc.",
            # The code sent for "bad" is wrong: the domain's real one is another.
            auth_code="EPP-REAL-0001" if key == "bad" else CODES[key],
            locked=False,
            registration_date="2022-01-10T00:00:00Z",
        )
        ids[key] = seeded["id"]
    young = sandbox.seed_domain(
        account="leaky",
        domain_name="leak-young.com",
        registrar="Other Registrar Inc.",
        auth_code=CODES["young"],
        locked=False,
        registration_date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    ids["young"] = young["id"]
    sandbox.seed_domain(account="leaky", domain_name="leak-settings.com", auto_renew=True)
    return ids


@pytest.mark.api_shape
def test_secrets_never_shown(sandbox: Any, run_playbook: Any, leaky_account: Dict[str, Any], tmp_path: Path) -> None:
    """Token and auth codes stay out of results, messages, warnings and -vvvv output, on success and failure."""
    url = sandbox.api_url
    # An API that echoes secrets back in its errors, some long enough that an excerpt cuts them short.
    echo_detail = "x" * 478 + f"token {TOKEN} code {CODES['echo']}"
    sandbox.add_fault(
        method="POST",
        path_prefix=f"/api/v1/domains/{leaky_account['echo']}/transfer/",
        status=400,
        body={"detail": echo_detail, "auth_code": [f"{CODES['echo']} is not valid for {TOKEN}"]},
    )
    sandbox.add_fault(
        method="POST",
        path_prefix=f"/api/v1/domains/{leaky_account['drop']}/transfer/",
        drop="before_commit",
    )
    sandbox.add_fault(
        method="GET",
        path_prefix="/api/v1/domains/",
        status=401,
        body=f"<html><body>Invalid token {WRONG_TOKEN} ({'y' * 148}{WRONG_TOKEN})</body></html>",
        content_type="text/html",
    )
    # The next one answers the second task's list request: a JSON detail whose excerpt would cut the token.
    sandbox.add_fault(
        method="GET",
        path_prefix="/api/v1/domains/",
        status=401,
        body={"detail": "x" * 278 + f"token {WRONG_TOKEN} rejected"},
    )

    # Secrets come from variables, as from a vault: Ansible shows a failed task's source lines, and a secret
    # written literally into a playbook would be shown there.
    def conn(token: str = "{{ token }}", **extra: Any) -> Dict[str, Any]:
        return _conn(url, token, **extra)

    def transfer(key: str, name: str, **extra: Any) -> Dict[str, Any]:
        args = conn(name=name, auth_code=f"{{{{ codes.{key} }}}}", **extra)
        return {"name": f"transfer {key}", "vpsorg.domains.vps_domain_transfer": args}

    wrong = "{{ wrong_token }}"
    tasks = [
        # Failures first: the 401 fault above answers the first list request, which is this one.
        {"name": "wrong token echoed", "vpsorg.domains.vps_domain_info": conn(wrong)},
        {"name": "wrong token", "vpsorg.domains.vps_domain_info": conn(wrong, name="leak-ok.com")},
        {"name": "wrong token portfolio", "vpsorg.domains.vps_portfolio": conn(wrong, settings={"auto_renew": True})},
        transfer("bad", "leak-bad.com"),
        transfer("young", "leak-young.com"),
        transfer("absent", "not-in-this-account.com"),
        transfer("drop", "leak-drop.com", api_timeout=1),
        transfer("echo", "leak-echo.com"),
        {"name": "bad name", "vpsorg.domains.vps_domain": conn(name="bad..name", auto_renew=True)},
        # Successes, through the environment and through arguments.
        {"name": "info from env", "vpsorg.domains.vps_domain_info": {}},
        {"name": "update", "vpsorg.domains.vps_domain": conn(name="leak-settings.com", auto_renew=False)},
        {"name": "portfolio", "vpsorg.domains.vps_portfolio": conn(settings={"auto_renew": False})},
        transfer("ok", "leak-ok.com"),
        dict(transfer("ok", "leak-ok.com"), name="transfer ok again"),
        {
            "name": "transfer loop",
            "vpsorg.domains.vps_domain_transfer": conn(name="{{ item }}", auth_code="{{ loop_codes[item] }}"),
            "loop": ["leak-loop-a.com", "leak-loop-b.com"],
        },
    ]
    log_file = tmp_path / "ansible.log"
    env = {"VPSORG_API_URL": url, "VPSORG_API_TOKEN": TOKEN, "ANSIBLE_LOG_PATH": str(log_file)}
    play_vars = {
        "token": TOKEN,
        "wrong_token": WRONG_TOKEN,
        "codes": CODES,
        "loop_codes": {"leak-loop-a.com": CODES["loop_a"], "leak-loop-b.com": CODES["loop_b"]},
    }
    run = run_playbook(tasks, verbosity=4, env=env, play_vars=play_vars, connection_defaults=False)

    # The playbook did what it should, or the absence of secrets would prove nothing.
    for name in ("wrong token echoed", "wrong token", "wrong token portfolio", "bad name"):
        assert run.status(name) == "failed", (name, run.result(name))
    for key in ("bad", "young", "absent", "drop", "echo"):
        assert run.status(f"transfer {key}") == "failed", (key, run.result(f"transfer {key}"))
    for name in ("update", "portfolio", "transfer ok", "transfer loop"):
        assert run.status(name) == "changed", (name, run.result(name))
    for name in ("info from env", "transfer ok again"):
        assert run.status(name) == "ok", (name, run.result(name))
    assert "401" in run.result("wrong token echoed")["msg"]
    assert "outcome unknown" in run.result("transfer drop")["msg"]
    assert {entry["domain_name"] for entry in sandbox.ledger()} == {"leak-ok.com", "leak-loop-a.com", "leak-loop-b.com"}

    places = {
        "stdout/stderr at -vvvv": run.output,
        "recorded results": json.dumps(run.results),
        "ansible log": log_file.read_text(encoding="utf-8") if log_file.exists() else "",
    }
    assert places["ansible log"], "ANSIBLE_LOG_PATH was not written"
    # The sandbox scrubs its own tokens from the journal; a wrong token or a code in a URL would stay.
    journal = sandbox.journal()
    places["request URLs"] = json.dumps([(e["path"], e["query"]) for e in journal])
    found = {place: _leaks(text) for place, text in places.items() if _leaks(text)}
    assert not found, f"secrets shown: {found}"
    assert "Traceback" not in run.output


# An auth code with the characters that HTML, URLs and JSON escape, and the part of it that every form still shows.
FORMED_CODE = "EPP&Kz8Vw<9>"
FORMED_CORE = "kz8vw"


def _forms_of(secret: str) -> Dict[str, str]:
    """The forms an API may echo a secret in: another letter case, HTML-escaped, URL-encoded, JSON-escaped."""
    return {
        "upper": secret.upper(),
        "html": html.escape(secret),
        "url": urllib.parse.quote(secret, safe=""),
        "json": json.dumps(secret, ensure_ascii=True).strip('"').replace("&", "\\u0026").replace("<", "\\u003c"),
    }


@pytest.mark.api_shape
def test_secrets_echoed_in_other_forms_never_shown(
    sandbox: Any, run_playbook: Any, leaky_account: Dict[str, Any], tmp_path: Path
) -> None:
    """A 401 echoing the token in another case, transfer errors echoing the code escaped: masked at -vvvv."""
    url = sandbox.api_url
    forms = _forms_of(FORMED_CODE)
    ids = {}
    for form in forms:
        seeded = sandbox.seed_domain(
            account="leaky",
            domain_name=f"leak-form-{form}.com",
            registrar="Other Registrar Inc.",
            auth_code=FORMED_CODE,
            locked=False,
            registration_date="2022-01-10T00:00:00Z",
        )
        ids[form] = seeded["id"]
        sandbox.add_fault(
            method="POST",
            path_prefix=f"/api/v1/domains/{seeded['id']}/transfer/",
            status=400,
            body={"detail": f"Invalid auth code {forms[form]} for this domain."},
        )
    token_forms = _forms_of(TOKEN)
    sandbox.add_fault(
        method="GET",
        path_prefix="/api/v1/domains/",
        status=401,
        body={"detail": f"Invalid token {token_forms['upper']}.", "token": [token_forms["json"]]},
    )
    sandbox.add_fault(
        method="GET",
        path_prefix="/api/v1/domains/",
        status=401,
        body=f"<html><body>Token {token_forms['url']} / {token_forms['html'].title()} refused</body></html>",
        content_type="text/html",
    )
    tasks = [
        {"name": "token echoed upper-cased", "vpsorg.domains.vps_domain_info": _conn(url, "{{ token }}")},
        {"name": "token echoed encoded", "vpsorg.domains.vps_domain_info": _conn(url, "{{ token }}")},
    ] + [
        {
            "name": f"code echoed {form}",
            "vpsorg.domains.vps_domain_transfer": _conn(
                url, "{{ token }}", name=f"leak-form-{form}.com", auth_code="{{ code }}"
            ),
        }
        for form in forms
    ]
    log_file = tmp_path / "ansible.log"
    run = run_playbook(
        tasks,
        verbosity=4,
        env={"ANSIBLE_LOG_PATH": str(log_file)},
        play_vars={"token": TOKEN, "code": FORMED_CODE},
        connection_defaults=False,
    )
    for record in run.results:
        assert record["status"] == "failed", record
    assert "(HTTP 401)" in run.result("token echoed upper-cased")["msg"]
    assert "Invalid token ********." in run.result("token echoed upper-cased")["msg"]
    for form in forms:
        assert "Invalid auth code ******** for this domain" in run.result(f"code echoed {form}")["msg"], form
    # Each transfer was tried once and refused by its fault: nothing charged.
    posts = [entry for entry in sandbox.journal() if entry["method"] == "POST"]
    assert sorted(entry["path"] for entry in posts) == sorted(f"/api/v1/domains/{i}/transfer/" for i in ids.values())
    assert sandbox.ledger() == []
    places = {
        "stdout/stderr at -vvvv": run.output,
        "recorded results": json.dumps(run.results),
        "ansible log": log_file.read_text(encoding="utf-8"),
    }
    for place, text in places.items():
        lowered = text.lower()
        assert FORMED_CORE not in lowered, place
        assert "leak7qz9" not in lowered, place


@pytest.mark.api_shape
def test_plain_http_refused_unless_loopback(sandbox: Any, run_playbook: Any) -> None:
    """http:// to a host that is not loopback fails before any request; loopback names work."""
    recorder_any = _serve(_RecordingHandler, host="0.0.0.0")
    proxy = _serve(_RecordingHandler)
    try:
        port = recorder_any.server_address[1]
        address = _non_loopback_address()
        urls = {
            "lan address": f"http://{address or '198.51.100.7'}:{port}/api/v1",
            "dns name": "http://api.example.test/api/v1",
            "loopback look-alike": f"http://127.0.0.1.example.test:{port}/api/v1",
            "upper-case scheme": "HTTP://admin.vps.org/api/v1",
            "unspecified address": f"http://0.0.0.0:{port}/api/v1",
        }
        tasks = [
            {"name": name, "vpsorg.domains.vps_domain_info": _conn(url, sandbox.token)} for name, url in urls.items()
        ]
        tasks.append(
            {
                "name": "localhost works",
                "vpsorg.domains.vps_domain_info": _conn(f"http://localhost:{sandbox.port}/api/v1", sandbox.token),
            }
        )
        # Were a request sent, the proxy would see it even for names that do not resolve.
        env = {
            "HTTP_PROXY": _url_of(proxy),
            "http_proxy": _url_of(proxy),
            "NO_PROXY": "localhost",
            "no_proxy": "localhost",
        }
        run = run_playbook(tasks, connection_defaults=False, env=env)
        for name in urls:
            result = run.result(name)
            assert run.status(name) == "failed", (name, result)
            assert "api_url" in result["msg"] and "https://" in result["msg"], (name, result["msg"])
        assert run.status("localhost works") == "ok", run.result("localhost works")
        assert recorder_any.seen == [], recorder_any.seen
        assert proxy.seen == [], proxy.seen
    finally:
        _stop(recorder_any)
        _stop(proxy)


@pytest.fixture
def tls_sandbox(sandbox: Any, tmp_path: Path, self_signed_certificate: Tuple[Path, Path]):
    """A second sandbox process serving HTTPS with a self-signed certificate."""
    cert, key = self_signed_certificate
    server = type(sandbox)(tmp_path / "tls-sandbox", extra_args=("--tls-cert", str(cert), "--tls-key", str(key)))
    server.ssl_context = ssl.create_default_context(cafile=str(cert))
    server.start()
    try:
        assert server.scheme == "https", server.log()
        server.reset()
        server.cert = cert
        yield server
    finally:
        server.stop()


@pytest.mark.api_shape
def test_tls_certificates(tls_sandbox: Any, run_playbook: Any) -> None:
    """A self-signed certificate fails clearly and at once; ca_path, VPSORG_CA_PATH and REQUESTS_CA_BUNDLE
    trust it; an http:// next link from a TLS-terminating proxy is followed over https; HTTPS_PROXY works."""
    cert = str(tls_sandbox.cert)
    relay = _Relay(tls_sandbox.port)
    proxy = _serve(_ProxyHandler)
    try:
        url = f"https://127.0.0.1:{relay.port}/api/v1"
        token = tls_sandbox.token
        refused = run_playbook(
            [{"name": "untrusted", "vpsorg.domains.vps_domain_info": _conn(url, token)}], connection_defaults=False
        )
        result = refused.result("untrusted")
        assert refused.status("untrusted") == "failed", result
        assert "certificate" in result["msg"].lower() and "ca_path" in result["msg"], result["msg"]
        assert relay.connections == 1, f"{relay.connections} connections: a certificate failure was retried"
        assert tls_sandbox.journal() == []

        # A TLS-terminating proxy in front of the API builds next links with http://.
        tls_sandbox.configure(page_size=2, next_link_base=f"http://127.0.0.1:{relay.port}")
        no_proxy = {"NO_PROXY": "", "no_proxy": ""}
        tasks = [
            {"name": "ca_path", "vpsorg.domains.vps_domain_info": _conn(url, token, ca_path=cert)},
            {
                "name": "VPSORG_CA_PATH",
                "vpsorg.domains.vps_domain_info": _conn(url, token),
                "environment": {"VPSORG_CA_PATH": cert},
            },
            {
                "name": "REQUESTS_CA_BUNDLE",
                "vpsorg.domains.vps_domain_info": _conn(url, token),
                "environment": {"REQUESTS_CA_BUNDLE": cert},
            },
            {
                "name": "validate_certs false",
                "vpsorg.domains.vps_domain_info": _conn(url, token, validate_certs=False),
            },
            {
                "name": "through HTTPS_PROXY",
                "vpsorg.domains.vps_domain_info": _conn(url, token, ca_path=cert),
                "environment": dict(no_proxy, HTTPS_PROXY=_url_of(proxy), https_proxy=_url_of(proxy)),
            },
        ]
        run = run_playbook(tasks, connection_defaults=False)
        demo = ["example-blog.net", "example-labs.io", "example-shop.com", "transfer-me.org"]
        for task in tasks:
            result = run.result(task["name"])
            assert run.status(task["name"]) == "ok", (task["name"], result)
            assert [item["domain_name"] for item in result["domains"]] == demo, (task["name"], result["domains"])
        assert proxy.seen, "HTTPS_PROXY was not used"
        assert all(seen[:2] == ("CONNECT", f"127.0.0.1:{relay.port}") for seen in proxy.seen), proxy.seen
    finally:
        relay.close()
        _stop(proxy)


@pytest.mark.api_shape
def test_redirects_to_writes_are_errors(sandbox: Any, run_playbook: Any) -> None:
    """A 3xx to a PUT, POST or DELETE fails, names the redirect, and is never followed (nor retried)."""
    ids = {name: _domain_id(sandbox, name) for name in ("example-shop.com", "example-blog.net", "transfer-me.org")}
    redirector = _redirector(sandbox)
    try:
        url = _url_of(redirector) + "/api/v1"
        tasks = [
            {
                "name": "PUT 307",
                "vpsorg.domains.vps_domain": _conn(url, sandbox.token, name="example-shop.com", auto_renew=False),
            },
            {
                "name": "POST 303",
                "vpsorg.domains.vps_domain": _conn(
                    url, sandbox.token, name="redirected-new.com", allow_registration=True
                ),
            },
            {
                "name": "DELETE 301",
                "vpsorg.domains.vps_domain": _conn(url, sandbox.token, name="example-blog.net", state="absent"),
            },
            {
                "name": "transfer 308",
                "vpsorg.domains.vps_domain_transfer": _conn(
                    url, sandbox.token, name="transfer-me.org", auth_code="EPP-DEMO-1234"
                ),
            },
        ]
        run = run_playbook(tasks, connection_defaults=False)
        for task, code in zip(tasks, ("307", "303", "301", "308")):
            result = run.result(task["name"])
            assert run.status(task["name"]) == "failed", (task["name"], result)
            assert "redirect" in result["msg"].lower() and code in result["msg"], (task["name"], result["msg"])
        writes = [(method, path) for method, path, _headers in redirector.seen if method != "GET"]
        assert sorted(writes) == sorted(
            [
                ("PUT", f"/api/v1/domains/{ids['example-shop.com']}/"),
                ("POST", "/api/v1/domains/"),
                ("DELETE", f"/api/v1/domains/{ids['example-blog.net']}/"),
                ("POST", f"/api/v1/domains/{ids['transfer-me.org']}/transfer/"),
            ]
        ), writes
        # Every request the sandbox saw came through the redirector's GET relay: nothing followed a redirect.
        assert {entry["method"] for entry in sandbox.journal()} == {"GET"}
        assert sandbox.ledger() == []
    finally:
        _stop(redirector)


@pytest.mark.api_shape
def test_authorization_never_sent_to_another_host(sandbox: Any, run_playbook: Any) -> None:
    """A next link to another host (a proxy in front of the API) is re-based on api_url with one warning; that
    host never sees a request, let alone the token."""
    try:
        elsewhere = _serve(_RecordingHandler, host="127.0.0.2")
        other_host = "127.0.0.2"
    except OSError:
        elsewhere = _serve(_RecordingHandler)
        other_host = "localhost"
    upstream = f"http://{other_host}:{elsewhere.server_address[1]}"
    try:
        sandbox.configure(page_size=1, next_link_base=upstream)
        run = run_playbook([{"name": "list", "vpsorg.domains.vps_domain_info": {}}])
        result = run.result("list")
        assert run.status("list") == "ok", result
        demo = ["example-blog.net", "example-labs.io", "example-shop.com", "transfer-me.org"]
        assert [item["domain_name"] for item in result["domains"]] == demo
        assert elsewhere.seen == []
        warnings = [text for text in result.get("warnings", []) if "next links" in text]
        assert warnings == [
            f"the API's next links point at {upstream}/api/v1/domains/; followed them on api_url's host instead "
            f"({sandbox.root_url}/api/v1/domains/, the same query): the API may be behind a proxy that does not "
            "pass its public address on"
        ], result.get("warnings")
        entries = sandbox.journal()
        assert sorted(entry["query"].get("page", "1") for entry in entries) == ["1", "2", "3", "4"]
        assert {(entry["method"], entry["path"], entry["status"]) for entry in entries} == {
            ("GET", "/api/v1/domains/", 200)
        }
    finally:
        _stop(elsewhere)


def test_proxy_from_environment(sandbox: Any, run_playbook: Any, tmp_path: Path) -> None:
    """HTTP_PROXY is honoured; the token goes as a Bearer header (never from ~/.netrc) and in no URL."""
    proxy = _serve(_ProxyHandler)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-Pw9Lq2\n", encoding="utf-8")
    netrc.chmod(0o600)
    try:
        env = {
            "HTTP_PROXY": _url_of(proxy),
            "http_proxy": _url_of(proxy),
            "NO_PROXY": "",
            "no_proxy": "",
            "NETRC": str(netrc),
        }
        tasks = [
            {"name": "read", "vpsorg.domains.vps_domain_info": {"search": "example"}},
            {"name": "write", "vpsorg.domains.vps_domain": {"name": "example-labs.io", "auto_renew": False}},
            {
                "name": "transfer",
                "vpsorg.domains.vps_domain_transfer": {"name": "transfer-me.org", "auth_code": "EPP-DEMO-1234"},
            },
        ]
        run = run_playbook(tasks, env=env)
        assert run.status("read") == "ok", run.result("read")
        assert run.status("write") == "changed", run.result("write")
        assert run.status("transfer") == "changed", run.result("transfer")
        seen = [(method, urlsplit(target)) for method, target, _headers in proxy.seen]
        assert seen and all(target.netloc == f"127.0.0.1:{sandbox.port}" for _method, target in seen), proxy.seen
        assert {"GET", "PUT", "POST"} <= {method for method, _target in seen}
        assert len(seen) == len(sandbox.journal()), "some requests bypassed the proxy"
        authorizations = {headers.get("Authorization") for _method, _target, headers in proxy.seen}
        assert authorizations == {f"Bearer {sandbox.token}"}, authorizations
        urls = " ".join(target for _method, target, _headers in proxy.seen)
        assert sandbox.token not in urls and "EPP-DEMO-1234" not in urls and "netrc" not in urls
    finally:
        _stop(proxy)


def _domain_id(sandbox: Any, name: str) -> int:
    status, _headers, body = sandbox.api("GET", "domains/", params={"search": name})
    assert status == 200, body
    return next(item["id"] for item in body["results"] if item["domain_name"] == name)
