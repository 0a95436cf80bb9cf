# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test runs this file with pip's arguments; ensurepip provides pip from the
wheel bundled with Python, then pip installs what was asked for with the machine's
own pip settings (ensurepip sets variables that would hide them).
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys


def main() -> int:
    """Bootstrap pip, then install the requested packages."""
    ensurepip.bootstrap()
    for name in ("PIP_CONFIG_FILE", "ENSUREPIP_OPTIONS"):
        os.environ.pop(name, None)
    return subprocess.call([sys.executable, "-m", "pip", "install", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
