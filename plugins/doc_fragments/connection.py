# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options shared by every vpsorg.domains module."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - "API token of the VPS.org account, sent as C(Authorization: Bearer <token>)."
      - When not set, the value of the environment variable C(VPSORG_API_TOKEN) is used.
      - One of the two is required; without either, the task fails naming both before anything is sent.
      - Never shown in output or error messages.
    type: str
  api_url:
    description:
      - Base URL of the VPS.org Domains API.
      - When not set, the environment variable C(VPSORG_API_URL) is used, else the default.
      - Must use C(https://); plain C(http://) is accepted only for a loopback host (C(127.0.0.1), C(::1),
        C(localhost)), for example a local sandbox.
    type: str
    default: https://admin.vps.org/api/v1
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the API.
      - When not set, the environment variable C(VPSORG_VALIDATE_CERTS) is used, else the default.
      - Only set to V(false) for a test server you control; the token is then exposed to anyone in between.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to verify the API's certificate with, for a private CA.
      - When not set, the environment variable C(VPSORG_CA_PATH) is used. C(REQUESTS_CA_BUNDLE) is honoured too.
    type: path
  api_timeout:
    description:
      - Seconds to wait for each HTTP request.
      - When not set, the environment variable C(VPSORG_API_TIMEOUT) is used, else the default.
    type: int
    default: 30
requirements:
  - requests
  - idna
notes:
  - Requests that can safely be repeated (reads, updates, removals) are retried on connection errors, HTTP 429 and
    502/503/504, with back-off and within a bounded time; C(Retry-After) is honoured up to 60 seconds.
    Registrations and transfers cost money and are sent again only when they provably never reached the API.
  - Proxies are taken from the usual environment variables (C(HTTPS_PROXY), C(NO_PROXY)); C(~/.netrc) is never
    used for credentials.
  - "All modules of the collection belong to the action group C(vpsorg.domains.all), so
    C(module_defaults: {group/vpsorg.domains.all: {api_token: ..., api_url: ...}}) sets the connection once per play."
"""
