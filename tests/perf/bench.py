# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: the collection at 1,000 and 10,000 domains, 0 and 50 ms from the API, against its physical floors.

Seeds a sandbox (page size 100) with both accounts, then, at each latency (the sandbox's latency knob delays
every API answer as a network round trip would), times whole ansible-playbook runs and counts the requests
each sent from the sandbox's journal: one `vps_domain_info` task, the `vpsorg.domains.portfolio` role with
nothing to change (pages read 4 at a time, and one after another with `portfolio_concurrency: 1`), the role
with 100 drifted domains, a `loop:` of `vps_domain` and the `ansible.builtin.uri` loop a user would write
without the collection (both at 100 items, scaled). Every figure is printed beside its physical floor:
ansible-playbook start-up + pages x RTT / concurrency (+ drifted x RTT / concurrency), and loops pay one
`ansible.builtin.ping` item per item (the floor of any loop item) + one RTT per request.

The event source vpsorg.domains.domain_events: one poll (its first, up to the snapshot event) beside the
whole-account read, in every cell; and once, at the largest scale and latency, how long domain_guard.yml under
ansible-rulebook takes from an unlock to the PUT that locks the domain again, as a ratio to its `interval`.

The bulk-transfer cell (`--cell transfers` runs it alone): 1,000 domains listed in `portfolio_transfers` from
a registrar's CSV export (tests/perf/transfer_csv.py), 50 ms from the API, `portfolio_concurrency: 8`. The first
run starts every transfer, the second finds them all pending; the sandbox's ledger is checked after each (exactly
1,000 charges after the first, none more after the second). Targets: the first run within 2x its floor
(start-up + requests x RTT / 8), the second within 1.5x of a no-op role run. The second run is timed twice:
against an API whose list objects carry the transfer state (no detail read: the 1.5x target), and against the
documented list object, where each pending domain's detail must be read (1,000 GETs at 50 ms over 8 in flight
take 6.25 s by themselves, so there the target is 1.5x of the no-op run + those GETs). Quick mode lists 100.

It also measures the per-item cost of a loop (vps_domain no-op against ping) and where it goes (imports,
AnsiballZ payload), and the memory (max RSS) of the module process reading 10,000 domains.

A benchmark, not a test: it prints figures and whether they meet the targets, and fails only when a run itself
fails or sends requests it should not. `BENCH_QUICK=1` (or --quick): 1,000 domains, 10-item loops, one run each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import runpy
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _perf import REPO_ROOT, ansible_environment, run_playbook, start_sandbox
from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiClient
from transfer_csv import records as transfer_records
from transfer_csv import save as save_transfer_csv

PAGE_SIZE = 100
DRIFTED = 100
CONCURRENCY = 4
POLICY = {
    "auto_renew": True,
    "locked": True,
    "privacy_protection": True,
    "nameservers": ["ns1.vps.org", "ns2.vps.org"],
}
# The targets (ratios, in one run), judged at the largest scale and latency measured.
NOOP_OVER_FLOOR = 1.5
CONCURRENT_SPEEDUP = 3.0
LOOP_SPEEDUP = 50.0
RSS_LIMIT_MB = 150.0
# A loop item of vps_domain with nothing to change against an ansible.builtin.ping item (0 ms from the API).
LOOP_ITEM_OVER_PING = 1.3
# One vps_domain_info task over the whole account, beyond ansible-playbook's start-up, against pages x RTT / 4.
INFO_OVER_FLOOR = 1.5
# The event source and the guard rulebook: seconds between polls while the remediation is timed.
EDA_INTERVAL = 10
EDA_SOURCE = REPO_ROOT / "extensions" / "eda" / "plugins" / "event_source" / "domain_events.py"

# Runs the module with this Python as a child and logs the child's max RSS and the AnsiballZ payload's size.
_WRAPPER = """#!{python}
import json, os, resource, subprocess, sys
completed = subprocess.run([{python!r}, *sys.argv[1:]], check=False)
payload = sys.argv[1] if len(sys.argv) > 1 and os.path.isfile(sys.argv[1]) else None
with open(os.environ["BENCH_MODULE_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{
        "module": os.path.basename(payload or "").replace("AnsiballZ_", "").replace(".py", ""),
        "max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "payload_bytes": os.path.getsize(payload) if payload else None,
    }}) + "\\n")
sys.exit(completed.returncode)
"""


def domain_name(scale: int, index: int) -> str:
    return f"s{scale}-{index:05d}.com"


def play(tasks: List[Dict[str, Any]], **extra: Any) -> List[Dict[str, Any]]:
    return [
        dict(
            {"name": "Benchmark", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks},
            **extra,
        )
    ]


_API = "{{ lookup('ansible.builtin.env', 'VPSORG_API_URL') }}"
_AUTH = {"Authorization": "Bearer {{ lookup('ansible.builtin.env', 'VPSORG_API_TOKEN') }}"}


