# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests of the sandbox as a process: command line, persistence across restarts, TLS, remote access."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional, Tuple

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _run_sandbox(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        cwd=str(REPO_ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- command line ------------------------------------------------------------------------------------
def test_help_lists_every_flag() -> None:
    result = _run_sandbox("--help")
    assert result.returncode == 0
    for flag in (
        "--host",
        "--port",
        "--db",
        "--page-size",
        "--activation-delay",
        "--transfer-delay",
        "--tls-cert",
        "--tls-key",
        "--allow-remote",
        "--control-token",
        "--profile",
        "--next-link-base",
    ):
        assert flag in result.stdout
    # What a reset does to the profile is part of the contract the help states.
    assert "keeps the active profile" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--host", "0.0.0.0"), "--allow-remote"),
        (("--host", "0.0.0.0", "--allow-remote"), "--control-token"),
        (("--tls-cert", "cert.pem"), "--tls-key"),
        (("--page-size", "0"), "--page-size"),
        (("--activation-delay", "-1"), "delays"),
        (("--port", "70000"), "--port"),
        (("--profile", "flask"), "--profile"),
        (("--next-link-base", "web:8000"), "--next-link-base"),
    ],
)
def test_bad_command_lines_are_refused(args: Tuple[str, ...], message: str) -> None:
    result = _run_sandbox("--port", "0", *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_default_store_is_in_memory_and_banner_names_url_and_token() -> None:
    # pylint: disable-next=consider-using-with
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "sandbox", "--port", "0"],
        cwd=str(REPO_ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _line in range(5)]
    finally:
        process.terminate()
        process.wait(timeout=10)
    url = next(line for line in lines if line.startswith("API URL: "))[len("API URL: ") :]
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/api/v1")
    assert int(url.split(":")[2].split("/")[0]) > 0
    assert "Token: sandbox-demo-token" in lines
    assert "Store: in memory" in lines


# -- persistence -------------------------------------------------------------------------------------
def test_store_and_timers_survive_a_restart(start_sandbox: Any, wait_until: Any) -> None:
    server = start_sandbox()
    server.configure(activation_delay=60)
    slow = server.api("POST", "domains/", {"domain_name": "slow-to-activate.com"})[2]
    server.configure(activation_delay=1, transfer_delay=1)
    quick = server.api("POST", "domains/", {"domain_name": "quick-to-activate.net"})[2]
    assert server.api("POST", "domains/104/transfer/", {"auth_code": "EPP-DEMO-1234"})[0] == 200
    server.api("PUT", "domains/101/", {"nameservers": ["a.ns.example", "b.ns.example"]})
    server.api("DELETE", "domains/102/")
    server.add_account("kept", "kept-token", 42)
    server.add_fault(status=500)  # faults are run-time state: they do not survive
    journal_before = server.journal()
    ledger_before = server.ledger()

    server.stop()
    # Let the timers fall due while the server is down: the dates are cut to whole seconds and the transfer
    # started after the registration, so allow two seconds beyond the one-second delays.
    wait_until(lambda: datetime.datetime.now(datetime.timezone.utc).timestamp() > _epoch(quick) + 3, timeout=10)
    server.start()

    assert server.api("GET", f"domains/{quick['id']}/")[2]["status"] == "active"
    assert server.api("GET", f"domains/{slow['id']}/")[2]["status"] == "pending"
    transfer = server.api("GET", "domains/104/")[2]
    assert (transfer["transfer_status"], transfer["registrar"]) == ("completed", "VPS.org")
    assert server.api("GET", "domains/101/")[2]["nameservers"] == ["a.ns.example", "b.ns.example"]
    assert server.api("GET", "domains/102/")[0] == 404
    assert server.api("POST", "domains/", {"domain_name": "example-blog.net"})[0] == 400
    assert server.api("GET", "domains/", token="kept-token")[0] == 200
    assert server.ledger() == ledger_before
    assert server.journal()[: len(journal_before)] == journal_before
    assert server.faults() == []
    # Ids keep counting after a restart.
    assert server.api("POST", "domains/", {"domain_name": "after-restart.org"})[2]["id"] == quick["id"] + 1


def _epoch(domain: dict) -> float:
    registered = datetime.datetime.strptime(domain["registration_date"], "%Y-%m-%dT%H:%M:%SZ")
    return registered.replace(tzinfo=datetime.timezone.utc).timestamp()


def test_restart_of_the_shared_server_keeps_url_and_data(sandbox: Any) -> None:
    url = sandbox.api_url
    created = sandbox.api("POST", "domains/", {"domain_name": "through-restart.io"})[2]
    sandbox.restart()
    assert sandbox.api_url == url
    assert sandbox.api("GET", f"domains/{created['id']}/")[2]["domain_name"] == "through-restart.io"


# -- TLS ---------------------------------------------------------------------------------------------
def test_tls(start_sandbox: Any, self_signed_certificate: Tuple[Path, Path]) -> None:
    cert, key = self_signed_certificate
    trusting = ssl.create_default_context(cafile=str(cert))
    server = start_sandbox("--tls-cert", str(cert), "--tls-key", str(key), name="tls", ssl_context=trusting)
    assert server.api_url.startswith("https://127.0.0.1:")
    server.configure(page_size=2)
    status, _headers, body = server.api("GET", "domains/")
    assert status == 200
    assert body["next"] == f"{server.api_url}/domains/?page=2"
    # A client that does not trust the certificate refuses it.
    server.ssl_context = ssl.create_default_context()
    with pytest.raises(urllib.error.URLError) as failure:
        server.api("GET", "domains/")
    assert isinstance(failure.value.reason, ssl.SSLCertVerificationError)
    server.ssl_context = trusting
    # Plain HTTP to the TLS port gets no API answer, and the server keeps serving afterwards.
    plain_url = f"http://127.0.0.1:{server.port}/api/v1/domains/"
    with pytest.raises((OSError, ValueError)):  # noqa: SIM117 - one statement per context on Python 3.9
        with urllib.request.urlopen(plain_url, timeout=5) as response:
            response.read()
    assert server.api("GET", "domains/101/")[0] == 200


# -- remote access -----------------------------------------------------------------------------------
def _non_loopback_address() -> Optional[str]:
    """An address of this machine other than loopback, when there is one."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0" else address


def _control_status(url: str, headers: dict) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_remote_control_calls_need_the_control_token(start_sandbox: Any) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to connect from")
    server = start_sandbox("--host", "0.0.0.0", "--allow-remote", "--control-token", "ctl-token", name="remote")
    remote = f"http://{address}:{server.port}"
    assert _control_status(f"{remote}/_sandbox/faults", {}) == 403
    assert _control_status(f"{remote}/_sandbox/faults", {"Authorization": "Bearer wrong"}) == 403
    assert _control_status(f"{remote}/_sandbox/faults", {"Authorization": "Bearer ctl-token"}) == 200
    assert _control_status(f"{remote}/_sandbox/faults", {"X-Sandbox-Token": "ctl-token"}) == 200
    # The API itself answers remote clients with account tokens as usual; loopback needs no control token.
    assert _control_status(f"{remote}/api/v1/domains/", {"Authorization": "Bearer sandbox-demo-token"}) == 200
    assert _control_status(f"{server.root_url}/_sandbox/faults", {}) == 200
