# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the event source's rules: its arguments, snapshots, the events between two polls, failures, pace."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils import _events
from ansible_collections.vpsorg.domains.plugins.module_utils._events import (
    ArgumentError,
    Pace,
    PollHealth,
    Snapshot,
    check_source_args,
    details_wanted,
    events_between,
    snapshot_event,
    take_snapshot,
)
from ansible_collections.vpsorg.domains.plugins.module_utils._names import InvalidValue
from hypothesis import given, settings
from hypothesis import strategies as st

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
EARLIER = NOW - timedelta(minutes=5)
TOKEN = "s3cret-token-value"
VPS = ["ns1.vps.org", "ns2.vps.org"]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def domain(domain_id: Any = 1, name: str = "example.com", **fields: Any) -> Dict[str, Any]:
    item = {
        "id": domain_id,
        "domain_name": name,
        "status": "active",
        "registration_date": "2024-01-15T10:30:00Z",
        "expiration_date": stamp(NOW + timedelta(days=400)),
        "auto_renew": True,
        "locked": True,
        "nameservers": list(VPS),
        "privacy_protection": True,
        "dns_managed_by": "vps.org",
    }
    item.update(fields)
    return item


def snap(*domains: Dict[str, Any], at: datetime = NOW, transfers: Optional[Dict[str, Any]] = None) -> Snapshot:
    return Snapshot(at, domains, transfers)


def kinds(events: List[Dict[str, Any]]) -> List[tuple]:
    return [(event["vpsorg"]["type"], event["vpsorg"]["name"]) for event in events]


def between(before: Snapshot, after: Snapshot, thresholds=(60, 30, 7, 1)) -> List[Dict[str, Any]]:
    return events_between(before, after, after.taken_at, thresholds)


# -- arguments -------------------------------------------------------------------------------------------------
def test_defaults_with_the_token_from_the_environment():
    config = check_source_args({}, {"VPSORG_API_TOKEN": TOKEN})
    assert config.api_token == TOKEN
    assert config.api_url == "https://admin.vps.org/api/v1"
    assert (config.validate_certs, config.ca_path, config.api_timeout) == (True, None, 30)
    assert (config.interval, config.expiry_thresholds) == (300, (60, 30, 7, 1))
    assert (config.state_file, config.emit_snapshot) == (None, False)


def test_every_connection_argument_falls_back_to_its_variable(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not checked here", encoding="utf-8")
    environ = {
        "VPSORG_API_TOKEN": TOKEN,
        "VPSORG_API_URL": "http://127.0.0.1:9/api/v1",
        "VPSORG_VALIDATE_CERTS": "no",
        "VPSORG_CA_PATH": str(bundle),
        "VPSORG_API_TIMEOUT": "7",
    }
    config = check_source_args({}, environ)
    assert (config.api_url, config.validate_certs, config.ca_path, config.api_timeout) == (
        "http://127.0.0.1:9/api/v1",
        False,
        str(bundle),
        7,
    )
    # An argument wins over its variable, as a module option wins over env_fallback.
    config = check_source_args({"api_token": "other", "api_timeout": 3, "validate_certs": True}, environ)
    assert (config.api_token, config.api_timeout, config.validate_certs) == ("other", 3, True)


def test_text_values_from_rulebook_variables_are_read():
    config = check_source_args(
        {
            "api_token": TOKEN,
            "interval": "1.5",
            "expiry_thresholds": ["7", 30, 7, "0"],
            "emit_snapshot": "true",
            "validate_certs": "False",
        },
        {},
    )
    assert (config.interval, config.expiry_thresholds, config.emit_snapshot) == (1.5, (30, 7, 0), True)
    assert config.validate_certs is False


def test_rulebook_keys_are_ignored_and_unknown_arguments_named():
    # ansible-rulebook passes its feedback queue among the arguments.
    assert check_source_args({"api_token": TOKEN, "eda_feedback_queue": object()}, {}).api_token == TOKEN
    with pytest.raises(ArgumentError, match=r"^intervall: not an argument of vpsorg.domains.domain_events"):
        check_source_args({"api_token": TOKEN, "intervall": 5}, {})


def test_a_missing_token_names_the_argument_and_its_variable():
    with pytest.raises(ArgumentError, match=r"^api_token: required; .*VPSORG_API_TOKEN"):
        check_source_args({}, {})
    with pytest.raises(ArgumentError, match=r"^api_token: must be a non-empty string"):
        check_source_args({"api_token": "  "}, {})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"interval": "soon"}, r"^interval: 'soon' is not a number of seconds: not a number"),
        ({"interval": 0}, r"^interval: 0 is not a number of seconds: must be at least 1"),
        ({"interval": 0.5}, r"^interval: 0.5 is not a number of seconds: must be at least 1"),
        ({"interval": True}, r"^interval: True is not a number of seconds: must be a number, got bool"),
        ({"interval": float("inf")}, r"^interval: inf is not"),
        ({"api_timeout": 0}, r"^api_timeout: 0 is not a number of seconds: must be at least 1"),
        ({"api_timeout": 2.5}, r"^api_timeout: 2.5 is not a number of seconds: must be a whole number"),
        ({"api_timeout": "2.5"}, r"^api_timeout: '2.5' is not a number of seconds: not a number"),
        ({"validate_certs": "maybe"}, r"^validate_certs: 'maybe' is not a boolean: use true or false"),
        ({"emit_snapshot": 2}, r"^emit_snapshot: 2 is not a boolean"),
        ({"expiry_thresholds": "60,30"}, r"^expiry_thresholds: '60,30' is not a list of days"),
        ({"expiry_thresholds": 30}, r"^expiry_thresholds: 30 is not a list of days"),
        ({"expiry_thresholds": [30, -1]}, r"^expiry_thresholds: -1 is not a number of days: must be at least 0"),
        ({"expiry_thresholds": [True]}, r"^expiry_thresholds: True is not a number of days"),
        ({"api_url": 8080}, r"^api_url: 8080 is not an https:// URL: must be a string"),
        ({"state_file": ""}, r"^state_file: '' is not a usable path: must be a file path"),
    ],
)
def test_bad_values_name_the_argument_and_never_the_token(args, message):
    with pytest.raises(InvalidValue, match=message) as caught:
        check_source_args(dict(args, api_token=TOKEN), {})
    assert TOKEN not in str(caught.value)


