# SPDX-License-Identifier: GPL-3.0-or-later
"""Every secret option of every module (and of the role) is no_log, read from the specs the modules really use."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULE_NAMES = sorted(path.stem for path in (REPO_ROOT / "plugins" / "modules").glob("*.py"))
# Options that carry a secret by name, whatever module they appear in.
KNOWN_SECRETS = {"api_token", "auth_code"}
SECRET_PATTERN = re.compile(r"token|auth_code|password|passwd|secret|passphrase|private_key|epp")
# Secret options each module must have, so that a module losing one (or renaming it) is noticed.
REQUIRED_SECRETS = {name: {"api_token"} for name in MODULE_NAMES}
REQUIRED_SECRETS["vps_domain_transfer"] = {"api_token", "auth_code"}


class _Captured(Exception):
    """Raised by the stand-in AnsibleModule constructor to hand the argument spec back to the test."""

    def __init__(self, kwargs: Dict[str, Any]) -> None:
        super().__init__("argument spec captured")
        self.kwargs = kwargs


def _spec_of(module_name: str, monkeypatch: pytest.MonkeyPatch) -> Dict[str, Any]:
    """The argument spec the module passes to AnsibleModule when it runs (connection options included)."""
    from ansible.module_utils import basic

    def _capture(self: Any, *args: Any, **kwargs: Any) -> None:
        if args:
            kwargs["argument_spec"] = args[0]
        raise _Captured(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "__init__", _capture)
    module = importlib.import_module(f"ansible_collections.vpsorg.domains.plugins.modules.{module_name}")
    with pytest.raises(_Captured) as captured:
        module.main()
    return captured.value.kwargs["argument_spec"]


def _walk(spec: Dict[str, Any], prefix: str = ""):
    """(dotted option name, option dict) for every option, suboptions included."""
    for name, option in spec.items():
        yield prefix + name, option
        if option.get("options"):
            yield from _walk(option["options"], prefix + name + ".")


def test_there_are_modules() -> None:
    assert {"vps_domain", "vps_domain_info", "vps_domain_transfer", "vps_portfolio"} <= set(MODULE_NAMES)


@pytest.mark.parametrize("module_name", MODULE_NAMES)
def test_secret_options_are_no_log(module_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec_of(module_name, monkeypatch)
    secret_options = {
        name: option
        for name, option in _walk(spec)
        if name.rsplit(".", 1)[-1] in KNOWN_SECRETS or SECRET_PATTERN.search(name.rsplit(".", 1)[-1])
    }
    missing = REQUIRED_SECRETS[module_name] - set(secret_options)
    assert not missing, f"{module_name} lacks the secret options {sorted(missing)}"
    not_hidden = sorted(name for name, option in secret_options.items() if option.get("no_log") is not True)
    assert not not_hidden, f"{module_name}: secret options without no_log=True: {not_hidden}"


@pytest.mark.parametrize("module_name", MODULE_NAMES)
def test_aliases_of_secrets_are_not_secret_names_without_no_log(
    module_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An alias shares its option's no_log, but an option that is not secret must not be aliased to a secret name.
    spec = _spec_of(module_name, monkeypatch)
    for name, option in _walk(spec):
        for alias in option.get("aliases") or ():
            if alias in KNOWN_SECRETS or SECRET_PATTERN.search(alias):
                assert option.get("no_log") is True, f"{module_name}: {name} has the secret alias {alias}"


def test_connection_spec_hides_the_token() -> None:
    from ansible_collections.vpsorg.domains.plugins.module_utils._base import connection_argument_spec

    spec = connection_argument_spec()
    assert spec["api_token"]["no_log"] is True
    assert spec["api_token"]["fallback"][1] == ["VPSORG_API_TOKEN"]


def test_client_repr_never_shows_the_token() -> None:
    from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiClient

    token = "tok-repr-Q7vX2mZ9"
    client = ApiClient(token, "http://127.0.0.1:9/api/v1")
    try:
        shown = " ".join((repr(client), str(client), repr(client.session.auth), repr(vars(client.session))))
    finally:
        client.close()
    assert token not in shown


def test_role_secret_variables_are_no_log() -> None:
    specs_file = REPO_ROOT / "roles" / "portfolio" / "meta" / "argument_specs.yml"
    if not specs_file.exists():
        pytest.fail(f"{specs_file.relative_to(REPO_ROOT)} is missing")
    specs = yaml.safe_load(specs_file.read_text(encoding="utf-8"))["argument_specs"]
    for entry_point, entry in specs.items():
        for name, option in _walk(entry.get("options") or {}):
            if SECRET_PATTERN.search(name.rsplit(".", 1)[-1]):
                assert option.get("no_log") is True, f"role portfolio ({entry_point}): {name} is a secret"
