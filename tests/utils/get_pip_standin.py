# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test caches get-pip.py as ~/.ansible/test/cache/get_pip_<version>.py and runs it with pip install
arguments plus get-pip's own --no-setuptools/--no-wheel. ensurepip provides pip from the wheel bundled with
Python, then pip installs what was asked for with the machine's own pip settings (ensurepip sets variables
that would hide them).
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

# get-pip.py options that pip install itself does not know.
_GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def _installed(name: str) -> bool:
    """Whether a distribution is installed in this interpreter's environment."""
    probe = [sys.executable, "-m", "pip", "show", "--quiet", name]
    return subprocess.call(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def main(argv: list[str]) -> int:
    """Bootstrap pip, then install the requested packages as get-pip.py would."""
    ensurepip.bootstrap()
    for name in ("PIP_CONFIG_FILE", "ENSUREPIP_OPTIONS"):
        os.environ.pop(name, None)
    pip_args = [arg for arg in argv if arg not in _GET_PIP_ONLY]
    status = subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *pip_args])
    if status != 0:
        return status
    # Older Pythons' ensurepip always brings setuptools; get-pip.py --no-setuptools would not have.
    wanted_setuptools = any(arg.startswith("setuptools") for arg in pip_args)
    if "--no-setuptools" in argv and not wanted_setuptools and _installed("setuptools"):
        return subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
