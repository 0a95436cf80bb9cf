# SPDX-License-Identifier: GPL-3.0-or-later
"""The rulebooks under the real ansible-rulebook (Java rules engine, ansible-runner) against the sandbox.

Every test starts ansible-rulebook as a user would, changes the account through the sandbox's control API, and
judges from the sandbox's journal and ansible-rulebook's output. Waits are bounded generously and never timed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
import yaml
from ansible_collections.vpsorg.domains.plugins.module_utils._client import USER_AGENT

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS_PATH = REPO_ROOT / ".build" / "collections"
BIN_DIR = Path(sys.executable).parent
SOURCE_DIR = REPO_ROOT / "extensions" / "eda" / "plugins" / "event_source"
LIST_PATH = "/api/v1/domains/"
EVIL = ["ns1.evil.example", "ns2.evil.example"]
VPS = ["ns1.vps.org", "ns2.vps.org"]
# ansible-rulebook starts a JVM and runs each playbook through ansible-runner: minutes on a busy machine.
PATIENCE = 300.0

pytestmark = pytest.mark.slow


def java_home() -> str:
    """JAVA_HOME as the Makefile sets it: the environment's, else the JDK of the java on PATH."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    if java is None:
        pytest.fail("ansible-rulebook needs Java 17: install openjdk-17-jre-headless, or set JAVA_HOME")
    return str(Path(os.path.realpath(java)).parents[1])


