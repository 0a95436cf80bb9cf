# SPDX-License-Identifier: GPL-3.0-or-later
"""`patch_module_args` on every ansible-core the collection supports.

ansible-core 2.19 added `ansible.module_utils.testing.patch_module_args`; older cores (2.16 to 2.18) read a
module's arguments from `ansible.module_utils.basic._ANSIBLE_ARGS`, which this sets the same way.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Dict, Iterator, Optional
from unittest import mock

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args: Optional[Dict[str, Any]] = None) -> Iterator[None]:
        """Expose the given module args to `AnsibleModule` instances created within this context."""
        from ansible.module_utils import basic

        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode("utf-8")
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield


__all__ = ["patch_module_args"]
