# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: the sandbox VPS.org API server as a real process, and a handle to drive it."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# ansible-playbook and the unit tests find the work tree as vpsorg.domains through this path.
COLLECTIONS_PATH = REPO_ROOT / ".build" / "collections"


def link_collection() -> None:
    """Link the work tree as ansible_collections/vpsorg/domains and make it importable (`make collection-link`).

    Under ansible-test the tree already is .../ansible_collections/vpsorg/domains and importable: nothing to do.
    """
    if REPO_ROOT.parts[-3:] == ("ansible_collections", "vpsorg", "domains"):
        return
    link = COLLECTIONS_PATH / "ansible_collections" / "vpsorg" / "domains"
    if not (link.is_symlink() and link.resolve() == REPO_ROOT):
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    if str(COLLECTIONS_PATH) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS_PATH))


# Before any test module is imported, so they can import the collection at the top.
link_collection()
DEMO_TOKEN = "sandbox-demo-token"
# The values every test starts from; `sandbox` puts the server's config back to these.
START_CONFIG = {
    "page_size": 50,
    "activation_delay": 1,
    "transfer_delay": 3,
    "expose_transfer_status": True,
    "list_transfer_state": False,
    "next_link_base": None,
}
_START_TIMEOUT = 20.0
_DEFAULT = object()
SANDBOX_PROFILES = ("default", "drf")
BOTH_PROFILES = "both"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sandbox-profile",
        choices=(*SANDBOX_PROFILES, BOTH_PROFILES),
        default="default",
        help="the sandbox profile the `sandbox` fixture serves: default, drf (a stock Django REST Framework API), "
        f"or {BOTH_PROFILES} (every test on default, and the api_shape-marked ones once more on drf, in one session)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Under `--sandbox-profile both`, an api_shape-marked test that uses the sandbox runs once per profile."""
    if metafunc.config.getoption("--sandbox-profile") != BOTH_PROFILES:
        return
    if "sandbox_profile" in metafunc.fixturenames and metafunc.definition.get_closest_marker("api_shape"):
        metafunc.parametrize("sandbox_profile", SANDBOX_PROFILES, indirect=True, ids=lambda p: f"profile-{p}")


class SandboxError(AssertionError):
    """A control call the test relied on did not succeed."""


class Sandbox:
    """A sandbox server process on a free loopback port, with helpers for the control API and the API."""

    def __init__(self, workdir: Path, extra_args: Tuple[str, ...] = (), profile: str = "default") -> None:
        self.workdir = workdir
        # The profile a reset puts back (the process starts with it too).
        self.profile = profile
        self.db_path = workdir / "sandbox.sqlite3"
        self.log_path = workdir / "sandbox.log"
        self.token = DEMO_TOKEN
        self.port = 0
        self.scheme = "http"
        self.extra_args = tuple(extra_args)
        # Set for a TLS sandbox so urllib trusts its certificate.
        self.ssl_context: Any = None
        self._process: Optional[subprocess.Popen] = None
        self._log_handle: Any = None

    # -- process ------------------------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.root_url}/api/v1"

    def command(self, port: int) -> list:
        return [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            str(self.db_path),
            "--page-size",
            str(START_CONFIG["page_size"]),
            "--activation-delay",
            str(START_CONFIG["activation_delay"]),
            "--transfer-delay",
            str(START_CONFIG["transfer_delay"]),
            "--profile",
            self.profile,
            *self.extra_args,
        ]

    def start(self) -> None:
        """Start the process (on the known port after a restart, so URLs stay valid) and wait for its banner."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._log_handle = open(self.log_path, "ab")  # noqa: SIM115  # pylint: disable=consider-using-with
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._process = subprocess.Popen(  # pylint: disable=consider-using-with
            self.command(self.port),
            cwd=str(REPO_ROOT),
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.log_path.read_bytes()[log_offset:].decode("utf-8", "replace")
            for line in text.splitlines():
                if line.startswith("API URL: "):
                    parsed = urllib.parse.urlsplit(line[len("API URL: ") :].strip())
                    self.scheme = parsed.scheme
                    self.port = int(parsed.port or 0)
                    return
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        output = self.log_path.read_bytes()[log_offset:].decode("utf-8", "replace")
        self.stop()
        raise RuntimeError(f"sandbox did not start: {output}")

    def stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=10)
            self._process = None
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def restart(self) -> None:
        """Stop and start the same command on the same port and store (persistence tests)."""
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace") if self.log_path.exists() else ""

    # -- what differs by profile -------------------------------------------------------------------
    def api_time(self, text: str) -> str:
        """How the API writes a stored time (ISO 8601, e.g. a seeded '2026-01-16T16:30:00Z') under this profile."""
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
        if self.profile == "drf":
            return moment.isoformat()
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- HTTP ---------------------------------------------------------------------------------------
    def _http(
        self,
        method: str,
        url: str,
        *,
        data: Optional[bytes] = None,
        headers: Optional[dict] = None,
        timeout: float = 15.0,
    ) -> Tuple[int, Message, Any]:
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=self.ssl_context) as resp:
                status, resp_headers, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as error:
            status, resp_headers, raw = error.code, error.headers, error.read()
        return status, resp_headers, _decode(raw, resp_headers)

    def control(self, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
        """One call to the control API; `path` is relative to /_sandbox/ (e.g. "faults")."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        status, _headers, payload = self._http(
            method, f"{self.root_url}/_sandbox/{path.lstrip('/')}", data=data, headers=headers
        )
        return status, payload

    def _ok(self, method: str, path: str, body: Any = None) -> Any:
        status, payload = self.control(method, path, body)
        if not 200 <= status < 300:
            raise SandboxError(f"{method} /_sandbox/{path} -> {status}: {payload!r}")
        return payload

    def reset(self) -> None:
        self._ok("POST", "reset", {"profile": self.profile})
        self._ok("DELETE", "faults")
        self._ok("DELETE", "requests")
        self._ok("POST", "config", dict(START_CONFIG))

    def configure(self, **settings: Any) -> dict:
        return self._ok("POST", "config", settings)

    def add_account(self, label: str, token: str, balance: Any) -> dict:
        return self._ok("POST", "accounts", {"label": label, "token": token, "balance": balance})

    def seed_domain(self, account: str = "demo", **fields: Any) -> dict:
        return self._ok("POST", "domains", {"account": account, **fields})

    def patch_domain(self, domain_id: int, **fields: Any) -> dict:
        return self._ok("PATCH", f"domains/{domain_id}", fields)

    def add_fault(self, **spec: Any) -> dict:
        return self._ok("POST", "faults", spec)

    def faults(self) -> list:
        return self._ok("GET", "faults")

    def journal(self) -> list:
        return self._ok("GET", "requests")

    def clear_journal(self) -> None:
        self._ok("DELETE", "requests")

    def ledger(self) -> list:
        return self._ok("GET", "ledger")

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: Any = _DEFAULT,
        params: Optional[dict] = None,
        *,
        headers: Optional[dict] = None,
        raw: Optional[bytes] = None,
        timeout: float = 15.0,
    ) -> Tuple[int, Message, Any]:
        """Call the API directly. `path` is relative to api_url ("domains/"), or absolute from the root ("/x").

        `token=None` sends no Authorization header. `raw` sends bytes as the body unchanged. The answer body is
        parsed JSON when it is JSON, else text (None when empty). A dropped connection raises the client error.
        """
        url = self.root_url + path if path.startswith("/") else f"{self.api_url}/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        all_headers = {"Accept": "application/json"}
        if token is _DEFAULT:
            token = self.token
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        data = raw
        if data is None and body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        return self._http(method, url, data=data, headers=all_headers, timeout=timeout)


