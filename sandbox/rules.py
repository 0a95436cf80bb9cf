# SPDX-License-Identifier: GPL-3.0-or-later
"""The registry's rules: prices, reserved names, request validation and time arithmetic."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

# US cents per year; registration, renewal and transfer cost the same.
PRICES_CENTS: Dict[str, int] = {
    "com": 1299,
    "net": 1499,
    "org": 1399,
    "io": 3999,
    "dev": 1499,
    "app": 1499,
    "co": 2499,
}
PRE_TAKEN = (
    "google.com",
    "facebook.com",
    "amazon.com",
    "example.com",
    "example.net",
    "example.org",
    "taken-elsewhere.com",
)
DEFAULT_NAMESERVERS = ["ns1.vps.org", "ns2.vps.org"]
REGISTRAR = "VPS.org"
DOMAIN_STATUSES = ("active", "pending", "expired", "locked")
TRANSFER_STATUSES = ("pending", "completed", "failed")
MIN_TRANSFER_AGE_DAYS = 60
REDACTED = "***REDACTED***"

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

FieldErrors = Dict[str, List[str]]


class ApiError(Exception):
    """An answer other than success, with its JSON body (DRF shapes)."""

    def __init__(self, status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = headers or {}


# -- money and time ----------------------------------------------------------------------------------
def money(cents: int) -> float:
    """Cents as a JSON number with two decimals' worth of precision."""
    return round(cents / 100, 2)


