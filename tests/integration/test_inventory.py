# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory plugin vpsorg.domains.domains, run by ansible-inventory and ansible-playbook against the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
import yaml

BIN_DIR = Path(sys.executable).parent
REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO_ROOT / "playbooks"
DEMO_NAMES = ["example-blog.net", "example-labs.io", "example-shop.com", "transfer-me.org"]
IDN = "xn--mnchen-3ya.de"
JUDGE = "Judge expiry and lock state"


def in_days(days: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Inventory:
    """Writes plugin configurations and runs ansible-inventory / ansible-playbook on them."""

    def __init__(self, sandbox, tmp_path: Path, base_environment: Callable[[Path], Dict[str, str]]) -> None:
        self.sandbox = sandbox
        self.base_environment = base_environment
        self.tmp_path = tmp_path
        self.runs = 0

    def config(self, name: str = "test.vps_domains.yml", **options: Any) -> Path:
        path = self.tmp_path / name
        body = {"plugin": "vpsorg.domains.domains", **options}
        path.write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return path

    def env(self, token: Optional[str] = None, **extra: str) -> Dict[str, str]:
        self.runs += 1
        run_dir = self.tmp_path / f"run{self.runs}"
        run_dir.mkdir()
        env = self.base_environment(run_dir)
        env.update(
            {
                "VPSORG_API_URL": self.sandbox.api_url,
                "VPSORG_API_TOKEN": token or self.sandbox.token,
                "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
                "ANSIBLE_INVENTORY_ENABLED": "auto",
            }
        )
        env.update(extra)
        return env

    def run(self, config: Path, *args: str, token: Optional[str] = None, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN_DIR / "ansible-inventory"), "-i", str(config), *args],
            env=self.env(token, **extra),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def listing(self, config: Path, *args: str, **extra: str) -> Dict[str, Any]:
        completed = self.run(config, "--list", *args, **extra)
        assert completed.returncode == 0, completed.stderr
        return plain(json.loads(completed.stdout))


