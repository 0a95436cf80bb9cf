# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: the portfolio role against one info task and a loop of vps_domain, at 1000 domains.

Seeds a sandbox (page size 100) with 1000 domains, then times whole ansible-playbook runs and counts the
requests each sent from the sandbox's journal. A benchmark, not a test: it prints figures and whether they
meet the targets, and fails only when a run itself fails or sends requests it should not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _perf import ansible_environment, run_playbook, start_sandbox

ACCOUNT = "bench"
TOKEN = "bench-token"
DOMAINS = 1000
PAGE_SIZE = 100
DRIFTED = 100
LOOP_DOMAINS = 100
POLICY = {
    "auto_renew": True,
    "locked": True,
    "privacy_protection": True,
    "nameservers": ["ns1.vps.org", "ns2.vps.org"],
}
# The targets of the role at 1000 domains.
NOOP_LIMIT = 1.5
SPEEDUP_TARGET = 50.0


def domain_name(index: int) -> str:
    return f"bench-{index:04d}.com"


def play(tasks: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{"name": "Benchmark", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]


PLAYBOOKS = {
    "startup": play([{"name": "Nothing", "ansible.builtin.debug": {"msg": "start-up only"}}]),
    "info": play([{"name": "Read the account", "vpsorg.domains.vps_domain_info": {}}]),
    "role": play(
        [
            {
                "name": "Portfolio",
                "ansible.builtin.include_role": {"name": "vpsorg.domains.portfolio"},
                "vars": {"portfolio_settings": POLICY},
            }
        ]
    ),
    "loop": play(
        [
            {
                "name": "One domain at a time",
                "vpsorg.domains.vps_domain": dict({"name": "{{ item }}"}, **POLICY),
                "loop": [domain_name(index) for index in range(LOOP_DOMAINS)],
            }
        ]
    ),
}


class Bench:
    """The sandbox, the playbooks, and the measurements."""

    def __init__(self, workdir: Path, repeat: int) -> None:
        self.workdir = workdir
        self.repeat = repeat
        self.sandbox = start_sandbox(workdir / "sandbox", "--page-size", str(PAGE_SIZE))
        self.env = ansible_environment(self.sandbox.api_url, TOKEN)
        self.paths: Dict[str, Path] = {}
        for name, content in PLAYBOOKS.items():
            path = workdir / f"{name}.yml"
            path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
            self.paths[name] = path
        self.ids: List[int] = []

    def seed(self) -> None:
        self.sandbox.add_account(ACCOUNT, TOKEN, "100000.00")
        for index in range(DOMAINS):
            seeded = self.sandbox.seed_domain(
                account=ACCOUNT, domain_name=domain_name(index), status="active", **POLICY
            )
            self.ids.append(seeded["id"])
        status, _headers, body = self.sandbox.api("GET", "domains/", token=TOKEN)
        if status != 200 or body.get("count") != DOMAINS:
            raise SystemExit(f"seeding failed: the account lists {body!r:.200}")

    def drift(self, ids: List[int]) -> None:
        for domain_id in ids:
            self.sandbox.patch_domain(domain_id, locked=False)

    def once(self, name: str, prepare: Optional[Callable[[], None]] = None) -> Dict[str, Any]:
        """One run of a playbook: its wall time and the requests the sandbox journaled for the account."""
        if prepare is not None:
            prepare()
        self.sandbox.clear_journal()
        rc, seconds, output = run_playbook(self.paths[name], self.env)
        if rc != 0:
            raise SystemExit(f"the {name} playbook failed (rc {rc}):\n{output[-4000:]}")
        requests = Counter(entry["method"] for entry in self.sandbox.journal() if entry.get("account") == ACCOUNT)
        return {"seconds": seconds, "requests": dict(requests)}

    def run(self) -> Dict[str, Any]:
        self.seed()
        drifted_ids = self.ids[:: DOMAINS // DRIFTED]
        # The loop sees the same share of drift as the role: every tenth of its domains.
        loop_drifted = [domain_id for domain_id in drifted_ids if domain_id in self.ids[:LOOP_DOMAINS]]
        scenarios = {
            "startup": ("startup", None),
            "info": ("info", None),
            "role_noop": ("role", None),
            "role_drifted": ("role", lambda: self.drift(drifted_ids)),
        }
        runs: Dict[str, List[Dict[str, Any]]] = {key: [] for key in scenarios}
        # Rounds of every quick scenario in turn, so that a busy machine slows them all alike.
        for _round in range(self.repeat):
            for key, (name, prepare) in scenarios.items():
                runs[key].append(self.once(name, prepare))
        results: Dict[str, Any] = {
            key: {
                "seconds": statistics.median(run["seconds"] for run in measured),
                "runs": [round(run["seconds"], 3) for run in measured],
                "requests": measured[-1]["requests"],
            }
            for key, measured in runs.items()
        }
        # The loop is slow: one run.
        loop = self.once("loop", lambda: self.drift(loop_drifted))
        results["loop"] = dict(loop, runs=[round(loop["seconds"], 3)])
        results["loop_drifted"] = len(loop_drifted)
        return results

    def close(self) -> None:
        self.sandbox.stop()


def _count(requests: Dict[str, int]) -> str:
    return ", ".join(f"{count} {method}" for method, count in sorted(requests.items())) or "none"


def report(results: Dict[str, Any]) -> List[str]:
    """The table and the ratios; returns the targets missed."""
    scale = DOMAINS / LOOP_DOMAINS
    startup = results["startup"]["seconds"]
    loop = results["loop"]["seconds"]
    # Two ways to scale the loop of 100 up to 1000: the whole run times ten (what a user would estimate), and,
    # more conservatively, ansible-playbook's fixed start-up counted once.
    loop_scaled = loop * scale
    loop_scaled_conservative = startup + (loop - startup) * scale
    rows = [
        ("one vps_domain_info task (1000 domains)", results["info"]),
        ("portfolio role, nothing to change", results["role_noop"]),
        (f"portfolio role, {DRIFTED} drifted domains", results["role_drifted"]),
        (f"loop of vps_domain over {LOOP_DOMAINS} domains", results["loop"]),
    ]
    print()
    print(f"{DOMAINS} domains, page size {PAGE_SIZE}; wall time of whole ansible-playbook runs (median)")
    print(f"{'run':<46} {'seconds':>8}  requests")
    print(f"{'ansible-playbook start-up (one debug task)':<46} {startup:>8.2f}  none")
    for label, result in rows:
        print(f"{label:<46} {result['seconds']:>8.2f}  {_count(result['requests'])}")
    loop_requests = {method: int(count * scale) for method, count in results["loop"]["requests"].items()}
    print(f"{'loop scaled to 1000 domains (x10)':<46} {loop_scaled:>8.2f}  {_count(loop_requests)}")
    print(f"{'  the same, start-up counted once':<46} {loop_scaled_conservative:>8.2f}")

    noop_ratio = results["role_noop"]["seconds"] / results["info"]["seconds"]
    speedup = loop_scaled / results["role_drifted"]["seconds"]
    speedup_conservative = loop_scaled_conservative / results["role_drifted"]["seconds"]
    noop_requests = results["role_noop"]["requests"]
    drift_requests = results["role_drifted"]["requests"]
    pages = -(-DOMAINS // PAGE_SIZE)
    checks = [
        (f"no-op role / info task <= {NOOP_LIMIT}", f"{noop_ratio:.2f}", noop_ratio <= NOOP_LIMIT),
        (f"no-op role sends only the {pages} list requests", _count(noop_requests), noop_requests == {"GET": pages}),
        (
            f"drifted role sends {pages} + {DRIFTED} requests",
            _count(drift_requests),
            drift_requests == {"GET": pages, "PUT": DRIFTED},
        ),
        (f"loop x10 / drifted role >= {SPEEDUP_TARGET:g}", f"{speedup:.1f}", speedup >= SPEEDUP_TARGET),
        (
            f"  (start-up counted once) >= {SPEEDUP_TARGET:g}",
            f"{speedup_conservative:.1f}",
            speedup_conservative >= SPEEDUP_TARGET,
        ),
    ]
    print()
    print(f"{'target':<46} {'measured':>14}")
    missed = []
    for label, value, met in checks:
        print(f"{label:<46} {value:>14}  {'met' if met else 'MISSED'}")
        if not met:
            missed.append(label.strip())
    results["ratios"] = {
        "noop_over_info": noop_ratio,
        "loop_scaled_over_drifted_role": speedup,
        "loop_scaled_conservative_over_drifted_role": speedup_conservative,
    }
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each quick measurement (the median is shown)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vpsorg-bench-") as workdir:
        bench = Bench(Path(workdir), max(1, options.repeat))
        try:
            print(f"Seeding {DOMAINS} domains into a sandbox at {bench.sandbox.api_url} ...", flush=True)
            results = bench.run()
        finally:
            bench.close()
    missed = report(results)
    if options.json:
        options.json.write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
    print()
    print("All targets met." if not missed else f"Targets missed: {'; '.join(missed)}")
    # Request counts are exact and fail the run; wall times vary by machine and only report.
    return 1 if any("requests" in label for label in missed) else 0


if __name__ == "__main__":
    sys.exit(main())