def _decode(raw: bytes, headers: Message) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    if "json" in (headers.get("Content-Type") or ""):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Skipped tests go to $CI_SKIPPED_FILE too, when set (.ci/run lists them in its summary: no silent skip)."""
    skipped_file = os.environ.get("CI_SKIPPED_FILE")
    reports = terminalreporter.stats.get("skipped", [])
    # Under xdist the controller sees every report; a worker's summary would write its own twice.
    if not skipped_file or not reports or hasattr(terminalreporter.config, "workerinput"):
        return
    with open(skipped_file, "a", encoding="utf-8") as handle:
        for report in reports:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            handle.write(f"pytest {report.nodeid}: {reason}\n")


def _session_profile(config: pytest.Config) -> str:
    option = str(config.getoption("--sandbox-profile"))
    return "default" if option == BOTH_PROFILES else option


@pytest.fixture
def sandbox_profile(request: pytest.FixtureRequest) -> str:
    """The profile this test's sandbox serves (`--sandbox-profile`, or this run's under `both`): tests asserting
    profile-specific text ask it, or `sandbox.profile`."""
    return str(getattr(request, "param", _session_profile(request.config)))


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Sandbox]:
    """The sandbox as a real subprocess on a free 127.0.0.1 port with a file store (one per xdist worker)."""
    server = Sandbox(tmp_path_factory.mktemp("sandbox"), profile=_session_profile(pytestconfig))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(sandbox_server: Sandbox, sandbox_profile: str) -> Sandbox:
    """The session's sandbox after a reset to this test's profile: demo data only, no faults, empty journal, start
    config."""
    sandbox_server.profile = sandbox_profile
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def start_sandbox(tmp_path: Path, sandbox_profile: str) -> Iterator[Callable[..., Sandbox]]:
    """Start extra sandbox processes (own store, own free port), stopped after the test.

    `start_sandbox("--tls-cert", cert, "--tls-key", key, name="tls", ssl_context=ctx)` returns a started
    `Sandbox` (same object API as `sandbox`); `ssl_context` is what its own calls trust over HTTPS. It serves
    the session's `--sandbox-profile` unless `profile=` names another.
    """
    started: List[Sandbox] = []

    def start(*extra_args: str, name: str = "private", ssl_context: Any = None, profile: str = "") -> Sandbox:
        server = Sandbox(tmp_path / name, tuple(extra_args), profile=profile or sandbox_profile)
        server.ssl_context = ssl_context
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


def make_self_signed_certificate(directory: Path) -> Tuple[Path, Path]:
    """A self-signed CA certificate for 127.0.0.1 and localhost, and its key, as PEM files in directory."""
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("neither the cryptography package nor the openssl command is available")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-days", "30", "-subj", "/CN=vpsorg sandbox test",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(key_path), "-out", str(cert_path)],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vpsorg sandbox test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="session")
def self_signed_certificate(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path]:
    """(certificate, key) PEM paths of one self-signed certificate for 127.0.0.1 and localhost."""
    return make_self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def clean_client_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Proxy, CA bundle and netrc settings of the machine running the tests must not leak into a client.

    The client tests make it autouse in their directories' conftest.py.
    """
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
