# SPDX-License-Identifier: GPL-3.0-or-later
"""Start the VPS.org sandbox in the background for an ansible-test integration target, and stop it.

`start` forks a small supervisor that runs `python -m sandbox` on a free loopback port, prints the sandbox's
URLs as JSON once it listens, and stays behind to stop the sandbox when `stop` signals it or when the
ansible-playbook process that started it is gone (a failed target never leaves a sandbox running).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

START_TIMEOUT = 20.0


def _ancestor_playbook() -> Optional[int]:
    """The pid of the ansible-playbook process this runs under (Linux /proc), or None.

    A task runs in a worker forked from ansible-playbook (same command line) that exits after the task: the
    process to watch is the outermost of the consecutive ansible-playbook ancestors.
    """
    pid, found = os.getppid(), None
    while pid > 1:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        if b"ansible-playbook" in cmdline:
            found = pid
        elif found is not None:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _supervise(sandbox: subprocess.Popen, watched: Optional[int]) -> None:
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while sandbox.poll() is None and not stopping and (watched is None or _alive(watched)):
        time.sleep(0.5)
    if sandbox.poll() is None:
        sandbox.terminate()
        try:
            sandbox.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sandbox.kill()
            sandbox.wait()


def start(options: argparse.Namespace) -> int:
    root = Path(options.root)
    if not (root / "sandbox" / "__main__.py").is_file():
        print(json.dumps({"error": f"no sandbox package under {root}"}))
        return 1
    workdir = Path(options.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "sandbox.log"
    watched = _ancestor_playbook()
    read_end, write_end = os.pipe()
    if os.fork():
        os.close(write_end)
        with os.fdopen(read_end) as report:
            answer = report.read()
        print(answer or json.dumps({"error": "the sandbox supervisor exited without a report"}))
        return 0 if answer and "error" not in json.loads(answer) else 1
    # The supervisor: its own session, no tie to the module's stdout (the task would wait for it otherwise).
    os.close(read_end)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    command = [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", "0"]
    command += ["--db", str(workdir / "sandbox.sqlite3"), "--activation-delay", str(options.activation_delay)]
    with open(log_path, "ab") as log:
        sandbox = subprocess.Popen(command, cwd=str(root), stdout=log, stderr=subprocess.STDOUT, stdin=devnull)
    report: dict = {"error": f"the sandbox did not start within {START_TIMEOUT:.0f} s; see {log_path}"}
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and sandbox.poll() is None:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        url = next((line.split(": ", 1)[1] for line in lines if line.startswith("API URL: ")), None)
        if url:
            base = url.rsplit("/api/", 1)[0]
            report = {"api_url": url, "root_url": base, "control_url": base + "/_sandbox", "pid": os.getpid()}
            report["sandbox_pid"] = sandbox.pid
            break
        time.sleep(0.05)
    Path(options.pid_file).write_text(str(os.getpid()), encoding="utf-8")
    with os.fdopen(write_end, "w") as channel:
        channel.write(json.dumps(report))
    if "error" in report:
        _supervise_stop(sandbox)
        os._exit(1)
    _supervise(sandbox, watched)
    os._exit(0)


def _supervise_stop(sandbox: subprocess.Popen) -> None:
    if sandbox.poll() is None:
        sandbox.kill()
        sandbox.wait()


def stop(options: argparse.Namespace) -> int:
    pid_file = Path(options.pid_file)
    if not pid_file.exists():
        print(json.dumps({"stopped": False}))
        return 0
    pid = int(pid_file.read_text(encoding="utf-8"))
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    pid_file.unlink()
    print(json.dumps({"stopped": True, "pid": pid}))
    return 0 if not _alive(pid) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--pid-file", required=True)
    parser.add_argument("--root", help="the repository that holds the sandbox package")
    parser.add_argument("--workdir", help="where the sandbox keeps its store and log")
    parser.add_argument("--activation-delay", default="1")
    options = parser.parse_args()
    return start(options) if options.action == "start" else stop(options)


if __name__ == "__main__":
    sys.exit(main())
