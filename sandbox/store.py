# SPDX-License-Identifier: GPL-3.0-or-later
"""SQLite storage and the business rules of accounts, domains, transfers, the ledger and the journal."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Optional, Tuple

from .profiles import DATE_KEYS, PROFILES, registry_key
from .rules import (
    DOMAIN_STATUSES,
    MIN_TRANSFER_AGE_DAYS,
    PRE_TAKEN,
    PRICES_CENTS,
    REDACTED,
    REGISTRAR,
    TRANSFER_STATUSES,
    ApiError,
    add_years,
    ago,
    cents_from,
    days_between,
    iso,
    iso_ms,
    money,
    parse_time,
    stamp,
    tld_of,
    utcnow,
)

DEMO_LABEL = "demo"
DEMO_TOKEN = "sandbox-demo-token"
DEMO_BALANCE_CENTS = 100000
FIRST_DOMAIN_ID = 101
_SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    label TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE, balance_cents INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS domains (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL REFERENCES accounts(label),
    domain_name TEXT NOT NULL,
    status TEXT NOT NULL,
    registration_date TEXT NOT NULL,
    expiration_date TEXT NOT NULL,
    created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL,
    auto_renew INTEGER NOT NULL,
    locked INTEGER NOT NULL,
    privacy_protection INTEGER NOT NULL,
    nameservers TEXT NOT NULL,
    registrar TEXT NOT NULL,
    dns_managed_by TEXT NOT NULL,
    dns_records_count INTEGER NOT NULL,
    auth_code TEXT,
    transfer_status TEXT,
    transfer_initiated_at TEXT,
    estimated_completion TEXT,
    transfer_completed_at TEXT,
    transfer_failure_reason TEXT,
    activate_at REAL,
    transfer_complete_at REAL,
    transfer_outcome TEXT,
    transfer_fail_reason TEXT);
CREATE INDEX IF NOT EXISTS domains_account ON domains(account);
-- Every API request first settles what is due (activations, transfers): these keep that a look-up, not a scan.
CREATE INDEX IF NOT EXISTS domains_activating ON domains(activate_at) WHERE activate_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS domains_transferring ON domains(transfer_complete_at) WHERE transfer_complete_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS registry (domain_name TEXT PRIMARY KEY, holder TEXT, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, account TEXT NOT NULL, domain_name TEXT NOT NULL,
    kind TEXT NOT NULL, amount_cents INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    query TEXT NOT NULL, body TEXT NOT NULL, status INTEGER, account TEXT, user_agent TEXT, fault TEXT);
"""

# Stored fields a control call may set, and how each is checked. Times (DATE_KEYS) may be ISO strings.
_BOOL_FIELDS = ("auto_renew", "locked", "privacy_protection")
_TIMER_FIELDS = ("activate_at", "transfer_complete_at")
_TEXT_FIELDS = ("registrar", "dns_managed_by", "auth_code", "transfer_failure_reason", "transfer_fail_reason")
# What becomes of a transfer once it is started (never shown by the API): it completes after transfer_delay
# (null or "complete"), fails then with transfer_fail_reason ("fail"), or stays pending ("stay").
TRANSFER_OUTCOMES = ("complete", "fail", "stay")
DEFAULT_FAIL_REASON = "The losing registrar refused the transfer."
# Columns added after the first schema: added to a database file made before them.
_ADDED_COLUMNS = (("transfer_outcome", "TEXT"), ("transfer_fail_reason", "TEXT"))
SEED_FIELDS = frozenset(
    (
        "domain_name",
        "status",
        "nameservers",
        "dns_records_count",
        "transfer_status",
        "transfer_outcome",
        "whois_created_date",
        *_BOOL_FIELDS,
        *DATE_KEYS,
        *_TIMER_FIELDS,
        *_TEXT_FIELDS,
    )
)
_NULLABLE = frozenset(
    (
        "auth_code",
        "transfer_status",
        "transfer_initiated_at",
        "estimated_completion",
        "transfer_completed_at",
        "transfer_failure_reason",
        "activate_at",
        "transfer_complete_at",
        "transfer_outcome",
        "transfer_fail_reason",
    )
)

NEXT_STEPS = [
    "Check email for transfer authorization request",
    "Approve transfer with current registrar",
    "Wait for transfer to complete (5-7 days)",
    "Domain will be automatically renewed for 1 year upon completion",
]


MAX_LATENCY_MS = 60000