def test_paths_are_checked_before_any_request(tmp_path):
    with pytest.raises(InvalidValue, match=r"^state_file: .* its directory .*missing does not exist"):
        check_source_args({"api_token": TOKEN, "state_file": str(tmp_path / "missing" / "state.json")}, {})
    with pytest.raises(InvalidValue, match=r"^state_file: .* is a directory; name a file in it"):
        check_source_args({"api_token": TOKEN, "state_file": str(tmp_path)}, {})
    with pytest.raises(InvalidValue, match=r"^ca_path: .* does not exist"):
        check_source_args({"api_token": TOKEN, "ca_path": str(tmp_path / "ca.pem")}, {})
    state = tmp_path / "state.json"
    assert check_source_args({"api_token": TOKEN, "state_file": str(state)}, {}).state_file == str(state)


def test_the_token_stays_out_of_the_representation():
    config = check_source_args({"api_token": TOKEN}, {})
    assert TOKEN not in repr(config)


def test_every_argument_is_documented_by_the_source():
    # The source's DOCUMENTATION lists exactly the arguments the rules accept.
    import ast
    from pathlib import Path

    import yaml

    path = Path(__file__).resolve().parents[4] / "extensions/eda/plugins/event_source/domain_events.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documentation = next(
        yaml.safe_load(ast.literal_eval(node.value))
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets)
    )
    assert sorted(documentation["options"]) == sorted(_events.ARGUMENTS)
    assert documentation["options"]["interval"]["default"] == _events.DEFAULT_INTERVAL
    assert documentation["options"]["expiry_thresholds"]["default"] == list(_events.DEFAULT_THRESHOLDS)
    for option, variable in _events.CONNECTION_ENV.items():
        assert variable in " ".join(documentation["options"][option]["description"]), option


# -- the events between two polls ------------------------------------------------------------------------------
def test_the_first_poll_is_a_baseline():
    assert events_between(None, snap(domain(), domain(2, "b.com")), NOW) == []


def test_nothing_changed_nothing_sent():
    assert between(snap(domain(), at=EARLIER), snap(domain())) == []


def test_event_shape():
    before = snap(domain(locked=True), at=EARLIER)
    after = snap(domain(locked=False))
    (event,) = between(before, after)
    assert event == {
        "vpsorg": {
            "type": "settings_changed",
            "name": "example.com",
            "id": 1,
            "domain": domain(locked=False),
            "changes": {"locked": {"before": True, "after": False}},
            "detected_at": "2026-03-01T12:00:00Z",
        }
    }
    json.dumps(event)  # what ansible-rulebook and the state file need


