# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of domain name canonicalisation, nameserver lists and registration periods."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.domains.plugins.module_utils._names import (
    InvalidValue,
    canonical_name,
    canonical_nameservers,
    check_years,
    display_name,
)
from hypothesis import assume, given
from hypothesis import strategies as st

LDH_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True).filter(lambda s: s[2:4] != "--")
UNICODE_LABEL = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Lo", "Nd"), max_codepoint=0x3FFF),
    min_size=1,
    max_size=12,
)
TLD = st.from_regex(r"[a-z]{2,10}", fullmatch=True)


@st.composite
def domain_names(draw: st.DrawFn) -> str:
    labels = draw(st.lists(st.one_of(LDH_LABEL, UNICODE_LABEL), min_size=1, max_size=4))
    name = ".".join([*labels, draw(TLD)])
    if draw(st.booleans()):
        name = name.upper()
    if draw(st.booleans()):
        name += "."
    return name


@given(domain_names())
def test_canonical_name_is_idempotent(value: str) -> None:
    try:
        canonical = canonical_name(value)
    except InvalidValue:
        assume(False)
        raise
    assert canonical_name(canonical) == canonical
    assert canonical.isascii()
    assert canonical == canonical.lower()
    assert not canonical.endswith(".")
    assert len(canonical) <= 253
    assert all(0 < len(label) <= 63 for label in canonical.split("."))


@given(st.lists(LDH_LABEL, min_size=1, max_size=5), TLD)
def test_ascii_names_only_lose_case_and_trailing_dot(labels: list, tld: str) -> None:
    name = ".".join([*labels, tld])
    assume(len(name) <= 253)
    assert canonical_name(name) == name
    assert canonical_name(name.upper() + ".") == name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.com", "example.com"),
        ("EXAMPLE.Com.", "example.com"),
        ("Bücher.Example.", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"),
        ("faß.de", "xn--fa-hia.de"),  # UTS 46 non-transitional: ß is kept, not mapped to ss
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("example\u3002com", "example.com"),  # ideographic full stop is a dot under UTS 46
        ("\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com", "example.com"),  # full-width letters fold to ASCII
        ("a.b.c.example.co", "a.b.c.example.co"),
        ("123.com", "123.com"),
        ("a-b.io", "a-b.io"),
        ("a" * 63 + ".com", "a" * 63 + ".com"),
    ],
)
def test_canonical_name_examples(value: str, expected: str) -> None:
    assert canonical_name(value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "empty"),
        (".", "empty"),
        ("com", "needs at least two labels"),
        ("localhost.", "needs at least two labels"),
        ("foo..com", "empty label"),
        (".example.com", "empty label"),
        ("example.com..", "empty label"),
        ("exa mple.com", "whitespace"),
        (" example.com", "whitespace"),
        ("example.com\n", "whitespace"),
        ("a_b.com", "underscore"),
        ("_dmarc.example.com", "underscore"),
        ("-a.com", "hyphen"),
        ("a-.com", "hyphen"),
        ("ab--cd.com", "3rd and 4th"),
        ("exa$mple.com", "other than letters, digits and hyphens"),
        ("exa/mple.com", "other than letters, digits and hyphens"),
        ("a" * 64 + ".com", "longer than 63"),
        (".".join(["a" * 60] * 5), "longer than 253"),
        ("xn--zz.com", "punycode"),
        ("1.2.3.4", "all digits"),
        ("example.123", "all digits"),
        ("https://example.com", "other than letters"),
        ("\u200dexample.com", "not"),  # a zero width joiner alone is not a valid label
    ],
)
def test_canonical_name_rejections(value: str, problem: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        canonical_name(value, option="domain")
    message = str(caught.value)
    assert message.startswith(f"domain: {value!r} is not a valid domain name: "[:80])
    assert problem in message
    assert caught.value.option == "domain"
    assert caught.value.value == value
    assert problem in caught.value.problem or problem == "not"


def test_invalid_value_message_shape() -> None:
    with pytest.raises(InvalidValue, match=r"^name: 'foo\.\.com' is not a valid domain name: empty label$"):
        canonical_name("foo..com")


@pytest.mark.parametrize("value", [None, 42, ["example.com"], b"example.com", True])
def test_canonical_name_rejects_non_strings(value: object) -> None:
    with pytest.raises(InvalidValue, match="must be a string"):
        canonical_name(value)


def test_invalid_value_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="whitespace"):
        canonical_name("no spaces.com")


def test_long_values_are_cut_in_the_message() -> None:
    with pytest.raises(InvalidValue) as caught:
        canonical_name("x" * 5000)
    assert len(str(caught.value)) < 300


def test_display_name_decodes_punycode() -> None:
    assert display_name("xn--bcher-kva.example") == "bücher.example"
    assert display_name("example.com") == "example.com"
    assert display_name("xn--zz.com") == "xn--zz.com"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["ns2.vps.org", "ns1.vps.org"], ["ns1.vps.org", "ns2.vps.org"]),
        (["NS1.VPS.ORG.", "ns1.vps.org", "ns2.vps.org"], ["ns1.vps.org", "ns2.vps.org"]),
        (("ns1.bücher.example", "ns2.example.net"), ["ns1.xn--bcher-kva.example", "ns2.example.net"]),
        (["a.example.com", "b.example.com", "c.example.com", "d.example.com"], None),
    ],
)
def test_canonical_nameservers(values: list, expected: list | None) -> None:
    result = canonical_nameservers(values)
    assert result == (expected if expected is not None else sorted(values))


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (["ns1.vps.org"], "needs 2 to 4 distinct nameservers, got 1"),
        (["ns1.vps.org", "NS1.vps.org."], "needs 2 to 4 distinct nameservers, got 1"),
        ([], "got 0"),
        ([f"ns{i}.vps.org" for i in range(5)], "got 5"),
        ("ns1.vps.org,ns2.vps.org", "must be a list"),
        ({"ns1.vps.org": 1, "ns2.vps.org": 2}, "must be a list"),
        (None, "must be a list"),
        (["ns1.vps.org", 7], "must be a string"),
        (["ns1.vps.org", None], "must be a string"),
        (["ns1.vps.org", ""], "empty"),
        (["ns1.vps.org", "ns_2.vps.org"], "underscore"),
        (["ns1.vps.org", "ns2"], "needs at least two labels"),
    ],
)
def test_canonical_nameservers_rejections(values: object, problem: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        canonical_nameservers(values)
    assert str(caught.value).startswith("nameservers: ")
    assert problem in str(caught.value)


def test_canonical_nameservers_names_the_bad_entry() -> None:
    with pytest.raises(InvalidValue, match=r"^settings\.nameservers: 'ns\.\.x\.org' is not a valid hostname"):
        canonical_nameservers(["ns1.vps.org", "ns..x.org"], option="settings.nameservers")


@pytest.mark.parametrize("value", [1, 2, 10])
def test_check_years_accepts(value: int) -> None:
    assert check_years(value) == value


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0, "between 1 and 10"),
        (11, "between 1 and 10"),
        (-1, "between 1 and 10"),
        (True, "must be an integer, got bool"),
        (False, "must be an integer, got bool"),
        ("2", "must be an integer, got str"),
        (2.0, "must be an integer, got float"),
        (None, "must be an integer, got NoneType"),
    ],
)
def test_check_years_rejections(value: object, problem: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_years(value)
    assert str(caught.value).startswith("years: ")
    assert problem in str(caught.value)
