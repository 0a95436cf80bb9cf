# SPDX-License-Identifier: GPL-3.0-or-later
"""Write every module's EXAMPLES as a playbook into a directory, so ansible-lint checks the documented examples."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any, List

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, the layout ansible-lint's yaml rule expects."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _examples(module: Path) -> List[Any]:
    """The module's EXAMPLES (a list of tasks), read without importing it."""
    tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "EXAMPLES" for target in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value)) or []
    raise SystemExit(f"{module}: no EXAMPLES")


def main(argv: List[str]) -> int:
    """Write <module>.yml playbooks into the directory given as the only argument."""
    if len(argv) != 1:
        print("usage: module_examples.py OUTPUT_DIR", file=sys.stderr)
        return 2
    output = Path(argv[0])
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob("*.yml"):
        stale.unlink()
    for module in sorted((REPO_ROOT / "plugins" / "modules").glob("*.py")):
        play = [{"name": f"Examples of {module.stem}", "hosts": "localhost", "gather_facts": False}]
        play[0]["tasks"] = _examples(module)
        text = yaml.dump(play, Dumper=_IndentedDumper, sort_keys=False, width=200)
        (output / f"{module.stem}.yml").write_text("---\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
