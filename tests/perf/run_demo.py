# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`: start a throw-away sandbox, run playbooks/demo.yml against it, and stop the sandbox again.

It needs only ansible-core and the collection's requirements (no test tools): the sandbox is started and stopped
by the integration targets' own helper (tests/integration/targets/setup_sandbox/files/sandbox_daemon.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
SANDBOX_DAEMON = REPO_ROOT / "tests" / "integration" / "targets" / "setup_sandbox" / "files" / "sandbox_daemon.py"
DEMO_TOKEN = "sandbox-demo-token"

INTRO = """
== vpsorg.domains demo ==
A local sandbox that speaks the VPS.org Domains API is running at {url}
(a temporary store with the demo account and four sample domains; nothing costs money).
playbooks/demo.yml now runs against it with the collection installed from its built artifact:
  1. read the account,
  2. apply a policy with the vpsorg.domains.portfolio role and print its report,
  3. register a domain and wait until it is active,
  4. run the same policy again: it changes nothing.
"""

OUTRO_OK = """
== The demo passed ==
Next steps:
  - the same playbooks against your own sandbox:  make sandbox  (then see README.md, "Trying it on the sandbox")
  - the nightly job:                              playbooks/portfolio.yml  (playbooks/README.md)
  - against the real API: set VPSORG_API_TOKEN to your account's token and leave VPSORG_API_URL unset.
"""

OUTRO_FAILED = """
== The demo failed (ansible-playbook exit code {rc}) ==
The output above names the task that failed. The sandbox's log:
{log}
"""


def _stop_on_signal(signum: int, _frame: object) -> None:
    # Turn SIGTERM/SIGHUP into an exit that runs the `finally` below, so the sandbox never outlives the demo.
    raise SystemExit(128 + signum)


def _daemon(*args: str) -> dict:
    completed = subprocess.run(
        [sys.executable, str(SANDBOX_DAEMON), *args], capture_output=True, text=True, check=False
    )
    answer = json.loads(completed.stdout or "{}")
    if completed.returncode != 0:
        raise SystemExit(f"the sandbox did not start: {answer.get('error', completed.stderr)}")
    return answer


def _environment(api_url: str, collections_path: str) -> dict:
    """ansible-playbook's environment: the sandbox as the API, the installed collection, no stray settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VPSORG_")}
    env.update(
        {
            "PATH": f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}",
            "VPSORG_API_URL": api_url,
            "VPSORG_API_TOKEN": DEMO_TOKEN,
            "ANSIBLE_COLLECTIONS_PATH": collections_path,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
        }
    )
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--collections-path",
        default=os.environ.get("ANSIBLE_COLLECTIONS_PATH"),
        help="where the collection is installed (default: $ANSIBLE_COLLECTIONS_PATH)",
    )
    parser.add_argument("--activation-delay", default="3", help="seconds a registration stays pending")
    options = parser.parse_args()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)

    with tempfile.TemporaryDirectory(prefix="vpsorg-demo-") as workdir:
        sandbox_dir, pid_file = Path(workdir) / "sandbox", str(Path(workdir) / "sandbox.pid")
        args = ["--pid-file", pid_file, "--root", str(REPO_ROOT), "--workdir", str(sandbox_dir)]
        sandbox = _daemon("start", *args, "--activation-delay", options.activation_delay)
        try:
            print(INTRO.format(url=sandbox["api_url"]), flush=True)
            env = _environment(sandbox["api_url"], options.collections_path or "")
            started = time.perf_counter()
            rc = subprocess.run(
                [str(BIN_DIR / "ansible-playbook"), str(REPO_ROOT / "playbooks" / "demo.yml")],
                env=env,
                cwd=str(REPO_ROOT),
                check=False,
            ).returncode
            if rc == 0:
                print(OUTRO_OK + f"(the playbook took {time.perf_counter() - started:.1f} s)", flush=True)
            else:
                log = (sandbox_dir / "sandbox.log").read_text(encoding="utf-8", errors="replace")
                print(OUTRO_FAILED.format(rc=rc, log=log[-3000:]), flush=True)
            return rc
        finally:
            _daemon("stop", "--pid-file", pid_file)


if __name__ == "__main__":
    sys.exit(main())
