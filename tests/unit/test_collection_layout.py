# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's metadata agrees with its plugins: action group, shared doc fragments, runtime claims."""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path
from typing import List

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGINS_DIR = REPO_ROOT / "plugins"
MODULES_DIR = PLUGINS_DIR / "modules"
# Plugin types that are not modules: documented plugins, never in the modules' action group.
OTHER_PLUGIN_TYPES = ("inventory", "lookup", "filter", "test", "callback", "connection")
# What each documented plugin type must extend besides its own options.
REQUIRED_FRAGMENTS = {
    "modules": {"vpsorg.domains.connection"},
    "inventory": {
        "vpsorg.domains.inventory_connection",
        "ansible.builtin.constructed",
        "ansible.builtin.inventory_cache",
    },
}


def _plugin_names(directory: Path) -> List[str]:
    return sorted(path.stem for path in directory.glob("*.py") if not path.name.startswith("_"))


def _module_names() -> List[str]:
    return _plugin_names(MODULES_DIR)


# Filter and test plugins keep several plugins in one file, each documented in a YAML file of its own name.
YAML_DOCUMENTED_TYPES = ("filter", "test")


def _other_plugins() -> List[tuple]:
    found = []
    for plugin_type in OTHER_PLUGIN_TYPES:
        directory = PLUGINS_DIR / plugin_type
        if plugin_type in YAML_DOCUMENTED_TYPES:
            names = sorted(path.stem for path in directory.glob("*.yml"))
        else:
            names = [name for name in _plugin_names(directory) if name != "__init__"]
        found.extend((plugin_type, name) for name in names)
    return found


def _plugin_documentation(plugin_type: str, name: str) -> dict:
    if plugin_type in YAML_DOCUMENTED_TYPES:
        return yaml.safe_load((PLUGINS_DIR / plugin_type / f"{name}.yml").read_text(encoding="utf-8"))["DOCUMENTATION"]
    return _documentation(PLUGINS_DIR / plugin_type / f"{name}.py")


def _fragments_of(documentation: dict) -> List[str]:
    fragments = documentation.get("extends_documentation_fragment") or []
    return [fragments] if isinstance(fragments, str) else list(fragments)


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


def test_there_is_an_inventory_plugin():
    assert ("inventory", "domains") in _other_plugins()


def test_the_action_group_holds_modules_only(runtime):
    # module_defaults groups apply to modules; a plugin of another type listed there would be a broken reference.
    others = {name for _plugin_type, name in _other_plugins()} - set(_module_names())
    assert not others & set(runtime["action_groups"]["all"])


@pytest.mark.parametrize(("plugin_type", "name"), _other_plugins())
def test_other_plugins_are_documented_with_their_fragments(plugin_type, name):
    documentation = _plugin_documentation(plugin_type, name)
    assert documentation["name"] == name
    assert documentation.get("version_added"), "new plugins say since when they exist"
    assert REQUIRED_FRAGMENTS.get(plugin_type, set()) <= set(_fragments_of(documentation))
    if plugin_type == "inventory":
        assert documentation["options"]["plugin"]["choices"] == [f"vpsorg.domains.{name}"]


def test_every_doc_fragment_is_used():
    used = set()
    for name in _module_names():
        used.update(_fragments_of(_documentation(MODULES_DIR / f"{name}.py")))
    for plugin_type, name in _other_plugins():
        used.update(_fragments_of(_plugin_documentation(plugin_type, name)))
    fragments = {f"vpsorg.domains.{name}" for name in _plugin_names(PLUGINS_DIR / "doc_fragments")}
    assert fragments <= used


def test_inventory_connection_options_match_the_modules():
    # The inventory reads the same VPSORG_* variables as the modules' env_fallback, with the same defaults.
    from ansible_collections.vpsorg.domains.plugins.doc_fragments.inventory_connection import ModuleDocFragment
    from ansible_collections.vpsorg.domains.plugins.module_utils._base import connection_argument_spec

    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = connection_argument_spec()
    assert set(options) == set(spec)
    for option, argument in spec.items():
        assert [entry["name"] for entry in options[option]["env"]] == argument["fallback"][1], option
        assert options[option]["type"] == argument["type"], option
        assert options[option].get("default") == argument.get("default"), option


