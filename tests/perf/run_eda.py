# SPDX-License-Identifier: GPL-3.0-or-later
"""`make eda`: a sandbox, and the rulebook extensions/eda/rulebooks/domain_guard.yml guarding it, for a person to try.

Starts a sandbox on a free port, exports its policy with playbooks/export_policy.yml, and runs ansible-rulebook in
the foreground with that policy and a 5-second interval. It prints the commands that change the account outside
Ansible (through the sandbox's control API); the guard puts the domains back. Ctrl-C stops both.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _perf import REPO_ROOT, ansible_environment, run_playbook, start_sandbox

BIN_DIR = Path(sys.executable).parent
INTERVAL = 5


def main() -> int:
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        print("ansible-rulebook needs Java 17: install it (openjdk-17-jre-headless) or set JAVA_HOME", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="vpsorg-eda-") as name:
        workdir = Path(name)
        sandbox = start_sandbox(workdir / "sandbox")
        try:
            env = ansible_environment(sandbox.api_url, sandbox.token)
            policy_file = workdir / "portfolio_policy.yml"
            rc, _seconds, output = run_playbook(
                REPO_ROOT / "playbooks" / "export_policy.yml", env, ["-e", f"export_dest={policy_file}"]
            )
            if rc != 0:
                print(output, file=sys.stderr)
                return rc
            variables = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
            variables["domain_guard_interval"] = INTERVAL
            variables_file = workdir / "variables.yml"
            variables_file.write_text(yaml.safe_dump(variables), encoding="utf-8")
            inventory = workdir / "inventory.yml"
            inventory.write_text(
                "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                f"      ansible_python_interpreter: {sys.executable}\n",
                encoding="utf-8",
            )
            control = f"{sandbox.root_url}/_sandbox/domains"
            _status, _headers, body = sandbox.api("GET", "domains/")
            ids = {item["domain_name"]: item["id"] for item in body["results"]}
            print(
                f"""
Sandbox: {sandbox.api_url} (token {sandbox.token}); policy exported to {policy_file.name}.
The guard polls every {INTERVAL} s. In another terminal, change the account outside Ansible:

  curl -X PATCH -H 'Content-Type: application/json' -d '{{"locked": false}}' {control}/{ids["example-shop.com"]}
  curl -X PATCH -H 'Content-Type: application/json' \\
       -d '{{"nameservers": ["ns1.evil.example", "ns2.evil.example"]}}' {control}/{ids["example-labs.io"]}

(example-shop.com unlocked, example-labs.io moved to other nameservers) and watch the guard run
playbooks/remediate.yml for each. Ctrl-C stops it.
""",
                flush=True,
            )
            command = [
                str(BIN_DIR / "ansible-rulebook"),
                "-i",
                str(inventory),
                "-r",
                "vpsorg.domains.domain_guard",
                "-e",
                str(variables_file),
                "--print-events",
            ]
            process = subprocess.Popen(command, cwd=str(workdir), env=env)  # pylint: disable=consider-using-with
            try:
                return process.wait()
            except KeyboardInterrupt:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                return 0
        finally:
            sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
