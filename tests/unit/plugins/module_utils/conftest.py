# SPDX-License-Identifier: GPL-3.0-or-later
"""Makes the collection importable as ansible_collections.vpsorg.domains for the module_utils unit tests."""

from __future__ import annotations

import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[4]
_COLLECTIONS = _REPO / ".build" / "collections"
_LINK = _COLLECTIONS / "ansible_collections" / "vpsorg" / "domains"

# The same link `make collection-link` creates, so a bare `pytest` run works as well.
if not _LINK.exists():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(_REPO)
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))
