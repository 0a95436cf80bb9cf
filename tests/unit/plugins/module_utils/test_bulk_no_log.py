# SPDX-License-Identifier: GPL-3.0-or-later
"""The one-pass masking of many no_log values (the auth codes of a list of transfers) equals Ansible's own.

`run_module(..., bulk_secrets=...)` masks those values itself and leaves the rest to AnsibleModule: the output
must be what AnsibleModule alone would print, to the character, and no code may ever get through.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Dict, Iterator, List

import pytest
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.common.parameters import remove_values
from ansible_collections.vpsorg.domains.plugins.module_utils import _base
from ansible_collections.vpsorg.domains.plugins.module_utils._task import TaskError
from ansible_collections.vpsorg.domains.tests.unit.module_args import patch_module_args
from hypothesis import given, settings
from hypothesis import strategies as st

TRANSFERS_SPEC = {
    "transfers": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"name": {"type": "str", "required": True}, "auth_code": {"type": "str", "no_log": True}},
    }
}


def _ordered(values: Any) -> List[str]:
    """Longest first, then by text: a fixed order, which Ansible's stable sort by length keeps."""
    return sorted(set(values), key=lambda value: (-len(value), value))


# Short alphabets make values overlap, nest and repeat inside the texts as often as possible.
# "a", "e" and "l" reach into "False" and "None": ansible-core before 2.19 masks such a boolean or None.
_VALUE = st.text(alphabet="ab1-eol", min_size=1, max_size=6)
_TEXT = st.text(alphabet="ab1-* ", max_size=24)
_LEAF = st.one_of(_TEXT, st.integers(-200, 200), st.floats(allow_nan=False, width=16), st.booleans(), st.none())
_RESULT = st.recursive(
    _LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from("xyz"), inner, max_size=3)),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(values=st.lists(_VALUE, min_size=1, max_size=6), result=_RESULT)
def test_one_pass_equals_ansible(values: List[str], result: Any) -> None:
    bulk = _base._BulkNoLog(values)
    assert bulk.complete
    assert bulk(result) == remove_values(result, _ordered(values))


@pytest.mark.parametrize("odd", ["a*b-code", "it's-code", 'say"code', "back\\slash", "tab\tcode", 7])
def test_one_odd_value_leaves_every_value_to_ansible(odd: Any) -> None:
    bulk = _base._BulkNoLog(["EPP-ok-123", "token-1234", odd])
    assert not bulk.complete
    assert bulk.values == frozenset({"EPP-ok-123", "token-1234"})
    assert _base._BulkNoLog(["EPP-ok-123", "", None]).complete


def test_held_by_finds_overlapping_and_nested_values_longest_first() -> None:
    bulk = _base._BulkNoLog(["abcd", "bcde", "abcdef", "zz"])
    assert bulk.held_by("xxabcdefyy") == ["abcdef", "abcd", "bcde"]
    assert bulk.held_by("no secret here") == []
    assert bulk.held_by("z") == []


@contextlib.contextmanager
def _module(codes: List[str]) -> Iterator[Any]:
    args = {
        "api_token": "token-value-1",
        "transfers": [{"name": f"d{i}.com", "auth_code": c} for i, c in enumerate(codes)],
    }
    with patch_module_args(args):
        yield _base.create_module(TRANSFERS_SPEC)


def _printed(capsys: pytest.CaptureFixture, codes: List[str], result: Dict[str, Any], bulk: bool) -> Dict[str, Any]:
    ansible_warnings._global_warnings.clear()
    with _module(codes) as module, pytest.raises(SystemExit):
        _base.run_module(module, lambda: json.loads(json.dumps(result)), bulk_secrets=codes if bulk else ())
    return json.loads(capsys.readouterr().out)


# No code holds another here: ansible-core 2.16 masks the values of its set in no fixed order, so with nested
# codes its own output varies from run to run (the one pass always masks the longest first, see below).
CODES = [f"EPP-{n:04d}-XYZ" for n in range(300)]


def test_a_run_prints_what_ansible_alone_prints(capsys: pytest.CaptureFixture) -> None:
    result = {
        "transfers": [{"name": f"d{i}.com", "detail": f"code {code} refused", "id": i} for i, code in enumerate(CODES)],
        "msg": CODES[5],
        "nested": {"list": [CODES[7], f"{CODES[1]}-{CODES[2]}", 12, None, True]},
        "token_echo": "token-value-1 in a text",
    }
    ours = _printed(capsys, CODES, result, bulk=True)
    alone = _printed(capsys, CODES, result, bulk=False)
    assert ours == alone
    text = json.dumps(ours)
    assert not [code for code in CODES if code in text]
    assert "token-value-1" not in text
    assert ours["msg"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    # ansible-core 2.21 returns the module's arguments only when the controller asks for them (-vvv).
    if "invocation" in alone:
        arguments = ours["invocation"]["module_args"]
        assert arguments["transfers"][0]["auth_code"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
        assert arguments["api_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_a_failed_run_prints_what_ansible_alone_prints(capsys: pytest.CaptureFixture) -> None:
    def fail() -> Dict[str, Any]:
        raise TaskError(f"the API refused {CODES[3]}", changed=False, transfers=[{"detail": CODES[9]}])

    outputs = []
    for bulk in (True, False):
        ansible_warnings._global_warnings.clear()
        with _module(CODES) as module, pytest.raises(SystemExit):
            _base.run_module(module, fail, bulk_secrets=CODES if bulk else ())
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert outputs[0]["failed"] is True
    assert not [code for code in CODES if code in json.dumps(outputs[0])]


def test_a_warning_holding_a_code_leaves_every_code_to_ansible(capsys: pytest.CaptureFixture) -> None:
    """A warning reaches AnsibleModule's output after the one pass: then every value stays with AnsibleModule."""
    outputs = []
    for bulk in (True, False):
        ansible_warnings._global_warnings.clear()
        with _module(CODES) as module, pytest.raises(SystemExit):
            module.warn(f"an answer quoted {CODES[11]}")
            _base.run_module(
                module, lambda: {"changed": False, "detail": CODES[12]}, bulk_secrets=CODES if bulk else ()
            )
        assert CODES[11] in module.no_log_values
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert outputs[0]["detail"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    bulk = _base._BulkNoLog(CODES)
    ansible_warnings._global_warnings.clear()
    ansible_warnings.warn(f"an answer quoted {CODES[11]}")
    assert bulk.missed_by_warnings()
    ansible_warnings._global_warnings.clear()
    ansible_warnings.warn("nothing secret")
    assert not bulk.missed_by_warnings()
    ansible_warnings._global_warnings.clear()


def test_a_code_inside_a_longer_one_is_masked_longest_first(capsys: pytest.CaptureFixture) -> None:
    codes = ["EPP-0001", "EPP-0001-XYZ"]
    ours = _printed(capsys, codes, {"changed": False, "detail": "EPP-0001-XYZ-EPP-0001"}, bulk=True)
    assert ours["detail"] == "********-********"
