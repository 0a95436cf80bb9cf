# SPDX-License-Identifier: GPL-3.0-or-later
"""The event source's `main(queue, args)` against the sandbox process, with a real asyncio.Queue, as ansible.eda
tests its sources: loaded from its file the way ansible-rulebook loads it (runpy), run as a task, cancelled."""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import shutil
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils._client import USER_AGENT

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_FILE = REPO_ROOT / "extensions" / "eda" / "plugins" / "event_source" / "domain_events.py"
LIST_PATH = "/api/v1/domains/"
# Generous: a poll is one request, but a busy machine may be slow to schedule anything.
WAIT = 60.0

source_main = runpy.run_path(str(SOURCE_FILE))["main"]


class Source:
    """A running source: its task, its queue, and every event taken off the queue so far."""

    def __init__(self, sandbox: Any, args: Dict[str, Any]) -> None:
        self.sandbox = sandbox
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.create_task(source_main(self.queue, args))
        self.seen: List[Dict[str, Any]] = []

    async def next(self, timeout: float = WAIT) -> Dict[str, Any]:
        """The next event; the source's own error when it stopped instead."""
        getter = asyncio.ensure_future(self.queue.get())
        done, _pending = await asyncio.wait({getter, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            if self.task in done:
                self.task.result()  # raises what stopped it
                raise AssertionError("the source returned instead of polling until cancelled")
            raise AssertionError(f"no event within {timeout:g} s; seen so far: {self.seen}")
        event = getter.result()
        self.seen.append(event)
        return event["vpsorg"]

    async def until(self, kind: str, name: Optional[str] = None) -> Dict[str, Any]:
        """Events up to the first of this type (and domain); returns it."""
        while True:
            event = await self.next()
            if event["type"] == kind and (name is None or event["name"] == name):
                return event

    async def control(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A (blocking) sandbox call, off the event loop."""
        return await asyncio.to_thread(call, *args, **kwargs)

    async def list_reads(self, at_least: int) -> int:
        """Wait until the sandbox has answered `at_least` list reads of the account; their number."""
        deadline = asyncio.get_running_loop().time() + WAIT
        while True:
            journal = await self.control(self.sandbox.journal)
            count = sum(
                1
                for entry in journal
                if entry["method"] == "GET" and entry["path"] == LIST_PATH and entry["user_agent"] == USER_AGENT
            )
            if count >= at_least:
                return count
            if self.task.done():
                self.task.result()
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"only {count} list reads within {WAIT:g} s")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        """Cancel the source as ansible-rulebook does at shutdown; it must end with CancelledError."""
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task
        assert self.task.cancelled()


def run_source(sandbox: Any, args: Dict[str, Any], script: Callable[[Source], Awaitable[Any]]) -> Any:
    """Run `script` against a source started with `args` (the sandbox's URL and token added), then cancel it."""

    async def runner() -> Any:
        source = Source(sandbox, dict({"api_url": sandbox.api_url, "api_token": sandbox.token}, **args))
        try:
            return await script(source)
        finally:
            if not source.task.done():
                await source.stop()

    return asyncio.run(runner())


def ids_by_name(sandbox: Any) -> Dict[str, int]:
    """The demo domains' ids; the journal is emptied after reading them, so it holds the source's requests only."""
    _status, _headers, body = sandbox.api("GET", "domains/")
    sandbox.clear_journal()
    return {item["domain_name"]: item["id"] for item in body["results"]}


def writes(sandbox: Any) -> List[str]:
    return [
        f"{e['method']} {e['path']}" for e in sandbox.journal() if e["method"] in ("POST", "PUT", "PATCH", "DELETE")
    ]


# -- changes -----------------------------------------------------------------------------------------------------
def test_first_poll_is_a_baseline_then_each_change_once(sandbox):
    ids = ids_by_name(sandbox)

    async def script(source: Source) -> None:
        snapshot = await source.next()
        # The first poll sends nothing but the snapshot asked for.
        assert snapshot["type"] == "snapshot" and snapshot["counts"]["domains"] == 4
        await source.control(sandbox.patch_domain, ids["example-shop.com"], locked=False)
        await source.control(
            sandbox.patch_domain, ids["example-labs.io"], nameservers=["ns1.evil.example", "ns2.evil.example"]
        )
        # Two changes on two domains, in whichever poll each is seen.
        changed = {}
        while len(changed) < 2:
            event = await source.until("settings_changed")
            changed[event["name"]] = event["changes"]
        assert changed == {
            "example-shop.com": {"locked": {"before": True, "after": False}},
            "example-labs.io": {
                "nameservers": {
                    "before": ["ns1.vps.org", "ns2.vps.org"],
                    "after": ["ns1.evil.example", "ns2.evil.example"],
                }
            },
        }
        # Reordered and re-cased nameservers are no change (the modules would see no drift either).
        await source.control(sandbox.patch_domain, ids["example-shop.com"], nameservers=["NS2.VPS.ORG.", "ns1.vps.org"])
        reads = await source.list_reads(1)
        await source.list_reads(reads + 2)
        assert source.queue.empty()

    run_source(sandbox, {"interval": 1, "emit_snapshot": True}, script)
    # The source only reads, with the collection's user agent.
    assert writes(sandbox) == []
    assert {entry["user_agent"] for entry in sandbox.journal()} == {USER_AGENT}


def test_added_status_removed(sandbox):
    async def script(source: Source) -> None:
        await source.until("snapshot")
        seeded = await source.control(sandbox.seed_domain, domain_name="newcomer.dev", status="pending")
        added = await source.until("domain_added", "newcomer.dev")
        assert added["id"] == seeded["id"] and added["domain"]["status"] == "pending"
        await source.control(sandbox.patch_domain, seeded["id"], status="active")
        status = await source.until("status_changed", "newcomer.dev")
        assert status["changes"] == {"status": {"before": "pending", "after": "active"}}
        status_code, _headers, _body = await source.control(sandbox.api, "DELETE", f"domains/{seeded['id']}/")
        assert status_code == 204
        removed = await source.until("domain_removed", "newcomer.dev")
        assert removed["domain"]["status"] == "active"

    run_source(sandbox, {"interval": 1, "emit_snapshot": True}, script)


def test_a_completed_transfer(sandbox):
    sandbox.configure(transfer_delay=1)
    ids = ids_by_name(sandbox)

    async def script(source: Source) -> None:
        await source.until("snapshot")
        status, _headers, body = await source.control(
            sandbox.api,
            "POST",
            f"domains/{ids['transfer-me.org']}/transfer/",
            {"auth_code": "EPP-DEMO-1234", "auto_renew": True},
        )
        assert status == 200, body
        event = await source.until("transfer_completed", "transfer-me.org")
        assert event["changes"]["transfer_status"] == {"before": None, "after": "completed"}
        assert event["changes"]["registrar"]["after"] == "VPS.org"

    run_source(sandbox, {"interval": 1, "emit_snapshot": True}, script)
    # Details were read for that domain only, and never a secret reached an event.
    details = {e["path"] for e in sandbox.journal() if e["method"] == "GET" and e["path"] != LIST_PATH}
    assert details <= {f"/api/v1/domains/{ids['transfer-me.org']}/"}


def test_expiring_and_expired(sandbox):
    ids = ids_by_name(sandbox)
    now = datetime.now(timezone.utc)

    async def script(source: Source) -> None:
        await source.until("snapshot")
        # A new expiry date 20 days away crosses 60 and 30 at once: one event, for 30.
        soon = (now + timedelta(days=20)).strftime("%Y-%m-%dT12:00:00Z")  # 20 calendar days ahead
        await source.control(sandbox.patch_domain, ids["example-labs.io"], expiration_date=soon)
        event = await source.until("expiring", "example-labs.io")
        assert (event["threshold"], event["days_left"]) == (30, 20)
        assert event["domain"]["auto_renew"] is True
        past = (now - timedelta(days=2)).strftime("%Y-%m-%dT12:00:00Z")
        await source.control(sandbox.patch_domain, ids["example-labs.io"], expiration_date=past)
        expired = await source.until("expired", "example-labs.io")
        assert expired["days_left"] == -2
        reads = await source.list_reads(1)
        await source.list_reads(reads + 2)
        assert source.queue.empty()

    run_source(sandbox, {"interval": 1, "emit_snapshot": True, "expiry_thresholds": [60, 30, 7]}, script)


# -- failures, rate limits ---------------------------------------------------------------------------------------
def test_failed_polls_then_recovered(sandbox):
    async def script(source: Source) -> None:
        await source.until("snapshot")
        await source.control(sandbox.add_fault, method="GET", path_prefix=LIST_PATH, count=5, status=500)
        failed = await source.next()
        assert (failed["type"], failed["failed_polls"]) == ("poll_failed", 3)
        assert "HTTP 500" in failed["message"] and sandbox.token not in failed["message"]
        recovered = await source.next()
        assert (recovered["type"], recovered["failed_polls"]) == ("poll_recovered", 5)

    run_source(sandbox, {"interval": 1, "emit_snapshot": True}, script)


def test_rate_limiting_slows_the_polls_down(sandbox):
    async def script(source: Source) -> None:
        await source.until("snapshot")
        reads = await source.list_reads(1)
        await source.control(
            sandbox.add_fault, method="GET", path_prefix=LIST_PATH, count=1, status=429, retry_after="3"
        )
        await source.list_reads(reads + 3)

    run_source(sandbox, {"interval": 1, "emit_snapshot": True}, script)
    times = [
        datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
        for entry in sandbox.journal()
        if entry["path"] == LIST_PATH
    ]
    statuses = [entry["status"] for entry in sandbox.journal() if entry["path"] == LIST_PATH]
    limited = statuses.index(429)
    # The client waits the Retry-After before asking again, and the source then waits as long before the next
    # poll instead of its 1 s interval (a lower bound: sleeping never ends early).
    assert (times[limited + 1] - times[limited]).total_seconds() >= 2.9
    assert (times[limited + 2] - times[limited + 1]).total_seconds() >= 2.9


# -- the state file ----------------------------------------------------------------------------------------------
def test_a_restart_with_a_state_file_sends_only_what_changed_while_stopped(sandbox, tmp_path):
    state = tmp_path / "state" / "domain_events.json"
    state.parent.mkdir()
    ids = ids_by_name(sandbox)
    args = {"interval": 1, "emit_snapshot": True, "state_file": str(state)}

    async def first(source: Source) -> None:
        await source.until("snapshot")
        await source.control(sandbox.patch_domain, ids["example-shop.com"], locked=False)
        await source.until("settings_changed", "example-shop.com")
        # The state is written after the poll's events are sent; the next poll starts once it is written.
        await source.list_reads(await source.list_reads(1) + 1)

    run_source(sandbox, args, first)
    written = state.read_text(encoding="utf-8")
    assert sandbox.token not in written and "EPP-DEMO" not in written and "auth_code" not in written
    assert json.loads(written)["api_url"] == sandbox.api_url
    # Written by rename: no temporary file is left beside it.
    assert sorted(path.name for path in state.parent.iterdir()) == ["domain_events.json"]

    # Stopped: one change happens meanwhile.
    sandbox.patch_domain(ids["example-blog.net"], auto_renew=True)

    async def second(source: Source) -> List[Dict[str, Any]]:
        await source.until("snapshot")
        # Stopped only once the poll's state is written (the next poll starts after it): a source stopped between
        # sending a poll's events and writing its state sends them again after a restart, rather than never.
        await source.list_reads(await source.list_reads(1) + 1)
        return [event["vpsorg"] for event in source.seen]

    events = run_source(sandbox, args, second)
    # The first poll after the restart sends what changed while stopped, and nothing it had sent before.
    assert [(event["type"], event["name"]) for event in events] == [
        ("settings_changed", "example-blog.net"),
        ("snapshot", None),
    ]
    assert events[0]["changes"] == {"auto_renew": {"before": False, "after": True}}

    async def third(source: Source) -> List[Dict[str, Any]]:
        await source.until("snapshot")
        reads = await source.list_reads(1)
        await source.list_reads(reads + 2)
        return [event["vpsorg"]["type"] for event in source.seen]

    assert run_source(sandbox, args, third) == ["snapshot"]


def test_a_state_file_of_another_api_is_not_used(sandbox, tmp_path):
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "version": 1,
                "source": "vpsorg.domains.domain_events",
                "api_url": "https://elsewhere.example/api/v1",
                "taken_at": "2026-01-01T00:00:00Z",
                "domains": [],
                "transfers": {},
            }
        ),
        encoding="utf-8",
    )

    async def script(source: Source) -> List[str]:
        await source.until("snapshot")
        await source.list_reads(2)
        return [event["vpsorg"]["type"] for event in source.seen]

    # Compared with that file, every domain would look new: it is ignored and the first poll is a baseline.
    assert run_source(sandbox, {"interval": 1, "emit_snapshot": True, "state_file": str(state)}, script) == ["snapshot"]
    assert json.loads(state.read_text(encoding="utf-8"))["api_url"] == sandbox.api_url


# -- arguments ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"interval": 0}, "interval: 0 is not a number of seconds"),
        ({"api_url": "http://api.example.com/api/v1"}, "api_url: 'http://api.example.com/api/v1' uses plain http://"),
        ({"expiry_thresholds": "60"}, "expiry_thresholds: '60' is not a list of days"),
        ({"frequency": 5}, "frequency: not an argument of vpsorg.domains.domain_events"),
    ],
)
def test_bad_arguments_fail_before_any_request(sandbox, args, message):
    async def script(source: Source) -> None:
        await source.next()

    with pytest.raises(ValueError) as caught:
        run_source(sandbox, args, script)
    assert message in str(caught.value)
    assert sandbox.token not in str(caught.value)
    assert sandbox.journal() == []


