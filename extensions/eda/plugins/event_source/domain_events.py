# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event source vpsorg.domains.domain_events: changes to the domains of a VPS.org account, for ansible-rulebook."""
# ruff: noqa: E402 - the collection must be made importable before its module_utils are imported

from __future__ import annotations

DOCUMENTATION = r"""
---
short_description: Events when the domains of a VPS.org account change.
description:
  - An ansible-rulebook event source plugin that polls a VPS.org account with the collection's API client (the
    same connection options, retries and page reading as the modules) and sends an event for every change
    between two polls.
  - "Every event is C({vpsorg: {type, name, id, domain, changes, detected_at}}): C(name) is the canonical domain
    name (lower case, internationalised names as punycode), C(domain) the list object as the modules return it,
    C(changes) a mapping C({setting: {before, after}})."
  - "Event types: C(domain_added), C(domain_removed), C(status_changed), C(settings_changed) (any of
    C(auto_renew), C(locked), C(privacy_protection) and C(nameservers), nameservers compared as sets as the
    modules compare them), C(transfer_completed), C(expiring) (with C(days_left) and C(threshold)), C(expired)
    (with C(days_left)), C(poll_failed) (with C(message) and C(failed_polls)) and C(poll_recovered); and
    C(snapshot) (with C(counts)) when O(emit_snapshot) is set."
  - The first poll sets the baseline and sends no change event; every later poll sends each change once.
  - C(expiring) is sent once per threshold of O(expiry_thresholds) per expiration date, when a domain's days left
    reach the threshold between two polls; a poll that crosses several thresholds at once (after a long stop)
    sends one event, for the smallest. C(expired) is sent once when the expiration date passes.
  - C(poll_failed) is sent once when 3 polls in a row failed, with the error message (never the token);
    C(poll_recovered) at the first poll that succeeds after it.
  - An HTTP 429 answer stretches the time to the next poll (twice the interval, then up to 8 times, at least the
    C(Retry-After) the API asked for); polls without one bring it back to O(interval).
options:
  api_token:
    description:
      - API token of the VPS.org account. Never shown in events, logs or error messages.
      - When not set, the environment variable C(VPSORG_API_TOKEN) is used.
    type: str
    required: true
  api_url:
    description:
      - Base URL of the VPS.org Domains API; plain C(http://) only to a loopback host (a local sandbox).
      - When not set, the environment variable C(VPSORG_API_URL) is used, else the default.
    type: str
    default: https://admin.vps.org/api/v1
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the API.
      - When not set, the environment variable C(VPSORG_VALIDATE_CERTS) is used, else the default.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates for a private CA.
      - When not set, the environment variable C(VPSORG_CA_PATH) is used.
    type: path
  api_timeout:
    description:
      - Seconds to wait for each HTTP request.
      - When not set, the environment variable C(VPSORG_API_TIMEOUT) is used, else the default.
    type: int
    default: 30
  interval:
    description:
      - Seconds between polls (at least 1).
    type: float
    default: 300
  expiry_thresholds:
    description:
      - Days before the expiration date at which an C(expiring) event is sent.
    type: list
    elements: int
    default: [60, 30, 7, 1]
  state_file:
    description:
      - A file where the source keeps the last snapshot of the account, written after every poll (atomically), so
        that a restarted rulebook sends only what changed while it was stopped.
      - It holds the API URL and the domains' list objects; never the token or an auth code.
      - The state is written once the poll's events are handed to the rulebook; a source stopped in between sends
        those events again after a restart rather than never, so no restart loses a change.
      - A file written for another O(api_url), or unreadable, is ignored with a warning (the first poll is then a
        baseline again).
    type: path
  emit_snapshot:
    description:
      - Send one C(snapshot) event with counts of the account (domains, by status, expired, expiring within each
        threshold, settings turned off) after the first poll.
    type: bool
    default: false
requirements:
  - requests
  - idna
notes:
  - ansible-rulebook runs the file by its path; the source makes the collection it is part of importable itself,
    so it works from an installed collection, a decision environment and a checkout of the repository.
  - One poll reads the account's list pages (numbered pages 4 at a time, as the module
    C(vpsorg.domains.vps_domain_info) does), plus the detail of a domain only when it joined the account or its
    expiration date moved (a completed transfer adds a year).
"""

