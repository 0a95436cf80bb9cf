# SPDX-License-Identifier: GPL-3.0-or-later
"""Regenerate docs/docsite/rst/images/transfers_report.png, the guide "Moving a portfolio to VPS.org"'s screenshot.

The picture is the HTML report of a real run: a sandbox on a free port and a temporary store, seeded with a move
under way (domains at another registrar with their auth codes, transfers pending, one failed with its reason, one
refused by the 60-day rule, one already at VPS.org, one not in the account); the registrar's CSV export of their
codes; `playbooks/transfer_in.yml -e confirm=true` with `portfolio_report_html` set; headless Chromium rendering
the written page, framed from the top of the report to the end of its transfers section.

Run it from the checkout after `make venv collection-link`, with the browser installed (apt-get install
chromium):

    .venv/bin/python docs/make_transfer_screenshot.py [--output FILE] [--keep DIR]

It checks, before taking the picture, that every domain is in the state the guide describes and that no auth
code appears in the page or in the run's output. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import csv
import html
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "perf"))
# The sandbox process and the ansible-playbook environment of the benchmark and the demo.
from _perf import ansible_environment, start_sandbox  # noqa: E402  # pylint: disable=wrong-import-position

COLLECTIONS_PATH = REPO_ROOT / ".build" / "collections"
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "docsite" / "rst" / "images" / "transfers_report.png"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TOKEN = "sandbox-demo-token"
OTHER = "Other Registrar Inc."
WIDTH = 1000
# White below the transfers table (which ends where the next heading's top margin begins).
BOTTOM_MARGIN = 16

# The export as the old registrar writes it (transfer-me.org and its code are the sandbox's demo account's).
EXPORT = [
    ("example-moving.com", "Xy7#kq2L9p", "2027-09-29"),
    ("example-moving.net", "Qm4!tz8Rw1", "2027-05-14"),
    ("transfer-me.org", "EPP-DEMO-1234", "2027-09-29"),
    ("example-archive.org", "Ld9$ve3Hn6", "2027-03-02"),
    ("example-press.net", "Jc2%wy5Bs8", "2027-11-20"),
    ("example-studio.io", "Ff6&ur1Kp4", "2027-08-08"),
    ("example-young.com", "Tn3*xg7Dm2", "2027-10-31"),
    ("example-shop.com", "Pw8@hb2Ce5", "2027-12-01"),
    ("example-intranet.com", "Zk5^qa9Lr3", "2027-06-30"),
]
# What each listed domain must be in the report of the run that starts the transfers.
EXPECTED = {
    "example-moving.com": "started",
    "example-moving.net": "started",
    "transfer-me.org": "started",
    "example-archive.org": "pending",
    "example-press.net": "pending",
    "example-studio.io": "failed",
    "example-young.com": "refused",
    "example-shop.com": "completed",
    "example-intranet.com": "missing",
}


def _stamp(days: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seeds(codes: Dict[str, str]) -> List[Dict[str, Any]]:
    """The domains to add to the demo account: at another registrar, each with the code of the export."""

    def foreign(name: str, **fields: Any) -> Dict[str, Any]:
        values = {
            "domain_name": name,
            "registrar": OTHER,
            "registration_date": _stamp(-900),
            "expiration_date": _stamp(300),
            "auth_code": codes[name],
            "locked": False,
            # Started transfers stay pending: the run that starts them reports them started, whenever it ends.
            "transfer_outcome": "stay",
        }
        values.update(fields)
        return values

    return [
        foreign("example-moving.com"),
        foreign("example-moving.net"),
        foreign("example-archive.org", transfer_status="pending", transfer_initiated_at=_stamp(-19)),
        foreign("example-press.net", transfer_status="pending", transfer_initiated_at=_stamp(-3)),
        foreign(
            "example-studio.io",
            transfer_status="failed",
            transfer_initiated_at=_stamp(-8),
            transfer_failure_reason="The losing registrar refused the transfer.",
        ),
        foreign("example-young.com", registration_date=_stamp(-21)),
    ]


def _write_export(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Domain", "Expires", "Auth Code", "Auto Renew", "Registrar"])
        for name, code, expires in EXPORT:
            writer.writerow([name, expires, code, "on", OTHER])


def _run_playbook(workdir: Path, api_url: str, export: Path, page: Path) -> subprocess.CompletedProcess:
    env = ansible_environment(
        api_url,
        TOKEN,
        str(COLLECTIONS_PATH),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-local"),
        ANSIBLE_HOME=str(workdir / "ansible-home"),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        str(REPO_ROOT / "playbooks" / "transfer_in.yml"),
        "-e",
        f"transfer_in_csv={export}",
        "-e",
        "confirm=true",
        "-e",
        f"portfolio_report_html={page}",
        "-e",
        "portfolio_account=example-corp",
    ]
    return subprocess.run(command, env=env, cwd=str(workdir), capture_output=True, text=True, timeout=600, check=False)


def _check_page(text: str, run_output: str) -> None:
    """Every domain in the state the guide describes; no auth code in the page or the run's output."""
    for _name, code, _expires in EXPORT:
        for where, content in (("report", text), ("output", run_output)):
            if code in content or html.escape(code) in content:
                raise SystemExit(f"an auth code appears in the {where} ({code[:3]}...): no screenshot taken")
    section = text[text.index("<h2>Transfers in") : text.index("<h2>Changes")]
    for name, state in EXPECTED.items():
        if state == "completed":
            continue
        row = re.search(rf"<tr><td><b>{re.escape(name)}</b></td><td[^>]*>(?:<span[^>]*>)?(\w+)", section)
        if not row or row.group(1) != state:
            raise SystemExit(f"{name}: expected {state} in the transfers table, found {row and row.group(1)}")
    if f"<h2>Transfers in ({len(EXPECTED)})</h2>" not in section:
        raise SystemExit("the transfers section does not count every listed domain")


