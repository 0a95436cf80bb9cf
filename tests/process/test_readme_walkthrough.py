# SPDX-License-Identifier: GPL-3.0-or-later
"""README.md's "Trying it on the sandbox", followed literally in a fresh copy of the tree.

The section's first shell block starts the sandbox (`make sandbox`, here on a free port through SANDBOX_PORT, as
the README says to do when 8080 is taken); the next one is run as it is written, in bash with -e, in a second
"terminal" that shares nothing with this test's environment but PATH, HOME and SANDBOX_PORT. The lean
`.venv-demo` that `make sandbox` would install is this test's own venv (no download in a test).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Trying it on the sandbox"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def shell_blocks(readme: str, heading: str) -> List[str]:
    """The ```bash blocks of one README section, in order."""
    start = readme.index(heading)
    end = readme.find("\n## ", start + len(heading))
    section = readme[start : end if end != -1 else len(readme)]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_copy(destination: Path) -> Path:
    """The files git knows (committed or not, ignored ones left out), as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (item.decode() for item in listed)):
        source = REPO_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture
def checkout(tmp_path: Path) -> Iterator[Path]:
    if shutil.which("git") is None or shutil.which("make") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git, make and a git checkout")
    tree = fresh_copy(tmp_path / "clone")
    # `make sandbox` installs .venv-demo (ansible-core, requests, idna): this test's venv has all three, so the
    # copy's .venv-demo is a venv over the same files, with a stamp newer than requirements.txt: make sees it as
    # installed and installs nothing.
    demo = tree / ".venv-demo"
    demo.mkdir()
    for part in ("bin", "lib", "lib64"):
        if (Path(sys.prefix) / part).exists():
            (demo / part).symlink_to(Path(sys.prefix) / part, target_is_directory=True)
    shutil.copy2(Path(sys.prefix) / "pyvenv.cfg", demo / "pyvenv.cfg")
    old = time.time() - 3600
    os.utime(tree / "requirements.txt", (old, old))
    (demo / ".stamp").touch()
    yield tree


def user_environment(port: int) -> Dict[str, str]:
    """A new terminal: nothing of Ansible's or VPS.org's set; the other terminal's SANDBOX_PORT exported."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TERM") if key in os.environ}
    env["SANDBOX_PORT"] = str(port)
    return env


def control(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/{path}", timeout=10) as answer:
        return json.loads(answer.read())


def wait_for(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"make sandbox stopped: {log.read_text(encoding='utf-8')}")
        try:
            control(port, "requests")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the sandbox did not answer on {port}: {log.read_text(encoding='utf-8')}")


def test_the_readme_sandbox_walkthrough_works_as_written(checkout: Path, tmp_path: Path):
    blocks = shell_blocks((checkout / "README.md").read_text(encoding="utf-8"), SECTION)
    assert len(blocks) == 2, blocks
    server_command, user_commands = blocks
    assert server_command.split("#")[0].strip() == "make sandbox"
    port = free_port()
    env = user_environment(port)
    log = tmp_path / "sandbox.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            ["bash", "-c", server_command],
            cwd=checkout,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(port, server, log)
        completed = subprocess.run(
            ["bash", "-e", "-c", user_commands],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        journal = control(port, "requests")
        ledger = control(port, "ledger")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    # No warning at all: neither ansible-core's about the missing inventory nor any other.
    assert "[WARNING]" not in output, output
    assert "No inventory was parsed" not in output
    # The reads, the check-mode plan, the registration and the inventory play, each as the README says.
    assert "example-blog.net" in output
    assert "example-new-shop.com: would be registered (check mode), estimated 12.99 USD" in output
    assert "example-new-shop.com: registered, 12.99 USD, status active" in output
    assert "failed=0" in output and "failed=1" not in output
    # Only the real registration wrote: one POST, one charge; check mode and the reads sent no write.
    writes = [f"{entry['method']} {entry['path']}" for entry in journal if entry["method"] in WRITES]
    assert writes[0] == "POST /api/v1/domains/", writes
    assert writes.count("POST /api/v1/domains/") == 1
    assert [entry.get("domain_name") for entry in ledger] == ["example-new-shop.com"]
    # make collection-link linked the copy, not the tree this test runs from.
    link = checkout / ".build" / "collections" / "ansible_collections" / "vpsorg" / "domains"
    assert link.resolve() == checkout.resolve()