EXAMPLES = r"""
- vpsorg.domains.domain_events:
    interval: 300
    state_file: /var/lib/eda/vpsorg-domains.json

- vpsorg.domains.domain_events:
    api_url: http://127.0.0.1:8080/api/v1
    api_token: sandbox-demo-token
    interval: 5
    expiry_thresholds: [30, 7]
    emit_snapshot: true
"""

import asyncio
import contextlib
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional

_COLLECTION_PACKAGE = "ansible_collections.vpsorg.domains"


def _make_collection_importable() -> None:
    """Register the collection this file is part of as `ansible_collections.vpsorg.domains`.

    ansible-rulebook loads a source with runpy from its path and puts no collections path on sys.path, so the
    collection's module_utils are not importable by default. The collection root is four directories above this
    file (extensions/eda/plugins/event_source/), whatever the directory above it is called (a checkout is not
    under ansible_collections/vpsorg/domains). Packages that are importable already are kept, so other sources in
    the same process still find their collections.
    """
    if _COLLECTION_PACKAGE in sys.modules:
        return
    root = os.path.abspath(__file__)
    for _level in range(5):
        root = os.path.dirname(root)
    parts = _COLLECTION_PACKAGE.split(".")
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        if name in sys.modules:
            continue
        if depth < len(parts):
            try:
                importlib.import_module(name)
                continue
            except ImportError:
                pass
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [root] if depth == len(parts) else []
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        if depth > 1:
            setattr(sys.modules[".".join(parts[: depth - 1])], parts[depth - 1], module)


_make_collection_importable()