def playbooks(loop_items: int) -> Dict[str, Any]:
    """Every playbook; the loops take their names or ids from the extra var `items`."""
    role = {
        "name": "Portfolio",
        "ansible.builtin.include_role": {"name": "vpsorg.domains.portfolio"},
        "vars": {"portfolio_settings": POLICY, "portfolio_concurrency": "{{ concurrency | int }}"},
    }
    return {
        "startup": play([{"name": "Nothing", "ansible.builtin.debug": {"msg": "start-up only"}}]),
        "info": play([{"name": "Read the account", "vpsorg.domains.vps_domain_info": {}}]),
        "role": play([role]),
        "loop": play(
            [
                {
                    "name": "One domain at a time",
                    "vpsorg.domains.vps_domain": dict({"name": "{{ item }}"}, **POLICY),
                    "loop": "{{ bench_items }}",
                }
            ]
        ),
        "ping": play([{"name": "The floor of a loop item", "ansible.builtin.ping": {}, "loop": "{{ bench_items }}"}]),
        # What a user writes without the collection: read page 1, loop over the other pages, PUT each domain.
        "uri_pages": play(
            [
                {
                    "name": "First page",
                    "ansible.builtin.uri": {"url": f"{_API}/domains/", "headers": _AUTH},
                    "register": "first",
                },
                {
                    "name": "The other pages",
                    "ansible.builtin.uri": {"url": f"{_API}/domains/?page={{{{ item }}}}", "headers": _AUTH},
                    "loop": "{{ range(2, ((first.json.count / (first.json.results | length)) | round(0, 'ceil') "
                    "| int) + 1) | list }}",
                    "register": "rest",
                },
                {
                    "name": "All domains",
                    "ansible.builtin.set_fact": {
                        "domains": "{{ first.json.results + (rest.results | map(attribute='json') "
                        "| map(attribute='results') | flatten) }}"
                    },
                },
                {"name": "Count", "ansible.builtin.debug": {"msg": "{{ domains | length }} domains"}},
            ]
        ),
        "uri_put": play(
            [
                {
                    "name": "PUT the policy to each domain",
                    "ansible.builtin.uri": {
                        "url": f"{_API}/domains/{{{{ item }}}}/",
                        "method": "PUT",
                        "headers": _AUTH,
                        "body_format": "json",
                        "body": POLICY,
                    },
                    "loop": "{{ bench_items }}",
                }
            ]
        ),
        "_loop_items": loop_items,
    }