@dataclass
class Config:
    """What the control API may change at run time."""

    page_size: int = 50
    activation_delay: float = 2.0
    transfer_delay: float = 30.0
    expose_transfer_status: bool = True
    # List objects carry `registrar` and the transfer state too (an API whose list shows them; the documented
    # list object does not, so a client reads the detail).
    list_transfer_state: bool = False
    next_link_base: Optional[str] = None
    profile: str = "default"
    # Added to every API answer (not the control API): a network round trip in front of the sandbox.
    latency_ms: int = 0

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def update(self, changes: Any) -> None:
        """Apply a partial config; ApiError 400 for unknown keys or wrong types, applying nothing then."""
        if not isinstance(changes, dict):
            raise ApiError(400, {"detail": "Expected a JSON object."})
        errors: Dict[str, List[str]] = {}
        clean: Dict[str, Any] = {}
        for key, value in changes.items():
            if key == "page_size":
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
                    errors[key] = ["Must be an integer from 1 to 1000."]
                else:
                    clean[key] = value
            elif key in ("activation_delay", "transfer_delay"):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    errors[key] = ["Must be a number of seconds, 0 or more."]
                else:
                    clean[key] = float(value)
            elif key in ("expose_transfer_status", "list_transfer_state"):
                if not isinstance(value, bool):
                    errors[key] = ["Must be a valid boolean."]
                else:
                    clean[key] = value
            elif key == "next_link_base":
                if value is not None and (not isinstance(value, str) or not value.startswith(("http://", "https://"))):
                    errors[key] = ["Must be null or an http(s) URL such as 'http://host:port'."]
                else:
                    clean[key] = value.rstrip("/") if value else None
            elif key == "profile":
                if value not in PROFILES:
                    errors[key] = [f"One of: {', '.join(PROFILES)}."]
                else:
                    clean[key] = value
            elif key == "latency_ms":
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LATENCY_MS:
                    errors[key] = [f"Must be an integer from 0 to {MAX_LATENCY_MS} (milliseconds)."]
                else:
                    clean[key] = value
            else:
                errors[key] = ["Unknown setting."]
        if errors:
            raise ApiError(400, errors)
        for key, value in clean.items():
            setattr(self, key, value)


def _dt(value: Optional[str]) -> Optional[datetime]:
    return parse_time(value) if value else None


def _timer_iso(value: Optional[float]) -> Optional[str]:
    if value is None:
        return None
    return stamp(datetime.fromtimestamp(value, timezone.utc))


