# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the Ansible glue every module shares (connection options, client, failures)."""

from __future__ import annotations

import os
import time
import traceback
from typing import Any, Callable, Dict

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.vpsorg.domains.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    MISSING_TOKEN,
    REQUESTS_IMPORT_ERROR,
    ApiClient,
    ApiError,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._names import HAS_IDNA, IDNA_IMPORT_ERROR, InvalidValue
from ansible_collections.vpsorg.domains.plugins.module_utils._task import TaskError, lookup_grace

# From the rules, not from _domain: every module imports this file, and only vps_domain needs the write path.
from ansible_collections.vpsorg.domains.plugins.module_utils._write_rules import BOOL_SETTINGS


def connection_argument_spec() -> Dict[str, Dict[str, Any]]:
    """The connection options of every module; documented by the vpsorg.domains.connection doc fragment."""
    # AnsibleModule consults the fallback first and uses the default only when the variable is unset.
    return {
        # Not `required`: a missing token is reported by the client, naming VPSORG_API_TOKEN too.
        "api_token": {
            "type": "str",
            "no_log": True,
            "fallback": (env_fallback, ["VPSORG_API_TOKEN"]),
        },
        "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (env_fallback, ["VPSORG_API_URL"])},
        "validate_certs": {"type": "bool", "default": True, "fallback": (env_fallback, ["VPSORG_VALIDATE_CERTS"])},
        "ca_path": {"type": "path", "fallback": (env_fallback, ["VPSORG_CA_PATH"])},
        "api_timeout": {"type": "int", "default": 30, "fallback": (env_fallback, ["VPSORG_API_TIMEOUT"])},
    }


def settings_argument_spec() -> Dict[str, Dict[str, Any]]:
    """The options of a domain's settings: vps_domain's own, and vps_portfolio's settings and domains suboptions."""
    spec: Dict[str, Dict[str, Any]] = {setting: {"type": "bool"} for setting in BOOL_SETTINGS}
    spec["nameservers"] = {"type": "list", "elements": "str"}
    return spec


def create_module(argument_spec: Dict[str, Any], **kwargs: Any) -> AnsibleModule:
    """An AnsibleModule with the connection options added; fails when requests or idna is missing."""
    spec = connection_argument_spec()
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, **kwargs)
    if not (module.params.get("api_token") or "").strip():
        module.fail_json(msg=MISSING_TOKEN)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    if not HAS_IDNA:
        module.fail_json(msg=missing_required_lib("idna"), exception=IDNA_IMPORT_ERROR)
    return module


def create_client(module: AnsibleModule, pool_size: int = 4) -> ApiClient:
    """The API client for the module's connection options; fails the module when they are unusable."""
    params = module.params
    ca_path = params.get("ca_path")
    if ca_path and not os.path.exists(ca_path):
        module.fail_json(msg=f"ca_path: {ca_path!r} does not exist")
    if params.get("api_timeout") is not None and params["api_timeout"] <= 0:
        module.fail_json(msg=f"api_timeout: must be a positive number of seconds, got {params['api_timeout']}")
    try:
        client = ApiClient(
            api_token=params["api_token"],
            api_url=params["api_url"],
            validate_certs=params["validate_certs"],
            ca_path=ca_path,
            timeout=params["api_timeout"],
            pool_size=pool_size,
        )
    except ValueError as exc:
        module.fail_json(msg=str(exc))
        raise AssertionError("unreachable: fail_json exits") from None  # pragma: no cover
    # What the client notices without failing (next links re-based) reaches the user as the module's warnings.
    client.on_warning = module.warn
    return client


# How a task waits between reads (the look-up after an unclear answer, the wait for a registration to become
# active) and the clock it measures with. Module-level so that a test of main() swaps in a fake clock whose
# sleep only advances it: the grace period is then run through in full without any real waiting.
TASK_SLEEP: Callable[[float], None] = time.sleep
TASK_CLOCK: Callable[[], float] = time.monotonic


def task_options(module: AnsibleModule) -> Dict[str, Any]:
    """The keyword arguments of a task that writes: check mode, the grace period after an unclear answer, waiting."""
    return {
        "check_mode": module.check_mode,
        "grace_seconds": lookup_grace(module.params["api_timeout"]),
        "sleep": TASK_SLEEP,
        "clock": TASK_CLOCK,
    }


def run_module(module: AnsibleModule, task: Callable[[], Dict[str, Any]]) -> None:
    """Run a module's task and end the module: the one path by which every module succeeds or fails.

    The task returns the result dict (with `warnings` and `diff` when it has them) or raises: InvalidValue (a
    wrong option value), TaskError (a rule refused the task or a step failed; carries the partial result) or
    ApiError (an API call failed before anything changed). Anything else is a defect, reported as one clear
    message instead of a traceback (the traceback goes to `exception`, shown at -vvv).
    """
    try:
        result = task()
    except InvalidValue as error:
        module.fail_json(msg=str(error))
    except TaskError as error:
        result = error.to_result()
        for warning in result.pop("warnings", ()):  # a failed run warns as a run that succeeded does
            module.warn(warning)
        module.fail_json(**result)
    except ApiError as error:
        module.fail_json(msg=str(error), failure=error.to_failure())
    except Exception as error:  # the one place a defect becomes a readable failure
        module.fail_json(
            msg=f"unexpected error in {module._name}: {type(error).__name__}: {error} (please report this)",
            exception=traceback.format_exc(),
        )
    for warning in result.pop("warnings", ()):
        module.warn(warning)
    diff = result.pop("diff", None)
    if module._diff and diff is not None:
        result["diff"] = diff
    module.exit_json(**result)
