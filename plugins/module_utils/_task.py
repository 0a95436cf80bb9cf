# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to vpsorg.domains: the one error that fails a module run, the shape of an operation, the look-up grace."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Callable, Dict, Optional

from ansible_collections.vpsorg.domains.plugins.module_utils._client import ApiError

# The bounds of the look-up after a write whose answer was lost (see lookup_grace).
MIN_GRACE = 10
MAX_GRACE = 120
_DEFAULT_API_TIMEOUT = 30


def lookup_grace(api_timeout: Any) -> int:
    """How long a task looks for the outcome of a write whose answer was lost: 2 x api_timeout, 10 to 120 s."""
    # The server may still be working on the request when the client gave up waiting for its answer; twice the
    # time one request may take covers that, the bounds keep a tiny timeout useful and a huge one finite.
    usable = isinstance(api_timeout, (int, float)) and not isinstance(api_timeout, bool)
    timeout = api_timeout if usable else _DEFAULT_API_TIMEOUT
    return int(min(max(2 * timeout, MIN_GRACE), MAX_GRACE))


class TaskError(Exception):
    """A task that failed: `msg` says why and what to do.

    `api_error` is the API answer behind it, if any (returned as `failure`); `result` holds what the task
    returns beside `msg`, such as `changed: true` and the `domain` after a registration that succeeded before a
    later step failed.
    """

    def __init__(self, msg: str, api_error: Optional[ApiError] = None, **result: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.api_error = api_error
        self.result = result

    def to_result(self) -> Dict[str, Any]:
        """The keyword arguments for fail_json."""
        result = dict(self.result, msg=self.msg)
        if self.api_error is not None:
            result["failure"] = self.api_error.to_failure()
        return result


class Operation:
    """The shape of every module run that may write (one domain, one transfer, a portfolio): client, request, run.

    `run()` returns the module's result (with `warnings` and `diff` where it has them) or raises TaskError;
    ApiError escapes only before anything was changed. `grace_seconds` is how long the outcome of a write whose
    answer was lost is looked up (see lookup_grace); `sleep`, `clock` and `now` are replaced only by tests.
    """

    def __init__(
        self,
        client: Any,
        request: Any,
        *,
        check_mode: bool = False,
        grace_seconds: float = lookup_grace(None),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Optional[datetime] = None,
    ) -> None:
        self.client = client
        self.request = request
        self.check_mode = check_mode
        self.grace_seconds = grace_seconds
        self.sleep = sleep
        self.clock = clock
        self.now = now

    def run(self) -> Dict[str, Any]:
        """The module's result; raises TaskError to fail the module run."""
        raise NotImplementedError
