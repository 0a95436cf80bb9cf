# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the module glue: connection options, env fallbacks, failures, and the doc fragment."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Dict, Iterator

import pytest
import yaml
from ansible.module_utils.common import warnings as ansible_warnings
from ansible_collections.vpsorg.domains.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.vpsorg.domains.plugins.module_utils import _base
from ansible_collections.vpsorg.domains.plugins.module_utils._client import DEFAULT_API_URL, ApiClient, ApiError
from ansible_collections.vpsorg.domains.plugins.module_utils._domain import BOOL_SETTINGS, SETTINGS, DomainOperation
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue
from ansible_collections.vpsorg.domains.plugins.module_utils._portfolio import PortfolioOperation
from ansible_collections.vpsorg.domains.plugins.module_utils._task import Operation, TaskError, lookup_grace
from ansible_collections.vpsorg.domains.plugins.module_utils._transfer import TransferOperation
from ansible_collections.vpsorg.domains.tests.unit.module_args import patch_module_args

ENV = {
    "api_token": "VPSORG_API_TOKEN",
    "api_url": "VPSORG_API_URL",
    "validate_certs": "VPSORG_VALIDATE_CERTS",
    "ca_path": "VPSORG_CA_PATH",
    "api_timeout": "VPSORG_API_TIMEOUT",
}


@pytest.fixture(autouse=True)
def _no_connection_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV.values():
        monkeypatch.delenv(name, raising=False)


def run_module(args: Dict[str, Any], capsys: pytest.CaptureFixture, **extra_spec: Any) -> Dict[str, Any]:
    """Create the module with args; returns its params, or the JSON it failed with (under 'failed_with')."""
    with patch_module_args(args):
        try:
            module = _base.create_module(extra_spec, supports_check_mode=True)
        except SystemExit:
            return {"failed_with": json.loads(capsys.readouterr().out)}
    return dict(module.params)


def test_connection_spec_matches_the_design() -> None:
    spec = _base.connection_argument_spec()
    assert set(spec) == set(ENV)
    assert spec["api_token"]["no_log"] is True
    # Required in effect, checked by create_module so that the message can name the environment variable too.
    assert "required" not in spec["api_token"]
    assert spec["api_url"]["default"] == DEFAULT_API_URL == "https://admin.vps.org/api/v1"
    assert spec["validate_certs"] == {**spec["validate_certs"], "type": "bool", "default": True}
    assert spec["ca_path"]["type"] == "path"
    assert spec["api_timeout"] == {**spec["api_timeout"], "type": "int", "default": 30}
    for option, variable in ENV.items():
        assert spec[option]["fallback"][1] == [variable]
    # Every option that could hold a secret is no_log; the others are not (they would hide useful output).
    assert [name for name, option in spec.items() if option.get("no_log")] == ["api_token"]


def test_defaults_apply_without_environment(capsys: pytest.CaptureFixture) -> None:
    params = run_module({"api_token": "t0k"}, capsys)
    assert params == {
        "api_token": "t0k",
        "api_url": DEFAULT_API_URL,
        "validate_certs": True,
        "ca_path": None,
        "api_timeout": 30,
    }