class Rulebook:
    """One ansible-rulebook process, its output in files, and waits on the sandbox and on that output."""

    def __init__(
        self,
        sandbox: Any,
        workdir: Path,
        rulebook: str,
        variables: Dict[str, Any],
        *,
        token: Optional[str] = None,
        extra_args: List[str] = (),
    ) -> None:
        self.sandbox = sandbox
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        inventory = workdir / "inventory.yml"
        inventory.write_text(
            yaml.safe_dump(
                {
                    "all": {
                        "hosts": {
                            "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                        }
                    }
                }
            ),
            encoding="utf-8",
        )
        variables_file = workdir / "variables.yml"
        variables_file.write_text(yaml.safe_dump(variables), encoding="utf-8")
        env = {key: value for key, value in os.environ.items() if not key.startswith(("VPSORG_", "ANSIBLE_"))}
        env.update(
            {
                "PATH": f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}",
                "JAVA_HOME": java_home(),
                "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
                "ANSIBLE_HOME": str(workdir / "ansible-home"),
                "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-tmp"),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCALHOST_WARNING": "0",
                "PYTHONUNBUFFERED": "1",
                "VPSORG_API_URL": sandbox.api_url,
                "VPSORG_API_TOKEN": token or sandbox.token,
            }
        )
        self.stdout_path = workdir / "stdout.txt"
        self.stderr_path = workdir / "stderr.txt"
        command = [
            str(BIN_DIR / "ansible-rulebook"),
            "-i",
            str(inventory),
            "-r",
            rulebook,
            "-e",
            str(variables_file),
            *extra_args,
        ]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                command, cwd=str(workdir), env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )

    def output(self) -> str:
        return self.stdout_path.read_text("utf-8", "replace") + "\n" + self.stderr_path.read_text("utf-8", "replace")

    def wait_until(self, done: Callable[[], Any], what: str, timeout: float = PATIENCE) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = done()
            if result:
                return result
            if self.process.poll() is not None:
                raise AssertionError(
                    f"ansible-rulebook ended (rc {self.process.returncode}) before {what}:\n{self.tail()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout:g} s:\n{self.tail()}")
            time.sleep(0.5)

    def polls(self) -> int:
        """The source's list reads the sandbox has answered."""
        return sum(
            1
            for entry in self.sandbox.journal()
            if entry["path"] == LIST_PATH and entry["method"] == "GET" and entry["user_agent"] == USER_AGENT
        )

    def wait_for_polls(self, count: int) -> int:
        return self.wait_until(lambda: self.polls() >= count and self.polls(), f"{count} polls")

    def wait_for_text(self, text: str, count: int = 1) -> None:
        self.wait_until(lambda: self.output().count(text) >= count, repr(text))

    def tail(self) -> str:
        return self.output()[-6000:]

    def stop(self) -> None:
        """Stop it as Ctrl-C does; kill it if it does not end."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@pytest.fixture
def rulebooks(sandbox, tmp_path):
    """Start ansible-rulebook processes; every one is stopped at the end of the test."""
    started: List[Rulebook] = []

    def start(rulebook: str, variables: Dict[str, Any], **options: Any) -> Rulebook:
        run = Rulebook(sandbox, tmp_path / f"rulebook{len(started) + 1}", rulebook, variables, **options)
        started.append(run)
        return run

    yield start
    for run in started:
        run.stop()


def ids_by_name(sandbox: Any) -> Dict[str, int]:
    _status, _headers, body = sandbox.api("GET", "domains/")
    return {item["domain_name"]: item["id"] for item in body["results"]}


def writes(sandbox: Any) -> List[tuple]:
    """Every write the sandbox received, as (method, path, body as JSON text)."""
    return [
        (e["method"], e["path"], json.dumps(e["body"], sort_keys=True))
        for e in sandbox.journal()
        if e["method"] in ("POST", "PUT", "DELETE")
    ]


def test_domain_guard_puts_back_what_changed_outside_ansible(sandbox, run_playbook, rulebooks, tmp_path):
    # The policy is the account as it is, exported as the guide says.
    policy_file = tmp_path / "portfolio_policy.yml"
    export = run_playbook(
        playbook=REPO_ROOT / "playbooks" / "export_policy.yml", extra_args=["-e", f"export_dest={policy_file}"]
    )
    assert export.rc == 0, export.output
    policy = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
    assert policy["portfolio_settings"]["locked"] is True and policy["portfolio_settings"]["nameservers"] == VPS
    ids = ids_by_name(sandbox)
    sandbox.clear_journal()

    guard = rulebooks("vpsorg.domains.domain_guard", dict(policy, domain_guard_interval=1))
    guard.wait_for_polls(1)
    # Outside Ansible: one domain unlocked, another's nameservers moved elsewhere.
    sandbox.patch_domain(ids["example-shop.com"], locked=False)
    sandbox.patch_domain(ids["example-labs.io"], nameservers=EVIL)

    shop = ("PUT", f"/api/v1/domains/{ids['example-shop.com']}/", json.dumps({"locked": True}))
    labs = ("PUT", f"/api/v1/domains/{ids['example-labs.io']}/", json.dumps({"nameservers": VPS}))
    guard.wait_until(lambda: {shop, labs} <= set(writes(sandbox)), "re-lock and nameserver restore")
    # Putting the nameservers back is a change the next poll reports; the playbook then finds nothing to do.
    guard.wait_for_text("example-labs.io: in line with the policy, nothing to change")
    guard.wait_for_polls(guard.polls() + 2)
    assert sorted(writes(sandbox)) == sorted([shop, labs])
    # The playbook's report, as ansible-playbook prints a debug message (JSON, quotes escaped).
    output = guard.output()
    assert r"example-shop.com: changed {\"locked\": false} -> {\"locked\": true}" in output
    assert r"example-labs.io: changed {\"nameservers\": [\"ns1.evil.example\", \"ns2.evil.example\"]}" in output
    for name, expected in (("example-shop.com", True), ("example-labs.io", True)):
        _status, _headers, domain = sandbox.api("GET", f"domains/{ids[name]}/")
        assert domain["locked"] is expected and sorted(domain["nameservers"]) == VPS
    # The domains that follow the policy's exceptions were left alone.
    assert not [w for w in writes(sandbox) if str(ids["example-blog.net"]) in w[1]]


_PRINTING_RULEBOOK = """
- name: Say every domain event
  hosts: all
  sources:
    - name: The account
      domain_events:
        interval: 1
        emit_snapshot: true
        state_file: "{{ state_file }}"
  rules:
    - name: Say it
      condition: event.vpsorg is defined
      action:
        debug:
          msg: "EVENT {{ event.vpsorg.type }} {{ event.vpsorg.name }}"
