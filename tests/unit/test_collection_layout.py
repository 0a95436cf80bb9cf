# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's metadata agrees with its modules: action group, shared doc fragment, runtime claims."""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path
from typing import List

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES_DIR = REPO_ROOT / "plugins" / "modules"


def _module_names() -> List[str]:
    return sorted(path.stem for path in MODULES_DIR.glob("*.py") if not path.name.startswith("_"))


def _documentation(path: Path) -> dict:
    """The module's DOCUMENTATION block, read without importing the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "DOCUMENTATION" for target in node.targets
        ):
            return yaml.safe_load(ast.literal_eval(node.value))
    raise AssertionError(f"{path.name} has no DOCUMENTATION")


@pytest.fixture(scope="module")
def runtime() -> dict:
    return yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))


def test_there_are_modules():
    assert _module_names(), "plugins/modules/ holds no module"


def test_action_group_all_lists_every_module(runtime):
    assert sorted(runtime["action_groups"]["all"]) == _module_names()


def test_requires_ansible_is_the_oldest_version_tested(runtime):
    assert runtime["requires_ansible"] == ">=2.16.0"


@pytest.mark.parametrize("name", _module_names())
def test_module_documentation_extends_the_connection_fragment(name):
    documentation = _documentation(MODULES_DIR / f"{name}.py")
    assert documentation["module"] == name
    fragments = documentation.get("extends_documentation_fragment") or []
    if isinstance(fragments, str):
        fragments = [fragments]
    assert "vpsorg.domains.connection" in fragments


@pytest.mark.parametrize("name", _module_names())
def test_module_uses_the_shared_connection_glue(name):
    # A module that builds its own AnsibleModule would miss the connection options the fragment documents.
    source = (MODULES_DIR / f"{name}.py").read_text(encoding="utf-8")
    assert "create_module(" in source


def test_galaxy_metadata_matches_the_runtime():
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert (galaxy["namespace"], galaxy["name"]) == ("vpsorg", "domains")
    ignored = set(galaxy["build_ignore"])
    for dev_only in ("sandbox", ".venv", ".sandbox", "tests/output", "docs/build"):
        assert dev_only in ignored


def test_sanity_has_no_ignore_files():
    # Every sanity finding is fixed, never ignored; galaxy-importer also warns about ignore files.
    assert not list((REPO_ROOT / "tests" / "sanity").glob("ignore-*.txt"))


def test_execution_environment_names_the_runtime_requirements():
    ee = yaml.safe_load((REPO_ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    requirements = REPO_ROOT / ee["dependencies"]["python"]
    names = {
        line.split(">")[0].split("=")[0].split("<")[0].strip()
        for line in requirements.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"requests", "idna"} <= names


@pytest.mark.parametrize("shipped", ["plugins", "roles", "playbooks", "meta", "extensions", "docs/docsite"])
def test_build_ignore_keeps_what_the_collection_ships(shipped):
    # ansible-galaxy matches build_ignore with fnmatch against every file's and directory's relative path, and
    # fnmatch's * crosses "/", so a loose pattern can silently drop content from the artifact.
    patterns = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text(encoding="utf-8"))["build_ignore"]
    dropped = []
    for path in (REPO_ROOT / shipped).rglob("*"):
        relative = path.relative_to(REPO_ROOT).as_posix()
        if "__pycache__" in relative:
            continue
        if any(fnmatch.fnmatch(relative, pattern) for pattern in patterns):
            dropped.append(relative)
    assert not dropped
