# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the Ansible glue every module shares (connection options, client, failures)."""

from __future__ import annotations

import os
import re
import time
import traceback
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.warnings import get_deprecation_messages, get_warning_messages
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


# Characters that keep _BulkNoLog from masking: the mask's own asterisks (Ansible masks one value after another,
# so a value holding them could appear only after an earlier replacement), and those repr() escapes (pending
# warnings are searched in their repr).
_NOT_BULK = re.compile(r"[*'\"\\]")


class _BulkNoLog:
    """AnsibleModule's no_log masking in one pass over the result, for when the values come by the hundred.

    AnsibleModule masks its no_log values at exit by trying every value on every string of the result: the auth
    codes of 1,000 transfers over their result and module_args are some 30 million tries, a second of CPU time.
    This finds the values a string holds by their first characters, one pattern search per string, and hands only
    those to Ansible's own `remove_values`, so that what is masked, and how, is Ansible's to the character.
    It takes all the module's no_log values or none: `complete` is False when one of them holds an asterisk, a
    quote, a backslash or an unprintable character, and AnsibleModule then masks everything itself.
    """

    def __init__(self, values: Iterable[Any]) -> None:
        given = {value for value in values if value}
        self.values: FrozenSet[str] = frozenset(
            value for value in given if isinstance(value, str) and value.isprintable() and not _NOT_BULK.search(value)
        )
        self.complete = bool(self.values) and len(self.values) == len(given)
        self._width = min(map(len, self.values), default=0)
        self._by_prefix: Dict[str, List[str]] = {}
        for value in self.values:
            self._by_prefix.setdefault(value[: self._width], []).append(value)
        # A look-ahead finds every position a prefix starts at, overlapping ones included.
        alternatives = "|".join(map(re.escape, sorted(self._by_prefix)))
        self._prefixes = re.compile(f"(?=({alternatives}))") if self.values else None

    def held_by(self, text: str) -> List[str]:
        """The values `text` holds, longest first (a fixed order, which Ansible's stable sort by length keeps)."""
        if self._prefixes is None or len(text) < self._width:
            return []
        found = set()
        for match in self._prefixes.finditer(text):
            start = match.start()
            found.update(value for value in self._by_prefix[match.group(1)] if text.startswith(value, start))
        return sorted(found, key=lambda value: (-len(value), value))

    def __call__(self, value: Any) -> Any:
        """A copy of `value` masked as AnsibleModule would mask it with these values."""
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self(item) for item in value]
        if isinstance(value, (set, frozenset)):
            return {self(item) for item in value}
        if value is None or isinstance(value, (str, int, float)):
            # Numbers, booleans and None too: ansible-core before 2.19 masks one whose text holds a value.
            held = self.held_by(value if isinstance(value, str) else str(value))
            return remove_values(value, held) if held else value
        return value

    def missed_by_warnings(self) -> bool:
        """Whether a pending warning or deprecation holds one of the values (AnsibleModule then masks everything)."""
        pending = [*get_warning_messages(), *get_deprecation_messages()]  # texts, or dicts of texts
        return any(self.held_by(repr(event)) for event in pending)


def _end(module: AnsibleModule, end: Callable[..., None], result: Dict[str, Any], bulk: Optional[_BulkNoLog]) -> None:
    """exit_json or fail_json, with the no_log values masked in one pass beforehand when there are many."""
    if bulk is not None and bulk.complete and not bulk.missed_by_warnings():
        result = bulk(result)
        # AnsibleModule would add the module's arguments as they are, and mask them along with the rest (from
        # ansible-core 2.21, only when the controller asks for them: it drops them otherwise).
        result.setdefault("invocation", {"module_args": bulk(module.params)})
        module.no_log_values.difference_update(bulk.values)
    end(**result)


def run_module(module: AnsibleModule, task: Callable[[], Dict[str, Any]], bulk_secrets: Iterable[Any] = ()) -> None:
    """Run a module's task and end the module: the one path by which every module succeeds or fails.

    The task returns the result dict (with `warnings` and `diff` when it has them) or raises: InvalidValue (a
    wrong option value), TaskError (a rule refused the task or a step failed; carries the partial result) or
    ApiError (an API call failed before anything changed). Anything else is a defect, reported as one clear
    message instead of a traceback (the traceback goes to `exception`, shown at -vvv).

    `bulk_secrets`: no_log values that come by the hundred (the auth codes of a list of transfers). When there
    are any, every no_log value is masked in one pass at the end instead of by AnsibleModule's pass per value
    (see _BulkNoLog); the output is the same.
    """
    bulk = _BulkNoLog(module.no_log_values) if any(bulk_secrets) else None
    try:
        result = task()
    except InvalidValue as error:
        _end(module, module.fail_json, {"msg": str(error)}, bulk)
    except TaskError as error:
        result = error.to_result()
        for warning in result.pop("warnings", ()):  # a failed run warns as a run that succeeded does
            module.warn(warning)
        _end(module, module.fail_json, result, bulk)
    except ApiError as error:
        _end(module, module.fail_json, {"msg": str(error), "failure": error.to_failure()}, bulk)
    except Exception as error:  # the one place a defect becomes a readable failure
        message = f"unexpected error in {module._name}: {type(error).__name__}: {error} (please report this)"
        _end(module, module.fail_json, {"msg": message, "exception": traceback.format_exc()}, bulk)
    for warning in result.pop("warnings", ()):
        module.warn(warning)
    diff = result.pop("diff", None)
    if module._diff and diff is not None:
        result["diff"] = diff
    _end(module, module.exit_json, result, bulk)