class Bench:
    """The sandbox, the playbooks, and the measurements."""

    def __init__(
        self, workdir: Path, *, scales: Tuple[int, ...], latencies: Tuple[int, ...], loop_items: int, repeat: int
    ) -> None:
        self.workdir = workdir
        self.scales = scales
        self.latencies = latencies
        self.loop_items = loop_items
        self.repeat = repeat
        self.sandbox = start_sandbox(workdir / "sandbox", "--page-size", str(PAGE_SIZE))
        self.paths: Dict[str, Path] = {}
        for name, content in playbooks(loop_items).items():
            if name.startswith("_"):
                continue
            path = workdir / f"{name}.yml"
            path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
            self.paths[name] = path
        self.ids: Dict[int, List[int]] = {}
        self.module_log = workdir / "modules.jsonl"
        self.wrapper = workdir / "python-wrapper"
        self.wrapper.write_text(_WRAPPER.format(python=sys.executable), encoding="utf-8")
        self.wrapper.chmod(0o755)

    @staticmethod
    def token(scale: int) -> str:
        return f"bench-token-{scale}"

    def env(self, scale: int, **extra: str) -> Dict[str, str]:
        return ansible_environment(self.sandbox.api_url, self.token(scale), **extra)

    def seed(self) -> None:
        for scale in self.scales:
            account = f"bench{scale}"
            self.sandbox.add_account(account, self.token(scale), "1000000.00")
            ids: List[int] = []
            for start in range(0, scale, 1000):
                batch = [
                    dict({"account": account, "domain_name": domain_name(scale, index), "status": "active"}, **POLICY)
                    for index in range(start, min(scale, start + 1000))
                ]
                ids.extend(item["id"] for item in self.sandbox._ok("POST", "domains", batch))
            self.ids[scale] = ids
            status, _headers, body = self.sandbox.api("GET", "domains/", token=self.token(scale))
            if status != 200 or body.get("count") != scale:
                raise SystemExit(f"seeding failed: the account lists {body!r:.200}")

    def drift(self, ids: List[int]) -> None:
        for domain_id in ids:
            self.sandbox.patch_domain(domain_id, locked=False)

    def once(
        self,
        name: str,
        scale: int,
        prepare: Optional[Callable[[], None]] = None,
        extra_vars: Optional[Dict[str, Any]] = None,
        env: Optional[Dict[str, str]] = None,
    ) -> Dict[str, Any]:
        """One run of a playbook: its wall time and the requests the sandbox journaled for the account."""
        if prepare is not None:
            prepare()
        self.sandbox.clear_journal()
        args: List[str] = []
        if extra_vars:
            vars_file = self.workdir / "extra-vars.json"
            vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
            args = ["-e", f"@{vars_file}"]
        rc, seconds, output = run_playbook(self.paths[name], env or self.env(scale), args)
        if rc != 0:
            raise SystemExit(f"the {name} playbook failed (rc {rc}):\n{output[-4000:]}")
        account = f"bench{scale}"
        requests = Counter(entry["method"] for entry in self.sandbox.journal() if entry.get("account") == account)
        return {"seconds": seconds, "requests": dict(requests)}

    def rounds(self, scale: int, scenarios: Dict[str, Tuple[str, Any, Any]]) -> Dict[str, Any]:
        """Rounds of every quick scenario in turn, so that a busy machine slows them all alike; medians."""
        runs: Dict[str, List[Dict[str, Any]]] = {key: [] for key in scenarios}
        for _round in range(self.repeat):
            for key, (name, prepare, extra_vars) in scenarios.items():
                runs[key].append(self.once(name, scale, prepare, extra_vars))
        return {
            key: {
                "seconds": statistics.median(run["seconds"] for run in measured),
                "runs": [round(run["seconds"], 3) for run in measured],
                "requests": measured[-1]["requests"],
            }
            for key, measured in runs.items()
        }

    def cell(self, scale: int, latency_ms: int) -> Dict[str, Any]:
        ids = self.ids[scale]
        drifted_ids = ids[:: scale // DRIFTED]
        loop_names = [domain_name(scale, index) for index in range(self.loop_items)]
        loop_ids = ids[: self.loop_items]
        # The loop sees the same share of drift as the role: every (scale / 100)th domain.
        loop_drifted = [domain_id for domain_id in drifted_ids if domain_id in set(loop_ids)] or loop_ids[:1]
        self.sandbox.configure(latency_ms=latency_ms)
        results = self.rounds(
            scale,
            {
                "info": ("info", None, None),
                "role_noop": ("role", None, {"concurrency": CONCURRENCY}),
                "role_noop_sequential": ("role", None, {"concurrency": 1}),
                "role_drifted": ("role", lambda: self.drift(drifted_ids), {"concurrency": CONCURRENCY}),
            },
        )
        results["client"] = {str(c): self.client_read(scale, c) for c in (CONCURRENCY, 1)}
        results["poll"] = self.source_poll(scale)
        results["loop"] = self.once("loop", scale, lambda: self.drift(loop_drifted), {"bench_items": loop_names})
        results["loop"]["drifted"] = len(loop_drifted)
        results["uri_pages"] = self.once("uri_pages", scale)
        results["uri_put"] = self.once("uri_put", scale, None, {"bench_items": loop_ids})
        return results

    def client_read(self, scale: int, concurrency: int) -> Dict[str, Any]:
        """The page reading alone: list_domains in this process (no Ansible), best of `repeat` reads."""
        client = ApiClient(self.token(scale), self.sandbox.api_url)
        times = []
        try:
            for _round in range(max(self.repeat, 3)):
                started = time.perf_counter()
                count = len(client.list_domains(concurrency=concurrency))
                times.append(time.perf_counter() - started)
        finally:
            client.close()
        if count != scale:
            raise SystemExit(f"list_domains read {count} of {scale} domains")
        return {"seconds": min(times), "runs": [round(seconds, 3) for seconds in times]}

    def source_poll(self, scale: int) -> Dict[str, Any]:
        """One poll of the event source: its main() from start to the snapshot event of the first poll, best of
        `repeat` runs (each cancelled after it)."""
        main = runpy.run_path(str(EDA_SOURCE))["main"]
        args = {
            "api_url": self.sandbox.api_url,
            "api_token": self.token(scale),
            "interval": 3600,
            "emit_snapshot": True,
        }

        async def once() -> Tuple[float, int]:
            queue: asyncio.Queue = asyncio.Queue()
            started = time.perf_counter()
            task = asyncio.create_task(main(queue, args))
            try:
                event = await asyncio.wait_for(queue.get(), timeout=600)
                return time.perf_counter() - started, event["vpsorg"]["counts"]["domains"]
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        times = []
        for _round in range(max(self.repeat, 3)):
            seconds, count = asyncio.run(once())
            if count != scale:
                raise SystemExit(f"a poll of the event source saw {count} of {scale} domains")
            times.append(seconds)
        return {"seconds": min(times), "runs": [round(seconds, 3) for seconds in times]}

    def remediation(self, scale: int, latency_ms: int) -> Dict[str, Any]:
        """domain_guard.yml under ansible-rulebook: seconds from unlocking a domain to the PUT that locks it again."""
        self.sandbox.configure(latency_ms=latency_ms)
        java = os.environ.get("JAVA_HOME") or (
            str(Path(os.path.realpath(shutil.which("java"))).parents[1]) if shutil.which("java") else ""
        )
        if not java:
            return {"skipped": "no Java 17 for ansible-rulebook (set JAVA_HOME)"}
        workdir = self.workdir / "eda"
        workdir.mkdir(exist_ok=True)
        inventory = workdir / "inventory.yml"
        host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": host}}}), encoding="utf-8")
        variables = workdir / "variables.yml"
        variables.write_text(
            yaml.safe_dump({"portfolio_settings": POLICY, "domain_guard_interval": EDA_INTERVAL}), encoding="utf-8"
        )
        account = f"bench{scale}"
        target = self.ids[scale][0]
        self.sandbox.clear_journal()
        log = open(workdir / "rulebook.log", "wb")  # noqa: SIM115  # pylint: disable=consider-using-with
        rulebook = str(Path(sys.executable).parent / "ansible-rulebook")
        command = [rulebook, "-i", str(inventory), "-r", "vpsorg.domains.domain_guard", "-e", str(variables)]
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            command, cwd=str(workdir), env=self.env(scale, JAVA_HOME=java), stdout=log, stderr=subprocess.STDOUT
        )

        def journal(method: str, path: str) -> bool:
            return any(
                entry["method"] == method and entry["path"] == path and entry.get("account") == account
                for entry in self.sandbox.journal()
            )

        def wait(done: Callable[[], bool], what: str) -> None:
            deadline = time.monotonic() + 600
            while not done():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"domain_guard.yml: no {what}; see {workdir / 'rulebook.log'}")
                time.sleep(0.1)

        try:
            wait(lambda: journal("GET", "/api/v1/domains/"), "first poll")
            self.sandbox.patch_domain(target, locked=False)
            started = time.perf_counter()
            wait(lambda: journal("PUT", f"/api/v1/domains/{target}/"), "re-lock")
            seconds = time.perf_counter() - started
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
        return {"seconds": seconds, "interval": EDA_INTERVAL, "scale": scale, "latency_ms": latency_ms}

    def per_item(self, scale: int, latency_ms: int) -> Dict[str, Any]:
        """A loop of vps_domain with nothing to change against a loop of ping, same items."""
        self.sandbox.configure(latency_ms=latency_ms)
        names = [domain_name(scale, index) for index in range(self.loop_items)]
        return {
            "ping": self.once("ping", scale, None, {"bench_items": names}),
            "noop_loop": self.once("loop", scale, None, {"bench_items": names}),
        }

    def modules(self, scale: int) -> List[Dict[str, Any]]:
        """Max RSS and payload size of module processes: the info task over the account, one ping, one vps_domain."""
        self.sandbox.configure(latency_ms=0)
        self.module_log.write_text("", encoding="utf-8")
        env = self.env(scale, BENCH_MODULE_LOG=str(self.module_log))
        interpreter = {"ansible_python_interpreter": str(self.wrapper)}
        self.once("info", scale, None, interpreter, env)
        self.once("ping", scale, None, dict(interpreter, bench_items=["one"]), env)
        self.once("loop", scale, None, dict(interpreter, bench_items=[domain_name(scale, 0)]), env)
        return [json.loads(line) for line in self.module_log.read_text(encoding="utf-8").splitlines() if line]

    def run(self) -> Dict[str, Any]:
        self.seed()
        startup = self.rounds(self.scales[0], {"startup": ("startup", None, None)})["startup"]
        results: Dict[str, Any] = {"startup": startup, "cells": {}, "per_item": {}, "modules": {}}
        for latency_ms in self.latencies:
            for scale in self.scales:
                print(f"  {scale} domains at {latency_ms} ms ...", flush=True)
                results["cells"][f"{scale}/{latency_ms}"] = self.cell(scale, latency_ms)
            print(f"  per-item cost of a loop at {latency_ms} ms ...", flush=True)
            results["per_item"][str(latency_ms)] = self.per_item(self.scales[0], latency_ms)
        for scale in self.scales:
            results["modules"][str(scale)] = self.modules(scale)
        print(f"  domain_guard.yml remediation at {self.scales[-1]} domains, {self.latencies[-1]} ms ...", flush=True)
        results["remediation"] = self.remediation(self.scales[-1], self.latencies[-1])
        results["imports"] = import_times()
        return results

    def close(self) -> None:
        self.sandbox.stop()


