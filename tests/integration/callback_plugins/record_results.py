# SPDX-License-Identifier: GPL-3.0-or-later
"""Callback used by the integration tests: records every task result as JSON for the test to assert on."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: Record task results in a JSON file
description:
  - Writes every task result (after C(no_log) censoring) to the file named by E(RECORD_RESULTS_FILE).
requirements:
  - enable in configuration
"""


class CallbackModule(CallbackBase):
    """Collects results in memory and writes them once the playbook ends."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._records: list[dict] = []

    def _record(self, status: str, result) -> None:
        self._records.append({"task": result.task_name, "status": status, "result": dict(result._result)})

    def v2_runner_on_ok(self, result) -> None:
        self._record("changed" if result._result.get("changed") else "ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        self._record("failed", result)

    def v2_runner_on_skipped(self, result) -> None:
        self._record("skipped", result)

    def v2_runner_on_unreachable(self, result) -> None:
        self._record("unreachable", result)

    def v2_playbook_on_stats(self, stats) -> None:
        path = os.environ.get("RECORD_RESULTS_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self._records, handle, default=str)
