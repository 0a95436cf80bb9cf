# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: serve the sandbox VPS.org Domains API until stopped."""

from __future__ import annotations

import argparse
import signal
import ssl
import sys
from types import FrameType
from typing import List, Optional

from .profiles import DRF_LINK_BASE, PROFILES
from .server import API_PREFIX, CONTROL_PREFIX, SandboxServer, _is_loopback
from .store import DEMO_TOKEN, MAX_LATENCY_MS, Config, Store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="A local server that speaks the VPS.org Domains API, with a control API under /_sandbox/ "
        "(reset, config, accounts, domains, requests journal, faults, ledger).",
        epilog="Profiles: 'default' answers as the API contract describes; 'drf' as a stock Django REST Framework "
        "app behind nginx (decimals as strings, times with microseconds and +00:00, names kept as posted, "
        f"newest first, next links from the upstream host {DRF_LINK_BASE} unless --next-link-base, DRF's error "
        'texts, nginx pages on 502/504). POST /_sandbox/config {"profile": ...} switches at run time; '
        'POST /_sandbox/reset keeps the active profile unless its body names one ({"profile": ...}).',
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback unless --allow-remote)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)")
    parser.add_argument("--db", default=None, help="SQLite file for a store that survives restarts (default: memory)")
    parser.add_argument("--page-size", type=int, default=50, help="domains per list page (default 50)")
    parser.add_argument(
        "--activation-delay", type=float, default=2.0, help="seconds from registration to active (default 2)"
    )
    parser.add_argument(
        "--transfer-delay", type=float, default=30.0, help="seconds from transfer start to completion (default 30)"
    )
    parser.add_argument(
        "--profile", choices=PROFILES, default="default", help="how answers are written (default: default)"
    )
    parser.add_argument(
        "--next-link-base",
        default=None,
        help="http(s)://host[:port] that next/previous links point to (default: the request's host; drf: upstream)",
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="milliseconds added to every API answer, as a network round trip would (default 0)",
    )
    parser.add_argument("--tls-cert", default=None, help="PEM certificate: serve HTTPS (needs --tls-key)")
    parser.add_argument("--tls-key", default=None, help="PEM private key for --tls-cert")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (needs --control-token)"
    )
    parser.add_argument(
        "--control-token",
        default=None,
        help="token the control API requires from non-loopback clients (Authorization: Bearer or X-Sandbox-Token)",
    )
    return parser


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if args.page_size < 1:
        parser.error("--page-size must be 1 or more")
    if args.activation_delay < 0 or args.transfer_delay < 0:
        parser.error("delays must be 0 or more seconds")
    if not 0 <= args.latency_ms <= MAX_LATENCY_MS:
        parser.error(f"--latency-ms must be from 0 to {MAX_LATENCY_MS}")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.next_link_base is not None and not args.next_link_base.startswith(("http://", "https://")):
        parser.error("--next-link-base must be an http(s) URL such as http://web:8000")
    if args.allow_remote and not args.control_token:
        parser.error("--allow-remote needs --control-token")
    if not args.allow_remote and not _is_loopback(args.host):
        parser.error(f"--host {args.host} is not a loopback address; add --allow-remote --control-token TOKEN")


def _stop(signum: int, frame: Optional[FrameType]) -> None:
    del signum, frame
    raise KeyboardInterrupt


def main(argv: Optional[List[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    config = Config(
        page_size=args.page_size,
        activation_delay=args.activation_delay,
        transfer_delay=args.transfer_delay,
        next_link_base=args.next_link_base.rstrip("/") if args.next_link_base else None,
        profile=args.profile,
        latency_ms=args.latency_ms,
    )
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    store = Store(args.db or ":memory:", config)
    try:
        server = SandboxServer(
            (args.host, args.port),
            store,
            start_config=config.as_dict(),
            tls=tls,
            control_token=args.control_token,
        )
    except OSError as error:
        store.close()
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    scheme = "https" if tls else "http"
    host = args.host if args.host not in ("0.0.0.0", "::") else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    root = f"{scheme}://{host}:{server.port}"
    print("VPS.org sandbox API server", flush=True)
    print(f"API URL: {root}{API_PREFIX}", flush=True)
    print(f"Token: {DEMO_TOKEN}", flush=True)
    print(f"Control API: {root}{CONTROL_PREFIX}/", flush=True)
    print(f"Store: {args.db or 'in memory'}", flush=True)
    print(f"Profile: {args.profile}", flush=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
