# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory's hosts are domains, not machines: a play over them with default fact gathering contacts none."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

BIN_DIR = Path(sys.executable).parent
DEMO_NAMES = ["example-blog.net", "example-labs.io", "example-shop.com", "transfer-me.org"]
# Any of these on PATH records that it was started: a play over domains must start none of them.
REMOTE_CLIENTS = ("ssh", "scp", "sftp", "sshpass")


@pytest.fixture
def environment(request, sandbox, tmp_path) -> Dict[str, str]:
    """The integration harness's environment, the sandbox's connection, and an ssh that only tells on itself."""
    base_environment = None
    for plugin in request.config.pluginmanager.get_plugins():
        base_environment = getattr(plugin, "base_environment", None)
        if callable(base_environment):
            break
    assert callable(base_environment), "the integration conftest with base_environment() is not loaded"
    env = base_environment(tmp_path)
    traps = tmp_path / "traps"
    traps.mkdir()
    for name in REMOTE_CLIENTS:
        trap = traps / name
        trap.write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path / "contacted.log"}"\nexit 255\n', encoding="utf-8")
        trap.chmod(0o755)
    env.update(
        {
            "PATH": f"{traps}{os.pathsep}{env['PATH']}",
            "VPSORG_API_URL": sandbox.api_url,
            "VPSORG_API_TOKEN": sandbox.token,
            "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
        }
    )
    return env


def _play(tmp_path: Path, inventory: Path, env: Dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    # The play a newcomer writes first: hosts all, facts gathered as by default, one task per host.
    play = [{"name": "Every domain", "hosts": "all", "tasks": [{"name": "Say hello", "ansible.builtin.ping": {}}]}]
    playbook = tmp_path / "hello.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    return subprocess.run(
        [str(BIN_DIR / "ansible-playbook"), "-i", str(inventory), str(playbook), *extra],
        env=env,
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _results(env: Dict[str, str]) -> list:
    return json.loads(Path(env["RECORD_RESULTS_FILE"]).read_text(encoding="utf-8"))


def test_a_play_over_every_domain_with_fact_gathering_contacts_no_domain(environment, sandbox, tmp_path):
    inventory = tmp_path / "account.vps_domains.yml"
    inventory.write_text("plugin: vpsorg.domains.domains\n", encoding="utf-8")
    completed = _play(tmp_path, inventory, environment)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not (tmp_path / "contacted.log").exists(), (tmp_path / "contacted.log").read_text(encoding="utf-8")
    results = _results(environment)
    gathered = [r for r in results if r["task"] == "Gathering Facts"]
    pinged = [r for r in results if r["task"] == "Say hello"]
    assert len(gathered) == len(pinged) == len(DEMO_NAMES)
    assert all(r["status"] == "ok" for r in gathered + pinged)
    # The facts are the controller's own: every host ran on it.
    assert {r["result"]["ansible_facts"]["ansible_nodename"] for r in gathered} == {socket.gethostname()}
    # The only requests the run made were the inventory's list reads.
    journal = sandbox.journal()
    assert journal and all(entry["method"] == "GET" and entry["path"] == "/api/v1/domains/" for entry in journal)


def test_compose_overrides_the_local_connection(environment, sandbox, tmp_path):
    inventory = tmp_path / "ssh.vps_domains.yml"
    inventory.write_text(
        "plugin: vpsorg.domains.domains\nsearch: example-shop\ncompose:\n  ansible_connection: \"'ssh'\"\n",
        encoding="utf-8",
    )
    listed = subprocess.run(
        [str(BIN_DIR / "ansible-inventory"), "-i", str(inventory), "--list"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    hostvars: Dict[str, Any] = json.loads(listed.stdout)["_meta"]["hostvars"]
    # ansible-inventory marks composed strings unsafe on some ansible-core versions: {"__ansible_unsafe": ...}.
    composed = {
        name: value.get("__ansible_unsafe") if isinstance(value, dict) else value
        for name, value in ((name, hostvars[name]["ansible_connection"]) for name in hostvars)
    }
    assert composed == {"example-shop.com": "ssh"}
    # With the user's ssh connection, the play does try the domain: the trap above records it.
    completed = _play(tmp_path, inventory, environment, "-e", "ansible_ssh_retries=0")
    assert completed.returncode != 0
    assert "example-shop.com" in (tmp_path / "contacted.log").read_text(encoding="utf-8")