def cents_from(value: Any) -> int:
    """A balance given as a number or numeric string, in cents; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number")
    try:
        amount = round(float(value) * 100)
    except ValueError as error:
        raise ValueError("must be a number") from error
    if amount < 0:
        raise ValueError("must not be negative")
    return int(amount)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: Optional[datetime]) -> Optional[str]:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(moment: datetime) -> str:
    """A stored time, to the microsecond as a database keeps it; answers write it the profile's way."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_ms(moment: datetime) -> str:
    """Journal and ledger times, fine enough to order requests."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: Any) -> datetime:
    """An ISO 8601 date or date-time (naive means UTC); ValueError otherwise."""
    if not isinstance(value, str) or not value:
        raise ValueError("must be an ISO 8601 date-time string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a common year
        return moment.replace(year=moment.year + years, day=28)


def days_between(start: datetime, end: datetime) -> int:
    """Calendar days from start to end (negative when end is earlier)."""
    return (end.astimezone(timezone.utc).date() - start.astimezone(timezone.utc).date()).days


def ago(now: datetime, *, years: int = 0, days: int = 0) -> datetime:
    return add_years(now, -years) - timedelta(days=days)


# -- names -------------------------------------------------------------------------------------------
def hostname_problem(name: str) -> Optional[str]:
    """Why `name` (lower case) is not an LDH host name of two labels or more, or None."""
    if len(name) > 253:
        return "Ensure this name has no more than 253 characters."
    labels = name.split(".")
    if len(labels) < 2:
        return "Enter a valid domain name: it needs at least two labels."
    for label in labels:
        if not label:
            return "Enter a valid domain name: a label is empty."
        if len(label) > 63:
            return f"Enter a valid domain name: label '{label[:20]}...' is longer than 63 characters."
        if not _LABEL.match(label):
            return (
                f"Enter a valid domain name: label '{label}' may hold only ASCII letters, digits and inner "
                "hyphens (send internationalised names as xn-- punycode)."
            )
        if label[2:4] == "--" and not label.startswith("xn--"):
            return f"Enter a valid domain name: label '{label}' has '--' in the reserved third and fourth place."
    return None


def tld_of(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _supported() -> str:
    return ", ".join(f".{tld}" for tld in sorted(PRICES_CENTS))


# -- request bodies ----------------------------------------------------------------------------------
def _type_name(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}.get(
        type(value), type(value).__name__
    )


def check_object(body: Any) -> Dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {_type_name(body)}."]})
    return body


def _boolean(body: Dict[str, Any], field: str, errors: FieldErrors, clean: Dict[str, Any]) -> None:
    if field not in body:
        return
    value = body[field]
    if value is None:
        errors[field] = ["This field may not be null."]
    elif not isinstance(value, bool):
        errors[field] = ["Must be a valid boolean."]
    else:
        clean[field] = value


def _nameservers(body: Dict[str, Any], errors: FieldErrors, clean: Dict[str, Any]) -> None:
    if "nameservers" not in body:
        return
    value = body["nameservers"]
    if value is None:
        errors["nameservers"] = ["This field may not be null."]
        return
    if not isinstance(value, list):
        errors["nameservers"] = [f'Expected a list of items but got type "{_type_name(value)}".']
        return
    problems: List[str] = []
    names: List[str] = []
    for item in value:
        if not isinstance(item, str):
            problems.append(f"Not a valid string: {item!r}.")
            continue
        name = item.lower()
        problem = hostname_problem(name)
        if problem:
            problems.append(f"'{item}' is not a valid host name. {problem}")
        elif name in names:
            problems.append(f"Duplicate nameserver '{item}'.")
        else:
            names.append(name)
    if len(value) < 2:
        problems.insert(0, "Ensure this field has at least 2 elements.")
    elif len(value) > 4:
        problems.insert(0, "Ensure this field has no more than 4 elements.")
    if problems:
        errors["nameservers"] = problems
    else:
        clean["nameservers"] = names


def validate_registration(body: Any) -> Dict[str, Any]:
    """The clean registration request (domain_name, years, auto_renew, privacy_protection, nameservers)."""
    body = check_object(body)
    errors: FieldErrors = {}
    clean: Dict[str, Any] = {
        "years": 1,
        "auto_renew": True,
        "privacy_protection": True,
        "nameservers": list(DEFAULT_NAMESERVERS),
    }
    name = body.get("domain_name")
    if "domain_name" not in body:
        errors["domain_name"] = ["This field is required."]
    elif name is None:
        errors["domain_name"] = ["This field may not be null."]
    elif not isinstance(name, str):
        errors["domain_name"] = ["Not a valid string."]
    elif not name:
        errors["domain_name"] = ["This field may not be blank."]
    else:
        name = name.lower()
        problem = hostname_problem(name)
        if problem:
            errors["domain_name"] = [problem]
        elif tld_of(name) not in PRICES_CENTS:
            errors["domain_name"] = [f"Unsupported top-level domain '.{tld_of(name)}'. Supported: {_supported()}."]
        else:
            clean["domain_name"] = name
    if "years" in body:
        years = body["years"]
        if isinstance(years, bool) or not isinstance(years, int):
            errors["years"] = ["A valid integer is required."]
        elif years < 1:
            errors["years"] = ["Ensure this value is greater than or equal to 1."]
        elif years > 10:
            errors["years"] = ["Ensure this value is less than or equal to 10."]
        else:
            clean["years"] = years
    _boolean(body, "auto_renew", errors, clean)
    _boolean(body, "privacy_protection", errors, clean)
    _nameservers(body, errors, clean)
    if errors:
        raise ApiError(400, errors)
    return clean


def validate_update(body: Any) -> Dict[str, Any]:
    """The settings a partial update changes (only those sent)."""
    body = check_object(body)
    errors: FieldErrors = {}
    clean: Dict[str, Any] = {}
    for field in ("auto_renew", "privacy_protection", "locked"):
        _boolean(body, field, errors, clean)
    _nameservers(body, errors, clean)
    if errors:
        raise ApiError(400, errors)
    return clean


def validate_transfer(body: Any) -> Tuple[str, bool]:
    body = check_object(body)
    errors: FieldErrors = {}
    clean: Dict[str, Any] = {"auto_renew": True}
    code = body.get("auth_code")
    if "auth_code" not in body:
        errors["auth_code"] = ["This field is required."]
    elif code is None:
        errors["auth_code"] = ["This field may not be null."]
    elif not isinstance(code, str):
        errors["auth_code"] = ["Not a valid string."]
    elif not code.strip():
        errors["auth_code"] = ["This field may not be blank."]
    _boolean(body, "auto_renew", errors, clean)
    if errors:
        raise ApiError(400, errors)
    return code, clean["auto_renew"]


def redact(value: Any) -> Any:
    """A copy of a request body with auth codes and anything token-like replaced."""
    if isinstance(value, dict):
        return {key: REDACTED if _secret_key(key) and item is not None else redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _secret_key(key: Any) -> bool:
    lowered = str(key).lower()
    return lowered == "auth_code" or "token" in lowered or "password" in lowered or "secret" in lowered
