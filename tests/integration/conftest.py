# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration harness: runs real ansible-playbook against the sandbox and records every task result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

# Linked by tests/conftest.py before any test runs.
COLLECTIONS_PATH = Path(__file__).resolve().parents[2] / ".build" / "collections"
CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
BIN_DIR = Path(sys.executable).parent


@dataclass
class PlaybookRun:
    """The outcome of one ansible-playbook run."""

    rc: int
    stdout: str
    stderr: str
    results: list[dict] = field(default_factory=list)

    def result(self, task_name: str) -> dict:
        """The last recorded result of the named task."""
        for record in reversed(self.results):
            if record["task"] == task_name:
                return record["result"]
        raise AssertionError(f"task {task_name!r} has no result; tasks run: {[r['task'] for r in self.results]}")

    def status(self, task_name: str) -> str:
        """ok, changed, failed, skipped or unreachable for the named task."""
        for record in reversed(self.results):
            if record["task"] == task_name:
                return record["status"]
        raise AssertionError(f"task {task_name!r} has no result")

    @property
    def output(self) -> str:
        """stdout and stderr together, for searching for leaked secrets."""
        return self.stdout + "\n" + self.stderr


def base_environment(tmp_path: Path) -> dict[str, str]:
    """An environment for ansible-playbook that finds the collection and records results."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VPSORG_", "ANSIBLE_"))}
    env.update(
        {
            "PATH": f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}",
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
            "ANSIBLE_CALLBACKS_ENABLED": "record_results",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
            "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "RECORD_RESULTS_FILE": str(tmp_path / "results.json"),
        }
    )
    return env


@pytest.fixture
def run_playbook(sandbox, tmp_path: Path):
    """Run tasks (or a playbook file) with real ansible-playbook against the sandbox."""
    counter = {"runs": 0}

    def _run(
        tasks: list[dict] | None = None,
        *,
        check: bool = False,
        diff: bool = False,
        env: dict[str, str] | None = None,
        verbosity: int = 0,
        play_vars: dict[str, Any] | None = None,
        connection_defaults: bool = True,
        ignore_errors: bool = True,
        extra_args: tuple[str, ...] | list[str] = (),
        playbook: str | Path | None = None,
        timeout: int = 300,
    ) -> PlaybookRun:
        counter["runs"] += 1
        run_dir = tmp_path / f"run{counter['runs']}"
        run_dir.mkdir()
        environment = base_environment(run_dir)
        if playbook is None:
            if tasks is None:
                raise ValueError("give tasks or playbook")
            play: dict[str, Any] = {
                "name": "Integration test",
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "tasks": [dict(task, ignore_errors=True) if ignore_errors else task for task in tasks],
            }
            if play_vars:
                play["vars"] = play_vars
            if connection_defaults:
                play["module_defaults"] = {
                    "group/vpsorg.domains.all": {"api_url": sandbox.api_url, "api_token": sandbox.token}
                }
            playbook_path = run_dir / "playbook.yml"
            playbook_path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        else:
            playbook_path = Path(playbook)
            environment.update({"VPSORG_API_URL": sandbox.api_url, "VPSORG_API_TOKEN": sandbox.token})
        if not {"-i", "--inventory"} & set(extra_args):
            # Only `-i localhost,` to parse: the other inventory plugins need not load (about 0.1 s a run).
            environment["ANSIBLE_INVENTORY_ENABLED"] = "host_list"
        environment.update(env or {})
        command = [str(BIN_DIR / "ansible-playbook"), "-i", "localhost,", str(playbook_path)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        command.extend(extra_args)
        completed = subprocess.run(
            command,
            env=environment,
            cwd=str(run_dir),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        results_file = Path(environment["RECORD_RESULTS_FILE"])
        results = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else []
        return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, results)

    return _run
