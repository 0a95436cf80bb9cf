# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX credential type injects exactly the environment variables the modules fall back to."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO_ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_TYPE = REPO_ROOT / "extensions" / "awx" / "credential_type_vpsorg.yml"
DOC_FRAGMENT = REPO_ROOT / "plugins" / "doc_fragments" / "connection.py"


def _connection_spec() -> Dict[str, Dict[str, Any]]:
    """The modules' connection argument spec, imported from the collection."""
    from ansible_collections.vpsorg.domains.plugins.module_utils._base import connection_argument_spec

    return connection_argument_spec()


def _env_fallbacks(option: Dict[str, Any]) -> List[str]:
    """The environment variable names an option's env_fallback reads (empty when it has none)."""
    from ansible.module_utils.basic import env_fallback

    fallback = option.get("fallback")
    if not fallback or fallback[0] is not env_fallback:
        return []
    return list(fallback[1])


@pytest.fixture(scope="module")
def credential_type() -> Dict[str, Any]:
    return yaml.safe_load(CREDENTIAL_TYPE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spec() -> Dict[str, Dict[str, Any]]:
    return _connection_spec()


def _injected_field(template: str) -> str:
    """The single input field an injector template renders, e.g. "{{ api_token }}" -> "api_token"."""
    match = re.fullmatch(r"\{\{\s*([a-z_]+)\s*\}\}", template)
    assert match, f"injector template {template!r} should render exactly one input field"
    return match.group(1)


def test_injectors_are_the_env_fallbacks_of_the_same_options(credential_type, spec):
    injectors = credential_type["injectors"]["env"]
    for env_name, template in injectors.items():
        field = _injected_field(template)
        assert field in spec, f"{env_name} injects {field!r}, which is not a connection option of the modules"
        assert env_name in _env_fallbacks(spec[field]), (
            f"{env_name} is injected for {field}, but the modules read {field} from {_env_fallbacks(spec[field])}"
        )


def test_injects_token_url_and_ca_path(credential_type, spec):
    injected = {
        _injected_field(template): env_name for env_name, template in credential_type["injectors"]["env"].items()
    }
    expected = {
        option: _env_fallbacks(spec[option])[0] for option in ("api_token", "api_url", "ca_path") if option in spec
    }
    assert injected == expected
    assert set(injected.values()) == {"VPSORG_API_TOKEN", "VPSORG_API_URL", "VPSORG_CA_PATH"}


def test_inputs_match_the_injectors(credential_type, spec):
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    injected = {_injected_field(t) for t in credential_type["injectors"]["env"].values()}
    assert set(fields) == injected, "every input is injected and every injected value is an input"
    assert fields["api_token"].get("secret") is True
    assert spec["api_token"].get("no_log") is True
    assert "api_token" in credential_type["inputs"]["required"]
    assert fields["api_url"]["default"] == spec["api_url"]["default"]
    assert credential_type["kind"] == "cloud"
    for field in fields.values():
        assert field.get("type", "string") == "string"
        assert field["label"] and field["help_text"]


def test_doc_fragment_names_every_injected_variable(credential_type):
    documentation = DOC_FRAGMENT.read_text(encoding="utf-8")
    for env_name in credential_type["injectors"]["env"]:
        assert f"C({env_name})" in documentation


def test_injectors_render_as_awx_renders_them(credential_type):
    # AWX renders each injector in a sandboxed Jinja environment with the credential's inputs; an input left
    # empty renders as an empty string, which the modules must treat as unset.
    environment = ImmutableSandboxedEnvironment()
    inputs = {"api_token": "s3cret", "api_url": "https://api.example.test/api/v1"}
    rendered = {
        name: environment.from_string(template).render(**inputs)
        for name, template in credential_type["injectors"]["env"].items()
    }
    assert rendered == {
        "VPSORG_API_TOKEN": "s3cret",
        "VPSORG_API_URL": "https://api.example.test/api/v1",
        "VPSORG_CA_PATH": "",
    }
