# SPDX-License-Identifier: GPL-3.0-or-later
"""The integration targets' sandbox helper (setup_sandbox, also used by `make demo`) starts and stops cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DAEMON = REPO_ROOT / "tests" / "integration" / "targets" / "setup_sandbox" / "files" / "sandbox_daemon.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(DAEMON), *args], capture_output=True, text=True, timeout=60, check=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_start_serves_the_api_and_stop_ends_both_processes(tmp_path: Path) -> None:
    pid_file = str(tmp_path / "sandbox.pid")
    started = _run("start", "--pid-file", pid_file, "--root", str(REPO_ROOT), "--workdir", str(tmp_path / "w"))
    assert started.returncode == 0, started.stdout + started.stderr
    answer = json.loads(started.stdout)
    try:
        with urllib.request.urlopen(answer["control_url"] + "/requests", timeout=10) as response:
            assert json.load(response) == []
        assert answer["api_url"] == answer["root_url"] + "/api/v1"
    finally:
        stopped = _run("stop", "--pid-file", pid_file)
    assert stopped.returncode == 0, stopped.stdout
    deadline = time.monotonic() + 10
    while (_alive(answer["pid"]) or _alive(answer["sandbox_pid"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(answer["sandbox_pid"]) and not _alive(answer["pid"])
    assert not Path(pid_file).exists()


def test_a_missing_sandbox_package_is_a_clear_error(tmp_path: Path) -> None:
    started = _run("start", "--pid-file", str(tmp_path / "p"), "--root", str(tmp_path), "--workdir", str(tmp_path))
    assert started.returncode == 1
    assert json.loads(started.stdout) == {"error": f"no sandbox package under {tmp_path}"}