def test_environment_fallbacks_beat_defaults(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VPSORG_API_TOKEN", "from-env")
    monkeypatch.setenv("VPSORG_API_URL", "http://127.0.0.1:8080/api/v1")
    monkeypatch.setenv("VPSORG_VALIDATE_CERTS", "false")
    monkeypatch.setenv("VPSORG_CA_PATH", "/etc/ssl/private-ca.pem")
    monkeypatch.setenv("VPSORG_API_TIMEOUT", "7")
    params = run_module({}, capsys)
    assert params == {
        "api_token": "from-env",
        "api_url": "http://127.0.0.1:8080/api/v1",
        "validate_certs": False,
        "ca_path": "/etc/ssl/private-ca.pem",
        "api_timeout": 7,
    }


def test_task_arguments_beat_the_environment(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VPSORG_API_TOKEN", "from-env")
    monkeypatch.setenv("VPSORG_API_URL", "http://127.0.0.1:8080/api/v1")
    params = run_module({"api_token": "from-task", "api_url": "https://example.net/api/v1"}, capsys)
    assert params["api_token"] == "from-task"
    assert params["api_url"] == "https://example.net/api/v1"


def test_missing_token_names_the_option(capsys: pytest.CaptureFixture) -> None:
    result = run_module({}, capsys)["failed_with"]
    assert result["failed"] is True
    assert result["msg"] == (
        "api_token: no API token was given: set the api_token option or the VPSORG_API_TOKEN environment variable"
    )
    assert run_module({"api_token": "  "}, capsys)["failed_with"]["msg"] == result["msg"]


def test_bad_timeout_from_the_environment_names_the_option(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VPSORG_API_TIMEOUT", "soon")
    result = run_module({"api_token": "t0k"}, capsys)["failed_with"]
    assert "api_timeout" in result["msg"]


def test_module_options_are_merged(capsys: pytest.CaptureFixture) -> None:
    params = run_module({"api_token": "t0k", "name": "example.com"}, capsys, name={"type": "str", "required": True})
    assert params["name"] == "example.com"


@pytest.mark.parametrize(("flag", "library"), [("HAS_REQUESTS", "requests"), ("HAS_IDNA", "idna")])
def test_missing_libraries_fail_with_missing_required_lib(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, flag: str, library: str
) -> None:
    monkeypatch.setattr(_base, flag, False)
    result = run_module({"api_token": "t0k"}, capsys)["failed_with"]
    assert f"Failed to import the required Python library ({library})" in result["msg"]


@contextlib.contextmanager
def module_with(args: Dict[str, Any]) -> Iterator[Any]:
    """A module built from args; exiting it must happen inside the context (fail_json needs the profile)."""
    with patch_module_args(args):
        yield _base.create_module({})


def test_create_client_uses_the_options() -> None:
    with module_with({"api_token": "t0k", "api_url": "http://127.0.0.1:8080/api/v1/", "api_timeout": 9}) as module:
        client = _base.create_client(module, pool_size=6)
    assert isinstance(client, ApiClient)
    assert client.base_url == "http://127.0.0.1:8080/api/v1/"
    assert client._timeout == 9
    assert client.session.get_adapter(client.base_url)._pool_maxsize == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"api_url": "http://admin.vps.org/api/v1"}, "api_url: 'http://admin.vps.org/api/v1' uses plain http://"),
        ({"api_url": "admin.vps.org"}, "api_url: 'admin.vps.org' is not an http(s) URL"),
        ({"api_timeout": 0}, "api_timeout: must be a positive number"),
        ({"ca_path": "/nonexistent/ca.pem"}, "ca_path: '/nonexistent/ca.pem' does not exist"),
    ],
)
def test_create_client_fails_the_module_on_bad_options(
    capsys: pytest.CaptureFixture, args: Dict[str, Any], message: str
) -> None:
    with module_with({"api_token": "t0k", **args}) as module, pytest.raises(SystemExit):
        _base.create_client(module)
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert result["msg"].startswith(message)


def _raise(error: Exception) -> Any:
    raise error


def test_run_module_fails_a_task_error_with_msg_failure_and_result(capsys: pytest.CaptureFixture) -> None:
    error = ApiError(
        "insufficient account balance (HTTP 402): add funds to the VPS.org account",
        status=402,
        method="POST",
        path="/api/v1/domains/",
        detail="Balance too low for secret-token-value",
        secrets=("secret-token-value",),
    )
    task_error = TaskError(str(error), error, changed=False, domain=None)
    with module_with({"api_token": "secret-token-value"}) as module, pytest.raises(SystemExit):
        _base.run_module(module, lambda: _raise(task_error))
    output = capsys.readouterr().out
    assert "secret-token-value" not in output
    result = json.loads(output)
    assert result["msg"] == str(error)
    assert result["msg"].startswith("POST /api/v1/domains/: insufficient account balance (HTTP 402)")
    assert result["failure"] == error.to_failure()
    assert result["failure"]["status"] == 402
    assert result["changed"] is False
    assert result["domain"] is None


