# SPDX-License-Identifier: GPL-3.0-or-later
"""vps_domain and vps_domain_info as ansible-doc shows them, and their options against the design's tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils._base import connection_argument_spec
from ansible_collections.vpsorg.domains.plugins.modules import vps_domain, vps_domain_info

COLLECTIONS_PATH = Path(__file__).resolve().parents[2] / ".build" / "collections"
ANSIBLE_DOC = Path(sys.executable).with_name("ansible-doc")

# The public interface: option -> (type, default, aliases, choices). A change here breaks playbooks.
VPS_DOMAIN_OPTIONS = {
    "name": ("str", None, ["domain_name"], None),
    "state": ("str", "present", None, ["present", "absent"]),
    "allow_registration": ("bool", False, None, None),
    "years": ("int", None, None, None),
    "auto_renew": ("bool", None, None, None),
    "privacy_protection": ("bool", None, None, None),
    "locked": ("bool", None, None, None),
    "nameservers": ("list", None, None, None),
    "wait": ("bool", False, None, None),
    "wait_timeout": ("int", 900, None, None),
    "max_cost": ("float", None, None, None),
    "prices": ("dict", None, None, None),
}
VPS_DOMAIN_INFO_OPTIONS = {
    "name": ("str", None, None, None),
    "status": ("str", None, None, ["active", "pending", "expired", "locked"]),
    "search": ("str", None, None, None),
    "expiring_within_days": ("int", None, None, None),
    "as_policy": ("bool", False, None, None),
}
CONNECTION_OPTIONS = {
    "api_token": ("str", None, None, None),
    "api_url": ("str", "https://admin.vps.org/api/v1", None, None),
    "validate_certs": ("bool", True, None, None),
    "ca_path": ("path", None, None, None),
    "api_timeout": ("int", 30, None, None),
}
CONNECTION_ENV = {
    "api_token": "VPSORG_API_TOKEN",
    "api_url": "VPSORG_API_URL",
    "validate_certs": "VPSORG_VALIDATE_CERTS",
    "ca_path": "VPSORG_CA_PATH",
    "api_timeout": "VPSORG_API_TIMEOUT",
}
MODULES = {
    "vps_domain": (vps_domain, VPS_DOMAIN_OPTIONS),
    "vps_domain_info": (vps_domain_info, VPS_DOMAIN_INFO_OPTIONS),
}


def _shape(option: Dict[str, Any]) -> tuple:
    return (option.get("type", "str"), option.get("default"), option.get("aliases"), option.get("choices"))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_argument_spec_is_the_designed_interface(name: str) -> None:
    module, options = MODULES[name]
    assert {key: _shape(option) for key, option in module.ARGUMENT_SPEC.items()} == options
    assert {key: _shape(option) for key, option in connection_argument_spec().items()} == CONNECTION_OPTIONS
    if name == "vps_domain":
        assert module.ARGUMENT_SPEC["name"]["required"] is True
        assert module.ARGUMENT_SPEC["nameservers"]["elements"] == "str"


@pytest.fixture(scope="module")
def ansible_doc() -> Dict[str, Any]:
    """`ansible-doc --json` of both modules, run the way a user runs it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH), "ANSIBLE_NOCOLOR": "1"})
    names = [f"vpsorg.domains.{name}" for name in sorted(MODULES)]
    done = subprocess.run(
        [str(ANSIBLE_DOC), "--json", "-t", "module", *names],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # A broken fragment or bad YAML shows up as a warning while the JSON may still be printed.
    assert "WARNING" not in done.stderr and "ERROR" not in done.stderr, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_ansible_doc_shows_every_option_with_its_design_default(ansible_doc: Dict[str, Any], name: str) -> None:
    entry = ansible_doc[f"vpsorg.domains.{name}"]
    doc = entry["doc"]
    assert doc["short_description"]
    assert doc["description"]
    expected = dict(CONNECTION_OPTIONS, **MODULES[name][1])
    options = doc["options"]
    assert set(options) == set(expected)
    for option, (kind, default, aliases, choices) in expected.items():
        shown = options[option]
        assert shown["description"], option
        assert shown.get("type", "str") == kind, option
        assert shown.get("default") == default, option
        assert shown.get("aliases") == aliases, option
        assert shown.get("choices") == choices, option
    # The connection fragment tells the user which environment variable stands in for each option.
    for option, variable in CONNECTION_ENV.items():
        assert variable in json.dumps(options[option]["description"]), option
    # Not `required` to Ansible (the module checks it, naming VPSORG_API_TOKEN too); the description says so.
    assert options["api_token"].get("required", False) is False
    assert "required" in json.dumps(options["api_token"]["description"])
    assert entry["examples"].strip()
    assert "domains" in entry["return"] or "domain" in entry["return"]