def _browser(binary: str, page: Path, *args: str) -> subprocess.CompletedProcess:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _section_bottom(binary: str, page: Path) -> int:
    """Where, in CSS pixels from the top of the page at WIDTH, the transfers section ends (the next heading's top
    margin begins): read by a script of a frame around the report, which itself has none."""
    frame = page.parent / f"measure-{page.name}"
    frame.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe src="{page.name}" style="width:{WIDTH}px;height:1000px;border:0" onload="'
        "var d=this.contentDocument, next=null;"
        "d.querySelectorAll('h2').forEach(function(h,i,all){"
        "if(h.textContent.indexOf('Transfers in')===0){next=all[i+1];}});"
        "var style=this.contentWindow.getComputedStyle(next);"
        "var bottom=next.getBoundingClientRect().top+this.contentWindow.scrollY-parseFloat(style.marginTop);"
        "document.body.setAttribute('data-bottom', String(Math.ceil(bottom)));"
        '"></iframe></body></html>',
        encoding="utf-8",
    )
    rendered = _browser(
        binary, frame, "--allow-file-access-from-files", f"--window-size={WIDTH + 100},1100", "--dump-dom"
    )
    found = re.search(r'data-bottom="(\d+)"', rendered.stdout)
    if rendered.returncode != 0 or not found:
        raise SystemExit(f"could not measure the report:\n{rendered.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the PNG to write (default: the guide's)")
    parser.add_argument("--keep", type=Path, help="a directory to copy the report's HTML and the run's output to")
    args = parser.parse_args()
    binary = next((found for found in map(shutil.which, CHROMIUM_NAMES) if found), None)
    if binary is None:
        raise SystemExit(f"no headless browser found (tried {', '.join(CHROMIUM_NAMES)}): apt-get install chromium")
    if not (COLLECTIONS_PATH / "ansible_collections" / "vpsorg" / "domains").exists():
        raise SystemExit("the collection is not linked: run `make venv collection-link` first")

    with tempfile.TemporaryDirectory(prefix="transfer-shot-") as temp:
        workdir = Path(temp)
        sandbox = start_sandbox(workdir / "sandbox", "--transfer-delay", "3600")
        try:
            codes = {name: code for name, code, _expires in EXPORT}
            for seed in _seeds(codes):
                sandbox.seed_domain(**seed)
            export = workdir / "export.csv"
            _write_export(export)
            page = workdir / "transfers_report.html"
            run = _run_playbook(workdir, sandbox.api_url, export, page)
        finally:
            sandbox.stop()
        output = run.stdout + run.stderr
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / "ansible-playbook.log").write_text(output, encoding="utf-8")
            if page.exists():
                shutil.copy(page, args.keep / page.name)
        # The run fails on the domain that is not in the account, and on nothing else, after writing the report.
        expected_failure = '"msg": "1 problem(s): example-intranet.com: listed in transfers but not in the account;'
        if run.returncode == 0 or expected_failure not in output or not page.exists():
            raise SystemExit(f"the run did not end as expected (rc {run.returncode}):\n{output[-4000:]}")
        _check_page(page.read_text(encoding="utf-8"), output)
        height = _section_bottom(binary, page) + BOTTOM_MARGIN
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.unlink(missing_ok=True)
        taken = _browser(binary, page, f"--screenshot={args.output.resolve()}", f"--window-size={WIDTH},{height}")
        if taken.returncode != 0 or not args.output.exists():
            raise SystemExit(f"the browser took no screenshot:\n{taken.stderr[-2000:]}")
    print(f"{args.output}: {WIDTH}x{height} CSS pixels, {args.output.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