def test_run_module_fails_an_invalid_value_without_failure(capsys: pytest.CaptureFixture) -> None:
    with module_with({"api_token": "t0k"}) as module, pytest.raises(SystemExit):
        _base.run_module(module, lambda: _raise(InvalidValue("name", "x", "empty", "a domain name")))
    result = json.loads(capsys.readouterr().out)
    assert result["msg"].startswith("name: 'x'")
    assert "failure" not in result


def test_run_module_shows_the_warnings_of_a_failed_task(capsys: pytest.CaptureFixture) -> None:
    # ansible-core keeps module warnings in a process-wide list: start from none left by another test.
    ansible_warnings._global_warnings.clear()
    task_error = TaskError("2 domains failed", changed=True, warnings=["b.com is listed twice"])
    with module_with({"api_token": "t0k"}) as module, pytest.raises(SystemExit):
        _base.run_module(module, lambda: _raise(task_error))
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert result["msg"] == "2 domains failed"
    assert result["changed"] is True
    # ansible-core 2.19 returns each warning as a summary whose event carries the text; older cores the text.
    texts = [warning["event"]["msg"] if isinstance(warning, dict) else warning for warning in result["warnings"]]
    assert texts == ["b.com is listed twice"]


@pytest.mark.parametrize(("timeout", "grace"), [(1, 10), (30, 60), (45, 90), (300, 120), (None, 60), (True, 60)])
def test_lookup_grace_is_twice_the_timeout_within_bounds(timeout: Any, grace: int) -> None:
    assert lookup_grace(timeout) == grace


@pytest.mark.parametrize(("timeout", "grace"), [(1, 10), (5, 10), (30, 60), (45, 90), (300, 120)])
def test_task_options_carry_check_mode_and_the_grace_rule(timeout: int, grace: int) -> None:
    with module_with({"api_token": "t0k", "api_timeout": timeout}) as module:
        module.check_mode = True
        assert _base.task_options(module) == {
            "check_mode": True,
            "grace_seconds": grace,
            "sleep": _base.TASK_SLEEP,
            "clock": _base.TASK_CLOCK,
        }


def test_task_options_wait_with_the_module_level_sleep_and_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test of main() replaces TASK_SLEEP and TASK_CLOCK; the task gets what is there when it is built."""

    def fake_sleep(_seconds: float) -> None:
        """Never waits."""

    def fake_clock() -> float:
        return 0.0

    monkeypatch.setattr(_base, "TASK_SLEEP", fake_sleep)
    monkeypatch.setattr(_base, "TASK_CLOCK", fake_clock)
    with module_with({"api_token": "t0k"}) as module:
        options = _base.task_options(module)
    assert options["sleep"] is fake_sleep
    assert options["clock"] is fake_clock


def test_settings_spec_covers_every_setting() -> None:
    spec = _base.settings_argument_spec()
    assert tuple(spec) == SETTINGS
    assert all(spec[setting] == {"type": "bool"} for setting in BOOL_SETTINGS)
    assert spec["nameservers"] == {"type": "list", "elements": "str"}
    assert _base.settings_argument_spec() is not spec  # each caller gets its own copy to extend


def test_doc_fragment_documents_the_connection_spec() -> None:
    doc = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
    spec = _base.connection_argument_spec()
    assert set(doc["options"]) == set(spec)
    for name, option in spec.items():
        documented = doc["options"][name]
        assert documented["type"] == option["type"], name
        assert documented.get("default") == option.get("default"), name
        assert documented.get("required", False) == option.get("required", False), name
        assert ENV[name] in " ".join(documented["description"]), name
    assert set(doc["requirements"]) == {"requests", "idna"}


def test_every_writing_task_has_the_one_shape() -> None:
    for task_class in (DomainOperation, PortfolioOperation, TransferOperation):
        assert issubclass(task_class, Operation)
        assert "__init__" not in vars(task_class), f"{task_class.__name__} builds itself like every task"
        task = task_class("client", "request", check_mode=True, grace_seconds=7)
        assert (task.client, task.request, task.check_mode, task.grace_seconds) == ("client", "request", True, 7)
    assert Operation("client", "request").grace_seconds == lookup_grace(None)
