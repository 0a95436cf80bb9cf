# SPDX-License-Identifier: GPL-3.0-or-later
"""Every integration test whose outcome may depend on the API's shape carries the `api_shape` marker.

`make pytest-drf` runs the integration suite a second time against the sandbox's drf profile (a stock Django
REST Framework API: string decimals, microsecond times with offsets, names kept as posted, newest first,
upstream next links, DRF's error bodies), but only the tests marked `api_shape`: the rest prove behaviour that
is the same whatever the API's dialect, and one run of them is enough.

The rule, checked here without running anything: a test function in tests/integration/test_*.py must carry
the marker (`@pytest.mark.api_shape` on it or on its class, or `pytestmark` of its module) when its own source
text (decorators and parametrize values, name, docstring and body; not the helpers it calls) matches a pattern
of one of these topics (TOPICS below):

- names: IDN, Unicode or punycode names (a non-ASCII character, a \\u escape, `xn--`, "idn", "punycode",
  "unicode");
- dates: date fields and expiry (`*_date`, "date", "datetime", "expir...", `days_ago`);
- money: amounts (`total_cost`, prices, estimates, `max_cost`, `max_spend`, "spent", "amount", "balance",
  "cost");
- pages: pagination (`page_size`, "page(s)", next links, "paginat...");
- errors: error answers of the API (faults, `status_code`, a module's `failure`, an HTTP error status such as
  429 or 503 written as a number, `field_errors`, `detail`);
- the profile itself: `api_time`, `sandbox_profile`, "drf".

A test that matches by accident may carry the marker all the same (it only costs a second run); a test that
matches and is not marked fails this check, listed by file and name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Pattern

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
MARKER = "api_shape"
# Status codes of error answers; not a slice bound such as message[:400].
_STATUS = r"(?<![:\[])\b(?:400|401|402|403|404|405|409|410|422|429|500|502|503|504)\b"
TOPICS: Dict[str, Pattern[str]] = {
    "names": re.compile(r"[^\x00-\x7f]|\\u[0-9a-fA-F]{4}|xn--|\bidn|punycode|unicode", re.IGNORECASE),
    "dates": re.compile(r"_date\b|\bdate\b|\bdatetime\b|expir|days_ago", re.IGNORECASE),
    "money": re.compile(
        r"total_cost|\bprices?\b|estimat|max_cost|max_spend|\bspent\b|\bamounts?\b|\bbalance\b|\bcost\b",
        re.IGNORECASE,
    ),
    "pages": re.compile(r"page_size|\bpages?\b|next_link|[\"']next[\"']|paginat", re.IGNORECASE),
    "errors": re.compile(
        rf"fault|status_code|[\"']failure[\"']|{_STATUS}|field_errors|[\"']detail[\"']", re.IGNORECASE
    ),
    "profile": re.compile(r"api_time|sandbox_profile|\bdrf\b", re.IGNORECASE),
}


def _is_marker(node: ast.AST) -> bool:
    """`pytest.mark.api_shape`, called or not."""
    if isinstance(node, ast.Call):
        node = node.func
    return isinstance(node, ast.Attribute) and node.attr == MARKER and ast.unparse(node.value) == "pytest.mark"


def _module_marked(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(ast.unparse(target) == "pytestmark" for target in node.targets):
            values = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            if any(_is_marker(value) for value in values):
                return True
    return False


def topics_of(source: str) -> List[str]:
    """The topics whose pattern the text matches."""
    return [topic for topic, pattern in TOPICS.items() if pattern.search(source)]


def offenders(path: Path) -> List[str]:
    """The tests of one file that touch a topic and do not carry the marker, as 'file::test (topics)'."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    if _module_marked(tree):
        return []
    found = []
    scopes = [(tree.body, False)]
    scopes += [
        (node.body, any(_is_marker(d) for d in node.decorator_list))
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    ]
    for body, class_marked in scopes:
        for node in body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test"):
                continue
            if class_marked or any(_is_marker(decorator) for decorator in node.decorator_list):
                continue
            text = "\n".join(ast.get_source_segment(source, part) or "" for part in [*node.decorator_list, node])
            topics = topics_of(text)
            if topics:
                found.append(f"{path.name}::{node.name} ({', '.join(topics)})")
    return found


def test_every_integration_test_touching_the_api_shape_is_marked() -> None:
    files = sorted(INTEGRATION.glob("test_*.py"))
    assert files, INTEGRATION
    missing = [offender for path in files for offender in offenders(path)]
    assert not missing, (
        f"{len(missing)} integration test(s) touch names, dates, money, pages or errors (the API's shape) without "
        f"@pytest.mark.{MARKER} (see this file's docstring):\n  " + "\n  ".join(missing)
    )


def test_the_rule_sees_each_topic_and_the_marker_in_every_place(tmp_path: Path) -> None:
    """The check can fail: an unmarked test of each topic is caught; one marked in any of the three places is not."""
    bodies = {
        "names": "run(name='b\\u00fccher.com')",
        "dates": "assert result['expiration_date']",
        "money": "assert result['total_cost'] == 12.99",
        "pages": "sandbox.configure(page_size=2)",
        "errors": "sandbox.add_fault(status=503)",
        "profile": "assert sandbox.api_time(text)",
    }
    tests = "".join(f"def test_{topic}(sandbox):\n    {body}\n\n\n" for topic, body in bodies.items())
    plain = tmp_path / "test_plain.py"
    plain.write_text(f"import pytest\n\n\n{tests}def test_settings(sandbox):\n    assert message[:400]\n")
    assert offenders(plain) == [f"test_plain.py::test_{topic} ({topic})" for topic in bodies]
    on_function = tmp_path / "test_function.py"
    on_function.write_text("import pytest\n\n\n" + tests.replace("def test_", "@pytest.mark.api_shape\ndef test_"))
    assert offenders(on_function) == []
    on_class = tmp_path / "test_class.py"
    indented = "".join(
        "    " + line if line else line for line in tests.replace("(sandbox)", "(self, sandbox)").splitlines(True)
    )
    on_class.write_text("import pytest\n\n\n@pytest.mark.api_shape\nclass TestAll:\n" + indented)
    assert offenders(on_class) == []
    on_module = tmp_path / "test_module.py"
    on_module.write_text("import pytest\n\npytestmark = [pytest.mark.slow, pytest.mark.api_shape]\n\n\n" + tests)
    assert offenders(on_module) == []