def import_times(rounds: int = 5) -> Dict[str, float]:
    """Seconds to import what a module process imports (best of `rounds` fresh interpreters)."""
    collections = REPO_ROOT / ".build" / "collections"
    sets = {
        "ansible.module_utils.basic (what ping imports)": ["ansible.module_utils.basic"],
        "+ requests": ["ansible.module_utils.basic", "requests"],
        "+ idna": ["ansible.module_utils.basic", "idna"],
        "vps_domain's imports (basic, requests, idna, module_utils)": [
            "ansible.module_utils.basic",
            "ansible_collections.vpsorg.domains.plugins.module_utils._base",
            "ansible_collections.vpsorg.domains.plugins.module_utils._domain",
        ],
    }
    found = {}
    for label, modules in sets.items():
        code = (
            "import importlib, time\nstarted = time.perf_counter()\n"
            f"for name in {modules!r}:\n    importlib.import_module(name)\n"
            "print(time.perf_counter() - started)"
        )
        times = []
        for _round in range(rounds):
            completed = subprocess.run(
                [sys.executable, "-c", code],
                cwd=str(collections),
                env=dict(os.environ, PYTHONPATH=str(collections)),
                capture_output=True,
                text=True,
                check=True,
            )
            times.append(float(completed.stdout.strip()))
        found[label] = min(times)
    return found


