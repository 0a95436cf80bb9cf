# SPDX-License-Identifier: GPL-3.0-or-later
"""What the demo and the benchmark share: a sandbox process on a free port, and timed ansible-playbook runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# The fixture class of the test suite: starts `python -m sandbox --port 0`, parses the printed API URL, and
# drives the control API.
from tests.conftest import Sandbox  # noqa: E402


def start_sandbox(workdir: Path, *args: str) -> Sandbox:
    """A sandbox process with its store in `workdir`; `args` override the test suite's start options."""
    sandbox = Sandbox(workdir, extra_args=tuple(args))
    sandbox.start()
    return sandbox


def ansible_environment(
    api_url: str, token: str, collections_path: Optional[str] = None, **extra: str
) -> Dict[str, str]:
    """The environment of an ansible-playbook run against the sandbox, without stray VPSORG_* settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VPSORG_")}
    env.update(
        {
            "PATH": f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}",
            "VPSORG_API_URL": api_url,
            "VPSORG_API_TOKEN": token,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
        }
    )
    if collections_path is not None:
        env["ANSIBLE_COLLECTIONS_PATH"] = collections_path
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO_ROOT / ".build" / "collections"))
    env.update(extra)
    return env


def run_playbook(
    playbook: Path, env: Dict[str, str], args: Sequence[str] = (), *, capture: bool = True
) -> Tuple[int, float, str]:
    """Run ansible-playbook on the implicit localhost (so modules run with this Python); (rc, seconds, output)."""
    command = [str(BIN_DIR / "ansible-playbook"), str(playbook), *args]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        env=env,
        cwd=str(REPO_ROOT),
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        text=True,
        check=False,
    )
    return completed.returncode, time.perf_counter() - started, completed.stdout or ""