class Store:
    """All state behind one lock and one connection; every operation is one SQLite transaction."""

    def __init__(self, path: str, config: Config) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        # Case-insensitive search beyond ASCII (SQLite's lower() folds ASCII only), and the registry's form of
        # a stored name (a name kept as posted, Unicode included, is still one registration).
        self._db.create_function("fold", 1, lambda text: text.lower() if isinstance(text, str) else text)
        self._db.create_function("name_key", 1, lambda text: registry_key(text) if isinstance(text, str) else text)
        with self._lock:
            # WAL with NORMAL sync: a committed change survives the process being killed, without an fsync per
            # request (the journal writes one row per API call).
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            present = {row[1] for row in self._db.execute("PRAGMA table_info(domains)").fetchall()}
            for column, kind in _ADDED_COLUMNS:
                if column not in present:
                    self._db.execute(f"ALTER TABLE domains ADD COLUMN {column} {kind}")
            fresh = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() is None
        if fresh:
            self.reset()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so a check and the write it guards never interleave
        # with another writer, even another process on the same file.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._settle(time.time())
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- timers: stored as absolute times and applied lazily, so they survive a restart ---------------
    def _settle(self, now: float) -> None:
        db = self._db
        for row in db.execute(
            "SELECT id, activate_at FROM domains WHERE status = 'pending' AND activate_at IS NOT NULL"
            " AND activate_at <= ?",
            (now,),
        ).fetchall():
            db.execute(
                "UPDATE domains SET status = 'active', activate_at = NULL, updated_date = ? WHERE id = ?",
                (_timer_iso(row["activate_at"]), row["id"]),
            )
        for row in db.execute(
            "SELECT id, expiration_date, transfer_complete_at, transfer_outcome, transfer_fail_reason FROM domains"
            " WHERE transfer_status = 'pending' AND transfer_complete_at IS NOT NULL AND transfer_complete_at <= ?",
            (now,),
        ).fetchall():
            done = _timer_iso(row["transfer_complete_at"])
            if row["transfer_outcome"] == "fail":
                db.execute(
                    "UPDATE domains SET transfer_status = 'failed', transfer_failure_reason = ?,"
                    " transfer_complete_at = NULL, updated_date = ? WHERE id = ?",
                    (row["transfer_fail_reason"] or DEFAULT_FAIL_REASON, done, row["id"]),
                )
                continue
            db.execute(
                "UPDATE domains SET transfer_status = 'completed', registrar = ?, expiration_date = ?,"
                " transfer_completed_at = ?, transfer_complete_at = NULL, updated_date = ? WHERE id = ?",
                (REGISTRAR, stamp(add_years(parse_time(row["expiration_date"]), 1)), done, done, row["id"]),
            )

    # -- reset and demo data --------------------------------------------------------------------------
    def reset(self) -> Dict[str, Any]:
        now = utcnow()
        with self._tx() as db:
            for table in ("domains", "accounts", "registry", "ledger", "journal"):
                db.execute(f"DELETE FROM {table}")
            # Ids restart at 101 after a reset, one sequence for every account.
            db.execute("DELETE FROM sqlite_sequence WHERE name IN ('domains', 'ledger', 'journal')")
            db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('domains', ?)", (FIRST_DOMAIN_ID - 1,))
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", (_SCHEMA_VERSION,))
            db.execute(
                "INSERT INTO accounts (label, token, balance_cents) VALUES (?, ?, ?)",
                (DEMO_LABEL, DEMO_TOKEN, DEMO_BALANCE_CENTS),
            )
            for name in PRE_TAKEN:
                db.execute("INSERT INTO registry (domain_name, holder, state) VALUES (?, NULL, 'pretaken')", (name,))
            ids = [self._insert_domain(db, DEMO_LABEL, fields, now) for fields in _demo_domains(now)]
        return {"accounts": [DEMO_LABEL], "domains": ids}

    # -- accounts -------------------------------------------------------------------------------------
    def account_for_token(self, token: Optional[str]) -> Optional[str]:
        if not token:
            return None
        with self._lock:
            row = self._db.execute("SELECT label FROM accounts WHERE token = ?", (token,)).fetchone()
        return row["label"] if row else None

    def tokens(self) -> List[str]:
        with self._lock:
            return [row["token"] for row in self._db.execute("SELECT token FROM accounts")]

    def add_account(self, body: Any) -> Dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, {"detail": "Expected a JSON object."})
        errors: Dict[str, List[str]] = {}
        label, token = body.get("label"), body.get("token")
        if not isinstance(label, str) or not label:
            errors["label"] = ["A non-empty string is required."]
        if not isinstance(token, str) or not token:
            errors["token"] = ["A non-empty string is required."]
        cents = 0
        try:
            cents = cents_from(body.get("balance", 0))
        except ValueError as error:
            errors["balance"] = [f"Balance {error}."]
        unknown = sorted(set(body) - {"label", "token", "balance"})
        if unknown:
            errors["non_field_errors"] = [f"Unknown fields: {', '.join(unknown)}."]
        if errors:
            raise ApiError(400, errors)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM accounts WHERE label = ? OR token = ?", (label, token)).fetchone():
                raise ApiError(400, {"detail": "An account with this label or token exists already."})
            db.execute("INSERT INTO accounts (label, token, balance_cents) VALUES (?, ?, ?)", (label, token, cents))
        return {"label": label, "balance": money(cents)}

    def set_balance(self, label: str, body: Any) -> Dict[str, Any]:
        if not isinstance(body, dict) or set(body) != {"balance"}:
            raise ApiError(400, {"detail": 'Send exactly {"balance": number}.'})
        try:
            cents = cents_from(body["balance"])
        except ValueError as error:
            raise ApiError(400, {"balance": [f"Balance {error}."]}) from error
        with self._tx() as db:
            if db.execute("UPDATE accounts SET balance_cents = ? WHERE label = ?", (cents, label)).rowcount == 0:
                raise ApiError(404, {"detail": "No such account."})
        return {"label": label, "balance": money(cents)}

    def accounts(self) -> List[Dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT label, balance_cents FROM accounts ORDER BY label").fetchall()
        return [{"label": row["label"], "balance": money(row["balance_cents"])} for row in rows]

    # -- API: domains ---------------------------------------------------------------------------------
    def list_domains(
        self, account: str, status: Optional[str], search: Optional[str], page: int, *, newest_first: bool = False
    ) -> Tuple[int, List[Dict[str, Any]]]:
        """One page (1-based) of the account's domains as list items (oldest or newest first), and the count."""
        where, params = ["account = ?"], [account]
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if search:
            where.append("instr(fold(domain_name), ?) > 0")
            params.append(search.lower())
        clause = " AND ".join(where)
        size = self.config.page_size
        with self._tx() as db:
            count = db.execute(f"SELECT count(*) FROM domains WHERE {clause}", params).fetchone()[0]
            last = max(1, -(-count // size))
            if page > last:
                raise ApiError(404, {"detail": "Invalid page."})
            order = "DESC" if newest_first else "ASC"
            rows = db.execute(
                f"SELECT * FROM domains WHERE {clause} ORDER BY id {order} LIMIT ? OFFSET ?",
                (*params, size, (page - 1) * size),
            ).fetchall()
        if not self.config.list_transfer_state:
            return count, [_list_item(row) for row in rows]
        return count, [dict(_list_item(row), registrar=row["registrar"], **self._transfer_fields(row)) for row in rows]

    def _own(self, db: sqlite3.Connection, account: str, domain_id: int) -> sqlite3.Row:
        row = db.execute("SELECT * FROM domains WHERE id = ? AND account = ?", (domain_id, account)).fetchone()
        if row is None:
            raise ApiError(404, {"detail": "Not found."})
        return row

    def get_domain(self, account: str, domain_id: int) -> Dict[str, Any]:
        with self._tx() as db:
            row = self._own(db, account, domain_id)
        return self._detail(row)

    def register(self, account: str, clean: Dict[str, Any]) -> Dict[str, Any]:
        """Check availability and balance, charge, insert: one transaction, so a race gives one winner."""
        name, years = clean["domain_name"], clean["years"]
        key = registry_key(name)
        cost = PRICES_CENTS[tld_of(key)] * years
        now = utcnow()
        with self._tx() as db:
            taken = db.execute("SELECT 1 FROM registry WHERE domain_name = ?", (key,)).fetchone()
            if taken or db.execute("SELECT 1 FROM domains WHERE name_key(domain_name) = ?", (key,)).fetchone():
                raise ApiError(400, {"domain_name": [f"Domain '{name}' is already registered."]})
            self._charge(
                db, account, name, kind="registration", cents=cost, now=now,
                what=f"registering {name} for {years} year(s)",
            )  # fmt: skip
            fields = {
                "domain_name": name,
                "status": "pending",
                "registration_date": stamp(now),
                "expiration_date": stamp(add_years(now, years)),
                "auto_renew": clean["auto_renew"],
                "privacy_protection": clean["privacy_protection"],
                "nameservers": clean["nameservers"],
                "locked": True,
                "registrar": REGISTRAR,
                "activate_at": now.timestamp() + self.config.activation_delay,
            }
            domain_id = self._insert_domain(db, account, fields, now)
            row = self._own(db, account, domain_id)
        answer = self._detail(row)
        answer.update(
            {
                "years": years,
                "total_cost": money(cost),
                "message": "Domain registration initiated. Processing may take 5-10 minutes.",
            }
        )
        return answer

    def update(self, account: str, domain_id: int, changes: Dict[str, Any]) -> Dict[str, Any]:
        with self._tx() as db:
            row = self._own(db, account, domain_id)
            current = _list_item(row)
            real = {key: value for key, value in changes.items() if current[key] != value}
            if real:
                sets = ", ".join(f"{key} = ?" for key in real)
                values = [json.dumps(v) if key == "nameservers" else int(v) for key, v in real.items()]
                db.execute(
                    f"UPDATE domains SET {sets}, updated_date = ? WHERE id = ?",
                    (*values, stamp(utcnow()), domain_id),
                )
            row = self._own(db, account, domain_id)
        item = _list_item(row)
        answer = {
            key: item[key]
            for key in ("id", "domain_name", "status", "auto_renew", "privacy_protection", "nameservers", "locked")
        }
        answer["message"] = "Domain settings updated. Nameserver changes may take up to 24 hours to propagate."
        return answer

    def remove(self, account: str, domain_id: int) -> None:
        """Take the domain out of the account; the registration stays, so the name stays unavailable."""
        with self._tx() as db:
            row = self._own(db, account, domain_id)
            db.execute("DELETE FROM domains WHERE id = ?", (domain_id,))
            db.execute(
                "INSERT OR REPLACE INTO registry (domain_name, holder, state) VALUES (?, NULL, 'removed')",
                (registry_key(row["domain_name"]),),
            )

    def transfer(self, account: str, domain_id: int, auth_code: str, auto_renew: bool) -> Dict[str, Any]:
        now = utcnow()
        with self._tx() as db:
            row = self._own(db, account, domain_id)
            name = row["domain_name"]
            if row["transfer_status"] == "pending":
                raise ApiError(400, {"detail": f"A transfer of {name} is already pending."})
            if row["registrar"] == REGISTRAR:
                raise ApiError(400, {"detail": f"{name} is already registered with VPS.org; nothing to transfer."})
            if row["auth_code"] is None or auth_code != row["auth_code"]:
                raise ApiError(400, {"auth_code": ["Invalid authorization code."]})
            created = parse_time(row["created_date"])
            if days_between(created, now) < MIN_TRANSFER_AGE_DAYS:
                raise ApiError(
                    400,
                    {
                        "detail": f"{name} was registered on {iso(created)}; a domain can be transferred only "
                        f"{MIN_TRANSFER_AGE_DAYS} days after its registration."
                    },
                )
            if row["locked"]:
                raise ApiError(400, {"detail": f"{name} is locked; unlock it at the current registrar first."})
            tld = tld_of(registry_key(name))
            if tld not in PRICES_CENTS:
                raise ApiError(400, {"detail": f"Transfers of .{tld} domains are not supported."})
            fee = PRICES_CENTS[tld]
            self._charge(
                db, account, name, kind="transfer", cents=fee, now=now,
                what=f"the transfer of {name} (including one year of renewal)",
            )  # fmt: skip
            due = now.timestamp() + self.config.transfer_delay
            estimated = stamp(datetime.fromtimestamp(due, timezone.utc))
            # A transfer meant to stay pending has no timer: the approval never comes.
            timer = None if row["transfer_outcome"] == "stay" else due
            db.execute(
                "UPDATE domains SET transfer_status = 'pending', transfer_initiated_at = ?, estimated_completion = ?,"
                " transfer_completed_at = NULL, transfer_failure_reason = NULL, transfer_complete_at = ?,"
                " auto_renew = ?, updated_date = ? WHERE id = ?",
                (stamp(now), estimated, timer, int(auto_renew), stamp(now), domain_id),
            )
        return {
            "id": domain_id,
            "domain_name": name,
            "transfer_status": "pending",
            "transfer_initiated_at": stamp(now),
            "estimated_completion": estimated,
            "message": "Domain transfer initiated. Check your email for the authorization request. "
            "Transfer typically completes within 5-7 days.",
            "next_steps": list(NEXT_STEPS),
        }

    def _charge(
        self, db: sqlite3.Connection, account: str, name: str, *, kind: str, cents: int, now: datetime, what: str
    ) -> None:
        """Debit the account and write the ledger, or 402; in the caller's transaction, so a refusal stores nothing."""
        balance = db.execute("SELECT balance_cents FROM accounts WHERE label = ?", (account,)).fetchone()[0]
        if balance < cents:
            raise ApiError(
                402,
                {
                    "detail": f"Insufficient balance: {what} costs {money(cents):.2f} USD; "
                    f"the account balance is {money(balance):.2f} USD."
                },
            )
        db.execute("UPDATE accounts SET balance_cents = balance_cents - ? WHERE label = ?", (cents, account))
        db.execute(
            "INSERT INTO ledger (time, account, domain_name, kind, amount_cents) VALUES (?, ?, ?, ?, ?)",
            (iso_ms(now), account, name, kind, cents),
        )

    def _detail(self, row: sqlite3.Row) -> Dict[str, Any]:
        item = _list_item(row)
        now = utcnow()
        private = bool(row["privacy_protection"])
        holder = f"{row['account']} account holder"
        item.update(
            {
                "registrar": row["registrar"],
                "days_until_expiration": days_between(now, parse_time(row["expiration_date"])),
                "whois_info": {
                    "registrant": "REDACTED FOR PRIVACY" if private else holder,
                    "admin_contact": "REDACTED FOR PRIVACY" if private else holder,
                    "tech_contact": "REDACTED FOR PRIVACY" if private else "VPS.org Hostmaster",
                    "created_date": row["created_date"],
                    "updated_date": row["updated_date"],
                },
                "dns_records_count": row["dns_records_count"],
            }
        )
        item.update(self._transfer_fields(row))
        return item

    def _transfer_fields(self, row: sqlite3.Row) -> Dict[str, Any]:
        """`transfer_status` and its dates or reason, as the detail shows them (none when not exposed)."""
        if not self.config.expose_transfer_status:
            return {}
        status = row["transfer_status"]
        fields: Dict[str, Any] = {"transfer_status": status}
        if status is not None:
            fields["transfer_initiated_at"] = row["transfer_initiated_at"]
            fields["estimated_completion"] = row["estimated_completion"]
        if status == "completed":
            fields["transfer_completed_at"] = row["transfer_completed_at"]
        if status == "failed":
            fields["transfer_failure_reason"] = row["transfer_failure_reason"]
        return fields

    # -- control: stored domains ----------------------------------------------------------------------
    def seed_domain(self, body: Any) -> Any:
        """Store a domain from any stored fields (a list of them stores many in one transaction)."""
        many = isinstance(body, list)
        items = body if many else [body]
        checked = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise ApiError(400, {"detail": f"Item {index}: expected a JSON object."})
            fields = dict(item)
            account = fields.pop("account", DEMO_LABEL)
            if "domain_name" not in fields:
                raise ApiError(400, {"domain_name": ["This field is required."]})
            checked.append((account, _check_stored_fields(fields)))
        now = utcnow()
        stored = []
        with self._tx() as db:
            for account, clean in checked:
                if not db.execute("SELECT 1 FROM accounts WHERE label = ?", (account,)).fetchone():
                    raise ApiError(400, {"account": [f"No account labelled {account!r}."]})
                domain_id = self._insert_domain(db, account, clean, now)
                stored.append(_stored(db.execute("SELECT * FROM domains WHERE id = ?", (domain_id,)).fetchone()))
        return stored if many else stored[0]

    def patch_domain(self, domain_id: int, body: Any) -> Dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, {"detail": "Expected a JSON object."})
        fields = dict(body)
        account = fields.pop("account", None)
        clean = _check_stored_fields(fields)
        with self._tx() as db:
            row = db.execute("SELECT * FROM domains WHERE id = ?", (domain_id,)).fetchone()
            if row is None:
                raise ApiError(404, {"detail": "Not found."})
            if account is not None:
                if not db.execute("SELECT 1 FROM accounts WHERE label = ?", (account,)).fetchone():
                    raise ApiError(400, {"account": [f"No account labelled {account!r}."]})
                clean["account"] = account
            merged = {key: row[key] for key in row.keys()}  # noqa: SIM118 - sqlite3.Row has no key iteration
            merged.update(clean)
            clean.update(self._transfer_dates(merged, utcnow()))
            columns = _columns(clean)
            if columns:
                sets = ", ".join(f"{key} = ?" for key in columns)
                db.execute(f"UPDATE domains SET {sets} WHERE id = ?", (*columns.values(), domain_id))
            row = db.execute("SELECT * FROM domains WHERE id = ?", (domain_id,)).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO registry (domain_name, holder, state) VALUES (?, ?, 'held')",
                (registry_key(row["domain_name"]), row["account"]),
            )
        return _stored(row)

    def stored_domains(self, domain_id: Optional[int] = None) -> Any:
        with self._tx() as db:
            if domain_id is None:
                return [_stored(row) for row in db.execute("SELECT * FROM domains ORDER BY id").fetchall()]
            row = db.execute("SELECT * FROM domains WHERE id = ?", (domain_id,)).fetchone()
        if row is None:
            raise ApiError(404, {"detail": "Not found."})
        return _stored(row)

    def _transfer_dates(self, row: Dict[str, Any], now: datetime) -> Dict[str, Any]:
        """The transfer dates a transfer state implies, where the stored row lacks them."""
        filled: Dict[str, Any] = {}
        if row["transfer_status"] is not None:
            if not row["transfer_initiated_at"]:
                filled["transfer_initiated_at"] = stamp(now)
            if not row["estimated_completion"]:
                filled["estimated_completion"] = stamp(now + timedelta(seconds=self.config.transfer_delay))
        if row["transfer_status"] == "completed" and not row["transfer_completed_at"]:
            filled["transfer_completed_at"] = stamp(now)
        return filled

    def _insert_domain(self, db: sqlite3.Connection, account: str, fields: Dict[str, Any], now: datetime) -> int:
        """Insert a domain from checked stored fields, filling what is missing; the name joins the registry."""
        name = fields["domain_name"]
        registrar = fields.get("registrar", REGISTRAR)
        registered = fields.get("registration_date", stamp(ago(now, years=1)))
        row: Dict[str, Any] = {
            "account": account,
            "domain_name": name,
            "status": "active",
            "registration_date": registered,
            "expiration_date": stamp(add_years(now, 1)),
            "created_date": registered,
            "updated_date": registered,
            "auto_renew": True,
            # A domain held elsewhere is usually being readied for a transfer, which needs it unlocked.
            "locked": registrar == REGISTRAR,
            "privacy_protection": True,
            "nameservers": ["ns1.vps.org", "ns2.vps.org"],
            "registrar": registrar,
            "dns_managed_by": "vps.org",
            "dns_records_count": 0,
            "auth_code": None,
            "transfer_status": None,
            "transfer_initiated_at": None,
            "estimated_completion": None,
            "transfer_completed_at": None,
            "transfer_failure_reason": None,
            "activate_at": None,
            "transfer_complete_at": None,
        }
        row.update(fields)
        row.update(self._transfer_dates(row, now))
        columns = _columns(row)
        names = ", ".join(columns)
        marks = ", ".join("?" for _column in columns)
        cursor = db.execute(f"INSERT INTO domains ({names}) VALUES ({marks})", tuple(columns.values()))
        db.execute(
            "INSERT OR REPLACE INTO registry (domain_name, holder, state) VALUES (?, ?, 'held')",
            (registry_key(name), account),
        )
        return int(cursor.lastrowid)

    # -- ledger and journal ---------------------------------------------------------------------------
    def ledger(self) -> List[Dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM ledger ORDER BY id").fetchall()
        return [
            {
                "time": row["time"],
                "account": row["account"],
                "domain_name": row["domain_name"],
                "kind": row["kind"],
                "amount": money(row["amount_cents"]),
            }
            for row in rows
        ]

    def record(self, entry: Dict[str, Any]) -> None:
        """Add a journal entry; every account token is scrubbed from it whatever field it hides in."""
        text = {key: json.dumps(entry.get(key)) for key in ("path", "query", "body", "user_agent")}
        with self._lock:
            for token in self.tokens():
                for key, value in text.items():
                    if token in value:
                        text[key] = value.replace(token, REDACTED)
            self._db.execute(
                "INSERT INTO journal (time, method, path, query, body, status, account, user_agent, fault)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry["time"],
                    entry["method"],
                    json.loads(text["path"]),
                    text["query"],
                    text["body"],
                    entry["status"],
                    entry["account"],
                    json.loads(text["user_agent"]),
                    entry["fault"],
                ),
            )

    def journal(self) -> List[Dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM journal ORDER BY id").fetchall()
        return [
            {
                "time": row["time"],
                "method": row["method"],
                "path": row["path"],
                "query": json.loads(row["query"]),
                "body": json.loads(row["body"]),
                "status": row["status"],
                "account": row["account"],
                "user_agent": row["user_agent"],
                "fault": row["fault"],
            }
            for row in rows
        ]

    def clear_journal(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM journal")


def _list_item(row: sqlite3.Row) -> Dict[str, Any]:
    return {
        "id": row["id"],
        "domain_name": row["domain_name"],
        "status": row["status"],
        "registration_date": row["registration_date"],
        "expiration_date": row["expiration_date"],
        "auto_renew": bool(row["auto_renew"]),
        "locked": bool(row["locked"]),
        "nameservers": json.loads(row["nameservers"]),
        "privacy_protection": bool(row["privacy_protection"]),
        "dns_managed_by": row["dns_managed_by"],
    }


def _stored(row: sqlite3.Row) -> Dict[str, Any]:
    """Every stored field of a domain (control API view: includes the auth code and the timers)."""
    data = {key: row[key] for key in row.keys()}  # noqa: SIM118 - sqlite3.Row has no iteration over keys
    for key in _BOOL_FIELDS:
        data[key] = bool(data[key])
    data["nameservers"] = json.loads(data["nameservers"])
    for key in _TIMER_FIELDS:
        data[key] = _timer_iso(data[key])
    for key in (*DATE_KEYS, *_TIMER_FIELDS):
        # Stored to the microsecond; the control API shows whole seconds under every profile.
        if data.get(key):
            data[key] = iso(parse_time(data[key]))
    return data


def _columns(fields: Dict[str, Any]) -> Dict[str, Any]:
    """Checked stored fields as column values."""
    columns: Dict[str, Any] = {}
    for key, value in fields.items():
        if key == "nameservers":
            columns[key] = json.dumps(value)
        elif key in _BOOL_FIELDS:
            columns[key] = int(value)
        elif key in _TIMER_FIELDS:
            # Timers are epoch seconds: API calls pass them so; control calls send ISO strings.
            columns[key] = value if value is None or isinstance(value, float) else parse_time(value).timestamp()
        else:
            columns[key] = value
    return columns


def _check_stored_fields(fields: Dict[str, Any]) -> Dict[str, Any]:
    """Stored domain fields from a control call, checked; ApiError 400 naming every bad or unknown field."""
    errors: Dict[str, List[str]] = {}
    clean: Dict[str, Any] = {}
    for key, value in fields.items():
        if key not in SEED_FIELDS:
            errors[key] = [f"Unknown field. Known: {', '.join(sorted(SEED_FIELDS))}."]
            continue
        target = "created_date" if key == "whois_created_date" else key
        if value is None:
            if key in _NULLABLE:
                clean[target] = None
            else:
                errors[key] = ["This field may not be null."]
        elif key == "domain_name":
            if not isinstance(value, str) or not value:
                errors[key] = ["A non-empty string is required."]
            else:
                clean[target] = value.lower()
        elif key == "status":
            if value not in DOMAIN_STATUSES:
                errors[key] = [f"One of: {', '.join(DOMAIN_STATUSES)}."]
            else:
                clean[target] = value
        elif key == "transfer_status":
            if value not in TRANSFER_STATUSES:
                errors[key] = [f"Null or one of: {', '.join(TRANSFER_STATUSES)}."]
            else:
                clean[target] = value
        elif key == "transfer_outcome":
            if value not in TRANSFER_OUTCOMES:
                errors[key] = [f"Null or one of: {', '.join(TRANSFER_OUTCOMES)}."]
            else:
                clean[target] = value
        elif key in _BOOL_FIELDS:
            if not isinstance(value, bool):
                errors[key] = ["Must be a valid boolean."]
            else:
                clean[target] = value
        elif key == "nameservers":
            if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
                errors[key] = ["A list of host names is required."]
            else:
                clean[target] = [item.lower() for item in value]
        elif key == "dns_records_count":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors[key] = ["A non-negative integer is required."]
            else:
                clean[target] = value
        elif key in DATE_KEYS or key in _TIMER_FIELDS or key == "whois_created_date":
            try:
                moment = parse_time(value)
            except ValueError:
                errors[key] = ["An ISO 8601 date-time such as '2024-01-15T10:30:00Z' is required."]
            else:
                clean[target] = value if key in _TIMER_FIELDS else stamp(moment)
        elif not isinstance(value, str):
            errors[key] = ["A string is required."]
        else:
            clean[target] = value
    if errors:
        raise ApiError(400, errors)
    return clean


def _demo_domains(now: datetime) -> List[Dict[str, Any]]:
    """The demo account's sample domains, dated relative to `now`."""
    vps = ["ns1.vps.org", "ns2.vps.org"]
    samples: List[Dict[str, Any]] = [
        {
            "domain_name": "example-shop.com",
            "auto_renew": True,
            "locked": True,
            "privacy_protection": True,
            "nameservers": vps,
            "registrar": REGISTRAR,
            "expires": 400,
            "years_ago": 3,
            "dns_records_count": 12,
        },
        {
            "domain_name": "example-blog.net",
            "auto_renew": False,
            "locked": False,
            "privacy_protection": False,
            "nameservers": ["ns1.example-dns.net", "ns2.example-dns.net"],
            "registrar": REGISTRAR,
            "expires": 20,
            "years_ago": 2,
            "dns_records_count": 5,
        },
        {
            "domain_name": "example-labs.io",
            "auto_renew": True,
            "locked": True,
            "privacy_protection": True,
            "nameservers": vps,
            "registrar": REGISTRAR,
            "expires": 200,
            "years_ago": 1,
            "dns_records_count": 8,
        },
        {
            "domain_name": "transfer-me.org",
            "auto_renew": True,
            "locked": False,
            "privacy_protection": True,
            "nameservers": ["ns1.other-registrar.example", "ns2.other-registrar.example"],
            "registrar": "Other Registrar Inc.",
            "expires": 300,
            "years_ago": 2,
            "dns_records_count": 3,
            "auth_code": "EPP-DEMO-1234",
        },
    ]
    domains = []
    for sample in samples:
        registered = stamp(ago(now, years=sample.pop("years_ago")))
        sample.update(
            {
                "status": "active",
                "registration_date": registered,
                "created_date": registered,
                "updated_date": registered,
                "expiration_date": stamp(now + timedelta(days=sample.pop("expires"))),
            }
        )
        domains.append(sample)
    return domains


def checked_status(value: Optional[str]) -> Optional[str]:
    if value is not None and value not in DOMAIN_STATUSES:
        raise ApiError(400, {"status": [f"Select a valid choice. {value} is not one of the available choices."]})
    return value
