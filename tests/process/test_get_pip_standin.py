# SPDX-License-Identifier: GPL-3.0-or-later
"""Every ansible-core of the matrix finds the offline get-pip stand-in under the pip version it asks for.

A check of this checkout's venvs (.venv, .venv-<version>), so it lives here and not in tests/unit: ansible-test
units runs on a copy of the tree that has no venv.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = REPO_ROOT / "Makefile"


def _ansible_test_requirements() -> List[Path]:
    """ansible-test's python_requirements.py in each venv of this checkout (.venv, .venv-<version>)."""
    return sorted(REPO_ROOT.glob(".venv*/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py"))


def _get_pip_versions() -> List[str]:
    match = re.search(r"^GET_PIP_VERSIONS := (.+)$", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, "the Makefile defines GET_PIP_VERSIONS"
    return match.group(1).split()


def _pip_version_asked_for(requirements: Path) -> str:
    """The pip version ansible-test bootstraps into its venvs (the default of get_venv_packages)."""
    text = requirements.read_text(encoding="utf-8")
    body = text[text.index("def get_venv_packages") :]
    match = re.search(r"pip='([0-9.]+)'", body)
    assert match, f"no pip version in {requirements}"
    return match.group(1)


@pytest.mark.parametrize(
    "requirements",
    _ansible_test_requirements(),
    ids=lambda path: path.parts[len(REPO_ROOT.parts)],
)
def test_the_standin_covers_the_pip_version_each_core_asks_for(requirements: Path) -> None:
    version = _pip_version_asked_for(requirements)
    assert version.replace(".", "_") in _get_pip_versions(), f"add {version.replace('.', '_')} to GET_PIP_VERSIONS"


def test_the_standin_names_are_well_formed() -> None:
    for name in _get_pip_versions():
        assert re.fullmatch(r"[0-9]+(_[0-9]+)+", name), name
