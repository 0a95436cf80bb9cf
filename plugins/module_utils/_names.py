# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: canonical domain names, nameserver lists and registration periods."""

from __future__ import annotations

import re
import traceback
from typing import Any, List, Mapping, Optional

try:
    import idna
except ImportError:
    idna = None
    HAS_IDNA = False
    IDNA_IMPORT_ERROR: Optional[str] = traceback.format_exc()
else:
    HAS_IDNA = True
    IDNA_IMPORT_ERROR = None

MAX_LABEL_LENGTH = 63
MAX_NAME_LENGTH = 253
MIN_NAMESERVERS = 2
MAX_NAMESERVERS = 4
MIN_YEARS = 1
MAX_YEARS = 10

_LDH_LABEL = re.compile(r"^[a-z0-9-]+$")
# A repr longer than this is cut so that a pasted file does not flood the error message.
_MAX_SHOWN = 80


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) > _MAX_SHOWN:
        return text[: _MAX_SHOWN - 3] + "..."
    return text


class InvalidValue(ValueError):
    """A user-supplied value that fails syntax validation; str() names the option, the value and the problem."""

    def __init__(self, option: str, value: Any, problem: str, kind: str = "a valid domain name") -> None:
        self.option = option
        self.value = value
        self.problem = problem
        self.kind = kind
        super().__init__(f"{option}: {_shown(value)} is not {kind}: {problem}")


def _require_idna() -> None:
    if not HAS_IDNA:
        raise RuntimeError("the Python library idna is required to handle domain names")


def _a_label(label: str) -> str:
    """One label as lower-case ASCII; raises ValueError with a short reason."""
    if label.isascii():
        label = label.lower()
        if label.startswith("xn--"):
            # An A-label typed by the user must decode, or the registry would refuse it later.
            try:
                idna.ulabel(label)
            except (idna.IDNAError, UnicodeError) as exc:
                raise ValueError(f"label {label!r} is not valid punycode ({exc})") from None
        return label
    try:
        return idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"label {label!r} is not a valid internationalised label ({exc})") from None


def _check_label(label: str, shown: str) -> None:
    if not label:
        raise ValueError("empty label")
    if len(label) > MAX_LABEL_LENGTH:
        raise ValueError(f"label {shown!r} is longer than {MAX_LABEL_LENGTH} characters")
    if "_" in label:
        raise ValueError(f"label {shown!r} contains an underscore")
    if not _LDH_LABEL.match(label):
        raise ValueError(f"label {shown!r} contains characters other than letters, digits and hyphens")
    if label.startswith("-") or label.endswith("-"):
        raise ValueError(f"label {shown!r} starts or ends with a hyphen")
    if label[2:4] == "--" and not label.startswith("xn--"):
        raise ValueError(f"label {shown!r} has hyphens in the 3rd and 4th position (reserved)")


def _canonical(value: str) -> str:
    if not value:
        raise ValueError("empty")
    if any(ch.isspace() for ch in value):
        raise ValueError("contains whitespace")
    try:
        # UTS 46 mapping: case folding, full-width dots and other compatibility forms.
        mapped = idna.uts46_remap(value, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"contains a character not allowed in domain names ({exc})") from None
    if mapped.endswith("."):
        mapped = mapped[:-1]
    if not mapped:
        raise ValueError("empty")
    labels = []
    for label in mapped.split("."):
        if not label:
            raise ValueError("empty label")
        ascii_label = _a_label(label)
        _check_label(ascii_label, label)
        labels.append(ascii_label)
    if len(labels) < 2:
        raise ValueError("needs at least two labels, like example.com")
    if labels[-1].isdigit():
        raise ValueError("the last label must not be all digits")
    name = ".".join(labels)
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"longer than {MAX_NAME_LENGTH} characters")
    return name


def canonical_name(value: Any, option: str = "name") -> str:
    """Lower-case punycode form of a domain name without the trailing dot; InvalidValue when the syntax is wrong."""
    if not isinstance(value, str):
        raise InvalidValue(option, value, f"must be a string, got {type(value).__name__}")
    _require_idna()
    try:
        return _canonical(value)
    except ValueError as exc:
        raise InvalidValue(option, value, str(exc)) from None


def display_name(value: str) -> str:
    """Unicode form of a canonical name for messages; the input unchanged when it does not decode."""
    if not HAS_IDNA:
        return value
    try:
        return idna.decode(value)
    except (idna.IDNAError, UnicodeError):
        return value


def canonical_nameservers(values: Any, option: str = "nameservers") -> List[str]:
    """Canonical nameserver hostnames: deduplicated, sorted, between 2 and 4 of them."""
    kind = "a valid list of nameservers"
    if not isinstance(values, (list, tuple)):
        raise InvalidValue(option, values, "must be a list of hostnames", kind)
    found = set()
    for value in values:
        if not isinstance(value, str):
            raise InvalidValue(option, value, f"must be a string, got {type(value).__name__}", "a valid hostname")
        _require_idna()
        try:
            found.add(_canonical(value))
        except ValueError as exc:
            raise InvalidValue(option, value, str(exc), "a valid hostname") from None
    if not MIN_NAMESERVERS <= len(found) <= MAX_NAMESERVERS:
        raise InvalidValue(
            option,
            values,
            f"needs {MIN_NAMESERVERS} to {MAX_NAMESERVERS} distinct nameservers, got {len(found)}",
            kind,
        )
    return sorted(found)


def check_years(value: Any, option: str = "years") -> int:
    """A registration period in whole years, 1 to 10."""
    kind = "a valid number of years"
    # bool is an int subclass, and `years: true` is a typo rather than one year.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(option, value, f"must be an integer, got {type(value).__name__}", kind)
    if not MIN_YEARS <= value <= MAX_YEARS:
        raise InvalidValue(option, value, f"must be between {MIN_YEARS} and {MAX_YEARS}", kind)
    return value


def account_name(domain: Mapping[str, Any]) -> str:
    """The canonical name of a domain read from the account (its own spelling, lower-cased, when odd)."""
    raw = str(domain.get("domain_name") or "")
    try:
        return canonical_name(raw, option="domain_name")
    except (InvalidValue, RuntimeError):
        return raw.lower().rstrip(".")
