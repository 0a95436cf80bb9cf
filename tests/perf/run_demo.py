# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`: start a throw-away sandbox, run playbooks/demo.yml against it, and stop the sandbox again."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _perf import REPO_ROOT, ansible_environment, run_playbook, start_sandbox

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
        sandbox = start_sandbox(Path(workdir), "--activation-delay", options.activation_delay)
        try:
            print(INTRO.format(url=sandbox.api_url), flush=True)
            env = ansible_environment(sandbox.api_url, sandbox.token, options.collections_path)
            rc, seconds, _output = run_playbook(REPO_ROOT / "playbooks" / "demo.yml", env, capture=False)
            if rc == 0:
                print(OUTRO_OK + f"(the playbook took {seconds:.1f} s)", flush=True)
            else:
                print(OUTRO_FAILED.format(rc=rc, log=sandbox.log()[-3000:]), flush=True)
            return rc
        finally:
            sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