def plain(value: Any) -> Any:
    """The listing without ansible-core 2.19's envelope for untrusted strings (data from the API is never trusted)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def members(listing: Dict[str, Any], group: str) -> List[str]:
    return sorted(listing.get(group, {}).get("hosts", []))


def hostvars(listing: Dict[str, Any], host: str) -> Dict[str, Any]:
    return listing["_meta"]["hostvars"][host]


@pytest.fixture
def inventory(sandbox, tmp_path, request) -> Inventory:
    # The integration harness's environment (collection path, result recorder), from its conftest plugin.
    for plugin in request.config.pluginmanager.get_plugins():
        base_environment = getattr(plugin, "base_environment", None)
        if callable(base_environment):
            return Inventory(sandbox, tmp_path, base_environment)
    raise AssertionError("the integration conftest with base_environment() is not loaded")


@pytest.mark.api_shape
def test_hosts_groups_and_host_variables(inventory, sandbox):
    sandbox.seed_domain(domain_name=IDN, status="pending", locked=False, expiration_date=in_days(100))
    sandbox.seed_domain(domain_name="old-shop.com", status="expired", expiration_date=in_days(-3), auto_renew=False)
    config = inventory.config(
        compose={"ansible_connection": "'local'", "renews": "vps_auto_renew"},
        groups={"unlocked": "not vps_locked", "renewing": "renews"},
        keyed_groups=[{"key": "vps_dns_managed_by", "prefix": "dns"}, {"key": "vps_status", "prefix": "state"}],
    )
    listing = inventory.listing(config)
    everything = sorted([*DEMO_NAMES, IDN, "old-shop.com"])
    assert sorted(listing["_meta"]["hostvars"]) == everything
    assert members(listing, "vps_status_active") == DEMO_NAMES
    assert members(listing, "vps_status_pending") == [IDN]
    assert members(listing, "vps_status_expired") == ["old-shop.com"]
    assert members(listing, "vps_tld_com") == ["example-shop.com", "old-shop.com"]
    assert members(listing, "vps_tld_de") == [IDN]
    # example-blog.net expires in 20 days; a domain past its expiry is the most urgent of all.
    assert members(listing, "vps_expiring") == ["example-blog.net", "old-shop.com"]
    assert members(listing, "unlocked") == ["example-blog.net", "transfer-me.org", IDN]
    assert members(listing, "renewing") == sorted(set(everything) - {"example-blog.net", "old-shop.com"})
    assert members(listing, "dns_vps_org") == everything
    assert members(listing, "state_pending") == [IDN]

    shop = hostvars(listing, "example-shop.com")
    assert shop["vps_id"] == 101
    assert shop["vps_status"] == "active"
    assert shop["vps_tld"] == "com"
    assert shop["vps_nameservers"] == ["ns1.vps.org", "ns2.vps.org"]
    assert 390 <= shop["vps_days_left"] <= 400
    assert shop["ansible_connection"] == "local"
    assert {key for key in shop if key.startswith("vps_")} == {
        "vps_id",
        "vps_status",
        "vps_registration_date",
        "vps_expiration_date",
        "vps_days_left",
        "vps_auto_renew",
        "vps_locked",
        "vps_privacy_protection",
        "vps_nameservers",
        "vps_dns_managed_by",
        "vps_tld",
        "vps_unicode_name",
    }
    assert hostvars(listing, IDN)["vps_unicode_name"] == "münchen.de"
    assert hostvars(listing, "old-shop.com")["vps_days_left"] < 0
    journal = sandbox.journal()
    assert {entry["method"] for entry in journal} == {"GET"}
    assert sandbox.token not in json.dumps(listing)


def test_statuses_and_search_are_filters(inventory, sandbox):
    sandbox.seed_domain(domain_name="shop-pending.com", status="pending")
    one = inventory.listing(inventory.config(statuses=["active"], search="shop"))
    assert sorted(one["_meta"]["hostvars"]) == ["example-shop.com"]
    several = inventory.listing(inventory.config("two.vps_domains.yaml", statuses=["active", "pending"], search="SHOP"))
    assert sorted(several["_meta"]["hostvars"]) == ["example-shop.com", "shop-pending.com"]
    queries = [entry["query"] for entry in sandbox.journal()]
    assert {"status": "active", "search": "shop"} in queries
    assert {"search": "SHOP"} in queries


@pytest.mark.api_shape
def test_every_page_is_read(inventory, sandbox):
    sandbox.configure(page_size=2)
    for number in range(5):
        sandbox.seed_domain(domain_name=f"paged-{number}.com")
    listing = inventory.listing(inventory.config())
    assert len(listing["_meta"]["hostvars"]) == len(DEMO_NAMES) + 5


def test_a_cache_hit_sends_no_request(inventory, sandbox, tmp_path):
    cache_dir = tmp_path / "cache"
    config = inventory.config(cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(cache_dir))
    first = inventory.listing(config)
    assert sandbox.journal(), "the first read goes to the API"
    assert sandbox.token not in "".join(path.read_text(encoding="utf-8") for path in cache_dir.iterdir())

    sandbox.clear_journal()
    sandbox.seed_domain(domain_name="added-later.com")
    cached = inventory.listing(config)
    assert sandbox.journal() == []
    assert cached["_meta"]["hostvars"] == first["_meta"]["hostvars"]

    refreshed = inventory.listing(config, "--flush-cache")
    assert "added-later.com" in refreshed["_meta"]["hostvars"]
    assert sandbox.journal()

    # Other filters in the same file are another question to the API: the cached answer is not used for them.
    sandbox.clear_journal()
    filtered = inventory.config(
        cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(cache_dir), statuses=["pending"]
    )
    assert inventory.listing(filtered)["_meta"]["hostvars"] == {}
    assert [entry["query"] for entry in sandbox.journal()] == [{"status": "pending"}]


@pytest.mark.api_shape
def test_a_rejected_token_fails_clearly_without_showing_it(inventory, sandbox):
    secret = "wrong-but-secret-token-4711"
    completed = inventory.run(inventory.config(), "--list", token=secret)
    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert "vpsorg.domains.domains: GET /api/v1/domains/: the API token was rejected (HTTP 401)" in output
    assert secret not in output


@pytest.mark.api_shape
def test_a_401_echoing_the_token_in_another_form_does_not_show_it(inventory, sandbox):
    secret = "Wrong-But-Secret-Token-4712"
    sandbox.add_fault(
        method="GET",
        path_prefix="/api/v1/domains/",
        status=401,
        body={"detail": f"Invalid token {secret.upper()} (was {secret.lower().replace('-', '%2D')})."},
    )
    completed = inventory.run(inventory.config(), "--list", "-vvvv", token=secret)
    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert (
        "the API token was rejected (HTTP 401): check api_token / VPSORG_API_TOKEN; "
        "Invalid token ******** (was ********)." in output
    )
    assert "secret-token-4712" not in output.lower() and "secret%2dtoken" not in output.lower()
    assert [entry["status"] for entry in sandbox.journal()] == [401]


@pytest.mark.api_shape
def test_odd_expiry_dates_never_crash_and_days_left_are_calendar_days(inventory, sandbox):
    twenty = (datetime.now(timezone.utc) + timedelta(days=20)).strftime("%Y-%m-%dT00:00:01Z")
    items = [
        {"id": 301, "domain_name": "forever.com", "status": "active", "expiration_date": "9999-12-31"},
        {"id": 302, "domain_name": "year-one.com", "status": "active", "expiration_date": "0001-01-01T00:00:00+01:00"},
        {"id": 303, "domain_name": "us-format.com", "status": "active", "expiration_date": "06/01/2026"},
        {"id": 304, "domain_name": "no-date.com", "status": "active", "expiration_date": None},
        {"id": 305, "domain_name": "twenty.com", "status": "active", "expiration_date": twenty},
        {"id": 306, "domain_name": "epoch.com", "status": "active", "expiration_date": 4102444800},
    ]
    sandbox.add_fault(
        method="GET",
        path_prefix="/api/v1/domains/",
        status=200,
        body={"count": len(items), "next": None, "previous": None, "results": items},
    )
    completed = inventory.run(inventory.config(expiry_warning_days=20), "--list")
    assert completed.returncode == 0, completed.stderr
    listing = plain(json.loads(completed.stdout))
    days = {host: hostvars(listing, host)["vps_days_left"] for host in listing["_meta"]["hostvars"]}
    assert days["twenty.com"] == 20
    assert days["forever.com"] is days["year-one.com"] is days["us-format.com"] is days["no-date.com"] is None
    assert days["epoch.com"] > 365 * 73  # 2100-01-01
    assert members(listing, "vps_expiring") == ["twenty.com"]
    warning = " ".join(completed.stderr.split())
    assert "expiration date of no-date.com, us-format.com cannot be read" in warning
    assert "forever.com" not in warning


def test_bad_options_fail_before_any_request(inventory, sandbox):
    for name, options, message in [
        ("status.vps_domains.yml", {"statuses": ["sleeping"]}, "statuses"),
        ("search.vps_domains.yml", {"search": "  "}, "search: must not be empty"),
        ("url.vps_domains.yml", {"api_url": "http://192.0.2.1/api/v1"}, "api_url"),
        ("ca.vps_domains.yml", {"ca_path": "/no/such/ca.pem"}, "ca_path"),
    ]:
        completed = inventory.run(inventory.config(name, **options), "--list")
        assert completed.returncode != 0, name
        assert message in completed.stderr, completed.stderr
    assert sandbox.journal() == []


def test_a_file_with_another_name_is_not_read(inventory, sandbox):
    completed = inventory.run(inventory.config("domains.yml"), "--list")
    assert completed.returncode != 0
    assert sandbox.journal() == []


@pytest.mark.api_shape
def test_the_demo_configuration_shows_the_sandbox_in_groups(inventory, sandbox):
    # The shipped file as it is: the sandbox's URL and token come from VPSORG_API_URL and VPSORG_API_TOKEN.
    completed = inventory.run(PLAYBOOKS / "inventory" / "demo.vps_domains.yml", "--graph")
    assert completed.returncode == 0, completed.stderr
    graph = completed.stdout
    for line in ["@vps_status_active:", "@vps_tld_com:", "@vps_expiring:", "@unlocked:", "|--example-shop.com"]:
        assert line in graph


@pytest.mark.api_shape
def test_domain_checks_runs_per_domain_over_the_inventory(inventory, sandbox, tmp_path):
    sandbox.seed_domain(domain_name=IDN, status="expired", expiration_date=in_days(-5), auto_renew=False)
    config = inventory.config()
    env = inventory.env()
    completed = subprocess.run(
        [
            str(BIN_DIR / "ansible-playbook"),
            "-i",
            str(config),
            str(PLAYBOOKS / "domain_checks.yml"),
            "-e",
            "domain_checks_fail=true",
            "--limit",
            "vps_tld_com:vps_tld_net:vps_tld_de",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    results = json.loads(Path(env["RECORD_RESULTS_FILE"]).read_text(encoding="utf-8"))
    judged = [record["result"]["ansible_facts"]["domain_check"] for record in results if record["task"] == JUDGE]
    checks = {check["name"]: check for check in judged}
    assert sorted(checks) == ["example-blog.net", "example-shop.com", IDN]
    assert checks["example-shop.com"]["problems"] == []
    assert checks["example-shop.com"]["locked"] is True
    assert checks["example-blog.net"]["expiring"] is True
    assert checks["example-blog.net"]["problems"] == [
        f"expires in {checks['example-blog.net']['days_left']} day(s) and auto-renew is off",
        "unlocked",
    ]
    assert checks[IDN]["expired"] is True
    assert checks[IDN]["days_left"] < 0
    failed = sorted(record["result"]["msg"].split(":")[0] for record in results if record["status"] == "failed")
    assert failed == ["example-blog.net", IDN]
    assert completed.returncode != 0
    # One detail read per domain, and nothing written.
    journal = sandbox.journal()
    assert {entry["method"] for entry in journal} == {"GET"}
    details = sorted(entry["path"] for entry in journal if entry["path"] != "/api/v1/domains/")
    assert len(details) == 3
    assert "/api/v1/domains/101/" in details