"""


def _said(run: Rulebook) -> List[str]:
    return [line.strip() for line in run.output().splitlines() if line.strip().startswith("EVENT ")]


def test_a_restart_with_a_state_file_repeats_nothing(sandbox, rulebooks, tmp_path):
    # The source from the checkout's directory (-S), as a developer runs it, named without a collection.
    rulebook = tmp_path / "say_events.yml"
    rulebook.write_text(_PRINTING_RULEBOOK, encoding="utf-8")
    state = tmp_path / "domain_events.json"
    ids = ids_by_name(sandbox)
    sandbox.clear_journal()
    options = {"extra_args": ["-S", str(SOURCE_DIR)]}

    first = rulebooks(str(rulebook), {"state_file": str(state)}, **options)
    first.wait_for_text("EVENT snapshot None")
    sandbox.patch_domain(ids["example-shop.com"], locked=False)
    first.wait_for_text("EVENT settings_changed example-shop.com")
    first.wait_for_polls(first.polls() + 1)
    first.stop()
    assert _said(first) == ["EVENT snapshot None", "EVENT settings_changed example-shop.com"]

    # While it is stopped, one more change.
    sandbox.patch_domain(ids["example-blog.net"], auto_renew=True)
    second = rulebooks(str(rulebook), {"state_file": str(state)}, **options)
    second.wait_for_text("EVENT snapshot None")
    second.wait_for_polls(second.polls() + 3)
    second.stop()
    assert sorted(_said(second)) == ["EVENT settings_changed example-blog.net", "EVENT snapshot None"]
    assert sandbox.token not in state.read_text(encoding="utf-8")


@pytest.mark.api_shape
def test_failed_polls_are_one_event_each_way_and_the_token_stays_secret(sandbox, rulebooks):
    token = "guard-token-5f1c9a7e3b"
    sandbox.add_account("guard", token, "100.00")
    sandbox.seed_domain("guard", domain_name="guarded-site.com")
    sandbox.clear_journal()
    # The shipped rulebook, verbose and printing every event: still no token anywhere.
    guard = rulebooks(
        "vpsorg.domains.domain_guard", {"domain_guard_interval": 1}, token=token, extra_args=["-v", "--print-events"]
    )
    reads = guard.wait_for_polls(1)
    sandbox.add_fault(method="GET", path_prefix=LIST_PATH, count=5, status=500)
    guard.wait_for_text("VPS.org account readable again after 5 failed polls")
    guard.wait_for_polls(reads + 8)
    output = guard.output()
    assert output.count("VPS.org account not readable for 3 polls: GET /api/v1/domains/: server error (HTTP 500)") == 1
    assert output.count("VPS.org account readable again") == 1
    assert output.count("'type': 'poll_failed'") == 1 and output.count("'type': 'poll_recovered'") == 1
    assert token not in output
    assert [entry["status"] for entry in sandbox.journal() if entry["path"] == LIST_PATH].count(500) == 5


@pytest.mark.api_shape
def test_expiry_watch_tells_about_a_domain_that_does_not_renew_itself(sandbox, rulebooks, tmp_path):
    ids = ids_by_name(sandbox)
    sandbox.clear_journal()
    notes = tmp_path / "expiry.log"
    watch = rulebooks("vpsorg.domains.expiry_watch", {"expiry_watch_interval": 1, "notify_expiry_file": str(notes)})
    watch.wait_for_polls(1)
    # A new expiry date 5 days away: thresholds 60, 30 and 7 crossed at once, one notice. The same for a domain
    # that renews itself: no notice.
    soon = (datetime.now(timezone.utc) + timedelta(days=5)).strftime("%Y-%m-%dT12:00:00Z")  # 5 calendar days
    sandbox.patch_domain(ids["example-blog.net"], expiration_date=soon)
    sandbox.patch_domain(ids["example-shop.com"], expiration_date=soon)
    watch.wait_until(lambda: notes.exists() and notes.read_text(encoding="utf-8"), "a notice")
    watch.wait_for_polls(watch.polls() + 2)
    lines = notes.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(
        f"example-blog.net expires in 5 day(s), on {sandbox.api_time(soon)}, and auto-renew is off: renew it, or turn"
        " auto-renew on (vpsorg.domains.vps_domain with auto_renew: true)"
    )
    # Notifying changes nothing in the account.
    assert writes(sandbox) == []