def test_added_and_removed():
    gone = domain(2, "gone.com", locked=False)
    events = between(snap(domain(), gone, at=EARLIER), snap(domain(), domain(3, "new.com")))
    assert kinds(events) == [("domain_removed", "gone.com"), ("domain_added", "new.com")]
    # A removed domain is shown as it was last seen.
    assert events[0]["vpsorg"]["domain"] == gone
    assert events[1]["vpsorg"]["changes"] == {}


def test_status_changed():
    (event,) = between(snap(domain(status="pending"), at=EARLIER), snap(domain(status="active")))
    assert event["vpsorg"]["type"] == "status_changed"
    assert event["vpsorg"]["changes"] == {"status": {"before": "pending", "after": "active"}}


@pytest.mark.parametrize(
    ("setting", "before", "after"),
    [
        ("auto_renew", True, False),
        ("locked", False, True),
        ("privacy_protection", True, False),
        ("nameservers", VPS, ["ns1.elsewhere.example", "ns2.elsewhere.example"]),
        ("nameservers", VPS, ["ns1.vps.org"]),
        ("nameservers", None, VPS),
    ],
)
def test_each_setting_changed(setting, before, after):
    (event,) = between(snap(domain(**{setting: before}), at=EARLIER), snap(domain(**{setting: after})))
    assert event["vpsorg"]["type"] == "settings_changed"
    assert event["vpsorg"]["changes"] == {setting: {"before": before, "after": after}}


def test_settings_changed_together_are_one_event():
    before = snap(domain(locked=True, nameservers=VPS), at=EARLIER)
    after = snap(domain(locked=False, nameservers=["ns1.evil.example", "ns2.evil.example"]))
    (event,) = between(before, after)
    assert set(event["vpsorg"]["changes"]) == {"locked", "nameservers"}


@pytest.mark.parametrize(
    "nameservers",
    [
        ["ns2.vps.org", "ns1.vps.org"],
        ["NS1.VPS.ORG", "ns2.vps.org."],
        ["ns1.vps.org", "ns2.vps.org", "ns1.vps.org"],
    ],
)
def test_nameservers_are_compared_as_the_modules_compare_them(nameservers):
    assert between(snap(domain(), at=EARLIER), snap(domain(nameservers=nameservers))) == []


def test_internationalised_names_as_punycode():
    before = snap(domain(name="Bücher.example", locked=True), at=EARLIER)
    (event,) = between(before, snap(domain(name="Bücher.example", locked=False)))
    assert event["vpsorg"]["name"] == "xn--bcher-kva.example"
    assert event["vpsorg"]["domain"]["domain_name"] == "Bücher.example"


def test_a_name_the_api_got_wrong_is_shown_as_given():
    (event,) = between(snap(at=EARLIER), snap(domain(name="not a name!")))
    assert event["vpsorg"]["name"] == "not a name!"


def test_ids_of_other_types_stay_apart():
    # The id 7 and the id "7" are two domains.
    events = between(snap(domain(7), at=EARLIER), snap(domain("7")))
    assert [(e["vpsorg"]["type"], e["vpsorg"]["id"]) for e in events] == [("domain_added", "7"), ("domain_removed", 7)]


def test_events_in_name_order_then_kind():
    before = snap(domain(1, "b.com"), domain(2, "a.com", status="pending"), at=EARLIER)
    after = snap(domain(1, "b.com", locked=False), domain(2, "a.com", locked=False), domain(3, "0.com"))
    assert kinds(between(before, after)) == [
        ("domain_added", "0.com"),
        ("status_changed", "a.com"),
        ("settings_changed", "a.com"),
        ("settings_changed", "b.com"),
    ]


# -- expiry ------------------------------------------------------------------------------------------------------
def expiring(events):
    return [
        (e["vpsorg"]["type"], e["vpsorg"].get("threshold"), e["vpsorg"].get("days_left"))
        for e in events
        if e["vpsorg"]["type"] in ("expiring", "expired")
    ]


