# SPDX-License-Identifier: GPL-3.0-or-later
"""A mixin for unit tests' fake clients: the write engine's paid POSTs routed to the fakes' scripted methods."""

from __future__ import annotations

from typing import Any, Sequence


class PaidPosts:
    """`request("POST", ...)` as the write engine sends it, answered by the fake's register_domain/start_transfer."""

    def request(self, method: str, path: str, *, json: Any = None, secrets: Sequence[str] = (), **_: Any) -> Any:
        assert method == "POST", f"the fake answers only the engine's paid POSTs, got {method} {path}"
        if path == "domains/":
            return self.register_domain(json)  # type: ignore[attr-defined]
        raw_id = path.split("/")[1]
        domain_id = int(raw_id) if raw_id.isdigit() else raw_id
        return self.start_transfer(domain_id, json["auth_code"], json["auto_renew"])  # type: ignore[attr-defined]
