# SPDX-License-Identifier: GPL-3.0-or-later
"""The layers go one way: the rules and the reading side load no write engine of a task."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PREFIX = "ansible_collections.vpsorg.domains.plugins"
ENGINES = ("_portfolio", "_transfer")


@pytest.mark.parametrize(
    "module",
    [
        "module_utils._names",
        "module_utils._time",
        "module_utils._findings",
        "module_utils._forecast",
        "module_utils._policy",
        "module_utils._inventory",
        "module_utils._info",
        "module_utils._version",
        "module_utils._http",
        "module_utils._pages",
        "module_utils._client",
        "inventory.domains",
        "filter.portfolio",
    ],
)
def test_reading_and_rules_do_not_load_a_write_engine(module: str) -> None:
    """Imported alone, in a fresh interpreter: nothing of vps_portfolio's or vps_domain_transfer's engine loads."""
    loaded = _loaded_by(module)
    engines = [name for name in loaded if name.rsplit(".", 1)[-1] in ENGINES]
    assert engines == [], f"{module} loads {engines}"


def _loaded_by(module: str) -> list:
    """The collection's modules that importing `module` alone loads, in a fresh interpreter."""
    code = (
        "import importlib, sys\n"
        f"importlib.import_module('{PREFIX}.{module}')\n"
        f"print(' '.join(sorted(name for name in sys.modules if name.startswith('{PREFIX}.'))))\n"
    )
    # The fresh interpreter finds the collection where this one does.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    return loaded.stdout.split()


@pytest.mark.parametrize("module", ["modules.vps_domain", "module_utils._domain", "module_utils._lookup"])
def test_a_task_with_nothing_to_change_loads_no_write_engine(module: str) -> None:
    """vps_domain loads the write engine (`_engine`) on its first write only: a no-op loop item, run once per
    domain, does not compile it. Its reads before a write come from `_lookup`."""
    loaded = _loaded_by(module)
    assert f"{PREFIX}.module_utils._engine" not in loaded
    assert f"{PREFIX}.module_utils._lookup" in loaded


def test_the_write_engine_still_offers_the_lookups() -> None:
    from ansible_collections.vpsorg.domains.plugins.module_utils import _domain, _engine, _lookup

    for name in ("find_everywhere", "one_domain", "merge_domain", "complete_settings"):
        assert getattr(_engine, name) is getattr(_lookup, name)
    assert _domain._engine() is _engine


def test_account_name_has_one_home_and_the_engine_re_exports_it() -> None:
    from ansible_collections.vpsorg.domains.plugins.module_utils import _names, _portfolio

    assert _portfolio.account_name is _names.account_name
    assert _names.account_name({"domain_name": "Bücher.Example."}) == "xn--bcher-kva.example"
    assert _names.account_name({"domain_name": "bad..name"}) == "bad..name"
    assert _names.account_name({}) == ""
