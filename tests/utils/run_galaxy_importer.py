# SPDX-License-Identifier: GPL-3.0-or-later
"""Run galaxy-importer over a built collection artifact and fail on any warning or error it reports."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

# galaxy-importer prints INFO lines bare and everything else as "LEVEL: message".
_PROBLEM_PREFIXES = ("WARNING:", "ERROR:", "CRITICAL:")


def main(argv: list[str]) -> int:
    """Import the artifact named on the command line; 0 only for a clean import."""
    if len(argv) != 1:
        print("usage: run_galaxy_importer.py NAMESPACE-NAME-VERSION.tar.gz", file=sys.stderr)
        return 2
    artifact = Path(argv[0]).resolve()
    with tempfile.TemporaryDirectory(prefix="galaxy-importer-") as workdir:
        # The importer writes importer_result.json into its working directory.
        completed = subprocess.run(
            [sys.executable, "-m", "galaxy_importer.main", str(artifact)],
            cwd=workdir,
            capture_output=True,
            text=True,
            check=False,
        )
        result_file = Path(workdir) / "importer_result.json"
        result = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else None
    output = completed.stdout + completed.stderr
    print(output, end="")
    problems = [line for line in output.splitlines() if line.startswith(_PROBLEM_PREFIXES)]
    if completed.returncode != 0 or result is None:
        print(f"galaxy-importer failed (exit {completed.returncode})", file=sys.stderr)
        return 1
    if problems:
        print(f"galaxy-importer reported {len(problems)} problem(s):", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 1
    contents = sorted(f"{item['content_type']}:{item['name']}" for item in result.get("contents", []))
    print(f"galaxy-importer: clean import of {artifact.name}: {', '.join(contents)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