def test_crossing_a_threshold():
    # "Within 30 days" is 30 calendar days left or fewer, as everywhere in the collection: the day changes.
    expires = stamp(NOW + timedelta(days=31, hours=1))
    before = snap(domain(expiration_date=expires), at=NOW - timedelta(hours=2))
    assert expiring(between(before, snap(domain(expiration_date=expires)))) == []
    later = NOW + timedelta(days=1)
    assert expiring(
        between(snap(domain(expiration_date=expires)), snap(domain(expiration_date=expires), at=later))
    ) == [("expiring", 30, 30)]


def test_several_thresholds_at_once_give_one_event_for_the_smallest():
    # A rulebook stopped for weeks: 61 days left at the last poll, 5 now.
    expires = stamp(NOW + timedelta(days=5, hours=1))
    before = snap(domain(expiration_date=expires), at=NOW - timedelta(days=56))
    assert expiring(between(before, snap(domain(expiration_date=expires)))) == [("expiring", 7, 5)]


def test_each_threshold_once_per_expiry_date():
    expires = stamp(NOW + timedelta(days=6))
    first = snap(domain(expiration_date=expires), at=NOW - timedelta(days=2))
    second = snap(domain(expiration_date=expires), at=NOW)
    third = snap(domain(expiration_date=expires), at=NOW + timedelta(hours=12))
    assert expiring(between(first, second)) == [("expiring", 7, 6)]
    assert expiring(between(second, third)) == []


def test_a_renewal_starts_afresh():
    old = stamp(NOW + timedelta(days=5))
    renewed = stamp(NOW + timedelta(days=370))
    before = snap(domain(expiration_date=old), at=EARLIER)
    events = between(before, snap(domain(expiration_date=renewed)))
    assert expiring(events) == []
    # A new date that is close already counts from the start: its thresholds are new.
    corrected = stamp(NOW + timedelta(days=20))
    assert expiring(
        between(snap(domain(expiration_date=renewed), at=EARLIER), snap(domain(expiration_date=corrected)))
    ) == [("expiring", 30, 20)]


def test_a_new_domain_close_to_expiry():
    expires = stamp(NOW + timedelta(days=20, hours=1))
    events = between(snap(at=EARLIER), snap(domain(expiration_date=expires)))
    assert kinds(events) == [("domain_added", "example.com"), ("expiring", "example.com")]
    assert events[1]["vpsorg"]["threshold"] == 30


def test_a_date_only_expiry_lasts_its_whole_day():
    # "2026-03-01" passes at the end of that day (UTC): at noon it has 0 days left, not expired.
    before = snap(domain(expiration_date="2026-03-01"), at=NOW - timedelta(days=2))
    assert expiring(between(before, snap(domain(expiration_date="2026-03-01")))) == [("expiring", 1, 0)]


def test_expired_once():
    # Expired from the day after the expiry date (calendar days, UTC).
    expires = stamp(NOW - timedelta(days=1))
    before = snap(domain(expiration_date=expires), at=NOW - timedelta(days=1))
    # Passing the date is `expired`, never also an `expiring` for the last threshold.
    assert expiring(between(before, snap(domain(expiration_date=expires)))) == [("expired", None, -1)]
    assert expiring(between(snap(domain(expiration_date=expires)), snap(domain(expiration_date=expires), at=NOW))) == []


def test_a_new_domain_that_has_expired():
    expires = stamp(NOW - timedelta(days=3))
    assert expiring(between(snap(at=EARLIER), snap(domain(expiration_date=expires)))) == [("expired", None, -3)]


@pytest.mark.parametrize("value", [None, "", "soon", "06/01/2026"])
def test_an_unreadable_expiry_date_sends_nothing(value):
    assert expiring(between(snap(at=EARLIER), snap(domain(expiration_date=value)))) == []


def test_no_thresholds_no_expiring_events():
    expires = stamp(NOW + timedelta(days=3))
    assert expiring(between(snap(at=EARLIER), snap(domain(expiration_date=expires)), thresholds=())) == []


