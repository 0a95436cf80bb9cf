# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options of the vpsorg.domains inventory plugin: the modules' options, read from config or env."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - "API token of the VPS.org account, sent as C(Authorization: Bearer <token>)."
      - When not set in the configuration file, the environment variable C(VPSORG_API_TOKEN) is used.
      - May be a template (for example a C(lookup) or a vaulted value); it is resolved when the inventory is read.
      - Never shown in output or error messages, and never stored in host variables or the inventory cache.
    type: str
    required: true
    env:
      - name: VPSORG_API_TOKEN
  api_url:
    description:
      - Base URL of the VPS.org Domains API.
      - Must use C(https://); plain C(http://) is accepted only for a loopback host (C(127.0.0.1), C(::1),
        C(localhost)), for example a local sandbox.
    type: str
    default: https://admin.vps.org/api/v1
    env:
      - name: VPSORG_API_URL
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the API.
      - Only set to V(false) for a test server you control; the token is then exposed to anyone in between.
    type: bool
    default: true
    env:
      - name: VPSORG_VALIDATE_CERTS
  ca_path:
    description:
      - A PEM file of CA certificates to verify the API's certificate with, for a private CA.
      - C(REQUESTS_CA_BUNDLE) is honoured too.
    type: path
    env:
      - name: VPSORG_CA_PATH
  api_timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: int
    default: 30
    env:
      - name: VPSORG_API_TIMEOUT
requirements:
  - requests
  - idna
"""