# -- loading ---------------------------------------------------------------------------------------------------
def _bare_environment(**extra: str) -> Dict[str, str]:
    """No collections path, no PYTHONPATH: as ansible-rulebook runs a source."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VPSORG_", "ANSIBLE_", "PYTHON"))}
    env.update(extra)
    return env


_LOAD = (
    "import runpy, sys\n"
    "module = runpy.run_path(sys.argv[1])\n"
    "import ansible_collections.vpsorg.domains.plugins.module_utils._events as events\n"
    "print(module['main'].__name__, events.__file__)\n"
)


@pytest.mark.parametrize("layout", ["checkout", "installed"])
def test_the_source_finds_its_own_collection(tmp_path, layout):
    if layout == "checkout":
        root = REPO_ROOT
    else:
        root = tmp_path / "collections" / "ansible_collections" / "vpsorg" / "domains"
        for part in ("plugins", "extensions"):
            shutil.copytree(REPO_ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    source = root / "extensions" / "eda" / "plugins" / "event_source" / "domain_events.py"
    completed = subprocess.run(
        [sys.executable, "-c", _LOAD, str(source)],
        cwd=str(tmp_path),
        env=_bare_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    name, events_file = completed.stdout.split()
    assert name == "main"
    # The module_utils of the collection the source sits in, not of any other copy.
    assert Path(events_file).resolve() == (root / "plugins" / "module_utils" / "_events.py").resolve()


def test_other_collections_stay_importable(tmp_path):
    # Another source in the same ansible-rulebook process may import its own collection from sys.path.
    other = tmp_path / "site" / "ansible_collections" / "acme" / "tools" / "plugins" / "module_utils"
    other.mkdir(parents=True)
    (other / "helper.py").write_text("VALUE = 42\n", encoding="utf-8")
    code = _LOAD + "from ansible_collections.acme.tools.plugins.module_utils.helper import VALUE\nprint(VALUE)\n"
    completed = subprocess.run(
        [sys.executable, "-c", code, str(SOURCE_FILE)],
        cwd=str(tmp_path),
        env=_bare_environment(PYTHONPATH=str(tmp_path / "site")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split()[-1] == "42"


def test_run_directly_it_prints_events(sandbox, tmp_path):
    # The __main__ block: a person tries the source with a queue that prints each event as JSON.
    process = subprocess.Popen(
        [sys.executable, str(SOURCE_FILE), json.dumps({"interval": 1, "emit_snapshot": True})],
        cwd=str(tmp_path),
        env=_bare_environment(VPSORG_API_URL=sandbox.api_url, VPSORG_API_TOKEN=sandbox.token),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert json.loads(line)["vpsorg"]["counts"]["domains"] == 4
    finally:
        process.send_signal(signal.SIGINT)
        _out, errors = process.communicate(timeout=30)
    # Ctrl-C ends it quietly, and the token is never printed.
    assert process.returncode == 0, errors
    assert "Traceback" not in errors and sandbox.token not in errors