def test_requires_ansible_is_the_oldest_version_tested(runtime):
    assert runtime["requires_ansible"] == ">=2.16.0"


@pytest.mark.parametrize("name", _module_names())
def test_module_documentation_extends_the_connection_fragment(name):
    documentation = _documentation(MODULES_DIR / f"{name}.py")
    assert documentation["module"] == name
    assert REQUIRED_FRAGMENTS["modules"] <= set(_fragments_of(documentation))


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


def test_test_file_names_are_unique():
    # pytest imports test files by their base name (no __init__.py in tests/): two of a name break collection.
    names = [path.name for path in (REPO_ROOT / "tests").rglob("test_*.py") if "output" not in path.parts]
    assert sorted({name for name in names if names.count(name) > 1}) == []


# -- Event-Driven Ansible: extensions/eda -------------------------------------------------------------------------
EDA_DIR = REPO_ROOT / "extensions" / "eda"
EVENT_SOURCES_DIR = EDA_DIR / "plugins" / "event_source"


def _string_constant(path: Path, name: str) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} has no {name}")


def _event_sources() -> List[str]:
    return _plugin_names(EVENT_SOURCES_DIR)


def test_there_is_an_event_source():
    # galaxy-importer lists every .py under extensions/eda/plugins/event_source as an event source, when
    # meta/extensions.yml names the directory.
    assert _event_sources() == ["domain_events"]
    assert not (EVENT_SOURCES_DIR / "__init__.py").exists()
    extensions = yaml.safe_load((REPO_ROOT / "meta" / "extensions.yml").read_text(encoding="utf-8"))
    assert [entry["args"]["ext_dir"] for entry in extensions["extensions"]] == ["eda/plugins/event_source"]


@pytest.mark.parametrize("name", _event_sources())
def test_event_sources_are_written_as_ansible_eda_sources_are(name):
    path = EVENT_SOURCES_DIR / f"{name}.py"
    documentation = yaml.safe_load(_string_constant(path, "DOCUMENTATION"))
    assert documentation["short_description"] and documentation["description"]
    for option, spec in documentation["options"].items():
        assert spec.get("description") and spec.get("type"), option
    # Each example is one source entry of a rulebook, by its fully qualified name, with documented arguments only.
    for example in yaml.safe_load(_string_constant(path, "EXAMPLES")):
        assert list(example) == [f"vpsorg.domains.{name}"]
        assert set(example[f"vpsorg.domains.{name}"]) <= set(documentation["options"])
    tree = ast.parse(path.read_text(encoding="utf-8"))
    main = [node for node in tree.body if isinstance(node, ast.AsyncFunctionDef) and node.name == "main"]
    assert main and [arg.arg for arg in main[0].args.args] == ["queue", "args"]


def _rulebooks() -> List[Path]:
    return sorted((EDA_DIR / "rulebooks").glob("*.yml"))


def test_there_are_rulebooks():
    assert [path.name for path in _rulebooks()] == ["domain_guard.yml", "expiry_watch.yml"]


@pytest.mark.parametrize("path", _rulebooks(), ids=lambda path: path.name)
def test_rulebooks_use_what_the_collection_ships(path):
    sources = {f"vpsorg.domains.{name}" for name in _event_sources()}
    for ruleset in yaml.safe_load(path.read_text(encoding="utf-8")):
        for source in ruleset["sources"]:
            assert set(source) - {"name", "filters"} <= sources
        for rule in ruleset["rules"]:
            playbook = rule["action"].get("run_playbook")
            if playbook:
                namespace, collection, name = playbook["name"].split(".")
                assert (namespace, collection) == ("vpsorg", "domains")
                assert (REPO_ROOT / "playbooks" / f"{name}.yml").is_file(), playbook["name"]