from ansible_collections.vpsorg.domains.plugins.module_utils._client import HAS_REQUESTS, ApiClient, ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._events import (
    SOURCE,
    Pace,
    PollHealth,
    Snapshot,
    SourceArgs,
    check_source_args,
    details_wanted,
    events_between,
    snapshot_event,
    take_snapshot,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._info import READ_CONCURRENCY, list_account
from ansible_collections.vpsorg.domains.plugins.module_utils._names import HAS_IDNA
from ansible_collections.vpsorg.domains.plugins.module_utils._time import utc_now

logger = logging.getLogger(SOURCE)


class _RateWatch:
    """What the API said about rate limits during one poll: any 429, and the longest Retry-After."""

    def __init__(self, client: ApiClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.limited = False
        self.retry_after: Optional[float] = None

    def reset(self) -> None:
        with self._lock:
            self.limited = False
            self.retry_after = None

    def observe(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        """A requests response hook: sees every answer the client gets, retries included."""
        if response.status_code == 429:
            wait = self._client.retry.retry_after(response.headers.get("Retry-After"))
            with self._lock:
                self.limited = True
                if wait is not None and (self.retry_after is None or wait > self.retry_after):
                    self.retry_after = wait
        return response


class _Poller:
    """The blocking part: the client, one poll, the state file. Runs in a worker thread."""

    def __init__(self, config: SourceArgs) -> None:
        self.config = config
        self.client = ApiClient(
            api_token=config.api_token,
            api_url=config.api_url,
            validate_certs=config.validate_certs,
            ca_path=config.ca_path,
            timeout=config.api_timeout,
            pool_size=READ_CONCURRENCY,
        )
        self.client.on_warning = logger.warning
        self.rate = _RateWatch(self.client)
        self.client.session.hooks["response"].append(self.rate.observe)

    def poll(self, previous: Optional[Snapshot]) -> Snapshot:
        """Read the account; the snapshot is dated when the read started, so that nothing that happens during
        the read is judged to be older than the snapshot."""
        started = utc_now()
        domains = list_account(self.client)
        wanted = details_wanted(previous, domains)
        details: Dict[Any, Dict[str, Any]] = {}
        if wanted:
            with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
                for domain_id, detail in zip(wanted, pool.map(self._detail, wanted)):
                    if detail is not None:
                        details[domain_id] = detail
        return take_snapshot(domains, started, previous, details)

    def _detail(self, domain_id: Any) -> Optional[Dict[str, Any]]:
        try:
            return self.client.get_domain(domain_id)
        except ApiError as error:
            if error.status == 404:
                return None  # removed since the list was read: the next poll reports it
            raise

    def close(self) -> None:
        self.client.close()

    # -- the state file -------------------------------------------------------------------------------------
    def load_state(self) -> Optional[Snapshot]:
        path = self.config.state_file
        if path is None or not os.path.exists(path):
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                return Snapshot.from_state(json.load(handle), self.config.api_url)
        except (OSError, ValueError) as error:
            logger.warning("%s: state_file %s is not used (%s); the first poll is a new baseline", SOURCE, path, error)
            return None

    def check_state_dir(self) -> None:
        """Fail before the first poll when the state file could not be written."""
        path = self.config.state_file
        if path is None:
            return
        try:
            handle, probe = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".domain_events-", suffix=".probe")
        except OSError as error:
            raise ValueError(f"state_file: {path} cannot be written: {error.strerror or error}") from None
        os.close(handle)
        os.unlink(probe)

    def save_state(self, snapshot: Snapshot) -> None:
        """Write the snapshot beside the state file, then rename it over the file: a reader (or a restart after
        a kill) sees the old snapshot or the new one, never half of one."""
        path = self.config.state_file
        if path is None:
            return
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".domain_events-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(snapshot.to_state(self.config.api_url), out, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise


async def main(queue: asyncio.Queue, args: Dict[str, Any]) -> None:
    """Poll the account every `interval` seconds and put an event on `queue` for every change, until cancelled."""
    config = check_source_args(args, os.environ)
    missing = [name for name, present in (("requests", HAS_REQUESTS), ("idna", HAS_IDNA)) if not present]
    if missing:
        raise RuntimeError(
            f"{SOURCE} needs the Python libraries {' and '.join(missing)} (pip install requests idna; a decision "
            "environment lists them as Python dependencies)"
        )
    poller = _Poller(config)
    try:
        poller.check_state_dir()
        previous = poller.load_state()
        health = PollHealth()
        pace = Pace(config.interval)
        first = True
        logger.info("%s: polling %s every %g s", SOURCE, config.api_url, config.interval)
        while True:
            poller.rate.reset()
            try:
                current = await asyncio.to_thread(poller.poll, previous)
            except ApiError as error:
                message = str(error)
                logger.warning("%s: poll failed: %s", SOURCE, message)
                event = health.failed(message, utc_now())
                if event is not None:
                    await queue.put(event)
            else:
                now = current.taken_at
                recovered = health.succeeded(now)
                if recovered is not None:
                    await queue.put(recovered)
                for event in events_between(previous, current, now, config.expiry_thresholds):
                    await queue.put(event)
                if first and config.emit_snapshot:
                    await queue.put(snapshot_event(current, now, config.expiry_thresholds))
                first = False
                previous = current
                try:
                    await asyncio.to_thread(poller.save_state, current)
                except OSError as error:
                    # The guard keeps guarding; only a restart would repeat what this poll sent.
                    logger.error("%s: state_file %s could not be written: %s", SOURCE, config.state_file, error)
            await asyncio.sleep(pace.next_delay(poller.rate.limited, poller.rate.retry_after))
    except asyncio.CancelledError:
        logger.info("%s: stopped", SOURCE)
        raise
    finally:
        poller.close()


if __name__ == "__main__":
    # Try it: VPSORG_API_URL=http://127.0.0.1:8080/api/v1 VPSORG_API_TOKEN=sandbox-demo-token \
    #   python domain_events.py '{"interval": 5, "emit_snapshot": true}'
    # prints each event as one line of JSON; Ctrl-C stops it.

    class _PrintQueue(asyncio.Queue):
        """A queue that prints what is put on it."""

        async def put(self, item: Any) -> None:
            print(json.dumps(item, sort_keys=True), flush=True)

    async def _until_stopped(args: Dict[str, Any]) -> None:
        """main() until Ctrl-C or SIGTERM. The loop's own handlers wake it through its self-pipe even when the
        signal lands on the thread of a poll in flight (a plain signal handler would wait for the loop's next
        wake-up, and an ignored SIGINT inherited from a parent process would never stop it)."""
        import signal  # noqa: PLC0415 - only for a person trying the source by hand

        task = asyncio.ensure_future(main(_PrintQueue(), args))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    _arguments: List[str] = sys.argv[1:]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_until_stopped(json.loads(_arguments[0]) if _arguments else {"emit_snapshot": True}))