@settings(max_examples=200, deadline=None)
@given(
    expiry_hours=st.integers(min_value=-100, max_value=24 * 90),
    steps=st.lists(st.integers(min_value=1, max_value=24 * 20), min_size=1, max_size=30),
    thresholds=st.sets(st.integers(min_value=0, max_value=90), max_size=5),
)
def test_expiry_events_over_any_sequence_of_polls(expiry_hours, steps, thresholds):
    """Whatever the polls' spacing: each threshold at most once, `expired` at most once, and a poll that crosses
    thresholds always says so, with the smallest one crossed."""
    thresholds = tuple(sorted(thresholds, reverse=True))
    expires = stamp(NOW + timedelta(hours=expiry_hours))
    moment = NOW - timedelta(days=100)
    previous = snap(domain(expiration_date=expires), at=moment)
    sent: List[Any] = []
    for hours in steps:
        moment = moment + timedelta(hours=hours)
        current = snap(domain(expiration_date=expires), at=moment)
        found = expiring(between(previous, current, thresholds))
        before_left = _events.days_left(expires, previous.taken_at)
        now_left = _events.days_left(expires, moment)
        crossed = [t for t in thresholds if now_left <= t < before_left]
        if _events.is_expired(expires, moment):
            assert found == ([] if _events.is_expired(expires, previous.taken_at) else [("expired", None, now_left)])
        elif crossed:
            assert found == [("expiring", min(crossed), now_left)]
        else:
            assert found == []
        sent.extend(found)
        previous = current
    thresholds_sent = [threshold for kind, threshold, _left in sent if kind == "expiring"]
    assert len(thresholds_sent) == len(set(thresholds_sent))
    assert [kind for kind, _t, _l in sent].count("expired") <= 1


# -- transfers ---------------------------------------------------------------------------------------------------
def key(domain_id: Any) -> str:
    return _events.domain_key(domain_id)


def test_details_are_read_only_where_a_transfer_may_have_completed():
    renewed = domain(2, "b.com", expiration_date=stamp(NOW + timedelta(days=800)))
    before = snap(domain(), domain(2, "b.com"), at=EARLIER)
    assert details_wanted(None, [domain()]) == []
    assert details_wanted(before, [domain(), domain(2, "b.com")]) == []
    assert details_wanted(before, [domain(), renewed, domain(3, "c.com")]) == [2, 3]


def test_a_transfer_that_completed_since_the_last_poll():
    pending = {"registrar": "Other Registrar Inc.", "transfer_status": "pending", "transfer_completed_at": None}
    before = snap(domain(), at=EARLIER, transfers={key(1): pending})
    detail = dict(domain(), registrar="VPS.org", transfer_status="completed", transfer_completed_at=stamp(NOW))
    after = take_snapshot([domain()], NOW, before, {1: detail})
    (event,) = between(before, after)
    assert event["vpsorg"]["type"] == "transfer_completed"
    assert event["vpsorg"]["changes"] == {
        "transfer_status": {"before": "pending", "after": "completed"},
        "registrar": {"before": "Other Registrar Inc.", "after": "VPS.org"},
    }
    # The next poll knows it: nothing again.
    assert between(after, take_snapshot([domain()], NOW + timedelta(minutes=5), after)) == []


def test_a_transfer_completed_before_the_last_poll_is_old_news():
    detail = {"registrar": "VPS.org", "transfer_status": "completed", "transfer_completed_at": stamp(EARLIER)}
    before = snap(domain(), at=NOW - timedelta(minutes=1))
    assert between(before, take_snapshot([domain()], NOW, before, {1: detail})) == []


def test_a_transfer_completed_in_the_second_the_last_poll_started_is_new():
    # The API gives whole seconds: 12:00:00 may be later than a poll that started at 12:00:00.600.
    detail = {"registrar": "VPS.org", "transfer_status": "completed", "transfer_completed_at": stamp(NOW)}
    before = snap(domain(), at=NOW + timedelta(milliseconds=600))
    after = take_snapshot([domain()], NOW + timedelta(seconds=2), before, {1: detail})
    assert [event["vpsorg"]["type"] for event in between(before, after)] == ["transfer_completed"]


@pytest.mark.parametrize(
    ("known", "expected"),
    [
        ({"transfer_status": "pending", "registrar": "Other"}, True),
        ({"transfer_status": None, "registrar": "Other"}, True),
        ({"transfer_status": None, "registrar": "VPS.org"}, False),
        (None, False),
    ],
)
def test_a_completed_transfer_without_a_date(known, expected):
    transfers = {key(1): known} if known else None
    before = snap(domain(), at=EARLIER, transfers=transfers)
    detail = {"registrar": "VPS.org", "transfer_status": "completed"}
    events = between(before, take_snapshot([domain()], NOW, before, {1: detail}))
    assert [e["vpsorg"]["type"] for e in events] == (["transfer_completed"] if expected else [])


