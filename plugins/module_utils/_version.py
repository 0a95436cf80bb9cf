# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the collection's version, in one place (the release bumps it with galaxy.yml)."""

from __future__ import annotations

COLLECTION_VERSION = "0.3.0"
