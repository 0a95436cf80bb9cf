# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX credential type injects exactly the environment variables the modules fall back to, and what AWX
renders from a credential's inputs is what the modules then use as their connection options."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO_ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_TYPE = REPO_ROOT / "extensions" / "awx" / "credential_type_vpsorg.yml"
DOC_FRAGMENT = REPO_ROOT / "plugins" / "doc_fragments" / "connection.py"
AWX_GUIDE = REPO_ROOT / "docs" / "docsite" / "rst" / "guide_awx.rst"
PEM = "-----BEGIN CERTIFICATE-----\nMIIBfakeCAcertificateForTheTest\n-----END CERTIFICATE-----\n"


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


@pytest.fixture(scope="module")
def fields(credential_type) -> Dict[str, Dict[str, Any]]:
    return {field["id"]: field for field in credential_type["inputs"]["fields"]}


class _Namespace:
    """AWX's `tower` namespace: `tower.filename.<label>` is the path of a file it wrote for the job."""

    def __init__(self) -> None:
        self.filename = type("Filenames", (), {})()


def awx_render(credential_type: Dict[str, Any], inputs: Dict[str, Any], workdir: Path) -> Dict[str, str]:
    """The job environment AWX injects for a credential with these inputs (awx.main.models.credential's
    inject_credential): empty strings are left out, a boolean input not given is false, each file template is
    written to a file of its own before the env templates render."""
    environment = ImmutableSandboxedEnvironment()
    tower = _Namespace()
    namespace: Dict[str, Any] = {"tower": tower}
    for name, value in inputs.items():
        if isinstance(value, bool) or value:
            namespace[name] = value
    for field in credential_type["inputs"]["fields"]:
        if field.get("type") == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    for label, template in credential_type["injectors"].get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=workdir)
        with os.fdopen(handle, "w") as stream:
            stream.write(environment.from_string(template).render(**namespace))
        setattr(tower.filename, label.split(".", 1)[1], path)
    return {
        name: environment.from_string(template).render(**namespace)
        for name, template in credential_type["injectors"]["env"].items()
    }


def module_connection(spec: Dict[str, Dict[str, Any]], env: Dict[str, str], monkeypatch) -> Dict[str, Any]:
    """The connection options a module ends up with when it runs in this environment and the task sets none."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    for name in list(os.environ):
        if name.startswith("VPSORG_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = ArgumentSpecValidator(spec).validate({})
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def test_injectors_are_the_env_fallbacks_of_the_connection_options(credential_type, spec):
    fallbacks = {env: option for option, opts in spec.items() for env in _env_fallbacks(opts)}
    injected = set(credential_type["injectors"]["env"])
    assert injected <= set(fallbacks), f"injected but read by no option: {sorted(injected - set(fallbacks))}"
    assert {fallbacks[name] for name in injected} == {"api_token", "api_url", "ca_path", "validate_certs"}


def test_inputs_are_typed_and_documented(credential_type, fields, spec):
    assert credential_type["kind"] == "cloud"
    assert set(fields) == {"api_token", "api_url", "ca_bundle", "ca_path", "validate_certs"}
    assert fields["api_token"].get("secret") is True and spec["api_token"].get("no_log") is True
    assert fields["ca_bundle"].get("secret") is True and fields["ca_bundle"].get("multiline") is True
    assert fields["validate_certs"]["type"] == "boolean"
    assert fields["validate_certs"]["default"] is True is spec["validate_certs"]["default"]
    assert fields["api_url"]["default"] == spec["api_url"]["default"]
    assert set(credential_type["inputs"]["required"]) == {"api_token", "api_url"}
    for field in fields.values():
        assert field.get("type", "string") in ("string", "boolean")
        assert field["label"] and field["help_text"]


def test_every_input_reaches_an_injector(credential_type, fields):
    templates = list(credential_type["injectors"]["env"].values()) + list(credential_type["injectors"]["file"].values())
    for name in fields:
        assert any(name in template for template in templates), f"input {name} is never injected"


def test_templates_pass_awx_validation(credential_type, fields):
    # AWX validates a credential type by rendering every injector with every input set, undefined names fatal.
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    tower = _Namespace()
    for label in credential_type["injectors"]["file"]:
        setattr(tower.filename, label.split(".", 1)[1], "/runner/env/tmpfile")
    namespace = {name: (True if field["type"] == "boolean" else "EXAMPLE") for name, field in fields.items()}
    for template in list(credential_type["injectors"]["env"].values()) + list(
        credential_type["injectors"]["file"].values()
    ):
        environment.from_string(template).render(tower=tower, **namespace)


def test_a_pasted_ca_bundle_becomes_the_modules_ca_path(credential_type, spec, tmp_path, monkeypatch):
    inputs = {"api_token": "s3cret", "api_url": "https://api.example.test/api/v1", "ca_bundle": PEM}
    inputs["validate_certs"] = True
    env = awx_render(credential_type, inputs, tmp_path)
    connection = module_connection(spec, env, monkeypatch)
    assert Path(connection["ca_path"]).parent == tmp_path
    assert Path(connection["ca_path"]).read_text(encoding="utf-8") == PEM
    assert connection["validate_certs"] is True
    assert connection["api_token"] == "s3cret"
    assert connection["api_url"] == "https://api.example.test/api/v1"


def test_no_ca_bundle_leaves_the_system_trust_store(credential_type, spec, tmp_path, monkeypatch):
    env = awx_render(credential_type, {"api_token": "t", "api_url": "https://a.test/api/v1"}, tmp_path)
    assert env["VPSORG_CA_PATH"] == ""
    # An empty VPSORG_CA_PATH is no CA path: the modules treat a falsy ca_path as unset.
    assert not module_connection(spec, env, monkeypatch)["ca_path"]


def test_a_path_inside_the_image_is_used_when_no_bundle_is_pasted(credential_type, spec, tmp_path, monkeypatch):
    inputs = {"api_token": "t", "api_url": "https://a.test/api/v1", "ca_path": "/etc/pki/private-ca.pem"}
    env = awx_render(credential_type, inputs, tmp_path)
    assert module_connection(spec, env, monkeypatch)["ca_path"] == "/etc/pki/private-ca.pem"
    inputs["ca_bundle"] = PEM
    env = awx_render(credential_type, inputs, tmp_path)
    assert module_connection(spec, env, monkeypatch)["ca_path"] != "/etc/pki/private-ca.pem"


@pytest.mark.parametrize("checked", [True, False])
def test_validate_certs_reaches_the_modules_as_a_boolean(credential_type, spec, tmp_path, monkeypatch, checked):
    inputs = {"api_token": "t", "api_url": "https://a.test/api/v1", "validate_certs": checked}
    env = awx_render(credential_type, inputs, tmp_path)
    assert env["VPSORG_VALIDATE_CERTS"] == ("true" if checked else "false")
    assert module_connection(spec, env, monkeypatch)["validate_certs"] is checked


def test_the_docs_name_every_injected_variable_and_input(credential_type, fields):
    documentation = DOC_FRAGMENT.read_text(encoding="utf-8")
    for env_name in credential_type["injectors"]["env"]:
        assert f"C({env_name})" in documentation
    guide = AWX_GUIDE.read_text(encoding="utf-8")
    for env_name in credential_type["injectors"]["env"]:
        assert f"``{env_name}``" in guide
    for field in fields.values():
        assert field["label"] in guide, f"the AWX guide does not describe the input {field['label']!r}"