def _count(requests: Dict[str, int]) -> str:
    return ", ".join(f"{count} {method}" for method, count in sorted(requests.items())) or "none"


def _scaled(requests: Dict[str, int], factor: float) -> Dict[str, int]:
    return {method: round(count * factor) for method, count in requests.items()}


def report(results: Dict[str, Any], loop_items: int) -> List[str]:
    """The tables with floors and ratios; returns the targets missed."""
    startup = results["startup"]["seconds"]
    ping_item = {
        latency: max(0.0, (measured["ping"]["seconds"] - startup) / loop_items)
        for latency, measured in results["per_item"].items()
    }
    base_ping = min(ping_item.values())
    print()
    print(f"ansible-playbook start-up (one debug task): {startup:.2f} s; one ping loop item: {base_ping * 1000:.0f} ms")
    checks: List[Tuple[str, str, bool, bool]] = []  # label, measured, met, exact (fails the run)
    rows_out: Dict[str, Any] = {}
    for key, cell in results["cells"].items():
        scale, latency_ms = (int(part) for part in key.split("/"))
        rtt = latency_ms / 1000
        pages = -(-scale // PAGE_SIZE)
        factor = scale / loop_items
        loop = cell["loop"]
        loop_scaled = startup + (loop["seconds"] - startup) * factor
        loop_requests = _scaled(loop["requests"], factor)
        uri_scaled = cell["uri_pages"]["seconds"] + (cell["uri_put"]["seconds"] - startup) * factor
        uri_requests = Counter(cell["uri_pages"]["requests"])
        uri_requests.update(_scaled(cell["uri_put"]["requests"], factor))
        rows = [
            ("one vps_domain_info task", cell["info"], startup + pages * rtt / CONCURRENCY),
            (
                "  the same beyond start-up",
                {"seconds": max(0.0, cell["info"]["seconds"] - startup), "requests": cell["info"]["requests"]},
                pages * rtt / CONCURRENCY,
            ),
            ("portfolio role, nothing to change", cell["role_noop"], startup + pages * rtt / CONCURRENCY),
            ("  the same, pages one after another", cell["role_noop_sequential"], startup + pages * rtt),
            (
                f"portfolio role, {DRIFTED} drifted domains",
                cell["role_drifted"],
                startup + (pages + DRIFTED) * rtt / CONCURRENCY,
            ),
            (
                f"loop of vps_domain, {loop_items} items x{factor:g}",
                {"seconds": loop_scaled, "requests": loop_requests},
                startup + scale * base_ping + sum(loop_requests.values()) * rtt,
            ),
            (
                f"ansible.builtin.uri loop, {loop_items} PUTs x{factor:g}",
                {"seconds": uri_scaled, "requests": dict(uri_requests)},
                startup + (pages - 1 + scale) * base_ping + sum(uri_requests.values()) * rtt,
            ),
        ]
        print()
        print(f"{scale} domains, {latency_ms} ms round trip, page size {PAGE_SIZE}, concurrency {CONCURRENCY}")
        print(f"{'run':<44} {'seconds':>9} {'floor':>8} {'ratio':>7}  requests")
        rows_out[key] = {}
        for label, measured, floor in rows:
            ratio = measured["seconds"] / floor if floor else None
            shown = f"{ratio:>6.2f}x" if ratio is not None else "      -"
            rows_out[key][label.strip()] = {"seconds": measured["seconds"], "floor": floor, "ratio": ratio}
            print(f"{label:<44} {measured['seconds']:>9.2f} {floor:>8.2f} {shown}  {_count(measured['requests'])}")
        for concurrency, label in ((str(CONCURRENCY), "pages"), ("1", "pages one after another")):
            measured = cell["client"][concurrency]
            floor = pages * rtt / int(concurrency)
            ratio = f"{measured['seconds'] / floor:>6.2f}x" if floor else "      -"
            print(f"{'  list_domains() alone, ' + label:<44} {measured['seconds']:>9.2f} {floor:>8.2f} {ratio}")
            rows_out[key][f"client, concurrency {concurrency}"] = {"seconds": measured["seconds"], "floor": floor}
        poll = cell["poll"]
        floor = pages * rtt / CONCURRENCY
        ratio = f"{poll['seconds'] / floor:>6.2f}x" if floor else "      -"
        print(f"{'  one poll of the event source domain_events':<44} {poll['seconds']:>9.2f} {floor:>8.2f} {ratio}")
        rows_out[key]["event source poll"] = {"seconds": poll["seconds"], "floor": floor}
        for name in ("info", "role_noop", "role_noop_sequential"):
            checks.append(
                (
                    f"{key}: {name} sends only the {pages} list requests",
                    _count(cell[name]["requests"]),
                    cell[name]["requests"] == {"GET": pages},
                    True,
                )
            )
        checks.append(
            (
                f"{key}: drifted role sends {pages} + {DRIFTED} requests",
                _count(cell["role_drifted"]["requests"]),
                cell["role_drifted"]["requests"] == {"GET": pages, "PUT": DRIFTED},
                True,
            )
        )
    largest = max(results["cells"], key=lambda key: tuple(int(part) for part in key.split("/")))
    cell = results["cells"][largest]
    scale, latency_ms = (int(part) for part in largest.split("/"))
    floor = rows_out[largest]["portfolio role, nothing to change"]["floor"]
    noop = cell["role_noop"]["seconds"]
    sequential = cell["role_noop_sequential"]["seconds"]
    speedup = sequential / noop
    speedup_beyond_startup = (sequential - startup) / max(noop - startup, 1e-9)
    client_speedup = cell["client"]["1"]["seconds"] / cell["client"][str(CONCURRENCY)]["seconds"]
    loop_scaled = rows_out[largest][f"loop of vps_domain, {loop_items} items x{scale / loop_items:g}"]["seconds"]
    loop_speedup = loop_scaled / cell["role_drifted"]["seconds"]
    checks += [
        (
            f"{largest}: no-op role / its floor <= {NOOP_OVER_FLOOR:g}",
            f"{noop / floor:.2f}",
            noop / floor <= NOOP_OVER_FLOOR,
            False,
        ),
        (
            f"{largest}: pages in turn / concurrent (no-op role) >= {CONCURRENT_SPEEDUP:g}",
            f"{speedup:.2f}",
            speedup >= CONCURRENT_SPEEDUP,
            False,
        ),
        (
            f"{largest}:   the same beyond start-up >= {CONCURRENT_SPEEDUP:g}",
            f"{speedup_beyond_startup:.2f}",
            speedup_beyond_startup >= CONCURRENT_SPEEDUP,
            False,
        ),
        (
            f"{largest}:   list_domains() alone, in turn / concurrent >= {CONCURRENT_SPEEDUP:g}",
            f"{client_speedup:.2f}",
            client_speedup >= CONCURRENT_SPEEDUP,
            False,
        ),
        (
            f"{largest}: loop scaled / drifted role >= {LOOP_SPEEDUP:g}",
            f"{loop_speedup:.0f}",
            loop_speedup >= LOOP_SPEEDUP,
            False,
        ),
    ]
    # The whole-account read: the largest cell with a round trip (at 0 ms the floor is 0 and no ratio exists).
    timed = [key for key in results["cells"] if int(key.split("/")[1]) > 0]
    if timed:
        read_key = max(timed, key=lambda key: tuple(int(part) for part in key.split("/")))
        beyond = rows_out[read_key]["the same beyond start-up"]
        checks.append(
            (
                f"{read_key}: vps_domain_info beyond start-up / its floor <= {INFO_OVER_FLOOR:g}",
                f"{beyond['ratio']:.2f}",
                beyond["ratio"] <= INFO_OVER_FLOOR,
                False,
            )
        )
    # A loop item's cost: vps_domain with nothing to change against ping, at the lowest latency measured.
    quiet = min(results["per_item"], key=int)
    noop_item = (results["per_item"][quiet]["noop_loop"]["seconds"] - startup) / loop_items
    item_ratio = noop_item / max(ping_item[quiet], 1e-9)
    checks.append(
        (
            f"{quiet} ms: vps_domain no-op loop item / ping item <= {LOOP_ITEM_OVER_PING:g}",
            f"{item_ratio:.2f}",
            item_ratio <= LOOP_ITEM_OVER_PING,
            False,
        )
    )
    results["loop_item_ratio"] = {"latency_ms": int(quiet), "ratio": item_ratio}
    for module_scale, runs in results["modules"].items():
        info = [run for run in runs if run["module"] == "vps_domain_info"]
        if info:
            megabytes = info[0]["max_rss_kb"] / 1024
            checks.append(
                (
                    f"{module_scale} domains: vps_domain_info process max RSS <= {RSS_LIMIT_MB:g} MB",
                    f"{megabytes:.0f} MB",
                    megabytes <= RSS_LIMIT_MB,
                    False,
                )
            )

    remediation = results.get("remediation", {})
    print()
    if "seconds" in remediation:
        print(
            f"domain_guard.yml at {remediation['scale']} domains, {remediation['latency_ms']} ms: unlock to re-lock "
            f"{remediation['seconds']:.1f} s = {remediation['seconds'] / remediation['interval']:.2f} x interval "
            f"({remediation['interval']} s; a change waits up to one interval for the next poll, then the poll, "
            "ansible-playbook's start-up and the policy run)"
        )
    else:
        print(f"domain_guard.yml remediation: skipped, {remediation.get('skipped', 'not measured')}")
    print()
    print("Per-item cost of a loop (vps_domain with nothing to change against ansible.builtin.ping)")
    for latency, measured in results["per_item"].items():
        item = (measured["noop_loop"]["seconds"] - startup) / loop_items
        print(
            f"  {latency} ms: vps_domain {item * 1000:.0f} ms/item, ping {ping_item[latency] * 1000:.0f} ms/item: "
            f"{item / max(ping_item[latency], 1e-9):.2f}x; requests {_count(measured['noop_loop']['requests'])}"
        )
    print("  imports (fresh interpreter, best of 5):")
    for label, seconds in results["imports"].items():
        print(f"    {label:<60} {seconds * 1000:>6.0f} ms")
    print("  module processes (AnsiballZ payload, max RSS):")
    for module_scale, runs in results["modules"].items():
        for run in runs:
            size = run["payload_bytes"] or 0
            print(
                f"    {run['module']:<18} ({module_scale} domains account) payload {size / 1024:>6.0f} KiB, "
                f"max RSS {run['max_rss_kb'] / 1024:>5.0f} MB"
            )

    print()
    print(f"{'target':<66} {'measured':>12}")
    missed = []
    for label, value, met, _exact in checks:
        print(f"{label:<66} {value:>12}  {'met' if met else 'MISSED'}")
        if not met:
            missed.append(label)
    results["table"] = rows_out
    results["missed_exact"] = [label for label, _value, met, exact in checks if exact and not met]
    return missed


# The bulk-transfer cell.
TRANSFERS = 1000
TRANSFERS_QUICK = 100
TRANSFER_LATENCY_MS = 50
TRANSFER_CONCURRENCY = 8
TRANSFER_OVER_FLOOR = 2.0
PENDING_OVER_NOOP = 1.5


def transfer_cell(workdir: Path, count: int, repeat: int = 3) -> Dict[str, Any]:
    """Time the runs of the role over `count` listed transfers and check the ledger after each (the runs that
    change nothing: the median of `repeat`)."""
    sandbox = start_sandbox(workdir / "transfer-sandbox", "--page-size", str(PAGE_SIZE))
    try:
        token = "bench-transfer-token"
        sandbox.add_account("transfers", token, "1000000.00")
        made = transfer_records(count, account="transfers")
        for start in range(0, count, 1000):
            sandbox._ok("POST", "domains", made[start : start + 1000])
        export = save_transfer_csv(workdir / "export.csv", made)
        sandbox.configure(latency_ms=TRANSFER_LATENCY_MS, transfer_delay=3600)
        role_vars = {
            "portfolio_domains": [],
            "portfolio_concurrency": TRANSFER_CONCURRENCY,
            "portfolio_settings": {"auto_renew": True, "locked": True},
        }
        csv_read = "lookup('ansible.builtin.file', '" + str(export) + "') | vpsorg.domains.transfer_codes_csv"
        listed = dict(role_vars, portfolio_transfers="{{ " + csv_read + " }}")
        paths = {}
        for name, role_set in (("startup", None), ("noop", role_vars), ("transfers", listed)):
            role = {"name": "Role", "ansible.builtin.include_role": {"name": "vpsorg.domains.portfolio"}}
            tasks = (
                [{"name": "Nothing", "ansible.builtin.debug": {"msg": "start-up only"}}]
                if role_set is None
                else [dict(role, vars=role_set)]
            )
            paths[name] = workdir / f"transfer-{name}.yml"
            paths[name].write_text(yaml.safe_dump(play(tasks), sort_keys=False), encoding="utf-8")
        env = ansible_environment(sandbox.api_url, token)
        figures: Dict[str, Any] = {"count": count}
        runs = (
            ("startup", "startup"),
            ("noop", "noop"),
            ("first", "transfers"),
            ("second", "transfers"),
            ("listed", "transfers"),
        )
        for label, name in runs:
            # The last run: an API whose list objects carry the transfer state (no detail to read).
            sandbox.configure(list_transfer_state=label == "listed")
            # The first run pays for the transfers: once. The others change nothing: the median of `repeat`.
            times = []
            for _run in range(1 if label == "first" else repeat):
                sandbox.clear_journal()
                rc, seconds, output = run_playbook(paths[name], env)
                if rc != 0:
                    raise SystemExit(f"the transfer cell's {label} run failed (rc {rc}):\n{output[-4000:]}")
                times.append(seconds)
            # The requests of the last run (every repeat sends the same), and the charges after it.
            journal = [entry for entry in sandbox.journal() if entry.get("account") == "transfers"]
            figures[label] = {
                "seconds": statistics.median(times),
                "requests": dict(Counter(entry["method"] for entry in journal)),
                "charges": sum(1 for entry in sandbox.ledger() if entry["account"] == "transfers"),
            }
        return figures
    finally:
        sandbox.stop()


def transfer_report(figures: Dict[str, Any]) -> Tuple[List[str], List[str], List[str]]:
    """(lines, targets missed, exact checks missed) of the bulk-transfer cell."""
    count = figures["count"]
    rtt = TRANSFER_LATENCY_MS / 1000
    startup = figures["startup"]["seconds"]
    first, second, listed, noop = figures["first"], figures["second"], figures["listed"], figures["noop"]
    floor = startup + sum(first["requests"].values()) * rtt / TRANSFER_CONCURRENCY
    # The documented list object does not tell a transfer's state: a pending domain's detail is read, one GET
    # each, which no run can do faster than the no-op run + those GETs x RTT / concurrency.
    reads = second["requests"].get("GET", 0) - noop["requests"].get("GET", 0)
    second_floor = noop["seconds"] + max(0, reads) * rtt / TRANSFER_CONCURRENCY
    lines = [
        f"Bulk transfers: {count} listed, {TRANSFER_LATENCY_MS} ms, concurrency {TRANSFER_CONCURRENCY}",
        f"  first run   {first['seconds']:7.2f} s  floor {floor:6.2f} s  ({first['seconds'] / floor:.2f}x, target "
        f"{TRANSFER_OVER_FLOOR}x)  requests {_count(first['requests'])}  charges {first['charges']}",
        f"  second run, the list tells the transfer state  {listed['seconds']:7.2f} s  no-op role "
        f"{noop['seconds']:6.2f} s  ({listed['seconds'] / noop['seconds']:.2f}x, target {PENDING_OVER_NOOP}x)  "
        f"requests {_count(listed['requests'])}  charges {listed['charges']}",
        f"  second run, each detail read (documented list)  {second['seconds']:7.2f} s  floor {second_floor:6.2f} s "
        f"(no-op role + {reads} GETs x RTT / {TRANSFER_CONCURRENCY}; {second['seconds'] / second_floor:.2f}x, "
        f"target {PENDING_OVER_NOOP}x)  requests {_count(second['requests'])}  charges {second['charges']}",
    ]
    missed = []
    if first["seconds"] > TRANSFER_OVER_FLOOR * floor:
        missed.append("bulk transfers: first run over its floor target")
    if listed["seconds"] > PENDING_OVER_NOOP * noop["seconds"]:
        missed.append("bulk transfers: second run (list tells the state) over the no-op target")
    if second["seconds"] > PENDING_OVER_NOOP * second_floor:
        missed.append("bulk transfers: second run (details read) over its floor target")
    exact = []
    if first["charges"] != count or first["requests"].get("POST") != count:
        exact.append(f"bulk transfers: {first['charges']} charges after the first run, {count} expected")
    for label, again in (("second", second), ("third", listed)):
        if again["charges"] != count or again["requests"].get("POST"):
            exact.append(f"bulk transfers: {again['charges']} charges after the {label} run, {count} expected")
    if listed["requests"].get("GET", 0) > noop["requests"].get("GET", 0):
        exact.append("bulk transfers: details were read although the list objects tell the transfer state")
    return lines, missed, exact


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each quick measurement (the median is shown)")
    parser.add_argument(
        "--quick",
        action="store_true",
        default=bool(os.environ.get("BENCH_QUICK")),
        help="a smoke run: 1,000 domains, 10-item loops, one run each (also BENCH_QUICK=1)",
    )
    parser.add_argument("--loop-items", type=int, default=None, help="items of the measured loops (default 100)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--cell", choices=("all", "transfers"), default="all", help="run one cell only")
    options = parser.parse_args()
    if options.cell == "transfers":
        with tempfile.TemporaryDirectory(prefix="vpsorg-bench-") as workdir:
            figures = transfer_cell(
                Path(workdir), TRANSFERS_QUICK if options.quick else TRANSFERS, 1 if options.quick else options.repeat
            )
        lines, missed, exact = transfer_report(figures)
        print("\n".join(lines))
        if options.json:
            options.json.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
        print("All targets met." if not missed + exact else f"Targets missed: {'; '.join(missed + exact)}")
        return 1 if exact else 0
    scales = (1000,) if options.quick else (1000, 10000)
    loop_items = options.loop_items or (10 if options.quick else 100)
    repeat = 1 if options.quick else max(1, options.repeat)
    with tempfile.TemporaryDirectory(prefix="vpsorg-bench-") as workdir:
        bench = Bench(Path(workdir), scales=scales, latencies=(0, 50), loop_items=loop_items, repeat=repeat)
        try:
            print(f"Seeding {' and '.join(str(s) for s in scales)} domains into a sandbox at {bench.sandbox.api_url}")
            results = bench.run()
        finally:
            bench.close()
        transfers = transfer_cell(Path(workdir), TRANSFERS_QUICK if options.quick else TRANSFERS, repeat)
    transfer_lines, transfer_missed, transfer_exact = transfer_report(transfers)
    results["transfers"] = transfers
    if options.json:
        options.json.write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
    missed = report(results, loop_items)
    print()
    print("\n".join(transfer_lines))
    missed += transfer_missed
    results["missed_exact"] += transfer_exact
    print()
    print("All targets met." if not missed else f"Targets missed: {'; '.join(missed)}")
    # Request counts are exact and fail the run; wall times vary by machine and only report.
    return 1 if results["missed_exact"] else 0


if __name__ == "__main__":
    sys.exit(main())