def test_the_snapshot_keeps_transfer_facts_of_domains_still_there():
    facts = {"registrar": "Other", "transfer_status": "pending"}
    before = snap(domain(), domain(2, "b.com"), at=EARLIER, transfers={key(1): facts, key(2): facts})
    after = take_snapshot([domain()], NOW, before)
    assert after.transfers == {key(1): facts}


# -- the state file ----------------------------------------------------------------------------------------------
API = "https://admin.vps.org/api/v1"


def test_the_state_round_trips_through_json():
    facts = {"registrar": "VPS.org", "transfer_status": None}
    original = snap(domain(), domain("uuid-2", "b.com"), transfers={key(1): facts})
    state = json.loads(json.dumps(original.to_state(API)))
    assert state["api_url"] == API and state["taken_at"] == "2026-03-01T12:00:00Z"
    restored = Snapshot.from_state(state, API + "/")
    assert (restored.taken_at, restored.domains, restored.transfers) == (
        original.taken_at,
        original.domains,
        original.transfers,
    )
    assert between(restored, snap(domain(), domain("uuid-2", "b.com"), at=NOW + timedelta(minutes=1))) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"api_url": "https://other.example/api/v1"}, "describes another API"),
        ({"source": "something.else"}, "not written by"),
        ({"version": 99}, "version 99"),
        ({"taken_at": "yesterday"}, "incomplete"),
        ({"domains": {"1": {}}}, "incomplete"),
        ({"domains": [{"domain_name": "a.com"}]}, "no id"),
    ],
)
def test_a_state_that_cannot_be_used_says_why(change, reason):
    state = dict(snap(domain()).to_state(API), **change)
    with pytest.raises(ValueError, match=reason):
        Snapshot.from_state(state, API)
    with pytest.raises(ValueError, match="not written by"):
        Snapshot.from_state(["a list"], API)


# -- the snapshot event ------------------------------------------------------------------------------------------
def test_snapshot_counts():
    domains = [
        domain(1, "a.com"),
        domain(2, "b.com", status="pending", locked=False, expiration_date=stamp(NOW + timedelta(days=20))),
        domain(3, "c.com", auto_renew=False, expiration_date=stamp(NOW + timedelta(days=3))),
        domain(4, "d.com", privacy_protection=False, expiration_date=stamp(NOW - timedelta(days=1))),
    ]
    event = snapshot_event(snap(*domains), NOW)["vpsorg"]
    assert (event["type"], event["name"], event["id"], event["domain"], event["changes"]) == (
        "snapshot",
        None,
        None,
        None,
        {},
    )
    assert event["counts"] == {
        "domains": 4,
        "by_status": {"active": 3, "pending": 1},
        "expired": 1,
        "expiring_within": {"60": 2, "30": 2, "7": 1, "1": 0},
        "auto_renew_off": 1,
        "privacy_protection_off": 1,
        "locked_off": 1,
    }


# -- failed polls and the pace -----------------------------------------------------------------------------------
def test_poll_failed_after_three_in_a_row_then_recovered_once():
    health = PollHealth()
    assert health.failed("GET /api/v1/domains/: server error (HTTP 500)", NOW) is None
    assert health.failed("again", NOW) is None
    event = health.failed("GET /api/v1/domains/: server error (HTTP 500)", NOW)["vpsorg"]
    assert (event["type"], event["failed_polls"], event["message"]) == (
        "poll_failed",
        3,
        "GET /api/v1/domains/: server error (HTTP 500)",
    )
    assert health.failed("still", NOW) is None
    recovered = health.succeeded(NOW)["vpsorg"]
    assert (recovered["type"], recovered["failed_polls"]) == ("poll_recovered", 4)
    assert health.succeeded(NOW) is None


def test_failures_that_do_not_reach_three_are_forgotten():
    health = PollHealth()
    for _round in range(3):
        assert health.failed("x", NOW) is None
        assert health.failed("x", NOW) is None
        assert health.succeeded(NOW) is None


def test_the_pace_slows_down_while_rate_limited():
    pace = Pace(10)
    assert pace.next_delay(False) == 10
    assert [pace.next_delay(True) for _round in range(4)] == [20, 40, 80, 80]
    # The API's Retry-After wins when it asks for longer.
    assert pace.next_delay(True, retry_after=300) == 300
    assert [pace.next_delay(False) for _round in range(4)] == [40, 20, 10, 10]
